"""Content negotiation: choose a serialization from the request's Accept header.

The media-type tables are `kg.rdf.formats`' (one per result kind: `RESULTS_FORMATS` for
SELECT/ASK, `RDF_SYNTAXES` for graphs); Werkzeug's `best_match` does the choosing, with no
hand-written Accept parser. An empty Accept or ``*/*`` gets the first format of the table
(SPARQL JSON for results, Turtle for graphs); an Accept that matches nothing is a 406 that
lists what the service produces.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from flask import request
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import NotAcceptable

from kg.rdf.formats import RdfSyntax, ResultsFormat

Format = TypeVar("Format", ResultsFormat, RdfSyntax)


def choose_format(formats: Sequence[Format]) -> Format:
    """Return the format of `formats` that this request's Accept header prefers.

    An absent or empty Accept gets ``formats[0]``; so does ``*/*``, because Werkzeug keeps
    the server's order between equally good matches.

    Raises:
        NotAcceptable: nothing in `formats` is acceptable (406); the message lists them.
    """
    accept = accepted_types()
    if not accept:
        return formats[0]
    by_media_type = media_type_index(formats)
    best = accept.best_match(by_media_type)
    if best is None:
        raise NotAcceptable(
            f"no acceptable format for Accept: {request.headers.get('Accept', '')}; "
            f"this resource is available as {', '.join(f.media_type for f in formats)}"
        )
    return by_media_type[best]


def accepted_types() -> MIMEAccept:
    """The request's Accept header with each media type's parameters dropped (quality kept).

    Werkzeug matches ``text/turtle; charset=utf-8`` only with an offer of the same
    parameters, and the service offers bare types: every body is UTF-8, and no syntax has
    a profile the service would serve differently. A client that names the charset (the
    W3C Graph Store tests do) must get the type it asked for, not a 406.
    """
    accept = request.accept_mimetypes
    return MIMEAccept([(value.split(";", 1)[0].strip(), quality) for value, quality in accept])


def media_type_index(formats: Sequence[Format]) -> dict[str, Format]:
    """Map every media type to its format: the main types first, then the extra ones.

    The order matters to `best_match`, which keeps the first of equal matches: ``*/*``
    must give the table's first format, and ``text/*`` a main type, never an extra one.
    """
    index = {f.media_type: f for f in formats}
    for f in formats:
        for extra in f.extra_media_types:
            index.setdefault(extra, f)
    return index


def content_type(fmt: ResultsFormat | RdfSyntax) -> str:
    """The Content-Type header of a response in `fmt` (with a charset where it has one)."""
    return str(fmt.ox_format.media_type)
