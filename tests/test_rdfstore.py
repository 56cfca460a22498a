"""policykg.query.rdfstore: compiled chunks and the pyoxigraph store, fresh, incremental, damaged, exported."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from policykg import model as m
from policykg.errors import DataError, UsageError
from policykg.graph import compile_graph
from policykg.graph.compile import DEFAULT_BASE_IRI, iter_triples, ntriples_line
from policykg.loader import load
from policykg.query import rdfstore
from policykg.query.rdfstore import (compile_rdf, export_ntriples, export_turtle, graph_iri, open_store, query,
                                     store_path_for, to_rdflib)

ROOT = Path(__file__).resolve().parent.parent
B = DEFAULT_BASE_IRI
PKG_ = "https://w3id.org/policykg/ontology#"
LEADS = (f"PREFIX pkg: <{PKG_}> PREFIX dcterms: <http://purl.org/dc/terms/> "
         "SELECT ?a ?m ?title WHERE { ?m pkg:ledBy ?a ; dcterms:title ?title FILTER(lang(?title) = 'zh') }")


@pytest.fixture(scope="module")
def corpus_master(make_corpus, tmp_path_factory) -> Path:
    """Ten plans of one city: enough for every path of the store (tests/test_corpus.py runs twenty)."""
    return make_corpus(10, tmp_path_factory.mktemp("corpus") / "c10")


@pytest.fixture(scope="module")
def master_expected(corpus_master) -> Counter:
    return expected(corpus_master)


@pytest.fixture
def corpus(corpus_master, tmp_path) -> Path:
    return Path(shutil.copytree(corpus_master, tmp_path / "c10"))


@pytest.fixture
def calls(monkeypatch) -> Counter:
    """Counts of the expensive steps: files compiled (by kind), store bulk loads, graphs loaded one by one."""
    seen: Counter = Counter()
    compile_file, build_store, update_store = rdfstore._compile_file, rdfstore._build_store, rdfstore._update_store

    def counting_compile(job):
        pf, chunk = compile_file(job)
        seen[f"compile:{pf.kind}"] += 1
        seen[f"file:{Path(job[0]).name}"] += 1
        return pf, chunk

    def counting_build(*a, **k):
        seen["bulk"] += 1
        return build_store(*a, **k)

    def counting_update(store, db, base, graphs, documents, want, progress):
        seen["update"] += 1
        seen.update(f"graph:{g}" for g in graphs)
        seen["documents"] += len(documents)
        return update_store(store, db, base, graphs, documents, want, progress)

    monkeypatch.setattr(rdfstore, "_compile_file", counting_compile)
    monkeypatch.setattr(rdfstore, "_build_store", counting_build)
    monkeypatch.setattr(rdfstore, "_update_store", counting_update)
    monkeypatch.setattr(rdfstore, "PARALLEL_MIN_FILES", 10**6)  # compile in this process, where the counter is
    return seen


def plan_file(folder: Path, plan_id: str) -> Path:
    city, name = plan_id.split("-", 1)
    return folder / city / f"{name}.yaml"


def str_triples(triples) -> Counter:
    return Counter((str(t.subject), str(t.predicate), str(t.object)) for t in triples)


def exact(graph) -> Counter:
    """rdflib's triples with every term as written."""
    return str_triples(ox.parse(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES))


def expected(folder, base: str = DEFAULT_BASE_IRI) -> Counter:
    """What a store of ``folder`` must hold: the compiled triples as a pyoxigraph store keeps them.

    Made from the compiler's N-Triples form, which tests/test_corpus.py proves equal
    to rdflib's compile_graph, because it is several times faster.
    """
    store = ox.Store()
    store.load("".join(map(ntriples_line, iter_triples(load(folder), base, "ntriples"))),
               format=ox.RdfFormat.N_TRIPLES)
    return str_triples(store)


def exact_expected(folder) -> Counter:
    """The compiled triples with every term as the compiler wrote it."""
    return str_triples(ox.parse("".join(map(ntriples_line, iter_triples(load(folder), terms="ntriples"))),
                                format=ox.RdfFormat.N_TRIPLES))


def canonical(graph) -> Counter:
    """rdflib's triples as a pyoxigraph store holds them (numbers in canonical form)."""
    store = ox.Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return str_triples(store)


def graph_dump(store, name: str) -> bytes:
    return store.dump(None, ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph_iri(B, name)))


def _edit_first_title(path: Path, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    edited, n = re.subn(r"(\n  - number: 1\n    section: [^\n]+\n    title: )[^\n]+", rf"\g<1>{new}", text, count=1)
    assert n == 1
    path.write_text(edited, encoding="utf-8")


# --------------------------------------------------------------------------- layout


def test_layout_beside_the_index(corpus_master, tmp_path):
    compiled = compile_rdf(corpus_master, tmp_path)
    store = compiled.store()
    names = sorted(os.listdir(tmp_path))
    tag = next(n for n in names if n.endswith(".rdf.sqlite"))[: -len(".rdf.sqlite")]
    assert {f"{tag}.rdf.sqlite", f"{tag}.rdf.json", f"{tag}.oxigraph"} <= set(names)
    from policykg.query.index import index_path_for
    assert index_path_for(corpus_master.absolute(), tmp_path).name == f"{tag}.sqlite"
    graphs = {g.value for g in store.named_graphs()}
    assert {graph_iri(B, "shared"), graph_iri(B, "documents"), graph_iri(B, "links")} <= graphs
    assert {graph_iri(B, f"plan/{p}") for p in compiled.plans()} == graphs - {
        graph_iri(B, n) for n in ("shared", "documents", "links")}
    assert len(compiled.plans()) == 10 and compiled.triples() == len(store)


def test_default_base_iri_is_the_compilers():
    from policykg.graph import compile as compile_module

    assert rdfstore.DEFAULT_BASE_IRI == compile_module.DEFAULT_BASE_IRI


def test_graph_names_are_push_names():
    from policykg.push import graph_names

    name = graph_names(None, B)
    assert [name(n) for n in ("shared", "documents", "links")] == [graph_iri(B, n) for n in ("shared", "documents", "links")]
    assert name("plan", "x") == graph_iri(B, "plan/x")


def test_store_of_the_embedded_plan(shipped_dataset):
    store = open_store()
    assert canonical(compile_graph(shipped_dataset)) == str_triples(store)


def test_other_base_iri_has_its_own_cache(corpus_master, tmp_path):
    base = "http://example.org/id/"
    store = open_store(corpus_master, tmp_path, base_iri=base)
    assert store_path_for(corpus_master, tmp_path, base) != store_path_for(corpus_master, tmp_path)
    assert all(q.subject.value.startswith(base) for q in store)
    assert expected(corpus_master, base) == str_triples(store)
    with pytest.raises(UsageError):
        open_store(corpus_master, tmp_path, base_iri="not an iri")


# --------------------------------------------------------------------------- freshness


def test_nothing_changed_does_no_work(corpus_master, tmp_path, calls):
    open_store(corpus_master, tmp_path)
    marks = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if p.is_file()}
    calls.clear()
    progress = []
    open_store(corpus_master, tmp_path, progress=lambda *a: progress.append(a))
    assert not calls and not progress
    assert marks == {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if p.is_file()}


def test_touched_but_unchanged_is_not_recompiled(corpus, tmp_path, calls):
    open_store(corpus, tmp_path)
    target = next(corpus.glob("c001/20*.yaml"))
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 10**9))
    calls.clear()
    open_store(corpus, tmp_path)
    assert not calls  # hashed, found equal, recorded


def test_one_plan_edited_recompiles_and_reloads_only_that_plan(corpus, tmp_path, calls):
    store = open_store(corpus, tmp_path)
    ds = load(corpus)
    target = ds.plans[5].id
    before = {p.id: graph_dump(store, f"plan/{p.id}") for p in ds.plans}
    del store
    _edit_first_title(plan_file(corpus, target), "只改这一条")
    calls.clear()
    store = open_store(corpus, tmp_path)
    assert calls["compile:plan"] == 1 and calls[f"file:{plan_file(corpus, target).name}"] == 1
    assert calls["bulk"] == 0 and calls["update"] == 1
    assert {g for g in calls if g.startswith("graph:plan/")} == {f"graph:plan/{target}"}
    after = {p.id: graph_dump(store, f"plan/{p.id}") for p in ds.plans}
    assert [p for p in before if before[p] != after[p]] == [target]
    assert "只改这一条" in after[target].decode()
    assert expected(corpus) == str_triples(store)


def test_authority_edit_reloads_only_the_shared_graph(corpus, tmp_path, calls):
    open_store(corpus, tmp_path)
    authority = corpus / "c001" / "agencies.yaml"
    text = authority.read_text(encoding="utf-8")
    authority.write_text(text.replace("Municipal Bureau of Commerce", "Municipal Commerce Bureau", 1), encoding="utf-8")
    calls.clear()
    store = open_store(corpus, tmp_path)
    assert calls["compile:plan"] == 0 and calls["compile:agencies"] == 1
    assert calls["bulk"] == 0 and {g for g in calls if g.startswith("graph:")} == {"graph:shared"}
    assert expected(corpus) == str_triples(store)
    assert query(store, 'ASK { ?a <http://www.w3.org/2004/02/skos/core#prefLabel> '
                        '"Hele Municipal Commerce Bureau"@en }').boolean


def test_authority_edit_that_breaks_a_plan_is_refused(corpus, tmp_path):
    open_store(corpus, tmp_path)
    authority = corpus / "c001" / "agencies.yaml"
    text = authority.read_text(encoding="utf-8")
    authority.write_text(text.replace("id: c001-commerce\n", "id: c001-trade\n"), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        open_store(corpus, tmp_path)
    assert "c001-commerce" in str(caught.value)
    authority.write_text(text, encoding="utf-8")
    assert expected(corpus) == str_triples(open_store(corpus, tmp_path))


def test_invalid_plan_edit_is_refused_and_leaves_the_cache_intact(corpus, tmp_path, calls):
    store = open_store(corpus, tmp_path)
    expected = str_triples(store)
    del store
    path = sorted(corpus.glob("c001/20*.yaml"))[1]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("role: 牵头", "role: 领导", 1), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        open_store(corpus, tmp_path)
    assert str(path) in str(caught.value)
    path.write_text(text, encoding="utf-8")
    calls.clear()
    store = open_store(corpus, tmp_path)
    assert calls["compile:plan"] == 0 and calls["bulk"] == 0  # content as compiled: nothing to redo
    assert str_triples(store) == expected


def test_unknown_agency_in_an_edited_plan_is_named(corpus, tmp_path):
    open_store(corpus, tmp_path)
    path = next(corpus.glob("c001/20*.yaml"))
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("agency: c001-commerce,", "agency: c001-commerse,", 1), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        open_store(corpus, tmp_path)
    assert "unknown agency id 'c001-commerse'" in str(caught.value) and "did you mean" in str(caught.value)


def test_added_and_removed_plans(corpus, tmp_path, calls):
    open_store(corpus, tmp_path)
    ds = load(corpus)
    gone = ds.plans[0]
    moved = plan_file(corpus, gone.id).rename(corpus / "aside.txt")
    calls.clear()
    store = open_store(corpus, tmp_path)
    assert calls["compile:plan"] == 0 and calls["bulk"] == 0
    assert not store.contains_named_graph(ox.NamedNode(graph_iri(B, f"plan/{gone.id}")))
    assert expected(corpus) == str_triples(store)
    moved.rename(plan_file(corpus, gone.id))
    calls.clear()
    store = open_store(corpus, tmp_path)
    assert calls["compile:plan"] == 1
    assert expected(corpus) == str_triples(store)


def test_a_document_edited_where_first_registered(corpus, tmp_path):
    open_store(corpus, tmp_path)
    ds = load(corpus)
    registrants = {}
    for p in ds.plans:
        for d in p.documents:
            registrants.setdefault(d.id, []).append(p)
    doc_id, plans = next((d, ps) for d, ps in registrants.items() if len(ps) > 1 and ds.documents()[d].title)
    first, title = plans[0], ds.documents()[doc_id].title
    path = Path(first.source)
    path.write_text(path.read_text(encoding="utf-8").replace(f"title: {title}", "title: 改过的文件标题", 1),
                    encoding="utf-8")
    store = open_store(corpus, tmp_path)
    assert expected(corpus) == str_triples(store)
    path.unlink()  # now the next registrant defines it again
    store = open_store(corpus, tmp_path)
    assert expected(corpus) == str_triples(store)


def test_many_changes_bulk_load_the_store_afresh(corpus, tmp_path, calls):
    open_store(corpus, tmp_path)
    for path in sorted(corpus.glob("c00*/20*.yaml"))[:5]:
        _edit_first_title(path, "大面积改动")
    calls.clear()
    store = open_store(corpus, tmp_path)
    assert calls["compile:plan"] == 5 and calls["bulk"] == 1 and calls["update"] == 0
    assert expected(corpus) == str_triples(store)


# --------------------------------------------------------------------------- damage


def _overwrite_middle(path: Path, size: int = 4096) -> None:
    with open(path, "r+b") as fh:
        fh.seek(path.stat().st_size // 2)
        fh.write(b"\xa5" * size)


def test_damaged_store_is_rebuilt_from_the_chunks(corpus_master, tmp_path, calls, master_expected):
    open_store(corpus_master, tmp_path)
    folder = store_path_for(corpus_master, tmp_path)
    _overwrite_middle(max(folder.glob("*.sst"), key=lambda p: p.stat().st_size))
    calls.clear()
    store = open_store(corpus_master, tmp_path)
    assert calls["bulk"] == 1 and calls["compile:plan"] == 0  # no YAML read again
    assert master_expected == str_triples(store)


def test_missing_store_file_is_rebuilt(corpus_master, tmp_path, master_expected):
    open_store(corpus_master, tmp_path)
    folder = store_path_for(corpus_master, tmp_path)
    (folder / "CURRENT").unlink()
    assert master_expected == str_triples(open_store(corpus_master, tmp_path))


def test_damaged_chunks_are_rebuilt_and_the_store_kept(corpus_master, tmp_path, calls, master_expected):
    open_store(corpus_master, tmp_path)
    db = next(tmp_path.glob("*.rdf.sqlite"))
    _overwrite_middle(db)
    calls.clear()
    store = open_store(corpus_master, tmp_path)
    assert calls["compile:plan"] == 10  # chunks compiled again
    assert calls["bulk"] == 0 and calls["update"] == 0  # same digests: the store was right all along
    assert master_expected == str_triples(store)


@pytest.mark.parametrize("damage", ["garbage", "other version", "deleted"])
def test_damaged_sidecar_means_rebuild(corpus_master, tmp_path, damage, master_expected):
    open_store(corpus_master, tmp_path)
    sidecar = next(tmp_path.glob("*.rdf.json"))
    if damage == "garbage":
        sidecar.write_bytes(b"\x00{not json")
    elif damage == "other version":
        sidecar.write_text(sidecar.read_text().replace(rdfstore._version(), "0/0"))
    else:
        sidecar.unlink()
    assert master_expected == str_triples(open_store(corpus_master, tmp_path))


def test_small_store_damaged_behind_our_back_is_found(shipped_dataset, tmp_path):
    """Bytes changed and the mtime put back: a store this small is read in full on open, and checksums fail."""
    open_store(None, tmp_path)
    folder = store_path_for(ROOT / "data", tmp_path)
    assert sum(p.stat().st_size for p in folder.iterdir()) <= rdfstore.FULL_CHECK_MAX_BYTES
    victim = max(folder.glob("*.sst"), key=lambda p: p.stat().st_size)
    st = victim.stat()
    _overwrite_middle(victim, 256)
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    store = open_store(None, tmp_path)
    assert canonical(compile_graph(shipped_dataset)) == str_triples(store)


def test_unwritable_cache_answers_from_memory(corpus_master, tmp_path, master_expected):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    store = open_store(corpus_master, blocker)
    assert master_expected == str_triples(store)
    buffer = io.BytesIO()
    compile_rdf(corpus_master, blocker).export_turtle(buffer)
    assert buffer.getvalue().startswith(b"@prefix")


def test_parallel_builders_build_once_and_agree(corpus_master, tmp_path, master_expected):
    code = ("import sys; from policykg.query.rdfstore import open_store; "
            "print(len(open_store(sys.argv[1], sys.argv[2])))")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = [subprocess.Popen([sys.executable, "-c", code, str(corpus_master), str(tmp_path)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [r.communicate(timeout=600) for r in runs]
    assert all(r.returncode == 0 for r in runs), [o[1] for o in outs]
    assert len({o[0] for o in outs}) == 1 and int(outs[0][0]) == sum(master_expected.values())


# --------------------------------------------------------------------------- exports


def test_turtle_export_is_the_compiled_graph_term_for_term(corpus_master, tmp_path):
    buffer = io.BytesIO()
    count = export_turtle(buffer, corpus_master, tmp_path)
    graph = compile_graph(load(corpus_master))
    parsed = str_triples(ox.parse(buffer.getvalue(), format=ox.RdfFormat.TURTLE))
    assert parsed == exact(graph) and count == len(graph)  # positiveInteger and 1800.0 kept as compiled
    from rdflib import Graph
    from rdflib.compare import isomorphic

    assert isomorphic(Graph().parse(data=buffer.getvalue().decode(), format="turtle"), graph)


@pytest.mark.skipif(shutil.which("rapper") is None, reason="rapper (raptor2-utils) not installed")
def test_turtle_export_reads_in_rapper(corpus_master, tmp_path, master_expected):
    out = tmp_path / "c.ttl"
    with open(out, "wb") as fh:
        export_turtle(fh, corpus_master, tmp_path)
    run = subprocess.run(["rapper", "-i", "turtle", "-c", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert f"returned {sum(master_expected.values())} triples" in run.stderr


def test_ntriples_export_is_the_compiled_graph(corpus_master, tmp_path):
    buffer = io.BytesIO()
    count = export_ntriples(buffer, corpus_master, tmp_path)
    assert str_triples(ox.parse(buffer.getvalue(), format=ox.RdfFormat.N_TRIPLES)) == exact_expected(corpus_master)
    lines = buffer.getvalue().split(b"\n")
    assert lines[-1] == b"" and lines[:-1] == sorted(set(lines[:-1])) and count == len(lines) - 1


def test_ntriples_export_is_the_exporters_byte_for_byte(corpus_master, tmp_path):
    """Merged from the chunks, the lines are those the N-Triples exporter writes from the YAML: same bytes."""
    from policykg.exporters import export

    buffer = io.BytesIO()
    compile_rdf(corpus_master, tmp_path).export_ntriples(buffer)
    assert buffer.getvalue() == export(load(corpus_master), "nt")


EXTRA_PREFIXES = {"ex": "https://example.org/ns#", "pkg": "https://example.org/not-pkg#",
                  "other": "https://w3id.org/policykg/ontology#", "unused": "https://example.org/unused/"}
EXTRA = [("<https://example.org/ns#Thing>", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>",
          "<https://w3id.org/policykg/ontology#Class>"),
         ("<https://example.org/ns#Thing>", "<https://example.org/ns#label>", '"thing"@en'),
         ("<https://w3id.org/policykg/ontology#Measure>", "<https://example.org/ns#seeAlso>", "_:b0")]


def test_exports_with_extra_triples(corpus_master, tmp_path):
    """Extra triples (the CLI's --with-ontology) join the export, their prefixes in the one header."""
    compiled = compile_rdf(corpus_master, tmp_path)
    ttl, nt = io.BytesIO(), io.BytesIO()
    count = compiled.export_turtle(ttl, extra=EXTRA, extra_prefixes=EXTRA_PREFIXES)
    assert count == compiled.triples() + len(EXTRA)
    text = ttl.getvalue().decode("utf-8")
    head, body = text.split("\n\n", 1)
    assert "@prefix ex: <https://example.org/ns#> ." in head.splitlines()
    assert "@prefix" not in body and "unused" not in head and "not-pkg" not in head and "other:" not in head
    assert "ex:Thing\n    a pkg:Class ;\n    ex:label \"thing\"@en ." in body  # clashing names left out
    wanted = exact_expected(corpus_master) + str_triples(ox.parse("".join(f"{s} {p} {o} .\n" for s, p, o in EXTRA),
                                                                  format=ox.RdfFormat.N_TRIPLES))
    got = ox.parse(ttl.getvalue(), format=ox.RdfFormat.TURTLE)
    assert Counter(t for t in str_triples(got) if not t[2].startswith("_:")) == \
        Counter(t for t in wanted if not t[2].startswith("_:"))
    compiled.export_ntriples(nt, extra=EXTRA + EXTRA[:1])  # a duplicate is written once
    lines = nt.getvalue().decode("utf-8").splitlines()
    assert lines == sorted(set(lines)) and len(lines) == compiled.triples() + len(EXTRA)
    assert "<https://example.org/ns#Thing> <https://example.org/ns#label> \"thing\"@en ." in lines
    assert "<https://w3id.org/policykg/ontology#Measure> <https://example.org/ns#seeAlso> _:b0 ." in lines


def test_merge_blocks_merges_sorted_runs_opening_each_when_reached():
    from policykg.graph.turtle import merge_blocks, triple_blocks

    opened = []

    def run(name, triples):
        rows = sorted(triples)

        def blocks():
            opened.append(name)
            return triple_blocks(rows)
        return rows[0][0], blocks

    a = run("a", [("<a1>", "<p>", '"x"'), ("<a1>", "<q>", '"y"'), ("<z9>", "<p>", '"last"')])
    b = run("b", [("<m1>", "<p>", '"m"'), ("<m2>", "<p>", '"m"')])
    c = run("c", [("<a1>", "<p>", '"x"'), ("<a1>", "<p>", '"w"'), ("<m3>", "<p>", '"m"')])  # shares a subject with a
    d = run("d", [("<y1>", "<p>", '"y"')])
    merged = merge_blocks([d, b, a, c])
    assert next(merged) == '<a1> <p> "w" .\n<a1> <p> "x" .\n<a1> <q> "y" .\n'  # merged, "x" once
    assert sorted(opened) == ["a", "c"]  # b and d start later: not read yet
    rest = "".join(merged)
    assert opened[2:] == ["b", "d"]
    assert rest == ('<m1> <p> "m" .\n<m2> <p> "m" .\n<m3> <p> "m" .\n<y1> <p> "y" .\n'
                    '<z9> <p> "last" .\n')
    with pytest.raises(ValueError, match="not sorted"):
        list(merge_blocks([("<b>", lambda: iter([("<b>", "<b> <p> <o> .\n"), ("<a>", "<a> <p> <o> .\n")]))]))
    with pytest.raises(ValueError, match="starts at"):
        list(merge_blocks([("<a>", lambda: iter([("<b>", "<b> <p> <o> .\n")]))]))




def test_exports_are_byte_stable_whatever_the_history(corpus, tmp_path):
    target = plan_file(corpus, load(corpus).plans[2].id)
    text = target.read_text(encoding="utf-8")
    _edit_first_title(target, "临时改动")
    open_store(corpus, tmp_path / "b")          # b: built from the edited data …
    target.write_text(text, encoding="utf-8")   # … then updated back to the original
    outputs = {}
    for cache in ("a", "b"):
        ttl, nt = io.BytesIO(), io.BytesIO()
        export_turtle(ttl, corpus, tmp_path / cache)
        export_ntriples(nt, corpus, tmp_path / cache)
        outputs[cache] = (ttl.getvalue(), nt.getvalue())
    assert outputs["a"] == outputs["b"]


def test_to_rdflib_whole_and_a_selection(corpus_master, tmp_path):
    ds = load(corpus_master)
    assert exact(to_rdflib(corpus_master, cache_dir=tmp_path)) == exact(compile_graph(ds))
    chosen = (ds.plans[1], ds.plans[4])
    part = to_rdflib(corpus_master, [p.id for p in chosen], cache_dir=tmp_path)
    assert exact(part) == exact(compile_graph(m.Dataset(chosen, ds.agencies, ds.sectors)))
    with pytest.raises(UsageError):
        to_rdflib(corpus_master, ["no-such-plan"], cache_dir=tmp_path)


def test_graph_bodies_for_push(corpus_master, tmp_path):
    compiled = compile_rdf(corpus_master, tmp_path)
    total = 0
    for iri, count, body in compiled.graphs():
        assert iri.startswith(f"{B}graph/")
        assert len(list(ox.parse(body, format=ox.RdfFormat.TURTLE))) == count
        total += count
    assert total == compiled.triples()


def test_store_writes_numbers_canonically_exports_do_not(corpus_master, tmp_path):
    """pyoxigraph keeps values: the store answers xsd:integer and 1800; the chunks keep the compiler's terms."""
    store = open_store(corpus_master, tmp_path)
    kinds = {r["d"] for r in query(store, f"PREFIX pkg: <{PKG_}> SELECT DISTINCT (DATATYPE(?n) AS ?d) "
                                          "WHERE { ?m pkg:measureNumber ?n }").values()}
    assert kinds == {"http://www.w3.org/2001/XMLSchema#integer"}
    buffer = io.BytesIO()
    compile_rdf(corpus_master, tmp_path).export_turtle(buffer)
    assert b'pkg:measureNumber "1"^^xsd:positiveInteger' in buffer.getvalue()


# --------------------------------------------------------------------------- progress


def test_progress_reports_compile_and_load(corpus_master, tmp_path):
    seen = []
    open_store(corpus_master, tmp_path, progress=lambda done, total, stage: seen.append((done, total, stage)))
    compiled = [s for s in seen if s[2] == "compile"]
    loaded = [s for s in seen if s[2] == "load"]
    from policykg.sources import discover
    assert compiled[-1][0] == compiled[-1][1] == len(discover(corpus_master))  # plans, authority, sector scheme
    assert loaded and loaded[-1][0] == loaded[-1][1]
    assert [s[0] for s in compiled] == sorted(s[0] for s in compiled)
