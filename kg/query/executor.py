"""SPARQL queries in worker processes, where a time limit can really stop them: the
service's side, which queues queries for the workers and waits for their answers.

pyoxigraph cannot cancel a running query and a thread cannot be killed, so every query runs
in a worker process (`kg.query.workers`); past the limit the worker is killed (SIGKILL, so
the core is freed at once) and a spare started ahead takes its place. Workers never open
the live store, only checkpoints of it (`kg.query.checkpoints`): the owner of the primary
store calls `QueryExecutor.refresh` after each committed write, and each query reads the
newest checkpoint, so it sees the dataset before or after a write, never half.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import pyoxigraph as ox

from kg.errors import BadParameter, QueryTimeout, UnsafeQuery
from kg.query.checkpoints import Checkpoints, SupportsBackup
from kg.query.pool import WorkerPool
from kg.query.workers import Job, QueryResponse, Worker
from kg.rdf.formats import rdf_syntax, results_format
from kg.rdf.syntax_errors import sparql_syntax_error

log = logging.getLogger("aicap.executor")

QUEUE_WAIT_S = 1.0
"""How long a query waits for a free worker before it is answered `Overloaded`."""


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
        base_iri: what relative IRIs of the query resolve against (the request's URL, as
            the SPARQL 1.1 Protocol and RFC 3986 say); None leaves them an error.
    """

    sparql: str
    union_default_graph: bool = True
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    substitutions: dict[str, str] | None = None
    hidden_graphs: tuple[str, ...] = ()
    result_format: str = "json"
    graph_format: str = "turtle"
    base_iri: str | None = None

    def __post_init__(self) -> None:
        """Check the format names now rather than in the worker.

        Raises:
            UnsupportedFormat: an unknown name; the message lists the accepted ones.
        """
        results_format(self.result_format)
        rdf_syntax(self.graph_format)


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
            (`kg.query.workers.serialize_result`). None leaves IRIs alone.
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
        self._checkpoints = Checkpoints(data_dir / "snapshots", primary)
        self._workers = WorkerPool(workers, max_result_rows)

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
        job = Job(
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
            raise sparql_syntax_error(str(payload), request.sparql)
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

    def _exchange(self, worker: Worker, job: Job, deadline: float) -> tuple[str, object]:
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
    if request.base_iri is not None:
        options["base_iri"] = request.base_iri
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
