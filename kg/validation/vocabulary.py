"""Terms of the project's namespace that the ontology does not declare: a typo, not a fact.

SHACL checks the nodes its shapes target; a node typed with a misspelt class
(``aicap:InvestmentComitment``) is targeted by no shape, and a misspelt property
(``aicap:ammountUSD``) is read by none, so both conform and then appear in no answer. SHACL
has no constraint for "this term is declared", so the library checks it here, on the same
triples the shapes see: every predicate and every ``rdf:type`` class in the ontology's
namespace must be declared in the ontology (or in the change itself), and the result names
the closest declared term.

The results read like SHACL results (`VOCABULARY_SHAPE`, `DECLARED_TERM_COMPONENT`), so
reports, ``/validate`` and a refused write carry them like any other.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from kg.namespaces import AICAP
from kg.validation.report import ValidationResult

VOCABULARY_SHAPE = "https://w3id.org/aicap/shapes#DeclaredVocabulary"
"""The source shape named by these results: the library's check, not a shape of shapes/."""
DECLARED_TERM_COMPONENT = "https://w3id.org/aicap/shapes#DeclaredTermConstraintComponent"

_PROPERTY_TYPES = frozenset(
    {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property}
)
_CLASS_TYPES = frozenset({OWL.Class, RDFS.Class})
_NAMESPACE = str(AICAP)

Triple = tuple[Node, Node, Node]


def undeclared_terms(
    triples: Iterable[Triple], ontology: Graph, declared_here: Iterable[Triple] = ()
) -> list[ValidationResult]:
    """Return one violation per triple that uses an undeclared term of the namespace.

    Args:
        triples: the triples to check (a change's added triples, or the whole store).
        ontology: where the terms are declared.
        declared_here: more triples that may declare terms (a change that declares a term
            and uses it at once).

    Returns:
        The violations, each naming the term and the closest declared term of its kind.
    """
    properties, classes = _declared(ontology)
    extra_properties, extra_classes = _declared_in(declared_here)
    properties |= extra_properties
    classes |= extra_classes
    results = []
    for subject, predicate, obj in triples:
        if _ours(predicate) and predicate not in properties:
            results.append(_violation(subject, predicate, None, "property", properties))
        elif predicate == RDF.type and _ours(obj) and obj not in classes:
            results.append(_violation(subject, RDF.type, obj, "class", classes))
    return results


def _declared(ontology: Graph) -> tuple[set[Node], set[Node]]:
    return _declared_in(ontology.triples((None, RDF.type, None)))


def _declared_in(triples: Iterable[Triple]) -> tuple[set[Node], set[Node]]:
    properties: set[Node] = set()
    classes: set[Node] = set()
    for subject, predicate, kind in triples:
        if predicate != RDF.type:
            continue
        if kind in _PROPERTY_TYPES:
            properties.add(subject)
        elif kind in _CLASS_TYPES:
            classes.add(subject)
    return properties, classes


def _ours(term: Node) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(_NAMESPACE)


def _violation(
    subject: Node, path: Node, value: Node | None, kind: str, declared: set[Node]
) -> ValidationResult:
    term = value if value is not None else path
    name = _compact(term)
    message = f"{name} is not a {kind} the ontology declares"
    closest = difflib.get_close_matches(name, sorted(_compact(t) for t in declared), n=1)
    if closest:
        message += f": did you mean {closest[0]}?"
    return ValidationResult(
        focus_node=str(subject) if isinstance(subject, URIRef) else subject.n3(),
        result_path=str(path),
        value=None if value is None else value.n3(),
        source_shape=VOCABULARY_SHAPE,
        source_constraint_component=DECLARED_TERM_COMPONENT,
        severity="sh:Violation",
        message=message,
    )


def _compact(term: Node) -> str:
    return "aicap:" + str(term)[len(_NAMESPACE) :]
