"""The dataset as a request's earlier operations left it, and their net change.

SPARQL 1.1 Update runs the operations of a request in order: a later operation sees what
the earlier ones did (``INSERT DATA {…} ; DELETE WHERE {…}`` deletes what was just
inserted). Nothing may reach the store before the whole request is validated, so the
operations run against a `Workspace`:

- while no operation has changed anything, they read the store itself (the common case:
  one operation, or data operations that read nothing);
- once one has, the next operation that reads gets a scratch copy of the store, opened
  writable and brought up to date with the change so far; later deltas are applied to it
  as they come. On disk the copy is a RocksDB checkpoint (hard links to the immutable
  table files: milliseconds, whatever the store's size; `EmbeddedStore.scratch_copy`).

The net change is kept relative to the store: a quad added then removed is neither, a
stored quad removed then added again is neither, and a graph dropped then created again
was only cleared. That change is what `KnowledgeGraph.commit` validates and writes, in one
transaction.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import pyoxigraph as ox

from kg.store.protocol import Change, Store


class Workspace:
    """The store as one request's operations see it, and the net change they make.

    Args:
        store: the store the change will be applied to (read, never written).
        scratch_root: the directory where a scratch copy is made if one is needed (on the
            store's file system, so that the checkpoint is hard links).
    """

    def __init__(self, store: Store, scratch_root: Path) -> None:
        self._store = store
        self._scratch_root = scratch_root
        self._scratch: Store | None = None
        self._scratch_dir: Path | None = None
        self._added: dict[ox.Quad, None] = {}
        self._removed: dict[ox.Quad, None] = {}
        self._created: dict[ox.NamedNode, None] = {}
        self._dropped: dict[ox.NamedNode, None] = {}

    def view(self) -> Store:
        """Return the dataset as the operations so far left it, to read from."""
        if self._scratch is not None:
            return self._scratch
        if not self._changed():
            return self._store
        self._scratch_dir = Path(tempfile.mkdtemp(prefix="update-", dir=self._scratch_root))
        scratch = self._store.scratch_copy(self._scratch_dir / "store")
        scratch.apply_change(self.change())
        self._scratch = scratch
        return scratch

    def apply(self, delta: Change) -> None:
        """Record one operation's effect: removals, drops, additions, creations, in order."""
        for quad in delta.removed:
            if quad in self._added:
                del self._added[quad]
            elif self._stored(quad):
                self._removed[quad] = None
        for graph in delta.dropped_graphs:
            if graph in self._created:
                del self._created[graph]
            elif self._store.contains_graph(graph):
                self._dropped[graph] = None
        for quad in delta.added:
            if isinstance(quad.graph_name, ox.NamedNode):
                self._dropped.pop(quad.graph_name, None)  # the graph exists again
            if quad in self._removed:
                del self._removed[quad]
            elif not self._stored(quad):
                self._added[quad] = None
        for graph in delta.created_graphs:
            if graph in self._dropped:
                del self._dropped[graph]
            elif not self._store.contains_graph(graph):
                self._created[graph] = None
        if self._scratch is not None:
            self._scratch.apply_change(delta)

    def change(self) -> Change:
        """Return the net change of the operations so far, relative to the store."""
        return Change(
            added=list(self._added),
            removed=list(self._removed),
            dropped_graphs=list(self._dropped),
            created_graphs=list(self._created),
        )

    def close(self) -> None:
        """Close and delete the scratch copy, if one was made."""
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None
        if self._scratch_dir is not None:
            shutil.rmtree(self._scratch_dir, ignore_errors=True)
            self._scratch_dir = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _changed(self) -> bool:
        return bool(self._added or self._removed or self._created or self._dropped)

    def _stored(self, quad: ox.Quad) -> bool:
        s, o = quad.subject, quad.object
        if isinstance(s, ox.Triple) or isinstance(o, ox.Triple):  # no pattern for those
            candidates = self._store.quads(None, quad.predicate, None, quad.graph_name)
            return any(candidate == quad for candidate in candidates)
        return next(self._store.quads(s, quad.predicate, o, quad.graph_name), None) is not None
