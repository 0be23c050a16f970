"""Size, time and memory of each export format, at the bundled size and at ~300k quads.

Each run is a fresh process that opens the store, then consumes `kg.rdf.export.stream_export`
(what `/export` sends) chunk by chunk and throws the bytes away. It reports the bytes, the
time to the first chunk and to the last, and the resident set size: before the export,
and the most seen at any chunk during it (the difference is what the export held; the
process's lifetime peak is set by opening the store and shapes, so it cannot tell).

The large store replicates the bundled data graphs under renamed IRIs
(bench/stored_queries.py's `scaled_quads`), so the same triples sit in several graphs as
they do in the bundled data, and the Turtle merge has duplicates to drop.

    python bench/export.py [--copies 320]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stored_queries import bundled_quads, scaled_quads

from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.rdf.export import stream_export
from kg.rdf.formats import EXPORT_NAMES
from kg.store.embedded import EmbeddedStore


def build_store(data_dir: Path, copies: int) -> int:
    """Fill a data dir with the bundled data replicated `copies` times; return its size."""
    store = EmbeddedStore(data_dir)
    store.bulk_add(scaled_quads(bundled_quads(), copies))
    count = store.count()
    store.close()
    return count


def rss_mb() -> float:
    """This process's resident set size now, in MB (Linux: /proc/self/statm, in pages)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 1e6


def measure(data_dir: Path, fmt: str) -> dict[str, float]:
    """Export the store at `data_dir` in `fmt` as `/export` does; return the figures."""
    with KnowledgeGraph.open(Settings(data_dir=data_dir)) as kg:
        quads = kg.triple_count()
        before = most = rss_mb()
        started = time.perf_counter()
        first = None
        size = 0
        for chunk in stream_export(kg, fmt):
            if first is None:
                first = time.perf_counter() - started
            size += len(chunk)
            most = max(most, rss_mb())
        total = time.perf_counter() - started
    return {
        "quads": quads,
        "bytes": size,
        "first_s": first or total,
        "total_s": total,
        "rss_before_mb": before,
        "rss_most_mb": most,
    }


def run_child(data_dir: Path, fmt: str) -> dict[str, float]:
    """Measure in a fresh process, so each peak RSS is that export's alone."""
    result = subprocess.run(
        [sys.executable, __file__, "--measure", str(data_dir), fmt],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(result.stdout)
    return figures


def report(label: str, data_dir: Path) -> None:
    """Print one line per export format for the store at `data_dir`."""
    for fmt in EXPORT_NAMES:
        f = run_child(data_dir, fmt)
        print(
            f"{label:>8} {int(f['quads']):>8} quads  {fmt:<6} {f['bytes'] / 1e6:8.2f} MB  "
            f"first chunk {f['first_s'] * 1000:7.1f} ms  all {f['total_s']:6.2f} s  "
            f"RSS {f['rss_before_mb']:4.0f} MB, at most {f['rss_most_mb']:4.0f} MB during "
            f"(+{f['rss_most_mb'] - f['rss_before_mb']:.0f})"
        )


def main() -> None:
    """Build the two stores and print the figures of every format on each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=320, help="replicas of the data graphs")
    parser.add_argument(
        "--measure", nargs=2, metavar=("DATA_DIR", "FORMAT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), args.measure[1])))
        return
    with tempfile.TemporaryDirectory(prefix="aicap-bench-export-") as tmp:
        bundled, large = Path(tmp) / "bundled", Path(tmp) / "large"
        KnowledgeGraph.open(Settings(data_dir=bundled)).close()  # loads the bundled data
        build_store(large, args.copies)
        report("bundled", bundled)
        report("large", large)


if __name__ == "__main__":
    main()
