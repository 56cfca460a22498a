"""JSON-LD: the graph compacted with an ``@context`` of the project's prefixes only.

rdflib serialises with that explicit context (not every prefix rdflib knows);
its node order follows Python's string hashing, so the document is then put in
a stable order: nodes by ``@id``, each property's values by their JSON text
(JSON-LD arrays are unordered, except ``@list``), keys sorted.
"""
from __future__ import annotations

import json
from typing import Any, BinaryIO

from rdflib import Literal, URIRef

from ..model import Dataset
from . import Options
from ._rdf import rdf_graph, used_prefixes


def write(dataset: Dataset, stream: BinaryIO, options: Options) -> None:
    graph, prefixes = rdf_graph(dataset, options.base_iri, options.with_ontology)
    iris = {str(t) for triple in graph for t in triple if isinstance(t, URIRef)}
    iris.update(str(o.datatype) for o in graph.objects() if isinstance(o, Literal) and o.datatype)
    context = used_prefixes(prefixes, iris)
    document = json.loads(graph.serialize(format="json-ld", context=context, auto_compact=True))
    stream.write(json.dumps(stable(document), ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))
    stream.write(b"\n")


def stable(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with its nodes and values in one fixed order, and always a ``@graph``."""
    document = dict(document)
    context = document.pop("@context", {})
    nodes = document.pop("@graph", [document] if document else [])
    nodes = sorted((_ordered(n) for n in nodes), key=lambda n: (str(n.get("@id", "")), _text(n)))
    return {"@context": context, "@graph": nodes}


def _ordered(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _ordered(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_ordered(v) for v in value]
        return items if key == "@list" else sorted(items, key=_text)
    return value


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
