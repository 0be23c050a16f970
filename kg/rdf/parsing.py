"""Parse RDF files and bodies into quads, with errors that name the line and column.

pyoxigraph parses; its syntax errors carry a line and column, which `RdfSyntaxError` keeps
and `kg.rdf.syntax_errors` shows under the line of the document they fall on.
It never reaches the network while parsing: a JSON-LD document with a remote ``@context``
fails (no document loader is set), and RDF/XML external entities are refused (the parser
only reads internal entity declarations). `tests/kg/rdf/test_loading.py` proves both.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from xml.parsers import expat

import pyoxigraph as ox

from kg.errors import BadParameter, RdfSyntaxError, UnsupportedFormat
from kg.rdf.formats import RdfSyntax, rdf_syntax_for_media_type, rdf_syntax_for_suffix
from kg.rdf.syntax_errors import excerpt, rdf_end_column, rdf_reason

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
"""How often parsing reports its progress so that a long load shows it is moving."""


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
    base_iri: str | None = None,
) -> list[ox.Quad]:
    """Parse an RDF document whose syntax a media type gives (an HTTP body).

    Args:
        data: the document.
        media_type: its Content-Type (parameters such as charset are ignored).
        default_graph: as for `parse_rdf_file`.
        source: how error messages name the document.
        base_iri: what relative IRIs resolve against (the request URL, RFC 3986 5.1.3);
            None leaves them an error.

    Raises:
        BadParameter: `default_graph` is not an absolute IRI.
        UnsupportedFormat: an unknown media type; the message lists the accepted ones.
        RdfSyntaxError: the bytes do not parse; the message gives line and column.
    """
    syntax = rdf_syntax_for_media_type(media_type)
    return _parse(data, syntax, default_graph, source, base_iri=base_iri)


def _parse(
    data: bytes,
    syntax: RdfSyntax,
    default_graph: ox.NamedNode | str | None,
    source: str,
    progress: Callable[[int, int], None] | None = None,
    base_iri: str | None = None,
) -> list[ox.Quad]:
    if isinstance(default_graph, str):
        default_graph = graph_iri(default_graph)
    try:
        quads = _read_quads(data, syntax, progress, base_iri)
    except SyntaxError as exc:
        raise _syntax_error(exc, data, syntax, source) from None
    if default_graph is None:
        return quads
    return [_into(q, default_graph) for q in quads]


def _read_quads(
    data: bytes,
    syntax: RdfSyntax,
    progress: Callable[[int, int], None] | None,
    base_iri: str | None = None,
) -> list[ox.Quad]:
    """Parse, telling `progress` how far the parser has read (it reads the stream in chunks).

    Raises:
        SyntaxError: pyoxigraph's, with the position.
    """
    if progress is None:
        return list(
            ox.parse(data, format=syntax.ox_format, base_iri=base_iri, rename_blank_nodes=True)
        )
    stream = io.BytesIO(data)
    quads = []
    quads_read = ox.parse(
        stream, format=syntax.ox_format, base_iri=base_iri, rename_blank_nodes=True
    )
    for quad in quads_read:
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
    what = rdf_reason(exc)
    line, column, end_column = exc.lineno, exc.offset, rdf_end_column(exc)
    if line is None and syntax.ox_format == ox.RdfFormat.RDF_XML:
        line, column = _xml_position(data)
    message = f"{source}: {syntax.name} syntax error: {what}"
    if line is not None and column is not None:
        message = (
            f"{source}: line {line}, column {column}: {syntax.name} syntax error: {what}\n"
            + excerpt(data, line, column, end_column=end_column, rdf=True)
        )
    error = RdfSyntaxError(
        message,
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
