"""The read plan: a shapes graph compiled into what validating each of its shapes reads.

The plan is an automaton whose states are "shape S (or a step of its path) evaluated at a
node". Each state says which triple patterns it reads at its node (``x p ?`` for a path
step or sh:equals, ``? p x`` for an inverse step, ``x rdf:type ?`` for sh:class and class
targets, ``x ? ?`` for sh:closed) and where it goes next (path steps; sh:node, sh:property,
logical and qualified shapes at the same node). The states are also indexed by what they
read and by their predecessors, so that a changed triple can be walked back to the focus
nodes that read it (`kg.validation.scoping`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from pyshacl.shapes_graph import ShapesGraph
from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from kg.errors import KgError

_PAIR_PREDICATES = (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals)
_SHAPE_PREDICATES = (SH.node, SH.property, SH.qualifiedValueShape, SH["not"])
_SHAPE_LIST_PREDICATES = (SH["and"], SH["or"], SH.xone)


@dataclass
class _State:
    """A shape, or a step along a shape's path, evaluated at one data node."""

    forward: list[tuple[ox.NamedNode, int]] = field(default_factory=list)
    inverse: list[tuple[ox.NamedNode, int]] = field(default_factory=list)
    same_node: list[int] = field(default_factory=list)
    reads_out: set[ox.NamedNode] = field(default_factory=set)
    reads_in: set[ox.NamedNode] = field(default_factory=set)
    reads_type: bool = False
    reads_all_out: bool = False
    roots: list[Any] = field(default_factory=list)
    """The targeted pyshacl shapes whose focus nodes start here."""


class ReadPlan:
    """The shapes graph compiled once: pyshacl's shapes and the read automaton."""

    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        self.shapes_graph = ShapesGraph(shapes)
        self.lock = threading.Lock()
        self.states: list[_State] = []
        self._entries: dict[Node, int] = {}
        self.unscoped_reason = _unscoped_reason(shapes)
        for shape in list(self.shapes_graph.shapes):
            self._add_root(shape)
        self._index()

    def _add_root(self, shape: Any) -> None:
        nodes, classes, implicit, objects_of, subjects_of = (list(t) for t in shape.target())
        if not (nodes or classes or implicit or objects_of or subjects_of):
            return
        state = self.states[self._shape(shape.node)]
        state.reads_type |= bool(classes or implicit)
        state.reads_out.update(_iri(p) for p in subjects_of)
        state.reads_in.update(_iri(p) for p in objects_of)
        state.roots.append(shape)

    def _new(self) -> int:
        self.states.append(_State())
        return len(self.states) - 1

    def _shape(self, node: Node) -> int:
        if node in self._entries:
            return self._entries[node]
        focus = self._entries[node] = self._new()
        g = self.shapes
        path = g.value(node, SH.path)
        values = focus if path is None else self._new()
        if path is not None:
            self._path(path, focus, values, inverse=False)
        self.states[focus].reads_out.update(_iri(o) for p in _PAIR_PREDICATES for o in g[node:p])
        value_state = self.states[values]
        value_state.reads_all_out |= (node, SH.closed, None) in g
        value_state.reads_type |= (node, SH["class"], None) in g
        for sub in _sub_shapes(g, node):
            value_state.same_node.append(self._shape(sub))
        return focus

    def _path(self, path: Node, start: int, end: int, inverse: bool) -> None:
        g = self.shapes
        if isinstance(path, URIRef):
            steps = self.states[start].inverse if inverse else self.states[start].forward
            steps.append((_iri(path), end))
        elif (path, RDF.first, None) in g or path == RDF.nil:
            items = list(Collection(g, path))
            self._sequence(items[::-1] if inverse else items, start, end, inverse)
        elif (alternatives := g.value(path, SH.alternativePath)) is not None:
            for item in Collection(g, alternatives):
                self._path(item, start, end, inverse)
        elif (inner := g.value(path, SH.inversePath)) is not None:
            self._path(inner, start, end, not inverse)
        else:
            self._repeat(path, start, end, inverse)

    def _sequence(self, items: list[Node], start: int, end: int, inverse: bool) -> None:
        if not items:
            self.states[start].same_node.append(end)
        for i, item in enumerate(items):
            step_end = end if i == len(items) - 1 else self._new()
            self._path(item, start, step_end, inverse)
            start = step_end

    def _repeat(self, path: Node, start: int, end: int, inverse: bool) -> None:
        g = self.shapes
        for predicate, at_least_one, loops in (
            (SH.zeroOrMorePath, False, True),
            (SH.oneOrMorePath, True, True),
            (SH.zeroOrOnePath, False, False),
        ):
            inner = g.value(path, predicate)
            if inner is None:
                continue
            if not loops:
                self.states[start].same_node.append(end)
                self._path(inner, start, end, inverse)
                return
            middle = self._new()
            if at_least_one:
                self._path(inner, start, middle, inverse)
            else:
                self.states[start].same_node.append(middle)
            self._path(inner, middle, middle, inverse)
            self.states[middle].same_node.append(end)
            return
        raise KgError(f"unsupported SHACL path {path.n3()} in the shapes graph")

    def _index(self) -> None:
        """Index states by what they read and by their predecessors, for the backward walk."""
        n = len(self.states)
        self.before_same: list[list[int]] = [[] for _ in range(n)]
        self.before_forward: list[list[tuple[ox.NamedNode, int]]] = [[] for _ in range(n)]
        self.before_inverse: list[list[tuple[ox.NamedNode, int]]] = [[] for _ in range(n)]
        self.out_readers: dict[ox.NamedNode, list[int]] = {}
        self.in_readers: dict[ox.NamedNode, list[int]] = {}
        for q, state in enumerate(self.states):
            for nxt in state.same_node:
                self.before_same[nxt].append(q)
            for p, nxt in state.forward:
                self.before_forward[nxt].append((p, q))
            for p, nxt in state.inverse:
                self.before_inverse[nxt].append((p, q))
            for p in state.reads_out | {p for p, _ in state.forward}:
                self.out_readers.setdefault(p, []).append(q)
            for p in state.reads_in | {p for p, _ in state.inverse}:
                self.in_readers.setdefault(p, []).append(q)
        self.type_readers = [q for q, s in enumerate(self.states) if s.reads_type]
        self.all_out_readers = [q for q, s in enumerate(self.states) if s.reads_all_out]


def _sub_shapes(shapes: Graph, node: Node) -> Iterable[Node]:
    """Shapes evaluated at the value nodes of `node`, including qualified sibling shapes."""
    for predicate in _SHAPE_PREDICATES:
        yield from shapes.objects(node, predicate)
    for predicate in _SHAPE_LIST_PREDICATES:
        for members in shapes.objects(node, predicate):
            yield from Collection(shapes, members)
    if (node, SH.qualifiedValueShapesDisjoint, None) in shapes:
        for parent in shapes.subjects(SH.property, node):
            for sibling in shapes.objects(parent, SH.property):
                yield from shapes.objects(sibling, SH.qualifiedValueShape)


def _unscoped_reason(shapes: Graph) -> str | None:
    if (None, SH.sparql, None) in shapes:
        return "the shapes use SPARQL-based constraints (sh:sparql)"
    if (None, RDF.type, SH.ConstraintComponent) in shapes:
        return "the shapes declare custom constraint components"
    return None


def _iri(term: Node) -> ox.NamedNode:
    return ox.NamedNode(str(term))
