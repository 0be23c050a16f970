"""What the service adds to a query: in-process, executor, HTTP.

Prints, side by side, the median latency of the same queries over the bundled data run

- in-process: `KnowledgeGraph.query` plus serialization to SPARQL JSON (the CLI's path);
- executor: `KnowledgeGraph.execute`, the guard plus a query worker (the service's path
  without HTTP);
- HTTP: ``POST /sparql`` to a real `aicap serve` (waitress, Flask, access log, metrics,
  executor), over one kept-alive connection and over a new connection per query (as
  SPARQLWrapper does);

then how long a query past a 1 s limit takes to be answered 503 through HTTP.

    python bench/http_overhead.py [--runs 300]
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import statistics
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from served import free_port, start_server

from kg.config import Settings
from kg.graph import KnowledgeGraph

QUERIES = {
    "trivial ASK": "ASK { ?s ?p ?o }",
    "10-row SELECT": "SELECT ?s ?p ?o { ?s ?p ?o } LIMIT 10",
    "1k-row SELECT": "SELECT ?s ?p ?o { ?s ?p ?o } LIMIT 1000",
}
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
TIMEOUT_S = 1.0
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="runs per median")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        workdir = Path(tmp) / "served"
        workdir.mkdir(parents=True)
        server = start_server(
            workdir, workdir / "store", port, {"AICAP_QUERY_TIMEOUT_S": str(TIMEOUT_S)}
        )
        try:
            settings = Settings(data_dir=Path(tmp) / "local", query_timeout_s=TIMEOUT_S)
            with KnowledgeGraph.open(settings) as kg:
                kg.start_executor()
                latency_table(kg, port, args.runs)
            timeout_accuracy(port)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def latency_table(kg: KnowledgeGraph, port: int, runs: int) -> None:
    """Median latency of each query by each path, and what each layer adds."""
    print(f"bundled store: {kg.triple_count()} quads; medians of {runs} runs, interleaved\n")
    columns = ["in-process", "executor", "HTTP keep-alive", "HTTP new conn."]
    print(f"{'query':<15}" + "".join(f"{c:>17}" for c in columns))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for label, sparql in QUERIES.items():
        paths: list[Callable[[], bytes]] = [
            lambda s=sparql: in_process(kg, s),
            lambda s=sparql: kg.execute(s).body,
            lambda s=sparql: over_http(connection, s),
            lambda s=sparql: over_http(http.client.HTTPConnection("127.0.0.1", port), s),
        ]
        # Row counts, not bytes: each store names its blank nodes its own way.
        sizes = {len(json.loads(path()).get("results", {}).get("bindings", [])) for path in paths}
        assert len(sizes) == 1, f"{label}: the paths disagree: {sizes}"
        medians = interleaved_medians_ms(paths, runs)
        print(f"{label:<15}" + "".join(f"{m:>14.3f} ms" for m in medians))
    connection.close()
    print(
        "\nexecutor - in-process: the guard, the pipe to a worker and back, the TSV route;"
        "\nHTTP - executor: waitress, Flask, negotiation, access log and metrics, loopback TCP"
    )


def in_process(kg: KnowledgeGraph, sparql: str) -> bytes:
    result = kg.query(sparql)
    assert not isinstance(result, ox.QueryTriples)
    body = result.serialize(format=ox.QueryResultsFormat.JSON)
    assert body is not None
    return body


def over_http(connection: http.client.HTTPConnection, sparql: str) -> bytes:
    body = urllib.parse.urlencode({"query": sparql})
    connection.request("POST", "/sparql", body=body, headers=FORM)
    response = connection.getresponse()
    data = response.read()
    assert response.status == 200, data
    return data


def timeout_accuracy(port: int, runs: int = 5) -> None:
    """How long after the request a query past the 1 s limit is answered 503."""
    answered = []
    for _ in range(runs):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        started = time.perf_counter()
        connection.request("POST", "/sparql", urllib.parse.urlencode({"query": ENDLESS}), FORM)
        response = connection.getresponse()
        response.read()
        answered.append(time.perf_counter() - started)
        assert response.status == 503
        connection.close()
        time.sleep(0.2)  # the spare worker takes the killed one's place
    print(
        f"\ntimeout {TIMEOUT_S:g} s through HTTP: 503 after "
        f"{min(answered):.3f}..{max(answered):.3f} s (median {statistics.median(answered):.3f})"
    )


def interleaved_medians_ms(paths: list[Callable[[], bytes]], runs: int) -> list[float]:
    """Run the paths in turn, `runs` times, so that drift hits them alike."""
    times: list[list[float]] = [[] for _ in paths]
    for _ in range(runs):
        for index, path in enumerate(paths):
            started = time.perf_counter()
            path()
            times[index].append(time.perf_counter() - started)
    return [statistics.median(t) * 1e3 for t in times]


if __name__ == "__main__":
    main()
