"""The 12 stored queries answer the analyst questions of docs/brief.md.

Each query runs on the bundled data as the service runs it (the union of all graphs as the
default graph, parameters bound as typed terms through pyoxigraph's substitutions) and its
answer is checked against the brief's facts, written out below: what must be there, and
what must not. The queries must also be valid SPARQL 1.1 with a complete `#+` header, and
give the same answer when every triple is stated twice or the reasoner's entailments are
stored beside the data.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import yaml
from bundle_loader import load_bundled
from rdflib.plugins.sparql import prepareQuery

ROOT = Path(__file__).resolve().parents[3]
QUERIES = ROOT / "queries"
ID = "https://w3id.org/aicap/id/"
GRAPH = "https://w3id.org/aicap/graph/"
FIRM = ID + "firm/"
PERSON = ID + "person/"
ARTICLE = ID + "source/article-ai-capital-cycle"
AMD_ANNOUNCEMENT = ID + "source/p2-amd-openai-agreement"
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("decimal", "integer", "double", "float", "int", "long")}
SEPARATOR = " | "
"""How the queries join several values in one column."""

Row = dict[str, Any]

# ---- the contract (docs/contract.md, "Stored queries") -----------------------------

CONTRACT_PARAMS: dict[str, dict[str, bool]] = {
    "loi-only-obligations": {},
    "circular-flows": {"firm": False},
    "commitments-vs-revenue": {"firm": False},
    "committed-gigawatts": {},
    "equity-for-orders": {},
    "counterparty-exposure": {"firm": True},
    "credit-on-nonbinding": {},
    "funding-sources": {},
    "share-price-reactions": {},
    "gpu-rental-margin": {},
    "token-demand-growth": {},
    "claims-and-sources": {"firm": False, "person": False},
}
"""Each stored query's parameters, and whether each is required."""
NAMES = list(CONTRACT_PARAMS)
PARAM_TYPES = {"firm", "person", "string", "integer", "decimal", "iri"}

# ---- the brief (docs/brief.md) ------------------------------------------------

BRIEF_QUESTIONS = {
    "loi-only-obligations": "Which obligations rest only on non-binding agreements (letters"
    " of intent, term sheets)?",
    "circular-flows": "Which money flows form a loop back to where they started (the circular"
    " financing), and through whom?",
    "commitments-vs-revenue": "How large are a firm's total commitments against its revenue"
    " (OpenAI: about USD 1 trillion against USD 12 billion)?",
    "committed-gigawatts": "How many gigawatts are committed, by whom, to whom, and what does"
    " that equal in nuclear plants?",
    "equity-for-orders": "Which suppliers gave equity to win orders: how many shares, what share"
    " of capital, on what vesting conditions?",
    "counterparty-exposure": "If one counterparty fails (OpenAI), which firms lose what:"
    " contracts, investments, warrants, loans?",
    "credit-on-nonbinding": "Which financing rests on agreements that are not binding (credit"
    " raised on a letter of intent)?",
    "funding-sources": "Who funds from its own cash and who borrows, and from which kind of"
    " lender?",
    "share-price-reactions": "How did share prices react to deal announcements?",
    "gpu-rental-margin": "What margin does renting GPUs earn (Oracle: USD 900 million of revenue"
    " at 14% gross margin)?",
    "token-demand-growth": "How fast is demand growing (tokens per month over time)?",
    "claims-and-sources": "Who said what, when, and on which source does each figure rest?",
}

# Q1, reading note 1: the Nvidia deal is a letter of intent (P1), the Broadcom deal a term
# sheet (P3); AMD (P2), Oracle (P4) and CoreWeave (P5, P6) are binding.
# (obligor, counterparty) -> (agreement form, gigawatts, amountUSD)
BRIEF_Q1 = {
    ("OpenAI", "Nvidia"): ("letter of intent", Decimal(10), None),  # P1: at least 10 GW
    ("Nvidia", "OpenAI"): ("letter of intent", None, Decimal("100e9")),  # P1: up to USD 100bn
    ("OpenAI", "Broadcom"): ("term sheet", Decimal(10), None),  # P3: 10 GW
}
BRIEF_Q1_BINDING = {"AMD", "Oracle", "CoreWeave"}

# Q2, F5: Nvidia invests in OpenAI, OpenAI pays Oracle, Oracle buys Nvidia chips; F6/P1:
# Nvidia invests in OpenAI, OpenAI buys 10 GW of Nvidia systems.
BRIEF_Q2_TRIANGLE = (
    ("Nvidia", "investment commitment"),
    ("OpenAI", "payment obligation"),
    ("Oracle", "supply relationship"),
)
BRIEF_Q2_NVIDIA_OPENAI = (
    ("Nvidia", "investment commitment"),
    ("OpenAI", "compute capacity obligation"),
)
BRIEF_Q2_NOT_IN_LOOPS = {"Banks", "Private credit", "Sovereign wealth funds", "Google"}
# The figures on the loops' steps, whatever the loop: (from, to) -> (figure column, figure,
# binding). P1: up to USD 100bn for at least 10 GW on a letter of intent; P4: about USD 300bn;
# P2: 6 GW and the warrant for 160 million shares; P5: USD 11.9bn + 4bn + 6.5bn of contracts
# and USD 350m of shares; P6: USD 6.3bn of capacity.
BRIEF_Q2_STEPS = {
    ("Nvidia", "OpenAI"): ("amountUSD", Decimal("100e9"), False),
    ("OpenAI", "Nvidia"): ("gigawatts", Decimal(10), False),
    ("OpenAI", "Oracle"): ("amountUSD", Decimal("300e9"), True),
    ("OpenAI", "AMD"): ("gigawatts", Decimal(6), True),
    ("AMD", "OpenAI"): ("shares", Decimal(160_000_000), True),
    ("OpenAI", "CoreWeave"): ("amountUSD", Decimal("22.4e9"), True),
    ("CoreWeave", "OpenAI"): ("amountUSD", Decimal("350e6"), True),
    ("Nvidia", "CoreWeave"): ("amountUSD", Decimal("6.3e9"), True),
}
BRIEF_Q2_FIGURES = ("amountUSD", "gigawatts", "shares")
# F5: Oracle buys Nvidia chips; no source gives a figure or an agreement for it.
BRIEF_Q2_NO_FIGURE = ("Oracle", "Nvidia")

# Q3, F2 and F3: about USD 1 trillion of agreements against USD 12 billion annual revenue.
# Itemised: the obligations with an amount, each once: Oracle (P4, F7) and CoreWeave (P5).
BRIEF_Q3_OPENAI_STATED = Decimal("1e12")
BRIEF_Q3_OPENAI_REVENUE = Decimal("12e9")
BRIEF_Q3_OPENAI_ITEMISED = Decimal("300e9") + Decimal("11.9e9") + Decimal("4e9") + Decimal("6.5e9")
# Of these, reading note 1: OpenAI's amounts (Oracle, CoreWeave) all bind; its 10 GW for
# Nvidia (P1) and 10 GW for Broadcom (P3) do not. Nvidia's up to USD 100bn (P1) does not.
BRIEF_Q3_OPENAI_NON_BINDING = {
    "itemisedNonBindingUSD": Decimal(0),
    "itemisedNonBindingGigawatts": Decimal(20),
}
BRIEF_Q3_NVIDIA_NON_BINDING = {
    "itemisedNonBindingUSD": Decimal("100e9"),
    "itemisedNonBindingGigawatts": Decimal(0),
}

# Q4, P1/F6, P2/F10, P3/F1 and F2: GW committed by OpenAI, and the article's 20 plants.
BRIEF_Q4 = {
    ("OpenAI", "Nvidia"): Decimal(10),
    ("OpenAI", "AMD"): Decimal(6),
    ("OpenAI", "Broadcom"): Decimal(10),
}
BRIEF_Q4_ARTICLE_PLANTS = Decimal(20)
# Reading note 1: the Nvidia 10 GW rest on a letter of intent (P1), the Broadcom 10 GW on a
# term sheet (P3); AMD's 6 GW on a definitive agreement (P2).
BRIEF_Q4_BINDING = {
    ("OpenAI", "Nvidia"): False,
    ("OpenAI", "AMD"): True,
    ("OpenAI", "Broadcom"): False,
}
BRIEF_Q4_NON_BINDING = Decimal(20)

# Q5, F10/P2: AMD's warrant for up to 160 million shares, about 10% of its capital, vesting
# with deployment and share price; P5: USD 350 million of CoreWeave shares to OpenAI.
BRIEF_Q5_AMD = {
    "customer": "OpenAI",
    "shares": Decimal(160_000_000),
    "shareOfCapital": Decimal("0.10"),
}
BRIEF_Q5_AMD_CONDITIONS = {"deployment milestone", "share-price target"}
# P2: the first tranche vests on the first 1 GW deployed, later tranches as purchases scale
# to 6 GW (the graph has two tranches): (index, trigger GW), in order.
BRIEF_Q5_AMD_TRANCHES = [(1, Decimal(1)), (2, Decimal(6))]
VESTING_PART = re.compile(r"tranche (\d+) at ([0-9.]+) GW: (.+)")
"""One tranche in ``vesting``: its index, trigger in GW and condition."""
BRIEF_Q5_COREWEAVE = {"customer": "OpenAI", "amountUSD": Decimal("350e6")}

# Q6 for OpenAI: who loses what. counterparty -> {(kind, figure column, figure, binding)}
BRIEF_Q6_OPENAI = {
    "Nvidia": {
        ("contract", "gigawatts", Decimal(10), False),
        ("investment", "amountUSD", Decimal("100e9"), False),
    },
    "AMD": {
        ("contract", "gigawatts", Decimal(6), True),
        ("warrant", "shares", Decimal(160_000_000), True),
    },
    "Oracle": {("contract", "amountUSD", Decimal("300e9"), True)},
    "Broadcom": {("contract", "gigawatts", Decimal(10), False)},
    "CoreWeave": {
        ("contract", "amountUSD", Decimal("11.9e9"), True),
        ("contract", "amountUSD", Decimal("4e9"), True),
        ("contract", "amountUSD", Decimal("6.5e9"), True),
        ("equity", "amountUSD", Decimal("350e6"), True),
    },
}
BRIEF_Q6_LENDERS = {"Banks", "Private credit", "Sovereign wealth funds"}  # F15

# Q7, F16 and reading note 2: OpenAI and Oracle raise bank money on non-binding agreements.
BRIEF_Q7 = {
    "OpenAI": ("只要我们获得贷款,就能立即启动生产", {"letter of intent", "term sheet"}),
    "Oracle": ("只要我们建成数据中心,OpenAI就会入驻租赁", {"letter of intent"}),
}

# Q8, F15: only Nvidia invests its own cash; the others borrow from banks, private credit
# and sovereign wealth funds.
BRIEF_Q8_OWN_CASH = {"Nvidia"}
BRIEF_Q8_BORROWERS = {"OpenAI", "Oracle"}
BRIEF_Q8_LENDER_KINDS = {"bank", "private credit provider", "sovereign wealth fund"}

# Q9, F12 and F13.
BRIEF_Q9_AMD = {
    "direction": "up",
    "priceChange": Decimal("0.40"),
    "changeBound": "at least",
    "windowDays": Decimal(2),
}
BRIEF_Q9_ORACLE_RISE = {"direction": "up", "priceChange": Decimal("0.39"), "windowDays": Decimal(1)}

# Q10, F14: about USD 900 million in the latest quarter at 14 cents per dollar.
BRIEF_Q10 = {
    "firmLabel": "Oracle",
    "revenueUSD": Decimal("900e6"),
    "grossMargin": Decimal("0.14"),
    "period": "quarterly",
}

# Q11, F17: Google, 9.7 trillion tokens a month in April 2024, 1,300 trillion in October 2025.
BRIEF_Q11 = [("2024-04", Decimal("9.7e12")), ("2025-10", Decimal("1.3e15"))]

# Q12: the six people quoted, and reading note 3 (figures paired with their source).
BRIEF_PEOPLE = {"Sam Altman", "Jensen Huang", "Lisa Su", "Yang Ren", "Bruce Liu", "Rob Li"}
BRIEF_Q12_REVENUE_QUOTE = "OpenAI当前年营收仅为120亿美元"  # F3, the article
BRIEF_Q12_ALTMAN = ("我认为我创造了一种全新的融资模式", "2025-08")  # F4, the August dinner


# ---- running the queries --------------------------------------------------------------


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    load_bundled(store)
    return store


def read_query(name: str) -> tuple[dict[str, Any], str]:
    """Return the query's `#+` header, parsed, and its text."""
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    header = "\n".join(line[3:] for line in text.splitlines() if line.startswith("#+ "))
    return yaml.safe_load(header), text


def python_value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Any:
    if isinstance(term, ox.Literal):
        if term.datatype.value in NUMERIC:
            return Decimal(term.value)
        if term.datatype.value == XSD + "boolean":
            return term.value in ("true", "1")
        return term.value
    if isinstance(term, ox.NamedNode):
        return term.value
    return str(term)


def run(store: ox.Store, name: str, **params: str) -> list[Row]:
    """Run a stored query with its parameters bound to IRIs; rows map column to value."""
    header, text = read_query(name)
    declared = {p["name"] for p in header["params"]}
    assert set(params) <= declared, f"{name} has no parameter {set(params) - declared}"
    substitutions = {ox.Variable(k): ox.NamedNode(v) for k, v in params.items()}
    solutions = store.query(
        text, use_default_graph_as_union=True, substitutions=substitutions or None
    )
    assert isinstance(solutions, ox.QuerySolutions)
    columns = [v.value for v in solutions.variables]
    return [{c: python_value(s[c]) for c in columns if s[c] is not None} for s in solutions]


def parts(value: str) -> set[str]:
    return set(value.split(SEPARATOR))


def one(rows: Iterable[Row], **where: Any) -> Row:
    found = [r for r in rows if all(r.get(k) == v for k, v in where.items())]
    assert len(found) == 1, f"expected one row with {where}, got {len(found)}"
    return found[0]


# ---- one check per question -------------------------------------------------------------


def check_loi_only_obligations(store: ox.Store) -> None:
    rows = run(store, "loi-only-obligations")
    found = {
        (r["obligorLabel"], r["counterpartyLabel"]): (
            r["agreementKind"], r.get("gigawatts"), r.get("amountUSD")
        )
        for r in rows
    }  # fmt: skip
    assert found == BRIEF_Q1
    named = {r["obligorLabel"] for r in rows} | {r["counterpartyLabel"] for r in rows}
    assert not named & BRIEF_Q1_BINDING
    for row in rows:
        assert row["source"].startswith(ID + "source/p") and row["quote"]


def canonical_loop(steps: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The loop's steps (firm, kind of the step leaving it) from its smallest firm on."""
    start = min(range(len(steps)), key=lambda i: steps[i][0])
    return steps[start:] + steps[:start]


def loops(rows: list[Row]) -> list[tuple[tuple[str, str], ...]]:
    return [
        tuple((r[f"firm{i}Label"], r[f"kind{i}"]) for i in range(1, int(r["length"]) + 1))
        for r in rows
    ]


def steps(row: Row) -> list[tuple[int, str, str]]:
    """A loop's steps: (index, firm it leaves, firm it reaches), the last back to the first."""
    length = int(row["length"])
    firms = [row[f"firm{i}Label"] for i in range(1, length + 1)]
    return [(i + 1, firms[i], firms[(i + 1) % length]) for i in range(length)]


def check_circular_flow_figures(rows: list[Row]) -> None:
    """Each step of a loop carries the figures and bindingness of its transfers."""
    seen = set()
    for row in rows:
        for i, source, target in steps(row):
            figures = {c: row[f"{c}{i}"] for c in BRIEF_Q2_FIGURES if f"{c}{i}" in row}
            if (source, target) in BRIEF_Q2_STEPS:
                column, figure, binding = BRIEF_Q2_STEPS[(source, target)]
                assert figures == {column: figure}, (row["path"], source, target)
                assert row.get(f"binding{i}") is binding, (row["path"], source, target)
                seen.add((source, target))
            if (source, target) == BRIEF_Q2_NO_FIGURE:
                assert not figures and f"binding{i}" not in row, row["path"]
        beyond = range(int(row["length"]) + 1, 5)
        assert not {f"{c}{i}" for c in (*BRIEF_Q2_FIGURES, "binding") for i in beyond} & set(row)
    assert seen == set(BRIEF_Q2_STEPS)


def check_circular_flows(store: ox.Store) -> None:
    rows = run(store, "circular-flows")
    check_circular_flow_figures(rows)
    every = loops(rows)
    canonical = [canonical_loop(loop) for loop in every]
    assert len(set(canonical)) == len(canonical), "a loop is listed twice"
    for expected in (BRIEF_Q2_TRIANGLE, BRIEF_Q2_NVIDIA_OPENAI):
        assert canonical_loop(expected) in canonical
    assert all(2 <= len(loop) <= 4 for loop in every)
    assert not {firm for loop in every for firm, _ in loop} & BRIEF_Q2_NOT_IN_LOOPS

    through_oracle = loops(run(store, "circular-flows", firm=FIRM + "oracle"))
    assert canonical_loop(BRIEF_Q2_TRIANGLE) in [canonical_loop(x) for x in through_oracle]
    assert all("Oracle" in {firm for firm, _ in loop} for loop in through_oracle)
    assert len(through_oracle) < len(every)


def check_commitments_vs_revenue(store: ox.Store) -> None:
    for rows in (
        run(store, "commitments-vs-revenue"),
        run(store, "commitments-vs-revenue", firm=FIRM + "openai"),
    ):
        openai = one(rows, firmLabel="OpenAI")
        assert openai["statedTotalUSD"] == BRIEF_Q3_OPENAI_STATED
        assert openai["revenueUSD"] == BRIEF_Q3_OPENAI_REVENUE
        assert openai["revenuePeriod"] == "annual"
        assert openai["itemisedUSD"] == BRIEF_Q3_OPENAI_ITEMISED
        assert float(openai["statedToRevenue"]) == pytest.approx(
            float(BRIEF_Q3_OPENAI_STATED / BRIEF_Q3_OPENAI_REVENUE)
        )
        assert openai["source"] == ARTICLE and "一万亿美元" in openai["quote"]
        assert (
            openai["revenueSource"] == ARTICLE and BRIEF_Q12_REVENUE_QUOTE in openai["revenueQuote"]
        )
        assert {k: openai[k] for k in BRIEF_Q3_OPENAI_NON_BINDING} == BRIEF_Q3_OPENAI_NON_BINDING
        assert openai["itemisedGigawatts"] == sum(BRIEF_Q4.values())
    assert [r["firmLabel"] for r in rows] == ["OpenAI"]
    nvidia = one(run(store, "commitments-vs-revenue"), firmLabel="Nvidia")
    assert {k: nvidia[k] for k in BRIEF_Q3_NVIDIA_NON_BINDING} == BRIEF_Q3_NVIDIA_NON_BINDING


def check_committed_gigawatts(store: ox.Store) -> None:
    rows = run(store, "committed-gigawatts")
    found = {(r["firmLabel"], r["counterpartyLabel"]): r["gigawatts"] for r in rows}
    assert found == BRIEF_Q4 and len(rows) == len(BRIEF_Q4)
    assert {
        (r["firmLabel"], r["counterpartyLabel"]): r["binding"] for r in rows
    } == BRIEF_Q4_BINDING
    total = sum(BRIEF_Q4.values())
    # Summing the rows gives the total, and the non-binding rows its non-binding part: the
    # gigawatts that loi-only-obligations lists.
    assert sum(r["gigawatts"] for r in rows) == total
    non_binding = sum(r["gigawatts"] for r in rows if r["binding"] is False)
    assert non_binding == BRIEF_Q4_NON_BINDING
    loi_only = {r["obligation"]: r.get("gigawatts") for r in run(store, "loi-only-obligations")}
    assert sum(v for v in loi_only.values() if v is not None) == BRIEF_Q4_NON_BINDING
    for row in rows:
        assert row["totalGigawatts"] == total == row["firmGigawatts"]
        assert row["totalNonBindingGigawatts"] == BRIEF_Q4_NON_BINDING
        assert (set(row["obligations"].split(SEPARATOR)) <= set(loi_only)) is not row["binding"]
        assert row["totalPlantEquivalents"] == total / row["gigawattsPerPlant"]
        assert row["plantEquivalents"] == row["gigawatts"] / row["gigawattsPerPlant"]
        assert row["statedPlantEquivalents"] == BRIEF_Q4_ARTICLE_PLANTS
        assert row["statedPlantSource"] == ARTICLE
        assert row["conventionSource"] == ID + "source/methodology"
        assert row["source"] and row["quote"]


def check_equity_for_orders(store: ox.Store) -> None:
    rows = run(store, "equity-for-orders")
    assert {r["supplierLabel"] for r in rows} == {"AMD", "CoreWeave"}
    assert len({r["grant"] for r in rows}) == len(rows), "one row per grant"
    amd = one(rows, supplierLabel="AMD")  # the warrant once, not once per tranche
    assert amd["customerLabel"] == BRIEF_Q5_AMD["customer"]
    assert amd["shares"] == BRIEF_Q5_AMD["shares"]
    assert amd["shareOfCapital"] == BRIEF_Q5_AMD["shareOfCapital"]
    assert amd["orderGigawatts"] == Decimal(6)
    assert amd["tranches"] == len(BRIEF_Q5_AMD_TRANCHES)
    vesting = [VESTING_PART.fullmatch(part) for part in amd["vesting"].split(SEPARATOR)]
    assert all(vesting), amd["vesting"]
    found = [(int(m[1]), Decimal(m[2])) for m in vesting if m]
    assert found == BRIEF_Q5_AMD_TRANCHES
    assert all(m and m[3] for m in vesting)
    assert parts(amd["conditionKinds"]) >= BRIEF_Q5_AMD_CONDITIONS
    assert {ARTICLE, AMD_ANNOUNCEMENT} <= parts(amd["source"])
    # Summing the shares column counts each grant once.
    grants = store.query(
        """PREFIX aicap: <https://w3id.org/aicap/ontology#>
        SELECT ?grant (MAX(?shares) AS ?grantShares)
        WHERE { ?grant aicap:inConsiderationOf [] ; aicap:shares ?shares } GROUP BY ?grant""",
        use_default_graph_as_union=True,
    )
    assert isinstance(grants, ox.QuerySolutions)
    distinct = sum(python_value(g["grantShares"]) for g in grants)
    assert sum(r["shares"] for r in rows if "shares" in r) == distinct == BRIEF_Q5_AMD["shares"]
    coreweave = one(rows, supplierLabel="CoreWeave")
    assert coreweave["customerLabel"] == BRIEF_Q5_COREWEAVE["customer"]
    assert coreweave["amountUSD"] == BRIEF_Q5_COREWEAVE["amountUSD"]
    assert coreweave["tranches"] == 0 and "vesting" not in coreweave


def check_counterparty_exposure(store: ox.Store) -> None:
    rows = run(store, "counterparty-exposure", firm=FIRM + "openai")
    assert {r["firm"] for r in rows} == {FIRM + "openai"}
    assert "OpenAI" not in {r["counterpartyLabel"] for r in rows}
    for counterparty, losses in BRIEF_Q6_OPENAI.items():
        found = {
            (r["kind"], column, r[column], r.get("binding"))
            for r in rows
            if r["counterpartyLabel"] == counterparty
            for column in ("gigawatts", "amountUSD", "shares")
            if column in r
        }
        assert found == losses, counterparty
    assert {r["counterpartyLabel"] for r in rows} == set(BRIEF_Q6_OPENAI) | BRIEF_Q6_LENDERS
    for row in rows:
        assert row["source"]
        if row["counterpartyLabel"] in BRIEF_Q6_LENDERS:
            assert row["kind"] == "loan" and row["direction"] == "counterparty → firm"
    banks = one(rows, counterpartyLabel="Banks")
    assert parts(banks["raisedOn"]) == {
        ID + "agreement/nvidia-openai",
        ID + "agreement/broadcom-openai",
    }


def check_credit_on_nonbinding(store: ox.Store) -> None:
    rows = run(store, "credit-on-nonbinding")
    assert {r["borrowerLabel"] for r in rows} == set(BRIEF_Q7)
    for borrower, (said, forms) in BRIEF_Q7.items():
        credit = [r for r in rows if r["borrowerLabel"] == borrower]
        assert {r["agreementKind"] for r in credit} == forms
        for row in credit:
            assert row["lenderKind"] == "bank"
            assert parts(row["source"]) == {ARTICLE}
            assert said in row["quote"] and "意向书" in row["quote"]


def check_funding_sources(store: ox.Store) -> None:
    rows = run(store, "funding-sources")
    own_cash = {r["firmLabel"] for r in rows if r["funding"] == "own cash"}
    borrowing = [r for r in rows if r["funding"] == "borrowing"]
    assert own_cash == BRIEF_Q8_OWN_CASH
    assert {r["firmLabel"] for r in borrowing} == BRIEF_Q8_BORROWERS
    for firm in BRIEF_Q8_BORROWERS:
        kinds = {r["lenderKind"] for r in borrowing if r["firmLabel"] == firm}
        assert kinds == BRIEF_Q8_LENDER_KINDS, firm
    for row in rows:
        assert parts(row["source"]) == {ARTICLE} and row["quote"]
    nvidia = one(rows, firmLabel="Nvidia")
    assert parts(nvidia["funds"]) == {ID + "investment/nvidia-openai"}


def check_share_price_reactions(store: ox.Store) -> None:
    rows = run(store, "share-price-reactions")
    amd = one(rows, firmLabel="AMD")
    assert {k: amd.get(k) for k in BRIEF_Q9_AMD} == BRIEF_Q9_AMD
    assert amd["agreement"] == ID + "agreement/amd-openai"
    oracle = [r for r in rows if r["firmLabel"] == "Oracle"]
    rise = one(oracle, direction="up")
    assert {k: rise.get(k) for k in BRIEF_Q9_ORACLE_RISE} == BRIEF_Q9_ORACLE_RISE
    assert one(oracle, direction="down")["quote"].startswith("然而,自九月下旬以来")
    assert len(rows) == 3
    for row in rows:
        assert parts(row["source"]) == {ARTICLE}


def check_gpu_rental_margin(store: ox.Store) -> None:
    (row,) = run(store, "gpu-rental-margin")
    assert {k: row[k] for k in BRIEF_Q10} == BRIEF_Q10
    assert row["grossProfitUSD"] == BRIEF_Q10["revenueUSD"] * BRIEF_Q10["grossMargin"]
    assert parts(row["source"]) == {ARTICLE} and "14美分" in row["quote"]


def check_token_demand_growth(store: ox.Store) -> None:
    rows = run(store, "token-demand-growth")
    assert [(r["asOf"], r["tokensPerMonth"]) for r in rows] == BRIEF_Q11
    assert {r["firmLabel"] for r in rows} == {"Google"}
    assert "growth" not in rows[0]
    (_, earlier), (_, later) = BRIEF_Q11
    assert float(rows[1]["growth"]) == pytest.approx(float(later / earlier))
    assert rows[1]["monthsSincePrevious"] == 18
    assert parts(rows[1]["source"]) == {ARTICLE}


def check_claims_and_sources(store: ox.Store) -> None:
    rows = run(store, "claims-and-sources")
    assert len({r["claim"] for r in rows}) == len(rows), "one row per claim"
    assert {r["personLabel"] for r in rows if "person" in r} == BRIEF_PEOPLE
    revenue = one(rows, quote=BRIEF_Q12_REVENUE_QUOTE + "。")
    assert revenue["source"] == ARTICLE and revenue["figure"] == BRIEF_Q3_OPENAI_REVENUE
    shares = {r["source"] for r in rows if "160000000" in r.get("figures", "")}
    assert {ARTICLE, AMD_ANNOUNCEMENT} <= shares
    altman = one(rows, quote=BRIEF_Q12_ALTMAN[0] + "。")
    assert (altman["personLabel"], altman["date"]) == ("Sam Altman", BRIEF_Q12_ALTMAN[1])
    for row in rows:
        assert row["source"].startswith(ID + "source/") and row["quote"] and row["date"]

    su = run(store, "claims-and-sources", person=PERSON + "lisa-su")
    assert su and {r["personLabel"] for r in su} == {"Lisa Su"}
    google = run(store, "claims-and-sources", firm=FIRM + "google")
    assert [r["personLabel"] for r in google] == ["Yang Ren"]  # F17, the token figures
    assert "1300000000000000" in google[0]["figures"]
    openai = {r["claim"] for r in run(store, "claims-and-sources", firm=FIRM + "openai")}
    assert revenue["claim"] in openai and openai < {r["claim"] for r in rows}
    both = run(store, "claims-and-sources", firm=FIRM + "amd", person=PERSON + "rob-li")
    assert both and {r["personLabel"] for r in both} == {"Rob Li"}


CHECKS: dict[str, Callable[[ox.Store], None]] = {
    "loi-only-obligations": check_loi_only_obligations,
    "circular-flows": check_circular_flows,
    "commitments-vs-revenue": check_commitments_vs_revenue,
    "committed-gigawatts": check_committed_gigawatts,
    "equity-for-orders": check_equity_for_orders,
    "counterparty-exposure": check_counterparty_exposure,
    "credit-on-nonbinding": check_credit_on_nonbinding,
    "funding-sources": check_funding_sources,
    "share-price-reactions": check_share_price_reactions,
    "gpu-rental-margin": check_gpu_rental_margin,
    "token-demand-growth": check_token_demand_growth,
    "claims-and-sources": check_claims_and_sources,
}


@pytest.mark.parametrize("name", NAMES)
def test_stored_query_gives_the_brief_answer(name: str, store: ox.Store) -> None:
    CHECKS[name](store)


# ---- the files themselves ---------------------------------------------------------------


def test_queries_folder_holds_exactly_the_contract_queries() -> None:
    assert {p.stem for p in QUERIES.glob("*.rq")} == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_query_is_sparql_with_a_complete_header(name: str) -> None:
    header, text = read_query(name)
    assert {"title", "description", "question", "params", "tags"} <= set(header)
    assert header["title"] and header["description"] and header["tags"]
    assert header["question"] == BRIEF_QUESTIONS[name]
    params = {p["name"]: p for p in header["params"]}
    assert {n: p["required"] for n, p in params.items()} == CONTRACT_PARAMS[name]
    projected = {str(v) for v in prepareQuery(text).algebra["PV"]}  # rdflib: SPARQL 1.1
    solutions = ox.Store().query(text)
    assert isinstance(solutions, ox.QuerySolutions)
    for param in params.values():
        assert {"name", "type", "required", "default", "description"} <= set(param)
        assert param["type"] in PARAM_TYPES
        # pyoxigraph binds only variables the SELECT projects.
        assert param["name"] in projected
        assert ox.Variable(param["name"]) in solutions.variables


# ---- answers that must not move ---------------------------------------------------------

CASES: list[tuple[str, dict[str, str]]] = [
    (name, {}) for name in NAMES if name != "counterparty-exposure"
]
CASES += [
    ("circular-flows", {"firm": FIRM + "oracle"}),
    ("commitments-vs-revenue", {"firm": FIRM + "openai"}),
    ("counterparty-exposure", {"firm": FIRM + "openai"}),
    ("counterparty-exposure", {"firm": FIRM + "nvidia"}),
    ("claims-and-sources", {"firm": FIRM + "openai"}),
    ("claims-and-sources", {"person": PERSON + "yang-ren"}),
]


def answers(store: ox.Store) -> list[Counter[tuple[tuple[str, Any], ...]]]:
    """Every case's rows as a multiset, joined values taken apart (their order is free)."""

    def normal(value: Any) -> Any:
        return tuple(sorted(value.split(SEPARATOR))) if isinstance(value, str) else value

    return [
        Counter(tuple(sorted((k, normal(v)) for k, v in row.items())) for row in run(store, n, **p))
        for n, p in CASES
    ]


def twin_graphs(store: ox.Store) -> None:
    """State every triple a second time, each graph in a twin graph of its own."""
    quads = list(store)
    store.extend(
        ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(f"{q.graph_name.value}-twin"))
        for q in quads
        if isinstance(q.graph_name, ox.NamedNode)
    )


def entailed_types(store: ox.Store) -> None:
    """Store what a reasoner entails beside the data: every superclass of every type."""
    store.update(
        f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        INSERT {{ GRAPH <{GRAPH}inferred> {{ ?x a ?super . ?class rdfs:subClassOf ?super }} }}
        WHERE {{
          GRAPH ?data {{ ?x a ?class }}
          GRAPH <{GRAPH}ontology> {{ ?class rdfs:subClassOf+ ?super }}
        }}"""
    )


@pytest.mark.parametrize(
    "change", [twin_graphs, entailed_types], ids=["twin-graphs", "entailments"]
)
def test_answers_do_not_change_when(change: Callable[[ox.Store], None], store: ox.Store) -> None:
    changed = ox.Store()
    load_bundled(changed)
    size = len(changed)
    change(changed)
    assert len(changed) > size
    assert answers(changed) == answers(store)


def test_plant_equivalents_follow_the_graphs_convention() -> None:
    changed = ox.Store()
    load_bundled(changed)
    changed.update(
        """PREFIX aicap: <https://w3id.org/aicap/ontology#>
        DELETE { GRAPH ?g { ?c aicap:gigawatts ?gw } }
        INSERT { GRAPH ?g { ?c aicap:gigawatts 2.0 } }
        WHERE { GRAPH ?g { ?c a aicap:PowerEquivalence ; aicap:gigawatts ?gw } }"""
    )
    rows = run(changed, "committed-gigawatts")
    assert {r["totalPlantEquivalents"] for r in rows} == {sum(BRIEF_Q4.values()) / 2}


def test_binding_and_non_binding_figures_are_never_added_together() -> None:
    """A firm pair with a binding, a non-binding and an unqualified commitment: three rows."""
    changed = ox.Store()
    load_bundled(changed)
    changed.update(
        f"""PREFIX aicap: <https://w3id.org/aicap/ontology#>
        INSERT DATA {{ GRAPH <{GRAPH}test> {{
          <{ID}obligation/openai-amd-loi> a aicap:ComputeCapacityObligation ;
              aicap:fromParty <{FIRM}openai> ; aicap:toParty <{FIRM}amd> ;
              aicap:gigawatts 2.0 ; aicap:restsOn <{ID}agreement/openai-amd-loi> ;
              aicap:statedIn <{ID}claim/announcements/p2> .
          <{ID}agreement/openai-amd-loi> a aicap:LetterOfIntent .
          <{ID}obligation/openai-amd-unqualified> a aicap:ComputeCapacityObligation ;
              aicap:fromParty <{FIRM}openai> ; aicap:toParty <{FIRM}amd> ;
              aicap:gigawatts 1.0 ; aicap:statedIn <{ID}claim/announcements/p2> .
        }} }}"""
    )
    rows = run(changed, "committed-gigawatts")
    amd = {r.get("binding"): r["gigawatts"] for r in rows if r["counterpartyLabel"] == "AMD"}
    assert amd == {True: Decimal(6), False: Decimal(2), None: Decimal(1)}
    total = sum(BRIEF_Q4.values()) + 3
    assert sum(r["gigawatts"] for r in rows) == total
    assert {(r["totalGigawatts"], r["totalNonBindingGigawatts"]) for r in rows} == {
        (total, BRIEF_Q4_NON_BINDING + 2)
    }
    (openai,) = run(changed, "commitments-vs-revenue", firm=FIRM + "openai")
    assert openai["itemisedNonBindingGigawatts"] == BRIEF_Q4_NON_BINDING + 2
    # On a loop's step, one non-binding transfer makes the step non-binding.
    (loop,) = [r for r in run(changed, "circular-flows") if r["path"] == "AMD → OpenAI → AMD"]
    assert (loop["gigawatts2"], loop["binding2"]) == (Decimal(9), False)
