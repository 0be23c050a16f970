"""Fixtures for the HTTP layer: one store per session, a fresh app and client per test.

The store is opened once (loading the bundled data takes a while, and an on-disk store
takes one lock per process); each test gets its own app over it, so a test may patch the
graph or register routes without leaking into the next one.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kg.config import Settings
from kg.graph import KnowledgeGraph
from server import create_app

MAX_BODY_BYTES = 64 * 1024
"""A small body limit, so the 413 tests send little."""


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with a temporary data directory and small limits."""
    return Settings(
        data_dir=tmp_path_factory.mktemp("server") / "store", max_body_bytes=MAX_BODY_BYTES
    )


@pytest.fixture(scope="session")
def kg(settings: Settings) -> Iterator[KnowledgeGraph]:
    """The knowledge graph on the bundled data, shared by the session's apps."""
    graph = KnowledgeGraph.open(settings)
    yield graph
    graph.close()


@pytest.fixture
def app(settings: Settings, kg: KnowledgeGraph) -> Flask:
    """A fresh app over the session's graph."""
    app = create_app(settings, kg=kg)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


WRITE_TOKEN = "token-for-the-write-tests"
WRITER = "analyst-under-test"


@pytest.fixture(scope="session")
def write_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a service that takes writes: a write token and the holder's name."""
    return Settings(
        data_dir=tmp_path_factory.mktemp("writes") / "store",
        max_body_bytes=MAX_BODY_BYTES,
        write_token=WRITE_TOKEN,
        write_token_name=WRITER,
    )


@pytest.fixture(scope="session")
def write_kg(write_settings: Settings) -> Iterator[KnowledgeGraph]:
    """A second store on the bundled data, for the tests that write (kept apart from `kg`)."""
    graph = KnowledgeGraph.open(write_settings)
    yield graph
    graph.close()


@pytest.fixture
def write_client(write_settings: Settings, write_kg: KnowledgeGraph) -> FlaskClient:
    """A test client of an app that takes writes with the token of `write_headers`."""
    app = create_app(write_settings, kg=write_kg)
    app.config["TESTING"] = True
    return app.test_client()


@pytest.fixture
def write_headers() -> dict[str, str]:
    """The Authorization header that the write tests' service accepts."""
    return {"Authorization": f"Bearer {WRITE_TOKEN}"}


Listener = Callable[[], AbstractContextManager[socket.socket]]


@contextmanager
def _listen() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.settimeout(0.2)
        yield sock


@pytest.fixture
def listener() -> Listener:
    """Open a loopback socket that listens, to prove that nothing connects to it."""
    return _listen
