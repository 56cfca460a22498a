"""The named questions of :class:`policykg.query.store.Index`, answered with SPARQL.

:class:`SparqlIndex` has the same public methods, arguments, return shapes and
errors as ``Index``, so ``policykg --endpoint URL leads 商务局`` answers from a
remote store exactly as the embedded index does.  Every answer comes from a
SPARQL query over the compiled graph (``policykg.graph.compile``): who leads
and who supports is read from each assignment's ``pkg:effectiveRole``, which
the compiler took from ``policykg.roles``; nothing here re-reads 牵头/负责/配合.
Duties that fall to an agency as a member of a collective follow
``org:hasMember`` (transitively), as the index's membership table does.

Agencies (names, aliases, members), plans, sectors and referenced documents
are fetched once per SparqlIndex and kept; every other question is one or a
few queries.  Ordering is done here, not by the engine, with the index's keys:
plans by (date, id) (the loader's order), measures by number, assignments by
position.

Where RDF keeps no order, answers follow a documented rule instead of the
YAML order: ``agencies_by_id`` is ordered by id (the index: authority-file
order), ``aliases`` and ``members`` in ``agency_profile`` are sorted, and a
measure's documents are ordered by relation (based_on, repeals, implements,
cites) then id (the index: order written).  An alias equal to the agency's
full name or preferred names is not kept apart in the graph, so it is not
listed among ``aliases``.
"""
from __future__ import annotations

import json
from typing import Any

from ..errors import UsageError
from ..model import DOC_RELATIONS
from ..names import AgencyResolver
from ..ontology import EFFECTIVE_ROLE_TERMS, PKG, PREFIXES, ROLE_TERMS
from ..roles import RAW_ROLES
from .sparql import IRI, LocalEngine, RemoteEngine
from .store import ROLE_FILTERS, Questions, check_role_filter, sort_agency_summary

__all__ = ["SparqlIndex", "open_endpoint", "ROLE_FILTERS", "DATA_PATTERN"]


_PROLOGUE = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in {
    **PREFIXES, "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#"}.items())

_RAW_BY_IRI = {str(iri): raw for raw, iri in ROLE_TERMS.items()}
_EFFECTIVE_BY_IRI = {str(iri): eff for eff, iri in EFFECTIVE_ROLE_TERMS.items()}
_ELI = PREFIXES["eli"]
_RELATION_BY_IRI = {_ELI + r: r for r in DOC_RELATIONS}
_RELATION_ORDER = {r: i for i, r in enumerate(DOC_RELATIONS)}
_RELATIONS_VALUES = " ".join(f"eli:{r}" for r in DOC_RELATIONS)
#: What policykg data looks like, for finding it on a remote store.
DATA_PATTERN = (f"{{ ?s a ?t . VALUES ?t {{ <{PKG.Agency}> <{PKG.Plan}> <{PKG.ReferencedDocument}> <{PKG.Sector}> }} }}"
                 f" UNION {{ ?s <{PKG.resolvesTo}> ?o }}")

_TARGET_FIELDS = """
  ?t pkg:indicator ?indicator, ?indicator_en ; pkg:comparator ?comparator .
  FILTER(lang(?indicator) = "zh" && lang(?indicator_en) = "en")
  OPTIONAL { ?t schema:value ?value }
  OPTIONAL { ?t schema:minValue ?min }
  OPTIONAL { ?t schema:maxValue ?max }
  OPTIONAL { ?t schema:unitText ?unit }
  OPTIONAL { ?t pkg:deadline ?deadline }
  OPTIONAL { ?t pkg:text ?text }
"""



def _tail(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _num(value: str | None) -> int | float | None:
    """A decimal as the index gives it: an int when integral, else a float."""
    if value is None:
        return None
    f = float(value)
    return int(f) if f.is_integer() else f


class SparqlIndex(Questions):
    """The questions (:class:`~policykg.query.store.Questions`), asked of a SPARQL engine (LocalEngine or RemoteEngine)."""

    def __init__(self, engine, source: Any = None):
        self.engine = engine
        self.source = source if source is not None else getattr(engine, "name", None)
        self._agencies: dict[str, dict[str, Any]] | None = None
        self._agency_iri: dict[str, str] = {}
        self._agency_id: dict[str, str] = {}
        self._collectives: dict[str, list[str]] = {}
        self._resolver: AgencyResolver | None = None
        self._plans: list[dict[str, Any]] | None = None
        self._plan_by_iri: dict[str, dict[str, Any]] = {}
        self._plan_iri: dict[str, str] = {}
        self._sectors: dict[str, dict[str, Any]] | None = None
        self._documents: dict[str, dict[str, Any]] | None = None

    @classmethod
    def from_dataset(cls, dataset, base_iri: str | None = None) -> "SparqlIndex":
        """Questions over the compiled graph of a model.Dataset, in an in-process pyoxigraph store."""
        return cls(LocalEngine.from_dataset(dataset, base_iri))

    def close(self) -> None:
        self.engine.close()

    def _select(self, query: str, **bindings: Any) -> list[dict[str, str | None]]:
        return self.engine.query(_PROLOGUE + query, bindings).values()

    # ------------------------------------------------------------------ cached facts
    @property
    def agencies_by_id(self) -> dict[str, dict[str, Any]]:
        if self._agencies is None:
            self._load_agencies()
        return self._agencies

    def agency(self, aid: str) -> dict[str, Any] | None:
        return self.agencies_by_id.get(aid)

    def _load_agencies(self) -> None:
        query = """SELECT ?a ?id ?kind ?name ?name_en ?full ?note WHERE {
          ?a a pkg:Agency ; pkg:id ?id .
          OPTIONAL { ?a pkg:agencyKind ?kind }
          OPTIONAL { ?a skos:prefLabel ?name FILTER(lang(?name) = "zh") }
          OPTIONAL { ?a skos:prefLabel ?name_en FILTER(lang(?name_en) = "en") }
          OPTIONAL { ?a pkg:fullName ?full }
          OPTIONAL { ?a skos:note ?note }
        }"""
        rows = self._select(query)
        if not rows and isinstance(self.engine, RemoteEngine):
            # Data pushed as named graphs: find them, then ask again.
            self.engine.locate(DATA_PATTERN)
            rows = self._select(query)
        base = {r["id"]: r for r in sorted(rows, key=lambda r: r["id"])}
        self._agency_iri = {aid: r["a"] for aid, r in base.items()}
        self._agency_id = {r["a"]: aid for aid, r in base.items()}
        alt: dict[str, set[str]] = {aid: set() for aid in base}
        members: dict[str, set[str]] = {aid: set() for aid in base}
        closure: dict[str, set[str]] = {aid: set() for aid in base}
        for r in self._select("""SELECT ?a ?alt ?member ?collective WHERE {
              ?a a pkg:Agency .
              { ?a skos:altLabel ?alt } UNION { ?a org:hasMember ?member } UNION { ?collective org:hasMember+ ?a }
            }"""):
            aid = self._agency_id[r["a"]]
            if r["alt"] is not None:
                alt[aid].add(r["alt"])
            if r["member"] is not None:
                members[aid].add(self._id_of_agency(r["member"]))
            if r["collective"] is not None:
                closure[aid].add(self._id_of_agency(r["collective"]))
        self._collectives = {aid: sorted(c) for aid, c in closure.items()}
        self._agencies = {}
        for seq, (aid, r) in enumerate(base.items()):
            aliases = sorted(alt[aid] - {r["full"], r["name"], r["name_en"]})
            self._agencies[aid] = {
                "id": aid, "name": r["name"] or aid, "name_en": r["name_en"] or aid, "full_name": r["full"],
                "kind": r["kind"] or "other", "aliases": json.dumps(aliases, ensure_ascii=False),
                "members": json.dumps(sorted(members[aid])), "note": r["note"], "seq": seq}

    def _id_of_agency(self, iri: str) -> str:
        return self._agency_id.get(iri) or _tail(iri)

    def _agency_brief(self, aid: str) -> dict[str, Any]:
        r = self.agencies_by_id[aid]
        return {"id": aid, "name": r["name"], "name_en": r["name_en"], "kind": r["kind"]}

    def _holders(self, agency_id: str) -> set[str]:
        self.agencies_by_id
        return {agency_id, *self._collectives.get(agency_id, [])}

    def resolver(self) -> AgencyResolver:
        if self._resolver is None:
            self._resolver = AgencyResolver(
                (r["id"], [r["name"], r["full_name"] or "", r["name_en"], *json.loads(r["aliases"])])
                for r in self.agencies_by_id.values())
        return self._resolver

    def _plan_list(self) -> list[dict[str, Any]]:
        if self._plans is None:
            self.agencies_by_id  # locates the data on a remote store first
            rows = self._select("""SELECT ?p ?id ?number ?title ?title_en ?issuer ?date WHERE {
              ?p a pkg:Plan ; pkg:id ?id ; dcterms:identifier ?number ; eli:passed_by ?issuer ;
                 eli:date_document ?date ; dcterms:title ?title, ?title_en .
              FILTER(lang(?title) = "zh" && lang(?title_en) = "en")
            }""")
            plans = [{"iri": r["p"], "id": r["id"], "number": r["number"], "title": r["title"],
                      "title_en": r["title_en"], "issuer": self._id_of_agency(r["issuer"]), "date": r["date"],
                      "year": int(r["date"][:4])} for r in rows]
            plans.sort(key=lambda p: (p["date"], p["id"]))
            for seq, p in enumerate(plans):
                p["seq"] = seq
            self._plans = plans
            self._plan_by_iri = {p["iri"]: p for p in plans}
            self._plan_iri = {p["id"]: p["iri"] for p in plans}
        return self._plans

    def _plan(self, iri: str) -> dict[str, Any]:
        self._plan_list()
        return self._plan_by_iri[iri]

    def _plan_binding(self, plans: list[str] | None) -> dict[str, Any]:
        """VALUES for ?p restricting a question to ``plans`` (ids); none when ``plans`` is None."""
        if plans is None:
            return {}
        self._plan_list()
        return {"p": [IRI(self._plan_iri[p]) for p in plans if p in self._plan_iri]}

    @staticmethod
    def _in_plan(plans: list[str] | None, subject: str = "?m") -> str:
        return "" if plans is None else f"{subject} eli:is_part_of ?p . ?p a pkg:Plan ."

    def _sector_map(self) -> dict[str, dict[str, Any]]:
        if self._sectors is None:
            self.agencies_by_id
            self._sectors = {r["s"]: {"id": r["id"], "name": r["name"], "name_en": r["name_en"]}
                             for r in self._select("""SELECT ?s ?id ?name ?name_en WHERE {
                  ?s a pkg:Sector ; pkg:id ?id ; skos:prefLabel ?name, ?name_en .
                  FILTER(lang(?name) = "zh" && lang(?name_en) = "en")
                }""")}
        return self._sectors

    def _sector(self, iri: str | None) -> dict[str, Any] | None:
        if not iri:
            return None
        s = self._sector_map().get(iri)
        if s is None:
            sid = _tail(iri)
            return {"id": sid, "name": sid, "name_en": sid}
        return dict(s)

    def _document_map(self) -> dict[str, dict[str, Any]]:
        if self._documents is None:
            self.agencies_by_id
            self._documents = {}
            for r in self._select("""SELECT ?d ?id ?number ?title ?title_en ?issuer ?level ?year ?note WHERE {
                  ?d a pkg:ReferencedDocument ; pkg:id ?id .
                  OPTIONAL { ?d dcterms:identifier ?number }
                  OPTIONAL { ?d dcterms:title ?title FILTER(lang(?title) = "zh") }
                  OPTIONAL { ?d dcterms:title ?title_en FILTER(lang(?title_en) = "en") }
                  OPTIONAL { ?d pkg:issuerName ?issuer }
                  OPTIONAL { ?d pkg:level ?level }
                  OPTIONAL { ?d pkg:year ?year }
                  OPTIONAL { ?d skos:note ?note }
                }"""):
                self._documents[r["d"]] = {
                    "id": r["id"], "number": r["number"], "title": r["title"], "title_en": r["title_en"],
                    "issuer": r["issuer"], "level": r["level"],
                    "year": int(r["year"]) if r["year"] and r["year"].lstrip("-").isdigit() else None,
                    "note": r["note"]}
        return self._documents

    def _document(self, iri: str) -> dict[str, Any]:
        d = self._document_map().get(iri)
        if d is None:
            did = _tail(iri)
            return {"id": did, "number": None, "title": None, "title_en": None, "issuer": None, "level": None,
                    "year": None, "note": None}
        return d

    # ------------------------------------------------------------------ lookup
    def plan_ids(self, plan: str | None = None, issuer: str | None = None, year: int | None = None) -> list[str]:
        issuer_id = self.resolve_agency(issuer) if issuer else None
        ids = [p["id"] for p in self._plan_list()
               if (not plan or plan in (p["id"], p["number"]))
               and (not issuer or p["issuer"] == issuer_id)
               and (not year or p["year"] == year)]
        if plan and not ids:
            raise UsageError(f"no plan {plan!r} in the data")
        return ids

    # ------------------------------------------------------------------ questions
    def measures_by_agency(self, agency_id: str, role: str = "lead", direct: bool = False,
                           plans: list[str] | None = None) -> list[dict[str, Any]]:
        check_role_filter(role)
        self._plan_list()
        iri = self._agency_iri.get(agency_id)
        if iri is None:
            return []
        holder = "?agency" if direct else "?holder"
        query = f"""SELECT ?p ?number ?title ?title_en {'' if direct else '?holder'} ?role ?effective ?position
        WHERE {{
          {'' if direct else '?holder org:hasMember* ?agency .'}
          ?x pkg:agency {holder} ; pkg:role ?role ; pkg:effectiveRole ?effective ; pkg:position ?position .
          ?m pkg:assignment ?x ; pkg:measureNumber ?number ; eli:is_part_of ?p ; dcterms:title ?title, ?title_en .
          ?p a pkg:Plan .
          FILTER(lang(?title) = "zh" && lang(?title_en) = "en")
        }}"""
        bindings: dict[str, Any] = {"agency": IRI(iri), **self._plan_binding(plans)}
        if role != "any":
            bindings["effective"] = IRI(EFFECTIVE_ROLE_TERMS[role])
        rows = self._select(query, **bindings)
        for r in rows:
            r["holder"] = r.get("holder") or iri
            plan = self._plan(r["p"])
            r["_key"] = (plan["date"], plan["id"], int(r["number"]), r["holder"] != iri, int(r["position"]))
        out: dict[tuple[str, int], dict[str, Any]] = {}
        for r in sorted(rows, key=lambda r: r["_key"]):
            key = (r["_key"][1], r["_key"][2])
            if key in out:
                continue
            raw = _RAW_BY_IRI[r["role"]]
            out[key] = {"plan": key[0], "number": key[1], "title": r["title"], "title_en": r["title_en"],
                        "role": RAW_ROLES[raw], "role_zh": raw, "effective": _EFFECTIVE_BY_IRI[r["effective"]],
                        "position": int(r["position"]),
                        "via": None if r["holder"] == iri else self._id_of_agency(r["holder"])}
        return list(out.values())

    def agency_summary(self, plans: list[str] | None = None, sort: str = "total") -> list[dict[str, Any]]:
        counts: dict[str, dict[str, int]] = {}
        for r in self._select(f"""SELECT ?agency ?effective (COUNT(*) AS ?n) WHERE {{
              ?m pkg:assignment ?x . ?x pkg:agency ?agency ; pkg:effectiveRole ?effective .
              {self._in_plan(plans)}
            }} GROUP BY ?agency ?effective""", **self._plan_binding(plans)):
            aid = self._id_of_agency(r["agency"])
            counts.setdefault(aid, {"lead": 0, "support": 0})[_EFFECTIVE_BY_IRI[r["effective"]]] += int(r["n"])
        out = []
        for aid, r in self.agencies_by_id.items():
            c = counts.get(aid, {"lead": 0, "support": 0})
            out.append({"id": aid, "name": r["name"], "name_en": r["name_en"], "kind": r["kind"],
                        "lead": c["lead"], "support": c["support"], "total": c["lead"] + c["support"]})
        return sort_agency_summary(out, sort)

    def agency_profile(self, agency_id: str, plans: list[str] | None = None, top: int = 10) -> dict[str, Any]:
        r = self.agencies_by_id[agency_id]
        by_role: dict[str, list[dict[str, Any]]] = {"lead": [], "support": []}
        for row in self.measures_by_agency(agency_id, "any", plans=plans):
            by_role[row["effective"]].append(row)
        shared = []
        for p in self._select(f"""SELECT ?b (COUNT(*) AS ?shared) WHERE {{
              ?m pkg:assignment ?xa, ?xb . ?xa pkg:agency ?agency . ?xb pkg:agency ?b .
              FILTER(?b != ?agency)
              {self._in_plan(plans)}
            }} GROUP BY ?b""", agency=IRI(self._agency_iri[agency_id]), **self._plan_binding(plans)):
            shared.append((self._id_of_agency(p["b"]), int(p["shared"])))
        shared.sort(key=lambda x: (-x[1], x[0]))
        partners = [{**self._agency_brief(b), "shared": n} for b, n in shared[:max(top, 0)]]
        return {"id": agency_id, "name": r["name"], "name_en": r["name_en"], "full_name": r["full_name"],
                "aliases": json.loads(r["aliases"]), "kind": r["kind"], "note": r["note"],
                "members": [self._agency_brief(m) for m in json.loads(r["members"])],
                "member_of": [self._agency_brief(c) for c in self._collectives.get(agency_id, [])],
                "lead": by_role["lead"], "support": by_role["support"],
                "counts": {"lead": len(by_role["lead"]), "support": len(by_role["support"]),
                           "total": len(by_role["lead"]) + len(by_role["support"])},
                "partners": partners}

    def _measure_range(self, plans: list[str] | None) -> str:
        rows = self._select(f"""SELECT (MIN(?n) AS ?lo) (MAX(?n) AS ?hi) (COUNT(?m) AS ?count) WHERE {{
              ?m a pkg:Measure ; pkg:measureNumber ?n .
              {self._in_plan(plans)}
            }}""", **self._plan_binding(plans))
        if not rows or not rows[0]["count"] or int(rows[0]["count"]) == 0:
            return "no measures"
        return f"measures {int(rows[0]['lo'])} to {int(rows[0]['hi'])}"

    def _find_measure(self, number: int, plan: str | None) -> tuple[str, dict[str, Any]]:
        plans = self.plan_ids(plan) if plan else None
        number = int(number)
        rows = self._select("""SELECT ?m ?p WHERE {
              ?m a pkg:Measure ; eli:id_local ?local ; eli:is_part_of ?p . ?p a pkg:Plan .
            }""", local=str(number), **self._plan_binding(plans))
        found = sorted(((r["m"], self._plan(r["p"])) for r in rows), key=lambda x: x[1]["seq"])
        return self._the_measure(number, plan, plans, found, [p["id"] for _, p in found])

    def measure(self, number: int, plan: str | None = None) -> dict[str, Any]:
        m, p = self._find_measure(number, plan)
        head = self._select("""SELECT ?number ?title ?title_en ?body ?bracket ?sector ?tf WHERE {
              ?m pkg:measureNumber ?number ; dcterms:title ?title, ?title_en .
              FILTER(lang(?title) = "zh" && lang(?title_en) = "en")
              OPTIONAL { ?m pkg:text ?body }
              OPTIONAL { ?m pkg:bracket ?bracket }
              OPTIONAL { ?m eli:is_about ?sector }
              OPTIONAL { ?m pkg:taskForce ?tf }
            }""", m=IRI(m))[0]
        sections = self._select("""SELECT ?in_id ?in_num ?in_title ?in_title_en ?out_id ?out_num ?out_title ?out_title_en
            WHERE {
              ?m eli:is_part_of ?inner . ?inner a pkg:Section ; pkg:id ?in_id ; pkg:sectionNumber ?in_num ;
                 dcterms:title ?in_title, ?in_title_en .
              FILTER(lang(?in_title) = "zh" && lang(?in_title_en) = "en")
              OPTIONAL {
                ?inner eli:is_part_of ?outer . ?outer a pkg:Section ; pkg:id ?out_id ; pkg:sectionNumber ?out_num ;
                   dcterms:title ?out_title, ?out_title_en .
                FILTER(lang(?out_title) = "zh" && lang(?out_title_en) = "en")
              }
            }""", m=IRI(m))
        section = subsection = None
        if sections:
            s = sections[0]
            inner = {"id": s["in_id"].split("/", 1)[-1], "number": s["in_num"], "title": s["in_title"],
                     "title_en": s["in_title_en"]}
            if s["out_id"] is not None:
                section = {"id": s["out_id"].split("/", 1)[-1], "number": s["out_num"], "title": s["out_title"],
                           "title_en": s["out_title_en"]}
                subsection = inner
            else:
                section = inner
        agencies = []
        for a in sorted(self._assignments(m), key=lambda a: a["position"]):
            brief = self._agency_brief(a["agency"])
            agencies.append({"id": a["agency"], "name": brief["name"], "name_en": brief["name_en"],
                             "kind": brief["kind"], "role": RAW_ROLES[a["raw"]], "role_zh": a["raw"],
                             "position": a["position"], "effective": a["effective"]})
        return {"plan": p["id"], "number": int(head["number"]), "title": head["title"], "title_en": head["title_en"],
                "body": head["body"] or "", "section": section, "subsection": subsection,
                "sector": self._sector(head["sector"]),
                "task_force": self._agency_brief(self._id_of_agency(head["tf"])) if head["tf"] else None,
                "bracket": head["bracket"], "agencies": agencies,
                "documents": self._documents_of(m), "targets": self._targets_of(m)}

    def _assignments(self, measure_iri: str) -> list[dict[str, Any]]:
        return [{"agency": self._id_of_agency(r["agency"]), "raw": _RAW_BY_IRI[r["role"]],
                 "effective": _EFFECTIVE_BY_IRI[r["effective"]], "position": int(r["position"])}
                for r in self._select("""SELECT ?agency ?role ?effective ?position WHERE {
                      ?m pkg:assignment ?x . ?x pkg:agency ?agency ; pkg:role ?role ;
                         pkg:effectiveRole ?effective ; pkg:position ?position .
                    }""", m=IRI(measure_iri))]

    def _documents_of(self, owner_iri: str) -> list[dict[str, Any]]:
        links = []
        for r in self._select(f"""SELECT ?rel ?d WHERE {{
              ?owner ?rel ?d . VALUES ?rel {{ {_RELATIONS_VALUES} }}
            }}""", owner=IRI(owner_iri)):
            doc = self._document(r["d"])
            links.append((_RELATION_ORDER[_RELATION_BY_IRI[r["rel"]]], doc["id"], _RELATION_BY_IRI[r["rel"]], doc))
        return [{"id": d["id"], "number": d["number"], "title": d["title"], "title_en": d["title_en"],
                 "relation": rel, "level": d["level"], "note": d["note"]} for _, _, rel, d in sorted(links, key=lambda x: x[:2])]

    @staticmethod
    def _target(r: dict[str, Any]) -> dict[str, Any]:
        return {"indicator": r["indicator"], "indicator_en": r["indicator_en"], "comparator": r["comparator"],
                "value": _num(r["value"]), "min": _num(r["min"]), "max": _num(r["max"]), "unit": r["unit"],
                "deadline": r["deadline"], "text": r["text"]}

    def _targets_of(self, owner_iri: str) -> list[dict[str, Any]]:
        rows = self._select(f"SELECT * WHERE {{ ?owner pkg:target ?t . {_TARGET_FIELDS} }}", owner=IRI(owner_iri))
        return [self._target(r) for r in sorted(rows, key=lambda r: int(_tail(r["t"])))]

    def search(self, text: str, plans: list[str] | None = None) -> list[dict[str, Any]]:
        needle = text.strip()
        if not needle:
            raise UsageError("search text is empty")
        rows = self._select("""SELECT ?p ?number ?title ?title_en ?in_title WHERE {
              ?m a pkg:Measure ; pkg:measureNumber ?number ; eli:is_part_of ?p ; dcterms:title ?title, ?title_en .
              ?p a pkg:Plan .
              FILTER(lang(?title) = "zh" && lang(?title_en) = "en")
              OPTIONAL { ?m pkg:text ?body }
              BIND(CONTAINS(LCASE(STR(?title)), LCASE(?needle)) || CONTAINS(LCASE(STR(?title_en)), LCASE(?needle))
                   AS ?in_title)
              FILTER(?in_title || CONTAINS(LCASE(STR(COALESCE(?body, ""))), LCASE(?needle)))
            }""", needle=needle, **self._plan_binding(plans))
        rows.sort(key=lambda r: (self._plan(r["p"])["seq"], int(r["number"])))
        return [{"plan": self._plan(r["p"])["id"], "number": int(r["number"]), "title": r["title"],
                 "title_en": r["title_en"], "match": "title" if r["in_title"] in ("true", "1") else "body"}
                for r in rows]

    def _assignments_by_measure(self, plans: list[str] | None, with_targets: bool = False) -> dict[str, list]:
        out: dict[str, list[dict[str, Any]]] = {}
        for r in self._select(f"""SELECT DISTINCT ?m ?agency ?role ?effective ?position WHERE {{
              ?m pkg:assignment ?x . ?x pkg:agency ?agency ; pkg:role ?role ;
                 pkg:effectiveRole ?effective ; pkg:position ?position .
              {'FILTER EXISTS { ?m pkg:target ?t }' if with_targets else ''}
              {self._in_plan(plans)}
            }}""", **self._plan_binding(plans)):
            out.setdefault(r["m"], []).append({
                "agency": self._id_of_agency(r["agency"]), "raw": _RAW_BY_IRI[r["role"]],
                "effective": _EFFECTIVE_BY_IRI[r["effective"]], "position": int(r["position"])})
        for rows in out.values():
            rows.sort(key=lambda a: a["position"])
        return out

    def targets(self, agency_id: str | None = None, plans: list[str] | None = None) -> list[dict[str, Any]]:
        # Three plain queries joined here: Oxigraph plans one query joining them badly (seconds, not ms).
        rows = self._select(f"""SELECT * WHERE {{
              ?owner pkg:target ?t . ?owner eli:is_part_of? ?p . ?p a pkg:Plan .
              {_TARGET_FIELDS}
            }}""", **self._plan_binding(plans))
        owners = {r["owner"]: r for r in self._select("""SELECT DISTINCT ?owner ?number ?title ?title_en WHERE {
              ?owner pkg:target ?t ; a pkg:Measure ; pkg:measureNumber ?number ; dcterms:title ?title, ?title_en .
              FILTER(lang(?title) = "zh" && lang(?title_en) = "en")
            }""")}
        for r in rows:
            measure = owners.get(r["owner"], {})
            r.update(number=measure.get("number"), title=measure.get("title"), title_en=measure.get("title_en"))
        assignments = self._assignments_by_measure(plans, with_targets=True)
        holders = self._holders(agency_id) if agency_id is not None else None

        def key(r):
            n = int(r["number"]) if r["number"] is not None else None
            return (self._plan(r["p"])["seq"], n is not None, n or 0, int(_tail(r["t"])))

        out = []
        for r in sorted(rows, key=key):
            agencies = [{"id": a["agency"], "name": self.agencies_by_id[a["agency"]]["name"],
                         "name_en": self.agencies_by_id[a["agency"]]["name_en"],
                         "role": RAW_ROLES[a["raw"]], "effective": a["effective"]}
                        for a in (assignments.get(r["owner"], []) if r["number"] is not None else [])]
            if holders is not None and not holders & {a["id"] for a in agencies}:
                continue
            out.append({"plan": self._plan(r["p"])["id"],
                        "number": int(r["number"]) if r["number"] is not None else None,
                        "title": r["title"], "title_en": r["title_en"], **self._target(r), "agencies": agencies})
        return out

    def documents(self, plans: list[str] | None = None) -> list[dict[str, Any]]:
        links = []
        for r in self._select(f"""SELECT ?owner ?rel ?d ?p ?number WHERE {{
              ?owner ?rel ?d . VALUES ?rel {{ {_RELATIONS_VALUES} }}
              ?owner eli:is_part_of? ?p . ?p a pkg:Plan .
              OPTIONAL {{ ?owner a pkg:Measure ; pkg:measureNumber ?number }}
            }}""", **self._plan_binding(plans)):
            rel = _RELATION_BY_IRI[r["rel"]]
            doc = self._document(r["d"])
            n = int(r["number"]) if r["number"] is not None else None
            links.append(((self._plan(r["p"])["seq"], n is not None, n or 0, _RELATION_ORDER[rel], doc["id"]),
                          self._plan(r["p"])["id"], n, rel, doc))
        out: dict[str, dict[str, Any]] = {}
        for _, plan, n, rel, d in sorted(links, key=lambda x: x[0]):
            doc = out.setdefault(d["id"], {**d, "cited_by": []})
            doc["cited_by"].append({"plan": plan, "measure": n, "relation": rel})
        return list(out.values())

    def plans(self) -> list[dict[str, Any]]:
        counts = {r["p"]: int(r["n"]) for r in self._select("""SELECT ?p (COUNT(?m) AS ?n) WHERE {
              ?m a pkg:Measure ; eli:is_part_of ?p . ?p a pkg:Plan .
            } GROUP BY ?p""")}
        return [{"id": p["id"], "number": p["number"], "title": p["title"], "title_en": p["title_en"],
                 "issuer": p["issuer"], "date": p["date"], "year": p["year"], "measures": counts.get(p["iri"], 0)}
                for p in self._plan_list()]

    def assignment_pairs(self, plans: list[str] | None = None) -> list[tuple[str, str]]:
        rows = self._select("""SELECT ?p ?number ?agency ?position WHERE {
              ?m pkg:assignment ?x ; pkg:measureNumber ?number ; eli:is_part_of ?p . ?p a pkg:Plan .
              ?x pkg:agency ?agency ; pkg:position ?position .
            }""", **self._plan_binding(plans))
        keyed = sorted((self._plan(r["p"])["id"], int(r["number"]), int(r["position"]), self._id_of_agency(r["agency"]))
                       for r in rows)
        return [(f"{p}/{n}", a) for p, n, _, a in keyed]

    def sector_counts(self, plans: list[str] | None = None) -> list[dict[str, Any]]:
        rows = self._select(f"""SELECT ?sector (COUNT(?m) AS ?n) WHERE {{
              ?m a pkg:Measure .
              OPTIONAL {{ ?m eli:is_about ?sector }}
              {self._in_plan(plans)}
            }} GROUP BY ?sector""", **self._plan_binding(plans))
        counted = [(self._sector(r["sector"]), int(r["n"])) for r in rows if int(r["n"])]
        counted.sort(key=lambda x: (-x[1], x[0] is not None, x[0]["id"] if x[0] else ""))
        return [{**(s or {"id": None, "name": "（无）", "name_en": "(none)"}), "measures": n} for s, n in counted]


def open_endpoint(url: str, user: str | None = None, password: str | None = None,
                  timeout: float = 30) -> SparqlIndex:
    """The questions, asked of a remote SPARQL endpoint holding pushed policykg data.

    Finds where the data is at once (default graph, Oxigraph's union default
    graph, or the named graphs ``policykg push`` wrote) and raises EndpointError
    with one clear line if the endpoint cannot be reached or holds no data.
    """
    engine = RemoteEngine(url, user, password, timeout)
    engine.locate(DATA_PATTERN)
    return SparqlIndex(engine, source=engine.name)

