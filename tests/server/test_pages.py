"""The pages for people (`/`, `/queries/<name>`) and the pictures (`/pictures/<name>.svg`),
through the Flask test client. The browser's view of them is tests/live/test_browser.py."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from kg.graph import KnowledgeGraph
from kg.views.pictures import PICTURES

STATIC = Path(__file__).resolve().parents[2] / "server" / "static"


class Links(HTMLParser):
    """Collects the URLs a page loads or links to, and its JSON data blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []  # script src, stylesheet href, img src
        self.links: list[str] = []  # a href
        self.data_blocks: list[str] = []
        self._in_data = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in {"script", "img"} and values.get("src"):
            self.loads.append(values["src"] or "")
        if tag == "link" and values.get("href"):
            self.loads.append(values["href"] or "")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        self._in_data = tag == "script" and values.get("type") == "application/json"

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.data_blocks.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_data = False


def parse(html: bytes) -> Links:
    """Parse a page's links."""
    links = Links()
    links.feed(html.decode("utf-8"))
    return links


def test_query_page_loads_yasgui_from_this_service_only(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = parse(response.data)
    assert "/static/yasgui/yasgui.min.js" in page.loads
    assert "/static/yasgui/yasgui.min.css" in page.loads
    assert all(url.startswith("/") and not url.startswith("//") for url in page.loads), page.loads
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy
    assert "connect-src 'self'" in policy


def test_query_page_lists_every_question_with_its_query_and_links(
    client: FlaskClient, kg: KnowledgeGraph
) -> None:
    page = parse(client.get("/").data)
    (block,) = page.data_blocks
    tabs = {tab["name"]: tab for tab in json.loads(block)}
    assert set(tabs) == set(kg.catalogue.names())
    assert len(tabs) == 12
    for query in kg.catalogue:
        assert tabs[query.name]["sparql"] == query.sparql
        assert f"/queries/{query.name}" in page.links
        assert f"/api/queries/{query.name}?format=csv" in page.links
    first = json.loads(block)[0]
    assert first["name"] == "loi-only-obligations"  # question 1 of the brief comes first


def test_query_page_shows_every_picture(client: FlaskClient) -> None:
    page = parse(client.get("/").data)
    for picture in PICTURES.values():
        assert f"/pictures/{picture.filename}" in page.loads


def test_yasgui_is_vendored_with_its_licence() -> None:
    assert (STATIC / "yasgui" / "yasgui.min.js").stat().st_size > 500_000
    assert "MIT License" in (STATIC / "yasgui" / "LICENSE").read_text()
    assert "4.6.2" in (STATIC / "yasgui" / "README.md").read_text()


def test_static_assets_are_served(client: FlaskClient) -> None:
    for path in ("yasgui/yasgui.min.js", "yasgui/yasgui.min.css", "aicap.js", "aicap.css"):
        response = client.get(f"/static/{path}")
        assert response.status_code == 200, path
        assert response.data == (STATIC / path).read_bytes()
        response.close()


def test_question_page_shows_the_answer_with_links_to_id_pages(client: FlaskClient) -> None:
    response = client.get("/queries/loi-only-obligations")
    assert response.status_code == 200
    html = response.data.decode()
    assert "Which obligations rest only on non-binding agreements" in html
    page = parse(response.data)
    assert "/id/obligation/openai-nvidia-10gw" in page.links
    assert "/id/firm/nvidia" in page.links
    assert "/api/queries/loi-only-obligations?format=csv" in page.links
    assert "/api/queries/loi-only-obligations?format=json" in page.links
    assert '<data class="usd" value="100000000000" title="100000000000">USD 100 bn</data>' in html
    assert "obligorLabel</th>" not in html  # the label is the obligor's link text


def test_question_page_passes_its_parameters_to_downloads_and_pictures(
    client: FlaskClient,
) -> None:
    page = parse(client.get("/queries/commitments-vs-revenue?firm=OpenAI").data)
    assert "/api/queries/commitments-vs-revenue?firm=OpenAI&format=csv" in page.links
    assert "/pictures/commitments-vs-revenue.svg?firm=OpenAI" in page.loads


def test_question_page_without_a_required_parameter_shows_the_form(client: FlaskClient) -> None:
    response = client.get("/queries/counterparty-exposure")
    assert response.status_code == 200
    html = response.data.decode()
    assert 'name="firm"' in html
    assert "required" in html
    assert "<table" not in html


def test_question_page_with_an_unknown_firm_lists_the_known_ones(client: FlaskClient) -> None:
    response = client.get("/queries/counterparty-exposure?firm=Nobody")
    assert response.status_code == 404
    html = response.data.decode()
    assert "no firm named" in html
    assert '<option value="OpenAI">' in html


def test_question_page_escapes_what_it_echoes(client: FlaskClient) -> None:
    attack = '"><script>alert(1)</script>{}'
    response = client.get("/queries/counterparty-exposure", query_string={"firm": attack})
    html = response.data.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_question_page_refuses_unknown_parameters(client: FlaskClient) -> None:
    response = client.get("/queries/circular-flows?colour=red")
    assert response.status_code == 400
    assert "takes no parameter colour" in response.data.decode()


def test_unknown_question_is_404(client: FlaskClient) -> None:
    assert client.get("/queries/no-such-question").status_code == 404


@pytest.mark.parametrize("name", list(PICTURES))
def test_pictures_are_svg_at_stable_urls(client: FlaskClient, name: str) -> None:
    response = client.get(f"/pictures/{name}.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.data.startswith(b"<?xml")
    assert b"<svg" in response.data
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    etag = response.headers["ETag"]
    again = client.get(f"/pictures/{name}.svg", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_picture_errors(client: FlaskClient) -> None:
    assert client.get("/pictures/pie.svg").status_code == 404
    assert client.get("/pictures/money-loops.svg?firm=OpenAI").status_code == 400
    assert client.get("/pictures/commitments-vs-revenue.svg?firm=Nobody").status_code == 404


def test_pictures_are_listed(client: FlaskClient) -> None:
    listed = client.get("/pictures/").get_json()
    assert [p["url"] for p in listed["pictures"]] == [
        f"/pictures/{p.filename}" for p in PICTURES.values()
    ]
