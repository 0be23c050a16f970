"""One query worker process: starting it, and what it runs (the serve loop, the answer to
each job, the serialization of its result).

`Job` is what crosses the pipe to a worker and `QueryResponse` what comes back; the pool of
workers, the queue and the time limit are the service's side (`kg.query.executor`). A
query that crashes the engine (a parser stack overflow on thousands of nested brackets)
kills only its worker, and a worker whose service dies stops with it.

Workers serialize the results and send bytes back. Solutions are first written as TSV,
which holds one solution per line with terms in N-Triples syntax, so cutting after
``max_result_rows`` lines cuts whole rows and loses nothing; pyoxigraph parses that back
and writes the format asked for. For 100k rows that adds 35-100 ms to writing the format
directly, where rdflib's result serializers take 2.7 to 4.6 s (bench/executor_overhead.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import itertools
import multiprocessing
import os
import re
import select
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any, Literal

import pyoxigraph as ox

from kg.rdf.formats import ResultsFormat, rdf_syntax, results_format
from kg.store.datasets import query_dataset

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

SPAWN_TIMEOUT_S = 60.0
"""How long a new worker may take to start before starting it counts as failed."""

STOP_GRACE_S = 2.0
"""How long `Worker.stop` lets an idle worker exit before killing it."""

ResultKind = Literal["solutions", "boolean", "graph"]

_TSV = ox.QueryResultsFormat.TSV
_READY = "ready"


@dataclass(frozen=True)
class QueryResponse:
    """A serialized query result.

    Attributes:
        body: the result in the format asked for.
        media_type: the body's media type.
        kind: ``solutions`` (SELECT), ``boolean`` (ASK) or ``graph`` (CONSTRUCT, DESCRIBE).
        truncated: rows past ``max_result_rows`` were cut (SPARQL JSON then says
            ``"truncated": true`` at the top level).
        rows: solutions or triples in the body (0 for ASK).
        seconds: the time the worker spent evaluating and serializing.
    """

    body: bytes
    media_type: str
    kind: ResultKind
    truncated: bool
    rows: int
    seconds: float


@dataclass(frozen=True)
class Job:
    """What crosses the pipe to a worker: a request with its terms already checked."""

    snapshot: str
    sparql: str
    options: dict[str, Any]
    hidden_graphs: tuple[str, ...]
    result_format: str
    graph_format: str
    skolem_prefix: str | None


@dataclass(eq=False)
class Worker:
    """The service's handle on one worker process: the process and its end of the pipe.

    Attributes:
        process: the worker process.
        conn: the service's end of the pipe; jobs go out and answers come back on it.
    """

    process: BaseProcess
    conn: Connection

    def kill(self) -> None:
        """Stop the process now (SIGKILL: nothing in the engine can delay it)."""
        if self.process.exitcode is None:  # an ended process's pid may be reused
            self.process.kill()
        self.process.join(STOP_GRACE_S)
        self.conn.close()

    def exit_reason(self) -> str:
        """Say how the process ended, for messages."""
        code = self.process.exitcode
        if code is None:
            return "still running"
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit status {code}"

    def stop(self) -> None:
        """Ask an idle process to exit; kill it if it does not."""
        with contextlib.suppress(OSError):  # already gone
            self.conn.send(None)
        self.process.join(STOP_GRACE_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(STOP_GRACE_S)
        self.conn.close()


def spawn(max_rows: int) -> Worker:
    """Start one worker process and wait until it is ready for jobs.

    Args:
        max_rows: the most solutions or triples the worker keeps in a result.

    Returns:
        The handle on the started worker.

    Raises:
        RuntimeError: the worker died starting or was not ready within `SPAWN_TIMEOUT_S`.
    """
    context = _forkserver()
    ours, theirs = context.Pipe()
    process = context.Process(
        target=_serve, args=(theirs, max_rows), name="aicap-query-worker", daemon=True
    )
    process.start()
    theirs.close()
    worker = Worker(process, ours)
    with contextlib.suppress(EOFError):  # it died starting: its traceback is on stderr
        if ours.poll(SPAWN_TIMEOUT_S) and ours.recv() == _READY:
            return worker
    worker.kill()
    raise RuntimeError(f"a query worker did not start ({worker.exit_reason()})")


def _forkserver() -> ForkServerContext:
    """Return the forkserver context, preloading what every worker needs.

    Workers are forked from a fork server started once, single-threaded, that has imported
    these modules (this one defines `_serve`, what every worker runs); never a plain fork of
    the service, which has threads and an open store.
    multiprocessing runs the parent's ``__main__`` again in each child unless the fork
    server has already imported it, so it is preloaded too: the console script's imports
    then cost once, not at every worker start.
    """
    context = multiprocessing.get_context("forkserver")
    main_spec = getattr(sys.modules["__main__"], "__spec__", None)
    main_name = [main_spec.name] if main_spec is not None else []
    context.set_forkserver_preload(["__main__", *main_name, __name__])
    return context


# The worker side: runs in the worker processes.


def _serve(conn: Connection, max_rows: int) -> None:
    """Answer jobs until the parent sends None or goes away (a worker's main function)."""
    # Ctrl-C in a terminal reaches the whole process group; the parent decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(conn,), daemon=True).start()
    conn.send(_READY)
    store: ox.Store | None = None
    opened = ""
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        if job.snapshot != opened:
            store = None  # close the older checkpoint before opening the newer
            store = ox.Store.read_only(job.snapshot)
            opened = job.snapshot
        assert store is not None
        conn.send(_answer(store, job, max_rows))


def _exit_with_parent(conn: Connection) -> None:
    """End the worker as soon as the service's end of the pipe closes, even mid-query.

    Otherwise a worker whose service was killed would run its query to the end, burning a
    core, perhaps for hours. pyoxigraph releases the GIL while it evaluates, so this thread
    runs meanwhile; POLLRDHUP is the peer closing, never a job arriving.
    """
    watch = select.poll()
    watch.register(conn.fileno(), select.POLLRDHUP)
    watch.poll()
    os._exit(0)


def _answer(store: ox.Store, job: Job, max_rows: int) -> tuple[str, object]:
    started = time.perf_counter()
    try:
        hidden = [ox.NamedNode(iri) for iri in job.hidden_graphs]
        target, options = query_dataset(store, job.options, hidden)
        result = target.query(job.sparql, **options)
        response = serialize_result(
            result, job.result_format, job.graph_format, max_rows, job.skolem_prefix
        )
    except SyntaxError as exc:
        return "syntax", str(exc)
    except Exception:  # sent to the parent, which raises it as an unexpected error (500)
        return "error", traceback.format_exc()
    seconds = time.perf_counter() - started
    return "ok", dataclasses.replace(response, seconds=seconds)


def serialize_result(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
    result_format: str,
    graph_format: str,
    max_rows: int,
    skolem_prefix: str | None = None,
) -> QueryResponse:
    """Serialize a pyoxigraph query result, cut after `max_rows` solutions or triples.

    A term that is exactly a Skolem IRI of the service (`skolem_prefix` then letters and
    digits, as `kg.rdf.loading.skolemize` mints them) is written as the blank node ``_:<id>``
    (RDF 1.1 Concepts, 3.5 allows it): the same IRI as the same blank node throughout the
    result. Literals, and IRIs that merely contain the prefix, are left alone. A result
    without the prefix anywhere costs one search of its bytes.

    Args:
        result: what `Store.query` returned, not yet iterated.
        result_format: a `kg.rdf.formats.RESULTS_FORMATS` name, for solutions and booleans.
        graph_format: a `kg.rdf.formats.RDF_SYNTAXES` name, for triples.
        max_rows: the most solutions or triples kept.
        skolem_prefix: ``<base>.well-known/genid/``; None keeps Skolem IRIs.

    Returns:
        The response, with ``seconds`` left at 0.
    """
    if isinstance(result, ox.QueryBoolean):
        fmt = results_format(result_format)
        body = _bytes(result.serialize(format=fmt.ox_format))
        return QueryResponse(body, fmt.media_type, "boolean", False, 0, 0)
    if isinstance(result, ox.QuerySolutions):
        return _serialize_solutions(result, results_format(result_format), max_rows, skolem_prefix)
    syntax = rdf_syntax(graph_format)
    triples = list(itertools.islice(result, max_rows))
    truncated = next(result, None) is not None
    body = _bytes(ox.serialize(triples, format=syntax.ox_format))
    if skolem_prefix is not None and skolem_prefix.encode() in body:
        triples = _deskolemize_triples(triples, skolem_prefix)
        body = _bytes(ox.serialize(triples, format=syntax.ox_format))
    return QueryResponse(body, syntax.media_type, "graph", truncated, len(triples), 0)


def _serialize_solutions(
    solutions: ox.QuerySolutions, fmt: ResultsFormat, max_rows: int, skolem_prefix: str | None
) -> QueryResponse:
    """Write solutions as TSV cut after `max_rows` lines, then in `fmt` from that TSV."""
    sink = _LineCap(max_rows + 1)  # the header line, then one line per solution
    with contextlib.suppress(_LineCap.Full):
        solutions.serialize(sink, format=_TSV)
    tsv = sink.getvalue()
    if skolem_prefix is not None:
        tsv = _deskolemize_tsv(tsv, skolem_prefix)
    rows = tsv.count(b"\n") - 1
    body = tsv
    if fmt.ox_format != _TSV:
        body = _bytes(ox.parse_query_results(tsv, format=_TSV).serialize(format=fmt.ox_format))
    if sink.full and fmt.ox_format == ox.QueryResultsFormat.JSON:
        # A member added at the front of the object pyoxigraph wrote; it always starts '{'.
        assert body.startswith(b"{")
        body = b'{"truncated":true,' + body[1:]
    return QueryResponse(body, fmt.media_type, "solutions", sink.full, rows, 0)


def _deskolemize_tsv(tsv: bytes, skolem_prefix: str) -> bytes:
    """Write each TSV field that is exactly a Skolem IRI as its blank node.

    TSV results hold one N-Triples term per tab-separated field, tabs and newlines in
    literals escaped, so a field that is ``<prefix + id>`` whole is an IRI, never text.
    """
    if b"<" + skolem_prefix.encode() not in tsv:  # the fast path: one search
        return tsv
    return _skolem_field(skolem_prefix).sub(rb"_:\1", tsv)


@functools.lru_cache(maxsize=4)
def _skolem_field(skolem_prefix: str) -> re.Pattern[bytes]:
    iri = re.escape(b"<" + skolem_prefix.encode())
    return re.compile(rb"(?m)(?:^|(?<=\t))" + iri + rb"([0-9A-Za-z]+)>(?=\t|$)")


def _deskolemize_triples(triples: list[ox.Triple], skolem_prefix: str) -> list[ox.Triple]:
    """The triples with each Skolem IRI (subject, object, in quoted triples) a blank node."""
    start = len(skolem_prefix)

    def term(t: Any) -> Any:
        if isinstance(t, ox.NamedNode):
            value = t.value
            rest = value[start:]
            if value.startswith(skolem_prefix) and rest.isascii() and rest.isalnum():
                return ox.BlankNode(rest)
        elif isinstance(t, ox.Triple):
            return ox.Triple(term(t.subject), t.predicate, term(t.object))
        return t

    return [ox.Triple(term(t.subject), t.predicate, term(t.object)) for t in triples]


def _bytes(serialized: bytes | None) -> bytes:
    """Narrow what pyoxigraph's serializers return when given no output: always bytes."""
    assert serialized is not None
    return serialized


class _LineCap(io.BytesIO):
    """A binary sink that keeps the first `max_lines` lines, then stops the writer."""

    class Full(Exception):
        """Raised from `write` to stop the serializer once a line past the cap arrives."""

    def __init__(self, max_lines: int) -> None:
        super().__init__()
        self.full = False
        self._room = max_lines

    def write(self, buffer: ReadableBuffer, /) -> int:
        """Keep what fits; raise `Full` the first time there is more, then drop the rest."""
        data = bytes(buffer)
        if self.full:
            return len(data)
        end = 0
        while self._room and end < len(data):
            newline = data.find(b"\n", end)
            if newline < 0:
                end = len(data)
            else:
                end = newline + 1
                self._room -= 1
        super().write(data[:end])
        if end < len(data):
            self.full = True
            raise _LineCap.Full()
        return len(data)
