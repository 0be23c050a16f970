"""RocksDB checkpoints of the primary store, the only thing the query workers ever open.

Workers never open the live store: `Store.read_only` on a store that another process writes
is undefined behaviour. The owner of the primary store makes a checkpoint after each
committed write (`Store.backup`: hard links to the immutable table files, so its cost does
not grow with the store: 7-10 ms here on a quiet disk, 40-90 ms while other jobs load it,
being fsync-bound) in ``<data_dir>/snapshots/<generation>``. A worker opens the newest
checkpoint read-only before its next query, and a checkpoint is deleted once no running
query reads it. One query reads one checkpoint, so it sees the dataset before or after a
write, never half.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Protocol


class SupportsBackup(Protocol):
    """The primary store, as far as checkpoints go: `pyoxigraph.Store` is one."""

    def backup(self, target_directory: str, /) -> None: ...


class Checkpoints:
    """Checkpoints of the primary store, one directory per generation.

    A generation is deleted once it is no longer the newest and no running query reads it.
    An idle worker may still hold an older one open; it only closes it, before opening the
    newest for its next query.

    Args:
        root: the directory that holds one subdirectory per generation.
        primary: the open primary store, which makes the checkpoints.
    """

    def __init__(self, root: Path, primary: SupportsBackup) -> None:
        self._root = root
        self._primary = primary
        self._generation = 0
        self._readers: dict[int, int] = {}
        self._lock = threading.Lock()
        self._advancing = threading.Lock()

    def reset(self) -> None:
        """Delete checkpoints left by an earlier run (they are never reused)."""
        shutil.rmtree(self._root, ignore_errors=True)
        self._root.mkdir(parents=True)

    def advance(self) -> None:
        """Checkpoint the primary store as the next generation."""
        with self._advancing:  # one checkpoint at a time: generations follow commit order
            generation = self._generation + 1
            self._primary.backup(str(self._path(generation)))
            with self._lock:
                previous, self._generation = self._generation, generation
                unread = previous > 0 and previous not in self._readers
        if unread:
            self._remove(previous)

    def acquire(self) -> tuple[int, str]:
        """Return the newest generation and its path, counted as read until `release`."""
        with self._lock:
            generation = self._generation
            self._readers[generation] = self._readers.get(generation, 0) + 1
        return generation, str(self._path(generation))

    def release(self, generation: int) -> None:
        """Stop counting one reader of `generation`; delete it if it was the last of an old one."""
        with self._lock:
            self._readers[generation] -= 1
            if self._readers[generation]:
                return
            del self._readers[generation]
            stale = generation != self._generation
        if stale:
            self._remove(generation)

    def remove_all(self) -> None:
        """Delete every checkpoint."""
        shutil.rmtree(self._root, ignore_errors=True)

    def _path(self, generation: int) -> Path:
        return self._root / f"{generation:08d}"

    def _remove(self, generation: int) -> None:
        shutil.rmtree(self._path(generation), ignore_errors=True)
