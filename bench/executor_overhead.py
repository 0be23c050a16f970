"""What running queries in worker processes costs.

Prints, side by side, the median latency of a trivial ASK and of a 1k-row SELECT run
in-process (query + serialize) and through `QueryExecutor.run`; the cost of a checkpoint
(`refresh`) at the bundled size and at 300k quads; how far past the limit a timed-out query
is answered; and, for 100k rows, the serialization routes the executor could take.

    python bench/executor_overhead.py [--runs 300] [--big-quads 300000]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import cast

import pyoxigraph as ox
from rdflib import Variable
from rdflib.query import Result
from rdflib.term import Identifier

from kg.bundled import BUNDLE_DIR
from kg.errors import QueryTimeout
from kg.query.executor import QueryExecutor, QueryRequest
from kg.query.workers import serialize_result
from kg.store.terms import to_rdflib

ASK = "ASK { ?s ?p ?o }"
SELECT_1K = "SELECT ?s ?p ?o { ?s ?p ?o } LIMIT 1000"
FOREVER = "SELECT (COUNT(*) AS ?n) { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
JSON = ox.QueryResultsFormat.JSON


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="runs per latency median")
    parser.add_argument("--big-quads", type=int, default=300_000, help="size of the big store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_bundled(Path(tmp) / "bundled", args.runs)
        bench_big(Path(tmp) / "big", args.big_quads)


def bench_bundled(root: Path, runs: int) -> None:
    """Latency, checkpoint cost and timeout accuracy over the bundled data."""
    store = open_store(root / "store", bundled_quads())
    print(f"bundled store: {len(store)} quads\n")
    with QueryExecutor(
        root, primary=store, workers=2, timeout_s=1.0, max_result_rows=100_000
    ) as executor:
        latency_table(store, executor, runs)
        checkpoint_cost("bundled size", store, executor)
        timeout_accuracy(executor)


def bench_big(root: Path, quads: int) -> None:
    """Checkpoint cost and serialization routes over a generated store."""
    store = open_store(root / "store", generated_quads(quads))
    with QueryExecutor(
        root, primary=store, workers=2, timeout_s=30.0, max_result_rows=100_000
    ) as executor:
        checkpoint_cost(f"{len(store)} quads", store, executor)
    print()
    serialization_routes(store)


def latency_table(store: ox.Store, executor: QueryExecutor, runs: int) -> None:
    """Median latency in-process and through the executor, side by side."""
    header = f"{'query':<14}{'in-process':>14}{'executor':>14}{'overhead':>14}"
    print(f"{header}   (medians of {runs} runs, alternated)")
    for label, sparql in [("trivial ASK", ASK), ("1k-row SELECT", SELECT_1K)]:

        def local(sparql: str = sparql) -> object:
            result = store.query(sparql, use_default_graph_as_union=True)
            assert not isinstance(result, ox.QueryTriples)
            return result.serialize(format=JSON)

        def remote(sparql: str = sparql) -> object:
            return executor.run(QueryRequest(sparql)).body

        assert local() == remote()
        here, there = paired_medians_ms(local, remote, runs)
        print(f"{label:<14}{here:>11.3f} ms{there:>11.3f} ms{there - here:>11.3f} ms")
    print()


def checkpoint_cost(label: str, store: ox.Store, executor: QueryExecutor, runs: int = 20) -> None:
    """Time `refresh` after a one-quad write, and the first query after it (workers reopen)."""
    refresh, first = [], []
    for i in range(runs):
        store.add(ox.Quad(ox.NamedNode("urn:bench:w"), ox.NamedNode("urn:bench:n"), ox.Literal(i)))
        refresh.append(timed(executor.refresh))
        first.append(timed(lambda: executor.run(QueryRequest(ASK))))
    print(
        f"checkpoint at {label}: refresh median {ms(refresh):.1f} ms"
        f" (max {max(refresh) * 1e3:.1f}); first query after it {ms(first):.1f} ms"
    )


def timeout_accuracy(executor: QueryExecutor, runs: int = 5) -> None:
    """How long a query past a 1 s limit takes to be answered, and to get the spare back."""
    answered, restored = [], []
    for _ in range(runs):
        started = time.perf_counter()
        try:
            executor.run(QueryRequest(FOREVER))
        except QueryTimeout:
            answered.append(time.perf_counter() - started)
        started = time.perf_counter()
        while len(executor.worker_pids()) < 3:
            time.sleep(0.001)
        restored.append(time.perf_counter() - started)
    print(
        f"timeout 1 s: answered after {min(answered):.3f}..{max(answered):.3f} s;"
        f" spare replaced within {max(restored) * 1e3:.0f} ms\n"
    )


def serialization_routes(store: ox.Store, rows: int = 100_000) -> None:
    """Serialize `rows` solutions directly, by the executor's TSV route, and by rdflib."""
    sparql = f"SELECT ?s ?p ?o {{ GRAPH ?g {{ ?s ?p ?o }} }} LIMIT {rows}"
    print(f"serializing {rows} rows (best of 3; rdflib once):")
    for name in ["json", "xml", "csv", "tsv"]:
        fmt: ox.QueryResultsFormat = getattr(ox.QueryResultsFormat, name.upper())
        direct = best_s(partial(lambda f: query(store, sparql).serialize(format=f), fmt))
        routed = best_s(
            partial(lambda n: serialize_result(query(store, sparql), n, "ttl", rows), name)
        )
        if name == "tsv":
            via_rdflib = "   (rdflib has no TSV result serializer)"
        else:
            seconds = timed(partial(rdflib_serialize, store, sparql, name))
            via_rdflib = f"   rdflib {seconds * 1e3:7.1f} ms"
        print(
            f"  {name:<5} pyoxigraph {direct * 1e3:7.1f} ms   TSV route {routed * 1e3:7.1f} ms"
            + via_rdflib
        )


def rdflib_serialize(store: ox.Store, sparql: str, name: str) -> bytes:
    """Rows converted to rdflib terms, written by rdflib's result serializers."""
    solutions = query(store, sparql)
    names = [v.value for v in solutions.variables]
    result = Result("SELECT")
    result.vars = [Variable(n) for n in names]
    result.bindings = [
        {
            Variable(n): cast(Identifier, to_rdflib(term))
            for n in names
            if (term := row[n]) is not None
        }
        for row in solutions
    ]
    out = io.BytesIO()
    result.serialize(out, format=name)
    return out.getvalue()


def query(store: ox.Store, sparql: str) -> ox.QuerySolutions:
    solutions = store.query(sparql, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    return solutions


def bundled_quads() -> list[ox.Quad]:
    quads: list[ox.Quad] = []
    for path in sorted((BUNDLE_DIR / "data").glob("*.trig")):
        quads += ox.parse(path=path)
    for path in sorted((BUNDLE_DIR / "ontology").glob("*.ttl")):
        graph = ox.NamedNode("https://w3id.org/aicap/graph/ontology")
        quads += [ox.Quad(t.subject, t.predicate, t.object, graph) for t in ox.parse(path=path)]
    return quads


def generated_quads(count: int) -> list[ox.Quad]:
    return [
        ox.Quad(
            ox.NamedNode(f"urn:bench:s{i // 10}"),
            ox.NamedNode(f"urn:bench:p{i % 10}"),
            ox.Literal(f"value {i}"),
            ox.NamedNode(f"urn:bench:g{i % 7}"),
        )
        for i in range(count)
    ]


def open_store(path: Path, quads: list[ox.Quad]) -> ox.Store:
    path.mkdir(parents=True)
    store = ox.Store(str(path))
    store.extend(quads)
    return store


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def paired_medians_ms(
    first: Callable[[], object], second: Callable[[], object], runs: int
) -> tuple[float, float]:
    """Median ms of each action, run in alternation so that both see the same machine load."""
    for _ in range(10):
        first(), second()  # warm: checkpoint open, caches filled
    pairs = [(timed(first), timed(second)) for _ in range(runs)]
    return (
        statistics.median(a for a, _ in pairs) * 1e3,
        statistics.median(b for _, b in pairs) * 1e3,
    )


def best_s(action: Callable[[], object], runs: int = 3) -> float:
    return min(timed(action) for _ in range(runs))


def ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1e3


if __name__ == "__main__":
    main()
