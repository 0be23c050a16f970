"""`/validate`: an RDF body checked as new triples against the stored graph; never writes."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient

from kg.graph import KnowledgeGraph

DATA = Path(__file__).parent.parent / "data"
TURTLE = "text/turtle"
RESULT_KEYS = {
    "focusNode",
    "resultPath",
    "value",
    "sourceShape",
    "sourceConstraintComponent",
    "severity",
    "message",
}
SH = "http://www.w3.org/ns/shacl#"


def obligation(name: str, amount: str) -> bytes:
    text = (DATA / "new-obligation.ttl").read_text()
    return text.replace("OBLIGATION", name).replace("AMOUNT", amount).encode()


def subject(name: str) -> ox.NamedNode:
    return ox.NamedNode(f"https://w3id.org/aicap/id/obligation/test-{name}")


def test_a_conforming_body_is_200_conforms_true_and_nothing_is_written(
    client: FlaskClient, kg: KnowledgeGraph
) -> None:
    before = kg.triple_count()
    response = client.post(
        "/validate", data=obligation("fine", "1000000000.0"), content_type=TURTLE
    )
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {"conforms": True, "results": []}
    assert kg.triple_count() == before
    assert list(kg.store.quads(subject("fine"))) == []


def test_a_violating_body_is_200_with_the_results_and_nothing_is_written(
    client: FlaskClient, kg: KnowledgeGraph
) -> None:
    before = kg.triple_count()
    response = client.post("/validate", data=obligation("bad", "-1.0"), content_type=TURTLE)
    assert response.status_code == 200
    report = json.loads(response.data)
    assert report["conforms"] is False
    (result,) = report["results"]
    assert set(result) == RESULT_KEYS
    assert result["focusNode"] == subject("bad").value
    assert result["resultPath"] == "https://w3id.org/aicap/ontology#amountUSD"
    assert result["sourceConstraintComponent"] == "sh:MinExclusiveConstraintComponent"
    assert result["severity"] == "sh:Violation"
    assert kg.triple_count() == before
    assert list(kg.store.quads(subject("bad"))) == []


def test_the_report_comes_as_turtle_by_accept(client: FlaskClient) -> None:
    response = client.post(
        "/validate",
        data=obligation("bad", "-1.0"),
        content_type=TURTLE,
        headers={"Accept": "text/turtle"},
    )
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    report = list(ox.parse(response.data, format=ox.RdfFormat.TURTLE))
    assert any(t.object == ox.NamedNode(SH + "ValidationReport") for t in report)
    assert any(t.object == ox.NamedNode(SH + "MinExclusiveConstraintComponent") for t in report)


def test_an_unacceptable_accept_is_406_listing_the_report_formats(client: FlaskClient) -> None:
    response = client.post(
        "/validate",
        data=obligation("x", "1.0"),
        content_type=TURTLE,
        headers={"Accept": "image/png"},
    )
    assert response.status_code == 406
    assert "application/json" in response.text and "text/turtle" in response.text


@pytest.mark.parametrize(
    ("data", "ctype", "status", "says"),
    [
        (b"<http://example.org/a> <http://example.org/p> 1 .", "text/plain", 415, "text/turtle"),
        (b"<http://example.org/a> <http://example.org/p> .\n", TURTLE, 400, "line 1, column"),
        (b"\xff\xfe<http://example.org/a>", TURTLE, 400, "UTF-8"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
            "application/rdf+xml",
            400,
            "entit",
        ),
    ],
    ids=["content-type", "syntax", "not-utf8", "xxe"],
)
def test_bad_bodies_are_refused_and_nothing_is_written(
    client: FlaskClient, kg: KnowledgeGraph, data: bytes, ctype: str, status: int, says: str
) -> None:
    before = kg.triple_count()
    response = client.post("/validate", data=data, content_type=ctype)
    assert response.status_code == status
    assert says in response.text
    assert kg.triple_count() == before


def test_validate_needs_no_token_and_writes_nothing_on_a_writable_service(
    write_client: FlaskClient, write_kg: KnowledgeGraph
) -> None:
    before = write_kg.triple_count()
    response = write_client.post("/validate", data=obligation("w", "2.0"), content_type=TURTLE)
    assert response.status_code == 200
    assert response.json["conforms"] is True
    assert write_kg.triple_count() == before
    assert list(write_kg.store.quads(subject("w"))) == []


def test_a_misspelt_class_is_reported_with_the_declared_one_and_nothing_is_written(
    client: FlaskClient, kg: KnowledgeGraph
) -> None:
    body = obligation("typo", "1000000000.0").replace(
        b"a aicap:PaymentObligation", b"a aicap:PaymentObligaton"
    )
    before = kg.triple_count()

    response = client.post("/validate", data=body, content_type=TURTLE)

    report = json.loads(response.data)
    assert response.status_code == 200 and report["conforms"] is False
    messages = [r["message"] for r in report["results"] if r["severity"] == "sh:Violation"]
    assert any("did you mean aicap:PaymentObligation?" in m for m in messages), messages
    assert kg.triple_count() == before


def test_a_string_amount_is_one_result_that_names_the_datatypes(client: FlaskClient) -> None:
    response = client.post(
        "/validate", data=obligation("text", '"five billion"'), content_type=TURTLE
    )

    (result,) = json.loads(response.data)["results"]
    assert result["sourceConstraintComponent"] == "sh:DatatypeConstraintComponent"
    assert "is xsd:string, not xsd:decimal" in result["message"]


def test_a_misspelt_class_on_a_blank_node_is_reported_on_a_blank_node_in_turtle(
    client: FlaskClient,
) -> None:
    body = b"_:deal a <https://w3id.org/aicap/ontology#PaymentObligaton> ."

    response = client.post("/validate", data=body, content_type=TURTLE, headers={"Accept": TURTLE})

    report = ox.Store()
    report.load(response.data, format=ox.RdfFormat.TURTLE)
    focus = [q.object for q in report.quads_for_pattern(None, ox.NamedNode(SH + "focusNode"), None)]
    assert response.status_code == 200
    assert focus and all(isinstance(node, ox.BlankNode) for node in focus), focus
