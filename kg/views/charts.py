"""Drawing for `kg.views.pictures`: matplotlib figures written as SVG, networkx for the layout.

Figures are built with matplotlib's object API (no pyplot, no GUI backend) and written
with text kept as SVG ``<text>`` (``svg.fonttype: none``), so labels stay searchable and
selectable, and with fixed ids and no date, so the same data gives the same bytes.
matplotlib is not thread-safe and `rc_context` changes global state: one lock serializes
drawing (the service runs threads).
"""

from __future__ import annotations

import io
import itertools
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import matplotlib
import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.typing import RcKeyType

from kg.views.figures import gigawatts, nuclear_plants, plain, ratio, shares, usd

BINDING_COLOUR = "#1f3b63"
NON_BINDING_COLOUR = "#c2410c"
REVENUE_COLOUR = "#2f7d4f"
NODE_FILL = "#eef3fb"
FIRM_COLOURS = ("#1f3b63", "#6a4c93", "#2f7d4f", "#8a5a00", "#3c6e71", "#7a1f3d")
TIMES = "\N{MULTIPLICATION SIGN}"
MAX_PERMUTED_NODES = 7
"""Up to this many firms around the hub, the ring order that shortens arrows is searched."""

_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "aicap-kg",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Flow:
    """One value transfer between two firms (IRIs), with its figures."""

    source: str
    target: str
    kind: str
    amount_usd: float | None = None
    gigawatts: float | None = None
    shares: float | None = None
    binding: bool = True


@dataclass(frozen=True)
class FlowDiagram:
    """The firms (IRI -> label) and transfers of the money loops."""

    labels: Mapping[str, str]
    flows: tuple[Flow, ...]
    loop_count: int


@dataclass(frozen=True)
class SupplierBar:
    """Gigawatts one firm committed to one supplier."""

    supplier: str
    firm: str
    gigawatts: float
    binding: bool = True


@contextmanager
def _figure(width_in: float, height_in: float) -> Iterator[tuple[Figure, io.BytesIO]]:
    """Build a figure under the house style; its SVG is in the buffer on exit."""
    out = io.BytesIO()
    with _LOCK, matplotlib.rc_context(_RC):
        figure = Figure(figsize=(width_in, height_in))
        yield figure, out
        figure.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")


# --- money loops ------------------------------------------------------------------------


def draw_flow_diagram(diagram: FlowDiagram) -> bytes:
    """Draw firms as boxes and transfers as arrows, dashed where non-binding."""
    groups: dict[tuple[str, str, bool], list[Flow]] = defaultdict(list)
    for flow in diagram.flows:
        groups[(flow.source, flow.target, flow.binding)].append(flow)
    labels = {iri: diagram.labels.get(iri, iri) for key in groups for iri in key[:2]}
    with _figure(8.5, 7.0) as (figure, out):
        ax = figure.add_subplot()
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_xlim(-1.6, 1.6)
        ax.set_ylim(-1.3, 1.3)
        if not groups:
            ax.text(0, 0, "no circular flows in the graph", ha="center", fontsize=12)
        positions = ring_layout(list(groups), labels)
        # The boxes are drawn before the arrows (lower zorder) so that, in each drawing pass,
        # the arrows are clipped at where the boxes are in that pass.
        boxes = {
            iri: ax.text(*positions[iri], labels[iri], ha="center", va="center", fontsize=11,
                         fontweight="bold", zorder=1,
                         bbox={"boxstyle": "round,pad=0.5", "fc": NODE_FILL, "ec": BINDING_COLOUR})
            for iri in sorted(positions)
        }  # fmt: skip
        pairs: dict[tuple[str, str], int] = defaultdict(int)
        for (source, target, binding), flows in sorted(groups.items()):
            rad = 0.25 + 0.2 * pairs[(source, target)]
            pairs[(source, target)] += 1
            _draw_arrow(ax, boxes, positions, (source, target), rad, binding, flow_label(flows))
        ax.legend(handles=_flow_legend(), loc="lower center", bbox_to_anchor=(0.5, -0.06),
                  ncol=1, frameon=False, fontsize=8.5)  # fmt: skip
        ax.set_title(
            f"Money loops: {diagram.loop_count} circular flows through {len(positions)} firms",
            fontsize=13, fontweight="bold",
        )  # fmt: skip
    return out.getvalue()


def _draw_arrow(
    ax: Axes,
    boxes: Mapping[str, Text],
    positions: Mapping[str, tuple[float, float]],
    ends: tuple[str, str],
    rad: float,
    binding: bool,
    label: str,
) -> None:
    """One curved arrow between two firm boxes, labelled at its middle."""
    (x1, y1), (x2, y2) = positions[ends[0]], positions[ends[1]]
    colour = BINDING_COLOUR if binding else NON_BINDING_COLOUR
    ax.annotate(
        "", xy=(x2, y2), xytext=(x1, y1), zorder=2,
        arrowprops={
            "arrowstyle": "-|>", "mutation_scale": 16, "lw": 1.6, "color": colour,
            "linestyle": "-" if binding else (0, (5, 3)),
            "connectionstyle": f"arc3,rad={rad:.2f}",
            "patchA": boxes[ends[0]].get_bbox_patch(),
            "patchB": boxes[ends[1]].get_bbox_patch(),
            "shrinkA": 3, "shrinkB": 3,
        },
    )  # fmt: skip
    # The middle of matplotlib's arc3 curve, a quadratic Bezier whose control point sits
    # rad times the chord off the chord's midpoint: half that offset. The label hangs off
    # the curve on the outer side, so the labels of opposite arrows never cross.
    dx, dy = rad * (y2 - y1) / 2, -rad * (x2 - x1) / 2
    sideways = abs(dx) > abs(dy)
    ax.text(
        (x1 + x2) / 2 + dx, (y1 + y2) / 2 + dy, label, fontsize=7.5, color=colour, zorder=3,
        ha=("left" if dx > 0 else "right") if sideways else "center",
        va="center" if sideways else ("bottom" if dy > 0 else "top"),
        bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": colour, "lw": 0.6},
    )  # fmt: skip


def flow_label(flows: Sequence[Flow]) -> str:
    """Label an arrow: one line per kind of transfer, with its count and summed figures."""
    by_kind: dict[str, list[Flow]] = defaultdict(list)
    for flow in flows:
        by_kind[flow.kind].append(flow)
    lines = []
    for kind, same in sorted(by_kind.items()):
        figures = [
            fmt(total)
            for fmt, total in (
                (usd, _sum(f.amount_usd for f in same)),
                (gigawatts, _sum(f.gigawatts for f in same)),
                (shares, _sum(f.shares for f in same)),
            )
            if total is not None
        ]
        head = kind if len(same) == 1 else f"{len(same)} {TIMES} {kind}"
        lines.append(" · ".join([head, *figures]))
    return "\n".join(lines)


def _sum(values: Iterator[float | None] | Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _flow_legend() -> list[Line2D]:
    return [
        Line2D([], [], color=BINDING_COLOUR, lw=1.6, label="binding agreement, or a transfer "
               "that rests on none (investment, equity, supply)"),
        Line2D([], [], color=NON_BINDING_COLOUR, lw=1.6, linestyle=(0, (5, 3)),
               label="rests only on non-binding agreements (letter of intent, term sheet)"),
    ]  # fmt: skip


def ring_layout(
    edges: Sequence[tuple[str, str, bool]], labels: Mapping[str, str]
) -> dict[str, tuple[float, float]]:
    """Place the best-connected firm in the middle and the others on a ring around it.

    The ring order is the one (of all, up to `MAX_PERMUTED_NODES` firms) that keeps the
    arrows between ring firms shortest, so the loops read around the ring; ties go to
    alphabetical order, which keeps the picture stable.
    """
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(labels)
    graph.add_edges_from((s, t) for s, t, _ in edges if s != t)
    if graph.number_of_nodes() == 0:
        return {}
    hub = min(graph.nodes, key=lambda n: (-graph.degree(n), labels[n].casefold()))
    ring = sorted((n for n in graph.nodes if n != hub), key=lambda n: labels[n].casefold())
    if 2 < len(ring) <= MAX_PERMUTED_NODES:
        ring = _shortest_ring(ring, graph.subgraph(ring))
    # Two shells: the hub at the centre, the ring at radius 1 (shell radii are scale/shells).
    layout = (
        nx.shell_layout(graph, nlist=[[hub], ring], scale=2, rotate=math.pi / 2) if ring else {}
    )
    positions = {n: (float(x), float(y)) for n, (x, y) in layout.items()}
    positions[hub] = (0.0, 0.0)
    return positions


def _shortest_ring(ring: list[str], graph: nx.Graph[str]) -> list[str]:
    size = len(ring)

    def length(order: tuple[str, ...]) -> int:
        index = {n: i for i, n in enumerate(order)}
        return sum(min(d := abs(index[a] - index[b]), size - d) for a, b in graph.edges)

    orders = (ring[:1] + list(rest) for rest in itertools.permutations(ring[1:]))
    return min(orders, key=lambda order: length(tuple(order)))


# --- commitments against revenue --------------------------------------------------------


def draw_commitments(
    firm: str, bars: Sequence[tuple[str, float | None, str]], multiple: float | None
) -> bytes:
    """Draw horizontal bars of commitments and revenue in USD billions, values at their ends.

    Args:
        firm: the firm's name, for the title.
        bars: (label, amount in USD or None when not stated, ``commitment`` or ``revenue``).
        multiple: commitments over annual revenue, when the query gives one.
    """
    with _figure(8.5, 3.2) as (figure, out):
        ax = figure.add_subplot()
        names = [name for name, _, _ in bars]
        values = [(amount or 0.0) / 1e9 for _, amount, _ in bars]
        colours = [REVENUE_COLOUR if kind == "revenue" else BINDING_COLOUR for *_, kind in bars]
        ax.barh(names, values, color=colours, height=0.6)
        ax.invert_yaxis()
        top = max(values, default=0.0) or 1.0
        for index, (_, amount, _) in enumerate(bars):
            text = usd(amount) if amount is not None else "not stated"
            ax.text((amount or 0.0) / 1e9 + top * 0.01, index, text, va="center", fontsize=9)
        ax.set_xlim(0, top * 1.15)
        ax.set_xlabel("USD billions")
        title = f"{firm}: commitments and revenue"
        if multiple is not None:
            title = f"{firm}: commitments ≈ {ratio(multiple)} annual revenue"
        ax.set_title(title, fontsize=12, fontweight="bold", loc="left")
    return out.getvalue()


# --- gigawatts per supplier ---------------------------------------------------------------


def draw_supplier_bars(
    bars: Sequence[SupplierBar], per_plant: float | None, stated_plants: float | None
) -> bytes:
    """Draw stacked horizontal bars of gigawatts per supplier, hatched where non-binding.

    Args:
        bars: gigawatts per supplier and committing firm.
        per_plant: gigawatts per nuclear plant (the graph's convention), for the top axis.
        stated_plants: a source's own plant figure for the commitments, quoted in the title.
    """
    totals: dict[str, float] = defaultdict(float)
    for bar in bars:
        totals[bar.supplier] += bar.gigawatts
    suppliers = sorted(totals, key=lambda s: (-totals[s], s.casefold()))
    firms = sorted({bar.firm for bar in bars}, key=str.casefold)
    colour = {firm: FIRM_COLOURS[i % len(FIRM_COLOURS)] for i, firm in enumerate(firms)}
    with _figure(8.5, 1.6 + 0.55 * max(len(suppliers), 1)) as (figure, out):
        ax = figure.add_subplot()
        left: dict[str, float] = defaultdict(float)
        row = {supplier: index for index, supplier in enumerate(suppliers)}
        for bar in sorted(bars, key=lambda b: (b.firm.casefold(), not b.binding)):
            ax.barh(row[bar.supplier], bar.gigawatts, left=left[bar.supplier], height=0.6,
                    color=colour[bar.firm] if bar.binding else "white",
                    edgecolor=colour[bar.firm], hatch=None if bar.binding else "///")  # fmt: skip
            left[bar.supplier] += bar.gigawatts
        if suppliers:
            ax.set_yticks(range(len(suppliers)), suppliers)
        ax.set_ylim(len(suppliers) - 0.5, -0.5)
        top = max(totals.values(), default=1.0)
        for index, supplier in enumerate(suppliers):
            text = gigawatts(totals[supplier])
            ax.text(totals[supplier] + top * 0.01, index, text, va="center")
        ax.set_xlim(0, top * 1.15)
        ax.set_xlabel("gigawatts committed")
        if per_plant:
            plants = ax.secondary_xaxis("top", functions=_plant_scale(per_plant))
            plants.set_xlabel(f"nuclear plants ({gigawatts(per_plant)} each)")
        axes_height_in = 0.77 * figure.get_figheight()  # matplotlib's default margins
        non_binding = sum(bar.gigawatts for bar in bars if not bar.binding)
        legend = _supplier_legend(firms, colour, non_binding)
        ax.legend(handles=legend, loc="upper left", fontsize=8,
                  bbox_to_anchor=(0, -0.6 / axes_height_in), ncol=2, frameon=False)  # fmt: skip
        title = _supplier_title(sum(totals.values()), per_plant, stated_plants)
        ax.set_title(title, fontsize=12, fontweight="bold", loc="left", pad=28 if per_plant else 6)
    return out.getvalue()


def _plant_scale(per_plant: float) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """Gigawatts to nuclear plants and back, for the top axis (matplotlib passes arrays)."""
    return (lambda gw: np.asarray(gw) / per_plant, lambda plants: np.asarray(plants) * per_plant)


def _supplier_legend(
    firms: Sequence[str], colour: Mapping[str, str], non_binding: float
) -> list[Patch]:
    """The firms' colours, and the hatching with how many of the gigawatts it covers."""
    handles = [Patch(color=colour[firm], label=f"committed by {firm}") for firm in firms]
    label = f"rests only on non-binding agreements ({gigawatts(non_binding)})"
    handles.append(Patch(facecolor="white", edgecolor="#555555", hatch="///", label=label))
    return handles


def _supplier_title(total: float, per_plant: float | None, stated: float | None) -> str:
    title = f"Gigawatts committed per supplier: {gigawatts(total)} in all"
    if per_plant:
        title += f" ≈ {nuclear_plants(total / per_plant)}"
    if stated is not None:
        title += f" (a source says {plain(stated, 0)})"
    return title
