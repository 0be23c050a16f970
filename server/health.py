"""`/healthz`: ready once the store is open and the query workers are up."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from server.context import graph_of

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Answer 200 ``{"status": "ok", "triples": N}`` when ready, else 503 ``starting``.

    N counts the quads in all graphs. Before the store is open, or while no query worker
    is in place, the answer is 503 ``{"status": "starting"}`` with ``Retry-After``.
    """
    kg = graph_of(current_app)
    if kg is None or kg.executor is None or not kg.executor.ready():
        response = jsonify({"status": "starting"})
        response.status_code = 503
        response.headers["Retry-After"] = "1"
        return response
    return jsonify({"status": "ok", "triples": kg.triple_count()})
