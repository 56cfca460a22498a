"""policykg.graph: the RDF compiler, its NetworkX view and SPARQL over the result."""
from __future__ import annotations

import dataclasses
import io
from collections import Counter, defaultdict
from decimal import Decimal
from itertools import combinations

import networkx as nx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from policykg import model as m
from policykg import roles
from policykg.errors import DataError, UsageError
from policykg.graph import (DEFAULT_BASE_IRI, co_responsibility, compile_graph, iter_triples,
                            to_networkx)
from policykg.ontology import DCTERMS, ELI, ORG, PKG, RDF, ROLE_TERMS, SCHEMA, SKOS

B = DEFAULT_BASE_IRI
GRAPHML_TYPES = (str, int, float, bool)


@pytest.fixture(scope="module")
def graph(any_dataset) -> Graph:
    return compile_graph(any_dataset)


@pytest.fixture(scope="module")
def small_graph(small_dataset) -> Graph:
    return compile_graph(small_dataset)


@pytest.fixture(scope="module")
def view(graph) -> nx.MultiDiGraph:
    return to_networkx(graph)


def model_effective(ds: m.Dataset) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """agency id -> measure keys it leads / supports, by the role rule in policykg.roles."""
    lead, support = defaultdict(set), defaultdict(set)
    for measure in ds.measures():
        raw = [a.role for a in measure.assignments]
        for a, eff in zip(measure.assignments, roles.effective_roles(raw)):
            (lead if eff == roles.EFFECTIVE_LEAD else support)[a.agency].add(measure.key)
    return lead, support


def iris_of(graph: Graph) -> set[str]:
    return {str(t) for triple in graph for t in triple if isinstance(t, URIRef)}


# --------------------------------------------------------------------------- compile


def test_compiles_one_node_per_measure(any_dataset, graph):
    measures = set(graph.subjects(RDF.type, PKG.Measure))
    expected = {URIRef(f"{B}plan/{x.plan}/measure/{x.number}") for x in any_dataset.measures()}
    assert measures == expected
    assert len(expected) == len(list(any_dataset.measures()))


def test_shipped_plan_size(shipped_dataset):
    g = compile_graph(shipped_dataset)
    assert len(set(g.subjects(RDF.type, PKG.Measure))) == 66
    assert len(g) > 2000


def test_compiling_twice_is_identical(any_dataset, graph):
    again = compile_graph(any_dataset)
    assert isomorphic(graph, again)
    assert iris_of(graph) == iris_of(again)
    assert list(iter_triples(any_dataset)) == list(iter_triples(any_dataset))


def test_iter_triples_is_what_compile_graph_holds(any_dataset, graph):
    triples = list(iter_triples(any_dataset))
    assert set(triples) == set(graph)
    assert all(isinstance(s, URIRef) and isinstance(p, URIRef) for s, p, _ in triples)


def test_all_iris_are_ascii_and_turtle_safe(graph):
    for iri in iris_of(graph):
        assert iri.isascii(), iri
        assert not set(iri) & set(' <>"{}|^`\\'), iri
    reparsed = Graph().parse(data=graph.serialize(format="turtle"), format="turtle")
    assert isomorphic(graph, reparsed)


def test_prefixes_bound(small_graph):
    prefixes = {p: str(ns) for p, ns in small_graph.namespaces()}
    assert prefixes["pkg"] == str(PKG._NS)
    assert prefixes["eli"] == "http://data.europa.eu/eli/ontology#"
    assert prefixes["agency"] == f"{B}agency/"


def test_iri_scheme(small_graph):
    plan = f"{B}plan/test-plan"
    expected = [
        plan,
        f"{plan}/section/s3-1",
        f"{plan}/measure/2",
        f"{plan}/measure/2/assignment/1",
        f"{plan}/measure/2/assignment/2",
        f"{plan}/measure/1/target/1",
        f"{plan}/target/1",
        f"{B}agency/jc-commerce",
        f"{B}document/jzbf-2022-35",
        f"{B}sector/finance",
    ]
    assert set(expected) <= iris_of(small_graph)
    assert (URIRef(f"{plan}/measure/2"), PKG.assignment, URIRef(f"{plan}/measure/2/assignment/2")) in small_graph


@pytest.mark.parametrize("base", [
    "", "relative/path/", "ftp://example.org/", "https://example.org/kg", "https:///no-host/",
    "https://example.org/a b/", "https://example.org/<x>/", 'https://example.org/"x"/',
    "https://example.org/{x}/", "https://example.org/a|b/", "https://example.org/a^b/",
    "https://example.org/a`b/", "https://example.org/a\\b/", "https://例子.org/",
    "https://example.org/a#b#", "https://example.org/x\n/",
])
def test_bad_base_iri_raises(small_dataset, base):
    with pytest.raises(UsageError):
        compile_graph(small_dataset, base)
    with pytest.raises(UsageError):
        list(iter_triples(small_dataset, base))


@pytest.mark.parametrize("base", ["http://example.org/kg#", "https://example.org/data/"])
def test_custom_base(small_dataset, base):
    g = compile_graph(small_dataset, base)
    minted = {str(s) for s in g.subjects() if isinstance(s, URIRef)} - {str(s) for s in g.subjects(RDF.type, PKG.Role)}
    assert minted and all(s.startswith(base) for s in minted)
    assert URIRef(f"{base}plan/test-plan/measure/1") in set(g.subjects(RDF.type, PKG.Measure))


def test_non_ascii_id_is_refused(small_dataset):
    bad = m.Agency("商务局", "市商务局", "Commerce", "department")
    ds = dataclasses.replace(small_dataset, agencies={**small_dataset.agencies, bad.id: bad})
    with pytest.raises(DataError, match="not an ASCII id"):
        compile_graph(ds)


def test_measure_triples(small_graph):
    g, plan = small_graph, URIRef(f"{B}plan/test-plan")
    m1 = URIRef(f"{plan}/measure/1")
    assert (m1, PKG.measureNumber, Literal(1, datatype=XSD.positiveInteger)) in g
    assert set(g.objects(m1, DCTERMS.title)) == {Literal("措施1", lang="zh"), Literal("Measure 1", lang="en")}
    assert (m1, PKG.text, Literal("正文1", lang="zh")) in g
    assert set(g.objects(m1, ELI.is_part_of)) == {plan, URIRef(f"{plan}/section/s3-1")}
    assert (URIRef(f"{plan}/section/s3-1"), ELI.is_part_of, URIRef(f"{plan}/section/s3")) in g
    assert (plan, ELI.has_part, m1) in g
    assert (m1, ELI.is_about, URIRef(f"{B}sector/finance")) in g
    assert (m1, PKG.taskForce, URIRef(f"{B}agency/jc-tf-finance")) in g
    assert (m1, ELI.implements, URIRef(f"{B}document/jzbf-2022-35")) in g
    assert (URIRef(f"{plan}/measure/2"), ELI.cites, URIRef(f"{B}document/title-only")) in g


def test_assignment_node(small_graph):
    x = URIRef(f"{B}plan/test-plan/measure/3/assignment/2")
    assert (x, RDF.type, PKG.Assignment) in small_graph
    assert small_graph.value(x, PKG.agency) == URIRef(f"{B}agency/jc-ndrc")
    assert small_graph.value(x, PKG.role) == PKG["role-responsible"]
    assert small_graph.value(x, PKG.position) == Literal(2, datatype=XSD.positiveInteger)
    # 负责 beside a 牵头 supports
    assert small_graph.value(x, PKG.effectiveRole) == PKG["effective-support"]


def test_targets(small_graph):
    g, plan = small_graph, f"{B}plan/test-plan"
    t1 = URIRef(f"{plan}/measure/1/target/1")
    assert (t1, RDF.type, PKG.Target) in g
    assert g.value(t1, SCHEMA.value) == Literal("1800.0", datatype=XSD.decimal)
    assert g.value(t1, SCHEMA.unitText) == Literal("个", lang="zh")
    assert g.value(t1, PKG.deadline) == Literal("2022-12-31", datatype=XSD.date)
    assert g.value(t1, PKG.comparator) == Literal("eq")
    assert set(g.objects(t1, PKG.indicator)) == {Literal("新建5G基站", lang="zh"),
                                                 Literal("New 5G base stations", lang="en")}
    t2 = URIRef(f"{plan}/measure/2/target/1")
    assert g.value(t2, SCHEMA.minValue).toPython() == Decimal("1")
    assert g.value(t2, SCHEMA.maxValue).toPython() == Decimal("2")
    assert g.value(t2, SCHEMA.value) is None
    assert (URIRef(plan), PKG.target, URIRef(f"{plan}/target/1")) in g


@pytest.mark.parametrize("value, lexical", [
    ("1E+3", "1000.0"), ("1800", "1800.0"), ("8.8", "8.8"), ("1.50", "1.5"), ("0.001", "0.001"), ("-2", "-2.0"),
])
def test_decimals_are_canonical(small_dataset, value, lexical):
    target = m.Target("x", "x", "eq", value=Decimal(value))
    plan = dataclasses.replace(small_dataset.plans[0], targets=(target,))
    g = compile_graph(dataclasses.replace(small_dataset, plans=(plan,)))
    assert g.value(URIRef(f"{B}plan/test-plan/target/1"), SCHEMA.value) == Literal(lexical, datatype=XSD.decimal)


def test_shortcuts_match_assignments(any_dataset, graph):
    raw_props = {roles.LEAD: PKG.leadAgency, roles.RESPONSIBLE: PKG.responsibleAgency,
                 roles.SUPPORT: PKG.supportingAgency}
    for measure in any_dataset.measures():
        iri = URIRef(f"{B}plan/{measure.plan}/measure/{measure.number}")
        effective = roles.effective_roles(a.role for a in measure.assignments)
        for raw, prop in raw_props.items():
            assert {str(o) for o in graph.objects(iri, prop)} == {
                f"{B}agency/{a.agency}" for a in measure.assignments if a.role == raw}, (measure.key, raw)
        for eff, prop in ((roles.EFFECTIVE_LEAD, PKG.ledBy), (roles.EFFECTIVE_SUPPORT, PKG.supportedBy)):
            assert {str(o) for o in graph.objects(iri, prop)} == {
                f"{B}agency/{a.agency}" for a, e in zip(measure.assignments, effective) if e == eff}
        assert len(list(graph.objects(iri, PKG.assignment))) == len(measure.assignments)


def test_agencies(any_dataset, graph):
    for agency in any_dataset.agencies.values():
        iri = URIRef(f"{B}agency/{agency.id}")
        assert (iri, RDF.type, PKG.Agency) in graph
        assert graph.value(iri, PKG.id) == Literal(agency.id)
        assert graph.value(iri, PKG.agencyKind) == Literal(agency.kind)
        assert set(graph.objects(iri, SKOS.prefLabel)) == {Literal(agency.name, lang="zh"),
                                                           Literal(agency.name_en, lang="en")}
        alt = {str(o) for o in graph.objects(iri, SKOS.altLabel)}
        assert alt == {n for n in (agency.full_name, *agency.aliases) if n} - {agency.name, agency.name_en}
        assert {str(o) for o in graph.objects(iri, ORG.hasMember)} == {f"{B}agency/{x}" for x in agency.members}
        for member in agency.members:
            assert (URIRef(f"{B}agency/{member}"), ORG.memberOf, iri) in graph
        if agency.kind == "collective":
            assert (iri, RDF.type, PKG.Collective) in graph
        if agency.kind == "task_force":
            assert (iri, RDF.type, PKG.TaskForce) in graph


def test_alias_language_tags(small_graph):
    alt = set(small_graph.objects(URIRef(f"{B}agency/jc-commerce"), SKOS.altLabel))
    assert alt == {Literal("晋城市商务局", lang="zh"), Literal("商务局", lang="zh"),
                   Literal("Bureau of Commerce", lang="en")}
    assert (URIRef(f"{B}agency/jc-commerce"), PKG.fullName, Literal("晋城市商务局", lang="zh")) in small_graph


def test_sectors(any_dataset, graph):
    scheme = URIRef(f"{B}scheme/sectors")
    assert (scheme, RDF.type, SKOS.ConceptScheme) in graph
    for sector in any_dataset.sectors.values():
        iri = URIRef(f"{B}sector/{sector.id}")
        assert (iri, RDF.type, SKOS.Concept) in graph and (iri, SKOS.inScheme, scheme) in graph
        assert (iri, SKOS.prefLabel, Literal(sector.name, lang="zh")) in graph
        broader = graph.value(iri, SKOS.broader)
        assert broader == (URIRef(f"{B}sector/{sector.broader}") if sector.broader else None)
        assert {(str(n), n.datatype) for n in graph.objects(iri, SKOS.notation)} == {
            (c, PKG.GBT4754) for c in sector.gbt4754}


def test_documents_and_links(any_dataset, graph):
    for document in any_dataset.documents().values():
        iri = URIRef(f"{B}document/{document.id}")
        assert (iri, RDF.type, PKG.ReferencedDocument) in graph
        assert graph.value(iri, DCTERMS.identifier) == (Literal(document.number) if document.number else None)
        if document.title:
            assert (iri, DCTERMS.title, Literal(document.title, lang="zh")) in graph
        if document.level:
            assert graph.value(iri, PKG.level) == Literal(document.level)
    for plan in any_dataset.plans:
        p = URIRef(f"{B}plan/{plan.id}")
        for relation, ids in (("based_on", plan.based_on), ("repeals", plan.repeals), ("cites", plan.cites)):
            assert {str(o) for o in graph.objects(p, ELI[relation])} == {f"{B}document/{d}" for d in ids}
        assert graph.value(p, ELI.passed_by) == URIRef(f"{B}agency/{plan.issuer}")
        for measure in plan.measures:
            mi = URIRef(f"{p}/measure/{measure.number}")
            for relation in m.DOC_RELATIONS:
                assert {str(o) for o in graph.objects(mi, ELI[relation])} == {
                    f"{B}document/{link.document}" for link in measure.documents if link.relation == relation}


# --------------------------------------------------------------------------- NetworkX view


def test_view_has_one_node_per_thing(any_dataset, view):
    kinds = Counter(d["kind"] for _, d in view.nodes(data=True))
    assert kinds == Counter(plan=len(any_dataset.plans), measure=len(list(any_dataset.measures())),
                            agency=len(any_dataset.agencies), document=len(any_dataset.documents()),
                            sector=len(any_dataset.sectors))
    ids = {d["kind"]: set() for _, d in view.nodes(data=True)}
    for _, d in view.nodes(data=True):
        ids[d["kind"]].add(d["id"])
    assert ids["measure"] == {x.key for x in any_dataset.measures()}
    assert ids["agency"] == set(any_dataset.agencies)
    assert ids["document"] == set(any_dataset.documents())
    assert ids["sector"] == set(any_dataset.sectors)


def test_view_role_edges_match_model(any_dataset, view):
    for measure in any_dataset.measures():
        node = f"{B}plan/{measure.plan}/measure/{measure.number}"
        edges = sorted(
            (d["position"], view.nodes[v]["id"], key, d["role"], d["role_zh"], d["effective"])
            for _, v, key, d in view.out_edges(node, keys=True, data=True) if "position" in d)
        expected = sorted((a.position, a.agency, a.role_en, a.role_en, a.role, a.effective)
                          for a in measure.assignments)
        assert edges == expected, measure.key


def test_view_node_attributes(any_dataset, view):
    for measure in any_dataset.measures():
        d = view.nodes[f"{B}plan/{measure.plan}/measure/{measure.number}"]
        assert (d["number"], d["plan"], d["sector"], d["task_force"], d["label_zh"], d["label_en"]) == (
            measure.number, measure.plan, measure.sector or "", measure.task_force or "",
            measure.title, measure.title_en)
    for agency in any_dataset.agencies.values():
        d = view.nodes[f"{B}agency/{agency.id}"]
        assert (d["label_zh"], d["label_en"], d["agency_kind"]) == (agency.name, agency.name_en, agency.kind)
    for document in any_dataset.documents().values():
        assert view.nodes[f"{B}document/{document.id}"]["number"] == (document.number or "")


def test_view_other_edges(any_dataset, view):
    def edges(key):
        return {(view.nodes[u]["id"], view.nodes[v]["id"]) for u, v, k in view.edges(keys=True) if k == key}

    measures = list(any_dataset.measures())
    assert edges("is_part_of") == {(x.key, x.plan) for x in measures}
    assert edges("is_about") == {(x.key, x.sector) for x in measures if x.sector}
    assert edges("has_member") == {(a.id, b) for a in any_dataset.agencies.values() for b in a.members}
    for relation in m.DOC_RELATIONS:
        expected = {(x.key, link.document) for x in measures for link in x.documents if link.relation == relation}
        for plan in any_dataset.plans:
            expected |= {(plan.id, d) for d in getattr(plan, relation, ())}
        assert edges(relation) == expected, relation


def test_view_is_graphml_safe(view):
    for _, d in view.nodes(data=True):
        assert all(isinstance(v, GRAPHML_TYPES) for v in d.values()), d
    for *_, d in view.edges(keys=True, data=True):
        assert all(isinstance(v, GRAPHML_TYPES) for v in d.values()), d
    buffer = io.BytesIO()
    nx.write_graphml(view, buffer)
    assert b"<graphml" in buffer.getvalue()


def test_view_is_derived_from_rdf(small_graph):
    g = Graph()
    g += small_graph
    x = URIRef(f"{B}plan/test-plan/measure/1/assignment/1")
    g.remove((None, None, x))
    g.remove((x, None, None))
    view = to_networkx(g)
    keys = {k for _, _, k in view.out_edges(f"{B}plan/test-plan/measure/1", keys=True)}
    assert "lead" not in keys and "support" in keys


def test_co_responsibility_weights(any_dataset, view):
    expected: Counter = Counter()
    involved = set()
    for measure in any_dataset.measures():
        agencies = sorted({a.agency for a in measure.assignments})
        involved |= set(agencies)
        expected.update(combinations(agencies, 2))
    co = co_responsibility(view)
    got = {tuple(sorted((co.nodes[u]["id"], co.nodes[v]["id"]))): d["weight"] for u, v, d in co.edges(data=True)}
    assert got == dict(expected)
    assert {d["id"] for _, d in co.nodes(data=True)} == involved
    assert all(d["kind"] == "agency" for _, d in co.nodes(data=True))


def test_project_agencies():
    from policykg.graph.nxview import project_agencies

    pairs = [("m1", "a"), ("m1", "b"), ("m2", "b"), ("m2", "a"), ("m2", "c"), ("m3", "d"), ("m3", "d")]
    g = project_agencies(pairs)
    assert list(g.nodes) == ["a", "b", "c", "d"]
    assert {tuple(sorted((u, v))): d["weight"] for u, v, d in g.edges(data=True)} == {
        ("a", "b"): 2, ("a", "c"): 1, ("b", "c"): 1}


def test_co_responsibility_small(small_graph):
    co = co_responsibility(to_networkx(small_graph))
    commerce, counties = f"{B}agency/jc-commerce", f"{B}agency/jc-counties"
    assert co[commerce][counties]["weight"] == 1
    assert co.nodes[commerce]["label_zh"] == "市商务局"


# --------------------------------------------------------------------------- SPARQL

# rdflib evaluates triple patterns in the order written: start from the assignments.
LED_BY_QUALIFIED = """
SELECT ?key WHERE {
    ?measure pkg:assignment ?x .
    ?x pkg:agency ?agency ; pkg:effectiveRole ?effective .
    ?agency pkg:id ?id .
    ?measure pkg:id ?key .
}"""

LED_BY_SHORTCUT = "SELECT ?key WHERE { ?agency pkg:id ?id . ?measure pkg:ledBy ?agency ; pkg:id ?key . }"
SUPPORTED_BY_SHORTCUT = "SELECT ?key WHERE { ?measure pkg:supportedBy ?agency ; pkg:id ?key . }"


def sparql_keys(graph: Graph, query: str, **bindings) -> set[str]:
    return {str(row.key) for row in graph.query(query, initNs={"pkg": PKG._NS}, initBindings=bindings)}


def test_measures_led_by_commerce(any_dataset, graph):
    lead, _ = model_effective(any_dataset)
    expected = lead["jc-commerce"]
    assert expected
    agency_id = Literal("jc-commerce")
    assert sparql_keys(graph, LED_BY_QUALIFIED, id=agency_id, effective=PKG["effective-lead"]) == expected
    assert sparql_keys(graph, LED_BY_SHORTCUT, id=agency_id) == expected


def test_small_commerce_leads_measure_3(small_graph):
    assert sparql_keys(small_graph, LED_BY_SHORTCUT, id=Literal("jc-commerce")) == {"test-plan/3"}


def test_sparql_lead_and_support_for_every_agency(any_dataset, graph):
    lead, support = model_effective(any_dataset)
    for agency_id in any_dataset.agencies:
        iri = URIRef(f"{B}agency/{agency_id}")
        assert sparql_keys(graph, LED_BY_SHORTCUT, id=Literal(agency_id)) == lead[agency_id], agency_id
        assert sparql_keys(graph, SUPPORTED_BY_SHORTCUT, agency=iri) == support[agency_id], agency_id
        for eff, expected in ((PKG["effective-lead"], lead), (PKG["effective-support"], support)):
            got = sparql_keys(graph, LED_BY_QUALIFIED, agency=iri, effective=eff)
            assert got == expected[agency_id], (agency_id, eff)


def test_sparql_reaches_members_through_collectives(small_graph):
    # 泽州县 is one of 各县（市、区）人民政府: it leads measure 2 and supports measure 3 as a member.
    query = """SELECT ?key WHERE {
        ?measure pkg:ledBy|pkg:supportedBy ?who ; pkg:id ?key .
        ?who org:hasMember* ?agency . }"""
    got = {str(r.key) for r in small_graph.query(query, initNs={"pkg": PKG._NS, "org": ORG},
                                                 initBindings={"agency": URIRef(f"{B}agency/jc-zezhou")})}
    assert got == {"test-plan/2", "test-plan/3"}


def test_sparql_raw_roles_match_model(any_dataset, graph):
    query = """SELECT ?key ?id ?role ?pos WHERE {
        ?measure pkg:id ?key ; pkg:assignment ?x .
        ?x pkg:agency/pkg:id ?id ; pkg:role ?role ; pkg:position ?pos . }"""
    by_term = {t: raw for raw, t in ROLE_TERMS.items()}
    got = {(str(r.key), str(r.id), by_term[r.role], int(r.pos))
           for r in graph.query(query, initNs={"pkg": PKG._NS})}
    assert got == {(x.key, a.agency, a.role, a.position) for x in any_dataset.measures() for a in x.assignments}
