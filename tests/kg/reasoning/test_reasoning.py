"""`kg.reasoning.reasoner.reason`: HermiT through owlready2, inferred triples in their own graph."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.bundled import BUNDLE_DIR
from kg.errors import BadParameter, Inconsistent
from kg.namespaces import AICAP, BASE_IRI, INFERRED_GRAPH, ONTOLOGY_GRAPH
from kg.reasoning.reasoner import ReasoningOutcome, reason
from kg.store.embedded import EmbeddedStore
from kg.store.protocol import Change
from kg.store.skolem import skolemize

EX = "http://example.org/test#"
INFERRED = ox.NamedNode(str(INFERRED_GRAPH))
ONTOLOGY = ox.NamedNode(str(ONTOLOGY_GRAPH))
DATA = ox.NamedNode("http://example.org/graph/data")
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

PREFIXES = f"""
@prefix ex: <{EX}> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

TBOX = """
<http://example.org/test> a owl:Ontology .
ex:Agreement a owl:Class .
ex:BindingAgreement a owl:Class ; rdfs:subClassOf ex:Agreement ;
    owl:disjointWith ex:NonBindingAgreement .
ex:NonBindingAgreement a owl:Class ; rdfs:subClassOf ex:Agreement .
ex:LetterOfIntent a owl:Class ; rdfs:subClassOf ex:NonBindingAgreement .
ex:Contract a owl:Class ; rdfs:subClassOf ex:BindingAgreement .
ex:Firm a owl:Class .
ex:party a owl:ObjectProperty ; rdfs:domain ex:Agreement ; rdfs:range ex:Firm .
ex:buyer a owl:ObjectProperty ; rdfs:subPropertyOf ex:party .
ex:partyTo a owl:ObjectProperty ; owl:inverseOf ex:party .
ex:partnerOf a owl:ObjectProperty, owl:SymmetricProperty .
ex:signedOn a owl:DatatypeProperty .
"""

ABOX = """
ex:loi a ex:LetterOfIntent ; ex:buyer ex:openai ;
    ex:signedOn "2025-09-22"^^xsd:date ; rdfs:label "the \\"LOI\\"\\nsecond line"@en .
ex:openai ex:partnerOf ex:nvidia .
"""


def ex(name: str) -> ox.NamedNode:
    return ox.NamedNode(EX + name)


def triple(s: str, p: str, o: str) -> ox.Triple:
    return ox.Triple(ex(s), TYPE if p == "a" else ex(p), ex(o))


def add_turtle(store: EmbeddedStore, text: str, graph: ox.NamedNode) -> None:
    parsed = ox.parse(PREFIXES + text, format=ox.RdfFormat.TURTLE)
    store.apply_change(
        Change(added=[ox.Quad(t.subject, t.predicate, t.object, graph) for t in parsed])
    )


def inferred(store: EmbeddedStore) -> set[ox.Triple]:
    return {q.triple for q in store.quads(graph=INFERRED)}


def asserted(store: EmbeddedStore) -> set[ox.Quad]:
    return {q for q in store.quads() if q.graph_name != INFERRED}


@pytest.fixture
def store() -> EmbeddedStore:
    """A small consistent ontology in the ontology graph and data in another graph."""
    memory = EmbeddedStore(None)
    add_turtle(memory, TBOX, ONTOLOGY)
    add_turtle(memory, ABOX, DATA)
    return memory


def test_consistent_data_gets_inferred_types_in_the_inferred_graph(store: EmbeddedStore) -> None:
    outcome = reason(store)

    assert outcome.consistent and outcome.unsatisfiable_classes == []
    found = inferred(store)
    assert outcome.inferred_triples == len(found)
    assert triple("loi", "a", "NonBindingAgreement") in found
    assert triple("loi", "a", "Agreement") in found
    assert triple("openai", "a", "Firm") in found  # from the range of a super-property
    subclass = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
    assert ox.Triple(ex("LetterOfIntent"), subclass, ex("Agreement")) in found


def test_property_values_follow_subproperties_inverses_and_symmetry(store: EmbeddedStore) -> None:
    reason(store)

    found = inferred(store)
    assert triple("loi", "party", "openai") in found
    assert triple("openai", "partyTo", "loi") in found
    assert triple("nvidia", "partnerOf", "openai") in found


def test_reasoning_leaves_the_asserted_graphs_unchanged(store: EmbeddedStore) -> None:
    before = asserted(store)

    reason(store)

    assert asserted(store) == before


def test_no_trivial_or_internal_triples_are_stored(store: EmbeddedStore) -> None:
    reason(store)

    for t in inferred(store):
        assert isinstance(t.subject, ox.NamedNode) and isinstance(t.object, ox.NamedNode)
        assert t.subject != t.object
        assert not t.object.value.startswith("http://www.w3.org/2002/07/owl#"), t
        assert t.subject.value.startswith(EX) and t.object.value.startswith(EX), t


def test_reasoning_twice_replaces_the_inferred_graph(store: EmbeddedStore) -> None:
    stale = ox.Quad(ex("stale"), TYPE, ex("Gone"), INFERRED)
    store.apply_change(Change(added=[stale]))

    first = reason(store)
    after_first = inferred(store)
    second = reason(store)

    assert stale.triple not in after_first
    assert first.inferred_triples == second.inferred_triples == len(inferred(store))
    assert inferred(store) == after_first


def test_individual_in_two_disjoint_classes_is_inconsistent_and_store_unchanged(
    store: EmbeddedStore,
) -> None:
    reason(store)
    add_turtle(store, "ex:deal a ex:LetterOfIntent, ex:Contract .", DATA)
    before = set(store.quads())

    with pytest.raises(Inconsistent) as raised:
        reason(store)

    assert EX + "deal" in raised.value.culprits
    assert EX + "LetterOfIntent" in raised.value.culprits
    assert "disjoint" in raised.value.message
    assert isinstance(raised.value.details, ReasoningOutcome)
    assert raised.value.details.consistent is False
    assert set(store.quads()) == before


def test_clash_through_a_domain_names_the_individual(store: EmbeddedStore) -> None:
    add_turtle(store, "ex:Firm owl:disjointWith ex:Agreement . ex:acme ex:buyer ex:loi .", DATA)

    with pytest.raises(Inconsistent) as raised:
        reason(store)

    assert EX + "loi" in raised.value.culprits


def test_functional_property_clash_is_named_from_pellets_explanation(
    store: EmbeddedStore,
) -> None:
    add_turtle(
        store,
        """ex:soleBuyer a owl:ObjectProperty, owl:FunctionalProperty .
        ex:deal7 ex:soleBuyer ex:openai, ex:oracle .
        ex:openai owl:differentFrom ex:oracle .""",
        DATA,
    )

    with pytest.raises(Inconsistent) as raised:
        reason(store)

    assert {EX + "deal7", EX + "openai", EX + "oracle"} <= set(raised.value.culprits)
    assert inferred(store) == set()


def test_unsatisfiable_class_is_inconsistent_and_named(store: EmbeddedStore) -> None:
    add_turtle(store, "ex:Chimera rdfs:subClassOf ex:LetterOfIntent, ex:Contract .", ONTOLOGY)

    with pytest.raises(Inconsistent) as raised:
        reason(store)

    assert raised.value.culprits == [EX + "Chimera"]
    assert raised.value.details.unsatisfiable_classes == [EX + "Chimera"]
    assert inferred(store) == set()


def test_unknown_reasoner_is_a_bad_parameter(store: EmbeddedStore) -> None:
    with pytest.raises(BadParameter, match="fact"):
        reason(store, reasoner="fact++")


def test_imports_are_not_fetched(store: EmbeddedStore) -> None:
    add_turtle(
        store, "<http://example.org/test> owl:imports <http://unreachable.invalid/o> .", ONTOLOGY
    )

    assert reason(store).consistent


def test_reasoner_prints_nothing_and_leaves_no_temporary_files(
    store: EmbeddedStore,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    reason(store)
    add_turtle(store, "ex:deal a ex:LetterOfIntent, ex:Contract .", DATA)

    with pytest.raises(Inconsistent):
        reason(store)

    assert capfd.readouterr() == ("", "")
    assert list(tmp_path.iterdir()) == []


def load_bundled(store: EmbeddedStore) -> None:
    """Load ontology/*.ttl into the ontology graph and data/*.trig with their own graphs."""
    for path in sorted((BUNDLE_DIR / "ontology").glob("*.ttl")):
        quads = [ox.Quad(t.subject, t.predicate, t.object, ONTOLOGY) for t in ox.parse(path=path)]
        store.apply_change(Change(added=skolemize(quads, BASE_IRI)))
    for path in sorted((BUNDLE_DIR / "data").glob("*.trig")):
        store.apply_change(Change(added=skolemize(ox.parse(path=path), BASE_IRI)))


def test_bundled_ontology_and_data_are_consistent_and_letters_of_intent_are_nonbinding() -> None:
    store = EmbeddedStore(None)
    load_bundled(store)
    letters = store.quads(None, TYPE, ox.NamedNode(AICAP.LetterOfIntent))
    lois = {q.subject for q in letters if isinstance(q.subject, ox.NamedNode)}
    nonbinding = ox.NamedNode(AICAP.NonBindingAgreement)

    outcome = reason(store)

    assert outcome.consistent and outcome.inferred_triples > 0
    assert lois, "the bundled data has no aicap:LetterOfIntent"
    assert all(any(store.quads(loi, TYPE, nonbinding)) for loi in lois)
    assert any(store.quads(None, TYPE, nonbinding, INFERRED))
