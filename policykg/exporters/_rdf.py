"""What the RDF formats share: the triples to write, their prefixes, and a sorted term table.

The triples are those :func:`policykg.graph.iter_triples` makes (the generator
:func:`~policykg.graph.compile_graph` fills its graph from), plus the ontology's
on request; nothing here makes a triple.  Turtle and N-Triples are written from
a :class:`SortedTriples` table: every distinct term once, in its N-Triples form,
and every triple as one integer, so a million triples sort as a million integers
rather than as tuples of rdflib terms, and the same data always gives the same
bytes.  Writing the N-Triples forms directly costs far less than building a
pyoxigraph or rdflib object per triple; tests read the output back with rapper,
pyoxigraph and rdflib.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from rdflib import BNode, Graph, Literal, URIRef

from ..errors import DataError
from ..graph import compile_graph, iter_triples
from ..model import Dataset
from ..ontology import ONTOLOGY_PATH, OWL, PREFIXES, RDF, RDFS, XSD

#: Prefixes any policykg RDF file may use, beside those compile_graph binds for the data.
BASE_PREFIXES: dict[str, str] = {
    **PREFIXES, "rdf": str(RDF), "rdfs": str(RDFS), "xsd": str(XSD), "owl": str(OWL),
}
_EMPTY = Dataset((), {})

# An absolute IRI as N-Triples and Turtle accept it between < and >.
_IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>"{}|^`\\]*$')
# Characters a literal escapes (ECHAR where one exists, else \uXXXX); the same escapes are valid Turtle.
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_LANGUAGE = re.compile(r"^[A-Za-z]+(-[A-Za-z0-9]+)*$")
_BLANK_LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")


def _escape(match: re.Match) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"\\u{ord(char):04X}"


def rdf_graph(dataset: Dataset, base_iri: str, with_ontology: bool) -> tuple[Graph, dict[str, str]]:
    """The compiled graph (with the ontology's triples if asked) and every prefix it may use."""
    graph = compile_graph(dataset, base_iri)
    prefixes = candidate_prefixes(base_iri)
    if with_ontology:
        ontology = ontology_graph()
        _add_prefixes(prefixes, ontology)
        graph += ontology
    return graph, prefixes


def rdf_triples(dataset: Dataset, base_iri: str, with_ontology: bool) -> tuple[Iterable, dict[str, str]]:
    """The triples of the compiled graph (and the ontology's), and every prefix they may use.

    They come straight from :func:`policykg.graph.iter_triples`, without filling an
    rdflib graph's indexes first: the compiled graph holds the same triples, and
    skipping those indexes more than halves the time of a Turtle export.
    """
    prefixes = candidate_prefixes(base_iri)
    triples: Iterable = iter_triples(dataset, base_iri)
    if with_ontology:
        ontology = ontology_graph()
        _add_prefixes(prefixes, ontology)
        triples = itertools.chain(triples, ontology)
    return triples, prefixes


def ontology_graph() -> Graph:
    """The ontology's triples, any blank nodes relabelled canonically so the output is stable."""
    graph = Graph(bind_namespaces="none").parse(ONTOLOGY_PATH, format="turtle")
    if any(isinstance(term, BNode) for triple in graph for term in triple):
        from rdflib.compare import to_canonical_graph
        canonical = to_canonical_graph(graph)
        for prefix, namespace in graph.namespaces():
            canonical.bind(prefix, namespace)
        graph = canonical
    return graph


def ontology_ntriples() -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """The ontology's triples in N-Triples form, sorted and distinct, and every prefix they may use.

    The same triples, in the same terms, as :func:`rdf_triples` adds ``with_ontology``:
    for writers that take N-Triples-form terms, such as the exports of the
    compiled chunks (:meth:`policykg.query.rdfstore.Compiled.export_turtle`).
    """
    graph = ontology_graph()
    prefixes = dict(BASE_PREFIXES)
    _add_prefixes(prefixes, graph)
    table = sort_triples(graph)
    terms = table.terms
    return [(terms[s], terms[p], terms[o]) for s, p, o in table], prefixes


def candidate_prefixes(base_iri: str) -> dict[str, str]:
    """Every prefix a policykg RDF file may use: the vocabularies' and those compile_graph binds for the data."""
    prefixes = dict(BASE_PREFIXES)
    _add_prefixes(prefixes, compile_graph(_EMPTY, base_iri))
    return prefixes


def used_prefixes(prefixes: dict[str, str], iris: Iterable[str]) -> dict[str, str]:
    """The ``prefixes`` whose namespace is that of some IRI (all it holds up to its last / or #), by name."""
    by_namespace = {ns: p for p, ns in prefixes.items()}
    used = {by_namespace.get(iri[:max(iri.rfind("#"), iri.rfind("/")) + 1]) for iri in iris}
    return {p: prefixes[p] for p in sorted(used - {None})}


def _add_prefixes(prefixes: dict[str, str], graph: Graph) -> None:
    for prefix, namespace in graph.namespaces():
        if prefix and prefix != "xml" and prefix not in prefixes and str(namespace) not in prefixes.values():
            prefixes[prefix] = str(namespace)


@dataclass(frozen=True)
class SortedTriples:
    """Triples without duplicates, in N-Triples line order, over a table of distinct terms."""

    terms: list[str]     # N-Triples form of each distinct term, sorted
    codes: list[int]     # one triple: (subject * n + predicate) * n + object, n = len(terms); sorted

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        n = len(self.terms)
        for code in self.codes:
            sp, o = divmod(code, n)
            s, p = divmod(sp, n)
            yield s, p, o


def nt_literal(term: Literal) -> str:
    """A literal in N-Triples form (also valid Turtle)."""
    lexical = str(term)
    if _NEEDS_ESCAPE.search(lexical):
        lexical = _NEEDS_ESCAPE.sub(_escape, lexical)
    datatype = term.datatype
    if datatype is not None:
        return f'"{lexical}"^^{nt_iri(datatype)}'
    language = term.language
    if language:
        if not _LANGUAGE.match(language):
            raise DataError.single("<graph>", None, None, f"{language!r} is not a language tag")
        return f'"{lexical}"@{language}'
    return f'"{lexical}"'


def nt_iri(iri: str) -> str:
    if not _IRI.match(iri):
        raise DataError.single("<graph>", None, None, f"{iri!r} is not an absolute IRI that RDF files can hold")
    return f"<{iri}>"


def sort_triples(triples: Iterable) -> SortedTriples:
    """Number, de-duplicate and sort ``triples`` (tuples of rdflib terms).

    Blank nodes keep their labels: whoever makes them gives them stable ones
    (:func:`ontology_graph` does).  Raises DataError for an IRI or language tag
    that cannot be written.
    """
    index: dict[str, int] = {}  # IRI, or the N-Triples form of a literal or blank node -> term number
    terms: list[str] = []       # term number -> N-Triples form
    get = index.get

    def number(term) -> int:
        if isinstance(term, URIRef):
            key = str(term)
            form = nt_iri(key)
        elif isinstance(term, Literal):
            key = form = nt_literal(term)
        elif isinstance(term, BNode):
            if not _BLANK_LABEL.match(term):
                raise DataError.single("<graph>", None, None, f"{term!r} is not a blank node label")
            key = form = f"_:{term}"
        else:
            raise DataError.single("<graph>", None, None, f"{term!r} is not an RDF term")
        found = get(key)
        if found is None:
            index[key] = found = len(terms)
            terms.append(form)
        return found

    encoded: list[tuple[int, int, int]] = []
    append = encoded.append
    for s, p, o in triples:
        # IRIs, the common case, are looked up inline as plain strings
        si = get(str(s)) if type(s) is URIRef else None
        if si is None:
            si = number(s)
        pi = get(str(p)) if type(p) is URIRef else None
        if pi is None:
            pi = number(p)
        oi = get(str(o)) if type(o) is URIRef else None
        if oi is None:
            oi = number(o)
        append((si, pi, oi))

    n = len(terms)
    order = sorted(range(n), key=terms.__getitem__)
    rank = [0] * n
    for position, term in enumerate(order):
        rank[term] = position
    codes = sorted({(rank[s] * n + rank[p]) * n + rank[o] for s, p, o in encoded})
    return SortedTriples([terms[t] for t in order], codes)
