"""The loader: the shipped data loads; broken input gives located problems."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from policykg import loader
from policykg.errors import DataError
from policykg.roles import LEAD, RESPONSIBLE, SUPPORT

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def shipped():
    return loader.load()


def test_shipped_plan_loads_complete(shipped):
    assert len(shipped.plans) == 1
    plan = shipped.plans[0]
    assert plan.id == "jincheng-2022-24"
    assert plan.number == "晋市政办〔2022〕24号"
    assert plan.date.isoformat() == "2022-08-04"
    assert [m.number for m in plan.measures] == list(range(1, 67))
    assert all(m.title and m.title_en and m.assignments for m in plan.measures)


def test_default_data_is_the_repository_data(shipped):
    assert {Path(s).name for s in shipped.sources} == {"agencies.yaml", "sectors.yaml", "measures.yaml"}


def test_role_rule_applied_per_bracket(shipped):
    plan = shipped.plans[0]
    m13 = plan.measure(13)  # 〔市邮政管理局牵头，市商务局…配合〕
    assert [(a.agency, a.role, a.effective) for a in m13.assignments][:2] == [
        ("jc-post", LEAD, "lead"), ("jc-commerce", SUPPORT, "support")]
    m45 = plan.measure(45)  # 〔市规划和自然资源局负责，市住建局配合〕: no 牵头, so 负责 leads
    assert [(a.agency, a.role, a.effective) for a in m45.assignments] == [
        ("jc-planning", RESPONSIBLE, "lead"), ("jc-housing", SUPPORT, "support")]
    m19 = plan.measure(19)  # 牵头 present: the 负责 agencies support
    assert {a.effective for a in m19.assignments if a.role == RESPONSIBLE} == {"support"}
    assert [a.position for a in m19.assignments] == list(range(1, len(m19.assignments) + 1))


def test_sections_give_sector_and_task_force(shipped):
    m4 = shipped.plans[0].measure(4)
    assert m4.section == "s3" and m4.subsection == "s3-1"
    assert m4.task_force == "jc-tf-finance"
    assert m4.sector


def _copy_data(tmp_path: Path) -> Path:
    for name in ("agencies.yaml", "sectors.yaml", "measures.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path / "measures.yaml"


def _problems(path) -> list[str]:
    with pytest.raises(DataError) as info:
        loader.load(path)
    return info.value.lines()


def test_many_problems_reported_together_with_file_line_field(tmp_path):
    plan = _copy_data(tmp_path)
    text = plan.read_text(encoding="utf-8")
    text = text.replace("{agency: jc-post, role: 牵头}", "{agency: jc-postal, role: 牵头}", 1)
    text = text.replace("role: 配合}", "role: 协助}", 1)
    plan.write_text(text, encoding="utf-8")
    lines = _problems(plan)
    assert len(lines) == 2
    assert any("unknown agency id 'jc-postal'" in l and "did you mean jc-post" in l for l in lines)
    assert any("'协助' is not a role (牵头, 负责 or 配合)" in l for l in lines)
    for l in lines:
        assert l.startswith(f"{plan}:"), l
        assert ".agencies[" in l
        assert int(l.split(":")[1]) > 0  # a line number


def test_duplicate_measure_number_and_missing_title(tmp_path):
    plan = _copy_data(tmp_path)
    text = plan.read_text(encoding="utf-8").replace("- number: 2\n", "- number: 1\n", 1)
    plan.write_text(text, encoding="utf-8")
    lines = _problems(plan)
    assert any("duplicate measure number 1 (first at line" in l for l in lines)


@pytest.mark.parametrize("content, expected", [
    ("plan: [unclosed\n", "YAML syntax error"),
    ("", "file is empty"),
    ("a: &x [1]\nb: *x\n", "anchors and aliases"),
    ("plan: !!python/object:os.system {}\n", "YAML tags such as !!python/object are not accepted"),
    ("- just\n- a list\n", "not a policykg file"),
    ("plan:\n  id: x\n\tnumber: 1\n", "YAML syntax error"),
])
def test_malformed_yaml_is_one_located_problem(tmp_path, content, expected):
    _copy_data(tmp_path)
    bad = tmp_path / "measures.yaml"
    bad.write_text(content, encoding="utf-8")
    lines = _problems(bad)
    assert any(expected in l for l in lines), lines
    assert all(l.startswith(str(bad)) for l in lines if expected in l)


def test_not_utf8_and_bom(tmp_path):
    plan = _copy_data(tmp_path)
    raw = plan.read_bytes()
    plan.write_bytes(b"\xef\xbb\xbf" + raw)  # a BOM is accepted
    assert len(loader.load(plan).plans[0].measures) == 66
    plan.write_bytes(raw.decode("utf-8").encode("gb18030"))
    assert any("not UTF-8 text" in l for l in _problems(plan))


def test_target_without_value_and_wrong_types(tmp_path):
    plan = _copy_data(tmp_path)
    text = plan.read_text(encoding="utf-8")
    text = text.replace("        comparator: le\n        value: 1\n", "        comparator: le\n", 1)
    text = text.replace("- number: 5\n", "- number: five\n", 1)
    text = text.replace("    title_en:", "    title_en: 123\n    x_title_en:", 1)
    plan.write_text(text, encoding="utf-8")
    lines = _problems(plan)
    assert any("measure 8.targets[1].value: target has no value" in l for l in lines), lines
    assert any("number: expected a whole number, found text ('five')" in l for l in lines), lines
    assert any("x_title_en: unknown field" in l for l in lines), lines
    assert any("title_en: expected text, found a number (123)" in l for l in lines), lines


def test_membership_cycle_detected(tmp_path):
    plan = _copy_data(tmp_path)
    auth = tmp_path / "agencies.yaml"
    text = auth.read_text(encoding="utf-8").replace(
        "  - id: jc-zezhou\n", "  - id: jc-zezhou\n    members: [jc-counties]\n", 1)
    auth.write_text(text, encoding="utf-8")
    lines = _problems(plan)
    assert any("membership cycle" in l for l in lines)


def test_missing_file():
    lines = _problems("/nonexistent/plan.yaml")
    assert lines == ["/nonexistent/plan.yaml: no such file or folder"]


# --------------------------------------------------------------------------- YAML values and lines


def _assert_as_pyyaml(value, node, expected, where="$"):
    """``value`` (from parse_yaml) equals PyYAML's ``expected`` with the same types, and
    every LineDict / LineList carries the lines of ``node`` (PyYAML's composed tree)."""
    if isinstance(node, yaml.MappingNode):
        assert type(value) is loader.LineDict and type(expected) is dict, where
        assert list(value) == list(expected), where
        assert value.line == node.start_mark.line + 1, where
        assert value.lines == {k: v.start_mark.line + 1 for (_, v), k in zip(node.value, expected)}, where
        for (_, child), key in zip(node.value, expected):
            _assert_as_pyyaml(value[key], child, expected[key], f"{where}.{key}")
    elif isinstance(node, yaml.SequenceNode):
        assert type(value) is loader.LineList and type(expected) is list, where
        assert value.line == node.start_mark.line + 1, where
        assert value.lines == [child.start_mark.line + 1 for child in node.value], where
        assert len(value) == len(expected) == len(node.value), where
        for i, (item, child, want) in enumerate(zip(value, node.value, expected)):
            _assert_as_pyyaml(item, child, want, f"{where}[{i}]")
    else:
        assert type(value) is type(expected) and value == expected, (where, value, expected)


def _shipped_yaml() -> list[Path]:
    tests = ROOT / "tests" / "data"
    return sorted([*DATA.glob("*.yaml"), *(tests / "bad" / "_good").glob("*.yaml"), *(tests / "hostile").glob("*.yaml")])


@pytest.mark.parametrize("path", _shipped_yaml(), ids=lambda p: str(p.relative_to(ROOT)))
def test_yaml_values_and_lines_are_pyyamls(path):
    """The loader's own construction gives PyYAML's values and types, and the line of
    every mapping value and list item (these files hold no duplicate keys or merges)."""
    text = path.read_text(encoding="utf-8-sig")
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _assert_as_pyyaml(loader.parse_yaml(path.read_bytes(), str(path)), yaml.compose(text, Loader=base),
                      yaml.load(text, Loader=base))


@pytest.mark.parametrize("text, expected", [
    ("a: {<<: {b: 1}, c: 2}\n", {"a": {"b": 1, "c": 2}}),              # an inline merge key is merged
    ("a: {<<: [{b: 1}, {c: 2}]}\n", {"a": {"c": 2, "b": 1}}),
    ("=: 1\nb: =\n", {"=": 1, "b": "="}),                               # a bare "=" is text
    ("a: !!str 5\nb: !!int '7'\nc: !!map {}\nd: !!seq []\n", {"a": "5", "b": 7, "c": {}, "d": []}),
    ("d: 2022-13-45\ne: !!int x\nf: 2022-08-04\n", {"d": "2022-13-45", "e": "x", "f": dt.date(2022, 8, 4)}),
    ("a: R&D *not an alias*\n", {"a": "R&D *not an alias*"}),
    ("1: a\nno: b\n", {1: "a", False: "b"}),
])
def test_yaml_corner_cases(text, expected):
    def types(value):
        if isinstance(value, dict):
            return [(type(k), types(v)) for k, v in value.items()]
        return [types(v) for v in value] if isinstance(value, list) else type(value)

    value = loader.parse_yaml(text.encode("utf-8"), "x.yaml")
    assert value == expected
    assert types(value) == types(expected)


@pytest.mark.parametrize("text, message", [
    ("a:\n  - b: 1\n  - b: {c: [1, !x 2]}\n", "x.yaml:3: a[2].b.c[2]: YAML tags such as !!python/object are not accepted: found !x"),
    ("a:\n  - {b: 1, b: 2}\n", "x.yaml:2: a[1].b: duplicate key (first at line 2)"),
    ("1: a\ntrue: b\n", "x.yaml:2: True: duplicate key (first at line 1)"),
    ("a:\n  - {1.5: x}\n", "x.yaml:2: a[1]: a key must be plain text, found a number (1.5)"),
    ("a: &x {k: v}\nb: {<<: *x}\n", "x.yaml:2: b.<<: YAML anchors and aliases (&, *) are not accepted: write the value out"),
    ("a: " + "[" * 65 + "]" * 65 + "\n", "x.yaml:1: nesting deeper than 64 levels"),
])
def test_yaml_problems_name_their_field(text, message):
    with pytest.raises(DataError) as info:
        loader.parse_yaml(text.encode("utf-8"), "x.yaml")
    assert info.value.lines() == [message]


@pytest.mark.parametrize("text, message", [
    ("a: !!seq {b: 1}\n", "f.yaml:1: a: the tag !!seq does not fit a mapping: delete the tag"),
    ("a:\n  - !!map [b]\n", "f.yaml:2: a[1]: the tag !!map does not fit a list: delete the tag"),
    ("a: !!int [1]\n", "f.yaml:1: a: the tag !!int does not fit a list: delete the tag"),
    ("a: !!map ''\n", "f.yaml:1: a: the tag !!map does not fit a single value: delete the tag"),
])
def test_a_standard_tag_on_the_wrong_kind_of_value_is_refused(text, message):
    with pytest.raises(DataError) as err:
        loader.parse_yaml(text.encode(), "f.yaml")
    assert str(err.value) == message
