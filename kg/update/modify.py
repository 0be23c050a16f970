"""SPARQL 1.1 Update, section 3.1 (Graph Update): DELETE WHERE and DELETE/INSERT … WHERE.

The WHERE group runs as a SELECT on pyoxigraph, as the client wrote it (its prologue in
front), over the operation's dataset; only the variables the templates use are projected.
The templates, as rdflib's algebra gives them, are instantiated once per solution: a
triple whose variable is unbound, or whose terms do not make a triple (a literal as
subject, a blank node as graph), is skipped (3.1.3); the INSERT template's blank nodes are
fresh for each solution, minted directly as Skolem IRIs. DELETE is applied before INSERT
(the caller keeps that order). A WHERE clause sees the store's own default graph unless
WITH, USING or the protocol name another: templates write to that default graph too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Variable
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

from kg.errors import BadParameter, QuerySyntaxError
from kg.store.protocol import Change, Store
from kg.store.skolem import skolem_iri
from kg.store.terms import to_ox
from kg.update.graph_management import OxGraph

_DEFAULT = ox.DefaultGraph()
_Row = Mapping[str, Any]


@dataclass(frozen=True)
class WhereClause:
    """A WHERE group as written, with the declarations in force and its dataset.

    Attributes:
        prologue: the PREFIX and BASE declarations before it.
        group: the ``{ … }`` text.
        default_graphs: the graphs whose merge is its default graph; None: the store's.
        named_graphs: the graphs GRAPH may see; None: every named graph.
    """

    prologue: tuple[str, ...]
    group: str
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None


def modify(algebra: CompValue, where: WhereClause, view: Store, base_iri: str) -> Change:
    """DELETE WHERE, or DELETE/INSERT … WHERE, as a change of `view`.

    Args:
        algebra: rdflib's ``DeleteWhere`` or ``Modify`` operation.
        where: the WHERE group as written, and its dataset.
        view: the dataset as the request's earlier operations left it.
        base_iri: the base of the Skolem IRIs for the INSERT template's blank nodes.

    Raises:
        QuerySyntaxError: blank nodes in a DELETE template; a WHERE the engine cannot parse.
        BadParameter: a relative IRI in a template.
    """
    into: OxGraph = _DEFAULT
    if algebra.name == "DeleteWhere":
        delete, insert = _template(algebra), []
    else:
        into = _DEFAULT if algebra.withClause is None else _bind(algebra.withClause, {}, {}, None)
        delete = _template(algebra.delete) if algebra.delete else []
        insert = _template(algebra.insert) if algebra.insert else []
    if any(isinstance(term, BNode) for quad in delete for term in quad):
        raise QuerySyntaxError("blank nodes are not allowed in DELETE templates")
    variables = sorted({str(t) for q in (*delete, *insert) for t in q if isinstance(t, Variable)})
    rows = list(_solutions(view, where, variables))
    return Change(
        removed=list(_instantiate(delete, rows, into, None)),
        added=list(_instantiate(insert, rows, into, base_iri)),
    )


def _solutions(view: Store, where: WhereClause, variables: list[str]) -> Iterator[_Row]:
    """Evaluate the WHERE group, as written, as a SELECT of `variables` on pyoxigraph."""
    projection = " ".join(f"?{v}" for v in variables) or "*"
    query = "\n".join([*where.prologue, f"SELECT {projection} WHERE {where.group}"])
    try:
        result = view.query(
            query,
            union_default_graph=False,
            default_graphs=where.default_graphs,
            named_graphs=where.named_graphs,
        )
    except QuerySyntaxError as exc:
        raise QuerySyntaxError(f"in a WHERE clause: {exc.message}") from None
    assert isinstance(result, ox.QuerySolutions)
    for solution in result:
        yield {v: solution[v] for v in variables}


_TemplateQuad = tuple[Node, Node, Node, Node | None]
"""(subject, predicate, object, graph) as rdflib terms; graph None is the default graph."""


def _template(clause: CompValue) -> list[_TemplateQuad]:
    quads: list[_TemplateQuad] = [(s, p, o, None) for s, p, o in clause.triples or []]
    for graph, triples in (clause.quads or {}).items():
        quads.extend((s, p, o, graph) for s, p, o in triples)
    return quads


def _instantiate(
    template: list[_TemplateQuad], rows: list[_Row], into: OxGraph, base_iri: str | None
) -> Iterator[ox.Quad]:
    """Instantiate a template per solution; skip triples left unbound or ill-formed.

    With `base_iri`, each solution gets fresh Skolem IRIs for the template's blank nodes.
    """
    for row in rows:
        fresh: dict[Node, ox.NamedNode] = {}
        for s, p, o, g in template:
            graph = into if g is None else _bind(g, row, fresh, base_iri)
            subject, predicate, value = (_bind(t, row, fresh, base_iri) for t in (s, p, o))
            quad = _quad(subject, predicate, value, graph)
            if quad is not None:
                yield quad


def _bind(term: Node, row: _Row, fresh: dict[Node, ox.NamedNode], base_iri: str | None) -> Any:
    if isinstance(term, Variable):
        return row.get(str(term))
    if isinstance(term, BNode):
        assert base_iri is not None  # blank nodes were refused in DELETE templates
        if term not in fresh:
            fresh[term] = skolem_iri(base_iri)
        return fresh[term]
    try:
        return to_ox(term)
    except ValueError:
        raise BadParameter(
            f"<{term}> is not an absolute IRI", "declare a BASE or write absolute IRIs"
        ) from None


def _quad(s: Any, p: Any, o: Any, g: Any) -> ox.Quad | None:
    """The quad, if the terms make one (SPARQL 1.1 Update: ill-formed triples are skipped)."""
    if not isinstance(s, ox.NamedNode | ox.BlankNode) or not isinstance(p, ox.NamedNode):
        return None
    if o is None or not isinstance(g, ox.NamedNode | ox.DefaultGraph):
        return None
    return ox.Quad(s, p, o, g)
