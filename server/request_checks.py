"""Checks every request passes before a view runs: body size (413) and UTF-8 text (400).

Werkzeug decodes query strings and form bodies replacing bytes that are not UTF-8 with
U+FFFD, so a view would run a query the client never sent. These checks decode strictly
first: the query string on every route, and the bodies that are text by definition
(``application/x-www-form-urlencoded``, ``application/sparql-query``,
``application/sparql-update``). RDF bodies are left to their parsers, which report the
line and column.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from kg.errors import BadInput

TEXT_BODIES = ("application/sparql-query", "application/sparql-update")
FORM = "application/x-www-form-urlencoded"


def install(app: Flask) -> None:
    """Run the checks before every view of `app`."""
    app.before_request(refuse_large_body)
    app.before_request(require_utf8)


def refuse_large_body() -> None:
    """Answer 413 to a body over MAX_CONTENT_LENGTH on every route, read or not.

    Werkzeug only checks the limit when a view reads the body; a declared length over it
    is refused before any view runs.

    Raises:
        RequestEntityTooLarge: the declared Content-Length is over the limit.
    """
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


def require_utf8() -> None:
    """Refuse a query string or text body whose bytes are not UTF-8 (400).

    Raises:
        BadInput: names where the bad bytes are and the accepted encoding.
    """
    _check_form(request.query_string, "the query string")
    if request.mimetype == FORM:
        _check_form(request.get_data(cache=True), "the form body")
    elif request.mimetype in TEXT_BODIES:
        _check_text(request.get_data(cache=True), f"the {request.mimetype} body")


def _check_form(raw: bytes, where: str) -> None:
    """Check both layers of a form: raw bytes, then the percent-encoded ones."""
    _check_text(raw, where)
    try:
        parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise _not_utf8(where + " (percent-encoded)", exc) from None


def _check_text(raw: bytes, where: str) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(where, exc) from None


def _not_utf8(where: str, exc: UnicodeDecodeError) -> BadInput:
    bad = exc.object[exc.start : exc.end].hex(" ")
    return BadInput(
        f"{where} is not UTF-8: bytes {bad} at offset {exc.start} ({exc.reason})",
        "send text as UTF-8; in URLs and forms, percent-encode its bytes",
    )
