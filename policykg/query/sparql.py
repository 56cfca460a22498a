"""SPARQL engines behind one small interface: a local store or a remote endpoint.

Every engine answers ``engine.query(text, bindings=None) -> Result``:

- :class:`LocalEngine` over a :class:`pyoxigraph.Store` (fast; what
  :meth:`LocalEngine.from_dataset` builds) or an :class:`rdflib.Graph`;
- :class:`RemoteEngine` over an HTTP endpoint speaking the SPARQL 1.1 Protocol
  (stdlib ``urllib`` only: POST ``application/sparql-query``, answers in
  ``application/sparql-results+json``, HTTP basic auth from the arguments, the
  URL's user-info or ``POLICYKG_ENDPOINT_USER`` / ``POLICYKG_ENDPOINT_PASSWORD``).

A :class:`Result` holds ``variables``, ``rows`` (variable -> term as in SPARQL
JSON: ``{"type", "value", "xml:lang" | "datatype"}``, unbound variables left
out) or the ``boolean`` of an ASK, and writes the SPARQL 1.1 JSON and CSV
results formats.  CONSTRUCT and DESCRIBE are refused with a :class:`QueryError`.

Query text from the user is passed as is.  Values policykg puts into its own
queries (agency IRIs, search text) travel as *bindings*, never formatted into
the text by hand: the rdflib engine passes single values as ``initBindings``;
otherwise each bound variable becomes a ``VALUES`` block at the start of the
query's first group, every term written by :func:`sparql_term`, which
validates IRIs and escapes literals so no value can end its term early.

Errors: a malformed query is a :class:`~policykg.errors.QueryError`; an
unreachable, slow, refusing or failing endpoint an
:class:`~policykg.errors.EndpointError`.  Each is one line naming the endpoint
without credentials.  The library never prints.
"""
from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from ..errors import EndpointError, QueryError, UsageError

__all__ = [
    "IRI", "Result", "LocalEngine", "RemoteEngine", "sparql_term", "ntriples_term",
    "bind_values", "endpoint_urls", "display_url", "credentials", "http_request", "HttpAnswer",
    "ENV_USER", "ENV_PASSWORD",
]

ENV_USER = "POLICYKG_ENDPOINT_USER"
ENV_PASSWORD = "POLICYKG_ENDPOINT_PASSWORD"

XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = XSD + "string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

JSON_RESULTS = "application/sparql-results+json"


# --------------------------------------------------------------------------- terms


class IRI(str):
    """A value to be written as an IRI ``<…>``; a plain ``str`` is a string literal."""

    __slots__ = ()


# IRIREF of SPARQL 1.1 / N-Triples: none of these, nor anything up to space.
_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f]')
_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_iri(value: str) -> str:
    if not value or _IRI_BAD.search(value):
        raise QueryError(f"not a usable IRI: {value[:80]!r} (empty, or contains a space or one of <>\"{{}}|^`\\)")
    if ":" not in value:
        raise QueryError(f"not an absolute IRI: {value[:80]!r}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError(f"not a usable IRI: {value[:80]!r} (unpaired surrogate)") from None
    return value


def _quote(text: str) -> str:
    """``text`` as a double-quoted string, valid in SPARQL, Turtle and N-Triples.

    Backslash, quote and control characters are escaped.  SPARQL 1.1 lets a
    parser expand ``\\uXXXX`` anywhere in a query *before* parsing (rdflib
    does), which would turn an escaped backslash followed by ``u0022`` into a
    quote; so a ``u``/``U`` that follows a backslash is written ``\\U00000075``,
    which every parser, pre-expanding or not, reads back as the same letter.
    """
    if _SURROGATE.search(text):
        raise QueryError("text contains an unpaired surrogate and cannot be sent")
    if not _NEEDS_ESCAPE.search(text):
        return '"' + text + '"'
    out, prev = [], ""
    for ch in text:
        if ch in _ECHAR:
            out.append(_ECHAR[ch])
        elif ch < " " or ch == "\x7f":
            out.append(f"\\U{ord(ch):08X}")
        elif ch in "uU" and prev == "\\":
            out.append(f"\\U{ord(ch):08X}")
        else:
            out.append(ch)
        prev = ch
    return '"' + "".join(out) + '"'


def _literal(lexical: str, lang: str | None = None, datatype: str | None = None) -> str:
    if lang:
        if not _LANG.match(lang):
            raise QueryError(f"not a language tag: {lang[:40]!r}")
        return f"{_quote(lexical)}@{lang}"
    if datatype and datatype not in (_XSD_STRING, _RDF_LANGSTRING):
        return f"{_quote(lexical)}^^<{_check_iri(datatype)}>"
    return _quote(lexical)


def sparql_term(value: Any) -> str:
    """A Python value as one safe SPARQL term (for VALUES blocks and the like).

    :class:`IRI`, ``rdflib.URIRef`` and ``pyoxigraph.NamedNode`` become ``<iri>``
    (validated, never escaped: an IRI with a space or ``<>"{}|^`\\`` is refused);
    ``str`` a string literal; ``bool``, ``int``, ``float``, ``Decimal``,
    ``date`` and ``datetime`` typed literals; ``rdflib.Literal`` and
    ``pyoxigraph.Literal`` keep their language or datatype.  Blank nodes and
    anything else raise :class:`QueryError`.
    """
    if isinstance(value, IRI):
        return f"<{_check_iri(str(value))}>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return _literal({float("inf"): "INF", float("-inf"): "-INF"}.get(value, "NaN"), datatype=XSD + "double")
        return _literal(repr(value), datatype=XSD + "double")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise QueryError(f"not a finite decimal: {value}")
        return _literal(format(value, "f"), datatype=XSD + "decimal")
    if isinstance(value, dt.datetime):
        return _literal(value.isoformat(), datatype=XSD + "dateTime")
    if isinstance(value, dt.date):
        return _literal(value.isoformat(), datatype=XSD + "date")
    kind = type(value).__module__.split(".")[0] + "." + type(value).__name__
    if kind in ("rdflib.URIRef", "pyoxigraph.NamedNode"):
        return f"<{_check_iri(str(value) if kind == 'rdflib.URIRef' else value.value)}>"
    if kind == "rdflib.Literal":
        return _literal(str(value), value.language, str(value.datatype) if value.datatype else None)
    if kind == "pyoxigraph.Literal":
        return _literal(value.value, value.language, value.datatype.value if value.datatype else None)
    if kind.startswith(("rdflib.", "pyoxigraph.")):
        raise QueryError(f"cannot write a {type(value).__name__} (blank node or other) as a bound SPARQL term")
    if isinstance(value, str):
        return _quote(value)
    raise QueryError(f"cannot write a {type(value).__name__} as a SPARQL term")


_IRI_CACHE: dict[str, str] = {}


def ntriples_term(term: Any) -> str:
    """An rdflib term in N-Triples syntax (IRIs validated, literals escaped as by :func:`sparql_term`)."""
    kind = type(term).__name__
    if kind == "URIRef":
        iri = str(term)  # a plain str key: URIRef equality also compares the type
        text = _IRI_CACHE.get(iri)
        if text is None:
            text = f"<{_check_iri(iri)}>"
            if len(_IRI_CACHE) < 100_000:  # predicates, classes, agencies repeat; measure IRIs need not stay
                _IRI_CACHE[iri] = text
        return text
    if kind == "Literal":
        return _literal(str(term), term.language, str(term.datatype) if term.datatype else None)
    if kind == "BNode":
        return "_:" + re.sub(r"[^A-Za-z0-9_]", "_", str(term))
    raise QueryError(f"cannot write a {kind} in N-Triples")


def _term_dict(value: Any) -> dict[str, str]:
    """An rdflib or pyoxigraph term as a SPARQL JSON term."""
    kind = type(value).__name__
    if kind in ("URIRef", "NamedNode"):
        return {"type": "uri", "value": str(value) if kind == "URIRef" else value.value}
    if kind in ("BNode", "BlankNode"):
        return {"type": "bnode", "value": str(value) if kind == "BNode" else value.value}
    if kind == "Literal":
        out = {"type": "literal", "value": str(value) if hasattr(value, "n3") else value.value}
        lang = value.language
        datatype = value.datatype
        datatype = (str(datatype) if hasattr(value, "n3") else datatype.value) if datatype is not None else None
        if lang:
            out["xml:lang"] = lang
        elif datatype and datatype != _XSD_STRING:
            out["datatype"] = datatype
        return out
    raise QueryError(f"unsupported RDF term in a result: {kind}")


def _normalise_term(term: Mapping[str, Any]) -> dict[str, str]:
    """A term from some server's SPARQL JSON in the canonical form (no xsd:string, no typed-literal)."""
    kind = term.get("type")
    if kind == "typed-literal":
        kind = "literal"
    if kind not in ("uri", "literal", "bnode") or not isinstance(term.get("value"), str):
        raise ValueError("bad term")
    out = {"type": kind, "value": term["value"]}
    if kind == "literal":
        if term.get("xml:lang"):
            out["xml:lang"] = term["xml:lang"]
        elif term.get("datatype") and term["datatype"] not in (_XSD_STRING, _RDF_LANGSTRING):
            out["datatype"] = term["datatype"]
    return out


# --------------------------------------------------------------------------- results


class Result:
    """The answer to a SELECT (``variables`` and ``rows``) or an ASK (``boolean``)."""

    def __init__(self, variables: Sequence[str] = (), rows: Sequence[dict[str, dict]] = (),
                 boolean: bool | None = None):
        self.variables = list(variables)
        self.rows = list(rows)
        self.boolean = boolean

    @property
    def is_ask(self) -> bool:
        return self.boolean is not None

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __repr__(self) -> str:
        if self.is_ask:
            return f"Result(boolean={self.boolean})"
        return f"Result(variables={self.variables}, rows={len(self.rows)})"

    def values(self) -> list[dict[str, str | None]]:
        """Rows as variable -> lexical value (IRI, literal text or blank-node label), None when unbound."""
        return [{v: (r[v]["value"] if v in r else None) for v in self.variables} for r in self.rows]

    def as_dict(self) -> dict[str, Any]:
        """The SPARQL 1.1 Query Results JSON document as a dict."""
        if self.is_ask:
            return {"head": {}, "boolean": self.boolean}
        return {"head": {"vars": list(self.variables)}, "results": {"bindings": self.rows}}

    def to_json(self) -> str:
        """SPARQL 1.1 Query Results JSON Format (UTF-8 text, not ASCII-escaped)."""
        return json.dumps(self.as_dict(), ensure_ascii=False)

    def to_csv(self) -> str:
        """SPARQL 1.1 Query Results CSV Format (CRLF lines); an ASK gives one line, true or false."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        if self.is_ask:
            writer.writerow(["true" if self.boolean else "false"])
            return buf.getvalue()
        writer.writerow(self.variables)
        for row in self.rows:
            cells = []
            for v in self.variables:
                term = row.get(v)
                if term is None:
                    cells.append("")
                elif term["type"] == "bnode":
                    cells.append("_:" + term["value"])
                else:
                    cells.append(term["value"])
            writer.writerow(cells)
        return buf.getvalue()

    @classmethod
    def from_json(cls, document: Any) -> "Result":
        """Read a SPARQL JSON results document (a dict); raises ValueError if it is not one."""
        if not isinstance(document, dict) or not isinstance(document.get("head"), dict):
            raise ValueError("no head")
        if "boolean" in document:
            if not isinstance(document["boolean"], bool):
                raise ValueError("boolean is not a boolean")
            return cls(boolean=document["boolean"])
        variables = document["head"].get("vars", [])
        bindings = document.get("results", {}).get("bindings")
        if not isinstance(variables, list) or not isinstance(bindings, list):
            raise ValueError("no vars or bindings")
        rows = [{k: _normalise_term(t) for k, t in b.items()} for b in bindings]
        return cls(variables, rows)


_REFUSE_GRAPH = "CONSTRUCT and DESCRIBE queries are not supported; use SELECT or ASK"


# --------------------------------------------------------------------------- bindings


def _values_block(bindings: Mapping[str, Any]) -> str:
    """``VALUES ?v { … }`` lines for every binding (a single value or a list of values)."""
    lines = []
    for name, value in bindings.items():
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise QueryError(f"not a variable name: {name!r}")
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        lines.append(f"VALUES ?{name} {{ {' '.join(sparql_term(v) for v in values)} }}")
    return "\n".join(lines)


_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')


def _first_group(query: str) -> int:
    """Index of the first ``{`` outside comments, strings and IRIs (the WHERE group of a SELECT/ASK)."""
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c == "#":
            j = query.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c in "\"'":
            long = query.startswith(c * 3, i)
            end = c * 3 if long else c
            i += len(end)
            while i < n and not query.startswith(end, i):
                i += 2 if query[i] == "\\" else 1
            i += len(end)
            continue
        if c == "<":
            m = _IRIREF.match(query, i)
            if m:
                i = m.end()
                continue
        if c == "{":
            return i
        i += 1
    raise QueryError("the query has no { … } group to bind values in")


def bind_values(query: str, bindings: Mapping[str, Any] | None) -> str:
    """``query`` with a VALUES block for ``bindings`` at the start of its first group."""
    if not bindings:
        return query
    at = _first_group(query) + 1
    return f"{query[:at]}\n{_values_block(bindings)}\n{query[at:]}"


def _is_multi(value: Any) -> bool:
    return isinstance(value, (list, tuple, set, frozenset))


# --------------------------------------------------------------------------- local


class LocalEngine:
    """SPARQL over a graph in this process: a pyoxigraph Store (preferred) or an rdflib Graph.

    A pyoxigraph store is queried with its named graphs merged into the default
    graph, so a store holding one graph per plan answers like one graph.
    """

    def __init__(self, source: Any, name: str = "local graph"):
        kind = type(source).__module__.split(".")[0]
        if kind == "pyoxigraph":
            self.kind = "oxigraph"
        elif kind == "rdflib":
            self.kind = "rdflib"
        else:
            raise UsageError(f"LocalEngine needs a pyoxigraph.Store or an rdflib.Graph, not {type(source).__name__}")
        self.source = source
        self.name = name

    def __repr__(self) -> str:
        return f"LocalEngine({self.kind}, {self.name})"

    @classmethod
    def from_triples(cls, triples: Iterable[tuple], name: str = "local graph") -> "LocalEngine":
        """A pyoxigraph-backed engine holding ``triples`` (rdflib terms, e.g. a compiled Graph)."""
        import pyoxigraph as ox

        store = ox.Store()
        chunk: list[str] = []
        for s, p, o in triples:
            chunk.append(f"{ntriples_term(s)} {ntriples_term(p)} {ntriples_term(o)} .\n")
            if len(chunk) >= 50_000:
                store.bulk_load("".join(chunk).encode(), format=ox.RdfFormat.N_TRIPLES)
                chunk.clear()
        if chunk:
            store.bulk_load("".join(chunk).encode(), format=ox.RdfFormat.N_TRIPLES)
        return cls(store, name)

    @classmethod
    def from_dataset(cls, dataset, base_iri: str | None = None) -> "LocalEngine":
        """A pyoxigraph-backed engine over the compiled triples of a model.Dataset."""
        import pyoxigraph as ox

        from ..graph.compile import DEFAULT_BASE_IRI, iter_triples, ntriples_line

        store = ox.Store()
        lines: list[str] = []
        for triple in iter_triples(dataset, base_iri or DEFAULT_BASE_IRI, "ntriples"):
            lines.append(ntriples_line(triple))
            if len(lines) >= 50_000:
                store.bulk_load("".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES)
                lines.clear()
        if lines:
            store.bulk_load("".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES)
        return cls(store, "compiled data")

    def close(self) -> None:
        pass

    def query(self, text: str, bindings: Mapping[str, Any] | None = None) -> Result:
        """Run a SELECT or ASK; ``bindings`` maps variable names to a value or a list of values."""
        if self.kind == "oxigraph":
            return self._query_oxigraph(bind_values(text, bindings))
        return self._query_rdflib(text, bindings or {})

    def _query_oxigraph(self, text: str) -> Result:
        import pyoxigraph as ox

        try:
            answer = self.source.query(text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise QueryError(f"malformed SPARQL query: {_one_line(str(exc))}") from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise QueryError(f"SPARQL query failed: {_one_line(str(exc))}") from None
        if isinstance(answer, ox.QueryBoolean):
            return Result(boolean=bool(answer))
        if isinstance(answer, ox.QueryTriples):
            raise QueryError(_REFUSE_GRAPH)
        try:
            document = json.loads(answer.serialize(format=ox.QueryResultsFormat.JSON))
        except (OSError, RuntimeError, ValueError) as exc:
            raise QueryError(f"SPARQL query failed: {_one_line(str(exc))}") from None
        return Result.from_json(document)

    def _query_rdflib(self, text: str, bindings: Mapping[str, Any]) -> Result:
        single = {k: _rdflib_term(v) for k, v in bindings.items() if not _is_multi(v)}
        multi = {k: v for k, v in bindings.items() if _is_multi(v)}
        text = bind_values(text, multi)
        try:
            answer = self.source.query(text, initBindings=single)
            kind = answer.type
            if kind == "ASK":
                return Result(boolean=bool(answer.askAnswer))
            if kind != "SELECT":
                raise QueryError(_REFUSE_GRAPH)
            variables = [str(v) for v in answer.vars]
            rows = [{v: _term_dict(t) for v, t in zip(variables, row) if t is not None} for row in answer]
        except QueryError:
            raise
        except Exception as exc:  # rdflib raises pyparsing and plain Exceptions for bad queries
            raise QueryError(f"malformed SPARQL query: {_one_line(str(exc))}") from None
        return Result(variables, rows)


def _rdflib_term(value: Any):
    from rdflib import Literal, URIRef
    from rdflib.namespace import XSD as RXSD

    if isinstance(value, IRI):
        return URIRef(_check_iri(str(value)))
    kind = type(value).__module__.split(".")[0]
    if kind == "rdflib":
        return value
    if isinstance(value, bool):
        return Literal(value)
    if isinstance(value, int):
        return Literal(value, datatype=RXSD.integer)
    if isinstance(value, (str, float, Decimal, dt.date)):
        return Literal(value)
    raise QueryError(f"cannot bind a {type(value).__name__} in a SPARQL query")


def _one_line(text: str, limit: int = 200) -> str:
    """The first non-empty line of ``text``, control characters removed, at most ``limit`` characters."""
    for line in text.splitlines():
        line = re.sub(r"[\x00-\x1f\x7f]", " ", line).strip()
        if line:
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


# --------------------------------------------------------------------------- HTTP


def display_url(url: str) -> str:
    """``url`` without user-info, query string or fragment: safe to show in any message."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = host + (f":{parts.port}" if parts.port else "")
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        return "<unreadable URL>"


def _split_url(url: str) -> tuple[str, str | None, str | None]:
    """(URL without user-info, user, password) from an http(s) URL; UsageError if it is not one."""
    if not isinstance(url, str) or not url.strip():
        raise UsageError("endpoint URL is empty")
    url = url.strip()
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise UsageError(f"endpoint {display_url(url)} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"endpoint {display_url(url)} must be an http:// or https:// URL")
    user = urllib.parse.unquote(parts.username) if parts.username else None
    password = urllib.parse.unquote(parts.password) if parts.password else None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host + (f":{port}" if port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), user, password


def credentials(url: str, user: str | None = None, password: str | None = None) -> tuple[str, str | None, str | None]:
    """(URL without user-info, user, password): arguments first, then the URL's user-info, then the environment."""
    clean, url_user, url_password = _split_url(url)
    if user is None and password is None:
        user, password = url_user, url_password
    if user is None and password is None:
        user, password = os.environ.get(ENV_USER) or None, os.environ.get(ENV_PASSWORD) or None
    if password is not None and user is None:
        user = ""
    return clean, user, password


def endpoint_urls(endpoint: str, store_url: str | None = None) -> tuple[str, str | None]:
    """(SPARQL query URL, graph store URL or None) for a server base URL or query URL.

    ``http://host:7878`` (an Oxigraph server) gives ``/query`` and ``/store``;
    ``…/query`` at the root (Oxigraph) gives ``…/store``; ``…/DS/sparql`` or
    ``…/DS/query`` (Fuseki) gives ``…/DS/data``; ``…/repositories/R`` (GraphDB,
    RDF4J) gives ``…/repositories/R/rdf-graphs/service``.  Any other form is
    used as the query URL as given, with no store URL unless ``store_url``.
    User-info in the URLs is kept (see :func:`credentials`).
    """
    _split_url(endpoint)
    parts = urllib.parse.urlsplit(endpoint.strip())
    path = parts.path.rstrip("/")
    segments = [s for s in path.split("/") if s]

    def with_path(p: str) -> str:
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, p, "", ""))

    if not segments:
        query_path, store = "/query", with_path("/store")
    elif segments == ["query"]:
        query_path, store = path, with_path(path[: -len("query")] + "store")
    elif segments[-1] in ("sparql", "query"):
        query_path, store = path, with_path(path.rsplit("/", 1)[0] + "/data")
    elif len(segments) >= 2 and segments[-2] == "repositories":
        query_path, store = path, with_path(path + "/rdf-graphs/service")
    else:
        query_path, store = parts.path, None
    query = urllib.parse.urlunsplit((parts.scheme, parts.netloc, query_path, parts.query, ""))
    if store_url:
        _split_url(store_url)
        store = store_url.strip()
    return query, store


class HttpAnswer:
    """A successful HTTP answer: status, headers (lower-case names) and body."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: they would resend the credentials to another place."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _endpoint_error(message: str, *, status: int | None = None, transient: bool = False,
                    detail: str = "") -> EndpointError:
    err = EndpointError(message)
    err.status = status          # HTTP status, or None when no answer came
    err.transient = transient    # worth retrying: connection failure, timeout, 502/503/504
    err.detail = detail          # the first line of the server's answer, if any
    return err


def http_request(method: str, url: str, *, what: str, body: bytes | None = None,
                 headers: Mapping[str, str] | None = None, user: str | None = None,
                 password: str | None = None, timeout: float = 30) -> HttpAnswer:
    """One HTTP request; any failure becomes one EndpointError line naming ``what`` and the URL.

    ``url`` must not carry user-info (see :func:`credentials`).  Raised errors
    carry ``status`` and ``transient`` attributes for callers that retry.
    Status 400 is left to the caller as an EndpointError with ``status`` 400.
    """
    shown = f"{what} {display_url(url)}"
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    if user is not None or password is not None:
        token = base64.b64encode(f"{user or ''}:{password or ''}".encode("utf-8")).decode("ascii")
        request.add_header("Authorization", f"Basic {token}")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            data = response.read()
            return HttpAnswer(response.status, {k.lower(): v for k, v in response.headers.items()}, data)
    except urllib.error.HTTPError as exc:
        status = exc.code
        try:
            detail = _one_line(exc.read(4096).decode("utf-8", "replace"))
        except (OSError, ValueError):
            detail = ""
        finally:
            exc.close()
        if password and detail:
            detail = detail.replace(password, "***")
        reason = f"HTTP {status}" + (f" {exc.reason}" if isinstance(exc.reason, str) and exc.reason else "")
        if status in (401, 403):
            hint = ("refused the credentials" if user is not None or password is not None
                    else "requires credentials")
            raise _endpoint_error(f"{shown} {hint} ({reason}); give --user and --password or set "
                                  f"{ENV_USER} and {ENV_PASSWORD}", status=status) from None
        if status in (301, 302, 303, 307, 308):
            where = display_url(exc.headers.get("Location", "")) if exc.headers else ""
            raise _endpoint_error(f"{shown} redirects ({reason}) to {where or 'another URL'}; "
                                  "give the final URL", status=status) from None
        if status == 404:
            raise _endpoint_error(f"{shown}: not found ({reason}); check the URL", status=status) from None
        raise _endpoint_error(f"{shown} failed: {reason}" + (f": {detail}" if detail else ""), status=status,
                              transient=status in (502, 503, 504), detail=detail) from None
    except urllib.error.URLError as exc:
        raise _connection_error(shown, exc.reason, timeout) from None
    except (TimeoutError, socket.timeout) as exc:
        raise _connection_error(shown, exc, timeout) from None
    except (OSError, ValueError) as exc:  # connection reset mid-answer, bad status line, …
        raise _connection_error(shown, exc, timeout) from None


def _connection_error(shown: str, reason: Any, timeout: float) -> EndpointError:
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return _endpoint_error(f"{shown}: no answer within {timeout:g} s", transient=True)
    if isinstance(reason, ConnectionRefusedError):
        return _endpoint_error(f"{shown}: connection refused (is the server running?)", transient=True)
    if isinstance(reason, socket.gaierror):
        return _endpoint_error(f"{shown}: unknown host")
    text = _one_line(getattr(reason, "strerror", None) or str(reason)) or type(reason).__name__
    return _endpoint_error(f"{shown}: cannot connect: {text}", transient=True)


# --------------------------------------------------------------------------- remote


class RemoteEngine:
    """A SPARQL 1.1 Protocol endpoint over HTTP.

    ``endpoint_url`` is the query URL, or an Oxigraph server's base URL (then
    ``/query`` is used; see :func:`endpoint_urls`).  Credentials come from the
    arguments, else the URL's user-info, else ``POLICYKG_ENDPOINT_USER`` /
    ``POLICYKG_ENDPOINT_PASSWORD``; they are sent as HTTP basic auth and never
    appear in an error message.

    Which graphs a query reads: by default the endpoint's default graph;
    ``union_default_graph`` adds Oxigraph's ``union-default-graph`` parameter;
    ``default_graphs`` sends the SPARQL Protocol's ``default-graph-uri`` for
    each IRI.  :meth:`locate` chooses among these by probing the server.
    """

    def __init__(self, endpoint_url: str, user: str | None = None, password: str | None = None,
                 timeout: float = 30, *, union_default_graph: bool = False,
                 default_graphs: Sequence[str] | None = None):
        query_url, _ = endpoint_urls(endpoint_url)
        self.url, self._user, self._password = credentials(query_url, user, password)
        self.timeout = timeout
        self.union_default_graph = union_default_graph
        self.default_graphs = list(default_graphs) if default_graphs is not None else None

    @property
    def name(self) -> str:
        return display_url(self.url)

    def __repr__(self) -> str:
        return f"RemoteEngine({self.name})"

    def close(self) -> None:
        pass

    def query(self, text: str, bindings: Mapping[str, Any] | None = None) -> Result:
        """Run a SELECT or ASK at the endpoint; ``bindings`` are sent as VALUES blocks."""
        text = bind_values(text, bindings)
        url = self.url
        headers = {"Accept": f"{JSON_RESULTS}, application/json;q=0.9"}
        if self.default_graphs is not None:
            # URL-encoded POST: the graph list would make the URL too long for many servers.
            form = [("query", text)] + [("default-graph-uri", g) for g in self.default_graphs]
            body = urllib.parse.urlencode(form).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = text.encode("utf-8")
            headers["Content-Type"] = "application/sparql-query; charset=utf-8"
            if self.union_default_graph:
                url += ("&" if urllib.parse.urlsplit(url).query else "?") + "union-default-graph"
        try:
            answer = http_request("POST", url, what="SPARQL endpoint", body=body, headers=headers,
                                  user=self._user, password=self._password, timeout=self.timeout)
        except EndpointError as exc:
            if getattr(exc, "status", None) == 400:
                detail = getattr(exc, "detail", "") or "HTTP 400"
                raise QueryError(f"SPARQL endpoint {self.name} rejected the query: {detail}") from None
            if getattr(exc, "status", None) == 406:
                raise QueryError(f"SPARQL endpoint {self.name}: {_REFUSE_GRAPH}") from None
            raise
        if answer.content_type not in (JSON_RESULTS, "application/json"):
            if answer.content_type in ("text/turtle", "application/n-triples", "application/n-quads",
                                       "application/rdf+xml", "application/ld+json", "application/trig"):
                raise QueryError(f"SPARQL endpoint {self.name}: {_REFUSE_GRAPH}")
            raise EndpointError(f"SPARQL endpoint {self.name} answered {answer.content_type or 'no content type'}, "
                                "not SPARQL JSON results; is this a SPARQL query URL?")
        try:
            return Result.from_json(json.loads(answer.body.decode("utf-8")))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise EndpointError(f"SPARQL endpoint {self.name} answered with malformed SPARQL JSON results") from None

    def locate(self, pattern: str) -> str:
        """Find the graphs whose data matches ``pattern`` (a group graph pattern) and read them from now on.

        Tries, in order: the default graph as it is (GraphDB, Virtuoso, Fuseki
        with a union default graph, data loaded without graph names); Oxigraph's
        ``union-default-graph``; then the named graphs that match, sent as
        ``default-graph-uri`` (standard, works everywhere).  Returns which of
        ``"default"``, ``"union"`` or ``"named"`` it chose; raises EndpointError if none has data.
        """
        self.union_default_graph, self.default_graphs = False, None
        ask = f"ASK {{ {pattern} }}"
        if self.query(ask).boolean:
            return "default"
        self.union_default_graph = True
        try:
            if self.query(ask).boolean:
                return "union"
        except (EndpointError, QueryError):
            pass
        self.union_default_graph = False
        graphs = [r["g"] for r in self.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {pattern} }} }}").values()]
        if graphs:
            self.default_graphs = graphs
            return "named"
        raise EndpointError(f"SPARQL endpoint {self.name} holds no policykg data (nothing matches in its "
                            "default graph or any named graph); load it with `policykg push`")
