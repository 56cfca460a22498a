"""The compiled index: the model of a data source flattened into SQLite for speed.

A query command opens the index instead of parsing YAML: it is rebuilt whenever
the content of any input file changes (SHA-256 of every file, not mtimes), and
written to a temporary file that replaces the old one in one rename, so parallel
runs never read half an index.  A damaged or foreign index file is detected and
rebuilt, never served.  Everything stored is derived from the validated model;
lead/support comes from ``policykg.roles`` via ``Assignment.effective``.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Iterable

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL);
CREATE TABLE agencies (id TEXT PRIMARY KEY, name TEXT NOT NULL, name_en TEXT NOT NULL, full_name TEXT,
    kind TEXT NOT NULL, aliases TEXT NOT NULL, members TEXT NOT NULL, note TEXT, seq INTEGER NOT NULL);
CREATE TABLE membership (collective TEXT NOT NULL, member TEXT NOT NULL, PRIMARY KEY (collective, member));
CREATE TABLE sectors (id TEXT PRIMARY KEY, name TEXT NOT NULL, name_en TEXT NOT NULL, broader TEXT, gbt4754 TEXT NOT NULL);
CREATE TABLE plans (id TEXT PRIMARY KEY, number TEXT NOT NULL, title TEXT NOT NULL, title_en TEXT NOT NULL,
    issuer TEXT NOT NULL, date TEXT NOT NULL, year INTEGER NOT NULL, region TEXT, notice_title TEXT,
    source TEXT, seq INTEGER NOT NULL);
CREATE TABLE sections (plan TEXT NOT NULL, id TEXT NOT NULL, number TEXT NOT NULL, title TEXT NOT NULL,
    title_en TEXT NOT NULL, parent TEXT, sector TEXT, task_force TEXT, PRIMARY KEY (plan, id));
CREATE TABLE measures (plan TEXT NOT NULL, number INTEGER NOT NULL, title TEXT NOT NULL, title_en TEXT NOT NULL,
    body TEXT NOT NULL, section TEXT NOT NULL, subsection TEXT, sector TEXT, task_force TEXT, bracket TEXT,
    seq INTEGER NOT NULL, PRIMARY KEY (plan, number));
CREATE TABLE assignments (plan TEXT NOT NULL, number INTEGER NOT NULL, agency TEXT NOT NULL, role TEXT NOT NULL,
    position INTEGER NOT NULL, effective TEXT NOT NULL, PRIMARY KEY (plan, number, position));
CREATE INDEX assignments_agency ON assignments (agency);
CREATE TABLE documents (id TEXT PRIMARY KEY, number TEXT, title TEXT, title_en TEXT, issuer TEXT, level TEXT,
    year INTEGER, note TEXT);
CREATE TABLE doc_links (plan TEXT NOT NULL, number INTEGER, document TEXT NOT NULL, relation TEXT NOT NULL,
    seq INTEGER NOT NULL);
CREATE INDEX doc_links_document ON doc_links (document);
CREATE TABLE targets (plan TEXT NOT NULL, number INTEGER, k INTEGER NOT NULL, indicator TEXT NOT NULL,
    indicator_en TEXT NOT NULL, comparator TEXT NOT NULL, value TEXT, min TEXT, max TEXT, unit TEXT,
    deadline TEXT, text TEXT);
"""


def cache_root() -> Path:
    """Where compiled indexes live: $POLICYKG_CACHE_DIR, else the user cache folder."""
    env = os.environ.get("POLICYKG_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "policykg"


def file_hashes(files: Iterable[Path]) -> list[tuple[str, str]]:
    """(absolute path, SHA-256 of the content) for each input file."""
    out = []
    for f in files:
        h = hashlib.sha256()
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        out.append((str(Path(f).resolve()), h.hexdigest()))
    return out


def _source_key(hashes: list[tuple[str, str]]) -> str:
    from .. import __version__

    h = hashlib.sha256(f"{SCHEMA_VERSION}\0{__version__}".encode())
    for path, digest in sorted(hashes):
        h.update(f"\0{path}\0{digest}".encode())
    return h.hexdigest()


def index_path_for(source: Path, root: Path | None = None) -> Path:
    """One index file per data location (file or folder)."""
    tag = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:16]
    return (root or cache_root()) / f"index-{tag}.sqlite"


def _insert_dataset(db: sqlite3.Connection, ds) -> None:
    """Flatten a validated model.Dataset into the tables."""
    db.executemany("INSERT INTO agencies VALUES (?,?,?,?,?,?,?,?,?)", [
        (a.id, a.name, a.name_en, a.full_name, a.kind, json.dumps(list(a.aliases), ensure_ascii=False),
         json.dumps(list(a.members)), a.note, i) for i, a in enumerate(ds.agencies.values())])
    closure = []
    for a in ds.agencies.values():
        closure.extend((c, a.id) for c in ds.collectives_of(a.id))
    db.executemany("INSERT OR IGNORE INTO membership VALUES (?,?)", closure)
    db.executemany("INSERT INTO sectors VALUES (?,?,?,?,?)", [
        (s.id, s.name, s.name_en, s.broader, json.dumps(list(s.gbt4754))) for s in ds.sectors.values()])
    db.executemany("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?)", [
        (d.id, d.number, d.title, d.title_en, d.issuer, d.level, d.year, d.note) for d in ds.documents().values()])
    for seq, p in enumerate(ds.plans):
        db.execute("INSERT INTO plans VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                   (p.id, p.number, p.title, p.title_en, p.issuer, p.date.isoformat(), p.year, p.region,
                    p.notice_title, p.source, seq))
        db.executemany("INSERT INTO sections VALUES (?,?,?,?,?,?,?,?)", [
            (p.id, s.id, s.number, s.title, s.title_en, s.parent, s.sector, s.task_force) for s in p.sections])
        links = [(p.id, None, d, rel) for rel, ids in (("based_on", p.based_on), ("repeals", p.repeals),
                                                        ("cites", p.cites)) for d in ids]
        targets = [(p.id, None, k, t) for k, t in enumerate(p.targets, 1)]
        for mseq, m in enumerate(p.measures):
            db.execute("INSERT INTO measures VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       (p.id, m.number, m.title, m.title_en, m.body, m.section, m.subsection, m.sector,
                        m.task_force, m.bracket, mseq))
            db.executemany("INSERT INTO assignments VALUES (?,?,?,?,?,?)", [
                (p.id, m.number, a.agency, a.role, a.position, a.effective) for a in m.assignments])
            links.extend((p.id, m.number, l.document, l.relation) for l in m.documents)
            targets.extend((p.id, m.number, k, t) for k, t in enumerate(m.targets, 1))
        db.executemany("INSERT INTO doc_links VALUES (?,?,?,?,?)",
                       [(*l, i) for i, l in enumerate(links)])
        db.executemany("INSERT INTO targets VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", [
            (pl, n, k, t.indicator, t.indicator_en, t.comparator, _dec(t.value), _dec(t.min), _dec(t.max),
             t.unit, t.deadline.isoformat() if t.deadline else None, t.text) for pl, n, k, t in targets])


def _dec(value) -> str | None:
    return None if value is None else str(value)


def build_index(ds, path: Path, hashes: list[tuple[str, str]]) -> None:
    """Write a fresh index for ``ds`` to ``path`` atomically (temp file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        db = sqlite3.connect(tmp)
        try:
            db.executescript(_SCHEMA)
            with db:
                _insert_dataset(db, ds)
                db.executemany("INSERT INTO files VALUES (?,?)", hashes)
                db.executemany("INSERT INTO meta VALUES (?,?)", [
                    ("schema", SCHEMA_VERSION), ("key", _source_key(hashes))])
        finally:
            db.close()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _valid_index(path: Path, key: str) -> sqlite3.Connection | None:
    """An open connection if ``path`` is an intact index for ``key``, else None."""
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        rows = dict(db.execute("SELECT key, value FROM meta"))
        if rows.get("schema") != SCHEMA_VERSION or rows.get("key") != key:
            db.close()
            return None
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            db.close()
            return None
        return db
    except sqlite3.Error:
        db.close()
        return None


def open_index(data: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None):
    """The compiled index of ``data`` (a plan file or folder; None = the embedded plan).

    Rebuilt from the YAML when missing, stale or damaged.  Raises DataError when
    the data itself is invalid.
    """
    from ..sources import default_data_dir, discover
    from .store import Index

    source = Path(data) if data is not None else default_data_dir()
    files = discover(source)
    hashes = file_hashes(files)
    key = _source_key(hashes)
    path = index_path_for(source, Path(cache_dir) if cache_dir else None)
    db = _valid_index(path, key)
    if db is None:
        from .. import loader

        ds = loader.build_dataset([(str(p), loader.read_yaml(p)) for p in files])
        try:
            build_index(ds, path, hashes)
        except OSError:
            # An unwritable cache must not stop a question: answer from memory.
            db = sqlite3.connect(":memory:")
            db.executescript(_SCHEMA)
            _insert_dataset(db, ds)
            return Index(db, source)
        db = _valid_index(path, key)
        if db is None:  # replaced by a concurrent build of other data: rebuild in memory
            db = sqlite3.connect(":memory:")
            db.executescript(_SCHEMA)
            _insert_dataset(db, ds)
    return Index(db, source)
