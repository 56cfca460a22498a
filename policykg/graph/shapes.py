"""Check a compiled graph against the SHACL shapes in ``policykg/ontology/shapes.ttl``."""
from __future__ import annotations

from functools import lru_cache

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDFS, SH

from ..ontology import ONTOLOGY_PATH, SHAPES_PATH, RDF

__all__ = ["validate_shapes"]


@lru_cache(maxsize=1)
def _shapes() -> tuple[Graph, dict]:
    """The shapes graph, and the kind (node shape label) each shape reports as."""
    shapes = Graph().parse(SHAPES_PATH, format="turtle")
    kinds = {}
    for node_shape in shapes.subjects(RDF.type, SH.NodeShape):
        label = str(shapes.value(node_shape, RDFS.label) or "node")
        kinds[node_shape] = label
        for prop_shape in shapes.objects(node_shape, SH.property):
            kinds[prop_shape] = label
    return shapes, kinds


@lru_cache(maxsize=1)
def _ontology() -> Graph:
    return Graph().parse(ONTOLOGY_PATH, format="turtle")


def _node(term) -> str:
    return f"<{term}>" if isinstance(term, URIRef) else f"_:{term}" if isinstance(term, BNode) else repr(str(term))


def validate_shapes(graph: Graph, inference: str = "none") -> list[str]:
    """One line per SHACL violation in ``graph``, sorted; an empty list means it conforms.

    Each line reads ``<kind> <focus IRI>: <message>``, e.g. ``measure
    <…/measure/3>: must have at least one agency in a lead or responsible role``.
    The compiler types every node explicitly, so no inference is needed for its
    graphs; pass ``inference="rdfs"`` for hand-made graphs that rely on
    sub-classes (the ontology is then mixed in).  ``graph`` is not modified.
    """
    import pyshacl  # slow to import: only when shapes are checked

    shapes, kinds = _shapes()
    options = {} if inference == "none" else {"ont_graph": _ontology()}
    conforms, report, _text = pyshacl.validate(
        graph, shacl_graph=shapes, inference=inference, abort_on_first=False,
        allow_warnings=False, advanced=False, **options)
    if conforms:
        return []
    lines = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        message = report.value(result, SH.resultMessage)
        kind = kinds.get(report.value(result, SH.sourceShape), "node")
        lines.add(f"{kind} {_node(focus)}: {message}")
    return sorted(lines)
