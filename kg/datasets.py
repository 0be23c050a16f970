"""The default dataset of a query, with the system graphs left out.

A query that names no dataset (no ``FROM`` / ``FROM NAMED``, no ``default-graph-uri`` /
``named-graph-uri``) is evaluated over the store's graphs minus the system graphs, such as
the audit trail (`kg.audit`): they are neither in the union default graph nor among the
named graphs GRAPH sees. A query that names one of them sees it.

pyoxigraph has no "all graphs but these" option, so when a hidden graph exists the dataset
is spelled out: the named graphs listed from the store the query reads (one scan of its
graph names: 0.2 ms at 1,000 graphs) and, for the union, the default graph plus them. That
costs nothing while no hidden graph exists, but Oxigraph then looks up every pattern in
each listed graph (its union is one lookup), so evaluation slows with the number of graphs
(bench/dataset_cost.py).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pyoxigraph as ox


def hide_graphs(
    store: ox.Store, options: dict[str, Any], hidden: Collection[ox.NamedNode]
) -> dict[str, Any]:
    """Return `Store.query` keyword arguments whose dataset leaves out the `hidden` graphs.

    Args:
        store: the store the query will read (its graph names are listed here, so the
            dataset matches the state the query sees).
        options: keyword arguments that give no ``default_graph`` or ``named_graphs``:
            the default dataset, with ``use_default_graph_as_union`` true or false.
        hidden: graph names to leave out.

    Returns:
        `options` itself if none of `hidden` is in the store; otherwise a copy with the
        named graphs listed, and for the union the default graph listed too.
    """
    present = {graph for graph in hidden if store.contains_named_graph(graph)}
    if not present:
        return options
    named = [graph for graph in store.named_graphs() if graph not in present]
    spelled = {k: v for k, v in options.items() if k != "use_default_graph_as_union"}
    if options.get("use_default_graph_as_union"):
        spelled["default_graph"] = [ox.DefaultGraph(), *named]
    spelled["named_graphs"] = named
    return spelled
