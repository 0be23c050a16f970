"""Exports: the dataset, or one graph, written or streamed without holding it in memory.

`write_dataset` writes to a binary stream (the CLI hands it a file or stdout).
An HTTP response wants an iterator of bytes instead, started before the export is done.
`stream_export` runs that same `export` in a producer thread that writes into a bounded
pipe, and yields the chunks as they come: at most `MAX_CHUNKS` chunks of about
`CHUNK_BYTES` wait in memory, and the writer blocks while the reader is behind. When the
reader stops early (the client went away), the writer's next write fails and the export
ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import queue
import re
import threading
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO, Final, Protocol, cast

import pyoxigraph as ox

from kg.errors import BadParameter, UnknownResource
from kg.namespaces import PREFIXES
from kg.rdf.formats import EXPORT_NAMES, RdfSyntax, rdf_syntax
from kg.rdf.parsing import graph_iri
from kg.store.protocol import Store

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

CHUNK_BYTES = 64 * 1024
"""Bytes gathered before a chunk is handed to the reader."""
MAX_CHUNKS = 8
"""Chunks that may wait for the reader; the writer blocks beyond (memory stays bounded)."""
POLL_S = 0.1
"""How often a blocked writer checks whether the reader went away."""

_DONE: Final = object()


class Exporter(Protocol):
    """What can be exported: `KnowledgeGraph` (tests put their own in its place)."""

    def export(self, output: BinaryIO, fmt: str, graph: str | None) -> None:
        """Write the dataset, or one graph, to `output`."""


def write_dataset(store: Store, output: BinaryIO, fmt: str, graph: str | None = None) -> None:
    """Write the dataset, or one graph, with its graph names where the syntax has them.

    Args:
        store: what to write.
        output: a binary stream.
        fmt: nq, trig, ttl or jsonld (or any RDF syntax name of `kg.rdf.formats`). Turtle
            of the whole dataset is the merge of all its graphs.
        graph: one graph's IRI; None for the whole dataset.

    Raises:
        UnsupportedFormat: an unknown format name.
        BadParameter: `graph` is not an IRI.
        UnknownResource: no graph with that IRI.
    """
    syntax = rdf_syntax(fmt)
    node = None if graph is None else _existing_graph(store, graph)
    quads = store.quads(graph=node)
    items: Iterable[ox.Quad] | Iterable[ox.Triple] = quads
    if not syntax.supports_datasets:  # one graph has no duplicates; the dataset may
        items = _merged(quads) if node is None else (q.triple for q in quads)
    ox.serialize(items, output, syntax.ox_format, prefixes=PREFIXES)


def _existing_graph(store: Store, graph: str) -> ox.NamedNode:
    node = graph_iri(graph)
    names = store.graphs()
    if node not in names:
        known = sorted(str(g.value) for g in names if isinstance(g, ox.NamedNode))
        raise UnknownResource(f"no graph {graph}", known)
    return node


def _merged(quads: Iterable[ox.Quad]) -> Iterator[ox.Triple]:
    """The triples of some quads, each once: the RDF merge of their graphs.

    One pass over the store's snapshot that remembers a 128-bit digest of each triple
    written, not the triple: at 300k quads the merge holds 31 MB instead of 119 MB
    (bench/export.py). Two distinct triples share a digest with a probability of about
    n²/2¹²⁹: nil at any size this store holds.
    """
    seen: set[bytes] = set()
    for quad in quads:
        digest = hashlib.blake2b(str(quad.triple).encode(), digest_size=16).digest()
        if digest not in seen:
            seen.add(digest)
            yield quad.triple


def export_syntax(name: str) -> RdfSyntax:
    """Return the syntax of an export format name: ``nq``, ``trig``, ``ttl`` or ``jsonld``.

    Raises:
        BadParameter: any other name; the message lists the accepted ones.
    """
    if name.lower() not in EXPORT_NAMES:
        raise BadParameter(
            f"unknown export format {name!r}", "accepted formats: " + ", ".join(EXPORT_NAMES)
        )
    return rdf_syntax(name.lower())


def export_filename(syntax: RdfSyntax, graph: str | None, base_iri: str) -> str:
    """Return a file name for an export: ``aicap.trig``, ``aicap-article.ttl`` ..."""
    if graph is None:
        return f"aicap.{syntax.suffix}"
    local = graph.removeprefix(f"{base_iri}graph/")
    if local == graph:
        local = re.split(r"[/#:]", graph.rstrip("/#"))[-1]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", local).strip("-.")[:80] or "graph"
    return f"aicap-{slug}.{syntax.suffix}"


def stream_export(kg: Exporter, fmt: str, graph: str | None = None) -> Generator[bytes, None, None]:
    """Yield `Exporter.export` of the dataset (or one graph) in chunks, as produced.

    The export starts on the first ``next()``. An error the export raises before its
    first byte (unknown graph, bad format) is raised by that ``next()``, so a caller can
    still answer with an error status.

    Raises:
        UnsupportedFormat: an unknown format name.
        BadParameter: `graph` is not an IRI.
        UnknownResource: no graph with that IRI.
    """
    return stream_writes(lambda output: kg.export(output, fmt, graph))


def stream_writes(
    write: Callable[[BinaryIO], None],
    *,
    chunk_bytes: int = CHUNK_BYTES,
    max_chunks: int = MAX_CHUNKS,
) -> Generator[bytes, None, None]:
    """Run ``write(stream)`` in a thread and yield what it writes, in chunks.

    Args:
        write: writes everything to the binary stream it is given.
        chunk_bytes: bytes gathered per chunk.
        max_chunks: chunks that may wait; the writer blocks beyond.

    Raises:
        Exception: whatever `write` raised, re-raised in the reader.
    """
    pipe = _Pipe(chunk_bytes, max_chunks)
    thread = threading.Thread(target=pipe.run, args=(write,), name="aicap-export", daemon=True)
    thread.start()
    try:
        while (item := pipe.take()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield cast(bytes, item)
    finally:
        pipe.cancel()
        thread.join()


class _Pipe(io.RawIOBase):
    """A writable stream whose bytes a reader takes as chunks from a bounded queue."""

    def __init__(self, chunk_bytes: int, max_chunks: int) -> None:
        super().__init__()
        self._chunk_bytes = chunk_bytes
        self._queue: queue.Queue[object] = queue.Queue(max_chunks)
        self._buffer = bytearray()
        self._cancelled = threading.Event()

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer) -> int:
        """Gather bytes; hand over a chunk once `chunk_bytes` are gathered."""
        if self._cancelled.is_set():
            raise BrokenPipeError("the reader of the export went away")
        view = memoryview(data)
        self._buffer += view
        if len(self._buffer) >= self._chunk_bytes:
            self._hand_over(bytes(self._buffer))
            self._buffer.clear()
        return view.nbytes

    def run(self, write: Callable[[BinaryIO], None]) -> None:
        """Write everything, then hand over the rest and the end (or the error)."""
        try:
            write(cast(BinaryIO, self))
            if self._buffer:
                self._hand_over(bytes(self._buffer))
            self._hand_over(_DONE)
        except BrokenPipeError:
            pass  # the reader went away: nobody is left to tell
        except BaseException as error:  # handed to the reader, who re-raises it
            with contextlib.suppress(BrokenPipeError):
                self._hand_over(_detached(error))

    def take(self) -> object:
        """Return the next chunk, `_DONE`, or the writer's error (blocks until one comes)."""
        return self._queue.get()

    def cancel(self) -> None:
        """Tell the writer the reader is gone: its next write raises BrokenPipeError."""
        self._cancelled.set()

    def _hand_over(self, item: object) -> None:
        while True:
            if self._cancelled.is_set():
                raise BrokenPipeError("the reader of the export went away")
            try:
                self._queue.put(item, timeout=POLL_S)
                return
            except queue.Full:
                continue


def _detached(error: BaseException) -> BaseException:
    """Strip an error of the writer's frames before it crosses to the reader's thread.

    A traceback keeps the writer's frames alive, and with them the store iterators they
    hold; pyoxigraph's iterators may only be dropped on the thread that made them (it
    raises otherwise). The traceback survives as text in a note, for the service log.
    """
    note = "in the export thread:\n" + "".join(traceback.format_tb(error.__traceback__))
    chained: BaseException | None = error
    seen: set[int] = set()
    while chained is not None and id(chained) not in seen:
        seen.add(id(chained))
        chained.__traceback__ = None
        chained = chained.__cause__ or chained.__context__
    error.add_note(note.rstrip())
    return error
