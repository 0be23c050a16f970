"""Relative IRIs in a query, an update or an RDF body resolve against the request's URL
(SPARQL 1.1 Protocol; RFC 3986 5.1.3), as every other SPARQL service resolves them; a
BASE the client wrote wins."""

from __future__ import annotations

import uuid

import pyoxigraph as ox
from flask.testing import FlaskClient

from kg.graph import KnowledgeGraph

UPDATE = "application/sparql-update"


def fresh(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def stored(kg: KnowledgeGraph, subject: str) -> list[ox.Quad]:
    return list(kg.store.quads(ox.NamedNode(subject)))


def test_a_query_with_a_relative_iri_resolves_it_against_the_endpoint(
    client: FlaskClient,
) -> None:
    response = client.get(
        "/sparql", query_string={"query": "SELECT ?x WHERE { BIND(<rel> AS ?x) }"}
    )

    assert response.status_code == 200, response.text
    (row,) = response.json["results"]["bindings"]
    assert row["x"]["value"] == "http://localhost/rel"


def test_an_update_with_relative_iris_writes_them_resolved(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    name = fresh("data")
    text = f"INSERT DATA {{ GRAPH <http://example.org/rel> {{ <{name}> <p> <o> }} }}"

    response = write_client.post("/sparql", data=text, content_type=UPDATE, headers=write_headers)

    assert response.status_code == 204, response.text
    (quad,) = stored(write_kg, f"http://localhost/{name}")
    assert (quad.predicate.value, quad.object.value) == ("http://localhost/p", "http://localhost/o")


def test_an_update_template_and_where_clause_resolve_relative_iris_too(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    name = fresh("where")
    first = f"INSERT DATA {{ GRAPH <http://example.org/rel> {{ <{name}> <p> 1 }} }}"
    then = (
        "INSERT { GRAPH <http://example.org/rel> { ?s <q> 2 } } "
        f"WHERE {{ GRAPH <http://example.org/rel> {{ ?s <p> 1 FILTER(?s = <{name}>) }} }}"
    )
    for text in (first, then):
        response = write_client.post(
            "/sparql", data=text, content_type=UPDATE, headers=write_headers
        )
        assert response.status_code == 204, response.text

    predicates = {q.predicate.value for q in stored(write_kg, f"http://localhost/{name}")}
    assert predicates == {"http://localhost/p", "http://localhost/q"}


def test_a_base_written_in_the_update_wins(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    name = fresh("based")
    text = (
        "BASE <http://example.org/based/> "
        f"INSERT DATA {{ GRAPH <http://example.org/rel> {{ <{name}> <p> <o> }} }}"
    )

    response = write_client.post("/sparql", data=text, content_type=UPDATE, headers=write_headers)

    assert response.status_code == 204, response.text
    assert len(stored(write_kg, f"http://example.org/based/{name}")) == 1
    assert stored(write_kg, f"http://localhost/{name}") == []


def test_a_graph_store_body_with_relative_iris_resolves_them_against_the_request_url(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    name = fresh("body")
    graph = "http://example.org/rel-body"

    response = write_client.put(
        "/graph-store",
        query_string={"graph": graph},
        data=f"<{name}> <http://example.org/p> 1 .".encode(),
        content_type="text/turtle",
        headers=write_headers,
    )

    assert response.status_code in (201, 204), response.text
    assert len(stored(write_kg, f"http://localhost/{name}")) == 1
