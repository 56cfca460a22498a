#!/usr/bin/env python3
"""Write a synthetic corpus of action plans in the policykg schema, for scale figures.

    python3 bench/make_corpus.py --plans 1000 --seed 1 --out /tmp/corpus1000

or, from Python, ``make_corpus(plans, seed, out) -> summary dict``.

The corpus is modelled on the real Jincheng 2022 plan (``data/measures.yaml``,
``data/agencies.yaml``, ``data/sectors.yaml``), which is read as the template:

* about N/10 synthetic cities (at least one), grouped ten to a synthetic province;
  each city issues its plans across 2018–2025 under one to five themes, and has
  its own authority file ``DIR/<city>/agencies.yaml`` (the real departments,
  vertical branches, Party organ, institutions, leading group and eight task
  forces, renamed for the city, ids prefixed ``c017-``; 4–8 county governments and
  the collective 各县（市、区）人民政府 whose members they are);
* one plan per file, ``DIR/<city>/<year>-<n>.yaml``: metadata, documents registry,
  the real plan's sections and subsections (a random subset of the fourteen),
  40–90 measures (about 66) whose titles, bodies and brackets are recombined from
  the real measures of the same section, so text sizes, role mix, bracket sizes
  and the share of brackets naming the county collective follow the real plan;
  targets on about a third of measures (the real comparator mix, deadlines at year
  end); references: ``based_on`` the province's plan of the same theme and year
  (not in the corpus), ``repeals`` the city's plan of the previous year (in the
  corpus, same document number), and measure-level ``implements``/``cites`` of
  earlier plans of the corpus by number, of national and provincial documents
  outside it, of documents cited by title only, and a few numbers that look wrong
  (with a ``note``);
* ``DIR/sectors.yaml``: the real sector scheme, copied byte for byte.

Output is a function of (plans, seed) and the template files only: every random
choice comes from ``random.Random`` seeded with strings derived from the seed (the
string seeding of ``random`` is SHA-512 based, independent of PYTHONHASHSEED), no
set is iterated, and no clock is read into the files.  YAML is written by hand
(one pass of string building; safe subset, no anchors), so 1,000 plans take a few
seconds.  Loading the whole tree works (``policykg.loader.load(DIR)``); a single
city folder does not load alone, as the one sector scheme sits at the top.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import shutil
import sys
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path
from random import Random

import yaml

REPO = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = REPO / "data"
YEARS = tuple(range(2018, 2026))
MARKER = ".make_corpus.json"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# --------------------------------------------------------------------------- name pools

#: Characters for synthetic place names, with their pinyin (for English names and ids).
#: 晋 is left out so no synthetic number can equal a real Jincheng one.
PINYIN = dict(
    安="an", 宁="ning", 平="ping", 阳="yang", 城="cheng", 山="shan", 河="he", 江="jiang", 华="hua",
    兴="xing", 丰="feng", 泰="tai", 昌="chang", 德="de", 庆="qing", 福="fu", 临="lin", 清="qing",
    长="chang", 新="xin", 广="guang", 源="yuan", 云="yun", 嘉="jia", 东="dong", 西="xi", 南="nan",
    北="bei", 金="jin", 石="shi", 林="lin", 湖="hu", 海="hai", 明="ming", 乐="le", 康="kang",
    永="yong", 定="ding", 阜="fu", 宜="yi", 武="wu", 文="wen", 合="he", 吉="ji", 黎="li", 沁="qin",
    泽="ze", 高="gao", 陵="ling", 川="chuan", 水="shui", 潞="lu", 汾="fen", 榆="yu", 忻="xin",
    朔="shuo", 襄="xiang", 荆="jing", 漳="zhang", 洛="luo", 滨="bin", 盛="sheng", 恒="heng",
    靖="jing", 瑞="rui", 祥="xiang", 岳="yue", 峰="feng", 溪="xi", 泉="quan", 州="zhou", 原="yuan",
    鹤="he", 桂="gui", 梅="mei", 柳="liu", 松="song", 桐="tong", 岚="lan", 龙="long", 凤="feng",
    鹿="lu", 白="bai", 青="qing", 红="hong", 雁="yan", 怀="huai", 通="tong", 远="yuan", 宣="xuan",
    崇="chong", 信="xin", 义="yi", 仁="ren", 和="he", 顺="shun", 寿="shou", 昆="kun", 曲="qu",
    沂="yi", 济="ji", 潍="wei", 淄="zi", 章="zhang", 韶="shao", 汉="han", 秀="xiu", 营="ying",
    蓬="peng", 霞="xia", 璧="bi", 丹="dan", 鄢="yan", 舒="shu", 禹="yu", 贵="gui", 汝="ru", 颍="ying",
)
CHARS = tuple(PINYIN)

#: Themes a city issues plans under: (ascii, title pattern, English title pattern).
THEMES = (
    ("fwy", "推进服务业提质增效{y}年行动计划",
     "{c} {y} Action Plan for Improving the Quality and Efficiency of the Service Industry"),
    ("xdfw", "加快发展现代服务业{y}年行动计划",
     "{c} {y} Action Plan for Accelerating the Development of Modern Services"),
    ("shfw", "推动生活性服务业补短板上水平{y}年行动计划",
     "{c} {y} Action Plan for Upgrading Consumer Services"),
    ("scfw", "促进生产性服务业高质量发展{y}年行动计划",
     "{c} {y} Action Plan for the High-Quality Development of Producer Services"),
    ("fwxf", "促进服务消费扩容提质{y}年行动计划",
     "{c} {y} Action Plan for Expanding and Upgrading Service Consumption"),
)

#: National documents outside the corpus: (ascii, 代字, title, English title, issuer, years, serial base).
NATIONAL = (
    ("gbf", "国办发", "关于加快发展生活性服务业促进消费结构升级的指导意见",
     "Guiding Opinions on Accelerating Consumer Services to Upgrade the Consumption Structure",
     "国务院办公厅", YEARS, 10),
    ("gbf", "国办发", "关于进一步释放消费潜力促进消费持续恢复的意见",
     "Opinions on Further Releasing Consumption Potential and Sustaining the Recovery of Consumption",
     "国务院办公厅", YEARS, 20),
    ("gbf", "国办发", "关于加快发展流通促进商业消费的意见",
     "Opinions on Accelerating the Development of Distribution to Boost Commercial Consumption",
     "国务院办公厅", YEARS, 30),
    ("gbf", "国办发", "关于促进养老托育服务健康发展的意见",
     "Opinions on Promoting the Sound Development of Elderly-Care and Childcare Services",
     "国务院办公厅", YEARS, 40),
    ("gbf", "国办发", "关于进一步激发文化和旅游消费潜力的意见",
     "Opinions on Further Stimulating the Potential of Culture and Tourism Consumption",
     "国务院办公厅", YEARS, 50),
    ("fgcy", "发改产业", "关于推动先进制造业和现代服务业深度融合发展的实施意见",
     "Implementing Opinions on Deepening the Integration of Advanced Manufacturing and Modern Services",
     "国家发展改革委等15部门", YEARS, 1000),
    ("fgjy", "发改就业", "关于推动生活性服务业补短板上水平提高人民生活品质的若干意见",
     "Opinions on Shoring Up Consumer Services to Improve the Quality of Life",
     "国家发展改革委", YEARS, 500),
    ("fghz", "发改环资", "关于加快推进快递包装绿色转型的意见",
     "Opinions on Accelerating the Green Transition of Express Packaging",
     "国家发展改革委等8部门", YEARS, 1500),
    ("wlcyf", "文旅产业发", "关于推动数字文化产业高质量发展的意见",
     "Opinions on Promoting the High-Quality Development of the Digital Culture Industry",
     "文化和旅游部", YEARS, 20),
    ("sfmf", "商服贸发", "关于推进家政服务提质扩容的实施意见",
     "Implementing Opinions on Improving and Expanding Domestic Services",
     "商务部等部门", YEARS, 100),
)

#: Provincial documents other than the province's plan: (title pattern, English pattern, serial base).
PROVINCIAL = (
    ("{p}省促进服务业领域困难行业恢复发展的若干措施",
     "{pe} Province Measures to Promote the Recovery of Struggling Service-Sector Industries", 60),
    ("{p}省加快发展现代物流业实施方案",
     "{pe} Province Implementation Plan for Accelerating Modern Logistics", 65),
    ("{p}省推进养老服务体系建设实施方案",
     "{pe} Province Implementation Plan for Building the Elderly-Care Service System", 70),
    ("{p}省促进网络货运行业健康发展工作方案",
     "{pe} Province Work Plan for Promoting the Healthy Development of the Online Freight Industry", 75),
)

#: Documents cited by title only (no number, issuer or year): (ascii id, title, English title).
TITLE_ONLY = (
    ("hr-services-new-era-measures", "支持和促进新时代人力资源服务业发展若干措施",
     "Measures to Support and Promote the Development of the Human Resources Services Industry in the New Era"),
    ("consumer-services-upgrade-opinions", "关于推动生活性服务业高质量发展的若干意见",
     "Opinions on the High-Quality Development of Consumer Services"),
    ("county-commerce-guidance", "县域商业体系建设指南",
     "Guide to Building County-Level Commercial Systems"),
    ("smart-elderly-care-plan", "智慧健康养老产业发展行动计划",
     "Action Plan for the Smart Health and Elderly-Care Industry"),
)

#: Extra target templates per section, where the real plan has few or none:
#: (section, indicator, English, unit, base value, direction up/down).
EXTRA_TARGETS = (
    ("s2", "服务业市场主体净增", "Net increase in service-sector businesses", "户", 2000, "up"),
    ("s2", "困难行业纾困资金", "Relief funds for hard-hit service industries", "万元", 3000, "up"),
    ("s3-1", "普惠小微贷款余额增速", "Growth of inclusive small and micro loan balances", "%", 15, "up"),
    ("s3-1", "新增上市挂牌企业", "New listed and quoted companies", "家", 3, "up"),
    ("s3-2", "示范物流园区", "Model logistics parks", "个", 2, "up"),
    ("s3-2", "快递业务量", "Parcel volume", "万件", 5000, "up"),
    ("s3-2", "社会物流总费用占地区生产总值比重", "Logistics costs as a share of GDP", "%", 14, "down"),
    ("s3-4", "千兆光纤用户", "Gigabit fibre subscribers", "万户", 10, "up"),
    ("s3-5", "网络零售额", "Online retail sales", "亿元", 100, "up"),
    ("s3-5", "人力资源服务机构", "Human resources service agencies", "家", 50, "up"),
    ("s3-5", "举办会展活动", "Conventions and exhibitions held", "场", 10, "up"),
    ("s3-6", "节能环保服务企业", "Energy-conservation and environmental service enterprises", "家", 20, "up"),
    ("s3-7", "农业社会化服务组织", "Agricultural socialised service organisations", "个", 300, "up"),
    ("s4-8", "社会消费品零售总额增速", "Growth of total retail sales of consumer goods", "%", 7, "up"),
    ("s4-8", "新认定老字号企业", "Newly recognised time-honoured brands", "家", 5, "up"),
    ("s4-8", "一刻钟便民生活圈", "Fifteen-minute convenience living circles", "个", 10, "up"),
    ("s4-9", "接待国内游客", "Domestic tourist visits", "万人次", 3000, "up"),
    ("s4-9", "新增A级旅游景区", "Newly rated A-grade scenic spots", "家", 3, "up"),
    ("s4-9", "人均体育场地面积", "Sports ground area per capita", "平方米", 2.5, "up"),
    ("s4-10", "家政服务从业人员培训", "Domestic service workers trained", "人次", 5000, "up"),
    ("s4-10", "家政服务品牌企业", "Domestic service brand enterprises", "家", 5, "up"),
    ("s4-12", "新开工改善性住房项目", "New upgraded-housing projects started", "个", 10, "up"),
    ("s4-14", "新增服务业相关专业", "New service-related study programmes", "个", 5, "up"),
    ("s4-14", "校园足球特色学校", "Schools with a football speciality", "所", 20, "up"),
    ("s5", "城镇非私营单位在岗职工平均工资增速", "Growth of average wages in urban non-private units", "%", 6, "up"),
    ("s6", "新增规模以上服务业企业", "New above-designated-size service enterprises", "家", 50, "up"),
    ("s6", "省级现代服务业集聚区", "Provincial modern service-industry clusters", "个", 2, "up"),
    ("s6", "工程建设项目审批时间", "Approval time for construction projects", "个工作日", 60, "down"),
    ("s7", "服务业调查单位新增入库", "Service units newly registered for statistical surveys", "家", 80, "up"),
)

#: Measure-level comparator mix of the real plan, for rising indicators (le is the falling one).
UP_COMPARATORS = (("eq", 9), ("ge", 6), ("range", 4), ("gt", 1))
#: How many targets a measure with targets has (real plan: 9 one, 4 two, 1 three … scaled).
TARGETS_PER_MEASURE = ((1, 64), (2, 27), (3, 5), (4, 4))
TARGET_SHARE = 1 / 3
DEADLINE_SHARE = 0.7
DOC_SHARE = 0.08            # measures that reference a document (real plan: 3 of 66)

TITLE_PREFIXES = (("持续", "Continue to "), ("进一步", "Further "), ("加快", "Speed up efforts to "),
                  ("着力", "Work to "), ("全面", "Comprehensively "), ("积极", "Actively "),
                  ("稳步", "Steadily "), ("切实", "Effectively "))
TITLE_PREFIX_SKIP = ("持续", "进一步", "加快", "着力", "全面", "大力", "深化", "深入")

# kinds substituted for one another inside a bracket, with their chance of being swapped
_SWAP = {"department": 0.25, "vertical_branch": 0.15}
_CN = ("", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四")
_COUNTY_NAMES = {"jc-zezhou": "泽州县", "jc-gaoping": "高平市", "jc-yangcheng": "阳城县",
                 "jc-lingchuan": "陵川县", "jc-qinshui": "沁水县"}


# --------------------------------------------------------------------------- YAML writing

_PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n]*")
_TYPED = re.compile(r"(?i:[-+]?[\d._]+(e[-+]?\d+)?|0x[\da-f]+|0o[0-7]+|[-+]?\.(inf|nan)|y|n|yes|no|true|"
                    r"false|on|off|null|~|\d{4}-\d\d?-\d\d?([Tt ].*)?|[\d:]+(\.\d*)?|<<|=)")


def q(s: str) -> str:
    """``s`` as a YAML scalar: plain where that reads back as the same text, else double-quoted."""
    if (s and _PLAIN.fullmatch(s) and ": " not in s and " #" not in s and not s.endswith((":", " "))
            and "\t" not in s and not _TYPED.fullmatch(s)):
        return s
    return json.dumps(s, ensure_ascii=False)


def num(v) -> str:
    """A number as YAML: whole numbers without a point, others with up to two decimals."""
    if isinstance(v, int) or float(v).is_integer():
        return str(int(v))
    return f"{v:.2f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- templates


@dataclass
class Template:
    """What the real plan offers to recombine, read once from data/."""

    agencies: list                   # real authority entries (dicts), file order
    kind: dict                       # real agency id -> kind
    weight: dict                     # real agency id -> bracket appearances + 1
    sections: list                   # real section dicts, document order
    measures: dict                   # section id -> real measure dicts
    first: dict                      # (section, number) -> usable first sentence or None
    pool: dict                       # section id -> usable sentences
    targets: dict                    # section id -> target templates
    sectors_bytes: bytes
    national_real: dict              # the one real national document, as written


def _sentences(body: str) -> list[str]:
    parts = re.findall(r"[^。]+。?", body)
    return [p if p.endswith("。") else p + "。" for p in parts if p.strip()]


def load_template(data: Path = TEMPLATE_DIR) -> Template:
    agencies = yaml.load((data / "agencies.yaml").read_text("utf-8"), Loader=_Loader)["agencies"]
    plan = yaml.load((data / "measures.yaml").read_text("utf-8"), Loader=_Loader)
    kind = {a["id"]: a["kind"] for a in agencies}
    weight = {a["id"]: 1 for a in agencies}
    measures: dict[str, list] = {}
    target_texts = []
    targets: dict[str, list] = {}
    for m in plan["measures"]:
        measures.setdefault(m["section"], []).append(m)
        for a in m["agencies"]:
            weight[a["agency"]] += 1
        for t in m.get("targets") or ():
            target_texts.append(t["text"])
            down = t["comparator"] in ("le", "lt")
            base = t.get("value", t.get("min"))
            targets.setdefault(m["section"], []).append(
                (t["indicator"], t["indicator_en"], t.get("unit") or "", float(base), "down" if down else "up"))
    for sec, ind, ind_en, unit, base, direction in EXTRA_TARGETS:
        targets.setdefault(sec, []).append((ind, ind_en, unit, float(base), direction))

    def usable(s: str) -> bool:
        return "〔" not in s and "《" not in s and not any(t in s for t in target_texts)

    pool: dict[str, list] = {}
    first: dict = {}
    for sec, ms in measures.items():
        for m in ms:
            sents = [s for s in _sentences(m["body"]) if usable(s)]
            first[(sec, m["number"])] = sents[0] if sents else None
            pool.setdefault(sec, []).extend(sents)
    real_doc = next(d for d in plan["documents"] if d["id"] == "fgcj-2022-271")
    return Template(agencies, kind, weight, plan["sections"], measures, first, pool, targets,
                    (data / "sectors.yaml").read_bytes(), real_doc)


# --------------------------------------------------------------------------- corpus layout


@dataclass
class Province:
    code: str                        # p01
    name: str                        # 安和 (without 省)
    name_en: str                     # Anhe
    abbr: str                        # 代字 prefix: 安 → 安政办发


@dataclass
class City:
    code: str                        # c017
    name: str                        # 安阳 (without 市)
    name_en: str
    abbr: str                        # 代字 prefix: 安 → 安市政办
    province: Province
    counties: list = field(default_factory=list)   # (id, name, name_en, short, kind_en)
    plans: list = field(default_factory=list)      # PlanMeta, date order


@dataclass
class PlanMeta:
    city: City
    year: int
    theme: int
    serial: int
    date: dt.date
    id: str = ""
    number: str = ""
    title: str = ""
    title_en: str = ""
    path: str = ""
    predecessor: "PlanMeta | None" = None

    @property
    def doc_id(self) -> str:
        return f"{self.city.code}szb-{self.year}-{self.serial}"


def _pinyin(name: str) -> str:
    return "".join(PINYIN[ch] for ch in name).capitalize()


def _place_names(rng: Random, n: int, taken: set) -> list[tuple[str, str]]:
    """``n`` distinct two-character names with a distinct one-character abbreviation where possible."""
    out = []
    firsts = list(CHARS)
    rng.shuffle(firsts)
    for i in range(n):
        while True:
            a = firsts[i] if i < len(firsts) else rng.choice(CHARS)
            b = rng.choice(CHARS)
            name = a + b
            if a != b and name not in taken:
                break
        taken.add(name)
        out.append((name, a if i < len(firsts) else name))
    return out


def _allocate(total: int, weights: list[float], minimum: int = 1) -> list[int]:
    """Split ``total`` by ``weights`` (largest remainder), each share at least ``minimum``."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [max(minimum, int(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - int(raw[i])), i))
    k = 0
    while sum(out) < total:
        out[order[k % len(order)]] += 1
        k += 1
    while sum(out) > total:
        i = max(range(len(out)), key=lambda j: (out[j], -j))
        out[i] -= 1
    return out


def layout(plans: int, seed: int) -> tuple[list[Province], list[City], list[PlanMeta]]:
    """Provinces, cities and every plan's metadata, before any plan text is made."""
    rng = Random(f"{seed}|layout")
    n_cities = max(1, round(plans / 10))
    n_cities = max(n_cities, math.ceil(plans / (len(THEMES) * len(YEARS))))
    n_prov = max(1, math.ceil(n_cities / 10))
    taken: set = set()
    provinces = [Province(f"p{i + 1:02d}", name, _pinyin(name), abbr)
                 for i, (name, abbr) in enumerate(_place_names(rng, n_prov, taken))]
    width = max(3, len(str(n_cities)))
    cities = []
    for i, (name, abbr) in enumerate(_place_names(rng, n_cities, taken)):
        c = City(f"c{i + 1:0{width}d}", name, _pinyin(name), abbr, provinces[i * n_prov // n_cities])
        crng = Random(f"{seed}|city|{c.code}")
        n_counties = crng.randint(4, 8)
        names: list = []
        if crng.random() < 0.5:
            names.append(("城区", "区", "chengqu", "Chengqu District"))
        used = {c.name, "城区"}
        while len(names) < n_counties:
            base = crng.choice(CHARS) + crng.choice(CHARS)
            if base[0] == base[1] or base in used:
                continue
            used.add(base)
            suffix = crng.choices(("县", "市", "区"), (6, 2, 2))[0]
            eng = {"县": "County", "市": "City", "区": "District"}[suffix]
            names.append((base + suffix, suffix, _pinyin(base).lower(), f"{_pinyin(base)} {eng}"))
        ids_seen: dict = {}
        for short, _suffix, slug, eng in names:
            ids_seen[slug] = ids_seen.get(slug, 0) + 1
            cid = f"{c.code}-{slug}" + (f"-{ids_seen[slug]}" if ids_seen[slug] > 1 else "")
            c.counties.append((cid, short + "人民政府", f"{eng} People's Government", short))
        cities.append(c)

    counts = _allocate(plans, [rng.uniform(0.5, 1.5) for _ in cities])
    metas: list[PlanMeta] = []
    for c, n in zip(cities, counts):
        crng = Random(f"{seed}|plans|{c.code}")
        n_themes = math.ceil(n / len(YEARS))
        themes = [0] + crng.sample(range(1, len(THEMES)), n_themes - 1) if crng.random() < 0.9 \
            else crng.sample(range(len(THEMES)), n_themes)
        runs = _allocate(n, [1.0] * n_themes)
        slots = []
        for theme, run in zip(themes, runs):
            start = crng.randint(YEARS[0], YEARS[-1] - run + 1)
            slots += [(start + k, theme) for k in range(run)]
        by_year: dict = {}
        for year, theme in slots:
            d = dt.date(year, crng.randint(2, 11), crng.randint(1, 28))
            by_year.setdefault(year, []).append((d, theme))
        for year in sorted(by_year):
            serial = crng.randint(3, 30)
            for d, theme in sorted(by_year[year]):
                metas.append(PlanMeta(c, year, theme, serial, d))
                serial += crng.randint(1, 12)
    last: dict = {}
    for p in sorted(metas, key=lambda p: (p.city.code, p.theme, p.year)):
        c = p.city
        p.id = f"{c.code}-{p.year}-{p.serial}"
        p.number = f"{c.abbr}市政办〔{p.year}〕{p.serial}号"
        p.title = f"{c.name}市" + THEMES[p.theme][1].format(y=p.year)
        p.title_en = THEMES[p.theme][2].format(c=c.name_en, y=p.year)
        p.path = f"{c.code}/{p.year}-{p.serial}.yaml"
        prev = last.get((c.code, p.theme))
        p.predecessor = prev if prev is not None and prev.year == p.year - 1 else None
        last[(c.code, p.theme)] = p
    metas.sort(key=lambda p: (p.city.code, p.date, p.serial))
    for p in metas:
        p.city.plans.append(p)
    return provinces, cities, metas


# --------------------------------------------------------------------------- authority files


def _city_text(c: City, s: str) -> str:
    return s.replace("晋城", c.name).replace("Jincheng", c.name_en).replace("山西", c.province.name)


def city_agencies(t: Template, c: City) -> dict:
    """real agency id -> (city agency id, name, kind) for the city's authority file."""
    out = {}
    for a in t.agencies:
        if a["kind"] == "county_government" or a["id"] == "jc-counties":
            continue
        out[a["id"]] = (c.code + a["id"][2:], _city_text(c, a["name"]), a["kind"])
    out["jc-counties"] = (f"{c.code}-counties", "各县（市、区）人民政府", "collective")
    return out


def agencies_yaml(t: Template, c: City, seed: int) -> str:
    L = [f"# Synthetic authority file for {c.name}市 ({c.code}, {c.province.name}省), written by",
         f"# bench/make_corpus.py --seed {seed} from data/agencies.yaml. Not real data.",
         "agencies:"]

    def entry(aid, name, name_en, kind, full_name=None, aliases=(), members=(), note=None):
        L.append(f"  - id: {aid}")
        L.append(f"    name: {q(name)}")
        if full_name:
            L.append(f"    full_name: {q(full_name)}")
        L.append(f"    name_en: {q(name_en)}")
        if aliases:
            L.append("    aliases: [" + ", ".join(json.dumps(x, ensure_ascii=False) for x in aliases) + "]")
        L.append(f"    kind: {kind}")
        if members:
            L.append(f"    members: [{', '.join(members)}]")
        if note:
            L.append(f"    note: {q(note)}")

    for a in t.agencies:
        if a["kind"] == "county_government" or a["id"] == "jc-counties":
            continue
        entry(c.code + a["id"][2:], _city_text(c, a["name"]), _city_text(c, a["name_en"]), a["kind"],
              _city_text(c, a["full_name"]) if a.get("full_name") else None,
              [_city_text(c, x) for x in a.get("aliases") or ()],
              [], a.get("note"))
        if a["id"] == "jc-devzone":
            for cid, name, name_en, short in c.counties:
                entry(cid, name, name_en, "county_government", f"{c.name}市{name}" if short == "城区" else None,
                      [short, short + "政府", name_en.split(" ")[0]])
            entry(f"{c.code}-counties", "各县（市、区）人民政府",
                  f"People's governments of all county-level divisions of {c.name_en}", "collective", None,
                  ["各县(市、区)人民政府", "各县市区人民政府", "各县（市、区）", "各县(市、区)", "counties"],
                  [x[0] for x in c.counties])
    return "\n".join(L) + "\n"


# --------------------------------------------------------------------------- plans


def _bracket(items: list[tuple[str, str, str]]) -> str:
    """The bracket text for (name, role, class) items in order; class unit / county / collective.

    Groups are separated by "，" and agencies inside a group by "、"; the last group of a
    run of one role carries the role word; county governments listed together share one
    人民政府 suffix (泽州县、高平市人民政府), as in the real plan.
    """
    groups: list[tuple[str, str, list]] = []        # (role, class, names)
    for name, role, cls in items:
        if groups and groups[-1][0] == role and groups[-1][1] == cls and cls != "collective":
            groups[-1][2].append(name)
        else:
            groups.append((role, cls, [name]))
    out = []
    for i, (role, cls, names) in enumerate(groups):
        if cls == "county":
            text = "、".join(n[:-4] for n in names[:-1]) + ("、" if len(names) > 1 else "") + names[-1]
        else:
            text = "、".join(names)
        if i == len(groups) - 1 or groups[i + 1][0] != role:
            text += role
        out.append(text)
    return "，".join(out)


class PlanWriter:
    """Makes one plan's YAML text; holds what all plans of the corpus share."""

    def __init__(self, t: Template, seed: int, metas: list[PlanMeta]):
        self.t = t
        self.seed = seed
        self.by_province: dict = {}
        for p in sorted(metas, key=lambda p: (p.date, p.id)):
            self.by_province.setdefault(p.city.province.code, []).append(p)
        self.keys = {k: [(p.date, p.id) for p in v] for k, v in self.by_province.items()}
        self.city_cache: dict = {}
        self.numbers = {p.number for p in metas}      # document numbers of the corpus's own plans
        # kinds of the real agencies, and the real agencies a swap may draw from, by kind
        self.kinds = t.kind
        self.dept_pool = {k: [a for a, kd in t.kind.items() if kd == k] for k in _SWAP}

    # ---- per city
    def city(self, c: City) -> dict:
        got = self.city_cache.get(c.code)
        if got is None:
            repl = [("晋城", c.name), ("山西", c.province.name)]
            for i, (rid, real) in enumerate(_COUNTY_NAMES.items()):
                repl.append((real, c.counties[i % len(c.counties)][3]))

            def sub(s: str) -> str:
                for a, b in repl:
                    if a in s:
                        s = s.replace(a, b)
                return s
            got = {
                "agencies": city_agencies(self.t, c),
                "pool": {k: [sub(s) for s in v] for k, v in self.t.pool.items()},
                "first": {k: (sub(v) if v else None) for k, v in self.t.first.items()},
            }
            self.city_cache[c.code] = got
        return got

    # ---- documents
    def provincial_plan(self, p: PlanMeta) -> dict:
        pr = p.city.province
        r = Random(f"{self.seed}|provplan|{pr.code}|{p.year}|{p.theme}")
        serial = 10 + 7 * p.theme + r.randint(0, 6)
        return dict(id=f"{pr.code}zbf-{p.year}-{serial}", number=f"{pr.abbr}政办发〔{p.year}〕{serial}号",
                    title=f"{pr.name}省" + THEMES[p.theme][1].format(y=p.year),
                    title_en=THEMES[p.theme][2].format(c=f"{pr.name_en} Province", y=p.year),
                    issuer=f"{pr.name}省人民政府办公厅", level="provincial", year=p.year)

    def provincial_other(self, p: PlanMeta, rng: Random) -> dict:
        pr = p.city.province
        k = rng.randrange(len(PROVINCIAL))
        year = rng.choice([y for y in (p.year - 2, p.year - 1, p.year) if y >= 2016])
        title, title_en, base = PROVINCIAL[k]
        serial = base + Random(f"{self.seed}|prov|{pr.code}|{year}|{k}").randint(0, 4)
        return dict(id=f"{pr.code}zbf-{year}-{serial}", number=f"{pr.abbr}政办发〔{year}〕{serial}号",
                    title=title.format(p=pr.name), title_en=title_en.format(pe=pr.name_en),
                    issuer=f"{pr.name}省人民政府办公厅", level="provincial", year=year)

    def national(self, p: PlanMeta, rng: Random) -> dict:
        if p.year == 2022 and rng.random() < 0.15:
            d = self.t.national_real
            return {k: d[k] for k in ("id", "number", "title", "title_en", "issuer", "level", "year")}
        k = rng.randrange(len(NATIONAL))
        ascii_, dz, title, title_en, issuer, years, base = NATIONAL[k]
        year = rng.choice([y for y in (p.year - 2, p.year - 1, p.year)])
        serial = base + Random(f"{self.seed}|nat|{k}|{year}").randint(0, 9 if base < 100 else 300)
        return dict(id=f"{ascii_}-{year}-{serial}", number=f"{dz}〔{year}〕{serial}号", title=title,
                    title_en=title_en, issuer=issuer, level="national", year=year)

    @staticmethod
    def corpus_doc(target: PlanMeta) -> dict:
        return dict(id=target.doc_id, number=target.number, title=target.title, title_en=target.title_en,
                    issuer=f"{target.city.name}市人民政府办公室", level="municipal", year=target.year)

    def suspicious(self, p: PlanMeta, rng: Random) -> dict:
        """A provincial title under a municipal-looking number, as measure 10 of the real plan has."""
        d = self.provincial_other(p, rng)
        serial = int(d["number"].split("〕")[1][:-1]) % 20 + 1
        year = d["year"]
        return dict(id=f"{p.city.code}szbf-{year}-{serial}", number=f"{p.city.abbr}市政办发〔{year}〕{serial}号",
                    title=d["title"], title_en=d["title_en"], level="provincial", year=year,
                    note=f"Number recorded as written. Its prefix {p.city.abbr}市政办发 is municipal-style, while "
                         f"the title names a provincial ({p.city.province.name}省) document; one of the two "
                         "may be wrong. Level recorded as provincial, by the title.")

    def measure_doc(self, p: PlanMeta, rng: Random) -> tuple[dict, str]:
        """A document a measure refers to, and the relation."""
        r = rng.random()
        if r < 0.55:
            local = r < 0.45
            cands = [x for x in p.city.plans if x.date < p.date] if local else []
            if not local:
                plist = self.by_province[p.city.province.code]
                hi = bisect_left(self.keys[p.city.province.code], (p.date, p.id))
                cands = [x for x in plist[max(0, hi - 40):hi] if x.city is not p.city]
            if cands:
                return self.corpus_doc(rng.choice(cands)), rng.choice(("implements", "implements", "cites"))
        if r < 0.80:
            return self.national(p, rng), "implements"
        if r < 0.90:
            return self.provincial_other(p, rng), rng.choice(("implements", "cites"))
        if r < 0.95:
            k = rng.randrange(len(TITLE_ONLY))
            aid, title, title_en = TITLE_ONLY[k]
            return dict(id=aid, title=title, title_en=title_en), "implements"
        return self.suspicious(p, rng), "implements"

    # ---- text
    def targets(self, p: PlanMeta, sec: str, rng: Random) -> list[dict]:
        pool = self.t.targets.get(sec) or self.t.targets["s6"]
        n = min(len(pool), rng.choices(*zip(*TARGETS_PER_MEASURE))[0])
        out = []
        for ind, ind_en, unit, base, direction in rng.sample(pool, n):
            factor = rng.lognormvariate(0, 0.35)
            pct = unit == "%"
            if pct and base >= 100:
                v: float = 100
            elif pct or base < 5 and not float(base).is_integer():
                v = round(base * factor, 1)
            else:
                v = max(1, round(base * factor))
            t = dict(indicator=ind, indicator_en=ind_en, unit=unit)
            if direction == "down":
                t["comparator"] = "le"
                phrase = f"降至{num(v)}{unit}以下"
            else:
                cmp = rng.choices(*zip(*UP_COMPARATORS))[0]
                t["comparator"] = cmp
                if cmp == "range":
                    hi = v + max(1, round(v * 0.5)) if not pct else round(v * 1.3, 1)
                    t["min"], t["max"] = v, hi
                    phrase = f"达到{num(v)}-{num(hi)}{unit}"
                elif cmp == "ge":
                    phrase = f"达到{num(v)}{unit}以上"
                elif cmp == "gt":
                    phrase = f"达到{num(v)}余{unit}"
                else:
                    phrase = f"达到{num(v)}{unit}"
            if t["comparator"] != "range":
                t["value"] = v
            text = f"{ind}{phrase}"
            if rng.random() < DEADLINE_SHARE:
                t["deadline"] = dt.date(p.year, 12, 31)
                text = rng.choice((f"{p.year}年底，", "年底前，", "全年", f"{p.year}年末")) + text
            t["text"] = text
            out.append(t)
        return out

    def bracket(self, c: City, real: dict, rng: Random) -> tuple[str, list]:
        ag = self.city(c)["agencies"]
        used: set = set()
        pairs = []                              # (city id, name, role, class)
        real_counties = [a for a in real["agencies"] if self.kinds[a["agency"]] == "county_government"]
        n_c = min(len(real_counties), len(c.counties) - 1)
        picked = sorted(rng.sample(range(len(c.counties)), n_c)) if n_c else []
        county_iter = iter(picked)
        in_template = {a["agency"] for a in real["agencies"]}
        for a in real["agencies"]:
            rid, role = a["agency"], a["role"]
            kind = self.kinds[rid]
            if kind == "county_government":
                i = next(county_iter, None)
                if i is None:
                    continue
                cid, name = c.counties[i][0], c.counties[i][1]
                pairs.append((cid, name, role, "county"))
                continue
            if kind in _SWAP and rng.random() < _SWAP[kind]:
                pool = [x for x in self.dept_pool[kind] if x not in in_template and ag[x][0] not in used]
                if pool:
                    rid = rng.choices(pool, [self.t.weight[x] for x in pool])[0]
            cid, name, _ = ag[rid]
            if cid in used:
                continue
            used.add(cid)
            pairs.append((cid, name, role, "collective" if rid == "jc-counties" else "unit"))
        return _bracket([(n, r, cls) for _, n, r, cls in pairs]), [(cid, r) for cid, _, r, _ in pairs]

    def sections(self, c: City, p: PlanMeta, rng: Random) -> list[dict]:
        secs = []
        kept_children: dict = {}
        for s in self.t.sections:
            if s.get("parent"):
                kept_children.setdefault(s["parent"], []).append(s)
        drop = set()
        for parent, kids in kept_children.items():
            for s in kids:
                if rng.random() < 0.15:
                    drop.add(s["id"])
            if len([k for k in kids if k["id"] not in drop]) < 2:
                for k in kids[:2]:
                    drop.discard(k["id"])
        k = 0
        for s in self.t.sections:
            if s["id"] in drop:
                continue
            s = dict(s, real=s["id"])
            if s.get("parent"):
                # subsections are numbered （一）… continuously across sections, as in the real plan
                k += 1
                s["id"], s["number"] = f"{s['parent']}-{k}", _CN[k]
            if s["id"] == "s2":
                if p.year < 2020:
                    s["title"], s["title_en"] = "推动服务业高质量发展", "Promote the high-quality development of the service industry"
                elif p.year > 2022:
                    s["title"], s["title_en"] = "巩固服务业恢复向好势头", "Consolidate the recovery of the service industry"
            if s.get("task_force"):
                s["task_force"] = c.code + s["task_force"][2:]
            secs.append(s)
        return secs

    def plan_text(self, p: PlanMeta) -> tuple[str, dict]:
        c = p.city
        rng = Random(f"{self.seed}|plan|{p.id}")
        cc = self.city(c)
        sections = self.sections(c, p, rng)
        has_children = {s["parent"] for s in sections if s.get("parent")}
        carriers = [s for s in sections if s["id"] != "s1" and s["id"] not in has_children]
        n_measures = min(90, max(40, round(rng.gauss(66, 11))))
        weights = [len(self.t.measures.get(s["real"], ())) * rng.uniform(0.6, 1.4) for s in carriers]
        counts = _allocate(n_measures, weights)

        docs: dict = {}                               # id -> entry, in order of first use

        def add_doc(d: dict) -> str:
            docs.setdefault(d["id"], d)
            return d["id"]

        based_on = [add_doc(self.provincial_plan(p))]
        repeals = [add_doc(self.corpus_doc(p.predecessor))] if p.predecessor and rng.random() < 0.85 else []
        growth = round(rng.uniform(6.0, 9.5), 1)
        plan_target = dict(indicator="全市服务业增加值增速", indicator_en="Growth of service-industry value added in the city",
                           comparator="approx", value=growth, unit="%", deadline=dt.date(p.year, 12, 31),
                           text=f"{p.year}年，全市服务业增加值增速力争达到{num(growth)}%左右")

        stats = {"measures": 0, "assignments": 0, "targets": 1, "roles": {}}
        M: list[str] = []
        number = 0
        titles_used: set = set()
        for sec, count in zip(carriers, counts):
            real_sec = sec["real"]
            reals = [m for m in self.t.measures[real_sec] if p.year >= 2020 or "疫情" not in m["title"]] \
                or self.t.measures[real_sec]
            order: list = []
            pool = [s for s in cc["pool"][real_sec] if p.year >= 2020 or "疫情" not in s]
            for _ in range(count):
                if not order:
                    order = list(reals)
                    rng.shuffle(order)
                real = order.pop()
                number += 1
                title, title_en = real["title"], real["title_en"]
                if title in titles_used or (rng.random() < 0.3 and not title.startswith(TITLE_PREFIX_SKIP)):
                    # a repeated template gets an adverb, so titles stay distinct within a plan
                    start = rng.randrange(len(TITLE_PREFIXES))
                    for i in range(len(TITLE_PREFIXES)):
                        zh, en = TITLE_PREFIXES[(start + i) % len(TITLE_PREFIXES)]
                        if not title.startswith(zh) and zh + title not in titles_used:
                            title, title_en = zh + title, en + title_en[0].lower() + title_en[1:]
                            break
                titles_used.add(title)
                n_sent = max(1, len(_sentences(real["body"])) + rng.choice((-1, 0, 0, 1)))
                first = cc["first"].get((real_sec, real["number"]))
                sents = [first] if first and (p.year >= 2020 or "疫情" not in first) else []
                if pool:
                    extra = rng.sample(pool, min(len(pool), n_sent + 1))
                    sents += [s for s in extra if s not in sents][:max(0, n_sent - len(sents))]
                body = "".join(sents)
                if "2022" in body:
                    body = body.replace("2022", str(p.year))
                links = []
                if rng.random() < DOC_SHARE:
                    refs = [self.measure_doc(p, rng) for _ in range(1 if rng.random() < 0.85 else 2)]
                    cited = []
                    for d, rel in refs:
                        did = add_doc(d)
                        if all(did != x for x, _ in links):
                            links.append((did, rel))
                            cited.append(f"《{d['title']}》" + (f"（{d['number']}）" if d.get("number") else ""))
                    lead = "认真贯彻落实" if links[0][1] == "implements" else "按照"
                    tail = "有关要求，" if links[0][1] == "implements" else "部署，"
                    body = lead + "、".join(cited) + tail + body
                targets = self.targets(p, real_sec, rng) if rng.random() < TARGET_SHARE else []
                for t in targets:
                    body += t["text"] + "。"
                bracket, pairs = self.bracket(c, real, rng)
                stats["measures"] += 1
                stats["assignments"] += len(pairs)
                stats["targets"] += len(targets)
                for _, r in pairs:
                    stats["roles"][r] = stats["roles"].get(r, 0) + 1
                M.append(f"  - number: {number}")
                M.append(f"    section: {sec['id']}")
                M.append(f"    title: {q(title)}")
                M.append(f"    title_en: {q(title_en)}")
                M.append(f"    body: {q(body)}")
                M.append(f"    bracket: {q(bracket)}")
                M.append("    agencies:")
                M.extend(f"      - {{agency: {a}, role: {r}}}" for a, r in pairs)
                if links:
                    M.append("    documents:")
                    M.extend(f"      - {{document: {d}, relation: {r}}}" for d, r in links)
                if targets:
                    M.append("    targets:")
                    M.extend(_target_lines(targets, "      "))

        L = [f"# Synthetic plan written by bench/make_corpus.py --seed {self.seed} from the 2022 Jincheng plan",
             "# (data/measures.yaml). Not a real document. Schema: docs/schema.md.",
             "plan:",
             f"  id: {p.id}",
             f"  number: {q(p.number)}",
             f"  title: {q(p.title)}",
             f"  title_en: {q(p.title_en)}",
             f"  notice_title: {q(f'{c.name}市人民政府办公室关于印发{p.title}的通知')}",
             f"  issuer: {c.code}-gov-office",
             f"  date: {p.date.isoformat()}",
             f"  region: {q(c.name + '市')}",
             f"  based_on: [{', '.join(based_on)}]",
             f"  repeals: [{', '.join(repeals)}]",
             "  targets:"]
        L.extend(_target_lines([plan_target], "    "))
        L.append("documents:")
        for d in docs.values():
            L.append(f"  - id: {d['id']}")
            for k in ("number", "title", "title_en", "issuer", "level", "year", "note"):
                if d.get(k) is not None:
                    L.append(f"    {k}: {d[k] if k == 'year' else q(d[k])}")
        L.append("sections:")
        for s in sections:
            L.append(f"  - id: {s['id']}")
            L.append(f"    number: {q(s['number'])}")
            if s.get("parent"):
                L.append(f"    parent: {s['parent']}")
            L.append(f"    title: {q(s['title'])}")
            L.append(f"    title_en: {q(s['title_en'])}")
            for k in ("sector", "task_force"):
                if s.get(k):
                    L.append(f"    {k}: {s[k]}")
        L.append("measures:")
        L.extend(M)
        stats["documents"] = len(docs)
        stats["corpus_links"] = sum(1 for d in docs.values() if d.get("number") in self.numbers)
        return "\n".join(L) + "\n", stats


def _target_lines(targets: list[dict], ind: str) -> list[str]:
    out = []
    for t in targets:
        out.append(f"{ind}- indicator: {q(t['indicator'])}")
        out.append(f"{ind}  indicator_en: {q(t['indicator_en'])}")
        out.append(f"{ind}  comparator: {t['comparator']}")
        for k in ("value", "min", "max"):
            if k in t:
                out.append(f"{ind}  {k}: {num(t[k])}")
        if t.get("unit"):
            out.append(f"{ind}  unit: {q(t['unit'])}")
        if t.get("deadline"):
            out.append(f"{ind}  deadline: {t['deadline'].isoformat()}")
        out.append(f"{ind}  text: {q(t['text'])}")
    return out


# --------------------------------------------------------------------------- driver


def make_corpus(plans: int, seed: int, out: Path) -> dict:
    """Write a corpus of ``plans`` synthetic plans into ``out``; return a summary.

    ``out`` must be absent, empty, or a corpus this function wrote before (it is then
    replaced).  The same (plans, seed) always gives byte-identical files.
    """
    if plans < 1:
        raise ValueError("plans must be 1 or more")
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise FileExistsError(f"{out} exists and is not a folder")
        if any(out.iterdir()):
            if not (out / MARKER).is_file():
                raise FileExistsError(f"{out} is not empty and was not written by make_corpus: refusing to touch it")
            shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)

    t = load_template()
    provinces, cities, metas = layout(plans, seed)
    writer = PlanWriter(t, seed, metas)
    total = {"plans": 0, "measures": 0, "assignments": 0, "targets": 0, "document_entries": 0,
             "links_into_corpus": 0, "roles": {}}
    files = 0
    size = 0

    def write(rel: str, text: str | bytes) -> None:
        nonlocal files, size
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files += 1
        size += len(data)

    write("sectors.yaml", t.sectors_bytes)
    n_agencies = 0
    for c in cities:
        text = agencies_yaml(t, c, seed)
        n_agencies += text.count("\n  - id: ")
        write(f"{c.code}/agencies.yaml", text)
    for p in metas:
        text, st = writer.plan_text(p)
        write(p.path, text)
        total["plans"] += 1
        for k in ("measures", "assignments", "targets"):
            total[k] += st[k]
        total["document_entries"] += st["documents"]
        for r, n in st["roles"].items():
            total["roles"][r] = total["roles"].get(r, 0) + n
        total["links_into_corpus"] += st["corpus_links"]
    links = total["links_into_corpus"]
    summary = dict(plans=total["plans"], measures=total["measures"], assignments=total["assignments"],
                   targets=total["targets"], roles=dict(sorted(total["roles"].items())),
                   document_entries=total["document_entries"], links_into_corpus=links,
                   cities=len(cities), provinces=len(provinces), agencies=n_agencies,
                   files=files, bytes=size, seed=seed)
    (out / MARKER).write_text(json.dumps(dict(generator="bench/make_corpus.py", **summary),
                                         ensure_ascii=False, indent=1) + "\n", "utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a synthetic policykg corpus for scale figures.")
    ap.add_argument("--plans", type=int, required=True, help="number of plans (1 or more)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--out", type=Path, required=True, help="output folder (absent, empty, or an earlier corpus)")
    args = ap.parse_args(argv)
    if args.plans < 1:
        ap.error("--plans must be 1 or more")
    start = time.perf_counter()
    try:
        s = make_corpus(args.plans, args.seed, args.out)
    except FileExistsError as exc:
        print(f"make_corpus: {exc}", file=sys.stderr)
        return 2
    took = time.perf_counter() - start
    print(f"make_corpus: {s['plans']:,} plan{'s' if s['plans'] != 1 else ''}, {s['measures']:,} measures, {s['assignments']:,} assignments, "
          f"{s['targets']:,} targets, {s['cities']:,} cities, {s['files']:,} files, {s['bytes']:,} bytes "
          f"in {took:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
