"""The WSGI entry: `serve()` runs the app under waitress, threads in one process.

One process with threads, because the on-disk store takes a lock on its directory;
queries run in the graph's query worker processes, over checkpoints of the store, where
the time limit can stop them. SIGTERM or SIGINT stops the server cleanly: it stops
accepting connections, lets the requests in hand finish and their responses go out (for
at most `SHUTDOWN_GRACE_S`), then stops the query workers and flushes and closes the
store. `aicap serve` (aicap/cli.py) calls `serve`.

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
from flask import Flask
from waitress import wasyncore

from kg.config import Settings
from kg.graph import KnowledgeGraph
from server import create_app
from server.context import attach_graph

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

    Listens on `host:port` at once and logs "serving on http://host:port"; meanwhile it
    opens the store (loading the bundled data into an empty one) and starts the query
    workers, and `/healthz` answers 503 ``starting`` until both are done. On a stop signal
    it finishes the requests in hand, stops the query workers, closes the store and
    returns. Call it from the main thread, where signals are handled.

    Args:
        settings: the service settings (data directory, limits ...).
        host: the interface to listen on.
        port: the TCP port; 0 picks a free one, the one logged.
        threads: how many requests are answered at once.

    Raises:
        KgError: the bundled data, shapes or queries do not load (the message names the file).
        OSError: the store cannot be opened (another process holds it).
        RuntimeError: a query worker did not start.
    """
    _configure_logging()
    app = create_app(settings, open_graph=False)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in STOP_SIGNALS}
    opener = _GraphOpener(app, settings, stop)
    try:
        server = waitress.create_server(app, host=host, port=port, threads=threads, ident="aicap")
        log.info("serving on http://%s:%s (%d threads)", host, server.effective_port, threads)
        opener.start()
        _run_until(server, stop)
        _drain(server, SHUTDOWN_GRACE_S)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        opener.close()
        log.info("stopped; store at %s closed", settings.data_dir)
    opener.raise_failure()


class _GraphOpener(threading.Thread):
    """Opens the graph and starts its query workers while the server already answers.

    The first start's bundled load is one transaction, so a stop signal during it waits
    for it to end (`close` joins this thread) rather than cutting it short. If opening
    fails, the server stops and `raise_failure` hands the error to `serve`'s caller.
    """

    def __init__(self, app: Flask, settings: Settings, stop: threading.Event) -> None:
        super().__init__(name="aicap-open", daemon=True)
        self._app = app
        self._settings = settings
        self._stop_server = stop
        self._kg: KnowledgeGraph | None = None
        self._failure: BaseException | None = None

    def run(self) -> None:
        started = time.monotonic()
        try:
            self._kg = KnowledgeGraph.open(self._settings)
            attach_graph(self._app, self._kg)
        except BaseException as exc:  # handed to serve(), which re-raises it
            self._failure = exc
            log.error("the store could not be opened: %s", exc)
            self._stop_server.set()
            return
        log.info(
            "ready in %.1f s: %d quads, %d query workers",
            time.monotonic() - started,
            self._kg.triple_count(),
            self._settings.query_workers,
        )

    def close(self) -> None:
        """Wait for the opening to end, then stop the query workers and close the store."""
        if self.is_alive():
            log.info("waiting for the store to finish opening")
        if self.ident is not None:
            self.join()
        if self._kg is not None:
            self._kg.close()

    def raise_failure(self) -> None:
        """Raise the error that stopped the opening, if any."""
        if self._failure is not None:
            raise self._failure


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
