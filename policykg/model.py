"""The validated model: plain, immutable dataclasses made by ``policykg.loader``.

Everything downstream (graph compiler, index, exporters) reads these objects,
never the YAML.  Ids are ASCII and stable; they become IRIs in ``policykg.graph``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal
from typing import Iterator, Mapping

from .roles import effective_roles, role_english

#: Kinds of agency an authority file may use.
AGENCY_KINDS = (
    "government",            # a people's government or its general office
    "department",            # a municipal government department (市商务局)
    "vertical_branch",       # local branch of a vertically managed national body (市税务局)
    "county_government",     # county-level government (泽州县人民政府)
    "party_organ",           # organ of the Party committee (市委网信办)
    "public_institution",    # 事业单位 (市住房公积金管理中心)
    "cooperative",           # supply and marketing cooperative (市供销社)
    "development_zone",      # development zone management committee
    "leading_group",         # a leading group (领导小组)
    "collective",            # a named set of agencies (各县（市、区）人民政府)
    "task_force",            # 工作专班
    "other",
)

#: Comparators a target may use, with their reading.
COMPARATORS = {
    "eq": "=",        # exactly (新建5G基站1800个)
    "ge": "≥",        # at least (115家以上)
    "gt": ">",        # more than (300余户)
    "le": "≤",        # at most (降至1%以下)
    "lt": "<",
    "approx": "≈",    # about (8.8%左右)
    "range": "–",     # between min and max (1-2家)
}

#: Relations between a plan or measure and a referenced document.
DOC_RELATIONS = ("based_on", "repeals", "implements", "cites")


@dataclass(frozen=True, slots=True)
class Agency:
    id: str
    name: str                      # as written in the plan (市商务局)
    name_en: str
    kind: str
    full_name: str | None = None   # official full name where the short form differs
    aliases: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # ids of member agencies (collectives)
    note: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Every name people may use for this agency, canonical first."""
        out = [self.name, self.full_name, self.name_en, *self.aliases]
        return tuple(dict.fromkeys(n for n in out if n))


@dataclass(frozen=True, slots=True)
class Sector:
    id: str
    name: str
    name_en: str
    broader: str | None = None     # id of the broader sector
    gbt4754: tuple[str, ...] = ()  # GB/T 4754-2017 codes where the mapping is clear


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    number: str                    # 一, 二 … for sections; （一）… written as 一 for subsections
    title: str
    title_en: str
    parent: str | None = None      # id of the parent section (subsections)
    sector: str | None = None
    task_force: str | None = None  # agency id of the task force named in the heading


@dataclass(frozen=True, slots=True)
class Document:
    """A referenced (upper-level or earlier) document."""

    id: str
    number: str | None             # 发文字号, e.g. 晋政办发〔2022〕35号
    title: str | None
    title_en: str | None = None
    issuer: str | None = None
    level: str | None = None       # national / provincial / municipal
    year: int | None = None
    note: str | None = None        # where the reference looks inconsistent


@dataclass(frozen=True, slots=True)
class DocumentLink:
    document: str                  # document id
    relation: str = "cites"        # one of DOC_RELATIONS


@dataclass(frozen=True, slots=True)
class Target:
    indicator: str
    indicator_en: str
    comparator: str                # a key of COMPARATORS
    value: Decimal | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    unit: str | None = None
    deadline: dt.date | None = None
    text: str | None = None        # the words of the plan that state it


@dataclass(frozen=True, slots=True)
class Assignment:
    """One agency in one measure's responsibility bracket."""

    agency: str                    # agency id
    role: str                      # raw role as written: 牵头 / 负责 / 配合
    position: int                  # 1-based place in the bracket (document order)
    effective: str                 # lead / support, by policykg.roles

    @property
    def role_en(self) -> str:
        return role_english(self.role)


@dataclass(frozen=True, slots=True)
class Measure:
    plan: str                      # plan id
    number: int
    title: str
    title_en: str
    body: str
    section: str                   # section id
    subsection: str | None = None  # section id of the subsection
    sector: str | None = None
    task_force: str | None = None
    bracket: str | None = None     # the responsibility bracket as written
    assignments: tuple[Assignment, ...] = ()
    documents: tuple[DocumentLink, ...] = ()
    targets: tuple[Target, ...] = ()
    line: int | None = None        # line of the measure in its YAML file

    @property
    def key(self) -> str:
        return f"{self.plan}/{self.number}"


def make_assignments(pairs: list[tuple[str, str]]) -> tuple[Assignment, ...]:
    """Assignments from (agency id, raw role) pairs in bracket order."""
    eff = effective_roles(role for _, role in pairs)
    return tuple(Assignment(a, r, i + 1, e) for i, ((a, r), e) in enumerate(zip(pairs, eff)))


@dataclass(frozen=True, slots=True)
class Plan:
    id: str                        # ASCII id, e.g. jincheng-2022-24
    number: str                    # 晋市政办〔2022〕24号
    title: str
    title_en: str
    issuer: str                    # agency id
    date: dt.date
    notice_title: str | None = None
    region: str | None = None
    based_on: tuple[str, ...] = ()  # document ids
    repeals: tuple[str, ...] = ()
    cites: tuple[str, ...] = ()
    targets: tuple[Target, ...] = ()
    sections: tuple[Section, ...] = ()
    measures: tuple[Measure, ...] = ()
    documents: tuple[Document, ...] = ()  # the documents this plan references
    source: str | None = None      # path of the YAML file it came from
    source_text: str | None = None  # path of the source document, relative to the YAML

    @property
    def year(self) -> int:
        return self.date.year

    def measure(self, number: int) -> Measure | None:
        for m in self.measures:
            if m.number == number:
                return m
        return None


@dataclass(frozen=True)
class Dataset:
    """Plans with the authority file and sector scheme they are read against."""

    plans: tuple[Plan, ...]
    agencies: Mapping[str, Agency]
    sectors: Mapping[str, Sector] = field(default_factory=dict)
    sources: tuple[str, ...] = ()  # every input file, for cache keys

    def measures(self) -> Iterator[Measure]:
        for p in self.plans:
            yield from p.measures

    def documents(self) -> dict[str, Document]:
        """Every referenced document, merged across plans by id."""
        out: dict[str, Document] = {}
        for p in self.plans:
            for d in p.documents:
                out.setdefault(d.id, d)
        return out

    @cached_property
    def _member_of(self) -> dict[str, list[str]]:
        """Agency id → ids of the collectives listing it directly, in authority-file order."""
        out: dict[str, list[str]] = {}
        for a in self.agencies.values():
            for member in a.members:
                out.setdefault(member, []).append(a.id)
        return out

    def collectives_of(self, agency_id: str) -> list[str]:
        """Ids of the collectives that list ``agency_id`` as a member (transitively)."""
        out: list[str] = []
        seen: set[str] = set()
        frontier = [agency_id]
        while frontier:
            for c in self._member_of.get(frontier.pop(), ()):
                if c not in seen:
                    seen.add(c)
                    out.append(c)
                    frontier.append(c)
        return out
