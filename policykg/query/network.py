"""Network figures of the responsibility network: who carries the plan, who
connects whom.  Computed from the index's (measure, agency) pairs with the same
projection the NetworkX view uses (``policykg.graph.nxview.project_agencies``).
"""
from __future__ import annotations

from typing import Any


def network_stats(index, plans: list[str] | None = None, top: int | None = None) -> dict[str, Any]:
    """Agencies ranked by degree and betweenness centrality in the co-responsibility
    network, measures per sector, and load per agency."""
    import networkx as nx

    from ..graph.nxview import project_agencies

    pairs = index.assignment_pairs(plans)
    g = project_agencies(pairs)
    degree = nx.degree_centrality(g) if len(g) > 1 else {n: 0.0 for n in g}
    # Betweenness on shared-measure counts: a stronger tie is a shorter distance.
    for _, _, d in g.edges(data=True):
        d["distance"] = 1.0 / d["weight"]
    betweenness = nx.betweenness_centrality(g, weight="distance", normalized=True) if len(g) > 2 else {n: 0.0 for n in g}
    load = {r["id"]: r for r in index.agency_summary(plans)}
    agencies = []
    for aid in g.nodes:
        brief = load[aid]
        agencies.append({"id": aid, "name": brief["name"], "name_en": brief["name_en"], "kind": brief["kind"],
                         "partners": g.degree(aid), "degree": round(degree[aid], 4),
                         "betweenness": round(betweenness[aid], 4),
                         "lead": brief["lead"], "support": brief["support"], "total": brief["total"]})
    agencies.sort(key=lambda a: (-a["betweenness"], -a["degree"], a["id"]))
    measures = {m for m, _ in pairs}
    return {
        "measures": len(measures), "agencies_with_duties": len(g), "links": g.number_of_edges(),
        "density": round(nx.density(g), 4) if len(g) > 1 else 0.0,
        "agencies": agencies[:top] if top else agencies,
        "sectors": index.sector_counts(plans),
    }
