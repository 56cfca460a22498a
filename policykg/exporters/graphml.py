"""GraphML of the NetworkX view: nodes keyed by IRI, edges keyed by relation.

networkx writes a MultiDiGraph's edge keys as GraphML edge ids; read the file
back with ``networkx.read_graphml(path, force_multigraph=True)`` to keep them
even where no two edges join the same pair of nodes.
"""
from __future__ import annotations

from typing import BinaryIO

import networkx as nx

from ..model import Dataset
from . import Options
from ._network import network


def write(dataset: Dataset, stream: BinaryIO, options: Options) -> None:
    # Not named_key_ids: an attribute holding values of two types (measure numbers are
    # int, document numbers str) needs two keys, which then cannot share the name as id.
    nx.write_graphml(network(dataset, options.base_iri), stream, encoding="utf-8")
