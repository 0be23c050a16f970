"""Checks before any view: a body over the limit is 413 on every route, bytes that are not
UTF-8 are 400 wherever text comes in, and guards refuse unsafe queries before the engine."""

from __future__ import annotations

import json
import socket
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kg.config import Settings
from kg.graph import KnowledgeGraph

if TYPE_CHECKING:  # the fixture lives in tests/server/conftest.py
    from conftest import Listener


def routes(app: Flask) -> list[str]:
    """A concrete path for every URL rule of the app, and one that matches none."""
    paths = {"/no-such-route"}
    for rule in app.url_map.iter_rules():
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<{argument}>", "x")
        paths.add(path.split("<")[0] + ("x" if "<" in path else ""))
    return sorted(paths)


def test_body_over_the_limit_is_413_naming_the_limit_on_every_route(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    body = b"x" * (settings.max_body_bytes + 1)
    for path in routes(app):
        for method in ("POST", "PUT"):
            response = client.open(path, method=method, data=body, content_type="text/plain")
            assert response.status_code == 413, (method, path, response.status_code)
            assert str(settings.max_body_bytes) in response.text, (method, path)
            assert "AICAP_MAX_BODY_BYTES" in response.text, (method, path)


@pytest.mark.parametrize(
    "query_string",
    [b"query=ASK%20%7B%7D%FF", b"query=ASK%20%7B%7D\xff", b"query=ASK+%7B%7D&x=%C3%28"],
    ids=["percent-encoded", "raw", "other-parameter"],
)
def test_query_string_that_is_not_utf8_is_400(client: FlaskClient, query_string: bytes) -> None:
    response = client.get(
        "/sparql", environ_overrides={"QUERY_STRING": query_string.decode("latin-1")}
    )
    assert response.status_code == 400
    assert "not UTF-8" in response.text
    assert "query string" in response.text


def test_form_body_that_is_not_utf8_is_400(client: FlaskClient) -> None:
    response = client.post(
        "/sparql",
        data=b"query=ASK%20%7B%20%22%E9%22%20%7D",  # a Latin-1 e-acute, percent-encoded
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "form body" in response.text


@pytest.mark.parametrize("media_type", ["application/sparql-query", "application/sparql-update"])
def test_sparql_body_that_is_not_utf8_is_400(client: FlaskClient, media_type: str) -> None:
    response = client.post("/sparql", data=b'ASK { "\xe9" }', content_type=media_type)
    assert response.status_code == 400
    assert f"the {media_type} body is not UTF-8: bytes e9" in response.text


def test_utf8_text_passes_the_check(client: FlaskClient) -> None:
    query = 'SELECT ?x { VALUES ?x { "é→😀" } }'
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 200
    assert json.loads(response.data)["results"]["bindings"][0]["x"]["value"] == "é→😀"


def assert_no_connection(sock: socket.socket) -> None:
    with pytest.raises(TimeoutError):
        sock.accept()


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        "PREFIX remote: <{url}> SELECT * WHERE {{ SERVICE remote: {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    ],
    ids=["iri", "silent", "prefixed", "variable"],
)
def test_service_is_403_and_nothing_connects(
    client: FlaskClient, template: str, listener: Listener
) -> None:
    with listener() as sock:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/sparql"
        response = client.get("/sparql", query_string={"query": template.format(url=url)})
        assert response.status_code == 403
        assert response.mimetype == "text/plain"
        assert "AICAP_ALLOWED_SERVICE_URLS" in response.text
        assert_no_connection(sock)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000,
        "SELECT * WHERE { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }",
        "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 1_000) + " }",
    ],
    ids=["braces", "brackets", "union-chain"],
)
def test_query_nested_or_chained_too_far_is_400_and_the_service_still_answers(
    client: FlaskClient, kg: KnowledgeGraph, query: str
) -> None:
    response = client.post("/sparql", data=query.encode(), content_type="application/sparql-query")
    assert response.status_code == 400
    assert "limit" in response.text
    assert client.get("/healthz").json == {"status": "ok", "triples": kg.triple_count()}
