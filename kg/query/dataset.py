"""The dataset a client's query reads: settled once, before the query goes to a worker.

SPARQL 1.1 Protocol 2.1.4: graphs given by the protocol (``default-graph-uri``,
``named-graph-uri``) make the whole dataset; otherwise the query's own FROM / FROM NAMED
rule; the union default graph (`Settings.union_default_graph`) is only for queries without
them. A query's FROM and FROM NAMED are read here into the same lists as the protocol's,
because the store reads a default graph of several graphs as their merge
(`kg.store.datasets`), which pyoxigraph's own reading of FROM does not (it counts a triple
once per graph). A query that names no dataset gets the default one without the system
graphs (`SYSTEM_GRAPHS`): they are seen only by a query that names them.
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.config import Settings
from kg.errors import QuerySyntaxError
from kg.namespaces import AUDIT_GRAPH, LOADS_GRAPH
from kg.query.executor import QueryRequest
from kg.query.guards import check_query_safety
from kg.rdf.sparql_tokens import tokens
from kg.rdf.syntax_errors import located_message

_QUERY_FORMS = frozenset({"select", "construct", "describe", "ask"})
_FROM_ERROR = "SPARQL syntax error in a FROM clause"

SYSTEM_GRAPHS = (str(AUDIT_GRAPH), str(LOADS_GRAPH))
"""The bookkeeping graphs: the audit trail and the records of loads. With the strict dataset
they are left out of the named graphs GRAPH sees, so a query sees one only if it names it
(FROM, FROM NAMED, default-graph-uri, named-graph-uri); in union mode they are part of
the union, as the contract promises. Exports and /healthz count them."""


def client_request(
    sparql: str,
    settings: Settings,
    *,
    union_default_graph: bool | None = None,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
    base_iri: str | None = None,
) -> QueryRequest:
    """Check a client's query and settle its dataset; this is the one place that decides.

    Args:
        sparql: the query text.
        settings: for the allowed SERVICE URLs and the union default graph.
        union_default_graph: None takes `Settings.union_default_graph`.
        default_graphs: IRIs whose merge is the default graph (``default-graph-uri``).
        named_graphs: IRIs that GRAPH may see (``named-graph-uri``).
        base_iri: what relative IRIs resolve against (the request's URL).

    Raises:
        TooComplex: nested or sized beyond what the parser survives.
        Forbidden: SERVICE on a URL that is not allowed.
        QuerySyntaxError: a FROM clause the engine cannot read.
    """
    check_query_safety(sparql, allowed_urls=settings.allowed_service_urls, base_iri=base_iri)
    if default_graphs is None and named_graphs is None:
        default_graphs, named_graphs = dataset_clause(sparql, base_iri) or (None, None)
    if default_graphs is not None or named_graphs is not None:
        return QueryRequest(
            sparql,
            default_graphs=default_graphs or [],
            named_graphs=named_graphs or [],
            base_iri=base_iri,
        )
    if union_default_graph is None:
        union_default_graph = settings.union_default_graph
    return QueryRequest(
        sparql,
        union_default_graph=union_default_graph,
        hidden_graphs=SYSTEM_GRAPHS,
        base_iri=base_iri,
    )


def dataset_clause(sparql: str, base_iri: str | None = None) -> tuple[list[str], list[str]] | None:
    """Read a query's FROM and FROM NAMED clauses as the protocol's two lists of IRIs.

    The tokenizer finds them (a ``FROM`` in a string, an IRI or a comment does not count;
    no subquery may have one); the engine resolves them, prefixed names and relative IRIs
    alike, by evaluating them as a VALUES block after the query's own prologue.

    Args:
        sparql: the query text (checked by `check_query_safety`).
        base_iri: what relative IRIs resolve against, if anything.

    Returns:
        (default graph IRIs, named graph IRIs), or None if the query has no FROM.

    Raises:
        QuerySyntaxError: a FROM the engine cannot read (an undeclared prefix, ...).
    """
    found = list(tokens(sparql))
    rows, targets, prologue_end = [], [], None
    for index, (kind, value, offset) in enumerate(found):
        word = value.lower() if kind == "word" else ""
        if word in _QUERY_FORMS and prologue_end is None:
            prologue_end = offset
        if word != "from" or index + 1 >= len(found):
            continue
        named = found[index + 1][0] == "word" and found[index + 1][1].lower() == "named"
        target = found[index + 2 if named else index + 1 :][:1]
        if target and target[0][0] in ("iri", "pname"):
            targets.append(target[0])
            rows.append(f"(UNDEF {target[0][1]})" if named else f"({target[0][1]} UNDEF)")
    if not rows:
        return None
    values = " ".join(rows)
    prologue = sparql[:prologue_end]
    probe = f"{prologue} SELECT * {{ VALUES (?default ?named) {{ {values} }} }}"
    try:
        solutions = ox.Store().query(probe, base_iri=base_iri)
    except SyntaxError as exc:
        raise _from_error(sparql, prologue, targets, base_iri, str(exc)) from None
    assert isinstance(solutions, ox.QuerySolutions)
    defaults: list[str] = []
    named_graphs: list[str] = []
    for row in solutions:
        if (node := row["default"]) is not None:
            defaults.append(node.value)
        if (node := row["named"]) is not None:
            named_graphs.append(node.value)
    return defaults, named_graphs


def _from_error(
    sparql: str,
    prologue: str,
    targets: list[tuple[str, str, int]],
    base_iri: str | None,
    message: str,
) -> QuerySyntaxError:
    """Point at the FROM target the engine refused, in the client's query.

    The probe's own error points into the probe, not the query; each target is probed
    alone to find the one at fault. A prefixed name the tokenizer read can only fail for
    want of its PREFIX, an IRI for being relative without a base or ill-formed.
    """
    for kind, value, offset in targets:
        try:
            ox.Store().query(f"{prologue} ASK {{ VALUES ?g {{ {value} }} }}", base_iri=base_iri)
        except SyntaxError:
            line = sparql.count("\n", 0, offset) + 1
            column = offset - (sparql.rfind("\n", 0, offset) + 1) + 1
            prefix = value.partition(":")[0]
            reason, hint = (
                (f"the prefix {prefix}: is not declared", f"declare it: PREFIX {prefix}: <…>")
                if kind == "pname"
                else (f"the IRI {value} is not valid", "write an absolute IRI, or declare BASE")
            )
            located = located_message(
                _FROM_ERROR, sparql, line, column, reason, end_column=column + len(value)
            )
            return QuerySyntaxError(located, hint)
    return QuerySyntaxError(f"{_FROM_ERROR}: {message}")
