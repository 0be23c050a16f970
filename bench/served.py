"""Start the real `aicap serve` for a benchmark: a free loopback port, a deadline, the log.

Shared by the benchmarks that measure through HTTP (http_overhead.py, writes.py).
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path


def free_port() -> int:
    """Return a loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    workdir: Path,
    data_dir: Path,
    port: int,
    settings: Mapping[str, str],
    deadline_s: float = 60,
) -> subprocess.Popen[bytes]:
    """Start `aicap serve` with `settings` (AICAP_* variables) and wait for /healthz 200.

    The environment's own AICAP_* variables are left out, so only `settings` apply; the
    server's output goes to `workdir/server.log`, shown if it does not come up in time.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("AICAP_")} | dict(settings)
    command = [str(Path(sys.executable).with_name("aicap")), "serve", "--port", str(port)]
    command += ["--data-dir", str(data_dir)]
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError((workdir / "server.log").read_text())
