"""Operations against the real `aicap serve`: every format by Accept, 406 listing them,
Prometheus metrics, the access log, and a SIGTERM that leaves a store that reopens."""

from __future__ import annotations

import hashlib
import signal
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

import pyoxigraph as ox
import pytest
from prometheus_client.parser import text_string_to_metric_families

from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.rdf.formats import RDF_SYNTAXES, RESULTS_FORMATS, RdfSyntax, ResultsFormat
from tests.live.conftest import LiveServer
from tests.live.test_limits import descendants

SELECT = 'SELECT ?x WHERE { VALUES ?x { "a" "b" } } ORDER BY ?x'
CONSTRUCT = (
    "CONSTRUCT { <http://example.org/s> <http://example.org/p> ?x } WHERE { VALUES ?x { 1 2 } }"
)
LOG_DEADLINE_S = 5.0


def get(server: LiveServer, path: str, accept: str = "*/*") -> tuple[int, str, bytes]:
    """GET a path; return the status, the Content-Type and the body (errors included)."""
    req = urllib.request.Request(server.url + path, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def sparql_path(query: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query})


@pytest.mark.parametrize("fmt", RESULTS_FORMATS, ids=lambda f: f.name)
def test_select_answers_in_each_results_format_by_accept(
    live_server: LiveServer, fmt: ResultsFormat
) -> None:
    status, content_type, body = get(live_server, sparql_path(SELECT), fmt.media_type)
    assert status == 200, body
    assert content_type.split(";")[0] == fmt.media_type
    if fmt.name == "csv":  # lossy: pyoxigraph does not read it back
        assert body.decode().splitlines() == ["x", "a", "b"]
        return
    solutions = ox.parse_query_results(body, format=fmt.ox_format)
    assert isinstance(solutions, ox.QuerySolutions)
    assert [str(s["x"].value) for s in solutions] == ["a", "b"]


@pytest.mark.parametrize("syntax", RDF_SYNTAXES, ids=lambda s: s.name)
def test_construct_answers_in_each_graph_syntax_by_accept(
    live_server: LiveServer, syntax: RdfSyntax
) -> None:
    status, content_type, body = get(live_server, sparql_path(CONSTRUCT), syntax.media_type)
    assert status == 200, body
    assert content_type.split(";")[0] == syntax.media_type
    objects = sorted(q.object.value for q in ox.parse(body, format=syntax.ox_format))
    assert objects == ["1", "2"]


def test_unacceptable_accept_is_406_listing_the_formats(live_server: LiveServer) -> None:
    status, content_type, body = get(live_server, sparql_path(SELECT), "image/png")
    assert status == 406
    assert content_type.startswith("text/plain")
    for fmt in RESULTS_FORMATS:
        assert fmt.media_type in body.decode()


def metric(server: LiveServer, name: str, **labels: str) -> float:
    """One sample of /metrics, parsed with prometheus_client's own text parser."""
    status, content_type, body = get(server, "/metrics")
    assert status == 200
    assert content_type.startswith("text/plain")
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def test_metrics_parse_and_count_the_requests_made(live_server: LiveServer) -> None:
    labels = {"route": "/sparql", "method": "GET", "status": "200"}
    before = metric(live_server, "aicap_http_requests_total", **labels)
    for _ in range(3):
        assert get(live_server, sparql_path("ASK {}"))[0] == 200
    assert wait_for(
        lambda: metric(live_server, "aicap_http_requests_total", **labels) == before + 3
    )
    assert metric(live_server, "aicap_http_request_duration_seconds_count", route="/sparql") >= 3
    assert metric(live_server, "aicap_store_triples") == live_server.health()["triples"]
    assert metric(live_server, "aicap_query_workers_busy") == 0


def test_each_request_is_one_log_line_with_the_query_hash(live_server: LiveServer) -> None:
    query = f"ASK {{ FILTER({time.time_ns()} > 0) }}"  # a text no other test sends
    assert get(live_server, sparql_path(query))[0] == 200
    digest = hashlib.sha256(query.encode()).hexdigest()[:12]
    assert wait_for(lambda: f"query={digest}" in live_server.log()), live_server.log()
    [line] = [line for line in live_server.log().splitlines() if f"query={digest}" in line]
    assert "aicap.access: GET /sparql 200 " in line
    assert line.split(" ms ")[1].split(" B ")[0].isdigit()


def test_sigterm_exits_0_stops_the_workers_and_leaves_a_store_that_reopens(
    start_live_server: Callable[[], LiveServer],
) -> None:
    server = start_live_server()
    triples = server.health()["triples"]
    assert get(server, sparql_path("ASK { ?s ?p ?o }"))[0] == 200
    workers = descendants(server.process.pid)
    assert workers, "the fork server and the query workers run below the service"
    assert server.stop(signal.SIGTERM) == 0, server.log()
    assert wait_for(lambda: not set(workers) & set(alive(workers))), alive(workers)
    data_dir = server.log_path.parent / "store"
    assert not any((data_dir / "snapshots").glob("*")), "checkpoints are removed"
    with KnowledgeGraph.open(Settings(data_dir=data_dir)) as kg:
        assert kg.triple_count() == triples
    assert "stopped; store at" in server.log().splitlines()[-1]


def alive(pids: list[int]) -> list[int]:
    """The processes of `pids` that still run (zombies count as ended)."""
    running = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] != "Z":
                    running.append(pid)
        except OSError:
            continue
    return running


def wait_for(condition: Callable[[], bool], deadline_s: float = LOG_DEADLINE_S) -> bool:
    """Poll `condition` until it holds or the deadline passes; return whether it held."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
