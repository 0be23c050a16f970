"""The embedded store: pyoxigraph on disk, behind the `Store` protocol (`kg.store.protocol`).

Every write goes through `EmbeddedStore.apply_change`, one transaction, which also keeps the
merge of all graphs that the union default graph reads (`kg.store.default_graph`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from kg.errors import KgError
from kg.rdf.syntax_errors import sparql_syntax_error
from kg.store import default_graph
from kg.store.datasets import query_dataset
from kg.store.default_graph import CLIENT_DEFAULT_GRAPH
from kg.store.protocol import Change, QueryResult
from kg.store.terms import OxGraphName, OxSubject, OxTerm


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
        default_graph.ensure_merge(self._store)
        # Counting walks the whole index (about 80 ms at 300k quads) and /healthz and
        # /metrics ask on every call, so the count is kept until the next write. The
        # generation tells a count that raced with a write not to be kept.
        self._generation = 0
        self._count: int | None = None

    def query(
        self,
        sparql: str,
        *,
        union_default_graph: bool = True,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        substitutions: Mapping[str, OxTerm] | None = None,
        hidden_graphs: Sequence[str] = (),
    ) -> QueryResult:
        """Run a SPARQL query.

        Args:
            sparql: the query text.
            union_default_graph: without `default_graphs`, the default graph is the union
                of all graphs (True) or the store's own default graph (False).
            default_graphs: IRIs of the graphs whose merge is the default graph.
            named_graphs: IRIs of the graphs GRAPH clauses may see.
            substitutions: variable name to term, bound before evaluation (SEP-0007).
            hidden_graphs: IRIs of graphs left out of the dataset (`kg.store.datasets`) when
                neither `default_graphs` nor `named_graphs` is given.

        Raises:
            QuerySyntaxError: the query does not parse; the message gives the position.
        """
        kwargs: dict[str, Any] = {}
        if default_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(iri) for iri in default_graphs]
        else:
            kwargs["use_default_graph_as_union"] = union_default_graph
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(iri) for iri in named_graphs]
        hidden: list[ox.NamedNode] = []
        if default_graphs is None and named_graphs is None:
            hidden = [ox.NamedNode(iri) for iri in hidden_graphs]
        target, kwargs = query_dataset(self._store, kwargs, hidden)
        if substitutions:
            kwargs["substitutions"] = {ox.Variable(k): v for k, v in substitutions.items()}
        try:
            return target.query(sparql, **kwargs)
        except SyntaxError as exc:
            raise sparql_syntax_error(str(exc), sparql) from None

    def apply_change(self, change: Change) -> None:
        """Apply a change in one transaction: all of it is written, or none.

        Raises:
            KgError: the change holds a blank node. DELETE DATA cannot name a stored blank
                node and INSERT DATA would rename it, so every write path skolemizes first
                (`kg.rdf.loading.skolemize`); one that did not is a bug, never a silent loss.
        """
        refuse_blank_nodes(change)
        try:
            self._write(change)
        finally:
            self._written()

    def _write(self, change: Change) -> None:
        added, removed = default_graph.stored_change(self._store, change)
        if not (removed or change.dropped_graphs or change.created_graphs):
            self._store.extend(added)
            return
        # pyoxigraph has no Python-level transaction object; one SPARQL update is one
        # transaction, so such a change is written as DELETE DATA, DROP, INSERT DATA, CREATE.
        parts = []
        if removed:
            parts.append(f"DELETE DATA {{ {_quads_block(removed)} }}")
        parts.extend(f"DROP SILENT GRAPH {graph}" for graph in change.dropped_graphs)
        if added:
            parts.append(f"INSERT DATA {{ {_quads_block(added)} }}")
        parts.extend(f"CREATE SILENT GRAPH {graph}" for graph in change.created_graphs)
        self._store.update(" ;\n".join(parts))
        default_graph.drop_empty_client_default(self._store)

    def quads(
        self,
        subject: OxSubject | None = None,
        predicate: ox.NamedNode | None = None,
        object: OxTerm | None = None,
        graph: OxGraphName | None = None,
    ) -> Iterator[ox.Quad]:
        """Iterate over the quads that match a pattern (None matches anything)."""
        stored = None if graph is None else default_graph.stored_graph(graph)
        return default_graph.to_client(
            self._store.quads_for_pattern(subject, predicate, object, stored)
        )

    def count(self) -> int:
        """Return the number of quads in all graphs (kept until the next write)."""
        count, generation = self._count, self._generation
        if count is None:
            merge = self._store.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
            assert isinstance(merge, ox.QuerySolutions)
            count = len(self._store) - int(next(merge)["n"].value)
            if generation == self._generation:
                self._count = count
        return count

    def _written(self) -> None:
        """Forget the count: every write method calls this, whether it succeeded or not."""
        self._generation += 1
        self._count = None

    def graphs(self) -> list[ox.NamedNode | ox.BlankNode]:
        """Return the names of the named graphs."""
        return [g for g in self._store.named_graphs() if g != CLIENT_DEFAULT_GRAPH]

    def contains_graph(self, graph: ox.NamedNode) -> bool:
        """Tell whether a named graph exists."""
        return graph != CLIENT_DEFAULT_GRAPH and bool(self._store.contains_named_graph(graph))

    def dump(self, output: BinaryIO, fmt: ox.RdfFormat, graph: ox.NamedNode | None = None) -> None:
        """Serialize the dataset, or one graph, to a binary stream."""
        if graph is None:
            ox.serialize(self.quads(), output, fmt)
        else:
            self._store.dump(output, fmt, from_graph=graph)

    def scratch_copy(self, directory: Path) -> EmbeddedStore:
        """Open a writable copy of the store, to try changes on without touching it.

        On disk the copy is a RocksDB checkpoint made in `directory` (which must not exist):
        hard links to the immutable table files, so it takes milliseconds whatever the
        store's size. An in-memory store is copied quad by quad. The caller closes the copy
        and deletes `directory`.
        """
        if self.path is None:
            copy = EmbeddedStore(None)
            copy._store.extend(self._store)
            for graph in self._store.named_graphs():
                copy._store.add_graph(graph)
            return copy
        self._store.backup(str(directory))
        return EmbeddedStore(directory)

    def bulk_add(self, quads: Iterable[ox.Quad]) -> None:
        """Add many quads without holding them in memory (not transactional: bench only)."""
        try:
            self._store.bulk_extend(default_graph.with_merge(quads))
        finally:
            self._written()

    def backup(self, target_directory: str, /) -> None:
        """Write a consistent checkpoint of the store into a new directory.

        The query workers read these (`kg.query.checkpoints`): on the same file system it is hard
        links to the immutable table files, so its cost does not grow with the store.

        Raises:
            OSError: the directory exists already or cannot be written.
        """
        self._store.backup(target_directory)

    def close(self) -> None:
        """Flush to disk and release the store."""
        self._store.flush()
        del self._store


def refuse_blank_nodes(change: Change) -> None:
    """Raise if a change holds a blank node anywhere (subject, object or graph name).

    Raises:
        KgError: names the first quad found.
    """
    for quad in (*change.removed, *change.added):
        if any(isinstance(term, ox.BlankNode) for term in _terms(quad)):
            raise KgError(
                f"a change holds the blank node quad {quad}; it cannot be written",
                "blank nodes are skolemized (kg.store.skolem.skolemize) before a change is applied",
            )


def _terms(quad: ox.Quad) -> Iterator[object]:
    yield quad.subject
    yield quad.graph_name
    yield quad.object
    for term in (quad.subject, quad.object):
        if isinstance(term, ox.Triple):  # RDF-star: a quoted triple may hold blank nodes
            yield from _terms(ox.Quad(term.subject, term.predicate, term.object))


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
