"""policykg.query.build.compile_all and `policykg compile`: every cache from one parse, equal to caches built apart."""
from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policykg import loader
from policykg.cli import app
from policykg.errors import DataError
from policykg.query import rdfstore
from policykg.query.build import compile_all
from policykg.query.index import index_path_for, open_index
from policykg.query.rdfstore import compile_rdf, query


@pytest.fixture(scope="module")
def corpus_master(make_corpus, tmp_path_factory) -> Path:
    return make_corpus(8, tmp_path_factory.mktemp("corpus") / "c8")


@pytest.fixture
def corpus(corpus_master, tmp_path) -> Path:
    return Path(shutil.copytree(corpus_master, tmp_path / "c8"))


@pytest.fixture
def parses(monkeypatch) -> Counter:
    """How many times each file is parsed (all parsing goes through loader.parse_file), in this process."""
    seen: Counter = Counter()
    parse_file = loader.parse_file

    def counting(path):
        seen[str(Path(path).resolve())] += 1
        seen["total"] += 1
        return parse_file(path)

    monkeypatch.setattr(loader, "parse_file", counting)
    monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 10**6)
    monkeypatch.setattr(rdfstore, "PARALLEL_MIN_FILES", 10**6)
    return seen


def tables(path: Path, skip: tuple[str, ...] = ()) -> dict[str, list]:
    db = sqlite3.connect(path)
    try:
        names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") if n not in skip]
        return {n: sorted(map(repr, db.execute(f"SELECT * FROM {n}"))) for n in names}
    finally:
        db.close()


def cache_files(source: Path, cache: Path) -> tuple[Path, Path]:
    index = index_path_for(source.absolute(), cache)
    return index, index.with_name(index.name.replace(".sqlite", ".rdf.sqlite"))


def test_one_parse_per_file_builds_index_chunks_and_store(corpus, tmp_path, parses):
    files = [p for p in corpus.rglob("*.yaml")]
    built = compile_all(corpus, tmp_path / "cache")
    assert parses["total"] == len(files)  # the index and the chunks came from the same parse
    assert all(parses[str(p.resolve())] == 1 for p in files)
    summary = built.summary()
    assert summary["plans"] == len(built.index.plans()) == 8
    assert summary["triples"] == built.compiled.triples() == len(built.store)
    assert all(Path(summary[k]).exists() for k in ("index", "chunks", "store"))


def test_caches_equal_those_built_apart(corpus, tmp_path):
    compile_all(corpus, tmp_path / "together", store=False)
    open_index(corpus, tmp_path / "apart")
    compile_rdf(corpus, tmp_path / "apart")
    for together, apart in zip(cache_files(corpus, tmp_path / "together"), cache_files(corpus, tmp_path / "apart")):
        assert tables(together) == tables(apart)


def test_compiled_answers_agree(corpus, tmp_path):
    built = compile_all(corpus, tmp_path / "cache")
    lead = "c001-commerce"
    from_index = {m["plan"] + "/" + str(m["number"]) for m in built.index.measures_by_agency(lead)}
    rows = query(built.store, "PREFIX pkg: <https://w3id.org/policykg/ontology#> "
                              "SELECT ?m WHERE { ?m pkg:ledBy <https://w3id.org/policykg/id/agency/c001-commerce> }")
    assert from_index and len(rows.values()) == len(from_index)


def test_invalid_data_writes_no_cache(corpus, tmp_path):
    plan = next(p for p in sorted(corpus.rglob("*.yaml")) if p.name != "agencies.yaml" and "sector" not in p.name)
    text = plan.read_text(encoding="utf-8")
    plan.write_text(text.replace("agency: c001-commerce", "agency: c001-nowhere", 1), encoding="utf-8")
    assert "c001-nowhere" in plan.read_text(encoding="utf-8")
    with pytest.raises(DataError) as err:
        compile_all(corpus, tmp_path / "cache")
    assert "unknown agency id 'c001-nowhere'" in str(err.value)
    index, chunks = cache_files(corpus, tmp_path / "cache")
    assert not index.exists() and not chunks.exists()


def test_compiled_data_recompiles_only_the_changed_plan(corpus, tmp_path, parses):
    compile_all(corpus, tmp_path / "cache")
    plan = next(p for p in sorted(corpus.rglob("*.yaml")) if p.name != "agencies.yaml" and "sector" not in p.name)
    plan.write_text(plan.read_text(encoding="utf-8").replace("title: ", "title: 新", 1), encoding="utf-8")
    parses.clear()
    built = compile_all(corpus, tmp_path / "cache")
    assert parses["total"] == 2 and parses[str(plan.resolve())] == 2  # once for the index, once for the chunks
    titles = [p["title"] for p in built.index.plans()]
    assert any(t.startswith("新") for t in titles)
    parses.clear()
    compile_all(corpus, tmp_path / "cache")
    assert parses["total"] == 0


def test_cli_compile(corpus, tmp_path):
    cache = tmp_path / "cache"
    runner = CliRunner()
    result = runner.invoke(app, ["--data", str(corpus), "--cache-dir", str(cache), "compile", "-f", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["plans"] == 8 and summary["triples"] > 0 and Path(summary["store"]).is_dir()
    index, _ = cache_files(corpus, cache)
    before = index.stat().st_mtime_ns
    table = runner.invoke(app, ["--data", str(corpus), "--cache-dir", str(cache), "compile", "--no-store"])
    assert table.exit_code == 0 and table.stdout.startswith("compiled 8 plan(s), ")
    assert "SPARQL store" not in table.stdout
    assert index.stat().st_mtime_ns == before  # nothing changed: nothing rebuilt


def test_cli_compile_bad_data_is_one_line(corpus, tmp_path):
    (corpus / "c001" / "broken.yaml").write_text("plan: [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--data", str(corpus), "--cache-dir", str(tmp_path / "c"), "compile"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("policykg: ") and "broken.yaml:" in lines[0]


def _run_with_terminal_stderr(args: list[str], cache: Path, stdout: Path) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal (as in a shell) and stdout into a file."""
    import os
    import pty
    import select
    import subprocess
    import sys

    master, slave = pty.openpty()
    env = dict(os.environ, POLICYKG_CACHE_DIR=str(cache), COLUMNS="100")
    with open(stdout, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "policykg", *args], stdout=out, stderr=slave, env=env,
                                cwd=Path(__file__).resolve().parent.parent)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(timeout=120), seen.decode("utf-8", "replace")


@pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="needs a POSIX pseudo-terminal")
def test_progress_bars_on_a_terminal_never_in_the_output(make_corpus, tmp_path):
    corpus = make_corpus(20, tmp_path / "c20")  # enough files to compile on every core
    code, terminal = _run_with_terminal_stderr(["--data", str(corpus), "compile"], tmp_path / "cache",
                                               tmp_path / "out.txt")
    assert code == 0
    assert "compiling" in terminal and "loading the SPARQL store" in terminal  # a bar per stage, on stderr
    assert (tmp_path / "out.txt").read_text(encoding="utf-8").startswith("compiled 20 plan(s), ")
    code, terminal = _run_with_terminal_stderr(["--data", str(corpus), "export", "-f", "turtle"],
                                               tmp_path / "cache2", tmp_path / "out.ttl")
    assert code == 0 and "compiling" in terminal and "exporting" in terminal
    assert b"\x1b" not in (tmp_path / "out.ttl").read_bytes()  # no terminal codes in the export
    # in a pipe, no bar at all
    result = CliRunner().invoke(app, ["--data", str(corpus), "--cache-dir", str(tmp_path / "cache3"), "compile"])
    assert result.exit_code == 0 and "\x1b" not in result.stderr and "compiling" not in result.stderr
