"""Turtle from N-Triples terms: the one Turtle writer of policykg, and the reader of what it writes.

Both Turtle outputs come from here: the exporter's (:mod:`policykg.exporters.turtle`,
one sorted table of a whole dataset) and the per-graph chunks of
:mod:`policykg.query.rdfstore` (written once each, then concatenated under one
header).  Terms arrive in their N-Triples form (``<iri>``, ``"text"@zh``,
``"1"^^<…#positiveInteger>``, ``_:label``) and triples in N-Triples line order;
:func:`write_body` gives one block per subject, predicates and objects grouped
with ``;`` and ``,``, and ``a`` for rdf:type.  :class:`Shortener` writes an IRI
or a literal's datatype as a prefixed name only where the local part is plain
(letters, digits, ``_`` and ``-``, not first a digit or ``-``), so every Turtle
parser, old ones included, reads it the same.  Blocks are separated by a blank
line and the last ends with `` .``: bodies written with the same prefixes join
into one document under one header of :func:`prefix_lines`.

The way back serves the N-Triples export of the chunks: :func:`ntriples_blocks`
reads a body :func:`write_body` wrote (and nothing else) as N-Triples lines, one
block per subject, and :func:`merge_blocks` merges runs of such blocks into one
stream of sorted, distinct lines, opening each run only when the merge reaches
it.  Plain Python on strings: no rdflib term is made.
"""
from __future__ import annotations

import heapq
import re
from typing import Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

__all__ = [
    "PLAIN_LOCAL", "RDF_TYPE", "Shortener", "Expander", "prefix_lines", "write_body", "turtle_chunk",
    "ntriples_blocks", "triple_blocks", "merge_blocks",
]

#: A local name every Turtle parser reads the same: letters, digits, _ and -, not first a digit or -.
PLAIN_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
#: rdf:type in N-Triples form, written ``a`` as a predicate.
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")  # PLAIN_LOCAL for fullmatch: no newline slips past $
_CACHE_MAX = 200   # terms up to this long are cached: IRIs and short literals repeat, bodies of text do not
_CACHE_ENTRIES = 1 << 17  # a cache this full starts afresh: memory stays flat over millions of distinct terms
_BATCH = 1 << 14   # pieces (about a triple each) joined into one string before it is handed on

K = TypeVar("K")
#: A run for :func:`merge_blocks`: its first subject, and a function giving its (subject, lines) blocks.
Run = tuple["str | None", Callable[[], Iterable[tuple[str, str]]]]


def prefix_lines(prefixes: Mapping[str, str]) -> str:
    """The ``@prefix`` lines declaring ``prefixes``, in the order given."""
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items())


class Shortener:
    """N-Triples terms as Turtle writes them: prefixed names where the local part is plain.

    IRIs and the datatypes of typed literals are shortened with ``prefixes``
    (name → namespace); anything else is written as it came.  Results are
    cached, and :meth:`used` names the prefixes that shortened a term.
    """

    def __init__(self, prefixes: Mapping[str, str]):
        self.prefixes = dict(prefixes)
        self._by_namespace = {ns: p for p, ns in self.prefixes.items()}
        self._cache: dict[str, str] = {}
        self._used: set[str] = set()

    def _name(self, iri: str) -> str | None:
        cut = max(iri.rfind("#"), iri.rfind("/")) + 1
        prefix = self._by_namespace.get(iri[:cut]) if cut else None
        if prefix is None or not _PLAIN.fullmatch(iri, cut):
            return None
        self._used.add(prefix)
        return f"{prefix}:{iri[cut:]}"

    def __call__(self, term: str) -> str:
        short = self._cache.get(term)
        if short is not None:
            return short
        short = term
        if term.startswith("<"):
            short = self._name(term[1:-1]) or term
        elif term.startswith('"') and term.endswith(">"):  # a typed literal: shorten its datatype
            cut = term.rfind('"^^<') + 3
            name = self._name(term[cut + 1:-1])
            if name:
                short = term[:cut] + name
        if len(term) <= _CACHE_MAX:
            if len(self._cache) >= _CACHE_ENTRIES:
                self._cache.clear()
            self._cache[term] = short
        return short

    def used(self) -> dict[str, str]:
        """The prefixes that shortened some term so far, by name."""
        return {p: self.prefixes[p] for p in sorted(self._used)}


class Expander:
    """Terms as :class:`Shortener` wrote them (``a`` as rdf:type), back in N-Triples form."""

    def __init__(self, prefixes: Mapping[str, str]):
        self._namespaces = dict(prefixes)
        self._cache: dict[str, str] = {"a": RDF_TYPE}

    def _iri(self, name: str) -> str:
        prefix, _, local = name.partition(":")
        namespace = self._namespaces.get(prefix)
        if namespace is None:
            raise ValueError(f"{name!r}: not a term written with these prefixes")
        return f"<{namespace}{local}>"

    def __call__(self, term: str, keep: bool = True) -> str:
        """``term`` in N-Triples form; cached unless ``keep`` is false (a term met once, such as a subject)."""
        full = self._cache.get(term)
        if full is not None:
            return full
        first = term[:1]
        if first == '"':
            full = term
            if not term.endswith(('"', ">")):  # a language tag, or a datatype written as a prefixed name
                cut = term.rfind('"') + 1
                if term.startswith("^^", cut):
                    full = term[:cut + 2] + self._iri(term[cut + 2:])
        elif first in ("<", "_"):
            full = term
        else:
            full = self._iri(term)
        if keep and len(term) <= _CACHE_MAX:
            if len(self._cache) >= _CACHE_ENTRIES:
                self._cache.clear()
                self._cache["a"] = RDF_TYPE
            self._cache[term] = full
        return full


def write_body(rows: Iterable[tuple[K, K, K]], name: Callable[[K], str], rdf_type: K | None = RDF_TYPE
               ) -> Iterator[str]:
    """Turtle of triples sorted in N-Triples line order, without duplicates or prefix lines, in pieces.

    ``rows`` are triples of keys; ``name`` gives each key as Turtle writes it (a
    :class:`Shortener` for N-Triples terms, a list's ``__getitem__`` for term
    numbers) and the predicate ``rdf_type`` is written ``a``.  One block per
    subject, blocks separated by a blank line, the last ending with `` .``.
    """
    out: list[str] = []
    append = out.append
    last_s = last_p = None
    for s, p, o in rows:
        if s != last_s:
            if last_s is not None:
                append(" .\n\n")
                if len(out) >= _BATCH:
                    yield "".join(out)
                    out.clear()
            append(f"{name(s)}\n    {'a' if p == rdf_type else name(p)} {name(o)}")
        elif p != last_p:
            append(f" ;\n    {'a' if p == rdf_type else name(p)} {name(o)}")
        else:
            append(f" ,\n        {name(o)}")
        last_s, last_p = s, p
    if last_s is not None:
        append(" .\n")
    if out:
        yield "".join(out)


def turtle_chunk(triples: Iterable[tuple[str, str, str]], short: Shortener) -> tuple[bytes, int]:
    """Turtle of N-Triples-form triples (any order, duplicates dropped), without prefix lines; and the count."""
    rows = sorted(set(triples))
    return "".join(write_body(rows, short)).encode("utf-8"), len(rows)


def ntriples_blocks(body: str, expand: Expander) -> Iterator[tuple[str, str]]:
    """Each block of a body :func:`write_body` wrote: (subject, its N-Triples lines), in the body's order.

    Reads that layout only (no prefix lines, no other Turtle): blocks end at a
    blank line, predicates at `` ;`` and objects at `` ,`` before a line break,
    which no term holds unescaped.  Raises ValueError for a prefixed name whose
    prefix ``expand`` does not know.
    """
    known = expand._cache.get  # most terms were met before: a dict look-up, no call
    if body.endswith("\n"):
        body = body[:-1]
    for block in body.split("\n\n"):
        if not block:
            continue
        head, _, rest = block.partition("\n    ")
        s = known(head) or expand(head, False)  # each subject heads one block: not worth keeping
        out: list[str] = []
        append = out.append
        for group in rest[:-2].split(" ;\n    "):       # "P O" or "P O1 ,\n        O2": one predicate
            p, _, objects = group.partition(" ")
            p = known(p) or expand(p)
            if " ,\n" in objects:
                for o in objects.split(" ,\n        "):
                    append(f"{s} {p} {known(o) or expand(o)} .\n")
            else:
                append(f"{s} {p} {known(objects) or expand(objects)} .\n")
        yield s, "".join(out)


def triple_blocks(rows: Iterable[tuple[str, str, str]]) -> Iterator[tuple[str, str]]:
    """(subject, N-Triples lines) for each subject of N-Triples-form triples sorted in line order."""
    subject, lines = None, []
    for s, p, o in rows:
        if s != subject:
            if lines:
                yield subject, "".join(lines)
            subject, lines = s, []
        lines.append(f"{s} {p} {o} .\n")
    if lines:
        yield subject, "".join(lines)


def _merge_lines(a: str, b: str) -> str:
    """Two blocks of the same subject as one: lines sorted, each once."""
    lines = set(a[:-1].split("\n")) | set(b[:-1].split("\n"))
    return "".join(f"{line}\n" for line in sorted(lines))


def merge_blocks(runs: Sequence[Run]) -> Iterator[str]:
    """N-Triples lines of several runs in sorted order, each line once, a subject block at a time.

    Each run gives (subject, lines) blocks sorted by subject, every line of a block
    starting with its subject and the lines in order (as :func:`ntriples_blocks`
    reads a body, or :func:`triple_blocks` groups sorted triples).  A run is
    ``(first subject, function giving its blocks)`` and the function is called
    only when the merge reaches that subject, so a run that sorts after others is
    not held in memory meanwhile.  Blocks of one subject from several runs are
    merged line by line.  No term is the start of another followed by a
    character below the space (terms escape control characters), so lines in
    subject order are lines in sorted order.  Raises ValueError if a run is not
    in subject order or does not start at its first subject.
    """
    openers = [opener for _, opener in runs]
    heap = [(first, i) for i, (first, _) in enumerate(runs) if first is not None]
    heapq.heapify(heap)
    iterators: dict[int, Iterator[tuple[str, str]]] = {}
    pending: dict[int, str] = {}   # the next block of each opened run on the heap

    def top() -> tuple[str, int] | None:
        """The smallest entry of the heap, opening runs until it is one with its block in hand."""
        while heap:
            subject, i = heap[0]
            if i in pending:
                return heap[0]
            heapq.heappop(heap)
            iterators[i] = iterator = iter(openers[i]())
            first = next(iterator, None)
            if first is None:
                del iterators[i]
                continue
            if first[0] != subject:
                raise ValueError(f"a run said to start at {subject} starts at {first[0]}")
            pending[i] = first[1]
            heapq.heappush(heap, (subject, i))
        return None

    def advance(i: int, after: str) -> tuple[str, str] | None:
        block = next(iterators[i], None)
        if block is None:
            del iterators[i]
        elif block[0] <= after:
            raise ValueError(f"a run is not sorted by subject: {block[0]} after {after}")
        return block

    while top() is not None:
        subject, i = heapq.heappop(heap)
        block = pending.pop(i)
        while True:
            while heap and heap[0][0] == subject:   # the same subject in other runs
                other = top()
                if other is None or other[0] != subject:
                    break
                j = heapq.heappop(heap)[1]
                block = _merge_lines(block, pending.pop(j))
                following = advance(j, subject)
                if following is not None:
                    pending[j] = following[1]
                    heapq.heappush(heap, (following[0], j))
            yield block
            following = advance(i, subject)
            if following is None:
                break
            subject, block = following
            if heap and heap[0][0] <= subject:     # another run comes first: back on the heap
                pending[i] = block
                heapq.heappush(heap, (subject, i))
                break
