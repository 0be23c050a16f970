"""Time each stored query through ``/api/queries/<name>`` at the bundled size.

By default the app runs in this process (Flask's test client, queries in the graph's worker
processes as in the service) on a fresh data directory loaded with the bundled data; with
--url it times a running ``aicap serve`` over HTTP instead. Each query runs --runs times
per format after one warm-up run; the table gives the median and the slowest run in ms,
the rows and the bytes, and ("engine") the median of the same query evaluated in this
process with no HTTP and no worker (`KnowledgeGraph.run_stored`, --url off only), so the
difference is the API's own cost. Required parameters take the OpenAPI document's
examples (counterparty-exposure: firm=OpenAI).

    python bench/api_queries.py --runs 20
    python bench/api_queries.py --url http://127.0.0.1:8000 --runs 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.views.openapi import build_openapi
from server import create_app

Fetch = Callable[[str], tuple[int, bytes]]
"""GET a path with its query string; return the status and the body."""

FORMATS = ("json", "csv")


def cases(kg: KnowledgeGraph) -> list[tuple[str, dict[str, str]]]:
    """Every stored query with the documented example of each required parameter."""
    document = build_openapi(kg.catalogue)
    found = []
    for query in kg.catalogue:
        operation = document["paths"][f"/api/queries/{query.name}"]["get"]
        params = {
            p["name"]: str(p["example"])
            for p in operation["parameters"]
            if p.get("required") and "example" in p
        }
        found.append((query.name, params))
    return found


def time_runs(fetch: Fetch, path: str, runs: int) -> tuple[list[float], int, bytes]:
    """Run a GET once to warm up, then `runs` times; return the times (ms), status, body."""
    status, body = fetch(path)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        status, body = fetch(path)
        times.append((time.perf_counter() - started) * 1000)
    return times, status, body


def engine_ms(kg: KnowledgeGraph, name: str, params: dict[str, str], runs: int) -> float:
    """The median time of the query evaluated and iterated in this process (ms)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = kg.run_stored(name, params)
        assert isinstance(result, ox.QuerySolutions)
        for _row in result:
            pass
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


@contextmanager
def local_app(data_dir: Path | None) -> Iterator[tuple[KnowledgeGraph, Fetch]]:
    """The app on the bundled data, in this process; yields its graph and a GET."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=data_dir or Path(tmp) / "store")
        graph = KnowledgeGraph.open(settings)
        try:
            client = create_app(settings, kg=graph).test_client()

            def fetch(path: str) -> tuple[int, bytes]:
                response = client.get(path)
                return response.status_code, response.get_data()

            yield graph, fetch
        finally:
            graph.close()


def http_fetch(base_url: str) -> Fetch:
    """A GET against a running service."""

    def fetch(path: str) -> tuple[int, bytes]:
        with urllib.request.urlopen(base_url.rstrip("/") + path, timeout=120) as response:
            return response.status, response.read()

    return fetch


def report(kg: KnowledgeGraph, fetch: Fetch, runs: int, with_engine: bool) -> list[dict[str, Any]]:
    """Time every case in every format; return one table row per case."""
    table = []
    for name, params in cases(kg):
        row: dict[str, Any] = {"query": name, "params": urllib.parse.urlencode(params)}
        for fmt in FORMATS:
            path = f"/api/queries/{name}?" + urllib.parse.urlencode({**params, "format": fmt})
            times, status, body = time_runs(fetch, path, runs)
            if status != 200:
                raise SystemExit(f"{path}: status {status}: {body[:300]!r}")
            row[fmt] = statistics.median(times)
            row[f"{fmt}_max"] = max(times)
            if fmt == "json":
                row["rows"] = len(json.loads(body)["results"]["bindings"])
            else:
                row["csv_bytes"] = len(body)
        row["engine"] = engine_ms(kg, name, params, runs) if with_engine else None
        table.append(row)
    return table


def print_table(table: list[dict[str, Any]], runs: int) -> None:
    """Print the timings as an aligned text table."""
    print(f"median (and slowest) of {runs} runs, ms")
    header = f"{'query':<24} {'params':<12} {'rows':>5} {'csv B':>7} "
    header += f"{'json':>14} {'csv':>14} {'engine':>7}"
    print(header)
    print("-" * len(header))
    for r in table:
        engine = "-" if r["engine"] is None else f"{r['engine']:.1f}"
        print(
            f"{r['query']:<24} {r['params']:<12} {r['rows']:>5} {r['csv_bytes']:>7} "
            f"{r['json']:>6.1f} ({r['json_max']:>5.1f}) {r['csv']:>6.1f} ({r['csv_max']:>5.1f}) "
            f"{engine:>7}"
        )
    total = sum(r["json"] for r in table)
    print(f"all {len(table)} queries, JSON, one after another: {total:.0f} ms")


def main() -> None:
    """Parse the arguments, time the queries, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query and format")
    parser.add_argument("--url", help="a running service (default: the app in this process)")
    parser.add_argument("--data-dir", type=Path, help="the store (default: a fresh temp dir)")
    args = parser.parse_args()
    local = args.url is None
    with local_app(args.data_dir if local else None) as (graph, fetch):
        # With --url the local graph only lists the queries; its store is not the one timed.
        table = report(graph, fetch if local else http_fetch(args.url), args.runs, local)
    print_table(table, args.runs)


if __name__ == "__main__":
    main()
