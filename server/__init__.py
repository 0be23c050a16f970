"""The HTTP layer: a Flask app over the knowledge graph, built by `create_app(settings)`.

The app owns routes, body parsing, negotiation and statuses; every question about the
graph goes to the `KnowledgeGraph` in ``app.extensions["kg"]``, reached from views with
`current_kg()`.
"""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from kg.config import Settings
from kg.graph import KnowledgeGraph

EXTENSION_KEY = "kg"


def create_app(settings: Settings | None = None, *, kg: KnowledgeGraph | None = None) -> Flask:
    """Build the Flask app for one knowledge graph.

    Args:
        settings: the service settings; None reads them from the environment (AICAP_*).
        kg: an already open graph to serve (tests share one between apps); None opens the
            store at ``settings.data_dir``, loading the bundled data into an empty one.
            Whoever opened the graph closes it: `server.wsgi.serve` does for its own.

    Returns:
        The app, with the graph in ``app.extensions["kg"]``.
    """
    # Blueprints import `current_kg` from this package, so they are imported once it exists
    # (the flaskr pattern).
    from server import health, sparql
    from server.errors import register_error_handlers

    settings = Settings.from_env() if settings is None else settings
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions[EXTENSION_KEY] = KnowledgeGraph.open(settings) if kg is None else kg
    register_error_handlers(app)
    app.before_request(refuse_large_body)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(health.bp)
    return app


def current_kg() -> KnowledgeGraph:
    """Return the knowledge graph of the app handling the current request."""
    return cast(KnowledgeGraph, current_app.extensions[EXTENSION_KEY])


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
