"""The stored-query catalogue: the questions of ``queries/`` and the binding of parameters.

The files and their ``#+`` headers are read by `kg.query.query_files`. Parameters are
bound as typed pyoxigraph terms through the engine's ``substitutions`` (SEP-0007), never
pasted into the query text. Two rules of that mechanism, which
`tests/kg/query/test_stored_queries.py` pins down and `StoredQueryCatalogue.load` enforces:

- a parameter's variable must be in the SELECT projection (pyoxigraph refuses otherwise);
- once substituted, ``BOUND(?param)`` is false, while ``?param`` in an expression or a
  pattern is the value. An optional parameter therefore filters with
  ``FILTER(?x = COALESCE(?param, ?x))`` or ``COALESCE(isIRI(?param), false)``, never BOUND.

A ``firm`` or ``person`` parameter takes the name as written (rdfs:label, skos:altLabel,
foaf:name ..., case insensitive) or the IRI, and is resolved against the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from kg.errors import BadParameter, KgError, MissingParameter, UnknownQuery, UnknownResource
from kg.namespaces import AICAP
from kg.query.query_files import QueryParam, StoredQuery, check_stored_query, read_stored_query
from kg.store.protocol import Store
from kg.store.terms import OxTerm

_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")

RESOURCE_CLASSES: dict[str, str] = {"firm": str(AICAP.Firm), "person": str(AICAP.Person)}
"""Parameter type -> the class its resources belong to (directly or through subclasses)."""

NAME_PREDICATES = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2004/02/skos/core#altLabel",
    "http://xmlns.com/foaf/0.1/name",
    str(AICAP["name"]),
)
"""The properties whose values name a firm or a person (rdfs:label first: the shown name)."""

_NAMES_QUERY = (
    "SELECT DISTINCT ?class ?resource ?predicate ?name WHERE {\n"
    "  ?resource a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?class .\n"
    "  VALUES ?predicate { " + " ".join(f"<{p}>" for p in NAME_PREDICATES) + " }\n"
    "  ?resource ?predicate ?name .\n"
    "  FILTER(isLiteral(?name))\n"
    "}\n"
)


class StoredQueryCatalogue:
    """The stored queries of a directory, and the typed binding of their parameters."""

    def __init__(self, queries: Mapping[str, StoredQuery], store: Store | None = None) -> None:
        self._queries = dict(sorted(queries.items()))
        self._store = store

    @classmethod
    def load(cls, directory: Path, store: Store | None = None) -> StoredQueryCatalogue:
        """Read and check every ``*.rq`` of a directory (none if it does not exist).

        Args:
            directory: the queries directory (`Settings.queries_dir`).
            store: where `firm` and `person` parameters are looked up by name.

        Raises:
            KgError: a file with a bad header, a syntax error or an unbindable parameter.
        """
        queries = {}
        for path in sorted(directory.glob("*.rq")) if directory.is_dir() else []:
            query = read_stored_query(path)
            check_stored_query(query)
            queries[query.name] = query
        return cls(queries, store)

    def names(self) -> list[str]:
        """Return the names of the stored queries, sorted."""
        return list(self._queries)

    def __iter__(self) -> Iterator[StoredQuery]:
        return iter(self._queries.values())

    def __len__(self) -> int:
        return len(self._queries)

    def get(self, name: str) -> StoredQuery:
        """Return one stored query.

        Raises:
            UnknownQuery: no such query; it lists the names there are.
        """
        try:
            return self._queries[name]
        except KeyError:
            raise UnknownQuery(name, self.names()) from None

    def bind(self, name: str, params: Mapping[str, str]) -> dict[str, OxTerm]:
        """Turn the given parameter values into typed terms, ready for `substitutions`.

        Values left out (or empty) take the header's default; optional ones without a
        default stay unbound.

        Raises:
            UnknownQuery: no such query.
            MissingParameter: a required parameter has no value; the message names it.
            BadParameter: an unknown parameter, or a value that does not fit its type.
            UnknownResource: a firm or person name that is in no label; lists the known ones.
        """
        query = self.get(name)
        declared = {p.name: p for p in query.params}
        unknown = sorted(set(params) - set(declared))
        if unknown:
            accepted = ", ".join(declared) or "none"
            raise BadParameter(
                f"{name} takes no parameter {', '.join(unknown)}", f"accepted: {accepted}"
            )
        bound: dict[str, OxTerm] = {}
        for param in query.params:
            value = params.get(param.name) or param.default
            if value is None:
                if param.required:
                    raise MissingParameter(
                        f"{name} needs parameter {param.name!r} ({param.type})",
                        param.description or None,
                    )
                continue
            bound[param.name] = self.term(param, value)
        return bound

    def term(self, param: QueryParam, value: str) -> OxTerm:
        """Return the typed term of one parameter value.

        Raises:
            BadParameter: the value does not fit the parameter's type.
            UnknownResource: a firm or person that the store does not know.
        """
        if param.type in RESOURCE_CLASSES:
            return self.resolve(param.type, value)
        try:
            return _CONVERTERS[param.type](value.strip())
        except ValueError:
            raise BadParameter(
                f"parameter {param.name!r} must be of type {param.type}; got {value!r}",
                _EXPECTED[param.type],
            ) from None

    def resolve(self, kind: str, value: str) -> ox.NamedNode:
        """Return the firm or person that a name (any label, any case) or an IRI denotes.

        Raises:
            UnknownResource: nothing of that kind has that name or IRI; lists the known ones.
            BadParameter: the name fits several resources.
        """
        names = self._names(kind)
        wanted = value.strip().removeprefix("<").removesuffix(">")
        folded = wanted.casefold()
        matches = {r for r in names if r.value == wanted} or {
            r for r, labels in names.items() if folded in (n.casefold() for n in labels)
        }
        if len(matches) == 1:
            return matches.pop()
        if matches:
            iris = ", ".join(sorted(m.value for m in matches))
            raise BadParameter(f"{kind} {value!r} is ambiguous: {iris}", "give the IRI instead")
        known = sorted({labels[0] for labels in names.values()}, key=str.casefold)
        raise UnknownResource(f"no {kind} named {value!r}", known)

    def _names(self, kind: str) -> dict[ox.NamedNode, list[str]]:
        """Return every resource of a kind with its names, rdfs:label first."""
        if self._store is None:
            raise KgError(f"cannot look up a {kind} by name without a store")
        solutions = self._store.query(
            _NAMES_QUERY,
            union_default_graph=True,
            substitutions={"class": ox.NamedNode(RESOURCE_CLASSES[kind])},
        )
        assert isinstance(solutions, ox.QuerySolutions)
        ranked: list[tuple[int, str, ox.NamedNode]] = []
        for row in solutions:
            resource, predicate, name = row["resource"], row["predicate"], row["name"]
            if isinstance(resource, ox.NamedNode) and isinstance(name, ox.Literal):
                ranked.append((NAME_PREDICATES.index(str(predicate.value)), name.value, resource))
        names: dict[ox.NamedNode, list[str]] = {}
        for _rank, name, resource in sorted(ranked, key=lambda r: (r[0], r[1])):
            names.setdefault(resource, []).append(name)
        return names


def _typed(datatype: str, pattern: re.Pattern[str]) -> Callable[[str], OxTerm]:
    def convert(value: str) -> OxTerm:
        if not pattern.match(value):
            raise ValueError(value)
        return ox.Literal(value, datatype=ox.NamedNode(_XSD + datatype))

    return convert


def _date(value: str) -> OxTerm:
    if not _DATE.match(value):
        raise ValueError(value)
    date.fromisoformat(value)  # rejects 2025-02-30
    return ox.Literal(value, datatype=ox.NamedNode(_XSD + "date"))


def _iri(value: str) -> OxTerm:
    value = value.removeprefix("<").removesuffix(">")
    if not _IRI.match(value):
        raise ValueError(value)
    return ox.NamedNode(value)


_CONVERTERS: dict[str, Callable[[str], OxTerm]] = {
    "string": ox.Literal,
    "integer": _typed("integer", _INTEGER),
    "decimal": _typed("decimal", _DECIMAL),
    "date": _date,
    "iri": _iri,
}
"""Parameter type -> value to term (ValueError when the value does not fit)."""

_EXPECTED: dict[str, str] = {
    "string": "any text",
    "integer": "a whole number such as 42 or -7",
    "decimal": "a decimal number such as 12.5 (no exponent, no thousands separator)",
    "date": "a date written YYYY-MM-DD",
    "iri": "an absolute IRI such as https://w3id.org/aicap/id/firm/openai",
}
