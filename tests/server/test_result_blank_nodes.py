"""Query results give the service's Skolem IRIs back as blank nodes; exports keep the IRIs.

Writes store blank nodes as ``<base>.well-known/genid/<id>`` (`kg.rdf.loading.skolemize`); the
query workers write each term that is exactly such an IRI as ``_:<id>`` in every result
format (`kg.query.workers.serialize_result`). Literals whose text holds such an IRI, and IRIs
that only begin like one, are left alone.
"""

from __future__ import annotations

import json
import uuid

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient

from kg.graph import KnowledgeGraph
from kg.store.skolem import SKOLEM_PATH

EX = "http://example.org/result-bnodes/"


@pytest.fixture
def graph(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> tuple[str, str]:
    """A graph with a blank node, put through the Graph Store Protocol; and the genid base."""
    genid = write_kg.settings.base_iri + SKOLEM_PATH
    name = f"{EX}{uuid.uuid4()}"
    body = (
        f'<{EX}s> <{EX}p> [ <{EX}q> "x" ] .\n'
        f'<{EX}s> <{EX}text> "see <{genid}abc>" .\n'
        f"<{EX}s> <{EX}deeper> <{genid}abc/def> .\n"
        f"# for {name}: bytes of its own, not a repeat of an earlier load\n"
    )
    response = write_client.put(
        "/graph-store", query_string={"graph": name}, data=body.encode(),
        content_type="text/turtle", headers=write_headers,
    )  # fmt: skip
    assert response.status_code == 201
    stored = [q.object for q in write_kg.store.quads(predicate=ox.NamedNode(EX + "p"))]
    assert any(isinstance(o, ox.NamedNode) and o.value.startswith(genid) for o in stored)
    return name, genid


def sparql(client: FlaskClient, query: str, accept: str) -> bytes:
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    return response.data


def test_select_as_json_gives_a_blank_node(
    write_client: FlaskClient, graph: tuple[str, str]
) -> None:
    name, genid = graph
    query = f"""SELECT ?o ?x ?t ?d {{ GRAPH <{name}> {{
        <{EX}s> <{EX}p> ?o ; <{EX}text> ?t ; <{EX}deeper> ?d . ?o <{EX}q> ?x }} }}"""
    (row,) = json.loads(sparql(write_client, query, "application/sparql-results+json"))["results"][
        "bindings"
    ]
    assert row["o"]["type"] == "bnode"
    assert genid not in row["o"]["value"]
    assert row["t"] == {"type": "literal", "value": f"see <{genid}abc>"}
    assert row["d"] == {"type": "uri", "value": f"{genid}abc/def"}


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
        ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
        ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    ],
)
def test_the_same_skolem_iri_is_the_same_blank_node_in_every_row(
    write_client: FlaskClient, graph: tuple[str, str], accept: str, fmt: ox.QueryResultsFormat
) -> None:
    name, _ = graph
    query = f"SELECT ?s ?o {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
    rows = list(ox.parse_query_results(sparql(write_client, query, accept), format=fmt))
    assert isinstance(rows[0], ox.QuerySolution)
    blanks = [t for r in rows for t in (r["s"], r["o"]) if isinstance(t, ox.BlankNode)]
    assert len(blanks) == 2 and blanks[0] == blanks[1]  # object of :p, subject of :q


def test_construct_as_n_triples_gives_blank_nodes(
    write_client: FlaskClient, graph: tuple[str, str]
) -> None:
    name, genid = graph
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
    body = sparql(write_client, query, "application/n-triples")
    triples = {
        t.predicate.value.removeprefix(EX): t for t in ox.parse(body, ox.RdfFormat.N_TRIPLES)
    }
    assert isinstance(triples["p"].object, ox.BlankNode)
    assert triples["q"].subject == triples["p"].object
    assert triples["text"].object == ox.Literal(f"see <{genid}abc>")
    assert triples["deeper"].object == ox.NamedNode(f"{genid}abc/def")


def test_exports_keep_the_skolem_iris(write_client: FlaskClient, graph: tuple[str, str]) -> None:
    name, genid = graph
    response = write_client.get("/export", query_string={"format": "nq", "graph": name})
    assert response.status_code == 200, response.text
    triples = list(ox.parse(response.data, ox.RdfFormat.N_QUADS))
    assert not any(isinstance(t.subject, ox.BlankNode) for t in triples)
    assert any(t.subject.value.startswith(genid) for t in triples)
