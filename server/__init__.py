"""The HTTP layer: a Flask app over the knowledge graph, built by `create_app(settings)`.

The app owns routes, body parsing, negotiation and statuses; every question about the
graph goes to the `KnowledgeGraph` in ``app.extensions["kg"]``, reached from views with
`current_kg()`. Queries run in the graph's query workers (`kg.executor`), started with the
app.

An app may be built before its graph is open (`serve` listens at once and opens the store
meanwhile): until `attach_graph`, `/healthz` answers 503 ``{"status": "starting"}`` and
every other route but `/metrics` 503.
"""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app, request
from werkzeug.exceptions import ServiceUnavailable

from kg.config import Settings
from kg.graph import KnowledgeGraph

EXTENSION_KEY = "kg"
SETTINGS_KEY = "aicap.settings"
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
    # Blueprints import `current_kg` from this package, so they are imported once it exists
    # (the flaskr pattern).
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
    from server.errors import register_error_handlers

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


def attach_graph(app: Flask, kg: KnowledgeGraph) -> None:
    """Start the graph's query workers (if not yet running), then serve the graph.

    Raises:
        RuntimeError: a query worker did not start.
    """
    kg.start_executor()
    app.extensions[EXTENSION_KEY] = kg


def graph_of(app: Flask) -> KnowledgeGraph | None:
    """Return the graph an app serves, or None while it is still opening."""
    return cast(KnowledgeGraph | None, app.extensions.get(EXTENSION_KEY))


def current_kg() -> KnowledgeGraph:
    """Return the knowledge graph of the app handling the current request.

    Raises:
        ServiceUnavailable: the graph is still opening (503).
    """
    kg = graph_of(current_app)
    if kg is None:
        raise ServiceUnavailable(
            "the service is starting: the store is being opened", retry_after=1
        )
    return kg


def refuse_until_ready() -> None:
    """Answer 503 on every route but the health check and metrics until the graph is open.

    Raises:
        ServiceUnavailable: the graph is still opening.
    """
    if request.endpoint not in ALWAYS_SERVED:
        current_kg()
