"""Over HTTP with the default settings, the default graph is a set: every triple once.

The bundled graphs state several facts twice (the article and the announcements both give
the Oracle deal's amount), so a bag union would repeat rows and double sums. The figures
expected here are BRIEF.md's: OpenAI pays Oracle about USD 300 billion (F7, P4) and
CoreWeave up to 11.9 + 4 + 6.5 = 22.4 billion (P5).
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from pathlib import Path

from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parents[2]
AICAP = "https://w3id.org/aicap/ontology#"
OPENAI = "https://w3id.org/aicap/id/firm/openai"


def bindings(client: FlaskClient, query: str, **params: str | list[str]) -> list[dict]:
    response = client.post(
        "/sparql", data={"query": query, **params}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["results"]["bindings"]  # type: ignore[index]


def readme_query() -> str:
    """The query of README's curl example, as a reader pastes it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"--data-urlencode 'query=(.*?)'\n", text, re.DOTALL)
    assert found, "README has no curl query"
    return found.group(1)


def test_the_readme_query_lists_each_transfer_once(client: FlaskClient) -> None:
    query = readme_query()
    assert "DISTINCT" not in query  # it is right without
    rows = bindings(client, query)
    keys = [(r["from"]["value"], r["to"]["value"], r["amountUSD"]["value"]) for r in rows]
    assert len(keys) == len(set(keys)) == 5
    assert keys[0][:2] == ("OpenAI", "Oracle")
    assert Decimal(keys[0][2]) == Decimal("300e9")


def test_openais_outgoing_amounts_sum_to_the_articles_figures(client: FlaskClient) -> None:
    total = f"""SELECT (SUM(?a) AS ?usd) WHERE {{
        ?t <{AICAP}fromParty> <{OPENAI}> ; <{AICAP}amountUSD> ?a }}"""
    [row] = bindings(client, total)
    assert Decimal(row["usd"]["value"]) == Decimal("300e9") + Decimal("22.4e9")


def test_a_triple_in_two_graphs_counts_once_however_the_default_graph_is_made(
    write_client: FlaskClient, write_headers: dict[str, str]
) -> None:
    base = f"http://example.org/union-set/{uuid.uuid4()}/"
    triple = f"<{base}s> <{base}p> <{base}o> .\n"
    graphs = [base + "g1", base + "g2"]
    for graph in graphs:
        response = write_client.put(
            f"/graph-store?graph={graph}",
            data=f"{triple}# stated by {graph}\n",  # the same bytes twice would be refused
            headers={**write_headers, "Content-Type": "text/turtle"},
        )
        assert response.status_code in (201, 204), response.get_data(as_text=True)
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ <{base}s> ?p ?o }}"
    ones = [
        bindings(write_client, count),  # the union default graph
        bindings(write_client, count, **{"default-graph-uri": graphs}),
        bindings(write_client, count.replace("WHERE", f"FROM <{graphs[0]}> FROM <{graphs[1]}>")),
    ]
    assert [int(rows[0]["n"]["value"]) for rows in ones] == [1, 1, 1]
    per_graph = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ <{base}s> ?p ?o }} }}"
    assert int(bindings(write_client, per_graph)[0]["n"]["value"]) == 2  # each graph holds it
