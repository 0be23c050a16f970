"""`/sparql` answers a client that knows only PROV-O: every figure reaches its quote and its
source, every named graph of facts names its sources (the queries of tests/data/prov-*.rq,
which use no aicap term; tests/kg/test_prov_provenance.py runs them on the bundled data)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from flask.testing import FlaskClient

QUERIES = Path(__file__).parents[1] / "data"
GRAPH = "https://w3id.org/aicap/graph/"
FACT_GRAPHS = ("article", "announcements", "methodology")

NUMERIC_FIGURES = 37
"""(graph, subject, property, number) in the three fact graphs of the bundled data."""
NUMERIC_SUBJECTS = 23
SOURCES_PER_GRAPH = {GRAPH + "article": 1, GRAPH + "announcements": 8, GRAPH + "methodology": 1}


def rows(client: FlaskClient, query: str) -> list[dict[str, str]]:
    response = client.post(
        "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    bindings = json.loads(response.data)["results"]["bindings"]
    return [{name: term["value"] for name, term in row.items()} for row in bindings]


def test_every_figure_reaches_a_quote_and_a_source_with_prov_terms_only(
    client: FlaskClient,
) -> None:
    query = (QUERIES / "prov-only-provenance.rq").read_text("utf-8")
    graphs = " ".join(f"<{GRAPH}{name}>" for name in FACT_GRAPHS)
    every_figure = f"""SELECT ?graph ?fact ?property ?figure WHERE {{
      VALUES ?graph {{ {graphs} }}
      GRAPH ?graph {{ ?fact ?property ?figure FILTER(isNumeric(?figure)) }} }}"""

    found = rows(client, query)
    figures = {
        (r["graph"], r["fact"], r["property"], r["figure"]) for r in rows(client, every_figure)
    }

    assert len(figures) == NUMERIC_FIGURES
    assert {(r["graph"], r["fact"], r["property"], r["figure"]) for r in found} == figures
    assert len({r["fact"] for r in found}) == NUMERIC_SUBJECTS
    assert all(r["quote"].strip() and r["source"] != r["claim"] for r in found)


def test_every_graph_of_facts_names_its_sources_with_prov_terms_only(
    client: FlaskClient,
) -> None:
    query = (QUERIES / "prov-graph-sources.rq").read_text("utf-8")
    cited = """PREFIX aicap: <https://w3id.org/aicap/ontology#>
      PREFIX prov: <http://www.w3.org/ns/prov#>
      SELECT DISTINCT ?graph ?source WHERE {
        GRAPH ?graph { ?claim a aicap:Claim ; prov:wasDerivedFrom ?source } }"""

    named: dict[str, set[str]] = defaultdict(set)
    for row in rows(client, query):
        named[row["graph"]].add(row["source"])
    expected: dict[str, set[str]] = defaultdict(set)
    for row in rows(client, cited):
        expected[row["graph"]].add(row["source"])

    assert {graph: len(sources) for graph, sources in expected.items()} == SOURCES_PER_GRAPH
    assert named == expected
