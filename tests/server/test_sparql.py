"""`/sparql` through Flask's test client: the protocol's ways in, each format, each error."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Callable
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.query.workers import QueryResponse

SELECT = """SELECT ?item ?label WHERE {
  VALUES (?item ?label) { (<http://example.org/a> "alpha") (<http://example.org/b> "beta") }
} ORDER BY ?label"""
"""A SELECT whose answer does not depend on the data: two rows, in this order."""

CONSTRUCT = """CONSTRUCT { ?item <http://example.org/label> ?label } WHERE {
  VALUES (?item ?label) { (<http://example.org/a> "alpha") (<http://example.org/b> "beta") }
}"""
EXPECTED_TRIPLES = {
    ox.Triple(
        ox.NamedNode(f"http://example.org/{x}"),
        ox.NamedNode("http://example.org/label"),
        ox.Literal(label),
    )
    for x, label in (("a", "alpha"), ("b", "beta"))
}

SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
W3C_FORMATS = "http://www.w3.org/ns/formats/"


def get(client: FlaskClient, query: str, accept: str | None = None, **params: str) -> TestResponse:
    """GET /sparql?query=..., with an Accept header when one is given."""
    headers = {} if accept is None else {"Accept": accept}
    return client.get("/sparql", query_string={"query": query, **params}, headers=headers)


def json_labels(body: bytes) -> list[str]:
    data = json.loads(body)
    assert data["head"]["vars"] == ["item", "label"]
    return [row["label"]["value"] for row in data["results"]["bindings"]]


def xml_labels(body: bytes) -> list[str]:
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    root = ElementTree.fromstring(body)
    return [el.text or "" for el in root.findall(".//r:binding[@name='label']/r:literal", ns)]


def csv_labels(body: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["item", "label"]
    assert rows[1][0] == "http://example.org/a"
    return [row[1] for row in rows[1:]]


def tsv_labels(body: bytes) -> list[str]:
    lines = body.decode().splitlines()
    assert lines[0] == "?item\t?label"
    assert lines[1].startswith("<http://example.org/a>\t")
    return [line.split("\t")[1].strip('"') for line in lines[1:]]


@pytest.mark.parametrize(
    ("accept", "content_type", "labels"),
    [
        (None, "application/sparql-results+json", json_labels),
        ("*/*", "application/sparql-results+json", json_labels),
        ("application/sparql-results+json", "application/sparql-results+json", json_labels),
        ("application/json", "application/sparql-results+json", json_labels),
        ("application/sparql-results+xml", "application/sparql-results+xml", xml_labels),
        ("text/csv", "text/csv", csv_labels),
        ("text/tab-separated-values", "text/tab-separated-values", tsv_labels),
        ("text/*", "text/csv", csv_labels),
        ("text/turtle;q=0.9, text/csv;q=0.5", "text/csv", csv_labels),
        (
            "application/xml;q=0.4, text/tab-separated-values;q=0.8",
            "text/tab-separated-values",
            tsv_labels,
        ),
    ],
)
def test_select_answers_in_the_format_accept_prefers(
    client: FlaskClient, accept: str | None, content_type: str, labels: Callable[[bytes], list[str]]
) -> None:
    response = get(client, SELECT, accept)
    assert response.status_code == 200, response.text
    assert response.mimetype == content_type
    assert "Accept" in response.headers["Vary"]
    assert labels(response.data) == ["alpha", "beta"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("ASK { VALUES ?x { 1 } }", True), ("ASK { FILTER(false) }", False)],
)
def test_ask_answers_a_boolean_in_json_and_xml(
    client: FlaskClient, query: str, expected: bool
) -> None:
    as_json = get(client, query)
    assert as_json.mimetype == "application/sparql-results+json"
    assert json.loads(as_json.data)["boolean"] is expected
    as_xml = get(client, query, "application/sparql-results+xml")
    assert as_xml.mimetype == "application/sparql-results+xml"
    assert ElementTree.fromstring(as_xml.data)[-1].text == str(expected).lower()


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        (None, ox.RdfFormat.TURTLE),
        ("*/*", ox.RdfFormat.TURTLE),
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/n-quads", ox.RdfFormat.N_QUADS),
        ("application/trig", ox.RdfFormat.TRIG),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/sparql-results+json;q=1, application/rdf+xml;q=0.1", ox.RdfFormat.RDF_XML),
    ],
)
def test_construct_answers_the_graph_in_the_format_accept_prefers(
    client: FlaskClient, accept: str | None, fmt: ox.RdfFormat
) -> None:
    response = get(client, CONSTRUCT, accept)
    assert response.status_code == 200, response.text
    assert response.mimetype == fmt.media_type
    triples = {q.triple for q in ox.parse(response.data, format=fmt)}
    assert triples == EXPECTED_TRIPLES


def test_select_with_only_graph_formats_acceptable_is_406_listing_result_formats(
    client: FlaskClient,
) -> None:
    response = get(client, SELECT, "text/turtle, application/ld+json")
    assert response.status_code == 406
    assert response.mimetype == "text/plain"
    for media_type in (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
    ):
        assert media_type in response.text
    assert "text/turtle, application/ld+json" in response.text


def test_construct_with_only_result_formats_acceptable_is_406_listing_graph_formats(
    client: FlaskClient,
) -> None:
    response = get(client, CONSTRUCT, "text/csv")
    assert response.status_code == 406
    assert "text/turtle" in response.text
    assert "application/rdf+xml" in response.text


def test_syntax_error_is_400_in_plain_text_with_the_position(client: FlaskClient) -> None:
    response = get(client, "SELECT * WHERE {\n  ?s ?p \n}")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert "at line 3, column " in response.text, response.text  # line 3 holds the error


def test_syntax_error_shows_the_line_with_a_caret_under_the_column(client: FlaskClient) -> None:
    response = get(client, "SELECT * WHERE { ?s ?p ?o } LIMIT x")

    assert response.status_code == 400
    assert response.text.splitlines() == [
        "SPARQL syntax error at line 1, column 35: "
        "expected a number, HAVING, OFFSET, OPTIONAL or VALUES",
        "  1 | SELECT * WHERE { ?s ?p ?o } LIMIT x",
        "    |                                   ^",
    ]


def test_get_without_query_describes_the_service_in_turtle(
    client: FlaskClient, kg: KnowledgeGraph
) -> None:
    response = client.get("/sparql")
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    triples = {q.triple for q in ox.parse(response.data, format=ox.RdfFormat.TURTLE)}
    services = [
        t.subject
        for t in triples
        if t.predicate == RDF_TYPE and t.object == ox.NamedNode(SD + "Service")
    ]
    assert len(services) == 1
    about = {(t.predicate.value, t.object) for t in triples if t.subject == services[0]}
    assert (SD + "endpoint", ox.NamedNode("http://localhost/sparql")) in about
    assert (SD + "supportedLanguage", ox.NamedNode(SD + "SPARQL11Query")) in about
    assert (SD + "feature", ox.NamedNode(SD + "UnionDefaultGraph")) in about
    result_formats = {o.value for p, o in about if p == SD + "resultFormat"}
    assert result_formats == {
        W3C_FORMATS + name
        for name in (
            "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
            "Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD", "RDF_XML",
        )
    }  # fmt: skip
    named = {t.object for t in triples if t.predicate == ox.NamedNode(SD + "name")}
    assert named == {g for g in kg.store.graphs() if isinstance(g, ox.NamedNode)}
    assert named, "the bundled data lives in named graphs"


def test_service_description_follows_accept(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": "application/n-triples"})
    assert response.mimetype == "application/n-triples"
    assert f"<{SD}Service>" in response.text
    assert client.get("/sparql", headers={"Accept": "text/csv"}).status_code == 406


def test_post_form_and_post_body_answer_like_get(client: FlaskClient) -> None:
    by_get = get(client, SELECT)
    by_form = client.post("/sparql", data={"query": SELECT})
    by_body = client.post("/sparql", data=SELECT.encode(), content_type="application/sparql-query")
    for response in (by_form, by_body):
        assert response.status_code == 200, response.text
        assert response.mimetype == "application/sparql-results+json"
        assert json.loads(response.data) == json.loads(by_get.data)


def test_post_body_takes_accept_and_dataset_from_the_url(client: FlaskClient) -> None:
    response = client.post(
        "/sparql?default-graph-uri=http://example.org/no-such-graph",
        data=b"ASK { ?s ?p ?o }",
        content_type="application/sparql-query; charset=utf-8",
        headers={"Accept": "application/sparql-results+xml"},
    )
    assert response.status_code == 200, response.text
    assert ElementTree.fromstring(response.data)[-1].text == "false"


def test_query_without_graph_clause_sees_the_named_graphs(client: FlaskClient) -> None:
    # AICAP_UNION_DEFAULT_GRAPH defaults to true: the data sits in one graph per source.
    assert json.loads(get(client, "ASK { ?s ?p ?o }").data)["boolean"] is True


def test_named_graph_uri_limits_the_graphs_a_query_sees(
    client: FlaskClient, kg: KnowledgeGraph
) -> None:
    first = next(g for g in kg.store.graphs() if isinstance(g, ox.NamedNode))
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = get(client, query, **{"named-graph-uri": first.value})
    bindings = json.loads(response.data)["results"]["bindings"]
    assert [row["g"]["value"] for row in bindings] == [first.value]


def test_graph_parameter_that_is_not_an_iri_is_400(client: FlaskClient) -> None:
    response = get(client, "ASK {}", **{"default-graph-uri": "not an iri"})
    assert response.status_code == 400
    assert "default-graph-uri" in response.text


def test_several_query_parameters_are_400(client: FlaskClient) -> None:
    response = client.get("/sparql?query=ASK{}&query=ASK{}")
    assert response.status_code == 400
    assert "exactly one query=" in response.text


def test_post_form_without_query_is_400(client: FlaskClient) -> None:
    response = client.post("/sparql", data={"q": "ASK {}"})
    assert response.status_code == 400


def test_post_of_another_content_type_is_415_naming_the_accepted_ones(client: FlaskClient) -> None:
    response = client.post("/sparql", data=b"{}", content_type="application/json")
    assert response.status_code == 415
    assert "application/sparql-query" in response.text
    assert "application/x-www-form-urlencoded" in response.text


def test_body_that_is_not_utf8_is_400(client: FlaskClient) -> None:
    response = client.post("/sparql", data=b"ASK { \xff }", content_type="application/sparql-query")
    assert response.status_code == 400
    assert "UTF-8" in response.text


def test_update_by_get_is_400(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"update": "CLEAR ALL"})
    assert response.status_code == 400
    assert "POST" in response.text


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.post("/sparql", data={"update": "CLEAR ALL"}),
        lambda c: c.post("/sparql", data=b"CLEAR ALL", content_type="application/sparql-update"),
    ],
    ids=["form", "body"],
)
def test_update_is_403_and_the_graph_unchanged(
    client: FlaskClient, kg: KnowledgeGraph, send: Callable[[FlaskClient], TestResponse]
) -> None:
    before = kg.triple_count()
    response = send(client)
    assert response.status_code == 403
    assert "read-only" in response.text
    assert kg.triple_count() == before > 0


def test_body_over_the_limit_is_413_naming_the_limit(
    client: FlaskClient, settings: Settings
) -> None:
    body = b"ASK {}" + b" " * settings.max_body_bytes
    response = client.post("/sparql", data=body, content_type="application/sparql-query")
    assert response.status_code == 413
    assert str(settings.max_body_bytes) in response.text
    assert str(len(body)) in response.text
    assert "AICAP_MAX_BODY_BYTES" in response.text


def test_other_methods_are_405_with_allow(client: FlaskClient) -> None:
    response = client.put("/sparql", data=b"ASK {}")
    assert response.status_code == 405
    assert response.mimetype == "text/plain"
    assert {"GET", "POST"} <= set(response.allow)


def test_service_call_is_403_before_the_engine_runs_it(client: FlaskClient) -> None:
    response = get(client, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    assert response.status_code == 403
    assert response.mimetype == "text/plain"
    assert "SERVICE <http://example.org/sparql>" in response.text


def graph_names(kg: KnowledgeGraph) -> list[str]:
    return sorted(g.value for g in kg.store.graphs() if isinstance(g, ox.NamedNode))


def selected(response: TestResponse, var: str) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(row[var]["value"] for row in json.loads(response.data)["results"]["bindings"])


def test_from_in_the_query_is_honoured_over_the_union_default_graph(
    client: FlaskClient, kg: KnowledgeGraph
) -> None:
    first = graph_names(kg)[0]
    count = "SELECT (COUNT(*) AS ?n) {} WHERE {{ {} }}"
    in_first = selected(get(client, count.format("", f"GRAPH <{first}> {{ ?s ?p ?o }}")), "n")
    everywhere = selected(get(client, count.format("", "?s ?p ?o")), "n")
    from_first = selected(get(client, count.format(f"FROM <{first}>", "?s ?p ?o")), "n")
    assert from_first == in_first != everywhere
    named = f"SELECT DISTINCT ?g FROM NAMED <{first}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert selected(get(client, named), "g") == [first]


def test_default_graph_uri_alone_leaves_no_named_graphs(
    client: FlaskClient, kg: KnowledgeGraph
) -> None:
    first = graph_names(kg)[0]
    response = get(client, "ASK { GRAPH ?g { ?s ?p ?o } }", **{"default-graph-uri": first})
    assert json.loads(response.data)["boolean"] is False
    response = get(client, "ASK { ?s ?p ?o }", **{"default-graph-uri": first})
    assert json.loads(response.data)["boolean"] is True


def test_named_graph_uri_alone_leaves_the_default_graph_empty(
    client: FlaskClient, kg: KnowledgeGraph
) -> None:
    first = graph_names(kg)[0]
    response = get(client, "ASK { ?s ?p ?o }", **{"named-graph-uri": first})
    assert json.loads(response.data)["boolean"] is False


def test_strict_dataset_without_union_sees_only_the_default_graph(
    client: FlaskClient, kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kg, "settings", dataclasses.replace(kg.settings, union_default_graph=False))
    assert json.loads(get(client, "ASK { ?s ?p ?o }").data)["boolean"] is False  # all in graphs
    assert json.loads(get(client, "ASK { GRAPH ?g { ?s ?p ?o } }").data)["boolean"] is True


def test_accept_that_fits_no_answer_kind_is_406_listing_every_format(client: FlaskClient) -> None:
    response = get(client, SELECT, "image/png")
    assert response.status_code == 406
    for media_type in ("application/sparql-results+json", "text/csv", "text/turtle"):
        assert media_type in response.text
    assert "image/png" in response.text


def test_truncated_answer_carries_the_header(
    client: FlaskClient, kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cut(*args: object, **kwargs: object) -> QueryResponse:
        body = b'{"truncated":true,"head":{"vars":[]},"results":{"bindings":[{}]}}'
        return QueryResponse(body, "application/sparql-results+json", "solutions", True, 1, 0)

    monkeypatch.setattr(kg, "execute", cut)
    response = get(client, SELECT)
    assert response.headers["AICAP-Result-Truncated"] == "true"
    assert json.loads(response.data)["truncated"] is True
