"""Fixtures shared by every layer: settings on a temporary data directory, and the graph.

`tests/server/conftest.py` overrides both with session-scoped ones (one store per session
for the HTTP tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.config import Settings
from kg.graph import KnowledgeGraph


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh, empty data directory (the bundled data loads on first open)."""
    return Settings(data_dir=tmp_path / "store")


@pytest.fixture
def kg(settings: Settings) -> Iterator[KnowledgeGraph]:
    """The knowledge graph on the bundled data, closed after the test."""
    graph = KnowledgeGraph.open(settings)
    yield graph
    graph.close()
