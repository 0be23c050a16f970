"""Skolem IRIs: how blank nodes are stored so that a later write can name them.

Blank nodes are parsed as such; then every write path replaces them with Skolem IRIs
``<base>.well-known/genid/<id>`` (RDF 1.1 Concepts, 3.5) by `skolemize`: a stored blank
node cannot be named by DELETE DATA, so one written once could never be removed or
replaced. `deskolemize` turns them back for tools that need blank nodes (the OWL reasoner
reads class expressions and lists as blank nodes).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

import pyoxigraph as ox

SKOLEM_PATH = ".well-known/genid/"
"""Where Skolem IRIs live under the base IRI (RDF 1.1 Concepts, 3.5)."""


def skolem_iri(base_iri: str) -> ox.NamedNode:
    """Return a fresh Skolem IRI, ``<base>.well-known/genid/<uuid>``."""
    return ox.NamedNode(f"{base_iri}{SKOLEM_PATH}{uuid.uuid4().hex}")


def skolemize(
    quads: Iterable[ox.Quad],
    base_iri: str,
    mapping: dict[ox.BlankNode, ox.NamedNode] | None = None,
) -> list[ox.Quad]:
    """Replace every blank node by a fresh Skolem IRI; the same node by the same IRI.

    Args:
        quads: quads whose blank nodes are local to them (as parsed, or just minted).
        base_iri: the base of the project's IRIs (`Settings.base_iri`).
        mapping: blank node to IRI, shared between calls that must agree; filled here.

    Returns:
        The quads, without blank nodes (in subject, object, graph name or quoted triple).
    """
    names = {} if mapping is None else mapping

    def iri(term: ox.BlankNode) -> ox.NamedNode:
        if term not in names:
            names[term] = skolem_iri(base_iri)
        return names[term]

    return [_map_blank_nodes(q, iri) for q in quads]


def deskolemize(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """Turn Skolem IRIs (any base) back into blank nodes, the same IRI into the same node.

    The node's label starts with a letter: RDF/XML writes labels as rdf:nodeID, which must
    be an XML name, and the ids minted here are hexadecimal.
    """

    def node(term: ox.NamedNode) -> ox.BlankNode | ox.NamedNode:
        head, found, tail = term.value.rpartition("/" + SKOLEM_PATH)
        return ox.BlankNode("b" + tail) if found and head and tail.isalnum() else term

    return [_map_terms(t, node) for t in triples]


def _map_blank_nodes(quad: ox.Quad, iri: Callable[[ox.BlankNode], ox.NamedNode]) -> ox.Quad:
    def term(t: Any) -> Any:
        if isinstance(t, ox.BlankNode):
            return iri(t)
        if isinstance(t, ox.Triple):
            return ox.Triple(term(t.subject), t.predicate, term(t.object))
        return t

    graph = quad.graph_name
    return ox.Quad(
        term(quad.subject),
        quad.predicate,
        term(quad.object),
        iri(graph) if isinstance(graph, ox.BlankNode) else graph,
    )


def _map_terms(triple: ox.Triple, node: Callable[[ox.NamedNode], Any]) -> ox.Triple:
    def term(t: Any) -> Any:
        if isinstance(t, ox.NamedNode):
            return node(t)
        if isinstance(t, ox.Triple):
            return _map_terms(t, node)
        return t

    return ox.Triple(term(triple.subject), triple.predicate, term(triple.object))
