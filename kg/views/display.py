"""Figures for reading: ``USD 100 billion``, ``10 GW``, ``160,000,000 shares``, ``14%``.

The graph keeps figures in machine form (amounts in base units as ``xsd:decimal``,
fractions in [0, 1]; docs/methodology.md); pages show them the way the brief writes them.
Only the text for people changes: every serialization keeps the literal as stored.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox
from rdflib.namespace import VOID

from kg.namespaces import AICAP

SCALES: tuple[tuple[Decimal, str], ...] = (
    (Decimal(10) ** 12, "trillion"),
    (Decimal(10) ** 9, "billion"),
    (Decimal(10) ** 6, "million"),
)
"""Named scales for large counts, largest first (short scale, as the brief writes them)."""

_NUMERIC_TYPES = frozenset(
    "http://www.w3.org/2001/XMLSchema#" + name
    for name in (
        "decimal", "integer", "int", "long", "short", "double", "float",
        "nonNegativeInteger", "positiveInteger", "unsignedInt", "unsignedLong",
    )
)  # fmt: skip


def plain(number: Decimal) -> str:
    """Write a number with thousands separators and without trailing zeros (``1,300``)."""
    normal = number.normalize()
    if normal == normal.to_integral_value():
        return f"{normal.quantize(Decimal(1)):,f}"
    return f"{normal:,f}"


def scaled(number: Decimal) -> str:
    """Write a large number with its scale word: ``100 billion``, ``1,300 trillion``."""
    for factor, word in SCALES:
        if abs(number) >= factor:
            return f"{plain(number / factor)} {word}"
    return plain(number)


def usd(number: Decimal) -> str:
    """Write an amount of US dollars: ``USD 100 billion``, ``USD 350 million``."""
    return f"USD {scaled(number)}"


def percent(fraction: Decimal) -> str:
    """Write a fraction as a percentage: 0.14 is ``14%``."""
    return f"{plain(fraction * 100)}%"


def signed_percent(fraction: Decimal) -> str:
    """Write a change as a signed percentage: 0.40 is ``+40%``, -0.05 is ``-5%``."""
    return ("+" if fraction > 0 else "") + percent(fraction)


def _unit(word: str) -> Callable[[Decimal], str]:
    return lambda number: f"{plain(number)} {word}"


FORMATTERS: dict[str, Callable[[Decimal], str]] = {
    str(AICAP.amountUSD): usd,
    str(AICAP.gigawatts): _unit("GW"),
    str(AICAP.triggerGigawatts): _unit("GW"),
    str(AICAP.shares): _unit("shares"),
    str(AICAP.shareOfCapital): percent,
    str(AICAP.grossMargin): percent,
    str(AICAP.priceChange): signed_percent,
    str(AICAP.tokensPerMonth): lambda n: f"{scaled(n)} tokens",
    str(AICAP.windowDays): lambda n: f"{plain(n)} day{'' if n == 1 else 's'}",
    str(AICAP.nuclearPlantEquivalents): _unit("nuclear plants"),
    str(VOID.triples): _unit("triples"),
}
"""How each figure-bearing property is written for reading, by property IRI."""


def format_literal(predicate: str, literal: ox.Literal) -> str:
    """Return the text a page shows for a literal, given the property it is the value of.

    Figures of the properties in `FORMATTERS` get their unit and scale; other numbers get
    thousands separators; everything else (dates, text, numbers that do not parse) is
    shown as written.
    """
    formatter = FORMATTERS.get(predicate)
    numeric = literal.datatype.value in _NUMERIC_TYPES
    if formatter is None and not numeric:
        return literal.value
    try:
        number = Decimal(literal.value)
    except InvalidOperation:
        return literal.value
    if not number.is_finite():
        return literal.value
    return (formatter or plain)(number)
