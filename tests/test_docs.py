"""The README documents every command with real, current output."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer.main

from policykg.cli import app

ROOT = Path(__file__).resolve().parent.parent


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in typer.main.get_command(app).commands:
        assert f"policykg {name}" in readme, name


def test_readme_examples_are_real_and_current():
    r = subprocess.run([sys.executable, str(ROOT / "docs" / "update_readme.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, "README.md examples are stale: run python docs/update_readme.py"
