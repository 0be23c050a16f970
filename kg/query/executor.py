"""SPARQL queries in worker processes, where a time limit can really stop them (issue 4,
point 5: "limits that hold").

pyoxigraph cannot cancel a running query and a thread cannot be killed, so every query runs
in a worker process; past the limit the worker is killed (SIGKILL, so the core is freed at
once) and a spare started ahead takes its place. A query that crashes the engine (a parser
stack overflow on thousands of nested brackets) kills only its worker, and a worker whose
service dies stops with it.

Workers never open the live store: `Store.read_only` on a store that another process writes
is undefined behaviour. The owner of the primary store calls `QueryExecutor.refresh` after
each committed write; it makes a RocksDB checkpoint (`Store.backup`: hard links to the
immutable table files, so its cost does not grow with the store: 7-10 ms here on a quiet
disk, 40-90 ms while other jobs load it, being fsync-bound) in
``<data_dir>/snapshots/<generation>``. A worker opens the newest checkpoint read-only
before its next query, and a checkpoint is deleted once no running query reads it. One
query reads one checkpoint, so it sees the dataset before or after a write, never half.

Workers serialize the results and send bytes back. Solutions are first written as TSV,
which holds one solution per line with terms in N-Triples syntax, so cutting after
``max_result_rows`` lines cuts whole rows and loses nothing; pyoxigraph parses that back
and writes the format asked for. For 100k rows that adds 35-100 ms to writing the format
directly, where rdflib's result serializers take 2.7 to 4.6 s (bench/executor_overhead.py).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import io
import itertools
import logging
import multiprocessing
import os
import re
import select
import shutil
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pyoxigraph as ox

from kg.errors import BadParameter, Overloaded, QuerySyntaxError, QueryTimeout, UnsafeQuery
from kg.rdf.formats import ResultsFormat, rdf_syntax, results_format
from kg.store.datasets import hide_graphs

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

log = logging.getLogger("aicap.executor")

QUEUE_WAIT_S = 1.0
"""How long a query waits for a free worker before it is answered `Overloaded`."""

SPAWN_TIMEOUT_S = 60.0
"""How long a new worker may take to start before starting it counts as failed."""

STOP_GRACE_S = 2.0
"""How long `close` lets an idle worker exit before killing it."""

ResultKind = Literal["solutions", "boolean", "graph"]

_TSV = ox.QueryResultsFormat.TSV
_READY = "ready"


class SupportsBackup(Protocol):
    """The primary store, as far as checkpoints go: `pyoxigraph.Store` is one."""

    def backup(self, target_directory: str, /) -> None: ...


@dataclass(frozen=True)
class QueryRequest:
    """One SPARQL query and how to answer it.

    Both formats are given because the query form (SELECT or CONSTRUCT) is known only once
    the engine has parsed the query, in the worker.

    Args:
        sparql: the query text.
        union_default_graph: without `default_graphs`, the default graph is the union of all
            graphs (True) or the store's own default graph (False).
        default_graphs: IRIs whose merge is the default graph (``default-graph-uri``).
        named_graphs: IRIs the GRAPH clauses may see (``named-graph-uri``).
        substitutions: variable name to an N-Triples term (``<iri>``, ``"v"@en``, ``_:b``)
            bound before evaluation (SEP-0007).
        hidden_graphs: IRIs of graphs left out of the default dataset: in neither the
            default graph nor the named graphs (`kg.store.datasets`). Ignored when
            `default_graphs` or `named_graphs` is given, which make the whole dataset.
        result_format: a `kg.rdf.formats.RESULTS_FORMATS` name, for SELECT and ASK.
        graph_format: a `kg.rdf.formats.RDF_SYNTAXES` name, for CONSTRUCT and DESCRIBE.
    """

    sparql: str
    union_default_graph: bool = True
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    substitutions: dict[str, str] | None = None
    hidden_graphs: tuple[str, ...] = ()
    result_format: str = "json"
    graph_format: str = "turtle"

    def __post_init__(self) -> None:
        """Check the format names now rather than in the worker.

        Raises:
            UnsupportedFormat: an unknown name; the message lists the accepted ones.
        """
        results_format(self.result_format)
        rdf_syntax(self.graph_format)


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
class _Job:
    """What crosses the pipe to a worker: a request with its terms already checked."""

    snapshot: str
    sparql: str
    options: dict[str, Any]
    hidden_graphs: tuple[str, ...]
    result_format: str
    graph_format: str
    skolem_prefix: str | None


class QueryExecutor:
    """Runs SPARQL queries in worker processes over checkpoints of the primary store.

    Args:
        data_dir: checkpoints go in ``<data_dir>/snapshots``, on the primary store's file
            system so that they are hard links, not copies. It may be the store's own
            directory: RocksDB leaves alone a subdirectory it did not make.
        primary: the open primary store, which makes the checkpoints.
        workers: queries answered at once.
        timeout_s: a query not answered this long after `run` was called is stopped.
        max_result_rows: solutions or triples past this many are cut.
        queue_wait_s: how long a query waits for a free worker (at most `timeout_s`).
        skolem_prefix: the service's Skolem IRIs start with it
            (``<base>.well-known/genid/``); results give such IRIs back as blank nodes
            (`serialize_result`). None leaves IRIs alone.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        primary: SupportsBackup,
        workers: int,
        timeout_s: float,
        max_result_rows: int,
        queue_wait_s: float = QUEUE_WAIT_S,
        skolem_prefix: str | None = None,
    ) -> None:
        if workers < 1 or timeout_s <= 0 or max_result_rows < 0:
            raise ValueError("workers >= 1, timeout_s > 0 and max_result_rows >= 0 are needed")
        self.timeout_s = timeout_s
        self.max_result_rows = max_result_rows
        self._skolem_prefix = skolem_prefix
        self._queue_wait_s = min(queue_wait_s, timeout_s)
        self._checkpoints = _Checkpoints(data_dir / "snapshots", primary)
        self._workers = _Workers(workers, max_result_rows)

    def start(self) -> None:
        """Make the first checkpoint and start the workers (and their spare).

        Raises:
            RuntimeError: a worker did not start (everything started is stopped again).
        """
        self._checkpoints.reset()
        try:
            self._checkpoints.advance()
            self._workers.start()
        except BaseException:
            self.close()
            raise

    def refresh(self) -> None:
        """Checkpoint the primary store; queries from now on read it.

        Call it after each committed write, before the write is acknowledged, so that a
        client reads its own writes. Queries already running keep their checkpoint.

        Raises:
            OSError: the checkpoint could not be written; queries keep reading the previous
                one, so the write stays unseen until a later refresh succeeds.
        """
        self._checkpoints.advance()

    def run(self, request: QueryRequest) -> QueryResponse:
        """Run one query in a worker; safe to call from many threads.

        Raises:
            BadParameter: a graph IRI or substitution that is not well formed.
            QuerySyntaxError: the query does not parse; the message gives the position.
            QueryTimeout: no answer within `timeout_s`; the worker was killed.
            Overloaded: every worker stayed busy for the whole queue wait.
            UnsafeQuery: the query crashed its worker, which was replaced.
            RuntimeError: the engine failed otherwise (an unexpected error, logged as 500).
        """
        deadline = time.monotonic() + self.timeout_s
        options = _query_options(request)
        hidden = _hidden_graphs(request)
        worker = self._workers.acquire(self._queue_wait_s)
        generation, snapshot = self._checkpoints.acquire()
        job = _Job(
            snapshot,
            request.sparql,
            options,
            hidden,
            request.result_format,
            request.graph_format,
            self._skolem_prefix,
        )
        try:
            status, payload = self._exchange(worker, job, deadline)
        finally:
            self._checkpoints.release(generation)
        if status == "syntax":
            raise QuerySyntaxError(f"SPARQL syntax error: {payload}")
        if status != "ok":
            raise RuntimeError(f"the query worker failed:\n{payload}")
        assert isinstance(payload, QueryResponse)
        return payload

    def ready(self) -> bool:
        """Tell whether the workers are started and not closed (for health checks)."""
        return self._workers.ready()

    def busy_workers(self) -> int:
        """Return how many workers are evaluating a query right now (for monitoring)."""
        return self._workers.busy()

    def worker_pids(self) -> list[int]:
        """Return the process ids of the live workers, spare included (for monitoring)."""
        return self._workers.pids()

    def close(self) -> None:
        """Stop the workers and delete the checkpoints."""
        self._workers.close()
        self._checkpoints.remove_all()

    def __enter__(self) -> QueryExecutor:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _exchange(self, worker: _Worker, job: _Job, deadline: float) -> tuple[str, object]:
        """Send a job and wait for its answer until the deadline; kill the worker if it fails.

        Raises:
            QueryTimeout: no answer by the deadline.
            UnsafeQuery: the worker died under the job.
        """
        try:
            worker.conn.send(job)
        except OSError:  # it died while idle (the OOM killer?): not this query's doing
            self._workers.discard(worker)
            raise RuntimeError(f"a query worker died while idle ({worker.exit_reason()})") from None
        try:
            answered = worker.conn.poll(max(0.0, deadline - time.monotonic()))
            reply: tuple[str, object] | None = worker.conn.recv() if answered else None
        except (EOFError, OSError):
            self._workers.discard(worker)
            log.warning("a query crashed its worker (%s)", worker.exit_reason())
            raise UnsafeQuery(
                "the query could not be evaluated safely: it crashed the query engine "
                f"({worker.exit_reason()}); the engine was restarted",
                "simplify the query: fewer nested brackets, groups or operators",
            ) from None
        except BaseException:  # KeyboardInterrupt: the worker must not run on unattended
            self._workers.discard(worker)
            raise
        if reply is None:
            self._workers.discard(worker)
            raise QueryTimeout(
                f"the query ran past the time limit of {self.timeout_s:g} s "
                "(AICAP_QUERY_TIMEOUT_S) and was stopped",
                "narrow the query (LIMIT, more specific patterns) or raise the limit",
            )
        self._workers.release(worker)
        return reply


class _Checkpoints:
    """Checkpoints of the primary store, one directory per generation.

    A generation is deleted once it is no longer the newest and no running query reads it.
    An idle worker may still hold an older one open; it only closes it, before opening the
    newest for its next query.
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


@dataclass(eq=False)
class _Worker:
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


@dataclass(eq=False)
class _Workers:
    """The worker processes: `size` that answer queries, and one spare started ahead.

    A background thread keeps the numbers up: when a worker is killed, the spare takes its
    place at once and a new spare is started, so a kill does not add a process start
    (tens of milliseconds, more under a heavy ``__main__``) to the next query.
    """

    size: int
    max_rows: int
    _idle: list[_Worker] = field(default_factory=list)
    _busy: set[_Worker] = field(default_factory=set)
    _spare: _Worker | None = None
    _closed: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _waiting: collections.deque[object] = field(default_factory=collections.deque)
    _spawner: threading.Thread | None = None

    def start(self) -> None:
        """Start `size` workers, then the thread that starts the spare and replacements.

        Raises:
            RuntimeError: a worker did not start; the cause is logged by multiprocessing.
        """
        for _ in range(self.size):
            self._place(_spawn(self.max_rows))
        self._spawner = threading.Thread(target=self._keep_up, name="aicap-executor", daemon=True)
        self._spawner.start()

    def acquire(self, wait_s: float) -> _Worker:
        """Take an idle worker, waiting up to `wait_s` for one.

        Raises:
            Overloaded: none became idle in time.
        """
        ticket = object()
        with self._cond:
            # First come, first served: without the queue, a thread that just released a
            # worker takes it back before a waiter wakes, and a third client starves
            # behind two busy ones until it is refused.
            self._waiting.append(ticket)
            try:
                if not self._cond.wait_for(
                    lambda: self._closed or (self._idle and self._waiting[0] is ticket), wait_s
                ):
                    raise Overloaded(
                        f"all {self.size} query workers stayed busy for {wait_s:g} s",
                        "try again in a moment",
                    )
                if self._closed:
                    raise RuntimeError("the query executor is closed")
                worker = self._idle.pop()  # the most recently used: its checkpoint is open
                self._busy.add(worker)
                return worker
            finally:
                self._waiting.remove(ticket)
                self._cond.notify_all()  # the next in line may take another idle worker

    def release(self, worker: _Worker) -> None:
        """Give back a worker that answered."""
        with self._cond:
            self._busy.discard(worker)
            self._idle.append(worker)
            self._cond.notify_all()

    def discard(self, worker: _Worker) -> None:
        """Kill a worker that timed out or crashed, and put the spare in its place."""
        worker.kill()
        with self._cond:
            self._busy.discard(worker)
            if self._spare is not None and not self._closed:
                self._idle.append(self._spare)
                self._spare = None
            self._cond.notify_all()

    def close(self) -> None:
        """Stop every worker: idle ones are asked to exit, busy ones are killed."""
        with self._cond:
            self._closed = True
            idle = [*self._idle, *([self._spare] if self._spare else [])]
            busy = list(self._busy)
            self._idle.clear()
            self._spare = None
            self._cond.notify_all()
        if self._spawner is not None:
            self._spawner.join()
        for worker in idle:
            worker.stop()
        for worker in busy:
            worker.kill()

    def ready(self) -> bool:
        """Tell whether queries can be answered: started, not closed, a worker in place."""
        with self._cond:
            return not self._closed and bool(self._idle or self._busy)

    def busy(self) -> int:
        """Return how many workers are answering a query."""
        with self._cond:
            return len(self._busy)

    def pids(self) -> list[int]:
        """Return the process ids of the idle, busy and spare workers."""
        with self._cond:
            workers = [*self._idle, *self._busy, *([self._spare] if self._spare else [])]
        return [pid for worker in workers if (pid := worker.process.pid) is not None]

    def _missing(self) -> int:
        return self.size - len(self._idle) - len(self._busy) + (self._spare is None)

    def _keep_up(self) -> None:
        """Start workers whenever one is missing, until closed (the spawner thread)."""
        backoff_s = 1.0
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._missing() > 0)
                if self._closed:
                    return
            try:
                worker = _spawn(self.max_rows)
            except Exception:  # logged and retried: this thread must outlive a failed start
                log.exception("a query worker failed to start; retrying in %g s", backoff_s)
                with self._cond:
                    self._cond.wait_for(lambda: self._closed, backoff_s)
                backoff_s = min(2 * backoff_s, 30.0)
                continue
            backoff_s = 1.0
            self._place(worker)

    def _place(self, worker: _Worker) -> None:
        with self._cond:
            if self._closed:
                worker.stop()
            elif len(self._idle) + len(self._busy) < self.size:
                self._idle.append(worker)
            else:
                self._spare = worker
            self._cond.notify_all()


def _spawn(max_rows: int) -> _Worker:
    """Start one worker process and wait until it is ready for jobs."""
    context = _forkserver()
    ours, theirs = context.Pipe()
    process = context.Process(
        target=_serve, args=(theirs, max_rows), name="aicap-query-worker", daemon=True
    )
    process.start()
    theirs.close()
    worker = _Worker(process, ours)
    with contextlib.suppress(EOFError):  # it died starting: its traceback is on stderr
        if ours.poll(SPAWN_TIMEOUT_S) and ours.recv() == _READY:
            return worker
    worker.kill()
    raise RuntimeError(f"a query worker did not start ({worker.exit_reason()})")


def _forkserver() -> ForkServerContext:
    """Return the forkserver context, preloading what every worker needs.

    Workers are forked from a fork server started once, single-threaded, that has imported
    these modules; never a plain fork of the service, which has threads and an open store.
    multiprocessing runs the parent's ``__main__`` again in each child unless the fork
    server has already imported it, so it is preloaded too: the console script's imports
    then cost once, not at every worker start.
    """
    context = multiprocessing.get_context("forkserver")
    main_spec = getattr(sys.modules["__main__"], "__spec__", None)
    main_name = [main_spec.name] if main_spec is not None else []
    context.set_forkserver_preload(["__main__", *main_name, __name__])
    return context


def _query_options(request: QueryRequest) -> dict[str, Any]:
    """Turn a request's dataset and substitutions into `Store.query` keyword arguments.

    Raises:
        BadParameter: an IRI, variable name or N-Triples term that is not well formed.
    """
    options: dict[str, Any] = {}
    if request.default_graphs is not None:
        options["default_graph"] = [_iri(iri, "default graph") for iri in request.default_graphs]
    else:
        options["use_default_graph_as_union"] = request.union_default_graph
    if request.named_graphs is not None:
        options["named_graphs"] = [_iri(iri, "named graph") for iri in request.named_graphs]
    if request.substitutions:
        options["substitutions"] = {
            _variable(name): _term(name, text) for name, text in request.substitutions.items()
        }
    return options


def _hidden_graphs(request: QueryRequest) -> tuple[str, ...]:
    """The graphs to leave out of the request's dataset: none if the request gives one.

    Raises:
        BadParameter: an IRI that is not well formed.
    """
    if request.default_graphs is not None or request.named_graphs is not None:
        return ()
    return tuple(_iri(iri, "hidden graph").value for iri in request.hidden_graphs)


def _iri(iri: str, role: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise BadParameter(f"{role} {iri!r} is not an IRI: {exc}") from None


def _variable(name: str) -> ox.Variable:
    try:
        return ox.Variable(name)
    except ValueError as exc:
        raise BadParameter(f"{name!r} is not a SPARQL variable name: {exc}") from None


def _term(name: str, text: str) -> Any:
    """Parse one N-Triples term (as `str(term)` writes it) as the object of a triple."""
    try:
        triples = list(ox.parse(f"<urn:x:s> <urn:x:p> {text} .", format=ox.RdfFormat.N_TRIPLES))
    except SyntaxError as exc:
        raise BadParameter(f"?{name}: {text!r} is not an N-Triples term: {exc}") from None
    if len(triples) != 1:
        raise BadParameter(f"?{name}: {text!r} is not one N-Triples term")
    return triples[0].object


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


def _answer(store: ox.Store, job: _Job, max_rows: int) -> tuple[str, object]:
    started = time.perf_counter()
    try:
        hidden = [ox.NamedNode(iri) for iri in job.hidden_graphs]
        options = hide_graphs(store, job.options, hidden) if hidden else job.options
        result = store.query(job.sparql, **options)
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
