"""policykg.ontology: the closed PKG namespace against policykg.ttl."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, get_annotations

from policykg import roles
from policykg.ontology import (EFFECTIVE_ROLE_TERMS, ELI, ONTOLOGY_IRI, ONTOLOGY_PATH, ORG, PKG, PKG_IRI,
                               PROV, ROLE_TERMS, SCHEMA, SHAPES_PATH)

PACKAGE = Path(__file__).resolve().parent.parent / "policykg"
DECLARING_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDFS.Datatype,
                   SKOS.ConceptScheme, PKG.Role}
PROPERTY_TYPES = {OWL.ObjectProperty, OWL.DatatypeProperty}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_PATH, format="turtle")


def pkg_terms() -> list[str]:
    """Every term the DefinedNamespace lists: annotations and _extras."""
    return sorted(set(get_annotations(PKG)) | set(PKG._extras))


def declared(ontology: Graph) -> set[URIRef]:
    """pkg IRIs the ontology types as a class, property, datatype, scheme or role."""
    return {s for s, o in ontology.subject_objects(RDF.type)
            if isinstance(s, URIRef) and s.startswith(PKG_IRI) and o in DECLARING_TYPES}


def test_files_exist():
    assert ONTOLOGY_PATH.is_file() and SHAPES_PATH.is_file()


def test_ontology_parses_with_header(ontology):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY_IRI, OWL.versionInfo) is not None
    langs = {o.language for o in ontology.objects(ONTOLOGY_IRI, RDFS.label)}
    assert langs == {"zh", "en"}
    assert {o.language for o in ontology.objects(ONTOLOGY_IRI, RDFS.comment)} == {"zh", "en"}


@pytest.mark.parametrize("term", pkg_terms())
def test_every_namespace_term_is_declared(ontology, term):
    assert PKG[term] in declared(ontology), f"pkg:{term} is in PKG but not declared in policykg.ttl"


def test_every_declared_term_is_in_namespace(ontology):
    extra = {str(t)[len(PKG_IRI):] for t in declared(ontology)} - set(pkg_terms())
    assert not extra, f"declared in policykg.ttl but missing from PKG: {sorted(extra)}"


def test_no_undeclared_pkg_iri_in_ontology(ontology):
    used = {t for triple in ontology for t in triple if isinstance(t, URIRef) and t.startswith(PKG_IRI)}
    assert used <= declared(ontology), sorted(used - declared(ontology))


@pytest.mark.parametrize("term", pkg_terms())
@pytest.mark.parametrize("prop", [RDFS.label, RDFS.comment])
def test_every_term_has_zh_and_en(ontology, term, prop):
    values = [o for o in ontology.objects(PKG[term], prop) if isinstance(o, Literal)]
    langs = sorted(o.language for o in values)
    assert langs == ["en", "zh"], f"pkg:{term} {prop.n3(ontology.namespace_manager)}: {langs}"
    assert all(str(v).strip() for v in values)


def _code_uses() -> set[str]:
    """Every PKG.xxx and PKG["xxx"] in the package source."""
    out = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        out.update(re.findall(r"\bPKG\.([A-Za-z_][A-Za-z0-9_]*)", text))
        out.update(re.findall(r"\bPKG\[\s*[\"']([^\"']+)[\"']\s*\]", text))
    return out - {"_NS", "_extras", "_fail"}


def test_code_scan_finds_uses():
    assert {"Measure", "assignment", "ledBy", "supportedBy", "agency", "role"} <= _code_uses()


@pytest.mark.parametrize("term", sorted(_code_uses()))
def test_every_term_used_in_code_is_declared(ontology, term):
    assert term in PKG
    assert PKG[term] in declared(ontology)


def test_role_terms_built_from_fstrings_are_declared(ontology):
    # ROLE_TERMS / EFFECTIVE_ROLE_TERMS are built as PKG[f"role-{en}"], which the scan above cannot see.
    for term in [*ROLE_TERMS.values(), *EFFECTIVE_ROLE_TERMS.values()]:
        assert term in declared(ontology)
    assert set(ROLE_TERMS) == set(roles.RAW_ROLES)
    assert set(EFFECTIVE_ROLE_TERMS) == set(roles.EFFECTIVE_ROLES)


@pytest.mark.parametrize("misspelt", ["leadagency", "Measures", "ledby", "role_lead"])
def test_misspelt_term_raises(misspelt):
    with pytest.raises(AttributeError):
        getattr(PKG, misspelt)
    with pytest.raises(AttributeError):
        PKG[misspelt]


def test_misspelt_eli_term_raises():
    assert ELI.is_part_of == URIRef("http://data.europa.eu/eli/ontology#is_part_of")
    with pytest.raises(AttributeError):
        ELI.isPartOf


def test_namespace_iri_lives_in_one_module():
    owners = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
              if "w3id.org/policykg/ontology" in p.read_text(encoding="utf-8")]
    assert owners == ["ontology/__init__.py"]


@pytest.mark.parametrize("sub, sup", [
    (PKG.Plan, ELI.LegalResource),
    (PKG.Measure, ELI.LegalResourceSubdivision),
    (PKG.Section, ELI.LegalResourceSubdivision),
    (PKG.Agency, ORG.Organization),
    (PKG.Collective, PKG.Agency),
    (PKG.TaskForce, PKG.Agency),
    (PKG.TaskForce, ORG.OrganizationalUnit),
    (PKG.ReferencedDocument, ELI.LegalResource),
    (PKG.Sector, SKOS.Concept),
    (PKG.Target, SCHEMA.QuantitativeValue),
    (PKG.Assignment, PROV.Association),
    (PKG.Role, ORG.Role),
    (PKG.Role, SKOS.Concept),
])
def test_alignment(ontology, sub, sup):
    assert (sub, RDFS.subClassOf, sup) in ontology


def test_qualified_pattern_aligned_to_prov(ontology):
    assert (PKG.agency, RDFS.subPropertyOf, PROV.agent) in ontology
    assert (PKG.role, RDFS.subPropertyOf, PROV.hadRole) in ontology
    assert (PKG.position, RDFS.range, URIRef("http://www.w3.org/2001/XMLSchema#positiveInteger")) in ontology
    # raw 牵头 always leads and 配合 always supports; 负责 depends on the bracket
    assert (PKG.leadAgency, RDFS.subPropertyOf, PKG.ledBy) in ontology
    assert (PKG.supportingAgency, RDFS.subPropertyOf, PKG.supportedBy) in ontology
    assert ontology.value(PKG.responsibleAgency, RDFS.subPropertyOf) is None


@pytest.mark.parametrize("raw", list(roles.RAW_ROLES))
def test_role_scheme(ontology, raw):
    concept = ROLE_TERMS[raw]
    assert (concept, SKOS.inScheme, PKG.RoleScheme) in ontology
    assert (concept, RDF.type, PKG.Role) in ontology
    assert Literal(raw, lang="zh") in set(ontology.objects(concept, SKOS.prefLabel))
    assert Literal(roles.role_english(raw), lang="en") in set(ontology.objects(concept, SKOS.prefLabel))
    assert str(ontology.value(concept, SKOS.notation)) == roles.role_english(raw)


@pytest.mark.parametrize("effective", roles.EFFECTIVE_ROLES)
def test_effective_role_scheme(ontology, effective):
    concept = EFFECTIVE_ROLE_TERMS[effective]
    assert (concept, SKOS.inScheme, PKG.EffectiveRoleScheme) in ontology
    assert str(ontology.value(concept, SKOS.notation)) == effective


def test_every_property_has_a_declared_kind(ontology):
    props = [t for t in declared(ontology) if set(ontology.objects(t, RDF.type)) & PROPERTY_TYPES]
    assert len(props) >= 25
    for prop in props:
        kinds = set(ontology.objects(prop, RDF.type)) & PROPERTY_TYPES
        assert len(kinds) == 1, prop


def test_import_is_light():
    code = ("import sys, policykg.ontology; "
            "print(any(m in sys.modules for m in ('pyshacl', 'networkx', 'yaml')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PACKAGE.parent)
    assert out.stdout.strip() == "False"
