"""The audit trail: every accepted write described in the audit graph, in its transaction."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.config import Settings
from kg.errors import ShapeViolation
from kg.graph import LOCAL_ACTOR, KnowledgeGraph
from kg.namespaces import AICAP, AUDIT_GRAPH, BASE_IRI, ONTOLOGY_GRAPH
from kg.store.protocol import Change
from kg.update.audit import Write, audit_record

DATA = Path(__file__).parents[2] / "data"
AUDIT = ox.NamedNode(str(AUDIT_GRAPH))
G = ox.NamedNode("http://example.org/g")
PROV = "http://www.w3.org/ns/prov#"


def values(quads: list[ox.Quad], predicate: str) -> list[str]:
    return sorted(q.object.value for q in quads if q.predicate.value == predicate)


def test_the_record_says_who_when_how_and_what_changed() -> None:
    change = Change(
        added=[
            ox.Quad(
                ox.NamedNode("http://example.org/s"),
                ox.NamedNode("http://example.org/p"),
                ox.Literal("1"),
                G,
            )
        ],
        removed=[
            ox.Quad(
                ox.NamedNode("http://example.org/s"),
                ox.NamedNode("http://example.org/p"),
                ox.Literal("0"),
            )
        ],
    )
    when = datetime(2025, 10, 6, 12, 0, tzinfo=UTC)
    write = Write("Ada Analyst", "update", "INSERT DATA { … }")
    quads = audit_record(write, change, BASE_IRI, when)

    assert {q.graph_name for q in quads} == {AUDIT}
    assert values(quads, str(AICAP.quadsAdded)) == ["1"]
    assert values(quads, str(AICAP.quadsRemoved)) == ["1"]
    assert values(quads, str(AICAP.changedGraph)) == [G.value]
    assert values(quads, str(AICAP.changedDefaultGraph)) == ["true"]
    assert values(quads, str(AICAP.writeOperation)) == ["update"]
    assert values(quads, PROV + "endedAtTime") == ["2025-10-06T12:00:00.000+00:00"]
    digest = hashlib.sha256("INSERT DATA { … }".encode()).hexdigest()
    assert values(quads, str(AICAP.requestSha256)) == [digest]
    (agent,) = values(quads, PROV + "wasAssociatedWith")
    assert agent == BASE_IRI + "id/agent/Ada-Analyst"
    assert "Ada Analyst" in values(quads, "http://www.w3.org/2000/01/rdf-schema#label")


def test_a_load_is_committed_with_its_audit_record(kg: KnowledgeGraph) -> None:
    outcome = kg.load([DATA / "new-claim.ttl"], graph=G.value)
    records = list(kg.store.quads(graph=AUDIT))
    assert values(records, str(AICAP.writeOperation)) == ["load"]
    assert values(records, str(AICAP.quadsAdded)) == [str(outcome.quads)]
    assert values(records, str(AICAP.changedGraph)) == [G.value]
    agents = [q.subject for q in records if q.object.value == LOCAL_ACTOR]
    assert agents, "the command line is named as the agent"


def test_a_refused_write_leaves_no_audit_record(kg: KnowledgeGraph) -> None:
    before = kg.triple_count()
    with pytest.raises(ShapeViolation):
        kg.load([DATA / "claim-without-quote.ttl"], graph=G.value)
    assert list(kg.store.quads(graph=AUDIT)) == []
    assert kg.triple_count() == before


def test_the_audit_terms_are_in_the_ontology(kg: KnowledgeGraph) -> None:
    ontology = ox.NamedNode(str(ONTOLOGY_GRAPH))
    for term in ("Write", "writeOperation", "quadsAdded", "quadsRemoved", "changedGraph"):
        described = list(kg.store.quads(ox.NamedNode(str(AICAP[term])), None, None, ontology))
        labels = values(described, "http://www.w3.org/2000/01/rdf-schema#label")
        comments = values(described, "http://www.w3.org/2000/01/rdf-schema#comment")
        assert labels and comments, term


def test_with_audit_writes_off_a_write_leaves_no_record(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "store", audit_writes=False)
    with KnowledgeGraph.open(settings) as kg:
        before = kg.triple_count()
        outcome = kg.load([DATA / "new-claim.ttl"], graph=G.value)
        assert list(kg.store.quads(graph=AUDIT)) == []
        assert len(list(kg.store.quads(graph=G))) == outcome.quads > 0
        loads_records = kg.triple_count() - before - outcome.quads
        assert loads_records > 0, "the load's own record in the loads graph stays"
