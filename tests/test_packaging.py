"""The embedded plan ships inside the installed package (a wheel, not the checkout)."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The package as a non-editable install puts it: a wheel unpacked into a folder."""
    wheels = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "-q", "-w", str(wheels), str(ROOT)], capture_output=True, text=True)
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {build.stderr.strip()[-300:]}")
    (wheel,) = wheels.glob("policykg-*.whl")
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(site)
    return site, names


def test_wheel_holds_the_data_ontology_and_page_assets(installed):
    _, names = installed
    for required in ("policykg/data/measures.yaml", "policykg/data/agencies.yaml", "policykg/data/sectors.yaml",
                     "policykg/data/source/jincheng-2022-service-plan.txt", "policykg/ontology/policykg.ttl",
                     "policykg/ontology/shapes.ttl", "policykg/viz/page.html"):
        assert required in names, required


def test_installed_policykg_answers_from_any_folder(installed, tmp_path):
    site, _ = installed
    env = dict(os.environ, PYTHONPATH=str(site), POLICYKG_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("POLICYKG_DATA", None)
    where = subprocess.run([sys.executable, "-c", "import policykg.sources as s; print(s.default_data_dir())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(site)
    r = subprocess.run([sys.executable, "-m", "policykg", "leads", "商务局", "-f", "csv"], cwd=tmp_path, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1].startswith("jincheng-2022-24,2,加大困难行业扶持力度")
