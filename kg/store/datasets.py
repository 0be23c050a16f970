"""The dataset a query reads, as `Store.query` options over the stored graphs.

How the default graph is stored (`kg.store.default_graph`): pyoxigraph's own default graph
holds the merge of all graphs, and the clients' default graph is a named graph kept apart.
So every query's dataset is translated here, in one place, for the service's in-process
reads and for the query workers alike:

- the union default graph reads the merge, and `GRAPH` iterates every graph;
- the strict dataset (``AICAP_UNION_DEFAULT_GRAPH=false``) reads the clients' default graph
  and leaves the system graphs, such as the audit trail (`kg.update.audit`), out of what
  `GRAPH` iterates; a query that names one of them sees it. In union mode the default graph
  is, as the contract says, the union of ALL graphs, audit included, and nothing is spelled
  out: pyoxigraph has no "all graphs but these" option, and listing the graphs makes it look
  up every pattern once per graph (bench/dataset_cost.py: 100x slower at 1,000 graphs), a
  price every stored query would pay. Strict mode pays it only for patterns inside GRAPH;
- a default graph listed as several graphs is their merge, read from a copy.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pyoxigraph as ox

from kg.store.default_graph import CLIENT_DEFAULT_GRAPH, merged_copy, stored_graph


def query_dataset(
    store: ox.Store, options: dict[str, Any], hidden: Collection[ox.NamedNode] = ()
) -> tuple[ox.Store, dict[str, Any]]:
    """Return the store to query and the `Store.query` keyword arguments of a dataset.

    Args:
        store: the pyoxigraph store (the live one, or a worker's checkpoint).
        options: keyword arguments in the clients' terms: ``use_default_graph_as_union``
            (the union, or the clients' default graph), or ``default_graph`` (a list whose
            merge is the default graph), and ``named_graphs`` if GRAPH may see only those.
            A query's own FROM / FROM NAMED must have been turned into these
            (`kg.query.dataset.client_request`): they override it.
        hidden: graphs left out of the strict default dataset's named graphs.

    Returns:
        The store to run the query on (an in-memory merge for a default graph of several
        graphs) and the options to run it with.
    """
    options = dict(options)
    union = options.pop("use_default_graph_as_union", False)
    listed = options.get("default_graph")
    if listed is None:
        if not union:
            options["default_graph"] = [CLIENT_DEFAULT_GRAPH]
        out = {CLIENT_DEFAULT_GRAPH} | (set() if union else set(hidden))
        return store, _without(store, options, out)
    graphs = list(dict.fromkeys(stored_graph(g) for g in listed))
    options["default_graph"] = graphs
    options = _without(store, options, {CLIENT_DEFAULT_GRAPH})
    if len(graphs) <= 1:
        return store, options
    if set(graphs) >= set(store.named_graphs()):
        # the merge of every graph is kept already; named, so that it overrides any FROM
        options["default_graph"] = [ox.DefaultGraph()]
        return store, options
    named = options.get("named_graphs")
    if named is None:
        named = [g for g in store.named_graphs() if g != CLIENT_DEFAULT_GRAPH]
    options["default_graph"] = [ox.DefaultGraph()]
    options["named_graphs"] = named
    return merged_copy(store, graphs, named), options


def _without(
    store: ox.Store, options: dict[str, Any], hidden: Collection[ox.NamedNode]
) -> dict[str, Any]:
    """Leave `hidden` graphs out of what GRAPH sees, unless the options list the named graphs.

    Listing costs (see the module docstring), so it is done only when one of them exists.
    """
    if "named_graphs" in options:
        return options
    present = {graph for graph in hidden if store.contains_named_graph(graph)}
    if not present:
        return options
    spelled = dict(options)
    spelled["named_graphs"] = [g for g in store.named_graphs() if g not in present]
    return spelled
