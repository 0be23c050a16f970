"""Checks that run before any parser sees a request (issue 4, point 5).

Three dangers, each measured in ``bench/parser_limits.py``:

- **Depth and chains.** pyoxigraph's SPARQL parser and evaluator recurse once per nesting
  level, and once per element of a flat chain (``UNION``, ``BIND``, ``&&`` ...), on an
  8 MiB stack: nested ``EXISTS`` overflow it at 835 levels, function calls at 956, braces at
  2,187, a run of ``BIND`` at 2,625 elements, a ``UNION`` chain at 6,609 (SIGSEGV, the
  process dies). The limits below are ten times smaller, hold on a 1 MiB thread stack, and
  are far above what an analyst writes. rdflib's pyparsing grammar fails sooner but
  cleanly (RecursionError from 22 nested function calls or 37 braces).
- **Fetching.** ``SERVICE`` and ``LOAD`` make pyoxigraph open an HTTP connection as it
  evaluates them; its grammar also reads keywords glued to what follows (``SERVICESILENT<u>``,
  ``SERVICEex:``, ``LOAD:x``), and all of those are refused here unless the URL is listed.
- **Bodies.** pyoxigraph expands RDF/XML internal entities without bound (billion laughs: a
  600-byte body became 1 GB) and rejects external ones; its JSON-LD parser refuses remote
  contexts without fetching. Its parsers nest on the stack: JSON-LD objects and lists crash
  at 3,272 levels, Turtle and N-Triples triple terms ``<<( )>>`` at 18,125. rdflib's
  JSON-LD parser fetches remote contexts over HTTP and reads ``file:`` ones, so a request
  body must never reach it; its RDF/XML parser leaves external entities unread.

The tokenizer follows spargebra's lexical rules (strings, ``<IRI>``, comments, prefixed
names with ``\\``-escapes), so text inside literals or IRIs never counts, and text the
engine reads as code never hides.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin

import pyoxigraph as ox

from kg.errors import BadInput, Forbidden, TooComplex, TooLarge, UnsafeInput
from kg.rdf.formats import rdf_syntax_for_media_type

MAX_QUERY_BYTES = 1024 * 1024
"""Longest query text; a query is a question, not a data file."""
MAX_UPDATE_BYTES = 10 * 1024 * 1024
"""Longest update text (``INSERT DATA`` carries data); the default body limit."""
MAX_QUERY_DEPTH = 64
"""Deepest nesting of ``{ ( [ <<`` in a query or update; the first crash is at 835."""
MAX_CHAIN = 256
"""Most elements chained in one group or expression; the first crash is at 2,625."""
MAX_RDF_DEPTH = 128
"""Deepest nesting in an RDF body (JSON-LD crashes at 3,272; deep XML takes quadratic time)."""
ALLOWED_URLS_SETTING = "AICAP_ALLOWED_SERVICE_URLS"

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
)
_PN_CHARS = _PN_CHARS_BASE + r"_\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_LOCAL_CHAR = rf"[{_PN_CHARS}:]|{_PLX}"
_SKIPPED = r"""
    (?P<comment>\#[^\r\n]*+)
  | (?P<string>'''(?:[^'\\]|\\[\s\S]|'{1,2}(?!'))*+(?:'''|\\?\Z)
    | \"\"\"(?:[^"\\]|\\[\s\S]|"{1,2}(?!"))*+(?:\"\"\"|\\?\Z)
    | '(?:[^'\\\r\n]|\\[^\r\n])*+(?:'|\\?(?=[\r\n])|\\?\Z)
    | "(?:[^"\\\r\n]|\\[^\r\n])*+(?:"|\\?(?=[\r\n])|\\?\Z))
  | (?P<iri><(?:[^\x00-\x20<>"{}|^`\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>)
"""
"""Comments, strings and IRIs, which the tokenizers step over whole (spargebra's rules).

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
_TOKEN = re.compile(r"\s*+(?:" + _SKIPPED + _PNAME + _OTHER + ")", re.VERBOSE)
_TOKEN_NO_PNAME = re.compile(r"\s*+(?:" + _SKIPPED + _OTHER + ")", re.VERBOSE)
_NAME_RUN = re.compile(rf"[{_PN_CHARS}.]*")
_OPEN = {"{": "{", "(": "(", "[": "[", "<<": "<", "<<(": "<"}
_CLOSE = {"}", ")", "]", ">>", ")>>"}
_EXPR_OPS = {"||", "&&", "=", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "|"}
_PATH_OPS = {"/", "|"}
_CHAIN_WORDS = {"bind", "filter"}
_OPERANDS = {"var", "iri", "pname", "number", "string", "word", "langtag", "closer"}


@dataclass
class _Frame:
    kind: str
    data: bool = False
    chain: int = 0


@dataclass
class _Shape:
    """Nesting and chain lengths of one text, raising as soon as a limit is passed."""

    text: str
    what: str
    max_depth: int
    max_chain: int | None
    frames: list[_Frame] = field(default_factory=lambda: [_Frame("top")])
    unary_run: int = 0
    as_count: int = 0
    last_kind: str = ""
    pending_data: bool = False

    def feed(self, kind: str, value: str, pos: int) -> None:
        if kind not in ("punct", "word"):
            self.unary_run, self.last_kind = 0, kind
            return
        top = self.frames[-1]
        if kind == "punct" and value in _OPEN:
            group = value == "{"
            if group and top.kind == "{":
                self._count(top, pos)
            self.frames.append(_Frame(_OPEN[value], top.data or (group and self.pending_data)))
            self.pending_data &= not group
            self._check_depth(pos)
        elif kind == "punct" and value in _CLOSE:
            if len(self.frames) > 1:
                self.frames.pop()
        elif kind == "punct" and self._is_unary(value):
            self.unary_run += 1
            self._check_depth(pos)
        elif kind == "punct" and value in (_EXPR_OPS if top.kind == "(" else _PATH_OPS):
            self._count(top, pos)
        elif kind == "word":
            lowered = value.lower()
            self.pending_data |= lowered in ("data", "values")
            if lowered in _CHAIN_WORDS:
                self._count(top, pos)
            elif lowered == "as":
                self.as_count += 1
                self._check_chain(self.as_count, pos, "expressions bound with AS")
        if not (kind == "punct" and self._is_unary(value)):
            self.unary_run = 0
        self.last_kind = "closer" if kind == "punct" and value in _CLOSE else kind

    def _is_unary(self, value: str) -> bool:
        return value in ("!", "^") or (value in ("+", "-") and self.last_kind not in _OPERANDS)

    def _count(self, frame: _Frame, pos: int) -> None:
        if frame.data:
            return
        frame.chain += 1
        self._check_chain(frame.chain, pos, "elements in one group or expression")

    def _check_chain(self, count: int, pos: int, what: str) -> None:
        if self.max_chain is not None and count > self.max_chain:
            raise TooComplex(
                f"the {self.what} chains more than {self.max_chain} {what} "
                f"({_where(self.text, pos)})",
                f"the limit is {self.max_chain}; split the {self.what} or use VALUES",
            )

    def _check_depth(self, pos: int) -> None:
        depth = len(self.frames) - 1 + self.unary_run
        if depth > self.max_depth:
            raise TooComplex(
                f"the {self.what} nests {depth} levels deep ({_where(self.text, pos)}); "
                f"the limit is {self.max_depth}",
                "flatten the nesting; the service refuses deeper input before parsing it",
            )


@dataclass
class _Endpoints:
    """Finds every SERVICE and LOAD target, resolving prefixed names and BASE as it goes."""

    allowed: Collection[str]
    base: str | None
    prefixes: dict[str, str]
    expect: str = ""
    keyword: str = ""
    prefix_name: str = ""

    def feed(self, kind: str, value: str) -> None:
        if self.expect and self._continue(kind, value):
            return
        if kind not in ("word", "pname"):
            return
        lowered = value.lower()
        for keyword in ("service", "load"):
            if lowered.startswith(keyword):
                if kind == "word" and lowered == keyword:
                    self.keyword, self.expect = keyword.upper(), "silent"
                else:
                    self._refuse(f"{value!r} (the engine may read it as {keyword.upper()} …)")
                return
        if kind == "word" and lowered in ("prefix", "base"):
            self.expect = lowered

    def finish(self, what: str) -> None:
        if self.expect in ("silent", "endpoint"):
            self._refuse(f"{self.keyword} at the end of the {what}")

    def _continue(self, kind: str, value: str) -> bool:
        """Take the token the last keyword expects; False if it is not that token."""
        expect, self.expect = self.expect, ""
        if expect == "prefix" and kind == "pname" and value.endswith(":"):
            self.prefix_name, self.expect = value[:-1], "prefix-iri"
        elif expect == "prefix-iri" and kind == "iri":
            self.prefixes[self.prefix_name] = self._resolve(value)
        elif expect == "base" and kind == "iri":
            self.base = self._resolve(value)
        elif expect == "silent" and kind == "word" and value.lower() == "silent":
            self.expect = "endpoint"
        elif expect in ("silent", "endpoint"):
            self._check_endpoint(kind, value)
        else:
            return False
        return True

    def _check_endpoint(self, kind: str, value: str) -> None:
        what = f"{self.keyword} {value}"
        if kind in ("word", "pname") and value.lower().startswith("silent"):
            self._refuse(f"{what} (SILENT glued to a name reads two ways)")
        if kind == "iri":
            url = self._resolve(value)
        elif kind == "pname" and value.split(":", 1)[0] in self.prefixes:
            prefix, local = value.split(":", 1)
            url = self.prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
        elif kind == "var":
            self._refuse(f"{what} (an endpoint chosen at run time)")
        else:
            self._refuse(f"{what} (not an IRI the service can check)")
        if url not in self.allowed:
            self._refuse(f"{self.keyword} <{url}>")

    def _resolve(self, iri: str) -> str:
        inner = re.sub(
            r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})",
            lambda m: chr(int(m.group(1) or m.group(2), 16)),
            iri[1:-1],
        )
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", inner) or self.base is None:
            return inner
        return urljoin(self.base, inner)

    def _refuse(self, what: str) -> None:
        allowed = ", ".join(sorted(self.allowed)) or "none"
        raise Forbidden(
            f"{what} is refused: the service reaches no URL that is not listed "
            f"in {ALLOWED_URLS_SETTING} (allowed: {allowed})",
            f"list the endpoint in {ALLOWED_URLS_SETTING}, or query without SERVICE/LOAD",
        )


def check_query_safety(
    sparql: str,
    *,
    allowed_urls: Collection[str],
    max_depth: int = MAX_QUERY_DEPTH,
    max_bytes: int = MAX_QUERY_BYTES,
    max_chain: int = MAX_CHAIN,
    base_iri: str | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> None:
    """Refuse a query that is too big, too deep, or that would reach another server.

    Runs before any parser sees the text, so nothing here can overflow a stack.

    Args:
        sparql: the query text as the client sent it.
        allowed_urls: the SERVICE endpoints that may be reached
            (``Settings.allowed_service_urls``); compared exactly, after resolution.
        max_depth: deepest nesting of brackets and unary operators accepted.
        max_bytes: longest text accepted, in UTF-8 bytes.
        max_chain: most elements in one group (UNION, BIND, FILTER, child groups) or
            expression (binary operators).
        base_iri: the base the engine resolves relative IRIs against, if any.
        prefixes: prefixes the engine is given besides the query's own.

    Raises:
        TooComplex: the text is longer, deeper or more chained than the limits (400).
        Forbidden: a SERVICE whose endpoint is not allowed, or a variable (403).
    """
    limits = (max_depth, max_bytes, max_chain)
    _check_sparql(sparql, "query", allowed_urls, limits, base_iri, prefixes)


def check_update_safety(
    sparql: str,
    *,
    allowed_urls: Collection[str],
    max_depth: int = MAX_QUERY_DEPTH,
    max_bytes: int = MAX_UPDATE_BYTES,
    max_chain: int = MAX_CHAIN,
    base_iri: str | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> None:
    """Refuse an update that is too big, too deep, or that would LOAD or SERVICE a URL.

    Every operation is checked; prefixes and BASE carry from one operation to the next as
    they do in the engine. ``INSERT DATA`` and ``VALUES`` blocks are data: any number of
    triples or rows, only their nesting is limited. Arguments as `check_query_safety`.

    Raises:
        TooComplex: the text is longer, deeper or more chained than the limits (400).
        Forbidden: a LOAD or SERVICE whose URL is not allowed, or a variable (403).
    """
    limits = (max_depth, max_bytes, max_chain)
    _check_sparql(sparql, "update", allowed_urls, limits, base_iri, prefixes)


def _check_sparql(
    text: str,
    what: str,
    allowed: Collection[str],
    limits: tuple[int, int, int],
    base_iri: str | None,
    prefixes: Mapping[str, str] | None,
) -> None:
    max_depth, max_bytes, max_chain = limits
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise TooComplex(
            f"the {what} is {size:,} bytes; the limit is {max_bytes:,}",
            "send a shorter text; data belongs in a graph-store upload",
        )
    # spargebra can be built to decode \\uXXXX before parsing (SPARQL 1.1, 19.2); 0.5.13 is
    # not, but checking both readings keeps the guard right whichever build runs.
    views = [text]
    if re.search(r"\\[uU]", text):
        views.append(_unescape_codepoints(text))
    for view in views:
        shape = _Shape(view, what, max_depth, max_chain)
        remote = _Endpoints(set(allowed), base_iri, dict(prefixes or {}))
        for kind, value, pos in _tokens(view):
            shape.feed(kind, value, pos)
            remote.feed(kind, value)
        remote.finish(what)


def _tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """Yield (kind, text, offset) for each token but comments.

    Where a prefixed name failed to match at the start of a dotted run (``a.b.c`` with no
    colon), it fails at every later start in that run too: skipping those attempts keeps
    the scan linear (``a.a.a.a…`` took 38 s for 80 KB without it).
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


def _unescape_codepoints(text: str) -> str:
    return re.sub(
        r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})",
        lambda m: chr(min(int(m.group(1) or m.group(2), 16), 0x10FFFF)),
        text,
    )


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    return f"line {line}, column {pos - (text.rfind(chr(10), 0, pos) + 1) + 1}"


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
    _SKIPPED + r"| \\. | (?P<open><<\(?|[\[({]) | (?P<close>\)>>|>>|[\])}])",
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
                    f"({_where(text, match.start())}); the limit is {max_depth}",
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
                    f"({_where(text, match.start())}); the limit is {max_depth}",
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
                f"({_where(text, start)}); the limit is {max_depth}",
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


def has_dataset_clause(sparql: str) -> bool:
    """Tell whether a query names its own dataset (``FROM`` or ``FROM NAMED``).

    Such a query must be evaluated over that dataset: the service's union default graph
    (AICAP_UNION_DEFAULT_GRAPH) is for queries that name none. Read with the same
    tokenizer as the checks above, so a ``FROM`` in a string, an IRI or a comment does
    not count. Call it after `check_query_safety`.
    """
    return any(kind == "word" and value.lower() == "from" for kind, value, _ in _tokens(sparql))
