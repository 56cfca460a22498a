"""The compiled index: the model of a data source flattened into SQLite for speed.

A query command opens the index instead of parsing YAML.  Freshness is decided by
content: a file whose size or mtime changed is hashed (SHA-256), and only a real
change of content recompiles.  A changed, added or removed plan file updates just
that plan's rows in one transaction; a changed authority or sector file, or a
missing or damaged index, rebuilds it from scratch, parsing files on every core,
into a temporary file that replaces the old one in one rename.  Builders take a
lock, so parallel runs never build twice nor read half an index.  A sidecar
records the index file's size and mtime as written, so an index altered behind
policykg's back is detected and rebuilt, never served.  Everything stored is
derived from the validated model; lead/support comes from ``policykg.roles`` via
``Assignment.effective``.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Iterable

from ..errors import OutputError

SCHEMA_VERSION = "2"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL, kind TEXT, plan TEXT);
CREATE TABLE agencies (id TEXT PRIMARY KEY, name TEXT NOT NULL, name_en TEXT NOT NULL, full_name TEXT,
    kind TEXT NOT NULL, aliases TEXT NOT NULL, members TEXT NOT NULL, note TEXT, seq INTEGER NOT NULL);
CREATE TABLE names (norm TEXT NOT NULL, agency TEXT NOT NULL, PRIMARY KEY (norm, agency)) WITHOUT ROWID;
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


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def index_path_for(source: Path, root: Path | None = None) -> Path:
    """One index file per data location (file or folder)."""
    tag = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:16]
    return (root or cache_root()) / f"index-{tag}.sqlite"


def _version() -> str:
    from .. import __version__

    return f"{SCHEMA_VERSION}/{__version__}"


# --------------------------------------------------------------------------- rows


def _insert_shared(db: sqlite3.Connection, ds) -> None:
    """Agencies, membership closure and sectors: what every plan is read against."""
    db.executemany("INSERT INTO agencies VALUES (?,?,?,?,?,?,?,?,?)", [
        (a.id, a.name, a.name_en, a.full_name, a.kind, json.dumps(list(a.aliases), ensure_ascii=False),
         json.dumps(list(a.members)), a.note, i) for i, a in enumerate(ds.agencies.values())])
    from ..names import normalise_name

    db.executemany("INSERT OR IGNORE INTO names VALUES (?,?)", [
        (normalise_name(n), a.id) for a in ds.agencies.values() for n in (a.id, *a.names)])
    closure = []
    for a in ds.agencies.values():
        closure.extend((c, a.id) for c in ds.collectives_of(a.id))
    db.executemany("INSERT OR IGNORE INTO membership VALUES (?,?)", closure)
    db.executemany("INSERT INTO sectors VALUES (?,?,?,?,?)", [
        (s.id, s.name, s.name_en, s.broader, json.dumps(list(s.gbt4754))) for s in ds.sectors.values()])


def plan_rows(p) -> tuple[list, ...]:
    """One plan's rows for the index, table by table, in :data:`_PLAN_TABLES` order.

    Plain tuples of text and numbers: cheap to send from a worker process, so a
    cold build makes them where it parses (see :func:`policykg.query.build.compile_all`).
    """
    documents = [(d.id, d.number, d.title, d.title_en, d.issuer, d.level, d.year, d.note) for d in p.documents]
    plan = [(p.id, p.number, p.title, p.title_en, p.issuer, p.date.isoformat(), p.year, p.region,
             p.notice_title, p.source, 0)]
    sections = [(p.id, s.id, s.number, s.title, s.title_en, s.parent, s.sector, s.task_force) for s in p.sections]
    links = [(p.id, None, d, rel) for rel, ids in (("based_on", p.based_on), ("repeals", p.repeals),
                                                    ("cites", p.cites)) for d in ids]
    targets = [(p.id, None, k, t) for k, t in enumerate(p.targets, 1)]
    measures, assignments = [], []
    for mseq, m in enumerate(p.measures):
        measures.append((p.id, m.number, m.title, m.title_en, m.body, m.section, m.subsection, m.sector,
                         m.task_force, m.bracket, mseq))
        assignments.extend((p.id, m.number, a.agency, a.role, a.position, a.effective) for a in m.assignments)
        links.extend((p.id, m.number, l.document, l.relation) for l in m.documents)
        targets.extend((p.id, m.number, k, t) for k, t in enumerate(m.targets, 1))
    return (documents, plan, sections, measures, assignments, [(*l, i) for i, l in enumerate(links)], [
        (pl, n, k, t.indicator, t.indicator_en, t.comparator, _dec(t.value), _dec(t.min), _dec(t.max),
         t.unit, t.deadline.isoformat() if t.deadline else None, t.text) for pl, n, k, t in targets])


#: The statements :func:`_insert_rows` fills, one per part of :func:`plan_rows`.
_PLAN_TABLES = ("INSERT OR IGNORE INTO documents VALUES (?,?,?,?,?,?,?,?)",  # the first plan to register one wins
                "INSERT INTO plans VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                "INSERT INTO sections VALUES (?,?,?,?,?,?,?,?)",
                "INSERT INTO measures VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                "INSERT INTO assignments VALUES (?,?,?,?,?,?)",
                "INSERT INTO doc_links VALUES (?,?,?,?,?)",
                "INSERT INTO targets VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")


def _insert_rows(db: sqlite3.Connection, rows: tuple[list, ...]) -> None:
    for statement, part in zip(_PLAN_TABLES, rows):
        db.executemany(statement, part)


def _insert_plan(db: sqlite3.Connection, p) -> None:
    """One plan's rows (its measures, assignments, documents, links, targets)."""
    _insert_rows(db, plan_rows(p))


def _delete_plan(db: sqlite3.Connection, plan_id: str) -> None:
    for table in ("plans", "sections", "measures", "assignments", "doc_links", "targets"):
        db.execute(f"DELETE FROM {table} WHERE {'id' if table == 'plans' else 'plan'} = ?", (plan_id,))


def _finish(db: sqlite3.Connection) -> None:
    """Derived order and clean-up after plans were inserted or deleted."""
    db.execute("DELETE FROM documents WHERE id NOT IN (SELECT document FROM doc_links)")
    db.execute("UPDATE plans SET seq = (SELECT r FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY date, id) AS r "
               "FROM plans) AS o WHERE o.id = plans.id)")


def _dec(value) -> str | None:
    return None if value is None else str(value)


def _insert_dataset(db: sqlite3.Connection, ds, rows: dict | None = None) -> None:
    """Flatten a validated model.Dataset into the tables (each plan's rows from ``rows`` where made already)."""
    _insert_shared(db, ds)
    for p in ds.plans:  # in the dataset's order (date, id): the first plan to register a document wins
        _insert_rows(db, rows[p.id] if rows is not None else plan_rows(p))
    _finish(db)


def _memory_index(ds) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.executescript(_SCHEMA)
    _insert_dataset(db, ds)
    return db


# --------------------------------------------------------------------------- files on disk


class _Input:
    """An input file as seen now: path, size, mtime, and its hash once computed."""

    __slots__ = ("path", "size", "mtime_ns", "sha256")

    def __init__(self, path: str):
        st = os.stat(path)
        self.path, self.size, self.mtime_ns, self.sha256 = path, st.st_size, st.st_mtime_ns, None

    def digest(self) -> str:
        if self.sha256 is None:
            self.sha256 = sha256_file(self.path)
        return self.sha256


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".ok")


def _write_sidecar(path: Path) -> None:
    st = path.stat()
    from ..atomic import write_text

    write_text(_sidecar(path), json.dumps({"version": _version(), "size": st.st_size, "mtime_ns": st.st_mtime_ns}))


def _open_checked(path: Path, writable: bool = False) -> sqlite3.Connection | None:
    """The index at ``path`` if it is intact and as policykg last wrote it, else None."""
    try:
        mark = json.loads(_sidecar(path).read_text(encoding="utf-8"))
        st = path.stat()
    except (OSError, ValueError):
        return None
    if mark.get("version") != _version() or mark.get("size") != st.st_size or mark.get("mtime_ns") != st.st_mtime_ns:
        return None
    try:
        db = sqlite3.connect(str(path), timeout=60) if writable else \
            sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
    except sqlite3.Error:
        return None
    try:
        if dict(db.execute("SELECT key, value FROM meta")).get("schema") != SCHEMA_VERSION:
            raise sqlite3.DatabaseError("foreign schema")
        # Small indexes are cheap to verify page by page as well.
        if st.st_size <= QUICK_CHECK_MAX_BYTES and db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("damaged")
        return db
    except sqlite3.Error:
        db.close()
        return None


#: Indexes up to this size also get SQLite's page-level quick_check on every open.
QUICK_CHECK_MAX_BYTES = 4 * 1024 * 1024


def _stored_files(db: sqlite3.Connection) -> dict[str, tuple[int, int, str, str | None, str | None]]:
    return {r[0]: r[1:] for r in db.execute("SELECT path, size, mtime_ns, sha256, kind, plan FROM files")}


@contextlib.contextmanager
def _build_lock(path: Path):
    """Serialise builders of one index across processes (POSIX advisory lock)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as fh:
        try:
            import fcntl
        except ImportError:  # not POSIX: builds may race, but each still replaces atomically
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- build and update


def build_index(files: list[_Input], path: Path, workers: int | None = None, progress=None,
                parsed: list | None = None, ds=None, rows: dict | None = None) -> None:
    """Compile every file from scratch into a fresh index at ``path`` (atomic replace).

    ``parsed`` and ``ds``: the loader's reading of ``files`` and the dataset
    assembled from it, when the caller has them already; else made here.  With
    ``rows`` (plan id → :func:`plan_rows`, made where the files were parsed) the
    plans in them may be stripped to their heads.
    """
    from .. import loader

    if parsed is None:
        parsed = loader.parse_files([Path(f.path) for f in files], workers, progress)
    if ds is None:
        ds = loader.assemble(parsed)
    plan_of = {pf.name: (pf.kind, pf.plan.id if pf.plan else None) for pf in parsed}
    from ..atomic import atomic_path

    with atomic_path(path) as tmp:
        db = sqlite3.connect(tmp)
        try:
            db.executescript(_SCHEMA)
            with db:
                _insert_dataset(db, ds, rows)
                db.executemany("INSERT INTO files VALUES (?,?,?,?,?,?)", [
                    (f.path, f.size, f.mtime_ns, f.digest(), *plan_of[f.path]) for f in files])
                db.executemany("INSERT INTO meta VALUES (?,?)", [("schema", SCHEMA_VERSION)])
        finally:
            db.close()
    _write_sidecar(path)


def authority_stubs(agencies: Iterable[str], sectors: Iterable[str]) -> list:
    """The stored authority as parsed files, to validate changed plans without re-reading every authority file.

    Plans are checked against ids only (:func:`policykg.loader.assemble` reads no
    more of an agency or sector than its id and members, and members only of the
    authority itself, which is unchanged when this is used), so messages are the
    loader's own.
    """
    from .. import loader
    from ..model import Agency, Sector

    return [loader.ParsedFile("<authority>", "agencies", agencies=[(Agency(i, i, i, "other"), None) for i in agencies]),
            loader.ParsedFile("<sectors>", "sectors", sectors=[(Sector(i, i, i), None) for i in sectors])]


def _update_index(db: sqlite3.Connection, path: Path, files: list[_Input], stored: dict) -> bool:
    """Bring an intact index up to date in place; False if it needs a full rebuild.

    Only files whose size or mtime moved are hashed, only those whose content
    changed are parsed, and changed plans are validated against the agency and
    sector ids the index holds: the authority files are not read again.
    """
    from .. import loader

    now = {f.path: f for f in files}
    moved = [f for f in files if f.path not in stored or stored[f.path][:2] != (f.size, f.mtime_ns)]
    changed = [f for f in moved if f.path not in stored or stored[f.path][2] != f.digest()]
    removed = [p for p in stored if p not in now]
    touched = [f for f in moved if f not in changed]
    if any(stored[p][3] != "plan" for p in removed) or any(stored[f.path][3] != "plan"
                                                          for f in changed if f.path in stored):
        return False  # an authority or sector file changed or went: everything is read against it
    parsed_changed = loader.parse_files([Path(f.path) for f in changed])
    if any(pf.kind != "plan" for pf in parsed_changed if not pf.problems):
        return False  # a new authority or sector file
    shared = authority_stubs([i for (i,) in db.execute("SELECT id FROM agencies ORDER BY seq")],
                             [i for (i,) in db.execute("SELECT id FROM sectors ORDER BY id")])
    ds = loader.assemble(shared + parsed_changed)  # validates the changed plans against the authority
    gone = {stored[p][4] for p in removed} | {stored[f.path][4] for f in changed if f.path in stored}
    gone.discard(None)
    clash = {pid: file for pid, file in db.execute("SELECT plan, path FROM files WHERE plan IS NOT NULL")
             if pid not in gone}
    from ..errors import DataError, Problem

    dupes = [Problem(pf.name, None, "plan.id", f"duplicate plan id {pf.plan.id!r} (also in {clash[pf.plan.id]})")
             for pf in parsed_changed if pf.plan and pf.plan.id in clash]
    if dupes:
        raise DataError(dupes)
    with db:
        for pid in gone:
            _delete_plan(db, pid)
        for plan in ds.plans:
            _insert_plan(db, plan)
        _finish(db)
        db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in removed])
        plan_of = {pf.name: pf.plan.id for pf in parsed_changed if pf.plan}
        db.executemany("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?)", [
            (f.path, f.size, f.mtime_ns, f.digest(), "plan", plan_of.get(f.path)) for f in changed])
        db.executemany("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?",
                       [(f.size, f.mtime_ns, f.path) for f in touched])
    db.close()
    _write_sidecar(path)
    return True


def _fresh(stored: dict, files: list[_Input]) -> bool:
    """True when every input has the size and mtime the index recorded (no hashing needed)."""
    return len(stored) == len(files) and all(stored.get(f.path, (None, None))[:2] == (f.size, f.mtime_ns)
                                             for f in files)


def open_index(data: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None,
               workers: int | None = None, progress=None):
    """The compiled index of ``data`` (a plan file or folder; None = the embedded plan).

    Compiled when missing or damaged, updated when input content changed.  Raises
    DataError when the data itself is invalid.
    """
    from ..sources import default_data_dir, discover_names
    from .store import Index

    source = (Path(data) if data is not None else default_data_dir()).absolute()
    files = [_Input(p) for p in discover_names(source)]  # absolute: source is
    path = index_path_for(source, Path(cache_dir) if cache_dir else None)
    db = _open_checked(path)
    if db is not None and _fresh(_stored_files(db), files):
        return Index(db, source)
    if db is not None:
        db.close()
    try:
        with _build_lock(path):
            db = _open_checked(path, writable=True)
            if db is not None and _fresh(_stored_files(db), files):
                db.close()
            elif db is None or not _update_index(db, path, files, _stored_files(db)):
                if db is not None:
                    db.close()
                build_index(files, path, workers, progress)
    except (OSError, OutputError):
        # An unwritable cache must not stop a question: answer from memory.
        from .. import loader

        return Index(_memory_index(loader.load(source, workers)), source)
    db = _open_checked(path)
    if db is None:  # altered again between our build and this open: serve from memory
        from .. import loader

        return Index(_memory_index(loader.load(source, workers)), source)
    return Index(db, source)
