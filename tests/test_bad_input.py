"""Hostile and broken input through the CLI: the corpus in tests/data/bad/.

Every broken case fails with exactly the one-line problems ``cases.yaml`` lists,
exits 1, prints no traceback and leaves an existing output file as it was; the
accepted cases work, and names that look like code come back out as the text
they are.  Cases too big to commit are generated here.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml
from rdflib import Graph, Literal
from typer.testing import CliRunner

from policykg import loader
from policykg.cli import app
from policykg.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "data" / "bad"
GOOD = BAD / "_good"
CASES = {c["case"]: c for c in yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))}
PREVIOUS = b"# the previous export: every failed run must leave it as it is\n"
runner = CliRunner()


# --------------------------------------------------------------------------- generated cases


def file_50mb(folder: Path) -> None:
    """The good plan, then comments up to 50 MB."""
    size, good = 50 * 1024 * 1024, (GOOD / "plan.yaml").read_bytes()
    line = b"# " + b"x" * 1021 + b"\n"
    with open(folder / "plan.yaml", "wb") as fh:
        fh.write(good)
        fh.write(line * ((size - len(good)) // len(line)))
        fh.write(b"#" * ((size - len(good)) % len(line)))


def _good_plus(folder: Path, extra: str) -> None:
    (folder / "plan.yaml").write_text((GOOD / "plan.yaml").read_text(encoding="utf-8") + extra, encoding="utf-8")


def nesting_10000_flow(folder: Path) -> None:
    _good_plus(folder, "x-deep: " + "[" * 10_000 + "]" * 10_000 + "\n")


def nesting_10000_block(folder: Path) -> None:
    _good_plus(folder, "x-deep:\n" + "- " * 10_000 + "x\n")


def nesting_1000000_flow(folder: Path) -> None:
    _good_plus(folder, "x-deep: " + "{a: " * 1_000_000 + "1" + "}" * 1_000_000 + "\n")


GENERATORS = {f.__name__: f for f in (file_50mb, nesting_10000_flow, nesting_10000_block, nesting_1000000_flow)}


def data_folder(case: dict, tmp_path: Path) -> Path:
    """_good/ with the case's files laid over it, minus its ``remove`` list."""
    folder = tmp_path / "data"
    shutil.copytree(GOOD, folder)
    if (BAD / case["case"]).is_dir():
        for f in (BAD / case["case"]).iterdir():
            shutil.copy(f, folder / f.name)
    for name in case.get("remove", ()):
        (folder / name).unlink()
    if "generate" in case:
        GENERATORS[case["generate"]](folder)
    return folder


def relative(text: str, folder: Path) -> str:
    return text.replace(f"{folder}{os.sep}", "")


# --------------------------------------------------------------------------- the corpus


def test_corpus_is_complete():
    folders = {p.name for p in BAD.iterdir() if p.is_dir() and not p.name.startswith("_")}
    generated = {name for name, c in CASES.items() if "generate" in c}
    assert folders == set(CASES) - generated, "every folder has a manifest entry and every entry a folder"
    assert {c["generate"] for c in CASES.values() if "generate" in c} == set(GENERATORS)
    broken = [c for c in CASES.values() if not c.get("accepted")]
    assert len(broken) >= 30
    for c in CASES.values():
        assert c["input"] and (c.get("accepted") or c["stderr"].endswith("\n")), c["case"]
        assert set(c) <= {"case", "input", "stderr", "exit", "remove", "generate", "accepted"}, c["case"]


@pytest.mark.parametrize("name", list(CASES))
def test_case_through_cli(name, tmp_path):
    """validate, leads and export each fail with exactly the listed lines, and the old output survives."""
    case = CASES[name]
    folder = data_folder(case, tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "plan.ttl"
    out.write_bytes(PREVIOUS)
    for command in (["validate"], ["leads", "商务局", "-f", "json"], ["export", "-o", str(out)]):
        r = runner.invoke(app, ["--data", str(folder), *command])
        said = f"{command[0]}: {r.stderr}"
        assert r.exception is None or isinstance(r.exception, SystemExit), (said, r.exception)
        assert "Traceback" not in r.stdout + r.stderr, said
        if case.get("accepted"):
            assert r.exit_code == 0, said
            expected = f"policykg: wrote {out}\n" if command[0] == "export" else ""
            assert r.stderr == expected, said
            continue
        assert r.exit_code == case.get("exit", 1), said
        assert relative(r.stderr, folder) == case["stderr"], said
        assert r.stdout == "", said
        assert out.read_bytes() == PREVIOUS, said
        assert [p.name for p in out_dir.iterdir()] == ["plan.ttl"], said  # no temporary file left
    if case.get("accepted"):
        assert Graph().parse(out, format="turtle")  # the old file was replaced by a whole new one


#: Cases run in a real process too: the exit code, stderr and survival are the real ones there,
#: and a crash in C (as libyaml's composer on deep nesting) cannot hide behind the test runner.
IN_A_PROCESS = ["nesting-1000000-flow", "yaml-billion-laughs", "yaml-python-object-tag", "file-50mb",
                "control-char-raw", "encoding-gb18030", "unknown-agency-id"]


@pytest.mark.parametrize("name", IN_A_PROCESS)
def test_case_in_a_process(name, tmp_path):
    case = CASES[name]
    folder = data_folder(case, tmp_path)
    out = tmp_path / "plan.nt"
    out.write_bytes(PREVIOUS)
    env = dict(os.environ, PYTHONPATH=str(ROOT), POLICYKG_CACHE_DIR=str(tmp_path / "cache"))
    for command in (["leads", "邮政管理局"], ["export", "-o", str(out)]):
        done = subprocess.run([sys.executable, "-m", "policykg", "--data", str(folder), *command],
                              capture_output=True, env=env, timeout=120)
        stderr = done.stderr.decode("utf-8")
        assert done.returncode == 1, stderr
        assert relative(stderr, folder) == case["stderr"]
        assert done.stdout == b""
        assert out.read_bytes() == PREVIOUS


# --------------------------------------------------------------------------- accepted hostile text


@pytest.fixture
def hostile(tmp_path) -> Path:
    return data_folder(CASES["hostile-names"], tmp_path)


def cli_json(folder: Path | None, *args: str):
    r = runner.invoke(app, (["--data", str(folder)] if folder else []) + [*args, "-f", "json"])
    assert r.exit_code == 0, (r.stderr, r.exception)
    return json.loads(r.stdout)


def test_hostile_names_come_back_as_written(hostile):
    """Markup, quotes, braces, backslashes, SPARQL and SQL in names are data, in and out."""
    ds = loader.load(hostile)
    commerce = ds.agencies["jc-commerce"]
    assert commerce.name == "市商务局{braces}\\反斜杠\\"
    assert commerce.name_en == 'Bureau ?s ?p ?o } UNION { <urn:x> "lit"@en'
    assert "=" in commerce.aliases and "${HOME}" in commerce.aliases
    plan = ds.plans[0]
    assert plan.measure(2).title == "="                      # a bare = is text, not a YAML tag
    assert plan.measure(1).body == "正文 FILTER(?x) } ; SELECT * WHERE { ?s ?p ?o } # \\n stays text"

    profile = cli_json(hostile, "agency", "jc-commerce")
    assert (profile["name"], profile["name_en"], profile["full_name"]) == (
        commerce.name, commerce.name_en, commerce.full_name)
    for typed in (commerce.name, commerce.name_en, commerce.full_name, "${HOME}", "{{template}}", "=", "%s%n"):
        rows = cli_json(hostile, "leads", typed)
        assert [r["number"] for r in rows] == [1, 2], typed
    m1 = cli_json(hostile, "measure", "1")
    assert m1["title"] == "<img src=x onerror=alert(1)>措施"
    assert m1["title_en"] == "Measure 'single' \"double\" `back` \\ slash"
    assert m1["targets"][0]["text"] == "5个 & more \\ <" and m1["targets"][0]["unit"] == "<个>"
    assert [a["name"] for a in m1["agencies"]] == [commerce.name, ds.agencies["jc-post"].name]
    assert [r["number"] for r in cli_json(hostile, "search", "<img src=x")] == [1]
    assert [r["number"] for r in cli_json(hostile, "search", "?s ?p ?o }")] == [1]
    assert cli_json(hostile, "search", "%") == []            # a LIKE wildcard matches only itself


def test_hostile_names_survive_export(hostile, tmp_path):
    ds = loader.load(hostile)
    r = runner.invoke(app, ["--data", str(hostile), "export", "-f", "turtle"])
    assert r.exit_code == 0, r.stderr
    graph = Graph().parse(data=r.stdout, format="turtle")
    literals = {str(o) for o in graph.objects() if isinstance(o, Literal)}
    for agency in ds.agencies.values():
        assert {agency.name, agency.name_en} <= literals, agency.id
    assert {m.title for m in ds.plans[0].measures} | {ds.plans[0].title} <= literals
    out = tmp_path / "table.csv"
    r = runner.invoke(app, ["--data", str(hostile), "export", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    cells = {cell for row in csv.reader(io.StringIO(out.read_text(encoding="utf-8"))) for cell in row}
    assert ds.agencies["jc-commerce"].name in cells and "<img src=x onerror=alert(1)>措施" in cells
    page = tmp_path / "page.html"
    r = runner.invoke(app, ["--data", str(hostile), "viz", "-o", str(page)])
    assert r.exit_code == 0, r.stderr
    html = page.read_text(encoding="utf-8")   # the browser test (test_viz_browser.py) runs such a page
    assert html.count("</script>") == 3 and "<img src=x" not in html and "<script>alert" not in html


# --------------------------------------------------------------------------- hostile arguments

HOSTILE_ARGUMENTS = ['?s ?p ?o } UNION { ?x ?y ?z', '" } ; DROP ALL ; #', "x') OR 1=1 --", "<urn:x>",
                     "\\u0022", "{{}}\\", "%", "_", "*", "'", "FILTER(true)", "x\ny", "\x1b[31mred"]


@pytest.mark.parametrize("text", HOSTILE_ARGUMENTS)
def test_hostile_arguments_are_data(text, shipped_dataset):
    """Agency names and search text holding SPARQL, SQL or escapes match only themselves."""
    for args in (["leads", text], ["agency", text], ["targets", "--agency", text]):
        r = runner.invoke(app, args)
        assert r.exit_code == 2, (args, r.stderr, r.exception)
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("policykg: ") and "Traceback" not in r.stderr
    rows = cli_json(None, "search", text)
    literal = [m.number for m in shipped_dataset.plans[0].measures
               if text.strip().lower() in (m.title + m.title_en + m.body).lower()]
    assert [r["number"] for r in rows] == literal


def test_hostile_arguments_are_data_in_sparql(shipped_dataset):
    """The SPARQL answers (policykg.query.sparql_questions) bind arguments as values too."""
    sparql = pytest.importorskip("policykg.query.sparql_questions")
    from policykg.errors import LookupFailed
    from policykg.query.index import open_index

    idx, remote = open_index(), sparql.SparqlIndex.from_dataset(shipped_dataset)
    try:
        for text in HOSTILE_ARGUMENTS:
            with pytest.raises(LookupFailed):
                remote.resolve_agency(text)
            if text.strip():
                assert remote.search(text) == idx.search(text), text
    finally:
        remote.close()


# --------------------------------------------------------------------------- limits


def test_size_limit_is_checked_before_reading(tmp_path):
    big = tmp_path / "plan.yaml"
    with open(big, "wb") as fh:
        fh.truncate(loader.MAX_FILE_BYTES + 1)   # sparse: nothing is read to refuse it
    with pytest.raises(DataError) as info:
        loader.read_yaml(big)
    assert info.value.lines() == [f"{big}: file is {loader.MAX_FILE_BYTES + 1:,} bytes, over the "
                                  f"{loader.MAX_FILE_BYTES:,}-byte limit: split it into several files"]
    assert "MAX_FILE_BYTES" in loader.__doc__  # the limit is documented where it is enforced


@pytest.mark.parametrize("depth", [loader.MAX_DEPTH, loader.MAX_DEPTH + 1])
@pytest.mark.parametrize("shape", ["[{}]", "{a: {}}", "- {}"])
def test_depth_limit_is_exact_on_every_path(shape, depth):
    """The same limit and line whether the constructor or the event pre-check finds it."""
    opening, closing = {"[{}]": ("[", "]"), "{a: {}}": ("{a: ", "}"), "- {}": ("- ", "")}[shape]
    text = ("# padding [[[[{{{{\n" * 300 + opening * depth + "x" + closing * depth + "\n").encode()
    for bound in (loader._NESTING_CHECK_ABOVE, 10 ** 9):   # the pre-check on and off
        saved, loader._NESTING_CHECK_ABOVE = loader._NESTING_CHECK_ABOVE, bound
        try:
            if depth <= loader.MAX_DEPTH:
                loader.parse_yaml(text, "deep.yaml")
            else:
                with pytest.raises(DataError) as info:
                    loader.parse_yaml(text, "deep.yaml")
                assert info.value.lines() == [f"deep.yaml:301: nesting deeper than {loader.MAX_DEPTH} levels"]
        finally:
            loader._NESTING_CHECK_ABOVE = saved


def test_nesting_bound_is_an_upper_bound():
    import yaml as pyyaml

    samples = [(BAD / "_good" / n).read_text(encoding="utf-8") for n in ("plan.yaml", "agencies.yaml")]
    samples += ["a:\n  - b:\n    - c: [1, {d: [2]}]\n", "- - - - x\n", "\r- - - x\r", "? - a\n: - b\n",
                "a: |\n  - - - not nesting\n"]
    for text in samples:
        depth = maximum = 0
        for event in pyyaml.parse(text, Loader=pyyaml.SafeLoader):
            if isinstance(event, (pyyaml.MappingStartEvent, pyyaml.SequenceStartEvent)):
                depth += 1
                maximum = max(maximum, depth)
            elif isinstance(event, (pyyaml.MappingEndEvent, pyyaml.SequenceEndEvent)):
                depth -= 1
        assert loader._nesting_bound(text) >= maximum, text


def test_invisible_characters_are_every_control_and_format_character():
    """Names refuse exactly Unicode's Cc and Cf characters (and unassigned ones), except tab and line ends."""
    everything = "".join(map(chr, range(0x110000)))
    refused = set(loader._BAD_CHARS.findall(everything))
    wanted = {c for c in everything if unicodedata.category(c) in ("Cc", "Cf")} - set("\t\n\r")
    assert wanted - refused == set(), sorted(f"U+{ord(c):04X}" for c in wanted - refused)
    assert {unicodedata.category(c) for c in refused} <= {"Cc", "Cf", "Cn"}


@pytest.mark.parametrize("text, field, message", [
    ("date: 2022-02-30\n", "date", "2022-02-30"),          # a date that is none: was a ValueError
    ("n: !!int\n", "n", ""),                               # an empty tagged int: was an IndexError
    ("n: !!float abc\n", "n", "abc"),
    ("n: !!timestamp x\n", "n", "x"),                      # was an AttributeError
    ("n: " + "7" * 5000 + "\n", "n", "7" * 5000),          # too many digits for int(): was a ValueError
    ("t: =\n", "t", "="),                                  # a bare = is text, not a YAML tag
])
def test_scalars_that_look_typed_but_are_not_are_read_as_text(text, field, message):
    assert loader.parse_yaml(text.encode(), "s.yaml") == {field: message}


def test_messages_stay_on_one_line():
    """Values quoted in messages are escaped and shortened: a problem is one line whatever the input."""
    text = ("plan:\n  id: \"a\\nb\"\n  issuer: \"" + "x" * 10_000 + "\"\n  date: \"\\u2028\"\n"
            "  \"new\\nkey\": 1\n")
    with pytest.raises(DataError) as info:
        loader.build_dataset([("p.yaml", loader.parse_yaml(text.encode(), "p.yaml"))])
    lines = info.value.lines()
    assert lines and all("\n" not in l and "\u2028" not in l and len(l) < 300 for l in lines), lines
    assert any(re.search(r"plan\.'new\\nkey': unknown field", l) for l in lines), lines
