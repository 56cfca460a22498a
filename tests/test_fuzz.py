"""Property-based tests: arbitrary input never breaks policykg, and valid plans survive RDF.

- arbitrary text into the extractor, and arbitrary bytes, text or YAML documents
  into the loader, raise nothing but policykg's own errors;
- generated valid plans load, compile, and come back from Turtle and N-Triples
  as the same graph (isomorphic), and conform to the SHACL shapes.

Example counts are kept small enough for the whole file to run in well under a
minute on a shared two-core machine.
"""
from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph
from rdflib.compare import isomorphic

from policykg import loader
from policykg import model as m
from policykg.errors import PolicyKGError
from policykg.exporters import export
from policykg.extract import dump_yaml, extract_text
from policykg.graph import compile_graph, validate_shapes

#: POLICYKG_FUZZ_SCALE=20 runs twenty times the examples (locally, when hunting).
SCALE = int(os.environ.get("POLICYKG_FUZZ_SCALE", "1"))


def few(n: int):
    return settings(max_examples=n * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- the extractor

#: Pieces of the genre, so generated text reaches the parser's deeper paths.
PLAN_WORDS = ["一、", "二、", "十一、", "十十一、", "（一）", "(二)", "（十四）", "1.", "2．", "3、", "66.", "〔", "〕",
              "（", "）", "(", ")", "牵头", "负责", "配合", "牵头负责", "，", ",", "、", "。", "；", "市商务局",
              "各县（市、区）人民政府", "泽州县、高平市人民政府", "《", "》", "晋政办发〔2022〕35号", "〔2022〕",
              "35 号", "2022年底", "年底前", "全年", "0000年底", "新建5G基站1800个", "达到", "以上", "以下",
              "1-2家", "左右", "余", "由", "降至", "个月", "%", "实现", "全覆盖", "晋城市人民政府办公室文件",
              "关于印发", "的通知", "2022年8月4日", "二〇二二年八月四日", "十三月", "抄送：", "附件：",
              "（此件公开发布）", "金融业专班负责）", "根据", "精神", "同时废止", "落实", "\n", "\n\n", " ",
              "\u3000", "\ufeff", "\u200b", "\u2028", "\x85", "\r", "\t", "١٢٣", "𝟙𝟚", "9" * 40, "1.5", "万"]
plan_like_text = st.lists(st.one_of(st.sampled_from(PLAN_WORDS), st.text(max_size=4)), max_size=80).map("".join)


@pytest.fixture(scope="module")
def authority():
    return loader.load().agencies


@few(150)
@given(text=st.one_of(st.text(max_size=400), plan_like_text), with_authority=st.booleans())
def test_extract_raises_only_its_own_errors(authority, text, with_authority):
    try:
        result = extract_text(text, authority if with_authority else None)
    except PolicyKGError:
        return
    draft = dump_yaml(result.draft)
    # the draft is YAML policykg reads (its problems, if any, are data problems, not crashes)
    assert loader.classify(loader.parse_yaml(draft.encode("utf-8"), "draft.yaml")) == "plan"
    assert all(isinstance(n, int) and isinstance(name, str) for n, name in result.unmatched)


@pytest.mark.parametrize("text", [
    "十十一、一、",                                                   # not a numeral: was a KeyError
    "二〇二二年十十月四日\n一、任务\n1. 做好。〔市商务局牵头〕",          # nor is 十十 a month
    "一、任务\n1. 新建" + "1" * 5000 + "个基站。〔市商务局牵头〕",       # int() of 5,000 digits: was a ValueError
])
def test_extract_regressions(text):
    try:
        extract_text(text)
    except PolicyKGError:
        pass


def test_extract_drops_invisible_characters(authority):
    """Zero-width spaces, soft hyphens and stray controls from copy-paste do not hide a name."""
    result = extract_text("一、任务\n1. 做好工作。〔市商\u200b务局牵头，市邮政\u00ad管理局\x07配合〕\n", authority)
    assert result.draft["measures"][0]["agencies"] == [{"agency": "jc-commerce", "role": "牵头"},
                                                       {"agency": "jc-post", "role": "配合"}]
    assert result.unmatched == []


# --------------------------------------------------------------------------- the loader

SCHEMA_KEYS = ["plan", "agencies", "sectors", "documents", "sections", "measures", "id", "name", "name_en", "kind",
               "members", "aliases", "number", "title", "title_en", "issuer", "date", "section", "parent",
               "sector", "task_force", "agency", "role", "targets", "indicator", "comparator", "value", "min",
               "max", "unit", "deadline", "based_on", "broader", "level", "year", "relation", "document"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
                    st.sampled_from(["牵头", "负责", "配合", "jc-post", "range", "eq", "department", "collective",
                                     "2022-12-31", ".nan", "~", "=", "<<"]),
                    st.dates(), st.decimals(allow_nan=False).map(str))
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(SCHEMA_KEYS), st.text(max_size=6)), inner, max_size=5)),
    max_leaves=30)


def load_all(*named_docs) -> None:
    try:
        loader.build_dataset(list(named_docs))
    except PolicyKGError:
        pass


@few(150)
@given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8"))))
def test_loader_raises_only_its_own_errors_on_any_bytes(raw):
    try:
        doc = loader.parse_yaml(raw, "any.yaml")
    except PolicyKGError:
        return
    load_all(("any.yaml", doc))


YAML_PIECES = ["plan:", "agencies:", "measures:", "\n", "\n  ", "\n    ", "- ", ": ", "{", "}", "[", "]", ",", "&a ",
               "*a", "!!python/object:os.system ", "!!int ", "!!timestamp ", "!!binary ", "? ", "|", ">", "'", '"',
               "#", "---", "...", "<<: ", "\t", "\\", "\\x07", "\u200b", "2022-13-45", "1e999", "0x", "9" * 30,
               "id", "number", "agency", "role", "牵头", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "\r"]


@few(150)
@given(text=st.lists(st.one_of(st.sampled_from(YAML_PIECES), st.text(max_size=5)), max_size=60).map("".join))
def test_loader_raises_only_its_own_errors_on_yaml_like_text(text):
    try:
        doc = loader.parse_yaml(text.encode("utf-8"), "y.yaml")
    except PolicyKGError:
        return
    load_all(("y.yaml", doc))


@few(150)
@given(doc=documents, kind=st.sampled_from(["plan", "agencies", "sectors", None]))
def test_loader_raises_only_its_own_errors_on_any_structure(doc, kind):
    """Any mix of keys, lists and scalars, written as YAML and read back, in any kind of file."""
    text = yaml.safe_dump({kind: doc} if kind else doc, allow_unicode=True)
    try:
        parsed = loader.parse_yaml(text.encode("utf-8"), "s.yaml")
    except PolicyKGError:
        return
    load_all(("agencies.yaml", loader.parse_yaml(b"agencies: [{id: jc-post, name: x, name_en: x, kind: other}]",
                                                 "agencies.yaml")), ("s.yaml", parsed))


# --------------------------------------------------------------------------- valid plans

#: Text a curator may write: any printable character, including quotes, backslashes,
#: braces, markup and CJK, with no surrounding spaces (the loader strips them).
text = st.text(st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1, max_size=20) \
    .map(str.strip).filter(bool)
ids = st.from_regex(r"[a-z][a-z0-9._-]{0,10}", fullmatch=True)
decimals = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=3, allow_nan=False)
dates = st.dates(min_value=dt.date(1949, 10, 1), max_value=dt.date(2100, 12, 31))


@st.composite
def targets(draw) -> dict:
    comparator = draw(st.sampled_from(sorted(m.COMPARATORS)))
    target = {"indicator": draw(text), "indicator_en": draw(text), "comparator": comparator}
    if comparator == "range":
        lo, hi = sorted(draw(st.lists(decimals, min_size=2, max_size=2)))
        target.update(min=str(lo), max=str(hi))
    else:
        target["value"] = str(draw(decimals))
    for key, strategy in (("unit", text), ("deadline", dates), ("text", text)):
        if draw(st.booleans()):
            target[key] = draw(strategy)
    return target


@st.composite
def datasets(draw) -> list[tuple[str, dict]]:
    """(file name, YAML document) of an authority file, a sector scheme and a plan of 1–5 measures."""
    agency_ids = draw(st.lists(ids, min_size=2, max_size=6, unique=True))
    agencies = [{"id": a, "name": draw(text), "name_en": draw(text),
                 "kind": draw(st.sampled_from([k for k in m.AGENCY_KINDS if k != "collective"]))}
                for a in agency_ids]
    for a in agencies[:draw(st.integers(0, 2))]:
        a["aliases"] = draw(st.lists(text, max_size=3))
    if draw(st.booleans()):   # a collective of some of the others: membership never cycles
        agencies.append({"id": "all-counties", "name": draw(text), "name_en": draw(text), "kind": "collective",
                         "members": draw(st.lists(st.sampled_from(agency_ids), min_size=1, unique=True))})
    sector_ids = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    sectors = [{"id": s, "name": draw(text), "name_en": draw(text)} for s in sector_ids]
    if len(sectors) > 1:
        sectors[1]["broader"] = sector_ids[0]
    every_agency = [a["id"] for a in agencies]
    documents = [{"id": d, "number": draw(text), "title": draw(text), "level": "provincial", "year": 2022}
                 for d in draw(st.lists(ids, max_size=2, unique=True))]
    sections = [{"id": "s1", "number": "一", "title": draw(text), "title_en": draw(text),
                 "sector": draw(st.sampled_from(sector_ids))}]
    measures = []
    for number in draw(st.lists(st.integers(1, 999), min_size=1, max_size=5, unique=True)):
        chosen = draw(st.lists(st.sampled_from(every_agency), min_size=1, max_size=4, unique=True))
        # the first agency leads or is responsible, as in every real bracket (the shapes require a lead)
        roles = [draw(st.sampled_from(["牵头", "负责"]))] + [draw(st.sampled_from(["牵头", "负责", "配合"]))
                                                         for _ in chosen[1:]]
        measure = {"number": number, "section": "s1", "title": draw(text), "title_en": draw(text),
                   "body": draw(text), "bracket": draw(text),
                   "agencies": [{"agency": a, "role": r} for a, r in zip(chosen, roles)],
                   "targets": draw(st.lists(targets(), max_size=2))}
        if documents and draw(st.booleans()):
            measure["documents"] = [{"document": documents[0]["id"],
                                     "relation": draw(st.sampled_from(list(m.DOC_RELATIONS)))}]
        measures.append(measure)
    plan = {"plan": {"id": draw(ids), "number": draw(text), "title": draw(text), "title_en": draw(text),
                     "issuer": draw(st.sampled_from(every_agency)), "date": draw(dates),
                     "based_on": [d["id"] for d in documents[:1]], "targets": draw(st.lists(targets(), max_size=1))},
            "documents": documents, "sections": sections, "measures": measures}
    return [("agencies.yaml", {"agencies": agencies}), ("sectors.yaml", {"sectors": sectors}), ("plan.yaml", plan)]


def load_generated(files: list[tuple[str, dict]]) -> m.Dataset:
    """Through YAML text, as a curator's files would be read."""
    return loader.build_dataset([(name, loader.parse_yaml(yaml.safe_dump(doc, allow_unicode=True).encode("utf-8"),
                                                          name)) for name, doc in files])


@few(40)
@given(files=datasets())
def test_valid_plans_round_trip_through_turtle_and_ntriples(files):
    ds = load_generated(files)
    plan = ds.plans[0]
    source = dict(files)["plan.yaml"]
    assert [x.number for x in plan.measures] == sorted(x["number"] for x in source["measures"])
    assert plan.title == source["plan"]["title"]
    graph = compile_graph(ds)
    assert len(graph) > 0
    for fmt, syntax in (("turtle", "turtle"), ("nt", "nt")):
        back = Graph().parse(data=export(ds, fmt).decode("utf-8"), format=syntax)
        assert isomorphic(graph, back), fmt


@few(8)
@given(files=datasets())
def test_valid_plans_conform_to_the_shapes(files):
    assert validate_shapes(compile_graph(load_generated(files))) == []
