"""How the embedded store keeps SPARQL's union default graph a set: the merge, kept by every write.

SPARQL's default graph is an RDF graph: when several graphs make it, it is their merge, each
triple once. pyoxigraph 0.5 evaluates its union default graph as a bag instead, one copy of a
triple per graph that holds it, so `COUNT(*)` over one triple stored in two graphs answers 2
and a sum over amounts that two sources state answers twice the figure. So the store keeps
the merge itself:

- pyoxigraph's own default graph holds the merge of every graph: each triple of the dataset
  once. Every write keeps it, in the write's own transaction (`stored_change`): a triple
  added to any graph is added to it, a triple removed from its last graph leaves it. A query
  over the union reads that one graph: one index lookup per pattern, no copies.
- What clients call the default graph (``?default`` of the Graph Store Protocol, ``INSERT
  DATA`` without ``GRAPH``, the strict SPARQL dataset) is kept in the named graph
  `CLIENT_DEFAULT_GRAPH`, mapped back at the store's edge (`to_client`): no client sees
  that name among the graphs, and it exists only while it holds triples.
- A dataset whose default graph is a list of several graphs (``default-graph-uri`` twice,
  two ``FROM``) is read from an in-memory copy of their merge (`merged_copy`): it costs a
  copy of those graphs, once per query, where the union costs nothing more.

A store written before the merge existed gets it once, when it is opened (`ensure_merge`).
bench/union_default_graph.py measures what reading the merge costs against the bag union.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import pyoxigraph as ox

from kg.store.protocol import Change
from kg.store.terms import OxGraphName

CLIENT_DEFAULT_GRAPH = ox.NamedNode("urn:x-aicap:store:client-default-graph")
"""Where the triples of the clients' default graph are kept (pyoxigraph's holds the merge)."""

MERGE = ox.DefaultGraph()
"""pyoxigraph's default graph: the merge of every graph."""

Triple = tuple[object, object, object]


def to_stored(quad: ox.Quad) -> ox.Quad:
    """Map a client's quad to the quad the store keeps: the default graph moves to its holder."""
    if isinstance(quad.graph_name, ox.DefaultGraph):
        return ox.Quad(quad.subject, quad.predicate, quad.object, CLIENT_DEFAULT_GRAPH)
    return quad


def stored_graph(graph: OxGraphName) -> ox.NamedNode | ox.BlankNode:
    """Map a client's graph name to the stored graph that holds it."""
    return CLIENT_DEFAULT_GRAPH if isinstance(graph, ox.DefaultGraph) else graph


def to_client(quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
    """Map stored quads back to what clients see: no merge, the default graph by its name."""
    for quad in quads:
        graph = quad.graph_name
        if isinstance(graph, ox.DefaultGraph):
            continue  # the merge: a copy of what the other graphs hold
        if graph == CLIENT_DEFAULT_GRAPH:
            yield ox.Quad(quad.subject, quad.predicate, quad.object)
        else:
            yield quad


def stored_change(store: ox.Store, change: Change) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """Return the stored quads a change adds and removes, the merge kept with them.

    A triple the change adds joins the merge (adding one already there is a no-op). A triple
    it removes leaves the merge only if no graph holds it after the change: one index lookup
    per distinct triple removed, against the store as it is before the change (the caller
    holds the write lock, so nothing commits in between).

    Args:
        store: the pyoxigraph store the change is about to be written to.
        change: the change in the clients' terms (the default graph as `ox.DefaultGraph`).

    Returns:
        (quads to add, quads to remove), each holding the merge's quads after the graphs'.
    """
    added = [to_stored(q) for q in change.added]
    removed = [to_stored(q) for q in change.removed]
    added_triples = dict.fromkeys(_triple(q) for q in added)
    leaving: dict[Triple, set[object]] = {}
    for quad in removed:
        leaving.setdefault(_triple(quad), set()).add(quad.graph_name)
    gone = set(change.dropped_graphs)
    unmerged = []
    for triple, graphs in leaving.items():
        if triple in added_triples:
            continue
        s, p, o = triple
        holders = {
            q.graph_name
            for q in store.quads_for_pattern(s, p, o, None)  # type: ignore[arg-type]
            if not isinstance(q.graph_name, ox.DefaultGraph)
        }
        if not holders - graphs - gone:
            unmerged.append(ox.Quad(s, p, o))  # type: ignore[arg-type]
    merged = [ox.Quad(s, p, o) for s, p, o in added_triples]  # type: ignore[arg-type]
    return added + merged, removed + unmerged


def with_merge(quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
    """Yield each quad as stored, followed by its triple in the merge (for bulk loads)."""
    for quad in quads:
        stored = to_stored(quad)
        yield stored
        yield ox.Quad(stored.subject, stored.predicate, stored.object)


def ensure_merge(store: ox.Store) -> bool:
    """Build the merge in a store written before it was kept; tell whether it was built.

    Such a store keeps the clients' default graph in pyoxigraph's and no merge. It is told
    apart by the first triple of each named graph: in a store that keeps the merge, every
    one of them is in pyoxigraph's default graph. The check costs two lookups per graph;
    the build is one transaction (the clients' default graph moves to its holder, then
    every graph's triples join the merge).

    Returns:
        True if the merge was built now.
    """
    for graph in store.named_graphs():
        first = next(iter(store.quads_for_pattern(None, None, None, graph)), None)
        if first is None:
            continue
        merged = store.quads_for_pattern(first.subject, first.predicate, first.object, MERGE)
        if next(iter(merged), None) is not None:
            continue
        store.update(
            f"INSERT {{ GRAPH {CLIENT_DEFAULT_GRAPH} {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }} ;\n"
            "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
        )
        return True
    return False


def drop_empty_client_default(store: ox.Store) -> None:
    """Remove the default graph's holder once it holds nothing, so no query has to hide it."""
    if store.contains_named_graph(CLIENT_DEFAULT_GRAPH) and not next(
        iter(store.quads_for_pattern(None, None, None, CLIENT_DEFAULT_GRAPH)), None
    ):
        store.remove_graph(CLIENT_DEFAULT_GRAPH)


def merged_copy(
    store: ox.Store,
    default_graphs: Sequence[ox.NamedNode | ox.BlankNode],
    named_graphs: Sequence[ox.NamedNode | ox.BlankNode],
) -> ox.Store:
    """Return an in-memory store whose default graph is the merge of `default_graphs`.

    Its named graphs are copies of `named_graphs`, so that a query reads it with
    ``default_graph=[DefaultGraph()]`` and ``named_graphs=named_graphs``.
    """
    copy = ox.Store()
    copy.extend(
        ox.Quad(q.subject, q.predicate, q.object)
        for graph in default_graphs
        for q in store.quads_for_pattern(None, None, None, graph)
    )
    for graph in named_graphs:
        copy.extend(store.quads_for_pattern(None, None, None, graph))
        copy.add_graph(graph)
    return copy


def _triple(quad: ox.Quad) -> Triple:
    return quad.subject, quad.predicate, quad.object
