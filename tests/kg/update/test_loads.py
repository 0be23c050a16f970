"""`kg.update.loads`: the same bytes loaded twice are refused, or replace the earlier load."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import AlreadyLoaded
from kg.graph import KnowledgeGraph
from kg.namespaces import AICAP, AUDIT_GRAPH, LOADS_GRAPH
from kg.rdf.loading import minted_graph

DATA = Path(__file__).parents[2] / "data"
CLAIM = DATA / "new-claim.ttl"
EX = "http://example.org/"
SHARED = ox.NamedNode(EX + "common-graph")
LOADS = ox.NamedNode(str(LOADS_GRAPH))
AUDIT = ox.NamedNode(str(AUDIT_GRAPH))
SYSTEM = {LOADS, AUDIT}
REPLACES = ox.NamedNode("http://purl.org/dc/terms/replaces")
OPERATION = ox.NamedNode(str(AICAP.writeOperation))
# A figure as a blank node: parsed again it gets a new Skolem IRI, so a replacement that
# left the earlier one would count it twice.
WITH_BLANK_NODE = f'<{EX}deal> <{EX}amount> [ <{EX}value> "10" ; <{EX}unit> "USD" ] .\n'


def data_quads(kg: KnowledgeGraph) -> set[ox.Quad]:
    """Every quad but the records of loads and writes."""
    return {q for q in kg.store.quads() if q.graph_name not in SYSTEM}


def in_graph(kg: KnowledgeGraph, graph: ox.NamedNode) -> list[ox.Quad]:
    return list(kg.store.quads(None, None, None, graph))


def test_the_same_file_twice_is_refused_naming_the_earlier_load(kg: KnowledgeGraph) -> None:
    first = kg.load([CLAIM])
    before = set(kg.store.quads())

    with pytest.raises(AlreadyLoaded) as raised:
        kg.load([CLAIM])

    (loaded,) = first.files
    message = str(raised.value)
    assert f"<{loaded.activity.value}>" in message
    assert "new-claim.ttl at 20" in message  # the earlier file name and time
    assert "--replace" in message
    assert raised.value.earlier == loaded.activity.value
    assert set(kg.store.quads()) == before


def test_a_copy_under_another_name_is_refused_too(kg: KnowledgeGraph, tmp_path: Path) -> None:
    kg.load([CLAIM])
    copy = tmp_path / "copy.ttl"
    copy.write_bytes(CLAIM.read_bytes())

    with pytest.raises(AlreadyLoaded, match=r"from new-claim\.ttl at"):
        kg.load([copy], graph=EX + "elsewhere")


def test_a_different_file_loads(kg: KnowledgeGraph, tmp_path: Path) -> None:
    kg.load([CLAIM])
    other = tmp_path / "other.ttl"
    other.write_text(WITH_BLANK_NODE)

    outcome = kg.load([other])

    assert outcome.quads == 3
    assert outcome.replaced == ()


def test_the_same_bytes_twice_in_one_load_are_refused(kg: KnowledgeGraph, tmp_path: Path) -> None:
    copy = tmp_path / "copy.ttl"
    copy.write_bytes(CLAIM.read_bytes())
    before = set(kg.store.quads())

    with pytest.raises(AlreadyLoaded, match=r"same bytes as"):
        kg.load([CLAIM, copy], replace=True)

    assert set(kg.store.quads()) == before


def test_replace_drops_the_earlier_loads_graph_and_records(kg: KnowledgeGraph) -> None:
    first = kg.load([CLAIM])
    after_one = data_quads(kg)
    (earlier,) = first.files

    second = kg.load([CLAIM], replace=True)

    (loaded,) = second.files
    assert [e.activity for e in second.replaced] == [earlier.activity]
    old_graph = minted_graph(earlier.activity)
    assert old_graph is not None and old_graph in earlier.graphs
    assert not kg.store.contains_graph(old_graph)
    (new_graph,) = loaded.graphs
    assert isinstance(new_graph, ox.NamedNode)
    assert len(in_graph(kg, new_graph)) == 3
    assert len(data_quads(kg)) == len(after_one)
    assert not list(kg.store.quads(earlier.activity, None, None, LOADS))
    assert list(kg.store.quads(loaded.activity, REPLACES, earlier.activity, LOADS))


def test_the_audit_record_says_which_load_was_replaced(kg: KnowledgeGraph) -> None:
    (earlier,) = kg.load([CLAIM]).files

    kg.load([CLAIM], replace=True)

    operations = sorted(q.object.value for q in kg.store.quads(None, OPERATION, None, AUDIT))
    assert operations == ["load", "replacing load"]
    (replacing,) = kg.store.quads(None, OPERATION, ox.Literal("replacing load"), AUDIT)
    replaced = [q.object for q in kg.store.quads(replacing.subject, REPLACES, None, AUDIT)]
    assert replaced == [earlier.activity]


def test_replace_in_a_shared_graph_removes_only_the_earlier_loads_quads(
    kg: KnowledgeGraph, tmp_path: Path
) -> None:
    others = tmp_path / "others.ttl"
    others.write_text(f'<{EX}other> <{EX}p> "kept" .\n<{EX}deal> <{EX}label> "a deal" .\n')
    figure = tmp_path / "figure.ttl"
    figure.write_text(WITH_BLANK_NODE)
    kg.load([others], graph=SHARED.value)
    kg.load([figure], graph=SHARED.value)
    after_one = len(in_graph(kg, SHARED))

    kg.load([figure], graph=SHARED.value, replace=True)

    shared = in_graph(kg, SHARED)
    assert len(shared) == after_one == 5
    assert sum(q.predicate == ox.NamedNode(EX + "amount") for q in shared) == 1
    assert ox.Literal("kept") in {q.object for q in shared}
    assert ox.Literal("a deal") in {q.object for q in shared}


def test_replace_can_move_a_load_to_another_graph(kg: KnowledgeGraph) -> None:
    kg.load([CLAIM], graph=SHARED.value)
    elsewhere = ox.NamedNode(EX + "elsewhere")

    kg.load([CLAIM], graph=elsewhere.value, replace=True)

    assert in_graph(kg, SHARED) == []
    assert len(in_graph(kg, elsewhere)) == 3


def test_replace_without_an_earlier_load_is_a_plain_load(kg: KnowledgeGraph) -> None:
    outcome = kg.load([CLAIM], replace=True)

    assert outcome.replaced == ()
    operations = [q.object.value for q in kg.store.quads(None, OPERATION, None, AUDIT)]
    assert operations == ["load"]
