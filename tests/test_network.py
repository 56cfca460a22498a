"""Network figures from the index equal those of the NetworkX view of the RDF graph."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from policykg.cli import app
from policykg.graph import co_responsibility, compile_graph, to_networkx
from policykg.loader import load
from policykg.query.index import open_index
from policykg.query.network import network_stats


def test_index_projection_equals_rdf_view():
    ds = load()
    view = co_responsibility(to_networkx(compile_graph(ds)))
    ids = {n: d["id"] for n, d in view.nodes(data=True)}
    from_rdf = {frozenset((ids[a], ids[b])): d["weight"] for a, b, d in view.edges(data=True)}
    from policykg.graph.nxview import project_agencies

    g = project_agencies(open_index().assignment_pairs())
    from_index = {frozenset((a, b)): d["weight"] for a, b, d in g.edges(data=True)}
    assert from_index == from_rdf
    assert set(g.nodes) == set(ids.values())


def test_stats_ranks_and_counts():
    idx = open_index()
    s = network_stats(idx)
    assert s["measures"] == 66
    betweenness = [a["betweenness"] for a in s["agencies"]]
    assert betweenness == sorted(betweenness, reverse=True)
    assert sum(x["measures"] for x in s["sectors"]) == 66
    by_id = {a["id"]: a for a in s["agencies"]}
    assert by_id["jc-commerce"]["lead"] == 12
    r = CliRunner().invoke(app, ["stats", "-f", "json", "--top", "5"])
    assert r.exit_code == 0 and len(json.loads(r.stdout)["agencies"]) == 5
    r = CliRunner().invoke(app, ["stats"])
    assert r.exit_code == 0 and "betweenness" in r.stdout and "co-responsibility links" in r.stdout
