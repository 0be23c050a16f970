"""`kg.views.display.render_table`: the terminal table of ``aicap query --format table``.

It fits 120 columns for every stored question (a grid where the columns fit, else one
record per row), writes figures for people, and with ``wide`` cuts nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest

from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.query.query_files import StoredQuery
from kg.query.solutions import NUMERIC_DATATYPES, run_stored_table
from kg.rdf.formats import results_format, serialize_results
from kg.views.display import (
    DEFAULT_WIDTH,
    ELLIPSIS,
    cell_width,
    fit_widths,
    render_table,
    truncate,
    wrap,
)
from kg.views.figures import rule_for

FIRM = "OpenAI"
"""The firm of the questions that need one (the brief's running example)."""

PLAIN_COUNTS = {"length", "obligationsWithAmount", "tranches", "figure"}
"""Numeric columns of the stored questions that no display rule names: counts, and
claims-and-sources' ``figure``, whose unit depends on the claim."""

NARROW_QUERY = """\
PREFIX aicap: <https://w3id.org/aicap/ontology#>
PREFIX rdfs:  <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?from ?to ?amountUSD WHERE {
  ?t aicap:fromParty/rdfs:label ?from ; aicap:toParty/rdfs:label ?to ; aicap:amountUSD ?amountUSD
} ORDER BY DESC(?amountUSD) LIMIT 3
"""

QUOTE_QUERY = """\
PREFIX aicap: <https://w3id.org/aicap/ontology#>
PREFIX rdfs:  <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?from ?amountUSD ?quote WHERE {
  ?t aicap:fromParty/rdfs:label ?from ; aicap:amountUSD ?amountUSD ;
     aicap:statedIn/aicap:quote ?quote
} ORDER BY DESC(?amountUSD) ?quote LIMIT 4
"""


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeGraph]:
    """The bundled data, shared by the tests (they only read)."""
    graph = KnowledgeGraph.open(Settings(data_dir=tmp_path_factory.mktemp("display") / "store"))
    yield graph
    graph.close()


def params_of(query: StoredQuery) -> dict[str, str]:
    """The parameters a question needs: the firm, where one is required."""
    return {p.name: FIRM for p in query.params if p.required}


def question_names() -> list[str]:
    """The stored questions' names, without opening a store."""
    from kg.query.stored_queries import StoredQueryCatalogue

    return StoredQueryCatalogue.load(Settings().queries_dir).names()


@pytest.mark.parametrize("name", question_names())
def test_every_stored_question_fits_120_columns(bundled: KnowledgeGraph, name: str) -> None:
    query = bundled.catalogue.get(name)
    text = render_table(bundled.run_stored(name, params_of(query)))

    too_wide = [line for line in text.splitlines() if cell_width(line) > DEFAULT_WIDTH]
    assert too_wide == [], f"{name}: {len(too_wide)} lines wider than {DEFAULT_WIDTH}"
    rows = len(run_stored_table(bundled, name, params_of(query)))
    assert text.endswith(f"({rows} row{'' if rows == 1 else 's'})")


@pytest.mark.parametrize("name", question_names())
def test_wide_shows_every_value_whole_on_one_line(bundled: KnowledgeGraph, name: str) -> None:
    query = bundled.catalogue.get(name)
    text = render_table(bundled.run_stored(name, params_of(query)), wide=True)

    table = run_stored_table(bundled, name, params_of(query))
    lines = text.splitlines()
    assert len(lines) == len(table) + 3  # header, rule, one line a row, the count
    assert ELLIPSIS not in text
    for line, row in zip(lines[2:], table, strict=False):
        for variable, cell in row.items():
            if cell.kind == "literal" and cell.datatype not in NUMERIC_DATATYPES:
                assert " ".join(cell.value.split()) in line, f"{name}: {variable} was cut"


@pytest.mark.parametrize("name", question_names())
def test_every_numeric_column_of_a_question_has_a_display_rule(
    bundled: KnowledgeGraph, name: str
) -> None:
    table = run_stored_table(bundled, name, params_of(bundled.catalogue.get(name)))
    numeric = {v for row in table for v, cell in row.items() if cell.is_number}
    unnamed = sorted(v for v in numeric if rule_for(v) is None and v not in PLAIN_COUNTS)
    assert unnamed == [], f"{name}: no display rule for {unnamed} (kg.views.figures.RULES)"


def test_figures_read_for_people_and_the_other_formats_keep_machine_values(
    bundled: KnowledgeGraph,
) -> None:
    text = render_table(bundled.query(NARROW_QUERY))
    assert text.splitlines()[0].split() == ["from", "to", "amountUSD"]  # a grid: it fits
    assert "OpenAI  Oracle     USD 300 bn" in text
    assert "300000000000" not in text

    as_csv = serialize_results(bundled.query(NARROW_QUERY), results_format("csv")).decode()
    assert list(csv.reader(io.StringIO(as_csv)))[1][2] == "300000000000"
    as_json = json.loads(serialize_results(bundled.query(NARROW_QUERY), results_format("json")))
    assert as_json["results"]["bindings"][0]["amountUSD"]["value"] == "300000000000"


def test_quotes_wrap_within_the_width_and_nothing_else_is_lost(bundled: KnowledgeGraph) -> None:
    text = render_table(bundled.query(QUOTE_QUERY), width=80)
    lines = text.splitlines()

    assert lines[0].split() == ["from", "amountUSD", "quote"]
    assert max(cell_width(line) for line in lines) <= 80
    assert len(lines) > 4 + 3  # the quotes took more than a line each
    assert ELLIPSIS not in text  # prose wraps; it is not cut
    assert "甲骨文" in text  # Chinese, two cells a character, wraps too


def test_a_result_too_wide_for_a_grid_is_printed_as_records(bundled: KnowledgeGraph) -> None:
    text = render_table(bundled.run_stored("counterparty-exposure", {"firm": FIRM}))

    assert text.startswith("-[ 1 ]")
    assert "\namountUSD          USD 300 bn\n" in text
    assert "\nshareOfCapital     10%\n" in text
    assert "id:firm/openai" in text


def test_ask_is_a_word_and_construct_a_table_of_triples_with_figures_read(
    bundled: KnowledgeGraph,
) -> None:
    assert render_table(bundled.query("ASK { ?s ?p ?o }")) == "true"
    warrant = "<https://w3id.org/aicap/id/grant/amd-openai-warrant>"
    query = f"CONSTRUCT {{ {warrant} ?p ?o }} WHERE {{ {warrant} ?p ?o }}"
    text = render_table(bundled.query(query))

    assert text.splitlines()[0].split() == ["subject", "predicate", "object"]
    assert "aicap:shareOfCapital     10%" in text
    assert "aicap:shares             160 million shares" in text


def test_columns_share_the_width_evenly_and_keep_short_ones_whole() -> None:
    widths = fit_widths(["a", "b", "quote"], [4, 60, 300], [False, False, True], 80)
    assert widths is not None and widths[0] == 4 and sum(widths) + 2 * 2 == 80
    assert widths[2] >= widths[1]
    assert fit_widths(["a"] * 20, [40] * 20, [False] * 20, 80) is None  # records instead


def test_text_helpers_count_terminal_cells() -> None:
    assert cell_width("OpenAI") == 6
    assert cell_width("甲骨文") == 6
    assert truncate("id:obligation/openai-coreweave", 12) == "id:obligati" + ELLIPSIS
    assert truncate("甲骨文负责数据中心", 7) == "甲骨文" + ELLIPSIS
    assert wrap("a b c", 3) == ["a b", "c"]
    assert wrap("https://w3id.org/aicap/id/firm", 10) == ["https://w3", "id.org/aic", "ap/id/firm"]
    assert all(cell_width(line) <= 9 for line in wrap("此前,OpenAI与甲骨文达成了规模", 9))
