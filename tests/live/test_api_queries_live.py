"""The stored-query API over real HTTP, read the way an analyst's script reads it.

``pandas.read_csv(url)`` opens the URL with urllib and parses CSV; pandas is no dependency
of the project, so these tests do the same with urllib and the csv module.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.live.conftest import LiveServer


def get(url: str) -> tuple[int, str, str]:
    """GET a URL; return the status, the Content-Type and the body, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def test_csv_of_a_stored_query_reads_as_a_table_over_http(live_server: LiveServer) -> None:
    status, content_type, text = get(
        live_server.url + "/api/queries/counterparty-exposure?firm=OpenAI&format=csv"
    )
    assert status == 200
    assert content_type.startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(text)))
    assert table
    assert {"firm", "counterparty", "amountUSD", "source", "quote"} <= set(table[0])
    assert sum(float(r["amountUSD"]) for r in table if r["amountUSD"]) > 1e11  # USD, not bn


@pytest.mark.parametrize("value", ['OpenAI" } ; DROP ALL ; #', "} CLEAR ALL {"])
def test_an_injected_firm_over_http_is_404_and_changes_nothing(
    live_server: LiveServer, value: str
) -> None:
    before = live_server.health()["triples"]
    query = urllib.parse.urlencode({"firm": value})
    status, content_type, text = get(f"{live_server.url}/api/queries/counterparty-exposure?{query}")
    assert status == 404
    assert content_type == "application/json"
    assert "OpenAI" in json.loads(text)["known"]
    assert live_server.health()["triples"] == before
