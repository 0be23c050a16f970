"""`kg.views.resources`, `kg.views.figures`, `kg.rdf.jsonld`: one resource, with no Flask."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal

import pyoxigraph as ox
import pytest
import rdflib

from kg.config import Settings
from kg.errors import UnknownResource
from kg.namespaces import AICAP, ANNOUNCEMENTS_GRAPH, ARTICLE_GRAPH, BASE_IRI
from kg.rdf.bootstrap import bundled_load
from kg.rdf.formats import RdfSyntax, rdf_syntax
from kg.store.embedded import EmbeddedStore
from kg.views import resources
from kg.views.figures import format_literal, plain, scaled
from kg.views.resources import (
    DESCRIPTION_SYNTAXES,
    Description,
    describe_resource,
    description_prefixes,
    resource_iri,
    resource_path,
    serialize_description,
)

XSD = "http://www.w3.org/2001/XMLSchema#"
ID = BASE_IRI + "id/"
STATED_IN = ox.NamedNode(str(AICAP.statedIn))
DERIVED_FROM = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")


@pytest.fixture(scope="module")
def store() -> Iterator[EmbeddedStore]:
    """An in-memory store with the bundled ontology and data (no validation needed)."""
    store = EmbeddedStore(None)
    store.bulk_add(bundled_load(Settings()).quads)
    yield store
    store.close()


def describe(store: EmbeddedStore, path: str) -> Description:
    return describe_resource(store, resource_iri(BASE_IRI, path), BASE_IRI)


def decimal(value: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + "decimal"))


def integer(value: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + "integer"))


@pytest.mark.parametrize(
    ("prop", "literal", "text"),
    [
        ("amountUSD", decimal("100000000000.0"), "USD 100 bn"),
        ("amountUSD", decimal("22400000000"), "USD 22.4 bn"),
        ("amountUSD", decimal("350000000"), "USD 350 m"),
        ("amountUSD", decimal("5000"), "USD 5,000"),
        ("gigawatts", decimal("10.0"), "10 GW"),
        ("shares", integer("160000000"), "160 million shares"),
        ("grossMargin", decimal("0.14"), "14%"),
        ("shareOfCapital", decimal("0.10"), "10%"),
        ("priceChange", decimal("0.40"), "+40%"),
        ("priceChange", decimal("-0.05"), "-5%"),
        ("tokensPerMonth", decimal("9700000000000"), "9.7 trillion tokens"),
        ("tokensPerMonth", decimal("1300000000000000"), "1,300 trillion tokens"),
        ("windowDays", integer("1"), "1 day"),
        ("periodNote", ox.Literal("在2026年前"), "在2026年前"),
        ("amountUSD", decimal("not a number"), "not a number"),
    ],
)  # fmt: skip
def test_figures_are_written_for_reading(prop: str, literal: ox.Literal, text: str) -> None:
    assert format_literal(str(AICAP[prop]), literal) == text


def test_numbers_without_a_unit_get_separators_and_lose_trailing_zeros() -> None:
    assert plain(Decimal("12345.50")) == "12,345.5"
    assert plain(Decimal("83.333333333")) == "83.3333"  # the page rounds; the data does not
    assert plain(Decimal("1E+1")) == "10"
    assert scaled(Decimal("999999")) == "999,999"


def test_a_fact_is_described_with_types_formatted_figures_graphs_and_claims(
    store: EmbeddedStore,
) -> None:
    d = describe(store, "investment/nvidia-openai")

    assert d.title == "Nvidia: up to USD 100 billion invested in OpenAI"
    assert [t.text for t in d.types] == ["investment commitment"]
    amount = one(d, "amount (USD)")
    assert (amount.other.text, amount.other.lexical) == ("USD 100 bn", "100000000000")
    assert amount.other.datatype == XSD + "decimal"
    assert {g.iri for g in amount.graphs} == {str(ARTICLE_GRAPH), str(ANNOUNCEMENTS_GRAPH)}
    party = one(d, "from party")
    assert (party.other.text, party.other.path) == ("Nvidia", "firm/nvidia")


def test_each_claim_comes_with_its_quote_language_and_source_title(store: EmbeddedStore) -> None:
    d = describe(store, "investment/nvidia-openai")

    claims = {c.node.path: c for c in d.claims}
    assert set(claims) == {"claim/article/f6-investment", "claim/announcements/p1"}
    article = claims["claim/article/f6-investment"]
    assert article.quotes[0].language == "zh"
    assert article.quotes[0].value.startswith("英伟达亦承诺")
    assert article.brief_ref == "F6"
    (source,) = article.sources
    assert source.node.path == "source/article-ai-capital-cycle"
    assert {t.language for t in source.titles} == {"zh", "en"}
    assert [g.iri for g in article.graphs] == [str(ARTICLE_GRAPH)]


def test_a_claim_rests_on_itself_and_names_who_said_it(store: EmbeddedStore) -> None:
    d = describe(store, "claim/article/f4-altman-financing-model")

    (claim,) = d.claims
    assert claim.node.path == "claim/article/f4-altman-financing-model"
    assert [p.text for p in claim.said_by] == ["Sam Altman"]
    assert claim.said_on == "2025-08"


def test_incoming_links_name_the_resources_that_point_here(store: EmbeddedStore) -> None:
    d = describe(store, "firm/nvidia")

    pointing = {(s.other.path, s.predicate.text) for s in d.referenced_by}
    assert ("investment/nvidia-openai", "from party") in pointing
    assert ("obligation/openai-nvidia-10gw", "to party") in pointing
    assert not d.referenced_by_cut


def test_incoming_links_are_cut_at_the_limit(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = describe(store, "firm/openai")
    monkeypatch.setattr(resources, "INCOMING_LIMIT", 2)

    d = describe(store, "firm/openai")

    assert d.referenced_by_cut
    assert len(d.referenced_by) <= 2 < len(whole.referenced_by)
    assert len(d.quads) < len(whole.quads)


def test_the_rdf_description_is_the_scbd_plus_claims_and_sources(store: EmbeddedStore) -> None:
    d = describe(store, "obligation/openai-amd-6gw")
    node = ox.NamedNode(d.iri)
    claims = {named(q.object) for q in store.quads(subject=node, predicate=STATED_IN)}
    sources = {
        named(q.object) for c in claims for q in store.quads(subject=c, predicate=DERIVED_FROM)
    }

    expected = {
        *store.quads(subject=node),
        *store.quads(object=node),
        *(q for c in claims for q in store.quads(subject=c)),
        *(q for s in sources for q in store.quads(subject=s)),
    }
    assert set(d.quads) == expected
    assert len(d.quads) == len(expected)


def test_a_resource_without_triples_is_unknown(store: EmbeddedStore) -> None:
    with pytest.raises(UnknownResource, match="firm/nope"):
        describe(store, "firm/nope")


def test_a_path_that_is_no_iri_is_unknown(store: EmbeddedStore) -> None:
    with pytest.raises(UnknownResource):
        describe(store, "firm/open ai<>")


@pytest.mark.parametrize("syntax", DESCRIPTION_SYNTAXES, ids=lambda s: s.name)
def test_every_rdf_form_parses_back_to_the_description(
    store: EmbeddedStore, syntax: RdfSyntax
) -> None:
    d = describe(store, "grant/amd-openai-warrant")

    body = serialize_description(d, syntax, BASE_IRI)

    parsed = list(ox.parse(body, format=syntax.ox_format))
    if syntax.supports_datasets and syntax.name != "jsonld":
        assert set(parsed) == set(d.quads)
    else:
        assert {triple_of(t) for t in parsed} == {q.triple for q in d.quads}


def test_json_ld_has_a_context_of_the_project_prefixes_and_compact_iris(
    store: EmbeddedStore,
) -> None:
    d = describe(store, "grant/amd-openai-warrant")

    body = serialize_description(d, rdf_syntax("jsonld"), BASE_IRI)

    document = json.loads(body)
    assert document["@context"]["aicap"] == str(AICAP)
    assert document["@context"]["id"] == ID
    node = next(n for n in document["@graph"] if n["@id"] == "id:grant/amd-openai-warrant")
    assert node["@type"] == ["aicap:Warrant"]
    assert node["aicap:shares"] == [{"@value": "160000000", "@type": "xsd:integer"}]
    expanded = rdflib.Graph().parse(data=body, format="json-ld")
    assert len(expanded) == len({q.triple for q in d.quads})


def test_resource_paths_follow_the_configured_base() -> None:
    base = "http://kg.example.test/data/"

    assert resource_iri(base, "firm/x") == "http://kg.example.test/data/id/firm/x"
    assert resource_path(base, "http://kg.example.test/data/id/firm/x") == "firm/x"
    assert resource_path(base, ID + "firm/x") is None
    assert resource_path(base, base + "id/") is None
    assert description_prefixes(base)["id"] == base + "id/"


def test_the_new_library_modules_leave_flask_out() -> None:
    script = (
        "import sys, kg.views.resources, kg.rdf.export, kg.views.display, kg.rdf.jsonld\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'server'}))\n"
    )

    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )

    assert run.stdout.strip() == "[]"


def one(d: Description, predicate: str) -> resources.Statement:
    (statement,) = [s for s in d.facts if s.predicate.text == predicate]
    return statement


def named(term: object) -> ox.NamedNode:
    assert isinstance(term, ox.NamedNode)
    return term


def triple_of(item: ox.Triple | ox.Quad) -> ox.Triple:
    return item.triple if isinstance(item, ox.Quad) else item
