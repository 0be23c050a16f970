"""The text of a SPARQL 1.1 Update, cut where the engines take over.

`kg.update.sparql_update` parses an update with rdflib, whose parser time grows with the square of a
block's size (1,000 triples of INSERT DATA take 4 s, 10,000 take 5 minutes). So the text
is first cut into its operations, lexically (SPARQL's strings, IRIs and comments are
skipped whole), and:

- the quad data of INSERT DATA / DELETE DATA is read by pyoxigraph's TriG parser (a
  default-graph run of triples becomes a ``{ }`` block, ``GRAPH <g> { }`` is TriG as is),
  and blanked out, spaces for characters, in the text that rdflib parses, so rdflib's
  error positions stay those of the client's text;
- each WHERE group is kept as text, so the engine that evaluates it also parses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.errors import QuerySyntaxError
from kg.rdf.syntax_errors import located_message, rdf_end_column, rdf_reason

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:[^'\\]|\\[\s\S]|'{1,2}(?!'))*'''|\"\"\"(?:[^"\\]|\\[\s\S]|"{1,2}(?!"))*\"\"\"
      |'(?:[^'\\\r\n]|\\.)*'|"(?:[^"\\\r\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$]\w+)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>(?:[^\W\d_][\w.\-]*)?:(?:[\w.\-:%]|\\.)*)
  | (?P<word>[^\W\d]\w*)
  | (?P<punct>[{};.])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_SKIPPED = ("space", "comment")


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind (a group of `_TOKEN`), text and offset."""

    kind: str
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def is_word(self, *words: str) -> bool:
        """Tell whether the token is one of these keywords (case-insensitive)."""
        return self.kind == "word" and self.text.upper() in words


@dataclass
class OperationText:
    """Where one operation lies in the update text.

    Attributes:
        start: offset of the operation's first keyword.
        keywords: its top-level keywords, upper case (``INSERT DATA``, ``WITH`` ...).
        prologue: the PREFIX and BASE declarations in force, as written.
        data: span of the ``{ }`` of INSERT DATA / DELETE DATA.
        where: span of the WHERE group (DELETE WHERE's quad pattern too).
    """

    start: int
    keywords: list[str] = field(default_factory=list)
    prologue: tuple[str, ...] = ()
    data: tuple[int, int] | None = None
    where: tuple[int, int] | None = None

    @property
    def is_data(self) -> bool:
        """Tell whether this is INSERT DATA or DELETE DATA."""
        return self.keywords[1:2] == ["DATA"]


def tokens(text: str, start: int = 0, end: int | None = None) -> Iterator[Token]:
    """Yield the tokens of `text[start:end]`, without spaces and comments."""
    stop = len(text) if end is None else end
    position = start
    while position < stop:
        match = _TOKEN.match(text, position, stop)
        if match is None:  # only possible at `stop` inside a token; nothing is left
            return
        position = match.end()
        if match.lastgroup not in _SKIPPED:
            yield Token(str(match.lastgroup), match.group(), match.start())


def split_operations(text: str) -> list[OperationText]:
    """Cut an update into its operations, with their prologue, data and WHERE spans.

    Operations are separated by ``;`` outside braces; an operation that is only a prologue
    (the text after a final ``;``) is left out, as the grammar does.
    """
    operations: list[OperationText] = []
    prologue: list[str] = []
    current: OperationText | None = None
    depth, group_start = 0, 0
    stream = tokens(text)
    for token in stream:
        if token.text == "{" and token.kind == "punct":
            depth += 1
            group_start = token.start if depth == 1 else group_start
        elif token.text == "}" and token.kind == "punct":
            depth -= 1
            if depth == 0 and current is not None:
                _close_group(current, (group_start, token.end))
        elif depth > 0:
            continue
        elif token.is_word("PREFIX", "BASE"):
            prologue.append(_declaration(text, token, stream))
        elif token.kind == "punct" and token.text == ";":
            current = None
        elif token.kind == "word":
            if current is None:
                current = OperationText(token.start, prologue=tuple(prologue))
                operations.append(current)
            current.keywords.append(token.text.upper())
    return operations


def _declaration(text: str, keyword: Token, stream: Iterator[Token]) -> str:
    """Return the text of a PREFIX or BASE declaration, consuming its tokens."""
    end = keyword.end
    for token in stream:
        end = token.end
        if token.kind == "iri" or token.kind not in ("pname", "other"):
            break
    return text[keyword.start : end]


def _close_group(operation: OperationText, span: tuple[int, int]) -> None:
    if operation.keywords[-1:] == ["WHERE"] and operation.where is None:
        operation.where = span
    elif operation.is_data and operation.data is None:
        operation.data = span


def blank_data(text: str, operations: list[OperationText]) -> str:
    """Return the text with the inside of every DATA block replaced by spaces (lines kept)."""
    parts = []
    position = 0
    for operation in operations:
        if operation.data is None:
            continue
        start, end = operation.data[0] + 1, operation.data[1] - 1
        parts.append(text[position:start])
        parts.append(re.sub(r"[^\r\n]", " ", text[start:end]))
        position = end
    parts.append(text[position:])
    return "".join(parts)


def parse_quad_data(text: str, operation: OperationText) -> list[ox.Quad]:
    """Parse the quads of an INSERT DATA / DELETE DATA block with pyoxigraph.

    Blank node labels are kept as written (``_:b`` is ``BlankNode("b")``); the caller
    scopes them to the operation.

    Raises:
        QuerySyntaxError: the block is not quad data; the message gives the line and column
            in the update text.
    """
    assert operation.data is not None
    header = " ".join(operation.prologue)
    quads: list[ox.Quad] = []
    for start, end, wrapped in _blocks(text, operation.data):
        body = text[start:end]
        # A newline before the closing brace: the block may end in a comment.
        document = f"{header}\n{{{body}\n}}" if wrapped else f"{header}\n{body}"
        try:
            quads.extend(ox.parse(document, format=ox.RdfFormat.TRIG, rename_blank_nodes=False))
        except SyntaxError as exc:
            raise _data_error(exc, text, (start, end), wrapped) from None
    return quads


def _blocks(text: str, span: tuple[int, int]) -> Iterator[tuple[int, int, bool]]:
    """Cut quad data into runs of default-graph triples (wrapped) and GRAPH blocks."""
    depth, run_start, graph_start = 0, span[0] + 1, -1
    for token in tokens(text, span[0] + 1, span[1] - 1):
        if token.kind == "punct" and token.text == "{":
            depth += 1
        elif token.kind == "punct" and token.text == "}":
            depth -= 1
            if depth == 0 and graph_start >= 0:
                yield graph_start, token.end, False
                graph_start, run_start = -1, token.end
        elif depth == 0 and graph_start < 0 and token.is_word("GRAPH"):
            if text[run_start : token.start].strip():
                yield run_start, token.start, True
            graph_start = token.start
        elif (
            depth == 0
            and graph_start < 0
            and token.text == "."
            and not _has_token(text, run_start, token.start)
        ):
            run_start = token.end  # the optional '.' after a GRAPH block
    if graph_start >= 0:
        yield graph_start, span[1] - 1, False
    elif text[run_start : span[1] - 1].strip():
        yield run_start, span[1] - 1, True


def _has_token(text: str, start: int, end: int) -> bool:
    return next(tokens(text, start, end), None) is not None


def _data_error(
    exc: SyntaxError, text: str, block: tuple[int, int], wrapped: bool
) -> QuerySyntaxError:
    """Map a TriG error in the document built from a block back to the update text."""
    message = rdf_reason(exc)
    line, column, end_column = exc.lineno, exc.offset, rdf_end_column(exc)
    if line is None or line < 2:
        return QuerySyntaxError(f"SPARQL update syntax error in quad data: {message}")
    start, end = block
    if wrapped and line >= text.count("\n", start, end) + 3:
        # On the "}" closing the wrapper: the update's own "}" closes the block there.
        start, line, column, end_column = end, 2, 1 + int(wrapped), None
    block_line = text.count("\n", 0, start) + 1
    block_column = start - (text.rfind("\n", 0, start) + 1) + 1
    at_line = block_line + line - 2
    # The block's first line starts at its own column in the update (less the "{" wrapped
    # around a default-graph run); its later lines start where the update's lines do.
    shift = 0 if line > 2 else block_column - 1 - int(wrapped)
    at_column = (column or 1) + shift
    at_end = None if end_column is None else end_column + shift
    return QuerySyntaxError(
        located_message(
            "SPARQL update syntax error", text, at_line, at_column, message, end_column=at_end
        ),
        "INSERT DATA and DELETE DATA take triples and GRAPH <iri> { triples }: "
        "no variables, no blank nodes in DELETE DATA",
    )
