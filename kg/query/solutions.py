"""Query solutions as plain rows: what the question pages and the pictures read.

A `SolutionTable` holds the variables and the rows of a SELECT result, each cell a `Cell`
(the term's kind, lexical value, datatype and language), so that templates and charts
never handle engine terms. It is read from pyoxigraph's solutions (`solution_table`) or
from SPARQL 1.1 Query Results JSON (`table_from_json`, what the query workers send back).
Numbers are read from the lexical form (`Cell.number`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal, Protocol

import pyoxigraph as ox

from kg.errors import KgError
from kg.store.protocol import QueryResult

CellKind = Literal["iri", "literal", "bnode", "triple"]

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC_DATATYPES = frozenset(
    XSD + name
    for name in (
        "integer", "decimal", "double", "float", "long", "int", "short", "byte",
        "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
        "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
    )
)  # fmt: skip


@dataclass(frozen=True)
class Cell:
    """One bound value of a solution."""

    kind: CellKind
    value: str
    datatype: str | None = None
    language: str | None = None

    @property
    def is_number(self) -> bool:
        """Whether the value is a literal of an XSD numeric datatype."""
        return self.kind == "literal" and self.datatype in NUMERIC_DATATYPES

    @property
    def decimal(self) -> Decimal | None:
        """The exact value of a numeric literal; None for anything else."""
        if not self.is_number:
            return None
        try:
            return Decimal(self.value)
        except InvalidOperation:
            return None

    @property
    def number(self) -> float | None:
        """The value of a numeric literal as a float; None for anything else."""
        exact = self.decimal
        return None if exact is None else float(exact)


Row = Mapping[str, Cell]
"""Variable name -> its value; unbound variables are absent."""


@dataclass(frozen=True)
class SolutionTable:
    """The variables and rows of a SELECT result, in the engine's order."""

    variables: tuple[str, ...]
    rows: tuple[Row, ...] = field(default_factory=tuple)
    truncated: bool = False
    """Rows past the service's row cap were cut (`Settings.max_result_rows`)."""

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def cell_of(term: object) -> Cell:
    """Return the cell of one engine term."""
    if isinstance(term, ox.NamedNode):
        return Cell("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return Cell("bnode", term.value)
    if isinstance(term, ox.Literal):
        return Cell("literal", term.value, term.datatype.value, term.language)
    return Cell("triple", str(term))


def solution_table(result: object) -> SolutionTable:
    """Turn a SELECT result into a `SolutionTable`.

    Raises:
        KgError: the result is not a SELECT result (an ASK or a CONSTRUCT).
    """
    if not isinstance(result, ox.QuerySolutions):
        raise KgError(f"expected SELECT solutions, got {type(result).__name__}")
    variables = tuple(v.value for v in result.variables)
    rows = []
    for solution in result:
        row = {}
        for name in variables:
            term = solution[name]
            if term is not None:
                row[name] = cell_of(term)
        rows.append(row)
    return SolutionTable(variables, tuple(rows))


_JSON_KINDS: dict[str, CellKind] = {"uri": "iri", "literal": "literal", "bnode": "bnode"}


def table_from_json(body: bytes | str) -> SolutionTable:
    """Read SPARQL 1.1 Query Results JSON (with the service's ``truncated`` flag).

    Raises:
        KgError: the document is not the JSON of SELECT results.
    """
    try:
        document = json.loads(body)
        variables = tuple(str(v) for v in document["head"]["vars"])
        bindings = document["results"]["bindings"]
    except (ValueError, KeyError, TypeError) as exc:
        raise KgError(f"not SPARQL JSON SELECT results: {exc}") from None
    rows = tuple({name: _json_cell(term) for name, term in binding.items()} for binding in bindings)
    return SolutionTable(variables, rows, truncated=bool(document.get("truncated", False)))


def _json_cell(term: Mapping[str, object]) -> Cell:
    kind = _JSON_KINDS.get(str(term.get("type")), "triple")
    datatype, language = term.get("datatype"), term.get("xml:lang")
    if kind == "literal" and datatype is None:
        datatype = _RDF_LANG_STRING if language else XSD + "string"
    return Cell(
        kind,
        str(term.get("value")),
        None if datatype is None else str(datatype),
        None if language is None else str(language),
    )


_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


class StoredQueryRunner(Protocol):
    """What runs stored queries: `KnowledgeGraph`, seen from here."""

    def run_stored(self, name: str, params: Mapping[str, str]) -> QueryResult:
        """Run a stored query with typed parameters."""


def run_stored_table(kg: StoredQueryRunner, name: str, params: Mapping[str, str]) -> SolutionTable:
    """Run a stored query with typed parameters and return its rows.

    Raises:
        UnknownQuery: no such query; lists the names.
        MissingParameter: a required parameter is missing; names it.
        BadParameter: an unknown or ill-typed parameter; names it and its type.
        UnknownResource: a firm or person name that the graph does not know.
    """
    return solution_table(kg.run_stored(name, params))
