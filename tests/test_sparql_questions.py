"""policykg.query.sparql and sparql_questions: SPARQL answers equal the SQLite index's, safe terms."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from rdflib import BNode, Literal, URIRef

from policykg.errors import AmbiguousAgency, QueryError, UnknownAgency, UnknownMeasure, UsageError
from policykg.graph import compile_graph
from policykg.query.index import open_index
from policykg.query.sparql import IRI, LocalEngine, Result, bind_values, sparql_term
from policykg.query.sparql_questions import SparqlIndex

ROLES = ("lead", "support", "any")

#: Strings that would end a term early, open a group or a comment, or hide an escape.
HOSTILE = [
    '"', "'", '"}', '" } . ?s ?p ?o . FILTER("', "}", "{", "#", "# comment\n}", "\\", "\\\\", '\\"',
    "a\\u0022b", "\\U00000022", "\\u005C", "x\\", "line\nbreak", "cr\rlf\r\n", "tab\tend", "nul\x00byte",
    "bell\x07", "del\x7f", "<http://example.org/x>", "?s ?p ?o", "'''", '"""', "VALUES ?x { 1 }",
    "SELECT * WHERE { ?s ?p ?o }", "商务局\"}#", "emoji 😀", "\u2028sep\u2029", "",
]


@pytest.fixture(scope="module")
def ds(shipped_dataset):
    return shipped_dataset


@pytest.fixture(scope="module")
def index(ds, tmp_path_factory):
    idx = open_index(None, tmp_path_factory.mktemp("index"))
    yield idx
    idx.close()


@pytest.fixture(scope="module")
def graph(ds):
    return compile_graph(ds)


@pytest.fixture(scope="module")
def oxigraph_engine(graph):
    return LocalEngine.from_triples(graph)


@pytest.fixture(scope="module")
def rdflib_engine(graph):
    return LocalEngine(graph)


@pytest.fixture(scope="module")
def sx(oxigraph_engine):
    """SparqlIndex over a pyoxigraph store holding compile_graph(ds)."""
    return SparqlIndex(oxigraph_engine)


@pytest.fixture(scope="module")
def sr(rdflib_engine):
    """SparqlIndex over the rdflib Graph compile_graph(ds) itself (slow: used on samples)."""
    return SparqlIndex(rdflib_engine)


@pytest.fixture(scope="module", params=["oxigraph", "rdflib"])
def engine(request):
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture(scope="module", params=["oxigraph", "rdflib"])
def both(request):
    return request.getfixturevalue("sx" if request.param == "oxigraph" else "sr")


def _mismatches(index, sparql, agencies, role, direct, plans=None):
    return [a for a in agencies
            if index.measures_by_agency(a, role, direct, plans) != sparql.measures_by_agency(a, role, direct, plans)]


# --------------------------------------------------------------------------- the same answers


def test_the_engine_holds_the_compiled_graph(oxigraph_engine, graph):
    n = oxigraph_engine.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").values()[0]["n"]
    assert int(n) == len(graph)


@pytest.mark.parametrize("direct", [False, True])
@pytest.mark.parametrize("role", ROLES)
def test_measures_by_agency_every_agency(index, sx, role, direct):
    agencies = list(index.agencies_by_id)
    assert len(agencies) > 40
    assert _mismatches(index, sx, agencies, role, direct) == []


def test_measures_by_agency_on_rdflib(index, sr):
    """The rdflib path (initBindings) answers alike; rdflib is slow, so on a sample with every kind of agency."""
    sample = ["jc-commerce", "jc-yangcheng", "jc-counties", "jc-ndrc", "jc-post", "jc-tf-finance", "jc-gov",
              "jc-chengqu", "jc-zezhou"]
    assert set(sample) <= set(index.agencies_by_id)
    assert _mismatches(index, sr, sample, "any", False) == []
    for role in ROLES:
        assert _mismatches(index, sr, sample[:3], role, True) == []


def test_collective_duties_come_with_via(index, sx):
    rows = sx.measures_by_agency("jc-yangcheng", "any")
    assert any(r["via"] == "jc-counties" for r in rows)
    assert all(r["via"] is None for r in sx.measures_by_agency("jc-yangcheng", "any", direct=True))


def test_plan_filters(index, sx, ds):
    plan = ds.plans[0].id
    for plans in ([plan], [], ["no-such-plan"]):
        assert _mismatches(index, sx, ["jc-commerce", "jc-yangcheng"], "any", False, plans) == []
        assert index.agency_summary(plans) == sx.agency_summary(plans)
        assert index.targets(None, plans) == sx.targets(None, plans)
        assert index.documents(plans) == sx.documents(plans)
        assert index.sector_counts(plans) == sx.sector_counts(plans)
        assert index.assignment_pairs(plans) == sx.assignment_pairs(plans)
    number = ds.plans[0].number
    assert index.plan_ids(number) == sx.plan_ids(number) == [plan]
    assert index.plan_ids(None, "市政府办公室", 2022) == sx.plan_ids(None, "市政府办公室", 2022)
    assert index.plan_ids(year=1999) == sx.plan_ids(year=1999) == []
    with pytest.raises(UsageError):
        sx.plan_ids("no-such-plan")


@pytest.mark.parametrize("sort", ["total", "lead", "support", "name", "id", "kind"])
def test_agency_summary(index, sx, sort):
    assert index.agency_summary(sort=sort) == sx.agency_summary(sort=sort)


def test_agency_summary_rdflib(index, sr):
    assert index.agency_summary() == sr.agency_summary()


def test_every_measure(index, sx):
    for number in range(1, 67):
        assert index.measure(number) == sx.measure(number), number


@pytest.mark.parametrize("number", [1, 13, 66])
def test_measures_on_rdflib(index, sr, number):
    assert index.measure(number) == sr.measure(number)


def test_unknown_measure(index, both):
    for number in (0, 67, 999):
        with pytest.raises(UnknownMeasure) as expected:
            index.measure(number)
        with pytest.raises(UnknownMeasure) as got:
            both.measure(number)
        assert str(got.value) == str(expected.value)


def test_targets(index, sx):
    assert index.targets() == sx.targets()
    for agency in index.agencies_by_id:
        assert index.targets(agency) == sx.targets(agency), agency


def test_targets_rdflib(index, sr):
    assert index.targets() == sr.targets()
    assert index.targets("jc-yangcheng") == sr.targets("jc-yangcheng")


def test_documents_plans_pairs_sectors(index, both):
    assert index.documents() == both.documents()
    assert index.plans() == both.plans()
    assert index.plan_ids() == both.plan_ids()
    assert index.assignment_pairs() == both.assignment_pairs()
    assert index.sector_counts() == both.sector_counts()


@pytest.mark.parametrize("text", ["电商", "5G", "物流", "Logistics", "CONSUMPTION", "金融", "  养老 ", "zzz-none"])
def test_search(index, both, text):
    assert index.search(text) == both.search(text)


@pytest.mark.parametrize("text", [h for h in HOSTILE if h.strip()])
def test_search_hostile_text(index, both, text):
    """Search text travels as a bound value: no string breaks the query, answers equal the index's."""
    assert index.search(text) == both.search(text)


def test_search_empty(both):
    with pytest.raises(UsageError):
        both.search("   ")


def test_agency_profile(index, sx):
    """Equal but for aliases and members, which RDF keeps unordered: the SPARQL answer sorts them."""
    for agency in index.agencies_by_id:
        want, got = index.agency_profile(agency), sx.agency_profile(agency)
        assert sorted(want.pop("aliases")) == got.pop("aliases")
        assert sorted(want.pop("members"), key=lambda m: m["id"]) == got.pop("members")
        assert want == got, agency


def test_resolve_agency(index, both, ds):
    for agency in ds.agencies.values():
        for name in agency.names:
            assert both.resolve_agency(name) == index.resolve_agency(name)
    for text in ("商务局", "发改委", "Bureau of Commerce", "阳城", "ndrc"):
        assert both.resolve_agency(text) == index.resolve_agency(text)
    for text, error in (("不存在的单位", UnknownAgency), ("商物局", UnknownAgency), ("市", AmbiguousAgency),
                        ("人民政府", AmbiguousAgency), ("bureau", AmbiguousAgency)):
        with pytest.raises(error) as want:
            index.resolve_agency(text)
        with pytest.raises(error) as got:
            both.resolve_agency(text)
        assert (str(got.value), got.value.candidates) == (str(want.value), want.value.candidates)


def test_agencies_by_id_rows(index, sx):
    """The CLI reads agencies_by_id[id]["name"] and ["name_en"]: same columns as the index's rows."""
    assert set(sx.agencies_by_id) == set(index.agencies_by_id)
    for aid, row in index.agencies_by_id.items():
        mine = sx.agencies_by_id[aid]
        assert set(mine) == set(row.keys())
        for key in ("id", "name", "name_en", "full_name", "kind", "note"):
            assert mine[key] == row[key]
        assert sx.agency(aid) is mine
    assert sx.agency("no-such-agency") is None and index.agency("no-such-agency") is None


def test_bad_arguments(sx):
    with pytest.raises(UsageError):
        sx.measures_by_agency("jc-commerce", "boss")
    with pytest.raises(UsageError):
        sx.agency_summary(sort="size")
    assert sx.measures_by_agency("no-such-agency") == []


def test_small_dataset(small_dataset, tmp_path):
    """The hand-made dataset of the conftest: joint leads (负责 only) and 负责 beside 牵头."""
    from policykg.query.index import _SCHEMA, _insert_dataset
    from policykg.query.store import Index
    import sqlite3

    db = sqlite3.connect(":memory:")
    db.executescript(_SCHEMA)
    _insert_dataset(db, small_dataset)
    index = Index(db)
    sparql = SparqlIndex.from_dataset(small_dataset)
    for agency in small_dataset.agencies:
        for role in ROLES:
            for direct in (False, True):
                assert index.measures_by_agency(agency, role, direct) == sparql.measures_by_agency(agency, role, direct)
    for number in (1, 2, 3):
        assert index.measure(number) == sparql.measure(number)
    assert index.targets() == sparql.targets()
    assert index.documents() == sparql.documents()


# --------------------------------------------------------------------------- safe terms


@pytest.mark.parametrize("text", HOSTILE)
def test_sparql_term_round_trips_hostile_strings(engine, text):
    """A literal written by sparql_term is read back as exactly the same string, by either engine."""
    result = engine.query(f"SELECT ?x WHERE {{ BIND({sparql_term(text)} AS ?x) }}")
    assert result.values() == [{"x": text}]


@pytest.mark.parametrize("text", HOSTILE)
def test_bound_values_round_trip(engine, text):
    """Bindings (VALUES text for oxigraph and lists, initBindings for rdflib) keep the value exact."""
    for value in (text, [text]):
        result = engine.query("SELECT ?x WHERE { }", {"x": value})
        assert result.values() == [{"x": text}]


def test_sparql_term_forms():
    assert sparql_term(IRI("https://w3id.org/policykg/id/agency/jc-commerce")) == \
        "<https://w3id.org/policykg/id/agency/jc-commerce>"
    assert sparql_term(URIRef("http://example.org/商务")) == "<http://example.org/商务>"
    assert sparql_term(Literal("商务局", lang="zh")) == '"商务局"@zh'
    assert sparql_term(Literal("1", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer"))) == \
        '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'
    assert sparql_term(Literal("plain")) == '"plain"'
    assert sparql_term(7) == "7" and sparql_term(True) == "true" and sparql_term(False) == "false"
    assert sparql_term(Decimal("8.8")) == '"8.8"^^<http://www.w3.org/2001/XMLSchema#decimal>'
    assert sparql_term(Decimal("1E+3")) == '"1000"^^<http://www.w3.org/2001/XMLSchema#decimal>'
    assert sparql_term(dt.date(2022, 12, 31)) == '"2022-12-31"^^<http://www.w3.org/2001/XMLSchema#date>'
    assert sparql_term('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert sparql_term("\\u0022") == '"\\\\\\U000000750022"'


@pytest.mark.parametrize("iri", ["http://x/a b", "http://x/>", "http://x/<", 'http://x/"', "http://x/{", "http://x/}",
                                 "http://x/|", "http://x/^", "http://x/`", "http://x/\\", "http://x/\n", "", "relative",
                                 "http://x/\x00"])
def test_sparql_term_refuses_bad_iris(iri):
    with pytest.raises(QueryError):
        sparql_term(IRI(iri))


@pytest.mark.parametrize("value", [object(), BNode(), Decimal("NaN"), "\ud800", b"bytes"])
def test_sparql_term_refuses_other_values(value):
    with pytest.raises(QueryError):
        sparql_term(value)


@pytest.mark.parametrize("value,expected", [
    (7, {"type": "literal", "value": "7", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}),
    (Decimal("8.8"), {"type": "literal", "value": "8.8", "datatype": "http://www.w3.org/2001/XMLSchema#decimal"}),
    (dt.date(2022, 8, 4), {"type": "literal", "value": "2022-08-04", "datatype": "http://www.w3.org/2001/XMLSchema#date"}),
    (Literal("商务局", lang="zh"), {"type": "literal", "value": "商务局", "xml:lang": "zh"}),
    (IRI("http://example.org/a"), {"type": "uri", "value": "http://example.org/a"}),
])
def test_typed_bindings_round_trip(engine, value, expected):
    for bound in (value, [value]):
        assert engine.query("SELECT ?x WHERE { }", {"x": bound}).rows == [{"x": expected}]


def test_bind_values_skips_strings_comments_and_iris():
    query = ('PREFIX a: <http://x/a#> # a comment with {\nSELECT (IF(1 < 2, "{", \'}\') AS ?y) '
             '(""" { \\""" """ AS ?z) WHERE { ?s ?p ?o }')
    out = bind_values(query, {"s": IRI("http://x/s")})
    assert out.endswith("WHERE {\nVALUES ?s { <http://x/s> }\n ?s ?p ?o }")
    with pytest.raises(QueryError):
        bind_values("ASK", {"s": 1})
    with pytest.raises(QueryError):
        bind_values("ASK {}", {"not a var": 1})


# --------------------------------------------------------------------------- results


def test_result_json_and_csv(engine):
    result = engine.query('SELECT ?iri ?zh ?num ?plain ?unbound WHERE { '
                          'BIND(<http://example.org/a> AS ?iri) BIND("商务,局\\n\\"x\\""@zh AS ?zh) '
                          'BIND(42 AS ?num) BIND("p" AS ?plain) }')
    doc = json.loads(result.to_json())
    assert doc == {"head": {"vars": ["iri", "zh", "num", "plain", "unbound"]}, "results": {"bindings": [{
        "iri": {"type": "uri", "value": "http://example.org/a"},
        "zh": {"type": "literal", "value": '商务,局\n"x"', "xml:lang": "zh"},
        "num": {"type": "literal", "value": "42", "datatype": "http://www.w3.org/2001/XMLSchema#integer"},
        "plain": {"type": "literal", "value": "p"}}]}}
    text = result.to_csv()
    assert text.startswith("iri,zh,num,plain,unbound\r\n")
    assert list(csv.reader(io.StringIO(text))) == [["iri", "zh", "num", "plain", "unbound"],
                                                   ["http://example.org/a", '商务,局\n"x"', "42", "p", ""]]
    assert Result.from_json(doc).rows == result.rows


def test_ask(engine):
    yes = engine.query("ASK { ?s ?p ?o }")
    assert yes.boolean is True and yes.is_ask
    assert json.loads(yes.to_json()) == {"head": {}, "boolean": True}
    assert yes.to_csv() == "true\r\n"
    assert engine.query("ASK { <http://example.org/none> ?p ?o }").boolean is False


@pytest.mark.parametrize("query", ["CONSTRUCT WHERE { ?s ?p ?o }", "DESCRIBE <http://example.org/a>"])
def test_graph_queries_refused(engine, query):
    with pytest.raises(QueryError, match="CONSTRUCT and DESCRIBE"):
        engine.query(query)


@pytest.mark.parametrize("query", ["SELEC ?s WHERE { ?s ?p ?o }", "SELECT ?s WHERE { ?s ?p }",
                                   "SELECT ?s WHERE { ?s nope:p ?o }", "INSERT DATA { <a:b> <a:c> <a:d> }"])
def test_malformed_queries(engine, query):
    with pytest.raises(QueryError):
        engine.query(query)


def test_local_engine_refuses_other_sources():
    with pytest.raises(UsageError):
        LocalEngine({"not": "a graph"})
