"""The responsibility network as one self-contained, offline HTML page.

The page is made from this package's own small template (``page.html``,
``app.js``, ``app.css``) with the vis-network standalone build that pyvis ships
inlined; pyvis's own HTML writer is not used (its template links bootstrap from
a CDN even with ``cdn_resources="in_line"``, inserts its heading unescaped and
writes files in the platform's encoding).

Text from the data never becomes markup: it travels as JSON in a
``<script type="application/json">`` block, with ``<``, ``>``, ``&``, U+2028
and U+2029 escaped so no value can close the block, and the page's script puts
it into the document with ``textContent`` only.  A Content-Security-Policy
allows just the page's two scripts (by hash) and no request to any host, so even
markup that got in could neither run nor fetch anything.
"""
from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any

from rdflib import Graph

from ..atomic import write_text
from ..errors import OutputError
from ..model import Dataset
from .network import page_data

__all__ = ["render_html", "write_html", "vis_assets", "embed_json"]

_HERE = Path(__file__).resolve().parent
_SOURCE_MAP = re.compile(r"\n?//# sourceMappingURL=\S*\s*$")
_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", name))


@lru_cache(maxsize=1)
def vis_assets() -> tuple[str, str, str]:
    """(version, JavaScript, CSS) of the newest vis-network build inside the installed pyvis.

    Found without importing pyvis.  The trailing ``sourceMappingURL`` comment is
    dropped so opening developer tools makes no request for a map file.
    """
    spec = importlib.util.find_spec("pyvis")
    roots = list(spec.submodule_search_locations or []) if spec else []
    builds = sorted((d for root in roots for d in (Path(root) / "lib").glob("vis-*")
                     if (d / "vis-network.min.js").is_file() and (d / "vis-network.css").is_file()),
                    key=lambda d: _version(d.name))
    if not builds:
        raise OutputError("cannot build the page: the vis-network files shipped with pyvis were not found "
                          "(is pyvis>=0.3.2 installed?)")
    build = builds[-1]
    js = _SOURCE_MAP.sub("", (build / "vis-network.min.js").read_text(encoding="utf-8"))
    css = (build / "vis-network.css").read_text(encoding="utf-8")
    _check_inline(js, "script", build.name)
    _check_inline(css, "style", build.name)
    return build.name.removeprefix("vis-"), js, css


def _check_inline(text: str, tag: str, where: str) -> None:
    """Refuse code that would end its element early when inlined."""
    lowered = text.lower()
    if f"</{tag}" in lowered or "<!--" in lowered:
        raise OutputError(f"cannot inline {where}: it contains </{tag} or <!--")


def _asset(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


def embed_json(value: Any) -> str:
    """JSON that can sit inside a ``<script>`` element: nothing in it can end the element.

    ``<``, ``>`` and ``&`` occur only inside JSON strings, where ``\\u003c`` …
    mean the same; U+2028/2029 are escaped for old JavaScript parsers; lone
    surrogates (which UTF-8 cannot carry) are escaped too.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _graphs(data: Dataset | Graph, base_iri: str | None):
    from ..graph import DEFAULT_BASE_IRI, compile_graph, to_networkx
    if isinstance(data, Graph):
        rdf = data
    elif isinstance(data, Dataset):
        rdf = compile_graph(data, base_iri or DEFAULT_BASE_IRI)
    else:
        raise TypeError(f"expected a policykg Dataset or an rdflib Graph, not {type(data).__name__}")
    return rdf, to_networkx(rdf)


def render_html(data: Dataset | Graph, *, view: str = "full", agency: str | None = None,
                sector: str | None = None, lang: str = "zh", base_iri: str | None = None) -> str:
    """The responsibility network of ``data`` as one self-contained HTML page.

    ``data`` is a loaded :class:`~policykg.model.Dataset` (compiled here under
    ``base_iri``) or an RDF graph made by :func:`policykg.graph.compile_graph`.
    ``view``: ``"full"`` (measures, agencies and documents) or ``"agencies"``
    (co-responsibility, weighted by measures shared).  ``agency``: an agency id;
    the view keeps that agency's measures and their neighbourhood.  ``sector``: a
    sector id or name; the view keeps its measures.  ``lang``: ``"zh"`` or ``"en"``
    labels.  The same input gives the same bytes, and the page lays itself out
    the same way each time.  Raises UsageError (bad view or language),
    UnknownAgency or LookupFailed (unknown agency or sector).
    """
    rdf, g = _graphs(data, base_iri)
    content = page_data(rdf, g, view=view, agency=agency, sector=sector, lang=lang)
    vis_version, vis_js, vis_css = vis_assets()
    app_js = _asset("app.js")
    _check_inline(app_js, "script", "app.js")
    csp = "; ".join((
        "default-src 'none'",
        f"script-src {_csp_hash(vis_js)} {_csp_hash(app_js)}",
        "style-src 'unsafe-inline'",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
    ))
    title = _SURROGATE.sub("\ufffd", content["meta"]["title"])
    page = Template(_asset("page.html")).substitute(
        lang="zh-Hans" if lang == "zh" else "en",
        csp=html.escape(csp, quote=True),
        title=html.escape(title, quote=True),
        vis_version=html.escape(vis_version, quote=True),
        vis_css=vis_css,
        app_css=_asset("app.css"),
        data=embed_json(content),
        vis_js=vis_js,
        app_js=app_js,
    )
    return page


def write_html(path: str | os.PathLike, data: Dataset | Graph, **options: Any) -> None:
    """Write :func:`render_html` of ``data`` to ``path`` as UTF-8, atomically.

    The page is made in full before the file is opened, and is renamed into place
    only when written, so an error leaves any previous file as it was.  Raises
    OutputError if the file cannot be written.
    """
    text = render_html(data, **options)
    write_text(path, text)
