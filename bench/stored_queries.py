"""Time the stored queries on the bundled data and on a scaled copy of it.

Each query runs --runs times (median reported, first run included) on an in-memory
pyoxigraph store holding the ontology and the bundled data, and, with --scale K, on a store
where the data graphs are replicated K times: copy 0 is the bundled data as is, copies 1..K-1
rename every resource IRI (``id/firm/openai`` becomes ``id/c7/firm/openai``), so the copies
are disjoint deal networks of the same shape and a query's answer grows K-fold while a
firm-bound query still answers about the firm of copy 0. Queries run as the service runs
them: the union of all graphs as the default graph, parameters bound as typed terms.

    python bench/stored_queries.py --scale 100 --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/aicap/id/"
FIRM = ID + "firm/"
PERSON = ID + "person/"
ONTOLOGY_GRAPH = ox.NamedNode("https://w3id.org/aicap/graph/ontology")

CASES: list[tuple[str, dict[str, str]]] = [
    ("loi-only-obligations", {}),
    ("circular-flows", {}),
    ("circular-flows", {"firm": FIRM + "oracle"}),
    ("commitments-vs-revenue", {}),
    ("commitments-vs-revenue", {"firm": FIRM + "openai"}),
    ("committed-gigawatts", {}),
    ("equity-for-orders", {}),
    ("counterparty-exposure", {"firm": FIRM + "openai"}),
    ("credit-on-nonbinding", {}),
    ("funding-sources", {}),
    ("share-price-reactions", {}),
    ("gpu-rental-margin", {}),
    ("token-demand-growth", {}),
    ("claims-and-sources", {}),
    ("claims-and-sources", {"firm": FIRM + "openai"}),
    ("claims-and-sources", {"person": PERSON + "rob-li"}),
]
"""The queries to time: every stored query, and the filtered forms of the optional ones."""


def bundled_quads() -> list[ox.Quad]:
    """Return the ontology (in its graph) and the bundled data graphs, as loaded by the service."""
    quads: list[ox.Quad] = []
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        for triple in ox.parse(path=path, format=ox.RdfFormat.TURTLE):
            quads.append(ox.Quad(triple.subject, triple.predicate, triple.object, ONTOLOGY_GRAPH))
    for path in sorted((ROOT / "data").glob("*.trig")):
        quads.extend(ox.parse(path=path, format=ox.RdfFormat.TRIG))
    return quads


def _renamed(term: ox.NamedNode, copy: int) -> ox.NamedNode:
    if term.value.startswith(ID):
        return ox.NamedNode(f"{ID}c{copy}/{term.value[len(ID) :]}")
    return term


def scaled_quads(quads: list[ox.Quad], copies: int) -> Iterator[ox.Quad]:
    """Yield the quads with the data graphs replicated `copies` times under renamed IRIs."""
    yield from quads
    data = [q for q in quads if q.graph_name != ONTOLOGY_GRAPH]
    for copy in range(1, copies):
        for q in data:
            s, o = q.subject, q.object
            yield ox.Quad(
                _renamed(s, copy) if isinstance(s, ox.NamedNode) else s,
                q.predicate,
                _renamed(o, copy) if isinstance(o, ox.NamedNode) else o,
                q.graph_name,
            )


def make_store(quads: Iterator[ox.Quad] | list[ox.Quad], path: str | None = None) -> ox.Store:
    """Return a store holding the quads: in memory, or on disk at `path` as the service's is."""
    store = ox.Store(path)
    store.bulk_extend(quads)
    store.flush()
    return store


def time_query(store: ox.Store, text: str, params: dict[str, str], runs: int) -> tuple[int, float]:
    """Run the query `runs` times; return its row count and the median time in milliseconds."""
    substitutions = {ox.Variable(k): ox.NamedNode(v) for k, v in params.items()}
    times, rows = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        solutions = store.query(
            text, use_default_graph_as_union=True, substitutions=substitutions or None
        )
        rows = sum(1 for _ in solutions)
        times.append((time.perf_counter() - start) * 1000)
    return rows, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100, help="copies of the data (default 100)")
    parser.add_argument("--runs", type=int, default=5, help="runs per query (median; default 5)")
    parser.add_argument("--query", action="append", help="only this query (repeatable)")
    parser.add_argument(
        "--on-disk", action="store_true", help="stores on disk (RocksDB), as the service runs"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        quads = bundled_quads()
        stores = {"bundled": make_store(quads, f"{tmp}/bundled" if args.on_disk else None)}
        if args.scale > 1:
            scaled = f"x{args.scale}"
            path = f"{tmp}/{scaled}" if args.on_disk else None
            stores[scaled] = make_store(scaled_quads(quads, args.scale), path)
        print_table(stores, args.runs, args.query)


def print_table(stores: dict[str, ox.Store], runs: int, only: list[str] | None) -> None:
    sizes = "  ".join(f"{name}: {len(store):,} quads" for name, store in stores.items())
    print(f"stored queries, median of {runs} runs (ms)   {sizes}")
    header = f"{'query':<52}" + "".join(f"{name:>10} {'rows':>7}" for name in stores)
    print(header)
    print("-" * len(header))
    for name, params in CASES:
        if only and name not in only:
            continue
        text = (ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8")
        label = name + "".join(f" {k}={v.rsplit('/', 1)[-1]}" for k, v in params.items())
        cells = []
        for store in stores.values():
            rows, ms = time_query(store, text, params, runs)
            cells.append(f"{ms:>10.1f} {rows:>7}")
        print(f"{label:<52}" + "".join(cells))


if __name__ == "__main__":
    main()
