"""The pool of query worker processes: who answers next, and a spare started ahead.

A query waits for an idle worker in arrival order (first come, first served); a worker
killed past the time limit is replaced by the spare at once, and a thread of the pool
starts the next spare, so a kill never puts a process start in a query's path.
"""

from __future__ import annotations

import collections
import logging
import threading
from dataclasses import dataclass, field

from kg.errors import Overloaded
from kg.query.workers import Worker, spawn

log = logging.getLogger("aicap.executor")


@dataclass(eq=False)
class WorkerPool:
    """The worker processes: `size` that answer queries, and one spare started ahead.

    A background thread keeps the numbers up: when a worker is killed, the spare takes its
    place at once and a new spare is started, so a kill does not add a process start
    (tens of milliseconds, more under a heavy ``__main__``) to the next query.
    """

    size: int
    max_rows: int
    _idle: list[Worker] = field(default_factory=list)
    _busy: set[Worker] = field(default_factory=set)
    _spare: Worker | None = None
    _closed: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _waiting: collections.deque[object] = field(default_factory=collections.deque)
    _spawner: threading.Thread | None = None

    def start(self) -> None:
        """Start `size` workers, then the thread that starts the spare and replacements.

        Raises:
            RuntimeError: a worker did not start; the cause is logged by multiprocessing.
        """
        for _ in range(self.size):
            self._place(spawn(self.max_rows))
        self._spawner = threading.Thread(target=self._keep_up, name="aicap-executor", daemon=True)
        self._spawner.start()

    def acquire(self, wait_s: float) -> Worker:
        """Take an idle worker, waiting up to `wait_s` for one.

        Raises:
            Overloaded: none became idle in time.
        """
        ticket = object()
        with self._cond:
            # First come, first served: without the queue, a thread that just released a
            # worker takes it back before a waiter wakes, and a third client starves
            # behind two busy ones until it is refused.
            self._waiting.append(ticket)
            try:
                if not self._cond.wait_for(
                    lambda: self._closed or (self._idle and self._waiting[0] is ticket), wait_s
                ):
                    raise Overloaded(
                        f"all {self.size} query workers stayed busy for {wait_s:g} s",
                        "try again in a moment",
                    )
                if self._closed:
                    raise RuntimeError("the query executor is closed")
                worker = self._idle.pop()  # the most recently used: its checkpoint is open
                self._busy.add(worker)
                return worker
            finally:
                self._waiting.remove(ticket)
                self._cond.notify_all()  # the next in line may take another idle worker

    def release(self, worker: Worker) -> None:
        """Give back a worker that answered."""
        with self._cond:
            self._busy.discard(worker)
            self._idle.append(worker)
            self._cond.notify_all()

    def discard(self, worker: Worker) -> None:
        """Kill a worker that timed out or crashed, and put the spare in its place."""
        worker.kill()
        with self._cond:
            self._busy.discard(worker)
            if self._spare is not None and not self._closed:
                self._idle.append(self._spare)
                self._spare = None
            self._cond.notify_all()

    def close(self) -> None:
        """Stop every worker: idle ones are asked to exit, busy ones are killed."""
        with self._cond:
            self._closed = True
            idle = [*self._idle, *([self._spare] if self._spare else [])]
            busy = list(self._busy)
            self._idle.clear()
            self._spare = None
            self._cond.notify_all()
        if self._spawner is not None:
            self._spawner.join()
        for worker in idle:
            worker.stop()
        for worker in busy:
            worker.kill()

    def ready(self) -> bool:
        """Tell whether queries can be answered: started, not closed, a worker in place."""
        with self._cond:
            return not self._closed and bool(self._idle or self._busy)

    def busy(self) -> int:
        """Return how many workers are answering a query."""
        with self._cond:
            return len(self._busy)

    def pids(self) -> list[int]:
        """Return the process ids of the idle, busy and spare workers."""
        with self._cond:
            workers = [*self._idle, *self._busy, *([self._spare] if self._spare else [])]
        return [pid for worker in workers if (pid := worker.process.pid) is not None]

    def _missing(self) -> int:
        return self.size - len(self._idle) - len(self._busy) + (self._spare is None)

    def _keep_up(self) -> None:
        """Start workers whenever one is missing, until closed (the spawner thread)."""
        backoff_s = 1.0
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._missing() > 0)
                if self._closed:
                    return
            try:
                worker = spawn(self.max_rows)
            except Exception:  # logged and retried: this thread must outlive a failed start
                log.exception("a query worker failed to start; retrying in %g s", backoff_s)
                with self._cond:
                    self._cond.wait_for(lambda: self._closed, backoff_s)
                backoff_s = min(2 * backoff_s, 30.0)
                continue
            backoff_s = 1.0
            self._place(worker)

    def _place(self, worker: Worker) -> None:
        with self._cond:
            if self._closed:
                worker.stop()
            elif len(self._idle) + len(self._busy) < self.size:
                self._idle.append(worker)
            else:
                self._spare = worker
            self._cond.notify_all()
