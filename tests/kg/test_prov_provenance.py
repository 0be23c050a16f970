"""Provenance that a client knowing only PROV-O (and RDFS) can follow, with no aicap term.

Every figure of the fact graphs reaches its claim, the claim's quote and the source
document through prov:wasDerivedFrom, prov:value and their sub-properties; every named
graph of facts names the sources it rests on. Each PROV answer is compared with the same
answer computed independently with the aicap terms, and with the counts of the data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from bundle_loader import load_bundled

AICAP = "https://w3id.org/aicap/ontology#"
PROV = "http://www.w3.org/ns/prov#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
GRAPH = "https://w3id.org/aicap/graph/"
SOURCE = "https://w3id.org/aicap/id/source/"
FACT_GRAPHS = (GRAPH + "article", GRAPH + "announcements", GRAPH + "methodology")

QUERIES = Path(__file__).parents[1] / "data"
PROV_ONLY_QUERY = (QUERIES / "prov-only-provenance.rq").read_text("utf-8")
"""The figures, each with its claim, quote and source document, in PROV-O and RDFS terms."""
PROV_GRAPH_SOURCES_QUERY = (QUERIES / "prov-graph-sources.rq").read_text("utf-8")
"""The named graphs that say, in PROV-O and RDFS terms, which sources they are derived from."""

NUMERIC_FIGURES = 37
"""(graph, subject, property, number) in the fact graphs: 18 in the article's graph, 18 in
the announcements', 1 in the methodology's."""
NUMERIC_SUBJECTS = 23
"""Distinct subjects carrying those figures (an obligation stated in two graphs counts once)."""
FIGURES_PER_GRAPH = {GRAPH + "article": 18, GRAPH + "announcements": 18, GRAPH + "methodology": 1}
GRAPH_SOURCES = {
    GRAPH + "article": {SOURCE + "article-ai-capital-cycle"},
    GRAPH + "announcements": {
        SOURCE + name
        for name in (
            "p1-nvidia-openai-loi",
            "p2-amd-openai-agreement",
            "p3-broadcom-openai-term-sheet",
            "p4-wsj-oracle-openai",
            "p5-coreweave-openai-2025-03",
            "p5-coreweave-openai-2025-05",
            "p5-coreweave-openai-2025-09",
            "p6-coreweave-nvidia-filing",
        )
    },
    GRAPH + "methodology": {SOURCE + "methodology"},
}

Figure = tuple[str, str, str, str]
"""(graph, subject, property, number as its lexical form)."""


def bundled_store() -> ox.Store:
    """The bundled data in its graphs, the ontology in graph/ontology, as the service has them."""
    return load_bundled(ox.Store())


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return bundled_store()


def select(store: ox.Store, query: str) -> Iterator[dict[str, str]]:
    solutions = store.query(query, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    variables = solutions.variables
    for solution in solutions:
        yield {v.value: solution[v].value for v in variables if solution[v] is not None}


def figure(row: dict[str, str]) -> Figure:
    return (row["graph"], row["fact"], row["property"], row["figure"])


def numeric_figures(store: ox.Store) -> set[Figure]:
    """Every number in the fact graphs, whatever its provenance."""
    graphs = " ".join(f"<{g}>" for g in FACT_GRAPHS)
    query = f"""SELECT ?graph ?fact ?property ?figure WHERE {{
      VALUES ?graph {{ {graphs} }}
      GRAPH ?graph {{ ?fact ?property ?figure FILTER(isNumeric(?figure)) }} }}"""
    return {figure(row) for row in select(store, query)}


def aicap_provenance(store: ox.Store) -> set[tuple[str, str, str, str, str]]:
    """(graph, fact, claim, quote, source) for each fact with a figure, in the aicap terms."""
    query = f"""
    PREFIX aicap: <{AICAP}>
    PREFIX prov: <{PROV}>
    PREFIX rdfs: <{RDFS}>
    SELECT DISTINCT ?graph ?fact ?claim ?quote ?source WHERE {{
      GRAPH ?graph {{ ?fact ?property ?figure FILTER(isNumeric(?figure))
                      ?fact aicap:statedIn ?claim }}
      ?claim aicap:quote ?quote ; prov:wasDerivedFrom ?source .
      ?source a/rdfs:subClassOf* aicap:Source }}"""
    return {
        (r["graph"], r["fact"], r["claim"], r["quote"], r["source"]) for r in select(store, query)
    }


def aicap_graph_sources(store: ox.Store) -> dict[str, set[str]]:
    """The sources the claims of each graph cite: the claims it holds and those its facts
    are stated in."""
    query = f"""
    PREFIX aicap: <{AICAP}>
    PREFIX prov: <{PROV}>
    SELECT DISTINCT ?graph ?source WHERE {{
      {{ GRAPH ?graph {{ ?claim a aicap:Claim ; prov:wasDerivedFrom ?source }} }}
      UNION
      {{ GRAPH ?graph {{ ?fact aicap:statedIn ?claim }} ?claim prov:wasDerivedFrom ?source }}
    }}"""
    found: dict[str, set[str]] = defaultdict(set)
    for row in select(store, query):
        found[row["graph"]].add(row["source"])
    return dict(found)


def prov_graph_sources(store: ox.Store) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for row in select(store, PROV_GRAPH_SOURCES_QUERY):
        found[row["graph"]].add(row["source"])
    return dict(found)


def test_the_queries_use_no_aicap_term() -> None:
    for query in (PROV_ONLY_QUERY, PROV_GRAPH_SOURCES_QUERY):
        lines = query.splitlines()
        text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
        assert "aicap" not in text.lower()
        assert "w3id.org" not in text


def test_the_data_has_the_figures_counted_here(store: ox.Store) -> None:
    figures = numeric_figures(store)

    assert len(figures) == NUMERIC_FIGURES
    assert len({subject for _, subject, _, _ in figures}) == NUMERIC_SUBJECTS
    per_graph: dict[str, int] = defaultdict(int)
    for graph, *_ in figures:
        per_graph[graph] += 1
    assert per_graph == FIGURES_PER_GRAPH


def test_every_figure_reaches_a_quote_and_a_source_document_in_prov_terms(
    store: ox.Store,
) -> None:
    rows = list(select(store, PROV_ONLY_QUERY))

    reached = {figure(row) for row in rows}
    assert sorted(numeric_figures(store) - reached) == []
    assert len(reached) == NUMERIC_FIGURES
    assert len({row["fact"] for row in rows}) == NUMERIC_SUBJECTS
    # The same claims, quotes and sources as the aicap terms give, none more, none fewer.
    prov = {(r["graph"], r["fact"], r["claim"], r["quote"], r["source"]) for r in rows}
    assert prov == aicap_provenance(store)
    assert {r["source"] for r in rows} == set().union(*GRAPH_SOURCES.values())


def test_without_the_sub_property_axiom_no_figure_reaches_a_source() -> None:
    """What makes the PROV path exist: aicap:statedIn rdfs:subPropertyOf prov:wasDerivedFrom."""
    store = bundled_store()
    axiom = ox.Quad(
        ox.NamedNode(AICAP + "statedIn"),
        ox.NamedNode(RDFS + "subPropertyOf"),
        ox.NamedNode(PROV + "wasDerivedFrom"),
        ox.NamedNode(GRAPH + "ontology"),
    )
    assert axiom in store
    store.remove(axiom)

    assert list(select(store, PROV_ONLY_QUERY)) == []


def test_every_graph_of_facts_names_the_sources_its_claims_cite(store: ox.Store) -> None:
    cited = aicap_graph_sources(store)

    assert cited == GRAPH_SOURCES
    assert prov_graph_sources(store) == cited


def test_a_source_missing_from_a_graphs_record_is_noticed() -> None:
    store = bundled_store()
    store.remove(
        ox.Quad(
            ox.NamedNode(GRAPH + "announcements"),
            ox.NamedNode(PROV + "wasDerivedFrom"),
            ox.NamedNode(SOURCE + "p4-wsj-oracle-openai"),
            ox.NamedNode(GRAPH + "sources"),
        )
    )

    named = prov_graph_sources(store)

    assert aicap_graph_sources(store) == GRAPH_SOURCES
    assert GRAPH_SOURCES[GRAPH + "announcements"] - named[GRAPH + "announcements"] == {
        SOURCE + "p4-wsj-oracle-openai"
    }
