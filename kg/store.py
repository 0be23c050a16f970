"""The store behind a small interface: the embedded pyoxigraph store on disk.

Every write goes through `Store.apply_change`, one transaction. A remote SPARQL backend
(`AICAP_BACKEND`) is a later issue; it implements the same protocol.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

import pyoxigraph as ox

from kg.errors import QuerySyntaxError
from kg.terms import OxGraphName, OxSubject, OxTerm

QueryResult = ox.QuerySolutions | ox.QueryTriples | ox.QueryBoolean


@dataclass
class Change:
    """A change to the dataset: quads to add and quads to remove, applied together."""

    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.added) + len(self.removed)


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
    ) -> QueryResult: ...

    def update(self, sparql: str) -> None: ...

    def apply_change(self, change: Change) -> None: ...

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


class EmbeddedStore:
    """A pyoxigraph store on disk (or in memory when `path` is None).

    The on-disk store takes a lock on its directory: one process at a time, which is why
    the service runs one process with threads.
    """

    def __init__(self, path: Path | None) -> None:
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
        self._store = ox.Store(None if path is None else str(path))
        self.path = path

    def query(
        self,
        sparql: str,
        *,
        union_default_graph: bool = True,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        substitutions: Mapping[str, OxTerm] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query.

        Args:
            sparql: the query text.
            union_default_graph: without `default_graphs`, the default graph is the union
                of all graphs (True) or the store's own default graph (False).
            default_graphs: IRIs of the graphs whose merge is the default graph.
            named_graphs: IRIs of the graphs GRAPH clauses may see.
            substitutions: variable name to term, bound before evaluation (SEP-0007).

        Raises:
            QuerySyntaxError: the query does not parse; the message gives the position.
        """
        kwargs: dict[str, object] = {}
        if default_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(iri) for iri in default_graphs]
        else:
            kwargs["use_default_graph_as_union"] = union_default_graph
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(iri) for iri in named_graphs]
        if substitutions:
            kwargs["substitutions"] = {ox.Variable(k): v for k, v in substitutions.items()}
        try:
            return self._store.query(sparql, **kwargs)  # type: ignore[arg-type]
        except SyntaxError as exc:
            raise QuerySyntaxError(f"SPARQL syntax error: {exc}") from None

    def update(self, sparql: str) -> None:
        """Run a SPARQL update in one transaction.

        Raises:
            QuerySyntaxError: the update does not parse.
        """
        try:
            self._store.update(sparql)
        except SyntaxError as exc:
            raise QuerySyntaxError(f"SPARQL update syntax error: {exc}") from None

    def apply_change(self, change: Change) -> None:
        """Remove and add quads in one transaction: all of it is written, or none."""
        if not change.removed:
            self._store.extend(change.added)
            return
        # pyoxigraph has no Python-level transaction object; one SPARQL update is one
        # transaction, so a change that removes is written as DELETE DATA + INSERT DATA.
        parts = [f"DELETE DATA {{ {_quads_block(change.removed)} }}"]
        if change.added:
            parts.append(f"INSERT DATA {{ {_quads_block(change.added)} }}")
        self._store.update(" ;\n".join(parts))

    def quads(
        self,
        subject: OxSubject | None = None,
        predicate: ox.NamedNode | None = None,
        object: OxTerm | None = None,
        graph: OxGraphName | None = None,
    ) -> Iterator[ox.Quad]:
        """Iterate over the quads that match a pattern (None matches anything)."""
        return iter(self._store.quads_for_pattern(subject, predicate, object, graph))

    def count(self) -> int:
        """Return the number of quads in all graphs."""
        return len(self._store)

    def graphs(self) -> list[ox.NamedNode | ox.BlankNode]:
        """Return the names of the named graphs."""
        return list(self._store.named_graphs())

    def contains_graph(self, graph: ox.NamedNode) -> bool:
        """Tell whether a named graph exists."""
        return bool(self._store.contains_named_graph(graph))

    def dump(self, output: BinaryIO, fmt: ox.RdfFormat, graph: ox.NamedNode | None = None) -> None:
        """Serialize the dataset, or one graph, to a binary stream."""
        if graph is None:
            self._store.dump(output, fmt)
        else:
            self._store.dump(output, fmt, from_graph=graph)

    def bulk_add(self, quads: Iterable[ox.Quad]) -> None:
        """Add many quads without holding them in memory (not transactional: bench only)."""
        self._store.bulk_extend(quads)

    def backup(self, target_directory: str, /) -> None:
        """Write a consistent checkpoint of the store into a new directory.

        The query workers read these (`kg.executor`): on the same file system it is hard
        links to the immutable table files, so its cost does not grow with the store.

        Raises:
            OSError: the directory exists already or cannot be written.
        """
        self._store.backup(target_directory)

    def close(self) -> None:
        """Flush to disk and release the store."""
        self._store.flush()
        del self._store


def _quads_block(quads: Iterable[ox.Quad]) -> str:
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        key = "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
        by_graph.setdefault(key, []).append(f"{q.subject} {q.predicate} {q.object} .")
    blocks = []
    for graph_name, lines in by_graph.items():
        body = "\n".join(lines)
        blocks.append(body if not graph_name else f"GRAPH {graph_name} {{ {body} }}")
    return "\n".join(blocks)
