"""The one place where exceptions become HTTP responses.

`STATUS_BY_ERROR` maps each `KgError` class to its status, the way Oxigraph's server maps
loader errors, so `kg` knows nothing of HTTP. Werkzeug's own `HTTPException`s (404, 405,
406, 413, 415) get the same bodies. Every other exception is logged and answered 500;
only known errors become 4xx.

Bodies: JSON ``{"error", "status", "hint", ...}`` on the JSON surfaces (`/api`,
`/healthz`); plain text on the protocol surfaces (`/sparql`, `/graph-store`, `/metrics`:
their clients are programs, as for Oxigraph's server); elsewhere an HTML page
(``templates/error.html``, autoescaped) when Accept prefers ``text/html`` to
``text/plain`` (a browser), else plain text.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES

from kg.errors import (
    AlreadyLoaded,
    BadInput,
    Forbidden,
    KgError,
    Overloaded,
    QueryTimeout,
    ReadOnly,
    ShapeViolation,
    TooLarge,
    Unauthorized,
    UnknownQuery,
    UnknownResource,
    UnsupportedFormat,
)
from server.metrics import metrics_of
from server.reports import report_response

STATUS_BY_ERROR: dict[type[KgError], int] = {
    BadInput: 400,  # syntax errors, bad parameters, guards (TooComplex, UnsafeInput ...)
    Unauthorized: 401,
    ReadOnly: 403,
    Forbidden: 403,
    UnknownQuery: 404,
    UnknownResource: 404,
    AlreadyLoaded: 409,  # the body names the earlier load; replace=true swaps it
    TooLarge: 413,
    UnsupportedFormat: 415,  # a body whose Content-Type the service cannot parse
    ShapeViolation: 422,
    QueryTimeout: 503,
    Overloaded: 503,
}
"""Status for each known error class; a subclass takes its nearest listed ancestor's."""

JSON_PATH_PREFIXES = ("/api/", "/healthz")
"""Surfaces whose clients read JSON."""
TEXT_PATH_PREFIXES = ("/sparql", "/graph-store", "/metrics")
"""Protocol surfaces, whose clients are programs: plain text, even to a browser."""
RETRY_AFTER_S = 1
"""Retry-After on an overload 503: a worker frees up within about a second."""


def register_error_handlers(app: Flask) -> None:
    """Install the handlers that turn exceptions into responses."""
    app.register_error_handler(KgError, handle_kg_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)


def status_for(error: KgError) -> int:
    """Return the HTTP status of a library error: its nearest class in `STATUS_BY_ERROR`.

    A `KgError` with no listed ancestor is a 500: it was not meant to reach a client.
    """
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def handle_kg_error(error: KgError) -> Response:
    """Answer a library error with its status, its message and its hint."""
    status = status_for(error)
    if status >= 500:
        current_app.logger.error("unexpected library error on %s", request.path, exc_info=error)
    extra: dict[str, Any] = {}
    if isinstance(error, UnknownQuery | UnknownResource):
        extra["known"] = error.known  # the names a client may use instead
    metrics_of(current_app).count_error(error)
    if isinstance(error, ShapeViolation):  # the body is the SHACL report (CONTRACT: 422)
        return report_response(error.report, status, strict=False, error=error.message)
    response = error_response(status, error.message, error.hint, **extra)
    if isinstance(error, Unauthorized):
        response.headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, Overloaded):
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def handle_http_exception(error: HTTPException) -> Response:
    """Answer Werkzeug's own errors (404, 405, 406, 413, 415 ...) in the house format."""
    status = error.code or 500
    message = error.description or error.name
    if isinstance(error, RequestEntityTooLarge):
        message = _too_large_message()
    response = error_response(status, message)
    for name, value in error.get_headers():
        if name.lower() != "content-type":  # keeps Allow on a 405
            response.headers[name] = value
    return response


def handle_unexpected(error: Exception) -> Response:
    """Log an exception nobody expected and answer 500 without its details."""
    current_app.logger.error(
        "unhandled %s on %s %s", type(error).__name__, request.method, request.path, exc_info=error
    )
    return error_response(500, "internal server error; the details are in the service log")


def error_response(status: int, message: str, hint: str | None = None, **extra: Any) -> Response:
    """Build the one error body for this request's surface: JSON, plain text or HTML."""
    surface = error_surface()
    if surface == "json":
        response = jsonify({"error": message, "status": status, "hint": hint, **extra})
    elif surface == "html":
        page = render_template(
            "error.html",
            status=status,
            title=HTTP_STATUS_CODES.get(status, "Error"),
            message=message,
            hint=hint,
            known=extra.get("known", []),
        )
        response = Response(page, mimetype="text/html")
    else:
        text = message if hint is None else f"{message}\n{hint}"
        response = Response(text + "\n", mimetype="text/plain")
    response.status_code = status
    return response


def error_surface() -> str:
    """Say how this request's errors are written: ``json``, ``text`` or ``html``."""
    if request.path.startswith(JSON_PATH_PREFIXES):
        return "json"
    if request.path.startswith(TEXT_PATH_PREFIXES):
        return "text"
    best = request.accept_mimetypes.best_match(["text/plain", "text/html"])
    return "html" if best == "text/html" else "text"


def _too_large_message() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    size = request.content_length
    stated = "the body" if size is None else f"the body is {size} bytes"
    return f"{stated}; the limit is {limit} bytes (AICAP_MAX_BODY_BYTES)"
