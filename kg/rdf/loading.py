"""Parse RDF files and bodies into quads, give every load its provenance, bootstrap the store.

pyoxigraph parses; its syntax errors carry a line and column, which `RdfSyntaxError` keeps.
It never reaches the network while parsing: a JSON-LD document with a remote ``@context``
fails (no document loader is set), and RDF/XML external entities are refused (the parser
only reads internal entity declarations). `tests/kg/test_loading.py` proves both.

Triples (no graph) go to the graph the caller names, or else to a new named graph
``<base>graph/load/<uuid>``; each file of a load is described in `LOADS_GRAPH` by its file
name, time, triple count and the graphs it went to, so every load keeps its provenance.

Blank nodes are parsed as such; then every write path replaces them with Skolem IRIs
``<base>.well-known/genid/<id>`` (RDF 1.1 Concepts, 3.5) by `skolemize`: a stored blank
node cannot be named by DELETE DATA, so one written once could never be removed or
replaced. `deskolemize` turns them back for tools that need blank nodes (the OWL reasoner
reads class expressions and lists as blank nodes).
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.parsers import expat

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, PROV, RDF, VOID, XSD

from kg.config import Settings
from kg.errors import BadParameter, RdfSyntaxError, UnsupportedFormat
from kg.namespaces import LOADS_GRAPH, ONTOLOGY_GRAPH
from kg.rdf.formats import RdfSyntax, rdf_syntax_for_media_type, rdf_syntax_for_suffix
from kg.store.embedded import Change, Store

GraphName = ox.NamedNode | ox.BlankNode

_LOADS = ox.NamedNode(str(LOADS_GRAPH))
SKOLEM_PATH = ".well-known/genid/"
"""Where Skolem IRIs live under the base IRI (RDF 1.1 Concepts, 3.5)."""
_POSITION_PREFIX = re.compile(
    r"^Parser error at line \d+ (between columns \d+ and \d+|column \d+): "
)
_HINTS: tuple[tuple[str, str], ...] = (
    (
        "No LoadDocumentCallback",
        "remote JSON-LD contexts are never fetched; put the @context inline in the document",
    ),
    ("<!ENTITY", "external XML entities are never resolved; declare entity values inline"),
    ("No scheme found", "relative IRIs are not resolved; write absolute IRIs"),
)
"""pyoxigraph message fragment -> what to do instead (appended as the error's hint)."""


PROGRESS_EVERY_QUADS = 20_000
"""How often parsing reports its progress (issue 5, point 6: long loads show progress)."""


@dataclass(frozen=True)
class LoadProgress:
    """How far the parsing of a load has got, reported to a `ProgressCallback`.

    Attributes:
        path: the file being parsed.
        bytes_read: bytes parsed so far, over all the files of the load.
        total_bytes: the size of all the files of the load.
        quads: quads parsed so far, over all the files.
    """

    path: Path
    bytes_read: int
    total_bytes: int
    quads: int

    @property
    def parsed(self) -> bool:
        """Whether every file has been parsed (validation and the commit come next)."""
        return self.bytes_read >= self.total_bytes


ProgressCallback = Callable[[LoadProgress], None]


@dataclass(frozen=True)
class FileLoad:
    """One file of a load: where its quads went and the record that describes it."""

    path: Path
    activity: ox.NamedNode
    graphs: tuple[GraphName, ...]
    quad_count: int


@dataclass
class PreparedLoad:
    """Parsed files, ready to validate and commit: their quads and their provenance records."""

    quads: list[ox.Quad] = field(default_factory=list)
    records: list[ox.Quad] = field(default_factory=list)
    files: list[FileLoad] = field(default_factory=list)

    def data_change(self) -> Change:
        """Return the change of the files' own quads (what the shapes check)."""
        return Change(added=list(self.quads))

    def change(self) -> Change:
        """Return the whole change: the files' quads and the records in `LOADS_GRAPH`."""
        return Change(added=self.quads + self.records)


def parse_rdf_file(
    path: Path,
    default_graph: ox.NamedNode | str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ox.Quad]:
    """Parse an RDF file whose syntax the suffix gives.

    Args:
        path: a .ttl, .nt, .nq, .trig, .jsonld, .rdf or .owl file.
        default_graph: where triples outside any named graph go (a node or an IRI); None
            leaves them in the default graph. Quads of N-Quads and TriG keep their graph.
        progress: called with (bytes parsed, quads parsed) every `PROGRESS_EVERY_QUADS`
            quads and once at the end.

    Returns:
        The quads, blank nodes renamed apart from those already stored.

    Raises:
        UnsupportedFormat: an unknown suffix; the message lists the accepted ones.
        RdfSyntaxError: the file does not parse; the message names file, line and column.
        BadParameter: `default_graph` is not an absolute IRI.
    """
    try:
        syntax = rdf_syntax_for_suffix(path.suffix)
    except UnsupportedFormat as exc:
        raise UnsupportedFormat(f"{path}: {exc.message}", exc.hint) from None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RdfSyntaxError(f"{path}: cannot read: {exc.strerror}", source=str(path)) from None
    return _parse(data, syntax, default_graph, str(path), progress)


def parse_rdf_bytes(
    data: bytes,
    media_type: str,
    default_graph: ox.NamedNode | str | None = None,
    source: str = "body",
) -> list[ox.Quad]:
    """Parse an RDF document whose syntax a media type gives (an HTTP body).

    Args:
        data: the document.
        media_type: its Content-Type (parameters such as charset are ignored).
        default_graph: as for `parse_rdf_file`.
        source: how error messages name the document.

    Raises:
        BadParameter: `default_graph` is not an absolute IRI.
        UnsupportedFormat: an unknown media type; the message lists the accepted ones.
        RdfSyntaxError: the bytes do not parse; the message gives line and column.
    """
    return _parse(data, rdf_syntax_for_media_type(media_type), default_graph, source)


def _parse(
    data: bytes,
    syntax: RdfSyntax,
    default_graph: ox.NamedNode | str | None,
    source: str,
    progress: Callable[[int, int], None] | None = None,
) -> list[ox.Quad]:
    if isinstance(default_graph, str):
        default_graph = graph_iri(default_graph)
    try:
        quads = _read_quads(data, syntax, progress)
    except SyntaxError as exc:
        raise _syntax_error(exc, data, syntax, source) from None
    if default_graph is None:
        return quads
    return [_into(q, default_graph) for q in quads]


def _read_quads(
    data: bytes, syntax: RdfSyntax, progress: Callable[[int, int], None] | None
) -> list[ox.Quad]:
    """Parse, telling `progress` how far the parser has read (it reads the stream in chunks).

    Raises:
        SyntaxError: pyoxigraph's, with the position.
    """
    if progress is None:
        return list(ox.parse(data, format=syntax.ox_format, rename_blank_nodes=True))
    stream = io.BytesIO(data)
    quads = []
    for quad in ox.parse(stream, format=syntax.ox_format, rename_blank_nodes=True):
        quads.append(quad)
        if len(quads) % PROGRESS_EVERY_QUADS == 0:
            progress(stream.tell(), len(quads))
    progress(len(data), len(quads))
    return quads


def _into(quad: ox.Quad, graph: ox.NamedNode) -> ox.Quad:
    if not isinstance(quad.graph_name, ox.DefaultGraph):
        return quad
    return ox.Quad(quad.subject, quad.predicate, quad.object, graph)


def _syntax_error(exc: SyntaxError, data: bytes, syntax: RdfSyntax, source: str) -> RdfSyntaxError:
    what = _POSITION_PREFIX.sub("", str(exc.msg))
    line, column = exc.lineno, exc.offset
    if line is None and syntax.ox_format == ox.RdfFormat.RDF_XML:
        line, column = _xml_position(data)
    where = "" if line is None else f"line {line}, column {column}: "
    error = RdfSyntaxError(
        f"{source}: {where}{syntax.name} syntax error: {what}",
        source=source,
        line=line,
        column=column,
    )
    error.hint = next((hint for fragment, hint in _HINTS if fragment in what), None)
    return error


def _xml_position(data: bytes) -> tuple[int | None, int | None]:
    """Locate an XML well-formedness error (pyoxigraph's RDF/XML errors carry no position).

    expat resolves no external entity without a handler, which none is given here.
    """
    parser = expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        return exc.lineno, exc.offset + 1
    return None, None


def skolem_iri(base_iri: str) -> ox.NamedNode:
    """Return a fresh Skolem IRI, ``<base>.well-known/genid/<uuid>``."""
    return ox.NamedNode(f"{base_iri}{SKOLEM_PATH}{uuid.uuid4().hex}")


def skolemize(
    quads: Iterable[ox.Quad],
    base_iri: str,
    mapping: dict[ox.BlankNode, ox.NamedNode] | None = None,
) -> list[ox.Quad]:
    """Replace every blank node by a fresh Skolem IRI; the same node by the same IRI.

    Args:
        quads: quads whose blank nodes are local to them (as parsed, or just minted).
        base_iri: the base of the project's IRIs (`Settings.base_iri`).
        mapping: blank node to IRI, shared between calls that must agree; filled here.

    Returns:
        The quads, without blank nodes (in subject, object, graph name or quoted triple).
    """
    names = {} if mapping is None else mapping

    def iri(term: ox.BlankNode) -> ox.NamedNode:
        if term not in names:
            names[term] = skolem_iri(base_iri)
        return names[term]

    return [_map_blank_nodes(q, iri) for q in quads]


def deskolemize(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """Turn Skolem IRIs (any base) back into blank nodes, the same IRI into the same node."""

    def node(term: ox.NamedNode) -> ox.BlankNode | ox.NamedNode:
        head, found, tail = term.value.rpartition("/" + SKOLEM_PATH)
        return ox.BlankNode(tail) if found and head and tail.isalnum() else term

    return [_map_terms(t, node) for t in triples]


def _map_blank_nodes(quad: ox.Quad, iri: Callable[[ox.BlankNode], ox.NamedNode]) -> ox.Quad:
    def term(t: Any) -> Any:
        if isinstance(t, ox.BlankNode):
            return iri(t)
        if isinstance(t, ox.Triple):
            return ox.Triple(term(t.subject), t.predicate, term(t.object))
        return t

    graph = quad.graph_name
    return ox.Quad(
        term(quad.subject),
        quad.predicate,
        term(quad.object),
        iri(graph) if isinstance(graph, ox.BlankNode) else graph,
    )


def _map_terms(triple: ox.Triple, node: Callable[[ox.NamedNode], Any]) -> ox.Triple:
    def term(t: Any) -> Any:
        if isinstance(t, ox.NamedNode):
            return node(t)
        if isinstance(t, ox.Triple):
            return _map_terms(t, node)
        return t

    return ox.Triple(term(triple.subject), triple.predicate, term(triple.object))


def graph_iri(value: str) -> ox.NamedNode:
    """Return the named node of a graph IRI given by a user.

    Raises:
        BadParameter: not an absolute IRI.
    """
    try:
        node = ox.NamedNode(value)
    except ValueError as exc:
        raise BadParameter(f"graph {value!r} is not an absolute IRI: {exc}") from None
    if ":" not in value:
        raise BadParameter(f"graph {value!r} is not an absolute IRI")
    return node


def prepare_load(
    paths: Sequence[Path],
    graph: str | None,
    base_iri: str,
    *,
    graph_for: ox.NamedNode | None = None,
    progress: ProgressCallback | None = None,
) -> PreparedLoad:
    """Parse files for one load and describe each in `LOADS_GRAPH`.

    Args:
        paths: the files, their syntax given by the suffix.
        graph: the graph IRI for triples outside any named graph; None gives each file a
            new graph ``<base>graph/load/<uuid>``.
        base_iri: the base of the project's IRIs (`Settings.base_iri`).
        graph_for: overrides `graph` with a named node (bootstrap uses the ontology graph).
        progress: told how far parsing has got, over all the files (`LoadProgress`).

    Raises:
        BadParameter: `graph` is not an absolute IRI.
        UnsupportedFormat: a file with an unknown suffix.
        RdfSyntaxError: a file does not parse.
    """
    target = graph_for if graph_for is not None else None if graph is None else graph_iri(graph)
    prepared = PreparedLoad()
    now = datetime.now(UTC)
    tracker = _ProgressTracker(paths, progress)
    for path in paths:
        load_id = uuid.uuid4()
        into = target or ox.NamedNode(f"{base_iri}graph/load/{load_id}")
        quads = skolemize(parse_rdf_file(path, into, tracker.file(path)), base_iri)
        activity = ox.NamedNode(f"{base_iri}id/load/{load_id}")
        record = FileLoad(path, activity, _graphs_of(quads), len(quads))
        prepared.quads.extend(quads)
        prepared.records.extend(describe_load(record, now))
        prepared.files.append(record)
    return prepared


class _ProgressTracker:
    """Turns one file's (bytes, quads) into `LoadProgress` over all the files of a load."""

    def __init__(self, paths: Sequence[Path], callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.total_bytes = sum(_size(p) for p in paths)
        self.bytes_before = self.quads_before = 0

    def file(self, path: Path) -> Callable[[int, int], None] | None:
        """The callback for one file, or None when nobody listens."""
        if self.callback is None:
            return None
        callback, bytes_before, quads_before = self.callback, self.bytes_before, self.quads_before
        self.bytes_before += _size(path)

        def tell(bytes_read: int, quads: int) -> None:
            self.quads_before = quads_before + quads
            done = bytes_before + bytes_read
            callback(LoadProgress(path, done, self.total_bytes, self.quads_before))

        return tell


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # parse_rdf_file reports the file that cannot be read
        return 0


def _graphs_of(quads: list[ox.Quad]) -> tuple[GraphName, ...]:
    """Return the named graphs of some quads, in order of first appearance."""
    found: dict[GraphName, None] = {}
    for q in quads:
        if isinstance(q.graph_name, ox.NamedNode | ox.BlankNode):
            found.setdefault(q.graph_name)
    return tuple(found)


def describe_load(load: FileLoad, when: datetime) -> list[ox.Quad]:
    """Return the quads that record one file's load in `LOADS_GRAPH` (PROV-O, DCTerms, VoID).

    The load is a prov:Activity with the file's name (dct:title), its time
    (prov:startedAtTime, xsd:dateTime), how many quads it brought (void:triples) and the
    graphs it wrote (prov:generated, and prov:wasGeneratedBy back from each graph).
    """
    a = load.activity
    quads = [
        _record(a, RDF.type, ox.NamedNode(str(PROV.Activity))),
        _record(a, DCTERMS.title, ox.Literal(load.path.name)),
        _record(a, PROV.startedAtTime, _datetime(when)),
        _record(a, VOID.triples, ox.Literal(str(load.quad_count), datatype=_xsd("integer"))),
    ]
    for graph in load.graphs:
        quads.append(_record(a, PROV.generated, graph))
        quads.append(_record(graph, PROV.wasGeneratedBy, a))
    return quads


def _record(
    s: ox.NamedNode | ox.BlankNode, p: object, o: ox.NamedNode | ox.BlankNode | ox.Literal
) -> ox.Quad:
    return ox.Quad(s, ox.NamedNode(str(p)), o, _LOADS)


def _datetime(when: datetime) -> ox.Literal:
    return ox.Literal(when.isoformat(timespec="seconds"), datatype=_xsd("dateTime"))


def _xsd(name: str) -> ox.NamedNode:
    return ox.NamedNode(str(XSD) + name)


def bundled_load(settings: Settings) -> PreparedLoad:
    """Parse the bundled RDF: ``ontology/*.ttl`` into `ONTOLOGY_GRAPH`, ``data/*.trig`` as is.

    Raises:
        RdfSyntaxError: a bundled file does not parse.
    """
    ontology = sorted(settings.ontology_dir.glob("*.ttl"))
    data = sorted(settings.bundled_data_dir.glob("*.trig"))
    schema = prepare_load(
        ontology, None, settings.base_iri, graph_for=ox.NamedNode(str(ONTOLOGY_GRAPH))
    )
    facts = prepare_load(data, None, settings.base_iri)
    return PreparedLoad(
        schema.quads + facts.quads, schema.records + facts.records, schema.files + facts.files
    )


def bootstrap(store: Store, settings: Settings) -> int:
    """Load the bundled ontology and data into an empty store, in one transaction.

    A store that holds anything is left as it is, so a second start reuses it.

    Returns:
        How many quads were written (0 when the store was not empty).

    Raises:
        RdfSyntaxError: a bundled file does not parse (nothing is written).
    """
    if store.count():
        return 0
    prepared = bundled_load(settings)
    change = prepared.change()
    if prepared.quads:
        store.apply_change(change)
    return len(change.added) if prepared.quads else 0
