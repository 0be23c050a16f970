"""The real WSGI server: answers while a slow query runs; a stop signal lets it finish."""

from __future__ import annotations

import json
import signal
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.live.conftest import LiveServer

SLOW_COUNT = 200 * 200 * 1000
SLOW_QUERY = (
    "SELECT (COUNT(*) AS ?n) WHERE { "
    + " ".join(
        f"VALUES ?{var} {{ {' '.join(map(str, range(size)))} }}"
        for var, size in (("a", 200), ("b", 200), ("c", 1000))
    )
    + " }"
)
"""A query that counts 40 million rows: a couple of seconds, whatever the data."""

IN_HAND_MARGIN_S = 0.5
"""Time for the server to accept the slow query before the signal; far below its run time."""


def count(server: LiveServer, query: str) -> int:
    """POST a counting query and return its count."""
    body = urllib.parse.urlencode({"query": query}).encode()
    with urllib.request.urlopen(server.sparql_url, data=body, timeout=60) as response:
        return int(json.load(response)["results"]["bindings"][0]["n"]["value"])


def test_healthz_answers_while_a_slow_query_runs(live_server: LiveServer) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(count, live_server, SLOW_QUERY)
        time.sleep(IN_HAND_MARGIN_S)  # let the slow query start
        started = time.monotonic()
        health = live_server.health()
        waited = time.monotonic() - started
        assert not answer.done(), "the slow query finished too soon to prove anything"
        assert health["status"] == "ok"
        assert waited < 1.0, f"/healthz waited {waited:.2f} s behind the slow query"
        assert answer.result(timeout=60) == SLOW_COUNT


def test_sigint_lets_the_request_in_hand_finish_then_exits_0(
    start_live_server: Callable[[], LiveServer],
) -> None:
    server = start_live_server()
    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(count, server, SLOW_QUERY)
        time.sleep(IN_HAND_MARGIN_S)  # the scenario, not a readiness wait: see the log check
        status = server.stop(signal.SIGINT)
        assert answer.result(timeout=5) == SLOW_COUNT
    log = server.log()
    assert "received SIGINT" in log
    assert "finishing 1 request(s) in hand" in log, log
    assert status == 0, log
    assert "store at" in log.splitlines()[-1]
