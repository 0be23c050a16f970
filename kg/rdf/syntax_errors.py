"""Syntax errors people can read: where, the line with a caret under the spot, what fits.

pyoxigraph's SPARQL parser (rust-peg) writes ``error at 1:25: expected one of LATERAL,
SERVICE, [_]``: the position, then every token it tried at the furthest point it reached,
Unicode ranges included (``['0'..='9']``, the fourteen ranges of a name's first letter). Its
RDF parsers say what is wrong in words ("foo is not a valid RDF object") and put the
position on the `SyntaxError`. Every syntax error of the library, SPARQL or RDF, query,
update or document, is written here in one shape::

    SPARQL syntax error at line 1, column 35: expected a number, HAVING, OFFSET, OPTIONAL or VALUES
      1 | SELECT * WHERE { ?s ?p ?o } LIMIT x
        |                                   ^

Positions are counted in characters from 1, as both parsers count them. The caret line
copies the tabs of the line and gives East Asian wide characters two cells, so the caret
stands under the spot in a terminal whatever its tab width. A message without a position
(some JSON-LD and RDF/XML errors) keeps its own words.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import islice
from typing import Any

from kg.errors import QuerySyntaxError

EXCERPT_COLUMNS = 86
"""Most terminal columns of the input an excerpt shows (with its gutter, under 100); a longer
line is cut around the spot."""
CONTEXT_COLUMNS = 43
"""Of those, the most that come before the spot."""
MAX_EXPECTED = 8
"""Most items of an "expected …" list; a longer one ends in "…"."""
TAB_COLUMNS = 4
"""What a tab counts for when an excerpt is cut to `EXCERPT_COLUMNS`."""

_PEG_POSITION = re.compile(r"error at (\d+):(\d+): ")
_RDF_POSITION = re.compile(
    r"^Parser error (at line \d+ (between columns \d+ and \d+|column \d+)"
    r"|between line \d+ column \d+ and line \d+ column \d+): "
)
# rust-peg counts lines at "\n" only; oxttl and expat also at a lone "\r".
_BREAKS: dict[tuple[type, bool], re.Pattern[Any]] = {
    (str, False): re.compile(r"\r?\n"),
    (str, True): re.compile(r"\r\n?|\n"),
    (bytes, False): re.compile(rb"\r?\n"),
    (bytes, True): re.compile(rb"\r\n?|\n"),
}
_BLANK_TAIL: dict[type, re.Pattern[Any]] = {str: re.compile(r"\s*\Z"), bytes: re.compile(rb"\s*\Z")}
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_PEG_ITEM = re.compile(
    r"""\s*("(?:[^"\\]|\\.)*"|\[(?:[^\]'"]|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")*\]|[^,]+),?""",
    re.DOTALL,
)
_KEYWORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

# pyoxigraph's tokens -> the words an "expected" list uses; None drops the token (RDF 1.2
# reifiers and annotations, which nobody writing SPARQL 1.1 by mistake is missing).
_TOKEN_WORDS: dict[str, str | None] = {
    "$": "a variable",
    "?": "a variable",
    "<": "an IRI",
    ":": "a prefixed name",
    "'": "a string",
    '"': "a string",
    "'''": "a string",
    '"""': "a string",
    "+": "a number",
    "-": "a number",
    "true": "a boolean",
    "false": "a boolean",
    "_:": "a blank node",
    "[": "a blank node",
    "<<": None,
    "<<(": None,
    "{|": None,
    "~": None,
}
_TERM_ORDER = (
    "a variable",
    "an RDF term",
    "an IRI",
    "a prefixed name",
    "a literal",
    "a string",
    "a number",
    "a boolean",
    "a blank node",
)
_ESCAPES = {"\\", "\\u", "\\U"}
_TERM_GROUPS = (
    (frozenset({"a string", "a number", "a boolean"}), "a literal"),
    (frozenset({"an IRI", "a prefixed name", "a literal", "a blank node"}), "an RDF term"),
)
_FUNCTION_NAMES = """ABS ADJUST AVG BNODE BOUND CEIL COALESCE CONCAT CONTAINS COUNT DATATYPE DAY
    ENCODE_FOR_URI EXISTS FLOOR GROUP_CONCAT HASLANG HASLANGDIR HOURS IF IRI ISBLANK ISIRI
    ISLITERAL ISNUMERIC ISTRIPLE ISURI LANG LANGDIR LANGMATCHES LCASE MAX MD5 MIN MINUTES
    MONTH NOW OBJECT PREDICATE RAND REGEX REPLACE ROUND SAMETERM SAMPLE SECONDS SHA1 SHA256
    SHA384 SHA512 STR STRAFTER STRBEFORE STRDT STRENDS STRLANG STRLANGDIR STRLEN STRSTARTS
    STRUUID SUBJECT SUBSTR SUM TIMEZONE TRIPLE TZ UCASE URI UUID YEAR"""
_FUNCTIONS = frozenset(_FUNCTION_NAMES.split())
"""SPARQL's built-in calls and aggregates: several of them in a list mean an expression."""
_NAME_CLASSES = ("['_']", "['%']", "['.']", "[':']", "['\\\\']")
"""Classes rust-peg lists inside a prefixed name."""
_EXPRESSION_PARTS = {*_TERM_ORDER, "`(`", "`!`", "`.`", "NOT"}


def sparql_syntax_error(
    message: str, text: str | None, kind: str = "SPARQL syntax error"
) -> QuerySyntaxError:
    """Turn pyoxigraph's SPARQL parser message into a readable `QuerySyntaxError`.

    Args:
        message: ``str()`` of pyoxigraph's `SyntaxError` (``error at L:C: expected …``).
        text: the query or update it parsed, for the excerpt; None leaves it out.
        kind: how the message starts (``SPARQL update syntax error`` for an update).

    Returns:
        The error: position, what would fit, the line with a caret; a message without a
        position is kept as pyoxigraph wrote it.
    """
    match = _PEG_POSITION.match(message)
    if match is None:
        return QuerySyntaxError(f"{kind}: {message}")
    line, column = int(match.group(1)), int(match.group(2))
    source_line = _line_before(text, line, column)
    reason, hint = _peg_reason(message[match.end() :], source_line, text)
    return QuerySyntaxError(located_message(kind, text, line, column, reason), hint)


def located_message(
    kind: str,
    text: str | bytes | None,
    line: int,
    column: int,
    reason: str,
    *,
    end_column: int | None = None,
    rdf: bool = False,
) -> str:
    """Write ``KIND at line L, column C: REASON`` and, given the text, its excerpt below."""
    heading = f"{kind} at line {line}, column {column}: {reason}"
    if text is None:
        return heading
    return f"{heading}\n{excerpt(text, line, column, end_column=end_column, rdf=rdf)}"


def excerpt(
    text: str | bytes,
    line: int,
    column: int,
    *,
    end_column: int | None = None,
    rdf: bool = False,
) -> str:
    """Show the line of a position, numbered, with a caret line under it.

    Args:
        text: the whole input (bytes are read as UTF-8).
        line: the line, from 1.
        column: the column, in characters from 1.
        end_column: where the faulty token ends on the same line (exclusive): the carets
            then underline all of it.
        rdf: a lone carriage return ends a line, as RDF parsers count; SPARQL's does not.

    Returns:
        Two lines: ``  L | text`` and ``    | ^``; the caret line ends in ``end of input``
        when nothing but white space follows the position.
    """
    found = _find_line(text, line, rdf)
    if found is None or (not found[0].strip() and found[1]):
        line, chars = _last_content_line(text, rdf)
        column, end_column, at_end = len(chars) + 1, None, True
    else:
        chars, rest_blank = found
        at_end = rest_blank and column > len(chars)
    column = min(max(column, 1), len(chars) + 1)
    shown, marks = _window(_CONTROL.sub("\ufffd", chars), column, end_column)
    number = str(line)
    caret_line = f"  {' ' * len(number)} | {marks}" + (" end of input" if at_end else "")
    return f"  {number} | {shown}\n{caret_line}"


def rdf_reason(error: SyntaxError) -> str:
    """Return what an RDF parser's error says, without the position it starts with."""
    return _RDF_POSITION.sub("", str(error.msg))


def rdf_end_column(error: SyntaxError) -> int | None:
    """Return where the faulty token of an RDF error ends, when it ends on its own line."""
    start, end = error.offset, error.end_offset
    if error.end_lineno != error.lineno or start is None or end is None or end <= start:
        return None
    return end


# --- the excerpt -----------------------------------------------------------------------------


def _find_line(text: str | bytes, line: int, rdf: bool) -> tuple[str, bool] | None:
    """Return line `line` and whether only white space follows it; None past the end."""
    breaks = _BREAKS[(type(text), rdf)]
    start = 0
    if line > 1:
        # islice skips in C: the spot may be at the end of a file of millions of lines.
        previous = next(islice(breaks.finditer(text), line - 2, None), None)
        if previous is None:
            return None
        start = previous.end()
    after = breaks.search(text, start)
    end = len(text) if after is None else after.start()
    rest_blank = _BLANK_TAIL[type(text)].match(text, end) is not None
    return _decoded(text[start:end]), rest_blank


def _last_content_line(text: str | bytes, rdf: bool) -> tuple[int, str]:
    """Return the number and text of the last line that is not blank (1 and "" if none)."""
    content: Any = text.rstrip()
    newline, cr, crlf = ("\n", "\r", "\r\n") if isinstance(text, str) else (b"\n", b"\r", b"\r\n")
    breaks = content.count(newline)  # counted in C: the file may have millions of lines
    if rdf:
        breaks += content.count(cr) - content.count(crlf)
    start = max(content.rfind(newline), content.rfind(cr) if rdf else -1) + 1
    return breaks + 1, _decoded(content[start:])


def _decoded(chars: str | bytes) -> str:
    return chars.decode("utf-8", "replace") if isinstance(chars, bytes) else chars


def _window(chars: str, column: int, end_column: int | None) -> tuple[str, str]:
    """Cut a long line around the spot; return it and the caret line under it."""
    spot = column - 1
    start, end = _cut(chars, spot)
    shown = ("…" if start else "") + chars[start:end] + ("…" if end < len(chars) else "")
    pad = (" " if start else "") + "".join(_blank(c) for c in chars[start:spot])
    last = min(end_column - 1 if end_column and end_column > column else column, end)
    marks = "^" * max(1, sum(_cells(c) for c in chars[spot:last]))
    return shown, pad + marks


def _cut(chars: str, spot: int) -> tuple[int, int]:
    """Return the slice of the line to show: all of it, or `EXCERPT_COLUMNS` round the spot."""
    if len(chars) <= EXCERPT_COLUMNS and sum(_width(c) for c in chars) <= EXCERPT_COLUMNS:
        return 0, len(chars)  # (a longer line is cut without measuring all of it: it may be huge)
    start = end = min(spot, len(chars))
    used = 0  # the width of chars[start:end]
    while start > 0 and used + _width(chars[start - 1]) <= CONTEXT_COLUMNS:
        start -= 1
        used += _width(chars[start])
    while end < len(chars) and used + _width(chars[end]) <= EXCERPT_COLUMNS - 2:
        used += _width(chars[end])
        end += 1
    return start, max(end, min(spot + 1, len(chars)))


def _cells(char: str) -> int:
    """Terminal cells of a character: 2 for East Asian wide ones, 0 for combining marks."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _width(char: str) -> int:
    return TAB_COLUMNS if char == "\t" else _cells(char)


def _blank(char: str) -> str:
    """What stands under a character in the caret line: a tab under a tab, else spaces."""
    return "\t" if char == "\t" else " " * _cells(char)


# --- what pyoxigraph's SPARQL parser expected ------------------------------------------------


def _line_before(text: str | None, line: int, column: int) -> str:
    """Return the text of `line` before `column` (for naming the prefix or IRI just read)."""
    if text is None:
        return ""
    found = _find_line(text, line, rdf=False)
    return "" if found is None else found[0][: column - 1]


def _peg_reason(expected: str, before: str, text: str | None) -> tuple[str, str | None]:
    """Say in words what rust-peg's ``expected one of …`` list means; return it and a hint."""
    if text is not None and not text.strip():
        return "the text is empty", None
    if not expected.startswith("expected "):
        return expected, None
    listed = expected.removeprefix("expected ").removeprefix("one of ")
    items = [m.group(1).strip() for m in _PEG_ITEM.finditer(listed)]
    messages = [i for i in items if " " in i and not i.startswith(("[", '"'))]
    if messages:  # the grammar's own words: the real reason, the list is noise then
        return _message_reason(", ".join(messages), before)
    tokens = [_unquote(i) for i in items if i.startswith('"')]
    if _ESCAPES & set(tokens):  # inside a string: only its end or an escape can follow
        quotes = [f"`{t}`" for t in tokens if t not in _ESCAPES]
        return f"the string is not closed: expected {_or_list(quotes)}", None
    words = _expected_words(items, tokens)
    if not words:
        return "the parser cannot read on from here", None
    return f"expected {_or_list(words)}", None


def _expected_words(items: list[str], tokens: list[str]) -> list[str]:
    terms: set[str] = set()
    punctuation: list[str] = []
    keywords: list[str] = []
    functions = False
    for token in tokens:
        word = _TOKEN_WORDS.get(token, f"`{token}`")
        if word in _TERM_ORDER:
            terms.add(word)
        elif word is not None and word not in punctuation:
            punctuation.append(word)
    for item in items:
        if item.startswith("["):
            terms.update(_range_words(item))
        elif item.upper() in _FUNCTIONS:
            functions = True
        elif _KEYWORD.fullmatch(item) and item not in keywords:
            keywords.append(item)
    for parts, whole in _TERM_GROUPS:  # the list is short: say "a literal", not its kinds
        if parts <= terms:
            terms = (terms - parts) | {whole}
    words = [t for t in _TERM_ORDER if t in terms] + punctuation + keywords
    if functions:  # several built-in calls: an expression, whatever else would start one
        words = ["an expression"] + [w for w in words if w not in _EXPRESSION_PARTS]
    return words


def _range_words(item: str) -> set[str]:
    """Name a rust-peg character class: digits are a number, letters a name; else nothing."""
    if item == "[_]":  # "any character": it only says the parser read to the end
        return set()
    if "'A' ..= 'Z'" in item or "\\u{00B7}" in item or item in _NAME_CLASSES:
        return {"a prefixed name"}
    if "'0'..='9'" in item or item == "['e' | 'E']":
        return {"a number"}
    return set()


def _message_reason(message: str, before: str) -> tuple[str, str | None]:
    """Reword the grammar's own messages that need the text to say what they mean."""
    if message == "Prefix not found":
        name = re.search(r"((?:[^\W\d][\w.\-]*)?):[\w.\-:%\\]*$", before)
        prefix = "" if name is None else name.group(1)
        return f"the prefix {prefix}: is not declared", f"declare it: PREFIX {prefix}: <…>"
    if message == "IRI parsing failed":
        iri = re.search(r"<[^<>]*>$", before)
        what = "the IRI" if iri is None else f"the IRI {iri.group(0)}"
        return (
            f"{what} is not valid",
            'an IRI has a scheme (https:…) unless BASE is declared, and no spaces or <>"{}|^`\\',
        )
    return message, None


def _unquote(item: str) -> str:
    """Read a Rust debug-printed string (``"\\"\\\\"``) as the text it stands for."""
    return re.sub(r"\\(.)", r"\1", item[1:-1])


def _or_list(words: list[str]) -> str:
    if len(words) > MAX_EXPECTED:
        return ", ".join(words[:MAX_EXPECTED]) + ", …"
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]
