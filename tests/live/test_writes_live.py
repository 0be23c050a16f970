"""Writes against the real `aicap serve`: SPARQLWrapper updates with a bearer token, the
graph store protocol over HTTP, and the statuses of refused writes.

Every write test asserts the status and the graph afterwards.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from email.message import Message
from typing import TYPE_CHECKING

import pytest
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import Unauthorized

if TYPE_CHECKING:
    from tests.live.conftest import LiveServer

EX = "http://example.org/live-writes/"


def select(server: LiveServer, query: str) -> list[dict[str, str]]:
    """Run a SELECT with SPARQLWrapper; each row as variable -> value."""
    sparql = SPARQLWrapper(server.sparql_url, returnFormat=JSON)
    sparql.setQuery(query)
    rows = sparql.queryAndConvert()["results"]["bindings"]
    return [{k: v["value"] for k, v in row.items()} for row in rows]


def values_of(server: LiveServer, subject: str) -> list[str]:
    query = f"SELECT ?v WHERE {{ GRAPH ?g {{ <{EX}{subject}> <{EX}p> ?v }} }} ORDER BY ?v"
    return [row["v"] for row in select(server, query)]


def quad_count(server: LiveServer) -> int:
    count = select(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    return int(count[0]["n"])


def updater(server: LiveServer, token: str | None) -> SPARQLWrapper:
    """A SPARQLWrapper for updates, with the bearer token as a custom header."""
    sparql = SPARQLWrapper(server.sparql_url, updateEndpoint=server.sparql_url)
    sparql.setMethod(POST)
    if token is not None:
        sparql.addCustomHttpHeader("Authorization", f"Bearer {token}")
    return sparql


def request(
    server: LiveServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Message, bytes]:
    """Send one HTTP request; return status, headers and body (errors included)."""
    req = urllib.request.Request(server.url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_sparqlwrapper_update_with_the_token_is_stored(
    writable_live_server: LiveServer, live_write_token: str
) -> None:
    before = quad_count(writable_live_server)
    sparql = updater(writable_live_server, live_write_token)
    sparql.setQuery(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}wrapper> <{EX}p> 42 }} }}")
    result = sparql.query()
    assert result.response.status == 204
    assert values_of(writable_live_server, "wrapper") == ["42"]
    assert quad_count(writable_live_server) > before, "the quad, and its audit record"


def test_sparqlwrapper_update_without_the_token_is_401_and_not_stored(
    writable_live_server: LiveServer,
) -> None:
    before = quad_count(writable_live_server)
    sparql = updater(writable_live_server, None)
    sparql.setQuery(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}anonymous> <{EX}p> 1 }} }}")
    with pytest.raises(Unauthorized):
        sparql.query()
    assert values_of(writable_live_server, "anonymous") == []
    assert quad_count(writable_live_server) == before


def test_a_wrong_token_is_401_with_www_authenticate(writable_live_server: LiveServer) -> None:
    before = quad_count(writable_live_server)
    body = f"INSERT DATA {{ <{EX}wrong> <{EX}p> 1 }}".encode()
    status, headers, _ = request(
        writable_live_server,
        "POST",
        "/sparql",
        body,
        {"Content-Type": "application/sparql-update", "Authorization": "Bearer wrong"},
    )
    assert status == 401
    assert headers["WWW-Authenticate"] == "Bearer"
    assert quad_count(writable_live_server) == before
    assert values_of(writable_live_server, "wrong") == []


def test_a_read_only_service_answers_403(live_server: LiveServer) -> None:
    before = quad_count(live_server)
    body = f"INSERT DATA {{ <{EX}read-only> <{EX}p> 1 }}".encode()
    status, _, text = request(
        live_server,
        "POST",
        "/sparql",
        body,
        {"Content-Type": "application/sparql-update", "Authorization": "Bearer anything"},
    )
    assert status == 403
    assert b"read-only" in text
    assert quad_count(live_server) == before


def test_an_update_breaking_a_shape_is_422_with_the_json_report(
    writable_live_server: LiveServer, live_write_token: str
) -> None:
    before = quad_count(writable_live_server)
    update = f"""PREFIX aicap: <https://w3id.org/aicap/ontology#>
        INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}bad-credit> a aicap:ValueTransfer ;
          aicap:amountUSD -1.0 }} }}"""
    status, _, body = request(
        writable_live_server,
        "POST",
        "/sparql",
        update.encode(),
        {
            "Content-Type": "application/sparql-update",
            "Authorization": f"Bearer {live_write_token}",
            "Accept": "application/json",
        },
    )
    assert status == 422
    report = json.loads(body)
    assert report["conforms"] is False
    assert "sh:MinExclusiveConstraintComponent" in {
        r["sourceConstraintComponent"] for r in report["results"]
    }
    assert quad_count(writable_live_server) == before
    written = f"SELECT ?p WHERE {{ GRAPH ?g {{ <{EX}bad-credit> ?p ?o }} }}"
    assert select(writable_live_server, written) == []


def test_graph_store_put_get_delete_over_http(
    writable_live_server: LiveServer, live_write_token: str
) -> None:
    path = f"/graph-store?graph={EX}gsp/{uuid.uuid4()}"
    auth = {"Authorization": f"Bearer {live_write_token}", "Content-Type": "text/turtle"}
    body = f"<{EX}gsp> <{EX}p> 7 .".encode()

    assert request(writable_live_server, "PUT", path, body, auth)[0] == 201
    assert request(writable_live_server, "PUT", path, body, auth)[0] == 204
    status, headers, got = request(
        writable_live_server, "GET", path, headers={"Accept": "application/n-triples"}
    )
    assert (status, headers["Content-Type"]) == (200, "application/n-triples")
    assert got.decode().count(" .") == 1 and f"<{EX}gsp>" in got.decode()
    assert values_of(writable_live_server, "gsp") == ["7"]

    assert request(writable_live_server, "DELETE", path, headers=auth)[0] == 204
    assert request(writable_live_server, "GET", path)[0] == 404
    assert values_of(writable_live_server, "gsp") == []
