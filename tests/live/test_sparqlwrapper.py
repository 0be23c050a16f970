"""SPARQLWrapper, as analysts' scripts use it, against the real `aicap serve`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyoxigraph as ox
from SPARQLWrapper import GET, JSON, POST, TURTLE, SPARQLWrapper

if TYPE_CHECKING:
    from tests.live.conftest import LiveServer


def client(server: LiveServer, return_format: str, method: str = GET) -> SPARQLWrapper:
    """A SPARQLWrapper on the live endpoint."""
    sparql = SPARQLWrapper(server.sparql_url, returnFormat=return_format)
    sparql.setMethod(method)
    return sparql


def test_select_in_json_counts_what_healthz_counts(live_server: LiveServer) -> None:
    sparql = client(live_server, JSON)
    # The bundled data lives in named graphs, one per source: counting the quads of every
    # named graph counts the store.
    sparql.setQuery("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    rows = sparql.queryAndConvert()["results"]["bindings"]
    assert len(rows) == 1
    assert rows[0]["n"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert int(rows[0]["n"]["value"]) == live_server.health()["triples"]


def test_select_by_post_returns_the_rows_in_order(live_server: LiveServer) -> None:
    sparql = client(live_server, JSON, POST)
    sparql.setQuery(
        'SELECT ?label WHERE { VALUES ?label { "gamma" "alpha" "beta" } } ORDER BY ?label'
    )
    result = sparql.queryAndConvert()
    assert result["head"]["vars"] == ["label"]
    assert [row["label"]["value"] for row in result["results"]["bindings"]] == [
        "alpha",
        "beta",
        "gamma",
    ]


def test_ask_is_true_on_the_bundled_data_and_false_on_nothing(live_server: LiveServer) -> None:
    sparql = client(live_server, JSON)
    sparql.setQuery("ASK { GRAPH ?g { ?s a ?type } }")
    assert sparql.queryAndConvert()["boolean"] is True
    sparql.setQuery("ASK { FILTER(false) }")
    assert sparql.queryAndConvert()["boolean"] is False


def test_construct_in_turtle_returns_the_constructed_triples(live_server: LiveServer) -> None:
    sparql = client(live_server, TURTLE)
    sparql.setQuery("CONSTRUCT { ?g a <http://example.org/Graph> } WHERE { GRAPH ?g { ?s ?p ?o } }")
    body = sparql.queryAndConvert()
    assert isinstance(body, bytes)
    graphs = {q.subject for q in ox.parse(body, format=ox.RdfFormat.TURTLE)}
    assert graphs
    sparql = client(live_server, JSON)
    sparql.setQuery("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    rows = sparql.queryAndConvert()["results"]["bindings"]
    assert graphs == {ox.NamedNode(row["g"]["value"]) for row in rows}


def test_server_logs_where_it_serves(live_server: LiveServer) -> None:
    assert f"serving on {live_server.url}" in live_server.log()
