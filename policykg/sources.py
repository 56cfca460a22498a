"""Where data comes from: the embedded plan, and the files a data path stands for.

Kept free of YAML and the model so the query fast path can find and hash its
inputs without importing the loader.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import DataError

AUTHORITY_FILE = "agencies.yaml"
SECTORS_FILE = "sectors.yaml"
YAML_SUFFIXES = (".yaml", ".yml")


def default_data_dir() -> Path:
    """The embedded plan: ``policykg/data`` when installed, the repository's data/ otherwise."""
    here = Path(__file__).resolve().parent
    installed = here / "data"
    return installed if (installed / AUTHORITY_FILE).is_file() else here.parent / "data"


def discover(path: str | os.PathLike | None = None) -> list[Path]:
    """The YAML files a load of ``path`` reads, in a stable order.

    A folder stands for every YAML file below it (hidden folders skipped); a plan
    file for itself plus the authority and sector files beside it.
    """
    return [Path(f) for f in discover_names(path)]


def discover_names(path: str | os.PathLike | None = None) -> list[str]:
    """:func:`discover` as path strings: what the query fast path lists on every
    command, where a Path object per file of a large corpus costs more than the rest."""
    root = Path(path) if path is not None else default_data_dir()
    if root.is_dir():
        found = []
        # os.walk, not rglob: a corpus of thousands of files is listed on every query
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found.extend(os.path.join(folder, n) for n in names
                         if n.endswith(YAML_SUFFIXES) and not n.startswith("."))
        return sorted(found)
    if not root.exists():
        raise DataError.single(str(root), None, None, "no such file or folder")
    siblings = [root.parent / AUTHORITY_FILE, root.parent / SECTORS_FILE]
    return [str(p) for p in siblings if p.is_file() and p.resolve() != root.resolve()] + [str(root)]
