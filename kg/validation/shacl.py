"""SHACL validation with pyshacl: of a graph, of the stored dataset, and of a change in context.

A change is validated the way RDF4J validates a SHACL transaction (issue 3, point 6): only
the focus nodes whose validation can read a changed triple are validated, on the part of
the dataset that their shapes read, so the cost follows the change, not the store.

How: the shapes graph is compiled once into a *read plan*, an automaton whose states are
"shape S (or a step of its path) evaluated at a node". Each state says which triple
patterns it reads at its node (``x p ?`` for a path step or sh:equals, ``? p x`` for an
inverse step, ``x rdf:type ?`` for sh:class and class targets, ``x ? ?`` for sh:closed) and
where it goes next (path steps; sh:node, sh:property, logical and qualified shapes at the
same node). A changed triple seeds the states that read it; walking the automaton
backwards through the store finds the focus nodes of the targeted shapes that reach it;
walking forwards from those collects every triple their validation reads. pyshacl then
validates that small graph, each shape on its own targets among those focus nodes.

pyshacl's own ``focus_nodes=`` option is not used: it also filters the value nodes of
nested shapes (a sh:node on a value outside the list passes vacuously) and drops blank
focus nodes; with ``use_shapes=`` it ignores targets.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
from pyshacl import validate as pyshacl_validate
from pyshacl.graph_abstraction import DataGraph
from pyshacl.pytypes import SHACLExecutor
from pyshacl.shapes_graph import ShapesGraph
from pyshacl.validator import Validator
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from kg.errors import KgError, RdfSyntaxError
from kg.store.embedded import Change, Store
from kg.store.terms import OxTerm, to_ox, to_rdflib

log = logging.getLogger(__name__)

_Triple = tuple[Any, ox.NamedNode, Any]
"""(subject, predicate, object) as pyoxigraph terms; graph names are dropped (union)."""
_T = TypeVar("_T")

_RDF_TYPE = ox.NamedNode(str(RDF.type))
_SUBCLASS_OF = ox.NamedNode(str(RDFS.subClassOf))
_PAIR_PREDICATES = (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals)
_SHAPE_PREDICATES = (SH.node, SH.property, SH.qualifiedValueShape, SH["not"])
_SHAPE_LIST_PREDICATES = (SH["and"], SH["or"], SH.xone)
_PASSING_SEVERITIES = frozenset({"sh:Warning", "sh:Info"})


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result, with terms rendered as strings.

    IRIs are plain strings, blank nodes ``_:id``; complex paths use SPARQL path syntax
    (``^<iri>``); a blank property shape is named after its parent and path.
    """

    focus_node: str
    result_path: str | None
    value: str | None
    source_shape: str
    source_constraint_component: str
    severity: str
    message: str

    def to_json(self) -> dict[str, str | None]:
        """Return the result with the JSON keys of CONTRACT.md."""
        return {
            "focusNode": self.focus_node,
            "resultPath": self.result_path,
            "value": self.value,
            "sourceShape": self.source_shape,
            "sourceConstraintComponent": self.source_constraint_component,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass
class ValidationReport:
    """A SHACL validation report: verdict, results, the report graph and a readable text."""

    conforms: bool
    results: list[ValidationResult]
    graph: Graph
    text: str

    @property
    def violations(self) -> list[ValidationResult]:
        """The results of severity sh:Violation (or any severity other than warning/info)."""
        return [r for r in self.results if r.severity not in _PASSING_SEVERITIES]

    @property
    def warnings(self) -> list[ValidationResult]:
        """The results of severity sh:Warning."""
        return [r for r in self.results if r.severity == "sh:Warning"]

    def to_json(self) -> dict[str, Any]:
        """Return ``{"conforms", "results": [...]}`` as CONTRACT.md's /validate sends it."""
        return {"conforms": self.conforms, "results": [r.to_json() for r in self.results]}

    def to_turtle(self) -> str:
        """Return the SHACL report graph as Turtle."""
        return self.graph.serialize(format="turtle")


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


def load_shapes(shapes_dir: Path) -> Graph:
    """Parse and merge every ``*.ttl`` file of a directory into one shapes graph.

    Raises:
        RdfSyntaxError: a file does not parse; the message names the file and line.
        KgError: the directory does not exist.
    """
    if not shapes_dir.is_dir():
        raise KgError(f"no shapes directory at {shapes_dir}", "check AICAP_PROJECT_ROOT")
    graph = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        try:
            graph.parse(path, format="turtle")
        except SyntaxError as exc:
            line = getattr(exc, "lines", None)
            line = None if line is None else line + 1
            raise RdfSyntaxError(f"{path}: {exc}", source=str(path), line=line) from None
    return graph


def validate_graph(data: Graph, shapes: Graph, ontology: Graph) -> ValidationReport:
    """Validate a whole graph (with the ontology merged in) against the shapes with pyshacl."""
    return _validate_merged(data + ontology, shapes)


def validate_store(store: Store, shapes: Graph, ontology: Graph) -> ValidationReport:
    """Validate the whole stored dataset (the union of its graphs) and the ontology.

    This reads the whole store into memory: minutes at 300k triples. Writes use
    `validate_change`.
    """
    merged = Graph()
    for quad in store.quads():
        merged.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    for triple in ontology:
        merged.add(triple)
    return _validate_merged(merged, shapes)


def validate_change(
    store: Store, change: Change, shapes: Graph, ontology: Graph
) -> ValidationReport:
    """Validate a change in the context of the store, without re-validating the store.

    The verdict and results are those of a full validation of (store + added - removed,
    graph names dropped, plus the ontology) restricted to the (shape, focus node) pairs
    whose validation reads a changed triple: every result the change causes is reported,
    nothing a full validation would not report, and a result the store already had on such
    a pair is reported again. Adding a triple that is already stored changes nothing.
    Shapes with SPARQL-based or custom constraints cannot be scoped; then the whole store
    is validated (slow; logged as a warning).
    """
    plan = _cached(_plans, shapes, _ReadPlan)
    if plan.unscoped_reason is not None:
        log.warning("validating the whole store: %s", plan.unscoped_reason)
        view = _ChangedView(store, change, _cached(_ontologies, ontology, _to_ox_store))
        everything = _to_graph(view.match(None, None, None))
        return _validate_merged(everything, shapes)
    focus, graph = _scope(plan, store, change, ontology)
    with plan.lock:
        return _validate_scope(plan, focus, graph)


def scope_change(store: Store, change: Change, shapes: Graph, ontology: Graph) -> ChangeScope:
    """Return the focus nodes a change can affect and the triples their validation reads.

    Raises:
        KgError: the shapes use constraints whose reads cannot be bounded (sh:sparql).
    """
    plan = _cached(_plans, shapes, _ReadPlan)
    if plan.unscoped_reason is not None:
        raise KgError(f"a change cannot be scoped: {plan.unscoped_reason}")
    focus, graph = _scope(plan, store, change, ontology)
    by_shape: dict[Node, set[Node]] = {}
    for state, nodes in focus.items():
        for shape in plan.states[state].roots:
            by_shape.setdefault(shape.node, set()).update(to_rdflib(n) for n in nodes)
    return ChangeScope(by_shape, graph)


# --- reports ----------------------------------------------------------------------------


def _validate_merged(data: Graph, shapes: Graph) -> ValidationReport:
    _conforms, report, _text = pyshacl_validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True, inplace=True
    )
    return _report(report, shapes)


def _report(report: Graph, shapes: Graph) -> ValidationReport:
    results = sorted(
        (_result(report, shapes, node) for node in report.objects(None, SH.result)),
        key=lambda r: (r.focus_node, r.source_shape, r.source_constraint_component, str(r.value)),
    )
    conforms = not any(r.severity not in _PASSING_SEVERITIES for r in results)
    for root in report.subjects(RDF.type, SH.ValidationReport):
        report.set((root, SH.conforms, Literal(conforms)))
    return ValidationReport(conforms, results, report, _text(conforms, results))


def _result(report: Graph, shapes: Graph, node: Node) -> ValidationResult:
    path = report.value(node, SH.resultPath)
    value = report.value(node, SH.value)
    return ValidationResult(
        focus_node=_term_text(report.value(node, SH.focusNode)),
        result_path=None if path is None else _path_text(report, path),
        value=None if value is None else value.n3(),
        source_shape=_shape_text(shapes, report.value(node, SH.sourceShape)),
        source_constraint_component=_compact(report.value(node, SH.sourceConstraintComponent)),
        severity=_compact(report.value(node, SH.resultSeverity)),
        message="; ".join(sorted(str(m) for m in report.objects(node, SH.resultMessage))),
    )


def _text(conforms: bool, results: list[ValidationResult]) -> str:
    lines = [f"Conforms: {conforms} ({len(results)} results)"]
    for r in results:
        lines.append(
            f"{r.severity} on {r.focus_node}: path {r.result_path or '-'}, shape "
            f"{r.source_shape} ({r.source_constraint_component}), value {r.value or '-'}: "
            f"{r.message}"
        )
    return "\n".join(lines)


def _term_text(term: Node | None) -> str:
    if isinstance(term, URIRef):
        return str(term)
    return "" if term is None else term.n3()


def _compact(term: Node | None) -> str:
    text = _term_text(term)
    return "sh:" + text[len(str(SH)) :] if text.startswith(str(SH)) else text


def _path_text(graph: Graph, path: Node) -> str:
    return str(path) if isinstance(path, URIRef) else _sparql_path(graph, path)


def _sparql_path(graph: Graph, path: Node) -> str:
    if isinstance(path, URIRef):
        return f"<{path}>"
    if (path, RDF.first, None) in graph:
        return "(" + " / ".join(_sparql_path(graph, p) for p in Collection(graph, path)) + ")"
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        parts = (_sparql_path(graph, p) for p in Collection(graph, alternatives))
        return "(" + " | ".join(parts) + ")"
    for predicate, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return template.format(_sparql_path(graph, inner))
    return path.n3()


def _shape_text(shapes: Graph, shape: Node | None) -> str:
    if isinstance(shape, BNode):
        parent = shapes.value(None, SH.property, shape)
        path = shapes.value(shape, SH.path)
        if parent is not None and path is not None:
            return f"{_shape_text(shapes, parent)} [sh:path {_sparql_path(shapes, path)}]"
    return _term_text(shape)


# --- the read plan: what validating each shape reads ------------------------------------


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


class _ReadPlan:
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


# --- scoping and running -------------------------------------------------------------------


def _scope(
    plan: _ReadPlan, store: Store, change: Change, ontology: Graph
) -> tuple[dict[int, set[OxTerm]], Graph]:
    view = _ChangedView(store, change, _cached(_ontologies, ontology, _to_ox_store))
    focus = _walk_back(plan, view, _seeds(plan, view))
    read = _walk_forward(plan, view, focus)
    read |= view.match(None, _SUBCLASS_OF, None)
    return focus, _to_graph(read)


def _seeds(plan: _ReadPlan, view: _ChangedView) -> set[tuple[int, Any]]:
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
    plan: _ReadPlan, view: _ChangedView, seeds: set[tuple[int, Any]]
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
    plan: _ReadPlan, view: _ChangedView, focus: dict[int, set[OxTerm]]
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


def _validate_scope(
    plan: _ReadPlan, focus: dict[int, set[OxTerm]], graph: Graph
) -> ValidationReport:
    data = DataGraph.from_rdflib_graph(graph)
    executor = SHACLExecutor(allow_warnings=True)
    results: list[Any] = []
    for q, nodes in focus.items():
        candidates = {to_rdflib(x) for x in nodes}
        for shape in plan.states[q].roots:
            targets = [f for f in shape.focus_nodes(data) if f in candidates]
            if targets:
                results.extend(shape.validate(executor, data, focus=targets)[1])
    report, _text = Validator.create_validation_report(plan.shapes_graph, not results, results)
    return _report(report, plan.shapes)


# --- caches keyed by graph object ----------------------------------------------------------

_plans: dict[int, tuple[weakref.ref[Graph], int, _ReadPlan]] = {}
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
