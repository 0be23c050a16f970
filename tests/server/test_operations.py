"""Operations: a log line per request, Prometheus metrics, readiness, and reads that see a
write whole or not at all."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from kg.config import Settings
from kg.errors import QueryTimeout
from kg.graph import KnowledgeGraph
from server import attach_graph, create_app

COUNT_QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def sample(client: FlaskClient, name: str, **labels: str) -> float:
    """Read one sample of /metrics, parsed with prometheus_client's own parser."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def test_each_request_logs_one_line_with_route_status_time_bytes_and_query_hash(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    query = "ASK { ?s ?p ?o }"
    with caplog.at_level(logging.INFO, logger="aicap.access"):
        response = client.get("/sparql", query_string={"query": query})
        response.close()  # the line is written once the body is sent
        client.get("/no-such-route").close()
    lines = [r.getMessage() for r in caplog.records if r.name == "aicap.access"]
    digest = hashlib.sha256(query.encode()).hexdigest()[:12]
    assert len(lines) == 2, lines
    method, route, status, ms, unit, size, size_unit, query_field = lines[0].split(" ")
    assert (method, route, status, unit, size_unit) == ("GET", "/sparql", "200", "ms", "B")
    assert float(ms) > 0
    assert int(size) == len(response.data)
    assert query_field == f"query={digest}"
    assert lines[1].startswith("GET (unmatched) 404 ")
    assert "query=" not in lines[1]


def test_metrics_count_requests_by_route_and_status(client: FlaskClient) -> None:
    before = sample(client, "aicap_http_requests_total", route="/healthz", status="200")
    for _ in range(3):
        client.get("/healthz").close()
    after = sample(client, "aicap_http_requests_total", route="/healthz", status="200")
    assert after == before + 3
    assert sample(client, "aicap_http_request_duration_seconds_count", route="/healthz") >= 3


def test_metrics_give_the_store_size_and_busy_workers(
    client: FlaskClient, kg: KnowledgeGraph
) -> None:
    assert sample(client, "aicap_store_triples") == kg.triple_count() > 0
    assert sample(client, "aicap_query_workers_busy") == 0


def test_metrics_count_timeouts_and_truncations(
    client: FlaskClient, kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    def too_slow(*args: object, **kwargs: object) -> None:
        raise QueryTimeout("past the limit")

    monkeypatch.setattr(kg, "execute", too_slow)
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 503
    assert sample(client, "aicap_query_timeouts_total") == 1


def test_healthz_is_503_starting_until_the_graph_is_attached(
    settings: Settings, kg: KnowledgeGraph
) -> None:
    app = create_app(settings, open_graph=False)
    client = app.test_client()
    starting = client.get("/healthz")
    assert starting.status_code == 503
    assert starting.json == {"status": "starting"}
    assert starting.headers["Retry-After"] == "1"
    refused = client.get("/sparql", query_string={"query": "ASK {}"})
    assert refused.status_code == 503
    assert "starting" in refused.text
    assert client.get("/metrics").status_code == 200
    attach_graph(app, kg)
    assert client.get("/healthz").json == {"status": "ok", "triples": kg.triple_count()}
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200


@pytest.fixture
def private_app(tmp_path: Path) -> Iterator[Flask]:
    """An app over its own store, for a test that writes."""
    settings = Settings(data_dir=tmp_path / "store")
    kg = KnowledgeGraph.open(settings)
    try:
        yield create_app(settings, kg=kg)
    finally:
        kg.close()


def test_reads_during_a_load_see_the_store_before_or_after_it(
    private_app: Flask, tmp_path: Path
) -> None:
    data = tmp_path / "big.nt"
    data.write_text(
        "".join(
            f'<https://example.org/s{i % 100}> <https://example.org/p> "{i}" .\n'
            for i in range(20_000)
        )
    )
    kg: KnowledgeGraph = private_app.extensions["kg"]

    def count(client: FlaskClient) -> int:
        response = client.get("/sparql", query_string={"query": COUNT_QUADS})
        assert response.status_code == 200, response.text
        return int(json.loads(response.data)["results"]["bindings"][0]["n"]["value"])

    before = count(private_app.test_client())
    loaded = threading.Event()
    seen: list[int] = []

    def read() -> None:
        client = private_app.test_client()
        while not loaded.is_set():
            seen.append(count(client))
        seen.append(count(client))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        kg.load([data])
    finally:
        loaded.set()
        for reader in readers:
            reader.join()
    # The union default graph counts every graph, the audit records of the load included.
    after = kg.triple_count()
    assert after > before + 20_000
    assert set(seen) <= {before, after}, sorted(set(seen))
    assert seen.count(before) > 0, "no read ran during the load"
    assert count(private_app.test_client()) == after, "a client reads the load at once"
