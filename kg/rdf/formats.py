"""Media types, file suffixes and short names of every syntax the project reads or writes.

One table per result kind, as rdflib-endpoint keeps them: SELECT/ASK results, and RDF
graphs or datasets (CONSTRUCT/DESCRIBE results, exports, uploads). The server negotiates
against `media_types()`; the CLI and `?format=` use the short names; loading uses the
suffixes. A `table` renderer gives the CLI a text view of any result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import pyoxigraph as ox

from kg.errors import UnsupportedFormat
from kg.namespaces import PREFIXES
from kg.store.protocol import QueryResult


@dataclass(frozen=True)
class ResultsFormat:
    """A syntax for SELECT and ASK results."""

    name: str
    media_type: str
    suffix: str
    ox_format: ox.QueryResultsFormat
    aliases: tuple[str, ...] = ()
    extra_media_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class RdfSyntax:
    """A syntax for RDF graphs and datasets."""

    name: str
    media_type: str
    suffix: str
    ox_format: ox.RdfFormat
    aliases: tuple[str, ...] = ()
    extra_suffixes: tuple[str, ...] = ()
    extra_media_types: tuple[str, ...] = ()

    @property
    def supports_datasets(self) -> bool:
        """Tell whether the syntax can carry named graphs."""
        return bool(self.ox_format.supports_datasets)


class _Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def aliases(self) -> tuple[str, ...]: ...


_F = TypeVar("_F", bound=_Named)

RESULTS_FORMATS: tuple[ResultsFormat, ...] = (
    ResultsFormat(
        "json",
        "application/sparql-results+json",
        "srj",
        ox.QueryResultsFormat.JSON,
        extra_media_types=("application/json",),
    ),
    ResultsFormat(
        "xml",
        "application/sparql-results+xml",
        "srx",
        ox.QueryResultsFormat.XML,
        extra_media_types=("application/xml", "text/xml"),
    ),
    ResultsFormat("csv", "text/csv", "csv", ox.QueryResultsFormat.CSV),
    ResultsFormat(
        "tsv",
        "text/tab-separated-values",
        "tsv",
        ox.QueryResultsFormat.TSV,
        extra_media_types=("text/tsv",),
    ),
)
"""SELECT/ASK results; the first is the default (SPARQL JSON)."""

RDF_SYNTAXES: tuple[RdfSyntax, ...] = (
    RdfSyntax(
        "turtle",
        "text/turtle",
        "ttl",
        ox.RdfFormat.TURTLE,
        ("ttl",),
        extra_media_types=("application/x-turtle",),
    ),
    RdfSyntax("ntriples", "application/n-triples", "nt", ox.RdfFormat.N_TRIPLES, ("nt",)),
    RdfSyntax("nquads", "application/n-quads", "nq", ox.RdfFormat.N_QUADS, ("nq",)),
    RdfSyntax("trig", "application/trig", "trig", ox.RdfFormat.TRIG),
    RdfSyntax("jsonld", "application/ld+json", "jsonld", ox.RdfFormat.JSON_LD, ("json-ld",)),
    RdfSyntax(
        "rdfxml",
        "application/rdf+xml",
        "rdf",
        ox.RdfFormat.RDF_XML,
        ("rdf", "xml"),
        extra_suffixes=("owl",),
        extra_media_types=("application/xml", "text/xml"),
    ),
)
"""RDF graphs and datasets; the first is the default for graphs (Turtle)."""

EXPORT_NAMES: tuple[str, ...] = ("nq", "trig", "ttl", "jsonld")
"""The names `aicap export --format` and `/export?format=` accept (CONTRACT)."""


def results_format(name: str) -> ResultsFormat:
    """Return the results format with this short name (`json`, `xml`, `csv`, `tsv`).

    Raises:
        UnsupportedFormat: no such format; the message lists the accepted names.
    """
    return _by_name(RESULTS_FORMATS, name, "query results")


def rdf_syntax(name: str) -> RdfSyntax:
    """Return the RDF syntax with this short name or alias (`ttl`, `nq`, `jsonld` ...).

    Raises:
        UnsupportedFormat: no such syntax; the message lists the accepted names.
    """
    return _by_name(RDF_SYNTAXES, name, "RDF")


def rdf_syntax_for_suffix(suffix: str) -> RdfSyntax:
    """Return the RDF syntax of a file suffix (with or without the dot).

    Raises:
        UnsupportedFormat: an unknown suffix; the message lists the accepted ones.
    """
    wanted = suffix.lower().lstrip(".")
    for syntax in RDF_SYNTAXES:
        if wanted in (syntax.suffix, *syntax.extra_suffixes):
            return syntax
    accepted = ", ".join("." + s for s in rdf_suffixes())
    raise UnsupportedFormat(
        f"cannot tell the RDF syntax of suffix {suffix!r}", f"accepted: {accepted}"
    )


def rdf_syntax_for_media_type(media_type: str) -> RdfSyntax:
    """Return the RDF syntax of a media type (parameters such as charset are ignored).

    Raises:
        UnsupportedFormat: an unknown media type; the message lists the accepted ones.
    """
    wanted = media_type.split(";", 1)[0].strip().lower()
    for syntax in RDF_SYNTAXES:
        if wanted in (syntax.media_type, *syntax.extra_media_types):
            return syntax
    accepted = ", ".join(s.media_type for s in RDF_SYNTAXES)
    raise UnsupportedFormat(f"unsupported RDF media type {media_type!r}", f"accepted: {accepted}")


def rdf_suffixes() -> list[str]:
    """Return every file suffix that loading accepts, without dots."""
    return [suffix for s in RDF_SYNTAXES for suffix in (s.suffix, *s.extra_suffixes)]


def media_types(formats: Iterable[ResultsFormat | RdfSyntax]) -> list[str]:
    """Return the main media types of some formats, in table order (for negotiation)."""
    return [f.media_type for f in formats]


def serialize_results(
    result: QueryResult,
    fmt: ResultsFormat | RdfSyntax | ox.QueryResultsFormat | ox.RdfFormat,
) -> bytes:
    """Serialize a query result: SELECT/ASK in a results format, CONSTRUCT in an RDF syntax.

    Args:
        result: what `KnowledgeGraph.query` or `run_stored` returned (consumed here).
        fmt: an entry of `RESULTS_FORMATS` or `RDF_SYNTAXES`, or a pyoxigraph format.

    Raises:
        UnsupportedFormat: the format does not fit the kind of result.
    """
    target = fmt.ox_format if isinstance(fmt, ResultsFormat | RdfSyntax) else fmt
    if isinstance(result, ox.QueryTriples):
        if not isinstance(target, ox.RdfFormat):
            raise _kind_mismatch("graph", target.name, [s.name for s in RDF_SYNTAXES])
        return _bytes(result.serialize(format=target))
    if not isinstance(target, ox.QueryResultsFormat):
        raise _kind_mismatch("SELECT/ASK", target.name, [f.name for f in RESULTS_FORMATS])
    return _bytes(result.serialize(format=target))


def render_table(result: QueryResult) -> str:
    """Render a query result as an aligned text table for the terminal."""
    if isinstance(result, ox.QueryBoolean):
        return "true" if result else "false"
    if isinstance(result, ox.QueryTriples):
        header = ["subject", "predicate", "object"]
        rows = [[_cell(t.subject), _cell(t.predicate), _cell(t.object)] for t in result]
    else:
        header = [v.value for v in result.variables]
        rows = [[_cell(solution[v]) for v in header] for solution in result]
    return _align(header, rows)


def _by_name(table: Sequence[_F], name: str, kind: str) -> _F:
    wanted = name.lower()
    for entry in table:
        if wanted in (entry.name, *entry.aliases):
            return entry
    accepted = ", ".join(f.name for f in table)
    raise UnsupportedFormat(f"unknown {kind} format {name!r}", f"accepted: {accepted}")


def _kind_mismatch(kind: str, name: str, accepted: list[str]) -> UnsupportedFormat:
    return UnsupportedFormat(
        f"format {name!r} does not fit a {kind} result", "accepted: " + ", ".join(accepted)
    )


def _bytes(data: bytes | None) -> bytes:
    return b"" if data is None else data


TABLE_CELL_CHARS = 80
"""Longer cells are cut in `render_table` (the full values: --format json, csv or tsv)."""


def _cell(term: object) -> str:
    if term is None:
        text = ""
    elif isinstance(term, ox.NamedNode):
        text = compact_iri(term.value)
    elif isinstance(term, ox.Literal):
        text = term.value
    elif isinstance(term, ox.BlankNode):
        text = f"_:{term.value}"
    else:
        text = str(term)
    text = " ".join(text.split())
    return text if len(text) <= TABLE_CELL_CHARS else text[: TABLE_CELL_CHARS - 1] + "…"


def compact_iri(iri: str) -> str:
    """Return `prefix:local` for an IRI under one of the project's prefixes, else the IRI.

    For reading only: a local part may hold slashes (``id:firm/openai``).
    """
    for prefix, namespace in PREFIXES.items():
        local = iri.removeprefix(namespace)
        if local != iri and local and all(c.isalnum() or c in "-_./" for c in local):
            return f"{prefix}:{local}"
    return iri


def _align(header: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    footer = f"({len(rows)} row{'' if len(rows) == 1 else 's'})"
    return "\n".join([line(header), rule, *(line(r) for r in rows), footer])
