"""The CLI through typer's runner: every command, format and error path."""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policykg import loader
from policykg.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


@pytest.fixture(scope="module")
def ds():
    return loader.load()


def leads_model(ds, agency: str, effective: str) -> list[int]:
    return [m.number for m in ds.plans[0].measures if any(a.agency == agency and a.effective == effective
                                                          for a in m.assignments)]


def test_leads_json_matches_model(ds):
    rows = json.loads(run("leads", "商务局", "--format", "json", "--direct").stdout)
    assert [r["number"] for r in rows] == leads_model(ds, "jc-commerce", "lead")
    assert set(rows[0]) >= {"number", "title", "title_en", "role", "via"}
    assert {r["role"] for r in rows} <= {"lead", "responsible", "support"}
    assert all(r["via"] is None for r in rows)


def test_leads_includes_collective_duties_unless_direct(ds):
    rows = json.loads(run("leads", "阳城县人民政府", "-f", "json").stdout)
    via = {r["number"]: r["via"] for r in rows}
    assert via[11] is None  # named itself in measure 11
    expected_via = leads_model(ds, "jc-counties", "lead")
    assert all(via[n] == "jc-counties" for n in expected_via if n not in (11, 12))
    direct = json.loads(run("leads", "阳城县人民政府", "-f", "json", "--direct").stdout)
    assert [r["number"] for r in direct] == leads_model(ds, "jc-yangcheng", "lead")


@pytest.mark.parametrize("name", ["jc-commerce", "市商务局", "晋城市商务局", "商务局", "Bureau of Commerce",
                                  "bureau of commerce", "ＪＣ－ＣＯＭＭＥＲＣＥ"])
def test_agency_names_as_people_type_them(name):
    rows = json.loads(run("leads", name, "-f", "json").stdout)
    assert rows and rows[0]["number"] == 2


def test_role_switch(ds):
    support = json.loads(run("leads", "商务局", "--role", "support", "-f", "json", "--direct").stdout)
    assert [r["number"] for r in support] == leads_model(ds, "jc-commerce", "support")
    every = json.loads(run("leads", "商务局", "--role", "any", "-f", "json", "--direct").stdout)
    assert len(every) == len(support) + len(leads_model(ds, "jc-commerce", "lead"))


def test_leads_table_and_csv():
    table = run("leads", "发改委").stdout
    assert "全面落实服务业普惠性纾困扶持措施" in table and "负责" in table
    en = run("--lang", "en", "leads", "发改委").stdout
    assert "Fully implement" in en
    rows = list(csv.DictReader(io.StringIO(run("leads", "发改委", "-f", "csv").stdout)))
    assert rows[0]["number"] == "1" and rows[0]["role"] == "responsible"


def test_unknown_and_ambiguous_agency_one_line():
    r = run("leads", "市商局", ok=False)
    assert r.exit_code == 2
    assert r.stderr.strip().count("\n") == 0
    assert "did you mean 市商务局" in r.stderr
    r = run("leads", "人民政府", ok=False)
    assert r.exit_code == 2 and "matches" in r.stderr and "jc-yangcheng" in r.stderr


@pytest.mark.parametrize("hostile", ['" } ; DROP', "x') OR 1=1 --", "{{}}\\", "?s ?p ?o", "%", "_"])
def test_hostile_agency_and_search_text_is_data(ds, hostile):
    r = run("leads", hostile, ok=False)
    assert r.exit_code == 2 and "Traceback" not in r.output
    rows = json.loads(run("search", hostile, "-f", "json").stdout)
    literal = [m.number for m in ds.plans[0].measures
               if hostile.lower() in (m.title + m.title_en + m.body).lower()]
    assert [r["number"] for r in rows] == literal  # wildcards match only themselves


def test_agency_profile(ds):
    p = json.loads(run("agency", "阳城", "-f", "json").stdout)
    assert p["id"] == "jc-yangcheng" and p["kind"] == "county_government"
    assert [c["id"] for c in p["member_of"]] == ["jc-counties"]
    assert p["counts"]["lead"] == len(p["lead"])
    out = run("agency", "商务局").stdout
    assert "Jincheng Municipal Bureau of Commerce" in out and "shares most measures with" in out


def test_agencies_counts(ds):
    rows = json.loads(run("agencies", "-f", "json").stdout)
    assert set(rows[0]) == {"id", "name", "name_en", "kind", "lead", "support", "total"}
    by_id = {r["id"]: r for r in rows}
    for aid in ds.agencies:
        assert by_id[aid]["lead"] == len(leads_model(ds, aid, "lead"))
        assert by_id[aid]["support"] == len(leads_model(ds, aid, "support"))
    assert [r["total"] for r in rows] == sorted((r["total"] for r in rows), reverse=True)
    names = [r["id"] for r in json.loads(run("agencies", "--sort", "id", "-f", "json").stdout)]
    assert names == sorted(names)


def test_measure_json_shape(ds):
    m = json.loads(run("measure", "13", "-f", "json").stdout)
    assert {"number", "title", "title_en", "section", "sector", "agencies", "documents", "targets"} <= set(m)
    assert [(a["id"], a["role"], a["position"], a["effective"]) for a in m["agencies"]] == [
        (a.agency, a.role_en, a.position, a.effective) for a in ds.plans[0].measure(13).assignments]
    assert set(m["agencies"][0]) >= {"id", "name", "name_en", "role", "position", "effective"}
    m1 = json.loads(run("measure", "1", "-f", "json").stdout)
    assert {d["number"] for d in m1["documents"]} == {"发改财金〔2022〕271号", "晋政办发〔2022〕33号"}
    text = run("measure", "18").stdout
    assert "夯实大数据基础能力" in text and "target:" in text


def test_bad_measure_number():
    r = run("measure", "99", ok=False)
    assert r.exit_code == 2 and "no measure 99" in r.stderr
    r = run("measure", "abc", ok=False)
    assert r.exit_code == 2


def test_search_chinese_and_english():
    zh = json.loads(run("search", "5G", "-f", "json").stdout)
    assert {18, 19} <= {r["number"] for r in zh}
    en = json.loads(run("search", "ELECTRONIC COMMERCE", "-f", "json").stdout)
    assert 21 in {r["number"] for r in en} or en == []  # English titles are searched case-insensitively
    assert json.loads(run("search", "托位", "-f", "json").stdout)[0]["number"] == 49


def test_targets_and_filter(ds):
    rows = json.loads(run("targets", "-f", "json").stdout)
    total = len(ds.plans[0].targets) + sum(len(m.targets) for m in ds.plans[0].measures)
    assert len(rows) == total
    science = json.loads(run("targets", "--agency", "科技局", "-f", "json").stdout)
    assert science and all(any(a["id"] == "jc-science" for a in r["agencies"]) for r in science)
    assert "deadline" in run("targets").stdout


def test_docs_lists_citing_measures():
    rows = json.loads(run("docs", "-f", "json").stdout)
    by_number = {r["number"]: r for r in rows}
    assert [c["measure"] for c in by_number["发改财金〔2022〕271号"]["cited_by"]] == [1]
    assert by_number["晋政办发〔2022〕35号"]["cited_by"][0]["relation"] == "based_on"
    assert by_number["晋市政办发〔2022〕6号"]["note"]


def test_broken_data_file_one_line_per_problem(tmp_path):
    for name in ("agencies.yaml", "sectors.yaml"):
        shutil.copy(ROOT / "data" / name, tmp_path / name)
    plan = tmp_path / "measures.yaml"
    plan.write_text((ROOT / "data" / "measures.yaml").read_text(encoding="utf-8").replace(
        "{agency: jc-post, role: 牵头}", "{agency: jc-nowhere, role: 牵头}", 1), encoding="utf-8")
    r = run("--data", str(plan), "leads", "商务局", ok=False)
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown agency id 'jc-nowhere'" in lines[0] and str(plan) in lines[0]


def test_index_follows_data_changes(tmp_path):
    for name in ("agencies.yaml", "sectors.yaml", "measures.yaml"):
        shutil.copy(ROOT / "data" / name, tmp_path / name)
    plan = tmp_path / "measures.yaml"
    before = json.loads(run("--data", str(plan), "leads", "邮政管理局", "-f", "json").stdout)
    assert [r["number"] for r in before] == [11, 13]
    plan.write_text(plan.read_text(encoding="utf-8").replace(
        "{agency: jc-post, role: 牵头}", "{agency: jc-post, role: 配合}", 1), encoding="utf-8")
    after = json.loads(run("--data", str(plan), "leads", "邮政管理局", "-f", "json").stdout)
    assert [r["number"] for r in after] == [11]


def test_every_command_has_help():
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert command.help and len(command.help) > 20, name
        r = run(name, "--help")
        assert "Usage" in r.stdout
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert param.help, f"{name} --{param.name} has no help"


def test_validate_shipped_and_broken(tmp_path):
    r = run("validate")
    assert r.stdout.startswith("ok: 1 plan(s), 66 measures") and "SHACL" in r.stdout
    for name in ("agencies.yaml", "sectors.yaml"):
        shutil.copy(ROOT / "data" / name, tmp_path / name)
    plan = tmp_path / "measures.yaml"
    text = (ROOT / "data" / "measures.yaml").read_text(encoding="utf-8")
    text = text.replace("{agency: jc-post, role: 牵头}", "{agency: jc-post, role: boss}", 1)
    text = text.replace("- number: 3\n", "- number: 2\n", 1)
    plan.write_text(text, encoding="utf-8")
    r = run("--data", str(plan), "validate", ok=False)
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2
    assert any("duplicate measure number 2" in l for l in lines)
    assert any("'boss' is not a role" in l for l in lines)


def test_extract_writes_draft_and_reports(tmp_path):
    out = tmp_path / "draft.yaml"
    r = run("extract", str(ROOT / "data" / "source" / "jincheng-2022-service-plan.txt"), "-o", str(out))
    assert "extracted 66 measures" in r.stderr
    import yaml
    draft = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert len(draft["measures"]) == 66
    src = tmp_path / "plan.txt"
    src.write_text("一、任务\n\n1. 做好工作。加强协调。〔市商务局牵头，市外星局配合〕\n\n2. 没有括号的措施。正文。\n",
                   encoding="utf-8")
    r = run("extract", str(src), "-o", str(tmp_path / "d2.yaml"))
    assert "measure 1: unknown agency '市外星局'" in r.stderr
    assert "measure 2" in r.stderr and "bracket" in r.stderr


def test_extract_rejects_text_without_measures(tmp_path):
    src = tmp_path / "notes.txt"
    src.write_text("会议纪要\n\n今天开会。\n", encoding="utf-8")
    out = tmp_path / "draft.yaml"
    out.write_text("keep me", encoding="utf-8")
    r = run("extract", str(src), "-o", str(out), ok=False)
    assert r.exit_code == 1 and "no numbered measure" in r.stderr
    assert out.read_text(encoding="utf-8") == "keep me"


def test_export_command(tmp_path):
    r = runner.invoke(app, ["export", "-f", "turtle"])
    assert r.exit_code == 0 and "@prefix pkg:" in r.stdout
    out = tmp_path / "plan.csv"
    r = run("export", "-o", str(out), "--bom")
    assert out.read_bytes().startswith(b"\xef\xbb\xbfplan,measure,title")
    r = run("export", "-f", "bogus", ok=False)
    assert r.exit_code == 2 and "known formats" in r.stderr
    r = run("export", "-f", "csv", "-o", str(tmp_path / "missing" / "x.csv"), ok=False)
    assert r.exit_code == 3 and r.stderr.count("\n") == 1
    r = run("export", "-f", "xlsx", ok=False)
    assert r.exit_code == 2


@pytest.fixture(scope="module")
def corpus(make_corpus, tmp_path_factory) -> Path:
    """Four generated plans, with documents registered by several and links between plans."""
    return make_corpus(4, tmp_path_factory.mktemp("corpus") / "c4")


def compiled_triples(folder) -> set:
    """The compiled triples, every term as the compiler writes it (positiveInteger, 1800.0 kept)."""
    import pyoxigraph as ox

    from policykg.graph import iter_triples
    from policykg.graph.compile import ntriples_line

    text = "".join(map(ntriples_line, iter_triples(loader.load(folder), terms="ntriples")))
    return parsed(text.encode("utf-8"), ox.RdfFormat.N_TRIPLES)


def parsed(data: bytes, fmt) -> set:
    import pyoxigraph as ox

    return {(str(t.subject), str(t.predicate), str(t.object)) for t in ox.parse(data, format=fmt)}


def ontology_triples() -> set:
    import pyoxigraph as ox

    from policykg.exporters._rdf import ontology_ntriples

    triples, _ = ontology_ntriples()
    return parsed("".join(f"{s} {p} {o} .\n" for s, p, o in triples).encode("utf-8"), ox.RdfFormat.N_TRIPLES)


def test_export_rdf_streams_the_compiled_chunks(corpus, tmp_path, monkeypatch):
    """Turtle and N-Triples come from the compiled chunks (no Dataset loaded): exactly the compiled triples."""
    import pyoxigraph as ox

    from policykg.cli import State
    from policykg.exporters import export as run_export

    expected = compiled_triples(corpus)
    nt_expected = run_export(loader.load(corpus), "nt")

    def no_dataset(self):
        raise AssertionError("the RDF export must not load the dataset")

    monkeypatch.setattr(State, "dataset", no_dataset)
    ttl, nt = tmp_path / "c.ttl", tmp_path / "c.nt"
    r = run("--data", str(corpus), "export", "-o", str(ttl))
    assert r.stderr == f"policykg: wrote {ttl}\n"
    run("--data", str(corpus), "export", "-f", "n-triples", "-o", str(nt))
    assert parsed(ttl.read_bytes(), ox.RdfFormat.TURTLE) == expected
    assert parsed(nt.read_bytes(), ox.RdfFormat.N_TRIPLES) == expected
    assert nt.read_bytes() == nt_expected  # lines sorted over the whole export, as the exporter writes them
    head, body = ttl.read_text(encoding="utf-8").split("\n\n", 1)  # one header, then the graphs
    assert head.startswith("@prefix agency: <https://w3id.org/policykg/id/agency/> .\n") and "@prefix" not in body
    # stdout is the same bytes as the file
    assert runner.invoke(app, ["--data", str(corpus), "export", "-f", "ttl"]).stdout_bytes == ttl.read_bytes()
    assert runner.invoke(app, ["--data", str(corpus), "export", "-f", "nt", "-o", "-"]).stdout_bytes == nt_expected
    if shutil.which("rapper"):
        for path, syntax in ((ttl, "turtle"), (nt, "ntriples")):
            done = subprocess.run(["rapper", "-q", "-i", syntax, "-o", "ntriples", str(path)], capture_output=True)
            assert done.returncode == 0 and not done.stderr, done.stderr
            assert parsed(done.stdout, ox.RdfFormat.N_TRIPLES) == expected


def test_export_rdf_is_byte_stable(corpus, tmp_path, monkeypatch):
    """Same data, same bytes: twice from one cache, and once more from a cache compiled afresh."""
    outputs = []
    for cache in ("a", "a", "b"):
        monkeypatch.setenv("POLICYKG_CACHE_DIR", str(tmp_path / cache))
        outputs.append([runner.invoke(app, ["--data", str(corpus), "export", "-f", f]).stdout_bytes
                        for f in ("turtle", "nt")])
    assert outputs[0] == outputs[1] == outputs[2] and all(outputs[0])


def test_export_rdf_with_ontology(corpus, tmp_path):
    import pyoxigraph as ox

    expected, ontology = compiled_triples(corpus), ontology_triples()
    assert len(ontology) > 50 and not ontology <= expected
    for fmt, oxfmt in (("turtle", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES)):
        out = tmp_path / f"o.{fmt}"
        run("--data", str(corpus), "export", "-f", fmt, "--with-ontology", "-o", str(out))
        assert parsed(out.read_bytes(), oxfmt) == expected | ontology
        if fmt == "nt":
            lines = out.read_bytes().splitlines()
            assert lines == sorted(set(lines))
        else:  # one header, declaring the ontology's prefixes too
            text = out.read_text(encoding="utf-8")
            head, body = text.split("\n\n", 1)
            assert "@prefix" not in body and "@prefix owl: <http://www.w3.org/2002/07/owl#> ." in head
    # the shipped plan: what the exporter writes from the dataset, line for line
    from policykg.exporters import export as run_export

    r = runner.invoke(app, ["export", "-f", "nt", "--with-ontology"])
    assert r.exit_code == 0 and r.stdout_bytes == run_export(loader.load(), "nt", with_ontology=True)


def test_export_rdf_error_keeps_the_existing_file(corpus, tmp_path, monkeypatch):
    broken = Path(shutil.copytree(corpus, tmp_path / "broken"))
    plan = next(p for p in sorted(broken.rglob("*.yaml")) if "role: " in p.read_text(encoding="utf-8"))
    plan.write_text(plan.read_text(encoding="utf-8").replace("role: ", "role: boss", 1), encoding="utf-8")
    out = tmp_path / "out.ttl"
    for fmt in ("turtle", "nt"):
        out.write_bytes(b"previous\n")
        r = run("--data", str(broken), "export", "-f", fmt, "-o", str(out), ok=False)
        assert r.exit_code == 1 and str(plan) in r.stderr and "Traceback" not in r.output
        assert out.read_bytes() == b"previous\n"
    # a failure while writing: the previous file stays, no temporary file is left
    from policykg.errors import OutputError
    from policykg.query import rdfstore

    def half_then_fail(self, stream, *args, **kwargs):
        stream.write(b"@prefix pkg: <https://example.org/> .\n" * 1000)
        raise OutputError("cannot write: disk full")

    monkeypatch.setattr(rdfstore.Compiled, "export_turtle", half_then_fail)
    r = run("--data", str(corpus), "export", "-f", "turtle", "-o", str(out), ok=False)
    assert r.exit_code == 3 and r.stderr == "policykg: cannot write: disk full\n"
    assert out.read_bytes() == b"previous\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["out.ttl"]
    r = run("export", "-f", "turtle", "--bom", ok=False)
    assert r.exit_code == 2 and "byte order mark" in r.stderr


def test_viz_command(tmp_path):
    out = tmp_path / "net.html"
    r = run("viz", "-o", str(out), "--agency", "商务局")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    r = run("viz", "-o", str(out), "--sector", "no-such-sector", ok=False)
    assert r.exit_code == 2


SPARQL_LEADS = """PREFIX pkg: <https://w3id.org/policykg/ontology#>
SELECT ?n WHERE { ?m pkg:ledBy <https://w3id.org/policykg/id/agency/jc-commerce> ; pkg:measureNumber ?n } ORDER BY ?n"""


def test_sparql_command_formats_and_file(ds, tmp_path):
    expected = leads_model(ds, "jc-commerce", "lead")
    data = json.loads(run("sparql", SPARQL_LEADS, "-f", "json").stdout)
    assert data["head"]["vars"] == ["n"]
    assert [int(b["n"]["value"]) for b in data["results"]["bindings"]] == expected
    rq = tmp_path / "q.rq"
    rq.write_text(SPARQL_LEADS, encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(run("sparql", f"@{rq}", "-f", "csv").stdout)))
    assert [int(r["n"]) for r in rows] == expected
    assert run("sparql", "ASK { ?s ?p ?o }").stdout.strip() == "yes"
    r = run("sparql", "SELEC nonsense", ok=False)
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.output
    r = run("sparql", f"@{tmp_path / 'missing.rq'}", ok=False)
    assert r.exit_code == 2


def test_push_needs_endpoint_and_dry_run_sends_nothing():
    r = run("push", ok=False)
    assert r.exit_code == 2 and "--endpoint" in r.stderr
    r = run("--endpoint", "http://127.0.0.1:9", "push", "--dry-run", "-f", "json")
    summary = json.loads(r.stdout)
    assert summary["dry_run"] and summary["triples"] > 3000
    assert {g["status"] for g in summary["graphs"]} == {"dry-run"}


def test_unreachable_endpoint_is_one_line():
    r = run("--endpoint", "http://127.0.0.1:9", "leads", "商务局", ok=False)
    assert r.exit_code == 4 and r.stderr.count("\n") == 1 and "127.0.0.1:9" in r.stderr


@pytest.mark.parametrize("fmt", ["turtle", "nt"])
def test_export_to_a_reader_that_leaves_early_is_not_an_error(fmt, tmp_path):
    """`policykg export -f nt | head -1`: the streaming writers meet a closed pipe; exit 0, nothing on stderr."""
    import os
    import sys

    env = dict(os.environ, POLICYKG_CACHE_DIR=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "policykg", "export", "-f", fmt], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT, env=env)
    assert proc.stdout.readline().startswith(b"<" if fmt == "nt" else b"@prefix")
    proc.stdout.close()  # the reader leaves with hundreds of kilobytes still to come
    assert proc.wait(timeout=120) == 0
    assert proc.stderr.read() == b""
