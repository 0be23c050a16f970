"""The WSGI entry: `serve()` runs the app under waitress, threads in one process.

One process, because the on-disk store takes a lock on its directory; several threads,
because pyoxigraph answers concurrent reads. SIGTERM or SIGINT stops the server cleanly:
it stops accepting connections, lets the requests in hand finish and their responses go
out (for at most `SHUTDOWN_GRACE_S`), then flushes and closes the store. `aicap serve`
(kg/cli.py) calls `serve`.

waitress's own `run()` ends its event loop on SIGINT at once, and responses are written by
that loop, so a request in hand would lose its answer; `_run_until` and `_drain` drive the
same loop a step at a time instead.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType
from typing import Any

import waitress
from waitress import wasyncore

from kg.config import Settings
from server import EXTENSION_KEY, create_app

THREADS = 8
"""Worker threads; requests beyond them wait in waitress's queue."""

SHUTDOWN_GRACE_S = 10.0
"""How long a stop signal waits for the requests in hand before the store is closed."""

LOOP_STEP_S = 0.2
"""The event loop's poll timeout: how soon a stop signal is noticed."""

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

log = logging.getLogger("aicap.server")


def serve(
    settings: Settings, host: str = "127.0.0.1", port: int = 8000, *, threads: int = THREADS
) -> None:
    """Serve the knowledge graph over HTTP until SIGTERM or SIGINT.

    Opens the store (loading the bundled data into an empty one), listens on `host:port`,
    logs "serving on http://host:port", and on a stop signal finishes the requests in hand,
    closes the store and returns. Call it from the main thread, where signals are handled.

    Args:
        settings: the service settings (data directory, limits ...).
        host: the interface to listen on.
        port: the TCP port; 0 picks a free one, the one logged.
        threads: how many requests are answered at once.
    """
    _configure_logging()
    app = create_app(settings)
    kg = app.extensions[EXTENSION_KEY]
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    # Installed once the store is open: a signal during the first start's bundled load
    # keeps its default action, and that load is one transaction.
    previous = {sig: signal.signal(sig, request_stop) for sig in STOP_SIGNALS}
    try:
        server = waitress.create_server(app, host=host, port=port, threads=threads, ident="aicap")
        log.info("serving on http://%s:%s (%d threads)", host, server.effective_port, threads)
        _run_until(server, stop)
        _drain(server, SHUTDOWN_GRACE_S)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        kg.close()
        log.info("stopped; store at %s closed", settings.data_dir)


def _run_until(server: Any, stop: threading.Event) -> None:
    """Run waitress's event loop until `stop` is set."""
    while not stop.is_set():
        _step(server)


def _drain(server: Any, grace_s: float) -> None:
    """Stop accepting, finish the requests in hand within `grace_s`, stop the workers."""
    wasyncore.dispatcher.close(server)  # the listening socket only, not the trigger
    if busy := _requests_in_hand(server):
        log.info("finishing %d request(s) in hand", busy)
    deadline = time.monotonic() + grace_s
    while (busy := _requests_in_hand(server)) and time.monotonic() < deadline:
        _step(server)
    if busy:
        log.warning("%d request(s) still running after %.0f s; closing anyway", busy, grace_s)
    server.task_dispatcher.shutdown(timeout=1)
    server.close()


def _step(server: Any) -> None:
    wasyncore.loop(
        timeout=LOOP_STEP_S, map=server._map, use_poll=server.adj.asyncore_use_poll, count=1
    )


def _requests_in_hand(server: Any) -> int:
    """Count connections with a request being answered or a response not yet sent."""
    return sum(
        1 for ch in list(server.active_channels.values()) if ch.requests or ch.total_outbufs_len
    )


def _configure_logging() -> None:
    """Log INFO lines to stderr unless the caller configured logging already."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
