"""SHACL validation reports as HTTP responses: `/validate`'s 200 and a write's 422.

JSON ``{"conforms", "results": [...]}`` (CONTRACT: focusNode, resultPath, value,
sourceShape, sourceConstraintComponent, severity, message) by default and for ``*/*``;
the SHACL report graph as Turtle when Accept prefers ``text/turtle``. The choice is
Werkzeug's `best_match`, as everywhere in the service.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request
from werkzeug.exceptions import NotAcceptable

from kg.errors import ShapeReport
from server.negotiation import accepted_types

JSON = "application/json"
TURTLE = "text/turtle"
REPORT_MEDIA_TYPES = (JSON, TURTLE)
"""What a report is written as; the first is the default."""


def report_response(
    report: ShapeReport, status: int = 200, *, strict: bool = True, **extra: Any
) -> Response:
    """Write a report in the format the request's Accept header prefers.

    Args:
        report: the validation report.
        status: 200 for `/validate`, 422 for a refused write.
        strict: answer 406 when Accept allows neither format (False: fall back to JSON,
            for an error, which must reach the client whatever it accepts).
        extra: more keys for the JSON body (a refused write's ``error`` message).

    Raises:
        NotAcceptable: `strict`, and neither JSON nor Turtle is acceptable (406).
    """
    accept = accepted_types()
    chosen = accept.best_match(REPORT_MEDIA_TYPES) if accept else JSON
    if chosen is None and strict:
        raise NotAcceptable(
            f"no acceptable format for Accept: {request.headers.get('Accept', '')}; "
            f"a validation report is available as {', '.join(REPORT_MEDIA_TYPES)}"
        )
    if chosen == TURTLE:
        body = report.to_turtle()
        response = Response(body, status=status, content_type="text/turtle; charset=utf-8")
    else:
        document = {**extra, **report.to_json()}
        response = Response(json.dumps(document, indent=2) + "\n", status=status, mimetype=JSON)
    response.vary.add("Accept")
    return response
