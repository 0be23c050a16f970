"""One log line and the request metrics per request, once its response is sent.

A WSGI middleware around the Flask app measures from the request's arrival to the last
byte of its body (a streamed export included) and counts the bytes sent. The line, on the
``aicap.access`` logger::

    GET /sparql 200 12.3 ms 512 B query=5d41402abc4b

names the URL rule (``/id/<path:rest>``, never the path, so that the metrics' labels stay
few), and, when the request carried a query, the first 12 hex digits of the SHA-256 of its
text: enough to find repeats and match a slow query with its client, without logging what
analysts ask.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from flask import Flask, request

from server.metrics import Metrics, metrics_of

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("aicap.access")

ROUTE_KEY = "aicap.route"
QUERY_HASH_KEY = "aicap.query_hash"
UNMATCHED = "(unmatched)"
"""The route label of a request that matched no URL rule (404, 405)."""


def install(app: Flask) -> None:
    """Log and count every request of `app`."""
    app.before_request(note_route)
    app.wsgi_app = AccessLog(app.wsgi_app, metrics_of(app))  # type: ignore[method-assign]


def note_route() -> None:
    """Remember the request's URL rule for the log line (a `before_request` hook)."""
    rule = request.url_rule
    request.environ[ROUTE_KEY] = UNMATCHED if rule is None else rule.rule


def note_query(text: str) -> None:
    """Put a short hash of the request's query text in its log line."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    request.environ[QUERY_HASH_KEY] = digest[:12]


class AccessLog:
    """WSGI middleware: times each request, counts its bytes, then logs and counts it."""

    def __init__(self, app: WSGIApplication, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        status = ["500"]  # if the app fails before it starts a response

        def recording_start_response(status_line: str, headers: Any, exc_info: Any = None) -> Any:
            status[0] = status_line.split(" ", 1)[0]
            return start_response(status_line, headers, exc_info)

        body = self.app(environ, recording_start_response)
        return _CountedBody(body, lambda sent: self._record(environ, status[0], started, sent))

    def _record(self, environ: WSGIEnvironment, status: str, started: float, sent: int) -> None:
        seconds = time.perf_counter() - started
        method = environ.get("REQUEST_METHOD", "-")
        route = environ.get(ROUTE_KEY, UNMATCHED)
        query_hash = environ.get(QUERY_HASH_KEY)
        self.metrics.requests.labels(route, method, status).inc()
        self.metrics.latency.labels(route).observe(seconds)
        log.info(
            "%s %s %s %.1f ms %d B%s",
            method,
            route,
            status,
            seconds * 1000,
            sent,
            "" if query_hash is None else f" query={query_hash}",
        )


class _CountedBody:
    """A response body that counts the bytes it yields and reports them when closed.

    PEP 3333 has the server call `close` once the body is sent (or the client is gone).
    """

    def __init__(self, body: Iterable[bytes], on_close: Callable[[int], None]) -> None:
        self._body = body
        self._on_close: Callable[[int], None] | None = on_close
        self._sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self._sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            if self._on_close is not None:
                report, self._on_close = self._on_close, None
                report(self._sent)
