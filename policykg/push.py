"""Push a dataset to a triple store: one named graph per plan, over the SPARQL 1.1 Graph Store HTTP Protocol.

Layout of the store (graph names under ``graph``, default ``{base_iri}graph/``,
the names :mod:`policykg.query.rdfstore` gives the graphs of the local store):

- ``{graph}shared`` — the authority file (agencies, collectives, task forces)
  and the sector scheme;
- ``{graph}documents`` — every referenced document, once;
- ``{graph}plan/{plan_id}`` — one plan: its sections, measures, assignments
  and targets;
- ``{graph}links`` — ``pkg:resolvesTo`` from a referenced document to the
  plan of the dataset with its number.

The union of these graphs is exactly the graph :func:`policykg.graph.compile_graph`
makes, each triple in one graph; queries read them through a union default
graph or ``default-graph-uri`` (:meth:`policykg.query.sparql.RemoteEngine.locate`
finds which).  Shared facts live in their own graphs rather than in every plan
graph so that a document or an agency is described once and a plan graph holds
nothing but that plan.

Each graph is sent as one ``PUT {store}?graph=<iri>`` with an N-Triples body
(line-based, no prefix state, accepted by every store) made by the
compiler's partitioned generators (``iter_plan_triples`` and its siblings in
:mod:`policykg.graph.compile`, N-Triples term form); only one graph's body is in memory at a
time, so a 1,000-plan corpus is 1,003 modest requests, not one giant string.
A PUT replaces its graph whole, so a failure part-way leaves every graph either
as it was or fully new; graphs of plans that are not in the dataset are left
alone.  After each PUT the graph's triples are counted with a SPARQL
``COUNT`` and a difference raises :class:`~policykg.errors.EndpointError`.
Connection failures, timeouts and HTTP 502/503/504 are retried with
exponential backoff (a PUT is idempotent); other errors, 4xx included, are not.

Endpoint URLs differ per server; give the server's base or its query URL and
the graph store URL is derived (:func:`policykg.query.sparql.endpoint_urls`),
or give ``store_url`` explicitly:

- Oxigraph: query ``http://host:7878/query`` (or just ``http://host:7878``),
  graph store ``http://host:7878/store`` (SPARQL Update: ``/update``);
- Fuseki: query ``http://host:3030/DS/sparql`` (or ``/DS/query``), graph store
  ``http://host:3030/DS/data``;
- GraphDB and RDF4J: query ``http://host:7200/repositories/R``, graph store
  ``http://host:7200/repositories/R/rdf-graphs/service`` (GraphDB's
  ``/repositories/R/statements`` takes ``?context=<iri>`` instead of
  ``?graph=``, so give the ``rdf-graphs/service`` form).

Credentials: the ``user`` / ``password`` arguments, else the URL's user-info,
else ``POLICYKG_ENDPOINT_USER`` / ``POLICYKG_ENDPOINT_PASSWORD``; sent as HTTP
basic auth and never shown in a message.  The library never prints: pass
``progress`` to follow the upload.
"""
from __future__ import annotations

import dataclasses
import re
import time
import urllib.parse
from typing import Any, Callable, Iterable, Iterator

from .errors import EndpointError, QueryError, UsageError
from .model import Dataset
from .query.sparql import IRI, RemoteEngine, _check_iri, credentials, display_url, endpoint_urls, http_request

__all__ = ["push", "plan_graphs", "GraphUpload", "PushSummary", "graph_names",
           "DEFAULT_TIMEOUT", "DEFAULT_RETRIES"]

DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRIES = 3
#: First wait before a retry, in seconds; doubled at each further retry, at most MAX_BACKOFF.
DEFAULT_BACKOFF = 0.5
MAX_BACKOFF = 30.0
NTRIPLES = "application/n-triples"

@dataclasses.dataclass
class GraphUpload:
    """One named graph: what is (or would be) sent, and how it went."""

    graph: str                 # the graph IRI
    plan: str | None           # plan id; None for the shared graph
    triples: int               # distinct triples in the body
    bytes: int                 # size of the N-Triples body
    status: str = "planned"    # planned / dry-run / replaced
    attempts: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class PushSummary:
    """What a push did (or, with ``dry_run``, would do)."""

    query_url: str             # shown without credentials
    store_url: str
    dry_run: bool
    graphs: list[GraphUpload]
    seconds: float = 0.0

    @property
    def triples(self) -> int:
        return sum(g.triples for g in self.graphs)

    @property
    def bytes(self) -> int:
        return sum(g.bytes for g in self.graphs)

    def as_dict(self) -> dict[str, Any]:
        return {"query_url": self.query_url, "store_url": self.store_url, "dry_run": self.dry_run,
                "graphs": [g.as_dict() for g in self.graphs], "triples": self.triples, "bytes": self.bytes,
                "seconds": round(self.seconds, 3)}


def graph_names(graph: str | None, base_iri: str) -> Callable[[str, str | None], str]:
    """``name(kind, plan_id=None)``: the IRI of graph ``shared``, ``documents``, ``links`` or ``plan`` (with its id).

    Graph names sit under the prefix ``graph`` (default ``{base_iri}graph/``), as
    :mod:`policykg.query.rdfstore` names the graphs of the local store.
    """
    prefix = graph if graph is not None else base_iri + "graph/"
    try:
        _check_iri(prefix)
    except QueryError as exc:
        raise UsageError(f"graph IRI prefix: {exc}") from None
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", prefix) or not prefix.endswith(("/", "#", ":")):
        raise UsageError(f"graph IRI prefix {prefix!r} must be an absolute IRI ending in '/', '#' or ':'")
    return lambda kind, plan_id=None: f"{prefix}plan/{plan_id}" if kind == "plan" else prefix + kind


def _body(triples: Iterable[tuple[str, str, str]]) -> tuple[bytes, int]:
    """N-Triples body from triples of N-Triples terms (duplicates dropped) and its triple count."""
    from .graph.compile import ntriples_line

    lines = dict.fromkeys(ntriples_line(t) for t in triples)
    return "".join(lines).encode("utf-8"), len(lines)


def plan_graphs(dataset: Dataset, base_iri: str | None = None,
                graph: str | None = None) -> Iterator[tuple[GraphUpload, bytes]]:
    """(graph, N-Triples body) for each graph, one body at a time.

    In order: ``shared`` (agencies, sectors, the scheme), ``documents`` (the
    referenced documents, each once), each plan in dataset order, then
    ``links`` (documents that are plans of the dataset); together exactly
    :func:`policykg.graph.iter_triples`, no triple in two graphs.
    """
    from .graph.compile import (DEFAULT_BASE_IRI, iter_authority_triples, iter_document_triples,
                                iter_link_triples, iter_plan_triples)

    base = base_iri or DEFAULT_BASE_IRI
    name = graph_names(graph, base)

    def one(kind: str, triples, plan_id: str | None = None) -> tuple[GraphUpload, bytes]:
        body, count = _body(triples)
        return GraphUpload(name(kind, plan_id), plan_id, count, len(body)), body

    yield one("shared", iter_authority_triples(dataset, base, "ntriples"))
    yield one("documents", iter_document_triples(dataset.documents().values(), base, "ntriples"))
    for plan in dataset.plans:
        yield one("plan", iter_plan_triples(plan, base, "ntriples"), plan.id)
    yield one("links", iter_link_triples(dataset, base, "ntriples"))


def _retrying(action: Callable[[], Any], retries: int, backoff: float, sleep: Callable[[float], None]) -> tuple[Any, int]:
    """Run ``action``; retry transient EndpointErrors up to ``retries`` times. Returns (result, attempts)."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return action(), attempt
        except EndpointError as exc:
            if not getattr(exc, "transient", False) or attempt > retries:
                if attempt > 1:
                    raise _annotated(exc, f"after {attempt} attempts") from None
                raise
            sleep(min(backoff * 2 ** (attempt - 1), MAX_BACKOFF))


def _annotated(exc: EndpointError, note: str) -> EndpointError:
    new = EndpointError(f"{exc} ({note})")
    for attr in ("status", "transient", "detail"):
        setattr(new, attr, getattr(exc, attr, None))
    return new


def push(dataset: Dataset, endpoint: str, graph: str | None = None, user: str | None = None,
         password: str | None = None, dry_run: bool = False, timeout: float = DEFAULT_TIMEOUT,
         retries: int = DEFAULT_RETRIES, progress: Callable[[int, int, GraphUpload], None] | None = None, *,
         store_url: str | None = None, base_iri: str | None = None, backoff: float = DEFAULT_BACKOFF,
         sleep: Callable[[float], None] = time.sleep) -> PushSummary:
    """Upload ``dataset`` to ``endpoint``, one named graph per plan plus a shared graph.

    ``endpoint`` is the server's base or query URL (see the module docstring);
    ``store_url`` overrides the derived graph store URL; ``graph`` is the prefix
    of the graph names (default ``{base_iri}graph/``).  ``progress(done, total,
    upload)`` is called after each graph.  With ``dry_run`` nothing is sent and
    the summary lists each graph's IRI, triple count and body size.

    Raises UsageError for unusable URLs or options and EndpointError, naming the
    graph and how many graphs were already replaced, when the store fails.
    """
    if retries < 0 or timeout <= 0:
        raise UsageError("retries must be 0 or more and timeout more than 0")
    query_url, store = endpoint_urls(endpoint, store_url)
    if store is None:
        raise UsageError(f"cannot tell the graph store URL from {display_url(query_url)}; give --store-url "
                         "(Oxigraph: http://host:7878/store, Fuseki: http://host:3030/DS/data, "
                         "GraphDB: http://host:7200/repositories/R/rdf-graphs/service)")
    store, store_user, store_password = credentials(store, user, password)
    total = 3 + len(dataset.plans)
    summary = PushSummary(display_url(query_url), display_url(store), dry_run, [])
    started = time.monotonic()
    engine = None if dry_run else RemoteEngine(query_url, user, password, timeout)
    for done, (upload, body) in enumerate(plan_graphs(dataset, base_iri, graph), 1):
        if dry_run:
            upload.status = "dry-run"
        else:
            t0 = time.monotonic()
            try:
                _, upload.attempts = _retrying(
                    lambda: _put(store, upload.graph, body, store_user, store_password, timeout),
                    retries, backoff, sleep)
                (found, _) = _retrying(lambda: _count(engine, upload.graph), retries, backoff, sleep)
            except EndpointError as exc:
                raise _annotated(exc, f"graph <{upload.graph}>; {done - 1} of {total} graphs replaced "
                                      "before it") from None
            if found != upload.triples:
                raise EndpointError(f"graph store {summary.store_url}: graph <{upload.graph}> holds {found} "
                                    f"triples after the upload, {upload.triples} were sent")
            upload.status, upload.seconds = "replaced", time.monotonic() - t0
        summary.graphs.append(upload)
        if progress is not None:
            progress(done, total, upload)
    summary.seconds = time.monotonic() - started
    return summary


def _put(store: str, graph_iri: str, body: bytes, user: str | None, password: str | None, timeout: float) -> None:
    url = store + ("&" if urllib.parse.urlsplit(store).query else "?") + urllib.parse.urlencode({"graph": graph_iri})
    http_request("PUT", url, what="graph store", body=body, headers={"Content-Type": NTRIPLES},
                 user=user, password=password, timeout=timeout)


def _count(engine: RemoteEngine, graph_iri: str) -> int:
    rows = engine.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": IRI(graph_iri)}).values()
    try:
        return int(rows[0]["n"])
    except (IndexError, KeyError, TypeError, ValueError):
        raise EndpointError(f"SPARQL endpoint {engine.name} did not answer the triple count of <{graph_iri}>") from None
