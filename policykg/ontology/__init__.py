"""The policykg vocabulary: the single place the ontology namespace IRI lives.

``PKG`` is a closed :class:`rdflib.namespace.DefinedNamespace`: a misspelt term
(``leadAgnecy`` for ``leadAgency``) raises ``AttributeError`` instead of minting
a new IRI, and ``tests/test_ontology.py`` checks every term listed here is
declared, with Chinese and English labels, in ``policykg.ttl``.  Terms whose names are not Python
identifiers (the role individuals) are in ``_extras``: use ``PKG["role-lead"]``.

The reused vocabularies are re-exported so the rest of the package imports every
namespace from here.  Only rdflib (and ``policykg.roles``) is imported: this module is cheap to load.
"""
from __future__ import annotations

from pathlib import Path

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace
from rdflib.namespace import SDO as SCHEMA

from ..roles import EFFECTIVE_ROLES, RAW_ROLES

__all__ = [
    "PKG", "ELI", "ORG", "PROV", "SKOS", "DCTERMS", "SCHEMA", "RDF", "RDFS", "OWL", "XSD",
    "PKG_IRI", "ONTOLOGY_IRI", "ONTOLOGY_PATH", "SHAPES_PATH", "PREFIXES",
    "ROLE_TERMS", "EFFECTIVE_ROLE_TERMS",
]

#: The namespace of the project's own terms (prefix ``pkg``).
PKG_IRI = "https://w3id.org/policykg/ontology#"
#: The IRI of the ontology document itself (the namespace without its ``#``).
ONTOLOGY_IRI = URIRef(PKG_IRI.rstrip("#"))

_HERE = Path(__file__).resolve().parent
#: The OWL/RDFS ontology of the ``pkg`` terms (Turtle).
ONTOLOGY_PATH = _HERE / "policykg.ttl"
#: The SHACL shapes a compiled graph must conform to (Turtle).
SHAPES_PATH = _HERE / "shapes.ttl"


class ELI(DefinedNamespace):
    """The European Legislation Identifier ontology: only the terms policykg uses."""

    _fail = True
    _NS = Namespace("http://data.europa.eu/eli/ontology#")

    LegalResource: URIRef
    LegalResourceSubdivision: URIRef
    is_part_of: URIRef
    has_part: URIRef
    based_on: URIRef
    repeals: URIRef
    cites: URIRef
    implements: URIRef
    is_about: URIRef
    id_local: URIRef
    date_document: URIRef
    passed_by: URIRef


class PKG(DefinedNamespace):
    """The policykg ontology (``policykg.ttl``); every term must be declared there."""

    _fail = True
    _NS = Namespace(PKG_IRI)

    # classes
    Plan: URIRef
    Measure: URIRef
    Section: URIRef
    Agency: URIRef
    Collective: URIRef
    TaskForce: URIRef
    ReferencedDocument: URIRef
    Sector: URIRef
    Target: URIRef
    Assignment: URIRef
    Role: URIRef
    # datatype of GB/T 4754-2017 industry codes (skos:notation of sectors)
    GBT4754: URIRef
    # concept schemes (individuals)
    RoleScheme: URIRef
    EffectiveRoleScheme: URIRef
    # the qualified agency-in-measure pattern
    assignment: URIRef
    agency: URIRef
    role: URIRef
    position: URIRef
    effectiveRole: URIRef
    # shortcuts: one per raw role, and the derived lead / support pair
    leadAgency: URIRef
    responsibleAgency: URIRef
    supportingAgency: URIRef
    ledBy: URIRef
    supportedBy: URIRef
    # plans, sections, measures
    id: URIRef
    measureNumber: URIRef
    sectionNumber: URIRef
    text: URIRef
    bracket: URIRef
    noticeTitle: URIRef
    region: URIRef
    taskForce: URIRef
    target: URIRef
    # targets
    indicator: URIRef
    comparator: URIRef
    deadline: URIRef
    # agencies and documents
    agencyKind: URIRef
    fullName: URIRef
    level: URIRef
    year: URIRef
    issuerName: URIRef
    # links between plans of a corpus
    resolvesTo: URIRef

    _extras = [
        "role-lead", "role-responsible", "role-support",
        "effective-lead", "effective-support",
    ]


#: Raw role (牵头 / 负责 / 配合) -> its concept in ``pkg:RoleScheme``.
ROLE_TERMS: dict[str, URIRef] = {raw: PKG[f"role-{en}"] for raw, en in RAW_ROLES.items()}
#: Effective role (lead / support, from ``policykg.roles``) -> its concept.
EFFECTIVE_ROLE_TERMS: dict[str, URIRef] = {e: PKG[f"effective-{e}"] for e in EFFECTIVE_ROLES}

#: Prefixes bound on every graph policykg makes.
PREFIXES: dict[str, str] = {
    "pkg": PKG_IRI,
    "eli": str(ELI._NS),
    "org": str(ORG),
    "prov": str(PROV),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "schema": str(SCHEMA),
}
