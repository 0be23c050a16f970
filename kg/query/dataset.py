"""The dataset a client's query reads: settled once, before the query goes to a worker.

SPARQL 1.1 Protocol 2.1.4: graphs given by the protocol (``default-graph-uri``,
``named-graph-uri``) make the whole dataset; otherwise the query's own FROM / FROM NAMED
rule; the union default graph (`Settings.union_default_graph`) is only for queries without
them, since pyoxigraph's union option would override them. A query that names no dataset
gets the default one without the system graphs (`SYSTEM_GRAPHS`): they are seen only by a
query that names them.
"""

from __future__ import annotations

from kg.config import Settings
from kg.namespaces import AUDIT_GRAPH
from kg.query.executor import QueryRequest
from kg.query.guards import check_query_safety, has_dataset_clause

SYSTEM_GRAPHS = (str(AUDIT_GRAPH),)
"""Graphs left out of a query's default dataset (not in the union default graph, not among
the named graphs GRAPH sees); a query sees one only if it names it (FROM, FROM NAMED,
default-graph-uri, named-graph-uri). Exports and /healthz still count them."""


def client_request(
    sparql: str,
    settings: Settings,
    *,
    union_default_graph: bool | None = None,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
) -> QueryRequest:
    """Check a client's query and settle its dataset; this is the one place that decides.

    Args:
        sparql: the query text.
        settings: for the allowed SERVICE URLs and the union default graph.
        union_default_graph: None takes `Settings.union_default_graph`.
        default_graphs: IRIs whose merge is the default graph (``default-graph-uri``).
        named_graphs: IRIs that GRAPH may see (``named-graph-uri``).

    Raises:
        TooComplex: nested or sized beyond what the parser survives.
        Forbidden: SERVICE on a URL that is not allowed.
    """
    check_query_safety(sparql, allowed_urls=settings.allowed_service_urls)
    if default_graphs is not None or named_graphs is not None:
        return QueryRequest(
            sparql, default_graphs=default_graphs or [], named_graphs=named_graphs or []
        )
    if has_dataset_clause(sparql):
        return QueryRequest(sparql, union_default_graph=False)
    if union_default_graph is None:
        union_default_graph = settings.union_default_graph
    return QueryRequest(
        sparql, union_default_graph=union_default_graph, hidden_graphs=SYSTEM_GRAPHS
    )
