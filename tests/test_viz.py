"""policykg.viz: the responsibility network page, checked without a browser.

The page must be one offline file (vis-network inlined, no request to any
host), embed exactly the nodes and edges of each view of the graph, show hostile
text as text, be the same bytes for the same data, and be written atomically.
Browser behaviour is in test_viz_browser.py.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from policykg import atomic
from policykg.errors import LookupFailed, OutputError, UnknownAgency, UsageError
from policykg.graph import co_responsibility, compile_graph, to_networkx
from policykg.loader import load
from policykg.viz import embed_json, render_html, view_graph, write_html
from policykg.viz import page as viz_page

HOSTILE_PLAN = Path(__file__).resolve().parent / "data" / "hostile" / "plan.yaml"
ROLE_KEYS = ("lead", "responsible", "support")
DOCUMENT_KEYS = ("based_on", "repeals", "implements", "cites")
BASE = "https://w3id.org/policykg/id/"

HOSTILE_STRINGS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=\"window.__pwned='name_en';alert(1)\">",
    "\"quoted\" 'single' {braces} [brackets] back\\slash &amp; &lt;",
    "<img src=x onerror=window.__pwned=1>市测试局",
    "<script>alert(1)</script>措施一",
    "{\"json\": [1, 2]} \\ backslash",
]

# --------------------------------------------------------------------------- helpers


def embedded(page: str) -> dict:
    """The JSON the page embeds for its script."""
    match = re.search(r'<script type="application/json" id="pkg-data">(.*?)</script>', page, re.S)
    assert match, "no embedded data block"
    return json.loads(match.group(1))


def script_blocks(page: str) -> list[tuple[str, str]]:
    """(attributes, content) of every <script> element, in order."""
    return re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)


def outside_scripts(page: str) -> str:
    return re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)


def edge_multiset(data: dict) -> Counter:
    return Counter((e["from"], e["to"], e["rel"]) for e in data["edges"])


def expected_full(g: nx.MultiDiGraph, measures: list[str] | None = None, with_plan: bool = True):
    """Nodes and edges the full view must draw, straight from the NetworkX view."""
    if measures is None:
        measures = [n for n, a in g.nodes(data=True) if a["kind"] == "measure"]
    nodes, edges = set(measures), Counter()
    for m in measures:
        for _, v, k in g.out_edges(m, keys=True):
            if k in ROLE_KEYS + DOCUMENT_KEYS:
                nodes.add(v)
                edges[(m, v, k)] += 1
    if with_plan:
        for p in (n for n, a in g.nodes(data=True) if a["kind"] == "plan"):
            for _, v, k in g.out_edges(p, keys=True):
                if k in DOCUMENT_KEYS:
                    nodes |= {p, v}
                    edges[(p, v, k)] += 1
    for u, v, k in g.edges(keys=True):
        if k == "has_member" and u in nodes and v in nodes:
            edges[(u, v, k)] += 1
    return nodes, edges


@pytest.fixture(scope="module")
def hostile_dataset():
    return load(HOSTILE_PLAN)


@pytest.fixture(scope="module")
def small_page(small_dataset) -> str:
    return render_html(small_dataset)


# --------------------------------------------------------------------------- offline, one file


@pytest.mark.parametrize("view", ["full", "agencies"])
def test_page_is_self_contained(any_dataset, view):
    page = render_html(any_dataset, view=view)
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I), "a script is loaded from a file or host"
    assert not re.search(r"<link\b", page, re.I), "a stylesheet or other resource is linked"
    assert not re.search(r"""\b(?:src|href|action|data)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"""url\(\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert "@import" not in page
    assert "sourceMappingURL" not in page
    assert "bootstrap" not in page.lower()
    version, vis_js, vis_css = viz_page.vis_assets()
    assert vis_js.strip() and vis_js in page and vis_css in page, "vis-network is not inlined"
    assert "new vis.Network" in page and f"vis-network {version}" in page


def test_content_security_policy_allows_only_the_page_scripts(small_page):
    csp = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', small_page).group(1))
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in directives["script-src"]
    allowed = set(directives["script-src"].split())
    executable = [body for attrs, body in script_blocks(small_page) if "application/json" not in attrs]
    assert len(executable) == 2
    for body in executable:
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in allowed
    assert "connect-src" not in directives  # falls back to default-src 'none'


def test_vis_assets_missing_is_a_clear_error(monkeypatch, small_dataset):
    viz_page.vis_assets.cache_clear()
    monkeypatch.setattr(viz_page.importlib.util, "find_spec", lambda name: None)
    try:
        with pytest.raises(OutputError, match="vis-network"):
            render_html(small_dataset)
    finally:
        monkeypatch.undo()
        viz_page.vis_assets.cache_clear()


# --------------------------------------------------------------------------- what each view draws


def test_full_view_of_small_dataset(small_dataset, small_page):
    data = embedded(small_page)
    kinds = Counter(n["kind"] for n in data["nodes"])
    # 3 measures; 5 agencies in brackets; 2 documents; the plan (based_on / cites)
    assert kinds == {"measure": 3, "agency": 5, "document": 2, "plan": 1}
    rels = Counter(e["rel"] for e in data["edges"])
    assert rels == {"lead": 2, "responsible": 3, "support": 2, "implements": 1, "cites": 2, "based_on": 1}
    assert len({e["id"] for e in data["edges"]}) == len(data["edges"])


@pytest.mark.parametrize("options", [{}, {"lang": "en"}], ids=["zh", "en"])
def test_full_view_matches_graph(any_dataset, options):
    g = to_networkx(compile_graph(any_dataset))
    data = embedded(render_html(any_dataset, **options))
    nodes, edges = expected_full(g)
    assert {n["id"] for n in data["nodes"]} == nodes
    assert len(data["nodes"]) == len(nodes)
    assert edge_multiset(data) == edges


def test_agencies_view_matches_co_responsibility(any_dataset):
    co = co_responsibility(to_networkx(compile_graph(any_dataset)))
    data = embedded(render_html(any_dataset, view="agencies"))
    assert {n["id"] for n in data["nodes"]} == set(co.nodes)
    assert all(n["kind"] == "agency" for n in data["nodes"])
    drawn = {frozenset((e["from"], e["to"])): e["weight"] for e in data["edges"]}
    assert len(drawn) == len(data["edges"]) == co.number_of_edges()
    assert drawn == {frozenset((u, v)): w for u, v, w in co.edges(data="weight")}


def test_agency_view_includes_measures_of_its_collectives(small_dataset):
    data = embedded(render_html(small_dataset, agency="jc-zezhou"))
    ids = {n["id"] for n in data["nodes"]}
    measures = {n["number"] for n in data["nodes"] if n["kind"] == "measure"}
    assert measures == {2, 3}  # 各县（市、区）人民政府 is named in both; 泽州县 is a member
    assert f"{BASE}agency/jc-zezhou" in ids and f"{BASE}agency/jc-counties" in ids
    assert f"{BASE}plan/test-plan" not in ids
    assert Counter(e["rel"] for e in data["edges"]) == {"responsible": 3, "lead": 1, "support": 1,
                                                        "cites": 1, "has_member": 1}
    assert data["meta"]["agency"] == "jc-zezhou" and data["meta"]["focus"] == f"{BASE}agency/jc-zezhou"


def test_agency_view_of_shipped_plan(shipped_dataset):
    g = to_networkx(compile_graph(shipped_dataset))
    commerce = f"{BASE}agency/jc-commerce"
    mine = sorted({u for u, _, k in g.in_edges(commerce, keys=True) if k in ROLE_KEYS})
    data = embedded(render_html(shipped_dataset, agency="jc-commerce"))
    nodes, edges = expected_full(g, mine, with_plan=False)
    assert {n["id"] for n in data["nodes"]} == nodes
    assert edge_multiset(data) == edges
    co = embedded(render_html(shipped_dataset, view="agencies", agency="jc-commerce"))
    partners = {v for m in mine for _, v, k in g.out_edges(m, keys=True) if k in ROLE_KEYS}
    assert {n["id"] for n in co["nodes"]} == partners and commerce in partners
    assert co["meta"]["counts"]["measure"] == len(mine)


@pytest.mark.parametrize("sector", ["producer-services", "生产性服务业", "Producer services", "finance"])
def test_sector_view_includes_narrower_sectors(small_dataset, sector):
    data = embedded(render_html(small_dataset, sector=sector))
    assert {n["number"] for n in data["nodes"] if n["kind"] == "measure"} == {1, 2, 3}
    assert not any(n["kind"] == "plan" for n in data["nodes"])
    assert len(data["edges"]) == 7 + 2  # roles, and the documents two measures cite


def test_sector_view_of_shipped_plan(shipped_dataset):
    g = to_networkx(compile_graph(shipped_dataset))
    finance = [n for n, a in g.nodes(data=True) if a["kind"] == "measure" and a["sector"] == "finance"]
    data = embedded(render_html(shipped_dataset, sector="finance"))
    nodes, edges = expected_full(g, finance, with_plan=False)
    assert {n["id"] for n in data["nodes"]} == nodes and edge_multiset(data) == edges
    assert set(data["styles"]["sectors"]) == {"finance"}


def test_view_graph_is_what_the_page_draws(small_dataset):
    graph = compile_graph(small_dataset)
    for options in ({}, {"view": "agencies"}, {"agency": "jc-commerce"}, {"sector": "finance"}):
        shown = view_graph(graph, **options)
        data = embedded(render_html(graph, **options))
        assert shown.number_of_nodes() == len(data["nodes"])
        assert shown.number_of_edges() == len(data["edges"])


def test_rdf_graph_and_dataset_give_the_same_page(small_dataset, small_page):
    assert render_html(compile_graph(small_dataset)) == small_page


def test_nodes_carry_what_the_tooltip_and_legend_need(small_page):
    data = embedded(small_page)
    by_id = {n["id"]: n for n in data["nodes"]}
    m1 = by_id[f"{BASE}plan/test-plan/measure/1"]
    assert m1["label"] == "1" and m1["sector"] == "finance"
    assert m1["tip"]["title"] == "措施 1: 措施1" and m1["tip"]["sub"] == ["Measure 1"]
    rows = dict((k, v) for k, v in m1["tip"]["rows"])
    assert rows["牵头"] == ["市邮政管理局"] and rows["配合"] == ["市商务局"]
    assert rows["目标"] == ["新建5G基站1800个（2022-12-31前）"]
    assert rows["工作专班"] == ["金融业专班"]
    m2 = dict((k, v) for k, v in by_id[f"{BASE}plan/test-plan/measure/2"]["tip"]["rows"])
    assert m2["负责（共同牵头）"] == ["市科技局", "各县（市、区）人民政府"]  # 负责 without 牵头: joint leads
    assert m2["目标"] == ["新型研发机构 1–2家"]
    commerce = by_id[f"{BASE}agency/jc-commerce"]
    assert commerce["load"] == 2 and commerce["agencyKind"] == "department"
    assert "共 2 项措施：牵头 1，负责 0，配合 1" in dict(commerce["tip"]["rows"])["措施"]
    counties = by_id[f"{BASE}agency/jc-counties"]
    assert dict(counties["tip"]["rows"])["成员"] == ["高平市人民政府", "泽州县人民政府"]
    assert set(data["styles"]["agencyKinds"]) == {"vertical_branch", "department", "collective"}
    assert set(data["styles"]["relations"]) == {"lead", "responsible", "support", "implements", "cites", "based_on"}


def test_english_labels(small_dataset):
    data = embedded(render_html(small_dataset, lang="en"))
    by_id = {n["id"]: n for n in data["nodes"]}
    # the label is the shortest English alias of two words or more, or an acronym; the tooltip has the full name
    assert by_id[f"{BASE}agency/jc-commerce"]["label"] == "Bureau of Commerce"
    assert by_id[f"{BASE}agency/jc-commerce"]["tip"]["title"] == "Jincheng Municipal Bureau of Commerce"
    assert by_id[f"{BASE}agency/jc-ndrc"]["label"] == "NDRC"
    assert by_id[f"{BASE}agency/jc-science"]["label"] == "Jincheng Municipal Science and Technology Bureau"
    assert data["meta"]["lang"] == "en" and data["text"]["legend"] == "Legend"
    m2 = next(n for n in data["nodes"] if n["kind"] == "measure" and n["number"] == 2)
    assert m2["tip"]["title"] == "Measure 2: Measure 2" and m2["tip"]["sub"] == ["措施2"]


def test_layout_starts_from_fixed_positions_and_seed(small_page):
    data = embedded(small_page)
    assert isinstance(data["meta"]["seed"], int)
    assert all(isinstance(n["x"], int) and isinstance(n["y"], int) for n in data["nodes"])
    assert "randomSeed: meta.seed" in small_page


# --------------------------------------------------------------------------- bad requests


def test_unknown_agency_suggests_ids(small_dataset):
    with pytest.raises(UnknownAgency) as caught:
        render_html(small_dataset, agency="jc-comerce")
    assert "jc-commerce" in caught.value.candidates


def test_unknown_sector(small_dataset):
    with pytest.raises(LookupFailed) as caught:
        render_html(small_dataset, sector="financ")
    assert "finance" in caught.value.candidates


@pytest.mark.parametrize("options", [{"view": "hairball"}, {"lang": "fr"}])
def test_bad_view_or_language(small_dataset, options):
    with pytest.raises(UsageError):
        render_html(small_dataset, **options)


def test_wrong_input_type():
    with pytest.raises(TypeError):
        render_html({"plans": []})


# --------------------------------------------------------------------------- hostile text


@pytest.mark.parametrize("value", [
    "</script><script>alert(1)</script>", "<!-- <script>", "a\u2028b\u2029c", "&amp; & < >",
    "\\u003c/script>", "{\"}\"}", "lone \ud800 surrogate", "]]>", "'\"`${x}",
])
def test_embed_json_cannot_end_its_script(value):
    text = embed_json({"v": value, value: [value]})
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in text
    assert re.search(r"[\ud800-\udfff]", text) is None
    assert json.loads(text) == {"v": value, value: [value]}


@pytest.mark.parametrize("view", ["full", "agencies"])
def test_hostile_names_are_escaped(hostile_dataset, view):
    page = render_html(hostile_dataset, view=view)
    # the three script elements and nothing else: no value opened or closed one
    assert page.count("</script>") == 3
    assert [attrs for attrs, _ in script_blocks(page)] == [' type="application/json" id="pkg-data"', "", ""]
    block = re.search(r'<script type="application/json" id="pkg-data">(.*?)</script>', page, re.S).group(1)
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in block
    rest = outside_scripts(page)
    for bad in ("<script>alert", "onerror", "<img", "<iframe", "<svg", "javascript:", "__pwned=8</"):
        assert bad not in rest
    assert "&lt;/title&gt;&lt;script&gt;window.__pwned=8&lt;/script&gt;计划" in rest  # the title, escaped
    # and the values arrive intact as data, for the page to show as text
    data = json.loads(block)
    texts = json.dumps(data, ensure_ascii=False)
    for value in HOSTILE_STRINGS[:2] + HOSTILE_STRINGS[3:4]:
        assert json.dumps(value, ensure_ascii=False)[1:-1] in texts


def test_hostile_text_reaches_tooltips_verbatim(hostile_dataset):
    data = embedded(render_html(hostile_dataset))
    by_id = {n["id"]: n for n in data["nodes"]}
    evil = by_id[f"{BASE}agency/evil-script"]
    assert evil["label"] == "<script>alert(1)</script>"
    assert evil["tip"]["sub"] == ["<img src=x onerror=\"window.__pwned='name_en';alert(1)\">"]
    assert dict(evil["tip"]["rows"])["全称"] == ["\"quoted\" 'single' {braces} [brackets] back\\slash &amp; &lt;"]
    m1 = by_id[f"{BASE}plan/hostile-1/measure/1"]
    assert m1["tip"]["title"] == "措施 1: <script>alert(1)</script>措施一"
    assert dict(m1["tip"]["rows"])["目标"] == ["新建<script>window.__pwned=12</script>5个 & more（2022-12-31前）"]
    assert data["styles"]["sectors"]["evil-sector"]["label"] == "<b onmouseover=window.__pwned=5>行业</b>"
    county = by_id[f"{BASE}agency/evil-county"]
    assert county["tip"]["sub"] == ["County \u2028line\u2029separators"]


# --------------------------------------------------------------------------- determinism


def test_same_data_same_bytes(small_dataset, hostile_dataset):
    assert render_html(small_dataset) == render_html(small_dataset)
    assert render_html(hostile_dataset, view="agencies") == render_html(load(HOSTILE_PLAN), view="agencies")


def test_same_bytes_across_processes(tmp_path):
    """Set and dict order must not leak in: two interpreters with different hash seeds agree."""
    code = ("import hashlib,sys; from policykg.loader import load; from policykg.viz import render_html; "
            "d = load(sys.argv[1]); "
            "print(hashlib.sha256((render_html(d) + render_html(d, view='agencies')).encode()).hexdigest())")
    digests = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", code, str(HOSTILE_PLAN)], env=env, capture_output=True,
                             text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
        digests.add(out.stdout.strip())
    assert len(digests) == 1


# --------------------------------------------------------------------------- writing


def test_write_html_is_utf8_and_exact(tmp_path, small_dataset, small_page):
    target = tmp_path / "responsibility.html"
    write_html(target, small_dataset)
    assert target.read_bytes() == small_page.encode("utf-8")


def test_failed_write_keeps_old_file(tmp_path, small_dataset, monkeypatch):
    target = tmp_path / "responsibility.html"
    target.write_text("old page", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OutputError, match="No space left"):
        write_html(target, small_dataset)
    assert target.read_text(encoding="utf-8") == "old page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["responsibility.html"]


def test_bad_request_never_touches_the_file(tmp_path, small_dataset):
    target = tmp_path / "responsibility.html"
    target.write_text("old page", encoding="utf-8")
    with pytest.raises(UnknownAgency):
        write_html(target, small_dataset, agency="nobody")
    assert target.read_text(encoding="utf-8") == "old page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["responsibility.html"]


def test_write_into_missing_folder_is_an_output_error(tmp_path, small_dataset):
    with pytest.raises(OutputError):
        write_html(tmp_path / "no" / "such" / "page.html", small_dataset)


def test_view_with_nothing_in_it(small_dataset):
    import dataclasses

    from policykg import model as m
    extra = dict(small_dataset.sectors, childcare=m.Sector("childcare", "婴幼儿托育", "Infant and toddler care"))
    dataset = dataclasses.replace(small_dataset, sectors=extra)
    data = embedded(render_html(dataset, sector="childcare"))
    assert data["nodes"] == [] and data["edges"] == []
    assert data["meta"]["counts"] == {"measure": 0, "agency": 0, "document": 0, "pairs": 0}
    assert embedded(render_html(dataset, sector="childcare", view="agencies"))["nodes"] == []


def test_agency_without_measures_is_drawn_alone(small_dataset):
    data = embedded(render_html(small_dataset, agency="jc-gov-office"))
    assert [n["id"] for n in data["nodes"]] == [f"{BASE}agency/jc-gov-office"] and data["edges"] == []
    data = embedded(render_html(small_dataset, view="agencies", agency="jc-gov-office"))
    assert [n["id"] for n in data["nodes"]] == [f"{BASE}agency/jc-gov-office"] and data["edges"] == []
