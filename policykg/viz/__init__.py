"""The interactive responsibility network: one self-contained, offline HTML page.

``render_html(dataset)`` draws measures (coloured by sector), the agencies
responsible for them (shaped and coloured by kind, sized by the number of
measures) and the documents they refer to, with edges styled by role (牵头 lead,
负责 responsible, 配合 support) and by document relation.  ``view="agencies"``
draws the co-responsibility network instead; ``agency`` and ``sector`` narrow
either view.  Everything drawn is derived from
:func:`policykg.graph.to_networkx` of the compiled RDF graph.
"""
from __future__ import annotations

from .network import LANGS, VIEWS, page_data, select_view, view_graph
from .page import embed_json, render_html, write_html

__all__ = ["render_html", "write_html", "view_graph", "select_view", "page_data", "embed_json",
           "VIEWS", "LANGS"]
