"""The graph an app serves, as views reach it: `current_kg()` inside a request.

Kept apart from `create_app` so that the blueprints, which `create_app` registers, can
import it without importing the app factory back.
"""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app
from werkzeug.exceptions import ServiceUnavailable

from kg.graph import KnowledgeGraph

EXTENSION_KEY = "kg"
SETTINGS_KEY = "aicap.settings"


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
