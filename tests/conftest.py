"""Shared fixtures: a small hand-made dataset and the shipped plan."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from policykg import model as m

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def small_dataset() -> m.Dataset:
    """Three measures covering the role rule: 牵头+配合, 负责 only (joint leads), 牵头+负责+配合."""
    agencies = [
        m.Agency("jc-gov-office", "晋城市人民政府办公室",
                 "General Office of the Jincheng Municipal People's Government", "government"),
        m.Agency("jc-post", "市邮政管理局", "Jincheng Postal Administration", "vertical_branch",
                 full_name="晋城市邮政管理局", aliases=("邮政管理局", "Postal Administration")),
        m.Agency("jc-commerce", "市商务局", "Jincheng Municipal Bureau of Commerce", "department",
                 full_name="晋城市商务局", aliases=("商务局", "Bureau of Commerce")),
        m.Agency("jc-science", "市科技局", "Jincheng Municipal Science and Technology Bureau", "department"),
        m.Agency("jc-ndrc", "市发展改革委", "Jincheng Municipal Development and Reform Commission",
                 "department", aliases=("发改委", "NDRC")),
        m.Agency("jc-zezhou", "泽州县人民政府", "Zezhou County People's Government", "county_government"),
        m.Agency("jc-gaoping", "高平市人民政府", "Gaoping City People's Government", "county_government"),
        m.Agency("jc-counties", "各县（市、区）人民政府", "All county-level governments of Jincheng",
                 "collective", members=("jc-zezhou", "jc-gaoping")),
        m.Agency("jc-tf-finance", "金融业专班", "Finance task force", "task_force"),
    ]
    sectors = [
        m.Sector("producer-services", "生产性服务业", "Producer services"),
        m.Sector("finance", "现代金融", "Modern finance", broader="producer-services", gbt4754=("J",)),
    ]
    sections = (
        m.Section("s1", "一", "工作目标", "Objectives"),
        m.Section("s3", "三", "推动生产性服务业向专业化和价值链高端延伸",
                  "Move producer services up the value chain"),
        m.Section("s3-1", "一", "现代金融", "Modern finance", parent="s3", sector="finance",
                  task_force="jc-tf-finance"),
    )
    documents = (
        m.Document("jzbf-2022-35", "晋政办发〔2022〕35号", "山西省推进服务业提质增效2022年行动计划",
                   "Shanxi Province 2022 service-industry action plan", "山西省人民政府办公厅",
                   "provincial", 2022),
        m.Document("title-only", None, "关于促进消费的若干措施", level="provincial",
                   note="cited by title only"),
    )
    plan_id = "test-plan"

    def measure(number, pairs, **kw):
        return m.Measure(plan_id, number, f"措施{number}", f"Measure {number}", f"正文{number}",
                         "s3", "s3-1", "finance", "jc-tf-finance",
                         "，".join(f"{a}{r}" for a, r in pairs), m.make_assignments(pairs), **kw)

    measures = (
        measure(1, [("jc-post", "牵头"), ("jc-commerce", "配合")],
                documents=(m.DocumentLink("jzbf-2022-35", "implements"),),
                targets=(m.Target("新建5G基站", "New 5G base stations", "eq", value=Decimal("1800"),
                                  unit="个", deadline=dt.date(2022, 12, 31), text="新建5G基站1800个"),)),
        measure(2, [("jc-science", "负责"), ("jc-counties", "负责")],
                documents=(m.DocumentLink("title-only", "cites"),),
                targets=(m.Target("新型研发机构", "New R&D institutions", "range",
                                  min=Decimal("1"), max=Decimal("2"), unit="家"),)),
        measure(3, [("jc-commerce", "牵头"), ("jc-ndrc", "负责"), ("jc-counties", "配合")]),
    )
    plan = m.Plan(plan_id, "晋市政办〔2022〕24号", "测试计划", "Test plan", "jc-gov-office",
                  dt.date(2022, 8, 4), notice_title="关于印发测试计划的通知", region="晋城市",
                  based_on=("jzbf-2022-35",), cites=("title-only",),
                  targets=(m.Target("服务业增加值增速", "Service value-added growth", "approx",
                                    value=Decimal("8.8"), unit="%", deadline=dt.date(2022, 12, 31)),),
                  sections=sections, measures=measures, documents=documents)
    return m.Dataset((plan,), {a.id: a for a in agencies}, {s.id: s for s in sectors})


@pytest.fixture(scope="session")
def shipped_dataset() -> m.Dataset:
    """The embedded Jincheng 2022 plan, read by the loader (skipped until loader and data exist)."""
    loader = pytest.importorskip("policykg.loader")
    from pathlib import Path
    data = Path(__file__).resolve().parent.parent / "data" / "measures.yaml"
    if not data.is_file():
        pytest.skip("data/measures.yaml not written yet")
    return loader.load()


@pytest.fixture(scope="session", params=["small", "shipped"])
def any_dataset(request) -> m.Dataset:
    """Each dataset in turn: the hand-made one and the shipped plan."""
    return request.getfixturevalue(f"{request.param}_dataset")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test compiles indexes into its own cache, never the user's ~/.cache."""
    monkeypatch.setenv("POLICYKG_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def make_corpus():
    """``make_corpus(n, out, seed=1)``: a synthetic corpus of ``n`` plans written by bench/make_corpus.py."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "bench" / "make_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_corpus", mod)
    spec.loader.exec_module(mod)

    def make(n: int, out: Path, seed: int = 1) -> Path:
        mod.make_corpus(n, seed, out)
        return out

    return make
