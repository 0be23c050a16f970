"""`/validate`: an RDF body checked as new triples against the stored graph; never writes.

The body's Content-Type picks the parser (415 lists the accepted ones). The answer is 200
with the SHACL report, whatever it says: JSON ``{"conforms", "results": [...]}`` or the
report graph as Turtle, by Accept (`server.reports`).
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from kg.update.graph_store import validate_body
from server.context import current_kg
from server.reports import report_response

bp = Blueprint("validation", __name__)


@bp.post("/validate")
def validate() -> Response:
    """Answer the report of validating the body in the context of the stored graph."""
    report = validate_body(current_kg(), request.get_data(), request.mimetype, request.url)
    return report_response(report)
