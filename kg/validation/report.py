"""The SHACL validation report: pyshacl's report graph turned into results, a verdict and a text.

Terms are rendered as strings so that a report compares, sorts and serialises to JSON
without rdflib; the verdict counts only results that are not warnings or info.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, XSD
from rdflib.term import Node

_PASSING_SEVERITIES = frozenset({"sh:Warning", "sh:Info"})
_RANGE_COMPONENTS = frozenset(
    {
        SH.MinExclusiveConstraintComponent,
        SH.MinInclusiveConstraintComponent,
        SH.MaxExclusiveConstraintComponent,
        SH.MaxInclusiveConstraintComponent,
    }
)
"""Comparisons that a value of the wrong datatype fails too: one mistake, one result."""
_DATATYPE = SH.DatatypeConstraintComponent


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


def build_report(report: Graph, shapes: Graph) -> ValidationReport:
    """Build a report from pyshacl's report graph, sorted, with the verdict recomputed.

    Warnings and info do not fail the verdict, so sh:conforms in `report` is set to it.

    Args:
        report: pyshacl's report graph; its sh:conforms is overwritten.
        shapes: the shapes graph, to name blank property shapes after their parent and path.

    Returns:
        The results sorted by focus node, shape, constraint component and value.
    """
    _drop_repeated_range_results(report)
    _explain_datatypes(report, shapes)
    results = [_result(report, shapes, node) for node in report.objects(None, SH.result)]
    return _finish(report, results)


def with_results(report: ValidationReport, extra: list[ValidationResult]) -> ValidationReport:
    """Return `report` with more results (checks SHACL cannot express), verdict recomputed.

    Each result is also written into the report graph as an ``sh:ValidationResult``, so
    the Turtle report says what the JSON says.
    """
    if not extra:
        return report
    graph = report.graph
    root = next(graph.subjects(RDF.type, SH.ValidationReport))
    for result in extra:
        node = BNode()
        graph.add((root, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.focusNode, _node(result.focus_node)))
        if result.result_path is not None:
            graph.add((node, SH.resultPath, URIRef(result.result_path)))
        graph.add((node, SH.sourceShape, URIRef(result.source_shape)))
        component = URIRef(result.source_constraint_component)
        graph.add((node, SH.sourceConstraintComponent, component))
        graph.add((node, SH.resultSeverity, SH[result.severity.removeprefix("sh:")]))
        graph.add((node, SH.resultMessage, Literal(result.message)))
    return _finish(graph, [*report.results, *extra])


def _node(text: str) -> URIRef | BNode:
    """The term a result names: ``_:id`` a blank node (an unskolemized body), else an IRI."""
    return BNode(text[2:]) if text.startswith("_:") else URIRef(text)


def _finish(report: Graph, results: list[ValidationResult]) -> ValidationReport:
    results = sorted(
        results,
        key=lambda r: (r.focus_node, r.source_shape, r.source_constraint_component, str(r.value)),
    )
    conforms = not any(r.severity not in _PASSING_SEVERITIES for r in results)
    for root in report.subjects(RDF.type, SH.ValidationReport):
        report.set((root, SH.conforms, Literal(conforms)))
    return ValidationReport(conforms, results, report, _text(conforms, results))


def _drop_repeated_range_results(report: Graph) -> None:
    """Remove the range results that repeat a worse mistake in the same value.

    ``"five"`` as an amount breaks sh:datatype xsd:decimal, and SHACL reports
    sh:minExclusive on it too, which says nothing more: the user gets one result. Likewise a
    negative amount breaks sh:minExclusive 0; the warning that it is below a million
    (a figure in billions?) would only mislead.
    """
    results = list(report.objects(None, SH.result))
    mistyped = {_where(report, n) for n in results if _component(report, n) == _DATATYPE}
    violated = {_where(report, n) for n in results if _is_violation(report, n)}
    for node in results:
        if _component(report, node) not in _RANGE_COMPONENTS:
            continue
        where = _where(report, node)
        if where in mistyped or (not _is_violation(report, node) and where in violated):
            report.remove((None, SH.result, node))
            report.remove((node, None, None))


def _component(report: Graph, node: Node) -> Node | None:
    return report.value(node, SH.sourceConstraintComponent)


def _is_violation(report: Graph, node: Node) -> bool:
    return report.value(node, SH.resultSeverity) == SH.Violation


def _where(report: Graph, node: Node) -> tuple[Node | None, ...]:
    return tuple(report.value(node, p) for p in (SH.focusNode, SH.resultPath, SH.value))


def _explain_datatypes(report: Graph, shapes: Graph) -> None:
    """Say in a datatype result's message which datatype the value has and which it needs."""
    for node in report.objects(None, SH.result):
        if report.value(node, SH.sourceConstraintComponent) != SH.DatatypeConstraintComponent:
            continue
        expected = shapes.value(report.value(node, SH.sourceShape), SH.datatype)
        value = report.value(node, SH.value)
        if expected is None or value is None:
            continue
        has = value.datatype if isinstance(value, Literal) else None
        has_text = "not a literal" if not isinstance(value, Literal) else _xsd(has or XSD.string)
        note = f"{value.n3()} is {has_text}, not {_xsd(expected)}"
        messages = list(report.objects(node, SH.resultMessage))
        report.remove((node, SH.resultMessage, None))
        for message in messages or [Literal("wrong datatype")]:
            report.add((node, SH.resultMessage, Literal(f"{message} ({note})")))


def _xsd(datatype: Node) -> str:
    text = str(datatype)
    return "xsd:" + text[len(str(XSD)) :] if text.startswith(str(XSD)) else text


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
