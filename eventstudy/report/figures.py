"""The report's figures, drawn with matplotlib's Agg canvas into PNG bytes.

Every function takes plain frames and returns the PNG file's bytes. Rendering is
byte-for-byte reproducible on one matplotlib/FreeType build: the style starts from
matplotlib's defaults (any user ``matplotlibrc`` is ignored), text uses DejaVu Sans (shipped
with matplotlib), the size and DPI are fixed, and the PNG carries no ``Software`` or date
metadata. No pyplot state is used, so drawing is safe in a library and in tests.

Every function accepts empty and all-missing inputs: instead of failing (a log axis without a
positive value cannot be drawn) it draws a figure whose only content is one sentence saying
what is missing (:func:`message_figure`). The report itself leaves such figures out and says
why in its text.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle
from matplotlib.ticker import FuncFormatter

from eventstudy.report import fmt
from eventstudy.report.flows import MoneyLoop

DPI = 100
STYLE: dict[str, object] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 8.0,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "path.simplify": False,
    "text.parse_math": False,  # "$" is a dollar sign, never mathtext
    "svg.hashsalt": "eventstudy",
}
# Colour-blind-safe palette (Okabe & Ito 2008), cycled over parties.
PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
GAIN, LOSS = "#1a7f37", "#c0392b"


@contextmanager
def _style() -> Iterator[None]:
    with mpl.rc_context():
        mpl.rcdefaults()
        mpl.rcParams.update(STYLE)
        yield


def _new(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def message_figure(text: str, title: str = "", width: float = 7.2, height: float = 2.4) -> bytes:
    """A figure with no axes: ``title`` and one sentence ``text`` saying what is missing."""
    with _style():
        figure = _new(width, height)
        if title:
            figure.text(0.02, 0.92, title, ha="left", va="top", fontsize=10, fontweight="bold")
        figure.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, color="#555555", wrap=True)
        return _png(figure)


def _finite(values: object) -> np.ndarray:
    return np.isfinite(np.asarray(values, dtype=float))


def _percent_tick(value: float, _position: object = None) -> str:
    """A tick label in percent: whole percents without decimals, others with one."""
    whole = abs(value * 100 - round(value * 100)) < 1e-9
    return fmt.percent(value, digits=0 if whole else 1)


def _percent_axis(axis) -> None:
    axis.set_major_formatter(FuncFormatter(_percent_tick))


def car_path_figure(paths: pd.DataFrame, title: str) -> bytes:
    """One event's CAR path per party with its 95% band.

    Parameters
    ----------
    paths
        Rows of :func:`eventstudy.report.paths.car_paths` for one event.
    title
        Figure title (the event id and date).
    """
    if not _finite(paths["car"]).any():
        return message_figure("No party of this event has an estimated abnormal return.", title)
    with _style():
        figure = _new(7.2, 3.9)
        axes = figure.add_subplot()
        for i, (ticker, rows) in enumerate(paths.groupby("ticker", sort=False)):
            colour = PALETTE[i % len(PALETTE)]
            role = rows["role"].iloc[0]
            axes.fill_between(
                rows["tau"], rows["lower"], rows["upper"], color=colour, alpha=0.15, linewidth=0
            )
            axes.plot(
                rows["tau"], rows["car"], color=colour, marker="o", markersize=3, label=f"{ticker} ({role})"
            )
        axes.axhline(0, color="#555555", linewidth=0.8)
        axes.axvline(0, color="#555555", linewidth=0.8, linestyle=":")
        taus = np.sort(paths["tau"].unique())
        axes.set_xticks(taus, [f"{t:+d}" if t else "0" for t in taus])
        axes.set_xlabel("trading day relative to day 0 (τ)")
        axes.set_ylabel(f"CAR from τ={taus[0]:+d}")
        _percent_axis(axes.yaxis)
        axes.set_title(title, loc="left")
        axes.legend(loc="upper left", ncols=min(3, paths["ticker"].nunique()))
        figure.text(
            0.99,
            0.01,
            "bands: 95%, CLM prediction-error s.e.",
            ha="right",
            va="bottom",
            fontsize=7,
            color="#666666",
        )
        figure.subplots_adjust(left=0.1, right=0.98, top=0.91, bottom=0.14)
        return _png(figure)


def caar_figure(caar: pd.DataFrame) -> bytes:
    """The CAAR path per group with its 95% cross-sectional band, one panel per group.

    Parameters
    ----------
    caar
        :func:`eventstudy.report.paths.caar_paths`.
    """
    if not _finite(caar["caar"]).any():
        return message_figure("No group has an estimated CAR.", "CAAR by group")
    caar = caar[_finite(caar["caar"])]
    groups = list(dict.fromkeys(caar["group"]))
    columns = min(3, max(1, len(groups)))
    rows_n = math.ceil(len(groups) / columns)
    with _style():
        figure = _new(3.4 * columns, 2.9 * rows_n + 0.3)
        axes_list = figure.subplots(rows_n, columns, squeeze=False, sharey=True).ravel()
        for axes, group in zip(axes_list, groups, strict=False):
            rows = caar[caar["group"] == group]
            axes.fill_between(
                rows["tau"], rows["lower"], rows["upper"], color=PALETTE[0], alpha=0.18, linewidth=0
            )
            axes.plot(rows["tau"], rows["caar"], color=PALETTE[0], marker="o", markersize=3)
            axes.axhline(0, color="#555555", linewidth=0.8)
            axes.axvline(0, color="#555555", linewidth=0.8, linestyle=":")
            n = int(rows["n"].max()) if len(rows) else 0
            axes.set_title(f"{group} (N={n})", loc="left")
            taus = np.sort(rows["tau"].unique())
            axes.set_xticks(taus, [f"{t:+d}" if t else "0" for t in taus], fontsize=7)
            axes.set_xlabel("τ")
            _percent_axis(axes.yaxis)
        for axes in axes_list[len(groups) :]:
            axes.set_visible(False)
        axes_list[0].set_ylabel("CAAR")
        figure.text(
            0.99,
            0.005,
            "bands: 95%, cross-sectional s.e. of the mean CAR",
            ha="right",
            va="bottom",
            fontsize=7,
            color="#666666",
        )
        figure.subplots_adjust(left=0.08, right=0.99, top=0.9, bottom=0.16, wspace=0.08, hspace=0.45)
        return _png(figure)


def value_vs_deal_figure(points: pd.DataFrame, window: str) -> bytes:
    """Abnormal dollar value against deal size, log-log, one labelled point per (event, party).

    Parameters
    ----------
    points
        ``event_id``, ``ticker``, ``deal_usd``, ``abnormal_value_usd`` (finite, deal > 0).
    window
        The CAR window of the values (for the axis label). Points without a finite, non-zero
        value or a positive deal cannot be placed on log scales and are left out.
    """
    deal_all = points["deal_usd"].to_numpy(dtype=float)
    value_all = points["abnormal_value_usd"].to_numpy(dtype=float)
    keep = _finite(deal_all) & (deal_all > 0) & _finite(value_all) & (value_all != 0)
    title = f"Market value created vs deal size, {window}"
    if not keep.any():
        return message_figure(
            "No (event, party) has both a disclosed deal size and a non-zero abnormal dollar value.", title
        )
    points = points[keep].reset_index(drop=True)
    with _style():
        figure = _new(7.6, 5.2)
        axes = figure.add_subplot()
        figure.subplots_adjust(left=0.11, right=0.98, top=0.93, bottom=0.1)  # before placing labels
        deal = points["deal_usd"].to_numpy(dtype=float)
        value = points["abnormal_value_usd"].to_numpy(dtype=float)
        size = np.abs(value)
        gain = value >= 0
        axes.scatter(deal[gain], size[gain], color=GAIN, s=28, label="value created (gain)", zorder=3)
        axes.scatter(
            deal[~gain],
            size[~gain],
            facecolor="white",
            edgecolor=LOSS,
            s=28,
            linewidth=1.4,
            label="value destroyed (loss)",
            zorder=3,
        )
        axes.set_xscale("log")
        axes.set_yscale("log")
        x_lim = (deal.min() / 2.5, deal.max() * 2.5)
        y_lim = (size.min() / 3, max(size.max(), 1e6) * 3)  # every point inside the axes
        axes.set_xlim(*x_lim)
        axes.set_ylim(*y_lim)
        line = np.array([min(x_lim[0], y_lim[0]) / 10, max(x_lim[1], y_lim[1]) * 10])
        for multiple, style in ((1.0, "-"), (0.1, "--"), (10.0, "--")):
            axes.plot(line, multiple * line, color="#999999", linewidth=0.8, linestyle=style, zorder=1)
            # Label each reference line where it leaves the plot (top or right edge).
            x_at = min(x_lim[1], y_lim[1] / multiple) / 1.15
            axes.annotate(
                f"value = {multiple:g}× deal",
                (x_at, multiple * x_at),
                fontsize=7,
                color="#777777",
                ha="right",
                va="bottom",
                rotation=0,
            )
        _label_points(
            axes,
            deal,
            size,
            [f"{t} · {e}" for t, e in zip(points["ticker"], points["event_id"], strict=True)],
        )
        axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.money(v, signed=False)))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.money(v, signed=False)))
        axes.set_xlabel("deal size (log scale)")
        axes.set_ylabel(f"|abnormal dollar value| over {window} (log scale)")
        axes.set_title(title, loc="left")
        axes.legend(loc="lower right")
        return _png(figure)


MAX_POINT_LABELS = 40


def _label_points(axes, x: np.ndarray, y: np.ndarray, labels: Sequence[str], fontsize: float = 6.5) -> None:
    """Label the :data:`MAX_POINT_LABELS` largest points without overlapping an earlier label
    (greedy, largest y first; a large study's other points stay unlabelled).

    Candidate places, in order: right of the point, left of it, then further above and below
    on either side. Text extents are estimated from the character count (DejaVu Sans averages
    about 0.6 em per character), in display units, so the layout is deterministic.
    """
    to_pixels = axes.transData.transform
    box = axes.get_window_extent()
    scale = axes.figure.dpi / 72.0
    height = fontsize * 1.25 * scale
    boxes: list[tuple[float, float, float, float]] = []
    candidates = [(side, shift) for shift in (0, 1, -1, 2, -2, 3, -3) for side in (1, -1)]
    for i in np.argsort(-y, kind="stable")[:MAX_POINT_LABELS]:
        px, py = to_pixels((x[i], max(y[i], 1e-300)))
        width = len(labels[i]) * fontsize * 0.6 * scale
        chosen = candidates[0]
        for side, shift in candidates:
            x0 = px + 5 * scale if side > 0 else px - 5 * scale - width
            y0 = py - height / 2 + shift * height
            rect = (x0, y0, x0 + width, y0 + height)
            inside = rect[0] >= box.x0 and rect[2] <= box.x1 and rect[1] >= box.y0 and rect[3] <= box.y1
            clear = all(
                rect[2] <= b[0] or rect[0] >= b[2] or rect[3] <= b[1] or rect[1] >= b[3] for b in boxes
            )
            if inside and clear:
                chosen = (side, shift)
                break
        side, shift = chosen
        x0 = px + 5 * scale if side > 0 else px - 5 * scale - width
        y0 = py - height / 2 + shift * height
        boxes.append((x0, y0, x0 + width, y0 + height))
        axes.annotate(
            labels[i],
            (x[i], y[i]),
            xytext=(5 * side, shift * fontsize * 1.25),
            textcoords="offset points",
            fontsize=fontsize,
            color="#333333",
            ha="left" if side > 0 else "right",
            va="center",
            arrowprops={"arrowstyle": "-", "color": "#bbbbbb", "linewidth": 0.5} if shift else None,
        )


# Node positions of the money-loop diagram (axes fraction); unknown names go on a ring.
_LOOP_LAYOUT: dict[str, tuple[float, float]] = {
    "OpenAI": (0.42, 0.50),
    "Oracle": (0.80, 0.80),
    "Nvidia": (0.80, 0.20),
    "AMD": (0.08, 0.88),
    "Broadcom": (0.04, 0.62),
    "CoreWeave": (0.04, 0.38),
    "AWS": (0.08, 0.12),
    "Azure": (0.42, 0.92),
}


def _layout(names: Sequence[str]) -> dict[str, tuple[float, float]]:
    out = {}
    extra = [n for n in names if n not in _LOOP_LAYOUT]
    for n in names:
        if n in _LOOP_LAYOUT:
            out[n] = _LOOP_LAYOUT[n]
    for i, n in enumerate(extra):
        angle = 2 * math.pi * (i + 0.5) / max(1, len(extra))
        out[n] = (0.5 + 0.42 * math.cos(angle), 0.5 + 0.42 * math.sin(angle))
    return out


def money_loop_figure(loop: MoneyLoop) -> bytes:
    """Who pays whom: each edge labelled with deal dollars and the parties' abnormal dollar value."""
    if not loop.flows:
        return message_figure("None of the loop's announcements is in this study.", "The money loop")
    names = list(dict.fromkeys([n for f in loop.flows for n in (f.payer, f.payee)]))
    where = _layout(names)
    with _style():
        figure = _new(9.0, 6.4)
        axes = figure.add_axes((0.0, 0.12, 1.0, 0.82))
        axes.set_axis_off()
        axes.set_xlim(-0.08, 1.08)
        axes.set_ylim(-0.02, 1.02)
        for name, (x, y) in where.items():
            axes.text(
                x,
                y,
                name,
                ha="center",
                va="center",
                fontsize=10,
                fontweight="bold",
                zorder=4,
                bbox={"boxstyle": "round,pad=0.45", "facecolor": "#eef3fb", "edgecolor": "#0072B2"},
            )
        for flow in loop.flows:
            start, end = where[flow.payer], where[flow.payee]
            arrow = FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=14,
                linewidth=1.6,
                color="#444444",
                connectionstyle="arc3,rad=0.12",
                shrinkA=26,
                shrinkB=26,
                zorder=2,
            )
            axes.add_patch(arrow)
            deal = (
                "deal undisclosed"
                if fmt.is_missing(flow.deal_usd)
                else f"deal {fmt.money(flow.deal_usd, signed=False)}"
            )
            values = "\n".join(f"{t} {fmt.money(v)}" for t, v in flow.values)
            mid_x = (start[0] + end[0]) / 2 + 0.06 * (end[1] - start[1])
            mid_y = (start[1] + end[1]) / 2 - 0.06 * (end[0] - start[0])
            colour = GAIN if sum(v for _, v in flow.values if not fmt.is_missing(v)) >= 0 else LOSS
            axes.text(
                mid_x,
                mid_y,
                f"{deal}\n{values}",
                ha="center",
                va="center",
                fontsize=7.5,
                color=colour,
                zorder=5,
                bbox={
                    "boxstyle": "round,pad=0.25",
                    "facecolor": "white",
                    "edgecolor": "#cccccc",
                    "alpha": 0.92,
                },
            )
        figure.suptitle(
            f"The OpenAI compute money loop: who pays whom, and value created over {loop.window}",
            fontsize=11,
            fontweight="bold",
        )
        undisclosed = f" ({loop.undisclosed_deals} deal(s) undisclosed)" if loop.undisclosed_deals else ""
        missing = f" ({loop.missing_values} value(s) unavailable)" if loop.missing_values else ""
        figure.text(
            0.5,
            0.07,
            f"Deal dollars in the loop: {fmt.money(loop.deal_usd, signed=False)}{undisclosed}    "
            f"Market value created on the edges: {fmt.money(loop.value_usd)}{missing}",
            ha="center",
            va="center",
            fontsize=9.5,
            fontweight="bold",
        )
        figure.text(
            0.5,
            0.042,
            "Other listed parties of these announcements (rivals, partners): "
            f"{fmt.money(loop.other_value_usd)}",
            ha="center",
            va="center",
            fontsize=8,
        )
        figure.text(
            0.5,
            0.018,
            "Arrows point from payer to payee; labels: deal size, then each listed party's abnormal dollar "
            "value.",
            ha="center",
            va="center",
            fontsize=7.5,
            color="#666666",
        )
        return _png(figure)


def heatmap_figure(matrix: pd.DataFrame, parties: pd.DataFrame, *, cap: float = 0.10) -> bytes:
    """Day-0 abnormal returns, events × tickers; party cells are outlined.

    Parameters
    ----------
    matrix
        Day-0 AR (fractions), index event ids, columns tickers; NaN where not estimated.
    parties
        Same shape, True where the ticker is a party (not a peer) of the event.
    cap
        Colour scale limit (±); larger moves get the end colour and their value printed.
    """
    if matrix.size == 0 or not _finite(matrix.to_numpy(dtype=float)).any():
        return message_figure(
            "No (event, ticker) has an estimated day-0 abnormal return.", "Day-0 abnormal returns"
        )
    n_rows, n_cols = matrix.shape
    with _style():
        width, height = max(6.0, 0.62 * n_cols + 3.4), max(3.0, 0.36 * n_rows + 1.3)
        figure = _new(width, height)
        axes = figure.add_subplot()
        axes.grid(False)
        values = matrix.to_numpy(dtype=float)
        image = axes.imshow(
            np.ma.masked_invalid(values),
            cmap=mpl.colormaps["RdBu"].with_extremes(bad="#eeeeee"),
            norm=TwoSlopeNorm(0.0, -cap, cap),
            aspect="auto",
            interpolation="nearest",
        )
        for r in range(n_rows):
            for c in range(n_cols):
                v = values[r, c]
                text = "—" if not np.isfinite(v) else fmt.percent(v, digits=1)
                dark = np.isfinite(v) and abs(v) > 0.6 * cap
                axes.text(
                    c, r, text, ha="center", va="center", fontsize=6.5, color="white" if dark else "#222222"
                )
                if bool(parties.iat[r, c]):
                    axes.add_patch(
                        Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=1.6)
                    )
        axes.set_xticks(range(n_cols), list(matrix.columns))
        axes.set_yticks(range(n_rows), list(matrix.index))
        axes.tick_params(axis="x", labeltop=True, labelbottom=False, length=0)
        axes.tick_params(axis="y", length=0)
        for spine in axes.spines.values():
            spine.set_visible(False)
        bar = figure.colorbar(image, ax=axes, extend="both", fraction=0.035, pad=0.015)
        bar.ax.yaxis.set_major_formatter(FuncFormatter(_percent_tick))
        bar.set_label("day-0 abnormal return")
        axes.set_title("Day-0 abnormal returns: parties (outlined) and ecosystem peers", loc="left", pad=24)
        # Fixed margins in inches: event ids on the left, the colour bar on the right.
        figure.subplots_adjust(
            left=1.75 / width, right=1 - 1.0 / width, top=1 - 0.75 / height, bottom=0.1 / height
        )
        return _png(figure)
