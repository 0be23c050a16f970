"""The default dataset of a query in strict mode, with the system graphs left out.

With `AICAP_UNION_DEFAULT_GRAPH=false` (the strict SPARQL 1.1 dataset), a query that names no
dataset (no ``FROM`` / ``FROM NAMED``, no ``default-graph-uri`` / ``named-graph-uri``) does not
see the system graphs, such as the audit trail (`kg.update.audit`), among the named graphs GRAPH
iterates; a query that names one of them sees it. In union mode the default graph is, as
the contract says, the union of ALL graphs, audit included, and nothing is spelled out:
pyoxigraph has no "all graphs but these" option, and listing the graphs makes it look up
every pattern once per graph (bench/dataset_cost.py: 100x slower at 1,000 graphs), a price
every stored query would pay. Strict mode pays it only for patterns inside GRAPH.
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
        `options` itself in union mode or if none of `hidden` is in the store; otherwise a
        copy with the named graphs listed.
    """
    if options.get("use_default_graph_as_union"):
        return options  # the union of all graphs, as promised; see the module docstring
    present = {graph for graph in hidden if store.contains_named_graph(graph)}
    if not present:
        return options
    named = [graph for graph in store.named_graphs() if graph not in present]
    spelled = dict(options)
    spelled["named_graphs"] = named
    return spelled
