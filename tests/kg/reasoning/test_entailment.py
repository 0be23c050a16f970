"""`kg.reasoning.entailment`: the rules that complete a reasoner's results, and disjointness."""

from __future__ import annotations

import pyoxigraph as ox

from kg.reasoning.entailment import disjointness_clashes, entailed, unsatisfiable_reasons

EX = "http://example.org/test#"
PREFIXES = f"""
@prefix ex: <{EX}> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


def parse(text: str) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(PREFIXES + text, format=ox.RdfFormat.TURTLE)}


def triple(s: str, p: str, o: str) -> ox.Triple:
    return ox.Triple(ox.NamedNode(EX + s), ox.NamedNode(EX + p), ox.NamedNode(EX + o))


def test_transitive_property_values_are_closed() -> None:
    asserted = parse("""ex:fundedBy a owl:TransitiveProperty .
        ex:a ex:fundedBy ex:b . ex:b ex:fundedBy ex:c . ex:c ex:fundedBy ex:d .""")

    found = entailed(asserted, set())

    assert {triple("a", "fundedBy", "c"), triple("a", "fundedBy", "d")} <= found
    assert triple("b", "fundedBy", "d") in found
    assert triple("a", "fundedBy", "b") not in found  # asserted, so not inferred


def test_types_close_over_reasoner_found_subclasses_but_skip_owl_thing() -> None:
    asserted = parse("ex:x a ex:A . ex:B rdfs:subClassOf owl:Thing .")
    found = parse("ex:A rdfs:subClassOf ex:B . ex:x a owl:Thing .")

    inferred = entailed(asserted, found)

    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    assert {t.object for t in inferred if t.predicate == rdf_type} == {ox.NamedNode(EX + "B")}


def test_all_disjoint_classes_clash_names_the_individual_and_both_classes() -> None:
    asserted = parse("""[] a owl:AllDisjointClasses ; owl:members (ex:Loan ex:Equity ex:Grant) .
        ex:Convertible rdfs:subClassOf ex:Loan .
        ex:deal a ex:Convertible, ex:Grant .""")

    [clash] = disjointness_clashes(asserted)

    assert clash.culprits[:3] == (EX + "deal", EX + "Convertible", EX + "Grant")
    assert "disjoint" in clash.message


def test_unsatisfiable_reason_names_the_disjoint_superclasses() -> None:
    asserted = parse("""ex:A owl:disjointWith ex:B .
        ex:C rdfs:subClassOf ex:A, ex:B .""")

    [why] = unsatisfiable_reasons(asserted, [EX + "C"])

    assert f"<{EX}A>" in why and f"<{EX}B>" in why
