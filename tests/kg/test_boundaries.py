"""The layers of the project: `kg` below `server`, `aicap` above both, and no import circle.

`kg` is the library: importing any of its modules must leave Flask and the HTTP layer out,
so that a notebook or a script gets the graph without a web framework. The CLI sits above
both and imports the server only to start it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("aicap", "kg", "server")


def _modules(package: str) -> list[str]:
    """Every module of `package` by dotted name, from its files (so a new one is included)."""
    names = []
    for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
        parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_importing_every_library_module_leaves_flask_and_server_out() -> None:
    modules = _modules("kg")
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'server'})\n"
        "print(','.join(leaked))\n"
    )

    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )

    assert len(modules) > 30
    assert run.stdout.strip() == ""


def test_aicap_help_does_not_import_the_server() -> None:
    script = (
        "import sys\n"
        "from aicap.cli import main\n"
        "try:\n"
        "    main(['serve', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('flask' in sys.modules)\n"
    )

    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )

    assert "--port" in run.stdout
    assert run.stdout.strip().endswith("False")


def _project_imports(module: str) -> Iterator[str]:
    """The project modules that `module` imports anywhere in its text, type-only ones too."""
    parts = module.split(".")
    path = PROJECT_ROOT.joinpath(*parts)
    source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    package = parts if path.is_dir() else parts[:-1]
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], base]).strip(".")
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        yield from (name for name in names if name.split(".")[0] in PACKAGES)


def _import_graph() -> dict[str, set[str]]:
    modules = {name for package in PACKAGES for name in _modules(package)}
    return {
        module: {name for name in _project_imports(module) if name in modules and name != module}
        for module in modules
    }


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of `graph` as a path that ends where it starts, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_circle_among_the_project_modules() -> None:
    graph = _import_graph()

    assert "kg.graph" in graph
    assert _find_cycle(graph) is None, " -> ".join(_find_cycle(graph) or [])


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": set()}, None),
    ],
)
def test_the_circle_finder_finds_a_circle_and_only_a_circle(
    graph: dict[str, set[str]], cycle: list[str] | None
) -> None:
    assert _find_cycle(graph) == cycle


def test_the_error_classes_depend_on_nothing_of_the_library() -> None:
    assert set(_project_imports("kg.errors")) == set()


def test_nothing_under_kg_imports_the_server_or_the_cli() -> None:
    offenders = {
        module: sorted(target for target in targets if target.split(".")[0] != "kg")
        for module, targets in _import_graph().items()
        if module.startswith("kg")
    }

    assert {module: bad for module, bad in offenders.items() if bad} == {}
