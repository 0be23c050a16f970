"""Stored-query files: ``queries/*.rq`` with grlc's ``#+`` YAML header, read and checked.

Each file stays valid SPARQL; its leading ``#+ `` lines are a YAML header (title,
description, question, params, tags) read with ``yaml.safe_load``. A bad header stops
loading and names the file (grlc only warns). `check_stored_query` runs each query once
with sample values, so that a parameter pyoxigraph cannot bind is found at start, not at
the first request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from kg.errors import KgError
from kg.rdf.syntax_errors import sparql_syntax_error
from kg.store.terms import OxTerm

PARAM_TYPES = ("string", "firm", "person", "integer", "decimal", "iri", "date")
PARAM_KEYS = ("name", "type", "required", "default", "description", "example")
HEADER_PREFIX = "#+"

_XSD = "http://www.w3.org/2001/XMLSchema#"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class QueryParam:
    """One parameter of a stored query, as its header declares it."""

    name: str
    type: str
    required: bool = False
    default: str | None = None
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        """Return the parameter as ``/api/queries`` lists it."""
        return {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "default": self.default,
            "description": self.description,
        }


@dataclass(frozen=True)
class StoredQuery:
    """One ``queries/<name>.rq``: its header and its SPARQL text."""

    name: str
    title: str
    description: str
    question: str
    params: tuple[QueryParam, ...]
    tags: tuple[str, ...]
    sparql: str
    path: Path

    def to_json(self) -> dict[str, Any]:
        """Return the query's description as ``/api/queries`` lists it."""
        return {
            "name": self.name,
            "title": self.title,
            "question": self.question,
            "description": self.description,
            "params": [p.to_json() for p in self.params],
            "tags": list(self.tags),
        }


def read_stored_query(path: Path) -> StoredQuery:
    """Read one ``.rq`` file and its ``#+`` header.

    Raises:
        KgError: the header is not YAML or does not have the expected keys and types; the
            message names the file.
    """
    text = path.read_text(encoding="utf-8")
    header = _header(text, path)
    params = tuple(_param(p, path) for p in _list(header.get("params"), "params", path))
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise _bad_header(path, f"parameter names repeat: {names}")
    return StoredQuery(
        name=path.stem,
        title=_text(header.get("title"), "title", path, required=True),
        description=_text(header.get("description"), "description", path),
        question=_text(header.get("question"), "question", path),
        params=params,
        tags=tuple(str(t) for t in _list(header.get("tags"), "tags", path)),
        sparql=text,
        path=path,
    )


def _header(text: str, path: Path) -> dict[str, Any]:
    lines = []
    for line in text.splitlines():
        if not line.startswith(HEADER_PREFIX):
            break
        lines.append(line[len(HEADER_PREFIX) :].removeprefix(" "))
    if not lines:
        raise _bad_header(path, "no '#+ ' header at the top of the file")
    try:
        header = yaml.safe_load("\n".join(lines))
    except yaml.YAMLError as exc:
        raise _bad_header(path, f"not YAML: {exc}") from None
    if not isinstance(header, dict):
        raise _bad_header(path, "the header is not a mapping of keys to values")
    return header


def _param(raw: object, path: Path) -> QueryParam:
    if not isinstance(raw, dict):
        raise _bad_header(path, f"a parameter is not a mapping: {raw!r}")
    unknown = set(raw) - set(PARAM_KEYS)
    if unknown:
        raise _bad_header(path, f"unknown parameter keys {sorted(unknown)}; accepted: {PARAM_KEYS}")
    name, kind, required = raw.get("name"), raw.get("type", "string"), raw.get("required", False)
    if not isinstance(name, str) or not _NAME.match(name):
        raise _bad_header(path, f"parameter name {name!r} is not a SPARQL variable name")
    if kind not in PARAM_TYPES:
        raise _bad_header(path, f"parameter {name}: type {kind!r} is not one of {PARAM_TYPES}")
    if not isinstance(required, bool):
        raise _bad_header(path, f"parameter {name}: required must be true or false")
    default = raw.get("default")
    return QueryParam(
        name=name,
        type=kind,
        required=required,
        default=None if default is None else str(default),
        description=_text(raw.get("description"), f"{name}.description", path),
    )


def _text(value: object, key: str, path: Path, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise _bad_header(path, f"{key} must be a non-empty string")
    return value.strip()


def _list(value: object, key: str, path: Path) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad_header(path, f"{key} must be a list")
    return value


def _bad_header(path: Path, why: str) -> KgError:
    return KgError(
        f"{path}: bad '#+' header: {why}",
        "a header has title (required), description, question, tags and params, each param "
        "with name, type (" + "|".join(PARAM_TYPES) + "), required, default, description",
    )


def check_stored_query(query: StoredQuery) -> None:
    """Check that a stored query parses and that its parameters can be bound.

    Runs the query once on an empty in-memory store with every parameter substituted, which
    is how pyoxigraph reports a parameter missing from the SELECT projection.

    Raises:
        KgError: a syntax error, a parameter that cannot be bound, or ``BOUND(?param)``; the
            message names the file.
    """
    for param in query.params:
        if re.search(rf"BOUND\s*\(\s*[?$]{param.name}\s*\)", query.sparql, re.IGNORECASE):
            raise KgError(
                f"{query.path}: BOUND(?{param.name}) is always false once ?{param.name} is "
                "substituted (pyoxigraph, SEP-0007)",
                f"filter with FILTER(?x = COALESCE(?{param.name}, ?x)) instead",
            )
    samples: dict[ox.Variable, OxTerm | ox.Triple] = {
        ox.Variable(p.name): _SAMPLES[p.type] for p in query.params
    }
    try:
        ox.Store().query(query.sparql, substitutions=samples)
    except SyntaxError as exc:
        error = sparql_syntax_error(str(exc), query.sparql)
        raise KgError(f"{query.path}: {error.message}", error.hint) from None
    except RuntimeError as exc:
        raise KgError(
            f"{query.path}: a parameter cannot be bound: {exc}",
            "pyoxigraph binds only variables of the SELECT projection: project every parameter",
        ) from None


_SAMPLES: dict[str, OxTerm] = {
    "string": ox.Literal("x"),
    "firm": ox.NamedNode("urn:aicap:check"),
    "person": ox.NamedNode("urn:aicap:check"),
    "iri": ox.NamedNode("urn:aicap:check"),
    "integer": ox.Literal("1", datatype=ox.NamedNode(_XSD + "integer")),
    "decimal": ox.Literal("1.0", datatype=ox.NamedNode(_XSD + "decimal")),
    "date": ox.Literal("2025-01-01", datatype=ox.NamedNode(_XSD + "date")),
}
