"""N-Triples: one triple a line, lines sorted (``sort``, ``comm`` and ``diff`` work on it)."""
from __future__ import annotations

from typing import BinaryIO

from ..model import Dataset
from . import Options
from ._rdf import rdf_triples, sort_triples

_CHUNK = 1 << 16  # lines encoded and written at a time


def write(dataset: Dataset, stream: BinaryIO, options: Options) -> None:
    triples, _ = rdf_triples(dataset, options.base_iri, options.with_ontology)
    table = sort_triples(triples)
    terms = table.terms
    # Terms sort as their N-Triples forms, and no term is a prefix of another
    # followed by a character below the space: triples in table order are lines in sorted order.
    lines: list[str] = []
    for s, p, o in table:
        lines.append(f"{terms[s]} {terms[p]} {terms[o]} .\n")
        if len(lines) == _CHUNK:
            stream.write("".join(lines).encode("utf-8"))
            lines.clear()
    stream.write("".join(lines).encode("utf-8"))
