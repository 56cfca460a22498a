"""Compile everything a data source needs, at once: the index, the RDF chunks and the store.

Each cache keeps itself fresh on first use: :func:`.index.open_index` for the
questions, :func:`.rdfstore.compile_rdf` for exports and SPARQL, and
:meth:`.rdfstore.Compiled.store` for the pyoxigraph store.  Built one after the
other from nothing, the index and the chunks would each parse every YAML file,
and YAML parsing is most of the cost.  :func:`compile_all` parses each file once
(on every core) for both when both are missing, then brings each cache up to
date the usual way, so it also serves as "make everything current" on data
already compiled, where it recompiles only what changed.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OutputError

__all__ = ["compile_all", "Built"]


@dataclass(frozen=True)
class Built:
    """The three compiled forms of one data source, all current."""

    index: Any        # policykg.query.store.Index
    compiled: Any     # policykg.query.rdfstore.Compiled
    store: Any        # pyoxigraph.Store, or None when not asked for

    def summary(self) -> dict[str, Any]:
        """What was compiled: plans, measures, agencies and triples, and the cache files."""
        plans = self.index.plans()
        c = self.compiled
        memory = getattr(c, "_memory", False)
        return {"plans": len(plans), "measures": sum(p["measures"] for p in plans),
                "agencies": len(self.index.agencies_by_id), "triples": c.triples(),
                "index": self.index.db.execute("PRAGMA database_list").fetchone()[2] or None,
                "chunks": None if memory else str(c._db_path),
                "store": None if memory or self.store is None else str(c._folder)}


def compile_all(data: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None,
                base_iri: str | None = None, progress=None, workers: int | None = None,
                store: bool = True) -> Built:
    """Make the index, the RDF chunks and (unless ``store`` is False) the store of ``data`` current.

    ``data`` is a plan file or folder (None: the embedded plan).  Raises DataError,
    naming every problem, when the data is invalid; nothing is written then.
    ``progress(done, total, stage)`` follows the work (stages ``compile`` and ``load``).
    """
    from ..sources import default_data_dir, discover_names
    from .index import _build_lock, _Input, _open_checked, index_path_for, open_index
    from .rdfstore import _base, _open_db_checked, _paths, _Sidecar, compile_rdf

    base = _base(base_iri)
    source = (Path(data) if data is not None else default_data_dir()).absolute()
    root = Path(cache_dir) if cache_dir else None
    index_path = index_path_for(source, root)
    db_path, _, sidecar_path = _paths(source, root, base)

    def cold() -> bool:
        """Neither the index nor the chunks can be updated: both need every file parsed."""
        for db in (_open_checked(index_path), _open_db_checked(db_path, _Sidecar(sidecar_path, base))):
            if db is not None:
                db.close()
                return False
        return True

    if cold():
        try:
            # the index's lock, then the chunks': the order every holder of both takes
            with _build_lock(index_path), _build_lock(db_path):
                if cold():  # nobody built either while we waited
                    files = [_Input(p) for p in discover_names(source)]
                    _build_both(files, index_path, db_path, sidecar_path, base, workers, progress)
        except (OSError, OutputError):
            pass  # an unwritable cache: the openers below answer from memory
    index = open_index(source, cache_dir, workers, progress)
    compiled = compile_rdf(source, cache_dir, base, progress, workers)
    return Built(index, compiled, compiled.store(progress) if store else None)


def _build_both(files: list, index_path: Path, db_path: Path, sidecar_path: Path, base: str,
                workers: int | None, progress) -> None:
    """One parse of every file, written into a fresh index and a fresh chunk database."""
    from .. import loader
    from .index import build_index
    from .rdfstore import _build_db, _compile_files, _file_mark, _Sidecar

    results = _compile_files([f.path for f in files], base, workers, progress, index_rows=True)
    ds = loader.assemble([pf for pf, _ in results])  # raises DataError before anything is written
    rows = {pf.plan.id: chunk.index_rows for pf, chunk in results if chunk is not None}
    build_index(files, index_path, parsed=[pf for pf, _ in results], ds=ds, rows=rows)
    _build_db(files, db_path, base, workers, progress, results=results, ds=ds)
    sidecar = _Sidecar(sidecar_path, base)
    sidecar.db = _file_mark(db_path)
    sidecar.save()
