"""Query results as a text table for a terminal: ``aicap query --format table``.

Figures are written for people (`kg.views.figures`: ``USD 300 bn``, ``10%``, ``10 GW``) and
IRIs compacted (``id:firm/openai``); the other formats (json, csv, tsv) keep the machine
values. The table fits `DEFAULT_WIDTH` terminal columns: prose columns (quotes,
descriptions) wrap, and other cells too long for their column end in an ellipsis. When the
columns cannot all fit at a readable width, each row is printed as a record instead, one
``name  value`` line per bound variable, wrapped, as psql's expanded display does: most
stored questions have more columns than 120 characters can show side by side. ``wide``
prints every cell whole, on one line, however wide the table gets. Widths are counted in
terminal cells, so the Chinese quotes (two cells a character) line up.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import pyoxigraph as ox

from kg.query.solutions import Cell, cell_of, solution_table
from kg.rdf.formats import compact_iri
from kg.store.protocol import QueryResult
from kg.views.figures import figure_text, format_literal, is_prose

DEFAULT_WIDTH = 120
"""Terminal columns a table fits in unless asked to be wide."""

MIN_WIDTH = 40
"""A narrower `width` is taken as this: a record's values would be a few characters a line."""

GAP = "  "
"""Between two columns of the grid, and between a record's names and values."""

MIN_CELL_WIDTH = 10
"""The narrowest a column of short values may be cut to (its header, if longer, is kept)."""

MIN_PROSE_WIDTH = 30
"""The narrowest a prose column may be wrapped to and still read as sentences."""

ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"


def render_table(result: QueryResult, *, width: int = DEFAULT_WIDTH, wide: bool = False) -> str:
    """Render a query result as text for a terminal: a grid, or records when too wide.

    Args:
        result: what `KnowledgeGraph.query` or `run_stored` returned (consumed here).
        width: the terminal columns every line fits in (at least `MIN_WIDTH`).
        wide: show every cell whole on one line, ignoring `width`.

    Returns:
        ``true`` or ``false`` for ASK; else the table and a ``(N rows)`` line.
    """
    if isinstance(result, ox.QueryBoolean):
        return "true" if result else "false"
    header, rows = _text_rows(result)
    footer = f"({len(rows)} row{'' if len(rows) == 1 else 's'})"
    natural = [max(cell_width(t) for t in [h, *(r[i] for r in rows)]) for i, h in enumerate(header)]
    prose = [is_prose(h) for h in header]
    if wide:
        return "\n".join([*_grid(header, rows, natural, [False] * len(header)), footer])
    width = max(width, MIN_WIDTH)
    widths = fit_widths(header, natural, prose, width)
    if widths is None:
        return "\n".join([*_records(header, rows, width), footer])
    return "\n".join([*_grid(header, rows, widths, prose), footer])


def _text_rows(result: QueryResult) -> tuple[list[str], list[list[str]]]:
    """The column names and each row's cells as text for people."""
    if isinstance(result, ox.QueryTriples):
        rows = []
        for triple in result:
            obj = triple.object
            shown = (
                format_literal(triple.predicate.value, obj)
                if isinstance(obj, ox.Literal)
                else _cell_text("object", cell_of(obj))
            )
            rows.append([_cell_text("subject", cell_of(triple.subject)),
                         compact_iri(triple.predicate.value), " ".join(shown.split())])  # fmt: skip
        return ["subject", "predicate", "object"], rows
    table = solution_table(result)
    header = list(table.variables)
    return header, [[_cell_text(name, row.get(name)) for name in header] for row in table]


def _cell_text(name: str, cell: Cell | None) -> str:
    """One cell on one line: a figure for people, a compact IRI, or the value as stored."""
    if cell is None:
        return ""
    if cell.kind == "iri":
        text = compact_iri(cell.value)
    elif cell.kind == "bnode":
        text = f"_:{cell.value}"
    else:
        text = figure_text(name, cell.value, cell.datatype) or cell.value
    return " ".join(text.split())  # newlines and tabs would break the grid


def fit_widths(
    header: Sequence[str], natural: Sequence[int], prose: Sequence[bool], width: int
) -> list[int] | None:
    """Choose column widths whose sum, with the gaps, is at most `width`.

    Every column gets its natural width if all fit. Else each starts at its minimum (its
    header, and `MIN_PROSE_WIDTH` or `MIN_CELL_WIDTH`, but never more than its natural
    width) and the room left is shared out evenly, so narrow columns stay whole and long
    ones share the rest.

    Returns:
        The widths, or None when even the minimums do not fit (print records instead).
    """
    room = width - len(GAP) * (len(header) - 1)
    if sum(natural) <= room:
        return list(natural)
    minimum = [
        min(n, max(cell_width(h), MIN_PROSE_WIDTH if p else MIN_CELL_WIDTH))
        for h, n, p in zip(header, natural, prose, strict=True)
    ]
    if sum(minimum) > room:
        return None
    level = 0
    while sum(_levelled(minimum, natural, level + 1)) <= room:
        level += 1
    widths = _levelled(minimum, natural, level)
    for i in range(len(widths)):  # what the even share leaves over, one column at a time
        if sum(widths) < room and widths[i] < natural[i]:
            widths[i] += 1
    return widths


def _levelled(minimum: Sequence[int], natural: Sequence[int], level: int) -> list[int]:
    return [max(low, min(high, level)) for low, high in zip(minimum, natural, strict=True)]


def _grid(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[int],
    wrapped: Sequence[bool],
) -> list[str]:
    """The header, a rule and the rows; wrapped columns take as many lines as they need."""
    lines = [_line([truncate(h, w) for h, w in zip(header, widths, strict=True)], widths)]
    lines.append(GAP.join("-" * w for w in widths))
    for row in rows:
        cells = [
            wrap(text, w) if wrap_it else [truncate(text, w)]
            for text, w, wrap_it in zip(row, widths, wrapped, strict=True)
        ]
        for index in range(max(len(c) for c in cells) if cells else 0):
            lines.append(_line([c[index] if index < len(c) else "" for c in cells], widths))
    return lines


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return GAP.join(pad(c, w) for c, w in zip(cells, widths, strict=True)).rstrip()


def _records(header: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> list[str]:
    """Each row as a block of ``name  value`` lines (unbound variables left out)."""
    names = min(max(cell_width(h) for h in header), width // 3)
    values = width - names - len(GAP)
    lines = []
    for number, row in enumerate(rows, start=1):
        lines.append(f"-[ {number} ]".ljust(width, "-"))
        for name, text in zip(header, row, strict=True):
            for index, part in enumerate(wrap(text, values) if text else []):
                label = truncate(name, names) if index == 0 else ""
                lines.append((pad(label, names) + GAP + part).rstrip())
    return lines


# --- text measured in terminal cells -------------------------------------------------------


def char_width(char: str) -> int:
    """Terminal cells a character takes: 2 for wide (CJK) ones, 0 for combining marks."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cell_width(text: str) -> int:
    """Terminal cells a one-line text takes."""
    return sum(char_width(c) for c in text)


def pad(text: str, width: int) -> str:
    """Fill a text with spaces to `width` cells (``str.ljust`` counts characters)."""
    return text + " " * (width - cell_width(text))


def truncate(text: str, width: int) -> str:
    """Cut a text to `width` cells, ending in an ellipsis when anything was cut."""
    if cell_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        used += char_width(char)
        if used > width - 1:
            break
        kept.append(char)
    return "".join(kept) + ELLIPSIS


def wrap(text: str, width: int) -> list[str]:
    """Break a text into lines of at most `width` cells, at spaces where it can.

    A word longer than a line (an IRI, or Chinese, which has no spaces) is broken where the
    line ends.
    """
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if cell_width(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while cell_width(line) > width:
            head = _fitting_prefix(line, width)
            lines.append(head)
            line = line[len(head) :]
    if line:
        lines.append(line)
    return lines or [""]


def _fitting_prefix(text: str, width: int) -> str:
    used = 0
    for index, char in enumerate(text):
        used += char_width(char)
        if used > width:
            return text[: max(index, 1)]
    return text
