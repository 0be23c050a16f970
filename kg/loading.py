"""Parse RDF files and bodies into quads, give every load its provenance, bootstrap the store.

pyoxigraph parses; its syntax errors carry a line and column, which `RdfSyntaxError` keeps.
It never reaches the network while parsing: a JSON-LD document with a remote ``@context``
fails (no document loader is set), and RDF/XML external entities are refused (the parser
only reads internal entity declarations). `tests/kg/test_loading.py` proves both.

Triples (no graph) go to the graph the caller names, or else to a new named graph
``<base>graph/load/<uuid>``; each file of a load is described in `LOADS_GRAPH` by its file
name, time, triple count and the graphs it went to, so every load keeps its provenance.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from xml.parsers import expat

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, PROV, RDF, VOID, XSD

from kg.config import Settings
from kg.errors import BadParameter, RdfSyntaxError, UnsupportedFormat
from kg.formats import RdfSyntax, rdf_syntax_for_media_type, rdf_syntax_for_suffix
from kg.namespaces import LOADS_GRAPH, ONTOLOGY_GRAPH
from kg.store import Change, Store

GraphName = ox.NamedNode | ox.BlankNode

_LOADS = ox.NamedNode(str(LOADS_GRAPH))
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


def parse_rdf_file(path: Path, default_graph: ox.NamedNode | str | None = None) -> list[ox.Quad]:
    """Parse an RDF file whose syntax the suffix gives.

    Args:
        path: a .ttl, .nt, .nq, .trig, .jsonld, .rdf or .owl file.
        default_graph: where triples outside any named graph go (a node or an IRI); None
            leaves them in the default graph. Quads of N-Quads and TriG keep their graph.

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
    return _parse(data, syntax, default_graph, str(path))


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
    data: bytes, syntax: RdfSyntax, default_graph: ox.NamedNode | str | None, source: str
) -> list[ox.Quad]:
    if isinstance(default_graph, str):
        default_graph = graph_iri(default_graph)
    try:
        quads = list(ox.parse(data, format=syntax.ox_format, rename_blank_nodes=True))
    except SyntaxError as exc:
        raise _syntax_error(exc, data, syntax, source) from None
    if default_graph is None:
        return quads
    return [_into(q, default_graph) for q in quads]


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
) -> PreparedLoad:
    """Parse files for one load and describe each in `LOADS_GRAPH`.

    Args:
        paths: the files, their syntax given by the suffix.
        graph: the graph IRI for triples outside any named graph; None gives each file a
            new graph ``<base>graph/load/<uuid>``.
        base_iri: the base of the project's IRIs (`Settings.base_iri`).
        graph_for: overrides `graph` with a named node (bootstrap uses the ontology graph).

    Raises:
        BadParameter: `graph` is not an absolute IRI.
        UnsupportedFormat: a file with an unknown suffix.
        RdfSyntaxError: a file does not parse.
    """
    target = graph_for if graph_for is not None else None if graph is None else graph_iri(graph)
    prepared = PreparedLoad()
    now = datetime.now(UTC)
    for path in paths:
        load_id = uuid.uuid4()
        into = target or ox.NamedNode(f"{base_iri}graph/load/{load_id}")
        quads = parse_rdf_file(path, into)
        activity = ox.NamedNode(f"{base_iri}id/load/{load_id}")
        record = FileLoad(path, activity, _graphs_of(quads), len(quads))
        prepared.quads.extend(quads)
        prepared.records.extend(describe_load(record, now))
        prepared.files.append(record)
    return prepared


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
