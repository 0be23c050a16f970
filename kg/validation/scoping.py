"""Scoping a change: the focus nodes whose validation can read a changed triple, and the
part of the dataset that validating them reads.

A changed triple seeds the states of the read plan (`kg.validation.read_plan`) that read
it; walking the plan backwards through the dataset finds the focus nodes of the targeted
shapes that reach it; walking forwards from those collects every triple their validation
reads. The dataset is the store after the change, with graph names dropped and the
ontology merged in, read by triple pattern without being copied.
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

from kg.errors import KgError
from kg.store.protocol import Change, Store
from kg.store.terms import OxTerm, to_ox, to_rdflib
from kg.validation.read_plan import ReadPlan

_Triple = tuple[Any, ox.NamedNode, Any]
"""(subject, predicate, object) as pyoxigraph terms; graph names are dropped (union)."""
_T = TypeVar("_T")

_RDF_TYPE = ox.NamedNode(str(RDF.type))
_SUBCLASS_OF = ox.NamedNode(str(RDFS.subClassOf))


@dataclass
class ChangeScope:
    """What a change can affect: candidate focus nodes per targeted shape, and what they read."""

    focus: dict[Node, set[Node]]
    """Shape node -> nodes to validate against it (if the shape targets them)."""
    graph: Graph
    """Every triple of (store + ontology + added - removed) that validating them reads."""

    @property
    def focus_nodes(self) -> set[Node]:
        """All candidate focus nodes, whatever the shape."""
        return set().union(*self.focus.values())


def scope_change(store: Store, change: Change, shapes: Graph, ontology: Graph) -> ChangeScope:
    """Return the focus nodes a change can affect and the triples their validation reads.

    Raises:
        KgError: the shapes use constraints whose reads cannot be bounded (sh:sparql).
    """
    plan = plan_for(shapes)
    if plan.unscoped_reason is not None:
        raise KgError(f"a change cannot be scoped: {plan.unscoped_reason}")
    focus, graph = scope(plan, store, change, ontology)
    by_shape: dict[Node, set[Node]] = {}
    for state, nodes in focus.items():
        for shape in plan.states[state].roots:
            by_shape.setdefault(shape.node, set()).update(to_rdflib(n) for n in nodes)
    return ChangeScope(by_shape, graph)


def plan_for(shapes: Graph) -> ReadPlan:
    """Return the read plan of a shapes graph, compiled once per graph object.

    Args:
        shapes: the shapes graph; it is compiled again if its size has changed.
    """
    return _cached(_plans, shapes, ReadPlan)


def scope(
    plan: ReadPlan, store: Store, change: Change, ontology: Graph
) -> tuple[dict[int, set[OxTerm]], Graph]:
    """Scope a change with a read plan whose reads can be bounded.

    Args:
        plan: the read plan of the shapes (its ``unscoped_reason`` is None).
        store: the store before the change.
        change: the quads added and removed.
        ontology: the ontology graph, merged into the dataset.

    Returns:
        The candidate focus nodes per plan state of a targeted shape, and the graph of
        every triple of (store + ontology + added - removed) that validating them reads.
    """
    view = _ChangedView(store, change, _cached(_ontologies, ontology, _to_ox_store))
    focus = _walk_back(plan, view, _seeds(plan, view))
    read = _walk_forward(plan, view, focus)
    read |= view.match(None, _SUBCLASS_OF, None)
    return focus, _to_graph(read)


def changed_graph(store: Store, change: Change, ontology: Graph) -> Graph:
    """Return the whole dataset after the change, with graph names dropped, as one graph.

    Args:
        store: the store before the change.
        change: the quads added and removed.
        ontology: the ontology graph, merged in.
    """
    view = _ChangedView(store, change, _cached(_ontologies, ontology, _to_ox_store))
    return _to_graph(view.match(None, None, None))


# --- the dataset after the change, read by pattern ---------------------------------------


class _ChangedView:
    """(store + ontology + added - removed) with graph names dropped, read by pattern."""

    def __init__(self, store: Store, change: Change, ontology: ox.Store) -> None:
        self._store = store
        self._ontology = ontology
        # The store canonicalises literals ("1.0"^^xsd:decimal is stored as "1"), so the
        # change is compared in the same form.
        self._added = ox.Store()
        self._added.extend(ox.Quad(q.subject, q.predicate, q.object) for q in change.added)
        added = {_triple(q) for q in self._added}
        removed: dict[_Triple, set[Any]] = {}
        for q in _canonical(change.removed):
            removed.setdefault(_triple(q), set()).add(q.graph_name)
        self.gone = {t for t, graphs in removed.items() if t not in added and self._gone(t, graphs)}
        self.changed = {t for t in added if not self._stored(t)} | self.gone

    def _stored(self, t: _Triple) -> bool:
        return _any(self._ontology.quads_for_pattern(*t)) or _any(self._store.quads(*t))

    def _gone(self, t: _Triple, graphs: set[Any]) -> bool:
        stored = {q.graph_name for q in self._store.quads(*t)}
        return bool(stored) and stored <= graphs and not _any(self._ontology.quads_for_pattern(*t))

    def match(self, s: Any, p: ox.NamedNode | None, o: Any) -> set[_Triple]:
        """Triples after the change."""
        return self.match_either(s, p, o) - self.gone if self.gone else self.match_either(s, p, o)

    def match_either(self, s: Any, p: ox.NamedNode | None, o: Any) -> set[_Triple]:
        """Triples before or after the change (store + ontology + added)."""
        found = {_triple(q) for q in self._store.quads(s, p, o)}
        found.update(_triple(q) for q in self._ontology.quads_for_pattern(s, p, o))
        found.update(_triple(q) for q in self._added.quads_for_pattern(s, p, o))
        return found


def _canonical(quads: list[ox.Quad]) -> list[ox.Quad]:
    store = ox.Store()
    store.extend(quads)
    return list(store)


def _any(items: Iterable[object]) -> bool:
    return any(True for _ in items)


def _triple(quad: ox.Quad) -> _Triple:
    return (quad.subject, quad.predicate, quad.object)


def _to_ox_store(graph: Graph) -> ox.Store:
    store = ox.Store()
    store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in graph)  # type: ignore[arg-type]
    return store


def _to_graph(triples: Iterable[_Triple]) -> Graph:
    graph = Graph()
    for s, p, o in triples:
        if not isinstance(o, ox.Triple):
            graph.add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))
    return graph


# --- walking the plan over the changed dataset -------------------------------------------


def _seeds(plan: ReadPlan, view: _ChangedView) -> set[tuple[int, Any]]:
    """The (state, node) pairs whose reads match a changed triple."""
    seeds: set[tuple[int, Any]] = set()
    for s, p, o in view.changed:
        seeds.update((q, s) for q in plan.out_readers.get(p, []) + plan.all_out_readers)
        seeds.update((q, o) for q in plan.in_readers.get(p, []))
        if p == _RDF_TYPE:
            seeds.update((q, s) for q in plan.type_readers)
        if p == _SUBCLASS_OF:  # the instances of s and its subclasses change class
            classes = _reach_all(
                [s], lambda c: (t[0] for t in view.match_either(None, _SUBCLASS_OF, c))
            )
            for c in classes:
                instances = {t[0] for t in view.match_either(None, _RDF_TYPE, c)}
                seeds.update((q, x) for q in plan.type_readers for x in instances)
    return seeds


def _walk_back(
    plan: ReadPlan, view: _ChangedView, seeds: set[tuple[int, Any]]
) -> dict[int, set[OxTerm]]:
    """Follow the plan backwards from the seeds to the focus nodes of targeted shapes."""

    def before(item: tuple[int, Any]) -> Iterable[tuple[int, Any]]:
        q, x = item
        yield from ((prev, x) for prev in plan.before_same[q])
        for p, prev in plan.before_forward[q]:
            yield from ((prev, t[0]) for t in view.match_either(None, p, x))
        if not isinstance(x, ox.Literal):
            for p, prev in plan.before_inverse[q]:
                yield from ((prev, t[2]) for t in view.match_either(x, p, None))

    focus: dict[int, set[OxTerm]] = {}
    for q, x in _reach_all(seeds, before):
        if plan.states[q].roots:
            focus.setdefault(q, set()).add(x)
    return focus


def _walk_forward(
    plan: ReadPlan, view: _ChangedView, focus: dict[int, set[OxTerm]]
) -> set[_Triple]:
    """Collect every triple that validating the focus nodes reads."""
    read: set[_Triple] = set()

    def after(item: tuple[int, Any]) -> Iterable[tuple[int, Any]]:
        q, x = item
        state = plan.states[q]
        yield from ((nxt, x) for nxt in state.same_node)
        if not isinstance(x, ox.Literal):
            read.update(view.match(x, _RDF_TYPE, None) if state.reads_type else ())
            read.update(view.match(x, None, None) if state.reads_all_out else ())
            for p in state.reads_out:
                read.update(view.match(x, p, None))
            for p, nxt in state.forward:
                hits = view.match(x, p, None)
                read.update(hits)
                yield from ((nxt, t[2]) for t in hits)
        for p in state.reads_in:
            read.update(view.match(None, p, x))
        for p, nxt in state.inverse:
            hits = view.match(None, p, x)
            read.update(hits)
            yield from ((nxt, t[0]) for t in hits)

    _reach_all({(q, x) for q, nodes in focus.items() for x in nodes}, after)
    return read


def _reach_all(start: Iterable[_T], step: Callable[[_T], Iterable[_T]]) -> set[_T]:
    """Return everything reachable from `start` by `step` (breadth first, each item once)."""
    seen = set(start)
    todo = deque(seen)
    while todo:
        for nxt in step(todo.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


# --- caches keyed by graph object ----------------------------------------------------------

_plans: dict[int, tuple[weakref.ref[Graph], int, ReadPlan]] = {}
_ontologies: dict[int, tuple[weakref.ref[Graph], int, ox.Store]] = {}
_cache_lock = threading.Lock()


def _cached(
    cache: dict[int, tuple[weakref.ref[Graph], int, _T]], graph: Graph, build: Callable[[Graph], _T]
) -> _T:
    """Build once per graph object; rebuild if the graph was changed (its size differs)."""
    key = id(graph)
    with _cache_lock:
        hit = cache.get(key)
        if hit is not None and hit[0]() is graph and hit[1] == len(graph):
            return hit[2]
        value = build(graph)
        cache[key] = (weakref.ref(graph, lambda _ref: cache.pop(key, None)), len(graph), value)
        return value
