"""`aicap load` shows its progress: the parser reports bytes and triples;
on a terminal the CLI draws a bar with the rate, anywhere else it writes plain lines."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from aicap.cli import main
from aicap.progress import LINE_INTERVAL_S, LoadReporter
from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.namespaces import BASE_IRI
from kg.rdf.loading import LoadProgress, prepare_load
from kg.rdf.parsing import PROGRESS_EVERY_QUADS

AICAP_COMMAND = Path(sys.executable).with_name("aicap")
PTY_DEADLINE_S = 120.0


def write_notes(path: Path, count: int) -> Path:
    """Write `count` triples that every shape accepts (untyped resources with a comment)."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(
                f"<{BASE_IRI}id/test/note-{i}> "
                f'<http://www.w3.org/2000/01/rdf-schema#comment> "note {i}" .\n'
            )
    return path


def test_parsing_reports_bytes_and_triples_over_all_the_files(tmp_path: Path) -> None:
    first = write_notes(tmp_path / "first.nt", 2 * PROGRESS_EVERY_QUADS + 5)
    second = write_notes(tmp_path / "second.nt", 10)
    reports: list[LoadProgress] = []

    prepared = prepare_load([first, second], None, BASE_IRI, progress=reports.append)

    total = first.stat().st_size + second.stat().st_size
    assert len(reports) >= 3  # every PROGRESS_EVERY_QUADS quads, and each file's end
    assert {r.total_bytes for r in reports} == {total}
    assert [r.bytes_read for r in reports] == sorted(r.bytes_read for r in reports)
    assert [r.quads for r in reports] == sorted(r.quads for r in reports)
    assert reports[-1].bytes_read == total
    assert reports[-1].quads == len(prepared.quads) == 2 * PROGRESS_EVERY_QUADS + 15
    assert reports[-1].parsed
    assert not any(r.parsed for r in reports if r.path == first)
    assert {r.path for r in reports} == {first, second}


def test_a_load_reports_its_parsing_then_commits(kg: KnowledgeGraph, tmp_path: Path) -> None:
    notes = write_notes(tmp_path / "notes.nt", PROGRESS_EVERY_QUADS + 1)
    reports: list[LoadProgress] = []
    outcome = kg.load([notes], progress=reports.append)
    assert outcome.quads == PROGRESS_EVERY_QUADS + 1
    assert reports[-1].parsed
    assert reports[-1].quads == outcome.quads


def test_off_a_terminal_the_progress_is_plain_lines(settings: Settings, tmp_path: Path) -> None:
    notes = write_notes(tmp_path / "notes.nt", 3000)
    result = CliRunner().invoke(main, ["load", str(notes)], obj=settings)
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert any(line.startswith("parsed 3,000 triples in ") for line in lines), lines
    assert "validating 3,000 triples against the shapes, then committing" in lines
    assert any(line.startswith("validated and committed 3,000 triples in ") for line in lines)
    assert all(
        line.endswith("triples/s)")
        for line in lines
        if line.startswith(("parsed", "valid")) and "(" in line
    )
    assert "\r" not in result.stderr and "\x1b" not in result.stderr
    assert f"loaded {notes}: 3000 quads" in result.stdout


def test_off_a_terminal_parsing_lines_come_at_most_every_interval() -> None:
    now = [0.0]
    stream = io.StringIO()
    reporter = LoadReporter(stream, interactive=False, clock=lambda: now[0])
    path = Path("big.nt")
    for second, done in ((0.5, 10), (1.0, 20), (LINE_INTERVAL_S + 0.1, 30), (2.5, 40)):
        now[0] = second
        reporter(LoadProgress(path, done, 100, done * 1000))
    assert stream.getvalue().splitlines() == [
        "parsing big.nt: 30%, 30,000 triples (14,286 triples/s)"
    ]


def test_on_a_terminal_the_progress_is_a_bar_with_the_rate(tmp_path: Path) -> None:
    notes = write_notes(tmp_path / "notes.nt", 2 * PROGRESS_EVERY_QUADS)
    status, terminal, stdout = run_on_a_terminal(
        [str(AICAP_COMMAND), "load", str(notes)], {"AICAP_DATA_DIR": str(tmp_path / "store")}
    )
    assert status == 0, terminal
    assert "parsing  [" in terminal
    assert "100%" in terminal
    assert "\r" in terminal  # redrawn in place
    assert "notes.nt: 40,000 triples (" in terminal
    assert "validated and committed 40,000 triples in " in terminal
    assert "triples/s" in terminal
    assert f"loaded {notes}: 40000 quads" in stdout


def run_on_a_terminal(command: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run a command with stderr on a pseudo-terminal; return status, terminal and stdout."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env={**os.environ, **env},
    )
    os.close(terminal)
    shown = bytearray()
    deadline = time.monotonic() + PTY_DEADLINE_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the process has exited
                break
            if not chunk:
                break
            shown += chunk
        elif process.poll() is not None:
            break
    else:
        process.kill()
        process.communicate()
        pytest.fail(f"{command} ran past {PTY_DEADLINE_S} s:\n{shown.decode(errors='replace')}")
    os.close(controller)
    stdout, _ = process.communicate(timeout=10)
    return process.returncode, shown.decode(errors="replace"), stdout.decode()
