"""The pages for people: `/`, the query page, and `/queries/<name>`, one per question.

`/` is YASGUI (vendored under ``static/yasgui``, no CDN) aimed at the service's own
`/sparql`, with the twelve analyst questions ready to open in the editor, links to their
result tables, and the pictures. `/queries/<name>` shows a question, a form for its
parameters, and its answer as a table whose resources link to the service's `/id/` pages,
with the CSV and JSON of `/api/queries/<name>`. Its figures read for people
(`kg.views.figures`: ``USD 300 bn``, ``10%``), the exact value in each one's ``title``;
its quotes run under their rows (`shown_columns`).

Templates are autoescaped; query texts reach the page's script as JSON (``tojson``). The
pages carry a Content-Security-Policy that lets the browser fetch from this origin only,
so a page can never call out, whatever a library in it would try.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, render_template, request, url_for
from markupsafe import Markup

from kg.errors import BadParameter, KgError, MissingParameter, UnknownResource
from kg.query.query_files import StoredQuery
from kg.query.solutions import Cell, Row, SolutionTable, table_from_json
from kg.views.figures import figure_text, is_prose, rule_for
from kg.views.pictures import PICTURES
from server.context import current_kg
from server.errors import status_for

bp = Blueprint("pages", __name__)

PAGE_ROWS = 1000
"""At most this many rows are shown on a page; the CSV and JSON links have them all."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data: blob:; "
    "style-src 'self' 'unsafe-inline'; font-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
"""YASGUI sets inline styles, hence 'unsafe-inline' for styles only; scripts are files."""

BRIEF_ORDER = (
    "loi-only-obligations", "circular-flows", "commitments-vs-revenue", "committed-gigawatts",
    "equity-for-orders", "counterparty-exposure", "credit-on-nonbinding", "funding-sources",
    "share-price-reactions", "gpu-rental-margin", "token-demand-growth", "claims-and-sources",
)  # fmt: skip
"""The stored queries in the order of the brief's questions 1-12 (CONTRACT.md)."""

PATH_SAFE = "/:@!$&'()*+,;=-._~"
"""Characters an IRI's path keeps in an `/id/` URL (RFC 3986 pchar and /)."""

DOWNLOADS = (("CSV", "csv"), ("JSON", "json"), ("TSV", "tsv"))
"""Links under each answer: the label and the ``format=`` of `/api/queries/<name>`."""


@bp.after_request
def same_origin_only(response: Response) -> Response:
    """Let the page load and fetch from this origin only: it works offline and leaks nothing."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@bp.get("/")
def index() -> str:
    """The query page: YASGUI on `/sparql`, the questions, the pictures."""
    kg = current_kg()
    queries = sorted(kg.catalogue, key=question_number)
    editor_tabs = [
        {"name": q.name, "title": q.title, "sparql": q.sparql, "page": page_url(q.name)}
        for q in queries
    ]
    return render_template(
        "index.html",
        queries=queries,
        editor_tabs=editor_tabs,
        resource_base=f"{kg.settings.base_iri}id/",
        pictures=list(PICTURES.values()),
        downloads=DOWNLOADS,
    )


@bp.get("/queries/<name>")
def question(name: str) -> tuple[str, int]:
    """One question: its form, its answer as a table, links to its CSV and JSON."""
    kg = current_kg()
    query = kg.catalogue.get(name)  # an unknown name is a 404 listing the names
    values = {p.name: request.args.get(p.name, "").strip() for p in query.params}
    unknown = sorted(set(request.args) - set(values))
    given = {k: v for k, v in values.items() if v}
    table: SolutionTable | None = None
    error: KgError | None = None
    status = 200
    try:
        if unknown:
            raise BadParameter(f"{name} takes no parameter {', '.join(unknown)}")
        if _ready(query, given):
            table = table_from_json(kg.execute_stored(name, given, result_format="json").body)
    except (BadParameter, MissingParameter, UnknownResource) as exc:
        error, status = exc, status_for(exc)
    return render_template(
        "question.html",
        query=query,
        values=values,
        table=table,
        columns=shown_columns(() if table is None else table.variables),
        shown=PAGE_ROWS,
        error=error,
        known=getattr(error, "known", None),
        api_url=f"{request.script_root}/api/queries/{quote(name)}",
        query_string=urlencode(given),
        downloads=DOWNLOADS,
        pictures=pictures_of(query, given),
    ), status


def question_number(query: StoredQuery) -> tuple[int, str]:
    """Order the questions as the brief numbers them (`BRIEF_ORDER`), others after."""
    number = BRIEF_ORDER.index(query.name) if query.name in BRIEF_ORDER else len(BRIEF_ORDER)
    return number, query.name


def _ready(query: StoredQuery, given: Mapping[str, str]) -> bool:
    """Run only once every required parameter has a value; else show the form alone."""
    return all(p.name in given or p.default is not None for p in query.params if p.required)


def pictures_of(query: StoredQuery, given: Mapping[str, str]) -> list[tuple[str, str]]:
    """The pictures drawn from a stored query, as (title, URL with the parameters they take)."""
    shown = []
    for picture in PICTURES.values():
        if query.name in picture.queries:
            params = {k: v for k, v in given.items() if k in picture.params}
            url = url_for("pictures.picture", name=picture.name)
            shown.append((picture.title, f"{url}?{urlencode(params)}" if params else url))
    return shown


def shown_columns(variables: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Split the columns into the table's and the prose shown under each row.

    ``xLabel`` beside ``x`` is left out: the label is the link text of x's cells. Prose
    (quotes, descriptions: `kg.views.figures.is_prose`) squeezed into one column of a wide
    table is a strip of a few words a line, hundreds of pixels tall, or off the screen;
    under its row, across the table, it reads as a paragraph.

    Returns:
        (the table's columns, the prose columns); all in the table if all are prose.
    """
    columns = [
        v for v in variables if not (v.endswith("Label") and v[: -len("Label")] in variables)
    ]
    table = [v for v in columns if not is_prose(v)]
    return (table, [v for v in columns if is_prose(v)]) if table else (columns, [])


def page_url(name: str) -> str:
    """The URL of a question's page."""
    return url_for("pages.question", name=name)


# --- cells ---------------------------------------------------------------------------------


@bp.app_template_filter("resource_url")
def resource_url(iri: str) -> str | None:
    """Return the service's own `/id/` URL of ``<base>id/<rest>``; None for other IRIs."""
    base = f"{current_kg().settings.base_iri}id/"
    rest = iri.removeprefix(base)
    if rest == iri or not rest:
        return None
    return f"{request.script_root}/id/{quote(rest, safe=PATH_SAFE)}"


@bp.app_template_filter("cell_html")
def cell_html(cell: Cell | None, row: Row | None = None, variable: str = "") -> Markup:
    """Render one cell: resources as links to `/id/`, numbers grouped, text escaped.

    A resource shows the label that the row gives in ``<variable>Label``, if any. Literals
    that list IRIs (``a | b``, as GROUP_CONCAT writes them) link each one.
    """
    if cell is None:
        return Markup("")
    if cell.kind == "iri":
        label = (row or {}).get(f"{variable}Label")
        return _link(cell.value, label.value if label is not None else None)
    figure = figure_text(variable, cell.value, cell.datatype) if cell.kind == "literal" else None
    if figure is not None:  # the exact value stays in the markup and one hover away
        rule = rule_for(variable)
        return Markup('<data class="{0}" value="{1}" title="{1}">{2}</data>').format(
            "number" if rule is None else rule.kind, cell.value, figure
        )
    parts = cell.value.split(" | ")
    if len(parts) > 1 and all(resource_url(p) for p in parts):
        return Markup("<br>").join(_link(p) for p in parts)
    if resource_url(cell.value):
        return _link(cell.value)
    return Markup("{}").format(cell.value) if not cell.language else _lang(cell)


def _link(iri: str, label: str | None = None) -> Markup:
    url = resource_url(iri)
    text = label or _short(iri)
    if url is None:
        return Markup('<span class="iri" title="{}">{}</span>').format(iri, text)
    return Markup('<a href="{}" title="{}">{}</a>').format(url, iri, text)


def _short(iri: str) -> Markup:
    """The IRI's ``<rest>`` under ``<base>id/`` (else the IRI), breakable after each ``/``."""
    rest = iri.removeprefix(f"{current_kg().settings.base_iri}id/")
    return Markup("/<wbr>").join((rest if rest != iri else iri).split("/"))


def _lang(cell: Cell) -> Markup:
    return Markup('<span lang="{}">{}</span>').format(cell.language, cell.value)


@bp.app_template_filter("prose_html")
def prose_html(cell: Cell, row: Row | None = None, variable: str = "") -> Markup:
    """Render a prose cell: each of several texts (``a | b``) its own paragraph."""
    if cell.kind != "literal" or cell.is_number:
        return cell_html(cell, row, variable)
    lang = Markup(' lang="{}"').format(cell.language) if cell.language else Markup("")
    return Markup("").join(
        Markup("<p{}>{}</p>").format(lang, part) for part in cell.value.split(" | ")
    )


@bp.app_template_filter("header_html")
def header_html(name: str) -> Markup:
    """A column name that may break between its words: ``share<wbr>Of<wbr>Capital``."""
    return Markup("<wbr>").join(re.split(r"(?<=[a-z0-9])(?=[A-Z])", name))
