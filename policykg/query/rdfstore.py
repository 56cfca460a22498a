"""The compiled RDF of a data source: per-graph Turtle chunks, and a pyoxigraph store built from them.

Two layers sit in the cache folder beside the SQLite index of the same source
(named with the index's tag, see :func:`policykg.query.index.index_path_for`):

``index-<tag>.rdf.sqlite`` — the chunks.  For each graph (``shared``: the
    authority and sector scheme; ``links``; ``plan/{id}``: one plan) and each
    referenced document, the Turtle that :mod:`policykg.graph.compile` makes,
    triples in N-Triples line order, zlib-compressed, with its SHA-256.  Kept
    fresh like the index: an input whose size or mtime changed is hashed and
    only a real change of content recompiles, plan by plan; a cold build parses
    and compiles files on every core.  Exports are written from here, byte for
    byte what the compiler made, at the speed of decompression.
``index-<tag>.oxigraph/`` — a pyoxigraph (RocksDB) store of the same graphs,
    named ``{base}graph/shared``, ``…/documents``, ``…/links`` and
    ``…/plan/{id}`` (as :mod:`policykg.push` names them), for SPARQL.  It is
    loaded from the chunks, never from YAML: graph by graph when few changed,
    by bulk loads into a fresh folder otherwise.

``index-<tag>.rdf.json`` records the size and mtime of the chunk database and
of every file of the store as policykg last wrote them, and which chunks the
store holds; anything altered behind policykg's back, or left half-written by
an interrupted update, is rebuilt, never served.  Builders take a lock
(``index-<tag>.rdf.sqlite.lock``).  No triple is in two graphs, so SPARQL over
the union of the graphs (:func:`query`) answers as rdflib does over
:func:`policykg.graph.compile_graph` of the whole data, except that the store
writes numbers canonically: xsd:decimal ``1800.0`` comes back as ``1800`` and
xsd:positiveInteger as xsd:integer (pyoxigraph keeps values, not forms).  The
chunks, and so every export, keep the compiler's exact terms.

The library never prints: pass ``progress(done, total, stage)`` to follow long
work (stages ``compile``, ``load`` and ``export``).
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tempfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Mapping

from ..errors import DataError, OutputError, Problem, UsageError

__all__ = [
    "open_store", "compile_rdf", "Compiled", "query", "export_turtle", "export_ntriples", "to_rdflib",
    "graph_iri", "store_path_for", "turtle_prefixes", "DEFAULT_BASE_IRI", "Progress",
]

#: Bump when the chunks or the store layout change: older caches are rebuilt.
FORMAT_VERSION = "2"  # 2: standard types (eli:, org:) stated on instances

#: :data:`policykg.graph.compile.DEFAULT_BASE_IRI`, repeated so that opening a fresh store imports no rdflib.
DEFAULT_BASE_IRI = "https://w3id.org/policykg/id/"

#: ``progress(done, total, stage)``.
Progress = Callable[[int, int, str], None]

#: Below this many files a cold build compiles in this process (a pool costs more than it saves).
PARALLEL_MIN_FILES = 16
#: Stores whose files add up to at most this are also read in full on every open: a damaged block is found.
FULL_CHECK_MAX_BYTES = 4 * 1024 * 1024
#: When more than this share of the triples changed, the store is bulk-loaded afresh rather than updated.
RELOAD_SHARE = 0.25
#: Triples per bulk load of a fresh store: pyoxigraph's loader holds a batch in memory (about 1 GB a million).
BULK_BATCH_TRIPLES = 400_000

_ZLIB_LEVEL = 3
# RocksDB files that change without the data changing (its info log, its lock file).
_VOLATILE = ("LOG", "LOCK")

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE inputs (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL,
    kind TEXT NOT NULL, plan TEXT);
CREATE TABLE plans (id TEXT PRIMARY KEY, number TEXT, date TEXT NOT NULL, path TEXT NOT NULL);
CREATE TABLE authority (id TEXT NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (kind, id));
CREATE TABLE refs (plan TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (plan, kind, id));
CREATE TABLE plan_documents (plan TEXT NOT NULL, document TEXT NOT NULL, number TEXT, hash TEXT NOT NULL,
    triples INTEGER NOT NULL, ttl BLOB NOT NULL, PRIMARY KEY (plan, document));
CREATE INDEX plan_documents_document ON plan_documents (document);
CREATE TABLE documents (id TEXT PRIMARY KEY, subject TEXT NOT NULL, plan TEXT NOT NULL, hash TEXT NOT NULL,
    number TEXT, triples INTEGER NOT NULL, ttl BLOB NOT NULL);
CREATE TABLE graphs (name TEXT PRIMARY KEY, digest TEXT NOT NULL, triples INTEGER NOT NULL, ttl BLOB NOT NULL);
"""


# --------------------------------------------------------------------------- names


def _base(base_iri: str | None) -> str:
    if not base_iri or base_iri == DEFAULT_BASE_IRI:
        return DEFAULT_BASE_IRI
    from ..graph.compile import check_base_iri

    return check_base_iri(base_iri)


def _paths(source: Path, root: Path | None, base: str) -> tuple[Path, Path, Path]:
    """(chunk database, store folder, sidecar) for a data location and base IRI."""
    from .index import index_path_for

    index = index_path_for(source, root)
    stem = index.name[: -len(index.suffix)]
    if base != DEFAULT_BASE_IRI:
        stem += "-" + hashlib.sha256(base.encode()).hexdigest()[:8]
    return (index.with_name(stem + ".rdf.sqlite"), index.with_name(stem + ".oxigraph"),
            index.with_name(stem + ".rdf.json"))


def store_path_for(source: Path, root: Path | None = None, base_iri: str | None = None) -> Path:
    """The store folder of a data location (beside its index)."""
    return _paths(Path(source).absolute(), root, _base(base_iri))[1]


def graph_iri(base_iri: str, name: str) -> str:
    """The IRI of a graph of the store: ``shared``, ``documents``, ``links`` or ``plan/{id}``."""
    return f"{base_iri}graph/{name}"


def _version() -> str:
    import pyoxigraph

    from .. import __version__

    return f"{FORMAT_VERSION}/{__version__}/pyoxigraph-{pyoxigraph.__version__}"


# --------------------------------------------------------------------------- Turtle chunks

def turtle_prefixes(base_iri: str | None = None) -> dict[str, str]:
    """The prefixes every chunk is written with, declared once at the top of a Turtle export."""
    from ..ontology import PREFIXES

    base = _base(base_iri)
    prefixes = {**PREFIXES, "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
                "xsd": "http://www.w3.org/2001/XMLSchema#",
                **{p: f"{base}{p}/" for p in ("agency", "document", "sector")}}
    return dict(sorted(prefixes.items()))


def _header(base: str, prefixes: Mapping[str, str] | None = None) -> bytes:
    """The prefix lines of :func:`turtle_prefixes` (or of ``prefixes``), that chunks are read under."""
    from ..graph.turtle import prefix_lines  # imported on use: policykg.graph imports rdflib

    return prefix_lines(turtle_prefixes(base) if prefixes is None else prefixes).encode()


def _shortener(base: str):
    """The chunks' :class:`policykg.graph.turtle.Shortener`: the prefixes of :func:`turtle_prefixes`."""
    from ..graph.turtle import Shortener

    return Shortener(turtle_prefixes(base))


def _turtle(triples: Iterable[tuple[str, str, str]], short) -> tuple[bytes, int]:
    """A chunk: Turtle of N-Triples-form triples in N-Triples line order, without prefix lines; and the count.

    Written by :func:`policykg.graph.turtle.turtle_chunk`: subject blocks end with
    `` .`` and are separated by a blank line, so chunks join with a blank line
    into one document.
    """
    from ..graph.turtle import turtle_chunk

    return turtle_chunk(triples, short)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _document_hash(document) -> str:
    return hashlib.sha256(repr(dataclasses.astuple(document)).encode()).hexdigest()[:32]


@dataclasses.dataclass
class _PlanChunk:
    """What compiling one plan file leaves for the chunk database."""

    digest: str
    triples: int
    ttl: bytes                                 # compressed
    documents: list[tuple]                     # (id, number, hash, triples, ttl compressed)
    agencies: list[str]
    sectors: list[str]
    index_rows: tuple | None = None            # the plan's rows for the SQLite index, when asked for


#: One shortener per base IRI in each worker process: vocabulary and agency terms recur from file to file.
_SHORTENERS: dict[str, Any] = {}


def _compile_file(job: tuple[str, str, bool]):
    """Parse one input file and, for a valid plan, compile its chunks.  Runs in worker processes.

    Returns the ParsedFile, with the plan stripped to its head and documents (all
    the parent needs to validate and link; the body travels as the chunk), and
    the :class:`_PlanChunk` (None for other files or files with problems).  With
    ``index_rows`` (the third item of ``job``) the chunk also carries the plan's
    rows for the index (:func:`.index.plan_rows`), made here from the same parse:
    plain tuples cross between processes far faster than the model's objects.
    """
    from .. import loader
    from ..graph.compile import iter_document_triples, iter_plan_triples

    name, base, index_rows = job
    pf = loader.parse_file(Path(name))
    if pf.kind != "plan" or pf.plan is None or pf.problems:
        return pf, None
    plan = pf.plan
    short = _SHORTENERS.get(base) or _SHORTENERS.setdefault(base, _shortener(base))
    ttl, count = _turtle(iter_plan_triples(plan, base, "ntriples"), short)
    documents = []
    for d in plan.documents:
        dttl, dcount = _turtle(iter_document_triples([d], base, "ntriples"), short)
        documents.append((d.id, d.number, _document_hash(d), dcount, zlib.compress(dttl, _ZLIB_LEVEL)))
    chunk = _PlanChunk(_digest(ttl), count, zlib.compress(ttl, _ZLIB_LEVEL), documents,
                       sorted({r[0] for r in pf.refs.get("agencies", ())}),
                       sorted({r[0] for r in pf.refs.get("sectors", ())}))
    if index_rows:
        from .index import plan_rows

        chunk.index_rows = plan_rows(plan)
    pf.plan = dataclasses.replace(plan, sections=(), measures=(), targets=())
    return pf, chunk


def _compile_files(names: list[str], base: str, workers: int | None, progress: Progress | None,
                   index_rows: bool = False) -> list:
    """Every file through :func:`_compile_file`, on every core when there are many."""
    jobs = [(n, base, index_rows) for n in names]
    workers = workers or os.cpu_count() or 1
    out = []
    if workers <= 1 or len(jobs) < PARALLEL_MIN_FILES:
        results: Iterable = map(_compile_file, jobs)
        pool = None
    else:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=workers)
        results = pool.map(_compile_file, jobs, chunksize=max(1, min(8, len(jobs) // (workers * 16))))
    try:
        for i, result in enumerate(results, 1):
            out.append(result)
            if progress:
                progress(i, len(jobs), "compile")
    finally:
        if pool is not None:
            pool.shutdown()
    return out


# --------------------------------------------------------------------------- the chunk database


def _connect(path: Path | str) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), timeout=60)
    db.execute("PRAGMA journal_mode = DELETE")
    return db


def _put_plan(db: sqlite3.Connection, path: str, plan, chunk: _PlanChunk) -> None:
    db.execute("INSERT INTO plans VALUES (?,?,?,?)", (plan.id, plan.number, plan.date.isoformat(), path))
    db.execute("INSERT INTO graphs VALUES (?,?,?,?)", (f"plan/{plan.id}", chunk.digest, chunk.triples, chunk.ttl))
    db.executemany("INSERT INTO plan_documents VALUES (?,?,?,?,?,?)",
                   [(plan.id, *d) for d in chunk.documents])
    db.executemany("INSERT INTO refs VALUES (?,?,?)", [(plan.id, "agency", a) for a in chunk.agencies]
                   + [(plan.id, "sector", s) for s in chunk.sectors])


def _drop_plan(db: sqlite3.Connection, plan_id: str) -> None:
    db.execute("DELETE FROM plans WHERE id = ?", (plan_id,))
    db.execute("DELETE FROM graphs WHERE name = ?", (f"plan/{plan_id}",))
    db.execute("DELETE FROM plan_documents WHERE plan = ?", (plan_id,))
    db.execute("DELETE FROM refs WHERE plan = ?", (plan_id,))


def _put_graph(db: sqlite3.Connection, name: str, ttl: bytes, count: int) -> None:
    db.execute("INSERT OR REPLACE INTO graphs VALUES (?,?,?,?)",
               (name, _digest(ttl), count, zlib.compress(ttl, _ZLIB_LEVEL)))


def _put_authority(db: sqlite3.Connection, ds, base: str) -> None:
    from ..graph.compile import iter_authority_triples

    db.execute("DELETE FROM authority")
    db.executemany("INSERT INTO authority VALUES (?,?)", [(a, "agency") for a in ds.agencies]
                   + [(s, "sector") for s in ds.sectors])
    _put_graph(db, "shared", *_turtle(iter_authority_triples(ds, base, "ntriples"), _shortener(base)))


def _refresh_documents(db: sqlite3.Connection, ids: Iterable[str] | None, base: str) -> None:
    """Each document as its first registrant (plans by date, then id) defines it, as Dataset.documents() merges."""
    where, args = "", []
    if ids is not None:
        ids = sorted(set(ids))
        if not ids:
            return
        db.execute("CREATE TEMP TABLE IF NOT EXISTS touched (id TEXT PRIMARY KEY)")
        db.execute("DELETE FROM touched")
        db.executemany("INSERT INTO touched VALUES (?)", [(i,) for i in ids])
        db.execute("DELETE FROM documents WHERE id IN (SELECT id FROM touched)")
        where = "WHERE d.document IN (SELECT id FROM touched)"
    else:
        db.execute("DELETE FROM documents")
    db.execute(
        "INSERT INTO documents SELECT document, '<' || ? || document || '>', plan, hash, number, triples, ttl FROM ("
        "SELECT d.*, ROW_NUMBER() OVER (PARTITION BY d.document ORDER BY p.date, p.id) AS r "
        f"FROM plan_documents d JOIN plans p ON p.id = d.plan {where}) WHERE r = 1",
        [f"{base}document/", *args])


def _refresh_links(db: sqlite3.Connection, base: str) -> None:
    from ..graph.compile import iter_link_triples

    documents = list(db.execute("SELECT id, number FROM documents ORDER BY id"))
    plans = list(db.execute("SELECT id, number FROM plans ORDER BY id"))
    _put_graph(db, "links", *_turtle(iter_link_triples((documents, plans), base, "ntriples"), _shortener(base)))


def _build_db(files: list, path: Path, base: str, workers: int | None, progress: Progress | None,
              results: list | None = None, ds=None) -> None:
    """Compile every input from scratch into a fresh chunk database that replaces the one at ``path``.

    ``results`` and ``ds``: what :func:`_compile_files` and the loader made of
    ``files`` already (see :func:`policykg.query.build.compile_all`), else made here.
    """
    from .. import loader

    if results is None:
        results = _compile_files([f.path for f in files], base, workers, progress)
    parsed = [pf for pf, _ in results]
    if ds is None:
        ds = loader.assemble(parsed)  # raises DataError before anything is written
    chunks = {pf.name: chunk for pf, chunk in results}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        db = _connect(tmp)
        try:
            db.executescript(_SCHEMA)
            with db:
                db.executemany("INSERT INTO meta VALUES (?,?)", [("version", _version()), ("base_iri", base)])
                db.executemany("INSERT INTO inputs VALUES (?,?,?,?,?,?)", [
                    (f.path, f.size, f.mtime_ns, f.digest(), pf.kind, pf.plan.id if pf.plan else None)
                    for f, pf in zip(files, parsed)])
                for pf in parsed:
                    if pf.plan is not None:
                        _put_plan(db, pf.name, pf.plan, chunks[pf.name])
                _put_authority(db, ds, base)
                _refresh_documents(db, None, base)
                _refresh_links(db, base)
        finally:
            db.close()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _authority_stubs(db: sqlite3.Connection) -> list:
    """The stored authority ids, to validate changed plans against (see :func:`.index.authority_stubs`)."""
    from .index import authority_stubs

    rows = list(db.execute("SELECT kind, id FROM authority ORDER BY kind, id"))
    return authority_stubs([i for k, i in rows if k == "agency"], [i for k, i in rows if k == "sector"])


def _update_db(db: sqlite3.Connection, files: list, base: str, workers: int | None, progress: Progress | None,
               source: Path) -> bool:
    """Bring an intact chunk database up to date; False if only a rebuild will do."""
    from .. import loader

    stored = {r[0]: r[1:] for r in db.execute("SELECT path, size, mtime_ns, sha256, kind, plan FROM inputs")}
    now = {f.path: f for f in files}
    # only files whose size or mtime moved are hashed
    moved = [f for f in files if f.path not in stored or stored[f.path][:2] != (f.size, f.mtime_ns)]
    changed = [f for f in moved if f.path not in stored or stored[f.path][2] != f.digest()]
    removed = [p for p in stored if p not in now]
    touched = [f for f in moved if f not in changed]
    results = _compile_files([f.path for f in changed], base, workers, progress)
    parsed = [pf for pf, _ in results]
    chunks = {pf.name: chunk for pf, chunk in results}
    authority_kinds = ("agencies", "sectors")
    if any(pf.kind == "plan" and stored.get(pf.name, (0, 0, "", "plan"))[3] != "plan" for pf in parsed):
        return False  # an authority file became a plan: start afresh
    authority_changed = any(stored[p][3] in authority_kinds for p in removed) or any(
        pf.kind in authority_kinds or stored.get(pf.name, (0, 0, "", None))[3] in authority_kinds for pf in parsed)
    plans_changed = [pf for pf in parsed if pf.kind not in authority_kinds]
    gone = {stored[p][4] for p in removed} | {stored[f.path][4] for f in changed if f.path in stored}
    gone.discard(None)
    if authority_changed:
        names = sorted({p for p, row in stored.items() if row[3] in authority_kinds and p in now}
                       | {pf.name for pf in parsed if pf.kind in authority_kinds})
        by_name = {pf.name: pf for pf in parsed}
        authority = [by_name.get(n) or loader.parse_file(Path(n)) for n in names]
        ds = loader.assemble(authority + plans_changed)
        known = {("agency", a) for a in ds.agencies} | {("sector", s) for s in ds.sectors}
        kept = [r for r in db.execute("SELECT plan, kind, id FROM refs") if r[0] not in gone]
        if any((kind, i) not in known for _, kind, i in kept):
            loader.load(source)  # names file, line and field of each reference the new authority breaks
            raise DataError([Problem(str(source), None, None, "the authority no longer names every agency the plans do")])
    else:
        ds = loader.assemble(_authority_stubs(db) + plans_changed)
    clash = {pid: path for pid, path in db.execute("SELECT id, path FROM plans") if pid not in gone}
    dupes = [Problem(pf.name, None, "plan.id", f"duplicate plan id {pf.plan.id!r} (also in {clash[pf.plan.id]})")
             for pf in plans_changed if pf.plan and pf.plan.id in clash]
    if dupes:
        raise DataError(dupes)
    with db:
        affected = {d for (d,) in db.execute(
            f"SELECT document FROM plan_documents WHERE plan IN ({','.join('?' * len(gone))})", sorted(gone))}
        for pid in gone:
            _drop_plan(db, pid)
        for pf in plans_changed:
            _put_plan(db, pf.name, pf.plan, chunks[pf.name])
            affected.update(d[0] for d in chunks[pf.name].documents)
        if authority_changed:
            _put_authority(db, ds, base)
        if gone or plans_changed:
            _refresh_documents(db, affected, base)
            _refresh_links(db, base)
        db.executemany("DELETE FROM inputs WHERE path = ?", [(p,) for p in removed])
        db.executemany("INSERT OR REPLACE INTO inputs VALUES (?,?,?,?,?,?)", [
            (now[pf.name].path, now[pf.name].size, now[pf.name].mtime_ns, now[pf.name].digest(), pf.kind,
             pf.plan.id if pf.plan else None) for pf in parsed])
        db.executemany("UPDATE inputs SET size = ?, mtime_ns = ? WHERE path = ?",
                       [(f.size, f.mtime_ns, f.path) for f in touched])
    return True


def _graph_state(db: sqlite3.Connection) -> dict[str, Any]:
    """What the store must hold: each graph's digest, and each document's."""
    return {"graphs": dict(db.execute("SELECT name, digest FROM graphs")),
            "documents": dict(db.execute("SELECT id, hash FROM documents"))}


# --------------------------------------------------------------------------- sidecar


def _fingerprint(folder: Path) -> dict[str, list[int]]:
    """Size and mtime of every file of the store folder that only a write changes."""
    out = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(_VOLATILE) or not entry.is_file(follow_symlinks=False):
                continue
            st = entry.stat(follow_symlinks=False)
            out[entry.name] = [st.st_size, st.st_mtime_ns]
    return out


def _file_mark(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


class _Sidecar:
    """The record of what policykg last wrote: chunk database mark, store files, what the store holds."""

    def __init__(self, path: Path, base: str):
        self.path, self.base = path, base
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != _version() or data.get("base_iri") != base:
                raise ValueError("another version")
        except (OSError, ValueError, AttributeError):
            data = {}
        self.db: list[int] | None = data.get("db")
        self.store: dict | None = data.get("store")
        self.loaded: dict | None = data.get("loaded")

    def db_ok(self, db_path: Path) -> bool:
        return self.db is not None and self.db == _file_mark(db_path)

    def store_ok(self, folder: Path) -> bool:
        try:
            return self.store is not None and self.loaded is not None and self.store == _fingerprint(folder)
        except OSError:
            return False

    def save(self) -> None:
        from ..atomic import write_text

        write_text(self.path, json.dumps({"version": _version(), "base_iri": self.base, "db": self.db,
                                          "store": self.store, "loaded": self.loaded}, separators=(",", ":")))


# --------------------------------------------------------------------------- the store


def _open_db_checked(db_path: Path, sidecar: _Sidecar, writable: bool = False) -> sqlite3.Connection | None:
    if not sidecar.db_ok(db_path):
        return None
    try:
        db = _connect(db_path) if writable else sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=60)
        meta = dict(db.execute("SELECT key, value FROM meta"))
        if meta.get("version") != _version() or meta.get("base_iri") != sidecar.base:
            db.close()
            return None
        return db
    except sqlite3.Error:
        return None


def _open_store_read_only(folder: Path, sidecar: _Sidecar):
    """The store opened read-only, or None if it fails to open or to read."""
    import pyoxigraph as ox

    try:
        store = ox.Store.read_only(str(folder))
        if "shared" in sidecar.loaded.get("graphs", {}) and \
                not store.contains_named_graph(ox.NamedNode(graph_iri(sidecar.base, "shared"))):
            return None
        if sum(size for size, _ in sidecar.store.values()) <= FULL_CHECK_MAX_BYTES:
            store.dump(_Discard(), ox.RdfFormat.N_QUADS)  # reads every block: RocksDB checks each checksum
        return store
    except (OSError, RuntimeError, ValueError, SyntaxError):
        return None


class _Discard(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return len(data)


def _chunk(db: sqlite3.Connection, name: str) -> bytes:
    row = db.execute("SELECT ttl FROM graphs WHERE name = ?", (name,)).fetchone()
    return zlib.decompress(row[0]) if row else b""


def _documents_chunk(db: sqlite3.Connection, ids: Iterable[str] | None = None) -> bytes:
    """The documents graph (or some documents of it) as one chunk, in N-Triples line order."""
    if ids is None:
        rows = db.execute("SELECT ttl FROM documents ORDER BY subject")
    else:
        wanted = set(ids)
        rows = [(ttl,) for i, ttl in db.execute("SELECT id, ttl FROM documents ORDER BY subject") if i in wanted]
    return b"\n".join(zlib.decompress(ttl) for (ttl,) in rows)


def _graph_order(db: sqlite3.Connection) -> list[str]:
    """Graph names in export order: shared, documents, links, then plans by id."""
    plans = [n for (n,) in db.execute("SELECT name FROM graphs WHERE name LIKE 'plan/%' ORDER BY name")]
    return ["shared", "documents", "links", *plans]


def _trig_batches(db: sqlite3.Connection, base: str, progress: Progress | None) -> Iterator[Iterator[bytes]]:
    """Every graph as TriG, in batches of about :data:`BULK_BATCH_TRIPLES` triples.

    Each batch is the prefixes, then one ``GRAPH <g> { … }`` block per graph; one
    bulk load per batch keeps the loader's memory near 400 MB whatever the corpus.
    """
    names = _graph_order(db)
    counts = dict(db.execute("SELECT name, triples FROM graphs"))
    counts["documents"] = int(db.execute("SELECT TOTAL(triples) FROM documents").fetchone()[0])
    header = _header(base)
    done = 0

    def batch(group: list[str]) -> Iterator[bytes]:
        nonlocal done
        yield header
        for name in group:
            body = _documents_chunk(db) if name == "documents" else _chunk(db, name)
            if body:
                yield f"\nGRAPH <{graph_iri(base, name)}> {{\n".encode() + body + b"}\n"
            done += 1
            if progress:
                progress(done, len(names), "load")

    group: list[str] = []
    size = 0
    for name in names:
        group.append(name)
        size += counts.get(name, 0)
        if size >= BULK_BATCH_TRIPLES:
            yield batch(group)
            group, size = [], 0
    if group:
        yield batch(group)


class _StreamReader(io.RawIOBase):
    """A binary file over an iterator of byte chunks, so pyoxigraph reads as they are made."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._buffer = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buffer = memoryview(chunk)
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def _close(holder: dict) -> None:
    """Close the store in ``holder`` now: pyoxigraph has no close(), RocksDB shuts down with the last
    reference, so a writable store lives only in this dict (no other name may hold it).

    Flushed first: a write-ahead log left behind is replayed by every read-only
    open after (50–100 ms on a 1,000-plan store, against 15 ms without).
    """
    store = holder.pop("store", None)
    if store is not None:
        with contextlib.suppress(OSError, RuntimeError):
            store.flush()
    del store


def _build_store(db: sqlite3.Connection, folder: Path, base: str, progress: Progress | None) -> None:
    """Bulk-load every chunk into a fresh store folder that replaces the one at ``folder``."""
    import pyoxigraph as ox

    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    holder: dict[str, Any] = {}
    try:
        holder["store"] = ox.Store(str(tmp))
        for batch in _trig_batches(db, base, progress):
            # lenient: the chunks come from compile.py, whose IRIs and literals are already checked
            holder["store"].bulk_load(io.BufferedReader(_StreamReader(batch), 1 << 20), ox.RdfFormat.TRIG,
                                      lenient=True)
        _close(holder)
        if folder.exists():
            old = folder.with_name(f".{folder.name}.{os.getpid()}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.rename(folder, old)
            os.rename(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, folder)
    except BaseException:
        _close(holder)
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _sync_store(db: sqlite3.Connection, folder: Path, sidecar: _Sidecar, base: str, progress: Progress | None) -> None:
    """Make the store hold what the chunks say: graph by graph if few changed, else a fresh bulk load."""
    import pyoxigraph as ox

    want = _graph_state(db)
    have = sidecar.loaded if sidecar.store_ok(folder) else None
    if have is not None and have == want:
        return
    counts = dict(db.execute("SELECT name, triples FROM graphs"))
    total = sum(counts.values()) + (db.execute("SELECT TOTAL(triples) FROM documents").fetchone()[0] or 0)
    if have is not None:
        graphs = sorted(n for n in want["graphs"].keys() | have["graphs"].keys()
                        if want["graphs"].get(n) != have["graphs"].get(n))
        documents = sorted(d for d in want["documents"].keys() | have["documents"].keys()
                           if want["documents"].get(d) != have["documents"].get(d))
        work = sum(counts.get(n, 0) for n in graphs) + 10 * len(documents)
        if work > RELOAD_SHARE * max(total, 1):
            have = None
    sidecar.store, sidecar.loaded = None, None
    sidecar.save()  # from here until the end, nobody serves this store
    if have is not None:
        holder: dict[str, Any] = {}
        try:
            holder["store"] = ox.Store(str(folder))
            _update_store(holder["store"], db, base, graphs, documents, want, progress)
        except (OSError, RuntimeError):  # the store failed under us: build it afresh
            have = None
        finally:
            _close(holder)
    if have is None:
        _build_store(db, folder, base, progress)
    sidecar.store, sidecar.loaded = _fingerprint(folder), want
    sidecar.save()


def _update_store(store, db: sqlite3.Connection, base: str, graphs: list[str], documents: list[str],
                  want: Mapping, progress: Progress | None) -> None:
    import pyoxigraph as ox

    header = _header(base)
    for i, name in enumerate(graphs, 1):
        g = ox.NamedNode(graph_iri(base, name))
        store.remove_graph(g)
        if name in want["graphs"]:
            store.load(header + _chunk(db, name), ox.RdfFormat.TURTLE, to_graph=g)
        if progress:
            progress(i, len(graphs), "load")
    if documents:
        g = graph_iri(base, "documents")
        values = " ".join(f"<{base}document/{d}>" for d in documents)
        store.update(f"DELETE {{ GRAPH <{g}> {{ ?d ?p ?o }} }} WHERE {{ VALUES ?d {{ {values} }} "
                     f"GRAPH <{g}> {{ ?d ?p ?o }} }}")
        body = _documents_chunk(db, documents)
        if body:
            store.load(header + body, ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(g))


# --------------------------------------------------------------------------- the compiled data


class Compiled:
    """The compiled RDF of one data source: chunks on disk, kept fresh; the store on demand.

    Made by :func:`compile_rdf`.  ``store()`` opens the SPARQL store (built or
    updated from the chunks as needed); the export methods write the chunks.
    """

    def __init__(self, source: Path, base: str, db_path: Path, folder: Path, sidecar_path: Path,
                 files: list, db: sqlite3.Connection | None = None, memory: bool = False):
        self.source, self.base_iri = source, base
        self._db_path, self._folder, self._sidecar_path = db_path, folder, sidecar_path
        self._files = files
        self._db = db
        self._memory = memory
        self._store = None

    def __repr__(self) -> str:
        return f"Compiled({str(self.source)!r})"

    # -- chunks
    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(f"file:{self._db_path}?mode=ro", uri=True, timeout=60)
        return self._db

    def plans(self) -> list[str]:
        """Ids of the plans, sorted."""
        return [p for (p,) in self.db.execute("SELECT id FROM plans ORDER BY id")]

    def triples(self) -> int:
        """How many triples the graphs hold together."""
        return int(self.db.execute("SELECT TOTAL(triples) FROM graphs").fetchone()[0]
                   + self.db.execute("SELECT TOTAL(triples) FROM documents").fetchone()[0])

    def graphs(self) -> Iterator[tuple[str, int, bytes]]:
        """(graph IRI, triple count, Turtle with its prefixes) for each graph, in export order: for :mod:`policykg.push`."""
        header = _header(self.base_iri)
        for name in _graph_order(self.db):
            if name == "documents":
                count = int(self.db.execute("SELECT TOTAL(triples) FROM documents").fetchone()[0])
                body = _documents_chunk(self.db)
            else:
                row = self.db.execute("SELECT triples, ttl FROM graphs WHERE name = ?", (name,)).fetchone()
                count, body = (row[0], zlib.decompress(row[1])) if row else (0, b"")
            yield graph_iri(self.base_iri, name), count, header + body

    def _bodies(self, progress: Progress | None) -> Iterator[bytes]:
        names = _graph_order(self.db)
        for i, name in enumerate(names, 1):
            body = _documents_chunk(self.db) if name == "documents" else _chunk(self.db, name)
            if body:
                yield body
            if progress:
                progress(i, len(names), "export")

    def export_turtle(self, out: BinaryIO, progress: Progress | None = None,
                      extra: Iterable[tuple[str, str, str]] = (),
                      extra_prefixes: Mapping[str, str] | None = None) -> int:
        """Write every triple as one Turtle document; returns the number of triples written.

        The prefixes of :func:`turtle_prefixes` are declared once; then each graph
        (shared, documents, links, plans by id), triples in N-Triples line order
        within it.  ``extra`` triples (in N-Triples form: the ontology's, say)
        follow as one more graph, by the same writer; those of ``extra_prefixes``
        that shorten one of them are declared in the same header.  The same data
        gives the same bytes.
        """
        from ..graph.turtle import Shortener, turtle_chunk

        prefixes = turtle_prefixes(self.base_iri)
        tail, count = b"", 0
        extra = list(extra)
        if extra:
            more = {p: ns for p, ns in (extra_prefixes or {}).items()
                    if p not in prefixes and ns not in prefixes.values()}
            short = Shortener({**prefixes, **more})
            tail, count = turtle_chunk(extra, short)
            prefixes = dict(sorted({**prefixes, **short.used()}.items()))
        _write(out, _header(self.base_iri, prefixes))
        for body in self._bodies(progress):
            _write(out, b"\n" + body)
        if tail:
            _write(out, b"\n" + tail)
        return self.triples() + count

    def export_ntriples(self, out: BinaryIO, progress: Progress | None = None,
                        extra: Iterable[tuple[str, str, str]] = ()) -> int:
        """Write every triple (and ``extra`` ones, in N-Triples form) as N-Triples; returns the line count.

        Lines are sorted (as ``LC_ALL=C sort`` orders them), each once, in the
        compiler's exact terms: what :func:`policykg.exporters.export` writes as
        ``nt`` for the same data, byte for byte.  The chunks, each in line order
        already, are merged a subject at a time (:func:`policykg.graph.turtle.merge_blocks`);
        a graph is read only when the merge reaches its first subject, so memory
        stays near that of the largest graph, not of the whole export.
        """
        from ..graph.turtle import Expander, merge_blocks, ntriples_blocks, triple_blocks

        db = self.db
        expand = Expander(turtle_prefixes(self.base_iri))
        names = _graph_order(db)
        rows = sorted(set(extra))
        total, opened = len(names) + bool(rows), [0]

        def first_subject(blob: bytes | None) -> str | None:
            """The first subject of a compressed chunk, decompressing no more than its first line."""
            if not blob:
                return None
            reader = zlib.decompressobj()
            head = reader.decompress(blob, 4096)
            while b"\n" not in head and reader.unconsumed_tail:
                head += reader.decompress(reader.unconsumed_tail, 4096)
            line = head.split(b"\n", 1)[0]
            return expand(line.decode("utf-8")) if line else None

        def reached() -> None:
            opened[0] += 1
            if progress:
                progress(opened[0], total, "export")

        def graph_blocks(name: str) -> Iterator[tuple[str, str]]:
            reached()
            return ntriples_blocks(_chunk(db, name).decode("utf-8"), expand)

        def document_blocks() -> Iterator[tuple[str, str]]:
            reached()
            for (ttl,) in db.execute("SELECT ttl FROM documents ORDER BY subject"):
                yield from ntriples_blocks(zlib.decompress(ttl).decode("utf-8"), expand)

        def extra_blocks() -> Iterator[tuple[str, str]]:
            reached()
            return triple_blocks(rows)

        runs = []
        for name in names:
            if name == "documents":
                row = db.execute("SELECT ttl FROM documents ORDER BY subject LIMIT 1").fetchone()
                runs.append((first_subject(row and row[0]), document_blocks))
            else:
                row = db.execute("SELECT ttl FROM graphs WHERE name = ?", (name,)).fetchone()
                runs.append((first_subject(row and row[0]), lambda name=name: graph_blocks(name)))
        if rows:
            runs.append((rows[0][0], extra_blocks))
        count, pieces, size = 0, [], 0
        for block in merge_blocks(runs):
            pieces.append(block)
            size += len(block)
            if size >= 1 << 20:
                text = "".join(pieces)
                count += text.count("\n")
                _write(out, text.encode("utf-8"))
                pieces.clear()
                size = 0
        text = "".join(pieces)
        count += text.count("\n")
        _write(out, text.encode("utf-8"))
        if progress and opened[0] < total:
            progress(total, total, "export")
        return count

    def to_rdflib(self, plans: Iterable[str] | None = None):
        """An :class:`rdflib.Graph` of everything, or of some plans, for code written against rdflib's API.

        ``plans`` None gives the graph :func:`policykg.graph.compile_graph` makes of
        the whole data; plan ids give what it makes of those plans alone (with the
        authority, the documents they register and the links among them).
        rdflib holds each triple as Python objects: right for a selection, slow and
        large for millions of triples (query :meth:`store` instead, or wrap it with
        the oxrdflib plugin to keep rdflib's API over pyoxigraph).
        """
        from rdflib import Graph

        from ..graph.compile import iter_link_triples
        from ..ontology import PREFIXES

        graph = Graph(bind_namespaces="core")
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace)
        for prefix in ("agency", "document", "sector"):
            graph.bind(prefix, f"{self.base_iri}{prefix}/")
        header = _header(self.base_iri)
        if plans is None:
            bodies = list(self._bodies(None))
        else:
            plans = sorted(set(plans))
            unknown = sorted(set(plans) - set(self.plans()))
            if unknown:
                raise UsageError(f"no plan {unknown[0]!r} in the data")
            marks = ",".join("?" * len(plans))
            # the documents these plans register, each as the first of them (by date, id) defines it
            rows = self.db.execute(
                "SELECT document, number, ttl FROM (SELECT d.document, d.number, d.ttl, ROW_NUMBER() OVER "
                "(PARTITION BY d.document ORDER BY p.date, p.id) AS r FROM plan_documents d JOIN plans p "
                f"ON p.id = d.plan WHERE d.plan IN ({marks})) WHERE r = 1 ORDER BY document", plans).fetchall()
            numbers = list(self.db.execute(f"SELECT id, number FROM plans WHERE id IN ({marks})", plans))
            links, _ = _turtle(iter_link_triples(([(d, n) for d, n, _ in rows], numbers), self.base_iri, "ntriples"),
                               _shortener(self.base_iri))
            bodies = [_chunk(self.db, "shared"), *(zlib.decompress(t) for _, _, t in rows), links,
                      *(_chunk(self.db, f"plan/{p}") for p in plans)]
        graph.parse(data=(header + b"\n".join(bodies)).decode("utf-8"), format="turtle")
        return graph

    # -- store
    def store(self, progress: Progress | None = None):
        """The pyoxigraph store of these graphs, read-only; built or updated from the chunks first if needed."""
        if self._store is not None:
            return self._store
        if self._memory:
            self._store = _memory_store(self.db, self.base_iri)
            return self._store
        sidecar = _Sidecar(self._sidecar_path, self.base_iri)
        if sidecar.store_ok(self._folder) and sidecar.loaded == _graph_state(self.db):
            store = _open_store_read_only(self._folder, sidecar)
            if store is not None:
                self._store = store
                return store
        from .index import _build_lock

        try:
            with _build_lock(self._db_path):
                sidecar = _Sidecar(self._sidecar_path, self.base_iri)
                db = _open_db_checked(self._db_path, sidecar)
                if db is not None:
                    try:
                        _sync_store(db, self._folder, sidecar, self.base_iri, progress)
                    finally:
                        db.close()
        except (OSError, OutputError):
            self._store = _memory_store(self.db, self.base_iri)
            return self._store
        if db is None:  # the chunks changed under us: bring them up to date first
            return compile_rdf(self.source, self._db_path.parent, self.base_iri, progress).store(progress)
        sidecar = _Sidecar(self._sidecar_path, self.base_iri)
        store = _open_store_read_only(self._folder, sidecar) if sidecar.store_ok(self._folder) else None
        self._store = store if store is not None else _memory_store(self.db, self.base_iri)
        return self._store


def _memory_store(db: sqlite3.Connection, base: str):
    import pyoxigraph as ox

    store = ox.Store()
    for batch in _trig_batches(db, base, None):
        store.bulk_load(b"".join(batch), ox.RdfFormat.TRIG, lenient=True)
    return store


def compile_rdf(data: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None,
                base_iri: str | None = None, progress: Progress | None = None,
                workers: int | None = None) -> Compiled:
    """The compiled RDF of ``data`` (a plan file or folder; None = the embedded plan), chunks up to date.

    Compiled when missing or damaged, updated plan by plan when input content
    changed.  Raises DataError when the data itself is invalid.  An unwritable
    cache folder does not stop anything: the chunks are then compiled in memory.
    """
    from ..sources import default_data_dir, discover_names
    from .index import _build_lock, _Input

    base = _base(base_iri)
    source = (Path(data) if data is not None else default_data_dir()).absolute()
    files = [_Input(p) for p in discover_names(source)]  # absolute: source is
    db_path, folder, sidecar_path = _paths(source, Path(cache_dir) if cache_dir else None, base)
    if _fresh_db(db_path, sidecar_path, base, files):
        return Compiled(source, base, db_path, folder, sidecar_path, files)
    try:
        with _build_lock(db_path):
            sidecar = _Sidecar(sidecar_path, base)
            db = _open_db_checked(db_path, sidecar, writable=True)
            if db is not None and _inputs_fresh(db, files):
                db.close()
            else:
                updated = False
                if db is not None:
                    sidecar.db = None
                    sidecar.save()  # from here until the end, nobody serves these chunks
                    try:
                        updated = _update_db(db, files, base, workers, progress, source)
                    except DataError:
                        sidecar.db = _file_mark(db_path)
                        sidecar.save()  # nothing was written: the chunks stand as they were
                        raise
                    except sqlite3.Error:  # damaged in a way the marks did not show: compile afresh
                        updated = False
                    finally:
                        db.close()
                if not updated:
                    _build_db(files, db_path, base, workers, progress)
                sidecar.db = _file_mark(db_path)
                sidecar.save()
    except (OSError, OutputError):  # an unwritable cache must not stop anything
        return _memory_compiled(source, base, files, workers, progress)
    if not _fresh_db(db_path, sidecar_path, base, files):  # altered again since: compile in memory
        return _memory_compiled(source, base, files, workers, progress)
    return Compiled(source, base, db_path, folder, sidecar_path, files)


def _inputs_fresh(db: sqlite3.Connection, files: list) -> bool:
    """True when every input has the size and mtime the chunks were compiled from (no hashing needed)."""
    stored = {p: (s, m) for p, s, m in db.execute("SELECT path, size, mtime_ns FROM inputs")}
    return len(stored) == len(files) and all(stored.get(f.path) == (f.size, f.mtime_ns) for f in files)


def _fresh_db(db_path: Path, sidecar_path: Path, base: str, files: list) -> bool:
    db = _open_db_checked(db_path, _Sidecar(sidecar_path, base))
    if db is None:
        return False
    try:
        return _inputs_fresh(db, files)
    except sqlite3.Error:
        return False
    finally:
        db.close()


def _memory_compiled(source: Path, base: str, files: list, workers: int | None, progress: Progress | None) -> Compiled:
    """The chunks compiled into memory, when the cache folder cannot be written."""
    fd, tmp = tempfile.mkstemp(suffix=".rdf.sqlite")
    os.close(fd)
    try:
        os.unlink(tmp)
        _build_db(files, Path(tmp), base, workers, progress)
        disk = sqlite3.connect(tmp)
        memory = sqlite3.connect(":memory:")
        disk.backup(memory)
        disk.close()
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return Compiled(source, base, Path(tmp), Path(tmp + ".oxigraph"), Path(tmp + ".json"), files, memory, True)


def open_store(data: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None,
               base_iri: str | None = None, progress: Progress | None = None, workers: int | None = None):
    """The pyoxigraph store of ``data`` (a plan file or folder; None = the embedded plan), read-only and fresh.

    Query it with :func:`query` (the union of its graphs).  Raises DataError when
    the data itself is invalid.
    """
    return compile_rdf(data, cache_dir, base_iri, progress, workers).store(progress)


# --------------------------------------------------------------------------- use


def query(store, sparql: str, bindings: Mapping[str, Any] | None = None):
    """Run a SELECT or ASK over the union of the store's graphs; a :class:`policykg.query.sparql.Result`."""
    from .sparql import LocalEngine

    return LocalEngine(store, "compiled store").query(sparql, bindings)


def export_turtle(out: BinaryIO, data: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None,
                  base_iri: str | None = None, progress: Progress | None = None) -> int:
    """Write the compiled graph of ``data`` as Turtle to a binary stream (see :meth:`Compiled.export_turtle`)."""
    return compile_rdf(data, cache_dir, base_iri, progress).export_turtle(out, progress)


def export_ntriples(out: BinaryIO, data: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None,
                    base_iri: str | None = None, progress: Progress | None = None) -> int:
    """Write the compiled graph of ``data`` as N-Triples to a binary stream (see :meth:`Compiled.export_ntriples`)."""
    return compile_rdf(data, cache_dir, base_iri, progress).export_ntriples(out, progress)


def to_rdflib(data: str | os.PathLike | None = None, plans: Iterable[str] | None = None,
              cache_dir: str | os.PathLike | None = None, base_iri: str | None = None):
    """An rdflib Graph of the compiled data, or of some plans (see :meth:`Compiled.to_rdflib`)."""
    return compile_rdf(data, cache_dir, base_iri).to_rdflib(plans)


def _write(out: BinaryIO, data: bytes) -> None:
    try:
        out.write(data)
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}") from None
