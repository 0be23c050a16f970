"""Time `aicap validate FILE` on a 100-triple file, at the bundled size and at ~300k triples.

Uses the project's own ontology and shapes. The large store replicates the bundled data
graphs under renamed IRIs (bench/stored_queries.py's `scaled_quads`), so every shape has
work to do at scale. Prints, side by side: the whole command's wall time (process start,
store open, shapes load, validation) and the validation call alone (median of --repeats).

    python bench/validate_cli.py [--copies 320] [--repeats 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stored_queries import bundled_quads, scaled_quads

from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.store.embedded import EmbeddedStore

DEAL = """
agr:bench-{i} a aicap:Contract ; rdfs:label "bench deal {i}"@en ;
    aicap:party firm:openai , firm:oracle ; aicap:signedOn "2026-01-0{d}"^^xsd:date ;
    aicap:statedIn claim:bench-{i} .
obl:bench-{i} a aicap:PaymentObligation ; rdfs:label "bench obligation {i}"@en ;
    aicap:fromParty firm:openai ; aicap:toParty firm:oracle ;
    aicap:amountUSD {amount}.0 ; aicap:amountBound aicap:UpTo ;
    aicap:product "cloud capacity" ; aicap:periodStart "2027-01"^^xsd:gYearMonth ;
    aicap:restsOn agr:bench-{i} ; aicap:statedIn claim:bench-{i} .
claim:bench-{i} a aicap:Claim ; prov:wasDerivedFrom src:p4-wsj-oracle-openai ;
    aicap:quote "bench claim {i}"@en ; aicap:mentions firm:openai , firm:oracle .
"""
PREFIXES = """@prefix aicap: <https://w3id.org/aicap/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix firm: <https://w3id.org/aicap/id/firm/> .
@prefix src: <https://w3id.org/aicap/id/source/> .
@prefix agr: <https://w3id.org/aicap/id/agreement/> .
@prefix obl: <https://w3id.org/aicap/id/obligation/> .
@prefix claim: <https://w3id.org/aicap/id/claim/bench/> .
"""
TRIPLES_PER_DEAL = 20
AICAP = str(Path(sys.executable).with_name("aicap"))
DEALS = 5  # 5 x 20 = 100 triples


def write_change_file(path: Path) -> None:
    """Write a conforming 100-triple Turtle file of new deals between existing firms."""
    deals = "".join(DEAL.format(i=i, d=i + 1, amount=(i + 1) * 10**9) for i in range(DEALS))
    path.write_text(PREFIXES + deals, encoding="utf-8")


def build_store(data_dir: Path, copies: int) -> int:
    """Fill a data dir with the bundled data replicated `copies` times; return its size."""
    store = EmbeddedStore(data_dir)
    store.bulk_add(scaled_quads(bundled_quads(), copies))
    count = store.count()
    store.close()
    return count


def time_command(data_dir: Path, change_file: Path) -> float:
    """Return the wall time of one `aicap validate` run (it must conform)."""
    started = time.perf_counter()
    result = subprocess.run(
        [AICAP, "validate", str(change_file), "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"aicap validate failed ({result.returncode}):\n{result.stderr}")
    return elapsed


def time_validation(data_dir: Path, change_file: Path, repeats: int) -> tuple[float, int]:
    """Return the median seconds of the validation call alone, and the change size."""
    with KnowledgeGraph.open(Settings(data_dir=data_dir)) as kg:
        change = kg.change_from_files([change_file])
        kg.validate(change)  # warm: shapes compiled once per process
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            report = kg.validate(change)
            times.append(time.perf_counter() - started)
            assert report.conforms, report.text
    return statistics.median(times), len(change.added)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--copies", type=int, default=320, help="copies of the data (~300k quads)")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        change_file = Path(tmp) / "change.ttl"
        write_change_file(change_file)
        print(f"{'store':>10} {'quads':>9} {'change':>7} {'aicap validate (wall)':>22} "
              f"{'validate_change':>16}")  # fmt: skip
        for label, copies in (("bundled", 1), (f"x{args.copies}", args.copies)):
            data_dir = Path(tmp) / label
            quads = build_store(data_dir, copies)
            wall = time_command(data_dir, change_file)
            alone, triples = time_validation(data_dir, change_file, args.repeats)
            print(f"{label:>10} {quads:>9} {triples:>7} {wall:>20.2f} s {alone * 1000:>13.1f} ms")


if __name__ == "__main__":
    main()
