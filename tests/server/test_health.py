"""`/healthz` and the app factory."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from kg.config import Settings
from kg.graph import KnowledgeGraph
from server import create_app


def test_healthz_counts_the_quads_of_the_store(client: FlaskClient, kg: KnowledgeGraph) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "triples": kg.store.count()}
    assert kg.store.count() > 0, "the bundled data was loaded into the empty store"


def test_create_app_opens_the_graph_once_and_sets_the_body_limit(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "store", max_body_bytes=1234)
    app = create_app(settings)
    try:
        graph = app.extensions["kg"]
        assert isinstance(graph, KnowledgeGraph)
        assert graph.settings.data_dir == settings.data_dir
        assert app.config["MAX_CONTENT_LENGTH"] == 1234
        counted = app.test_client().get("/healthz").json
        assert counted == {"status": "ok", "triples": graph.store.count()}
    finally:
        app.extensions["kg"].close()
