"""Named questions answered from the compiled index.

Every method returns plain JSON-ready data (dicts, lists, str, int, None): the
CLI formats it, the notebook turns it into tables.  Lead/support was derived at
compile time by ``policykg.roles``; nothing here re-reads 牵头/负责/配合.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from ..errors import UnknownMeasure, UsageError
from ..names import AgencyResolver
from ..roles import RAW_ROLES

ROLE_FILTERS = ("lead", "support", "any")

#: Orders of the agency summary, shared by every backend so they sort alike.
SUMMARY_SORT = {
    "total": lambda x: (-x["total"], -x["lead"], x["id"]),
    "lead": lambda x: (-x["lead"], -x["total"], x["id"]),
    "support": lambda x: (-x["support"], -x["total"], x["id"]),
    "name": lambda x: (x["name"], x["id"]), "id": lambda x: x["id"],
    "kind": lambda x: (x["kind"], x["id"]),
}


def check_role_filter(role: str) -> None:
    """Raise UsageError unless ``role`` is lead, support or any."""
    if role not in ROLE_FILTERS:
        raise UsageError(f"role must be one of {', '.join(ROLE_FILTERS)}, not {role!r}")


def sort_agency_summary(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Agency summary rows in one of the SUMMARY_SORT orders."""
    if sort not in SUMMARY_SORT:
        raise UsageError(f"sort must be one of {', '.join(SUMMARY_SORT)}, not {sort!r}")
    return sorted(rows, key=SUMMARY_SORT[sort])


class Questions:
    """The named questions policykg answers, whatever holds the data.

    :class:`Index` asks the compiled SQLite index; :class:`policykg.query.sparql_questions.SparqlIndex`
    asks a SPARQL engine (the in-process store or a team's server).  Both give the
    same answers in the same shapes: plain JSON-ready data (dicts, lists, str,
    int, None).  ``plans`` arguments restrict an answer to those plan ids (see
    :meth:`plan_ids`); None means every plan.
    """

    source: Any = None

    def close(self) -> None:
        """Release the connection or engine."""
        raise NotImplementedError

    # ------------------------------------------------------------------ lookup
    @property
    def agencies_by_id(self) -> dict[str, Any]:
        """Every agency's record keyed by id: id, name, name_en, full_name, kind, aliases and members (JSON text), note."""
        raise NotImplementedError

    def agency(self, aid: str) -> Any:
        """One agency's record (as in :attr:`agencies_by_id`), or None if there is none with that id."""
        raise NotImplementedError

    def resolver(self) -> AgencyResolver:
        """The rules that turn what people type into agency ids, over this data's names."""
        raise NotImplementedError

    def resolve_agency(self, text: str) -> str:
        """The agency id that ``text`` names (id, name, alias, English, partial); UsageError if none or several."""
        return self.resolver().resolve(text)

    def plan_ids(self, plan: str | None = None, issuer: str | None = None, year: int | None = None) -> list[str]:
        """Plans to answer from, filtered by id or number, issuer and year; UsageError for an unknown plan."""
        raise NotImplementedError

    def _measure_range(self, plans: list[str] | None) -> str:
        """The measure numbers the data (or ``plans``) holds, for messages: "measures 1 to 66"."""
        raise NotImplementedError

    def _the_measure(self, number: int, plan: str | None, plans: list[str] | None, found: list, plan_ids: list[str]):
        """The one of ``found`` (measures numbered ``number``, in plan order; ``plan_ids`` their plans'):
        UnknownMeasure if there is none, UsageError if several plans have one.  Every backend's rule."""
        if not found:
            raise UnknownMeasure(f"no measure {number}" + (f" in plan {plan}" if plan else "")
                                 + f" (the data has {self._measure_range(plans)})")
        if len(found) > 1:
            raise UsageError(f"measure {number} exists in {len(found)} plans; choose one with --plan "
                             f"({', '.join(plan_ids[:8])})")
        return found[0]

    # ------------------------------------------------------------------ questions
    def measures_by_agency(self, agency_id: str, role: str = "lead", direct: bool = False,
                           plans: list[str] | None = None) -> list[dict[str, Any]]:
        """Measures in which the agency has ``role`` (lead / support / any), in measure order.

        Duties that fall to the agency as a member of a collective come with
        ``via`` = the collective's id, unless ``direct``; a measure naming the
        agency itself is listed once, as a direct duty.
        """
        raise NotImplementedError

    def agency_summary(self, plans: list[str] | None = None, sort: str = "total") -> list[dict[str, Any]]:
        """Every agency with its lead / support / total counts (direct duties), in a :data:`SUMMARY_SORT` order."""
        raise NotImplementedError

    def agency_profile(self, agency_id: str, plans: list[str] | None = None, top: int = 10) -> dict[str, Any]:
        """One agency: names, kind, memberships, measures by role, closest partners."""
        raise NotImplementedError

    def measure(self, number: int, plan: str | None = None) -> dict[str, Any]:
        """One measure in full; UnknownMeasure if there is none with that number, UsageError if several plans have one and ``plan`` does not choose."""
        raise NotImplementedError

    def search(self, text: str, plans: list[str] | None = None) -> list[dict[str, Any]]:
        """Measures whose title or body (zh) or English title contains ``text``, case-insensitively."""
        raise NotImplementedError

    def targets(self, agency_id: str | None = None, plans: list[str] | None = None) -> list[dict[str, Any]]:
        """Every quantitative target with its measure, responsible agencies and deadline."""
        raise NotImplementedError

    def documents(self, plans: list[str] | None = None) -> list[dict[str, Any]]:
        """The referenced documents, each with the plans and measures that cite it."""
        raise NotImplementedError

    def plans(self) -> list[dict[str, Any]]:
        """The plans in the data with their measure counts, by date then id."""
        raise NotImplementedError

    def assignment_pairs(self, plans: list[str] | None = None) -> list[tuple[str, str]]:
        """(measure key, agency id) for every assignment: the input of network figures."""
        raise NotImplementedError

    def sector_counts(self, plans: list[str] | None = None) -> list[dict[str, Any]]:
        """Measures per sector, most first: the sector's id, name and name_en with ``measures`` (id None: no sector)."""
        raise NotImplementedError


class IndexResolver(AgencyResolver):
    """The resolver's rules over the index's names table: no need to load every name."""

    def __init__(self, index: "Index"):
        self._index = index

    def exact_ids(self, key: str) -> list[str]:
        return [r[0] for r in self._index.db.execute("SELECT agency FROM names WHERE norm = ? ORDER BY agency", (key,))]

    def partial_ids(self, key: str) -> list[str]:
        return [r[0] for r in self._index.db.execute(
            "SELECT DISTINCT agency FROM names WHERE instr(norm, ?) > 0 ORDER BY agency", (key,))]

    def all_names(self) -> dict[str, str]:
        return {n: a for n, a in self._index.db.execute("SELECT norm, MIN(agency) FROM names GROUP BY norm")}

    def shown(self, aid: str) -> str:
        return self._index.agency(aid)["name"]


class Index(Questions):
    """The questions (:class:`Questions`) answered from a compiled index opened read-only."""

    def __init__(self, db: sqlite3.Connection, source: Path | None = None):
        self.db = db
        self.source = source
        db.row_factory = sqlite3.Row
        self._agencies: dict[str, sqlite3.Row] | None = None
        self._agency_rows: dict[str, sqlite3.Row] = {}

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------------ lookup
    @property
    def agencies_by_id(self) -> dict[str, sqlite3.Row]:
        if self._agencies is None:
            self._agencies = {r["id"]: r for r in self.db.execute("SELECT * FROM agencies ORDER BY seq")}
        return self._agencies

    def agency(self, aid: str) -> sqlite3.Row:
        row = self._agency_rows.get(aid)
        if row is None:
            row = self._agency_rows[aid] = self.db.execute("SELECT * FROM agencies WHERE id = ?", (aid,)).fetchone()
        return row

    def resolver(self) -> AgencyResolver:
        return IndexResolver(self)

    def plan_ids(self, plan: str | None = None, issuer: str | None = None, year: int | None = None) -> list[str]:
        sql, args = "SELECT id FROM plans WHERE 1=1", []
        if plan:
            sql += " AND (id = ? OR number = ?)"
            args += [plan, plan]
        if issuer:
            sql += " AND issuer = ?"
            args.append(self.resolve_agency(issuer))
        if year:
            sql += " AND year = ?"
            args.append(year)
        ids = [r[0] for r in self.db.execute(sql + " ORDER BY seq", args)]
        if plan and not ids:
            raise UsageError(f"no plan {plan!r} in the data")
        return ids

    def _plan_filter(self, plans: list[str] | None, column: str = "m.plan") -> tuple[str, list]:
        if plans is None:
            return "", []
        return f" AND {column} IN ({','.join('?' * len(plans))})", list(plans)

    def _agency_brief(self, aid: str) -> dict[str, Any]:
        r = self.agency(aid)
        return {"id": aid, "name": r["name"], "name_en": r["name_en"], "kind": r["kind"]}

    # ------------------------------------------------------------------ questions
    def measures_by_agency(self, agency_id: str, role: str = "lead", direct: bool = False,
                           plans: list[str] | None = None) -> list[dict[str, Any]]:
        check_role_filter(role)
        via_ids = [] if direct else [r[0] for r in self.db.execute(
            "SELECT collective FROM membership WHERE member = ?", (agency_id,))]
        holders = [agency_id, *via_ids]
        sql = (f"SELECT m.plan, m.number, m.title, m.title_en, a.agency, a.role, a.effective, a.position "
               f"FROM assignments a JOIN measures m ON m.plan = a.plan AND m.number = a.number "
               f"JOIN plans p ON p.id = m.plan "
               f"WHERE a.agency IN ({','.join('?' * len(holders))})")
        args: list[Any] = list(holders)
        if role != "any":
            sql += " AND a.effective = ?"
            args.append(role)
        where, more = self._plan_filter(plans)
        rows = self.db.execute(sql + where + " ORDER BY p.seq, m.seq, a.agency != ?", args + more + [agency_id])
        out: dict[tuple[str, int], dict[str, Any]] = {}
        for r in rows:
            key = (r["plan"], r["number"])
            if key in out:
                continue
            out[key] = {"plan": r["plan"], "number": r["number"], "title": r["title"], "title_en": r["title_en"],
                        "role": RAW_ROLES[r["role"]], "role_zh": r["role"], "effective": r["effective"],
                        "position": r["position"], "via": None if r["agency"] == agency_id else r["agency"]}
        return list(out.values())

    def agency_summary(self, plans: list[str] | None = None, sort: str = "total") -> list[dict[str, Any]]:
        where, args = self._plan_filter(plans, "plan")
        counts = {r[0]: (r[1], r[2]) for r in self.db.execute(
            "SELECT agency, SUM(effective = 'lead'), SUM(effective = 'support') FROM assignments "
            f"WHERE 1=1{where} GROUP BY agency", args)}
        out = []
        for aid, r in self.agencies_by_id.items():
            lead, support = counts.get(aid, (0, 0))
            out.append({"id": aid, "name": r["name"], "name_en": r["name_en"], "kind": r["kind"],
                        "lead": lead, "support": support, "total": lead + support})
        return sort_agency_summary(out, sort)

    def agency_profile(self, agency_id: str, plans: list[str] | None = None, top: int = 10) -> dict[str, Any]:
        r = self.agency(agency_id)
        members = json.loads(r["members"])
        member_of = [c for (c,) in self.db.execute(
            "SELECT collective FROM membership WHERE member = ? ORDER BY collective", (agency_id,))]
        by_role: dict[str, list[dict[str, Any]]] = {"lead": [], "support": []}
        for row in self.measures_by_agency(agency_id, "any", plans=plans):
            by_role[row["effective"]].append(row)
        where, args = self._plan_filter(plans, "a.plan")
        partners = [
            {**self._agency_brief(p["agency"]), "shared": p["shared"]}
            for p in self.db.execute(
                "SELECT b.agency AS agency, COUNT(*) AS shared FROM assignments a JOIN assignments b "
                "ON a.plan = b.plan AND a.number = b.number AND b.agency != a.agency "
                f"WHERE a.agency = ?{where} GROUP BY b.agency ORDER BY shared DESC, b.agency LIMIT ?",
                [agency_id, *args, top])]
        return {"id": agency_id, "name": r["name"], "name_en": r["name_en"], "full_name": r["full_name"],
                "aliases": json.loads(r["aliases"]), "kind": r["kind"], "note": r["note"],
                "members": [self._agency_brief(m) for m in members],
                "member_of": [self._agency_brief(c) for c in member_of],
                "lead": by_role["lead"], "support": by_role["support"],
                "counts": {"lead": len(by_role["lead"]), "support": len(by_role["support"]),
                           "total": len(by_role["lead"]) + len(by_role["support"])},
                "partners": partners}

    def _measure_row(self, number: int, plan: str | None) -> sqlite3.Row:
        plans = self.plan_ids(plan) if plan else None
        where, args = self._plan_filter(plans)
        rows = self.db.execute(
            f"SELECT m.* FROM measures m JOIN plans p ON p.id = m.plan WHERE m.number = ?{where} ORDER BY p.seq",
            [number, *args]).fetchall()
        return self._the_measure(number, plan, plans, rows, [r["plan"] for r in rows])

    def _measure_range(self, plans: list[str] | None) -> str:
        where, args = self._plan_filter(plans, "plan")
        lo, hi, n = self.db.execute(f"SELECT MIN(number), MAX(number), COUNT(*) FROM measures WHERE 1=1{where}",
                                    args).fetchone()
        return "no measures" if not n else f"measures {lo} to {hi}"

    def measure(self, number: int, plan: str | None = None) -> dict[str, Any]:
        m = self._measure_row(number, plan)
        key = (m["plan"], m["number"])
        sections = {r["id"]: r for r in self.db.execute("SELECT * FROM sections WHERE plan = ?", (m["plan"],))}
        agencies = []
        for a in self.db.execute("SELECT * FROM assignments WHERE plan = ? AND number = ? ORDER BY position", key):
            brief = self.agency(a["agency"])
            agencies.append({"id": a["agency"], "name": brief["name"], "name_en": brief["name_en"],
                             "kind": brief["kind"], "role": RAW_ROLES[a["role"]], "role_zh": a["role"],
                             "position": a["position"], "effective": a["effective"]})
        return {"plan": m["plan"], "number": m["number"], "title": m["title"], "title_en": m["title_en"],
                "body": m["body"], "section": self._section(sections, m["section"]),
                "subsection": self._section(sections, m["subsection"]),
                "sector": self._sector(m["sector"]),
                "task_force": self._agency_brief(m["task_force"]) if m["task_force"] else None,
                "bracket": m["bracket"], "agencies": agencies,
                "documents": self._documents_of(*key), "targets": self._targets_of(*key)}

    @staticmethod
    def _section(sections: dict, sid: str | None) -> dict[str, Any] | None:
        if not sid:
            return None
        s = sections[sid]
        return {"id": s["id"], "number": s["number"], "title": s["title"], "title_en": s["title_en"]}

    def _sector(self, sid: str | None) -> dict[str, Any] | None:
        if not sid:
            return None
        s = self.db.execute("SELECT * FROM sectors WHERE id = ?", (sid,)).fetchone()
        if s is None:
            return {"id": sid, "name": sid, "name_en": sid}
        return {"id": s["id"], "name": s["name"], "name_en": s["name_en"]}

    def _documents_of(self, plan: str, number: int | None) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT d.*, l.relation FROM doc_links l JOIN documents d ON d.id = l.document "
            "WHERE l.plan = ? AND l.number IS ? ORDER BY l.seq", (plan, number))
        return [{"id": r["id"], "number": r["number"], "title": r["title"], "title_en": r["title_en"],
                 "relation": r["relation"], "level": r["level"], "note": r["note"]} for r in rows]

    def _targets_of(self, plan: str, number: int | None) -> list[dict[str, Any]]:
        return [_target(r) for r in self.db.execute(
            "SELECT * FROM targets WHERE plan = ? AND number IS ? ORDER BY k", (plan, number))]

    def search(self, text: str, plans: list[str] | None = None) -> list[dict[str, Any]]:
        needle = text.strip()
        if not needle:
            raise UsageError("search text is empty")
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where, args = self._plan_filter(plans)
        rows = self.db.execute(
            "SELECT m.plan, m.number, m.title, m.title_en, "
            "(m.title LIKE ?1 ESCAPE '\\' OR m.title_en LIKE ?1 ESCAPE '\\') AS in_title "
            "FROM measures m JOIN plans p ON p.id = m.plan "
            "WHERE (m.title LIKE ?1 ESCAPE '\\' OR m.title_en LIKE ?1 ESCAPE '\\' OR m.body LIKE ?1 ESCAPE '\\')"
            f"{where} ORDER BY p.seq, m.seq", [pattern, *args])
        return [{"plan": r["plan"], "number": r["number"], "title": r["title"], "title_en": r["title_en"],
                 "match": "title" if r["in_title"] else "body"} for r in rows]

    def targets(self, agency_id: str | None = None, plans: list[str] | None = None) -> list[dict[str, Any]]:
        where, args = self._plan_filter(plans, "t.plan")
        rows = self.db.execute(
            "SELECT t.*, m.title, m.title_en FROM targets t LEFT JOIN measures m ON m.plan = t.plan "
            f"AND m.number = t.number JOIN plans p ON p.id = t.plan WHERE 1=1{where} "
            "ORDER BY p.seq, t.number IS NOT NULL, t.number, t.k", args).fetchall()
        holders = None
        if agency_id is not None:
            holders = {agency_id, *(c for (c,) in self.db.execute(
                "SELECT collective FROM membership WHERE member = ?", (agency_id,)))}
        out = []
        for r in rows:
            agencies = [{"id": a["agency"], "name": self.agency(a["agency"])["name"],
                         "name_en": self.agency(a["agency"])["name_en"],
                         "role": RAW_ROLES[a["role"]], "effective": a["effective"]}
                        for a in self.db.execute("SELECT * FROM assignments WHERE plan = ? AND number IS ? "
                                                 "ORDER BY position", (r["plan"], r["number"]))]
            if holders is not None and not holders & {a["id"] for a in agencies}:
                continue
            out.append({"plan": r["plan"], "number": r["number"], "title": r["title"], "title_en": r["title_en"],
                        **_target(r), "agencies": agencies})
        return out

    def documents(self, plans: list[str] | None = None) -> list[dict[str, Any]]:
        where, args = self._plan_filter(plans, "l.plan")
        out: dict[str, dict[str, Any]] = {}
        for r in self.db.execute(
                "SELECT d.*, l.plan AS plan, l.number AS measure, l.relation FROM documents d "
                f"JOIN doc_links l ON l.document = d.id JOIN plans p ON p.id = l.plan WHERE 1=1{where} "
                "ORDER BY p.seq, l.number IS NOT NULL, l.number, l.seq", args):
            doc = out.setdefault(r["id"], {"id": r["id"], "number": r["number"], "title": r["title"],
                                           "title_en": r["title_en"], "issuer": r["issuer"], "level": r["level"],
                                           "year": r["year"], "note": r["note"], "cited_by": []})
            doc["cited_by"].append({"plan": r["plan"], "measure": r["measure"], "relation": r["relation"]})
        return list(out.values())

    def plans(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute(
            "SELECT p.id, p.number, p.title, p.title_en, p.issuer, p.date, p.year, "
            "(SELECT COUNT(*) FROM measures m WHERE m.plan = p.id) AS measures FROM plans p ORDER BY p.seq")]

    def assignment_pairs(self, plans: list[str] | None = None) -> list[tuple[str, str]]:
        where, args = self._plan_filter(plans, "plan")
        return [(f"{p}/{n}", a) for p, n, a in self.db.execute(
            f"SELECT plan, number, agency FROM assignments WHERE 1=1{where} ORDER BY plan, number, position", args)]

    def sector_counts(self, plans: list[str] | None = None) -> list[dict[str, Any]]:
        where, args = self._plan_filter(plans)
        rows = self.db.execute(
            f"SELECT m.sector, COUNT(*) AS n FROM measures m WHERE 1=1{where} GROUP BY m.sector "
            "ORDER BY n DESC, m.sector", args)
        return [{**(self._sector(r["sector"]) or {"id": None, "name": "（无）", "name_en": "(none)"}),
                 "measures": r["n"]} for r in rows]


def _target(r: sqlite3.Row) -> dict[str, Any]:
    def num(v):
        if v is None:
            return None
        f = float(v)
        return int(f) if f.is_integer() else f
    return {"indicator": r["indicator"], "indicator_en": r["indicator_en"], "comparator": r["comparator"],
            "value": num(r["value"]), "min": num(r["min"]), "max": num(r["max"]), "unit": r["unit"],
            "deadline": r["deadline"], "text": r["text"]}
