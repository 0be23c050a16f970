"""An OpenAPI 3.1 document of the stored-query API, generated from the ``#+`` headers.

grlc's idea: the ``.rq`` headers already say what each query asks and which typed
parameters it takes, so the API description is built from them rather than written by
hand. One path per stored query (``/api/queries/<name>``), with its parameters and their
types, the three result formats and the JSON error body; plus ``/api/queries``, the list.

The document is plain data (``dict``), so the library knows nothing of HTTP frameworks;
the server serves it at ``/api/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kg.query.query_files import QueryParam, StoredQuery
from kg.query.stored_queries import RESOURCE_CLASSES

OPENAPI_VERSION = "3.1.0"

API_PREFIX = "/api"
"""Where the stored-query API lives on the service."""

API_RESULT_FORMATS: dict[str, str] = {
    "json": "application/sparql-results+json",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
"""``?format=`` name -> media type of the results the API serves; the first is the default."""

TRUNCATED_HEADER = "AICAP-Result-Truncated"
"""Response header set to ``true`` when a result was cut at AICAP_MAX_RESULT_ROWS."""

EXAMPLE_VALUES: dict[str, str] = {
    "firm": "OpenAI",
    "person": "Sam Altman",
    "string": "OpenAI",
    "iri": "https://w3id.org/aicap/id/firm/openai",
    "integer": "1",
    "decimal": "1.5",
    "date": "2025-10-06",
}
"""Parameter type -> a value to show (and to try) when the header gives no default."""

_SCHEMAS: dict[str, dict[str, Any]] = {
    "firm": {"type": "string"},
    "person": {"type": "string"},
    "string": {"type": "string"},
    "iri": {"type": "string", "format": "iri"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "date": {"type": "string", "format": "date"},
}
"""Parameter type of the headers -> JSON Schema of its query-string value."""

_TYPE_NOTES: dict[str, str] = {
    "firm": "A firm's name as written in the sources (OpenAI, Nvidia), case insensitive, "
    "or its IRI; a name that is no firm's is a 404 listing the known firms.",
    "person": "A person's name (Sam Altman), case insensitive, or their IRI; a name that "
    "is no one's is a 404 listing the known people.",
    "iri": "An absolute IRI.",
    "date": "A date written YYYY-MM-DD.",
    "decimal": "A decimal number such as 12.5 (no exponent, no thousands separator).",
}


def build_openapi(
    queries: Iterable[StoredQuery],
    *,
    server_url: str = "/",
    examples: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Build the OpenAPI document of the stored-query API.

    Args:
        queries: the stored queries (a `StoredQueryCatalogue` iterates over them).
        server_url: where the service is mounted (``servers[0].url``).
        examples: parameter type -> example value, over `EXAMPLE_VALUES`; a header's
            default, when it has one, is the example instead.

    Returns:
        The document, ready for ``json.dumps``.
    """
    queries = list(queries)
    values = {**EXAMPLE_VALUES, **(examples or {})}
    paths: dict[str, Any] = {f"{API_PREFIX}/queries": {"get": _list_operation()}}
    for query in queries:
        paths[f"{API_PREFIX}/queries/{query.name}"] = {"get": _query_operation(query, values)}
    tags = sorted({tag for q in queries for tag in q.tags})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "aicap-kg stored queries",
            "version": "1",
            "description": "The analyst questions about the 2025 AI compute deals, each a "
            "stored SPARQL query with typed parameters. Results are SPARQL 1.1 JSON by "
            "default, CSV or TSV by Accept or ?format=.",
        },
        "servers": [{"url": server_url}],
        "tags": [{"name": tag} for tag in tags],
        "paths": paths,
        "components": {
            "schemas": _component_schemas(),
            "parameters": {"format": _format_parameter()},
            "headers": {TRUNCATED_HEADER: _truncated_header()},
            "responses": _error_responses(),
        },
    }


def _list_operation() -> dict[str, Any]:
    return {
        "operationId": "listQueries",
        "summary": "List the stored queries",
        "description": "Every stored query with its title, question, description and typed "
        "parameters, as their headers declare them.",
        "responses": {
            "200": {
                "description": "The stored queries, sorted by name.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/QueryList"}}
                },
            }
        },
    }


def _query_operation(query: StoredQuery, examples: Mapping[str, str]) -> dict[str, Any]:
    """One stored query as a GET operation."""
    description = "\n\n".join(part for part in (query.question, query.description) if part)
    responses: dict[str, Any] = {
        "200": _results_response(),
        "400": {"$ref": "#/components/responses/BadRequest"},
    }
    if any(p.type in RESOURCE_CLASSES for p in query.params):
        responses["404"] = {"$ref": "#/components/responses/UnknownResource"}
    responses["406"] = {"$ref": "#/components/responses/NotAcceptable"}
    responses["503"] = {"$ref": "#/components/responses/Unavailable"}
    operation: dict[str, Any] = {
        "operationId": query.name,
        "summary": query.title,
        "description": description,
        "parameters": [
            *(_parameter(p, examples) for p in query.params),
            {"$ref": "#/components/parameters/format"},
        ],
        "responses": responses,
    }
    if query.tags:
        operation["tags"] = list(query.tags)
    return operation


def _parameter(param: QueryParam, examples: Mapping[str, str]) -> dict[str, Any]:
    """One header parameter as an OpenAPI query parameter."""
    schema = dict(_SCHEMAS[param.type])
    if param.default is not None:
        schema["default"] = typed_value(param.type, param.default)
    notes = " ".join(n for n in (param.description, _TYPE_NOTES.get(param.type, "")) if n)
    example = param.default if param.default is not None else examples.get(param.type)
    parameter: dict[str, Any] = {
        "name": param.name,
        "in": "query",
        "required": param.required,
        "description": notes or param.type,
        "schema": schema,
    }
    if example is not None:
        parameter["example"] = typed_value(param.type, example)
    return parameter


def typed_value(kind: str, value: str) -> str | int | float:
    """Return a header value (always text) as the JSON value its OpenAPI schema expects.

    Args:
        kind: the parameter type of the header (`kg.query.stored_queries.PARAM_TYPES`).
        value: the value as written.

    Raises:
        ValueError: an integer or decimal value that is not a number.
    """
    if kind == "integer":
        return int(value)
    if kind == "decimal":
        return float(value)
    return value


def _format_parameter() -> dict[str, Any]:
    names = list(API_RESULT_FORMATS)
    return {
        "name": "format",
        "in": "query",
        "required": False,
        "description": "The result format; it overrides the Accept header. "
        + ", ".join(f"{name}: {media}" for name, media in API_RESULT_FORMATS.items()),
        "schema": {"type": "string", "enum": names, "default": names[0]},
    }


def _truncated_header() -> dict[str, Any]:
    return {
        "description": "true when the result was cut at the row cap (AICAP_MAX_RESULT_ROWS); "
        'SPARQL JSON then also carries "truncated": true.',
        "schema": {"type": "string", "enum": ["true"]},
    }


def _results_response() -> dict[str, Any]:
    text = {"schema": {"type": "string"}}
    return {
        "description": "The query's solutions, one row per solution.",
        "headers": {TRUNCATED_HEADER: {"$ref": f"#/components/headers/{TRUNCATED_HEADER}"}},
        "content": {
            API_RESULT_FORMATS["json"]: {"schema": {"$ref": "#/components/schemas/SparqlResults"}},
            API_RESULT_FORMATS["csv"]: text,
            API_RESULT_FORMATS["tsv"]: text,
        },
    }


def _error_responses() -> dict[str, Any]:
    def error(description: str) -> dict[str, Any]:
        schema = {"$ref": "#/components/schemas/Error"}
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    return {
        "BadRequest": error(
            "A missing, unknown or ill-typed parameter, or an unknown format; the message "
            "names it and the hint says what is accepted."
        ),
        "UnknownResource": error(
            "A firm or person parameter that names nobody in the graph; known lists the "
            "names there are."
        ),
        "NotAcceptable": error("No result format fits the Accept header; the message lists them."),
        "Unavailable": error(
            "The query ran past the time limit (AICAP_QUERY_TIMEOUT_S) or the service is "
            "overloaded; try again or narrow the query."
        ),
    }


def _component_schemas() -> dict[str, Any]:
    string = {"type": "string"}
    param = {
        "type": "object",
        "required": ["name", "type", "required", "default"],
        "properties": {
            "name": string,
            "type": {"type": "string", "enum": sorted(_SCHEMAS)},
            "required": {"type": "boolean"},
            "default": {"type": ["string", "null"]},
            "description": string,
        },
    }
    query = {
        "type": "object",
        "required": ["name", "title", "question", "description", "params"],
        "properties": {
            "name": string,
            "title": string,
            "question": string,
            "description": string,
            "params": {"type": "array", "items": {"$ref": "#/components/schemas/QueryParam"}},
            "tags": {"type": "array", "items": string},
        },
    }
    return {
        "QueryParam": param,
        "StoredQuery": query,
        "QueryList": {
            "type": "object",
            "required": ["queries"],
            "properties": {
                "queries": {"type": "array", "items": {"$ref": "#/components/schemas/StoredQuery"}}
            },
        },
        "SparqlResults": _sparql_results_schema(),
        "Error": {
            "type": "object",
            "required": ["error", "status", "hint"],
            "properties": {
                "error": {"type": "string", "description": "what was wrong"},
                "status": {"type": "integer", "description": "the HTTP status"},
                "hint": {"type": ["string", "null"], "description": "what is accepted"},
                "known": {
                    "type": "array",
                    "items": string,
                    "description": "the names that exist (unknown query, firm or person)",
                },
            },
        },
    }


def _sparql_results_schema() -> dict[str, Any]:
    """SPARQL 1.1 Query Results JSON (SELECT), with the service's ``truncated`` flag."""
    term = {
        "type": "object",
        "required": ["type", "value"],
        "properties": {
            "type": {"type": "string", "enum": ["uri", "literal", "bnode", "triple"]},
            "value": {},
            "datatype": {"type": "string"},
            "xml:lang": {"type": "string"},
        },
    }
    return {
        "type": "object",
        "description": "https://www.w3.org/TR/sparql11-results-json/",
        "required": ["head", "results"],
        "properties": {
            "truncated": {"type": "boolean"},
            "head": {
                "type": "object",
                "required": ["vars"],
                "properties": {"vars": {"type": "array", "items": {"type": "string"}}},
            },
            "results": {
                "type": "object",
                "required": ["bindings"],
                "properties": {
                    "bindings": {
                        "type": "array",
                        "items": {"type": "object", "additionalProperties": term},
                    }
                },
            },
        },
    }
