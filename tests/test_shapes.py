"""policykg.graph.validate_shapes and policykg/ontology/shapes.ttl."""
from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SH

from policykg.graph import DEFAULT_BASE_IRI, compile_graph, validate_shapes
from policykg.ontology import DCTERMS, ELI, PKG, RDF, SHAPES_PATH, SKOS

B = DEFAULT_BASE_IRI
PLAN = f"{B}plan/test-plan"
M1 = URIRef(f"{PLAN}/measure/1")
A11 = URIRef(f"{M1}/assignment/1")
COMMERCE = URIRef(f"{B}agency/jc-commerce")
LEAD_MESSAGE = "must have at least one agency in a lead or responsible role"


@pytest.fixture(scope="module")
def small_graph(small_dataset) -> Graph:
    return compile_graph(small_dataset)


def copy(graph: Graph) -> Graph:
    out = Graph()
    out += graph
    return out


def test_shipped_plan_conforms(shipped_dataset):
    assert validate_shapes(compile_graph(shipped_dataset)) == []


def test_small_dataset_conforms(small_graph):
    assert validate_shapes(small_graph) == []


def test_conforms_with_rdfs_inference(small_graph):
    assert validate_shapes(small_graph, inference="rdfs") == []


def test_validation_leaves_the_graph_alone(small_graph):
    before = len(small_graph)
    validate_shapes(small_graph)
    validate_shapes(small_graph, inference="rdfs")
    assert len(small_graph) == before


def _drop(*patterns):
    def mutate(g: Graph) -> None:
        for pattern in patterns:
            g.remove(pattern)
    return mutate


def _set(s, p, o):
    def mutate(g: Graph) -> None:
        g.set((s, p, o))
    return mutate


BROKEN = {
    "measure without assignments": (
        _drop((M1, PKG.assignment, None)), [f"measure <{M1}>: {LEAD_MESSAGE}"]),
    "measure with only supporting agencies": (
        _set(A11, PKG.role, PKG["role-support"]), [f"measure <{M1}>: {LEAD_MESSAGE}"]),
    "assignment without role": (
        _drop((A11, PKG.role, None)),
        [f"assignment <{A11}>: must have exactly one role",
         f"measure <{M1}>: {LEAD_MESSAGE}"]),
    "assignment with two agencies": (
        lambda g: g.add((A11, PKG.agency, COMMERCE)), [f"assignment <{A11}>: must have exactly one agency"]),
    "assignment with an unknown role": (
        _set(A11, PKG.role, PKG.Role),
        [f"assignment <{A11}>: role must be pkg:role-lead, pkg:role-responsible or pkg:role-support",
         f"measure <{M1}>: {LEAD_MESSAGE}"]),
    "agency without Chinese label": (
        _drop((COMMERCE, SKOS.prefLabel, Literal("市商务局", lang="zh"))),
        [f"agency <{COMMERCE}>: must have a Chinese label (skos:prefLabel @zh)"]),
    "agency without id": (
        _drop((COMMERCE, PKG.id, None)), [f"agency <{COMMERCE}>: must have exactly one id (pkg:id)"]),
    "measure without number": (
        _drop((M1, PKG.measureNumber, None)), [f"measure <{M1}>: must have exactly one number (pkg:measureNumber)"]),
    "measure with an untyped number": (
        _set(M1, PKG.measureNumber, Literal("1")), [f"measure <{M1}>: number must be an xsd:positiveInteger"]),
    "measure without Chinese title": (
        _drop((M1, DCTERMS.title, Literal("措施1", lang="zh"))),
        [f"measure <{M1}>: must have a Chinese title (dcterms:title @zh)"]),
    "measure outside any plan": (
        _drop((M1, ELI.is_part_of, URIRef(PLAN))),
        [f"measure <{M1}>: must belong to exactly one plan (eli:is_part_of a pkg:Plan)"]),
    "assignment pointing at an undescribed agency": (
        _set(A11, PKG.agency, URIRef(f"{B}agency/nobody")),
        [f"agency <{B}agency/nobody>: must have a Chinese label (skos:prefLabel @zh)",
         f"agency <{B}agency/nobody>: must have exactly one id (pkg:id)",
         f"agency <{B}agency/nobody>: must have exactly one kind (pkg:agencyKind)",
         f"assignment <{A11}>: agency must be a pkg:Agency"]),
    "target without value": (
        _drop((URIRef(f"{M1}/target/1"), URIRef("https://schema.org/value"), None)),
        [f"target <{M1}/target/1>: must have schema:value, or both schema:minValue and schema:maxValue"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_graph_reports(small_graph, case):
    mutate, expected = BROKEN[case]
    broken = copy(small_graph)
    mutate(broken)
    assert validate_shapes(broken) == sorted(expected)


def test_broken_shipped_graph(shipped_dataset):
    graph = compile_graph(shipped_dataset)
    measure = URIRef(f"{B}plan/jincheng-2022-24/measure/13")
    graph.remove((measure, PKG.assignment, None))
    for assignment in list(graph.subjects(RDF.type, PKG.Assignment))[:1]:
        graph.remove((assignment, PKG.role, None))
    graph.remove((COMMERCE, SKOS.prefLabel, Literal("市商务局", lang="zh")))
    lines = validate_shapes(graph)
    assert f"measure <{measure}>: {LEAD_MESSAGE}" in lines
    assert f"agency <{COMMERCE}>: must have a Chinese label (skos:prefLabel @zh)" in lines
    assert sum("must have exactly one role" in line for line in lines) == 1
    assert lines == sorted(set(lines))


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES_PATH, format="turtle")


def test_every_constraint_has_an_english_message(shapes):
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    assert {shapes.value(s, SH.targetClass) for s in node_shapes} >= {PKG.Measure, PKG.Assignment, PKG.Agency}
    for node_shape in node_shapes:
        assert shapes.value(node_shape, RDFS.label), node_shape
        for prop_shape in shapes.objects(node_shape, SH.property):
            messages = list(shapes.objects(prop_shape, SH.message))
            assert [m.language for m in messages] == ["en"], (node_shape, shapes.value(prop_shape, SH.path))
        if (node_shape, SH["or"], None) in shapes:
            assert [m.language for m in shapes.objects(node_shape, SH.message)] == ["en"]
