"""`/sparql` updates: the update part of the SPARQL 1.1 Protocol (section 2.2).

An update comes as ``update=`` in a form POST or as the body of an
``application/sparql-update`` POST (by GET it is a 400, `server.sparql`), with optional
``using-graph-uri`` and ``using-named-graph-uri``. It needs the bearer token
(`server.auth`: 403 on a read-only service, 401 without the right token); then
`kg.update.sparql_update.apply_update` refuses LOAD and SERVICE (403) before any parser
sees the text, parses it (400 with the position), computes its change, validates it (422
with the SHACL report, JSON or Turtle by Accept) and commits it in one transaction: 204. A
request that fails writes nothing.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Response, request
from werkzeug.datastructures import MultiDict

from kg.errors import BadParameter
from kg.update.sparql_update import UpdateDataset, apply_update
from server.access_log import note_query
from server.auth import require_writer
from server.context import current_kg
from server.results import no_content

FORM = "application/x-www-form-urlencoded"
SPARQL_UPDATE = "application/sparql-update"


def is_update_request() -> bool:
    """Tell whether this request is a protocol update (a POST of one of its two kinds)."""
    if request.method != "POST":
        return False
    return request.mimetype == SPARQL_UPDATE or (
        request.mimetype == FORM and "update" in request.form
    )


def answer_update() -> Response:
    """Check the token, run the update as one validated transaction, answer 204."""
    actor = require_writer()
    text, params = read_update()
    note_query(text)
    dataset = UpdateDataset(
        using=_graph_iris(params, "using-graph-uri"),
        using_named=_graph_iris(params, "using-named-graph-uri"),
    )
    apply_update(current_kg(), text, actor=actor, dataset=dataset, base_iri=request.base_url)
    return no_content()


def read_update() -> tuple[str, MultiDict[str, str]]:
    """Return the update text and where its protocol parameters are.

    Raises:
        BadParameter: several ``update=``, or ``query=`` beside it (400).
    """
    if request.mimetype == SPARQL_UPDATE:
        return request.get_data().decode("utf-8"), request.args
    updates = request.form.getlist("update")
    if len(updates) != 1 or "query" in request.form:
        raise BadParameter(
            f"expected exactly one update= and no query=, got {len(updates)} update=",
            "send one update per request",
        )
    return updates[0], request.values


def _graph_iris(params: MultiDict[str, str], name: str) -> tuple[str, ...]:
    values = params.getlist(name)
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise BadParameter(f"{name}={value!r} is not an absolute IRI: {exc}") from None
    return tuple(values)
