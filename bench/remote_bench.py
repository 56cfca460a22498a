"""Push and remote-query throughput against a local ``oxigraph serve``, for a corpus folder.

    python bench/remote_bench.py CORPUS_DIR [--queries 200] [--memory] [--keep]

Starts ``oxigraph serve`` on a free loopback port (data in a temporary folder,
or in memory with ``--memory``), then measures:

- generation: building every graph's N-Triples body without sending (``push(dry_run=True)``);
- push: ``policykg.push.push`` of the whole corpus (one PUT per plan graph plus
  the shared graph, each verified by a SPARQL COUNT), as triples/s and graphs/s;
- re-push: the same again, replacing every graph;
- ``measures_by_agency`` over HTTP for ``--queries`` (agency, role) pairs cycling
  through every agency: median and 95th percentile latency, queries/s;
- the same questions from the embedded SQLite index, for comparison.

Prints a table; exits 0 either way (a benchmark, not a test).  Needs the
``oxigraph`` binary (``pip install oxigraph``).
"""
from __future__ import annotations

import argparse
import itertools
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policykg import loader  # noqa: E402
from policykg.push import push  # noqa: E402
from policykg.query.index import open_index  # noqa: E402
from policykg.query.sparql_questions import open_endpoint  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(location: Path | None) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("oxigraph")
    if binary is None:
        sys.exit("remote_bench: the oxigraph binary is missing (pip install oxigraph)")
    port = _free_port()
    args = [binary, "serve", "--bind", f"127.0.0.1:{port}"]
    if location is not None:
        args += ["--location", str(location)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"remote_bench: oxigraph serve did not answer on {url}")


def _latencies(ask, pairs) -> list[float]:
    out = []
    for agency, role in pairs:
        t0 = time.perf_counter()
        ask(agency, role)
        out.append(time.perf_counter() - t0)
    return out


def _row(name: str, value: str, note: str = "") -> str:
    return f"| {name:<34} | {value:>16} | {note:<40} |"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path, help="a data folder (e.g. from bench/make_corpus.py)")
    ap.add_argument("--queries", type=int, default=200, help="measures_by_agency calls to time (default 200)")
    ap.add_argument("--memory", action="store_true", help="run oxigraph in memory instead of on disk")
    ap.add_argument("--keep", action="store_true", help="print the store folder and leave it")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    ds = loader.load(args.corpus)
    load_s = time.perf_counter() - t0
    work = Path(tempfile.mkdtemp(prefix="policykg-remote-bench-"))
    proc, url = _start(None if args.memory else work / "store")
    rows = []
    try:
        t0 = time.perf_counter()
        dry = push(ds, url, dry_run=True)
        gen_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        first = push(ds, url)
        push_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        push(ds, url)
        repush_s = time.perf_counter() - t0

        remote = open_endpoint(url)
        index = open_index(args.corpus, work / "cache")
        agencies = list(index.agencies_by_id)
        pairs = list(itertools.islice(itertools.cycle(itertools.product(agencies, ("lead", "support", "any"))),
                                      args.queries))
        remote.measures_by_agency(agencies[0])  # warm: agencies and plans fetched once
        remote_lat = _latencies(lambda a, r: remote.measures_by_agency(a, r), pairs)
        local_lat = _latencies(lambda a, r: index.measures_by_agency(a, r), pairs)
        index.close()

        graphs, triples, size = len(first.graphs), first.triples, first.bytes
        rows = [
            _row("plans / measures", f"{len(ds.plans):,} / {sum(1 for _ in ds.measures()):,}", str(args.corpus)),
            _row("graphs / triples / body bytes", f"{graphs:,} / {triples:,}", f"{size / 1e6:.1f} MB of N-Triples"),
            _row("load YAML", f"{load_s:.2f} s", "policykg.loader.load"),
            _row("generate bodies (dry run)", f"{triples / gen_s:,.0f} tr/s", f"{gen_s:.2f} s"),
            _row("push (new graphs)", f"{triples / push_s:,.0f} tr/s",
                 f"{push_s:.2f} s, {graphs / push_s:.1f} graphs/s, incl. COUNT check"),
            _row("push again (replace graphs)", f"{triples / repush_s:,.0f} tr/s", f"{repush_s:.2f} s"),
            _row("remote measures_by_agency median", f"{statistics.median(remote_lat) * 1e3:.1f} ms",
                 f"p95 {statistics.quantiles(remote_lat, n=20)[-1] * 1e3:.1f} ms, "
                 f"{len(remote_lat) / sum(remote_lat):.0f} q/s, {len(pairs)} calls"),
            _row("index measures_by_agency median", f"{statistics.median(local_lat) * 1e3:.2f} ms",
                 f"{len(local_lat) / sum(local_lat):.0f} q/s (embedded SQLite)"),
            _row("store", "memory" if args.memory else "disk", f"oxigraph at {url}"),
        ]
        assert dry.triples == first.triples
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if args.keep:
            print(f"store kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(_row("measure", "value", "note"))
    print(f"|{'-' * 36}|{'-' * 18}|{'-' * 42}|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
