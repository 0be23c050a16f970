"""The SPARQL tokenizer the guards read a query or an update with, before any parser does.

It follows spargebra's lexical rules (strings, ``<IRI>``, comments, prefixed names with
``\\``-escapes), so text inside literals or IRIs never counts, and text the engine reads
as code never hides. Every pattern is written to scan in linear time: the guards run on
whatever a client sends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
)
_PN_CHARS = _PN_CHARS_BASE + r"_\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_LOCAL_CHAR = rf"[{_PN_CHARS}:]|{_PLX}"
SKIPPED_PATTERN = r"""
    (?P<comment>\#[^\r\n]*+)
  | (?P<string>'''(?:[^'\\]|\\[\s\S]|'{1,2}(?!'))*+(?:'''|\\?\Z)
    | \"\"\"(?:[^"\\]|\\[\s\S]|"{1,2}(?!"))*+(?:\"\"\"|\\?\Z)
    | '(?:[^'\\\r\n]|\\[^\r\n])*+(?:'|\\?(?=[\r\n])|\\?\Z)
    | "(?:[^"\\\r\n]|\\[^\r\n])*+(?:"|\\?(?=[\r\n])|\\?\Z))
  | (?P<iri><(?:[^\x00-\x20<>"{}|^`\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>)
"""
"""Comments, strings and IRIs, which the tokenizers step over whole (spargebra's rules).

A ``re.VERBOSE`` pattern source, to combine with others: Turtle and its relatives write
comments, strings and IRIs the same way, so the RDF body checks step over them with it too.

A string left open runs to the end of its line (or text): the engine cannot parse such
input at all, and stopping there keeps the scan linear (a quote at every other byte made a
failing scan from each one quadratic)."""
_PNAME = rf"""
  | (?P<pname>(?:_|[{_PN_CHARS_BASE}](?:\.*+[{_PN_CHARS}])*+)?:
        (?:(?:[{_PN_CHARS}:]|{_PLX})(?:\.*(?:{_LOCAL_CHAR}))*)?)"""
_OTHER = rf"""
  | (?P<var>[?$][{_PN_CHARS}]+)
  | (?P<word>[{_PN_CHARS_BASE}_][{_PN_CHARS}]*)
  | (?P<number>[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<punct><<\(|\)>>|<<|>>|\^\^|\|\||&&|!=|<=|>=|\S)"""
_TOKEN = re.compile(r"\s*+(?:" + SKIPPED_PATTERN + _PNAME + _OTHER + ")", re.VERBOSE)
_TOKEN_NO_PNAME = re.compile(r"\s*+(?:" + SKIPPED_PATTERN + _OTHER + ")", re.VERBOSE)
_NAME_RUN = re.compile(rf"[{_PN_CHARS}.]*")


def tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """Yield (kind, text, offset) for each token but comments.

    Where a prefixed name failed to match at the start of a dotted run (``a.b.c`` with no
    colon), it fails at every later start in that run too: skipping those attempts keeps
    the scan linear (``a.a.a.a…`` took 38 s for 80 KB without it).

    Args:
        text: SPARQL text, read as spargebra reads it (no ``\\u`` decoding).

    Yields:
        The kind (the name of the group that matched: ``string``, ``iri``, ``pname``,
        ``var``, ``word``, ``number``, ``langtag`` or ``punct``), the token's text, and
        the offset where it starts.
    """
    position, plain_until = 0, 0
    while match := (_TOKEN if position >= plain_until else _TOKEN_NO_PNAME).match(text, position):
        kind = match.lastgroup
        if kind is None:
            return  # nothing but whitespace is left
        if kind == "word" and position >= plain_until and text.startswith(".", match.end()):
            run = _NAME_RUN.match(text, match.start(kind))
            plain_until = run.end() if run else position
        position = match.end()
        if kind != "comment":
            yield kind, match.group(kind), match.start(kind)


def unescape_codepoints(text: str) -> str:
    """Decode every ``\\uXXXX`` and ``\\UXXXXXXXX`` escape, as SPARQL 1.1 (19.2) allows.

    Args:
        text: SPARQL text.

    Returns:
        The text with each escape replaced by its character (clamped to U+10FFFF).
    """
    return re.sub(
        r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})",
        lambda m: chr(min(int(m.group(1) or m.group(2), 16), 0x10FFFF)),
        text,
    )


def line_column(text: str, pos: int) -> str:
    """Say where an offset falls, for an error message.

    Args:
        text: the text the offset points into.
        pos: the offset, in characters.

    Returns:
        ``"line L, column C"``, both counted from 1.
    """
    line = text.count("\n", 0, pos) + 1
    return f"line {line}, column {pos - (text.rfind(chr(10), 0, pos) + 1) + 1}"
