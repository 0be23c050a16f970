"""`KnowledgeGraph`: the one object the CLI and the server use.

It opens the store (bundled data into an empty one), holds the shapes, the ontology and
the stored questions, and offers what both surfaces need: queries, validation of a change
in context, validated loads and writes in one transaction, exports and reasoning.

`query` evaluates in this process (the CLI); `execute` and `execute_stored` run in the
worker processes of a `QueryExecutor`, where the time limit holds and rows are capped (the
service). Every committed write goes through `_after_commit`, which makes the workers read it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from rdflib import Graph

from kg.config import Settings
from kg.errors import KgError, ShapeViolation
from kg.query.dataset import SYSTEM_GRAPHS, client_request
from kg.query.executor import QueryExecutor, QueryRequest
from kg.query.stored_queries import StoredQueryCatalogue
from kg.query.workers import QueryResponse
from kg.rdf.bootstrap import bootstrap
from kg.rdf.export import write_dataset
from kg.rdf.loading import ProgressCallback, prepare_load
from kg.reasoning.reasoner import ReasoningOutcome, reason
from kg.store.embedded import EmbeddedStore
from kg.store.protocol import Change, QueryResult, Store
from kg.store.skolem import SKOLEM_PATH, skolemize
from kg.update.audit import Write, audit_record
from kg.update.commit import Commit, LoadOutcome
from kg.update.loads import commit_load
from kg.validation.report import ValidationReport
from kg.validation.shacl import (
    ONTOLOGY_GRAPH_NODE,
    load_shapes,
    stored_ontology,
    validate_change,
    validate_store,
)

LOCAL_ACTOR = "command line"
"""Who the audit trail names for writes made through the library (``aicap load``)."""


class KnowledgeGraph:
    """The store with its shapes, ontology and stored queries.

    Use `KnowledgeGraph.open(settings)`; close it (or use it as a context manager) to
    release the store's lock on its directory.
    """

    def __init__(
        self, settings: Settings, store: Store, shapes: Graph, catalogue: StoredQueryCatalogue
    ) -> None:
        self.settings = settings
        self.store = store
        self.shapes = shapes
        self.catalogue = catalogue
        self._closed = False
        self._write_lock = threading.Lock()
        self._executor: QueryExecutor | None = None
        self.ontology = stored_ontology(store)

    @classmethod
    def open(cls, settings: Settings) -> KnowledgeGraph:
        """Open the store of `settings.data_dir`, loading the bundled data if it is empty.

        Raises:
            KgError: an unsupported backend, or shapes, queries or bundled data that do not
                load (the message names the file).
            OSError: the store cannot be opened (another process holds it).
        """
        if settings.backend != "embedded":
            raise KgError(
                f"backend {settings.backend!r} is not available yet", "AICAP_BACKEND=embedded"
            )
        store = EmbeddedStore(settings.data_dir)
        try:
            bootstrap(store, settings)
            shapes = load_shapes(settings.shapes_dir)
            catalogue = StoredQueryCatalogue.load(settings.queries_dir, store)
        except BaseException:
            store.close()
            raise
        return cls(settings, store, shapes, catalogue)

    def query(
        self,
        sparql: str,
        *,
        union_default_graph: bool | None = None,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> QueryResult:
        """Run an ad hoc SPARQL query in this process (no time limit, no row cap).

        Args:
            sparql: the query.
            union_default_graph: None takes `Settings.union_default_graph`.
            default_graphs: IRIs whose merge is the default graph (`default-graph-uri`).
            named_graphs: IRIs that GRAPH may see (`named-graph-uri`).

        Raises:
            QuerySyntaxError: the query does not parse; the message gives the position.
            TooComplex: the query is nested or sized beyond what the parser survives.
            Forbidden: the query calls SERVICE on a URL not in `allowed_service_urls`.
        """
        request = client_request(
            sparql,
            self.settings,
            union_default_graph=union_default_graph,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
        )
        return self.store.query(
            request.sparql,
            union_default_graph=request.union_default_graph,
            default_graphs=request.default_graphs,
            named_graphs=request.named_graphs,
            hidden_graphs=request.hidden_graphs,
        )

    def execute(
        self,
        sparql: str,
        *,
        result_format: str = "json",
        graph_format: str = "turtle",
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> QueryResponse:
        """Run an ad hoc SPARQL query in a query worker and return the serialized answer.

        Args:
            sparql: the query.
            result_format: the `kg.rdf.formats.RESULTS_FORMATS` name for SELECT and ASK.
            graph_format: the `kg.rdf.formats.RDF_SYNTAXES` name for CONSTRUCT and DESCRIBE.
            default_graphs: IRIs whose merge is the default graph (`default-graph-uri`).
            named_graphs: IRIs that GRAPH may see (`named-graph-uri`).
            base_iri: what relative IRIs in the query resolve against (the request URL).

        Returns:
            The body in the format of the query's kind, cut after
            `Settings.max_result_rows` rows (``truncated`` says so).

        Raises:
            QuerySyntaxError: the query does not parse; the message gives the position.
            TooComplex: the query is nested or sized beyond what the parser survives.
            Forbidden: the query calls SERVICE on a URL not in `allowed_service_urls`.
            BadParameter: a graph IRI that is not well formed.
            QueryTimeout: no answer within `Settings.query_timeout_s`; the query was stopped.
            Overloaded: every worker stayed busy for the whole queue wait.
            UnsafeQuery: the query crashed its worker (which was replaced).
        """
        request = client_request(
            sparql,
            self.settings,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            base_iri=base_iri,
        )
        return self._run(replace(request, result_format=result_format, graph_format=graph_format))

    def execute_stored(
        self, name: str, params: Mapping[str, str], *, result_format: str = "json"
    ) -> QueryResponse:
        """Run a stored query in a query worker, like `run_stored`, serialized.

        Raises:
            UnknownQuery: no such query; lists the names.
            MissingParameter: a required parameter is missing; names it.
            BadParameter: an unknown or ill-typed parameter; names it and its type.
            UnknownResource: a firm or person name that the graph does not know.
            QueryTimeout: no answer within `Settings.query_timeout_s`; the query was stopped.
            Overloaded: every worker stayed busy for the whole queue wait.
        """
        query = self.catalogue.get(name)
        bindings = self.catalogue.bind(name, params)
        request = QueryRequest(
            query.sparql,
            union_default_graph=True,
            substitutions={variable: str(term) for variable, term in bindings.items()},
            hidden_graphs=SYSTEM_GRAPHS,
            result_format=result_format,
        )
        return self._run(request)

    def run_stored(self, name: str, params: Mapping[str, str]) -> QueryResult:
        """Run a stored query with typed parameters, over the union of all graphs.

        The union, whatever `AICAP_UNION_DEFAULT_GRAPH` says: stored queries give the same
        answers either way (CONTRACT). The system graphs (`SYSTEM_GRAPHS`) are left out.

        Raises:
            UnknownQuery: no such query; lists the names.
            MissingParameter: a required parameter is missing; names it.
            BadParameter: an unknown or ill-typed parameter; names it and its type.
            UnknownResource: a firm or person name that the graph does not know.
        """
        query = self.catalogue.get(name)
        bindings = self.catalogue.bind(name, params)
        return self.store.query(
            query.sparql,
            union_default_graph=True,
            substitutions=bindings,
            hidden_graphs=SYSTEM_GRAPHS,
        )

    def _run(self, request: QueryRequest) -> QueryResponse:
        if self._executor is None:
            raise RuntimeError("the query executor is not started: call start_executor()")
        return self._executor.run(request)

    @property
    def executor(self) -> QueryExecutor | None:
        """The running query executor, if `start_executor` was called (for monitoring)."""
        return self._executor

    def start_executor(self) -> QueryExecutor:
        """Start the query worker processes over a checkpoint of the store (idempotent).

        Workers, time limit and row cap come from the settings (`query_workers`,
        `query_timeout_s`, `max_result_rows`); `close` stops them.

        Raises:
            RuntimeError: a worker did not start.
            OSError: the checkpoint could not be written under ``data_dir/snapshots``.
        """
        with self._write_lock:  # no write may commit between the first checkpoint and here
            if self._executor is None:
                executor = QueryExecutor(
                    self.settings.data_dir,
                    primary=self.store,
                    workers=self.settings.query_workers,
                    timeout_s=self.settings.query_timeout_s,
                    max_result_rows=self.settings.max_result_rows,
                    skolem_prefix=f"{self.settings.base_iri}{SKOLEM_PATH}",
                )
                executor.start()
                self._executor = executor
            return self._executor

    def validate(self, change: Change | None = None) -> ValidationReport:
        """Validate a change in the context of the store, or (None) the whole store."""
        if change is None:
            return validate_store(self.store, self.shapes, self.ontology)
        return validate_change(self.store, change, self.shapes, self.ontology)

    def change_from_files(self, paths: Sequence[Path], graph: str | None = None) -> Change:
        """Parse files into the change that loading them would make (records left out).

        Raises:
            UnsupportedFormat: a file with an unknown suffix.
            RdfSyntaxError: a file does not parse; the message names file and line.
            BadParameter: `graph` is not an absolute IRI.
        """
        return prepare_load(paths, graph, self.settings.base_iri).data_change()

    def load(
        self,
        paths: Sequence[Path],
        graph: str | None = None,
        *,
        actor: str = LOCAL_ACTOR,
        progress: ProgressCallback | None = None,
        replace: bool = False,
    ) -> LoadOutcome:
        """Parse files, validate them as one change, and commit them in one transaction.

        Args:
            paths: RDF files; the suffix gives the syntax.
            graph: where triples outside a named graph go; None: a new graph per file.
            actor: who loads, for the audit trail.
            progress: told how far parsing has got; validation and the commit follow the
                last report (`LoadProgress.parsed`).
            replace: swap an earlier load of the same bytes instead (`kg.update.loads`).

        Returns:
            What was written, with the validation report (warnings only).

        Raises:
            UnsupportedFormat: a file with an unknown suffix.
            RdfSyntaxError: a file does not parse (names file and line); nothing written.
            BadParameter: `graph` is not an absolute IRI.
            ShapeViolation: the files break a shape (sh:Violation); nothing written.
            AlreadyLoaded: a file's bytes were loaded before (and not `replace`).
        """
        prepared = prepare_load(paths, graph, self.settings.base_iri, progress=progress)
        return commit_load(self, prepared, actor=actor, replace=replace)

    def commit(self, prepare: Change | Callable[[Store], Change], write: Write) -> Commit:
        """Validate a write and apply it in one transaction: the one way data is written.

        Holding the write lock, so that the change is validated against the state it is
        applied to: `prepare` computes the change from the store as it is (a GSP PUT reads
        the graph it replaces, an update runs its WHERE clauses); blank nodes it adds become
        Skolem IRIs; the change is validated in context; if no shape is violated, the change,
        `write.records` and `.removed_records` and the audit record (`kg.update.audit`, not
        validated; none if `Settings.audit_writes` is false) go in one transaction, and
        `_after_commit` makes them visible to queries.

        Args:
            prepare: the change, or a function of the store that computes it.
            write: who writes and how, for the audit trail.

        Returns:
            The change that was written (records and audit left out) and the report.

        Raises:
            ShapeViolation: the change breaks a shape (sh:Violation); nothing was written.
            KgError: whatever `prepare` raises; nothing was written.
        """
        with self._write_lock:
            change = prepare(self.store) if callable(prepare) else prepare
            change = replace(change, added=skolemize(change.added, self.settings.base_iri))
            report = self.validate(change)
            if not report.conforms:
                raise ShapeViolation(report)
            audit = (
                audit_record(write, change, self.settings.base_iri)
                if self.settings.audit_writes
                else []
            )
            added = [*change.added, *write.records, *audit]
            removed = [*change.removed, *write.removed_records]
            self.store.apply_change(replace(change, added=added, removed=removed))
            self._after_commit(change)
        return Commit(change, report)

    def export(self, output: BinaryIO, fmt: str = "trig", graph: str | None = None) -> None:
        """Write the dataset, or one graph, to `output` (`kg.rdf.export.write_dataset`).

        Raises:
            UnsupportedFormat: an unknown format name.
            BadParameter: `graph` is not an IRI.
            UnknownResource: no graph with that IRI.
        """
        write_dataset(self.store, output, fmt, graph)

    def triple_count(self) -> int:
        """Return the number of quads in all graphs."""
        return self.store.count()

    def reason(self) -> ReasoningOutcome:
        """Check consistency with the OWL reasoner and store the inferred triples.

        Raises:
            Inconsistent: names the classes and individuals at fault; nothing written.
        """
        with self._write_lock:
            outcome = reason(self.store)
            self._after_commit()
        return outcome

    def _after_commit(self, change: Change | None = None) -> None:
        """Make a committed write visible; every write calls it, holding the write lock.

        Called after the transaction commits and before the write is acknowledged, so a
        client reads its own writes: the ontology copy that validation uses is re-read if
        the write touched it, and the query workers get a checkpoint of the new state.

        Args:
            change: what was written; None if not known (the ontology is re-read).

        Raises:
            OSError: the checkpoint could not be written; the write is committed, and
                queries see it from the next checkpoint on.
        """
        quads = None if change is None else (*change.added, *change.removed)
        if quads is None or any(q.graph_name == ONTOLOGY_GRAPH_NODE for q in quads):
            self.ontology = stored_ontology(self.store)
        if self._executor is not None:
            self._executor.refresh()

    def close(self) -> None:
        """Stop the query workers, then flush and release the store (idempotent)."""
        if not self._closed:
            self._closed = True
            if self._executor is not None:
                self._executor.close()
            self.store.close()

    def __enter__(self) -> KnowledgeGraph:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
