"""The store keeps its quad count between writes, and every kind of write forgets it."""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest

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
    store.bulk_add([quad(4)])
    assert store.count() == 2


def test_a_failed_write_still_forgets_the_count() -> None:
    store = EmbeddedStore(None)
    store.apply_change(Change(added=[quad(1)]))
    assert store.count() == 1

    def broken() -> Iterator[ox.Quad]:
        yield quad(2)
        raise OSError("the disk went away")

    with pytest.raises(OSError):
        store.bulk_add(broken())
    assert store.count() == sum(1 for _ in store.quads())  # whatever the loader kept
