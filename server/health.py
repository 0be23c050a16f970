"""`/healthz`: the service is up and its store open, with the number of quads it holds."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from server import current_kg

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Answer 200 ``{"status": "ok", "triples": N}``; N counts the quads in all graphs."""
    return jsonify({"status": "ok", "triples": current_kg().triple_count()})
