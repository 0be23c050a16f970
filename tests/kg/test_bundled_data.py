"""The bundled data against the domain brief: everything is there, every figure has a source
and a quote, and every quote is the source's own text."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from bundle_loader import load_bundled

REPOSITORY = Path(__file__).resolve().parents[2]
"""aicap:localCopy paths are relative to the repository (the article and docs/ alike)."""

AICAP = "https://w3id.org/aicap/ontology#"
ID = "https://w3id.org/aicap/id/"
GRAPH = "https://w3id.org/aicap/graph/"
PREFIXES = f"""
PREFIX aicap: <{AICAP}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""

# From docs/brief.md.
BRIEF_FACTS = {f"F{n}" for n in range(1, 19)} | {f"P{n}" for n in range(1, 7)}
BRIEF_PEOPLE = {"Sam Altman", "Jensen Huang", "Lisa Su", "Yang Ren", "Bruce Liu", "Rob Li"}
BRIEF_FIRMS = {
    "OpenAI", "Nvidia", "AMD", "Oracle", "Broadcom", "CoreWeave", "AWS", "Google", "xAI",
    "Anthropic",
}  # fmt: skip
BRIEF_ROLES = {
    "Sam Altman": ("CEO", "OpenAI"),
    "Jensen Huang": ("CEO", "Nvidia"),
    "Lisa Su": ("CEO", "AMD"),
    "Yang Ren": ("co-founder", "Esoterica Capital"),
    "Bruce Liu": ("CEO and CIO", "Esoterica Capital"),
    "Rob Li": ("managing partner", "Amont Partners"),
}


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load_bundled(ox.Store())


def select(store: ox.Store, query: str) -> Iterator[dict[str, str]]:
    solutions = store.query(PREFIXES + query, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    variables = solutions.variables
    for solution in solutions:
        yield {v.value: solution[v].value for v in variables if solution[v] is not None}


def test_every_fact_and_announcement_of_the_brief_has_a_claim(store: ox.Store) -> None:
    refs = {row["ref"] for row in select(store, "SELECT ?ref { ?c aicap:briefRef ?ref }")}
    assert refs == BRIEF_FACTS


def test_every_person_of_the_brief_is_quoted_with_their_role(store: ox.Store) -> None:
    rows = list(
        select(
            store,
            """SELECT DISTINCT ?name ?title ?org {
                 ?p a aicap:Person ; rdfs:label ?name ; aicap:holdsRole ?r .
                 ?r aicap:roleTitle ?title ; aicap:roleAt/rdfs:label ?org .
                 ?claim aicap:saidBy ?p ; aicap:quote ?q }""",
        )
    )
    assert {row["name"]: (row["title"], row["org"]) for row in rows} == BRIEF_ROLES
    assert {row["name"] for row in rows} == BRIEF_PEOPLE


def test_every_firm_of_the_brief_is_a_firm(store: ox.Store) -> None:
    rows = select(store, "SELECT ?name { ?f a/rdfs:subClassOf* aicap:Firm ; rdfs:label ?name }")
    assert {row["name"] for row in rows} >= BRIEF_FIRMS


def test_every_numeric_fact_has_a_source_and_a_quote(store: ox.Store) -> None:
    numeric = list(
        select(
            store,
            """SELECT DISTINCT ?s ?p ?o {
                 GRAPH ?g { ?s ?p ?o }
                 FILTER(?g != <https://w3id.org/aicap/graph/ontology>)
                 FILTER(isNumeric(?o)) }""",
        )
    )
    assert len(numeric) >= 30  # 31 distinct figures in the bundled data
    sourced = {
        row["s"]
        for row in select(
            store,
            """SELECT DISTINCT ?s {
                 ?s aicap:statedIn ?claim .
                 ?claim aicap:quote ?quote ; prov:wasDerivedFrom ?source .
                 ?source a/rdfs:subClassOf* aicap:Source }""",
        )
    }
    unsourced = sorted({row["s"] for row in numeric} - sourced)
    assert unsourced == []


def test_every_fact_rests_on_a_claim(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?x { ?x a/rdfs:subClassOf* aicap:Fact .
                      MINUS { ?x aicap:statedIn ?c . ?c a aicap:Claim } }""",
    )
    assert [row["x"] for row in rows] == []


def test_every_quote_is_verbatim_text_of_its_local_copy(store: ox.Store) -> None:
    rows = list(
        select(
            store,
            """SELECT ?claim ?quote ?copy {
                 ?claim aicap:quote ?quote ; prov:wasDerivedFrom/aicap:localCopy ?copy }""",
        )
    )
    assert len(rows) >= 40
    texts = {copy: (REPOSITORY / copy).read_text("utf-8") for copy in {r["copy"] for r in rows}}
    misquoted = [row["claim"] for row in rows if row["quote"] not in texts[row["copy"]]]
    assert misquoted == []


def test_local_copies_match_the_recorded_sha256(store: ox.Store) -> None:
    rows = list(select(store, "SELECT ?copy ?sha { ?s aicap:localCopy ?copy ; aicap:sha256 ?sha }"))
    assert rows, "the article's record carries its SHA-256"
    for row in rows:
        digest = hashlib.sha256(Path(REPOSITORY / row["copy"]).read_bytes()).hexdigest()
        assert digest == row["sha"], row["copy"]


def test_disagreeing_sources_both_stay_each_in_its_graph(store: ox.Store) -> None:
    rows = select(
        store,
        f"""SELECT ?g ?kind {{ GRAPH ?g {{ <{ID}agreement/nvidia-openai> a ?kind }} }}""",
    )
    kinds = {(row["g"], row["kind"]) for row in rows}
    assert kinds == {
        (GRAPH + "article", AICAP + "StrategicCollaboration"),
        (GRAPH + "announcements", AICAP + "LetterOfIntent"),
    }


def test_every_source_is_described(store: ox.Store) -> None:
    rows = list(
        select(
            store,
            """SELECT ?s ?title ?issued ?lang ?publisher {
                 GRAPH <https://w3id.org/aicap/graph/sources> { ?s a ?kind }
                 ?kind rdfs:subClassOf* aicap:Source
                 OPTIONAL { ?s <http://purl.org/dc/terms/title> ?title }
                 OPTIONAL { ?s <http://purl.org/dc/terms/issued> ?issued }
                 OPTIONAL { ?s <http://purl.org/dc/terms/language> ?lang }
                 OPTIONAL { ?s <http://purl.org/dc/terms/publisher> ?publisher } }""",
        )
    )
    assert len({row["s"] for row in rows}) == 10
    incomplete = [r["s"] for r in rows if not {"title", "issued", "lang", "publisher"} <= set(r)]
    assert incomplete == []
