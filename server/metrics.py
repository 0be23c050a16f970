"""`/metrics`: the service's counters in the Prometheus text format (prometheus-client).

Each app has its own registry (tests build many apps in one process). `server.access_log`
counts requests and latencies; `server.errors` counts query timeouts and overloads;
`server.results` counts truncated results; the store size and busy workers are read when
scraped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from flask import Blueprint, Flask, Response, current_app
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from kg.errors import KgError, Overloaded, QueryTimeout
from kg.graph import KnowledgeGraph
from server.context import graph_of

METRICS_KEY = "aicap.metrics"
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Request latency buckets: from a cached ASK to a query at the default 30 s limit."""

bp = Blueprint("metrics", __name__)


class Metrics:
    """The metrics of one app, in their own registry."""

    def __init__(self, app: Flask) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "aicap_http_requests",
            "HTTP requests answered, by route (URL rule), method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "aicap_http_request_duration_seconds",
            "Time from receiving a request to sending the last byte of its response",
            ["route"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.query_timeouts = Counter(
            "aicap_query_timeouts",
            "Queries stopped at the time limit (AICAP_QUERY_TIMEOUT_S)",
            registry=self.registry,
        )
        self.overloads = Counter(
            "aicap_query_overloads",
            "Queries refused because every query worker stayed busy",
            registry=self.registry,
        )
        self.truncations = Counter(
            "aicap_query_truncations",
            "Results cut at AICAP_MAX_RESULT_ROWS",
            registry=self.registry,
        )
        triples = Gauge(
            "aicap_store_triples", "Quads in all graphs of the store", registry=self.registry
        )
        triples.set_function(lambda: _read_graph(app, KnowledgeGraph.triple_count))
        busy = Gauge(
            "aicap_query_workers_busy",
            "Query worker processes evaluating a query now",
            registry=self.registry,
        )
        busy.set_function(lambda: _read_graph(app, _busy_workers))

    def count_error(self, error: KgError) -> None:
        """Count an error that the metrics follow (timeouts, overloads)."""
        if isinstance(error, QueryTimeout):
            self.query_timeouts.inc()
        elif isinstance(error, Overloaded):
            self.overloads.inc()


def install(app: Flask) -> None:
    """Give `app` its metrics."""
    # No ``*_created`` series: one per metric is noise to scrape. (Untyped in the library.)
    disable_created_metrics()  # type: ignore[no-untyped-call]
    app.extensions[METRICS_KEY] = Metrics(app)


def metrics_of(app: Flask) -> Metrics:
    """Return the metrics of `app`."""
    return cast(Metrics, app.extensions[METRICS_KEY])


@bp.get("/metrics")
def metrics() -> Response:
    """Answer the metrics in the Prometheus text format."""
    body = generate_latest(metrics_of(current_app).registry)
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def _read_graph(app: Flask, read: Callable[[KnowledgeGraph], int]) -> float:
    """Read a figure from the app's graph; 0 while it is still opening."""
    kg = graph_of(app)
    return 0.0 if kg is None else float(read(kg))


def _busy_workers(kg: KnowledgeGraph) -> int:
    return 0 if kg.executor is None else kg.executor.busy_workers()
