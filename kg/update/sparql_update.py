"""SPARQL 1.1 Update as a change: what an update adds and removes, computed without writing.

An update reaches the store only through `KnowledgeGraph.commit`, which validates the
change against the shapes first. So an update is not handed to the
engine; it is turned into a `Change`:

1. `kg.query.guards.check_update_safety` refuses LOAD, SERVICE and input nested beyond what the
   parsers survive, before any parser sees the text.
2. rdflib's update parser and algebra (`parseUpdate`, `translateUpdate`) read the
   operations, their WITH / USING clauses and their templates. The quad data of
   INSERT DATA / DELETE DATA is read by pyoxigraph instead (`kg.update.operation_text`), since
   rdflib's time grows with the square of a block's size.
3. Each operation runs in order against a `Workspace` (the store, or a scratch copy once
   an earlier operation changed something, so that ``INSERT DATA {…} ; DELETE WHERE {…}``
   sees the inserted data):
   - INSERT DATA / DELETE DATA: the quads themselves; the default graph is the store's;
   - DELETE WHERE and DELETE/INSERT … WHERE (`kg.update.modify`): the WHERE group, as
     written, runs as a SELECT on pyoxigraph over the operation's dataset (WITH, USING,
     USING NAMED, or the protocol's using-graph-uri / using-named-graph-uri); the
     templates are instantiated per solution, fresh blank nodes per solution;
   - CLEAR, DROP, CREATE, ADD, MOVE, COPY (`kg.update.graph_management`), SILENT included.
4. The net change of the whole request is validated and committed in one transaction:
   all of it is written, or none.

Blank nodes that an update creates become Skolem IRIs at once (`kg.rdf.loading.skolemize`).
A WHERE clause sees the store's own default graph, not the union of the graphs that
``AICAP_UNION_DEFAULT_GRAPH`` gives queries: templates write to that default graph too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import cast

import pyoxigraph as ox
from pyparsing import ParseBaseException
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from kg.errors import BadInput, BadParameter, KgError, QuerySyntaxError, TooComplex
from kg.query.guards import check_update_safety
from kg.rdf.fetch import fetch_rdf
from kg.rdf.parsing import parse_rdf_bytes
from kg.rdf.syntax_errors import located_message, sparql_syntax_error
from kg.store.protocol import Change, Store
from kg.store.skolem import skolemize
from kg.update.audit import Write
from kg.update.commit import Commit, WriteTarget
from kg.update.graph_management import TransferKind, clear, create, drop, graph_ref, transfer
from kg.update.modify import WhereClause, modify
from kg.update.operation_text import OperationText, blank_data, parse_quad_data, split_operations
from kg.update.workspace import Workspace

MAX_PARSED_BYTES = 32 * 1024
"""Most text rdflib parses per request (templates and WHERE groups, not quad data):
rdflib takes about 1 s for 20 KB, and four times as long for twice as much."""

UPDATE_ERROR = "SPARQL update syntax error"
"""How the message of an update that does not parse starts."""
_UNKNOWN_PREFIX = "Unknown namespace prefix"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class UpdateDataset:
    """The protocol's ``using-graph-uri`` and ``using-named-graph-uri`` (SPARQL 1.1 Protocol,
    2.2.3): the dataset of every DELETE/INSERT … WHERE that has no USING or WITH of its own."""

    using: tuple[str, ...] = ()
    using_named: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.using or self.using_named)


@dataclass(frozen=True)
class Operation:
    """One parsed operation: rdflib's algebra, its prologue, quad data and WHERE group."""

    algebra: CompValue
    text: OperationText
    data: tuple[ox.Quad, ...] = ()
    where: str | None = None
    """The WHERE group as written (DELETE WHERE's quad pattern too)."""

    @property
    def kind(self) -> str:
        """rdflib's name for it: InsertData, Modify, Clear …"""
        return str(self.algebra.name)


@dataclass(frozen=True)
class ParsedUpdate:
    """An update request read into its operations."""

    text: str
    operations: tuple[Operation, ...] = field(default_factory=tuple)


def apply_update(
    kg: WriteTarget,
    text: str,
    *,
    actor: str,
    dataset: UpdateDataset | None = None,
    base_iri: str | None = None,
) -> Commit:
    """Parse an update, compute its change, validate it and commit it in one transaction.

    Args:
        kg: the knowledge graph.
        text: the update, as the client sent it.
        actor: the token holder's name, for the audit trail.
        dataset: the protocol's using-graph-uri / using-named-graph-uri.
        base_iri: what relative IRIs resolve against (the request URL); the update's own
            BASE declarations come after it, so they win.

    Raises:
        TooComplex: the update is longer or more nested than the service parses (400).
        Forbidden: LOAD, or SERVICE to a URL that is not allowed (403).
        QuerySyntaxError: the update does not parse; the message gives the position (400).
        BadParameter: protocol dataset and USING/WITH together; a relative IRI (400).
        UnknownResource: CLEAR, DROP, ADD, MOVE or COPY of a graph that does not exist,
            without SILENT (404).
        ShapeViolation: the change breaks a shape; nothing was written (422).
    """
    settings = kg.settings
    parsed = parse_update(
        text,
        allowed_urls=settings.allowed_service_urls,
        max_bytes=settings.max_body_bytes,
        base_iri=base_iri,
    )
    dataset = dataset or UpdateDataset()
    check_dataset(parsed, dataset)

    def prepare(store: Store) -> Change:
        with Workspace(store, settings.data_dir) as workspace:
            return update_change(parsed, workspace, dataset, settings.base_iri)

    return kg.commit(prepare, Write(actor, "update", text))


def parse_update(
    text: str,
    *,
    allowed_urls: Iterable[str] = (),
    max_bytes: int = 10 * 1024 * 1024,
    base_iri: str | None = None,
) -> ParsedUpdate:
    """Read an update into its operations, refusing what must not be run.

    A LOAD of an allowed URL (`AICAP_ALLOWED_SERVICE_URLS`) is fetched here, so that its
    triples are validated with the rest of the change like INSERT DATA.

    Raises:
        TooComplex, Forbidden, QuerySyntaxError: as `apply_update`.
        BadInput: a LOAD without SILENT whose document cannot be fetched or parsed.
    """
    allowed = tuple(allowed_urls)
    check_update_safety(text, allowed_urls=allowed)
    texts = split_operations(text)
    if base_iri is not None:  # first in each prologue, so that the update's own BASE wins
        texts = [replace(t, prologue=(f"BASE <{base_iri}>", *t.prologue)) for t in texts]
    algebra = _rdflib_operations(blank_data(text, texts), text, base_iri)
    if len(algebra) != len(texts):
        raise KgError(f"the update has {len(algebra)} operations for rdflib, {len(texts)} here")
    operations = []
    labels: set[ox.BlankNode] = set()
    for op_algebra, op_text in zip(algebra, texts, strict=True):
        if op_algebra.name == "Load":
            operations.append(
                Operation(op_algebra, op_text, _loaded(op_algebra, allowed, max_bytes))
            )
            continue
        data = tuple(parse_quad_data(text, op_text)) if op_text.is_data else ()
        _check_blank_nodes(op_algebra.name, data, labels)
        where = None if op_text.where is None else text[slice(*op_text.where)]
        operations.append(Operation(op_algebra, op_text, data, where))
    return ParsedUpdate(text, tuple(operations))


def _loaded(algebra: CompValue, allowed: tuple[str, ...], max_bytes: int) -> tuple[ox.Quad, ...]:
    """Fetch and parse the document of a LOAD (the guards have checked its URL is allowed)."""
    url = str(algebra.iri)
    target = None if algebra.graphiri is None else str(algebra.graphiri)
    try:
        body, media_type = fetch_rdf(url, allowed_urls=allowed, max_bytes=max_bytes)
        return tuple(parse_rdf_bytes(body, media_type, target, source=url))
    except BadInput:
        if algebra.silent:
            return ()
        raise


def check_dataset(parsed: ParsedUpdate, dataset: UpdateDataset) -> None:
    """Refuse protocol graphs given together with USING or WITH (SPARQL 1.1 Protocol, 2.2.3).

    Raises:
        BadParameter: an operation has USING, USING NAMED or WITH, and so has the request.
    """
    if not dataset:
        return
    for op in parsed.operations:
        if op.kind == "Modify" and (op.algebra.using or op.algebra.withClause):
            raise BadParameter(
                "using-graph-uri / using-named-graph-uri cannot be combined with an update "
                "that has USING, USING NAMED or WITH",
                "give the dataset in the update or in the request, not both",
            )


def update_change(
    parsed: ParsedUpdate, workspace: Workspace, dataset: UpdateDataset, base_iri: str
) -> Change:
    """Run the operations in order against the workspace and return their net change.

    Raises:
        UnknownResource: a graph an operation needs does not exist (without SILENT).
        BadParameter: a graph that exists already for CREATE (without SILENT).
        QuerySyntaxError: a WHERE clause the engine does not parse.
    """
    for op in parsed.operations:
        workspace.apply(_delta(op, workspace, dataset, base_iri))
    return workspace.change()


# --- parsing ---------------------------------------------------------------------------------


def _rdflib_operations(text: str, original: str, base_iri: str | None) -> list[CompValue]:
    """Parse with rdflib the text whose quad data is blanked out (`original` has it)."""
    size = len(_SPACE.sub("", text))
    if size > MAX_PARSED_BYTES:
        raise TooComplex(
            f"the update's templates and patterns are {size:,} characters; "
            f"the limit is {MAX_PARSED_BYTES:,}",
            "send data in INSERT DATA / DELETE DATA blocks (any size) or by /graph-store",
        )
    try:
        return list(translateUpdate(parseUpdate(text), base=base_iri).algebra)
    except ParseBaseException as exc:
        rdflib_error = QuerySyntaxError(
            located_message(UPDATE_ERROR, original, exc.lineno, exc.col, exc.msg)
        )
        raise _engine_syntax_error(original, base_iri) or rdflib_error from None
    except RecursionError:
        raise TooComplex(
            "the update nests too deeply for the parser", "flatten the nesting"
        ) from None
    except Exception as exc:  # rdflib raises a bare Exception for an undeclared prefix
        if not str(exc).startswith(_UNKNOWN_PREFIX):
            raise
        prefix = str(exc).rpartition(":")[2].strip()
        # pyoxigraph says where the prefix is used; rdflib does not.
        raise _engine_syntax_error(original, base_iri) or QuerySyntaxError(
            f"{UPDATE_ERROR}: the prefix {prefix}: is not declared",
            f"declare it: PREFIX {prefix}: <…>",
        ) from None


def _engine_syntax_error(text: str, base_iri: str | None) -> QuerySyntaxError | None:
    """Ask pyoxigraph where an update that rdflib refused goes wrong (its positions are exact).

    pyparsing often reports a failure at the start of the operation that failed; the
    engine's parser names the line and column. Only called on text rdflib refused, and
    run on an empty in-memory store, after the guards: nothing can be read or fetched.
    """
    try:
        ox.Store().update(text, base_iri=base_iri)
    except SyntaxError as exc:
        return sparql_syntax_error(str(exc), text, UPDATE_ERROR)
    except (OSError, ValueError, RuntimeError):
        return None  # the engine parsed it and failed evaluating it: rdflib's message stands
    return None


def _check_blank_nodes(kind: str, data: tuple[ox.Quad, ...], seen: set[ox.BlankNode]) -> None:
    """Blank nodes: no graph named by one, none in DELETE DATA, no label in two operations."""
    if any(isinstance(q.graph_name, ox.BlankNode) for q in data):
        raise QuerySyntaxError("a graph in INSERT DATA or DELETE DATA is named by an IRI")
    labels = {t for q in data for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}
    if kind == "DeleteData" and labels:
        raise QuerySyntaxError("blank nodes are not allowed in DELETE DATA")
    if shared := labels & seen:
        raise QuerySyntaxError(
            f"the blank node _:{next(iter(shared)).value} is used by two operations",
            "a blank node label belongs to one INSERT DATA",
        )
    seen |= labels


# --- operations ------------------------------------------------------------------------------


def _delta(op: Operation, workspace: Workspace, dataset: UpdateDataset, base_iri: str) -> Change:
    """The effect of one operation on the dataset as the earlier ones left it."""
    kind, algebra = op.kind, op.algebra
    if kind in ("InsertData", "Load"):
        return Change(added=skolemize(op.data, base_iri))
    if kind == "DeleteData":
        return Change(removed=list(op.data))
    view = workspace.view()
    silent = bool(algebra.silent)
    if kind in ("DeleteWhere", "Modify"):
        assert op.where is not None
        default, named = _dataset(op, dataset)
        where = WhereClause(op.text.prologue, op.where, default, named)
        return modify(algebra, where, view, base_iri)
    if kind == "Clear":
        return clear(view, graph_ref(algebra.graphiri), silent=silent)
    if kind == "Drop":
        return drop(view, graph_ref(algebra.graphiri), silent=silent)
    if kind == "Create":
        graph = graph_ref(algebra.graphiri)
        assert isinstance(graph, ox.NamedNode)  # the grammar's: CREATE GRAPH <iri>
        return create(view, graph, silent=silent)
    if kind in ("Add", "Move", "Copy"):
        source, target = (graph_ref(g) for g in algebra.graph)
        return transfer(view, cast(TransferKind, kind.upper()), source, target, silent=silent)
    raise KgError(f"unknown update operation {kind}")


def _dataset(op: Operation, dataset: UpdateDataset) -> tuple[list[str] | None, list[str] | None]:
    """The WHERE's dataset: USING / USING NAMED, else the protocol's, else WITH, else the store.

    With USING (or the protocol's graphs) the dataset is exactly those graphs, as FROM and
    FROM NAMED make it for a query; WITH only sets the default graph.
    """
    using = op.algebra.using or []
    if using:
        default = [str(u.default) for u in using if u.default is not None]
        named = [str(u.named) for u in using if u.named is not None]
        return default, named
    if dataset and op.kind == "Modify":
        return list(dataset.using), list(dataset.using_named)
    if op.kind == "Modify" and op.algebra.withClause is not None:
        return [str(op.algebra.withClause)], None
    return None, None
