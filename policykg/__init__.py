"""policykg: Chinese government action plans as a policy knowledge graph.

The public API, for notebooks and other programs (the CLI is a thin layer on it)::

    import policykg
    ds = policykg.load()                      # the embedded 2022 Jincheng plan (or a path)
    idx = policykg.open_index()               # compiled index: the named questions, fast
    idx.measures_by_agency(idx.resolve_agency("商务局"))
    store = policykg.open_store()             # pyoxigraph store of the compiled RDF, for SPARQL
    policykg.query.rdfstore.query(store, "SELECT ...")   # SPARQL over the union of its graphs
    policykg.compile_all("plans/")            # index, RDF and store of a folder, each file parsed once
    g = policykg.compile_graph(ds)            # rdflib.Graph under the policykg ontology
    nxg = policykg.to_networkx(g)             # NetworkX view derived from the RDF graph
    policykg.export(ds, "turtle", "plan.ttl")
    policykg.write_html("responsibility.html", ds)

Names are imported on first use, so ``import policykg`` stays cheap.
"""
from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "load": "policykg.loader",
    "Dataset": "policykg.model",
    "Plan": "policykg.model",
    "Measure": "policykg.model",
    "Agency": "policykg.model",
    "effective_roles": "policykg.roles",
    "open_index": "policykg.query.index",
    "Index": "policykg.query.store",
    "network_stats": "policykg.query.network",
    "compile_rdf": "policykg.query.rdfstore",
    "open_store": "policykg.query.rdfstore",
    "compile_all": "policykg.query.build",
    "compile_graph": "policykg.graph",
    "iter_triples": "policykg.graph",
    "to_networkx": "policykg.graph",
    "co_responsibility": "policykg.graph",
    "validate_shapes": "policykg.graph",
    "DEFAULT_BASE_IRI": "policykg.graph",
    "extract_file": "policykg.extract",
    "extract_text": "policykg.extract",
    "export": "policykg.exporters",
    "render_html": "policykg.viz",
    "write_html": "policykg.viz",
    "PolicyKGError": "policykg.errors",
    "DataError": "policykg.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'policykg' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
