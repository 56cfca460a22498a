"""Many policykg processes at once, and writes cut short: answers agree, files are whole or untouched.

- eight processes started together on a cold cache all answer, identically;
- an export killed mid-write (SIGKILL) leaves the previous output file as it
  was; the temporary file it could not remove is removed by the next write;
- an export interrupted by SIGINT or SIGTERM exits non-zero, removes its
  temporary file and keeps the previous output file.

Real processes, real signals: POSIX only.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policykg.atomic import write_text
from policykg.cli import app

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals and process ids as on POSIX")

ROOT = Path(__file__).resolve().parent.parent
PREVIOUS = b"<urn:previous> <urn:export> <urn:kept> .\n"
#: How a temporary file of the atomic writer is named: .<target>.<pid>.<random>.tmp
TEMPORARY = re.compile(r"\.plan\.nt\.(\d+)\.[a-z0-9_]{8}\.tmp")


def policykg(*args: str, cache: Path) -> subprocess.Popen:
    env = dict(os.environ, POLICYKG_CACHE_DIR=str(cache),
               PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return subprocess.Popen([sys.executable, "-m", "policykg", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, preexec_fn=_default_interrupts)


def _default_interrupts() -> None:
    """Give the child the SIGINT a user's terminal gives: a test runner started in the
    background (nohup, `cmd &`) inherits SIGINT ignored, and Python then keeps it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def corpus(make_corpus, tmp_path_factory) -> Path:
    """A synthetic corpus of 40 plans (bench/make_corpus.py): big enough that an export takes seconds."""
    return make_corpus(40, tmp_path_factory.mktemp("corpus") / "plans", seed=7)


# --------------------------------------------------------------------------- many at once


def run_together(n: int, args: list[str], cache: Path) -> list[tuple[int, bytes, bytes]]:
    procs = [policykg(*args, cache=cache) for _ in range(n)]
    outputs = [p.communicate(timeout=300) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs)]


def check_agree(results, cache: Path) -> bytes:
    for code, out, err in results:
        assert (code, err) == (0, b""), err.decode()
    answers = {out for _, out, _ in results}
    assert len(answers) == 1, "every process gives the same answer"
    leftovers = [p.name for p in cache.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [], "no half-built index left in the cache"
    return answers.pop()


def test_eight_processes_on_a_cold_cache_agree(tmp_path):
    data = shutil.copytree(ROOT / "data", tmp_path / "data")
    cache = tmp_path / "cache"
    answer = check_agree(run_together(8, ["--data", str(data), "leads", "商务局", "-f", "json"], cache), cache)
    warm = CliRunner().invoke(app, ["--data", str(data), "--cache-dir", str(tmp_path / "other"),
                                    "leads", "商务局", "-f", "json"])
    assert json.loads(answer) == json.loads(warm.stdout) and json.loads(answer)


def test_eight_processes_build_a_corpus_index_once_and_agree(corpus, tmp_path):
    cache = tmp_path / "cache"
    answer = check_agree(run_together(8, ["--data", str(corpus), "plans", "-f", "json"], cache), cache)
    assert len(json.loads(answer)) == 40
    assert len([p for p in cache.iterdir() if p.suffix == ".sqlite"]) == 1


# --------------------------------------------------------------------------- interrupted writes


def start_export(corpus: Path, out: Path, cache: Path) -> subprocess.Popen:
    return policykg("--data", str(corpus), "export", "-f", "nt", "-o", str(out), cache=cache)


def temporaries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if TEMPORARY.fullmatch(p.name))


def wait_until_writing(proc: subprocess.Popen, folder: Path, timeout: float = 120) -> Path:
    """The export's temporary file, as soon as it exists.

    It appears before the triples are made, so the interrupt lands while the
    export is busy; waiting for the first bytes left only the last fast write
    to hit, and a loaded machine could finish it first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        written = temporaries(folder)
        if written:
            return written[0]
        assert proc.poll() is None, f"export ended before it was caught writing: {proc.stderr.read().decode()}"
        time.sleep(0.002)
    raise AssertionError("the export never started writing")


@pytest.fixture
def previous(tmp_path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "plan.nt"
    out.write_bytes(PREVIOUS)
    return out


def test_killed_export_keeps_previous_file(corpus, previous, tmp_path):
    folder = previous.parent
    proc = start_export(corpus, previous, tmp_path / "cache")
    partial = wait_until_writing(proc, folder)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert previous.read_bytes() == PREVIOUS
    # SIGKILL cannot be caught: the temporary file stays, named by the dead process
    assert temporaries(folder) == [partial] and int(TEMPORARY.fullmatch(partial.name).group(1)) == proc.pid
    # the next write of the same file replaces it whole and removes what the dead one left
    done = start_export(corpus, previous, tmp_path / "cache")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err.decode()
    assert temporaries(folder) == []
    text = previous.read_bytes()
    assert text != PREVIOUS and text.endswith(b" .\n") and text.count(b"\n") > 10_000
    assert [p.name for p in folder.iterdir()] == ["plan.nt"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_export_cleans_up_and_keeps_previous_file(corpus, previous, tmp_path, signum):
    proc = start_export(corpus, previous, tmp_path / "cache")
    wait_until_writing(proc, previous.parent)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert err == b"policykg: interrupted\n" and out == b""
    assert previous.read_bytes() == PREVIOUS
    assert [p.name for p in previous.parent.iterdir()] == ["plan.nt"]


def test_next_write_removes_only_temporaries_of_dead_writers(tmp_path):
    """Left-overs of killed writers go; a live writer's file and look-alikes stay."""
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        names = {"dead": f".plan.nt.{dead.pid}.abcdefgh.tmp", "alive": f".plan.nt.{alive.pid}.abcdefgh.tmp",
                 "other target": f".plan.nt.bak.{dead.pid}.abcdefgh.tmp", "not ours": ".plan.nt.backup",
                 "visible": f"plan.nt.{dead.pid}.abcdefgh.tmp"}
        for name in names.values():
            (tmp_path / name).write_text("left over", encoding="utf-8")
        write_text(tmp_path / "plan.nt", "<urn:a> <urn:b> <urn:c> .\n")
        left = {p.name for p in tmp_path.iterdir()}
        assert left == {"plan.nt"} | (set(names.values()) - {names["dead"]})
    finally:
        alive.kill()
        alive.wait()
