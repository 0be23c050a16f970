"""`/graph-store`: the SPARQL 1.1 Graph Store HTTP Protocol, indirect graph identification.

``?default`` addresses the store's default graph, ``?graph=IRI`` a named graph; exactly one
of them (400 otherwise, and for a graph that is not an IRI).

- GET / HEAD: the graph in the syntax Accept prefers (Turtle, N-Triples, N-Quads, TriG,
  JSON-LD, RDF/XML; 406 lists them); 404 for an unknown named graph. Blank nodes come back
  as blank nodes, so what a client PUT it GETs back isomorphic; ``?skolem=true`` gives the
  Skolem IRIs the store keeps, which a later write may name.
- PUT: replace the graph; POST: add to it. 201 when the graph is new, 204 otherwise.
  A POST to ``/graph-store`` without a graph creates a new graph (GSP 5.5): 201, with its
  IRI in ``Location``. A body is recorded as a load, with its digest, as `aicap load`
  records a file: the same bytes stored from an earlier load are refused (409, naming that
  load) unless ``replace=true`` swaps the earlier load for this one.
- DELETE: drop the graph (empty the default graph); 204, or 404 for an unknown graph.

The body's Content-Type picks the parser (415 lists the accepted ones); a body that does
not parse is 400 with its line and column. Writes need the bearer token (`server.auth`),
are validated in the context of the stored graph (422 with the report) and commit in one
transaction with their audit record.
"""

from __future__ import annotations

import uuid

import pyoxigraph as ox
from flask import Blueprint, Response, request

from kg.errors import BadParameter
from kg.rdf.formats import RDF_SYNTAXES
from kg.rdf.loading import PreparedLoad, prepare_body_load
from kg.update.audit import Write
from kg.update.graph_store import (
    GraphTarget,
    delete_graph,
    graph_target,
    merge_graph,
    new_graph_target,
    read_body,
    read_graph,
    read_parts,
    replace_graph,
    serialize_graph,
)
from server.auth import require_writer
from server.context import current_kg
from server.negotiation import choose_format, content_type
from server.results import negotiated, no_content

bp = Blueprint("graph_store", __name__)
ROUTE = "/graph-store"


@bp.get(ROUTE)
def get_graph() -> Response:
    """Answer the graph in the negotiated syntax (HEAD: the same headers, no body)."""
    target = requested_graph()
    syntax = choose_format(RDF_SYNTAXES)
    quads = read_graph(current_kg(), target)
    keep = flag("skolem")
    return negotiated(serialize_graph(quads, syntax, keep_skolem_iris=keep), content_type(syntax))


@bp.put(ROUTE)
def put_graph() -> Response:
    """Replace the graph with the body: 201 if it is new, 204 if it existed."""
    actor = require_writer()
    target = requested_graph()
    load, write = body_load(target, uuid.uuid4(), actor, "graph-store PUT")
    replace = flag("replace")
    return written(replace_graph(current_kg(), target, load, write, replace=replace))


@bp.post(ROUTE)
def post_graph() -> Response:
    """Add the body to the graph: 201 if it is new, 204 if it existed; no graph: a new one."""
    actor = require_writer()
    kg = current_kg()
    new = not ({"default", "graph"} & set(request.args))
    load_id = uuid.uuid4()
    target = new_graph_target(kg.settings.base_iri, load_id) if new else requested_graph()
    load, write = body_load(target, load_id, actor, "graph-store POST")
    created = merge_graph(kg, target, load, write, replace=flag("replace"))
    response = written(created)
    if target.named is not None and new:
        response.headers["Location"] = target.named.value
    return response


@bp.delete(ROUTE)
def delete() -> Response:
    """Drop the graph (empty the default graph): 204, or 404 if there is no such graph."""
    actor = require_writer()
    target = requested_graph()
    delete_graph(current_kg(), target, Write(actor, "graph-store DELETE"))
    return no_content()


def requested_graph() -> GraphTarget:
    """The graph of ``?default`` or ``?graph=IRI``.

    Raises:
        BadParameter: both, neither, several graphs, or a graph that is not an IRI (400).
    """
    graphs = request.args.getlist("graph")
    if len(graphs) > 1:
        raise BadParameter(f"{len(graphs)} graph= parameters", "address one graph per request")
    return graph_target(default="default" in request.args, graph=graphs[0] if graphs else None)


def flag(name: str) -> bool:
    """Read a boolean query parameter: absent or ``false`` is False, ``true`` True.

    Raises:
        BadParameter: any other value (400).
    """
    value = request.args.get(name, "false").lower()
    if value not in {"true", "false"}:
        raise BadParameter(f"{name}={value!r} is not a boolean", f"use {name}=true or {name}=false")
    return value == "true"


def body_quads(target: GraphTarget) -> list[ox.Quad]:
    """Parse the request body into the target graph, its Content-Type giving the syntax.

    A multipart/form-data body (GSP 5.5) is a set of RDF documents, each part parsed by
    its own Content-Type.
    """
    kg = current_kg()
    limit = kg.settings.max_body_bytes
    if request.mimetype == "multipart/form-data":
        parts = [
            (name, part.read(), part.mimetype) for name, part in request.files.items(multi=True)
        ]
        return read_parts(parts, max_bytes=limit, into=target, base_iri=request.url)
    return read_body(
        request.get_data(), request.mimetype, max_bytes=limit, into=target, base_iri=request.url
    )


def body_load(
    target: GraphTarget, load_id: uuid.UUID, actor: str, operation: str
) -> tuple[PreparedLoad, Write]:
    """Parse the body into the target graph as a load, and say who writes it and how."""
    data = request.get_data()
    load = prepare_body_load(
        body_quads(target), data, operation, load_id, current_kg().settings.base_iri
    )
    return load, Write(actor, operation, data)


def written(created: bool) -> Response:
    """201 for a graph the write created, 204 for one it changed."""
    return no_content(201 if created else 204)
