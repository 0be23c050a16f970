"""Blank nodes become Skolem IRIs on every write path; the store refuses them in a change.

pyoxigraph's DELETE DATA cannot name a stored blank node, so a blank node written once
could never be removed (a GSP PUT could not replace its graph). `kg.rdf.loading.skolemize` is
the one place that mints ``<base>.well-known/genid/<id>`` IRIs (RDF 1.1 Concepts, 3.5), and
`EmbeddedStore.apply_change` refuses a change that still holds a blank node.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import KgError
from kg.namespaces import BASE_IRI
from kg.rdf.loading import prepare_load
from kg.store.embedded import EmbeddedStore
from kg.store.protocol import Change
from kg.store.skolem import SKOLEM_PATH, deskolemize, skolemize

EX = "http://example.org/"
P = ox.NamedNode(EX + "p")
G = ox.NamedNode(EX + "g")


def quad(s: ox.NamedNode | ox.BlankNode, o: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.Quad:
    return ox.Quad(s, P, o, G)


def test_skolemize_gives_one_iri_per_blank_node_under_the_genid_path() -> None:
    a, b = ox.BlankNode("a"), ox.BlankNode("b")
    out = skolemize([quad(a, b), quad(b, a), quad(a, ox.Literal("x"))], BASE_IRI)
    first, second, third = out
    assert first.subject == second.object == third.subject
    assert first.object == second.subject != first.subject
    assert isinstance(first.subject, ox.NamedNode)
    assert first.subject.value.startswith(BASE_IRI + SKOLEM_PATH)
    assert third.object == ox.Literal("x")


def test_skolemize_names_blank_graph_names_and_leaves_iris_alone() -> None:
    named = ox.Quad(ox.NamedNode(EX + "s"), P, ox.NamedNode(EX + "o"), ox.BlankNode("g"))
    (out,) = skolemize([named], BASE_IRI)
    assert out.subject == named.subject and out.object == named.object
    assert isinstance(out.graph_name, ox.NamedNode)


def test_deskolemize_turns_skolem_iris_back_into_the_same_blank_nodes() -> None:
    a = ox.BlankNode("a")
    skolem = skolemize([quad(a, a)], BASE_IRI)[0]
    (back,) = deskolemize([skolem.triple])
    assert isinstance(back.subject, ox.BlankNode)
    assert back.subject == back.object
    (kept,) = deskolemize([ox.Triple(ox.NamedNode(EX + "s"), P, ox.NamedNode(EX + "o"))])
    assert kept.subject == ox.NamedNode(EX + "s")


@pytest.mark.parametrize("side", ["added", "removed"])
def test_apply_change_refuses_blank_nodes_and_writes_nothing(side: str) -> None:
    store = EmbeddedStore(None)
    kept = quad(ox.NamedNode(EX + "s"), ox.Literal("kept"))
    blank = quad(ox.BlankNode("b"), ox.Literal("x"))
    change = Change(added=[kept, blank]) if side == "added" else Change(removed=[blank])
    with pytest.raises(KgError, match="blank node"):
        store.apply_change(change)
    assert store.count() == 0


def test_a_loaded_blank_node_can_be_removed_afterwards(tmp_path: Path) -> None:
    path = tmp_path / "data.ttl"
    path.write_text(f"<{EX}s> <{EX}p> [ <{EX}q> 1 ] .\n")
    store = EmbeddedStore(None)
    store.apply_change(prepare_load([path], EX + "g", BASE_IRI).change())
    stored = [q for q in store.quads(graph=G)]
    assert len(stored) == 2
    assert not any(isinstance(q.subject, ox.BlankNode) for q in stored)
    assert not any(isinstance(q.object, ox.BlankNode) for q in stored)

    store.apply_change(Change(removed=stored))

    assert list(store.quads(graph=G)) == []


def test_a_change_drops_and_creates_named_graphs() -> None:
    store = EmbeddedStore(None)
    old = quad(ox.NamedNode(EX + "s"), ox.Literal("old"))
    store.apply_change(Change(added=[old]))
    empty = ox.NamedNode(EX + "empty")

    store.apply_change(Change(removed=[old], dropped_graphs=[G], created_graphs=[empty]))

    assert not store.contains_graph(G)
    assert store.contains_graph(empty)
    assert store.count() == 0


def test_a_scratch_copy_takes_changes_without_touching_the_store(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    try:
        store.apply_change(Change(added=[quad(ox.NamedNode(EX + "s"), ox.Literal("1"))]))
        copy = store.scratch_copy(tmp_path / "copy")
        copy.apply_change(Change(added=[quad(ox.NamedNode(EX + "t"), ox.Literal("2"))]))
        assert (copy.count(), store.count()) == (2, 1)
        copy.close()
    finally:
        store.close()
