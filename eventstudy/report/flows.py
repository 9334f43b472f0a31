"""Deal flows: who pays whom in the study's deals, from edges declared in the study's config.

A config lists its flows as ``[[flows]]`` tables::

    [[flows]]
    event_id = "oracle-openai-300b"   # the announcement (events.csv)
    payer = "OpenAI"                  # who commits the money (any name; need not be listed)
    payee = "Oracle"                  # who receives it
    tickers = ["ORCL"]                # listed parties whose abnormal dollar value labels the edge

:func:`deal_flows` joins the edges to the study's per-window results (``car.parquet``): each
edge gets its event's disclosed deal size and, for each of its tickers, that party's abnormal
dollar value over the window (``abnormal_value_usd``: Σ_τ AR_τ × MV_{τ−1}) and whether the
window holds other news. Nothing is added up here: the group's total value created is the
``dollar_abnormal_value`` row of ``stats.parquet`` (one definition of each total), which the
report's caption quotes. :func:`flows_figure` draws the edges as a directed graph laid out by
networkx (Kamada & Kawai 1989, deterministic), edge width by deal size.

References
----------
Kamada, T., & Kawai, S. (1989). An algorithm for drawing general undirected graphs.
*Information Processing Letters*, 31(1), 7-15.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from eventstudy.config import FlowEdge, parse_flows
from eventstudy.report import fmt
from eventstudy.report.flags import FLAG, share_caveated


def edges_of(config: Mapping[str, Any]) -> tuple[FlowEdge, ...]:
    """The flows recorded in a manifest's ``config`` (``flows``: a list of edge tables), checked
    as a config file's ``[[flows]]`` (:func:`eventstudy.config.parse_flows`)."""
    return parse_flows(list(config.get("flows") or ()), "manifest.json", prefix="config.flows")


@dataclass(frozen=True)
class PartyValue:
    """A listed party's abnormal dollar value on an edge, whether its window holds other news and
    whether its market value carries a config's share-count caveat."""

    ticker: str
    value_usd: float
    confounded: bool
    share_caveat: bool = False


@dataclass(frozen=True)
class Flow:
    """One edge joined to the results."""

    event_id: str
    payer: str
    payee: str
    group: str
    deal_usd: float
    values: tuple[PartyValue, ...]


@dataclass(frozen=True)
class DealFlows:
    """The flows of the study's events over one window.

    Attributes
    ----------
    window
        The CAR window of the dollar values (``"[-1,+1]"``).
    flows
        The edges whose event is in the study, in config order.
    missing_events
        Events of edges that are not in the study (left out).
    """

    window: str
    flows: tuple[Flow, ...]
    missing_events: tuple[str, ...] = ()

    @property
    def groups(self) -> tuple[str, ...]:
        """The events files' groups of the flows' events, in order."""
        return tuple(dict.fromkeys(f.group for f in self.flows))

    def to_frame(self) -> pd.DataFrame:
        """One row per (edge, annotating party); an edge without a listed party has one row."""
        records = []
        for f in self.flows:
            parties = f.values or (PartyValue("", math.nan, False),)
            for v in parties:
                records.append(
                    {
                        "event_id": f.event_id,
                        "payer": f.payer,
                        "payee": f.payee,
                        "group": f.group,
                        "deal_usd": f.deal_usd,
                        "ticker": v.ticker,
                        "abnormal_value_usd": v.value_usd,
                        "confounded": v.confounded,
                        "share_caveat": v.share_caveat,
                    }
                )
        columns = [
            "event_id",
            "payer",
            "payee",
            "group",
            "deal_usd",
            "ticker",
            "abnormal_value_usd",
            "confounded",
            "share_caveat",
        ]
        return pd.DataFrame.from_records(records, columns=columns)


def deal_flows(car: pd.DataFrame, edges: Sequence[FlowEdge], window: str) -> DealFlows | None:
    """Join ``edges`` to the per-window results (``car.parquet``).

    Returns
    -------
    DealFlows or None
        None when there is no edge; no flows, only ``missing_events``, when no edge's event is in
        ``car``.
    """
    if not edges:
        return None
    rows = car[(car["window"] == window) & (car["role"] != "peer")]
    by_pair = rows.drop_duplicates(["event_id", "ticker"]).set_index(["event_id", "ticker"])
    heads = rows.drop_duplicates("event_id").set_index("event_id")
    flows, missing = [], []
    for edge in edges:
        if edge.event_id not in heads.index:
            missing.append(edge.event_id)
            continue
        values = []
        for ticker in edge.tickers:
            if (edge.event_id, ticker) in by_pair.index:
                row: Any = by_pair.loc[(edge.event_id, ticker)]  # the pair's car.parquet row
                flagged = (
                    bool(row["confounded"])
                    if "confounded" in row.index and not fmt.is_missing(row["confounded"])
                    else False
                )
                values.append(
                    PartyValue(ticker, float(row["abnormal_value_usd"]), flagged, share_caveated(row))
                )
        head: Any = heads.loc[edge.event_id]  # the event's first car.parquet row
        flows.append(
            Flow(
                edge.event_id,
                edge.payer,
                edge.payee,
                str(head["group"]),
                float(head["deal_usd"]),
                tuple(values),
            )
        )
    return DealFlows(window, tuple(flows), tuple(dict.fromkeys(missing)))


def layout(names: Sequence[str], links: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Node positions in [0, 1]²: networkx's Kamada-Kawai layout (deterministic: it starts from
    a circle), scaled to fill the square. Two nodes sit side by side; one node in the middle."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(names)
    graph.add_edges_from(links)
    if graph.number_of_nodes() <= 2:
        spots = [np.array([0.15, 0.5]), np.array([0.85, 0.5])] if len(names) == 2 else [np.array([0.5, 0.5])]
        return dict(zip(names, spots, strict=False))
    raw = nx.kamada_kawai_layout(graph)
    points = np.array([raw[n] for n in names], dtype=float)
    low, span = points.min(axis=0), np.ptp(points, axis=0)
    span[span == 0] = 1.0
    scaled = (points - low) / span
    return {n: scaled[i] for i, n in enumerate(names)}


def _edge_label(flow: Flow) -> str:
    deal = (
        "deal undisclosed"
        if fmt.is_missing(flow.deal_usd)
        else f"deal {fmt.money(flow.deal_usd, signed=False)}"
    )
    values = [
        f"{v.ticker} {fmt.money(v.value_usd)}" + (f" {FLAG}" if v.confounded else "") for v in flow.values
    ]
    return "\n".join([deal, *values])


NODE_RADIUS = 6.0
"""Radius of a node's disc, in points (arrows stop 2 points short of it, so every head shows)."""

NAME_CHARACTERS = 16
"""A node's name wraps at this many characters a line (a long name stays inside the figure)."""

_NAME_EM = 0.7 * 8 / 72
"""Width of one character of a node's name (bold 8 pt DejaVu Sans, generous), in inches."""

_MARK = 7.5 / 72
"""Half the side of an edge's numbered mark, in inches (with a margin)."""


_ALIGN = {"left": 0.0, "bottom": 0.0, "center": 0.5, "right": 1.0, "top": 1.0}
"""The fraction of a text's width (height) left (below) its anchor, by alignment."""


def _name_box(
    anchor: np.ndarray, label: str, width: float, horizontal: str, vertical: str
) -> tuple[np.ndarray, np.ndarray]:
    """The box (low, high corners, inches) a node's name takes: ``width`` inches (its widest line,
    measured), 10 points a line."""
    lines = label.splitlines()
    size = np.array([width, len(lines) * 10 / 72])
    low = anchor - size * np.array([_ALIGN[horizontal], _ALIGN[vertical]])
    return low, low + size


def _free_spot(
    a: np.ndarray, b: np.ndarray, rad: float, taken: Sequence[tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    """The point of the arc from ``a`` to ``b`` (matplotlib's ``arc3``: a quadratic Bezier whose
    control point is the chord's middle moved ``rad`` × the chord's length, perpendicular) at
    the first of t = 0.5, 0.4, 0.6, ..., 0.2, 0.8 whose mark clears every box of ``taken``, then
    beside the arc (a mark's width either side); when none does, the one that covers the least."""
    control = _arc_control(a, b, rad)
    across = np.array([b[1] - a[1], a[0] - b[0]]) / max(float(np.hypot(*(b - a))), 1e-9)
    best, least = a, math.inf
    steps = (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75, 0.2, 0.8)
    curve = [(1 - t) ** 2 * a + 2 * (1 - t) * t * control + t**2 * b for t in steps]
    for spot in [*curve, *(p + side * 2.2 * _MARK * across for side in (1, -1) for p in curve)]:
        overlaps = [np.minimum(spot + _MARK, high) - np.maximum(spot - _MARK, low) for low, high in taken]
        covered = sum(float(np.prod(np.clip(overlap, 0.0, None))) for overlap in overlaps)
        if covered == 0.0:
            return spot
        if covered < least:
            best, least = spot, covered
    return best


def _arc_control(a: np.ndarray, b: np.ndarray, rad: float) -> np.ndarray:
    """The control point of matplotlib's ``arc3`` from ``a`` to ``b``: the chord's middle moved
    ``rad`` × the chord's length, perpendicular (a quadratic Bezier)."""
    return (a + b) / 2 + rad * np.array([b[1] - a[1], a[0] - b[0]])


_DIRECTIONS = [np.array([math.cos(k * math.pi / 8), math.sin(k * math.pi / 8)]) for k in range(16)]
"""The directions a node's name may take from its disc (every 22.5 degrees)."""


def _alignment(direction: np.ndarray) -> tuple[str, str]:
    """(horizontal, vertical) alignment of a name put in ``direction`` from its node."""
    horizontal = "left" if direction[0] > 0.35 else "right" if direction[0] < -0.35 else "center"
    vertical = "bottom" if direction[1] > 0.35 else "top" if direction[1] < -0.35 else "center"
    return horizontal, vertical


def _name_place(
    node: np.ndarray,
    label: str,
    width: float,
    away: np.ndarray,
    arcs: np.ndarray,
    taken: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """(direction, box) of a node's name (inches): of :data:`_DIRECTIONS`, the one whose box
    covers the fewest points of the edges' curves ``arcs`` ((n, 2) inches) and no box of
    ``taken`` (names placed before, nodes), nearest ``away`` (from the graph's centre, so names
    sit outside) among equals. A name put only away from the centre lay across an edge of its
    own node (Nvidia's, on the edge to Intel, whose number then had no room on it) or the
    edges of a busy one (OpenAI's)."""
    best: tuple[float, float] = (math.inf, math.inf)
    place = (away, _name_box(node, label, width, *_alignment(away)))
    for direction in _DIRECTIONS:
        low, high = box = _name_box(
            node + direction * (NODE_RADIUS + 4) / 72, label, width, *_alignment(direction)
        )
        crossed = np.count_nonzero(np.all((arcs > low) & (arcs < high), axis=1))
        covered = sum(bool(np.all(np.minimum(high, b) > np.maximum(low, a))) for a, b in taken)
        cost = (crossed + 1000.0 * covered, -float(direction @ away))
        if cost < best:
            best, place = cost, (direction, box)
    return place


def _arc_points(a: np.ndarray, b: np.ndarray, rad: float) -> np.ndarray:
    """(60, 2) points of the arc from ``a`` to ``b`` (:func:`_arc_control`), ends excluded (the
    arrows stop short of the discs)."""
    t = np.linspace(0.04, 0.96, 60)[:, None]
    return (1 - t) ** 2 * a + 2 * (1 - t) * t * _arc_control(a, b, rad) + t**2 * b


def _wrapped(name: str) -> str:
    return "\n".join(textwrap.wrap(name, NAME_CHARACTERS, break_on_hyphens=True)) or name


def _fitted_name(figure: Figure, name: str) -> tuple[str, float]:
    """A node's name wrapped (:func:`_wrapped`), each line cut to the room of a line of
    :data:`NAME_CHARACTERS` average letters (a line of wide letters, WWW..., ran off the figure),
    and the width in inches of its widest line as drawn, which the graph's margins are made from.
    Each line was cut to its own characters' estimate: bold capitals are wider, and AMD and AWS
    were both drawn "A…"."""
    from eventstudy.report.figures import fitted, text_inches

    room = NAME_CHARACTERS * _NAME_EM
    lines = [fitted(figure, line, room, size=8, bold=True) for line in _wrapped(name).split("\n")]
    return "\n".join(lines), max(text_inches(figure, line, size=8, bold=True) for line in lines)


def flows_figure(flows: DealFlows | None) -> Figure:
    """Who pays whom: a directed graph of the flows, edge width by deal size, and its key.

    Each edge carries its number; the key beside the graph lists, for each number, payer →
    payee, the deal size and each listed party's abnormal dollar value over the window (``⚑``
    where the window holds other news), coloured by the sign of the parties' values, so labels
    never cover each other or a node. Undisclosed deals are thin dashed grey edges. Nodes are
    discs placed by :func:`layout`, each named on the side of its disc that the fewest edges
    cross, nearest the outside of the graph (:func:`_name_place`; names wrap at
    :data:`NAME_CHARACTERS` characters and the graph's margins grow with the longest line, so a
    long name is not cut at the figure's edge); each arrow stops short of its target disc by the
    disc's radius, so every arrowhead is visible, and repeated or opposite edges between two
    nodes bend apart.
    """
    from eventstudy.report.figures import GAIN, LOSS, fitted, message_figure, new_figure, style

    if flows is None or not flows.flows:
        return message_figure("None of the configured flows' announcements is in this study.", "Deal flows")
    names = list(dict.fromkeys(n for f in flows.flows for n in (f.payer, f.payee)))
    where = layout(names, [(f.payer, f.payee) for f in flows.flows])
    deals = np.array([f.deal_usd for f in flows.flows], dtype=float)
    largest = float(np.nanmax(deals)) if np.isfinite(deals).any() else 1.0
    width_in, height_in = 7.2, 5.4
    graph_in = 4.6  # inches of the graph; the key takes the rest
    with style():
        figure = new_figure(width_in, height_in)
        # A line of wide letters (WWW...) is wider than its characters' estimate: cut to it.
        fitted_names = {name: _fitted_name(figure, name) for name in names}
        labels = {name: label for name, (label, _) in fitted_names.items()}
        longest = max(width for _, width in fitted_names.values())
        side = min(0.2, (longest + (NODE_RADIUS + 6) / 72) / width_in)  # room for a name
        lines = max(label.count("\n") + 1 for label in labels.values())
        tall = (lines * 10 + NODE_RADIUS + 6) / 72 / height_in  # a name above or below its node
        box = (side, 0.08 + tall, graph_in / width_in - 2 * side, 0.86 - 0.08 - 2 * tall)
        axes = figure.add_axes(box)
        axes.set_axis_off()
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1)
        inches = np.array([box[2] * width_in, box[3] * height_in])  # one axes unit in inches
        centre = np.mean(list(where.values()), axis=0)
        seen: dict[frozenset[str], int] = {}
        rads = []  # repeated or opposite edges between two nodes bend apart
        for flow in flows.flows:
            pair = frozenset((flow.payer, flow.payee))
            rads.append(0.15 * (1 + seen.get(pair, 0)))
            seen[pair] = seen.get(pair, 0) + 1
        arcs = np.concatenate(
            [
                _arc_points(where[flow.payer] * inches, where[flow.payee] * inches, rad)
                for flow, rad in zip(flows.flows, rads, strict=True)
            ]
        )
        disc = NODE_RADIUS / 72
        # (low, high) corners in inches of what a name or mark must clear: nodes, names, marks
        taken = [(where[n] * inches - disc, where[n] * inches + disc) for n in names]
        for name, point in where.items():
            axes.plot(
                [point[0]],
                [point[1]],
                marker="o",
                markersize=2 * NODE_RADIUS,
                color="#0072B2",
                zorder=3,
                clip_on=False,
            )
            away = (point - centre) * inches
            norm = float(np.hypot(*away))
            direction, name_box = _name_place(
                point * inches,
                labels[name],
                fitted_names[name][1],
                away / norm if norm > 0.3 else np.array([0.0, 1.0]),
                arcs,
                taken,
            )
            horizontal, vertical = _alignment(direction)
            taken.append(name_box)
            axes.annotate(
                labels[name],
                cast("tuple[float, float]", point),  # matplotlib's stubs: xy is any pair, an array too
                xytext=tuple(direction * (NODE_RADIUS + 4)),
                textcoords="offset points",
                ha=horizontal,
                multialignment=horizontal,
                va=vertical,
                fontsize=8,
                fontweight="bold",
                zorder=5,
                annotation_clip=False,
            )
        key: list[tuple[str, str]] = []
        for number, (flow, rad) in enumerate(zip(flows.flows, rads, strict=True), start=1):
            disclosed = not fmt.is_missing(flow.deal_usd)
            width = 0.8 + 4.0 * math.sqrt(flow.deal_usd / largest) if disclosed else 0.8
            start, end = where[flow.payer], where[flow.payee]
            axes.annotate(
                "",
                xy=tuple(end),
                xytext=tuple(start),
                zorder=2,
                annotation_clip=False,
                arrowprops={
                    "arrowstyle": "-|>",
                    "mutation_scale": 8 + 1.8 * width,
                    "linewidth": width,
                    "color": "#444444" if disclosed else "#999999",
                    "linestyle": "-" if disclosed else "--",
                    "connectionstyle": f"arc3,rad={rad}",
                    "shrinkA": NODE_RADIUS + 2,
                    "shrinkB": NODE_RADIUS + 2,
                },
            )
            # A point of the arc (arc3's quadratic Bezier, in inches) clear of names, nodes and marks.
            spot = _free_spot(start * inches, end * inches, rad, taken)
            taken.append((spot - _MARK, spot + _MARK))
            middle = spot / inches
            known = [v.value_usd for v in flow.values if not fmt.is_missing(v.value_usd)]
            colour = "#444444" if not known else (GAIN if sum(known) >= 0 else LOSS)
            axes.text(
                middle[0],
                middle[1],
                str(number),
                ha="center",
                va="center",
                fontsize=6,
                fontweight="bold",
                color=colour,
                zorder=4,
                clip_on=False,
                bbox={
                    "boxstyle": "circle,pad=0.25",
                    "facecolor": "white",
                    "edgecolor": colour,
                    "linewidth": 0.6,
                },
            )
            heading = f"{number}  {flow.payer} → {flow.payee}"
            key.append((textwrap.fill(heading, 34, subsequent_indent="    "), colour))
            key += [("    " + line, colour) for line in _edge_label(flow).splitlines()]
        rows = len(key) + sum(text.count("\n") for text, _ in key)
        size = min(6.0, 0.86 * height_in * 72 / max(rows, 1) / 1.25)  # the key fits the height
        y = 0.86
        room = width_in - graph_in - 0.01 * width_in - 0.05  # the key's width, inches
        for text, colour in key:  # a line of wide letters (WWW...) ran off the figure: cut with "…"
            text = "\n".join(fitted(figure, line, room, size=size) for line in text.split("\n"))
            figure.text(graph_in / width_in + 0.01, y, text, ha="left", va="top", fontsize=size, color=colour)
            y -= (text.count("\n") + 1) * size * 1.25 / 72 / height_in
        figure.suptitle(
            f"Deal flows: who pays whom, and value created over {flows.window}",
            x=0.02,
            ha="left",
            fontsize=9,
            fontweight="bold",
        )
        figure.text(
            0.02,
            0.015,
            "Arrows point from payer to payee; width grows with the deal size (dashed: undisclosed).\n"
            f"Key: each numbered edge's deal, then each listed party's abnormal dollar value; {FLAG} other "
            "news in its window.",
            ha="left",
            va="bottom",
            fontsize=6,
            color="#666666",
        )
        return figure
