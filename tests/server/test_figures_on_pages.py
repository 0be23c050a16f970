"""Figures on the pages read for people, with the machine value one hover away; the data
(CSV, JSON, SPARQL results, RDF) keeps the machine values. Also the layout the pages'
markup carries: the question numbers of `/`, and prose under each row of a result table.
The browser's view of the same pages is tests/live/test_browser.py."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

from flask.testing import FlaskClient

from kg.graph import KnowledgeGraph
from kg.query.solutions import run_stored_table
from server.pages import BRIEF_ORDER

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class Figures(HTMLParser):
    """Collects each ``<data>`` element: its attributes and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "data":
            self._open = dict(attrs)
            self.figures.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.figures[-1]
            self.figures[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "data":
            self._open = None


def figures(html: str) -> list[tuple[dict[str, str | None], str]]:
    """The ``<data>`` elements of a page, as (attributes, text)."""
    parser = Figures()
    parser.feed(html)
    return parser.figures


def test_the_index_numbers_the_questions_1_to_12_in_the_briefs_order(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)

    numbers = re.findall(r'<span class="number">(\d+)\.</span>', html)
    assert numbers == [str(n) for n in range(1, 13)]
    ids = re.findall(r'<li id="question-([a-z-]+)">', html)
    assert ids == list(BRIEF_ORDER)


def test_a_question_page_writes_figures_for_people_with_the_exact_value_in_the_title(
    client: FlaskClient,
) -> None:
    html = client.get("/queries/commitments-vs-revenue?firm=OpenAI").get_data(as_text=True)

    shown = {attrs["value"]: (attrs["title"], text) for attrs, text in figures(html)}
    assert shown["1000000000000"] == ("1000000000000", "USD 1 tn")
    assert shown["322400000000"] == ("322400000000", "USD 322.4 bn")
    assert shown["12000000000"] == ("12000000000", "USD 12 bn")
    assert shown["83.333333333333333333"] == ("83.333333333333333333", "83\N{MULTIPLICATION SIGN}")
    assert shown["26"] == ("26", "26 GW")
    assert all(attrs["title"] == attrs["value"] for attrs, _ in figures(html))


def test_shares_of_capital_and_price_moves_read_as_percentages(client: FlaskClient) -> None:
    equity = client.get("/queries/equity-for-orders").get_data(as_text=True)
    moves = client.get("/queries/share-price-reactions").get_data(as_text=True)

    assert '<data class="fraction" value="0.1" title="0.1">10%</data>' in equity
    shares = '<data class="shares" value="160000000" title="160000000">160 million shares</data>'
    assert shares in equity
    assert '<data class="change" value="0.4" title="0.4">+40%</data>' in moves
    assert '<data class="days" value="2" title="2">2 days</data>' in moves


def test_the_downloads_keep_the_machine_values(client: FlaskClient) -> None:
    api = "/api/queries/commitments-vs-revenue?firm=OpenAI"
    rows = list(csv.DictReader(io.StringIO(client.get(f"{api}&format=csv").get_data(as_text=True))))
    answer = client.get(f"{api}&format=json").get_json()

    assert rows[0]["statedTotalUSD"] == "1000000000000"
    assert rows[0]["statedToRevenue"] == "83.333333333333333333"
    binding = answer["results"]["bindings"][0]
    assert binding["itemisedUSD"]["value"] == "322400000000"
    assert binding["itemisedGigawatts"]["value"] == "26"


def test_sparql_results_and_resource_data_keep_the_machine_values(client: FlaskClient) -> None:
    query = (
        "SELECT ?v WHERE { <https://w3id.org/aicap/id/grant/amd-openai-warrant> "
        "<https://w3id.org/aicap/ontology#shareOfCapital> ?v }"
    )
    results = client.get("/sparql", query_string={"query": query}).get_json()
    turtle = client.get("/id/grant/amd-openai-warrant.ttl").get_data(as_text=True)
    page = client.get("/id/grant/amd-openai-warrant", headers={"Accept": BROWSER})

    assert results["results"]["bindings"][0]["v"]["value"] == "0.1"
    assert "aicap:shares 160000000 ;" in turtle and "aicap:shareOfCapital 0.1 ;" in turtle
    exact = '<data value="0.1" title="0.1 (http://www.w3.org/2001/XMLSchema#decimal)">10%</data>'
    assert exact in page.get_data(as_text=True)


def test_quotes_run_under_their_row_not_in_a_column(
    client: FlaskClient, kg: KnowledgeGraph
) -> None:
    html = client.get("/queries/counterparty-exposure?firm=OpenAI").get_data(as_text=True)

    head = html[html.index("<thead>") : html.index("</thead>")]
    assert ">quote<" not in head and "source" in head
    table = run_stored_table(kg, "counterparty-exposure", {"firm": "OpenAI"})
    quoted = sum(1 for row in table if "quote" in row)
    assert quoted == len(table) > 0
    assert html.count('<td colspan="') == html.count('class="prose prose-quote"') == quoted
    assert "<p>上周,OpenAI宣布将在未来几年内部署" in html  # each quote of a cell its own paragraph
    assert "share<wbr>Of<wbr>Capital" in head  # long names may break between their words
