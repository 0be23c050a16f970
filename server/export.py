"""`/export`: the dataset, or one graph, with its provenance, streamed.

``?format=nq|trig|ttl|jsonld`` names the syntax (without it, Accept chooses among them,
TriG for ``*/*``); ``&graph=IRI`` exports that graph alone. N-Quads, TriG and JSON-LD keep
the named graphs; Turtle of the whole dataset is the merge of all graphs. The body is
`KnowledgeGraph.export` (what ``aicap export`` writes) streamed through `kg.rdf.export`: the
response starts before the export ends and the service never holds the whole of it.
"""

from __future__ import annotations

from itertools import chain

from flask import Blueprint, Response, request
from werkzeug.exceptions import NotAcceptable

from kg.rdf.export import export_filename, export_syntax, stream_export
from kg.rdf.formats import EXPORT_NAMES, RdfSyntax
from server.context import current_kg
from server.negotiation import accepted_types, content_type, media_type_index

bp = Blueprint("export", __name__)

NEGOTIATED_ORDER = ("trig", "nq", "ttl", "jsonld")
"""Export formats in the order Accept chooses among them: TriG for ``*/*``."""


@bp.get("/export")
def export() -> Response:
    """Stream the dataset or one graph as an attachment.

    Raises:
        BadParameter: an unknown ``format=`` (400, the formats listed) or a ``graph=``
            that is not an IRI (400).
        UnknownResource: no graph with that IRI (404, the graphs listed).
        NotAcceptable: no ``format=`` and an Accept that matches no export format (406).
    """
    name = request.args.get("format")
    syntax = choose_export_syntax() if name is None else export_syntax(name)
    graph = request.args.get("graph")
    kg = current_kg()
    chunks = stream_export(kg, syntax.name, graph)
    first = next(chunks, b"")  # unknown graph, bad IRI: raised here, before the status
    response = Response(chain([first], chunks), content_type=content_type(syntax))
    filename = export_filename(syntax, graph, kg.settings.base_iri)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    if name is None:
        response.vary.add("Accept")
    return response


def choose_export_syntax() -> RdfSyntax:
    """Return the export syntax Accept prefers (TriG when anything goes).

    Raises:
        NotAcceptable: Accept matches none of them (406); the message lists them.
    """
    syntaxes = [export_syntax(name) for name in NEGOTIATED_ORDER]
    accept = accepted_types()
    if not accept:
        return syntaxes[0]
    index = media_type_index(syntaxes)
    best = accept.best_match(list(index))
    if best is None:
        raise NotAcceptable(
            f"no acceptable format for Accept: {request.headers.get('Accept', '')}; "
            f"the export is available as {', '.join(s.media_type for s in syntaxes)} "
            f"(or name one with ?format={'|'.join(EXPORT_NAMES)})"
        )
    return index[best]
