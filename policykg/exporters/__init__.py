"""Export a dataset to a file format: one module per format behind one registry.

Like rdflib's serializer plugins, each format is a module with one function,
``write(dataset, stream, options)``, that writes bytes to a binary stream;
:data:`FORMATS` names them and :func:`export` is the one entry point.  RDF
formats serialise the graph :func:`policykg.graph.compile_graph` made (they never
make triples), network formats the NetworkX view derived from it, and the tables
read the validated model, whose lead / support comes from ``policykg.roles``.

Every file is written through :mod:`policykg.atomic`: an error or an interrupt
leaves no half-written file and keeps an existing one intact.  Format modules are
imported on first use, so ``import policykg.exporters`` costs nothing heavy.
"""
from __future__ import annotations

import importlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from ..atomic import atomic_open
from ..errors import UsageError
from ..model import Dataset

__all__ = ["export", "Format", "FORMATS", "Options", "get_format", "guess_format"]


@dataclass(frozen=True)
class Format:
    """One export format: its name, file extension, media type and what it accepts."""

    name: str
    extension: str              # with the dot: ".ttl"
    media_type: str
    description: str
    module: str                 # module of this package with ``write(dataset, stream, options)``
    binary: bool = False        # cannot be printed: needs an output file
    rdf: bool = False           # an RDF syntax: accepts ``with_ontology``
    bom: bool = False           # accepts ``bom`` (a UTF-8 byte order mark for Excel)


@dataclass(frozen=True)
class Options:
    """Options passed to every format's ``write``; each reads the ones it uses."""

    base_iri: str
    with_ontology: bool = False
    bom: bool = False


#: Every export format by name, in the order help texts list them.
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("turtle", ".ttl", "text/turtle",
           "RDF Turtle, sorted (graph by graph from the compiled data) and byte-stable: the same data gives the same file", "turtle", rdf=True),
    Format("nt", ".nt", "application/n-triples", "RDF N-Triples, one triple a line, lines sorted",
           "ntriples", rdf=True),
    Format("jsonld", ".jsonld", "application/ld+json",
           "RDF JSON-LD with a compact @context of the project's prefixes", "jsonld", rdf=True),
    Format("graphml", ".graphml", "application/graphml+xml",
           "GraphML of the NetworkX view (yEd, Cytoscape, networkx.read_graphml)", "graphml"),
    Format("gexf", ".gexf", "application/gexf+xml",
           "GEXF 1.2 of the NetworkX view (Gephi, networkx.read_gexf)", "gexf"),
    Format("csv", ".csv", "text/csv",
           "responsibility table, one row per agency in a measure (UTF-8; --bom for Excel)",
           "csvtable", bom=True),
    Format("xlsx", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "Excel workbook: task division table (任务分工表) and measure × agency matrix",
           "xlsx", binary=True),
)}

#: Other names people type for a format.
ALIASES: dict[str, str] = {"ttl": "turtle", "n-triples": "nt", "ntriples": "nt", "json-ld": "jsonld"}


def get_format(name: str) -> Format:
    """The format called ``name`` (or an alias, any case); UsageError naming the known ones."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in FORMATS:
        raise UsageError(f"unknown export format {name!r}; known formats: {', '.join(FORMATS)}")
    return FORMATS[key]


def guess_format(path: str | os.PathLike) -> str | None:
    """The name of the format whose extension ``path`` has, or None."""
    suffix = Path(path).suffix.lower()
    suffix = {".json": ".jsonld", ".turtle": ".ttl"}.get(suffix, suffix)
    return next((f.name for f in FORMATS.values() if f.extension == suffix), None)


def _writer(spec: Format) -> Callable[[Dataset, BinaryIO, Options], None]:
    return importlib.import_module(f"{__name__}.{spec.module}").write


def export(dataset: Dataset, fmt: str, out: str | os.PathLike | None = None, *,
           base_iri: str | None = None, with_ontology: bool = False, bom: bool = False) -> bytes | None:
    """Export ``dataset`` as ``fmt``: write ``out`` atomically and return None, or return the bytes.

    ``base_iri`` (default :data:`policykg.graph.DEFAULT_BASE_IRI`) is the base of
    the IRIs in RDF and network formats; ``with_ontology`` adds the ontology's
    triples to an RDF format; ``bom`` starts a CSV file with a UTF-8 byte order
    mark.  Raises UsageError for an unknown format, an option the format does not
    take, or a binary format without ``out``; OutputError if ``out`` cannot be
    written (a previous file at ``out`` is then left as it was).
    """
    spec = get_format(fmt)
    if with_ontology and not spec.rdf:
        rdf = ", ".join(f.name for f in FORMATS.values() if f.rdf)
        raise UsageError(f"the ontology can be added only to RDF formats ({rdf}), not to {spec.name}")
    if bom and not spec.bom:
        raise UsageError(f"a byte order mark applies only to csv, not to {spec.name}")
    if spec.binary and out is None:
        raise UsageError(f"{spec.name} is a binary format: give an output file (-o FILE{spec.extension})")
    from ..graph.compile import DEFAULT_BASE_IRI, check_base_iri  # rdflib: only when exporting

    options = Options(check_base_iri(base_iri or DEFAULT_BASE_IRI), with_ontology, bom)
    write = _writer(spec)
    if out is None:
        buffer = io.BytesIO()
        write(dataset, buffer, options)
        return buffer.getvalue()
    with atomic_open(out, "wb") as stream:
        write(dataset, stream, options)
    return None
