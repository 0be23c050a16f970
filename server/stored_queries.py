"""`/api`: the stored queries as a small JSON/CSV API, and its OpenAPI document.

``/api/queries`` lists the queries as their ``#+`` headers describe them;
``/api/queries/<name>`` runs one with query-string parameters, bound as typed terms by the
catalogue (never pasted into the query text); ``/api/openapi.json`` describes both,
generated from the same headers (`kg.views.openapi`). Results are SPARQL JSON unless the Accept
header or ``?format=`` asks for CSV or TSV, so ``pandas.read_csv(url + "?format=csv")``
works. Errors are JSON (`server.errors`): 400 names the parameter, 404 lists the names.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, Response, jsonify, request

from kg.errors import BadParameter
from kg.query.workers import QueryResponse
from kg.rdf.formats import ResultsFormat, results_format
from kg.views.openapi import API_RESULT_FORMATS, build_openapi
from server.context import current_kg
from server.negotiation import choose_format, content_type
from server.results import query_response

bp = Blueprint("stored_queries", __name__, url_prefix="/api")

FORMAT_PARAM = "format"
"""The query-string key that picks the result format (it would shadow a stored query's own
parameter of that name; none has one)."""

API_FORMATS: tuple[ResultsFormat, ...] = tuple(results_format(n) for n in API_RESULT_FORMATS)
"""What the API serves, SPARQL JSON first (the default for an empty Accept or ``*/*``)."""


@bp.after_request
def no_sniffing(response: Response) -> Response:
    """Forbid browsers to sniff a body as HTML: an error may echo a parameter's value."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/queries")
def list_queries() -> Response:
    """List every stored query with its title, question, description and parameters."""
    return jsonify({"queries": [query.to_json() for query in current_kg().catalogue]})


@bp.get("/queries/<name>")
def run_query(name: str) -> Response:
    """Run one stored query with the request's parameters, in the chosen format."""
    current_kg().catalogue.get(name)  # an unknown name is a 404 before anything else
    fmt = chosen_format()
    answer = run_stored(name, query_parameters(), fmt)
    response = query_response(answer, content_type(fmt))  # says if the rows were cut
    if fmt.name != "json":  # a download keeps the query's name
        response.headers["Content-Disposition"] = f'inline; filename="{name}.{fmt.suffix}"'
    return response


@bp.get("/openapi.json")
def openapi() -> Response:
    """Describe the API in OpenAPI 3.1, generated from the stored queries' headers."""
    return jsonify(build_openapi(current_kg().catalogue, server_url=request.script_root or "/"))


def chosen_format() -> ResultsFormat:
    """Return the format ``?format=`` names, or else the one the Accept header prefers.

    Raises:
        BadParameter: a ``format`` that the API does not serve (400, lists the accepted).
        NotAcceptable: an Accept header that fits none of them (406).
    """
    values = request.args.getlist(FORMAT_PARAM)
    if not values:
        return choose_format(API_FORMATS)
    if len(values) == 1:
        for fmt in API_FORMATS:
            if values[0].strip().lower() == fmt.name:
                return fmt
    raise BadParameter(
        f"parameter 'format' must name one result format; got {', '.join(map(repr, values))}",
        "accepted: " + ", ".join(f.name for f in API_FORMATS),
    )


def query_parameters() -> dict[str, str]:
    """Return the query-string parameters of the stored query (``format`` left out).

    Raises:
        BadParameter: a parameter given more than once; names it.
    """
    params: dict[str, str] = {}
    for key, values in request.args.lists():
        if key == FORMAT_PARAM:
            continue
        if len(values) > 1:
            raise BadParameter(
                f"parameter {key!r} is given {len(values)} times", "give each parameter once"
            )
        params[key] = values[0]
    return params


def run_stored(name: str, params: Mapping[str, str], fmt: ResultsFormat) -> QueryResponse:
    """Run a stored query in a query worker: the time limit holds and rows are capped.

    Raises:
        MissingParameter: a required parameter is missing (400).
        BadParameter: an unknown or ill-typed parameter (400).
        UnknownResource: a firm or person that the graph does not know (404).
        QueryTimeout: the query ran past AICAP_QUERY_TIMEOUT_S and was stopped (503).
        Overloaded: no query worker came free in time (503).
    """
    return current_kg().execute_stored(name, params, result_format=fmt.name)
