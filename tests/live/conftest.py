"""The real service in a subprocess: `aicap serve` on a free loopback port.

The session's `live_server` starts it on an empty data directory (so the first start's
bundled load is part of what is tested), polls `/healthz` until a deadline, shows the
server's log if it dies or never gets ready, and at the end stops it with SIGTERM and
asserts that it exits 0.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

STARTUP_DEADLINE_S = 120.0
"""The first start loads the bundled data; this is the most it may take."""

STOP_DEADLINE_S = 30.0
POLL_INTERVAL_S = 0.1


@dataclass(frozen=True)
class LiveServer:
    """A running `aicap serve`: where it answers and where it logs."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def sparql_url(self) -> str:
        """The SPARQL endpoint."""
        return self.url + "/sparql"

    def log(self) -> str:
        """The server's output so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send `sig` and return the exit status; fail with the log if it does not stop."""
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=STOP_DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"aicap serve ignored {sig.name} for {STOP_DEADLINE_S} s:\n{self.log()}")

    def health(self) -> dict[str, object]:
        """GET /healthz and return its JSON."""
        with urllib.request.urlopen(self.url + "/healthz", timeout=5) as response:
            data: dict[str, object] = json.load(response)
            return data


def free_port() -> int:
    """Return a loopback TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_command(port: int, data_dir: Path) -> list[str]:
    """The command line of the service, as a user types it."""
    aicap = Path(sys.executable).with_name("aicap")
    return [str(aicap), "serve", "--port", str(port), "--data-dir", str(data_dir)]


def wait_until_healthy(server: LiveServer, deadline_s: float) -> None:
    """Poll /healthz until it answers 200; fail with the log if the server dies or is late."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"aicap serve exited with {server.process.returncode}:\n{server.log()}")
        try:
            server.health()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(POLL_INTERVAL_S)
    pytest.fail(f"aicap serve was not healthy within {deadline_s} s:\n{server.log()}")


def start_server(workdir: Path, settings: Mapping[str, str] | None = None) -> LiveServer:
    """Start the service on a free port and an empty data directory; wait until healthy.

    Args:
        workdir: where the store and the log go.
        settings: ``AICAP_*`` variables for the service; none of the caller's leak in.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = workdir / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AICAP_")}
    env.update(settings or {})
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            serve_command(port, workdir / "store"), stdout=log, stderr=subprocess.STDOUT, env=env
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_healthy(server, STARTUP_DEADLINE_S)
    except BaseException:
        server.process.kill()
        server.process.wait()
        raise
    return server


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Run `aicap serve` for the session; stop it with SIGTERM and expect exit status 0."""
    server = start_server(tmp_path_factory.mktemp("live"))
    try:
        yield server
    finally:
        status = server.stop(signal.SIGTERM)
    assert status == 0, f"aicap serve exited with {status} on SIGTERM:\n{server.log()}"


LIVE_WRITE_TOKEN = "token-of-the-live-write-tests"
LIVE_WRITER = "live-analyst"


@pytest.fixture(scope="session")
def writable_live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Run `aicap serve` with a write token (``AICAP_WRITE_TOKEN``) for the write tests."""
    settings = {"AICAP_WRITE_TOKEN": LIVE_WRITE_TOKEN, "AICAP_WRITE_TOKEN_NAME": LIVE_WRITER}
    server = start_server(tmp_path_factory.mktemp("live-writes"), settings)
    try:
        yield server
    finally:
        status = server.stop(signal.SIGTERM)
    assert status == 0, f"aicap serve exited with {status} on SIGTERM:\n{server.log()}"


@pytest.fixture
def live_write_token() -> str:
    """The bearer token `writable_live_server` accepts."""
    return LIVE_WRITE_TOKEN


@pytest.fixture
def start_live_server(tmp_path: Path) -> Iterator[Callable[[], LiveServer]]:
    """Start a private `aicap serve` for a test that stops it itself; killed if left running."""
    started: list[LiveServer] = []

    def start() -> LiveServer:
        started.append(start_server(tmp_path / f"server{len(started)}"))
        return started[-1]

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
