"""`server/errors.py`: known errors get their status and a body per surface; others a 500."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kg.errors import (
    AlreadyLoaded,
    BadParameter,
    Forbidden,
    KgError,
    Overloaded,
    QuerySyntaxError,
    QueryTimeout,
    ReadOnly,
    ShapeViolation,
    TooComplex,
    TooLarge,
    Unauthorized,
    UnknownQuery,
    UnknownResource,
    UnsafeQuery,
    UnsupportedFormat,
)
from kg.graph import KnowledgeGraph
from server.errors import status_for


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (QuerySyntaxError("x"), 400),
        (BadParameter("x"), 400),
        (Unauthorized("x"), 401),
        (ReadOnly("x"), 403),
        (UnknownQuery("x", ["a"]), 404),
        (UnknownResource("x"), 404),
        (UnsupportedFormat("x"), 415),
        (AlreadyLoaded("x", "https://w3id.org/aicap/id/load/1"), 409),
        (ShapeViolation(cast(Any, SimpleNamespace(text="the report"))), 422),
        (QueryTimeout("x"), 503),
        (KgError("a library error nobody mapped"), 500),
    ],
)
def test_each_library_error_has_its_status(error: KgError, status: int) -> None:
    assert status_for(error) == status


def test_query_timeout_on_sparql_is_503_in_plain_text(
    client: FlaskClient, kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    def too_slow(*args: object, **kwargs: object) -> None:
        raise QueryTimeout("the query ran past 30 s", "raise AICAP_QUERY_TIMEOUT_S")

    monkeypatch.setattr(kg, "execute", too_slow)
    response = client.get("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 503
    assert response.mimetype == "text/plain"
    assert response.text == "the query ran past 30 s\nraise AICAP_QUERY_TIMEOUT_S\n"


def test_already_loaded_is_409_naming_the_earlier_load(app: Flask) -> None:
    earlier = "https://w3id.org/aicap/id/load/0b1c"

    @app.get("/api/loads-twice")
    def loads_twice() -> str:
        raise AlreadyLoaded(f"deals.ttl: loaded before (load <{earlier}>)", earlier, "replace")

    response = app.test_client().get("/api/loads-twice")
    assert response.status_code == 409
    assert response.json is not None
    assert f"<{earlier}>" in response.json["error"]
    assert response.json["hint"] == "replace"


def test_unauthorized_asks_for_a_bearer_token(app: Flask) -> None:
    @app.get("/api/needs-token")
    def needs_token() -> str:
        raise Unauthorized("missing bearer token")

    response = app.test_client().get("/api/needs-token")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_query_on_api_is_json_with_the_known_names(app: Flask) -> None:
    # Not /api/queries/<name>: the app serves that route itself (server/stored_queries.py).
    @app.get("/api/test-queries/<name>")
    def stored_query(name: str) -> str:
        raise UnknownQuery(name, ["circular-flows", "funding-sources"])

    response = app.test_client().get("/api/test-queries/nope")
    assert response.status_code == 404
    assert response.json == {
        "error": "no stored query named 'nope'",
        "status": 404,
        "hint": "known queries: circular-flows, funding-sources",
        "known": ["circular-flows", "funding-sources"],
    }


def test_unknown_route_is_404_in_plain_text_and_in_json_under_api(client: FlaskClient) -> None:
    plain = client.get("/no-such-route")
    assert plain.status_code == 404
    assert plain.mimetype == "text/plain"
    as_json = client.get("/api/no-such-route")
    assert as_json.status_code == 404
    assert as_json.json is not None
    assert as_json.json["status"] == 404


def test_unexpected_exception_is_a_logged_500_without_its_details(
    client: FlaskClient,
    kg: KnowledgeGraph,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> int:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(kg, "triple_count", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get("/healthz")
    assert response.status_code == 500
    assert response.json is not None
    assert response.json["status"] == 500
    assert "secret internals" not in response.text
    assert any(r.exc_info and isinstance(r.exc_info[1], RuntimeError) for r in caplog.records)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Overloaded("all 2 query workers stayed busy for 1 s", "try again in a moment"), 503),
        (TooLarge("the body is 3 MB; the limit is 1 MB (AICAP_MAX_BODY_BYTES)"), 413),
        (TooComplex("the query nests deeper than 64 levels"), 400),
        (UnsafeQuery("the query crashed the engine"), 400),
        (Forbidden("SERVICE <http://x/> is refused"), 403),
    ],
)
def test_guard_and_executor_errors_have_their_status(error: KgError, status: int) -> None:
    assert status_for(error) == status


def test_overload_is_503_with_retry_after(
    client: FlaskClient, kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(*args: object, **kwargs: object) -> None:
        raise Overloaded("all 2 query workers stayed busy for 1 s", "try again in a moment")

    monkeypatch.setattr(kg, "execute", busy)
    response = client.get("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "all 2 query workers stayed busy" in response.text


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_browser_gets_an_html_page_with_the_message_escaped(app: Flask) -> None:
    @app.get("/pages/<name>")
    def page(name: str) -> str:
        raise UnknownResource(f"no resource <script>{name}</script>", ["<b>a</b>", "b"])

    response = app.test_client().get("/pages/x", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<h1>404 Not Found</h1>" in response.text
    assert "no resource &lt;script&gt;x&lt;/script&gt;" in response.text
    assert "<script>" not in response.text
    assert "<li>&lt;b&gt;a&lt;/b&gt;</li>" in response.text


def test_unknown_route_is_html_for_a_browser_and_text_for_curl(client: FlaskClient) -> None:
    assert client.get("/no-such-route", headers={"Accept": BROWSER_ACCEPT}).mimetype == "text/html"
    assert client.get("/no-such-route", headers={"Accept": "*/*"}).mimetype == "text/plain"
    assert client.get("/no-such-route").mimetype == "text/plain"


def test_sparql_errors_stay_plain_text_even_for_a_browser(client: FlaskClient) -> None:
    response = client.get(
        "/sparql", query_string={"query": "SELECT * {"}, headers={"Accept": BROWSER_ACCEPT}
    )
    assert response.status_code == 400
    assert response.mimetype == "text/plain"


def test_api_errors_stay_json_even_for_a_browser(client: FlaskClient) -> None:
    response = client.get("/api/no-such-route", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 404
    assert response.json is not None


def test_unexpected_exception_on_sparql_is_500_never_4xx(
    client: FlaskClient, kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("an engine bug")

    monkeypatch.setattr(kg, "execute", broken)
    response = client.get("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 500
    assert "an engine bug" not in response.text
