"""What the responsibility network shows: the nodes and edges of a view, and their text.

Everything here is derived from the NetworkX view of the compiled RDF graph
(:func:`policykg.graph.to_networkx` and :func:`policykg.graph.co_responsibility`),
never from the YAML; the few details that view leaves out (targets, full names,
a document's issuer, a sector's broader sector) are read from the same RDF graph.
The result is plain data (str, int, lists, dicts) that :mod:`policykg.viz.page`
embeds as JSON: no HTML is made here, so no text is ever interpreted as markup.
"""
from __future__ import annotations

import difflib
import math
import re
from typing import Any

import networkx as nx
from rdflib import Graph, Literal, URIRef

from ..errors import LookupFailed, UnknownAgency, UsageError
from ..model import COMPARATORS
from ..names import normalise_name
from ..ontology import DCTERMS, ELI, PKG, SCHEMA, SKOS
from ..roles import RAW_ROLES

__all__ = ["VIEWS", "LANGS", "ROLE_KEYS", "DOCUMENT_KEYS", "MEMBER_KEY", "view_graph", "page_data"]

VIEWS = ("full", "agencies")
LANGS = ("zh", "en")

#: Keys of measure -> agency edges in the NetworkX view: the raw roles' English names.
ROLE_KEYS = tuple(RAW_ROLES.values())
#: Keys of measure/plan -> document edges.
DOCUMENT_KEYS = ("based_on", "repeals", "implements", "cites")
MEMBER_KEY = "has_member"
#: Edge key of the agencies view (co-responsibility).
SHARES_KEY = "shares"

#: vis-network's layout seed: the same data is laid out the same way every time.
LAYOUT_SEED = 20220804

# --------------------------------------------------------------------------- styles

# Sector colours: light enough for a dark measure number on them, distinct side by side.
_SECTOR_PALETTE = (
    "#8ecae6", "#ffb703", "#90be6d", "#f4a6a6", "#b39ddb", "#ffd6a5", "#80cbc4", "#e6c229",
    "#a3b18a", "#f28482", "#9fa8da", "#c5e1a5", "#ffab91", "#81d4fa", "#ce93d8", "#bcaaa4",
    "#a5d6a7", "#ffe082", "#b0bec5", "#f8bbd0",
)
_NO_SECTOR_COLOUR = "#e0e0e0"

#: Agency kind -> (vis shape, colour).  Shapes carry the kind for readers who do not see colour.
AGENCY_STYLES: dict[str, tuple[str, str]] = {
    "department": ("diamond", "#1f4e9c"),
    "vertical_branch": ("triangle", "#7b3fa0"),
    "county_government": ("square", "#2e7d32"),
    "collective": ("hexagon", "#c2185b"),
    "leading_group": ("hexagon", "#6d4c41"),
    "task_force": ("star", "#e65100"),
    "government": ("triangleDown", "#37474f"),
    "party_organ": ("triangleDown", "#b71c1c"),
    "public_institution": ("triangleDown", "#8d6e1f"),
    "cooperative": ("triangleDown", "#a0522d"),
    "development_zone": ("triangleDown", "#00838f"),
    "other": ("dot", "#616161"),
}

#: Edge key -> (colour, width, dashes, arrow to target).
EDGE_STYLES: dict[str, tuple[str, float, list[int] | bool, bool]] = {
    "lead": ("#c62828", 3.0, False, False),
    "responsible": ("#f08c00", 2.0, False, False),
    "support": ("#78909c", 1.2, [6, 4], False),
    "based_on": ("#4e342e", 2.0, [10, 4], True),
    "repeals": ("#b71c1c", 2.0, [10, 4], True),
    "implements": ("#6d4c41", 1.5, [3, 4], True),
    "cites": ("#8d6e63", 1.2, [3, 4], True),
    "has_member": ("#9e9e9e", 1.0, [2, 3], True),
    "shares": ("#546e7a", 1.0, False, False),
}

_DOCUMENT_STYLE = ("box", "#f3ead7", "#8d6e63")
_PLAN_STYLE = ("box", "#37474f", "#263238")

# --------------------------------------------------------------------------- words

_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "network": "责任网络", "agencies_view": "共同责任网络", "measure": "措施", "measures": "措施",
        "agency": "单位", "agencies": "责任单位", "document": "引用文件", "documents": "引用文件",
        "plan": "行动计划", "sector": "行业", "task_force": "工作专班", "targets": "目标",
        "no_sector": "综合（未分行业）", "legend": "图例", "select": "突出显示单位",
        "none": "（无）", "clear": "清除", "edges": "关系", "size": "图形大小＝所涉措施数",
        "width": "线宽＝共同负责的措施数", "kind": "类型", "member_of": "所属", "members": "成员",
        "full_name": "全称", "issuer": "发文机关", "level": "层级", "year": "年份", "note": "说明",
        "date": "成文日期", "number": "文号", "cited_by": "引用措施", "empty": "此视图中没有可显示的内容。",
        "count_measures": "{n} 项措施", "count_agencies": "{n} 个单位", "count_documents": "{n} 份文件",
        "count_pairs": "{n} 对共同负责关系",
        "load": "共 {total} 项措施：牵头 {lead}，负责 {responsible}，配合 {support}",
        "leads": "起牵头作用的措施 {n} 项", "shared": "共同负责 {n} 项措施",
        "deadline": "（{date}前）", "joint_lead": "负责（共同牵头）", "position": "第 {n} 位",
        "measure_n": "措施 {n}", "sector_view": "行业", "agency_view": "单位",
        "loading": "正在布局…", "help": "悬停查看详情；点击单位突出显示其措施。",
        "role_lead": "牵头", "role_responsible": "负责", "role_support": "配合",
        "rel_based_on": "依据", "rel_repeals": "废止", "rel_implements": "贯彻落实", "rel_cites": "引用",
        "rel_has_member": "成员", "rel_shares": "共同负责",
        "kind_government": "政府及其办公室", "kind_department": "市政府部门",
        "kind_vertical_branch": "垂直管理机构", "kind_county_government": "县级政府",
        "kind_party_organ": "党委机构", "kind_public_institution": "事业单位", "kind_cooperative": "供销社",
        "kind_development_zone": "开发区", "kind_leading_group": "领导小组",
        "kind_collective": "集合（多个单位）", "kind_task_force": "工作专班", "kind_other": "其他",
        "level_national": "国家", "level_provincial": "省级", "level_municipal": "市级", "level_county": "县级",
    },
    "en": {
        "network": "Responsibility network", "agencies_view": "Co-responsibility network",
        "measure": "Measure", "measures": "Measures", "agency": "Agency", "agencies": "Agencies",
        "document": "Referenced document", "documents": "Referenced documents", "plan": "Action plan",
        "sector": "Sector", "task_force": "Task force", "targets": "Targets",
        "no_sector": "General (no sector)", "legend": "Legend", "select": "Highlight agency",
        "none": "(none)", "clear": "Clear", "edges": "Relations", "size": "Size = number of measures",
        "width": "Width = measures shared", "kind": "Kind", "member_of": "Member of", "members": "Members",
        "full_name": "Full name", "issuer": "Issuer", "level": "Level", "year": "Year", "note": "Note",
        "date": "Date", "number": "Number", "cited_by": "Cited by measures",
        "empty": "Nothing to show in this view.",
        "count_measures": "{n} measures", "count_agencies": "{n} agencies", "count_documents": "{n} documents",
        "count_pairs": "{n} pairs sharing measures",
        "load": "{total} measures: lead {lead}, responsible {responsible}, support {support}",
        "leads": "leads {n} measures in effect", "shared": "{n} measures shared",
        "deadline": " (by {date})", "joint_lead": "responsible (joint lead)", "position": "position {n}",
        "measure_n": "Measure {n}", "sector_view": "Sector", "agency_view": "Agency",
        "loading": "Laying out…", "help": "Hover for details; click an agency to highlight its measures.",
        "role_lead": "lead (牵头)", "role_responsible": "responsible (负责)", "role_support": "support (配合)",
        "rel_based_on": "based on", "rel_repeals": "repeals", "rel_implements": "implements",
        "rel_cites": "cites", "rel_has_member": "has member", "rel_shares": "shared measures",
        "kind_government": "Government and its office", "kind_department": "Municipal department",
        "kind_vertical_branch": "Vertically managed branch", "kind_county_government": "County-level government",
        "kind_party_organ": "Party organ", "kind_public_institution": "Public institution",
        "kind_cooperative": "Supply and marketing cooperative", "kind_development_zone": "Development zone",
        "kind_leading_group": "Leading group", "kind_collective": "Collective (several agencies)",
        "kind_task_force": "Task force", "kind_other": "Other",
        "level_national": "national", "level_provincial": "provincial", "level_municipal": "municipal",
        "level_county": "county",
    },
}

_KIND_ORDER = {"plan": 0, "document": 1, "measure": 2, "agency": 3, "sector": 4}


def words(lang: str) -> dict[str, str]:
    """The page's fixed words in ``lang``."""
    return _TEXT[lang]


# --------------------------------------------------------------------------- selecting a view


def _nodes_of_kind(g: nx.MultiDiGraph, kind: str) -> list[str]:
    return [n for n, a in g.nodes(data=True) if a.get("kind") == kind]


def _node_by_id(g: nx.MultiDiGraph, kind: str, ident: str) -> str | None:
    for n in _nodes_of_kind(g, kind):
        if g.nodes[n].get("id") == ident:
            return n
    return None


def _agency_node(g: nx.MultiDiGraph, agency: str) -> str:
    node = _node_by_id(g, "agency", agency)
    if node is None:
        ids = sorted(g.nodes[n]["id"] for n in _nodes_of_kind(g, "agency"))
        raise UnknownAgency(f"no agency has the id {agency!r}",
                            difflib.get_close_matches(agency, ids, n=5, cutoff=0.5))
    return node


def _sector_node(g: nx.MultiDiGraph, sector: str) -> str:
    """The sector named by its id, or by its Chinese or English name."""
    node = _node_by_id(g, "sector", sector)
    if node is not None:
        return node
    key = normalise_name(sector)
    for n in _nodes_of_kind(g, "sector"):
        a = g.nodes[n]
        if key in (normalise_name(a.get("label_zh", "")), normalise_name(a.get("label_en", ""))):
            return n
    names = sorted(g.nodes[n]["id"] for n in _nodes_of_kind(g, "sector"))
    raise LookupFailed(f"no sector has the id or name {sector!r}",
                       difflib.get_close_matches(sector, names, n=5, cutoff=0.5))


def _narrower_or_self(rdf: Graph, g: nx.MultiDiGraph, sector_node: str) -> set[str]:
    """Ids of the sector and every sector below it (skos:broader, read from the RDF graph)."""
    found = {sector_node}
    frontier = [URIRef(sector_node)]
    while frontier:
        for narrower in rdf.subjects(SKOS.broader, frontier.pop()):
            if str(narrower) not in found and str(narrower) in g:
                found.add(str(narrower))
                frontier.append(narrower)
    return {g.nodes[n]["id"] for n in found}


def _membership(g: nx.MultiDiGraph) -> nx.DiGraph:
    """Collective -> member edges only."""
    membership = nx.DiGraph()
    membership.add_edges_from((u, v) for u, v, k in g.edges(keys=True) if k == MEMBER_KEY)
    return membership


def _collectives_of(membership: nx.DiGraph, agency_node: str) -> list[str]:
    """Collectives that list the agency as a member, directly or through another collective."""
    return sorted(nx.ancestors(membership, agency_node)) if agency_node in membership else []


def _role_targets(g: nx.MultiDiGraph, measure: str) -> list[tuple[str, str, dict]]:
    return [(v, k, d) for _, v, k, d in g.out_edges(measure, keys=True, data=True) if k in ROLE_KEYS]


def _selected_measures(g: nx.MultiDiGraph, rdf: Graph, agency: str | None,
                       sector: str | None) -> tuple[list[str], str | None]:
    measures = _nodes_of_kind(g, "measure")
    agency_node = None
    if sector is not None:
        sectors = _narrower_or_self(rdf, g, _sector_node(g, sector))
        measures = [m for m in measures if g.nodes[m].get("sector") in sectors]
    if agency is not None:
        agency_node = _agency_node(g, agency)
        assigned = {agency_node, *_collectives_of(_membership(g), agency_node)}
        measures = [m for m in measures if any(v in assigned for v, _, _ in _role_targets(g, m))]
    return measures, agency_node


def _check(view: str) -> None:
    if view not in VIEWS:
        raise UsageError(f"unknown view {view!r}: choose one of {', '.join(VIEWS)}")


def select_view(g: nx.MultiDiGraph, rdf: Graph, *, view: str = "full", agency: str | None = None,
                sector: str | None = None) -> nx.MultiDiGraph | nx.Graph:
    """The part of ``g`` (a :func:`~policykg.graph.to_networkx` view of ``rdf``) a view draws.

    ``full``: measures, the agencies with a role in them, the documents they or the
    plan refer to (the plan itself only when nothing is filtered), and collective
    membership among the agencies drawn.  ``agencies``: the co-responsibility graph
    of those measures.  ``agency`` (an id) keeps the measures the agency, or a
    collective it belongs to, has a role in; ``sector`` (an id or name) keeps the
    measures about the sector or a narrower one.
    """
    _check(view)
    measures, agency_node = _selected_measures(g, rdf, agency, sector)
    if view == "agencies":
        from ..graph import co_responsibility
        keep = set(measures) | {v for m in measures for v, _, _ in _role_targets(g, m)}
        co = co_responsibility(g.subgraph(keep) if agency or sector else g)
        if agency_node is not None and agency_node not in co:
            co.add_node(agency_node, **g.nodes[agency_node])
        co.graph["measures"] = measures
        return co
    out = nx.MultiDiGraph(measures=measures)

    def add(node: str) -> None:
        if node not in out:
            out.add_node(node, **g.nodes[node])

    for m in measures:
        add(m)
        for _, v, k, d in g.out_edges(m, keys=True, data=True):
            if k in ROLE_KEYS or k in DOCUMENT_KEYS:
                add(v)
                out.add_edge(m, v, key=k, **d)
    if agency is None and sector is None:
        for p in _nodes_of_kind(g, "plan"):
            for _, v, k, d in g.out_edges(p, keys=True, data=True):
                if k in DOCUMENT_KEYS:
                    add(p)
                    add(v)
                    out.add_edge(p, v, key=k, **d)
    if agency_node is not None:
        add(agency_node)
    for u, v, k, d in g.edges(keys=True, data=True):
        if k == MEMBER_KEY and u in out and v in out:
            out.add_edge(u, v, key=k, **d)
    return out


def view_graph(graph: Graph, *, view: str = "full", agency: str | None = None,
               sector: str | None = None) -> nx.MultiDiGraph | nx.Graph:
    """The NetworkX graph a view of the compiled RDF ``graph`` draws (see :func:`select_view`)."""
    from ..graph import to_networkx
    return select_view(to_networkx(graph), graph, view=view, agency=agency, sector=sector)


# --------------------------------------------------------------------------- details from RDF


def _literal(rdf: Graph, node: URIRef, prop: URIRef, lang: str | None = None) -> str:
    values = sorted(str(o) for o in rdf.objects(node, prop) if isinstance(o, Literal)
                    and (lang is None or (o.language or "").split("-")[0] == lang))
    return values[0] if values else ""


def _natural(iri: URIRef) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(iri)))


def _number(text: str) -> str:
    """A decimal as people write it: 1800, 8.8, 0.5 (no trailing zeros, no exponent)."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _targets(rdf: Graph, node: URIRef, lang: str) -> list[str]:
    t = words(lang)
    out = []
    for target in sorted(rdf.objects(node, PKG.target), key=_natural):
        comparator = _literal(rdf, target, PKG.comparator)
        unit = _literal(rdf, target, SCHEMA.unitText)
        def amount_of(prop: URIRef) -> str:
            return _number(_literal(rdf, target, prop))

        if comparator == "range":
            amount = f"{amount_of(SCHEMA.minValue)}–{amount_of(SCHEMA.maxValue)}"
        else:
            amount = f"{COMPARATORS.get(comparator, comparator)} {amount_of(SCHEMA.value)}"
        stated = f"{_literal(rdf, target, PKG.indicator, lang)} {amount}{unit}"
        text = _literal(rdf, target, PKG.text)
        line = text if text and lang == "zh" else stated
        if text and lang == "en":
            line = f"{stated} — {text}"
        deadline = _literal(rdf, target, PKG.deadline)
        if deadline:
            line += t["deadline"].format(date=deadline)
        out.append(line)
    return out


# --------------------------------------------------------------------------- page data


_ACRONYM = re.compile(r"^[A-Z]{3,}$")


def _short_english(rdf: Graph, node: str, name_en: str) -> str:
    """A shorter English label for a drawn agency: its shortest English alias that is an
    acronym (NDRC) or has two words or more (Bureau of Commerce), else its English name.

    English names repeat "Jincheng Municipal …"; the full name stays in the tooltip.
    """
    aliases = sorted(str(o) for o in rdf.objects(URIRef(node), SKOS.altLabel)
                     if isinstance(o, Literal) and (o.language or "").split("-")[0] == "en"
                     and (_ACRONYM.match(str(o)) or len(str(o).split()) >= 2))
    shortest = min(aliases, key=len, default=name_en)
    return shortest if len(shortest) < len(name_en) or not name_en else name_en


def _label(attrs: dict, lang: str) -> str:
    other = "en" if lang == "zh" else "zh"
    return attrs.get(f"label_{lang}") or attrs.get(f"label_{other}") or attrs.get("id", "")


def _loads(g: nx.MultiDiGraph) -> dict[str, dict[str, int]]:
    """Per agency: distinct measures, measures per raw role, measures it leads in effect."""
    out: dict[str, dict[str, int]] = {}
    seen: dict[str, set] = {}
    for m in _nodes_of_kind(g, "measure"):
        for v, k, d in _role_targets(g, m):
            counts = out.setdefault(v, {"total": 0, "lead": 0, "responsible": 0, "support": 0, "effective_lead": 0})
            counts[k] += 1
            counts["effective_lead"] += d.get("effective") == "lead"
            seen.setdefault(v, set()).add(m)
    for v, ms in seen.items():
        out[v]["total"] = len(ms)
    return out


def _sector_colours(g: nx.MultiDiGraph) -> dict[str, str]:
    """A colour per sector id, in order of the sector's first measure, so neighbours differ."""
    order: list[str] = []
    measures = sorted(_nodes_of_kind(g, "measure"), key=lambda m: _sort_key(g, m))
    for m in measures:
        s = g.nodes[m].get("sector", "")
        if s and s not in order:
            order.append(s)
    for n in sorted(_nodes_of_kind(g, "sector")):
        if g.nodes[n]["id"] not in order:
            order.append(g.nodes[n]["id"])
    return {s: _SECTOR_PALETTE[i % len(_SECTOR_PALETTE)] for i, s in enumerate(order)}


def initial_positions(g: nx.MultiDiGraph, shown: nx.Graph) -> dict[str, tuple[int, int]]:
    """Where each node of a view starts before vis-network's physics settles it.

    The view's measures go round a circle in document order, so sections and
    sectors lie in arcs; an agency starts at 0.7 of the centroid of its measures
    (one spread over the whole plan starts near the middle), a document just
    outside the measures that cite it, the plan above the circle.  Starting near
    equilibrium makes the layout settle fast, and the same way every time.
    """
    measures = sorted(shown.graph.get("measures", ()),
                      key=lambda m: (g.nodes[m].get("plan", ""), g.nodes[m].get("number", 0), m))
    radius = max(220.0, len(measures) * 46 / (2 * math.pi))
    place: dict[str, tuple[float, float]] = {}
    for i, m in enumerate(measures):
        angle = 2 * math.pi * i / len(measures) - math.pi / 2
        place[m] = (radius * math.cos(angle), radius * math.sin(angle))

    def near(points: list[tuple[float, float]], factor: float, k: int) -> tuple[float, float]:
        # a small deterministic offset (golden angle) keeps nodes with the same centroid apart
        dx, dy = 9.0 * math.cos(2.399963 * k), 9.0 * math.sin(2.399963 * k)
        if not points:
            return (radius * 0.3 * math.cos(2.399963 * k), radius * 0.3 * math.sin(2.399963 * k))
        x = sum(p[0] for p in points) / len(points)
        y = sum(p[1] for p in points) / len(points)
        return (factor * x + dx, factor * y + dy)

    ordered = sorted(shown.nodes, key=lambda n: _sort_key(g, n))
    for k, node in enumerate(ordered):
        kind = g.nodes[node].get("kind")
        if kind == "plan":
            place[node] = (0.0, -1.3 * radius - 60 * k)
        elif kind == "agency":
            mine = [place[u] for u, _, key in g.in_edges(node, keys=True) if key in ROLE_KEYS and u in place]
            place[node] = near(mine, 0.7, k)
    for k, node in enumerate(ordered):
        if g.nodes[node].get("kind") == "document":
            citing = [place[u] for u, _, key in g.in_edges(node, keys=True)
                      if key in DOCUMENT_KEYS and u in place and g.nodes[u].get("kind") == "measure"]
            plan = [place[u] for u, _, key in g.in_edges(node, keys=True) if key in DOCUMENT_KEYS and u in place]
            place[node] = near(citing, 1.2, k) if citing else near(plan, 1.0, k)
    return {n: (round(place[n][0]), round(place[n][1])) for n in ordered}


def _sort_key(g: nx.Graph, node: str) -> tuple:
    a = g.nodes[node]
    return (_KIND_ORDER.get(a.get("kind", ""), 9), a.get("plan", ""), a.get("number", 0)
            if a.get("kind") == "measure" else 0, node)


def page_data(rdf: Graph, g: nx.MultiDiGraph, *, view: str = "full", agency: str | None = None,
              sector: str | None = None, lang: str = "zh") -> dict[str, Any]:
    """The data a page embeds: its words, styles, nodes, edges and tooltip text."""
    _check(view)
    if lang not in LANGS:
        raise UsageError(f"unknown language {lang!r}: choose one of {', '.join(LANGS)}")
    t = words(lang)
    other = "en" if lang == "zh" else "zh"
    shown = select_view(g, rdf, view=view, agency=agency, sector=sector)
    positions = initial_positions(g, shown)
    loads = _loads(g)
    colours = _sector_colours(g)
    sectors = {a["id"]: a for _, a in g.nodes(data=True) if a.get("kind") == "sector"}
    several_plans = len(_nodes_of_kind(g, "plan")) > 1
    membership = _membership(g)
    agency_by_id = {g.nodes[n]["id"]: n for n in _nodes_of_kind(g, "agency")}

    def name(node: str) -> str:
        return _label(g.nodes[node], lang)

    def sector_name(sid: str) -> str:
        if not sid:
            return t["no_sector"]
        a = sectors.get(sid)
        return _label(a, lang) if a else sid

    def measure_label(attrs: dict) -> str:
        return f"{attrs.get('plan')}/{attrs.get('number')}" if several_plans else str(attrs.get("number"))

    def measure_tip(node: str, a: dict) -> dict:
        rows: list[list] = []
        if a.get("sector"):
            s = sectors.get(a["sector"], {})
            rows.append([t["sector"], [" / ".join(x for x in dict.fromkeys((_label(s, lang), _label(s, other))) if x)
                                       if s else a["sector"]]])
        if a.get("task_force"):
            tf = agency_by_id.get(a["task_force"])
            rows.append([t["task_force"], [name(tf) if tf else a["task_force"]]])
        by_role: dict[str, list[str]] = {}
        joint = False
        for v, k, d in sorted(_role_targets(g, node), key=lambda x: (x[2].get("position", 0), x[0])):
            by_role.setdefault(k, []).append(name(v))
            joint = joint or (k == "responsible" and d.get("effective") == "lead")
        for role in ROLE_KEYS:
            if role in by_role:
                key = t["joint_lead"] if role == "responsible" and joint else t[f"role_{role}"]
                rows.append([key, by_role[role]])
        targets = _targets(rdf, URIRef(node), lang)
        if targets:
            rows.append([t["targets"], targets])
        docs = [f"{t['rel_' + k]}: {_document_label(g.nodes[v], lang)}"
                for _, v, k in sorted(g.out_edges(node, keys=True)) if k in DOCUMENT_KEYS]
        if docs:
            rows.append([t["documents"], docs])
        return {"title": f"{t['measure_n'].format(n=measure_label(a))}: {_label(a, lang)}",
                "sub": [s for s in (a.get(f"label_{other}"),) if s], "rows": rows}

    def agency_tip(node: str, a: dict) -> dict:
        iri = URIRef(node)
        counts = loads.get(node, {"total": 0, "lead": 0, "responsible": 0, "support": 0, "effective_lead": 0})
        rows: list[list] = [
            [t["kind"], [t.get(f"kind_{a.get('agency_kind')}", a.get("agency_kind", ""))]],
            [t["measures"], [t["load"].format(**counts), t["leads"].format(n=counts["effective_lead"])]],
        ]
        full = _literal(rdf, iri, PKG.fullName)
        if full:
            rows.append([t["full_name"], [full]])
        member_of = _collectives_of(membership, node)
        if member_of:
            rows.append([t["member_of"], [name(c) for c in member_of]])
        members = sorted(v for _, v, k in g.out_edges(node, keys=True) if k == MEMBER_KEY)
        if members:
            rows.append([t["members"], [name(v) for v in members]])
        return {"title": _label(a, lang), "sub": [s for s in (a.get(f"label_{other}"),) if s], "rows": rows}

    def document_tip(node: str, a: dict) -> dict:
        iri = URIRef(node)
        rows: list[list] = []
        for key, prop in (("issuer", PKG.issuerName), ("level", PKG.level), ("year", PKG.year), ("note", SKOS.note)):
            value = _literal(rdf, iri, prop)
            if key == "level" and value:
                value = t.get(f"level_{value}", value)
            if value:
                rows.append([t[key], [value]])
        citing = sorted((g.nodes[u].get("number", 0), k) for u, _, k in g.in_edges(node, keys=True)
                        if g.nodes[u].get("kind") == "measure")
        if citing:
            rows.append([t["cited_by"], [", ".join(str(n) for n, _ in citing)]])
        titles = [a.get("label_zh"), a.get("label_en")]
        return {"title": a.get("number") or _label(a, lang), "sub": [x for x in titles if x], "rows": rows}

    def plan_tip(node: str, a: dict) -> dict:
        iri = URIRef(node)
        rows = [[t["number"], [_literal(rdf, iri, DCTERMS.identifier)]],
                [t["date"], [_literal(rdf, iri, ELI.date_document)]],
                [t["measures"], [str(sum(1 for u, _, k in g.in_edges(node, keys=True) if k == "is_part_of"))]]]
        return {"title": _label(a, lang), "sub": [s for s in (a.get(f"label_{other}"),) if s],
                "rows": [r for r in rows if r[1][0]]}

    nodes = []
    for node in sorted(shown.nodes, key=lambda n: _sort_key(shown, n)):
        a = g.nodes[node]
        kind = a["kind"]
        entry: dict[str, Any] = {"id": node, "kind": kind, "x": positions[node][0], "y": positions[node][1]}
        if kind == "measure":
            entry.update(label=measure_label(a), number=a.get("number", 0), sector=a.get("sector", ""),
                         tip=measure_tip(node, a))
        elif kind == "agency":
            label = _short_english(rdf, node, a.get("label_en", "")) if lang == "en" else name(node)
            entry.update(label=label, agencyKind=a.get("agency_kind", "other"),
                         load=loads.get(node, {}).get("total", 0), memberOf=_collectives_of(membership, node),
                         tip=agency_tip(node, a))
        elif kind == "document":
            entry.update(label=_document_label(a, lang), tip=document_tip(node, a))
        else:  # the plan, labelled by its number
            entry.update(label=_literal(rdf, URIRef(node), DCTERMS.identifier) or _label(a, lang),
                         tip=plan_tip(node, a))
        nodes.append(entry)

    edges = []
    if view == "agencies":
        pairs = sorted(tuple(sorted((u, v))) for u, v in shown.edges())
        for i, (u, v) in enumerate(pairs, 1):
            w = shown[u][v].get("weight", 1)
            edges.append({"id": f"e{i}", "from": u, "to": v, "rel": SHARES_KEY, "weight": w,
                          "tip": {"title": f"{name(u)} — {name(v)}", "sub": [t["shared"].format(n=w)], "rows": []}})
    else:
        order = sorted(shown.edges(keys=True, data=True),
                       key=lambda e: (_sort_key(shown, e[0]), e[3].get("position", 0), e[2], e[1]))
        for i, (u, v, k, d) in enumerate(order, 1):
            edge: dict[str, Any] = {"id": f"e{i}", "from": u, "to": v, "rel": k}
            if k in ROLE_KEYS:
                edge["effective"] = d.get("effective", "")
                role = t["joint_lead"] if k == "responsible" and d.get("effective") == "lead" else t[f"role_{k}"]
                measure = f"{t['measure_n'].format(n=measure_label(g.nodes[u]))}: {_label(g.nodes[u], lang)}"
                edge["tip"] = {"title": f"{name(v)} — {role}",
                               "sub": [measure, t["position"].format(n=d.get("position", 0))], "rows": []}
            else:
                edge["tip"] = {"title": t[f"rel_{k}"], "sub": [f"{_tip_name(g, u, lang)} → {_tip_name(g, v, lang)}"],
                               "rows": []}
            edges.append(edge)

    used_sectors = sorted({n["sector"] for n in nodes if n["kind"] == "measure"},
                          key=lambda s: (s == "", list(colours).index(s) if s in colours else 0, s))
    used_kinds = [k for k in AGENCY_STYLES if any(n.get("agencyKind") == k for n in nodes)]
    used_relations = [k for k in EDGE_STYLES if any(e["rel"] == k for e in edges)]
    styles = {
        "sectors": {s: {"color": colours.get(s, _NO_SECTOR_COLOUR), "label": sector_name(s)} for s in used_sectors},
        "agencyKinds": {k: {"shape": AGENCY_STYLES[k][0], "color": AGENCY_STYLES[k][1], "label": t[f"kind_{k}"]}
                        for k in used_kinds},
        "relations": {k: {"color": EDGE_STYLES[k][0], "width": EDGE_STYLES[k][1], "dashes": EDGE_STYLES[k][2],
                          "arrow": EDGE_STYLES[k][3],
                          "label": t[f"role_{k}"] if k in ROLE_KEYS else t[f"rel_{k}"]} for k in used_relations},
        "document": {"shape": _DOCUMENT_STYLE[0], "color": _DOCUMENT_STYLE[1], "border": _DOCUMENT_STYLE[2],
                     "label": t["document"]},
        "plan": {"shape": _PLAN_STYLE[0], "color": _PLAN_STYLE[1], "border": _PLAN_STYLE[2], "label": t["plan"]},
    }
    counts = {"measure": len(shown.graph["measures"]), "agency": sum(1 for n in nodes if n["kind"] == "agency"),
              "document": sum(1 for n in nodes if n["kind"] == "document"),
              "pairs": len(edges) if view == "agencies" else 0}
    focus = _agency_node(g, agency) if agency else None
    return {
        "meta": {"view": view, "lang": lang, "agency": g.nodes[focus]["id"] if focus else None, "focus": focus,
                 "sector": g.nodes[_sector_node(g, sector)]["id"] if sector else None,
                 "title": _title(g, rdf, t, lang, view, agency, sector), "seed": LAYOUT_SEED,
                 "counts": counts},
        "text": {k: t[k] for k in ("legend", "select", "none", "clear", "size", "width", "measures", "agencies",
                                   "documents", "edges", "empty", "count_measures", "count_agencies",
                                   "count_documents", "count_pairs", "loading", "help", "plan")},
        "styles": styles,
        "nodes": nodes,
        "edges": edges,
    }


def _document_label(attrs: dict, lang: str) -> str:
    if attrs.get("number"):
        return attrs["number"]
    title = _label(attrs, "zh")
    return f"《{title}》" if title else attrs.get("id", "")


def _tip_name(g: nx.MultiDiGraph, node: str, lang: str) -> str:
    a = g.nodes[node]
    if a.get("kind") == "measure":
        return words(lang)["measure_n"].format(n=a.get("number"))
    if a.get("kind") == "document":
        return _document_label(a, lang)
    return _label(a, lang)


def _title(g: nx.MultiDiGraph, rdf: Graph, t: dict, lang: str, view: str, agency: str | None,
           sector: str | None) -> str:
    plans = sorted(_nodes_of_kind(g, "plan"))
    head = t["agencies_view"] if view == "agencies" else t["network"]
    parts = [head]
    if len(plans) == 1:
        parts.append(_label(g.nodes[plans[0]], lang))
    if agency:
        parts.append(_label(g.nodes[_agency_node(g, agency)], lang))
    if sector:
        parts.append(_label(g.nodes[_sector_node(g, sector)], lang))
    return " — ".join(p for p in parts if p)
