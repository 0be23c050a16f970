"""The store keeps its quad count between writes, and every kind of write forgets it."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.errors import QuerySyntaxError
from kg.store.embedded import EmbeddedStore
from kg.store.protocol import Change

EX = "http://example.org/count/"


def quad(n: int) -> ox.Quad:
    return ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal(n), ox.DefaultGraph())


def test_each_write_path_is_seen_by_the_next_count() -> None:
    store = EmbeddedStore(None)
    assert store.count() == 0
    store.apply_change(Change(added=[quad(1), quad(2)]))
    assert store.count() == 2
    store.apply_change(Change(removed=[quad(1)]))
    assert store.count() == 1
    store.update(f"INSERT DATA {{ <{EX}s> <{EX}p> 3 }}")
    assert store.count() == 2
    store.bulk_add([quad(4)])
    assert store.count() == 3


def test_a_failed_write_still_forgets_the_count() -> None:
    store = EmbeddedStore(None)
    store.apply_change(Change(added=[quad(1)]))
    assert store.count() == 1
    with pytest.raises(QuerySyntaxError):
        store.update("INSERT DATA {")
    assert store.count() == 1
