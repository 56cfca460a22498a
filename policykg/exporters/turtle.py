"""Turtle: sorted and byte-stable, so the same data always gives the same file (fit for git).

Written from the sorted term table of :mod:`._rdf` by the one Turtle writer,
:mod:`policykg.graph.turtle`: one block per subject, in N-Triples order,
predicates and objects grouped with ``;`` and ``,``, IRIs shortened with the
prefixes that apply (declared only when used).  A local name is shortened only
when it is plain (letters, digits, ``_`` and ``-``, not starting with a digit or
``-``), so every Turtle parser, old ones included, reads it the same.
"""
from __future__ import annotations

import bisect
from typing import BinaryIO

from ..graph.turtle import RDF_TYPE, Shortener, prefix_lines, write_body
from ..model import Dataset
from . import Options
from ._rdf import SortedTriples, rdf_triples, sort_triples


def write(dataset: Dataset, stream: BinaryIO, options: Options) -> None:
    triples, prefixes = rdf_triples(dataset, options.base_iri, options.with_ontology)
    write_table(sort_triples(triples), prefixes, stream)


def write_table(table: SortedTriples, prefixes: dict[str, str], stream: BinaryIO) -> None:
    """Write ``table`` as Turtle to ``stream``, declaring the ``prefixes`` it uses."""
    short = Shortener(prefixes)
    # rdf:type is written "a" as a predicate, and in full elsewhere (where "a" is not Turtle),
    # so it alone declares no rdf: prefix.  The terms are sorted: it is found by bisection.
    terms = table.terms
    at = bisect.bisect_left(terms, RDF_TYPE)
    rdf_type = at if at < len(terms) and terms[at] == RDF_TYPE else None
    names = [term if i == rdf_type else short(term) for i, term in enumerate(terms)]
    used = short.used()
    head = prefix_lines(used) + ("\n" if used and len(table) else "")
    stream.write(head.encode("utf-8"))
    for piece in write_body(table, names.__getitem__, rdf_type):
        stream.write(piece.encode("utf-8"))
