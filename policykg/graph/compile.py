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

Things people look up by type carry, beside their ``pkg:`` class, the standard
classes it specialises, so that systems without RDFS inference find them with the
vocabularies they know: plans and referenced documents are ``eli:LegalResource``,
sections and measures ``eli:LegalResourceSubdivision``, agencies
``org:Organization`` (task forces also ``org:OrganizationalUnit``), sectors
``skos:Concept``.  Structural nodes (assignments, targets) carry their ``pkg:``
class only; the ontology's subclass axioms place them (``prov:Association``,
``schema:QuantitativeValue``).

An agency's part in a measure follows the PROV qualified-association pattern
(``pkg:Assignment``, see ``policykg/ontology/policykg.ttl``), with shortcut
properties beside it: one per raw role as written (``pkg:leadAgency`` 牵头,
``pkg:responsibleAgency`` 负责, ``pkg:supportingAgency`` 配合) and the derived
pair ``pkg:ledBy`` / ``pkg:supportedBy`` from :func:`policykg.roles.effective_roles`.

The triples come in parts, so a store can hold and update them graph by graph
(:mod:`policykg.query.rdfstore`, :mod:`policykg.push`): :func:`iter_authority_triples`
(agencies, sectors, the scheme), :func:`iter_document_triples` (the documents
registry), :func:`iter_plan_triples` (one plan: sections, measures, assignments,
targets) and :func:`iter_link_triples` (a referenced document whose number is
that of a loaded plan ``pkg:resolvesTo`` the plan, so references between plans
of a corpus are links; documents outside it stay references).
:func:`iter_triples` is all of them, in that order; no triple is in two parts.

Every generator yields rdflib terms by default, or with ``terms="ntriples"`` the
same triples as N-Triples term strings (``<iri>``, ``"text"@zh``,
``"13"^^<…#positiveInteger>``), made without an rdflib object, several times
faster: what a store or a file writer loads.  One code path makes both forms.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Iterable, Iterator, Literal as TypingLiteral, Union
from urllib.parse import urlsplit

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from ..errors import DataError, UsageError
from ..model import Dataset, Document, Measure, Plan, Section, Target
from ..ontology import (DCTERMS, EFFECTIVE_ROLE_TERMS, ELI, ORG, PKG, PREFIXES, RDF, ROLE_TERMS,
                        SCHEMA, SKOS)
from ..roles import LEAD, RESPONSIBLE, SUPPORT, effective_roles

__all__ = [
    "DEFAULT_BASE_IRI", "compile_graph", "iter_triples", "check_base_iri", "Triple", "TermForm",
    "iter_shared_triples", "iter_authority_triples", "iter_document_triples", "iter_plan_triples",
    "iter_link_triples", "plan_links", "document_number_key", "ntriples_line",
]

#: Base of every IRI policykg mints; a w3id.org name the project can redirect.
DEFAULT_BASE_IRI = "https://w3id.org/policykg/id/"

Triple = tuple[URIRef, URIRef, URIRef | Literal]
#: The form of the terms a generator yields: rdflib objects, or N-Triples strings.
TermForm = TypingLiteral["rdflib", "ntriples"]

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_BAD_IRI_CHARS = re.compile(r'[\s<>"{}|^`\\]')
# Han, CJK punctuation and full-width forms: a label containing any is tagged @zh.
_CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


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


def _lang_of(value: str) -> str:
    """zh if ``value`` holds Chinese characters, en otherwise (aliases and notes mix both)."""
    return "zh" if _CJK_RE.search(value) else "en"


def _text(value: str) -> Literal:
    """A literal tagged @zh if it holds Chinese characters, @en otherwise."""
    return Literal(value, lang=_lang_of(value))


def _decimal_lexical(value) -> str:
    """Canonical xsd:decimal form (1800.0, 8.8): no exponent, no trailing zeros, always a point.

    Turtle writers print decimals with a point, so this form survives a round trip.
    """
    text = format(Decimal(value).normalize(), "f")
    return text if "." in text else f"{text}.0"


# --------------------------------------------------------------------------- term forms

# Every vocabulary term the compiler uses, by the name the generators use
# (XSD datatypes prefixed xsd_); read once here, so a closed namespace's
# attribute look-up is not paid per triple.
_VOCAB: dict[str, URIRef] = {
    "type": RDF.type,
    "Agency": PKG.Agency, "Collective": PKG.Collective, "TaskForce": PKG.TaskForce, "Sector": PKG.Sector,
    "GBT4754": PKG.GBT4754, "ReferencedDocument": PKG.ReferencedDocument, "Plan": PKG.Plan,
    "Organization": ORG.Organization, "OrganizationalUnit": ORG.OrganizationalUnit,
    "LegalResource": ELI.LegalResource, "LegalResourceSubdivision": ELI.LegalResourceSubdivision,
    "Section": PKG.Section, "Measure": PKG.Measure, "Assignment": PKG.Assignment, "Target": PKG.Target,
    "id": PKG.id, "agencyKind": PKG.agencyKind, "fullName": PKG.fullName, "issuerName": PKG.issuerName,
    "level": PKG.level, "year": PKG.year, "noticeTitle": PKG.noticeTitle, "region": PKG.region,
    "target": PKG.target, "sectionNumber": PKG.sectionNumber, "taskForce": PKG.taskForce,
    "measureNumber": PKG.measureNumber, "text": PKG.text, "bracket": PKG.bracket,
    "assignment": PKG.assignment, "agency": PKG.agency, "role": PKG.role, "position": PKG.position,
    "effectiveRole": PKG.effectiveRole, "leadAgency": PKG.leadAgency,
    "responsibleAgency": PKG.responsibleAgency, "supportingAgency": PKG.supportingAgency, "ledBy": PKG.ledBy,
    "supportedBy": PKG.supportedBy, "indicator": PKG.indicator, "comparator": PKG.comparator,
    "deadline": PKG.deadline, "resolvesTo": PKG.resolvesTo,
    "prefLabel": SKOS.prefLabel, "altLabel": SKOS.altLabel, "note": SKOS.note,
    "ConceptScheme": SKOS.ConceptScheme, "Concept": SKOS.Concept, "inScheme": SKOS.inScheme,
    "broader": SKOS.broader, "topConceptOf": SKOS.topConceptOf, "hasTopConcept": SKOS.hasTopConcept,
    "notation": SKOS.notation,
    "hasMember": ORG.hasMember, "memberOf": ORG.memberOf,
    "identifier": DCTERMS.identifier, "title": DCTERMS.title,
    "passed_by": ELI.passed_by, "date_document": ELI.date_document, "based_on": ELI.based_on,
    "repeals": ELI.repeals, "cites": ELI.cites, "implements": ELI.implements, "is_part_of": ELI.is_part_of,
    "has_part": ELI.has_part, "is_about": ELI.is_about, "id_local": ELI.id_local,
    "value": SCHEMA.value, "minValue": SCHEMA.minValue, "maxValue": SCHEMA.maxValue,
    "unitText": SCHEMA.unitText,
    "xsd_date": XSD.date, "xsd_positiveInteger": XSD.positiveInteger, "xsd_gYear": XSD.gYear,
    "xsd_decimal": XSD.decimal,
    **{f"role_{raw}": term for raw, term in ROLE_TERMS.items()},
    **{f"effective_{eff}": term for eff, term in EFFECTIVE_ROLE_TERMS.items()},
}
_RAW_SHORTCUT = {LEAD: "leadAgency", RESPONSIBLE: "responsibleAgency", SUPPORT: "supportingAgency"}
_EFFECTIVE_SHORTCUT = {"lead": "ledBy", "support": "supportedBy"}
_KIND_CLASS = {"collective": "Collective", "task_force": "TaskForce"}


class _Vocab:
    """The vocabulary in one term form, as attributes (``v.ledBy``)."""

    def __init__(self, convert):
        for name, term in _VOCAB.items():
            setattr(self, name, convert(term))

    def __getitem__(self, name: str):
        return getattr(self, name)


class _RdflibForm:
    """Terms as rdflib objects: what :func:`iter_triples` and :func:`compile_graph` use."""

    v = _Vocab(lambda term: term)
    iri = URIRef

    @staticmethod
    def plain(value: str) -> Literal:
        return Literal(value)

    @staticmethod
    def lang(value: str, tag: str) -> Literal:
        return Literal(value, lang=tag)

    @staticmethod
    def typed(value, datatype: URIRef) -> Literal:
        return Literal(value, datatype=datatype)


# Characters a literal must escape in N-Triples (canonical form: ECHAR where one exists, else \\uXXXX).
_NT_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')
_NT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _nt_escape_char(match: re.Match) -> str:
    char = match.group()
    return _NT_ESCAPES.get(char) or f"\\u{ord(char):04X}"


def _nt_string(value: str) -> str:
    if _NT_NEEDS_ESCAPE.search(value):
        value = _NT_NEEDS_ESCAPE.sub(_nt_escape_char, value)
    return f'"{value}"'


def _lexical(value) -> str:
    """The lexical form rdflib gives ``Literal(value, datatype=…)`` for the values the compiler types."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"no lexical form for {type(value).__name__}")


class _NTriplesForm:
    """Terms as N-Triples strings, made without rdflib objects."""

    v = _Vocab(lambda term: f"<{term}>")

    @staticmethod
    def iri(value: str) -> str:
        return f"<{value}>"

    plain = staticmethod(_nt_string)

    @staticmethod
    def lang(value: str, tag: str) -> str:
        return f"{_nt_string(value)}@{tag}"

    @staticmethod
    def typed(value, datatype: str) -> str:
        return f"{_nt_string(_lexical(value))}^^{datatype}"


_FORMS = {"rdflib": _RdflibForm, "ntriples": _NTriplesForm}


def _form(terms: str):
    try:
        return _FORMS[terms]
    except KeyError:
        raise UsageError(f"terms must be one of {', '.join(_FORMS)}, not {terms!r}") from None


def ntriples_line(triple: tuple[str, str, str], graph: str | None = None) -> str:
    """One N-Triples line (N-Quads with ``graph``, an IRI) from a triple of N-Triples terms."""
    s, p, o = triple
    return f"{s} {p} {o} <{graph}> .\n" if graph else f"{s} {p} {o} .\n"


class _Iris:
    """Mints every IRI from one checked base, in one term form; ids are checked once each."""

    def __init__(self, base: str, source: str, form=_RdflibForm):
        self.base = check_base_iri(base)
        self.source = source
        self.form = form
        self._cache: dict[tuple[str, str], Any] = {}

    def raw(self, kind: str, value: str, what: str) -> str:
        return f"{self.base}{kind}/{_segment(value, what, self.source)}"

    def _cached(self, kind: str, value: str, what: str):
        key = (kind, value)
        term = self._cache.get(key)
        if term is None:
            term = self._cache[key] = self.form.iri(self.raw(kind, value, what))
        return term

    def plan_raw(self, plan_id: str) -> str:
        return self.raw("plan", plan_id, "plan.id")

    def plan(self, plan_id: str):
        return self._cached("plan", plan_id, "plan.id")

    def agency(self, agency_id: str):
        return self._cached("agency", agency_id, "agency.id")

    def document(self, document_id: str):
        return self._cached("document", document_id, "document.id")

    def sector(self, sector_id: str):
        return self._cached("sector", sector_id, "sector.id")

    def sector_scheme(self):
        return self.form.iri(f"{self.base}scheme/sectors")


# --------------------------------------------------------------------------- the graph, whole and in parts


def iter_triples(dataset: Dataset, base_iri: str = DEFAULT_BASE_IRI, terms: TermForm = "rdflib") -> Iterator:
    """Every triple of ``dataset`` under ``base_iri``, in a deterministic order.

    Authority (sectors, agencies), documents registry, each plan, then links
    between plans of the dataset: every triple once.
    """
    iris = _Iris(base_iri, "<dataset>", _form(terms))
    yield from _authority_triples(dataset, iris)
    yield from _documents_triples(dataset.documents().values(), iris)
    for plan in dataset.plans:
        yield from _plan_triples(plan, iris)
    yield from _link_triples(plan_links(dataset), iris)


def iter_shared_triples(dataset: Dataset, base_iri: str = DEFAULT_BASE_IRI, terms: TermForm = "rdflib") -> Iterator:
    """What every plan is read against: the authority (agencies, sectors, scheme) and the documents registry."""
    iris = _Iris(base_iri, "<dataset>", _form(terms))
    yield from _authority_triples(dataset, iris)
    yield from _documents_triples(dataset.documents().values(), iris)


def iter_authority_triples(dataset: Dataset, base_iri: str = DEFAULT_BASE_IRI, terms: TermForm = "rdflib") -> Iterator:
    """The sector scheme and the authority file: they change only with ``agencies.yaml`` / ``sectors.yaml``."""
    yield from _authority_triples(dataset, _Iris(base_iri, "<dataset>", _form(terms)))


def iter_document_triples(documents: Iterable[Document], base_iri: str = DEFAULT_BASE_IRI,
                          terms: TermForm = "rdflib") -> Iterator:
    """The triples of referenced documents (each document given once: see :meth:`Dataset.documents`)."""
    yield from _documents_triples(documents, _Iris(base_iri, "<dataset>", _form(terms)))


def iter_plan_triples(plan: Plan, base_iri: str = DEFAULT_BASE_IRI, terms: TermForm = "rdflib") -> Iterator:
    """One plan: the plan, its sections, measures, assignments and targets (not the documents it registers)."""
    yield from _plan_triples(plan, _Iris(base_iri, plan.source or "<dataset>", _form(terms)))


#: A plan or document for link-making: (id, document number or None).
NumberedId = tuple[str, Union[str, None]]


def iter_link_triples(source: Dataset | tuple[Iterable[NumberedId], Iterable[NumberedId]],
                      base_iri: str = DEFAULT_BASE_IRI, terms: TermForm = "rdflib") -> Iterator:
    """``<document> pkg:resolvesTo <plan>`` for every referenced document whose number is a loaded plan's.

    ``source`` is a Dataset, or (documents, plans) as (id, number) pairs, so a
    store can recompute the links without the plans' bodies.  Numbers are
    compared by :func:`document_number_key` (spaces and bracket forms ignored).
    """
    if isinstance(source, Dataset):
        pairs = plan_links(source)
    else:
        documents, plans = source
        pairs = _match_numbers(documents, plans)
    yield from _link_triples(pairs, _Iris(base_iri, "<dataset>", _form(terms)))


def document_number_key(number: str | None) -> str | None:
    """A document number as links compare it: 晋政办发〔2022〕35 号 and 晋政办发[2022]35号 are one."""
    if not number:
        return None
    key = re.sub(r"\s+", "", number).translate(_BRACKETS)
    return key or None


_BRACKETS = str.maketrans({"[": "〔", "［": "〔", "【": "〔", "]": "〕", "］": "〕", "】": "〕"})


def plan_links(dataset: Dataset) -> list[tuple[str, str]]:
    """(document id, plan id) for each referenced document whose number is that of a plan of ``dataset``."""
    return _match_numbers(((d.id, d.number) for d in dataset.documents().values()),
                          ((p.id, p.number) for p in dataset.plans))


def _match_numbers(documents: Iterable[NumberedId], plans: Iterable[NumberedId]) -> list[tuple[str, str]]:
    by_number: dict[str, list[str]] = {}
    for plan_id, number in plans:
        key = document_number_key(number)
        if key:
            by_number.setdefault(key, []).append(plan_id)
    out = set()
    for doc_id, number in documents:
        for plan_id in by_number.get(document_number_key(number) or "", ()):
            out.add((doc_id, plan_id))
    return sorted(out)


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


# --------------------------------------------------------------------------- the generators (one form-agnostic code path)


def _authority_triples(dataset: Dataset, iris: _Iris) -> Iterator:
    yield from _sector_triples(dataset, iris)
    f = iris.form
    v = f.v
    for agency in dataset.agencies.values():
        a = iris.agency(agency.id)
        yield a, v.type, v.Agency
        yield a, v.type, v.Organization
        if agency.kind in _KIND_CLASS:
            yield a, v.type, v[_KIND_CLASS[agency.kind]]
            if agency.kind == "task_force":
                yield a, v.type, v.OrganizationalUnit
        yield a, v.id, f.plain(agency.id)
        yield a, v.agencyKind, f.plain(agency.kind)
        yield a, v.prefLabel, f.lang(agency.name, "zh")
        yield a, v.prefLabel, f.lang(agency.name_en, "en")
        if agency.full_name:
            yield a, v.fullName, f.lang(agency.full_name, "zh")
        # SKOS: prefLabel and altLabel are disjoint, so names already preferred are skipped.
        alt = dict.fromkeys(n for n in (agency.full_name, *agency.aliases) if n)
        for name in alt:
            if name not in (agency.name, agency.name_en):
                yield a, v.altLabel, f.lang(name, _lang_of(name))
        if agency.note:
            yield a, v.note, f.lang(agency.note, _lang_of(agency.note))
        for member in agency.members:
            m = iris.agency(member)
            yield a, v.hasMember, m
            yield m, v.memberOf, a


def _sector_triples(dataset: Dataset, iris: _Iris) -> Iterator:
    if not dataset.sectors:
        return
    f = iris.form
    v = f.v
    scheme = iris.sector_scheme()
    yield scheme, v.type, v.ConceptScheme
    yield scheme, v.prefLabel, f.lang("服务业行业分类", "zh")
    yield scheme, v.prefLabel, f.lang("Service sectors", "en")
    for sector in dataset.sectors.values():
        s = iris.sector(sector.id)
        yield s, v.type, v.Sector
        yield s, v.type, v.Concept
        yield s, v.id, f.plain(sector.id)
        yield s, v.inScheme, scheme
        yield s, v.prefLabel, f.lang(sector.name, "zh")
        yield s, v.prefLabel, f.lang(sector.name_en, "en")
        if sector.broader:
            yield s, v.broader, iris.sector(sector.broader)
        else:
            yield s, v.topConceptOf, scheme
            yield scheme, v.hasTopConcept, s
        for code in sector.gbt4754:
            yield s, v.notation, f.typed(code, v.GBT4754)


def _documents_triples(documents: Iterable[Document], iris: _Iris) -> Iterator:
    for document in documents:
        yield from _document_triples(document, iris)


def _document_triples(document: Document, iris: _Iris) -> Iterator:
    f = iris.form
    v = f.v
    d = iris.document(document.id)
    yield d, v.type, v.ReferencedDocument
    yield d, v.type, v.LegalResource
    yield d, v.id, f.plain(document.id)
    if document.number:
        yield d, v.identifier, f.plain(document.number)
    if document.title:
        yield d, v.title, f.lang(document.title, "zh")
    if document.title_en:
        yield d, v.title, f.lang(document.title_en, "en")
    if document.issuer:
        yield d, v.issuerName, f.lang(document.issuer, _lang_of(document.issuer))
    if document.level:
        yield d, v.level, f.plain(document.level)
    if document.year is not None:
        yield d, v.year, f.typed(str(document.year), v.xsd_gYear)
    if document.note:
        yield d, v.note, f.lang(document.note, _lang_of(document.note))


def _link_triples(pairs: Iterable[tuple[str, str]], iris: _Iris) -> Iterator:
    v = iris.form.v
    for doc_id, plan_id in pairs:
        yield iris.document(doc_id), v.resolvesTo, iris.plan(plan_id)


def _plan_triples(plan: Plan, iris: _Iris) -> Iterator:
    f = iris.form
    v = f.v
    p_raw = iris.plan_raw(plan.id)
    p = iris.plan(plan.id)
    yield p, v.type, v.Plan
    yield p, v.type, v.LegalResource
    yield p, v.id, f.plain(plan.id)
    yield p, v.identifier, f.plain(plan.number)
    yield p, v.title, f.lang(plan.title, "zh")
    yield p, v.title, f.lang(plan.title_en, "en")
    if plan.notice_title:
        yield p, v.noticeTitle, f.lang(plan.notice_title, "zh")
    if plan.region:
        yield p, v.region, f.lang(plan.region, "zh")
    yield p, v.passed_by, iris.agency(plan.issuer)
    yield p, v.date_document, f.typed(plan.date, v.xsd_date)
    for relation, ids in (("based_on", plan.based_on), ("repeals", plan.repeals), ("cites", plan.cites)):
        for doc_id in ids:
            yield p, v[relation], iris.document(doc_id)
    for k, target in enumerate(plan.targets, 1):
        t = f.iri(f"{p_raw}/target/{k}")
        yield p, v.target, t
        yield from _target_triples(t, target, f)
    sections = {}
    for section in plan.sections:
        s_raw = f"{p_raw}/section/{_segment(section.id, 'section.id', iris.source)}"
        sections[section.id] = f.iri(s_raw)
    for section in plan.sections:
        yield from _section_triples(plan, section, iris, p, sections)
    for measure in plan.measures:
        yield from _measure_triples(plan, measure, iris, p_raw, p, sections)


def _section_iri(plan: Plan, section_id: str, iris: _Iris, sections: dict):
    term = sections.get(section_id)
    if term is None:  # a section the plan does not list (model objects made by hand)
        term = iris.form.iri(f"{iris.plan_raw(plan.id)}/section/{_segment(section_id, 'section.id', iris.source)}")
    return term


def _section_triples(plan: Plan, section: Section, iris: _Iris, p, sections: dict) -> Iterator:
    f = iris.form
    v = f.v
    s = sections[section.id]
    parent = _section_iri(plan, section.parent, iris, sections) if section.parent else p
    yield s, v.type, v.Section
    yield s, v.type, v.LegalResourceSubdivision
    yield s, v.id, f.plain(f"{plan.id}/{section.id}")
    yield s, v.sectionNumber, f.plain(section.number)
    yield s, v.title, f.lang(section.title, "zh")
    yield s, v.title, f.lang(section.title_en, "en")
    yield s, v.is_part_of, parent
    yield parent, v.has_part, s
    if section.sector:
        yield s, v.is_about, iris.sector(section.sector)
    if section.task_force:
        yield s, v.taskForce, iris.agency(section.task_force)


def _measure_triples(plan: Plan, measure: Measure, iris: _Iris, p_raw: str, p, sections: dict) -> Iterator:
    f = iris.form
    v = f.v
    m_raw = f"{p_raw}/measure/{int(measure.number)}"
    m = f.iri(m_raw)
    # The loader gives the top-level section and, for measures in a subsection, that subsection.
    section = _section_iri(plan, measure.subsection or measure.section, iris, sections)
    yield m, v.type, v.Measure
    yield m, v.type, v.LegalResourceSubdivision
    yield m, v.id, f.plain(measure.key)
    yield m, v.measureNumber, f.typed(measure.number, v.xsd_positiveInteger)
    yield m, v.id_local, f.plain(str(measure.number))
    yield m, v.title, f.lang(measure.title, "zh")
    yield m, v.title, f.lang(measure.title_en, "en")
    if measure.body:
        yield m, v.text, f.lang(measure.body, "zh")
    if measure.bracket:
        yield m, v.bracket, f.lang(measure.bracket, "zh")
    for whole in (p, section):
        yield m, v.is_part_of, whole
        yield whole, v.has_part, m
    if measure.sector:
        yield m, v.is_about, iris.sector(measure.sector)
    if measure.task_force:
        yield m, v.taskForce, iris.agency(measure.task_force)
    effective = effective_roles(a.role for a in measure.assignments)
    for assignment, eff in zip(measure.assignments, effective):
        x = f.iri(f"{m_raw}/assignment/{int(assignment.position)}")
        agency = iris.agency(assignment.agency)
        yield m, v.assignment, x
        yield x, v.type, v.Assignment
        yield x, v.agency, agency
        yield x, v.role, v[f"role_{assignment.role}"]
        yield x, v.position, f.typed(assignment.position, v.xsd_positiveInteger)
        yield x, v.effectiveRole, v[f"effective_{eff}"]
        yield m, v[_RAW_SHORTCUT[assignment.role]], agency
        yield m, v[_EFFECTIVE_SHORTCUT[eff]], agency
    for link in measure.documents:
        yield m, v[link.relation], iris.document(link.document)
    for k, target in enumerate(measure.targets, 1):
        t = f.iri(f"{m_raw}/target/{k}")
        yield m, v.target, t
        yield from _target_triples(t, target, f)


def _target_triples(t, target: Target, f) -> Iterator:
    v = f.v
    yield t, v.type, v.Target
    yield t, v.indicator, f.lang(target.indicator, "zh")
    yield t, v.indicator, f.lang(target.indicator_en, "en")
    yield t, v.comparator, f.plain(target.comparator)
    for prop, value in ((v.value, target.value), (v.minValue, target.min), (v.maxValue, target.max)):
        if value is not None:
            yield t, prop, f.typed(_decimal_lexical(value), v.xsd_decimal)
    if target.unit:
        yield t, v.unitText, f.lang(target.unit, "zh")
    if target.deadline is not None:
        yield t, v.deadline, f.typed(target.deadline, v.xsd_date)
    if target.text:
        yield t, v.text, f.lang(target.text, "zh")
