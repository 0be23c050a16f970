"""`kg.views.openapi`: the OpenAPI document built from the stored queries' ``#+`` headers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from kg.config import Settings
from kg.query.query_files import PARAM_TYPES, QueryParam, StoredQuery
from kg.query.stored_queries import RESOURCE_CLASSES, StoredQueryCatalogue
from kg.views.openapi import API_RESULT_FORMATS, OPENAPI_VERSION, TRUNCATED_HEADER, build_openapi


@pytest.fixture(scope="module")
def catalogue() -> StoredQueryCatalogue:
    """The bundled stored queries (no store: the document needs none)."""
    return StoredQueryCatalogue.load(Settings().queries_dir)


@pytest.fixture(scope="module")
def document(catalogue: StoredQueryCatalogue) -> dict[str, Any]:
    """The document of the bundled queries."""
    return build_openapi(catalogue)


def typed_query(name: str, params: tuple[QueryParam, ...]) -> StoredQuery:
    """A stored query that exists only as a header, for the type mapping."""
    return StoredQuery(
        name=name,
        title=f"test {name}",
        description="a test query",
        question="does the mapping hold?",
        params=params,
        tags=("test",),
        sparql="SELECT * WHERE {}",
        path=Path(f"{name}.rq"),
    )


def operation(document: dict[str, Any], name: str) -> dict[str, Any]:
    """The GET operation of one stored query."""
    op: dict[str, Any] = document["paths"][f"/api/queries/{name}"]["get"]
    return op


def header_params(op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The operation's own parameters by name (the shared ``format`` $ref left out)."""
    return {p["name"]: p for p in op["parameters"] if "name" in p}


def test_the_document_of_the_bundled_queries_passes_the_openapi_validator(
    document: dict[str, Any],
) -> None:
    assert document["openapi"] == OPENAPI_VERSION
    validate(document)  # raises OpenAPIValidationError with the path of the fault


def test_a_document_with_every_parameter_type_passes_the_validator() -> None:
    params = tuple(
        QueryParam(f"p_{kind}", kind, required=kind == "firm", default=_DEFAULTS.get(kind))
        for kind in PARAM_TYPES
    )
    validate(build_openapi([typed_query("all-types", params)]))


_DEFAULTS = {"integer": "10", "decimal": "0.5", "date": "2025-01-31"}


def test_there_is_one_path_per_stored_query_and_the_list(
    document: dict[str, Any], catalogue: StoredQueryCatalogue
) -> None:
    expected = {"/api/queries"} | {f"/api/queries/{n}" for n in catalogue.names()}
    assert set(document["paths"]) == expected
    assert len(catalogue) == 12


def test_each_operation_carries_the_header_title_question_and_description(
    document: dict[str, Any], catalogue: StoredQueryCatalogue
) -> None:
    for query in catalogue:
        op = operation(document, query.name)
        assert op["operationId"] == query.name
        assert op["summary"] == query.title
        assert query.question in op["description"]
        assert query.description in op["description"]
        assert op["tags"] == list(query.tags)


def test_each_operation_lists_exactly_the_header_parameters_plus_format(
    document: dict[str, Any], catalogue: StoredQueryCatalogue
) -> None:
    for query in catalogue:
        op = operation(document, query.name)
        params = header_params(op)
        assert list(params) == [p.name for p in query.params]
        for param in query.params:
            assert params[param.name]["in"] == "query"
            assert params[param.name]["required"] is param.required
        assert {"$ref": "#/components/parameters/format"} in op["parameters"]
    fmt = document["components"]["parameters"]["format"]
    assert fmt["schema"]["enum"] == ["json", "csv", "tsv"]


@pytest.mark.parametrize(
    ("kind", "schema"),
    [
        ("firm", {"type": "string"}),
        ("person", {"type": "string"}),
        ("string", {"type": "string"}),
        ("iri", {"type": "string", "format": "iri"}),
        ("integer", {"type": "integer"}),
        ("decimal", {"type": "number"}),
        ("date", {"type": "string", "format": "date"}),
    ],
)
def test_header_types_map_to_json_schema_types(kind: str, schema: dict[str, str]) -> None:
    query = typed_query("one", (QueryParam("p", kind, description="what p is"),))
    param = header_params(operation(build_openapi([query]), "one"))["p"]
    assert param["schema"] == schema
    assert param["description"].startswith("what p is")


def test_firm_and_person_parameters_explain_names_and_the_404() -> None:
    query = typed_query("who", (QueryParam("firm", "firm"), QueryParam("person", "person")))
    params = header_params(operation(build_openapi([query]), "who"))
    assert "OpenAI" in params["firm"]["description"]
    assert "404" in params["firm"]["description"]
    assert "case insensitive" in params["person"]["description"]


def test_defaults_are_typed_and_are_the_examples() -> None:
    params = (
        QueryParam("n", "integer", default="10"),
        QueryParam("x", "decimal", default="0.5"),
        QueryParam("d", "date", default="2025-01-31"),
    )
    found = header_params(operation(build_openapi([typed_query("defaults", params)]), "defaults"))
    assert (found["n"]["schema"]["default"], found["n"]["example"]) == (10, 10)
    assert (found["x"]["schema"]["default"], found["x"]["example"]) == (0.5, 0.5)
    assert found["d"]["example"] == "2025-01-31"


def test_every_parameter_without_a_default_has_an_example(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for param in item["get"].get("parameters", []):
            if "name" in param:
                assert "example" in param, (path, param["name"])
    required = header_params(operation(document, "counterparty-exposure"))["firm"]
    assert required["required"] is True
    assert required["example"] == "OpenAI"


def test_examples_can_be_given_per_type() -> None:
    query = typed_query("ex", (QueryParam("firm", "firm", required=True),))
    document = build_openapi([query], examples={"firm": "Nvidia"})
    assert header_params(operation(document, "ex"))["firm"]["example"] == "Nvidia"


def test_results_come_in_sparql_json_csv_and_tsv_with_the_truncation_header(
    document: dict[str, Any], catalogue: StoredQueryCatalogue
) -> None:
    for query in catalogue:
        ok = operation(document, query.name)["responses"]["200"]
        assert list(ok["content"]) == list(API_RESULT_FORMATS.values())
        assert ok["content"]["application/sparql-results+json"]["schema"] == {
            "$ref": "#/components/schemas/SparqlResults"
        }
        assert TRUNCATED_HEADER in ok["headers"]


def test_error_responses_use_the_json_error_schema(
    document: dict[str, Any], catalogue: StoredQueryCatalogue
) -> None:
    responses = document["components"]["responses"]
    for response in responses.values():
        schema = response["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "status", "hint"}
    for query in catalogue:
        codes = set(operation(document, query.name)["responses"])
        takes_names = any(p.type in RESOURCE_CLASSES for p in query.params)
        # A 404 is possible only where a firm or person is looked up by name.
        assert codes == {"200", "400", "406", "503"} | ({"404"} if takes_names else set())


def test_the_server_url_is_the_one_given() -> None:
    assert build_openapi([], server_url="/aicap/")["servers"] == [{"url": "/aicap/"}]


def test_building_the_document_does_not_import_flask() -> None:
    script = (
        "import sys, kg.views.openapi\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {'flask','server'})))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert run.stdout.strip() == ""
