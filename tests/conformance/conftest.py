"""The W3C suite's pass rate: counts per manifest in ``test-artifacts/w3c-query-report.txt``.

The report lists, per manifest of ``tests/conformance/w3c-sparql/query``, how many tests passed,
failed as a known engine deviation (xfail) or failed; then each failure and each deviation
with its reason. The terminal summary gets one line with the totals.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
from w3c import read_manifests

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REPORT_PATH = PROJECT_ROOT / "test-artifacts" / "w3c-query-report.txt"
TEST_FUNCTION = "test_w3c_query.py::test_query_evaluation["
OUTCOMES = ("passed", "xfailed", "failed")

_outcomes: dict[str, str] = {}
_details: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Record each suite test's outcome: its call, or a setup that failed (an error)."""
    if TEST_FUNCTION not in report.nodeid:
        return
    test_id = report.nodeid.split(TEST_FUNCTION, 1)[1].rstrip("]")
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if hasattr(report, "wasxfail") and report.skipped:
            _outcomes[test_id], _details[test_id] = "xfailed", report.wasxfail
        elif report.passed:
            _outcomes[test_id] = "passed"
        else:
            _outcomes[test_id] = "failed"
            _details[test_id] = first_line(report.longreprtext)


def first_line(text: str) -> str:
    """The start of the assertion's message (its ``E`` lines), else the last line of text."""
    lines = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    if not lines:
        lines = text.strip().splitlines()[-1:]
    return " | ".join(lines[:4])


def summary(manifest_of: dict[str, str]) -> tuple[Counter[str], str]:
    """The totals, and the report's text."""
    per_manifest: dict[str, Counter[str]] = defaultdict(Counter)
    for test_id, outcome in _outcomes.items():
        per_manifest[manifest_of.get(test_id, "?")][outcome] += 1
    totals: Counter[str] = sum(per_manifest.values(), Counter())
    lines = [
        "W3C SPARQL 1.1 query evaluation through `aicap serve` over HTTP",
        "(AICAP_UNION_DEFAULT_GRAPH=false; data by Graph Store Protocol; results compared as "
        "the suite defines)",
        "",
        f"{'manifest':<22}" + "".join(f"{o:>9}" for o in OUTCOMES) + f"{'of':>6}",
    ]
    for manifest in sorted(per_manifest):
        counts = per_manifest[manifest]
        lines.append(
            f"{manifest:<22}"
            + "".join(f"{counts[o]:>9}" for o in OUTCOMES)
            + f"{sum(counts.values()):>6}"
        )
    lines.append(
        f"{'total':<22}"
        + "".join(f"{totals[o]:>9}" for o in OUTCOMES)
        + f"{sum(totals.values()):>6}"
    )
    for outcome, title in (("failed", "Failures"), ("xfailed", "Known engine deviations")):
        ids = sorted(i for i, o in _outcomes.items() if o == outcome)
        if ids:
            lines += ["", f"{title}:"] + [f"- {i}: {_details.get(i, '')}" for i in ids]
    return totals, "\n".join(lines) + "\n"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Write the report and print the totals, when the suite ran."""
    if not _outcomes:
        return
    totals, text = summary({t.id: t.manifest for t in read_manifests()})
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text(text, encoding="utf-8")
    terminalreporter.write_line(
        f"W3C SPARQL query suite over HTTP: {totals['passed']} passed, {totals['xfailed']} "
        f"known engine deviations (xfail), {totals['failed']} failed, of "
        f"{sum(totals.values())}; report: {relative(REPORT_PATH)}"
    )


def relative(path: Path) -> str:
    """A path relative to the project when it is inside it."""
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)
