"""A change validated in context gives the verdict and results of a full validation.

The base data conforms with no result at all, so a full validation of
(store + added - removed) reports exactly what the change can affect: the results of
`validate_change` must equal those of `validate_store` on a copy with the change applied.
The shapes, ontology and data here are self-contained, so the project's
own shapes can change without touching these tests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from kg.errors import RdfSyntaxError
from kg.store.embedded import EmbeddedStore
from kg.store.protocol import Change
from kg.validation.report import ValidationResult
from kg.validation.scoping import scope_change
from kg.validation.shacl import load_shapes, validate_change, validate_store

EX = "http://example.org/"
G1 = ox.NamedNode(EX + "graph/one")
G2 = ox.NamedNode(EX + "graph/two")
PREFIXES = f"""
@prefix ex: <{EX}> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
"""

ONTOLOGY = """
ex:Firm a owl:Class .  ex:Lender rdfs:subClassOf ex:Firm .  ex:Bank rdfs:subClassOf ex:Lender .
ex:ChipMaker rdfs:subClassOf ex:Firm .  ex:Agreement a owl:Class .  ex:Obligation a owl:Class .
ex:Claim a owl:Class .  ex:Source a owl:Class .  ex:Broker a owl:Class .
"""

SHAPES = """
ex:FirmShape a sh:NodeShape ; sh:targetClass ex:Firm ;
  sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:string ] .
ex:AgreementShape a sh:NodeShape ; sh:targetClass ex:Agreement ;
  sh:property [ sh:path ex:party ; sh:class ex:Firm ; sh:minCount 2 ] ;
  sh:property [ sh:path ex:binding ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:boolean ] ;
  sh:property [ sh:path [ sh:inversePath ex:restsOn ] ; sh:class ex:Obligation ] ;
  sh:property [ sh:path [ sh:inversePath ex:restsOn ] ; sh:minCount 1 ;
                sh:severity sh:Warning ; sh:message "an agreement without obligations" ] .
ex:ObligationShape a sh:NodeShape ; sh:targetClass ex:Obligation ;
  sh:property [ sh:path ex:restsOn ; sh:class ex:Agreement ; sh:minCount 1 ] ;
  sh:property [ sh:path ex:debtor ; sh:class ex:Firm ; sh:minCount 1 ; sh:maxCount 1 ] ;
  sh:property [ sh:path ex:amount ; sh:node ex:AmountShape ; sh:minCount 1 ] .
ex:AmountShape a sh:NodeShape ;
  sh:property [ sh:path ex:value ; sh:datatype xsd:decimal ; sh:minExclusive 0 ; sh:minCount 1 ] ;
  sh:property [ sh:path ex:unit ; sh:node ex:UnitShape ; sh:minCount 1 ] .
ex:UnitShape a sh:NodeShape ; sh:closed true ;
  sh:property [ sh:path ex:symbol ; sh:minCount 1 ; sh:datatype xsd:string ] .
ex:ClaimShape a sh:NodeShape ; sh:targetClass ex:Claim ;
  sh:property [ sh:path ex:source ; sh:class ex:Source ; sh:minCount 1 ] ;
  sh:property [ sh:path ( ex:about ex:debtor ) ; sh:class ex:Firm ] .
ex:QuoteShape a sh:NodeShape ; sh:targetSubjectsOf ex:quote ;
  sh:property [ sh:path ex:quote ; sh:minLength 3 ] .
"""

# Graph one holds most facts; graph two repeats OpenAI's type (union semantics) and holds
# the claim, so a change can remove a quad whose triple is still stated elsewhere.
BASE_ONE = """
ex:openai a ex:Firm ; ex:name "OpenAI" .
ex:nvidia a ex:ChipMaker ; ex:name "Nvidia" .
ex:amd a ex:ChipMaker ; ex:name "AMD" .
ex:jpm a ex:Bank ; ex:name "JPMorgan" .
ex:x a ex:Broker .
ex:USD ex:symbol "USD" .
ex:a1 a ex:Agreement ; ex:party ex:openai, ex:nvidia ; ex:binding false .
ex:a2 a ex:Agreement ; ex:party ex:openai, ex:amd ; ex:binding true .
ex:o1 a ex:Obligation ; ex:restsOn ex:a1 ; ex:debtor ex:openai ;
  ex:amount [ ex:value 100000000000.0 ; ex:unit ex:USD ] .
ex:o2 a ex:Obligation ; ex:restsOn ex:a2 ; ex:debtor ex:openai ;
  ex:amount [ ex:value 90000000000.0 ; ex:unit ex:USD ] .
"""
BASE_TWO = """
ex:openai a ex:Firm .
ex:article a ex:Source .
ex:c1 a ex:Claim ; ex:source ex:article ; ex:about ex:o1 ; ex:quote "OpenAI will pay" .
"""

AMOUNT = "ex:amount [ ex:value 1.0 ; ex:unit ex:USD ]"


def parse(turtle: str, graph: ox.NamedNode = G1) -> list[ox.Quad]:
    """Parse Turtle (with the test prefixes) into quads of one graph."""
    triples = ox.parse(input=(PREFIXES + turtle).encode(), format=ox.RdfFormat.TURTLE)
    return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]


def stored(store: EmbeddedStore, subject: str, predicate: str | None = None) -> list[ox.Quad]:
    """The stored quads of a subject (and predicate), in every graph."""
    p = None if predicate is None else ox.NamedNode(EX + predicate)
    return list(store.quads(ox.NamedNode(EX + subject), p))


def described(store: EmbeddedStore, subject: str) -> list[ox.Quad]:
    """A subject's quads plus those of the blank nodes it points to."""
    quads = stored(store, subject)
    bnodes = [q.object for q in quads if isinstance(q.object, ox.BlankNode)]
    return quads + [q for b in bnodes for q in store.quads(b)]


ChangeMaker = Callable[[EmbeddedStore], Change]


def change(add: str = "", remove: str = "") -> ChangeMaker:
    return lambda _store: Change(added=parse(add), removed=parse(remove))


CASES: dict[str, ChangeMaker] = {
    "conforming new firm": change(add='ex:tsmc a ex:ChipMaker ; ex:name "TSMC" .'),
    "conforming new deal": change(
        add=f"""ex:a3 a ex:Agreement ; ex:party ex:openai, ex:jpm ; ex:binding true .
        ex:o3 a ex:Obligation ; ex:restsOn ex:a3 ; ex:debtor ex:openai ; {AMOUNT} ."""
    ),
    "minCount: typed node without the property": change(add="ex:intel a ex:Firm ."),
    "minCount on a new blank node": change(add="[] a ex:Firm ."),
    "datatype": change(add='ex:a1 ex:binding "no" .', remove="ex:a1 ex:binding false ."),
    "class: object whose type is missing": change(
        add=f"ex:o3 a ex:Obligation ; ex:restsOn ex:a1 ; ex:debtor ex:mystery ; {AMOUNT} ."
    ),
    "class: removing the type of a node pointed to": change(remove="ex:nvidia a ex:ChipMaker ."),
    "class: removing a type stated in every graph": lambda store: Change(
        removed=stored(store, "openai", "type") + stored(store, "openai", "name")
    ),
    "node two levels deep: unit loses its symbol": change(remove='ex:USD ex:symbol "USD" .'),
    "node two levels deep: closed unit gets a new property": change(add="ex:USD ex:rate 1.0 ."),
    "node one level deep: blank amount loses its value": lambda store: Change(
        removed=[q for q in described(store, "o1") if q.predicate.value == EX + "value"]
    ),
    "inversePath: a claim rests on an agreement": change(add="ex:c1 ex:restsOn ex:a1 ."),
    "subclass instance targeted by the superclass shape": change(add="ex:citi a ex:Bank ."),
    "subclass added to the hierarchy in the data": change(
        add="ex:Broker rdfs:subClassOf ex:Firm ."
    ),
    "maxCount: second value on an existing node": change(add="ex:o1 ex:debtor ex:nvidia ."),
    "targetSubjectsOf": change(add='ex:o1 ex:quote "ab" .'),
    "sequence path": change(add="ex:c1 ex:about ex:o9 . ex:o9 ex:debtor ex:nobody ."),
    "only removes: obligation loses its agreement": change(remove="ex:o1 ex:restsOn ex:a1 ."),
    "only removes: warning only": lambda store: Change(removed=described(store, "o2")),
    "removing a quad still stated in another graph": change(remove="ex:openai a ex:Firm ."),
    "adding what is already stored": change(add=BASE_ONE),
}


@pytest.fixture
def shapes() -> Graph:
    return Graph().parse(data=PREFIXES + SHAPES, format="turtle")


@pytest.fixture
def ontology() -> Graph:
    return Graph().parse(data=PREFIXES + ONTOLOGY, format="turtle")


@pytest.fixture
def base_quads() -> list[ox.Quad]:
    return parse(BASE_ONE, G1) + parse(BASE_TWO, G2)


def make_store(quads: list[ox.Quad]) -> EmbeddedStore:
    # Filled directly, not by apply_change: these cases validate changes that hold blank
    # nodes, which every write path skolemizes and apply_change refuses.
    store = EmbeddedStore(None)
    store.bulk_add(quads)
    return store


def canonical(quads: list[ox.Quad]) -> list[ox.Quad]:
    return list(make_store(quads).quads())


def test_base_data_conforms_without_any_result(
    base_quads: list[ox.Quad], shapes: Graph, ontology: Graph
) -> None:
    report = validate_store(make_store(base_quads), shapes, ontology)
    assert report.conforms, report.text
    assert report.results == []


@pytest.mark.parametrize("case", list(CASES))
def test_change_verdict_and_results_equal_full_validation(
    case: str, base_quads: list[ox.Quad], shapes: Graph, ontology: Graph
) -> None:
    store = make_store(base_quads)
    the_change = CASES[case](store)
    # Built rather than written with apply_change, which refuses blank nodes. Quads are
    # compared as the store keeps them (it canonicalises literals: "1.0"^^xsd:decimal
    # becomes "1").
    removed = set(canonical(the_change.removed))
    after = make_store([q for q in canonical(base_quads) if q not in removed] + the_change.added)

    full = validate_store(after, shapes, ontology)
    in_context = validate_change(store, the_change, shapes, ontology)

    assert in_context.conforms == full.conforms, in_context.text + "\n---\n" + full.text
    assert set(in_context.results) == set(full.results), in_context.text + "\n---\n" + full.text
    assert store.count() == len(base_quads), "validating a change must not write it"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("conforming new deal", set()),
        ("minCount: typed node without the property", {"sh:MinCountConstraintComponent"}),
        ("datatype", {"sh:DatatypeConstraintComponent"}),
        ("class: removing the type of a node pointed to", {"sh:ClassConstraintComponent"}),
        ("node two levels deep: unit loses its symbol", {"sh:NodeConstraintComponent"}),
        ("inversePath: a claim rests on an agreement", {"sh:ClassConstraintComponent"}),
        ("maxCount: second value on an existing node", {"sh:MaxCountConstraintComponent"}),
        ("only removes: warning only", {"sh:MinCountConstraintComponent"}),
    ],
)
def test_cases_trip_the_constraint_they_name(
    case: str, expected: set[str], base_quads: list[ox.Quad], shapes: Graph, ontology: Graph
) -> None:
    store = make_store(base_quads)
    report = validate_change(store, CASES[case](store), shapes, ontology)
    assert {r.source_constraint_component for r in report.results} == expected, report.text


def test_warning_only_change_conforms_and_names_focus_path_and_shape(
    base_quads: list[ox.Quad], shapes: Graph, ontology: Graph
) -> None:
    store = make_store(base_quads)
    report = validate_change(store, CASES["only removes: warning only"](store), shapes, ontology)
    assert report.conforms
    assert report.violations == []
    [warning] = report.warnings
    assert warning == ValidationResult(
        focus_node=EX + "a2",
        result_path=f"^<{EX}restsOn>",
        value=None,
        source_shape=f"{EX}AgreementShape [sh:path ^<{EX}restsOn>]",
        source_constraint_component="sh:MinCountConstraintComponent",
        severity="sh:Warning",
        message="an agreement without obligations",
    )
    assert f"{EX}a2" in report.text and "AgreementShape" in report.text
    assert report.to_json()["results"][0]["resultPath"] == f"^<{EX}restsOn>"


def generated_quads(deals: int) -> list[ox.Quad]:
    """About 18 triples per deal: firms, agreements, obligations with amounts, claims."""
    turtle = [f'ex:f{i} a ex:Firm ; ex:name "Firm {i}" .' for i in range(max(deals // 10, 2))]
    turtle.append("ex:article a ex:Source .")
    for i in range(deals):
        firm, other = f"ex:f{i % (deals // 10 or 1)}", f"ex:f{(i + 1) % (deals // 10 or 1)}"
        turtle.append(
            f"""ex:d{i} a ex:Agreement ; ex:party {firm}, {other} ; ex:binding true .
            ex:ob{i} a ex:Obligation ; ex:restsOn ex:d{i} ; ex:debtor {firm} ; {AMOUNT} .
            ex:cl{i} a ex:Claim ; ex:source ex:article ; ex:about ex:ob{i} ; ex:quote "q{i}" ."""
        )
    return parse("\nex:USD ex:symbol 'USD' .\n" + "\n".join(turtle))


def test_change_on_a_20k_store_validates_under_5_percent_of_the_nodes(
    shapes: Graph, ontology: Graph
) -> None:
    store = make_store(generated_quads(1500))
    assert store.count() > 20_000
    subjects = {q.subject for q in store.quads()}
    good = Change(
        added=parse(
            "\n".join(
                f"""ex:new{i} a ex:Agreement ; ex:party ex:f1, ex:f2 ; ex:binding true .
                ex:newob{i} a ex:Obligation ; ex:restsOn ex:new{i} ; ex:debtor ex:f1 ; {AMOUNT} .
                ex:newcl{i} a ex:Claim ; ex:source ex:article ; ex:about ex:newob{i} ."""
                for i in range(8)
            )
        )
    )
    assert len(good) >= 100

    scope = scope_change(store, good, shapes, ontology)
    assert 0 < len(scope.focus_nodes) < 0.05 * len(subjects)
    assert len(scope.graph) < 0.05 * store.count()
    assert validate_change(store, good, shapes, ontology).conforms

    bad = Change(added=[*good.added, *parse("ex:newob0 ex:debtor ex:f3 .")])
    [violation] = validate_change(store, bad, shapes, ontology).violations
    assert violation.focus_node == EX + "newob0"
    assert violation.source_constraint_component == "sh:MaxCountConstraintComponent"


def test_load_shapes_merges_every_turtle_file(tmp_path: Path, shapes: Graph) -> None:
    (tmp_path / "firms.ttl").write_text(PREFIXES + SHAPES.split("ex:AgreementShape")[0])
    (tmp_path / "deals.ttl").write_text(
        PREFIXES + "ex:AgreementShape" + SHAPES.split("ex:AgreementShape")[1]
    )
    assert len(load_shapes(tmp_path)) == len(shapes)


def test_load_shapes_names_the_bad_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "good.ttl").write_text(PREFIXES + SHAPES)
    (tmp_path / "bad.ttl").write_text(PREFIXES + "ex:A a sh:NodeShape ;\n  sh:targetClass .\n")
    with pytest.raises(RdfSyntaxError) as caught:
        load_shapes(tmp_path)
    assert caught.value.source.endswith("bad.ttl")
    assert "bad.ttl" in str(caught.value)
    assert caught.value.line == PREFIXES.count("\n") + 2
