"""`kg.views.figures`: the one table of display rules, and how each kind of figure reads.

What the pages do with these texts (the exact value kept in a ``title``) is in
tests/server/test_pages.py; the terminal table in test_display.py.
"""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox
import pytest

from kg.bundled import BUNDLE_DIR
from kg.namespaces import AICAP
from kg.views.figures import (
    RULES,
    figure_text,
    format_literal,
    is_prose,
    percent,
    plain,
    ratio,
    rule_for,
    scaled,
    signed_percent,
    usd,
)

XSD = "http://www.w3.org/2001/XMLSchema#"
DECIMAL, INTEGER, DOUBLE, STRING = XSD + "decimal", XSD + "integer", XSD + "double", XSD + "string"
TIMES = "\N{MULTIPLICATION SIGN}"


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("300000000000", "USD 300 bn"),
        ("1200000000000", "USD 1.2 tn"),
        ("1000000000000", "USD 1 tn"),
        ("322400000000", "USD 322.4 bn"),
        ("350000000", "USD 350 m"),
        ("999960000", "USD 1 bn"),  # rounds up into the next scale, not "1,000 m"
        ("999999", "USD 999,999"),  # below a million: whole
        ("5000", "USD 5,000"),
        ("950.5", "USD 950.5"),
        ("0", "USD 0"),
        ("-5000000000", "USD -5 bn"),
    ],
)
def test_amounts_in_usd_read_with_their_scale(amount: str, text: str) -> None:
    assert usd(Decimal(amount)) == text
    assert figure_text("amountUSD", amount, DECIMAL) == text


@pytest.mark.parametrize(
    ("fraction", "text"),
    [("0.1", "10%"), ("0.14", "14%"), ("0.0325", "3.3%"), ("1", "100%"), ("0", "0%")],
)
def test_fractions_of_capital_read_as_percentages(fraction: str, text: str) -> None:
    assert percent(Decimal(fraction)) == text
    assert figure_text("shareOfCapital", fraction, DECIMAL) == text


@pytest.mark.parametrize(
    ("change", "text"),
    [("0.40", "+40%"), ("0.39", "+39%"), ("-0.05", "-5%"), ("-0.125", "-12.5%"), ("0", "0%"),
     ("-0.00001", "0%")],  # a move that rounds to nothing has no sign
)  # fmt: skip
def test_price_moves_read_as_signed_percentages(change: str, text: str) -> None:
    assert signed_percent(Decimal(change)) == text
    assert figure_text("priceChange", change, DECIMAL) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [("83.333333333333333333", f"83{TIMES}"), ("26.87", f"27{TIMES}"), ("134.02", f"134{TIMES}"),
     ("2.54", f"2.5{TIMES}"), ("0", f"0{TIMES}")],
)  # fmt: skip
def test_ratios_read_as_multiples(value: str, text: str) -> None:
    assert ratio(Decimal(value)) == text
    assert figure_text("statedToRevenue", value, DECIMAL) == text


@pytest.mark.parametrize(
    ("column", "lexical", "datatype", "text"),
    [
        ("gigawatts", "10.0", DECIMAL, "10 GW"),
        ("itemisedNonBindingGigawatts", "6.5", DECIMAL, "6.5 GW"),
        ("gigawattsPerPlant", "1", DECIMAL, "1 GW"),
        ("amountUSD2", "300000000000", DECIMAL, "USD 300 bn"),  # circular-flows' step columns
        ("grossProfitUSD", "126000000", DECIMAL, "USD 126 m"),
        ("grossMargin", "0.14", DECIMAL, "14%"),
        ("growth", "134.020618556701030927", DECIMAL, f"134{TIMES}"),
        ("plantEquivalents", "26", DECIMAL, "26 nuclear plants"),
        ("shares1", "160000000", INTEGER, "160 million shares"),
        ("tokensPerMonth", "1300000000000000", DECIMAL, "1,300 trillion tokens"),
        ("windowDays", "1", INTEGER, "1 day"),
        ("monthsSincePrevious", "18", INTEGER, "18 months"),
        ("amountUSD", "3.0E11", DOUBLE, "USD 300 bn"),
        ("obligationsWithAmount", "1234", INTEGER, "1,234"),  # a count without a rule
        ("figure", "83.333333333", DECIMAL, "83.3333"),  # a number without a unit
    ],
)
def test_each_column_reads_by_its_name(column: str, lexical: str, datatype: str, text: str) -> None:
    assert figure_text(column, lexical, datatype) == text


@pytest.mark.parametrize(
    ("lexical", "datatype"),
    [("300000000000", STRING), ("about 300 billion", DECIMAL), ("NaN", DOUBLE), ("INF", DOUBLE),
     ("2025-10", XSD + "gYearMonth")],
)  # fmt: skip
def test_what_is_not_a_finite_number_is_shown_as_stored(lexical: str, datatype: str) -> None:
    assert figure_text("amountUSD", lexical, datatype) is None


def test_properties_read_by_their_local_name_in_the_aicap_namespace_only() -> None:
    amount = ox.Literal("100000000000", datatype=ox.NamedNode(DECIMAL))
    assert format_literal(str(AICAP.amountUSD), amount) == "USD 100 bn"
    assert format_literal("https://example.org/amountUSD", amount) == "100,000,000,000"
    triples = ox.Literal("1651", datatype=ox.NamedNode(INTEGER))
    assert format_literal("http://rdfs.org/ns/void#triples", triples) == "1,651 triples"


def test_every_numeric_property_of_the_ontology_has_a_rule() -> None:
    """A figure the ontology adds is written with its unit, or this test names it."""
    ontology = ox.Store()
    for path in (BUNDLE_DIR / "ontology").glob("*.ttl"):
        ontology.load(path=path, format=ox.RdfFormat.TURTLE)
    numeric = [
        str(row["p"].value).removeprefix(str(AICAP))
        for row in ontology.query(
            "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
            "SELECT ?p WHERE { ?p <http://www.w3.org/2000/01/rdf-schema#range> ?r "
            "FILTER(?r IN (xsd:decimal, xsd:integer, xsd:double)) }"
        )
    ]
    assert {"amountUSD", "shareOfCapital", "priceChange"} <= set(numeric)
    counts = {"trancheIndex", "quadsAdded", "quadsRemoved"}  # plain counts read right
    assert [p for p in numeric if p not in counts and rule_for(p) is None] == []


def test_prose_columns_are_the_quotes_and_descriptions() -> None:
    for column in ("quote", "revenueQuote", "context", "vesting", "periodNote", "description"):
        assert is_prose(column), column
    for column in ("source", "amountUSD", "firmLabel", "direction", "agreement"):
        assert not is_prose(column), column


def test_each_kind_has_one_rule() -> None:
    kinds = [rule.kind for rule in RULES]
    assert len(kinds) == len(set(kinds))


def test_plain_numbers_are_grouped_rounded_and_lose_trailing_zeros() -> None:
    assert plain(Decimal("12345.50")) == "12,345.5"
    assert plain(Decimal("-0.00001")) == "0"
    assert scaled(Decimal("9700000000000")) == "9.7 trillion"
    assert scaled(Decimal("999999")) == "999,999"
    assert usd(3.224e11) == "USD 322.4 bn"  # the pictures' floats read the same
