"""NetworkX views derived from the compiled RDF graph (never from the model or YAML).

:func:`to_networkx` keeps plans, measures, agencies, documents and sectors as
nodes keyed by IRI string, and the relations between them as edges keyed by the
relation's name, as rdflib's ``extras/external_graph_libs`` keys edges by
predicate.  Every attribute value is str, int, float or bool, so the graph can be
written as GraphML as it is.
"""
from __future__ import annotations

from itertools import combinations
from typing import Iterable

import networkx as nx
from rdflib import Graph, Literal, URIRef

from ..ontology import DCTERMS, EFFECTIVE_ROLE_TERMS, ELI, ORG, PKG, RDF, ROLE_TERMS, SKOS
from ..roles import RAW_ROLES, role_english

__all__ = ["to_networkx", "co_responsibility", "project_agencies", "ROLE_EDGE_KEYS"]

#: Keys of measure -> agency edges: the raw roles' English names.
ROLE_EDGE_KEYS = tuple(RAW_ROLES.values())

_RAW_BY_TERM = {term: raw for raw, term in ROLE_TERMS.items()}
_EFFECTIVE_BY_TERM = {term: eff for eff, term in EFFECTIVE_ROLE_TERMS.items()}
_KINDS = {  # node kind -> (class, label property)
    "plan": (PKG.Plan, DCTERMS.title),
    "measure": (PKG.Measure, DCTERMS.title),
    "agency": (PKG.Agency, SKOS.prefLabel),
    "document": (PKG.ReferencedDocument, DCTERMS.title),
    "sector": (PKG.Sector, SKOS.prefLabel),
}
_DOCUMENT_RELATIONS = ("implements", "cites", "based_on", "repeals")


def _label(graph: Graph, node: URIRef, prop: URIRef, lang: str) -> str:
    values = sorted(str(o) for o in graph.objects(node, prop)
                    if isinstance(o, Literal) and (o.language or "").split("-")[0] == lang)
    return values[0] if values else ""


def _text(graph: Graph, node, prop: URIRef) -> str:
    value = graph.value(node, prop, any=True)
    return "" if value is None else str(value)


def _int(graph: Graph, node, prop: URIRef) -> int:
    value = graph.value(node, prop, any=True)
    return int(value) if isinstance(value, Literal) else 0


def to_networkx(graph: Graph) -> nx.MultiDiGraph:
    """A MultiDiGraph of the plans, measures, agencies, documents and sectors in ``graph``.

    Node attributes: ``kind``, ``id``, ``label_zh``, ``label_en``; measures add
    ``number``, ``plan``, ``sector`` and ``task_force`` (ids, "" when absent),
    agencies ``agency_kind``, documents ``number`` (their 发文字号, "" when cited by
    title only).  Edges, keyed by relation: measure -> agency ``lead`` /
    ``responsible`` / ``support`` (the raw role, with ``role``, ``role_zh``,
    ``position`` and ``effective``), measure -> plan ``is_part_of``, measure ->
    sector ``is_about``, measure or plan -> document ``implements`` / ``cites`` /
    ``based_on`` / ``repeals``, collective -> member ``has_member``.
    """
    g = nx.MultiDiGraph()
    ids: dict[URIRef, str] = {}
    for kind, (cls, label_prop) in _KINDS.items():
        for node in sorted(set(graph.subjects(RDF.type, cls))):
            ids[node] = _text(graph, node, PKG.id)
            g.add_node(str(node), kind=kind, id=ids[node],
                       label_zh=_label(graph, node, label_prop, "zh"),
                       label_en=_label(graph, node, label_prop, "en"))
    kind_of = {n: d["kind"] for n, d in g.nodes(data=True)}

    def add_edge(source, target, key: str, **attrs) -> None:
        if str(source) in kind_of and str(target) in kind_of:
            g.add_edge(str(source), str(target), key=key, **attrs)

    for node, kind in kind_of.items():
        iri = URIRef(node)
        attrs = g.nodes[node]
        if kind == "agency":
            attrs["agency_kind"] = _text(graph, iri, PKG.agencyKind)
            for member in sorted(graph.objects(iri, ORG.hasMember)):
                add_edge(iri, member, "has_member")
        elif kind == "document":
            attrs["number"] = _text(graph, iri, DCTERMS.identifier)
        elif kind in ("plan", "measure"):
            for relation in _DOCUMENT_RELATIONS:
                for document in sorted(graph.objects(iri, ELI[relation])):
                    add_edge(iri, document, relation)
        if kind != "measure":
            continue
        attrs["number"] = _int(graph, iri, PKG.measureNumber)
        plans = sorted(o for o in graph.objects(iri, ELI.is_part_of) if kind_of.get(str(o)) == "plan")
        attrs["plan"] = ids[plans[0]] if plans else ""
        for plan in plans:
            add_edge(iri, plan, "is_part_of")
        sectors = sorted(o for o in graph.objects(iri, ELI.is_about) if kind_of.get(str(o)) == "sector")
        attrs["sector"] = ids[sectors[0]] if sectors else ""
        for sector in sectors:
            add_edge(iri, sector, "is_about")
        task_force = graph.value(iri, PKG.taskForce, any=True)
        attrs["task_force"] = ids.get(task_force, "") if task_force is not None else ""
        assignments = [(_int(graph, a, PKG.position), a) for a in graph.objects(iri, PKG.assignment)]
        for position, assignment in sorted(assignments):
            agency = graph.value(assignment, PKG.agency, any=True)
            raw = _RAW_BY_TERM.get(graph.value(assignment, PKG.role, any=True))
            effective = _EFFECTIVE_BY_TERM.get(graph.value(assignment, PKG.effectiveRole, any=True), "")
            if agency is None or raw is None:
                continue  # an incomplete assignment: validate_shapes reports it
            english = role_english(raw)
            add_edge(iri, agency, english, role=english, role_zh=raw, position=position,
                     effective=effective)
    return g


def project_agencies(pairs: Iterable[tuple[str, str]]) -> nx.Graph:
    """Project (measure, agency) pairs onto agencies: the co-responsibility projection.

    Agencies are joined when they share a measure, edge ``weight`` = measures
    shared.  Every agency in ``pairs`` is a node, in order of first appearance.
    The one place this projection is computed: :func:`co_responsibility` and the
    index's network figures (``policykg.query.network``) both use it.
    """
    by_measure: dict[str, dict[str, None]] = {}
    out = nx.Graph()
    for measure, agency in pairs:
        by_measure.setdefault(measure, {})[agency] = None
        out.add_node(agency)
    for agencies in by_measure.values():
        for a, b in combinations(sorted(agencies), 2):
            if out.has_edge(a, b):
                out[a][b]["weight"] += 1
            else:
                out.add_edge(a, b, weight=1)
    return out


def co_responsibility(g: nx.MultiDiGraph) -> nx.Graph:
    """Agencies joined when they share a measure; edge ``weight`` = measures shared.

    ``g`` is a view made by :func:`to_networkx`.  Every agency with a role in some
    measure is a node, with the attributes it has in ``g``, sharing or not.
    Membership of a collective is not expanded: a collective counts as one agency.
    """
    pairs = [(measure, agency)
             for measure, agency, key in g.edges(keys=True)
             if key in ROLE_EDGE_KEYS and g.nodes[measure].get("kind") == "measure"]
    out = project_agencies(pairs)
    for agency in out.nodes:
        out.nodes[agency].update(g.nodes[agency])
    return out
