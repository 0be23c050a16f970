"""Query answers as HTTP responses, shared by `/sparql` and the stored-query API.

A result cut at ``AICAP_MAX_RESULT_ROWS`` carries ``AICAP-Result-Truncated: true`` (the
executor has already put ``"truncated": true`` in SPARQL JSON) and is counted.
"""

from __future__ import annotations

from flask import Response, current_app

from kg.query.workers import QueryResponse
from server.metrics import metrics_of

TRUNCATED_HEADER = "AICAP-Result-Truncated"


def query_response(answer: QueryResponse, content_type: str) -> Response:
    """Wrap a serialized query answer; say if it was cut and that it depends on Accept.

    Args:
        answer: what the query executor returned.
        content_type: the Content-Type header, with a charset where the format has one.
    """
    response = negotiated(answer.body, content_type)
    if answer.truncated:
        response.headers[TRUNCATED_HEADER] = "true"
        metrics_of(current_app).truncations.inc()
    return response


def negotiated(body: bytes, content_type: str) -> Response:
    """Wrap a negotiated body; ``Vary: Accept`` tells caches the body depends on Accept."""
    response = Response(body, content_type=content_type)
    response.vary.add("Accept")
    return response


def no_content(status: int = 204) -> Response:
    """An empty answer to a write (201 or 204), without Flask's default ``text/html`` type.

    There is no body, so a Content-Type would describe nothing (RFC 9110, 8.3).
    """
    response = Response(status=status)
    del response.headers["Content-Type"]
    return response
