"""A release works: the wheel, installed in a clean venv outside the checkout, answers as the
checkout does.

The ontology, shapes, stored queries and bundled data are package data of `kg.bundled`; a
wheel that left them out would install a command that cannot open a store. This builds the
wheel from a copy of the source tree (so no stale build folder of the checkout can leak into
it), installs it with its dependencies into a new venv in a temporary folder, and runs the
twelve stored questions there and in the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = sorted(path.stem for path in (PROJECT_ROOT / "queries").glob("*.rq"))
PARAMS = {"counterparty-exposure": ["--param", "firm=OpenAI"]}
"""Parameters for the questions that need one (the others run with their defaults)."""
SOURCE_IGNORED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "aicap-data",
    "test-artifacts",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "tests",
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The `aicap` command of a clean venv into which the freshly built wheel was installed."""
    root = tmp_path_factory.mktemp("release")
    source = root / "source"
    shutil.copytree(PROJECT_ROOT, source, symlinks=True, ignore=SOURCE_IGNORED)
    wheels = root / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(source)], cwd=root)
    (wheel,) = wheels.glob("aicap_kg-*.whl")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "--disable-pip-version-check", "-q", "install", str(wheel)])
    shutil.rmtree(source)  # the installed package must not lean on the tree it came from
    yield env_dir / "bin" / "aicap"


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert run.returncode == 0, f"{command}\n{run.stdout}\n{run.stderr}"
    return run


def _answer(command: Path, question: str, data_dir: Path, cwd: Path) -> list[dict[str, Any]]:
    """The question's rows as SPARQL JSON bindings, in a canonical order."""
    env = {**os.environ, "AICAP_DATA_DIR": str(data_dir)}
    args = [str(command), "query", question, *PARAMS.get(question, []), "--format", "json"]
    run = _run(args, cwd=cwd, env=env)
    bindings: list[dict[str, Any]] = json.loads(run.stdout)["results"]["bindings"]
    return sorted(bindings, key=lambda row: json.dumps(row, sort_keys=True))


def test_the_wheel_carries_the_bundled_files_and_runs_outside_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    run = _run(
        [str(installed), "query", "loi-only-obligations", "--format", "json"],
        cwd=tmp_path,
        env={**os.environ, "AICAP_DATA_DIR": str(tmp_path / "store")},
    )

    assert not installed.is_relative_to(PROJECT_ROOT)
    assert json.loads(run.stdout)["results"]["bindings"], "the question has answers"


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the wheel's store and one for the checkout's, kept across questions."""
    return tmp_path_factory.mktemp("stores")


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_installed_wheel_answers_each_question_as_the_checkout_does(
    installed: Path, stores: Path, question: str
) -> None:
    checkout = Path(sys.executable).parent / "aicap"

    from_wheel = _answer(installed, question, stores / "wheel", stores)
    from_checkout = _answer(checkout, question, stores / "checkout", stores)

    assert len(QUESTIONS) == 12
    assert from_wheel == from_checkout
    assert from_wheel, f"{question} has answers on the bundled data"
