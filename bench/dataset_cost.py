"""What hiding the audit graph costs a query (`kg.store.datasets.query_dataset`), by store size.

Builds in memory the bundled data plus --graphs small load graphs (20 triples each) and an
audit graph, then prints, per stored query and a few ad hoc ones, the median time over the
union default graph (the kept merge: one lookup per pattern) and over the strict dataset
spelled out without the audit graph (one lookup per listed graph), and the time to list the
graph names.

    python bench/dataset_cost.py --graphs 1000 [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.store.datasets import query_dataset
from kg.store.default_graph import with_merge

ROOT = Path(__file__).resolve().parent.parent
AUDIT = ox.NamedNode("https://w3id.org/aicap/graph/audit")
ONTOLOGY = ox.NamedNode("https://w3id.org/aicap/graph/ontology")
UNION = {"use_default_graph_as_union": True}
STRICT = {"use_default_graph_as_union": False}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", type=int, default=1000, help="load graphs added")
    parser.add_argument("--runs", type=int, default=7, help="runs per median")
    args = parser.parse_args()
    store = build(args.graphs)
    print(f"{args.graphs} load graphs, {len(store)} quads; medians of {args.runs} runs")
    listing = [timed(lambda: query_dataset(store, STRICT, [AUDIT])) for _ in range(50)]
    print(f"listing the graphs: {statistics.median(listing) * 1e3:.3f} ms\n")
    queries = {q.stem: q.read_text() for q in sorted((ROOT / "queries").glob("*.rq"))}
    queries["ASK"] = "ASK { ?s ?p ?o }"
    queries["1k rows"] = "SELECT ?s ?p ?o { ?s ?p ?o } LIMIT 1000"
    queries["graph names"] = "SELECT DISTINCT ?g { GRAPH ?g {} }"
    print(f"{'query':<26}{'union':>12}{'spelled out':>14}")
    for name, sparql in queries.items():
        union, spelled = [], []
        for _ in range(args.runs):
            union.append(timed(lambda s=sparql: run(store, s, UNION)))
            spelled.append(timed(lambda s=sparql: run(store, s, STRICT, [AUDIT])))
        print(f"{name:<26}{ms(union):>9.2f} ms{ms(spelled):>11.2f} ms")


def build(graphs: int) -> ox.Store:
    store = ox.Store()
    for path in sorted((ROOT / "data").glob("*.trig")):
        store.extend(with_merge(ox.parse(path=path)))
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        store.extend(
            with_merge(
                ox.Quad(t.subject, t.predicate, t.object, ONTOLOGY) for t in ox.parse(path=path)
            )
        )
    p, q = ox.NamedNode("urn:bench:p"), ox.NamedNode("urn:bench:q")
    for i in range(graphs):
        graph = ox.NamedNode(f"https://w3id.org/aicap/graph/load/{i}")
        store.extend(
            with_merge(
                ox.Quad(ox.NamedNode(f"urn:bench:s{i}-{j}"), p, ox.Literal(j), graph)
                for j in range(20)
            )
        )
        store.extend(
            with_merge([ox.Quad(ox.NamedNode(f"urn:bench:write{i}"), q, ox.Literal(i), AUDIT)])
        )
    return store


def run(
    store: ox.Store, sparql: str, options: dict[str, Any], hidden: list[ox.NamedNode] = ()
) -> int:
    target, dataset = query_dataset(store, options, hidden)
    result = target.query(sparql, **dataset)
    if isinstance(result, ox.QueryBoolean):
        return int(bool(result))
    return sum(1 for _ in result)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


if __name__ == "__main__":
    main()
