"""The line between the library and the HTTP layer: `kg` never imports Flask."""

from __future__ import annotations

import subprocess
import sys

LIBRARY_MODULES = (
    "kg",
    "kg.cli",
    "kg.graph",
    "kg.loading",
    "kg.stored_queries",
    "kg.formats",
    "kg.validation",
    "kg.reasoning",
)


def test_importing_the_library_and_its_cli_leaves_flask_and_server_out() -> None:
    script = (
        "import importlib, sys\n"
        f"for name in {LIBRARY_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'server'})\n"
        "print(','.join(leaked))\n"
    )

    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )

    assert run.stdout.strip() == ""


def test_aicap_help_does_not_import_the_server() -> None:
    script = (
        "import sys\n"
        "from kg.cli import main\n"
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
