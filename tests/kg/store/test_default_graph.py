"""The default graph is a set: a triple several graphs hold is one triple to every query.

The store keeps the merge of all graphs in each write's transaction (`kg.store.default_graph`);
these tests check it against the merge computed here from the quads, after every kind of
write, and every way a default graph can be made of several graphs.
"""

from __future__ import annotations

import random
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.config import Settings
from kg.query.dataset import client_request, dataset_clause
from kg.store.default_graph import CLIENT_DEFAULT_GRAPH
from kg.store.embedded import EmbeddedStore
from kg.store.protocol import Change

EX = "http://example.org/set/"
G1, G2, G3 = (ox.NamedNode(f"{EX}g{i}") for i in (1, 2, 3))
DEFAULT = ox.DefaultGraph()
P = ox.NamedNode(EX + "amount")


def quad(subject: str, amount: int, graph: ox.NamedNode | ox.DefaultGraph) -> ox.Quad:
    return ox.Quad(ox.NamedNode(EX + subject), P, ox.Literal(amount), graph)


def number(store: EmbeddedStore, sparql: str, **dataset: object) -> int:
    result = store.query(sparql, **dataset)  # type: ignore[arg-type]
    assert isinstance(result, ox.QuerySolutions)
    return int(next(iter(result))["n"].value)  # type: ignore[union-attr]


def union_triples(store: EmbeddedStore) -> list[ox.Triple]:
    result = store.query("SELECT ?s ?p ?o { ?s ?p ?o }", union_default_graph=True)
    assert isinstance(result, ox.QuerySolutions)
    return [ox.Triple(row["s"], row["p"], row["o"]) for row in result]  # type: ignore[arg-type]


def test_a_triple_in_two_graphs_counts_once_and_sums_once() -> None:
    store = EmbeddedStore(None)
    store.apply_change(Change(added=[quad("t", 300, G1), quad("t", 300, G2), quad("u", 22, G1)]))
    assert number(store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == 2
    assert number(store, "SELECT (SUM(?a) AS ?n) { ?s ?p ?a }") == 322
    path = f"SELECT (COUNT(*) AS ?n) {{ ?s <{P.value}>/^<{P.value}> ?s }}"
    assert number(store, path) == 2  # a path over the set: each start once
    triples = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", union_default_graph=True)
    assert len(list(triples)) == 2
    # GRAPH still sees each graph with what it holds
    assert number(store, "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }") == 3


def test_a_triple_leaves_the_union_only_with_its_last_graph() -> None:
    store = EmbeddedStore(None)
    store.apply_change(Change(added=[quad("t", 1, G1), quad("t", 1, G2)]))
    store.apply_change(Change(removed=[quad("t", 1, G1)]))
    assert len(union_triples(store)) == 1
    store.apply_change(Change(removed=[quad("t", 1, G2)], dropped_graphs=[G2]))
    assert union_triples(store) == []
    assert store.count() == 0


def test_moving_a_triple_between_graphs_in_one_change_keeps_it() -> None:
    store = EmbeddedStore(None)
    store.apply_change(Change(added=[quad("t", 1, G1)]))
    store.apply_change(Change(removed=[quad("t", 1, G1)], added=[quad("t", 1, G2)]))
    assert len(union_triples(store)) == 1
    assert [q.graph_name for q in store.quads()] == [G2]


def test_the_clients_default_graph_is_kept_apart_and_never_listed() -> None:
    store = EmbeddedStore(None)
    store.apply_change(Change(added=[quad("d", 1, DEFAULT), quad("t", 2, G1)]))
    assert [q.graph_name for q in store.quads(graph=DEFAULT)] == [DEFAULT]
    assert store.graphs() == [G1]
    assert not store.contains_graph(CLIENT_DEFAULT_GRAPH)
    assert store.count() == 2
    strict = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    assert number(store, strict, union_default_graph=False) == 1
    assert number(store, strict, union_default_graph=True) == 2
    graphs = "SELECT (COUNT(DISTINCT ?g) AS ?n) { GRAPH ?g { ?s ?p ?o } }"
    assert number(store, graphs, union_default_graph=True) == 1
    assert number(store, graphs, union_default_graph=False) == 1
    store.apply_change(Change(removed=[quad("d", 1, DEFAULT)]))
    raw = store._store  # the holder must go once empty, so that no query has to hide it
    assert not raw.contains_named_graph(CLIENT_DEFAULT_GRAPH)
    assert number(store, strict, union_default_graph=False) == 0


def test_a_default_graph_of_several_graphs_is_their_merge() -> None:
    store = EmbeddedStore(None)
    store.apply_change(
        Change(added=[quad("t", 5, G1), quad("t", 5, G2), quad("u", 7, G2), quad("v", 9, G3)])
    )
    total = "SELECT (SUM(?a) AS ?n) { ?s ?p ?a }"
    g1, g2, g3 = (g.value for g in (G1, G2, G3))
    assert number(store, total, default_graphs=[g1, g2], named_graphs=[]) == 12
    assert number(store, total, default_graphs=[g1, g2, g3], named_graphs=[]) == 21
    assert number(store, total, default_graphs=[g1, g1], named_graphs=[]) == 5
    # the named graphs of such a dataset are the ones listed, each as stored
    named = "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"
    assert number(store, named, default_graphs=[g1, g2], named_graphs=[g2]) == 2
    assert number(store, named, default_graphs=[g1, g2], named_graphs=[]) == 0


def test_from_clauses_become_the_protocols_lists_resolved_by_the_engine() -> None:
    text = """PREFIX g: <http://example.org/set/>
        BASE <http://example.org/set/>
        SELECT * FROM g:g1 FROM <g2> FROM NAMED <g3> # FROM <not-a-clause>
        WHERE { ?s ?p "FROM <nor-this>" }"""
    assert dataset_clause(text) == ([G1.value, G2.value], [G3.value])
    assert dataset_clause("SELECT * { ?from ?p ?o }") is None
    relative = dataset_clause("SELECT * FROM <g9> { }", base_iri=EX)
    assert relative == ([EX + "g9"], [])
    request = client_request(f"SELECT * FROM <{G1.value}> FROM <{G2.value}> {{ }}", Settings())
    assert (request.default_graphs, request.named_graphs) == ([G1.value, G2.value], [])


@pytest.mark.parametrize("others", [[], [quad("v", 9, G3)]], ids=["all-graphs", "some"])
def test_two_from_clauses_count_a_shared_triple_once(others: list[ox.Quad]) -> None:
    store = EmbeddedStore(None)
    store.apply_change(Change(added=[quad("t", 5, G1), quad("t", 5, G2), *others]))
    request = client_request(
        f"SELECT (COUNT(*) AS ?n) FROM <{G1.value}> FROM <{G2.value}> {{ ?s ?p ?o }}", Settings()
    )
    answer = number(
        store,
        request.sparql,
        default_graphs=request.default_graphs,
        named_graphs=request.named_graphs,
    )
    assert answer == 1


def test_random_writes_keep_the_union_equal_to_the_merge_of_the_quads() -> None:
    """Every kind of change, at random, against the merge computed from the quads."""
    rng = random.Random(20251013)
    store = EmbeddedStore(None)
    graphs: list[ox.NamedNode | ox.DefaultGraph] = [G1, G2, G3, DEFAULT]
    for _step in range(300):
        held = list(store.quads())
        added = [
            quad(f"s{rng.randrange(6)}", rng.randrange(3), rng.choice(graphs)) for _ in range(3)
        ]
        removed = rng.sample(held, min(len(held), rng.randrange(4)))
        dropped = []
        if rng.random() < 0.05:
            graph = rng.choice([G1, G2, G3])
            dropped = [graph] if store.contains_graph(graph) else []
            removed += [q for q in held if q.graph_name == graph and q not in removed]
        store.apply_change(Change(added=added, removed=removed, dropped_graphs=dropped))
        expected = {q.triple for q in store.quads()}
        got = union_triples(store)
        assert len(got) == len(set(got))
        assert set(got) == expected
        assert store.count() == len(list(store.quads()))


def test_a_store_written_before_the_merge_gets_it_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "store"
    old = ox.Store(str(path))
    old.extend([quad("t", 1, G1), quad("t", 1, G2), quad("d", 2, DEFAULT)])
    old.flush()
    del old
    store = EmbeddedStore(path)
    assert store.count() == 3
    assert [q.graph_name for q in store.quads(graph=DEFAULT)] == [DEFAULT]
    assert sorted(t.subject.value for t in union_triples(store)) == [EX + "d", EX + "t"]
    store.close()
    again = EmbeddedStore(path)  # opened a second time: nothing to build
    assert again.count() == 3
    assert len(union_triples(again)) == 2
    again.close()


@pytest.mark.parametrize("graph", [G1, DEFAULT])
def test_bulk_loads_keep_the_merge(graph: ox.NamedNode | ox.DefaultGraph) -> None:
    store = EmbeddedStore(None)
    store.bulk_add([quad("t", 1, graph), quad("t", 1, G3)])
    assert len(union_triples(store)) == 1
    assert store.count() == 2
