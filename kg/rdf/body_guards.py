"""Checks that run before any parser sees an RDF request body.

pyoxigraph expands RDF/XML internal entities without bound (billion laughs: a 600-byte body
became 1 GB) and rejects external ones; its JSON-LD parser refuses remote contexts without
fetching. Its parsers nest on the stack: JSON-LD objects and lists crash at 3,272 levels,
Turtle and N-Triples triple terms ``<<( )>>`` at 18,125 (measured in
``bench/parser_limits.py``). rdflib's JSON-LD parser fetches remote contexts over HTTP and
reads ``file:`` ones, so a request body must never reach it; its RDF/XML parser leaves
external entities unread.

So the body is refused here when it is too long, nests too deep, declares entities beyond
plain-text abbreviations, or names a remote JSON-LD context. Turtle and its relatives are
scanned with the SPARQL tokenizer's rules for comments, strings and IRIs, which they share.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator

import pyoxigraph as ox

from kg.errors import BadInput, TooComplex, TooLarge, UnsafeInput
from kg.rdf.formats import rdf_syntax_for_media_type
from kg.rdf.sparql_tokens import SKIPPED_PATTERN, line_column

MAX_RDF_DEPTH = 128
"""Deepest nesting in an RDF body (JSON-LD crashes at 3,272; deep XML takes quadratic time)."""


def check_rdf_body_safety(
    data: bytes, media_type: str, *, max_bytes: int, max_depth: int = MAX_RDF_DEPTH
) -> None:
    """Refuse an RDF body that a parser would choke on, expand, or fetch something for.

    Args:
        data: the body as received.
        media_type: its Content-Type (parameters such as charset are ignored).
        max_bytes: longest body accepted (``Settings.max_body_bytes``).
        max_depth: deepest nesting accepted (JSON brackets, XML elements, Turtle
            ``[ ( { <<``).

    Raises:
        TooLarge: the body is longer than ``max_bytes`` (413).
        UnsupportedFormat: a media type the service does not parse (415).
        BadInput: bytes that are not UTF-8 (400).
        TooComplex: nesting deeper than ``max_depth`` (400).
        UnsafeInput: an RDF/XML DOCTYPE with external or nested entities or an expansion
            past ``max_bytes``; a JSON-LD remote ``@context`` or ``@import`` (400).
    """
    if len(data) > max_bytes:
        raise TooLarge(
            f"the body is {len(data):,} bytes; the limit is {max_bytes:,}",
            "send less, or raise AICAP_MAX_BODY_BYTES",
        )
    syntax = rdf_syntax_for_media_type(media_type)
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise BadInput(
            f"the body has bytes that are not UTF-8 (first at byte {error.start})",
            "send RDF encoded as UTF-8",
        ) from None
    if syntax.ox_format == ox.RdfFormat.JSON_LD:
        _check_json_ld(text, max_depth)
    elif syntax.ox_format == ox.RdfFormat.RDF_XML:
        _check_rdf_xml(text, max_depth, max_bytes)
    else:
        _check_turtle_nesting(text, max_depth)


_NESTING_TOKEN = re.compile(
    SKIPPED_PATTERN + r"| \\. | (?P<open><<\(?|[\[({]) | (?P<close>\)>>|>>|[\])}])",
    re.VERBOSE,
)
"""Comments, strings, IRIs and name escapes (skipped whole), and the brackets of Turtle,
TriG, N-Triples and N-Quads (triple terms ``<<( )>>`` nest there too)."""


def _check_turtle_nesting(text: str, max_depth: int) -> None:
    depth = 0
    for match in _NESTING_TOKEN.finditer(text):
        if match.group("open"):
            depth += 1
            if depth > max_depth:
                raise TooComplex(
                    f"the RDF body nests {depth} levels deep "
                    f"({line_column(text, match.start())}); the limit is {max_depth}",
                    "flatten the blank nodes and lists (name the nodes)",
                )
        elif match.group("close"):
            depth = max(depth - 1, 0)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)|[\[\]{}]', re.S)
"""A JSON string (one left open runs to the end, keeping the scan linear) or a bracket."""


def _check_json_ld(text: str, max_depth: int) -> None:
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth > max_depth:
                raise TooComplex(
                    f"the JSON-LD body nests {depth} levels deep "
                    f"({line_column(text, match.start())}); the limit is {max_depth}",
                    "flatten the document (@graph with node references)",
                )
        elif char in "]}":
            depth -= 1
    try:
        document = json.loads(text)
    except ValueError:
        return  # the parser reports the syntax error with its position
    except RecursionError:
        raise TooComplex("the JSON-LD body nests too deep to read", "flatten it") from None
    for url in _remote_contexts(document):
        raise UnsafeInput(
            f"the JSON-LD body refers to the remote context {url!r}; "
            "the service fetches no contexts",
            "put the context inline, as an object under @context",
        )


def _remote_contexts(document: object) -> Iterator[str]:
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    contexts = value if isinstance(value, list) else [value]
                    yield from (c for c in contexts if isinstance(c, str))
                elif key == "@import" and isinstance(value, str):
                    yield value
                stack.append(value)


_DOCTYPE = re.compile(
    r"<!DOCTYPE\s+[^\s\[>]++(?P<external>[^\[>]*+)(?:\[(?P<subset>[^\]]*+)\])?\s*+>", re.I
)
_SUBSET_PART = re.compile(
    r'\s++|<!--.*?-->|<!ENTITY\s+(?P<name>[^\s%"&<>]++)\s+"(?P<value>[^"&%<]*+)"\s*+>', re.S
)
_TAG_REST = re.compile(r"""(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
_SKIPPED_XML = (("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>"))


def _check_rdf_xml(text: str, max_depth: int, max_bytes: int) -> None:
    entities = _internal_entities(text)
    if len(re.findall(r"<!ENTITY", text, re.I)) != len(entities):
        _refuse_xml("an <!ENTITY> outside the DOCTYPE's internal subset")
    references = Counter(re.findall(r"&([^\s&;<>]++);", text))
    expanded = len(text) + sum(len(v) * references[name] for name, v in entities.items())
    if expanded > max_bytes:
        _refuse_xml(f"entities that expand the body to {expanded:,} bytes (limit {max_bytes:,})")
    depth = 0
    for start, kind in _xml_tags(text):
        depth = depth + 1 if kind == "open" else max(depth - 1, 0)
        if depth > max_depth:
            raise TooComplex(
                f"the RDF/XML body nests {depth} elements deep "
                f"({line_column(text, start)}); the limit is {max_depth}",
                "flatten the document (rdf:nodeID or rdf:resource references)",
            )


def _xml_tags(text: str) -> Iterator[tuple[int, str]]:
    """Yield (offset, "open" | "close") for element tags, stepping over everything else.

    One pass, each byte read once: regular expressions with a lazy ``.*?`` per ``<`` took
    108 s on 64 KiB of ``<``. A construct left open ends the scan (the parser stops there
    too; deep XML costs pyoxigraph time, never its stack).
    """
    position = text.find("<")
    while position != -1:
        skipped = next((end for start, end in _SKIPPED_XML if text.startswith(start, position)), "")
        if skipped or text.startswith("<!", position):
            close = text.find(skipped or ">", position)  # a DOCTYPE's subset was checked whole
            if text.startswith("<!DOCTYPE", position) and "[" in text[position:close]:
                close = text.find(">", text.find("]", position))
            end = -1 if close == -1 else close + len(skipped or ">")
        else:
            tag = _TAG_REST.match(text, position + 1)
            end = -1 if tag is None else tag.end()
            if end != -1 and text[position + 1] == "/":
                yield position, "close"
            elif end != -1 and text[end - 2] != "/":
                yield position, "open"
        if end == -1:
            return
        position = text.find("<", end)


def _internal_entities(text: str) -> dict[str, str]:
    """Return the DOCTYPE's entities if they are plain text; refuse anything else.

    pyoxigraph expands internal entities without bound and quick-xml would meet external
    ones, so only ``<!ENTITY name "text">`` without references passes (what Protégé writes).
    """
    doctypes = [m.start() for m in re.finditer(r"<!DOCTYPE", text, re.I)]
    if not doctypes:
        return {}
    match = _DOCTYPE.match(text, doctypes[0])
    if len(doctypes) > 1 or match is None or match.group("external").strip():
        _refuse_xml("a DOCTYPE with an external DTD, or more than one DOCTYPE")
    assert match is not None
    subset = match.group("subset") or ""
    entities: dict[str, str] = {}
    position = 0
    while position < len(subset) and (part := _SUBSET_PART.match(subset, position)):
        position = part.end()
        if part.group("name"):
            entities[part.group("name")] = part.group("value")
    if position != len(subset):
        _refuse_xml(_what_is_unsafe(subset[position:]))
    return entities


def _what_is_unsafe(declarations: str) -> str:
    if re.search(r"\b(SYSTEM|PUBLIC)\b", declarations):
        return "an external entity (SYSTEM or PUBLIC), which would read a file or a URL"
    if "%" in declarations:
        return "a parameter entity"
    if "&" in declarations:
        return "an entity defined by other entities (expansion without bound)"
    return 'a DOCTYPE declaring more than <!ENTITY name "text">'


def _refuse_xml(what: str) -> None:
    raise UnsafeInput(
        f"the RDF/XML body has {what}; the service expands no external, nested or "
        "unbounded entities",
        'drop the DOCTYPE, or keep to <!ENTITY name "text"> abbreviations',
    )
