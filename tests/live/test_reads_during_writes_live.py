"""Reads during a write see the store before it or after it, never half of it: clients
count the quads over and over while a large SPARQL update commits."""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable

import pytest

from tests.live.conftest import LiveServer, start_server

TOKEN = "reads-during-writes"
TRIPLES = 10_000
READERS = 3
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def count(server: LiveServer) -> int:
    """Count the quads of every named graph through /sparql."""
    url = server.sparql_url + "?" + urllib.parse.urlencode({"query": COUNT})
    with urllib.request.urlopen(url, timeout=30) as response:
        return int(json.load(response)["results"]["bindings"][0]["n"]["value"])


def update(server: LiveServer, sparql: str) -> int:
    """POST a SPARQL update with the write token; return the status."""
    request = urllib.request.Request(
        server.sparql_url,
        data=sparql.encode(),
        method="POST",
        headers={
            "Content-Type": "application/sparql-update",
            "Authorization": f"Bearer {TOKEN}",
        },
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        status: int = response.status
        return status


def test_reads_during_a_large_write_see_the_store_before_or_after_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    server = start_server(tmp_path_factory.mktemp("writes"), {"AICAP_WRITE_TOKEN": TOKEN})
    try:
        triples = "".join(
            f'<https://example.org/w/s{i % 100}> <https://example.org/w/p> "{i}" .\n'
            for i in range(TRIPLES)
        )
        insert = f"INSERT DATA {{ GRAPH <https://example.org/w/graph> {{\n{triples}}} }}"
        before = count(server)
        written = threading.Event()
        seen: list[int] = []
        failures: list[BaseException] = []

        def read() -> None:
            try:
                while not written.is_set():
                    seen.append(count(server))
            except BaseException as exc:  # reported by the main thread
                failures.append(exc)

        readers = [threading.Thread(target=read) for _ in range(READERS)]
        run_all(readers, lambda: update(server, insert), written)
        after = count(server)
        assert not failures, failures
        assert after >= before + TRIPLES
        assert set(seen) <= {before, after}, sorted(set(seen))
        assert seen.count(before) > 0, "no read ran during the write"
    finally:
        assert server.stop() == 0, server.log()


def run_all(
    readers: list[threading.Thread], write: Callable[[], int], done: threading.Event
) -> None:
    """Start the readers, make the write (204 expected), then stop and join the readers."""
    for reader in readers:
        reader.start()
    try:
        assert write() == 204
    finally:
        done.set()
        for reader in readers:
            reader.join()
