"""`KnowledgeGraph`: the one object the CLI and the server use.

It opens the store (loading the bundled data into an empty one), holds the shapes, the
ontology graph and the stored-query catalogue, and offers what both surfaces need: ad hoc
and stored queries, validation of a change in context, validated loads in one transaction,
exports and reasoning.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import Graph

from kg.config import Settings
from kg.errors import Forbidden, KgError, ShapeViolation, UnknownResource
from kg.formats import rdf_syntax
from kg.loading import FileLoad, bootstrap, graph_iri, prepare_load
from kg.namespaces import ONTOLOGY_GRAPH, PREFIXES
from kg.reasoning import ReasoningOutcome, reason
from kg.store import Change, EmbeddedStore, QueryResult, Store
from kg.stored_queries import StoredQueryCatalogue
from kg.terms import triples_to_graph
from kg.validation import ValidationReport, load_shapes, validate_change, validate_store


@dataclass(frozen=True)
class LoadOutcome:
    """What a load wrote: per file, its quads and graphs; and the (passing) report."""

    files: tuple[FileLoad, ...]
    quads: int
    report: ValidationReport

    @property
    def graphs(self) -> list[str]:
        """The graphs the load wrote to, in order, without repeats."""
        return list(dict.fromkeys(str(g.value) for f in self.files for g in f.graphs))


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
        self.ontology = _ontology_graph(store)

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
        """Run an ad hoc SPARQL query.

        Args:
            sparql: the query.
            union_default_graph: None takes `Settings.union_default_graph`.
            default_graphs: IRIs whose merge is the default graph (`default-graph-uri`).
            named_graphs: IRIs that GRAPH may see (`named-graph-uri`).

        Raises:
            QuerySyntaxError: the query does not parse; the message gives the position.
            Forbidden: the query calls SERVICE on a URL not in `allowed_service_urls`.
        """
        refuse_remote_access(sparql, self.settings.allowed_service_urls)
        if union_default_graph is None:
            union_default_graph = self.settings.union_default_graph
        return self.store.query(
            sparql,
            union_default_graph=union_default_graph,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
        )

    def run_stored(self, name: str, params: Mapping[str, str]) -> QueryResult:
        """Run a stored query with typed parameters, over the union of all graphs.

        The union, whatever `AICAP_UNION_DEFAULT_GRAPH` says: stored queries give the same
        answers either way (CONTRACT).

        Raises:
            UnknownQuery: no such query; lists the names.
            MissingParameter: a required parameter is missing; names it.
            BadParameter: an unknown or ill-typed parameter; names it and its type.
            UnknownResource: a firm or person name that the graph does not know.
        """
        query = self.catalogue.get(name)
        bindings = self.catalogue.bind(name, params)
        return self.store.query(query.sparql, union_default_graph=True, substitutions=bindings)

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

    def load(self, paths: Sequence[Path], graph: str | None = None) -> LoadOutcome:
        """Parse files, validate them as one change, and commit them in one transaction.

        Args:
            paths: RDF files; the suffix gives the syntax.
            graph: where triples outside a named graph go; None: a new graph per file.

        Returns:
            What was written, with the validation report (warnings only).

        Raises:
            UnsupportedFormat: a file with an unknown suffix.
            RdfSyntaxError: a file does not parse (names file and line); nothing written.
            BadParameter: `graph` is not an absolute IRI.
            ShapeViolation: the files break a shape (sh:Violation); nothing written.
        """
        prepared = prepare_load(paths, graph, self.settings.base_iri)
        change = prepared.change()
        with self._write_lock:  # a change is validated against the state it is applied to
            report = self.validate(prepared.data_change())
            if not report.conforms:
                raise ShapeViolation(report)
            self.store.apply_change(change)
        if any(q.graph_name == _ONTOLOGY for q in change.added):
            self.ontology = _ontology_graph(self.store)
        return LoadOutcome(tuple(prepared.files), len(prepared.quads), report)

    def export(self, output: BinaryIO, fmt: str = "trig", graph: str | None = None) -> None:
        """Write the dataset, or one graph, with its graph names where the syntax has them.

        Args:
            output: a binary stream.
            fmt: nq, trig, ttl or jsonld (or any RDF syntax name of `kg.formats`). Turtle
                of the whole dataset is the merge of all its graphs.
            graph: one graph's IRI; None for the whole dataset.

        Raises:
            UnsupportedFormat: an unknown format name.
            BadParameter: `graph` is not an IRI.
            UnknownResource: no graph with that IRI.
        """
        syntax = rdf_syntax(fmt)
        node = None if graph is None else self._existing_graph(graph)
        quads = self.store.quads(graph=node)
        items = quads if syntax.supports_datasets else _merged(quads)
        ox.serialize(items, output, syntax.ox_format, prefixes=PREFIXES)

    def _existing_graph(self, graph: str) -> ox.NamedNode:
        node = graph_iri(graph)
        names = self.store.graphs()
        if node not in names:
            known = sorted(str(g.value) for g in names if isinstance(g, ox.NamedNode))
            raise UnknownResource(f"no graph {graph}", known)
        return node

    def triple_count(self) -> int:
        """Return the number of quads in all graphs."""
        return self.store.count()

    def reason(self) -> ReasoningOutcome:
        """Check consistency with the OWL reasoner and store the inferred triples.

        Raises:
            Inconsistent: names the classes and individuals at fault; nothing written.
        """
        return reason(self.store)

    def close(self) -> None:
        """Flush and release the store (idempotent)."""
        if not self._closed:
            self._closed = True
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


_ONTOLOGY = ox.NamedNode(str(ONTOLOGY_GRAPH))


def _ontology_graph(store: Store) -> Graph:
    """The ontology as stored, as an rdflib graph for validation."""
    return triples_to_graph(store.quads(graph=_ONTOLOGY))


def _merged(quads: Iterable[ox.Quad]) -> Iterator[ox.Triple]:
    """The triples of some quads, each once: the RDF merge of their graphs."""
    seen: set[ox.Triple] = set()
    for quad in quads:
        if quad.triple not in seen:
            seen.add(quad.triple)
            yield quad.triple


# --- no network access from a query -----------------------------------------------------

_TOKENS = re.compile(
    r"""(?P<skip>'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|\#[^\n]*)"""
    r"""|(?P<iri><[^<>"{}|^`\\\s]*>)"""
    r"""|(?<![\w?$:])(?P<service>SERVICE)(?![\w:])""",
    re.IGNORECASE | re.DOTALL,
)
_SERVICE_TARGET = re.compile(r"\s*(?:SILENT\s+)?(<[^<>\s]*>)?", re.IGNORECASE)
_ESCAPES = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def refuse_remote_access(sparql: str, allowed: Iterable[str] = ()) -> None:
    """Refuse a query that would make the engine fetch a URL (SERVICE), unless allowed.

    pyoxigraph evaluates SERVICE by an HTTP request, so the check runs before the engine
    sees the query. It reads the query's tokens (strings and comments skipped; ``\\u``
    escapes decoded first, as SPARQL does).

    Raises:
        Forbidden: a SERVICE whose IRI is not in `allowed` (a variable IRI never is).
    """
    text = _ESCAPES.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), sparql)
    allowed_urls = set(allowed)
    for match in _TOKENS.finditer(text):
        if match.lastgroup != "service":
            continue
        target = _SERVICE_TARGET.match(text, match.end())
        iri = target.group(1) if target is not None else None
        if iri is None or iri[1:-1] not in allowed_urls:
            raise Forbidden(
                f"SERVICE {iri or '(variable or prefixed name)'} is refused: queries may not "
                "reach other endpoints",
                "allowed SERVICE URLs (AICAP_ALLOWED_SERVICE_URLS): "
                + (", ".join(sorted(allowed_urls)) or "none"),
            )
