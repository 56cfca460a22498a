"""Whole-process timing of policykg query commands against two baselines, in one run.

    python bench/cli_speed.py [--runs 15] [--data PATH]

Baselines measured side by side with the commands:
- floor: ``python -c "import typer"`` (Python start-up plus the CLI framework);
- naive: parse the plan YAML, build an rdflib graph and run its first SPARQL query
  (what a straightforward implementation does on every call).
Targets (issue 4): each query command ≤ 2× the floor and ≥ 5× faster than naive.
Prints medians and ratios; exits 0 either way (a benchmark, not a test).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NAIVE = r"""
import sys, yaml
from policykg.loader import load
from policykg.graph import compile_graph
g = compile_graph(load(sys.argv[1] if len(sys.argv) > 1 else None))
q = '''PREFIX pkg: <https://w3id.org/policykg/ontology#>
SELECT ?m WHERE { ?m pkg:ledBy ?a . ?a <http://www.w3.org/2004/02/skos/core#prefLabel> "市商务局"@zh }'''
print(len(list(g.query(q))))
"""


def median_seconds(cmd: list[str], runs: int, env: dict) -> float:
    subprocess.run(cmd, env=env, check=True, capture_output=True)  # warm: compile the index, fill the OS cache
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--data", default=None, help="plan file or folder (default: the embedded plan)")
    args = ap.parse_args()
    env = dict(os.environ, POLICYKG_CACHE_DIR=tempfile.mkdtemp(prefix="policykg-bench-"))
    py = sys.executable
    # byte-compile policykg as pip does on install: with PYTHONDONTWRITEBYTECODE set, every
    # process would otherwise compile every module from source (about 45 ms a command here)
    subprocess.run([py, "-m", "compileall", "-q", str(Path(__file__).resolve().parent.parent / "policykg")],
                   check=True)
    data = ["--data", args.data] if args.data else []
    floor = median_seconds([py, "-c", "import typer"], args.runs, env)
    naive = median_seconds([py, "-c", NAIVE, *( [args.data] if args.data else [])], max(3, args.runs // 3), env)
    commands = {
        "leads 商务局": ["leads", "商务局"],
        "leads 阳城县 --role any": ["leads", "阳城县", "--role", "any"],
        "agency 发改委": ["agency", "发改委"],
        "agencies": ["agencies"],
        "measure 13 -f json": ["measure", "13", "-f", "json"],
        "search 5G": ["search", "5G"],
        "targets": ["targets"],
        "docs": ["docs"],
    }
    print(f"floor  python -c 'import typer'      {floor * 1000:7.1f} ms")
    print(f"naive  YAML → rdflib → first SPARQL  {naive * 1000:7.1f} ms")
    print(f"{'command':32} {'median':>9} {'÷ floor':>8} {'naive ÷':>8}  target ≤2.0 / ≥5.0")
    for label, argv in commands.items():
        t = median_seconds([py, "-m", "policykg", *data, *argv], args.runs, env)
        ok = "ok" if t / floor <= 2.0 and naive / t >= 5.0 else "MISSED"
        print(f"{label:32} {t * 1000:7.1f}ms {t / floor:8.2f} {naive / t:8.1f}  {ok}")


if __name__ == "__main__":
    main()
