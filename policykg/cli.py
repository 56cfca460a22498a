"""The policykg command line: each command reads its options, calls one library
function and prints.  Errors become one line and a documented exit code in
exactly one place (``_Group.invoke``).  Heavy modules (rdflib, networkx, pyvis,
pyshacl) are imported only inside the commands that need them, so questions
answered from the compiled index start as fast as Python and typer allow.
"""
from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from typer.core import TyperGroup

from . import errors
from .render import render


class _Group(TyperGroup):
    """Turns every PolicyKGError into one line on stderr and its exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except errors.PolicyKGError as exc:
            if isinstance(exc, errors.OutputError) and isinstance(exc.__context__, BrokenPipeError):
                raise typer.Exit(0) from None  # the reader left (| head), seen by a library writer: not an error
            for line in exc.lines():
                typer.echo(f"policykg: {line}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("policykg: interrupted", err=True)
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None


app = typer.Typer(cls=_Group, add_completion=False, no_args_is_help=True,
                  pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Ask who leads, supports and delivers what in a government action plan.")


class Fmt(str, enum.Enum):
    table = "table"
    json = "json"
    csv = "csv"


class Lang(str, enum.Enum):
    zh = "zh"
    en = "en"


class RoleFilter(str, enum.Enum):
    lead = "lead"
    support = "support"
    any = "any"


class State:
    """Global options, shared by every command through the click context."""

    def __init__(self, data: Optional[Path], lang: Lang, cache_dir: Optional[Path], base_iri: Optional[str],
                 endpoint: Optional[str] = None):
        self.data, self.lang, self.cache_dir, self.base_iri = data, lang.value, cache_dir, base_iri
        self.endpoint = endpoint
        self._index = None

    def index(self):
        """The questions' backend: the compiled index, or a remote endpoint with --endpoint."""
        if self._index is None:
            if self.endpoint:
                from .query.sparql_questions import open_endpoint
                self._index = open_endpoint(self.endpoint)
            else:
                from .query.index import open_index
                self._index = open_index(self.data, self.cache_dir, progress=_progress("compiling"))
        return self._index

    def dataset(self):
        from .loader import load
        return load(self.data)

    def label(self, zh: str | None, en: str | None) -> str | None:
        return (en or zh) if self.lang == "en" else (zh or en)


FormatOpt = typer.Option(Fmt.table, "--format", "-f", help="Output: table, json or csv.")
PlanOpt = typer.Option(None, "--plan", help="Only this plan (id or document number).")
IssuerOpt = typer.Option(None, "--issuer", help="Only plans issued by this agency.")
YearOpt = typer.Option(None, "--year", help="Only plans dated in this year.")


@app.callback()
def _global(
    ctx: typer.Context,
    data: Optional[Path] = typer.Option(None, "--data", "-d", envvar="POLICYKG_DATA",
                                        help="A plan YAML file or a folder of them (default: the embedded 2022 Jincheng plan)."),
    lang: Lang = typer.Option(Lang.zh, "--lang", help="Language of labels in tables: zh or en."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", envvar="POLICYKG_CACHE_DIR",
                                             help="Where compiled indexes are kept (default: ~/.cache/policykg)."),
    base_iri: Optional[str] = typer.Option(None, "--base-iri", envvar="POLICYKG_BASE_IRI",
                                           help="Base IRI of the graph's resources (default: https://w3id.org/policykg/id/)."),
    endpoint: Optional[str] = typer.Option(None, "--endpoint", envvar="POLICYKG_ENDPOINT",
                                           help="Ask a SPARQL endpoint holding pushed policykg data instead of the local data "
                                                "(credentials: POLICYKG_ENDPOINT_USER / POLICYKG_ENDPOINT_PASSWORD)."),
) -> None:
    ctx.obj = State(data, lang, cache_dir, base_iri, endpoint)


def _state(ctx: typer.Context) -> State:
    return ctx.obj


#: How a library stage (``progress(done, total, stage)``) is named on the bar.
_STAGES = {"compile": "compiling", "load": "loading the SPARQL store", "export": "exporting"}


def _progress(label: str):
    """A progress callback ``(done, total[, stage])`` drawing a bar on a terminal; None in pipes and files.

    Each stage of long work (compiling files, loading the store, exporting) gets a
    bar of its own, named after it; a bar goes away when its stage is done.
    """
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import Progress

    bar: dict[str, Any] = {"progress": None, "task": None, "stage": None}

    def update(done: int, total: int, stage: str | None = None, *_: Any) -> None:
        if bar["progress"] is not None and stage != bar["stage"]:
            bar["progress"].stop()
            bar["progress"] = None
        if bar["progress"] is None:
            bar["progress"] = Progress(transient=True, console=Console(stderr=True))  # stdout is the answer's
            bar["progress"].start()
            bar["task"] = bar["progress"].add_task(_STAGES.get(stage, label), total=total)
            bar["stage"] = stage
        bar["progress"].update(bar["task"], completed=done, total=total)
        if done >= total:
            bar["progress"].stop()
            bar["progress"] = None

    return update


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")


def _plans(st: State, plan: str | None, issuer: str | None = None, year: int | None = None) -> list[str] | None:
    if not (plan or issuer or year):
        return None
    return st.index().plan_ids(plan, issuer, year)


# --------------------------------------------------------------------------- questions


@app.command()
def leads(ctx: typer.Context,
          agency: str = typer.Argument(..., help="Agency: id, name, alias or English name (商务局, 发改委, jc-commerce)."),
          role: RoleFilter = typer.Option(RoleFilter.lead, "--role", help="lead, support or any."),
          direct: bool = typer.Option(False, "--direct", help="Leave out duties that fall to the agency as a member of a collective."),
          plan: Optional[str] = PlanOpt, issuer: Optional[str] = IssuerOpt, year: Optional[int] = YearOpt,
          fmt: Fmt = FormatOpt) -> None:
    """The measures AGENCY leads (牵头, or 负责 where no agency is 牵头), in measure order."""
    st = _state(ctx)
    idx = st.index()
    rows = idx.measures_by_agency(idx.resolve_agency(agency), role.value, direct, _plans(st, plan, issuer, year))
    table_rows = [{**r, "label": st.label(r["title"], r["title_en"]),
                   "via_name": st.label(idx.agency(r["via"])["name"], idx.agency(r["via"])["name_en"])
                   if r["via"] else ""} for r in rows]
    cols = [("number", "#"), ("label", "measure"), ("role_zh" if st.lang == "zh" else "role", "role"),
            ("effective", "effective"), ("via_name", "via")]
    if fmt is Fmt.csv:
        cols = [("plan", ""), ("number", ""), ("title", ""), ("title_en", ""), ("role", ""), ("role_zh", ""),
                ("effective", ""), ("position", ""), ("via", "")]
    if len({r["plan"] for r in rows}) > 1 and fmt is Fmt.table:
        cols.insert(0, ("plan", "plan"))
    _out(render(rows, table_rows, cols, fmt.value))


@app.command()
def agency(ctx: typer.Context, name: str = typer.Argument(..., help="Agency: id, name, alias or English name."),
           plan: Optional[str] = PlanOpt, fmt: Fmt = FormatOpt) -> None:
    """One agency's profile: names, kind, memberships, measures by role, closest partners."""
    st = _state(ctx)
    idx = st.index()
    p = idx.agency_profile(idx.resolve_agency(name), _plans(st, plan))
    rows = [{"effective": r["effective"], "number": r["number"], "label": st.label(r["title"], r["title_en"]),
             "role": r["role_zh"] if st.lang == "zh" else r["role"], "via": r["via"] or "", **{"plan": r["plan"]}}
            for r in p["lead"] + p["support"]]
    if fmt is not Fmt.table:
        _out(render(p, rows, [("plan", ""), ("number", ""), ("effective", ""), ("role", ""), ("via", ""),
                              ("label", "title")], fmt.value))
        return
    head = [f"{p['name']}  ({p['id']})", f"  English:  {p['name_en']}"]
    if p["full_name"]:
        head.append(f"  全称:     {p['full_name']}")
    if p["aliases"]:
        head.append(f"  aliases:  {'、'.join(p['aliases'])}")
    head.append(f"  kind:     {p['kind']}")
    if p["member_of"]:
        head.append("  member of: " + "、".join(st.label(c["name"], c["name_en"]) for c in p["member_of"]))
    if p["members"]:
        head.append("  members:  " + "、".join(st.label(c["name"], c["name_en"]) for c in p["members"]))
    c = p["counts"]
    head.append(f"  measures: {c['total']} ({c['lead']} lead, {c['support']} support)")
    if p["partners"]:
        head.append("  shares most measures with: " + "、".join(
            f"{st.label(x['name'], x['name_en'])} ({x['shared']})" for x in p["partners"][:5]))
    body = render(p, rows, [("effective", "as"), ("number", "#"), ("label", "measure"), ("role", "role"),
                            ("via", "via")], "table") if rows else "  (no measures)"
    _out("\n".join(head) + "\n\n" + body)


class AgencySort(str, enum.Enum):
    total = "total"
    lead = "lead"
    support = "support"
    name = "name"
    id = "id"
    kind = "kind"


@app.command()
def agencies(ctx: typer.Context, sort: AgencySort = typer.Option(AgencySort.total, "--sort", help="Order by total, lead, support, name, id or kind."),
             plan: Optional[str] = PlanOpt, fmt: Fmt = FormatOpt) -> None:
    """Every agency with its lead / support / total counts."""
    st = _state(ctx)
    rows = st.index().agency_summary(_plans(st, plan), sort.value)
    table_rows = [{**r, "label": st.label(r["name"], r["name_en"])} for r in rows]
    cols = [("id", "id"), ("label", "agency"), ("kind", "kind"), ("lead", "lead"), ("support", "support"),
            ("total", "total")]
    if fmt is Fmt.csv:
        cols = [("id", ""), ("name", ""), ("name_en", ""), ("kind", ""), ("lead", ""), ("support", ""), ("total", "")]
    _out(render(rows, table_rows, cols, fmt.value))


@app.command()
def measure(ctx: typer.Context, number: int = typer.Argument(..., help="Measure number."),
            plan: Optional[str] = PlanOpt, fmt: Fmt = FormatOpt) -> None:
    """One measure in full: titles, body, section, sector, task force, agencies, documents, targets."""
    st = _state(ctx)
    m = st.index().measure(number, plan)
    rows = [{**a, "label": st.label(a["name"], a["name_en"]), "raw": a["role_zh"] if st.lang == "zh" else a["role"]}
            for a in m["agencies"]]
    if fmt is not Fmt.table:
        _out(render(m, [{**r, "plan": m["plan"], "number": m["number"]} for r in rows],
                    [("plan", ""), ("number", ""), ("position", ""), ("id", ""), ("name", ""), ("name_en", ""),
                     ("role", ""), ("role_zh", ""), ("effective", "")], fmt.value))
        return
    L = st.label
    out = [f"{m['number']}. {m['title']}", f"   {m['title_en']}", ""]
    sec = m["subsection"] or m["section"]
    out.append(f"section:    {m['section']['number']}、{L(m['section']['title'], m['section']['title_en'])}"
               + (f" / （{sec['number']}）{L(sec['title'], sec['title_en'])}" if m["subsection"] else ""))
    if m["sector"]:
        out.append(f"sector:     {L(m['sector']['name'], m['sector']['name_en'])}")
    if m["task_force"]:
        out.append(f"task force: {L(m['task_force']['name'], m['task_force']['name_en'])}")
    out += ["", m["body"], ""]
    if m["bracket"]:
        out.append(f"〔{m['bracket']}〕")
    out.append(render(m, rows, [("position", "#"), ("label", "agency"), ("raw", "role"), ("effective", "effective")],
                      "table"))
    for d in m["documents"]:
        out.append(f"document ({d['relation']}): {d['number'] or ''} 《{d['title'] or ''}》".replace(" 《》", ""))
    for t in m["targets"]:
        out.append(f"target: {_target_text(t, st)}")
    _out("\n".join(out))


_CMP = {"eq": "=", "ge": "≥", "gt": ">", "le": "≤", "lt": "<", "approx": "≈"}


def _target_text(t: dict[str, Any], st: State, deadline: bool = True) -> str:
    amount = f"{t['min']}–{t['max']}" if t["comparator"] == "range" else f"{_CMP[t['comparator']]} {t['value']}"
    unit = t["unit"] or ""
    deadline = f" by {t['deadline']}" if deadline and t["deadline"] else ""
    return f"{st.label(t['indicator'], t['indicator_en'])} {amount}{unit}{deadline}"


@app.command()
def search(ctx: typer.Context, text: str = typer.Argument(..., help="Words to find in titles (zh or en) and bodies."),
           plan: Optional[str] = PlanOpt, fmt: Fmt = FormatOpt) -> None:
    """Measures whose title or body contains TEXT (Chinese or English, case-insensitive)."""
    st = _state(ctx)
    rows = st.index().search(text, _plans(st, plan))
    table_rows = [{**r, "label": st.label(r["title"], r["title_en"])} for r in rows]
    cols = [("number", "#"), ("label", "measure"), ("match", "match")]
    if fmt is Fmt.csv:
        cols = [("plan", ""), ("number", ""), ("title", ""), ("title_en", ""), ("match", "")]
    _out(render(rows, table_rows, cols, fmt.value))


@app.command()
def targets(ctx: typer.Context,
            agency: Optional[str] = typer.Option(None, "--agency", "-a", help="Only targets of measures this agency is in (directly or via a collective)."),
            plan: Optional[str] = PlanOpt, fmt: Fmt = FormatOpt) -> None:
    """Every quantitative target with its measure, responsible agencies and deadline."""
    st = _state(ctx)
    idx = st.index()
    rows = idx.targets(idx.resolve_agency(agency) if agency else None, _plans(st, plan))
    table_rows = [{**r, "target": _target_text(r, st, deadline=False),
                   "who": [st.label(a["name"], a["name_en"]) for a in r["agencies"] if a["effective"] == "lead"],
                   "measure": r["number"] if r["number"] is not None else "plan"} for r in rows]
    cols = [("measure", "#"), ("target", "target"), ("deadline", "deadline"), ("who", "lead")]
    if fmt is Fmt.csv:
        table_rows = [{**r, "lead": [a["id"] for a in r["agencies"] if a["effective"] == "lead"],
                       "support": [a["id"] for a in r["agencies"] if a["effective"] == "support"]} for r in table_rows]
        cols = [("plan", ""), ("number", ""), ("indicator", ""), ("indicator_en", ""), ("comparator", ""),
                ("value", ""), ("min", ""), ("max", ""), ("unit", ""), ("deadline", ""), ("lead", ""), ("support", "")]
    _out(render(rows, table_rows, cols, fmt.value))


@app.command()
def docs(ctx: typer.Context, plan: Optional[str] = PlanOpt, fmt: Fmt = FormatOpt) -> None:
    """The referenced documents and which measures cite them."""
    st = _state(ctx)
    rows = st.index().documents(_plans(st, plan))
    table_rows = [{**r, "label": st.label(r["title"], r["title_en"]),
                   "by": ["plan" if c["measure"] is None else str(c["measure"]) for c in r["cited_by"]],
                   "relation": sorted({c["relation"] for c in r["cited_by"]})} for r in rows]
    cols = [("number", "number"), ("label", "title"), ("level", "level"), ("relation", "relation"), ("by", "cited by")]
    if fmt is Fmt.csv:
        cols = [("id", ""), ("number", ""), ("title", ""), ("title_en", ""), ("level", ""), ("relation", ""),
                ("by", ""), ("note", "")]
    _out(render(rows, table_rows, cols, fmt.value))


@app.command()
def plans(ctx: typer.Context, fmt: Fmt = FormatOpt) -> None:
    """The plans in the data, with their number, issuer, date and measure count."""
    st = _state(ctx)
    rows = st.index().plans()
    table_rows = [{**r, "label": st.label(r["title"], r["title_en"])} for r in rows]
    _out(render(rows, table_rows, [("id", "id"), ("number", "number"), ("date", "date"), ("measures", "measures"),
                                   ("label", "title")], fmt.value))


@app.command()
def stats(ctx: typer.Context, top: int = typer.Option(15, "--top", help="How many agencies to list (0 = all)."),
          plan: Optional[str] = PlanOpt, issuer: Optional[str] = IssuerOpt, year: Optional[int] = YearOpt,
          fmt: Fmt = FormatOpt) -> None:
    """Network figures: agencies ranked by betweenness and degree centrality in the
    co-responsibility network (agencies linked by shared measures), load per agency,
    measures per sector."""
    from .query.network import network_stats

    st = _state(ctx)
    result = network_stats(st.index(), _plans(st, plan, issuer, year), top or None)
    rows = [{**a, "label": st.label(a["name"], a["name_en"])} for a in result["agencies"]]
    cols = [("id", "id"), ("label", "agency"), ("betweenness", "betweenness"), ("degree", "degree"),
            ("partners", "partners"), ("lead", "lead"), ("support", "support"), ("total", "total")]
    if fmt is not Fmt.table:
        _out(render(result, rows, [(k, "") for k in ("id", "name", "name_en", "kind", "betweenness", "degree",
                                                     "partners", "lead", "support", "total")], fmt.value))
        return
    sectors = [{**s, "label": st.label(s["name"], s["name_en"])} for s in result["sectors"]]
    _out(f"{result['measures']} measures, {result['agencies_with_duties']} agencies with duties, "
         f"{result['links']} co-responsibility links (density {result['density']})\n\n"
         + render(result, rows, cols, "table") + "\n\n"
         + render(result, sectors, [("label", "sector"), ("measures", "measures")], "table"))


@app.command()
def export(ctx: typer.Context,
           fmt: Optional[str] = typer.Option(None, "--format", "-f", help="turtle, nt, jsonld, graphml, gexf, csv or xlsx (default: from the -o file's extension)."),
           output: Optional[str] = typer.Option(None, "--output", "-o", help="File to write (written atomically); '-' or none: stdout, for text formats."),
           with_ontology: bool = typer.Option(False, "--with-ontology", help="RDF formats: add the ontology's triples."),
           bom: bool = typer.Option(False, "--bom", help="csv: start with a UTF-8 BOM, for Excel."),
           ) -> None:
    """Export the graph for other systems: Turtle, N-Triples, JSON-LD, GraphML, GEXF, CSV or Excel."""
    from .exporters import export as run_export, get_format, guess_format

    st = _state(ctx)
    to_stdout = output in (None, "-")
    if fmt is None:
        fmt = None if to_stdout else guess_format(output)
        if fmt is None:
            raise errors.UsageError("say which format with --format (turtle, nt, jsonld, graphml, gexf, csv, xlsx)")
    name = get_format(fmt).name
    if name in ("turtle", "nt") and not bom:  # (--bom is refused by the exporter, below)
        _export_compiled(st, name, None if to_stdout else output, with_ontology)
        return
    data = run_export(st.dataset(), fmt, None if to_stdout else output, base_iri=st.base_iri,
                      with_ontology=with_ontology, bom=bom)
    if data is not None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        typer.echo(f"policykg: wrote {output}", err=True)


def _export_compiled(st: State, name: str, output: str | None, with_ontology: bool) -> None:
    """Turtle or N-Triples written from the compiled chunks (kept fresh plan by plan, like the index):
    no YAML is read when nothing changed.  Turtle comes graph by graph (shared, documents, links, plans
    by id), each graph sorted; N-Triples lines are sorted over the whole export."""
    from .query.rdfstore import compile_rdf

    compiled = compile_rdf(st.data, st.cache_dir, st.base_iri, _progress("compiling"))
    extra, prefixes = [], None
    if with_ontology:
        from .exporters._rdf import ontology_ntriples
        extra, prefixes = ontology_ntriples()

    def write(stream) -> None:
        if name == "turtle":
            compiled.export_turtle(stream, _progress("exporting"), extra, prefixes)
        else:
            compiled.export_ntriples(stream, _progress("exporting"), extra)

    if output is None:
        write(sys.stdout.buffer)
        sys.stdout.flush()
        return
    from .atomic import atomic_open

    with atomic_open(output, "wb") as stream:
        write(stream)
    typer.echo(f"policykg: wrote {output}", err=True)


@app.command()
def sparql(ctx: typer.Context,
           query: str = typer.Argument(..., help="A SPARQL SELECT or ASK query, or @FILE.rq to read it from a file."),
           fmt: Fmt = FormatOpt) -> None:
    """Run SPARQL against the compiled graph (or the --endpoint): table, SPARQL JSON results, or CSV."""
    st = _state(ctx)
    if query.startswith("@"):
        try:
            query = Path(query[1:]).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise errors.UsageError(f"{query[1:]}: cannot read the query: {getattr(exc, 'strerror', None) or exc}") from None
    if st.endpoint:
        result = st.index().engine.query(query)
    else:
        # the compiled on-disk store: kept fresh plan by plan, like the index
        from .query.rdfstore import open_store, query as run_query

        result = run_query(open_store(st.data, st.cache_dir, st.base_iri, _progress("compiling")), query)
    if fmt is Fmt.json:
        _out(result.to_json())
    elif fmt is Fmt.csv:
        _out(result.to_csv())
    elif result.is_ask:
        _out("yes" if result.boolean else "no")
    else:
        rows = result.values()
        _out(render(rows, rows, [(v, v) for v in result.variables], "table"))


@app.command()
def push(ctx: typer.Context,
         store_url: Optional[str] = typer.Option(None, "--store-url", help="Graph Store Protocol URL, when it cannot be derived from --endpoint."),
         graph: Optional[str] = typer.Option(None, "--graph", help="Prefix of the named graphs (default: BASE-IRI + 'graph/')."),
         user: Optional[str] = typer.Option(None, "--user", envvar="POLICYKG_ENDPOINT_USER", help="User name for the server."),
         password: Optional[str] = typer.Option(None, "--password", envvar="POLICYKG_ENDPOINT_PASSWORD", hidden=True,
                                                help="Password (better: POLICYKG_ENDPOINT_PASSWORD); never shown."),
         dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be sent, send nothing."),
         timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for each request."),
         retries: int = typer.Option(3, "--retries", help="Retries of a request after a transient error (with backoff)."),
         fmt: Fmt = FormatOpt) -> None:
    """Upload the graph to a SPARQL server (needs --endpoint): each plan as its own named graph,
    replaced whole by an HTTP PUT (SPARQL 1.1 Graph Store Protocol), then counted."""
    from .push import push as run_push

    st = _state(ctx)
    if not st.endpoint:
        raise errors.UsageError("push needs --endpoint URL (e.g. http://127.0.0.1:7878 for oxigraph serve)")
    summary = run_push(st.dataset(), st.endpoint, graph, user, password, dry_run, timeout, retries,
                       _progress("pushing"), store_url=store_url, base_iri=st.base_iri)
    rows = [{**g.as_dict()} for g in summary.graphs]
    if fmt is not Fmt.table:
        _out(render(summary.as_dict(), rows, [(k, "") for k in ("graph", "triples", "bytes", "status")], fmt.value))
        return
    verb = "would replace" if summary.dry_run else "replaced"
    _out(render(summary.as_dict(), rows, [("graph", "graph"), ("triples", "triples"), ("bytes", "bytes"),
                                          ("status", "status")], "table")
         + f"\n{verb} {len(summary.graphs)} graphs, {summary.triples} triples at {summary.store_url}"
         + ("" if summary.dry_run else f" in {summary.seconds:.1f} s"))


class View(str, enum.Enum):
    full = "full"
    agencies = "agencies"


@app.command()
def viz(ctx: typer.Context,
        output: Path = typer.Option(Path("responsibility.html"), "--output", "-o", help="The HTML file to write."),
        view: View = typer.Option(View.full, "--view", help="full (measures, agencies, documents) or agencies (co-responsibility network)."),
        agency: Optional[str] = typer.Option(None, "--agency", help="Only this agency and its neighbourhood."),
        sector: Optional[str] = typer.Option(None, "--sector", help="Only measures of this sector (id or name) and narrower ones."),
        ) -> None:
    """Write the interactive responsibility network: one self-contained HTML page that works offline."""
    from .viz import write_html

    st = _state(ctx)
    agency_id = st.index().resolve_agency(agency) if agency else None
    write_html(output, st.dataset(), view=view.value, agency=agency_id, sector=sector, lang=st.lang, **_base(st))
    typer.echo(f"policykg: wrote {output}", err=True)


# --------------------------------------------------------------------------- data


@app.command()
def extract(ctx: typer.Context,
            source: Path = typer.Argument(..., help="A plain-text action plan (UTF-8)."),
            output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the draft YAML here (default: stdout)."),
            agencies_file: Optional[Path] = typer.Option(None, "--agencies", help="Authority file to match names against (default: the one of --data, or the embedded one)."),
            ) -> None:
    """Read a plain-text plan and write a draft plan YAML for curation.

    Names the authority file does not know are reported on stderr, one line each
    with the measure number, and kept in the draft; so are measures without a
    responsibility bracket.
    """
    from .atomic import write_text
    from .extract import dump_yaml, extract_file
    from .loader import build_dataset, read_yaml
    from .sources import AUTHORITY_FILE, discover

    st = _state(ctx)
    if agencies_file is None:
        agencies_file = next((p for p in discover(st.data) if p.name == AUTHORITY_FILE), None)
    agencies = build_dataset([(str(agencies_file), read_yaml(agencies_file))]).agencies if agencies_file else None
    result = extract_file(source, agencies)
    text = dump_yaml(result.draft)
    if output is None:
        _out(text)
    else:
        write_text(output, text)
    for number, name in result.unmatched:
        typer.echo(f"policykg: {source}: measure {number}: unknown agency {name!r} (kept with agency: null)", err=True)
    for warning in result.warnings:
        typer.echo(f"policykg: {source}: {warning}", err=True)
    n = len(result.draft["measures"])
    typer.echo(f"policykg: extracted {n} measures"
               + (f" to {output}" if output else "")
               + (f"; {len(result.unmatched)} names to curate" if result.unmatched else ""), err=True)


@app.command()
def validate(ctx: typer.Context,
             shapes: bool = typer.Option(True, "--shapes/--no-shapes", help="Also check the compiled graph against the SHACL shapes."),
             ) -> None:
    """Check the data: every problem on one line (file:line: field: message), exit 1 if any."""
    st = _state(ctx)
    ds = st.dataset()
    if shapes:
        from .graph import compile_graph, validate_shapes

        graph = compile_graph(ds, **_base(st))
        violations = validate_shapes(graph)
        if violations:
            raise errors.ShapeViolation(violations)
    measures = sum(len(p.measures) for p in ds.plans)
    assignments = sum(len(m.assignments) for p in ds.plans for m in p.measures)
    _out(f"ok: {len(ds.plans)} plan(s), {measures} measures, {assignments} assignments, "
         f"{len(ds.agencies)} agencies" + (", graph conforms to the SHACL shapes" if shapes else ""))


@app.command(name="compile")
def compile_(ctx: typer.Context,
             store: bool = typer.Option(True, "--store/--no-store", help="Also build the SPARQL store (the longest part)."),
             fmt: Fmt = FormatOpt) -> None:
    """Compile the data now, each file parsed once: the index for questions, the RDF for
    exports and the SPARQL store.  Later commands start at once.  On compiled data,
    recompiles only what changed."""
    from .query.build import compile_all

    st = _state(ctx)
    summary = compile_all(st.data, st.cache_dir, st.base_iri, _progress("compiling"), store=store).summary()
    if fmt is not Fmt.table:
        _out(render(summary, [summary], [(k, k) for k in summary], fmt.value))
        return
    _out(f"compiled {summary['plans']:,} plan(s), {summary['measures']:,} measures, {summary['agencies']:,} agencies, "
         f"{summary['triples']:,} triples\n"
         + "\n".join(f"{what}: {summary[key] or '(in memory)'}" for what, key in
                     (("index", "index"), ("RDF chunks", "chunks"), ("SPARQL store", "store")) if key != "store" or store))


def _base(st: State) -> dict[str, str]:
    return {"base_iri": st.base_iri} if st.base_iri else {}


def main() -> None:
    """Console entry point."""
    app(prog_name="policykg")


if __name__ == "__main__":
    main()
