"""policykg.push and the remote questions against a real ``oxigraph serve`` on loopback, plus stub servers.

The ``oxigraph`` binary comes from the PyPI package ``oxigraph`` (the test extra);
without it the tests that need a server are skipped, saying so.  Every server
listens on 127.0.0.1 only and every wait is bounded.
"""
from __future__ import annotations

import http.server
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from policykg import loader
from policykg.errors import EndpointError, QueryError, UsageError
from policykg.graph import compile_graph
from policykg.push import plan_graphs, push
from policykg.query.index import open_index
from policykg.query.sparql import RemoteEngine, endpoint_urls
from policykg.query.sparql_questions import SparqlIndex, open_endpoint

REPO = Path(__file__).resolve().parent.parent
ROLES = ("lead", "support", "any")
SECRET = "s3cret-PASSWORD-never-shown"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """Loopback requests must not go through a proxy set in the environment."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("POLICYKG_ENDPOINT_USER", raising=False)
    monkeypatch.delenv("POLICYKG_ENDPOINT_PASSWORD", raising=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Oxigraph:
    """One ``oxigraph serve`` process on a free loopback port, with its data in a temporary folder."""

    def __init__(self, location: Path):
        binary = shutil.which("oxigraph")
        if binary is None:
            pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(location.parent / f"oxigraph-{self.port}.log", "wb")
        self.process = subprocess.Popen([binary, "serve", "--location", str(location),
                                         "--bind", f"127.0.0.1:{self.port}"],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"oxigraph serve did not answer on {self.url} within 20 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()

    def count(self, graph: str | None = None) -> int:
        engine = RemoteEngine(self.url)
        if graph is None:
            query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        else:
            query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        return int(engine.query(query).values()[0]["n"])


@pytest.fixture
def oxigraph(tmp_path):
    server = Oxigraph(tmp_path / "store")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shipped_server(tmp_path_factory, shipped_dataset):
    """A server holding the shipped plan, pushed once for the module."""
    server = Oxigraph(tmp_path_factory.mktemp("shipped") / "store")
    summary = push(shipped_dataset, server.url)
    yield server, summary
    server.stop()


@pytest.fixture(scope="module")
def shipped_index(tmp_path_factory):
    idx = open_index(None, tmp_path_factory.mktemp("index"))
    yield idx
    idx.close()


# --------------------------------------------------------------------------- stub servers


class _Stub(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that gave up (timeout test) closes the socket first: not worth a traceback."""


@contextmanager
def stub_server(behaviour):
    """An HTTP server on a free loopback port; ``behaviour(handler, method)`` answers each request."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def _any(self):
            behaviour(self, self.command)

        do_GET = do_POST = do_PUT = do_DELETE = _any

    server = _Stub(("127.0.0.1", 0), Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _answer(handler, status: int, body: bytes = b"", content_type: str = "text/plain"):
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _read_body(handler) -> bytes:
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _forward(handler, target: str):
    """Relay the request to ``target`` (the real server) and its answer back."""
    body = _read_body(handler)
    headers = {k: v for k, v in handler.headers.items() if k.lower() in ("content-type", "accept", "authorization")}
    request = urllib.request.Request(target + handler.path, data=body or None, method=handler.command, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            _answer(handler, response.status, response.read(), response.headers.get("Content-Type", "text/plain"))
    except urllib.error.HTTPError as exc:
        _answer(handler, exc.code, exc.read(), exc.headers.get("Content-Type", "text/plain"))


# --------------------------------------------------------------------------- helpers


def _same_answers(index, remote, agencies, roles=ROLES):
    """The agencies whose measures_by_agency differ between the index and the remote store."""
    return [(a, role, direct) for a in agencies for role in roles for direct in (False, True)
            if index.measures_by_agency(a, role, direct) != remote.measures_by_agency(a, role, direct)]


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text, text
    assert SECRET not in text and SECRET not in repr(exc.args)
    return text


def _docs_unordered(docs):
    """documents() with link order inside one measure set aside: RDF keeps no order among them."""
    return sorted((d["id"], repr(sorted(d.pop("cited_by"), key=repr)), repr(sorted(d.items()))) for d in docs)


# --------------------------------------------------------------------------- push without a server


def test_plan_graphs_union_is_the_compiled_graph(shipped_dataset):
    """Shared graph + one graph per plan hold exactly the triples compile_graph makes, each once."""
    import pyoxigraph as ox

    graph = compile_graph(shipped_dataset)
    expected = {(s.n3(), p.n3(), o.n3()) for s, p, o in graph}
    seen, total = set(), 0
    for upload, body in plan_graphs(shipped_dataset):
        triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        assert len(triples) == upload.triples and len(body) == upload.bytes
        total += len(triples)
        for t in triples:
            seen.add((str(t.subject), str(t.predicate), str(t.object)))
    assert total == len(graph) == len(seen)
    ours = ox.Store()
    ours.extend(ox.Quad(*t) for upload, body in plan_graphs(shipped_dataset)
                for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    theirs = ox.Store()
    theirs.load(graph.serialize(format="nt").encode(), format=ox.RdfFormat.N_TRIPLES)
    assert {str(q) for q in ours} == {str(q) for q in theirs}
    assert len(expected) == len(graph)


def test_dry_run_sends_nothing(shipped_dataset):
    port = _free_port()  # nothing listens there: any request would fail
    calls = []
    summary = push(shipped_dataset, f"http://127.0.0.1:{port}", dry_run=True,
                   progress=lambda done, total, g: calls.append((done, total, g.graph)))
    names = [g.graph for g in summary.graphs]
    assert summary.dry_run and [g.status for g in summary.graphs] == ["dry-run"] * 4
    base = "https://w3id.org/policykg/id/graph/"
    assert names == [base + "shared", base + "documents", base + "plan/jincheng-2022-24", base + "links"]
    assert [g.plan for g in summary.graphs] == [None, None, "jincheng-2022-24", None]
    assert summary.triples == len(compile_graph(shipped_dataset))
    assert calls == [(i, 4, name) for i, name in enumerate(names, 1)]
    assert summary.as_dict()["bytes"] == summary.bytes > 0


def test_graph_prefix_and_base_iri(shipped_dataset):
    summary = push(shipped_dataset, "http://127.0.0.1:1", dry_run=True, graph="urn:x:g/",
                   base_iri="http://example.org/id/")
    assert [g.graph for g in summary.graphs] == ["urn:x:g/shared", "urn:x:g/documents",
                                                  "urn:x:g/plan/jincheng-2022-24", "urn:x:g/links"]
    with pytest.raises(UsageError):
        push(shipped_dataset, "http://127.0.0.1:1", dry_run=True, graph="no prefix")


@pytest.mark.parametrize("endpoint,query,store", [
    ("http://h:7878", "http://h:7878/query", "http://h:7878/store"),
    ("http://h:7878/query", "http://h:7878/query", "http://h:7878/store"),
    ("http://h:3030/ds/sparql", "http://h:3030/ds/sparql", "http://h:3030/ds/data"),
    ("http://h:3030/ds/query", "http://h:3030/ds/query", "http://h:3030/ds/data"),
    ("http://h:7200/repositories/R", "http://h:7200/repositories/R",
     "http://h:7200/repositories/R/rdf-graphs/service"),
    ("http://h/other/path", "http://h/other/path", None),
])
def test_endpoint_urls(endpoint, query, store):
    assert endpoint_urls(endpoint) == (query, store)
    assert endpoint_urls(endpoint, "http://h/explicit")[1] == "http://h/explicit"


def test_unusable_urls(shipped_dataset):
    for url in ("", "ftp://h/x", "not a url", "http://"):
        with pytest.raises(UsageError):
            RemoteEngine(url)
    with pytest.raises(UsageError, match="--store-url"):
        push(shipped_dataset, "http://127.0.0.1:1/other/path", dry_run=True)


# --------------------------------------------------------------------------- the shipped plan on a real server


def test_push_shipped_plan(shipped_server, shipped_dataset):
    server, summary = shipped_server
    assert [g.status for g in summary.graphs] == ["replaced"] * 4
    assert server.count() == summary.triples == len(compile_graph(shipped_dataset))
    for g in summary.graphs:
        assert server.count(g.graph) == g.triples


def test_remote_answers_equal_the_index(shipped_server, shipped_index):
    server, _ = shipped_server
    remote = open_endpoint(server.url)
    assert remote.engine.union_default_graph  # Oxigraph: found through its union default graph
    assert _same_answers(shipped_index, remote, list(shipped_index.agencies_by_id)) == []
    assert remote.agency_summary() == shipped_index.agency_summary()
    for number in range(1, 67):
        assert remote.measure(number) == shipped_index.measure(number), number
    assert remote.targets() == shipped_index.targets()
    assert remote.documents() == shipped_index.documents()
    assert remote.plans() == shipped_index.plans()
    assert remote.sector_counts() == shipped_index.sector_counts()
    for word in ("电商", "5G", "logistics", '"} #', "a\\u0022b"):
        assert remote.search(word) == shipped_index.search(word)
    assert remote.resolve_agency("商务局") == "jc-commerce"


def test_named_graph_discovery_without_union(shipped_server, shipped_index, monkeypatch):
    """Where the server has no union default graph, the pushed graphs are named in each query."""
    server, summary = shipped_server
    engine = RemoteEngine(server.url)
    monkeypatch.setattr(engine, "locate", lambda pattern: _locate_named(engine, pattern))
    remote = SparqlIndex(engine)
    assert remote.measures_by_agency("jc-commerce", "any") == shipped_index.measures_by_agency("jc-commerce", "any")
    assert sorted(engine.default_graphs) == sorted(g.graph for g in summary.graphs if g.triples)


def _locate_named(engine, pattern):
    rows = engine.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {pattern} }} }}").values()
    engine.default_graphs = [r["g"] for r in rows]
    return "named"


def test_push_twice_leaves_the_same_count(oxigraph, shipped_dataset):
    first = push(shipped_dataset, oxigraph.url)
    before = oxigraph.count()
    second = push(shipped_dataset, oxigraph.url + "/query")
    assert oxigraph.count() == before == first.triples == second.triples


def test_malformed_query_names_the_endpoint(shipped_server):
    server, _ = shipped_server
    with pytest.raises(QueryError) as err:
        RemoteEngine(server.url).query("SELEC ?x")
    assert f"{server.url}/query" in _one_line(err.value)
    with pytest.raises(QueryError, match="CONSTRUCT"):
        RemoteEngine(server.url).query("CONSTRUCT WHERE { ?s ?p ?o }")


def test_empty_server_has_no_data(oxigraph):
    with pytest.raises(EndpointError, match="no policykg data") as err:
        open_endpoint(oxigraph.url)
    assert oxigraph.url in _one_line(err.value)


# --------------------------------------------------------------------------- a multi-plan corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """20 synthetic plans from bench/make_corpus.py, or 3 copies of the shipped plan if it is absent."""
    out = tmp_path_factory.mktemp("corpus") / "corpus"
    maker = REPO / "bench" / "make_corpus.py"
    if maker.is_file():
        done = subprocess.run([sys.executable, str(maker), "--plans", "20", "--seed", "1", "--out", str(out)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return out
    out.mkdir()
    data = REPO / "data"
    for name in ("agencies.yaml", "sectors.yaml"):
        shutil.copy(data / name, out / name)
    shutil.copytree(data / "source", out / "source")
    text = (data / "measures.yaml").read_text(encoding="utf-8")
    for i in (1, 2, 3):
        copy = re.sub(r"^  id: jincheng-2022-24$", f"  id: corpus-{i}", text, count=1, flags=re.M)
        copy = re.sub(r"^  date: 2022-08-04$", f"  date: 2022-0{4 - i}-01", copy, count=1, flags=re.M)
        (out / f"plan-{i}.yaml").write_text(copy, encoding="utf-8")
    return out


def test_corpus_remote_equals_embedded(oxigraph, corpus, tmp_path):
    ds = loader.load(corpus)
    assert len(ds.plans) >= 3
    summary = push(ds, oxigraph.url, retries=0)
    assert len(summary.graphs) == len(ds.plans) + 3
    if (REPO / "bench" / "make_corpus.py").is_file():
        assert summary.graphs[-1].graph.endswith("/links") and summary.graphs[-1].triples > 0
    assert oxigraph.count() == summary.triples == len(compile_graph(ds))
    index = open_index(corpus, tmp_path / "cache")
    remote = open_endpoint(oxigraph.url)
    agencies = list(index.agencies_by_id)
    # "any" lists lead and support rows with their effective role: every agency, with and without collectives;
    # the lead / support filters on every tenth agency (each query costs a round trip to a disk-backed store).
    assert _same_answers(index, remote, agencies, ["any"]) == []
    assert _same_answers(index, remote, agencies[::10], ["lead", "support"]) == []
    assert remote.agency_summary() == index.agency_summary()
    assert remote.plans() == index.plans()
    assert remote.targets() == index.targets()
    assert remote.sector_counts() == index.sector_counts()
    assert remote.assignment_pairs() == index.assignment_pairs()
    assert _docs_unordered(remote.documents()) == _docs_unordered(index.documents())
    plan = index.plan_ids()[1]
    assert remote.measures_by_agency(next(iter(index.agencies_by_id)), "any", plans=[plan]) == \
        index.measures_by_agency(next(iter(index.agencies_by_id)), "any", plans=[plan])
    for number in (1, 2, 30):
        with pytest.raises(UsageError) as want:
            index.measure(number)
        with pytest.raises(UsageError) as got:
            remote.measure(number)
        assert str(got.value) == str(want.value)
        a, b = index.measure(number, plan), remote.measure(number, plan)
        assert sorted(map(repr, a.pop("documents"))) == sorted(map(repr, b.pop("documents")))
        assert a == b
    index.close()


# --------------------------------------------------------------------------- failures


def test_server_stopped_mid_test(oxigraph, shipped_dataset):
    push(shipped_dataset, oxigraph.url)
    remote = open_endpoint(oxigraph.url)
    assert remote.measures_by_agency("jc-commerce")
    oxigraph.stop()
    with pytest.raises(EndpointError) as err:
        remote.measures_by_agency("jc-post")
    text = _one_line(err.value)
    assert f"{oxigraph.url}/query" in text and "connection refused" in text
    waits = []
    with pytest.raises(EndpointError) as err:
        push(shipped_dataset, oxigraph.url, retries=2, sleep=waits.append, backoff=0.01)
    text = _one_line(err.value)
    assert f"{oxigraph.url}/store" in text and "after 3 attempts" in text and "0 of 4 graphs replaced" in text
    assert waits == [0.01, 0.02]


def test_failed_put_leaves_the_graphs_as_they_were(oxigraph, shipped_dataset):
    """A store that fails a PUT (HTTP 500) leaves the real graphs untouched, and the error is one line."""
    first = push(shipped_dataset, oxigraph.url)
    counts = {g.graph: oxigraph.count(g.graph) for g in first.graphs}
    puts = []

    def proxy(handler, method):
        if method == "PUT":
            puts.append(handler.path)
            _read_body(handler)
            _answer(handler, 500, b"Internal failure while writing\nsecond line")
        else:
            _forward(handler, oxigraph.url)

    with stub_server(proxy) as (_, url):
        with pytest.raises(EndpointError) as err:
            push(shipped_dataset, url, password=SECRET, user="me", sleep=lambda s: None)
    text = _one_line(err.value)
    assert "HTTP 500" in text and "Internal failure while writing" in text and "second line" not in text
    assert f"{url}/store" in text and "graph/shared" in text
    assert len(puts) == 1  # 500 is not retried
    assert {g: oxigraph.count(g) for g in counts} == counts


def test_transient_errors_are_retried(oxigraph, shipped_dataset):
    answered = []

    def flaky(handler, method):
        if method == "PUT" and len(answered) < 2:
            answered.append(503)
            _read_body(handler)
            _answer(handler, 503, b"busy")
        else:
            _forward(handler, oxigraph.url)

    waits = []
    with stub_server(flaky) as (_, url):
        summary = push(shipped_dataset, url, sleep=waits.append, backoff=0.25)
    assert [g.attempts for g in summary.graphs] == [3, 1, 1, 1]
    assert waits == [0.25, 0.5]
    assert oxigraph.count() == summary.triples


def test_bad_credentials(shipped_dataset, monkeypatch):
    seen = []

    def refuse(handler, method):
        seen.append((method, handler.headers.get("Authorization")))
        _read_body(handler)
        _answer(handler, 401, b"Unauthorized")

    with stub_server(refuse) as (_, url):
        with pytest.raises(EndpointError) as err:
            RemoteEngine(url, user="me", password=SECRET).query("ASK {}")
        text = _one_line(err.value)
        assert "refused the credentials" in text and "HTTP 401" in text and f"{url}/query" in text
        import base64
        assert seen[-1] == ("POST", "Basic " + base64.b64encode(f"me:{SECRET}".encode()).decode())

        with pytest.raises(EndpointError) as err:
            push(shipped_dataset, url, user="me", password=SECRET, sleep=lambda s: None)
        _one_line(err.value)
        assert [m for m, _ in seen].count("PUT") == 1  # 401 is not retried

        monkeypatch.setenv("POLICYKG_ENDPOINT_USER", "env-user")
        monkeypatch.setenv("POLICYKG_ENDPOINT_PASSWORD", SECRET)
        with pytest.raises(EndpointError) as err:
            open_endpoint(url)
        _one_line(err.value)
        assert seen[-1][1] == "Basic " + base64.b64encode(f"env-user:{SECRET}".encode()).decode()

        monkeypatch.delenv("POLICYKG_ENDPOINT_USER")
        monkeypatch.delenv("POLICYKG_ENDPOINT_PASSWORD")
        host = url.split("//", 1)[1]
        with pytest.raises(EndpointError, match="refused the credentials") as err:
            RemoteEngine(f"http://url-user:{SECRET}@{host}").query("ASK {}")
        _one_line(err.value)
        with pytest.raises(EndpointError, match="requires credentials") as err:
            RemoteEngine(url).query("ASK {}")
        assert seen[-1][1] is None


def test_timeout_is_one_clear_line():
    release = threading.Event()

    def slow(handler, method):
        release.wait(5)
        _answer(handler, 200, b"{}", "application/sparql-results+json")

    with stub_server(slow) as (_, url):
        try:
            with pytest.raises(EndpointError) as err:
                RemoteEngine(url, timeout=0.3).query("ASK {}")
        finally:
            release.set()
    assert "no answer within 0.3 s" in _one_line(err.value)


def test_not_sparql_json():
    def html(handler, method):
        _read_body(handler)
        _answer(handler, 200, b"<html></html>", "text/html")

    with stub_server(html) as (_, url):
        with pytest.raises(EndpointError, match="not SPARQL JSON results") as err:
            RemoteEngine(url + "/query").query("ASK {}")
    _one_line(err.value)


def test_redirects_are_not_followed():
    def redirect(handler, method):
        _read_body(handler)
        handler.send_response(302)
        handler.send_header("Location", "http://127.0.0.1:9/elsewhere?token=x")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    with stub_server(redirect) as (server, url):
        with pytest.raises(EndpointError, match="redirects") as err:
            RemoteEngine(url, user="me", password=SECRET).query("ASK {}")
    assert "token" not in _one_line(err.value)
