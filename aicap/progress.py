"""How `aicap load` shows on stderr that a long load is moving.

On a terminal, parsing is a bar (click's) with the triples parsed so far and their rate,
then one line that says validation and the commit are under way and, once they are done,
how many triples were validated and committed and how fast. Anywhere else (a pipe, a log
file, CI) the same facts come as plain lines: while parsing, one every `LINE_INTERVAL_S`,
then one per stage, so logs stay short and readable.

The library reports through `kg.rdf.loading.LoadProgress`; this module only renders it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

import click

from kg.rdf.loading import LoadProgress

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

LINE_INTERVAL_S = 2.0
"""Off a terminal, at most one parsing line per this many seconds."""

BAR_WIDTH = 30
TICK_S = 0.5
"""On a terminal, how often the line of the validation and the commit shows the time."""


def rate(count: int, seconds: float) -> str:
    """Write a rate of triples per second: ``412,000 triples/s``."""
    per_second = count / seconds if seconds > 0 else 0.0
    return f"{per_second:,.0f} triples/s"


class LoadReporter:
    """The progress callback of one load, and its summary at the end.

    Use as a context manager around the load, passing the reporter as the callback; call
    `committed` once the load returned.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        interactive: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Report to `stream`; `interactive` None asks the stream whether it is a terminal."""
        self.stream = stream
        self.interactive = stream.isatty() if interactive is None else interactive
        self.clock = clock
        self.started = clock()
        self.parsed_at: float | None = None
        self.last_line_at = self.started
        self.quads = 0
        self._bar: ProgressBar[Any] | None = None
        self._bytes_shown = 0
        self._status = ""
        self._stop_ticking = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> LoadReporter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close_bar()
        if self._stop_ticker() and error is not None:
            self._echo("")  # end the "validating ..." line before the error message

    def __call__(self, progress: LoadProgress) -> None:
        """Take one report of the parser."""
        if self.parsed_at is not None:  # the last file's end can be reported twice
            return
        self.quads = progress.quads
        if self.interactive:
            self._advance_bar(progress)
        elif progress.parsed or self.clock() - self.last_line_at >= LINE_INTERVAL_S:
            self.last_line_at = self.clock()
            if not progress.parsed:
                percent = 100 * progress.bytes_read // max(progress.total_bytes, 1)
                self._echo(f"parsing {progress.path.name}: {percent}%, {self._parsing(progress)}")
        if progress.parsed and self.parsed_at is None:
            self._parsed()

    def committed(self, quads: int) -> None:
        """Say that `quads` triples were validated and committed, and how fast."""
        self._stop_ticker()
        seconds = self.clock() - (self.parsed_at or self.started)
        done = f"validated and committed {quads:,} triples in {seconds:.1f} s"
        self._echo(("\r\x1b[2K" if self.interactive else "") + f"{done} ({rate(quads, seconds)})")

    def _advance_bar(self, progress: LoadProgress) -> None:
        if self._bar is None:
            self._bar = click.progressbar(
                length=max(progress.total_bytes, 1),
                label="parsing",
                file=self.stream,
                width=BAR_WIDTH,
                show_eta=True,
                item_show_func=lambda _: self._status,
            )
            self._bar.__enter__()
        self._status = f"{progress.path.name}: {self._parsing(progress)}"
        self._bar.update(progress.bytes_read - self._bytes_shown)
        self._bytes_shown = progress.bytes_read

    def _parsing(self, progress: LoadProgress) -> str:
        seconds = self.clock() - self.started
        return f"{progress.quads:,} triples ({rate(progress.quads, seconds)})"

    def _parsed(self) -> None:
        self._close_bar()
        self.parsed_at = self.clock()
        seconds = self.parsed_at - self.started
        parsed = f"parsed {self.quads:,} triples in {seconds:.1f} s"
        self._echo(f"{parsed} ({rate(self.quads, seconds)})")
        waiting = f"validating {self.quads:,} triples against the shapes, then committing"
        if self.interactive:
            self._ticker = threading.Thread(target=self._tick, args=(waiting,), daemon=True)
            self._ticker.start()
        else:
            self._echo(waiting)

    def _tick(self, waiting: str) -> None:
        """Redraw the waiting line with the time so far, until `_stop_ticker`."""
        while True:
            seconds = self.clock() - (self.parsed_at or self.started)
            click.echo(f"\r\x1b[2K{waiting} ... {seconds:.0f} s", file=self.stream, nl=False)
            if self._stop_ticking.wait(TICK_S):
                return

    def _stop_ticker(self) -> bool:
        """Stop redrawing the waiting line; tell whether it was being drawn."""
        ticker, self._ticker = self._ticker, None
        if ticker is None:
            return False
        self._stop_ticking.set()
        ticker.join()
        return True

    def _close_bar(self) -> None:
        if self._bar is not None:
            bar, self._bar = self._bar, None
            bar.__exit__(None, None, None)

    def _echo(self, line: str) -> None:
        click.echo(line, file=self.stream)
