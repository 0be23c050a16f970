"""`/id/...`: linked-data pages and RDF descriptions, negotiation, base IRI, bad paths."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from kg.bundled import BUNDLE_DIR
from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.namespaces import BASE_IRI
from kg.views.resources import describe_resource, resource_iri
from server import create_app

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FORMS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}
SUFFIXES = {"ttl": "text/turtle", "jsonld": "application/ld+json", "nt": "application/n-triples"}
SUFFIXES |= {"trig": "application/trig", "nq": "application/n-quads"}
DATASET_FORMS = {"application/trig", "application/n-quads"}

OTHER_BASE = "http://kg.example.test/aicap/"
"""A base IRI other than the default, for a store loaded under it."""


def page(client: FlaskClient, path: str) -> TestResponse:
    return client.get(path, headers={"Accept": BROWSER})


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


# --- the page -------------------------------------------------------------------------


def test_a_browser_gets_the_page_with_label_types_figures_and_links(client: FlaskClient) -> None:
    response = page(client, "/id/investment/nvidia-openai")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<title>Nvidia: up to USD 100 billion invested in OpenAI · aicap</title>" in html
    assert "investment commitment" in html
    assert '<data value="100000000000"' in html
    assert ">USD 100 bn</data>" in html
    assert '<a href="/id/firm/nvidia">Nvidia</a>' in html
    assert "graph:announcements" in html


def test_each_claim_shows_its_source_and_the_quoted_sentence_in_its_language(
    client: FlaskClient,
) -> None:
    html = page(client, "/id/investment/nvidia-openai").get_data(as_text=True)

    assert '<blockquote lang="zh">英伟达亦承诺,向OpenAI投资最高可达1000亿美元' in html
    assert '<cite lang="zh">AI资本循环:万亿美元算力采购背后的泡沫争议与增长引擎</cite>' in html
    assert 'href="/id/source/article-ai-capital-cycle"' in html
    assert "brief F6" in html


def test_figures_of_every_kind_are_written_for_reading(client: FlaskClient) -> None:
    warrant = page(client, "/id/grant/amd-openai-warrant").get_data(as_text=True)
    margin = page(client, "/id/fact/oracle-gpu-rental-revenue").get_data(as_text=True)
    gigawatts = page(client, "/id/obligation/openai-broadcom-10gw").get_data(as_text=True)

    assert ">160 million shares</data>" in warrant
    assert ">10%</data>" in warrant
    assert ">14%</data>" in margin
    assert ">USD 900 m</data>" in margin
    assert ">10 GW</data>" in gigawatts


def test_every_link_on_a_page_stays_on_the_service(client: FlaskClient) -> None:
    html = page(client, "/id/firm/openai").get_data(as_text=True)

    links = hrefs(html)
    assert links
    assert all(link.startswith("/") and not link.startswith("//") for link in links)
    assert "https://w3id.org/aicap/id/firm/openai" in html  # the IRI, shown as text


def test_the_page_may_run_no_script(client: FlaskClient) -> None:
    response = page(client, "/id/firm/openai")

    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy
    assert "<script" not in response.get_data(as_text=True)


def test_the_page_says_which_resources_point_here(client: FlaskClient) -> None:
    html = page(client, "/id/firm/nvidia").get_data(as_text=True)

    assert 'id="referenced-by"' in html
    assert 'href="/id/investment/nvidia-openai"' in html


# --- RDF forms ----------------------------------------------------------------------


@pytest.mark.parametrize("media_type", FORMS)
def test_accept_chooses_the_rdf_form_of_the_description(
    client: FlaskClient, kg: KnowledgeGraph, media_type: str
) -> None:
    response = client.get("/id/grant/amd-openai-warrant", headers={"Accept": media_type})

    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "Accept" in response.vary
    assert_description(kg, "grant/amd-openai-warrant", response.data, media_type)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_suffix_chooses_the_form_whatever_accept_says(
    client: FlaskClient, kg: KnowledgeGraph, suffix: str
) -> None:
    response = client.get(f"/id/firm/amd.{suffix}", headers={"Accept": BROWSER})

    assert response.status_code == 200
    assert response.mimetype == SUFFIXES[suffix]
    assert_description(kg, "firm/amd", response.data, SUFFIXES[suffix])


def test_the_html_suffix_gives_the_page_to_any_client(client: FlaskClient) -> None:
    response = client.get("/id/firm/amd.html", headers={"Accept": "text/turtle"})

    assert response.mimetype == "text/html"
    assert "<h1>AMD</h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize("accept", [None, "*/*", "text/*"])
def test_clients_that_take_anything_get_turtle(client: FlaskClient, accept: str | None) -> None:
    headers = {} if accept is None else {"Accept": accept}

    response = client.get("/id/firm/amd", headers=headers)

    assert response.mimetype == "text/turtle"


def test_json_ld_carries_a_context_with_the_project_prefixes(client: FlaskClient) -> None:
    response = client.get("/id/firm/amd.jsonld")

    document = json.loads(response.data)
    assert document["@context"]["aicap"] == "https://w3id.org/aicap/ontology#"
    assert document["@context"]["id"] == BASE_IRI + "id/"
    assert any(node["@id"] == "id:firm/amd" for node in document["@graph"])


def test_the_link_header_names_every_form(client: FlaskClient) -> None:
    response = client.get("/id/firm/amd")

    link = response.headers["Link"]
    for suffix, media_type in SUFFIXES.items():
        assert f'</id/firm/amd.{suffix}>; rel="alternate"; type="{media_type}"' in link
    assert '</id/firm/amd.html>; rel="alternate"; type="text/html"' in link


def test_an_accept_that_matches_nothing_is_406_listing_the_forms(client: FlaskClient) -> None:
    response = client.get("/id/firm/amd", headers={"Accept": "image/png"})

    assert response.status_code == 406
    text = response.get_data(as_text=True)
    for media_type in ("text/html", *FORMS):
        assert media_type in text


# --- missing resources and bad paths ------------------------------------------------


def test_an_unknown_resource_is_a_404_page_for_browsers(client: FlaskClient) -> None:
    response = page(client, "/id/firm/nope")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "firm/nope" in response.get_data(as_text=True)


def test_an_unknown_resource_is_a_404_text_for_programs(client: FlaskClient) -> None:
    response = client.get("/id/firm/nope", headers={"Accept": "text/turtle"})

    assert response.status_code == 404
    assert response.mimetype == "text/plain"
    assert "no resource https://w3id.org/aicap/id/firm/nope" in response.get_data(as_text=True)


CLIMBING_PATHS = [
    "/id/../etc/passwd",
    "/id/../../../../etc/passwd",
    "/id/firm/../../etc/passwd",
    "/id/%2e%2e/etc/passwd",
    "/id/%2E%2E/%2E%2E/etc/passwd",
    "/id/.%2e/.%2e/etc/passwd",
    "/id/..%2f..%2fetc%2fpasswd",
    "/id/firm/openai%2f..%2f..%2f..%2fetc%2fpasswd",
    "/id/%252e%252e/%252e%252e/etc/passwd",
    "/id/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "/id/%25252e%25252e/etc/passwd",
    "/id/..%5c..%5cetc%5cpasswd",
    "/id/..\\..\\etc\\passwd",
    "/id/firm/..",
    "/id/firm/.",
    "/id/firm//openai",
    "/id/firm/openai%00.ttl",
]


@pytest.fixture
def opened_files(client: FlaskClient) -> Iterator[list[str]]:
    """The files opened while the test runs (a Python audit hook on ``open``).

    The error page's template is loaded (and cached) first, so any file opened during the
    test was opened by the route.
    """
    for accept in (BROWSER, "text/plain"):
        client.get("/id/firm/nope", headers={"Accept": accept})
    opened: list[str] = []
    _OPEN_LOGS.append(opened)
    yield opened
    _OPEN_LOGS.remove(opened)


_OPEN_LOGS: list[list[str]] = []


def _log_opens(event: str, args: tuple[Any, ...]) -> None:
    if event == "open":
        for log in _OPEN_LOGS:
            log.append(str(args[0]))


sys.addaudithook(_log_opens)  # hooks cannot be removed; it records only inside the fixture


def test_the_open_log_sees_files_opened_during_a_test(opened_files: list[str]) -> None:
    with open(__file__, "rb"):
        pass

    assert opened_files == [__file__]


@pytest.mark.parametrize("path", CLIMBING_PATHS)
@pytest.mark.parametrize("accept", [BROWSER, "text/turtle"])
def test_a_path_that_climbs_is_a_404_and_opens_no_file(
    client: FlaskClient, opened_files: list[str], path: str, accept: str
) -> None:
    response = client.get(path, headers={"Accept": accept})

    assert response.status_code == 404
    assert "root:" not in response.get_data(as_text=True)
    assert opened_files == []


# --- another base IRI, and hostile labels --------------------------------------------


def fixture_trig(base: str) -> str:
    """A tiny dataset under `base`: two firms, a deal, a claim, a source; some of it hostile."""
    i = f"{base}id/"
    return f"""
@prefix aicap: <https://w3id.org/aicap/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{base}graph/fixture> {{
  <{i}firm/acme> a aicap:ChipMaker ; rdfs:label "Acme" ; aicap:statedIn <{i}claim/acme> .
  <{i}firm/evil> a aicap:ModelDeveloper ; rdfs:label "<script>alert(1)</script>" ;
      rdfs:comment "\\"><img src=x onerror=alert(2)>" ; aicap:statedIn <{i}claim/acme> .
  <{i}obligation/evil-acme> a aicap:ComputeCapacityObligation ;
      rdfs:label "Evil buys 2.5 GW from Acme"@en ;
      aicap:fromParty <{i}firm/evil> ; aicap:toParty <{i}firm/acme> ;
      aicap:gigawatts 2.5 ; aicap:amountUSD 7500000000.0 ;
      rdfs:seeAlso <https://w3id.org/aicap/id/firm/openai> , <https://example.org/elsewhere> ;
      aicap:statedIn <{i}claim/acme> .
  <{i}claim/acme> a aicap:Claim ; prov:wasDerivedFrom <{i}source/doc> ;
      aicap:quote "爱克米承诺<b>2.5吉瓦</b>。"@zh .
  <{i}source/doc> a aicap:Article ; dct:title "Acme & Evil <i>news</i>"@en .
  <https://w3id.org/aicap/id/firm/openai> rdfs:label "OpenAI under the default base" .
}}
"""


@pytest.fixture(scope="module")
def other_kg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeGraph]:
    """A graph whose settings name `OTHER_BASE`, holding only `fixture_trig` (and the
    ontology, for labels)."""
    root = tmp_path_factory.mktemp("other-base")
    project = root / "project"
    for name in ("ontology", "shapes", "queries"):
        project.mkdir(exist_ok=True)
        (project / name).symlink_to(BUNDLE_DIR / name)
    (project / "data").mkdir()
    (project / "data" / "fixture.trig").write_text(fixture_trig(OTHER_BASE), encoding="utf-8")
    settings = Settings(data_dir=root / "store", bundle_dir=project, base_iri=OTHER_BASE)
    graph = KnowledgeGraph.open(settings)
    yield graph
    graph.close()


@pytest.fixture
def other(other_kg: KnowledgeGraph) -> FlaskClient:
    app: Flask = create_app(other_kg.settings, kg=other_kg)
    app.config["TESTING"] = True
    return app.test_client()


def test_the_configured_base_is_served_at_id(other: FlaskClient) -> None:
    response = other.get("/id/obligation/evil-acme.nt")

    assert response.status_code == 200
    subjects = {t.subject for t in ox.parse(response.data, format=ox.RdfFormat.N_TRIPLES)}
    assert ox.NamedNode(OTHER_BASE + "id/obligation/evil-acme") in subjects


def test_iris_under_another_base_are_not_served(other: FlaskClient) -> None:
    response = other.get("/id/firm/openai", headers={"Accept": "text/turtle"})

    assert response.status_code == 404
    assert OTHER_BASE + "id/firm/openai" in response.get_data(as_text=True)


def test_pages_link_to_the_service_and_show_other_iris_as_text(other: FlaskClient) -> None:
    html = page(other, "/id/obligation/evil-acme").get_data(as_text=True)

    assert sorted(set(hrefs(html)) & {"/id/firm/acme", "/id/firm/evil"}) == [
        "/id/firm/acme",
        "/id/firm/evil",
    ]
    assert all(link.startswith("/") for link in hrefs(html))
    assert "https://w3id.org/aicap/id/firm/openai" in html
    assert "https://example.org/elsewhere" in html
    assert ">2.5 GW</data>" in html
    assert ">USD 7.5 bn</data>" in html


def test_json_ld_context_maps_id_to_the_configured_base(other: FlaskClient) -> None:
    document = json.loads(other.get("/id/firm/acme.jsonld").data)

    assert document["@context"]["id"] == OTHER_BASE + "id/"
    assert any(node["@id"] == "id:firm/acme" for node in document["@graph"])


@pytest.mark.parametrize("path", ["/id/firm/evil", "/id/obligation/evil-acme", "/id/claim/acme"])
def test_everything_echoed_into_a_page_is_escaped(other: FlaskClient, path: str) -> None:
    html = page(other, path).get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "<b>2.5" not in html
    assert "<i>news</i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&lt;b&gt;" in html


def test_the_hostile_label_is_the_escaped_title(other: FlaskClient) -> None:
    html = page(other, "/id/firm/evil").get_data(as_text=True)

    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert '<blockquote lang="zh">爱克米承诺&lt;b&gt;2.5吉瓦&lt;/b&gt;。</blockquote>' in html


# --- helpers ------------------------------------------------------------------------


def assert_description(kg: KnowledgeGraph, path: str, body: bytes, media_type: str) -> None:
    """The body parses back to the library's description of the resource."""
    base = kg.settings.base_iri
    expected = describe_resource(kg.store, resource_iri(base, path), base).quads
    parsed = list(ox.parse(body, format=FORMS[media_type]))
    if media_type in DATASET_FORMS:
        assert set(parsed) == set(expected)
    else:
        assert {t.triple if isinstance(t, ox.Quad) else t for t in parsed} == {
            q.triple for q in expected
        }
