"""A corpus of plans: the graph in parts, links between plans, and the index and store agreeing with rdflib.

Runs on a 20-plan corpus written by ``bench/make_corpus.py`` into a temporary
folder.  The reference for every answer is plain rdflib SPARQL over
``compile_graph(load(DIR))``; the SQLite index (``open_index``) and the
pyoxigraph store (``open_store``) must agree with it after a cold build, after
a plan is edited or deleted, and after their cache files are damaged.
"""
from __future__ import annotations

import re
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from policykg.graph import compile_graph
from policykg.graph.compile import (DEFAULT_BASE_IRI, document_number_key, iter_authority_triples,
                                    iter_document_triples, iter_link_triples, iter_plan_triples,
                                    iter_shared_triples, iter_triples, ntriples_line, plan_links)
from policykg.loader import load
from policykg.ontology import PKG, RDF
from policykg.query.index import index_path_for, open_index
from policykg.query.rdfstore import open_store, query, store_path_for
from policykg.query.sparql import IRI, LocalEngine

ROOT = Path(__file__).resolve().parent.parent
B = DEFAULT_BASE_IRI
PREFIXES = ("PREFIX pkg: <https://w3id.org/policykg/ontology#>\n"
            "PREFIX eli: <http://data.europa.eu/eli/ontology#>\n"
            "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
            "PREFIX schema: <https://schema.org/>\n")


@pytest.fixture(scope="module")
def corpus_master(make_corpus, tmp_path_factory) -> Path:
    return make_corpus(20, tmp_path_factory.mktemp("corpus") / "c20")


@pytest.fixture(scope="module")
def dataset(corpus_master):
    return load(corpus_master)


@pytest.fixture(scope="module")
def reference(dataset) -> LocalEngine:
    """Plain rdflib SPARQL over the whole compiled graph: what every answer is checked against."""
    return LocalEngine(compile_graph(dataset), "rdflib")


@pytest.fixture
def corpus(corpus_master, tmp_path) -> Path:
    """A private copy of the corpus, free to edit."""
    return Path(shutil.copytree(corpus_master, tmp_path / "c20"))


def plan_file(folder: Path, plan_id: str) -> Path:
    city, name = plan_id.split("-", 1)
    return folder / city / f"{name}.yaml"


def str_triples(triples) -> list[tuple[str, str, str]]:
    return [(str(t.subject), str(t.predicate), str(t.object)) for t in triples]


def exact_triples(graph) -> Counter:
    """A graph's triples in N-Triples form, every term exactly as written (no canonical numbers)."""
    return Counter(str_triples(ox.parse(graph.serialize(format="nt", encoding="utf-8"),
                                        format=ox.RdfFormat.N_TRIPLES)))


def graph_triples(graph) -> Counter:
    """A graph's triples as a pyoxigraph store holds them, so rdflib and store terms compare as text.

    A store keeps numbers in canonical form (xsd:decimal 1800.0 as 1800), so the
    rdflib side goes through a store too.
    """
    store = ox.Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return Counter(str_triples(store))


_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"


def _term(term: dict) -> tuple:
    if term.get("datatype") == _DECIMAL:  # canonical in a store, as written by rdflib
        term = {**term, "value": format(Decimal(term["value"]).normalize(), "f")}
    return tuple(sorted(term.items()))


def store_triples(store) -> Counter:
    return Counter(str_triples(store))


def rows(result) -> list:
    """Solutions as sorted, hashable tuples, numbers compared by value."""
    return sorted(tuple(sorted((k, _term(v)) for k, v in row.items())) for row in result.rows)


# --------------------------------------------------------------------------- the graph in parts


def test_iter_triples_is_the_parts_each_once(dataset):
    whole = list(iter_triples(dataset))
    parts = [*iter_authority_triples(dataset), *iter_document_triples(dataset.documents().values()),
             *(t for p in dataset.plans for t in iter_plan_triples(p)), *iter_link_triples(dataset)]
    assert whole == parts
    assert len(set(whole)) == len(whole)
    assert list(iter_shared_triples(dataset)) == [*iter_authority_triples(dataset),
                                                   *iter_document_triples(dataset.documents().values())]


def test_plan_triples_stay_under_the_plan_iri(dataset):
    """What a store removes by plan is exactly a plan's part: every subject under its IRI."""
    for plan in dataset.plans[:5]:
        root = f"{B}plan/{plan.id}"
        for s, _, _ in iter_plan_triples(plan):
            assert str(s) == root or s.startswith(root + "/")


def test_ntriples_form_is_the_rdflib_form(dataset):
    ours = Counter(str_triples(ox.parse("".join(map(ntriples_line, iter_triples(dataset, terms="ntriples"))),
                                        format=ox.RdfFormat.N_TRIPLES)))
    assert ours == exact_triples(compile_graph(dataset))


def test_ntriples_escapes_what_it_must():
    from policykg.graph.compile import _NTriplesForm as nt

    literal = nt.lang('a "quoted" back\\slash\nnew\tline\x01', "zh")
    assert literal == '"a \\"quoted\\" back\\\\slash\\nnew\\tline\\u0001"@zh'
    parsed = list(ox.parse(f"<http://x/s> <http://x/p> {literal} .\n", format=ox.RdfFormat.N_TRIPLES))
    assert parsed[0].object.value == 'a "quoted" back\\slash\nnew\tline\x01'


def test_unknown_term_form_is_refused(dataset):
    from policykg.errors import UsageError

    with pytest.raises(UsageError):
        list(iter_triples(dataset, terms="turtle"))


# --------------------------------------------------------------------------- links between plans


def test_links_when_both_plans_are_loaded(dataset):
    links = plan_links(dataset)
    assert links, "the corpus repeals and cites plans of its own"
    numbers = {p.id: p.number for p in dataset.plans}
    documents = dataset.documents()
    for doc_id, plan_id in links:
        assert document_number_key(documents[doc_id].number) == document_number_key(numbers[plan_id])
    graph = compile_graph(dataset)
    assert sorted((str(s), str(o)) for s, o in graph.subject_objects(PKG.resolvesTo)) == \
        [(f"{B}document/{d}", f"{B}plan/{p}") for d, p in links]
    # from (id, number) pairs alone, as a store recomputes them
    pairs = ([(d.id, d.number) for d in documents.values()], [(p.id, p.number) for p in dataset.plans])
    assert list(iter_link_triples(pairs)) == list(iter_link_triples(dataset))


def test_document_numbers_compare_without_spaces_or_bracket_forms():
    assert document_number_key("晋政办发〔2022〕35 号") == document_number_key("晋政办发[2022]35号") == "晋政办发〔2022〕35号"
    assert document_number_key("") is None and document_number_key(None) is None


def test_links_absent_when_the_plan_is_not_loaded(corpus):
    ds = load(corpus)
    doc_id, plan_id = next((d, p) for d, p in plan_links(ds)
                           if any(d in {x.id for x in q.documents} for q in ds.plans if q.id != p))
    plan_file(corpus, plan_id).unlink()
    smaller = load(corpus)
    assert (doc_id, plan_id) not in plan_links(smaller)
    graph = compile_graph(smaller)
    doc = URIRef(f"{B}document/{doc_id}")
    assert list(graph.objects(doc, PKG.resolvesTo)) == []
    assert (doc, RDF.type, PKG.ReferencedDocument) in graph  # still a reference, no longer a link


# --------------------------------------------------------------------------- index and store against rdflib


LEADS = PREFIXES + "SELECT ?a ?m ?title WHERE { ?m pkg:ledBy ?a ; dcterms:title ?title FILTER(lang(?title) = 'zh') }"
TARGETS = PREFIXES + ("SELECT ?m ?indicator ?value ?deadline WHERE { ?m pkg:target ?t . ?t pkg:indicator ?indicator "
                      "FILTER(lang(?indicator) = 'en') OPTIONAL { ?t schema:value ?value } "
                      "OPTIONAL { ?t pkg:deadline ?deadline } }")
REFERENCES = PREFIXES + ("SELECT ?x ?rel ?d ?number ?plan WHERE { ?x ?rel ?d . ?d a pkg:ReferencedDocument "
                         "OPTIONAL { ?d dcterms:identifier ?number } OPTIONAL { ?d pkg:resolvesTo ?plan } }")
COUNTS = PREFIXES + ("SELECT ?a (COUNT(?m) AS ?n) WHERE { ?m pkg:supportedBy ?a } GROUP BY ?a")
ONE_AGENCY = PREFIXES + "SELECT ?m ?role WHERE { ?m pkg:assignment ?x . ?x pkg:agency ?a ; pkg:role ?role }"


@pytest.mark.parametrize("sparql", [LEADS, TARGETS, REFERENCES, COUNTS], ids=["leads", "targets", "references", "counts"])
def test_store_answers_equal_rdflib(corpus_master, reference, sparql):
    store = open_store(corpus_master)
    ours, theirs = query(store, sparql), reference.query(sparql)
    assert rows(ours) == rows(theirs) and len(ours) > 0


def test_store_answers_equal_rdflib_for_every_agency(corpus_master, dataset, reference):
    store = open_store(corpus_master)
    agencies = sorted(dataset.agencies)
    for agency in agencies[::7]:
        bindings = {"a": IRI(f"{B}agency/{agency}")}
        assert rows(query(store, ONE_AGENCY, bindings)) == rows(reference.query(ONE_AGENCY, bindings)), agency


def test_store_holds_exactly_the_compiled_graph(corpus_master, dataset):
    store = open_store(corpus_master)
    ours = store_triples(store)
    assert ours == graph_triples(compile_graph(dataset))
    assert max(ours.values()) == 1  # no triple in two graphs: union answers have no duplicates


def _index_leads(index, agencies, role):
    return {a: sorted(f"{r['plan']}/{r['number']}" for r in index.measures_by_agency(a, role, direct=True))
            for a in agencies}


def _store_leads(store, agencies, role):
    prop = {"lead": "ledBy", "support": "supportedBy"}[role]
    found: dict[str, list[str]] = {a: [] for a in agencies}
    for row in query(store, PREFIXES + f"SELECT ?a ?id WHERE {{ ?m pkg:{prop} ?a ; pkg:id ?id }}").values():
        found.setdefault(row["a"][len(f"{B}agency/"):], []).append(row["id"])
    return {a: sorted(found[a]) for a in agencies}


@pytest.mark.parametrize("role", ["lead", "support"])
def test_index_answers_equal_store(corpus_master, dataset, role):
    index, store = open_index(corpus_master), open_store(corpus_master)
    agencies = sorted(dataset.agencies)
    expected = _store_leads(store, agencies, role)
    assert _index_leads(index, agencies, role) == expected
    assert sum(map(len, expected.values())) > 100


# --------------------------------------------------------------------------- edits, deletions, damage


def _edit_first_title(path: Path, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    edited, n = re.subn(r"(\n  - number: 1\n    section: [^\n]+\n    title: )[^\n]+", rf"\g<1>{new}", text, count=1)
    assert n == 1
    path.write_text(edited, encoding="utf-8")


def answers_by_plan(result) -> dict[str, set]:
    out: dict[str, set] = {}
    for row in result.values():
        plan = row["m"].split("/plan/")[1].split("/")[0]
        out.setdefault(plan, set()).add(tuple(sorted(row.items())))
    return out


def test_editing_one_plan_changes_exactly_its_answers(corpus):
    ds = load(corpus)
    index, store = open_index(corpus), open_store(corpus)
    before = answers_by_plan(query(store, LEADS))
    target = ds.plans[7].id
    before_index = index.measures_by_agency(ds.plans[7].measures[0].assignments[0].agency, "any")
    index.close()
    _edit_first_title(plan_file(corpus, target), "改写后的措施标题")
    index, store = open_index(corpus), open_store(corpus)
    after = answers_by_plan(query(store, LEADS))
    assert {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)} == {target}
    assert rows(query(store, LEADS)) == rows(LocalEngine(compile_graph(load(corpus))).query(LEADS))
    after_index = index.measures_by_agency(ds.plans[7].measures[0].assignments[0].agency, "any")
    assert [(r["plan"], r["number"], r["title"]) for r in after_index if r["plan"] != target] == \
        [(r["plan"], r["number"], r["title"]) for r in before_index if r["plan"] != target]
    assert "改写后的措施标题" in {r["title"] for r in after_index if r["plan"] == target}
    agencies = sorted(ds.agencies)
    assert _index_leads(index, agencies, "lead") == _store_leads(store, agencies, "lead")


def test_deleting_a_plan_removes_its_measures(corpus):
    ds = load(corpus)
    open_index(corpus), open_store(corpus)
    gone = ds.plans[3]
    plan_file(corpus, gone.id).unlink()
    index, store = open_index(corpus), open_store(corpus)
    assert gone.id not in index.plan_ids()
    for agency in {a.agency for m in gone.measures for a in m.assignments}:
        assert all(r["plan"] != gone.id for r in index.measures_by_agency(agency, "any"))
    assert not store.contains_named_graph(ox.NamedNode(f"{B}graph/plan/{gone.id}"))
    leftovers = [q for q in store if q.subject.value.startswith(f"{B}plan/{gone.id}/")]
    assert leftovers == []
    assert store_triples(store) == graph_triples(compile_graph(load(corpus)))


def test_store_links_follow_the_plans_loaded(corpus):
    ds = load(corpus)
    doc_id, plan_id = next((d, p) for d, p in plan_links(ds)
                           if any(d in {x.id for x in q.documents} for q in ds.plans if q.id != p))
    ask = PREFIXES + f"ASK {{ <{B}document/{doc_id}> pkg:resolvesTo <{B}plan/{plan_id}> }}"
    assert query(open_store(corpus), ask).boolean
    text = plan_file(corpus, plan_id).read_text(encoding="utf-8")
    plan_file(corpus, plan_id).unlink()
    store = open_store(corpus)
    assert not query(store, ask).boolean
    assert query(store, PREFIXES + f"ASK {{ <{B}document/{doc_id}> a pkg:ReferencedDocument }}").boolean
    plan_file(corpus, plan_id).write_text(text, encoding="utf-8")
    assert query(open_store(corpus), ask).boolean


def _overwrite_middle(path: Path, size: int = 64) -> None:
    with open(path, "r+b") as fh:
        fh.seek(max(0, path.stat().st_size // 2))
        fh.write(b"\xa5" * size)


def test_corrupt_index_is_rebuilt_not_served(corpus_master):
    index = open_index(corpus_master)
    expected = index.measures_by_agency("c001-commerce", "any")
    index.close()
    path = index_path_for(corpus_master.absolute())
    _overwrite_middle(path, 4096)
    again = open_index(corpus_master)
    assert again.measures_by_agency("c001-commerce", "any") == expected
    assert again.db.execute("PRAGMA quick_check").fetchone()[0] == "ok"


def test_corrupt_store_is_rebuilt_not_served(corpus_master, reference):
    store = open_store(corpus_master)
    del store
    folder = store_path_for(corpus_master.absolute())
    biggest = max(folder.glob("*.sst"), key=lambda p: p.stat().st_size)
    _overwrite_middle(biggest, 4096)
    store = open_store(corpus_master)
    assert rows(query(store, LEADS)) == rows(reference.query(LEADS))
    assert store.dump(None, ox.RdfFormat.N_QUADS)  # every block readable again
