"""SPARQL updates on `/sparql`: token, statuses, validation, one transaction, audit.

Every write test asserts the status and the graph afterwards: the quad count and a
specific quad.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from kg.graph import KnowledgeGraph
from kg.namespaces import AUDIT_GRAPH

if TYPE_CHECKING:  # the fixture lives in tests/server/conftest.py
    from conftest import Listener

EX = "http://example.org/update-tests/"
G = ox.NamedNode(EX + "graph")
UPDATE = "application/sparql-update"
DATA = Path(__file__).parent.parent / "data"


def iri(name: str) -> ox.NamedNode:
    return ox.NamedNode(EX + name)


def insert(name: str, value: int = 1) -> str:
    """An update that puts <name> ex:value `value` in graph G."""
    return f"INSERT DATA {{ GRAPH <{G.value}> {{ <{EX}{name}> <{EX}value> {value} }} }}"


def stored(kg: KnowledgeGraph, name: str) -> list[ox.Quad]:
    return list(kg.store.quads(iri(name), None, None, G))


def post_update(
    client: FlaskClient, text: str, headers: dict[str, str] | None = None, **params: str
) -> TestResponse:
    return client.post(
        "/sparql",
        data=text.encode(),
        content_type=UPDATE,
        headers=headers or {},
        query_string=params,
    )


def obligation_update(name: str, amount: str) -> str:
    """INSERT DATA of tests/data/new-obligation.ttl, renamed, with this amount."""
    text = (DATA / "new-obligation.ttl").read_text()
    lines = text.replace("OBLIGATION", name).replace("AMOUNT", amount).splitlines()
    prologue = "\n".join(line for line in lines if line.startswith("PREFIX"))
    body = "\n".join(line for line in lines if not line.startswith(("PREFIX", "#")))
    return f"{prologue}\nINSERT DATA {{ GRAPH <{G.value}> {{ {body} }} }}"


# --- the token --------------------------------------------------------------------------------


def test_post_update_without_token_is_401_and_graph_unchanged(
    write_client: FlaskClient, write_kg: KnowledgeGraph
) -> None:
    before = write_kg.triple_count()
    response = post_update(write_client, insert("no-token"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "Authorization: Bearer" in response.text
    assert write_kg.triple_count() == before
    assert stored(write_kg, "no-token") == []


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer wrong-token",
        "Bearer token-for-the-write-tests-and-more",
        "bearer token-for-the-write-tests",
        "Basic dG9rZW4tZm9yLXRoZS13cml0ZS10ZXN0cw==",
        "token-for-the-write-tests",
        "Bearer  token-for-the-write-tests",
    ],
)
def test_wrong_token_or_scheme_is_401_and_graph_unchanged(
    write_client: FlaskClient, write_kg: KnowledgeGraph, authorization: str
) -> None:
    before = write_kg.triple_count()
    response = post_update(write_client, insert("wrong"), {"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert write_kg.triple_count() == before
    assert stored(write_kg, "wrong") == []


def test_update_on_a_read_only_service_is_403_whatever_the_token(
    client: FlaskClient, kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    before = kg.triple_count()
    response = client.post("/sparql", data={"update": insert("read-only")}, headers=write_headers)
    assert response.status_code == 403
    assert "read-only" in response.text and "AICAP_WRITE_TOKEN" in response.text
    assert kg.triple_count() == before
    assert list(kg.store.quads(iri("read-only"))) == []


# --- accepted updates -------------------------------------------------------------------------


def test_form_update_with_the_token_is_204_and_the_triple_is_stored(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    before = write_kg.triple_count()
    response = write_client.post(
        "/sparql", data={"update": insert("by-form", 7)}, headers=write_headers
    )
    assert response.status_code == 204
    assert response.data == b""
    (quad,) = stored(write_kg, "by-form")
    assert quad.object == ox.Literal("7", datatype=ox.NamedNode(str(XSD_INTEGER)))
    assert write_kg.triple_count() > before + 1, "the quad and its audit record"


def test_update_body_is_204_and_the_next_query_reads_it(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    response = post_update(write_client, insert("read-back", 3), write_headers)
    assert response.status_code == 204
    query = f"SELECT ?v WHERE {{ GRAPH <{G.value}> {{ <{EX}read-back> <{EX}value> ?v }} }}"
    answer = write_client.get("/sparql", query_string={"query": query})
    assert [row["v"]["value"] for row in answer.json["results"]["bindings"]] == ["3"]
    assert len(stored(write_kg, "read-back")) == 1


def test_insert_then_delete_where_in_one_request_sees_the_insert(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    post_update(write_client, insert("kept", 1), write_headers)
    before = write_kg.triple_count()
    text = (
        insert("transient", 2)
        + f" ; DELETE WHERE {{ GRAPH <{G.value}> {{ <{EX}transient> ?p ?o }} }}"
    )
    response = post_update(write_client, text, write_headers)
    assert response.status_code == 204
    assert stored(write_kg, "transient") == []
    assert len(stored(write_kg, "kept")) == 1
    assert not list(write_kg.settings.data_dir.glob("update-*")), "scratch copy removed"
    assert write_kg.triple_count() > before, "only the audit record was added"


def test_using_graph_uri_gives_the_where_clause_its_default_graph(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    post_update(write_client, insert("source", 5), write_headers)
    text = f"INSERT {{ GRAPH <{EX}copies> {{ ?s <{EX}copied> ?v }} }} WHERE {{ ?s <{EX}value> ?v }}"
    response = post_update(write_client, text, write_headers, **{"using-graph-uri": G.value})
    assert response.status_code == 204
    copies = list(write_kg.store.quads(iri("source"), iri("copied")))
    assert [q.object.value for q in copies] == ["5"]


def test_using_graph_uri_beside_a_using_clause_is_400_and_graph_unchanged(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    before = write_kg.triple_count()
    text = f"INSERT {{ <{EX}conflict> <{EX}p> 1 }} USING <{G.value}> WHERE {{ }}"
    response = post_update(write_client, text, write_headers, **{"using-graph-uri": G.value})
    assert response.status_code == 400
    assert "USING" in response.text
    assert write_kg.triple_count() == before
    assert list(write_kg.store.quads(iri("conflict"))) == []


def test_an_accepted_update_is_audited_with_the_token_holder(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    response = post_update(write_client, insert("audited"), write_headers)
    assert response.status_code == 204
    query = f"""PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX aicap: <https://w3id.org/aicap/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?who ?added ?when FROM NAMED <{AUDIT_GRAPH}> WHERE {{ GRAPH <{AUDIT_GRAPH}> {{
          ?write a aicap:Write ; aicap:writeOperation "update" ; aicap:changedGraph <{G.value}> ;
            prov:wasAssociatedWith/rdfs:label ?who ; aicap:quadsAdded ?added ;
            prov:endedAtTime ?when }} }} ORDER BY DESC(?when) LIMIT 1"""
    rows = write_client.get("/sparql", query_string={"query": query}).json["results"]["bindings"]
    assert rows[0]["who"]["value"] == "analyst-under-test"
    assert rows[0]["added"]["value"] == "1"


# --- refused updates --------------------------------------------------------------------------


def test_update_by_get_is_400_and_graph_unchanged(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    before = write_kg.triple_count()
    response = write_client.get(
        "/sparql", query_string={"update": insert("by-get")}, headers=write_headers
    )
    assert response.status_code == 400
    assert write_kg.triple_count() == before
    assert stored(write_kg, "by-get") == []


@pytest.mark.parametrize(
    ("text", "position"),
    [
        (f"INSERT DATA {{ <{EX}a> <{EX}p> ?oops }}", "line 1, column"),
        (
            f"INSERT DATA {{ <{EX}a> <{EX}p> 1 }} ;\nINSERT {{ ?s ?p 1 }} WHERE {{ FILTER( }}",
            "line 2",
        ),
        ("DELETE WHERE { ?s ?p ?o ", "line 1"),
    ],
)
def test_syntax_error_is_400_with_the_position_and_graph_unchanged(
    write_client: FlaskClient,
    write_kg: KnowledgeGraph,
    write_headers: dict[str, str],
    text: str,
    position: str,
) -> None:
    before = write_kg.triple_count()
    response = post_update(write_client, text, write_headers)
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert position in response.text
    assert write_kg.triple_count() == before
    assert list(write_kg.store.quads(ox.NamedNode(EX + "a"))) == []


@pytest.mark.parametrize(
    "template",
    [
        "LOAD <{url}>",
        "LOAD SILENT <{url}> INTO GRAPH <http://example.org/g>",
        "INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "INSERT DATA {{ <http://example.org/before-load> <http://example.org/p> 1 }} ;"
        " LOAD <{url}>",
    ],
    ids=["load", "load-silent", "service", "after-insert"],
)
def test_load_and_service_are_403_nothing_connects_and_graph_unchanged(
    write_client: FlaskClient,
    write_kg: KnowledgeGraph,
    write_headers: dict[str, str],
    template: str,
    listener: Listener,
) -> None:
    before = write_kg.triple_count()
    with listener() as sock:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/data.ttl"
        response = post_update(write_client, template.format(url=url), write_headers)
        assert response.status_code == 403
        with pytest.raises(TimeoutError):
            sock.accept()
    assert write_kg.triple_count() == before
    assert list(write_kg.store.quads(ox.NamedNode("http://example.org/before-load"))) == []


def test_update_breaking_a_shape_is_422_with_report_and_nothing_written(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    before = write_kg.triple_count()
    response = post_update(write_client, obligation_update("negative", "-5.0"), write_headers)
    assert response.status_code == 422
    report = json.loads(response.data)
    assert report["conforms"] is False
    (result,) = [r for r in report["results"] if r["severity"] == "sh:Violation"]
    assert result == {
        "focusNode": "https://w3id.org/aicap/id/obligation/test-negative",
        "resultPath": "https://w3id.org/aicap/ontology#amountUSD",
        "value": result["value"],
        "sourceShape": "https://w3id.org/aicap/shapes#ValueTransfer-amountUSD",
        "sourceConstraintComponent": "sh:MinExclusiveConstraintComponent",
        "severity": "sh:Violation",
        "message": result["message"],
    }
    assert "-5" in result["value"] and "xsd:decimal > 0" in result["message"]
    assert write_kg.triple_count() == before
    assert list(write_kg.store.quads(obligation_iri("negative"))) == []


def test_the_422_report_comes_as_turtle_by_accept(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    before = write_kg.triple_count()
    headers = {**write_headers, "Accept": "text/turtle"}
    response = post_update(write_client, obligation_update("turtle", "-1.0"), headers)
    assert response.status_code == 422
    assert response.mimetype == "text/turtle"
    report = list(ox.parse(response.data, format=ox.RdfFormat.TURTLE))
    shacl = "http://www.w3.org/ns/shacl#"
    assert any(
        t.predicate.value == shacl + "conforms" and t.object.value == "false" for t in report
    )
    assert any(t.object == ox.NamedNode(shacl + "MinExclusiveConstraintComponent") for t in report)
    assert write_kg.triple_count() == before


def test_the_same_update_with_a_positive_amount_is_204_and_written(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    response = post_update(write_client, obligation_update("positive", "5.0"), write_headers)
    assert response.status_code == 204
    assert len(list(write_kg.store.quads(obligation_iri("positive")))) == 6


def test_multi_operation_update_is_all_or_nothing(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    before = write_kg.triple_count()
    violating = insert("first-of-three") + " ;\n" + obligation_update("third", "-2.0")
    assert post_update(write_client, violating, write_headers).status_code == 422
    failing = insert("first-of-two") + f" ;\nDROP GRAPH <{EX}no-such-graph>"
    response = post_update(write_client, failing, write_headers)
    assert response.status_code == 404
    assert "no such graph" in response.text
    assert write_kg.triple_count() == before
    assert stored(write_kg, "first-of-three") == stored(write_kg, "first-of-two") == []


def test_form_with_query_and_update_is_400_and_graph_unchanged(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    before = write_kg.triple_count()
    response = write_client.post(
        "/sparql",
        data={"update": insert("both"), "query": "ASK {}"},
        headers=write_headers,
    )
    assert response.status_code == 400
    assert write_kg.triple_count() == before


def obligation_iri(name: str) -> ox.NamedNode:
    return ox.NamedNode(f"https://w3id.org/aicap/id/obligation/test-{name}")


XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


def test_update_with_a_misspelt_property_is_422_naming_the_declared_one_and_nothing_written(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    text = obligation_update("misspelt", "1000000000.0").replace(
        "aicap:amountUSD", "aicap:ammountUSD"
    )
    before = write_kg.triple_count()

    response = post_update(write_client, text, write_headers)

    assert response.status_code == 422
    messages = [r["message"] for r in json.loads(response.data)["results"]]
    assert any("did you mean aicap:amountUSD?" in m for m in messages), messages
    assert write_kg.triple_count() == before
    assert list(write_kg.store.quads(obligation_iri("misspelt"))) == []
