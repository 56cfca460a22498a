"""Turtle: sorted and byte-stable, so the same data always gives the same file (fit for git).

Written from the sorted term table of :mod:`._rdf`: one block per subject, in
N-Triples order, predicates and objects grouped with ``;`` and ``,``, IRIs
shortened with the prefixes that apply (declared only when used).  A local name
is shortened only when it is plain (letters, digits, ``_`` and ``-``, not starting
with a digit or ``-``), so every Turtle parser, old ones included, reads it the same.
"""
from __future__ import annotations

import re
from typing import BinaryIO

from ..model import Dataset
from ..ontology import RDF
from . import Options
from ._rdf import SortedTriples, rdf_triples, sort_triples

_PLAIN_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_RDF_TYPE = f"<{RDF.type}>"
_CHUNK = 1 << 16


def write(dataset: Dataset, stream: BinaryIO, options: Options) -> None:
    triples, prefixes = rdf_triples(dataset, options.base_iri, options.with_ontology)
    write_table(sort_triples(triples), prefixes, stream)


def shorten(terms: list[str], prefixes: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Each term as Turtle writes it (rdf:type as ``a``), and the prefixes that shortened one."""
    by_namespace = {ns: p for p, ns in prefixes.items()}
    used: dict[str, str] = {}

    def name(iri: str) -> str | None:
        cut = max(iri.rfind("#"), iri.rfind("/")) + 1
        prefix = by_namespace.get(iri[:cut]) if cut else None
        if prefix is None or not _PLAIN_LOCAL.match(iri[cut:]):
            return None
        used[prefix] = prefixes[prefix]
        return f"{prefix}:{iri[cut:]}"

    out = []
    for term in terms:
        if term == _RDF_TYPE:
            term = "a"
        elif term.startswith("<"):
            term = name(term[1:-1]) or term
        elif term.startswith('"') and term.endswith(">"):
            # a typed literal: shorten its datatype
            cut = term.rfind('"^^<') + 3
            short = name(term[cut + 1:-1])
            if short:
                term = term[:cut] + short
        out.append(term)
    return out, {p: used[p] for p in sorted(used)}


def write_table(table: SortedTriples, prefixes: dict[str, str], stream: BinaryIO) -> None:
    """Write ``table`` as Turtle to ``stream``, declaring the ``prefixes`` it uses."""
    names, used = shorten(table.terms, prefixes)
    chunks: list[str] = [f"@prefix {p}: <{ns}> .\n" for p, ns in used.items()]
    last_s = last_p = -1
    for s, p, o in table:
        if s != last_s:
            end = " .\n" if last_s >= 0 else ""
            gap = "\n" if last_s >= 0 or used else ""
            chunks.append(f"{end}{gap}{names[s]}\n    {names[p]} {names[o]}")
        elif p != last_p:
            chunks.append(f" ;\n    {names[p]} {names[o]}")
        else:
            chunks.append(f" ,\n        {names[o]}")
        last_s, last_p = s, p
        if len(chunks) >= _CHUNK:
            stream.write("".join(chunks).encode("utf-8"))
            chunks.clear()
    if last_s >= 0:
        chunks.append(" .\n")
    stream.write("".join(chunks).encode("utf-8"))
