"""`/pictures/<name>.svg`: the pictures of `kg.views.pictures`, drawn from the graph as it is now.

Each request draws from fresh query results, so a picture follows every write; the ETag
lets a browser revalidate cheaply. SVG from this origin could run script if opened on its
own, so the responses carry a Content-Security-Policy that allows none (matplotlib's SVG
has one inline ``<style>``, and no script).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for

from kg.views.pictures import PICTURES, render_picture
from server.context import current_kg

bp = Blueprint("pictures", __name__, url_prefix="/pictures")

SVG_MEDIA_TYPE = "image/svg+xml"
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


@bp.get("/<name>.svg")
def picture(name: str) -> Response:
    """Draw one picture; ``?firm=`` for ``commitments-vs-revenue``.

    Unknown pictures and firms are 404s that list the known ones; other parameters 400s.
    """
    svg = render_picture(current_kg(), name, request.args.to_dict())
    response = Response(svg, mimetype=SVG_MEDIA_TYPE)
    response.headers["Content-Security-Policy"] = SVG_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.no_cache = True  # revalidate each time: the data may change
    response.add_etag()
    response.make_conditional(request)  # 304 when the browser has these bytes
    return response


@bp.get("/")
def pictures() -> Response:
    """List the pictures: name, title, URL and the stored queries each is drawn from."""
    return jsonify(
        {
            "pictures": [
                {
                    "name": p.name,
                    "title": p.title,
                    "url": url_for("pictures.picture", name=p.name),
                    "queries": list(p.queries),
                    "params": list(p.params),
                }
                for p in PICTURES.values()
            ]
        }
    )
