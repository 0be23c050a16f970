"""`kg.rdf.export`: export formats and file names, and exports streamed as chunks."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from itertools import count
from typing import BinaryIO

import pyoxigraph as ox
import pytest

from kg.errors import BadParameter, UnknownResource
from kg.namespaces import ARTICLE_GRAPH, BASE_IRI
from kg.rdf.export import export_filename, export_syntax, stream_writes

CHUNK = 1024
MAX_CHUNKS = 3
DEADLINE_S = 10.0
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def test_an_unknown_export_format_lists_the_accepted_ones() -> None:
    with pytest.raises(BadParameter) as raised:
        export_syntax("rdfxml")

    assert raised.value.hint == "accepted formats: nq, trig, ttl, jsonld"


@pytest.mark.parametrize(
    ("name", "suffix"), [("nq", "nq"), ("TriG", "trig"), ("ttl", "ttl"), ("jsonld", "jsonld")]
)
def test_the_contract_names_map_to_their_syntaxes(name: str, suffix: str) -> None:
    assert export_syntax(name).suffix == suffix


@pytest.mark.parametrize(
    ("graph", "filename"),
    [
        (None, "aicap.ttl"),
        (str(ARTICLE_GRAPH), "aicap-article.ttl"),
        (BASE_IRI + "graph/load/1b2c", "aicap-load-1b2c.ttl"),
        ("http://example.org/data#main", "aicap-main.ttl"),
        ('http://example.org/"; evil=1', "aicap-evil-1.ttl"),
    ],
)
def test_export_file_names_say_what_was_exported(graph: str | None, filename: str) -> None:
    assert export_filename(export_syntax("ttl"), graph, BASE_IRI) == filename


def test_the_chunks_are_what_the_writer_wrote_in_order() -> None:
    def write(out: BinaryIO) -> None:
        for i in range(1000):
            out.write(f"line {i}\n".encode())

    chunks = list(stream_writes(write, chunk_bytes=CHUNK, max_chunks=MAX_CHUNKS))

    assert b"".join(chunks) == b"".join(f"line {i}\n".encode() for i in range(1000))
    assert all(len(c) >= CHUNK for c in chunks[:-1])


def test_the_first_chunk_arrives_while_the_writer_is_still_writing() -> None:
    go_on = threading.Event()

    def write(out: BinaryIO) -> None:
        out.write(b"x" * CHUNK)
        if not go_on.wait(DEADLINE_S):  # held until the reader has the first chunk
            raise TimeoutError("the reader never saw the first chunk")
        out.write(b"y")

    chunks = stream_writes(write, chunk_bytes=CHUNK, max_chunks=MAX_CHUNKS)

    assert next(chunks) == b"x" * CHUNK
    go_on.set()
    assert list(chunks) == [b"y"]


def test_a_slow_reader_holds_the_writer_back() -> None:
    written = count()
    progress: list[int] = []

    def write(out: BinaryIO) -> None:
        for _ in range(1000):
            out.write(b"z" * CHUNK)
            progress.append(next(written))

    chunks = stream_writes(write, chunk_bytes=CHUNK, max_chunks=MAX_CHUNKS)
    next(chunks)
    wait_until(lambda: len(progress) >= MAX_CHUNKS + 1)
    time.sleep(0.2)  # time for a writer that is not held back to run far ahead

    assert len(progress) <= MAX_CHUNKS + 2
    chunks.close()


def test_closing_the_stream_stops_an_endless_serialization() -> None:
    failures: list[BaseException] = []

    def endless_quads() -> Iterator[ox.Quad]:
        for i in count():
            yield ox.Quad(
                ox.NamedNode(f"http://example.org/s{i}"),
                ox.NamedNode("http://example.org/p"),
                ox.Literal(str(i)),
            )

    def write(out: BinaryIO) -> None:
        try:
            ox.serialize(endless_quads(), out, ox.RdfFormat.N_QUADS)
        except BaseException as error:
            failures.append(error)
            raise

    chunks = stream_writes(write, chunk_bytes=CHUNK, max_chunks=MAX_CHUNKS)
    assert next(chunks).startswith(b"<http://example.org/s0>")

    chunks.close()  # joins the writer thread: it must have stopped

    assert isinstance(failures[0], OSError)
    assert not [t for t in threading.enumerate() if t.name == "aicap-export"]


def test_an_error_before_the_first_byte_reaches_the_reader() -> None:
    def write(out: BinaryIO) -> None:
        raise UnknownResource("no graph http://example.org/nope")

    chunks = stream_writes(write)

    with pytest.raises(UnknownResource, match="nope"):
        next(chunks)


def test_an_error_is_re_raised_without_the_writers_store_iterators() -> None:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://example.org/s"), RDF_TYPE, RDF_TYPE))

    def write(out: BinaryIO) -> None:
        open_iterator = store.quads_for_pattern(None, None, None, None)
        next(open_iterator)
        raise UnknownResource("no graph http://example.org/nope")

    with pytest.raises(UnknownResource) as raised:
        next(stream_writes(write))

    # pyoxigraph iterators may only be dropped by the thread that made them; had the
    # writer's frames come along in the traceback, dropping them here would raise.
    gc.collect()
    assert raised.value.__notes__[0].startswith("in the export thread:")
    assert "in write" in raised.value.__notes__[0]


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
