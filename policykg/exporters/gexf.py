"""GEXF 1.2 of the NetworkX view, for Gephi.

GEXF and networkx's writer impose a few changes, each undone or visible on reading:
- the GEXF node id is the node's IRI, and its label (what Gephi shows) the Chinese
  label; the view's ``id`` attribute, which networkx would take as the GEXF id,
  is written as ``short_id`` (any other name GEXF reserves gets ``_value``);
- each edge's label is its key (``lead``, ``support``, ``is_part_of`` …), and the
  key is also written as ``networkx_key``: ``networkx.read_gexf`` restores keys
  from it whenever the graph has parallel edges;
- GEXF declares one type per attribute, so an attribute holding values of
  several types (int measure numbers beside str document numbers) is written as
  text throughout;
- ``lastmodifieddate`` is the date of the latest plan, not today, so the same
  data gives the same bytes.
"""
from __future__ import annotations

from typing import BinaryIO

import networkx as nx
from networkx.readwrite.gexf import GEXFWriter

from ..model import Dataset
from . import Options
from ._network import mixed_type_attributes, network

#: Node and edge attribute names networkx's GEXF writer takes for itself.
NODE_RESERVED = frozenset({"id", "label", "pid", "start", "end", "viz", "parents", "spells", "slices"})
EDGE_RESERVED = frozenset({"id", "label", "weight", "type", "start", "end", "key", "spells", "slices"})


def gexf_name(name: str, reserved: frozenset[str]) -> str:
    """The GEXF attribute title of the view's attribute ``name``."""
    if name == "id":
        return "short_id"
    return f"{name}_value" if name in reserved else name


def gexf_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of the view prepared for networkx's GEXF writer (see the module docstring)."""
    out = nx.MultiDiGraph()
    node_mixed = mixed_type_attributes(attrs for _, attrs in graph.nodes(data=True))
    edge_mixed = mixed_type_attributes(attrs for *_, attrs in graph.edges(keys=True, data=True))
    for node, attrs in graph.nodes(data=True):
        data = {gexf_name(k, NODE_RESERVED): str(v) if k in node_mixed else v for k, v in attrs.items()}
        data["label"] = attrs.get("label_zh") or attrs.get("label_en") or str(node)
        out.add_node(node, **data)
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        data = {gexf_name(k, EDGE_RESERVED): str(val) if k in edge_mixed else val for k, val in attrs.items()}
        out.add_edge(u, v, key=key, label=str(key), **data)
    return out


def write(dataset: Dataset, stream: BinaryIO, options: Options) -> None:
    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    writer.add_graph(gexf_graph(network(dataset, options.base_iri)))
    meta = writer.xml.find("meta")
    if meta is not None:
        if dataset.plans:
            meta.set("lastmodifieddate", max(p.date for p in dataset.plans).isoformat())
        else:
            meta.attrib.pop("lastmodifieddate", None)
    writer.write(stream)
