"""The HTTP layer: a Flask app over the knowledge graph, built by `create_app(settings)`.

The app owns routes, body parsing, negotiation and statuses; every question about the
graph goes to the `KnowledgeGraph` in ``app.extensions["kg"]``, reached from views with
`server.context.current_kg()`. Queries run in the graph's query workers
(`kg.query.executor`), started with the app.

An app may be built before its graph is open (`serve` listens at once and opens the store
meanwhile): until `attach_graph`, `/healthz` answers 503 ``{"status": "starting"}`` and
every other route but `/metrics` 503.
"""

from __future__ import annotations

from flask import Flask, request

from kg.config import Settings
from kg.graph import KnowledgeGraph
from server import (
    access_log,
    export,
    graph_store,
    health,
    metrics,
    pages,
    pictures,
    request_checks,
    resources,
    sparql,
    stored_queries,
    validation,
)
from server.context import SETTINGS_KEY, attach_graph, current_kg
from server.errors import register_error_handlers

__all__ = ["attach_graph", "create_app", "current_kg"]
ALWAYS_SERVED = ("health.healthz", "metrics.metrics")
"""Endpoints that answer while the graph is still opening."""


def create_app(
    settings: Settings | None = None, *, kg: KnowledgeGraph | None = None, open_graph: bool = True
) -> Flask:
    """Build the Flask app for one knowledge graph.

    Args:
        settings: the service settings; None reads them from the environment (AICAP_*).
        kg: an already open graph to serve (tests share one between apps); None opens the
            store at ``settings.data_dir``, loading the bundled data into an empty one.
            Whoever opened the graph closes it (which stops its query workers too):
            `server.wsgi.serve` does for its own.
        open_graph: False builds the app without a graph, for the caller to `attach_graph`
            later; meanwhile it answers 503.

    Returns:
        The app, with the graph in ``app.extensions["kg"]`` and its query workers started.

    Raises:
        RuntimeError: a query worker did not start.
    """
    settings = Settings.from_env() if settings is None else settings
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions[SETTINGS_KEY] = settings
    register_error_handlers(app)
    metrics.install(app)
    access_log.install(app)  # first: it times and logs every request, refused ones too
    app.before_request(refuse_until_ready)
    request_checks.install(app)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(stored_queries.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(resources.bp)
    app.register_blueprint(export.bp)
    app.register_blueprint(graph_store.bp)
    app.register_blueprint(validation.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(pictures.bp)
    if open_graph:
        attach_graph(app, KnowledgeGraph.open(settings) if kg is None else kg)
    return app


def refuse_until_ready() -> None:
    """Answer 503 on every route but the health check and metrics until the graph is open.

    Raises:
        ServiceUnavailable: the graph is still opening.
    """
    if request.endpoint not in ALWAYS_SERVED:
        current_kg()
