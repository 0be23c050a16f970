"""`/api`: the stored queries listed, run with typed parameters, and described in OpenAPI.

Every test goes through the Flask client; queries run in the graph's query workers, as in
the service. The OpenAPI tests run every operation of the served document against the app.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from kg.config import Settings
from kg.errors import Overloaded, QueryTimeout
from kg.graph import KnowledgeGraph
from kg.query.stored_queries import StoredQueryCatalogue
from server import create_app

QUERIES = "/api/queries"
FIRM = "https://w3id.org/aicap/id/firm/"
SPARQL_JSON = "application/sparql-results+json"
TRUNCATED = "AICAP-Result-Truncated"

TYPED_QUERY = """\
#+ title: Typed parameters (a test query)
#+ description: echoes its parameters; label finds the resources with that label
#+ params:
#+   - {name: label, type: string, required: true, description: a label as plain text}
#+   - {name: limit, type: integer, default: 3}
#+   - {name: share, type: decimal, default: "0.5"}
#+   - {name: since, type: date, default: "2025-01-01"}
#+   - {name: thing, type: iri, default: "https://w3id.org/aicap/id/firm/openai"}
SELECT ?label ?limit ?share ?since ?thing ?resource WHERE {
  OPTIONAL {
    ?resource <http://www.w3.org/2000/01/rdf-schema#label> ?name .
    FILTER(STR(?name) = ?label)
  }
}
"""
"""A query with one parameter of each literal type; every parameter is projected."""

INJECTIONS = [
    'OpenAI" } ; DROP ALL ; SELECT * { ?s ?p ?o',
    "OpenAI' } DROP ALL { '",
    "<urn:x> } ; CLEAR ALL ; INSERT DATA { <urn:a> <urn:b> <urn:c> } #",
    '\\" . ?s ?p ?o . FILTER(true) #',
    "}}}}{{{{",
    "OpenAI\n} ; DROP DEFAULT",
    "$firm ?firm ?s",
    "OpenAI\x00",
    "<script>alert(1)</script>",
    "x" * 5000,
]
"""Values that would change the query (or a page) if they were pasted into its text."""


def rows(response: Any) -> list[dict[str, Any]]:
    """The solutions of a SPARQL JSON response."""
    assert response.status_code == 200, response.get_data(as_text=True)
    bindings: list[dict[str, Any]] = response.get_json()["results"]["bindings"]
    return bindings


def assert_json_error(response: Any, status: int) -> dict[str, Any]:
    """Check a response is the house JSON error with `status`; return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert "hint" in body
    return body


@pytest.fixture
def typed_client(
    client: FlaskClient, kg: KnowledgeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> FlaskClient:
    """The client, with the graph's catalogue holding only `TYPED_QUERY` as ``typed``."""
    (tmp_path / "typed.rq").write_text(TYPED_QUERY, encoding="utf-8")
    monkeypatch.setattr(kg, "catalogue", StoredQueryCatalogue.load(tmp_path, kg.store))
    return client


# --- /api/queries ------------------------------------------------------------------------


def test_list_has_the_twelve_queries_with_the_contract_fields(client: FlaskClient) -> None:
    response = client.get(QUERIES)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    queries = response.get_json()["queries"]
    assert len(queries) == 12
    for query in queries:
        assert {"name", "title", "question", "description", "params"} <= set(query)
        for param in query["params"]:
            assert {"name", "type", "required", "default"} <= set(param)


def test_list_is_what_the_catalogue_read_from_the_headers(
    client: FlaskClient, kg: KnowledgeGraph
) -> None:
    listed = client.get(QUERIES).get_json()["queries"]
    assert listed == [query.to_json() for query in kg.catalogue]
    exposure = next(q for q in listed if q["name"] == "counterparty-exposure")
    assert [(p["name"], p["type"], p["required"], p["default"]) for p in exposure["params"]] == [
        ("firm", "firm", True, None)
    ]


# --- /api/queries/<name>: formats --------------------------------------------------------


def test_a_query_answers_sparql_json_by_default(client: FlaskClient) -> None:
    response = client.get(f"{QUERIES}/funding-sources")
    assert response.mimetype == SPARQL_JSON
    assert "Accept" in response.headers["Vary"]
    assert "firm" in response.get_json()["head"]["vars"]
    assert rows(response)
    assert TRUNCATED not in response.headers


@pytest.mark.parametrize(
    ("query_string", "accept", "media_type", "delimiter"),
    [
        ("?format=csv", None, "text/csv", ","),
        ("", "text/csv", "text/csv", ","),
        ("?format=tsv", None, "text/tab-separated-values", "\t"),
        ("", "text/tab-separated-values", "text/tab-separated-values", "\t"),
        ("?format=CSV", SPARQL_JSON, "text/csv", ","),  # format= wins over Accept
    ],
)
def test_csv_and_tsv_by_format_or_accept_have_the_json_rows(
    client: FlaskClient, query_string: str, accept: str | None, media_type: str, delimiter: str
) -> None:
    url = f"{QUERIES}/funding-sources"
    expected = client.get(url).get_json()
    headers = {"Accept": accept} if accept else {}
    response = client.get(url + query_string, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.mimetype_params.get("charset") == "utf-8"
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True)), delimiter=delimiter))
    header = [name.removeprefix("?") for name in table[0]]  # TSV writes ?variables
    assert header == expected["head"]["vars"]
    assert len(table) - 1 == len(expected["results"]["bindings"])


def test_csv_reads_as_a_table_of_plain_values(client: FlaskClient) -> None:
    """What ``pandas.read_csv(url + "?format=csv")`` reads: a header row, then plain cells."""
    response = client.get(f"{QUERIES}/counterparty-exposure?firm=OpenAI&format=csv")
    assert response.headers["Content-Disposition"] == (
        'inline; filename="counterparty-exposure.csv"'
    )
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert table
    assert {row["firm"] for row in table} == {FIRM + "openai"}
    amounts = [float(row["amountUSD"]) for row in table if row["amountUSD"]]
    assert amounts and all(amount >= 1e6 for amount in amounts)  # base units, not billions


def test_an_accept_the_api_cannot_serve_is_406_listing_the_formats(client: FlaskClient) -> None:
    response = client.get(f"{QUERIES}/funding-sources", headers={"Accept": "image/png"})
    body = assert_json_error(response, 406)
    assert "text/csv" in body["error"] and SPARQL_JSON in body["error"]


@pytest.mark.parametrize("value", ["xml", "html", "", "csv&format=tsv"])
def test_an_unknown_format_is_400_listing_the_formats(client: FlaskClient, value: str) -> None:
    response = client.get(f"{QUERIES}/funding-sources?format={value}")
    body = assert_json_error(response, 400)
    assert "format" in body["error"]
    assert body["hint"] == "accepted: json, csv, tsv"


# --- /api/queries/<name>: parameters -----------------------------------------------------


def test_a_firm_by_name_in_any_case_or_by_iri_gives_the_same_rows(client: FlaskClient) -> None:
    url = f"{QUERIES}/counterparty-exposure"
    by_name = rows(client.get(url, query_string={"firm": "OpenAI"}))
    assert by_name
    assert rows(client.get(url, query_string={"firm": "openai"})) == by_name
    assert rows(client.get(url, query_string={"firm": FIRM + "openai"})) == by_name


def test_an_optional_firm_narrows_the_rows(client: FlaskClient) -> None:
    url = f"{QUERIES}/claims-and-sources"
    every = rows(client.get(url))
    amd = rows(client.get(url, query_string={"firm": "AMD"}))
    assert 0 < len(amd) < len(every)
    assert {row["firm"]["value"] for row in amd} == {FIRM + "amd"}


def test_a_missing_required_parameter_is_400_naming_it(client: FlaskClient) -> None:
    body = assert_json_error(client.get(f"{QUERIES}/counterparty-exposure"), 400)
    assert "'firm'" in body["error"]


def test_an_unknown_parameter_is_400_naming_it(client: FlaskClient) -> None:
    response = client.get(f"{QUERIES}/funding-sources", query_string={"frim": "OpenAI"})
    body = assert_json_error(response, 400)
    assert "frim" in body["error"]


def test_a_parameter_given_twice_is_400_naming_it(client: FlaskClient) -> None:
    response = client.get(f"{QUERIES}/counterparty-exposure?firm=OpenAI&firm=Nvidia")
    body = assert_json_error(response, 400)
    assert "'firm'" in body["error"]


def test_an_unknown_query_is_404_listing_the_names(client: FlaskClient, kg: KnowledgeGraph) -> None:
    body = assert_json_error(client.get(f"{QUERIES}/no-such-question?format=csv"), 404)
    assert body["known"] == kg.catalogue.names()
    assert "funding-sources" in body["hint"]


def test_a_firm_that_names_no_firm_is_404_listing_the_firms(client: FlaskClient) -> None:
    response = client.get(f"{QUERIES}/counterparty-exposure", query_string={"firm": "Enron"})
    body = assert_json_error(response, 404)
    assert "Enron" in body["error"]
    assert {"OpenAI", "Nvidia", "Oracle", "AMD"} <= set(body["known"])


def test_a_person_that_names_nobody_is_404_listing_the_people(client: FlaskClient) -> None:
    response = client.get(f"{QUERIES}/claims-and-sources", query_string={"person": "Nobody"})
    body = assert_json_error(response, 404)
    assert "Sam Altman" in body["known"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "three"),
        ("limit", "1.5"),
        ("share", "1e3"),
        ("share", "12,5"),
        ("since", "2025-02-30"),
        ("since", "06/10/2025"),
        ("thing", "not an iri"),
    ],
)
def test_an_ill_typed_parameter_is_400_naming_it_and_its_type(
    typed_client: FlaskClient, name: str, value: str
) -> None:
    response = typed_client.get(f"{QUERIES}/typed", query_string={"label": "x", name: value})
    body = assert_json_error(response, 400)
    assert f"'{name}'" in body["error"]
    assert body["hint"]  # what the type accepts


def test_typed_parameters_are_bound_as_typed_terms(typed_client: FlaskClient) -> None:
    query_string = {"label": "OpenAI", "limit": "7", "share": "0.25", "since": "2025-10-06"}
    [row] = rows(typed_client.get(f"{QUERIES}/typed", query_string=query_string))
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert row["limit"] == {"type": "literal", "value": "7", "datatype": xsd + "integer"}
    assert row["share"]["datatype"] == xsd + "decimal"
    assert row["since"]["datatype"] == xsd + "date"
    assert row["thing"] == {"type": "uri", "value": FIRM + "openai"}  # the header default
    assert row["resource"] == {"type": "uri", "value": FIRM + "openai"}


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", INJECTIONS)
def test_an_injected_string_is_one_literal_that_matches_nothing(
    typed_client: FlaskClient, kg: KnowledgeGraph, value: str
) -> None:
    before = kg.triple_count()
    [row] = rows(typed_client.get(f"{QUERIES}/typed", query_string={"label": value}))
    assert row["label"] == {"type": "literal", "value": value}  # bound whole, as given
    assert "resource" not in row
    assert kg.triple_count() == before


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_an_injected_firm_is_404_unknown_firm_and_the_store_is_unchanged(
    client: FlaskClient, kg: KnowledgeGraph, value: str, fmt: str
) -> None:
    before = kg.triple_count()
    response = client.get(
        f"{QUERIES}/counterparty-exposure", query_string={"firm": value, "format": fmt}
    )
    body = assert_json_error(response, 404)
    assert "OpenAI" in body["known"]
    assert kg.triple_count() == before


@pytest.mark.parametrize(
    "query_string",
    [
        "firm=OpenAI&%7D%20DROP%20ALL%20%7B=1",  # a parameter name with SPARQL in it
        "firm=%FF%FE",  # bytes that are not UTF-8
        "firm=%F0%9F%92%A5",  # an emoji
        "firm%00=OpenAI",
    ],
)
def test_odd_query_strings_are_4xx_json_never_500(
    client: FlaskClient, kg: KnowledgeGraph, query_string: str
) -> None:
    before = kg.triple_count()
    response = client.get(f"{QUERIES}/counterparty-exposure?{query_string}")
    assert response.status_code in {400, 404}
    assert_json_error(response, response.status_code)
    assert kg.triple_count() == before


def test_an_echoed_value_stays_a_json_string_that_no_browser_sniffs_as_html(
    client: FlaskClient,
) -> None:
    value = '<script>alert("x")</script>'
    response = client.get(f"{QUERIES}/counterparty-exposure", query_string={"firm": value})
    assert_json_error(response, 404)
    assert json.loads(response.get_data(as_text=True))["error"] == f"no firm named {value!r}"
    assert b'\\"x\\"' in response.get_data()  # the quotes are JSON-escaped
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- limits ------------------------------------------------------------------------------


@pytest.mark.parametrize("error", [QueryTimeout("ran past 1 s"), Overloaded("all busy")])
def test_a_timeout_or_overload_is_503_json(
    client: FlaskClient, kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(kg, "execute_stored", fail)
    assert_json_error(client.get(f"{QUERIES}/funding-sources"), 503)


@pytest.fixture(scope="module")
def capped_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app whose query workers return at most 2 rows."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("capped") / "store", max_result_rows=2)
    graph = KnowledgeGraph.open(settings)
    try:
        yield create_app(settings, kg=graph)
    finally:
        graph.close()


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv"])
def test_a_result_past_the_row_cap_is_cut_and_says_so(capped_app: Flask, fmt: str) -> None:
    response = capped_app.test_client().get(f"{QUERIES}/funding-sources?format={fmt}")
    assert response.status_code == 200
    assert response.headers[TRUNCATED] == "true"
    if fmt == "json":
        body = response.get_json()
        assert body["truncated"] is True
        assert len(body["results"]["bindings"]) == 2
    else:
        assert len(response.get_data(as_text=True).splitlines()) == 1 + 2


# --- /api/openapi.json -------------------------------------------------------------------


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    """The OpenAPI document the app serves."""
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    return body


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (path, GET operation) of the document."""
    for path, item in document["paths"].items():
        yield path, item["get"]


def example_query(operation: dict[str, Any]) -> dict[str, str]:
    """The operation's parameters with their documented examples (defaults when given)."""
    return {p["name"]: str(p["example"]) for p in operation.get("parameters", []) if "example" in p}


def schema_validator(document: dict[str, Any], ref: str) -> OAS31Validator:
    """A validator for one of the document's schemas, its $refs resolved in the document."""
    return OAS31Validator({"$ref": ref, "components": document["components"]})


def test_the_served_document_passes_the_openapi_validator(document: dict[str, Any]) -> None:
    validate(document)
    assert len(document["paths"]) == 1 + 12


def test_every_documented_operation_answers_200_with_its_examples(
    client: FlaskClient, document: dict[str, Any]
) -> None:
    for path, operation in operations(document):
        ok = operation["responses"]["200"]
        for media_type, content in ok["content"].items():
            response = client.get(
                path, query_string=example_query(operation), headers={"Accept": media_type}
            )
            assert response.status_code == 200, (path, media_type, response.get_data())
            assert response.mimetype == media_type, path
            schema = content["schema"]
            if "$ref" in schema:  # the JSON bodies match their documented schema
                schema_validator(document, schema["$ref"]).validate(response.get_json())


def test_documented_errors_have_the_documented_body(
    client: FlaskClient, document: dict[str, Any]
) -> None:
    error = schema_validator(document, "#/components/schemas/Error")
    for path, operation in operations(document):
        codes = operation["responses"]
        if path == QUERIES:
            continue
        response = client.get(path, query_string={"no-such-parameter": "1"})
        assert response.status_code == 400 and "400" in codes, path
        error.validate(response.get_json())
        if "404" in codes:
            resource = next(p["name"] for p in operation["parameters"] if "example" in p)
            response = client.get(path, query_string={resource: "Nobody At All"})
            assert response.status_code == 404, path
            error.validate(response.get_json())


def test_the_list_answers_its_documented_schema(
    client: FlaskClient, document: dict[str, Any]
) -> None:
    listing = schema_validator(document, "#/components/schemas/QueryList")
    listing.validate(client.get(QUERIES).get_json())
