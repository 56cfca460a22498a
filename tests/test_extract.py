"""policykg.extract: the real Jincheng plan and small variants of its conventions."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
import yaml

from policykg.errors import ExtractError
from policykg.extract import (
    dump_yaml, extract_file, extract_text, find_targets, normalise_line, split_bracket,
)
from policykg.model import Agency

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "data" / "source" / "jincheng-2022-service-plan.txt"
HERE = Path(__file__).resolve().parent / "data" / "extract"
YEAR_END = dt.date(2022, 12, 31)


def _agency(entry: dict) -> Agency:
    return Agency(**{k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()})


@pytest.fixture(scope="module")
def agencies() -> dict[str, Agency]:
    doc = yaml.safe_load((ROOT / "data" / "agencies.yaml").read_text(encoding="utf-8"))
    return {e["id"]: _agency(e) for e in doc["agencies"]}


@pytest.fixture(scope="module")
def real(agencies):
    return extract_file(SOURCE, agencies)


def measure(extraction, number: int) -> dict:
    (m,) = [m for m in extraction.draft["measures"] if m["number"] == number]
    return m


def pairs(m: dict) -> list[tuple[str | None, str]]:
    return [(a["agency"], a["role"]) for a in m["agencies"]]


def numbered(extraction) -> dict[str, dict]:
    """Registry entries by document number (title for title-only documents)."""
    return {d["number"] or d["title"]: d for d in extraction.draft["documents"]}


# --------------------------------------------------------------------------
# The real source
# --------------------------------------------------------------------------

def test_real_has_66_measures_numbered_continuously(real):
    assert [m["number"] for m in real.draft["measures"]] == list(range(1, 67))


def test_real_sections_and_subsections(real):
    sections = real.draft["sections"]
    top = [s for s in sections if "parent" not in s]
    subs = [s for s in sections if "parent" in s]
    assert [s["id"] for s in top] == [f"s{n}" for n in range(1, 8)]
    assert [s["number"] for s in top] == list("一二三四五六七")
    assert len(subs) == 14
    assert {s["parent"] for s in subs[:7]} == {"s3"} and {s["parent"] for s in subs[7:]} == {"s4"}
    assert subs[0]["title"] == "现代金融" and subs[-1]["title"] == "教育培训"
    assert top[4]["title"] == "加快发展非营利性服务业"


def test_real_task_forces(real):
    by_id = {s["id"]: s.get("task_force") for s in real.draft["sections"]}
    assert {k: v for k, v in by_id.items() if v} == {
        "s3-1": "jc-tf-finance", "s3-2": "jc-tf-transport", "s3-3": "jc-tf-science",
        "s3-4": "jc-tf-information", "s3-5": "jc-tf-trade", "s4-8": "jc-tf-trade",
        "s4-9": "jc-tf-culture-sports-tourism", "s4-12": "jc-tf-real-estate", "s5": "jc-tf-nonprofit",
    }
    assert len({v for v in by_id.values() if v}) == 8


def test_real_every_measure_has_a_bracket_and_agencies(real):
    for m in real.draft["measures"]:
        assert m["bracket"], m["number"]
        assert m["agencies"] and all(a["agency"] and a["role"] for a in m["agencies"]), m["number"]
        assert not m["body"].endswith(("〕", "）")) and m["bracket"] not in m["body"], m["number"]
    assert not [w for w in real.warnings if "bracket" in w]


def test_real_no_unmatched_names(real):
    assert real.unmatched == []


def test_real_measure_13_roles_in_order(real):
    assert pairs(measure(real, 13)) == [
        ("jc-post", "牵头"), ("jc-commerce", "配合"), ("jc-housing", "配合"), ("jc-planning", "配合")]


def test_real_measure_11_expands_shared_suffix(real):
    assert pairs(measure(real, 11)) == [
        ("jc-ndrc", "负责"), ("jc-post", "负责"), ("jc-zezhou", "负责"), ("jc-gaoping", "负责"),
        ("jc-yangcheng", "负责"), ("jc-lingchuan", "负责"), ("jc-qinshui", "负责")]


def test_real_measure_45_responsible_then_support(real):
    m = measure(real, 45)
    assert m["bracket"] == "市规划和自然资源局负责，市住建局配合"
    assert pairs(m) == [("jc-planning", "负责"), ("jc-housing", "配合")]


def test_real_measure_1_collective_takes_next_groups_role(real):
    m = measure(real, 1)
    assert pairs(m)[0] == ("jc-ndrc", "负责") and pairs(m)[-1] == ("jc-counties", "负责")
    assert len(m["agencies"]) == 11


@pytest.mark.parametrize("number, bracket, expected", [
    (58, "市商务局，各县（市、区）人民政府负责", [("jc-commerce", "负责"), ("jc-counties", "负责")]),
    (62, "市服务业发展领导小组成员单位，各县（市、区）人民政府负责",
     [("jc-service-lg-members", "负责"), ("jc-counties", "负责")]),
    (64, "市发展改革委、市财政局、市统计局负责",
     [("jc-ndrc", "负责"), ("jc-finance", "负责"), ("jc-statistics", "负责")]),
])
def test_real_brackets_after_page_breaks(real, number, bracket, expected):
    m = measure(real, number)
    assert m["bracket"] == bracket
    assert pairs(m) == expected


def test_real_page_break_rejoined_in_measure_1(real):
    m = measure(real, 1)
    assert m["title"] == "全面落实服务业普惠性纾困扶持措施"
    assert "《关于促进服务业领域困难行业恢复发展的若干政策》（发改财金〔2022〕271号）" in m["body"]
    assert "国家发展改革委等14部委" in m["body"]
    assert m["body"].endswith("普惠性政策措施落地落实。")


def test_real_body_of_62_ends_before_its_bracket(real):
    assert measure(real, 62)["body"].endswith("推动各项工作落实到位。")
    assert measure(real, 30)["body"].startswith("鼓励企业通过社交电商、直播带货等新型营销手段")


def test_real_text_is_normalised(real):
    m8 = measure(real, 8)
    assert "2:2:4:2" in m8["body"] and "降至1%以下" in m8["body"]
    assert "乡村e镇培育" in measure(real, 56)["body"]
    assert "，" in measure(real, 2)["body"] and "," not in measure(real, 2)["body"]


def test_real_documents(real):
    docs = numbered(real)
    assert set(docs) == {
        "晋政办发〔2022〕35号", "晋市政办〔2021〕25号", "发改财金〔2022〕271号", "晋政办发〔2022〕33号",
        "晋市政办发〔2022〕6号", "支持和促进新时代人力资源服务业发展若干措施"}
    assert docs["晋政办发〔2022〕35号"]["id"] == "jzbf-2022-35"
    assert docs["晋政办发〔2022〕35号"]["title"] == "山西省推进服务业提质增效2022年行动计划"
    assert docs["晋市政办〔2021〕25号"]["id"] == "jszb-2021-25"
    assert docs["发改财金〔2022〕271号"]["id"] == "fgcj-2022-271"
    assert docs["发改财金〔2022〕271号"]["level"] == "national"
    title_only = docs["支持和促进新时代人力资源服务业发展若干措施"]
    assert title_only["number"] is None
    digest = hashlib.sha1("支持和促进新时代人力资源服务业发展若干措施".encode()).hexdigest()[:8]
    assert title_only["id"] == f"doc-{digest}"
    assert all(d["id"].isascii() for d in real.draft["documents"])


def test_real_document_relations(real):
    plan = real.draft["plan"]
    assert plan["based_on"] == ["jzbf-2022-35"]
    assert plan["repeals"] == ["jszb-2021-25"]
    assert measure(real, 1)["documents"] == [
        {"document": "fgcj-2022-271", "relation": "implements"},
        {"document": "jzbf-2022-33", "relation": "implements"}]
    assert measure(real, 10)["documents"] == [{"document": "jszbf-2022-6", "relation": "implements"}]
    assert measure(real, 22)["documents"][0]["relation"] == "implements"


def test_real_inconsistent_number_is_flagged_not_fixed(real):
    doc = numbered(real)["晋市政办发〔2022〕6号"]
    assert doc["title"] == "山西省促进网络货运行业健康发展工作方案"
    assert "municipal" in doc["note"]
    assert any("jszbf-2022-6" in w for w in real.warnings)


def test_real_plan_metadata(real):
    plan = real.draft["plan"]
    assert plan["id"] == "jincheng-2022-24"
    assert plan["number"] == "晋市政办〔2022〕24号"
    assert plan["title"] == "晋城市推进服务业提质增效2022年行动计划"
    assert plan["notice_title"] == "晋城市人民政府办公室关于印发晋城市推进服务业提质增效2022年行动计划的通知"
    assert plan["issuer"] == "jc-gov-office"
    assert plan["date"] == dt.date(2022, 8, 4)
    assert plan["region"] == "晋城市"
    assert plan["title_en"] == ""


def test_real_plan_target(real):
    (target,) = real.draft["plan"]["targets"]
    assert (target["comparator"], target["value"], target["unit"], target["deadline"]) == \
        ("approx", 8.8, "%", YEAR_END)
    assert target["indicator"] == "全市服务业增加值增速"


@pytest.mark.parametrize("number, expected", [
    (8, [("le", 1, "%", None)]),
    (14, [("range", (1, 2), "家", None), ("range", (3, 5), "家", YEAR_END)]),
    (17, [("ge", 115, "家", YEAR_END)]),
    (18, [("eq", 1800, "个", None)]),
    (28, [("ge", 12, "家", None), ("eq", 1, "个", None), ("ge", 5, "个", None)]),
    (43, [("gt", 300, "户", None)]),
    (49, [("eq", 5000, "个", YEAR_END), ("ge", 30, "个", None)]),
    (64, []),          # 10万元奖励 is a reward and 5:5 a ratio
    (44, []),          # 4-12周 is a prescription length, not a deliverable
])
def test_real_targets(real, number, expected):
    def key(t):
        value = (t["min"], t["max"]) if t["comparator"] == "range" else t["value"]
        return (t["comparator"], value, t["unit"], t.get("deadline"))
    assert [key(t) for t in measure(real, number)["targets"]] == expected


def test_real_target_indicators_are_split_at_the_list_mark(real):
    farms, county, _ = measure(real, 28)["targets"]
    assert farms["text"] == "培育省级示范家庭农场12家以上"
    assert county["indicator"] == "示范县"


def test_real_is_deterministic(real, agencies):
    again = extract_text(SOURCE.read_text(encoding="utf-8"), agencies, source_name=str(SOURCE))
    assert again.draft == real.draft


def test_dump_yaml_round_trips_and_is_readable(real):
    text = dump_yaml(real.draft)
    assert yaml.safe_load(text) == real.draft
    assert "- {agency: jc-post, role: 牵头}" in text
    assert "晋城市推进服务业提质增效2022年行动计划" in text          # Unicode as is, not escaped
    assert text.index("plan:") < text.index("documents:") < text.index("sections:") < text.index("measures:")


# --------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("2022 年", "2022年"),
    ("晋政办发〔2022〕35 号", "晋政办发〔2022〕35号"),
    ("降至 1% 以下", "降至1%以下"),
    ("银行 2: 2: 4: 2 风险", "银行2:2:4:2风险"),
    ("有关要求,抓好;落实:", "有关要求，抓好；落实："),
    ("(一) 现代金融", "（一）现代金融"),
    ("推进 5G 应用 Big Data Center 建设", "推进5G应用Big Data Center建设"),
    ("晋政办发[2022] 35号", "晋政办发〔2022〕35号"),
    ("达到１１５家", "达到115家"),
])
def test_normalise_line(raw, expected):
    assert normalise_line(raw) == expected


# --------------------------------------------------------------------------
# Brackets
# --------------------------------------------------------------------------

@pytest.mark.parametrize("bracket, expected", [
    ("市邮政管理局牵头，市商务局、市住建局配合",
     [("市邮政管理局", "牵头"), ("市商务局", "配合"), ("市住建局", "配合")]),
    ("市商务局，各县（市、区）人民政府负责", [("市商务局", "负责"), ("各县（市、区）人民政府", "负责")]),
    ("泽州县、高平市、阳城县人民政府负责",
     [("泽州县人民政府", "负责"), ("高平市人民政府", "负责"), ("阳城县人民政府", "负责")]),
    ("市商务局牵头,市财政局配合", [("市商务局", "牵头"), ("市财政局", "配合")]),
    ("市商务局、市财政局", [("市商务局", None), ("市财政局", None)]),
    ("市发展改革委、市人民政府负责", [("市发展改革委", "负责"), ("市人民政府", "负责")]),
])
def test_split_bracket(bracket, expected):
    assert split_bracket(bracket) == expected


def test_shared_suffix_respects_a_known_bare_name():
    known = {"开发区", "城区人民政府"}.__contains__
    assert split_bracket("开发区、城区人民政府负责", known) == [("开发区", "负责"), ("城区人民政府", "负责")]


# --------------------------------------------------------------------------
# Variants
# --------------------------------------------------------------------------

def test_half_width_bracket_and_commas(agencies):
    ex = extract_text("1. 标题。正文内容。(市商务局牵头,市财政局配合)", agencies)
    m = measure(ex, 1)
    assert m["bracket"] == "市商务局牵头，市财政局配合"
    assert m["body"] == "正文内容。"
    assert pairs(m) == [("jc-commerce", "牵头"), ("jc-finance", "配合")]


def test_suffix_shared_across_a_list(agencies):
    ex = extract_text("1. 标题。正文。〔市发展改革委，城区、泽州县、沁水县人民政府负责〕", agencies)
    assert pairs(measure(ex, 1)) == [
        ("jc-ndrc", "负责"), ("jc-chengqu", "负责"), ("jc-zezhou", "负责"), ("jc-qinshui", "负责")]


def test_bracket_broken_across_a_page_break(agencies):
    ex = extract_text("1. 标题。正文。〔市商务局、市财\n\n政局负责〕\n\n2. 下一条。正文。〔市商务局负责〕",
                      agencies)
    assert measure(ex, 1)["bracket"] == "市商务局、市财政局负责"
    assert pairs(measure(ex, 1)) == [("jc-commerce", "负责"), ("jc-finance", "负责")]
    assert pairs(measure(ex, 2)) == [("jc-commerce", "负责")]


def test_bracket_alone_after_a_page_break(agencies):
    ex = extract_text("1. 标题。正文结束。\n\n\n〔市商务局负责〕\n\n2. 下一条。正文。〔市财政局负责〕", agencies)
    assert measure(ex, 1)["body"] == "正文结束。"
    assert pairs(measure(ex, 1)) == [("jc-commerce", "负责")]


def test_measure_without_bracket_is_kept_and_reported(agencies):
    ex = extract_text("1. 第一条。正文。〔市商务局负责〕\n\n2. 第二条。没有括号。\n\n3. 第三条。正文。〔市财政局负责〕",
                      agencies)
    assert [m["number"] for m in ex.draft["measures"]] == [1, 2, 3]
    m2 = measure(ex, 2)
    assert (m2["title"], m2["body"], m2["bracket"], m2["agencies"]) == ("第二条", "没有括号。", None, [])
    assert "measure 2: no responsibility bracket" in ex.warnings


@pytest.mark.parametrize("mark", ["．", "、", ".", ". "])
def test_numbering_marks(agencies, mark):
    ex = extract_text(f"1{mark}甲。正文。〔市商务局负责〕\n\n2{mark}乙。正文。〔市财政局负责〕", agencies)
    assert [(m["number"], m["title"]) for m in ex.draft["measures"]] == [(1, "甲"), (2, "乙")]


def test_ratios_dates_and_decimals_are_not_measure_numbers(agencies):
    text = ("1. 甲。与银行\n\n2: 2: 4: 2 风险分担合作模式。\n\n2022.8.4 之前完成。\n\n"
            "3.5亿元资金到位。〔市金融办负责〕\n\n2. 乙。正文。〔市商务局负责〕")
    ex = extract_text(text, agencies)
    assert [m["number"] for m in ex.draft["measures"]] == [1, 2]
    m1 = measure(ex, 1)
    assert m1["body"].startswith("与银行2:2:4:2风险分担合作模式。")
    assert m1["bracket"] == "市金融办负责"


def test_unknown_name_is_reported_and_kept(agencies):
    ex = extract_text("1. 甲。正文。〔市火星局牵头，市商务局配合〕", agencies)
    assert ex.unmatched == [(1, "市火星局")]
    assert measure(ex, 1)["agencies"] == [
        {"agency": None, "name": "市火星局", "role": "牵头"}, {"agency": "jc-commerce", "role": "配合"}]


def test_without_authority_file_names_are_kept_as_written():
    ex = extract_text("1. 甲。正文。〔市商务局牵头，市财政局配合〕")
    assert measure(ex, 1)["agencies"] == [
        {"agency": None, "name": "市商务局", "role": "牵头"}, {"agency": None, "name": "市财政局", "role": "配合"}]
    assert ex.unmatched == []
    assert any("no authority file" in w for w in ex.warnings)


def test_text_without_measures_is_an_error():
    with pytest.raises(ExtractError, match="no numbered measure"):
        extract_text("晋城市人民政府办公室文件\n\n这是一段没有编号的文字。\n\n2022年8月4日", source_name="x.txt")


def test_non_utf8_file_is_an_error_naming_the_file():
    path = HERE / "gbk-plan.txt"
    with pytest.raises(ExtractError, match="gbk-plan.txt.*UTF-8"):
        extract_file(path)


def test_missing_file_is_an_error_naming_the_file(tmp_path):
    with pytest.raises(ExtractError, match="missing.txt"):
        extract_file(tmp_path / "missing.txt")


@pytest.fixture(scope="module")
def variants(agencies):
    return extract_file(HERE / "variants.txt", agencies)


def test_variant_file_with_bom_and_half_width_front_matter(variants):
    plan = variants.draft["plan"]
    assert (plan["id"], plan["number"], plan["date"]) == ("jincheng-2023-7", "晋市政办〔2023〕7号",
                                                           dt.date(2023, 3, 1))
    assert plan["title"] == "晋城市测试2023年行动计划"
    assert plan["based_on"] == ["jzf-2023-12"]
    assert numbered(variants)["晋政发〔2023〕12号"]["title"] == "山西省测试行动方案"


def test_variant_file_measures(variants):
    assert [m["number"] for m in variants.draft["measures"]] == [1, 2, 3, 4, 5]
    assert pairs(measure(variants, 1)) == [("jc-commerce", "牵头"), ("jc-finance", "配合")]
    assert pairs(measure(variants, 3)) == [("jc-commerce", "负责"), ("jc-finance", "负责")]
    assert measure(variants, 4)["bracket"] is None
    assert measure(variants, 5)["bracket"] == "市火星局牵头，各县（市、区）人民政府配合"
    assert variants.unmatched == [(5, "市火星局")]
    assert "measure 4: no responsibility bracket" in variants.warnings
    assert [m["section"] for m in variants.draft["measures"]] == ["s1", "s1", "s1-1", "s1-1", "s1-1"]


def test_variant_unknown_task_force_is_kept_by_name(variants):
    sub = variants.draft["sections"][1]
    assert (sub["id"], sub["task_force"], sub["task_force_name"]) == ("s1-1", None, "火星专班")
    assert variants.draft["sections"][0]["task_force"] == "jc-tf-trade"


def test_variant_trailer_is_not_part_of_the_last_measure(variants):
    assert "抄送" not in measure(variants, 5)["body"]
    assert measure(variants, 5)["body"] == "内容五。"


# --------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("到2022年底，高新技术企业达到115家以上。", ("ge", 115, "家", YEAR_END)),
    ("新建5G基站1800个。", ("eq", 1800, "个", None)),
    ("年底前，平均费率降至1%以下。", ("le", 1, "%", YEAR_END)),
    ("对300余户困难家庭实施改造。", ("gt", 300, "户", None)),
    ("全年增速达到8.8%左右。", ("approx", 8.8, "%", YEAR_END)),
    ("建设周期由36个月压减至24个月。", ("le", 24, "个月", None)),
])
def test_find_targets(text, expected):
    (t,) = find_targets(text, 2022)
    assert (t["comparator"], t["value"], t["unit"], t.get("deadline")) == expected


@pytest.mark.parametrize("text", [
    "与银行2:2:4:2风险分担合作模式。", "开设3岁以下托班。", "争取10万元奖励。", "第3批试点。",
    "发布2022年企业工资指导线。", "开具4-12周长处方。", "推进5G网络建设。",
])
def test_find_targets_skips_non_targets(text):
    assert find_targets(text, 2022) == []


def test_plan_title_without_a_notice_and_signature_trailer(agencies):
    text = ("晋城市测试行动计划\n\n为推进测试工作，根据《山西省测试方案》精神，制定本计划。\n\n"
            "一、任务\n\n1. 甲。正文。\n\n〔市商务局负责〕\n\n晋城市人民政府办公室\n\n2023年3月1日印发\n")
    ex = extract_text(text, agencies)
    assert ex.draft["plan"]["title"] == "晋城市测试行动计划"
    m = measure(ex, 1)
    assert (m["body"], m["bracket"]) == ("正文。", "市商务局负责")
    assert not [w for w in ex.warnings if "section text" in w]
    (doc,) = ex.draft["documents"]
    assert (doc["number"], doc["title"], doc["level"]) == (None, "山西省测试方案", "provincial")
    assert ex.draft["plan"]["based_on"] == [doc["id"]]


def test_cites_when_the_sentence_does_not_implement(agencies):
    ex = extract_text("1. 甲。参照晋政办发〔2022〕35号有关做法开展工作。〔市商务局负责〕", agencies)
    assert measure(ex, 1)["documents"] == [{"document": "jzbf-2022-35", "relation": "cites"}]
    assert ex.draft["documents"][0]["number"] == "晋政办发〔2022〕35号"
