"""policykg.viz in a real browser: Debian's headless Chromium driven by Playwright.

Each page is opened from a file:// URL with every request watched: only the
file itself (and data: URIs) may load.  The tests read the vis-network DataSets
and network the page exposes as ``window.policykg``.

Needs ``/usr/bin/chromium`` (apt: chromium) and the ``playwright`` Python
package; Playwright's own browser download is never used.  Screenshots for the
documentation are written to docs/img/ only when POLICYKG_UPDATE_SCREENSHOTS=1;
otherwise they go to a temporary folder and are only checked.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not Path(CHROMIUM).is_file():
    pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package "
                               "(pip install playwright; its browser download is not needed)")

from policykg.atomic import write_bytes  # noqa: E402
from policykg.graph import compile_graph, to_networkx  # noqa: E402
from policykg.loader import load  # noqa: E402
from policykg.viz import view_graph, write_html  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOSTILE_PLAN = ROOT / "tests" / "data" / "hostile" / "plan.yaml"
DOCS_IMG = ROOT / "docs" / "img"
BASE = "https://w3id.org/policykg/id/"
ROLE_KEYS = ("lead", "responsible", "support")
VIEWPORT = {"width": 1600, "height": 1000}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Opened:
    """A page loaded from a file, with what it logged and requested."""

    def __init__(self, browser, path: Path):
        self.url = path.resolve().as_uri()
        self.context = browser.new_context(viewport=VIEWPORT)
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.goto(self.url)
        # a DOM wait: the page's CSP forbids the eval Playwright's wait_for_function uses
        self.page.wait_for_selector("body[data-stable=true]", state="attached", timeout=30000)

    def _route(self, route):
        url = route.request.url
        if url == self.url or url.startswith("data:"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def shipped():
    if not (ROOT / "data" / "measures.yaml").is_file():
        pytest.skip("data/measures.yaml not written yet")
    return load()


@pytest.fixture(scope="module")
def shipped_graph(shipped):
    return compile_graph(shipped)


@pytest.fixture
def open_page(browser, tmp_path):
    opened: list[Opened] = []

    def _open(data, name: str = "page", **options) -> Opened:
        path = tmp_path / f"{name}.html"
        write_html(path, data, **options)
        page = Opened(browser, path)
        opened.append(page)
        return page

    yield _open
    for page in opened:
        page.close()


def assert_clean(page: Opened):
    assert page.errors == []
    assert [text for kind, text in page.console if kind in ("error", "warning")] == []
    assert page.blocked == []
    assert all(url == page.url or url.startswith("data:") for url in page.requests), page.requests
    assert page.dialogs == []


VIEWS = {
    "full": {},
    "agencies": {"view": "agencies"},
    "english": {"lang": "en"},
    "agency": {"agency": "jc-commerce"},
    "agency-agencies": {"view": "agencies", "agency": "jc-yangcheng"},
    "sector": {"sector": "finance"},
}


@pytest.mark.parametrize("options", list(VIEWS.values()), ids=list(VIEWS))
def test_view_loads_offline_and_draws_the_graph(open_page, shipped_graph, options):
    page = open_page(shipped_graph, **options)
    assert_clean(page)
    expected = view_graph(shipped_graph, **{k: v for k, v in options.items() if k != "lang"})
    drawn = page.js("""() => ({
        nodes: window.policykg.nodes.getIds(), edges: window.policykg.edges.length,
        drawnNodes: window.policykg.network.body.nodeIndices.length,
        drawnEdges: window.policykg.network.body.edgeIndices.length,
        physics: window.policykg.network.physics.options.enabled })""")
    assert sorted(drawn["nodes"]) == sorted(expected.nodes)
    assert drawn["drawnNodes"] == expected.number_of_nodes()
    assert drawn["edges"] == drawn["drawnEdges"] == expected.number_of_edges()
    assert drawn["physics"] is False, "physics still running after the layout settled"


def test_layout_is_stable_and_repeatable(open_page, shipped_graph):
    first = open_page(shipped_graph, "first")
    positions = first.js("() => window.policykg.network.getPositions()")
    first.page.wait_for_timeout(600)
    assert first.js("() => window.policykg.network.getPositions()") == positions, "nodes still moving"
    second = open_page(shipped_graph, "second")
    assert second.js("() => window.policykg.network.getPositions()") == positions, "same data, other layout"


def test_selecting_an_agency_highlights_exactly_its_measures(open_page, shipped_graph):
    g = to_networkx(shipped_graph)
    commerce = f"{BASE}agency/jc-commerce"
    expected = sorted({u for u, _, k in g.in_edges(commerce, keys=True) if k in ROLE_KEYS})
    page = open_page(shipped_graph)
    page.page.select_option("#pkg-agency", commerce)
    state = page.js("""() => ({
        highlight: window.policykg.highlight,
        direct: window.policykg.nodes.get({filter: n => n.state === 'direct'}).map(n => n.id).sort(),
        selected: window.policykg.nodes.get({filter: n => n.state === 'selected'}).map(n => n.id),
        dimMeasures: window.policykg.nodes.get({filter: n => n.kind === 'measure' && n.state === 'dim'}).length,
        attr: document.body.getAttribute('data-selected') })""")
    assert state["direct"] == state["highlight"]["direct"] == expected
    assert state["selected"] == [commerce] and state["attr"] == commerce
    measures = sum(1 for _, a in g.nodes(data=True) if a["kind"] == "measure")
    assert state["dimMeasures"] == measures - len(expected)
    page.page.click("#pkg-clear")
    assert page.js("() => window.policykg.nodes.get({filter: n => n.state !== ''}).length") == 0


def test_member_of_a_collective_sees_the_collectives_measures(open_page, shipped_graph):
    g = to_networkx(shipped_graph)
    yangcheng, counties = f"{BASE}agency/jc-yangcheng", f"{BASE}agency/jc-counties"
    direct = {u for u, _, k in g.in_edges(yangcheng, keys=True) if k in ROLE_KEYS}
    via = {u for u, _, k in g.in_edges(counties, keys=True) if k in ROLE_KEYS} - direct
    page = open_page(shipped_graph)
    page.page.select_option("#pkg-agency", yangcheng)
    state = page.js("() => window.policykg.highlight")
    assert state["direct"] == sorted(direct) and state["member"] == sorted(via)


def test_clicking_an_agency_node_selects_it(open_page, shipped_graph):
    page = open_page(shipped_graph)
    ndrc = f"{BASE}agency/jc-ndrc"
    x, y = page.js("""id => { const n = window.policykg.network;
        const p = n.canvasToDOM(n.getPositions([id])[id]); return [p.x, p.y]; }""", ndrc)
    page.page.mouse.click(x, y)
    assert page.js("() => window.policykg.selected") == ndrc
    assert page.page.eval_on_selector("#pkg-agency", "s => s.value") == ndrc


def hover(page: Opened, node_id: str) -> str:
    """Move the mouse onto a node and return the text of the tooltip that appears."""
    x, y = page.js("""id => { const n = window.policykg.network;
        const p = n.canvasToDOM(n.getPositions([id])[id]); return [p.x, p.y]; }""", node_id)
    page.page.mouse.move(x - 3, y - 3)
    page.page.mouse.move(x, y)
    tip = page.page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5000)
    return tip.inner_text()


def test_hostile_text_is_shown_and_never_run(open_page):
    hostile = load(HOSTILE_PLAN)
    for options in ({}, {"view": "agencies"}, {"lang": "en"}):
        page = open_page(hostile, "hostile", **options)
        assert_clean(page)
        page.page.wait_for_timeout(300)  # give any injected handler its chance
        assert page.js("() => typeof window.__pwned") == "undefined"
        assert page.js("() => document.querySelectorAll('img, iframe, svg a, marquee, b, u, h1 script').length") == 0
        options_text = page.page.eval_on_selector_all("#pkg-agency option", "os => os.map(o => o.textContent)")
        label = "<script>alert(1)</script>" if options.get("lang") != "en" else \
            "<img src=x onerror=\"window.__pwned='name_en';alert(1)\">"
        assert any(text.startswith(label) for text in options_text)
        page.close()

    page = open_page(hostile, "hostile-tips")
    agency_tip = hover(page, f"{BASE}agency/evil-script")
    assert "<script>alert(1)</script>" in agency_tip
    assert "<img src=x onerror=\"window.__pwned='name_en';alert(1)\">" in agency_tip
    assert "\"quoted\" 'single' {braces} [brackets] back\\slash &amp; &lt;" in agency_tip
    page.page.mouse.move(2, 990)
    measure_tip = hover(page, f"{BASE}plan/hostile-1/measure/1")
    assert "<script>alert(1)</script>措施一" in measure_tip
    assert "新建<script>window.__pwned=12</script>5个 & more" in measure_tip
    assert page.js("() => document.querySelectorAll('div.vis-tooltip img, div.vis-tooltip script').length") == 0
    legend = page.page.inner_text("#pkg-legend")
    assert "<b onmouseover=window.__pwned=5>行业</b>" in legend
    assert page.page.title().endswith("</title><script>window.__pwned=8</script>计划")
    assert page.js("() => typeof window.__pwned") == "undefined"
    assert page.dialogs == []


def test_empty_view_says_so(open_page, small_dataset):
    import dataclasses

    from policykg import model as m
    extra = dict(small_dataset.sectors, childcare=m.Sector("childcare", "婴幼儿托育", "Infant and toddler care"))
    page = open_page(dataclasses.replace(small_dataset, sectors=extra), sector="childcare")
    assert_clean(page)
    assert page.js("() => window.policykg.nodes.length") == 0
    assert page.page.inner_text("#pkg-status") == "此视图中没有可显示的内容。"


@pytest.mark.parametrize("view", ["full", "agencies"])
def test_screenshot(open_page, shipped_graph, tmp_path, view):
    page = open_page(shipped_graph, view, view=view)
    shot = tmp_path / f"responsibility-{view}.png"
    page.page.screenshot(path=str(shot))
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 50_000  # a drawing, not a blank page
    assert page.page.is_visible("#pkg-legend")
    if os.environ.get("POLICYKG_UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        write_bytes(DOCS_IMG / shot.name, data)

