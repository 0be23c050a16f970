"""Limits that hold, against the real `aicap serve`: the time limit stops a query and frees
its core while others are served, rows are capped and said to be, bodies over the limit are
413, and SERVICE, deep nesting and bytes that are not UTF-8 are refused before the engine.

One server for the module, with small limits: AICAP_QUERY_TIMEOUT_S=1,
AICAP_MAX_RESULT_ROWS=5, AICAP_MAX_BODY_BYTES=64 KiB.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.live.conftest import LiveServer, start_server

TIMEOUT_S = 1
MAX_ROWS = 5
MAX_BODY_BYTES = 64 * 1024
LIMITS = {
    "AICAP_QUERY_TIMEOUT_S": str(TIMEOUT_S),
    "AICAP_MAX_RESULT_ROWS": str(MAX_ROWS),
    "AICAP_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
}
ANSWER_MARGIN_S = 0.5
"""The issue's bound: a query past the limit is answered within the limit plus this."""

ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
"""A count over the 4-way cross product of every quad: ~10^13 rows, hours of one core."""


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`aicap serve` with small limits; stopped with SIGTERM, expecting exit status 0."""
    server = start_server(tmp_path_factory.mktemp("limited"), LIMITS)
    try:
        yield server
    finally:
        status = server.stop(signal.SIGTERM)
    assert status == 0, server.log()


def request(
    server: LiveServer,
    method: str,
    target: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Send raw bytes (http.client quotes nothing) and return status, headers and body.

    The headers are matched without regard to case, as HTTP has them.
    """
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def query(
    server: LiveServer, sparql: str, accept: str = "*/*"
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """POST a query as a form, as SPARQLWrapper does."""
    body = urllib.parse.urlencode({"query": sparql}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
    return request(server, "POST", "/sparql", body, headers)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (the fork server and the query workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_query_past_the_limit_is_503_in_time_while_another_client_is_served(
    limited: LiveServer,
) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        slow = pool.submit(query, limited, ENDLESS)
        time.sleep(0.2)  # the scenario: a second client arrives while the first one runs
        fast_started = time.monotonic()
        status, _, body = query(limited, "ASK { ?s ?p ?o }")
        fast_s = time.monotonic() - fast_started
        assert status == 200, body
        assert json.loads(body)["boolean"] is True
        assert fast_s < 0.5, f"a fast query waited {fast_s:.2f} s behind the slow one"
        status, headers, body = slow.result(timeout=10)
        answered_s = time.monotonic() - started
    assert status == 503, body
    assert headers["Content-Type"].startswith("text/plain")
    assert f"time limit of {TIMEOUT_S} s" in body.decode()
    assert "AICAP_QUERY_TIMEOUT_S" in body.decode()
    assert TIMEOUT_S <= answered_s < TIMEOUT_S + ANSWER_MARGIN_S, answered_s


def test_no_process_of_the_service_burns_a_core_after_a_timeout(limited: LiveServer) -> None:
    status, _, _ = query(limited, ENDLESS)
    assert status == 503
    time.sleep(0.3)  # a replacement worker starts; then everything should be idle
    processes = [limited.process.pid, *descendants(limited.process.pid)]
    assert len(processes) >= 3, "the service, its fork server and the query workers"
    before = {pid: cpu_seconds(pid) for pid in processes}
    time.sleep(1.0)
    used = {pid: cpu_seconds(pid) - before[pid] for pid in processes}
    assert max(used.values()) < 0.3, used


def test_rows_past_the_cap_are_cut_with_the_header_and_the_json_flag(
    limited: LiveServer,
) -> None:
    status, headers, body = query(limited, "SELECT * WHERE { ?s ?p ?o }")
    assert status == 200
    assert headers["AICAP-Result-Truncated"] == "true"
    answer = json.loads(body)
    assert answer["truncated"] is True
    assert len(answer["results"]["bindings"]) == MAX_ROWS
    status, headers, body = query(limited, "SELECT * WHERE { ?s ?p ?o }", "text/csv")
    assert headers["AICAP-Result-Truncated"] == "true"
    assert len(body.decode().splitlines()) == 1 + MAX_ROWS
    status, headers, body = query(limited, "CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples")
    assert headers["AICAP-Result-Truncated"] == "true"
    assert len(body.decode().splitlines()) == MAX_ROWS


def test_answer_within_the_cap_has_no_truncation_mark(limited: LiveServer) -> None:
    status, headers, body = query(limited, "SELECT * WHERE { ?s ?p ?o } LIMIT 5")
    assert status == 200
    assert "AICAP-Result-Truncated" not in headers
    assert "truncated" not in json.loads(body)


@pytest.mark.parametrize("path", ["/sparql", "/healthz", "/no-such-route"])
def test_body_over_the_limit_is_413_naming_the_limit(limited: LiveServer, path: str) -> None:
    body = b"ASK {}" + b" " * MAX_BODY_BYTES
    status, _, answer = request(
        limited, "POST", path, body, {"Content-Type": "application/sparql-query"}
    )
    assert status == 413
    assert f"the limit is {MAX_BODY_BYTES} bytes (AICAP_MAX_BODY_BYTES)" in answer.decode()


@pytest.mark.parametrize("silent", ["", "SILENT "])
def test_service_is_403_and_no_connection_is_made(limited: LiveServer, silent: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.3)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        status, _, body = query(
            limited, f"SELECT * WHERE {{ SERVICE {silent}<{url}> {{ ?s ?p ?o }} }}"
        )
        assert status == 403, body
        assert url in body.decode()
        with pytest.raises(TimeoutError):
            listener.accept()


def test_ten_thousand_nested_braces_are_400_and_the_service_lives_on(
    limited: LiveServer,
) -> None:
    nested = "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000
    status, _, body = request(
        limited, "GET", "/sparql?" + urllib.parse.urlencode({"query": nested})
    )
    assert status == 400, body
    assert "nest" in body.decode()
    assert limited.health()["status"] == "ok"
    assert limited.process.poll() is None


@pytest.mark.parametrize(
    ("method", "target", "body", "content_type"),
    [
        ("GET", "/sparql?query=ASK%7B%7D%FF", None, None),
        ("GET", "/sparql?query=ASK%7B%7D\xff", None, None),
        (
            "POST",
            "/sparql",
            b"query=ASK%20%7B%20%22%E9%22%20%7D",
            "application/x-www-form-urlencoded",
        ),
        ("POST", "/sparql", b'ASK { "\xe9" }', "application/sparql-query"),
    ],
    ids=["percent-encoded", "raw-in-url", "form", "body"],
)
def test_bytes_that_are_not_utf8_are_400(
    limited: LiveServer, method: str, target: str, body: bytes | None, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    if "\xff" in target:  # http.client refuses to send a non-ASCII target: send it raw
        status, answer = raw_get(limited, target.encode("latin-1"))
        assert status == 400, answer  # waitress refuses the request line ("Bad URI") itself
        return
    status, _, answer = request(limited, method, target, body, headers)
    assert status == 400, answer
    assert b"not UTF-8" in answer


def raw_get(server: LiveServer, target: bytes) -> tuple[int, bytes]:
    """Send a GET whose request line holds raw bytes; return the status and body."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname or "", address.port or 80), timeout=10) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body
