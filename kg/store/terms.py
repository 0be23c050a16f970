"""Conversion between pyoxigraph terms (the store) and rdflib terms (parsing helpers, pyshacl).

The store speaks pyoxigraph; pyshacl and the reasoner speak rdflib. Only the graphs that a
validation or a reasoning run needs cross this line, never the whole store.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
OxSubject = ox.NamedNode | ox.BlankNode
OxGraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def to_rdflib(term: OxTerm | ox.Triple) -> Node:
    """Return the rdflib term for a pyoxigraph term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == _XSD_STRING else URIRef(datatype))
    raise TypeError(f"RDF-star triples are not supported here: {term}")


def to_ox(term: Node) -> OxTerm:
    """Return the pyoxigraph term for an rdflib term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None and str(term.datatype) != _RDF_LANG_STRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def triples_to_graph(triples: Iterable[ox.Triple | ox.Quad], graph: Graph | None = None) -> Graph:
    """Add pyoxigraph triples or quads (graph names dropped) to an rdflib graph."""
    target = Graph() if graph is None else graph
    for t in triples:
        target.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return target
