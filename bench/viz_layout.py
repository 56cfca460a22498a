"""How long the responsibility network takes to settle in a browser.

Renders the shipped plan (or --data FILE), opens it from a file:// URL in
Debian's headless Chromium (via Playwright, with the system browser), and reads
``window.policykg.stabilizedAt``: the page's ``performance.now()`` when
vis-network fired ``stabilizationIterationsDone`` and the physics was frozen,
i.e. milliseconds from the start of navigation to a still layout.  Prints the
median of --runs fresh page loads per view (target: under 2 s).

    python bench/viz_layout.py [--runs 5] [--view full --view agencies] [--data plan.yaml]

Not a unit test: timings depend on the machine.  Exit status 1 if the median of
any view is over --target seconds.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

# run from a checkout without installing: the repository root holds the package
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--view", action="append", choices=["full", "agencies"])
    parser.add_argument("--data", help="plan file or folder (default: the shipped plan)")
    parser.add_argument("--target", type=float, default=2.0, help="seconds (default 2)")
    args = parser.parse_args(argv)
    views = args.view or ["full", "agencies"]

    from playwright.sync_api import sync_playwright

    from policykg.loader import load
    from policykg.viz import write_html

    dataset = load(args.data)
    over = False
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for view in views:
            path = Path(tmp) / f"{view}.html"
            started = time.perf_counter()
            write_html(path, dataset, view=view)
            render_ms = (time.perf_counter() - started) * 1000
            settled, scripted = [], []
            for _ in range(args.runs):
                context = browser.new_context(viewport={"width": 1600, "height": 1000})
                page = context.new_page()
                page.goto(path.as_uri())
                page.wait_for_selector("body[data-stable=true]", state="attached", timeout=60000)
                at, start, nodes, edges = page.evaluate(
                    "() => [window.policykg.stabilizedAt, window.policykg.startedAt,"
                    " window.policykg.nodes.length, window.policykg.edges.length]")
                settled.append(at)
                scripted.append(at - start)
                context.close()
            median = statistics.median(settled)
            over = over or median > args.target * 1000
            print(f"{view:9} {nodes:4} nodes {edges:4} edges  load→stable median {median:7.0f} ms "
                  f"(runs: {', '.join(f'{t:.0f}' for t in settled)}; "
                  f"from page script start {statistics.median(scripted):.0f} ms; "
                  f"Python render {render_ms:.0f} ms, {path.stat().st_size / 1024:.0f} KiB)")
        browser.close()
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
