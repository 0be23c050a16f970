"""Checks that run before any parser sees a SPARQL query or update.

Two dangers, each measured in ``bench/parser_limits.py``:

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

The text is read with `kg.rdf.sparql_tokens`, so text inside literals or IRIs never
counts, and text the engine reads as code never hides. RDF bodies have their own checks in
`kg.rdf.body_guards`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin

from kg.errors import Forbidden, TooComplex
from kg.rdf.sparql_tokens import line_column, tokens, unescape_codepoints

MAX_QUERY_BYTES = 1024 * 1024
"""Longest query text; a query is a question, not a data file."""
MAX_UPDATE_BYTES = 10 * 1024 * 1024
"""Longest update text (``INSERT DATA`` carries data); the default body limit."""
MAX_QUERY_DEPTH = 64
"""Deepest nesting of ``{ ( [ <<`` in a query or update; the first crash is at 835."""
MAX_CHAIN = 256
"""Most elements chained in one group or expression; the first crash is at 2,625."""
ALLOWED_URLS_SETTING = "AICAP_ALLOWED_SERVICE_URLS"

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
                f"({line_column(self.text, pos)})",
                f"the limit is {self.max_chain}; split the {self.what} or use VALUES",
            )

    def _check_depth(self, pos: int) -> None:
        depth = len(self.frames) - 1 + self.unary_run
        if depth > self.max_depth:
            raise TooComplex(
                f"the {self.what} nests {depth} levels deep ({line_column(self.text, pos)}); "
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
        views.append(unescape_codepoints(text))
    for view in views:
        shape = _Shape(view, what, max_depth, max_chain)
        remote = _Endpoints(set(allowed), base_iri, dict(prefixes or {}))
        for kind, value, pos in tokens(view):
            shape.feed(kind, value, pos)
            remote.feed(kind, value)
        remote.finish(what)
