"""The query layer: named questions over a compiled index (fast path) or SPARQL."""
