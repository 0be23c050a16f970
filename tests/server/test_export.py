"""`/export`: each format loads back whole, one graph alone, bad input, and streaming."""

from __future__ import annotations

import io
import threading
from typing import BinaryIO

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient

from kg.graph import KnowledgeGraph
from kg.namespaces import ARTICLE_GRAPH

FORMATS = {
    "nq": ("application/n-quads", ox.RdfFormat.N_QUADS),
    "trig": ("application/trig", ox.RdfFormat.TRIG),
    "ttl": ("text/turtle", ox.RdfFormat.TURTLE),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
}
DEADLINE_S = 10.0


def loaded(body: bytes, fmt: ox.RdfFormat) -> ox.Store:
    """An empty in-memory store with the body loaded into it."""
    store = ox.Store()
    store.load(body, format=fmt)
    return store


@pytest.mark.parametrize("name", ["nq", "trig", "jsonld"])
def test_a_dataset_export_loads_back_with_every_quad(
    client: FlaskClient, kg: KnowledgeGraph, name: str
) -> None:
    media_type, fmt = FORMATS[name]

    response = client.get("/export", query_string={"format": name})

    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.headers["Content-Disposition"] == f"attachment; filename=aicap.{name}"
    store = loaded(response.data, fmt)
    assert len(store) == kg.triple_count()
    assert set(store.named_graphs()) == set(kg.store.graphs())


def test_a_turtle_export_is_the_merge_of_all_graphs(
    client: FlaskClient, kg: KnowledgeGraph
) -> None:
    response = client.get("/export", query_string={"format": "ttl"})

    assert response.status_code == 200
    store = loaded(response.data, ox.RdfFormat.TURTLE)
    assert len(store) == len({q.triple for q in kg.store.quads()})
    assert len(store) < kg.triple_count()  # the same deal is stated in several graphs


@pytest.mark.parametrize("name", FORMATS)
def test_one_graph_exports_alone(client: FlaskClient, kg: KnowledgeGraph, name: str) -> None:
    fmt = FORMATS[name][1]
    graph = ox.NamedNode(str(ARTICLE_GRAPH))

    response = client.get("/export", query_string={"format": name, "graph": graph.value})

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename=aicap-article.{name}"
    store = loaded(response.data, fmt)
    assert len(store) == len(list(kg.store.quads(graph=graph)))
    if fmt.supports_datasets:
        assert list(store.named_graphs()) == [graph]


@pytest.mark.parametrize("name", FORMATS)
def test_the_body_is_what_aicap_export_writes(
    client: FlaskClient, kg: KnowledgeGraph, name: str
) -> None:
    written = io.BytesIO()
    kg.export(written, name)

    response = client.get("/export", query_string={"format": name})

    assert response.data == written.getvalue()


def test_an_unknown_format_is_a_400_listing_the_formats(client: FlaskClient) -> None:
    response = client.get("/export", query_string={"format": "rdfxml"})

    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "rdfxml" in text
    assert "nq, trig, ttl, jsonld" in text


def test_an_unknown_graph_is_a_404_listing_the_graphs(client: FlaskClient) -> None:
    response = client.get(
        "/export", query_string={"format": "nq", "graph": "http://example.org/nope"}
    )

    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "http://example.org/nope" in text
    assert str(ARTICLE_GRAPH) in text


def test_a_graph_that_is_not_an_iri_is_a_400(client: FlaskClient) -> None:
    response = client.get("/export", query_string={"format": "nq", "graph": "not an iri"})

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/trig"),
        ("*/*", "application/trig"),
        ("application/n-quads", "application/n-quads"),
        ("text/turtle", "text/turtle"),
        ("application/ld+json;q=0.9, text/plain;q=0.1", "application/ld+json"),
    ],
)
def test_without_a_format_accept_chooses(
    client: FlaskClient, accept: str | None, media_type: str
) -> None:
    response = client.get("/export", headers={} if accept is None else {"Accept": accept})

    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "Accept" in response.vary


def test_an_accept_no_export_format_matches_is_a_406(client: FlaskClient) -> None:
    response = client.get("/export", headers={"Accept": "text/html"})

    assert response.status_code == 406
    assert "application/n-quads" in response.get_data(as_text=True)


def test_the_response_starts_before_the_export_ends(
    client: FlaskClient, kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_seen = threading.Event()

    def export(output: BinaryIO, fmt: str = "trig", graph: str | None = None) -> None:
        output.write(b"<http://example.org/a> <http://example.org/p> 1 .\n" * 2000)
        if not first_seen.wait(DEADLINE_S):  # the rest only once the client has the start
            raise TimeoutError("the response did not start before the export ended")
        output.write(b"<http://example.org/z> <http://example.org/p> 2 .\n")

    monkeypatch.setattr(kg, "export", export)

    response = client.get("/export", query_string={"format": "nq"}, buffered=False)
    body = response.iter_encoded()
    first = next(body)
    first_seen.set()
    rest = b"".join(body)

    assert response.is_streamed
    assert first.startswith(b"<http://example.org/a>")
    assert rest.endswith(b"<http://example.org/z> <http://example.org/p> 2 .\n")
    response.close()
