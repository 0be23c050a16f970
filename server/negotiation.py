"""Content negotiation: choose a serialization from the request's Accept header.

One table per result kind (solutions and booleans; graphs), like rdflib-endpoint's
media-type tables; Werkzeug's `best_match` does the choosing, with no hand-written Accept
parser. An empty Accept or ``*/*`` gets the first format of the table (SPARQL JSON for
results, Turtle for graphs); an Accept that matches nothing is a 406 that lists what the
service produces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from flask import request
from werkzeug.exceptions import NotAcceptable

_W3C_FORMATS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    """A serialization the service produces.

    Attributes:
        name: the short name (`json`, `turtle` ...), as `?format=` and the CLI spell it.
        media_types: what an Accept header may ask for; the first is the canonical one.
        oxigraph: the pyoxigraph format that writes it.
        iri: the format's IRI in the W3C registry, for the service description.
    """

    name: str
    media_types: tuple[str, ...]
    oxigraph: ox.QueryResultsFormat | ox.RdfFormat
    iri: str

    @property
    def content_type(self) -> str:
        """The Content-Type header value of a response in this format."""
        return self.oxigraph.media_type


RESULTS_FORMATS: tuple[Format, ...] = (
    Format(
        "json",
        ("application/sparql-results+json", "application/json"),
        ox.QueryResultsFormat.JSON,
        _W3C_FORMATS + "SPARQL_Results_JSON",
    ),
    Format(
        "xml",
        ("application/sparql-results+xml", "application/xml", "text/xml"),
        ox.QueryResultsFormat.XML,
        _W3C_FORMATS + "SPARQL_Results_XML",
    ),
    Format("csv", ("text/csv",), ox.QueryResultsFormat.CSV, _W3C_FORMATS + "SPARQL_Results_CSV"),
    Format(
        "tsv",
        ("text/tab-separated-values", "text/tsv"),
        ox.QueryResultsFormat.TSV,
        _W3C_FORMATS + "SPARQL_Results_TSV",
    ),
)
"""Formats for SELECT and ASK results; the first is the default."""

GRAPH_FORMATS: tuple[Format, ...] = (
    Format(
        "turtle",
        ("text/turtle", "application/x-turtle"),
        ox.RdfFormat.TURTLE,
        _W3C_FORMATS + "Turtle",
    ),
    Format(
        "ntriples", ("application/n-triples",), ox.RdfFormat.N_TRIPLES, _W3C_FORMATS + "N-Triples"
    ),
    Format("nquads", ("application/n-quads",), ox.RdfFormat.N_QUADS, _W3C_FORMATS + "N-Quads"),
    Format("trig", ("application/trig",), ox.RdfFormat.TRIG, _W3C_FORMATS + "TriG"),
    Format(
        "jsonld",
        ("application/ld+json", "application/json"),
        ox.RdfFormat.JSON_LD,
        _W3C_FORMATS + "JSON-LD",
    ),
    Format(
        "rdfxml",
        ("application/rdf+xml", "application/xml"),
        ox.RdfFormat.RDF_XML,
        _W3C_FORMATS + "RDF_XML",
    ),
)
"""Formats for CONSTRUCT and DESCRIBE results and other graphs; the first is the default."""


def choose_format(formats: Sequence[Format]) -> Format:
    """Return the format of `formats` that this request's Accept header prefers.

    An absent or empty Accept gets ``formats[0]``; so does ``*/*``, because Werkzeug keeps
    the server's order between equally good matches.

    Raises:
        NotAcceptable: nothing in `formats` is acceptable (406); the message lists them.
    """
    accept = request.accept_mimetypes
    if not accept:
        return formats[0]
    by_media_type = media_type_index(formats)
    best = accept.best_match(by_media_type)
    if best is None:
        raise NotAcceptable(
            f"no acceptable format for Accept: {request.headers.get('Accept', '')}; "
            f"this resource is available as {', '.join(f.media_types[0] for f in formats)}"
        )
    return by_media_type[best]


def media_type_index(formats: Sequence[Format]) -> dict[str, Format]:
    """Map every media type to its format: canonical types first, then aliases.

    The order matters to `best_match`: ``text/*`` should give ``text/csv``, not the
    ``text/xml`` alias.
    """
    index = {f.media_types[0]: f for f in formats}
    for f in formats:
        for alias in f.media_types[1:]:
            index.setdefault(alias, f)
    return index
