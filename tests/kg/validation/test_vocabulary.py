"""Validation catches typos and misplaced units: undeclared terms, figures in billions, and
one result for one wrong datatype. Checked on the bundled graph, through the change
validation every write uses, against a full validation of the store with the change applied.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.store.embedded import EmbeddedStore
from kg.store.protocol import Change
from kg.validation.report import ValidationResult
from kg.validation.shacl import validate_store
from kg.validation.vocabulary import DECLARED_TERM_COMPONENT

AICAP = "https://w3id.org/aicap/ontology#"
ID = "https://w3id.org/aicap/id/"
G = ox.NamedNode(f"{ID}graph/test")
NEW = ox.NamedNode(f"{ID}obligation/test-vocabulary")
DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def term(local: str) -> ox.NamedNode:
    return ox.NamedNode(AICAP + local)


def obligation(
    kind: str = "PaymentObligation",
    amount: ox.Literal | None = None,
    amount_property: str = "amountUSD",
) -> Change:
    """A payment obligation as tests/data/new-obligation.ttl writes it, with one thing changed."""
    amount = amount or ox.Literal("1000000000.0", datatype=DECIMAL)
    triples = [
        (RDF_TYPE, term(kind)),
        (term("fromParty"), ox.NamedNode(f"{ID}firm/openai")),
        (term("toParty"), ox.NamedNode(f"{ID}firm/oracle")),
        (term(amount_property), amount),
        (term("restsOn"), ox.NamedNode(f"{ID}agreement/oracle-openai")),
        (term("statedIn"), ox.NamedNode(f"{ID}claim/announcements/p4")),
    ]
    return Change(added=[ox.Quad(NEW, p, o, G) for p, o in triples])


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeGraph]:
    graph = KnowledgeGraph.open(Settings(data_dir=tmp_path_factory.mktemp("vocabulary")))
    yield graph
    graph.close()


@pytest.fixture(scope="module")
def before(kg: KnowledgeGraph) -> set[ValidationResult]:
    return set(validate_store(kg.store, kg.shapes, kg.ontology).results)


def on_new(results: list[ValidationResult]) -> list[ValidationResult]:
    return [r for r in results if r.focus_node == NEW.value]


def assert_change_equals_full(
    kg: KnowledgeGraph, change: Change, before: set[ValidationResult]
) -> None:
    """What the change validation reports on the new node is what a full validation of the
    store with the change applied newly reports."""
    copy = EmbeddedStore(None)
    copy.bulk_add(kg.store.quads())
    copy.apply_change(change)
    full = set(validate_store(copy, kg.shapes, kg.ontology).results) - before

    assert set(on_new(kg.validate(change).results)) == full


def test_a_misspelt_class_is_a_violation_that_names_the_declared_one(
    kg: KnowledgeGraph, before: set[ValidationResult]
) -> None:
    change = obligation(kind="PaymentObligaton")

    report = kg.validate(change)

    assert not report.conforms
    (result,) = [
        r for r in report.results if r.source_constraint_component == DECLARED_TERM_COMPONENT
    ]
    assert result.focus_node == NEW.value
    assert result.value == f"<{AICAP}PaymentObligaton>"
    assert "aicap:PaymentObligaton is not a class the ontology declares" in result.message
    assert "did you mean aicap:PaymentObligation?" in result.message
    assert_change_equals_full(kg, change, before)


def test_a_misspelt_property_is_a_violation_not_a_warning(
    kg: KnowledgeGraph, before: set[ValidationResult]
) -> None:
    change = obligation(amount_property="ammountUSD")

    report = kg.validate(change)

    assert not report.conforms
    typo = [
        r for r in report.violations if r.source_constraint_component == DECLARED_TERM_COMPONENT
    ]
    assert [r.result_path for r in typo] == [f"{AICAP}ammountUSD"]
    assert "did you mean aicap:amountUSD?" in typo[0].message
    assert_change_equals_full(kg, change, before)


def test_an_amount_below_a_million_dollars_is_a_warning_about_billions(
    kg: KnowledgeGraph, before: set[ValidationResult]
) -> None:
    change = obligation(amount=ox.Literal("5.0", datatype=DECIMAL))

    report = kg.validate(change)

    assert report.conforms, report.text
    (warning,) = on_new(report.warnings)
    assert warning.source_constraint_component == "sh:MinInclusiveConstraintComponent"
    assert "looks like a figure in billions" in warning.message
    assert_change_equals_full(kg, change, before)


def test_a_string_amount_gives_one_violation_that_names_both_datatypes(
    kg: KnowledgeGraph, before: set[ValidationResult]
) -> None:
    change = obligation(amount=ox.Literal("five billion"))

    report = kg.validate(change)

    amount = [r for r in on_new(report.results) if r.result_path == f"{AICAP}amountUSD"]
    assert [r.source_constraint_component for r in amount] == ["sh:DatatypeConstraintComponent"]
    assert '"five billion" is xsd:string, not xsd:decimal' in amount[0].message
    assert_change_equals_full(kg, change, before)


def test_the_bundled_graph_uses_only_declared_terms(before: set[ValidationResult]) -> None:
    assert [r for r in before if r.source_constraint_component == DECLARED_TERM_COMPONENT] == []


def test_a_change_that_declares_a_term_may_use_it(kg: KnowledgeGraph) -> None:
    kind = term("TestObligationKind")
    declare = ox.Quad(kind, RDF_TYPE, ox.NamedNode("http://www.w3.org/2002/07/owl#Class"), G)
    change = obligation(kind="TestObligationKind")
    change.added.append(declare)

    report = kg.validate(change)

    assert [
        r for r in report.results if r.source_constraint_component == DECLARED_TERM_COMPONENT
    ] == []
