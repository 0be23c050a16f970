"""`kg.rdf.syntax_errors`: every syntax error shows its line with a caret under the column.

The messages are pyoxigraph's own (0.5.13), got by parsing malformed text, so a change in
the parser's wording shows up here. "Under the column" is checked as a terminal shows it:
tabs to the next tab stop (for two tab widths), East Asian wide characters two cells wide.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

import pyoxigraph as ox
import pytest

from kg.errors import QuerySyntaxError, RdfSyntaxError
from kg.query.dataset import dataset_clause
from kg.rdf.parsing import parse_rdf_bytes
from kg.rdf.syntax_errors import MAX_EXPECTED, excerpt, sparql_syntax_error
from kg.store.embedded import EmbeddedStore
from kg.update.sparql_update import parse_update

EX = "http://example.org/"
PREFIX = f"PREFIX ex: <{EX}>\n"
HEADING = re.compile(r"at line (\d+), column (\d+): ")
RAW_RANGES = ("..=", "\\u{", "[_]", "['")


def cell_starts(line: str, tab: int) -> list[int]:
    """The terminal column where each character of `line` starts, and where the line ends."""
    starts, at = [], 0
    for char in line:
        starts.append(at)
        if char == "\t":
            at = (at // tab + 1) * tab
        elif not unicodedata.combining(char):
            at += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return [*starts, at]


def excerpt_lines(message: str) -> tuple[int, str, str]:
    """Return the line number, the line shown and the caret line of a message's excerpt."""
    lines = message.splitlines()
    for shown, marks in pairwise(lines):
        number = re.match(r"  (\d+) \| ", shown)
        if number and re.match(r"  +\| ", marks) and "^" in marks:
            return int(number.group(1)), shown, marks
    raise AssertionError(f"no excerpt in {message!r}")


def pointed_at(message: str, tab: int = 8) -> str:
    """Return the text of the excerpt from the character the caret stands under."""
    _, shown, marks = excerpt_lines(message)
    caret = cell_starts(marks, tab)[marks.index("^")]
    starts = cell_starts(shown, tab)
    assert caret in starts, f"the caret is inside a character:\n{shown}\n{marks}"
    return shown[starts.index(caret) :]


def source_line(text: str, line: int) -> str:
    return text.split("\n")[line - 1].removesuffix("\r")


def assert_points_at_its_position(message: str, text: str) -> None:
    """The heading's line and column, and the caret under that column, for 4- and 8-wide tabs."""
    heading = HEADING.search(message)
    assert heading is not None, message
    line, column = int(heading.group(1)), int(heading.group(2))
    assert excerpt_lines(message)[0] == line
    for tab in (4, 8):
        assert pointed_at(message, tab) == source_line(text, line)[column - 1 :], message
    assert not any(raw in message for raw in RAW_RANGES), message


QUERIES = [
    "SELECT * WHERE { ?s ?p ?o } LIMIT x",
    'SELECT * WHERE { "中文中文" ?p ?o ?q . } LIMIT x',
    'SELECT * WHERE {\t"中文"\t?p ?o } LIMIT x',
    'SELECT * WHERE { "cafe\u0301" ?p ?o ?q . } LIMIT x',
    "SELECT * WHERE {\n  ?s ?p ?o\n  FILTR ?x }",
    "SELECT *\r\nWHERE { ?s ?p ?o }\r\nLIMIT x",
    "SELEC * WHERE { ?s ?p ?o }",
    "SELECT (COUNT(*) ?n) WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL ?x }",
    "SELECT * WHERE { ?s foo:bar ?o }",
    "SELECT * WHERE { ?s <http://a b> ?o }",
    'SELECT * WHERE {\n  ?s ?p "abc\n}',
    "SELECT ?x (?y AS) WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p [ } LIMIT 1",
]


@pytest.mark.parametrize("query", QUERIES)
def test_a_query_error_puts_the_caret_under_the_column_pyoxigraph_gives(query: str) -> None:
    with pytest.raises(SyntaxError) as parsed:
        ox.Store().query(query)
    line, column = re.match(r"error at (\d+):(\d+)", str(parsed.value)).groups()  # type: ignore[union-attr]

    with pytest.raises(QuerySyntaxError) as raised:
        EmbeddedStore(None).query(query)

    message = raised.value.message
    assert message.startswith(f"SPARQL syntax error at line {line}, column {column}: ")
    assert_points_at_its_position(message, query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p }",
        "SELECT * WHERE { ?s ?p ?o } ORDER BY",
        "CONSTRUCT { ?s ?p } WHERE { ?s ?p ?o }",
        "SELECT ?s WHERE { ?s ?p ?o } GROUP BY ?x HAVING",
        "SELECT * WHERE { ?s ?p ?o . ?s ?p",
        "SELECT * { ?s ?p ?o } VALUES ?x { 1 2",
        "DESCRIBE",
    ],
)
def test_unicode_range_lists_become_a_few_words(query: str) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        EmbeddedStore(None).query(query)

    message = raised.value.message
    assert_points_at_its_position(message, query)
    past_the_end = int(HEADING.search(message).group(2)) > len(query)  # type: ignore[union-attr]
    assert message.splitlines()[2].endswith("^ end of input") == past_the_end
    expected = message.splitlines()[0].partition(": expected ")[2]
    assert expected.count(",") + 1 <= MAX_EXPECTED + 1  # the eight, then "…"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("error at 1:25: expected one of LATERAL, SERVICE, [_]", "expected LATERAL or SERVICE"),
        (
            "error at 1:35: expected one of HAVING, OFFSET, OPTIONAL, VALUES, ['0'..='9']",
            "expected a number, HAVING, OFFSET, OPTIONAL or VALUES",
        ),
        (
            'error at 1:27: expected one of ",", ".", ";", "{", "{|", "}", "~", [_]',
            "expected `,`, `.`, `;`, `{` or `}`",
        ),
        (
            "error at 1:43: expected one of ABS, AVG, DAY, IRI, MAX, MD5, MIN, NOT, NOW, "
            "PREDICATE, STR, STRBEFORE, STRSTARTS, SUM, URI, [_], isLITERAL, isNUMERIC",
            "expected an expression",
        ),
        (
            'error at 1:48: expected one of "(", ".", ":", "<", ADJUST, CONCAT, EXISTS, '
            "OBJECT, OFFSET, PREDICATE, SAMPLE, SHA256, SHA384, SHA512, STRBEFORE, STRLEN, "
            "STRSTARTS, SUBSTR, TRIPLE, VALUES, ['-' | '0' ..= '9' | '\\u{00B7}' | "
            "'\\u{0300}'..='\\u{036F}' |\n'\\u{203F}'..='\\u{2040}'], ['A' ..= 'Z' | 'a' ..= 'z'"
            " | '\\u{00C0}'..='\\u{00D6}'\n| '\\u{3001}'..='\\u{D7FF}'], ['_'], [_], isLITERAL",
            "expected an expression, OFFSET or VALUES",
        ),
        (
            'error at 2:13: expected one of "\\"", "\\\\", "\\\\U", "\\\\u"',
            'the string is not closed: expected `"`',
        ),
        (
            'error at 1:37: expected one of "$", "(", ":", "<", "?", [\'A\' ..= \'Z\' | '
            "'a' ..= 'z' | '\\u{00C0}'..='\\u{00D6}'], [_]",
            "expected a variable, an IRI, a prefixed name or `(`",
        ),
        (
            "error at 1:26: expected one of Duplicated variable name in SELECT, [_]",
            "Duplicated variable name in SELECT",
        ),
        ("error at 1:19: expected [_]", "the parser cannot read on from here"),
    ],
)
def test_expected_lists_read_as_words(message: str, reason: str) -> None:
    line, column = re.match(r"error at (\d+):(\d+)", message).groups()  # type: ignore[union-attr]

    error = sparql_syntax_error(message, None)

    assert error.message == f"SPARQL syntax error at line {line}, column {column}: {reason}"


def test_more_than_eight_expected_items_end_in_an_ellipsis() -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        EmbeddedStore(None).query("SELECT * WHERE { ?s ?p [ }")

    expected = raised.value.message.splitlines()[0].partition(": expected ")[2]
    assert expected.endswith(", …")
    assert len(expected.split(", ")) == MAX_EXPECTED + 1


def test_an_undeclared_prefix_is_named_with_a_hint() -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        EmbeddedStore(None).query("SELECT * WHERE { ?s foo:bar ?o }")

    assert ": the prefix foo: is not declared\n" in raised.value.message
    assert raised.value.hint == "declare it: PREFIX foo: <…>"


def test_a_message_without_a_position_is_kept() -> None:
    error = sparql_syntax_error("something the parser never said before", "SELECT")

    assert error.message == "SPARQL syntax error: something the parser never said before"


def test_a_long_line_is_cut_around_the_column_and_stays_under_100_characters() -> None:
    query = f'SELECT * {{ ?s ?p "{"x" * 300}" ; ?q "{"中" * 50}" ?o }} LIMIT x #{"y" * 200}'

    with pytest.raises(QuerySyntaxError) as raised:
        EmbeddedStore(None).query(query)

    message = raised.value.message
    column = int(HEADING.search(message).group(2))  # type: ignore[union-attr]
    assert 300 < column < len(query)
    _, shown, marks = excerpt_lines(message)
    assert shown.startswith("  1 | …") and shown.endswith("…")
    assert max(cell_starts(line, 8)[-1] for line in (shown, marks)) < 100
    assert query[column - 1 :].startswith(pointed_at(message).removesuffix("…"))


def test_a_long_line_keeps_its_start_when_the_error_is_near_it() -> None:
    text = "SELECT LIMIT " + "x" * 300
    shown, marks = excerpt(text, 1, 8).splitlines()

    assert shown.startswith("  1 | SELECT LIMIT xxx") and shown.endswith("…")
    assert marks == "    |        ^"


UPDATES = [
    "INSERT DATA {\n  ex:a ex:p ?x }",
    'INSERT DATA { ex:a ex:p "中文" ;\tex:q foo }',
    "INSERT DATA { ex:a ex:p 1 . ex:b }",
    "INSERT DATA { GRAPH ex:g { ex:a ex:p } }",
    "INSERT { ?s ex:p 1 }\nWHERE { ?s ?p ?o FILTER( }",
    "DELET DATA { ex:a ex:p 1 }",
    "INSERT { ?s nope:p 1 } WHERE { ?s ?p ?o }",
    "INSERT DATA { ex:a ex:p 1 } ;\nINSERT DATA {\n  ex:b ex:p '中文' ; ex:q foo }",
]


@pytest.mark.parametrize("update", UPDATES)
def test_an_update_error_puts_the_caret_under_its_column(update: str) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        parse_update(PREFIX + update)

    message = raised.value.message
    assert message.startswith("SPARQL update syntax error at line ")
    assert_points_at_its_position(message, PREFIX + update)


def test_an_update_data_error_underlines_the_token() -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        parse_update(PREFIX + 'INSERT DATA { ex:a ex:p "中文" ;\tex:q foo }')

    assert ": foo is not a valid RDF object\n" in raised.value.message
    assert pointed_at(raised.value.message) == "foo }"
    assert excerpt_lines(raised.value.message)[2].endswith("^^^")


def test_a_from_clause_error_points_into_the_query() -> None:
    query = "SELECT *\nFROM ex:g { ?s ?p ?o }"

    with pytest.raises(QuerySyntaxError) as raised:
        dataset_clause(query)

    assert ": the prefix ex: is not declared\n" in raised.value.message
    assert_points_at_its_position(raised.value.message, query)


RDF_BODIES = [
    ("text/turtle", f'@prefix ex: <{EX}> .\nex:a ex:b ex:c ;\n  ex:d "x .\n'),
    ("text/turtle", f'<{EX}a> <{EX}b> "中文中文" ; <{EX}c> foo .\n'),
    ("text/turtle", f'<{EX}a>\t<{EX}b>\t"中文"\t; <{EX}c> foo .\n'),
    ("text/turtle", f"<{EX}a> <{EX}b> <{EX}c>\r\n<{EX}d> <{EX}e> <{EX}f> .\r\n"),
    ("text/turtle", "ex:a <http://b> <http://c> .\n"),
    ("application/n-triples", f'<{EX}a> <{EX}b> "x" .\n<{EX}a> <{EX}b> ex:c .\n'),
    ("application/n-quads", f'<{EX}a> <{EX}b> <{EX}c> "g" .\n'),
    ("application/trig", f"<{EX}g> {{ <{EX}a> <{EX}b> }}\n"),
    ("application/ld+json", '{"@id": "http://a",\n "http://b": [1, }'),
    (
        "application/rdf+xml",
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'<rdf:Description rdf:about="{EX}a">中文</rdf:Descriptio>\n</rdf:RDF>',
    ),
]


@pytest.mark.parametrize(("media_type", "body"), RDF_BODIES)
def test_an_rdf_error_puts_the_caret_under_its_column(media_type: str, body: str) -> None:
    with pytest.raises(RdfSyntaxError) as raised:
        parse_rdf_bytes(body.encode(), media_type)

    error = raised.value
    line, column = error.line or 0, error.column or 0
    assert error.message.startswith(f"body: line {line}, column {column}: ")
    assert pointed_at(error.message) == source_line(body, line)[column - 1 :]
    assert not any(raw in error.message for raw in RAW_RANGES)


def test_an_rdf_error_underlines_the_whole_token() -> None:
    body = f'<{EX}a> <{EX}b> "中文中文" ; <{EX}c> foo .\n'

    with pytest.raises(RdfSyntaxError) as raised:
        parse_rdf_bytes(body.encode(), "text/turtle")

    assert excerpt_lines(raised.value.message)[2].endswith(" ^^^")


def test_an_rdf_error_past_the_last_line_points_at_the_end_of_the_input() -> None:
    body = f"<{EX}a> <{EX}b> <{EX}c>\n"

    with pytest.raises(RdfSyntaxError) as raised:
        parse_rdf_bytes(body.encode(), "application/n-triples")

    message = raised.value.message
    assert message.startswith("body: line 2, column 1: ntriples syntax error: ")
    number, _, marks = excerpt_lines(message)
    assert number == 1 and marks.endswith("^ end of input")
    assert pointed_at(message) == ""


def test_an_rdf_error_without_a_position_keeps_its_words() -> None:
    body = b'{"@id": "http://a", "http://b": {"@value": 1, "@type": 3}}'

    with pytest.raises(RdfSyntaxError) as raised:
        parse_rdf_bytes(body, "application/ld+json")

    assert raised.value.message == "body: jsonld syntax error: @type value must be a string"
