"""The W3C SPARQL 1.1 query-evaluation suite: read its manifests, compare results as it defines.

The suite is copied into ``tests/conformance/w3c-sparql/query`` with its W3C licence. Each
``<area>/manifest.ttl`` lists its tests in ``mf:entries``; an ``mf:QueryEvaluationTest``
names a query (``qt:query``), the default graph's data (``qt:data``), named graphs
(``qt:graphData``, each named by its own IRI) and the expected result (``mf:result``:
SPARQL XML/JSON/TSV/CSV results, a result set in the DAWG ``rs:`` vocabulary, or a graph).

Every file is read with its own location as base IRI, as the suite's runners do, so the
relative IRIs of queries, data and results (``<>``, ``<data.ttl>``) agree.

Results are compared as the suite defines them (https://www.w3.org/2009/sparql/docs/tests/):
solutions as multisets, with a bijection between result and expected blank nodes that holds
across rows; in order only under a top-level ORDER BY, and only as far as its keys decide;
booleans by value; graphs by isomorphism. Terms compare as RDF terms: ``"01"^^xsd:integer``
is not ``"1"^^xsd:integer`` (no manifest here asks for value equality).
"""

from __future__ import annotations

import re
import struct
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node, Variable

QUERY_SUITE_DIR = Path(__file__).resolve().parent / "w3c-sparql" / "query"
"""The W3C query-evaluation manifests, copied into the repository with their licence."""

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
RDF_TYPE = ox.NamedNode(str(RDF.type))

RESULTS_FORMATS = {
    "srx": ox.QueryResultsFormat.XML,
    "srj": ox.QueryResultsFormat.JSON,
    "tsv": ox.QueryResultsFormat.TSV,
    "csv": ox.QueryResultsFormat.CSV,
}
RDF_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdf": ox.RdfFormat.RDF_XML,
}

XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_DATATYPES = frozenset(
    XSD + name
    for name in [
        "integer",
        "long",
        "int",
        "short",
        "byte",
        "nonPositiveInteger",
        "negativeInteger",
        "nonNegativeInteger",
        "positiveInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    ]
)
INTEGER = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
FLOATING = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?INF|NaN")
BOOLEANS = {"true": "true", "1": "true", "false": "false", "0": "false"}

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Triple = tuple[Term, Term, Term]
Row = dict[str, Term]


@dataclass(frozen=True)
class Solutions:
    """A SELECT result: the variables of its head and its rows (unbound variables absent)."""

    variables: tuple[str, ...]
    rows: tuple[Row, ...]


Result = Solutions | bool | frozenset[Triple]
"""A query result: solutions, an ASK boolean, or a CONSTRUCT/DESCRIBE graph."""


@dataclass(frozen=True)
class QueryEvaluationTest:
    """One ``mf:QueryEvaluationTest`` of a manifest."""

    id: str
    manifest: str
    name: str
    query: Path
    data: tuple[Path, ...]
    graph_data: tuple[tuple[str, Path], ...]
    result: Path

    def query_text(self) -> str:
        """The query, with its location declared as base IRI (the protocol carries none)."""
        return f"BASE <{self.query.as_uri()}>\n" + self.query.read_text(encoding="utf-8")

    def named_graphs(self) -> dict[str, Path]:
        """Graph IRI → file: ``qt:graphData``, and the graphs of the query's FROM clauses.

        A FROM names a document by its IRI; the suite's runners load it under that name
        (Oxigraph's does), since the service fetches nothing.
        """
        graphs = {iri: path for iri, path in self.graph_data}
        for iri in dataset_clause_iris(self.query_text()):
            graphs.setdefault(iri, file_of(iri))
        return graphs


def file_of(iri: str) -> Path:
    """The suite file a ``file:`` IRI names."""
    parts = urlsplit(iri)
    if parts.scheme != "file":
        raise ValueError(f"{iri} is not a file of the suite")
    return Path(unquote(parts.path))


def require_suite(directory: Path = QUERY_SUITE_DIR) -> Path:
    """Return the suite's directory; fail loudly when it holds no manifest.

    Raises:
        FileNotFoundError: no ``*/manifest.ttl`` in `directory` (the conformance tests
            must fail, not pass on an empty suite).
    """
    if not directory.is_dir() or not any(directory.glob("*/manifest.ttl")):
        raise FileNotFoundError(f"the W3C SPARQL suite has no manifest at {directory}")
    return directory


def read_manifests(directory: Path = QUERY_SUITE_DIR) -> list[QueryEvaluationTest]:
    """Read every ``*/manifest.ttl`` under `directory`, in order, keeping evaluation tests."""
    tests = [
        t for m in sorted(require_suite(directory).glob("*/manifest.ttl")) for t in read_manifest(m)
    ]
    ids = Counter(t.id for t in tests)
    duplicated = [i for i, n in ids.items() if n > 1]
    if duplicated:
        raise ValueError(f"test ids are not unique across manifests: {duplicated}")
    return tests


def read_manifest(path: Path) -> list[QueryEvaluationTest]:
    """Read one manifest's ``mf:QueryEvaluationTest`` entries, in ``mf:entries`` order."""
    graph = Graph()
    graph.parse(path, format="turtle", publicID=path.as_uri())
    manifest = graph.value(predicate=RDF.type, object=MF.Manifest)
    entries = graph.value(manifest, MF.entries)
    if entries is None:
        raise ValueError(f"{path}: no mf:entries")
    return [
        read_test(graph, entry, path.parent.name)
        for entry in Collection(graph, entries)
        if (entry, RDF.type, MF.QueryEvaluationTest) in graph
    ]


def read_test(graph: Graph, entry: Node, manifest: str) -> QueryEvaluationTest:
    """Read one test entry; its id is the local name of its IRI."""
    action = graph.value(entry, MF.action)
    query, result = graph.value(action, QT.query), graph.value(entry, MF.result)
    if query is None or result is None:
        raise ValueError(f"{entry}: a QueryEvaluationTest needs qt:query and mf:result")
    graph_data = []
    for named in graph.objects(action, QT.graphData):
        if not isinstance(named, URIRef):
            raise ValueError(f"{entry}: qt:graphData {named!r} is not a file IRI")
        graph_data.append((str(named), file_of(str(named))))
    return QueryEvaluationTest(
        id=str(entry).rsplit("#", 1)[-1],
        manifest=manifest,
        name=str(graph.value(entry, MF.name) or ""),
        query=file_of(str(query)),
        data=tuple(sorted(file_of(str(d)) for d in graph.objects(action, QT.data))),
        graph_data=tuple(sorted(graph_data)),
        result=file_of(str(result)),
    )


def parse_rdf(path: Path) -> list[ox.Triple]:
    """Parse an RDF file of the suite, its location as base; blank nodes renamed apart."""
    fmt = RDF_FORMATS[path.suffix.lstrip(".")]
    return [
        q.triple
        for q in ox.parse(path=path, format=fmt, base_iri=path.as_uri(), rename_blank_nodes=True)
    ]


def to_n_triples(paths: Iterable[Path]) -> bytes:
    """Merge RDF files into one N-Triples document: absolute IRIs, lexical forms kept."""
    triples = [t for p in paths for t in parse_rdf(p)]
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


def read_expected(path: Path) -> Result:
    """Parse a test's ``mf:result``: results by extension, or an RDF result set or graph."""
    ext = path.suffix.lstrip(".")
    if ext in RESULTS_FORMATS:
        return from_query_results(ox.parse_query_results(path=path, format=RESULTS_FORMATS[ext]))
    triples = parse_rdf(path)
    result_sets = [
        t.subject
        for t in triples
        if t.predicate == RDF_TYPE and t.object == ox.NamedNode(RS + "ResultSet")
    ]
    if result_sets:
        return from_result_set(triples, result_sets[0])
    return frozenset((t.subject, t.predicate, t.object) for t in triples)


def from_query_results(results: ox.QuerySolutions | ox.QueryBoolean) -> Result:
    """Turn parsed SPARQL results into `Solutions` or a boolean."""
    if isinstance(results, ox.QueryBoolean):
        return bool(results)
    variables = tuple(v.value for v in results.variables)
    rows = tuple(
        {v: term for v, term in zip(variables, solution, strict=True) if term is not None}
        for solution in results
    )
    return Solutions(variables, rows)  # type: ignore[arg-type]


def from_result_set(triples: Sequence[ox.Triple], result_set: object) -> Result:
    """Read a result set written in the DAWG ``rs:`` vocabulary (rows in ``rs:index`` order)."""

    def objects(subject: object, local: str) -> list[Term]:
        predicate = ox.NamedNode(RS + local)
        return [t.object for t in triples if t.subject == subject and t.predicate == predicate]

    boolean = objects(result_set, "boolean")
    if boolean:
        return boolean[0].value == "true"
    variables = tuple(sorted(v.value for v in objects(result_set, "resultVariable")))
    rows = []
    for solution in objects(result_set, "solution"):
        row = {
            objects(b, "variable")[0].value: objects(b, "value")[0]
            for b in objects(solution, "binding")
        }
        index = objects(solution, "index")
        rows.append((int(index[0].value) if index else 0, row))
    rows.sort(key=lambda indexed: indexed[0])
    return Solutions(variables, tuple(row for _, row in rows))


def dataset_clause_iris(query: str) -> list[str]:
    """The IRIs of a query's FROM and FROM NAMED clauses."""
    clauses = translateQuery(parseQuery(query)).algebra.get("datasetClause") or []
    return [str(c.get("default") or c.get("named")) for c in clauses]


def order_keys(query: str, variables: Sequence[str]) -> list[str] | None:
    """The variables of the query's top-level ORDER BY, or None when it has none.

    Only the outermost solution modifiers order the result (SPARQL 1.1 §15.1); an ORDER BY
    inside a subquery does not. A condition that is not a projected variable cannot be
    checked from the result; the keys stop there (the rows it orders may come in any order).
    """
    node = translateQuery(parseQuery(query)).algebra
    while isinstance(node, CompValue) and node.name not in ("OrderBy",):
        if node.name not in ("SelectQuery", "Slice", "Distinct", "Reduced", "Project"):
            return None
        node = node.p
    if not isinstance(node, CompValue):
        return None
    keys: list[str] = []
    for condition in node.expr:
        expr = condition.expr if isinstance(condition, CompValue) else condition
        if not isinstance(expr, Variable) or str(expr) not in variables:
            break
        keys.append(str(expr))
    return keys


def compare(expected: Result, actual: Result, keys: list[str] | None) -> str | None:
    """Compare results as the suite defines; None when they agree, else what differs.

    Literals of the numeric datatypes and xsd:boolean compare by value: the suite's
    README says so (w3c/rdf-tests#58: "equal literal nodes that are compared by value
    (test runners may convert lexical form to canonical form to compare character by
    character)"), which is what `canonical` does on both sides.
    """
    expected, actual = canonical_result(expected), canonical_result(actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return None if expected == actual else f"expected {expected}, got {actual}"
    if isinstance(expected, frozenset) or isinstance(actual, frozenset):
        if not (isinstance(expected, frozenset) and isinstance(actual, frozenset)):
            return f"expected {kind(expected)}, got {kind(actual)}"
        return compare_graphs(expected, actual)
    return compare_solutions(expected, actual, keys)


def canonical_result(result: Result) -> Result:
    """The result with every literal in the canonical form of its value."""
    if isinstance(result, bool):
        return result
    if isinstance(result, frozenset):
        return frozenset((s, p, canonical(o)) for s, p, o in result)
    rows = tuple({v: canonical(t) for v, t in row.items()} for row in result.rows)
    return Solutions(result.variables, rows)


def canonical(term: Term) -> Term:
    """A literal of a numeric datatype or xsd:boolean in one lexical form per value.

    The datatype is kept ("1"^^xsd:integer is not "1.0"^^xsd:decimal); an ill-typed
    lexical form is kept as it is, and so is every other term.
    """
    if not isinstance(term, ox.Literal) or term.language:
        return term
    datatype = term.datatype.value
    lexical = term.value.strip()
    if datatype in INTEGER_DATATYPES and INTEGER.fullmatch(lexical):
        return ox.Literal(str(int(lexical)), datatype=term.datatype)
    if datatype == XSD + "decimal" and DECIMAL.fullmatch(lexical):
        return ox.Literal(format(Decimal(lexical).normalize(), "f"), datatype=term.datatype)
    if datatype in (XSD + "double", XSD + "float") and FLOATING.fullmatch(lexical):
        value = float(lexical.replace("INF", "inf"))
        if datatype == XSD + "float":
            value = struct.unpack("f", struct.pack("f", value))[0]
        return ox.Literal(repr(value), datatype=term.datatype)
    if datatype == XSD + "boolean" and lexical in BOOLEANS:
        return ox.Literal(BOOLEANS[lexical], datatype=term.datatype)
    return term


def kind(result: Result) -> str:
    """Name a result's kind for messages."""
    if isinstance(result, bool):
        return "a boolean"
    return "a graph" if isinstance(result, frozenset) else "solutions"


def compare_graphs(expected: frozenset[Triple], actual: frozenset[Triple]) -> str | None:
    """Compare graphs by isomorphism (rdflib.compare), terms as RDF terms."""
    if isomorphic(to_rdflib_graph(expected), to_rdflib_graph(actual)):
        return None
    return "graphs are not isomorphic:\n" + diff_lines(
        sorted(map(format_triple, expected)), sorted(map(format_triple, actual))
    )


def compare_solutions(expected: Solutions, actual: Solutions, keys: list[str] | None) -> str | None:
    """Compare solutions as multisets under a blank-node bijection; ordered by `keys`."""
    if set(expected.variables) != set(actual.variables):
        return f"variables differ: expected {expected.variables}, got {actual.variables}"
    if keys:
        expected_keys = [sort_key(r, keys) for r in expected.rows]
        actual_keys = [sort_key(r, keys) for r in actual.rows]
        if expected_keys != actual_keys:
            return f"order by {keys} differs:\n" + diff_lines(
                [format_row(r) for r in expected.rows],
                [format_row(r) for r in actual.rows],
                sort=False,
            )
    if match_rows(list(expected.rows), list(actual.rows)):
        return None
    return "solutions differ:\n" + diff_lines(
        sorted(map(format_row, expected.rows)), sorted(map(format_row, actual.rows))
    )


def sort_key(row: Row, keys: Sequence[str]) -> tuple[str, ...]:
    """The values a row sorts by; blank nodes compare equal (their order is arbitrary)."""
    return tuple(
        "_:" if isinstance(row.get(k), ox.BlankNode) else str(row.get(k, "")) for k in keys
    )


def match_rows(expected: list[Row], actual: list[Row]) -> bool:
    """Whether the rows are equal multisets under one bijection of blank nodes."""
    if len(expected) != len(actual):
        return False
    ground_expected = Counter(frozen(r) for r in expected if not has_bnode(r))
    ground_actual = Counter(frozen(r) for r in actual if not has_bnode(r))
    if ground_expected != ground_actual:
        return False
    return _match(
        [r for r in expected if has_bnode(r)], [r for r in actual if has_bnode(r)], {}, {}
    )


def _match(
    expected: list[Row],
    actual: list[Row],
    forward: dict[ox.BlankNode, ox.BlankNode],
    backward: dict[ox.BlankNode, ox.BlankNode],
) -> bool:
    """Backtracking search for a row pairing and a consistent blank-node bijection."""
    if not expected:
        return not actual
    first, rest = expected[0], expected[1:]
    for i, candidate in enumerate(actual):
        bindings = unify(first, candidate, forward, backward)
        if bindings is None:
            continue
        new_forward, new_backward = {**forward, **bindings}, {**backward}
        new_backward.update({v: k for k, v in bindings.items()})
        if _match(rest, actual[:i] + actual[i + 1 :], new_forward, new_backward):
            return True
    return False


def unify(
    expected: Row,
    actual: Row,
    forward: Mapping[ox.BlankNode, ox.BlankNode],
    backward: Mapping[ox.BlankNode, ox.BlankNode],
) -> dict[ox.BlankNode, ox.BlankNode] | None:
    """The blank-node pairs that make two rows equal given the bijection so far, or None."""
    if expected.keys() != actual.keys():
        return None
    new: dict[ox.BlankNode, ox.BlankNode] = {}
    new_back: dict[ox.BlankNode, ox.BlankNode] = {}
    for var, e in expected.items():
        a = actual[var]
        if isinstance(e, ox.BlankNode) and isinstance(a, ox.BlankNode):
            mapped = forward.get(e, new.get(e))
            mapped_back = backward.get(a, new_back.get(a))
            if mapped is None and mapped_back is None:
                new[e], new_back[a] = a, e
            elif mapped != a or mapped_back != e:
                return None
        elif e != a:
            return None
    return new


def has_bnode(row: Row) -> bool:
    """Whether a row binds a blank node."""
    return any(isinstance(t, ox.BlankNode) for t in row.values())


def frozen(row: Row) -> frozenset[tuple[str, Term]]:
    """A hashable row."""
    return frozenset(row.items())


def to_rdflib_graph(triples: Iterable[Triple]) -> Graph:
    """An rdflib graph of pyoxigraph triples, lexical forms kept (no literal normalization)."""
    graph = Graph()
    with warnings.catch_warnings():
        # rdflib warns when it cannot read an ill-typed literal's value; the test data has
        # some on purpose, and only the lexical form matters here.
        warnings.simplefilter("ignore")
        for s, p, o in triples:
            graph.add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))
    return graph


def to_rdflib(term: Term) -> URIRef | BNode | Literal:
    """An rdflib term for a pyoxigraph term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)


def format_triple(triple: Triple) -> str:
    """A triple in N-Triples syntax."""
    return " ".join(str(t) for t in triple) + " ."


def format_row(row: Row) -> str:
    """A row as ``?var=term`` pairs, in variable order."""
    return " ".join(f"?{v}={row[v]}" for v in sorted(row)) or "(empty row)"


def diff_lines(expected: list[str], actual: list[str], sort: bool = True) -> str:
    """Lines only in one side, prefixed ``-`` (expected) and ``+`` (got); all lines if ordered."""
    if not sort:
        return "expected:\n  " + "\n  ".join(expected) + "\ngot:\n  " + "\n  ".join(actual)
    missing, extra = Counter(expected) - Counter(actual), Counter(actual) - Counter(expected)
    lines = [f"- {line}" for line in _elements(missing)] + [
        f"+ {line}" for line in _elements(extra)
    ]
    return "\n".join(lines) or "(same terms; blank nodes do not match one to one)"


def _elements(counter: Counter[str]) -> Iterator[str]:
    return iter(sorted(counter.elements()))
