"""The knowledge graph: compile the model to RDF and derive views from it.

``compile_graph`` (in :mod:`policykg.graph.compile`) is the one place triples
are made; the NetworkX view and the SHACL check read the RDF graph it returns.
The NetworkX view is imported on first use, so ``import policykg.graph`` costs
only rdflib.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .compile import DEFAULT_BASE_IRI, check_base_iri, compile_graph, iter_triples
from .shapes import validate_shapes
from .turtle import Shortener, prefix_lines, turtle_chunk, write_body

if TYPE_CHECKING:
    from .nxview import co_responsibility, to_networkx

__all__ = [
    "DEFAULT_BASE_IRI", "check_base_iri", "compile_graph", "iter_triples",
    "to_networkx", "co_responsibility", "validate_shapes",
    "Shortener", "prefix_lines", "turtle_chunk", "write_body",
]


def __getattr__(name: str):
    if name in ("to_networkx", "co_responsibility"):
        from . import nxview
        return getattr(nxview, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
