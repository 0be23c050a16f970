"""`/sparql`: the query part of the SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/).

A query comes as ``query=`` by GET, as ``query=`` in a form POST, or as the body of an
``application/sparql-query`` POST, with optional ``default-graph-uri`` and
``named-graph-uri``. SELECT and ASK answer in SPARQL JSON, XML, CSV or TSV; CONSTRUCT and
DESCRIBE in a graph format; the Accept header chooses. A GET without a query returns the
service description. Queries run in the graph's query workers (`KnowledgeGraph.execute`):
the time limit holds (503) and rows are capped (``AICAP-Result-Truncated: true``). Updates
(``update=`` in a form POST, or an ``application/sparql-update`` body) go to
`server.update`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Response, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotAcceptable, UnsupportedMediaType

from kg.errors import BadParameter, QuerySyntaxError
from kg.rdf.formats import RDF_SYNTAXES, RESULTS_FORMATS, RdfSyntax, ResultsFormat
from server.access_log import note_query
from server.context import current_kg
from server.negotiation import Format, choose_format, content_type
from server.results import negotiated, query_response
from server.service_description import describe_service, serialize_description
from server.update import answer_update, is_update_request

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"


@dataclass(frozen=True)
class QueryOperation:
    """One protocol query: its text and the dataset the request asked for."""

    query: str
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """Answer a protocol query in the negotiated format; without one, describe the service.

    The query runs in a query worker, under the time limit and the row cap.
    """
    if is_update_request():
        return answer_update()
    operation = read_query_operation()
    if operation is None:
        return service_description()
    note_query(operation.query)
    results, graphs = acceptable_formats()
    answer = current_kg().execute(
        operation.query,
        result_format=(results or RESULTS_FORMATS[0]).name,
        graph_format=(graphs or RDF_SYNTAXES[0]).name,
        default_graphs=operation.default_graphs,
        named_graphs=operation.named_graphs,
        base_iri=request.base_url,
    )
    # A kind with no acceptable format is a 406 that lists that kind's formats.
    fmt: ResultsFormat | RdfSyntax
    if answer.kind == "graph":
        fmt = graphs or choose_format(RDF_SYNTAXES)
    else:
        fmt = results or choose_format(RESULTS_FORMATS)
    return query_response(answer, content_type(fmt))


def acceptable_formats() -> tuple[ResultsFormat | None, RdfSyntax | None]:
    """Negotiate both kinds before the query runs: only the engine knows which it is.

    Raises:
        NotAcceptable: neither a results format nor a graph syntax is acceptable (406).
    """
    results = _acceptable(RESULTS_FORMATS)
    graphs = _acceptable(RDF_SYNTAXES)
    if results is None and graphs is None:
        media_types = [f.media_type for f in RESULTS_FORMATS] + [f.media_type for f in RDF_SYNTAXES]
        listed = ", ".join(media_types)
        raise NotAcceptable(
            f"no acceptable format for Accept: {request.headers.get('Accept', '')}; "
            f"query answers are available as {listed}"
        )
    return results, graphs


def _acceptable(formats: Sequence[Format]) -> Format | None:
    try:
        return choose_format(formats)
    except NotAcceptable:
        return None


def service_description() -> Response:
    """Answer the SPARQL service description in the negotiated graph format (Turtle first)."""
    syntax = choose_format(RDF_SYNTAXES)
    kg = current_kg()
    triples = describe_service(
        request.base_url,
        RESULTS_FORMATS + RDF_SYNTAXES,
        union_default_graph=kg.settings.union_default_graph,
        named_graphs=kg.store.graphs(),
    )
    return negotiated(serialize_description(triples, syntax), content_type(syntax))


def read_query_operation() -> QueryOperation | None:
    """Read the protocol query from the request; None for a GET that carries none.

    Raises:
        BadParameter: ``update=`` by GET, no or several ``query=``, a graph that is not an
            IRI (400).
        QuerySyntaxError: a body that is not UTF-8 (400).
        UnsupportedMediaType: a POST body that is neither a form nor a SPARQL query (415).
    """
    if request.method == "GET":
        if "update" in request.args:
            raise BadParameter("update= is not allowed by GET", "send updates by POST")
        if "query" not in request.args:
            return None
        return _operation(request.args.getlist("query"), request.args)
    if request.mimetype == FORM:
        return _operation(request.form.getlist("query"), request.values)
    if request.mimetype == SPARQL_QUERY:
        return _operation([_utf8_body()], request.args)
    raise UnsupportedMediaType(
        f"cannot read a POST body of type {request.mimetype or '(none)'!r}; "
        f"send {FORM} with query= or update=, {SPARQL_QUERY} or {SPARQL_UPDATE}"
    )


def _operation(queries: list[str], params: MultiDict[str, str]) -> QueryOperation:
    if len(queries) != 1:
        raise BadParameter(f"expected exactly one query= parameter, got {len(queries)}")
    return QueryOperation(
        queries[0],
        default_graphs=_graph_iris(params, "default-graph-uri"),
        named_graphs=_graph_iris(params, "named-graph-uri"),
    )


def _graph_iris(params: MultiDict[str, str], name: str) -> list[str] | None:
    values = params.getlist(name)
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise BadParameter(f"{name}={value!r} is not an absolute IRI: {exc}") from None
    return values or None


def _utf8_body() -> str:
    try:
        return request.get_data().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QuerySyntaxError(f"the query body is not UTF-8: {exc}") from None
