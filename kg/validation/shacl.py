"""SHACL validation with pyshacl: of a graph, of the stored dataset, and of a change in context.

A change is validated the way RDF4J validates a SHACL transaction: only the focus nodes
whose validation can read a changed triple are validated, on the part of the dataset that
their shapes read, so the cost follows the change, not the store. Which nodes and which
part is `kg.validation.scoping`'s job; here pyshacl validates that small graph, each shape
on its own targets among those focus nodes.

pyshacl's own ``focus_nodes=`` option is not used: it also filters the value nodes of
nested shapes (a sh:node on a value outside the list passes vacuously) and drops blank
focus nodes; with ``use_shapes=`` it ignores targets.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyshacl import validate as pyshacl_validate
from pyshacl.graph_abstraction import DataGraph
from pyshacl.pytypes import SHACLExecutor
from pyshacl.validator import Validator
from rdflib import Graph

from kg.errors import KgError, RdfSyntaxError
from kg.namespaces import ONTOLOGY_GRAPH
from kg.store.protocol import Change, Store
from kg.store.terms import OxTerm, to_rdflib, triples_to_graph
from kg.validation.read_plan import ReadPlan
from kg.validation.report import ValidationReport, build_report, with_results
from kg.validation.scoping import changed_graph, plan_for, scope
from kg.validation.vocabulary import undeclared_terms

log = logging.getLogger(__name__)

ONTOLOGY_GRAPH_NODE = ox.NamedNode(str(ONTOLOGY_GRAPH))


def stored_ontology(store: Store) -> Graph:
    """Return the ontology as stored, as the rdflib graph that validation reads."""
    return triples_to_graph(store.quads(graph=ONTOLOGY_GRAPH_NODE))


def load_shapes(shapes_dir: Path) -> Graph:
    """Parse and merge every ``*.ttl`` file of a directory into one shapes graph.

    Raises:
        RdfSyntaxError: a file does not parse; the message names the file and line.
        KgError: the directory does not exist.
    """
    if not shapes_dir.is_dir():
        raise KgError(f"no shapes directory at {shapes_dir}", "check AICAP_BUNDLE_DIR")
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
    vocabulary = undeclared_terms(data, ontology, data)
    return with_results(_validate_merged(data + ontology, shapes), vocabulary)


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
    vocabulary = undeclared_terms(merged, ontology, merged)
    return with_results(_validate_merged(merged, shapes), vocabulary)


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
    added = [
        (to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)) for q in change.added
    ]
    vocabulary = undeclared_terms(added, ontology, added)
    plan = plan_for(shapes)
    if plan.unscoped_reason is not None:
        log.warning("validating the whole store: %s", plan.unscoped_reason)
        report = _validate_merged(changed_graph(store, change, ontology), shapes)
        return with_results(report, vocabulary)
    focus, graph = scope(plan, store, change, ontology)
    with plan.lock:
        return with_results(_validate_scope(plan, focus, graph), vocabulary)


def _validate_merged(data: Graph, shapes: Graph) -> ValidationReport:
    _conforms, report, _text = pyshacl_validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True, inplace=True
    )
    return build_report(report, shapes)


def _validate_scope(
    plan: ReadPlan, focus: dict[int, set[OxTerm]], graph: Graph
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
    return build_report(report, plan.shapes)
