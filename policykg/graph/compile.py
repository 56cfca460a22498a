"""Compile the validated model into RDF: the one place policykg makes triples.

Every other view (NetworkX, SHACL reports, exports) is derived from the graph
made here.  :func:`iter_triples` yields the triples; :func:`compile_graph` puts
them into an :class:`rdflib.Graph` with the prefixes bound, and any other store
(pyoxigraph, a remote endpoint) can load the same triples from the generator.

IRIs are ASCII, stable and derived from the ids of the data (``docs/schema.md``),
under a base IRI that defaults to :data:`DEFAULT_BASE_IRI`
(``https://w3id.org/policykg/id/``)::

    {base}plan/{plan_id}
    {base}plan/{plan_id}/section/{section_id}
    {base}plan/{plan_id}/measure/{n}
    {base}plan/{plan_id}/measure/{n}/assignment/{position}
    {base}plan/{plan_id}/measure/{n}/target/{k}      (k from 1, in data order)
    {base}plan/{plan_id}/target/{k}                  (plan-level targets)
    {base}agency/{agency_id}
    {base}document/{document_id}
    {base}sector/{sector_id}
    {base}scheme/sectors                             (the sector concept scheme)

An agency's part in a measure follows the PROV qualified-association pattern
(``pkg:Assignment``, see ``policykg/ontology/policykg.ttl``), with shortcut
properties beside it: one per raw role as written (``pkg:leadAgency`` 牵头,
``pkg:responsibleAgency`` 负责, ``pkg:supportingAgency`` 配合) and the derived
pair ``pkg:ledBy`` / ``pkg:supportedBy`` from :func:`policykg.roles.effective_roles`.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Iterator
from urllib.parse import urlsplit

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from ..errors import DataError, UsageError
from ..model import Dataset, Document, Measure, Plan, Section, Target
from ..ontology import (DCTERMS, EFFECTIVE_ROLE_TERMS, ELI, ORG, PKG, PREFIXES, RDF, ROLE_TERMS,
                        SCHEMA, SKOS)
from ..roles import LEAD, RESPONSIBLE, SUPPORT, effective_roles

__all__ = ["DEFAULT_BASE_IRI", "compile_graph", "iter_triples", "check_base_iri", "Triple"]

#: Base of every IRI policykg mints; a w3id.org name the project can redirect.
DEFAULT_BASE_IRI = "https://w3id.org/policykg/id/"

Triple = tuple[URIRef, URIRef, URIRef | Literal]

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_BAD_IRI_CHARS = re.compile(r'[\s<>"{}|^`\\]')
# Han, CJK punctuation and full-width forms: a label containing any is tagged @zh.
_CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

_RAW_SHORTCUT = {LEAD: PKG.leadAgency, RESPONSIBLE: PKG.responsibleAgency, SUPPORT: PKG.supportingAgency}
_EFFECTIVE_SHORTCUT = {"lead": PKG.ledBy, "support": PKG.supportedBy}
_KIND_CLASS = {"collective": PKG.Collective, "task_force": PKG.TaskForce}


def check_base_iri(base_iri: str) -> str:
    """Return ``base_iri`` if IRIs can be minted under it, else raise UsageError.

    It must be an absolute ASCII http(s) IRI with a host, ending in ``/`` or
    ``#``, without spaces or any of ``<>"{}|^`\\`` (they make invalid Turtle).
    """
    if not isinstance(base_iri, str) or not base_iri:
        raise UsageError("base IRI must be a non-empty string")
    problem = None
    if not base_iri.isascii():
        problem = "must be ASCII"
    elif _BAD_IRI_CHARS.search(base_iri):
        problem = 'must not contain spaces or any of <>"{}|^`\\'
    else:
        parts = urlsplit(base_iri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problem = "must be an absolute http:// or https:// IRI"
        elif not base_iri.endswith(("/", "#")):
            problem = "must end in '/' or '#'"
        elif "#" in base_iri[:-1]:
            problem = "may contain '#' only as its last character"
    if problem:
        raise UsageError(f"base IRI {base_iri!r} {problem}")
    return base_iri


def _segment(value: str, what: str, where: str) -> str:
    """An id as an IRI path segment; ids are validated by the loader, this guards model objects made by hand."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise DataError.single(where, None, what, f"{value!r} is not an ASCII id ([A-Za-z0-9._-])")
    return value


def _text(value: str) -> Literal:
    """A literal tagged @zh if it holds Chinese characters, @en otherwise (aliases mix both)."""
    return Literal(value, lang="zh" if _CJK_RE.search(value) else "en")


def _decimal_lexical(value) -> str:
    """Canonical xsd:decimal form (1800.0, 8.8): no exponent, no trailing zeros, always a point.

    Turtle writers print decimals with a point, so this form survives a round trip.
    """
    text = format(Decimal(value).normalize(), "f")
    return text if "." in text else f"{text}.0"


class _Iris:
    """Mints every IRI from one checked base."""

    def __init__(self, base: str, source: str):
        self.base = check_base_iri(base)
        self.source = source

    def _make(self, *segments: str) -> URIRef:
        return URIRef(self.base + "/".join(segments))

    def plan(self, plan_id: str) -> URIRef:
        return self._make("plan", _segment(plan_id, "plan.id", self.source))

    def section(self, plan_id: str, section_id: str) -> URIRef:
        return URIRef(f"{self.plan(plan_id)}/section/{_segment(section_id, 'section.id', self.source)}")

    def measure(self, plan_id: str, number: int) -> URIRef:
        return URIRef(f"{self.plan(plan_id)}/measure/{int(number)}")

    def agency(self, agency_id: str) -> URIRef:
        return self._make("agency", _segment(agency_id, "agency.id", self.source))

    def document(self, document_id: str) -> URIRef:
        return self._make("document", _segment(document_id, "document.id", self.source))

    def sector(self, sector_id: str) -> URIRef:
        return self._make("sector", _segment(sector_id, "sector.id", self.source))

    def sector_scheme(self) -> URIRef:
        return self._make("scheme", "sectors")


def iter_triples(dataset: Dataset, base_iri: str = DEFAULT_BASE_IRI) -> Iterator[Triple]:
    """Every triple of ``dataset`` under ``base_iri``, in a deterministic order."""
    iris = _Iris(base_iri, "<dataset>")
    yield from _sector_triples(dataset, iris)
    for agency in dataset.agencies.values():
        a = iris.agency(agency.id)
        yield a, RDF.type, PKG.Agency
        if agency.kind in _KIND_CLASS:
            yield a, RDF.type, _KIND_CLASS[agency.kind]
        yield a, PKG.id, Literal(agency.id)
        yield a, PKG.agencyKind, Literal(agency.kind)
        yield a, SKOS.prefLabel, Literal(agency.name, lang="zh")
        yield a, SKOS.prefLabel, Literal(agency.name_en, lang="en")
        if agency.full_name:
            yield a, PKG.fullName, Literal(agency.full_name, lang="zh")
        # SKOS: prefLabel and altLabel are disjoint, so names already preferred are skipped.
        alt = dict.fromkeys(n for n in (agency.full_name, *agency.aliases) if n)
        for name in alt:
            if name not in (agency.name, agency.name_en):
                yield a, SKOS.altLabel, _text(name)
        if agency.note:
            yield a, SKOS.note, _text(agency.note)
        for member in agency.members:
            m = iris.agency(member)
            yield a, ORG.hasMember, m
            yield m, ORG.memberOf, a
    for document in dataset.documents().values():
        yield from _document_triples(document, iris)
    for plan in dataset.plans:
        yield from _plan_triples(plan, iris)


def compile_graph(dataset: Dataset, base_iri: str = DEFAULT_BASE_IRI) -> Graph:
    """The RDF graph of ``dataset``, with the policykg prefixes bound.

    Raises UsageError if ``base_iri`` cannot serve as a base (see :func:`check_base_iri`).
    """
    check_base_iri(base_iri)
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    for prefix in ("agency", "document", "sector"):
        graph.bind(prefix, f"{base_iri}{prefix}/")
    graph.addN((s, p, o, graph) for s, p, o in iter_triples(dataset, base_iri))
    return graph


def _sector_triples(dataset: Dataset, iris: _Iris) -> Iterator[Triple]:
    if not dataset.sectors:
        return
    scheme = iris.sector_scheme()
    yield scheme, RDF.type, SKOS.ConceptScheme
    yield scheme, SKOS.prefLabel, Literal("服务业行业分类", lang="zh")
    yield scheme, SKOS.prefLabel, Literal("Service sectors", lang="en")
    for sector in dataset.sectors.values():
        s = iris.sector(sector.id)
        yield s, RDF.type, PKG.Sector
        yield s, RDF.type, SKOS.Concept
        yield s, PKG.id, Literal(sector.id)
        yield s, SKOS.inScheme, scheme
        yield s, SKOS.prefLabel, Literal(sector.name, lang="zh")
        yield s, SKOS.prefLabel, Literal(sector.name_en, lang="en")
        if sector.broader:
            yield s, SKOS.broader, iris.sector(sector.broader)
        else:
            yield s, SKOS.topConceptOf, scheme
            yield scheme, SKOS.hasTopConcept, s
        for code in sector.gbt4754:
            yield s, SKOS.notation, Literal(code, datatype=PKG.GBT4754)


def _document_triples(document: Document, iris: _Iris) -> Iterator[Triple]:
    d = iris.document(document.id)
    yield d, RDF.type, PKG.ReferencedDocument
    yield d, PKG.id, Literal(document.id)
    if document.number:
        yield d, DCTERMS.identifier, Literal(document.number)
    if document.title:
        yield d, DCTERMS.title, Literal(document.title, lang="zh")
    if document.title_en:
        yield d, DCTERMS.title, Literal(document.title_en, lang="en")
    if document.issuer:
        yield d, PKG.issuerName, _text(document.issuer)
    if document.level:
        yield d, PKG.level, Literal(document.level)
    if document.year is not None:
        yield d, PKG.year, Literal(str(document.year), datatype=XSD.gYear)
    if document.note:
        yield d, SKOS.note, _text(document.note)


def _plan_triples(plan: Plan, iris: _Iris) -> Iterator[Triple]:
    p = iris.plan(plan.id)
    yield p, RDF.type, PKG.Plan
    yield p, PKG.id, Literal(plan.id)
    yield p, DCTERMS.identifier, Literal(plan.number)
    yield p, DCTERMS.title, Literal(plan.title, lang="zh")
    yield p, DCTERMS.title, Literal(plan.title_en, lang="en")
    if plan.notice_title:
        yield p, PKG.noticeTitle, Literal(plan.notice_title, lang="zh")
    if plan.region:
        yield p, PKG.region, Literal(plan.region, lang="zh")
    yield p, ELI.passed_by, iris.agency(plan.issuer)
    yield p, ELI.date_document, Literal(plan.date, datatype=XSD.date)
    for relation, ids in (("based_on", plan.based_on), ("repeals", plan.repeals), ("cites", plan.cites)):
        for doc_id in ids:
            yield p, ELI[relation], iris.document(doc_id)
    for k, target in enumerate(plan.targets, 1):
        t = URIRef(f"{p}/target/{k}")
        yield p, PKG.target, t
        yield from _target_triples(t, target)
    for section in plan.sections:
        yield from _section_triples(plan, section, iris)
    for measure in plan.measures:
        yield from _measure_triples(plan, measure, iris)


def _section_triples(plan: Plan, section: Section, iris: _Iris) -> Iterator[Triple]:
    s = iris.section(plan.id, section.id)
    parent = iris.section(plan.id, section.parent) if section.parent else iris.plan(plan.id)
    yield s, RDF.type, PKG.Section
    yield s, PKG.id, Literal(f"{plan.id}/{section.id}")
    yield s, PKG.sectionNumber, Literal(section.number)
    yield s, DCTERMS.title, Literal(section.title, lang="zh")
    yield s, DCTERMS.title, Literal(section.title_en, lang="en")
    yield s, ELI.is_part_of, parent
    yield parent, ELI.has_part, s
    if section.sector:
        yield s, ELI.is_about, iris.sector(section.sector)
    if section.task_force:
        yield s, PKG.taskForce, iris.agency(section.task_force)


def _measure_triples(plan: Plan, measure: Measure, iris: _Iris) -> Iterator[Triple]:
    m = iris.measure(plan.id, measure.number)
    p = iris.plan(plan.id)
    # The loader gives the top-level section and, for measures in a subsection, that subsection.
    section = iris.section(plan.id, measure.subsection or measure.section)
    yield m, RDF.type, PKG.Measure
    yield m, PKG.id, Literal(measure.key)
    yield m, PKG.measureNumber, Literal(measure.number, datatype=XSD.positiveInteger)
    yield m, ELI.id_local, Literal(str(measure.number))
    yield m, DCTERMS.title, Literal(measure.title, lang="zh")
    yield m, DCTERMS.title, Literal(measure.title_en, lang="en")
    if measure.body:
        yield m, PKG.text, Literal(measure.body, lang="zh")
    if measure.bracket:
        yield m, PKG.bracket, Literal(measure.bracket, lang="zh")
    for whole in (p, section):
        yield m, ELI.is_part_of, whole
        yield whole, ELI.has_part, m
    if measure.sector:
        yield m, ELI.is_about, iris.sector(measure.sector)
    if measure.task_force:
        yield m, PKG.taskForce, iris.agency(measure.task_force)
    effective = effective_roles(a.role for a in measure.assignments)
    for assignment, eff in zip(measure.assignments, effective):
        x = URIRef(f"{m}/assignment/{int(assignment.position)}")
        agency = iris.agency(assignment.agency)
        yield m, PKG.assignment, x
        yield x, RDF.type, PKG.Assignment
        yield x, PKG.agency, agency
        yield x, PKG.role, ROLE_TERMS[assignment.role]
        yield x, PKG.position, Literal(assignment.position, datatype=XSD.positiveInteger)
        yield x, PKG.effectiveRole, EFFECTIVE_ROLE_TERMS[eff]
        yield m, _RAW_SHORTCUT[assignment.role], agency
        yield m, _EFFECTIVE_SHORTCUT[eff], agency
    for link in measure.documents:
        yield m, ELI[link.relation], iris.document(link.document)
    for k, target in enumerate(measure.targets, 1):
        t = URIRef(f"{m}/target/{k}")
        yield m, PKG.target, t
        yield from _target_triples(t, target)


def _target_triples(t: URIRef, target: Target) -> Iterator[Triple]:
    yield t, RDF.type, PKG.Target
    yield t, PKG.indicator, Literal(target.indicator, lang="zh")
    yield t, PKG.indicator, Literal(target.indicator_en, lang="en")
    yield t, PKG.comparator, Literal(target.comparator)
    for prop, value in ((SCHEMA.value, target.value), (SCHEMA.minValue, target.min),
                        (SCHEMA.maxValue, target.max)):
        if value is not None:
            yield t, prop, Literal(_decimal_lexical(value), datatype=XSD.decimal)
    if target.unit:
        yield t, SCHEMA.unitText, Literal(target.unit, lang="zh")
    if target.deadline is not None:
        yield t, PKG.deadline, Literal(target.deadline, datatype=XSD.date)
    if target.text:
        yield t, PKG.text, Literal(target.text, lang="zh")
