"""bench/make_corpus.py: the synthetic corpus loads, is reproducible and looks like the real plan."""
from __future__ import annotations

import datetime as dt
import importlib.util
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from policykg.loader import load

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "make_corpus.py"


def _module():
    spec = importlib.util.spec_from_file_location("make_corpus", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_corpus", mod)
    spec.loader.exec_module(mod)
    return mod


mc = _module()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus") / "c30"
    summary = mc.make_corpus(30, 7, out)
    return out, summary, load(out)


@pytest.fixture(scope="module")
def real():
    return load(ROOT / "data")


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_loads_without_error_and_counts_match(corpus):
    out, summary, ds = corpus
    assert len(ds.plans) == summary["plans"] == 30
    measures = [m for p in ds.plans for m in p.measures]
    assert len(measures) == summary["measures"]
    assert sum(len(m.assignments) for m in measures) == summary["assignments"]
    assert sum(len(m.targets) for m in measures) + len(ds.plans) == summary["targets"]
    assert all(40 <= len(p.measures) <= 90 for p in ds.plans)
    assert 55 <= len(measures) / len(ds.plans) <= 77
    assert summary["cities"] == 3
    yaml_files = [p for p in out.rglob("*.yaml")]
    assert len(yaml_files) == summary["files"] == 30 + 3 + 1
    assert sum(p.stat().st_size for p in yaml_files) == summary["bytes"]
    # plan ids and numbers unique; ids ASCII and prefixed by the city
    assert len({p.id for p in ds.plans}) == len({p.number for p in ds.plans}) == 30
    for p in ds.plans:
        city = p.id.split("-")[0]
        assert Path(p.source).parent.name == city
        assert p.issuer == f"{city}-gov-office"
        assert re.fullmatch(r"c\d{3}-\d{4}-\d+", p.id)
        assert re.fullmatch(rf".市政办〔{p.year}〕\d+号", p.number)
        assert 2018 <= p.year <= 2025
        for m in p.measures:
            assert all(a.agency.startswith(city + "-") for a in m.assignments)


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    mc.make_corpus(12, 3, a)
    mc.make_corpus(12, 3, b)
    mc.make_corpus(12, 4, c)
    fa, fb = _files(a), _files(b)
    assert fa == fb
    assert fa != _files(c)
    # an earlier corpus is replaced, not merged into
    mc.make_corpus(5, 3, a)
    assert len(list(a.rglob("*.yaml"))) == 5 + 1 + 1


def test_independent_of_hash_seed(tmp_path):
    outs = []
    for hs in ("1", "2"):
        out = tmp_path / f"h{hs}"
        code = f"import sys; sys.path.insert(0, {str(SCRIPT.parent)!r}); import make_corpus as m; " \
               f"m.make_corpus(4, 11, {str(out)!r})"
        subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONHASHSEED": hs, "PATH": ""})
        outs.append(_files(out))
    assert outs[0] == outs[1]


def test_refuses_foreign_folder(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        mc.make_corpus(1, 1, tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"


def _shares(measures) -> dict:
    roles = Counter(a.role for m in measures for a in m.assignments)
    n = sum(roles.values())
    return {
        "配合": roles["配合"] / n,
        "牵头": roles["牵头"] / n,
        "负责": roles["负责"] / n,
        "bracket_with_lead": sum(any(a.role == "牵头" for a in m.assignments) for m in measures) / len(measures),
        "mean_size": n / len(measures),
        "single": sum(len(m.assignments) == 1 for m in measures) / len(measures),
        "county_collective": sum(any(a.agency.endswith("-counties") for a in m.assignments)
                                 for m in measures) / len(measures),
    }


def test_role_mix_and_bracket_sizes_match_the_real_plan(corpus, real):
    _, _, ds = corpus
    syn = _shares([m for p in ds.plans for m in p.measures])
    ref = _shares(list(real.plans[0].measures))
    for key in ("配合", "牵头", "负责", "bracket_with_lead", "single", "county_collective"):
        assert abs(syn[key] - ref[key]) <= 0.10, (key, syn[key], ref[key])
    assert abs(syn["mean_size"] - ref["mean_size"]) <= 0.6, (syn["mean_size"], ref["mean_size"])


def _parse_bracket(text: str) -> list[tuple[str, str]]:
    """(name, role) per DOMAIN.md: groups by "，", agencies by "、" outside （）, suffix from the next group."""
    groups = re.split(r"[，,]", text)
    out: list = []
    pending: list = []
    for g in groups:
        role = g[-2:] if g[-2:] in ("牵头", "负责", "配合") else None
        body = g[:-2] if role else g
        names = re.split(r"、(?![^（(]*[）)])", body)
        if names[-1].endswith("人民政府") and not names[-1].startswith("各县"):
            names = [n if n.endswith("人民政府") else n + "人民政府" for n in names]
        pending.extend(names)
        if role:
            out.extend((n, role) for n in pending)
            pending = []
    assert not pending, text
    return out


def test_brackets_read_back_as_their_agencies(corpus):
    _, _, ds = corpus
    for p in ds.plans:
        for m in p.measures:
            parsed = _parse_bracket(m.bracket)
            assert parsed == [(ds.agencies[a.agency].name, a.role) for a in m.assignments], (p.id, m.number)


def test_collective_members_are_the_city_counties(corpus):
    _, _, ds = corpus
    collectives = [a for a in ds.agencies.values() if a.id.endswith("-counties")]
    assert len(collectives) == 3
    for coll in collectives:
        city = coll.id.split("-")[0]
        counties = [a.id for a in ds.agencies.values() if a.kind == "county_government" and a.id.startswith(city + "-")]
        assert list(coll.members) == counties and 4 <= len(counties) <= 8


def test_targets_on_about_a_third_of_measures(corpus, real):
    _, _, ds = corpus
    measures = [m for p in ds.plans for m in p.measures]
    share = sum(bool(m.targets) for m in measures) / len(measures)
    assert 0.25 <= share <= 0.42
    comps = Counter(t.comparator for m in measures for t in m.targets)
    assert set(comps) <= {"eq", "ge", "gt", "le", "range"}
    assert comps["eq"] > comps["ge"] > comps["range"] > 0 and comps["le"] > 0
    for p in ds.plans:
        assert p.targets and p.targets[0].comparator == "approx"
        for m in p.measures:
            for t in m.targets:
                assert t.deadline in (None, dt.date(p.year, 12, 31))
                assert t.text in m.body
                if t.comparator == "range":
                    assert t.min < t.max


def test_cross_plan_references(corpus):
    _, summary, ds = corpus
    by_number = {p.number: p for p in ds.plans}
    repeals = links = outside = title_only = 0
    for p in ds.plans:
        docs = {d.id: d for d in p.documents}
        assert len(p.based_on) == 1 and docs[p.based_on[0]].level == "provincial"
        assert docs[p.based_on[0]].number not in by_number          # provincial plans are not in the corpus
        for did in p.repeals:
            target = by_number[docs[did].number]                    # the same city's previous-year plan
            assert target.id.split("-")[0] == p.id.split("-")[0] and target.year == p.year - 1
            repeals += 1
        for m in p.measures:
            for link in m.documents:
                d = docs[link.document]
                assert link.relation in ("implements", "cites")
                if d.number in by_number:
                    assert by_number[d.number].date < p.date
                    assert f"（{d.number}）" in m.body
                    links += 1
                elif d.number:
                    outside += 1
                else:
                    title_only += 1
                assert f"《{d.title}》" in m.body
    assert repeals >= 10 and links >= 5 and outside >= 5 and title_only >= 1
    assert summary["links_into_corpus"] >= repeals
    # a document referenced from several plans is described the same way everywhere
    seen: dict = {}
    for p in ds.plans:
        for d in p.documents:
            assert seen.setdefault(d.id, d) == d


def test_yaml_scalars_round_trip():
    for s in ["%", "a: b", "a #b", "People's", '"x" y', "- x", "#x", "yes", "No", "2022", "1.5", "null", "~",
              "2021-01-01", " x", "x ", "[x]", "{x}", "5:5", "1-2家", "市商务局牵头，市住建局配合", "x:", "@x",
              "`x`", "!x", "&x", "*x", "|x", ">x", "?x", "0x1F", ".inf", "1e3", "新建5G基站1800个"]:
        assert yaml.safe_load(f"k: {mc.q(s)}\n") == {"k": s}, s
    for v in (8.8, 15.0, 100, 2.5, 1447):
        assert yaml.safe_load(f"k: {mc.num(v)}\n") == {"k": v}


def test_files_parse_as_plain_yaml(corpus):
    out, _, _ = corpus
    for path in sorted(out.rglob("*.yaml"))[:8]:
        doc = yaml.safe_load(path.read_text("utf-8"))
        assert set(doc) in ({"plan", "documents", "sections", "measures"}, {"agencies"}, {"sectors"})


def test_cli_prints_one_line_summary(tmp_path):
    out = tmp_path / "cli"
    r = subprocess.run([sys.executable, str(SCRIPT), "--plans", "3", "--seed", "1", "--out", str(out)],
                       capture_output=True, text=True, check=True)
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1
    assert re.search(r"3 plans, [\d,]+ measures, [\d,]+ assignments, .* \d+ files, [\d,]+ bytes", lines[0])
    assert len(load(out).plans) == 3
    r = subprocess.run([sys.executable, str(SCRIPT), "--plans", "0", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 2
