"""SPARQL 1.1 Update, section 3.2 (Graph Management): CLEAR, DROP, CREATE, ADD, MOVE, COPY.

Each operation is computed as a `Change` of the dataset as the request's earlier
operations left it (`kg.update.workspace`); nothing is written here. A graph the operation needs
that does not exist is an error (`UnknownResource`), unless the operation is SILENT, in
which case it does nothing.
"""

from __future__ import annotations

from typing import Literal

import pyoxigraph as ox

from kg.errors import BadParameter, UnknownResource
from kg.store.protocol import Change, Store

OxGraph = ox.NamedNode | ox.DefaultGraph
"""A graph an operation names: a named graph or the default graph."""
GraphRef = OxGraph | Literal["NAMED", "ALL"]
"""What CLEAR and DROP take: one graph, every named graph, or everything."""
TransferKind = Literal["ADD", "MOVE", "COPY"]


def graph_ref(value: object) -> GraphRef:
    """Return the graph reference of rdflib's algebra (``DEFAULT``, ``NAMED``, ``ALL``, an IRI).

    Raises:
        BadParameter: an IRI that is not absolute.
    """
    if value == "DEFAULT":
        return ox.DefaultGraph()
    if value == "NAMED":
        return "NAMED"
    if value == "ALL":
        return "ALL"
    try:
        return ox.NamedNode(str(value))
    except ValueError:
        raise BadParameter(f"<{value}> is not an absolute IRI", "write absolute IRIs") from None


def clear(view: Store, ref: GraphRef, *, silent: bool) -> Change:
    """CLEAR: remove every quad of the graphs; named graphs stay, empty.

    Raises:
        UnknownResource: CLEAR GRAPH of a graph that does not exist (without SILENT).
    """
    graphs = _graphs(view, ref, silent, "CLEAR")
    return Change(removed=[q for g in graphs for q in view.quads(graph=g)])


def drop(view: Store, ref: GraphRef, *, silent: bool) -> Change:
    """DROP: remove the graphs, their quads with them (DROP DEFAULT clears it).

    Raises:
        UnknownResource: DROP GRAPH of a graph that does not exist (without SILENT).
    """
    graphs = _graphs(view, ref, silent, "DROP")
    return Change(
        removed=[q for g in graphs for q in view.quads(graph=g)],
        dropped_graphs=[g for g in graphs if isinstance(g, ox.NamedNode)],
    )


def create(view: Store, graph: ox.NamedNode, *, silent: bool) -> Change:
    """CREATE: a new, empty named graph.

    Raises:
        BadParameter: the graph exists already (without SILENT).
    """
    if not view.contains_graph(graph):
        return Change(created_graphs=[graph])
    if silent:
        return Change()
    raise BadParameter(
        f"CREATE GRAPH {graph}: the graph exists already", "CREATE SILENT GRAPH leaves it as it is"
    )


def transfer(
    view: Store, kind: TransferKind, source: GraphRef, target: GraphRef, *, silent: bool
) -> Change:
    """ADD, COPY or MOVE the triples of one graph to another (created if it does not exist).

    ADD keeps what the target holds; COPY replaces it; MOVE replaces it and drops the source.
    A source that is the target changes nothing.

    Raises:
        UnknownResource: the source graph does not exist (without SILENT).
    """
    assert not isinstance(source, str) and not isinstance(target, str)  # the grammar's
    if isinstance(source, ox.NamedNode) and not view.contains_graph(source):
        if silent:
            return Change()
        raise UnknownResource(f"{kind} {source}: no such graph")
    if source == target:
        return Change()
    change = Change(
        added=[ox.Quad(q.subject, q.predicate, q.object, target) for q in view.quads(graph=source)]
    )
    if kind in ("COPY", "MOVE"):
        change.removed.extend(view.quads(graph=target))
    if kind == "MOVE":
        change.removed.extend(view.quads(graph=source))
        change.dropped_graphs.extend(_named(source))
    change.created_graphs.extend(_named(target))
    return change


def _graphs(
    view: Store, ref: GraphRef, silent: bool, verb: str
) -> list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]:
    """The existing graphs a reference names (SILENT: none, if the graph does not exist)."""
    if ref == "NAMED":
        return list(view.graphs())
    if ref == "ALL":
        return [ox.DefaultGraph(), *view.graphs()]
    if isinstance(ref, ox.NamedNode) and not view.contains_graph(ref):
        if silent:
            return []
        raise UnknownResource(f"{verb} GRAPH {ref}: no such graph", None)
    assert not isinstance(ref, str)
    return [ref]


def _named(graph: OxGraph) -> list[ox.NamedNode]:
    return [graph] if isinstance(graph, ox.NamedNode) else []
