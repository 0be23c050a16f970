"""What the library needs from a triplestore: the `Store` protocol and the `Change` it applies.

Every write goes through `Store.apply_change`, one transaction, so a failed write leaves the
store as it was. The embedded pyoxigraph store (`kg.store.embedded`) implements it; a remote
SPARQL 1.1 store can implement the same protocol and everything above works unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

import pyoxigraph as ox

from kg.store.terms import OxGraphName, OxSubject, OxTerm

QueryResult = ox.QuerySolutions | ox.QueryTriples | ox.QueryBoolean


@dataclass
class Change:
    """A change to the dataset, applied together: quads removed, graphs dropped, quads
    added, empty graphs created (in that order).

    Graph names are kept by the store apart from quads: removing every quad of a named
    graph leaves the graph (empty), so dropping one (GSP DELETE, SPARQL DROP) and creating
    an empty one (SPARQL CREATE, a PUT of nothing) are changes of their own. A dropped
    graph's quads are listed in `removed` too, so that validation sees them go.
    """

    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)
    dropped_graphs: list[ox.NamedNode] = field(default_factory=list)
    created_graphs: list[ox.NamedNode] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.added)
            + len(self.removed)
            + len(self.dropped_graphs)
            + len(self.created_graphs)
        )


class Store(Protocol):
    """What the rest of the library needs from a triplestore."""

    def query(
        self,
        sparql: str,
        *,
        union_default_graph: bool = True,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        substitutions: Mapping[str, OxTerm] | None = None,
        hidden_graphs: Sequence[str] = (),
    ) -> QueryResult: ...

    def apply_change(self, change: Change) -> None: ...

    def contains_graph(self, graph: ox.NamedNode) -> bool: ...

    def scratch_copy(self, directory: Path) -> Store: ...

    def quads(
        self,
        subject: OxSubject | None = None,
        predicate: ox.NamedNode | None = None,
        object: OxTerm | None = None,
        graph: OxGraphName | None = None,
    ) -> Iterator[ox.Quad]: ...

    def count(self) -> int: ...

    def graphs(self) -> list[ox.NamedNode | ox.BlankNode]: ...

    def dump(
        self, output: BinaryIO, fmt: ox.RdfFormat, graph: ox.NamedNode | None = None
    ) -> None: ...

    def backup(self, target_directory: str, /) -> None: ...

    def close(self) -> None: ...
