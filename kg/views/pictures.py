"""Pictures of the graph, drawn from query results: never by hand.

Three pictures, each read from the stored queries of the questions it illustrates:

- ``money-loops``: the circular flows (question 2) as a diagram, firms as nodes and value
  transfers as labelled arrows; a transfer that rests only on non-binding agreements
  (question 1, ``loi-only-obligations``) is dashed. The amounts on the arrows come from
  `FLOWS_QUERY`, one row per transfer.
- ``commitments-vs-revenue``: a firm's commitments against its revenue (question 3;
  OpenAI unless ``firm`` says otherwise).
- ``gigawatts-by-supplier``: the gigawatts committed to each supplier (question 4), by
  committing firm, hatched where they rest only on non-binding agreements (the query's
  ``binding`` column), with the nuclear-plant equivalents of the graph's own convention on
  the top axis.

`render_picture` returns SVG bytes. The drawing (matplotlib, networkx for the layout) is
in `kg.views.charts`; this module turns rows into what is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kg.errors import BadParameter, UnknownResource
from kg.graph import KnowledgeGraph
from kg.query.solutions import Row, SolutionTable, run_stored_table, solution_table
from kg.views import charts
from kg.views.charts import Flow, FlowDiagram, SupplierBar
from kg.views.figures import usd

DEFAULT_FIRM = "OpenAI"
"""Whose commitments `commitments-vs-revenue` shows without a ``firm`` parameter."""

FLOWS_QUERY = """\
PREFIX aicap: <https://w3id.org/aicap/ontology#>
PREFIX rdfs:  <http://www.w3.org/2000/01/rdf-schema#>
# Every value transfer between two firms, once: its most specific kind and its figures.
SELECT ?transfer ?from ?to (MIN(STR(?kindLabel)) AS ?kind) (MAX(?anyAmount) AS ?amountUSD)
       (MAX(?anyGigawatts) AS ?gigawatts) (MAX(?anyShares) AS ?shares)
WHERE {
  ?kindClass rdfs:subClassOf* aicap:ValueTransfer .
  ?transfer a ?kindClass ; aicap:fromParty ?from ; aicap:toParty ?to .
  MINUS {
    ?narrower rdfs:subClassOf+ ?kindClass .
    ?kindClass rdfs:subClassOf* aicap:ValueTransfer .
    ?transfer a ?narrower .
    FILTER(?narrower != ?kindClass)
  }
  ?kindClass rdfs:label ?kindLabel .
  OPTIONAL { ?transfer aicap:amountUSD ?anyAmount }
  OPTIONAL { ?transfer aicap:gigawatts ?anyGigawatts }
  OPTIONAL { ?transfer aicap:shares ?anyShares }
}
GROUP BY ?transfer ?from ?to
"""


@dataclass(frozen=True)
class Picture:
    """One picture: its stable name, title, the stored queries it reads, how it is drawn."""

    name: str
    title: str
    queries: tuple[str, ...]
    draw: Callable[[KnowledgeGraph, Mapping[str, str]], bytes]
    params: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        """The file name it is served under (``<name>.svg``)."""
        return f"{self.name}.svg"


def render_picture(kg: KnowledgeGraph, name: str, params: Mapping[str, str] | None = None) -> bytes:
    """Draw one picture from the graph as it is now.

    Args:
        kg: the knowledge graph.
        name: a key of `PICTURES`.
        params: ``firm`` for ``commitments-vs-revenue``; other pictures take none.

    Returns:
        The SVG document.

    Raises:
        UnknownResource: no picture of that name (lists them), or a firm the graph does not
            know.
        BadParameter: a parameter the picture does not take.
    """
    picture = PICTURES.get(name)
    if picture is None:
        raise UnknownResource(f"no picture named {name!r}", [p.filename for p in PICTURES.values()])
    values = dict(params or {})
    unknown = sorted(set(values) - set(picture.params))
    if unknown:
        accepted = ", ".join(picture.params) or "none"
        raise BadParameter(
            f"{name} takes no parameter {', '.join(unknown)}", f"accepted: {accepted}"
        )
    return picture.draw(kg, values)


# --- money loops ------------------------------------------------------------------------


def money_loops(kg: KnowledgeGraph, params: Mapping[str, str]) -> bytes:
    """Draw the circular flows, dashed where a transfer rests only on non-binding agreements."""
    loops = run_stored_table(kg, "circular-flows", {})
    non_binding = {_iri(r, "obligation") for r in run_stored_table(kg, "loi-only-obligations", {})}
    flows = solution_table(kg.query(FLOWS_QUERY, union_default_graph=True))
    return charts.draw_flow_diagram(flow_diagram(loops, flows, non_binding - {""}))


def flow_diagram(loops: SolutionTable, flows: SolutionTable, non_binding: set[str]) -> FlowDiagram:
    """Collect the firms and transfers of the loops that `circular-flows` found.

    Args:
        loops: rows of ``circular-flows``: ``firmN``, ``firmNLabel`` and ``transfers``.
        flows: rows of `FLOWS_QUERY`, one per transfer.
        non_binding: the obligations that rest only on non-binding agreements.
    """
    labels: dict[str, str] = {}
    on_loops: set[str] = set()
    for row in loops:
        for step in range(1, 5):
            firm = _iri(row, f"firm{step}")
            if firm:
                labels[firm] = _text(row, f"firm{step}Label") or firm
        on_loops.update(t.strip() for t in _text(row, "transfers").split(" | ") if t.strip())
    transfers = [
        Flow(
            source=_iri(row, "from"),
            target=_iri(row, "to"),
            kind=_text(row, "kind"),
            amount_usd=_number(row, "amountUSD"),
            gigawatts=_number(row, "gigawatts"),
            shares=_number(row, "shares"),
            binding=_iri(row, "transfer") not in non_binding,
        )
        for row in flows
        if _iri(row, "transfer") in on_loops
    ]
    return FlowDiagram(labels=labels, flows=tuple(transfers), loop_count=len(loops))


# --- commitments against revenue ---------------------------------------------------------


def commitments_vs_revenue(kg: KnowledgeGraph, params: Mapping[str, str]) -> bytes:
    """Draw one firm's stated and itemised commitments against its revenue."""
    firm = params.get("firm") or DEFAULT_FIRM
    table = run_stored_table(kg, "commitments-vs-revenue", {"firm": firm})
    row = table.rows[0] if table.rows else {}
    label = _text(row, "firmLabel") or firm
    bars: list[tuple[str, float | None, str]] = [
        (_qualified("stated total commitments", _text(row, "statedTotalBound")),
         _number(row, "statedTotalUSD"), "commitment"),
        (f"itemised obligations ({_count(row, 'obligationsWithAmount')} with an amount"
         f"{_non_binding(row)})", _number(row, "itemisedUSD"), "commitment"),
        (_qualified("revenue", ", ".join(filter(None, (_text(row, "revenuePeriod"),
                                                       _text(row, "revenueAsOf"))))),
         _number(row, "revenueUSD"), "revenue"),
    ]  # fmt: skip
    ratio = _number(row, "statedToRevenue") or _number(row, "itemisedToRevenue")
    return charts.draw_commitments(label, bars, ratio)


def _qualified(what: str, qualifier: str) -> str:
    return f"{what} ({qualifier})" if qualifier else what


def _non_binding(row: Row) -> str:
    """How much of the itemised amount binds nobody, for the bar's label; empty if none."""
    amount = _number(row, "itemisedNonBindingUSD")
    return f", {usd(amount)} non-binding" if amount else ""


def _count(row: Row, name: str) -> int:
    value = _number(row, name)
    return 0 if value is None else int(value)


# --- gigawatts per supplier ---------------------------------------------------------------


def gigawatts_by_supplier(kg: KnowledgeGraph, params: Mapping[str, str]) -> bytes:
    """Draw the gigawatts committed to each supplier, by committing firm."""
    table = run_stored_table(kg, "committed-gigawatts", {})
    return charts.draw_supplier_bars(*supplier_bars(table))


def supplier_bars(table: SolutionTable) -> tuple[list[SupplierBar], float | None, float | None]:
    """Read ``committed-gigawatts`` rows into bars.

    Returns:
        One bar per row (supplier, committing firm and bindingness), hatched only where the
        row's ``binding`` is false (unbound, no agreement of a known form, is not hatched);
        the gigawatts per nuclear plant of the graph's convention; a source's own plant
        figure for the commitments, if one.
    """
    bars = []
    per_plant = stated = None
    for row in table:
        bars.append(
            SupplierBar(
                supplier=_text(row, "counterpartyLabel") or _iri(row, "counterparty"),
                firm=_text(row, "firmLabel") or _iri(row, "firm"),
                gigawatts=_number(row, "gigawatts") or 0.0,
                binding=_text(row, "binding") != "false",
            )
        )
        per_plant = per_plant or _number(row, "gigawattsPerPlant")
        stated = stated or _number(row, "statedPlantEquivalents")
    return bars, per_plant, stated


# --- cells ---------------------------------------------------------------------------------


def _iri(row: Row, name: str) -> str:
    cell = row.get(name)
    return cell.value if cell is not None and cell.kind == "iri" else ""


def _text(row: Row, name: str) -> str:
    cell = row.get(name)
    return "" if cell is None else cell.value


def _number(row: Row, name: str) -> float | None:
    cell = row.get(name)
    return None if cell is None else cell.number


PICTURES: dict[str, Picture] = {
    p.name: p
    for p in (
        Picture(
            "money-loops",
            "Money loops: value that comes back to where it started",
            ("circular-flows", "loi-only-obligations"),
            money_loops,
        ),
        Picture(
            "commitments-vs-revenue",
            "Commitments against revenue",
            ("commitments-vs-revenue",),
            commitments_vs_revenue,
            params=("firm",),
        ),
        Picture(
            "gigawatts-by-supplier",
            "Gigawatts committed per supplier",
            ("committed-gigawatts",),
            gigawatts_by_supplier,
        ),
    )
}
"""The pictures by name; `server.pictures` serves each at ``/pictures/<name>.svg``."""
