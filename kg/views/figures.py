"""Figures for people: ``USD 300 bn``, ``10%``, ``+40%``, ``10 GW``, ratios as ``83`` times.

The graph keeps figures in machine form (amounts in base units as ``xsd:decimal``,
fractions in [0, 1]; docs/methodology.md). What a figure means is read from the name of
its column (``amountUSD``, ``shareOfCapital``) or property (``aicap:priceChange``) and
from its datatype (only numeric literals are figures), in one table, `RULES`. The pages
(`/`, `/queries/<name>`, `/id/...`), the pictures (`kg.views.charts`) and the terminal
table (`kg.views.display.render_table`) all write figures with this module. Only the text
for people changes: pages keep the machine value one hover away, and CSV, JSON, SPARQL
results and exports carry the literal as stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pyoxigraph as ox
from rdflib.namespace import VOID

from kg.namespaces import AICAP
from kg.query.solutions import NUMERIC_DATATYPES

Number = Decimal | float | int
"""What the writers take: exact literals from the graph, floats from the pictures."""

MONEY_SCALES: tuple[tuple[int, str], ...] = ((12, "tn"), (9, "bn"), (6, "m"))
"""Scales of amounts of money, largest first: ``USD 1.2 tn``, ``USD 300 bn``, ``USD 350 m``."""

COUNT_SCALES: tuple[tuple[int, str], ...] = ((12, "trillion"), (9, "billion"), (6, "million"))
"""Scales of large counts, largest first, in words as the brief writes them."""

SCALED_DECIMALS = 1
"""Decimals of a scaled figure: ``USD 322.4 bn``, ``9.7 trillion tokens``."""

SHOWN_DECIMALS = 4
"""Decimals of a number that no rule names (the machine value keeps every digit)."""


def as_decimal(number: Number) -> Decimal:
    """Return a number as a Decimal; a float by its shortest repr, so 0.1 stays 0.1."""
    return number if isinstance(number, Decimal) else Decimal(repr(number))


def _rounded(number: Decimal, decimals: int) -> Decimal:
    """Round half up (how people round), to `decimals` places."""
    return number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def plain(number: Number, decimals: int = SHOWN_DECIMALS) -> str:
    """Write a number with thousands separators, rounded, without trailing zeros (``1,300``)."""
    rounded = _rounded(as_decimal(number), decimals)
    if rounded == rounded.to_integral_value():
        text = f"{rounded.quantize(Decimal(1)):,f}"
    else:
        text = f"{rounded.normalize():,f}"
    return "0" if text == "-0" else text


def scaled(number: Number, scales: tuple[tuple[int, str], ...] = COUNT_SCALES) -> str:
    """Write a large number with its scale: ``100 billion``, or ``100 bn`` with `MONEY_SCALES`.

    The scale is chosen on the rounded figure, so 999,960,000 is ``1 billion``, not
    ``1,000 million``; but a number below the smallest scale is written whole (999,999
    is ``999,999``): that is short enough to read, and exact.
    """
    exact = as_decimal(number)
    for index, (power, word) in enumerate(scales):
        figure = _rounded(exact.scaleb(-power), SCALED_DECIMALS)
        smallest = index == len(scales) - 1
        if abs(figure) >= 1 and not (smallest and abs(exact) < Decimal(10) ** power):
            return f"{plain(figure, SCALED_DECIMALS)} {word}"
    return plain(exact, 2)


def usd(number: Number) -> str:
    """Write an amount of US dollars: ``USD 1.2 tn``, ``USD 300 bn``, ``USD 350 m``."""
    return f"USD {scaled(number, MONEY_SCALES)}"


def percent(fraction: Number) -> str:
    """Write a fraction as a percentage: 0.14 is ``14%``, 0.0325 is ``3.3%``."""
    return f"{plain(as_decimal(fraction) * 100, 1)}%"


def signed_percent(fraction: Number) -> str:
    """Write a change as a signed percentage: 0.40 is ``+40%``, -0.05 is ``-5%``, 0 is ``0%``."""
    text = percent(fraction)
    return text if text.startswith(("-", "0%")) else f"+{text}"


def ratio(number: Number) -> str:
    """Write a multiple with the multiplication sign: 83.33 is 83 times, 2.54 is 2.5 times.

    Two figures are enough to read a ratio; the exact one stays in the data.
    """
    exact = as_decimal(number)
    return f"{plain(exact, 0 if abs(exact) >= 10 else 1)}\N{MULTIPLICATION SIGN}"


def gigawatts(number: Number) -> str:
    """Write a power: ``10 GW``, ``6.5 GW``, ``0.25 GW``."""
    return f"{plain(number, 2)} GW"


def counted(noun: str, decimals: int = 1) -> Callable[[Number], str]:
    """Return a writer of a count of `noun`: ``1 day``, ``18 months``, ``26 nuclear plants``."""

    def write(number: Number) -> str:
        text = plain(number, decimals)
        return f"{text} {noun}" if text == "1" else f"{text} {noun}s"

    return write


def counted_large(noun: str) -> Callable[[Number], str]:
    """Return a writer of a large count of `noun`: ``160 million shares``, ``5,000 shares``."""
    return lambda number: f"{scaled(number)} {noun}"


shares = counted_large("shares")
"""Write a number of shares: ``160 million shares`` (in the pictures' labels too)."""

nuclear_plants = counted("nuclear plant")
"""Write a number of nuclear plants: ``26 nuclear plants``, ``1 nuclear plant``."""


@dataclass(frozen=True)
class DisplayRule:
    """How the values of some columns and properties are written for people.

    Attributes:
        kind: what the values are (``usd``, ``fraction``, ... or ``text`` for prose).
        names: the column names and property local names it covers, matched whole after
            any step number is dropped (``amountUSD2`` of ``circular-flows`` is ``amountUSD``).
        write: how a numeric value is written; None for ``text``, which is shown as stored
            but laid out as prose (wrapped in the terminal, set under its row on pages).
    """

    kind: str
    names: re.Pattern[str]
    write: Callable[[Number], str] | None = None


def _rule(kind: str, names: str, write: Callable[[Number], str] | None = None) -> DisplayRule:
    return DisplayRule(kind, re.compile(names), write)


RULES: tuple[DisplayRule, ...] = (
    _rule("usd", r"\w*USD", usd),  # amountUSD, revenueUSD, statedTotalUSD, grossProfitUSD
    _rule("gigawatts", r"(\w*G|g)igawatts(PerPlant)?", gigawatts),  # triggerGigawatts
    _rule("fraction", r"shareOfCapital|grossMargin", percent),  # of capital, of revenue
    _rule("change", r"priceChange", signed_percent),
    _rule("ratio", r"\w+To[A-Z]\w*|growth", ratio),  # statedToRevenue, token growth
    _rule("plants", r"(\w*P|p)lantEquivalents", nuclear_plants),
    _rule("shares", r"shares", shares),
    _rule("tokens", r"(\w*T|t)okensPerMonth", counted_large("tokens")),
    _rule("days", r"windowDays", counted("day", 0)),
    _rule("months", r"monthsSince\w*", counted("month", 0)),
    _rule("triples", r"triples", counted_large("triples")),
    _rule("text", r"(\w*Q|q)uote|context|description|comment|vesting|figures|\w*[nN]ote"),
)
"""The display rules, one per kind of value; the first whose names match applies. A numeric
value that no rule names is written with separators (`plain`)."""

_FIGURE_NAMESPACES = (str(AICAP), str(VOID))
"""Properties whose local names the rules read; any other property's values are plain."""


def rule_for(name: str) -> DisplayRule | None:
    """Return the rule of a column name or property local name, if one covers it."""
    base = name.rstrip("0123456789") or name
    return next((rule for rule in RULES if rule.names.fullmatch(base)), None)


def property_name(iri: str) -> str:
    """Return the name the rules know a property by: its local name in `aicap:` or `void:`."""
    for namespace in _FIGURE_NAMESPACES:
        local = iri.removeprefix(namespace)
        if local != iri:
            return local
    return iri


def is_prose(name: str) -> bool:
    """Tell whether a column holds prose (quotes, descriptions) rather than short values."""
    rule = rule_for(name)
    return rule is not None and rule.kind == "text"


def figure_text(name: str, lexical: str, datatype: str | None) -> str | None:
    """Return how a numeric literal in column (or property) `name` is written for people.

    Returns:
        The text (``USD 300 bn``), or None when the literal is not a finite number of an
        XSD numeric datatype: it is then shown as stored.
    """
    if datatype not in NUMERIC_DATATYPES:
        return None
    try:
        number = Decimal(lexical)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    rule = rule_for(name)
    write = rule.write if rule is not None and rule.write is not None else plain
    return write(number)


def format_literal(predicate: str, literal: ox.Literal) -> str:
    """Return the text a page shows for a literal, given the property it is the value of."""
    text = figure_text(property_name(predicate), literal.value, literal.datatype.value)
    return literal.value if text is None else text
