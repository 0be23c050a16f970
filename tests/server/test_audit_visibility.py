"""The audit graph is a system graph: hidden from the strict default dataset, seen when named.

Decided in one place, `KnowledgeGraph._ad_hoc_request` (stored queries: `execute_stored`,
`run_stored`), carried out by `kg.store.datasets.hide_graphs` on the store the query reads. With
the strict SPARQL dataset (AICAP_UNION_DEFAULT_GRAPH=false) a query that names no dataset
does not see the audit graph among its named graphs; in union mode the default graph is the
union of all graphs, audit included, as the contract says (and at no cost per graph).
FROM, FROM NAMED, default-graph-uri and named-graph-uri that name it see it either way.
/healthz counts every quad.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient

from kg.graph import KnowledgeGraph
from kg.namespaces import AUDIT_GRAPH, LOADS_GRAPH
from kg.query.dataset import SYSTEM_GRAPHS
from kg.query.executor import QueryRequest
from kg.query.workers import QueryResponse

AUDIT = str(AUDIT_GRAPH)
AICAP = "https://w3id.org/aicap/ontology#"
EX = "http://example.org/audit-visibility/"
GRAPHS = "SELECT DISTINCT ?g { GRAPH ?g {} }"


@pytest.fixture
def written(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> str:
    """A fresh graph written through the Graph Store Protocol, so the audit graph has records."""
    graph = f"{EX}{uuid.uuid4()}"
    body = f"<{EX}s> <{EX}p> 1 .\n# for {graph}: not a repeat of an earlier load\n".encode()
    response = write_client.put(
        "/graph-store", query_string={"graph": graph}, data=body,
        content_type="text/turtle", headers=write_headers,
    )  # fmt: skip
    assert response.status_code == 201
    assert audit_quads(write_kg) > 0
    return graph


def audit_quads(kg: KnowledgeGraph) -> int:
    return len(list(kg.store.quads(graph=ox.NamedNode(AUDIT))))


def bindings(client: FlaskClient, query: str, **params: str) -> list[dict[str, dict[str, str]]]:
    response = client.get("/sparql", query_string={"query": query, **params})
    assert response.status_code == 200, response.text
    rows: list[dict[str, dict[str, str]]] = json.loads(response.data)["results"]["bindings"]
    return rows


def count(client: FlaskClient, where: str) -> int:
    (row,) = bindings(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
    return int(row["n"]["value"])


@pytest.fixture(params=[True, False], ids=["union", "strict"])
def union(request: pytest.FixtureRequest, write_kg: KnowledgeGraph) -> Iterator[bool]:
    """Both settings of AICAP_UNION_DEFAULT_GRAPH, on the write tests' graph."""
    value: bool = request.param
    settings = dataclasses.replace(write_kg.settings, union_default_graph=value)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(write_kg, "settings", settings)
        yield value


def test_graph_listing_leaves_out_the_audit_graph_in_strict_mode_only(
    write_client: FlaskClient, write_kg: KnowledgeGraph, written: str, union: bool
) -> None:
    graphs = {row["g"]["value"] for row in bindings(write_client, GRAPHS)}
    assert written in graphs
    assert (AUDIT in graphs) == union
    seen = count(write_client, f"GRAPH <{AUDIT}> {{ ?s ?p ?o }}")
    assert seen == (audit_quads(write_kg) if union else 0)


def test_from_named_and_named_graph_uri_see_the_audit_records(
    write_client: FlaskClient, write_kg: KnowledgeGraph, written: str, union: bool
) -> None:
    query = f"SELECT * FROM NAMED <{AUDIT}> {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    rows = bindings(write_client, query)
    assert len(rows) == audit_quads(write_kg)
    assert {row["g"]["value"] for row in rows} == {AUDIT}

    query = "SELECT * { GRAPH ?g { ?s ?p ?o } }"
    rows = bindings(write_client, query, **{"named-graph-uri": AUDIT})
    assert len(rows) == audit_quads(write_kg)
    assert {row["g"]["value"] for row in rows} == {AUDIT}

    changed = f"SELECT ?w {{ ?w <{AICAP}changedGraph> <{written}> }}"
    assert len(bindings(write_client, changed, **{"default-graph-uri": AUDIT})) == 1
    from_audit = f"SELECT ?w FROM <{AUDIT}> {{ ?w <{AICAP}changedGraph> <{written}> }}"
    assert len(bindings(write_client, from_audit)) == 1
    # otherwise in the default graph only as part of the union
    assert len(bindings(write_client, changed)) == (1 if union else 0)


def test_strict_counts_leave_out_the_audit_quads_and_healthz_counts_them(
    write_client: FlaskClient, write_kg: KnowledgeGraph, written: str, union: bool
) -> None:
    everything = write_kg.triple_count()
    default = len(list(write_kg.store.quads(graph=ox.DefaultGraph())))
    loads = len(list(write_kg.store.quads(graph=ox.NamedNode(str(LOADS_GRAPH)))))
    visible = everything if union else everything - audit_quads(write_kg) - loads
    assert count(write_client, "GRAPH ?g { ?s ?p ?o }") == visible - default
    # the union default graph is the merge of every graph: a triple two graphs hold is one
    merged = len({quad.triple for quad in write_kg.store.quads()})
    assert merged < everything  # the bundled graphs do state some triples twice
    assert count(write_client, "?s ?p ?o") == (merged if union else default)
    health = write_client.get("/healthz").json
    assert health == {"status": "ok", "triples": everything}


def test_in_process_strict_queries_leave_out_the_audit_graph(
    write_kg: KnowledgeGraph, written: str
) -> None:
    result = write_kg.query(GRAPHS, union_default_graph=False)
    assert isinstance(result, ox.QuerySolutions)
    graphs = {row["g"] for row in result}
    assert ox.NamedNode(written) in graphs
    assert ox.NamedNode(AUDIT) not in graphs
    query = f"SELECT DISTINCT ?g FROM NAMED <{AUDIT}> {{ GRAPH ?g {{}} }}"
    result = write_kg.query(query, union_default_graph=False)
    assert isinstance(result, ox.QuerySolutions)
    assert [row["g"] for row in result] == [ox.NamedNode(AUDIT)]


def test_stored_queries_run_without_the_system_graphs(
    write_kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[QueryRequest] = []

    def run(request: QueryRequest) -> QueryResponse:
        seen.append(request)
        return QueryResponse(b"", "application/json", "solutions", False, 0, 0)

    monkeypatch.setattr(write_kg, "_run", run)
    write_kg.execute_stored("committed-gigawatts", {})
    assert seen[0].hidden_graphs == SYSTEM_GRAPHS == (AUDIT, str(LOADS_GRAPH))
    assert seen[0].union_default_graph
