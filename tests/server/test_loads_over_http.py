"""A graph-store write is a load: the same bytes a second time are refused (409) or replace.

`aicap load` records each file's SHA-256; a graph-store PUT or POST records its body the same
way, so that the bytes of any earlier load, from the CLI or over HTTP, are recognised. The
refusal names the earlier load and leaves the store as it was; ``replace=true`` swaps the
earlier load for the new one in one transaction, and the audit graph says so.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pyoxigraph as ox
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from kg.graph import KnowledgeGraph
from kg.namespaces import AUDIT_GRAPH, BASE_IRI, LOADS_GRAPH

ROOT = Path(__file__).resolve().parents[2]
EX = "http://example.org/loads-over-http/"
TURTLE = "text/turtle"
AICAP = "https://w3id.org/aicap/ontology#"
LOADS = ox.NamedNode(str(LOADS_GRAPH))


def unique_body() -> str:
    """Bytes no other test sends."""
    return f"<{EX}{uuid.uuid4()}> <{EX}p> 1 .\n"


def store_size(kg: KnowledgeGraph) -> int:
    return kg.triple_count()


def post(
    client: FlaskClient, body: str | bytes, headers: dict[str, str], **params: str
) -> TestResponse:
    data = body.encode() if isinstance(body, str) else body
    return client.post(
        "/graph-store", query_string=params, data=data, content_type=TURTLE, headers=headers
    )


def put(
    client: FlaskClient, graph: str, body: str, headers: dict[str, str], **params: str
) -> TestResponse:
    return client.put(
        "/graph-store",
        query_string={"graph": graph, **params},
        data=body.encode(),
        content_type=TURTLE,
        headers=headers,
    )


def graph_quads(kg: KnowledgeGraph, graph: str) -> list[ox.Quad]:
    return list(kg.store.quads(graph=ox.NamedNode(graph)))


def operations(kg: KnowledgeGraph) -> list[str]:
    audit = ox.NamedNode(str(AUDIT_GRAPH))
    predicate = ox.NamedNode(AICAP + "writeOperation")
    return [str(q.object.value) for q in kg.store.quads(None, predicate, None, audit)]


def test_posting_the_same_bytes_twice_is_409_naming_the_earlier_load(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    body = unique_body()
    first = post(write_client, body, write_headers)
    assert first.status_code == 201
    minted = first.headers["Location"]
    assert minted.startswith(f"{BASE_IRI}graph/load/")
    before = store_size(write_kg)
    again = post(write_client, body, write_headers)
    assert again.status_code == 409
    load_id = minted.rsplit("/", 1)[-1]
    assert f"(load <{BASE_IRI}id/load/{load_id}>)" in again.text
    assert "count every figure twice" in again.text
    assert "replace=true" in again.text
    assert store_size(write_kg) == before  # nothing written, not even an audit record


def test_replace_true_swaps_the_earlier_load_in_one_write(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    body = unique_body()
    earlier = post(write_client, body, write_headers).headers["Location"]
    swapped = post(write_client, body, write_headers, replace="true")
    assert swapped.status_code == 201
    now = swapped.headers["Location"]
    assert now != earlier
    assert graph_quads(write_kg, earlier) == []
    assert not write_kg.store.contains_graph(ox.NamedNode(earlier))  # minted for it: dropped
    assert len(graph_quads(write_kg, now)) == 1
    assert "graph-store POST replacing a load" in operations(write_kg)
    subject = ox.NamedNode(body.split(">", 1)[0].lstrip("<"))
    assert [q.graph_name.value for q in write_kg.store.quads(subject)] == [now]
    earlier_load = ox.NamedNode(earlier.replace("/graph/load/", "/id/load/"))
    assert list(write_kg.store.quads(earlier_load, None, None, LOADS)) == []  # its records too


def test_putting_the_same_bytes_into_the_same_graph_replaces_it_and_is_not_a_repeat(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    graph, body = f"{EX}{uuid.uuid4()}", unique_body()
    assert put(write_client, graph, body, write_headers).status_code == 201
    assert put(write_client, graph, body, write_headers).status_code == 204
    assert len(graph_quads(write_kg, graph)) == 1


def test_putting_the_same_bytes_into_a_second_graph_is_409_unless_replace(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    first, second, body = f"{EX}{uuid.uuid4()}", f"{EX}{uuid.uuid4()}", unique_body()
    assert put(write_client, first, body, write_headers).status_code == 201
    refused = put(write_client, second, body, write_headers)
    assert refused.status_code == 409
    assert not write_kg.store.contains_graph(ox.NamedNode(second))
    assert put(write_client, second, body, write_headers, replace="true").status_code == 201
    assert graph_quads(write_kg, first) == []  # the earlier load's triples left its graph
    assert len(graph_quads(write_kg, second)) == 1


def test_the_bytes_of_a_bundled_file_loaded_at_start_are_recognised(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    ontology = (ROOT / "ontology" / "aicap.ttl").read_bytes()
    refused = post(write_client, ontology, write_headers)
    assert refused.status_code == 409
    assert "from aicap.ttl at" in refused.text


def test_once_the_earlier_graph_is_dropped_the_same_bytes_load_again(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    body = unique_body()
    earlier = post(write_client, body, write_headers).headers["Location"]
    dropped = write_client.delete(
        "/graph-store", query_string={"graph": earlier}, headers=write_headers
    )
    assert dropped.status_code == 204
    assert post(write_client, body, write_headers).status_code == 201
