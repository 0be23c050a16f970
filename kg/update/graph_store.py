"""SPARQL 1.1 Graph Store HTTP Protocol operations, and RDF bodies checked as new triples.

What `/graph-store` and `/validate` do, without HTTP: read an RDF body safely (the guards
first, then pyoxigraph's parser, which fetches nothing), read a graph, and replace, merge
into or delete a graph through `KnowledgeGraph.commit` (validated in context, one
transaction, audited). The change of a write is computed under the write lock, from the
graph as it is when the write commits, so two writers never replace each other's view.

``?default`` is the store's own default graph, whatever ``AICAP_UNION_DEFAULT_GRAPH`` says
about queries: it always exists (GET answers it even empty; DELETE clears it).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from kg.errors import BadInput, BadParameter, KgError, UnknownResource
from kg.namespaces import PREFIXES
from kg.rdf.body_guards import check_rdf_body_safety
from kg.rdf.formats import RdfSyntax
from kg.rdf.loading import PreparedLoad, minted_load_graph
from kg.rdf.parsing import graph_iri, parse_rdf_bytes
from kg.store.protocol import Change, Store
from kg.store.skolem import deskolemize
from kg.update.audit import Write
from kg.update.commit import WriteTarget
from kg.update.loads import commit_load
from kg.validation.report import ValidationReport


@dataclass(frozen=True)
class GraphTarget:
    """The graph a request addresses: the default graph or one named graph."""

    node: ox.NamedNode | ox.DefaultGraph

    @property
    def named(self) -> ox.NamedNode | None:
        """The named graph, or None for the default graph."""
        return self.node if isinstance(self.node, ox.NamedNode) else None

    def __str__(self) -> str:
        return "the default graph" if self.named is None else f"graph {self.node}"


def graph_target(*, default: bool, graph: str | None) -> GraphTarget:
    """Return the graph of ``?default`` or ``?graph=IRI`` (exactly one of them).

    Raises:
        BadParameter: both, neither, or a graph that is not an absolute IRI (400).
    """
    if default and graph is not None:
        raise BadParameter(
            "?default and ?graph= name two graphs", "address one graph: ?default or ?graph=IRI"
        )
    if default:
        return GraphTarget(ox.DefaultGraph())
    if graph is None:
        raise BadParameter("no graph named", "add ?default or ?graph=IRI to the URL")
    return GraphTarget(graph_iri(graph))


def new_graph_target(base_iri: str, load_id: uuid.UUID) -> GraphTarget:
    """Return a fresh graph for a POST to the graph store itself (GSP 5.5).

    Named as `aicap load` names the graph of a file loaded without one, after the load's
    id, so that replacing the load drops it whole (`kg.update.loads`).
    """
    return GraphTarget(minted_load_graph(base_iri, load_id))


def graph_exists(store: Store, target: GraphTarget) -> bool:
    """Tell whether the graph exists (the default graph always does)."""
    return target.named is None or store.contains_graph(target.named)


def read_graph(kg: WriteTarget, target: GraphTarget) -> list[ox.Quad]:
    """Return the quads of one graph.

    Raises:
        UnknownResource: no such named graph (404).
    """
    if not graph_exists(kg.store, target):
        raise UnknownResource(f"no {target}", None)
    return list(kg.store.quads(graph=target.node))


def serialize_graph(
    quads: list[ox.Quad], syntax: RdfSyntax, *, keep_skolem_iris: bool = False
) -> bytes:
    """Write one graph as a client sent it, so that a PUT and a GET round-trip.

    Blank nodes were stored as Skolem IRIs (`kg.store.skolem`); they go back as blank
    nodes unless `keep_skolem_iris` (a client that wants to name them in a later write).
    N-Quads and TriG carry the graph's name; every other syntax, JSON-LD included, gets
    the triples alone: a JSON-LD reader loading a graph finds them at the top level, not
    inside a named ``@graph``.

    Args:
        quads: the graph's quads, all with the same graph name.
        syntax: the negotiated syntax.
        keep_skolem_iris: write Skolem IRIs as stored.
    """
    triples = [q.triple for q in quads]
    if not keep_skolem_iris:
        triples = deskolemize(triples)
    items: list[ox.Quad] | list[ox.Triple] = triples
    if quads and syntax.name in _GRAPH_NAMING_SYNTAXES:
        graph = quads[0].graph_name
        items = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]
    output = io.BytesIO()
    ox.serialize(items, output, syntax.ox_format, prefixes=PREFIXES)
    return output.getvalue()


_GRAPH_NAMING_SYNTAXES = frozenset({"nquads", "trig"})
"""Syntaxes in which a GET of one graph keeps its name (JSON-LD could, but readers of a
graph would not look inside a named ``@graph``)."""


def read_body(
    data: bytes,
    media_type: str,
    *,
    max_bytes: int,
    into: GraphTarget | None = None,
    base_iri: str | None = None,
) -> list[ox.Quad]:
    """Parse an RDF body whose syntax the media type gives, after the guards.

    Args:
        data: the body.
        media_type: its Content-Type.
        max_bytes: the body limit (`Settings.max_body_bytes`).
        into: put the triples in this graph; then a body that names graphs is refused.
        base_iri: what relative IRIs resolve against (the request URL).

    Raises:
        UnsupportedFormat: a media type the service does not parse (415).
        TooLarge: over the body limit (413).
        UnsafeInput: external XML entities, remote JSON-LD contexts … (400).
        TooComplex: nested beyond what the parser survives (400).
        RdfSyntaxError: the body does not parse; the message gives line and column (400).
        BadInput: `into` is given and the body has quads in named graphs (400).
    """
    check_rdf_body_safety(data, media_type, max_bytes=max_bytes)
    quads = parse_rdf_bytes(data, media_type, source="the body", base_iri=base_iri)
    if into is None:
        return quads
    named = next((q for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)), None)
    if named is not None:
        raise BadInput(
            f"the body puts triples in the named graph {named.graph_name}; "
            f"a graph-store request writes {into} only",
            "send the triples without a graph name, or one request per graph",
        )
    return [ox.Quad(q.subject, q.predicate, q.object, into.node) for q in quads]


def read_parts(
    parts: list[tuple[str, bytes, str]],
    *,
    max_bytes: int,
    into: GraphTarget,
    base_iri: str | None = None,
) -> list[ox.Quad]:
    """Parse the RDF parts of a multipart/form-data body (GSP 5.5) into one graph.

    Each part is a document of its own, so a blank node label in two parts names two blank
    nodes (the RDF merge), never one.

    Args:
        parts: (name, bytes, media type) of each part.
        max_bytes: the body limit (`Settings.max_body_bytes`).
        into: the graph the triples go to.
        base_iri: what relative IRIs resolve against (the request URL).

    Raises:
        BadInput: no part at all (400).
        as `read_body`, for the first part that fails, named in the message.
    """
    if not parts:
        raise BadInput("the multipart body has no part", "send each RDF document as a file part")
    quads: list[ox.Quad] = []
    for index, (name, data, media_type) in enumerate(parts):
        try:
            found = read_body(data, media_type, max_bytes=max_bytes, into=into, base_iri=base_iri)
        except KgError as exc:
            exc.message = f"part {name!r} of the multipart body: {exc.message}"
            raise
        quads.extend(_own_blank_nodes(found, f"part{index}") if index else found)
    return quads


def _own_blank_nodes(quads: list[ox.Quad], scope: str) -> list[ox.Quad]:
    """Give the blank nodes of one document labels no other document of the body has."""

    def renamed(term: Any) -> Any:
        if isinstance(term, ox.BlankNode):
            return ox.BlankNode(f"{scope}x{term.value}")
        if isinstance(term, ox.Triple):
            return ox.Triple(renamed(term.subject), term.predicate, renamed(term.object))
        return term

    return [
        ox.Quad(renamed(q.subject), q.predicate, renamed(q.object), q.graph_name) for q in quads
    ]


def validate_body(
    kg: WriteTarget, data: bytes, media_type: str, base_iri: str | None = None
) -> ValidationReport:
    """Validate an RDF body as new triples in the context of the stored graph; write nothing.

    Raises:
        as `read_body`.
    """
    quads = read_body(data, media_type, max_bytes=kg.settings.max_body_bytes, base_iri=base_iri)
    return kg.validate(Change(added=quads))


def replace_graph(
    kg: WriteTarget,
    target: GraphTarget,
    load: PreparedLoad,
    write: Write,
    *,
    replace: bool = False,
) -> bool:
    """PUT: make the graph hold exactly the body's quads. Return whether the graph is new.

    The body is a load (`kg.update.loads`): recorded with its digest; the same bytes loaded
    before into another graph are refused unless `replace`. An earlier load into this
    graph alone is not a repeat: the PUT replaces the graph whole.

    Raises:
        ShapeViolation: the change breaks a shape; nothing was written (422).
        AlreadyLoaded: the same bytes are stored from an earlier load (409).
    """
    return _commit_load(
        kg,
        target,
        load,
        write,
        replace,
        lambda store: _replacement(store, target, load.quads),
        superseded_graph=target.node,
    )


def merge_graph(
    kg: WriteTarget,
    target: GraphTarget,
    load: PreparedLoad,
    write: Write,
    *,
    replace: bool = False,
) -> bool:
    """POST: add the body's quads to the graph (created if new). Return whether it is new.

    The body is a load, as for `replace_graph`.

    Raises:
        ShapeViolation: the change breaks a shape; nothing was written (422).
        AlreadyLoaded: the same bytes are stored from an earlier load (409).
    """
    return _commit_load(
        kg, target, load, write, replace, lambda store: Change(added=list(load.quads))
    )


def _commit_load(
    kg: WriteTarget,
    target: GraphTarget,
    load: PreparedLoad,
    write: Write,
    replace: bool,
    data_change: Callable[[Store], Change],
    superseded_graph: ox.NamedNode | ox.DefaultGraph | None = None,
) -> bool:
    existed: list[bool] = []

    def change_of(store: Store) -> Change:
        existed.append(graph_exists(store, target))
        change = data_change(store)
        if not existed[-1] and target.named is not None:
            change.created_graphs.append(target.named)  # a PUT or POST of nothing creates it
        return change

    commit_load(
        kg,
        load,
        actor=write.actor,
        replace=replace,
        operation=write.operation,
        request_text=write.request_text if isinstance(write.request_text, bytes) else None,
        data_change=change_of,
        superseded_graph=superseded_graph,
    )
    return not existed[-1]


def delete_graph(kg: WriteTarget, target: GraphTarget, write: Write) -> None:
    """DELETE: drop the named graph, or empty the default graph.

    Raises:
        UnknownResource: no such named graph (404).
        ShapeViolation: removing the triples breaks a shape; nothing was removed (422).
    """

    def prepare(store: Store, existed: bool) -> Change:
        if not existed:
            raise UnknownResource(f"no {target}", None)
        removed = list(store.quads(graph=target.node))
        return Change(
            removed=removed, dropped_graphs=[] if target.named is None else [target.named]
        )

    _commit(kg, target, write, prepare)


def _commit(
    kg: WriteTarget,
    target: GraphTarget,
    write: Write,
    prepare: Callable[[Store, bool], Change],
) -> bool:
    """Commit the change `prepare` computes from the store; return whether the graph is new."""
    existed: list[bool] = []

    def change_of(store: Store) -> Change:
        existed.append(graph_exists(store, target))
        change = prepare(store, existed[0])
        if not existed[0] and target.named is not None:
            change.created_graphs.append(target.named)  # a PUT or POST of nothing creates it
        return change

    kg.commit(change_of, write)
    return not existed[0]


def _replacement(store: Store, target: GraphTarget, quads: list[ox.Quad]) -> Change:
    new = dict.fromkeys(_canonical(quads))  # as the store keeps them: "1.0"^^xsd:decimal is "1"
    old = dict.fromkeys(store.quads(graph=target.node))
    return Change(added=[q for q in new if q not in old], removed=[q for q in old if q not in new])


def _canonical(quads: list[ox.Quad]) -> list[ox.Quad]:
    scratch = ox.Store()
    scratch.extend(quads)
    return list(scratch)
