"""What the network formats share: the NetworkX view, with scalar attributes only.

The view is :func:`policykg.graph.to_networkx` of the compiled graph, never a
rebuild from the model.  It is copied before anything is changed, so a caller's
graph is never mutated (the pyvis mistake STYLE.md warns about).
"""
from __future__ import annotations

import networkx as nx

from ..graph import compile_graph, to_networkx
from ..model import Dataset

SCALARS = (str, int, float, bool)


def network(dataset: Dataset, base_iri: str) -> nx.MultiDiGraph:
    """The NetworkX view of ``dataset``, keeping only str, int, float and bool attribute values."""
    return scalar_copy(to_networkx(compile_graph(dataset, base_iri)))


def scalar_copy(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of ``graph`` without attribute values GraphML and GEXF cannot hold (None, lists, dicts)."""
    out = nx.MultiDiGraph()
    out.graph.update((k, v) for k, v in graph.graph.items() if isinstance(v, SCALARS))
    for node, attrs in graph.nodes(data=True):
        out.add_node(node, **{k: v for k, v in attrs.items() if isinstance(v, SCALARS)})
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        out.add_edge(u, v, key=key, **{k: val for k, val in attrs.items() if isinstance(val, SCALARS)})
    return out


def mixed_type_attributes(items) -> set[str]:
    """Names of attributes whose values have more than one type across ``items`` (attribute dicts)."""
    types: dict[str, set[type]] = {}
    for attrs in items:
        for name, value in attrs.items():
            types.setdefault(name, set()).add(type(value))
    return {name for name, seen in types.items() if len(seen) > 1}
