"""`/id/<rest>`: the linked-data page of ``<base>id/<rest>``.

Browsers get HTML; other clients Turtle, JSON-LD, N-Triples, TriG or N-Quads by Accept
(Turtle for ``*/*``), or by a suffix (``.ttl``, ``.jsonld``, ``.nt``, ``.trig``, ``.nq``,
``.html``), as Datasette does with ``.json``. The RDF forms carry the description of
`kg.views.resources`: the resource's SCBD plus the claims and sources it rests on.

The route reads the store and nothing else: a path that climbs (``..``, encoded or
double-encoded) or holds empty segments is a 404 before any lookup.
"""

from __future__ import annotations

from typing import Final, Literal
from urllib.parse import unquote

from flask import Blueprint, Response, render_template, request, url_for
from werkzeug.exceptions import NotAcceptable, NotFound

from kg.errors import UnknownResource
from kg.rdf.formats import RdfSyntax
from kg.views.resources import (
    DESCRIPTION_SYNTAXES,
    Description,
    describe_resource,
    resource_iri,
    serialize_description,
)
from server.context import current_kg
from server.negotiation import accepted_types, content_type, media_type_index

bp = Blueprint("resources", __name__)

HTML = "text/html"
HTML_MEDIA_TYPES = (HTML, "application/xhtml+xml")
PAGE: Final = "html"
Form = RdfSyntax | Literal["html"]
"""What a response is: an RDF syntax, or the HTML page."""
SUFFIXES: dict[str, Form] = {**{f".{s.suffix}": s for s in DESCRIPTION_SYNTAXES}, ".html": PAGE}
"""File suffixes that fix the form instead of Accept."""
PAGE_POLICY = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The page's Content-Security-Policy: no script at all, styles from here and inline."""
DECODING_ROUNDS = 4
"""How many layers of percent-encoding the climb check peels (``%25252e`` is three)."""


@bp.get("/id/<path:rest>", merge_slashes=False)
def resource(rest: str) -> Response:
    """Answer the description of ``<base>id/<rest>`` as a page or in an RDF syntax.

    Raises:
        NotFound: a path that climbs or has empty segments (404).
        UnknownResource: no triple mentions the resource (404).
        NotAcceptable: Accept matches no form (406); the message lists them.
    """
    if climbs(rest):
        raise NotFound(f"no resource at /id/{rest}: resource paths do not climb")
    kg = current_kg()
    base = kg.settings.base_iri
    path, fixed = split_suffix(rest)
    try:
        description = describe_resource(kg.store, resource_iri(base, path), base)
    except UnknownResource:
        if path == rest:
            raise
        path, fixed = rest, None  # an IRI that really ends in a suffix-like string
        description = describe_resource(kg.store, resource_iri(base, path), base)
    form = choose_form() if fixed is None else fixed
    if isinstance(form, RdfSyntax):
        body = serialize_description(description, form, base)
        response = Response(body, content_type=content_type(form))
    else:
        response = Response(render_page(description), mimetype=HTML)
        response.headers["Content-Security-Policy"] = PAGE_POLICY
    if fixed is None:
        response.vary.add("Accept")
    response.headers["Link"] = alternates(path)
    return response


def climbs(rest: str) -> bool:
    """Tell whether a path leaves ``/id/``: a ``.`` or ``..`` segment, an empty segment, a
    backslash or NUL, under up to `DECODING_ROUNDS` layers of percent-encoding."""
    text = rest
    for _ in range(DECODING_ROUNDS):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    if "\\" in text or "\x00" in text or unquote(text) != text:
        return True  # a path separator in disguise, or more layers than are peeled
    return any(segment in ("", ".", "..") for segment in text.split("/"))


def split_suffix(rest: str) -> tuple[str, Form | None]:
    """Split a form suffix off a path: (path, form), or (rest, None) when the path has no
    such suffix and Accept decides."""
    for suffix, form in SUFFIXES.items():
        if rest.endswith(suffix) and len(rest) > len(suffix):
            return rest[: -len(suffix)], form
    return rest, None


def choose_form() -> Form:
    """Return the form Accept prefers: an RDF syntax, or the page.

    Raises:
        NotAcceptable: nothing offered is acceptable (406); the message lists the forms.
    """
    accept = accepted_types()
    if not accept:
        return DESCRIPTION_SYNTAXES[0]
    index: dict[str, Form] = dict(media_type_index(DESCRIPTION_SYNTAXES))
    index.update(dict.fromkeys(HTML_MEDIA_TYPES, PAGE))
    best = accept.best_match(list(index))
    if best is None:
        offered = ", ".join([HTML, *(s.media_type for s in DESCRIPTION_SYNTAXES)])
        raise NotAcceptable(
            f"no acceptable format for Accept: {request.headers.get('Accept', '')}; "
            f"this resource is available as {offered}"
        )
    return index[best]


def alternates(path: str) -> str:
    """The Link header naming every form of the resource (RFC 8288, rel=alternate)."""
    links = [f'<{url_for(".resource", rest=path + ".html")}>; rel="alternate"; type="{HTML}"']
    links += [
        f'<{url_for(".resource", rest=f"{path}.{s.suffix}")}>; rel="alternate"; '
        f'type="{s.media_type}"'
        for s in DESCRIPTION_SYNTAXES
    ]
    return ", ".join(links)


def render_page(description: Description) -> str:
    """Render the HTML page of a description (autoescaped template)."""
    forms = [(s.name, f"{description.path}.{s.suffix}") for s in DESCRIPTION_SYNTAXES]
    return render_template("resource.html", d=description, forms=forms)
