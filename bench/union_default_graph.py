"""What the set-valued union default graph costs: the stored queries before and after, one run.

Before: pyoxigraph's union default graph (``use_default_graph_as_union``), a bag that reads
every graph holding a triple. After: the store's kept merge (`kg.store.default_graph`), read
through `EmbeddedStore.query` as the service reads it. Both stores hold the same quads: the
bundled data replicated --scale times (bench/stored_queries.py's scaled copies; 320 copies
are about 300k quads), on disk as the service keeps them. Prints per query the median time
of each, the ratio after/before and the row counts (a stored query's rows must agree: they
reduce every figure to one value already), then the geometric mean of the ratios, and what
the merge costs a write: the load, and one small change.

    python bench/union_default_graph.py --scale 320 --runs 5
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from stored_queries import CASES, ROOT, bundled_quads, scaled_quads

from kg.store.embedded import EmbeddedStore
from kg.store.protocol import Change


def timed(action: Callable[[], object], runs: int) -> tuple[object, float]:
    """Run `action` `runs` times; return its last result and the median in milliseconds."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - start) * 1000)
    return result, statistics.median(times)


def rows(result: object) -> int:
    return sum(1 for _ in result) if not isinstance(result, ox.QueryBoolean) else 1  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=int, default=320, help="copies of the data (320: ~300k quads)"
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per median (default 5)")
    args = parser.parse_args()
    quads = list(scaled_quads(bundled_quads(), args.scale))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        bag = ox.Store(f"{tmp}/bag")
        bag.bulk_extend(quads)
        bag.flush()
        bag_load = time.perf_counter() - start
        start = time.perf_counter()
        kept = EmbeddedStore(Path(tmp) / "kept")
        kept.bulk_add(quads)
        kept_load = time.perf_counter() - start
        print(
            f"{len(quads):,} quads, {len({q.triple for q in quads}):,} distinct triples; "
            f"medians of {args.runs} runs (ms)\n"
            f"bulk load: bag {bag_load:.1f} s, with the merge {kept_load:.1f} s "
            f"({kept_load / bag_load:.2f}x)\n"
        )
        print(f"{'query':<46}{'before':>9}{'after':>9}{'ratio':>7}{'rows':>8}{'rows':>7}")
        ratios = []
        for name, params in CASES:
            text = (ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8")
            subs = {k: ox.NamedNode(v) for k, v in params.items()}
            before, before_ms = timed(
                lambda t=text, s=subs: rows(
                    bag.query(
                        t,
                        use_default_graph_as_union=True,
                        substitutions={ox.Variable(k): v for k, v in s.items()} or None,
                    )
                ),
                args.runs,
            )
            after, after_ms = timed(
                lambda t=text, s=subs: rows(
                    kept.query(t, union_default_graph=True, substitutions=s or None)
                ),
                args.runs,
            )
            ratios.append(after_ms / before_ms)
            label = name + "".join(f" {k}={v.rsplit('/', 1)[-1]}" for k, v in params.items())
            times = f"{before_ms:>9.1f}{after_ms:>9.1f}{after_ms / before_ms:>7.2f}"
            print(f"{label:<46}{times}{before:>8}{after:>7}")
        geomean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print(f"\ngeometric mean of after/before: {geomean:.2f}; worst: {max(ratios):.2f}")
        write_cost(bag, kept, quads, args.runs)
        kept.close()


def write_cost(bag: ox.Store, kept: EmbeddedStore, quads: list[ox.Quad], runs: int) -> None:
    """Time removing and re-adding one fact stated in two graphs, as a write does."""
    graph_of: dict[ox.Triple, list[ox.Quad]] = {}
    for quad in quads:
        graph_of.setdefault(quad.triple, []).append(quad)
    twice = next(found for found in graph_of.values() if len(found) > 1)[:1]
    change = Change(removed=twice)

    def bag_write() -> None:
        bag.update(f"DELETE DATA {{ GRAPH {twice[0].graph_name} {{ {twice[0].triple} }} }}")
        bag.extend(twice)

    def kept_write() -> None:
        kept.apply_change(change)
        kept.apply_change(Change(added=twice))

    _, bag_ms = timed(bag_write, runs)
    _, kept_ms = timed(kept_write, runs)
    print(f"remove and re-add one quad: bag {bag_ms:.2f} ms, with the merge {kept_ms:.2f} ms")


if __name__ == "__main__":
    main()
