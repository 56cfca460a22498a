#!/usr/bin/env python3
"""Scale figures: corpora of 1, 100 and 1,000 plans, timed in whole processes against baselines of the same run.

    python3 bench/scale.py --plans 1,100,1000 [--seed 1] [--workdir /tmp/pkgscale] [--runs 9] [--cold-runs 3] [--json OUT]

For each size N the corpus is written by ``bench/make_corpus.py`` into
``WORKDIR/corpus-N`` (kept and reused while its marker says the same plans and
seed) and every command runs as its own process with a fresh cache folder
(``POLICYKG_CACHE_DIR=WORKDIR/cache-N``, emptied first):

- cold compile: the SQLite index (``policykg --data DIR leads AGENCY``, whose
  first run builds it) and the RDF (``compile_rdf`` chunks, then the pyoxigraph
  store), each timed alone; then ``policykg compile --no-store`` (index and
  chunks from one parse) and ``policykg compile`` (all three), each from an
  empty cache; the median of ``--cold-runs`` builds;
- recompile after one plan file's content changed (a measure title edited, then
  edited back: the median of the runs), index and RDF;
- nothing changed: opening the index, and opening the RDF store, when fresh;
- ``policykg --data DIR leads AGENCY`` end to end, median of ``--runs``;
- one SPARQL query on the compiled store: the library (open + query in a fresh
  process) and ``policykg --data DIR sparql QUERY -f json`` end to end, medians;
- Turtle export of the compiled corpus (``export_turtle``), in triples per
  second, against pyoxigraph's own serializer dumping the same store.

Baselines measured in the same run: the floor, ``python -c "import typer"``
(Python start-up and the CLI framework), and the naive path, rdflib parsing the
corpus's Turtle then running the first SPARQL query.  The naive path is
measured while it is expected to take under ``--naive-cap`` seconds and is
otherwise extrapolated linearly from the largest size measured (rdflib's parse
is linear in triples); extrapolated figures are marked ``≈``.

Every time is wall-clock; CPU seconds (user + system, the process and its
workers) are printed beside it, since on a shared machine wall time carries the
other tenants' load.  Peak memory is the largest resident set of the process
tree, sampled every 50 ms, and never less than the largest single process
(``wait4``).  The load average is printed at the start and the end.  The result
is printed as Markdown tables (per size, then growth from 100 to 1,000 plans)
and, with ``--json``, saved for later comparison.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
AGENCY = "c001-commerce"  # every corpus has city c001 and its bureau of commerce
QUERY = ("PREFIX pkg: <https://w3id.org/policykg/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/> "
         "SELECT ?m ?title WHERE { ?m pkg:ledBy <https://w3id.org/policykg/id/agency/%s> ; "
         "dcterms:title ?title FILTER(lang(?title) = 'zh') } ORDER BY ?m" % AGENCY)

OPEN_INDEX = "import sys; from policykg.query.index import open_index; open_index(sys.argv[1])"
COMPILE_RDF = ("import sys; from policykg.query.rdfstore import compile_rdf; "
               "c = compile_rdf(sys.argv[1]); print(c.triples())")
OPEN_STORE = "import sys; from policykg.query.rdfstore import open_store; open_store(sys.argv[1])"
SPARQL = ("import sys; from policykg.query.rdfstore import open_store, query; "
          "print(len(query(open_store(sys.argv[1]), sys.argv[2])))")
# Exports print their triple count and the seconds spent writing (after the freshness check / open).
EXPORT = ("import sys, time; from policykg.query.rdfstore import compile_rdf\n"
          "compiled = compile_rdf(sys.argv[1]); start = time.perf_counter()\n"
          "with open(sys.argv[2], 'wb') as fh: n = compiled.export_turtle(fh)\n"
          "print(n, time.perf_counter() - start)")
OXI_DUMP = ("import sys, time, pyoxigraph as ox; from policykg.query.rdfstore import open_store\n"
            "store = open_store(sys.argv[1]); start = time.perf_counter()\n"
            "with open(sys.argv[2], 'wb') as fh: store.dump(fh, ox.RdfFormat.TRIG)\n"
            "print(len(store), time.perf_counter() - start)")
NAIVE = ("import sys; from rdflib import Graph\n"
         "g = Graph().parse(sys.argv[1], format='turtle')\n"
         "print(len(list(g.query(sys.argv[2]))))")
FLOOR = "import typer"


# --------------------------------------------------------------------------- running one process


def compile_bytecode() -> None:
    """Byte-compile policykg as pip does when it installs it, so that every timed process loads bytecode.

    Without it, a shell with PYTHONDONTWRITEBYTECODE set (and the runs below set
    it, to write nothing into the checkout as they go) compiles every module from
    source in every process: about 45 ms more per command on this machine.
    """
    subprocess.run([PY, "-m", "compileall", "-q", str(REPO / "policykg")], check=True)


class Run:
    """One process: wall and CPU seconds, peak memory (MB), its output."""

    def __init__(self, wall: float, cpu: float, rss_mb: float, out: str):
        self.wall, self.cpu, self.rss_mb, self.out = wall, cpu, rss_mb, out


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and its descendants, from /proc (Linux); 0 elsewhere."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def run(args: list[str], env: dict, check: bool = True) -> Run:
    """Run one process to its end: wall and CPU seconds (its own and its workers'), peak memory, output."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=err, cwd=REPO)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if check and proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(args)}\n{stderr.decode(errors='replace')[-2000:]}")
    # ru_maxrss (KB) of a reaped child: its largest process, workers included
    return Run(wall, usage.ru_utime + usage.ru_stime, max(peak[0], usage.ru_maxrss) / 1024,
               stdout.decode(errors="replace").strip())


def median_run(args: list[str], env: dict, runs: int) -> Run:
    samples = [run(args, env) for _ in range(runs)]
    pick = sorted(samples, key=lambda r: r.wall)[len(samples) // 2]
    return Run(statistics.median(r.wall for r in samples), statistics.median(r.cpu for r in samples),
               max(r.rss_mb for r in samples), pick.out)


# --------------------------------------------------------------------------- one corpus


def corpus(workdir: Path, plans: int, seed: int) -> Path:
    out = workdir / f"corpus-{plans}"
    marker = out / ".make_corpus.json"
    if marker.is_file():
        meta = json.loads(marker.read_text(encoding="utf-8"))
        if meta.get("plans") == plans and meta.get("seed") == seed:
            return out
    subprocess.run([PY, str(REPO / "bench" / "make_corpus.py"), "--plans", str(plans), "--seed", str(seed),
                    "--out", str(out)], check=True)
    return out


def _plan_to_edit(data: Path) -> Path:
    return sorted(p for p in data.glob("c001/*.yaml") if p.name != "agencies.yaml")[0]


def _flip_title(path: Path) -> None:
    """Change one measure title's text (a real change of content), alternately adding and removing a mark."""
    text = path.read_text(encoding="utf-8")
    marker = "（改）"
    head, sep, rest = text.partition("\n  - number: 1\n")
    line_end = rest.index("\n", rest.index("    title: "))
    title_line = rest[:line_end]
    new = title_line[: -len(marker)] if title_line.endswith(marker) else title_line + marker
    path.write_text(head + sep + new + rest[line_end:], encoding="utf-8")


def measure(data: Path, cache: Path, runs: int, cold_runs: int, tmp: Path) -> dict:
    env = dict(os.environ, POLICYKG_CACHE_DIR=str(cache), PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")
    cli = [PY, "-m", "policykg", "--data", str(data)]
    r: dict[str, Run] = {}
    cold: dict[str, list[Run]] = {"cold_index": [], "cold_chunks": [], "cold_store": [],
                                  "cold_compile_nostore": [], "cold_compile": []}

    def empty() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)

    for _ in range(cold_runs):  # each from an empty cache
        empty()
        cold["cold_index"].append(run([*cli, "leads", AGENCY], env))
        cold["cold_chunks"].append(run([PY, "-c", COMPILE_RDF, str(data)], env))
        cold["cold_store"].append(run([PY, "-c", OPEN_STORE, str(data)], env))
        empty()
        cold["cold_compile_nostore"].append(run([*cli, "compile", "--no-store"], env))
        empty()
        cold["cold_compile"].append(run([*cli, "compile"], env))
    for key, samples in cold.items():
        r[key] = _median(samples)
    triples = int(cold["cold_chunks"][0].out.splitlines()[-1])
    # one plan's content changed: index, then RDF (chunks and store), each edit undone by the next
    plan = _plan_to_edit(data)
    original = plan.read_bytes()
    index_runs, rdf_runs = [], []
    try:
        for _ in range(max(3, runs // 3)):
            _flip_title(plan)
            index_runs.append(run([PY, "-c", OPEN_INDEX, str(data)], env))
            rdf_runs.append(run([PY, "-c", OPEN_STORE, str(data)], env))
    finally:
        plan.write_bytes(original)
    run([PY, "-c", OPEN_INDEX, str(data)], env)
    run([PY, "-c", OPEN_STORE, str(data)], env)
    r["recompile_index"] = _median(index_runs)
    r["recompile_rdf"] = _median(rdf_runs)
    r["fresh_index"] = median_run([PY, "-c", OPEN_INDEX, str(data)], env, runs)
    r["fresh_store"] = median_run([PY, "-c", OPEN_STORE, str(data)], env, runs)
    r["leads"] = median_run([*cli, "leads", AGENCY], env, runs)
    r["sparql"] = median_run([PY, "-c", SPARQL, str(data), QUERY], env, runs)
    r["sparql_cli"] = median_run([*cli, "sparql", QUERY, "-f", "json"], env, runs)
    ttl = tmp / f"export-{data.name}.ttl"
    r["export"] = median_run([PY, "-c", EXPORT, str(data), str(ttl)], env, max(3, runs // 3))
    r["export_cli"] = median_run([*cli, "export", "-f", "turtle", "-o", str(tmp / f"cli-{data.name}.ttl")], env,
                                 max(3, runs // 3))
    os.unlink(tmp / f"cli-{data.name}.ttl")
    r["oxigraph_dump"] = run([PY, "-c", OXI_DUMP, str(data), str(tmp / f"dump-{data.name}.trig")], env)
    os.unlink(tmp / f"dump-{data.name}.trig")
    out = {k: vars(v) for k, v in r.items()}
    out["triples"] = triples
    out["ttl"] = str(ttl)
    out["export_cli"]["triples_per_s"] = triples / r["export_cli"].wall
    for key in ("export", "oxigraph_dump"):
        written = float(r[key].out.split()[-1])
        out[key]["writing_s"] = written
        out[key]["triples_per_s"] = triples / r[key].wall          # the whole process
        out[key]["writing_triples_per_s"] = triples / written     # the writer alone
    out["sparql"]["rows"] = int(r["sparql"].out.splitlines()[-1])
    out["sparql_cli"]["rows"] = len(json.loads(r["sparql_cli"].out)["results"]["bindings"])
    return out


def _median(samples: list[Run]) -> Run:
    return Run(statistics.median(s.wall for s in samples), statistics.median(s.cpu for s in samples),
               max(s.rss_mb for s in samples), "")


# --------------------------------------------------------------------------- report


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def report(results: dict, floor: Run, loads: tuple[str, str]) -> str:
    lines = [f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
             f"load average {loads[0]} at start, {loads[1]} at end.",
             f"Floor (`python -c \"import typer\"`): {fmt_s(floor.wall)}.", ""]
    targets = {"cold": 30.0, "recompile": 2.0, "fresh": 0.3, "leads": 0.150}
    for n, res in results.items():
        naive = res["naive"]
        mark = "≈ " if naive.get("extrapolated") else ""
        lines += [f"### {n:,} plan{'s' if n != 1 else ''}: {res['triples']:,} triples", "",
                  f"Naive baseline (rdflib parses the Turtle, then the first SPARQL query): "
                  f"{mark}{fmt_s(naive['wall'])}" + (" (extrapolated from the largest measured size)"
                                                      if naive.get("extrapolated") else
                                                      f", peak memory {naive['rss_mb']:,.0f} MB") + ".", "",
                  "| figure | wall | CPU | ÷ floor | naive ÷ | peak memory | target |",
                  "|---|---:|---:|---:|---:|---:|---|"]

        def row(label: str, key: str, target: float | None, combine: list[str] | None = None) -> None:
            if combine:
                wall = sum(res[k]["wall"] for k in combine)
                cpu = sum(res[k]["cpu"] for k in combine)
                rss = max(res[k]["rss_mb"] for k in combine)
            else:
                wall, cpu, rss = res[key]["wall"], res[key]["cpu"], res[key]["rss_mb"]
            verdict = "" if target is None else ("met" if wall <= target else "missed") + f" (≤ {fmt_s(target)})"
            lines.append(f"| {label} | {fmt_s(wall)} | {cpu:.1f} s | {wall / floor.wall:.1f}× | "
                         f"{mark}{naive['wall'] / wall:.1f}× | {rss:,.0f} MB | {verdict} |")

        row("cold compile: index", "cold_index", None)
        row("cold compile: RDF chunks", "cold_chunks", None)
        row("cold compile: store from chunks", "cold_store", None)
        row("cold compile: the three apart", "", None, ["cold_index", "cold_chunks", "cold_store"])
        row("cold compile: `policykg compile --no-store` (index + chunks, one parse)", "cold_compile_nostore", None)
        row("cold compile: `policykg compile` (index, chunks, store)", "cold_compile", targets["cold"])
        row("one plan changed: index", "recompile_index", None)
        row("one plan changed: chunks + store", "recompile_rdf", None)
        row("one plan changed: both", "", targets["recompile"], ["recompile_index", "recompile_rdf"])
        row("nothing changed: open index", "fresh_index", targets["fresh"])
        row("nothing changed: open store", "fresh_store", targets["fresh"])
        row(f"`policykg leads {AGENCY}` (median)", "leads", targets["leads"])
        row(f"SPARQL on the store, {res['sparql']['rows']} rows: open + query (median)", "sparql", None)
        if "sparql_cli" in res:
            row(f"`policykg sparql` on the store, {res['sparql_cli']['rows']} rows (median)", "sparql_cli", None)
        e, d = res["export"], res["oxigraph_dump"]
        if "export_cli" in res:
            row("`policykg export -f turtle -o FILE` (median)", "export_cli", None)
            lines.append(f"| … in triples/s | {res['export_cli']['triples_per_s']:,.0f} |  |  |  |  | "
                         f"{'met' if res['export_cli']['triples_per_s'] >= 500_000 else 'missed'} (≥ 500,000/s) |")
        lines += ["", f"Turtle export (`Compiled.export_turtle`, median): {e['triples_per_s']:,.0f} triples/s for the "
                  f"whole process ({fmt_s(e['wall'])}, CPU {e['cpu']:.1f} s, {e['rss_mb']:,.0f} MB), "
                  f"{e['writing_triples_per_s']:,.0f} triples/s for the writing alone ({fmt_s(e['writing_s'])}). "
                  f"pyoxigraph's own serializer dumping the same store (TriG): {d['writing_triples_per_s']:,.0f} "
                  f"triples/s writing ({fmt_s(d['writing_s'])}): the export writes at "
                  f"{e['writing_triples_per_s'] / d['writing_triples_per_s']:.1f}× its speed. "
                  f"Target ≥ 500,000 triples/s: {'met' if e['triples_per_s'] >= 500_000 else 'missed'} end to end, "
                  f"{'met' if e['writing_triples_per_s'] >= 500_000 else 'missed'} for the writing.", ""]
    sizes = sorted(results)
    if len(sizes) >= 2:
        a, b = sizes[-2], sizes[-1]
        lines += [f"### Growth from {a:,} to {b:,} plans ({b / a:.0f}× the plans)", "",
                  "| figure | ×time | exponent k (time ∝ N^k) |", "|---|---:|---:|"]
        for label, key in (("cold index", "cold_index"), ("cold chunks", "cold_chunks"),
                           ("cold store", "cold_store"), ("`policykg compile --no-store`", "cold_compile_nostore"),
                           ("`policykg compile`", "cold_compile"), ("recompile index", "recompile_index"),
                           ("recompile chunks + store", "recompile_rdf"), ("open index (fresh)", "fresh_index"),
                           ("open store (fresh)", "fresh_store"), ("leads", "leads"), ("SPARQL", "sparql"),
                           ("`policykg sparql`", "sparql_cli"),
                           ("Turtle export", "export"), ("`policykg export`", "export_cli"), ("naive", "naive")):
            ratio = results[b][key]["wall"] / results[a][key]["wall"]
            lines.append(f"| {label} | {ratio:.2f} | {math.log(ratio) / math.log(b / a):.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Scale figures for policykg (see the module docstring).")
    ap.add_argument("--plans", default="1,100,1000", help="corpus sizes, comma-separated (default 1,100,1000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/pkgscale"))
    ap.add_argument("--runs", type=int, default=9, help="runs per median (default 9)")
    ap.add_argument("--cold-runs", type=int, default=1, help="cold builds per median, each from an empty cache (default 1)")
    ap.add_argument("--naive-cap", type=float, default=240.0,
                    help="measure the naive path only while it should take under this many seconds (default 240)")
    ap.add_argument("--json", type=Path, help="also save the figures as JSON")
    args = ap.parse_args(argv)
    sizes = sorted(int(s) for s in args.plans.split(","))
    args.workdir.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    loads = [" ".join(f"{x:.2f}" for x in os.getloadavg())]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    floor = median_run([PY, "-c", FLOOR], env, args.runs)
    results: dict[int, dict] = {}
    naive_rate = None  # seconds per triple, from the largest size measured
    for n in sizes:
        data = corpus(args.workdir, n, args.seed)
        print(f"scale: {n} plans …", file=sys.stderr)
        res = measure(data, args.workdir / f"cache-{n}", args.runs, args.cold_runs, args.workdir)
        if naive_rate is None or naive_rate * res["triples"] <= args.naive_cap:
            naive = median_run([PY, "-c", NAIVE, res["ttl"], QUERY], env, 3 if n < 1000 else 1)
            res["naive"] = {**vars(naive), "extrapolated": False}
            naive_rate = naive.wall / res["triples"]
        else:
            res["naive"] = {"wall": naive_rate * res["triples"], "cpu": float("nan"), "rss_mb": float("nan"),
                            "extrapolated": True}
        results[n] = res
    loads.append(" ".join(f"{x:.2f}" for x in os.getloadavg()))
    text = report(results, floor, (loads[0], loads[1]))
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"floor": vars(floor), "loads": loads, "results": results},
                                        ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
