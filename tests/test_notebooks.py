"""The analyst's notebook, run top to bottom as an analyst would run it.

``notebooks/explore_jincheng_2022.ipynb`` is executed with nbclient from a
temporary copy (kernel python3, working folder notebooks/, 600 s a cell), so a
run never rewrites the committed file; any error in any cell fails the test.
The kernel imports the same policykg as these tests and builds its index in a
temporary cache folder.  The key answers are then checked against the index,
in the fresh run and in the committed notebook alike: the committed outputs must
be those of a real, current run (re-run the notebook when the data changes).

Needs nbclient and ipykernel (the ``test`` extra); without them the run is
skipped with the reason, and only the committed notebook is checked.
"""
from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

import policykg

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK = NOTEBOOKS / "explore_jincheng_2022.ipynb"
PLOTS_PNG = ROOT / "docs" / "img" / "notebook-plots.png"
TIMEOUT = 600
# Cells the checks find by tag (cell metadata "tags").
TAGGED = ("commerce-leads", "agency-load", "most-hands", "targets", "plots", "network", "sparql", "turtle")


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


needs_kernel = pytest.mark.skipif(
    not (_has("nbclient") and _has("nbformat") and _has("ipykernel")),
    reason="running the notebook needs nbclient and ipykernel (pip install '.[test]')")


# ---------------------------------------------------------------- helpers

def _cell(nb: dict, tag: str) -> dict:
    cells = [c for c in nb["cells"] if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def _data(cell: dict, mime: str) -> str:
    found = [_text(o["data"][mime]) for o in cell.get("outputs", []) if mime in o.get("data", {})]
    assert found, f"cell has no {mime} output: {_text(cell['source'])[:80]!r}"
    return found[-1]


def _stdout(cell: dict) -> str:
    return "".join(_text(o["text"]) for o in cell.get("outputs", [])
                   if o["output_type"] == "stream" and o["name"] == "stdout")


def _row_labels(table_html: str) -> list[str]:
    """The row labels (index) of a DataFrame's HTML table, in order."""
    body = table_html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>\s*<th>([^<]*)</th>", body)


def _cells(table_html: str) -> list[str]:
    """The values of a DataFrame's HTML table, row by row (markup-independent enough to compare runs)."""
    return [html.unescape(v).strip() for v in re.findall(r"<td>(.*?)</td>", table_html, re.S)]


def _check_answers(nb: dict, index) -> None:
    """The notebook's key answers agree with the index."""
    commerce = index.resolve_agency("市商务局")
    expected = [str(m["number"]) for m in index.measures_by_agency(commerce, role="lead")]
    assert expected[:3] == ["2", "21", "24"]
    assert _row_labels(_data(_cell(nb, "commerce-leads"), "text/html")) == expected

    top = [a["id"] for a in index.agency_summary()[:15]]
    assert _row_labels(_data(_cell(nb, "agency-load"), "text/html")) == top

    hands = Counter(int(key.rsplit("/", 1)[1]) for key, _ in index.assignment_pairs())
    most = [str(n) for n, _ in sorted(hands.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
    assert most[0] == "19"  # 12 agencies in its bracket
    assert _row_labels(_data(_cell(nb, "most-hands"), "text/html")) == most

    assert len(_row_labels(_data(_cell(nb, "targets"), "text/html"))) == len(index.targets())

    # The SPARQL query over the RDF graph finds the same measures as the index.
    assert _row_labels(_data(_cell(nb, "sparql"), "text/html")) == expected

    assert _data(_cell(nb, "plots"), "image/png")

    network = _data(_cell(nb, "network"), "text/html")
    assert network.count("<iframe") == 1 and 'sandbox="allow-scripts"' in network
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in network      # the whole page, escaped into the attribute

    turtle = _stdout(_cell(nb, "turtle"))
    assert turtle.startswith("jincheng-2022.ttl: ")
    assert "pkg:ledBy agency:jc-commerce" in turtle

    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", _text(cell["source"])[:200]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("policykg-cache")


@pytest.fixture(scope="module")
def index(cache_dir):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POLICYKG_CACHE_DIR", str(cache_dir))
        mp.delenv("POLICYKG_DATA", raising=False)
        idx = policykg.open_index()
    yield idx
    idx.close()


@pytest.fixture(scope="module")
def executed(tmp_path_factory, cache_dir) -> dict:
    """The notebook executed top to bottom from a temporary copy, as a plain dict."""
    import nbclient
    import nbformat
    from nbclient.exceptions import CellExecutionError

    missing = [m for m in ("pandas", "matplotlib") if not _has(m)]
    if missing:
        pytest.fail(f"the notebook needs {', '.join(missing)}: pip install '.[test]'")
    copy = tmp_path_factory.mktemp("notebook") / NOTEBOOK.name
    shutil.copyfile(NOTEBOOK, copy)
    nb = nbformat.read(copy, as_version=4)
    before = sorted(p.relative_to(NOTEBOOKS) for p in NOTEBOOKS.rglob("*"))
    # The kernel imports the policykg these tests import, and keeps its index out of the user's cache.
    package_root = str(Path(policykg.__file__).resolve().parent.parent)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POLICYKG_CACHE_DIR", str(cache_dir))
        mp.delenv("POLICYKG_DATA", raising=False)
        mp.setenv("PYTHONPATH", package_root, prepend=os.pathsep)
        client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=TIMEOUT, record_timing=False,
                                         resources={"metadata": {"path": str(NOTEBOOKS)}})
        try:
            client.execute()
        except CellExecutionError as exc:
            pytest.fail(f"{NOTEBOOK.name} failed:\n{exc}")
        finally:
            nbformat.write(nb, copy)  # kept for a look at what ran
    after = sorted(p.relative_to(NOTEBOOKS) for p in NOTEBOOKS.rglob("*"))
    assert after == before, f"running the notebook left files in notebooks/: {set(after) - set(before)}"
    return json.loads(copy.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def committed() -> dict:
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the run

@needs_kernel
def test_notebook_runs_top_to_bottom(executed):
    code = [c for c in executed["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1))


@needs_kernel
def test_fresh_run_answers_agree_with_the_index(executed, index):
    _check_answers(executed, index)


@needs_kernel
def test_fresh_run_shows_the_same_tables_as_the_committed_notebook(executed, committed):
    for tag in ("commerce-leads", "agency-load", "most-hands", "targets", "sparql"):
        fresh, kept = (_data(_cell(nb, tag), "text/html") for nb in (executed, committed))
        assert (_row_labels(fresh), _cells(fresh)) == (_row_labels(kept), _cells(kept)), (
            f"the {tag!r} table changed: re-run the notebook and commit its outputs")


# ---------------------------------------------------------------- the committed file

def test_committed_notebook_has_the_outputs_of_a_full_run(committed):
    code = [c for c in committed["cells"] if c["cell_type"] == "code"]
    assert code, "no code cells"
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), (
        "the committed notebook is not the output of one top-to-bottom run (or was stripped)")
    assert all(c["outputs"] for c in code), "a code cell has no output: was the notebook stripped?"
    for tag in TAGGED:
        assert _cell(committed, tag)["outputs"], f"cell {tag!r} has no output"
    for cell in code:
        assert "execution" not in cell["metadata"], "volatile timing metadata committed"
        assert not any(o["output_type"] == "stream" and o["name"] == "stderr" for o in cell["outputs"]), (
            f"a warning was committed: {_text(cell['source'])[:80]!r}")


def test_committed_answers_agree_with_the_index(committed, index):
    _check_answers(committed, index)


def test_committed_notebook_embeds_the_network_page_once():
    text = NOTEBOOK.read_text(encoding="utf-8")
    assert text.count("&lt;!DOCTYPE html&gt;") == 1
    assert NOTEBOOK.stat().st_size < 3_000_000


def test_readme_picture_of_the_plots_exists():
    assert PLOTS_PNG.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
