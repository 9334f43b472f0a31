"""The report on awkward but valid studies, and on hostile text.

Every section and figure must handle empty, all-missing, all-negative and single-row inputs
with one sentence saying what is missing and why; the report is built from the configured
windows whatever they are; user text cannot change the structure of report.md or report.html.
Export folders are written by hand here (numbers chosen so each cell can be checked).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _report_checks import check_html, check_markdown, markdown_cells

from eventstudy.backtest.report import render_backtest_section
from eventstudy.backtest.rules import BacktestConfig
from eventstudy.config import FlowEdge, window_label
from eventstudy.output.export import write_parquet
from eventstudy.output.schema import SCHEMAS, STATS_SCHEMA
from eventstudy.report import (
    about,
    build_report,
    fmt,
    read_exports,
    render_markdown,
    report_windows,
)
from eventstudy.report import figures as report_figures
from eventstudy.report.figures import png_bytes
from eventstudy.report.flows import DealFlows, Flow, PartyValue, deal_flows, flows_figure
from eventstudy.report.html import inline, png_size
from eventstudy.report.write import write_into

HOSTILE = (
    'Deal | with pipe\n# heading\r\n<script>alert(1)</script> <img src=x onerror="alert(2)"> '
    "[x](javascript:y)"
)


def pair(event: str, ticker: str, ars: tuple[float, ...], **extra: object) -> dict[str, object]:
    """One (event, party) of a hand-made export: ARs over the taus, and its other fields."""
    return {
        "event": event,
        "ticker": ticker,
        "ars": ars,
        "role": extra.get("role", "supplier"),
        "group": extra.get("group", "g1"),
        "deal": extra.get("deal", 1e9),
        "mcap": extra.get("mcap", 10e9),
        "headline": extra.get("headline", f"{event} headline"),
        "outcome": extra.get("outcome", "ok"),
        "note": extra.get("note", ""),
    }


def write_exports(
    folder: Path,
    pairs: list[dict[str, object]],
    windows: list[tuple[int, int]],
    stats: pd.DataFrame | None = None,
) -> Path:
    """An output folder with the columns the report reads; CAR over a window = Σ AR, t = CAR/0.01,
    abnormal value = CAR × market value (NaN when the market value is)."""
    folder.mkdir(parents=True)
    first, last = min(a for a, _ in windows), max(b for _, b in windows)
    taus = list(range(first, last + 1))
    events, ar, car = [], [], []
    for p in pairs:
        ars = np.asarray(p["ars"], dtype=float)
        assert len(ars) == len(taus)
        day0 = pd.Timestamp("2025-01-06")
        events.append(
            {
                "event_id": p["event"],
                "announced": day0,
                "timing": "pre",
                "ticker": p["ticker"],
                "role": p["role"],
                "deal_usd": p["deal"],
                "group": p["group"],
                "headline": p["headline"],
            }
        )
        for tau, a, c in zip(taus, ars, np.cumsum(ars), strict=True):
            ar.append(
                {"event_id": p["event"], "ticker": p["ticker"], "role": p["role"], "tau": tau, "ar": a}
                | {"car": c, "car_se": 0.01}
            )
        for start, end in windows:
            total = float(ars[start - first : end - first + 1].sum())
            value = total * float(p["mcap"])
            car.append(
                {
                    "event_id": p["event"],
                    "ticker": p["ticker"],
                    "role": p["role"],
                    "group": p["group"],
                    "window": window_label((start, end)),
                    "tau_start": start,
                    "tau_end": end,
                    "day0": day0,
                    "day0_shift": "",
                    "n_est": 100,
                    "car": total,
                    "car_se": 0.01,
                    "t": total / 0.01,
                    "p": 0.5,
                    "mcap_prev_usd": p["mcap"],
                    "abnormal_value_usd": value,
                    "deal_usd": p["deal"],
                    "value_to_deal": value / float(p["deal"]),
                    "outcome": p["outcome"],
                    "note": p["note"],
                }
            )
    write_parquet(pd.DataFrame(events), folder / "events.parquet", docs=SCHEMAS["events.parquet"])
    write_parquet(pd.DataFrame(ar), folder / "ar.parquet", docs=SCHEMAS["ar.parquet"])
    write_parquet(pd.DataFrame(car), folder / "car.parquet", docs=SCHEMAS["car.parquet"])
    if stats is not None:
        write_parquet(stats, folder / "stats.parquet", docs=SCHEMAS["stats.parquet"])
    manifest = {
        "config": {
            "name": "edge",
            "market": "SPY",
            "model": "market",
            "estimation_window": [-260, -11],
            "min_estimation_obs": 50,
            "event_windows": [list(w) for w in windows],
        },
        "estimation": {"n_params": 2},
        "peers": [],
        "versions": {"python": "3", "eventstudy-backtester": "0.1.0"},
        "inputs": {"events": {"path": "events.csv", "sha256": "0" * 64}, "prices": {}, "shares": {}},
        "command": ["eventstudy", "run"],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def build(folder: Path, pairs, windows, stats=None):
    """(report, markdown, html) of a hand-made export, with no warning raised on the way."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = build_report(read_exports(write_exports(folder, pairs, windows, stats)))
        markdown, html = render_markdown(report), report.to_html()
    check_markdown(markdown)
    check_html(html, len(report.figures()))
    return report, markdown, html


def section(markdown: str, title: str) -> str:
    return markdown.split(f"## {title}\n")[1].split("\n## ")[0]


def table_header(markdown: str, title: str) -> list[str]:
    line = next(line for line in section(markdown, title).splitlines() if line.startswith("| "))
    return [cell.strip() for cell in line.strip("|").split(" | ")]


def row_of(markdown: str, title: str, start: str) -> list[str]:
    line = next(line for line in section(markdown, title).splitlines() if line.startswith(start))
    return [cell.strip() for cell in line.strip().strip("|").split(" | ")]


THREE = (0.01, 0.05, -0.02)  # ARs on τ = -1, 0, +1


# -- the windows rule ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["[0,0]", "[-1,+1]", "[0,+1]", "[-5,+5]"], ("[0,0]", "[-1,+1]")),
        (["[-5,+5]", "[-1,+1]"], (None, "[-1,+1]")),
        (["[0,+1]", "[0,0]", "[-5,+5]"], ("[0,0]", "[0,+1]")),
        (["[0,0]"], ("[0,0]", "[0,0]")),
        (["[+2,+5]", "[-3,+3]"], (None, "[+2,+5]")),
    ],
)
def test_report_windows_rule(labels, expected) -> None:
    assert report_windows(labels) == expected


def test_report_windows_needs_a_window() -> None:
    with pytest.raises(ValueError, match="at least one"):
        report_windows([])


def test_without_the_three_day_window_the_day0_columns_hold_numbers_and_nothing_doubles(tmp_path) -> None:
    pairs = [pair("e1", "AAA", (0.05, -0.02)), pair("e1", "BBB", (-0.03, 0.01))]
    _, markdown, _ = build(tmp_path / "s", pairs, [(0, 0), (0, 1)])
    header = table_header(markdown, "Returns and dollar value by party")
    assert header == [
        "event", "party", "AR(0)", "t", "CAR[0,+1]", "t",
        "market value τ=-1", "value [0,0]", "value [0,+1]", "flags",
    ]  # fmt: skip
    row = row_of(markdown, "Returns and dollar value by party", "| e1 | AAA (supplier) |")
    assert row[2:5] == ["+5.00%", "+5.00", "+3.00%"]  # AR(0) = 5%, t = 0.05/0.01, CAR[0,+1] = 3%
    assert row[7:9] == ["+$500.0M", "+$300.0M"]
    per_deal = section(markdown, "Value per deal dollar")
    assert sum(line.startswith("| e1 |") for line in per_deal.splitlines()) == 2  # one row per pair
    assert table_header(markdown, "Value per deal dollar") == [
        "event", "party", "deal", "value [0,0]", "per deal $ [0,0]",
        "value [0,+1]", "per deal $ [0,+1]", "flags",
    ]  # fmt: skip
    assert "The report leads with [0,+1], and has day-0 columns from the [0,0] window" in markdown


def test_without_a_day0_window_the_report_says_so(tmp_path) -> None:
    _, markdown, _ = build(tmp_path / "s", [pair("e1", "AAA", THREE)], [(-1, 1)])
    header = table_header(markdown, "Returns and dollar value by party")
    assert "AR(0)" not in header and header.count("value [-1,+1]") == 1
    assert "No [0,0] window is configured, so there are no day-0 columns" in markdown
    row = row_of(markdown, "Returns and dollar value by party", "| e1 | AAA (supplier) |")
    assert row[2] == "+4.00%"


def test_a_study_with_only_the_day0_window_shows_it_once(tmp_path) -> None:
    _, markdown, _ = build(tmp_path / "s", [pair("e1", "AAA", (0.05,))], [(0, 0)])
    header = table_header(markdown, "Returns and dollar value by party")
    assert header.count("value [0,0]") == 1 and "AR(0)" not in header and "CAR[0,0]" in header
    assert table_header(markdown, "Value per deal dollar").count("value [0,0]") == 1


def test_windows_without_day0_have_no_heat_map_and_say_why(tmp_path) -> None:
    report, markdown, _ = build(tmp_path / "s", [pair("e1", "AAA", (0.01, 0.02, 0.03, 0.04))], [(2, 5)])
    assert "figures/peers_day0_heatmap.png" not in report.figures()
    assert "The event windows do not include day 0" in section(markdown, "Spillover to peers")
    assert "No [0,0] window is configured" in markdown
    assert "figures/car_e1.png" in report.figures() and "figures/value_per_deal.png" in report.figures()


# -- missing, negative, single ---------------------------------------------------------------
def test_no_deal_sizes_gives_a_sentence_instead_of_the_figure(tmp_path) -> None:
    pairs = [pair("e1", "AAA", THREE, deal=np.nan), pair("e2", "BBB", THREE, deal=np.nan)]
    report, markdown, _ = build(tmp_path / "s", pairs, [(0, 0), (-1, 1)])
    assert "figures/value_per_deal.png" not in report.figures()
    text = section(markdown, "Value per deal dollar")
    assert "No (event, party) has a disclosed deal size" in text and "|" not in text


def test_no_market_values_gives_a_sentence_instead_of_the_figure(tmp_path) -> None:
    pairs = [pair("e1", "AAA", THREE, mcap=np.nan), pair("e2", "BBB", THREE, mcap=np.nan)]
    report, markdown, _ = build(tmp_path / "s", pairs, [(0, 0), (-1, 1)])
    assert "figures/value_per_deal.png" not in report.figures()
    text = section(markdown, "Value per deal dollar")
    assert "None of the 2 (event, party) rows with a disclosed deal has an abnormal dollar value" in text
    assert "share count" in text and len(re.findall(r"^\| e\d \|", text, flags=re.M)) == 2  # deals listed
    assert "2 of 2 estimated parties have no dollar value over [-1,+1]" in section(markdown, "Findings")
    assert "No row has an abnormal dollar value over [-1,+1]" in markdown


def test_all_negative_and_single_row_studies_draw_every_figure(tmp_path) -> None:
    report, markdown, _ = build(
        tmp_path / "neg", [pair("e1", "AAA", (-0.01, -0.05, -0.02))], [(0, 0), (-1, 1)]
    )
    assert set(report.figures()) == {
        "figures/value_per_deal.png",
        "figures/car_e1.png",
        "figures/peers_day0_heatmap.png",
    }
    assert row_of(markdown, "Value per deal dollar", "| e1 | AAA (supplier) |")[3:7] == [
        "-$500.0M", "-0.500", "-$800.0M", "-0.800",
    ]  # fmt: skip
    assert "has no caar.parquet" in section(markdown, "CAAR by group")


def test_parties_without_abnormal_returns_have_no_paths_and_the_report_says_why(tmp_path) -> None:
    nan = (np.nan, np.nan, np.nan)
    pairs = [pair("e1", "AAA", nan, outcome="announced_after_data"), pair("e2", "BBB", THREE, group="g2")]
    report, markdown, _ = build(tmp_path / "s", pairs, [(0, 0), (-1, 1)])
    assert "figures/car_e1.png" not in report.figures() and "figures/car_e2.png" in report.figures()
    assert "No CAR path for 1 event(s) (e1)" in markdown

    everything = [pair("e1", "AAA", nan, outcome="insufficient_estimation")]
    report, markdown, _ = build(tmp_path / "none", everything, [(0, 0), (-1, 1)])
    assert report.figures() == {}
    assert "no heat map" in markdown
    assert "No row has an estimated CAR over [-1,+1]" in markdown
    assert "No (event, party) has an estimated CAR over [-1,+1]" in section(markdown, "Findings")


def test_stats_rows_missing_for_a_window_show_dashes_and_no_rows_show_a_sentence(tmp_path) -> None:
    stats = pd.DataFrame(
        {
            "group": ["all", "all"],
            "window": ["[0,0]", "[0,0]"],
            "statistic": ["caar", "patell_z"],
            "value": [0.05, 2.0],
            "p": [0.01, 0.04],
            "n": [1, 1],
            "reference": ["r1", "r2"],
            "p_bh": [0.02, 0.04],
            "p_holm": [0.02, 0.04],
        }
    ).astype({"n": "int64"})
    assert list(stats.columns) == list(STATS_SCHEMA)
    _, markdown, _ = build(tmp_path / "s", [pair("e1", "AAA", THREE)], [(0, 0), (-1, 1)], stats)
    assert "| all | patell_z | +2.00 | 0.040 | — | — | 1 | r2 |" in markdown
    tests = section(markdown, "Tests by group")
    assert "| [0,0] | +5.00% | +5.00% | 100% | 1 |\n" in tests  # no test of the table: no column
    assert "| [-1,+1] | — | +4.00% | 100% | 1 |\n" in tests  # no caar row over [-1,+1]: a dash
    _, markdown, _ = build(tmp_path / "e", [pair("e1", "AAA", THREE)], [(0, 0), (-1, 1)], stats.head(0))
    assert "stats.parquet has no statistic over [0,0] or [-1,+1]" in markdown
    assert "no test tables" in section(markdown, "Tests by group")


def test_deal_flows_without_known_values_are_missing_not_zero() -> None:
    car = pd.DataFrame(
        {
            "event_id": ["x", "x"],
            "ticker": ["AAA", "BBB"],
            "role": ["supplier", "rival"],
            "group": ["g", "g"],
            "window": ["[-1,+1]"] * 2,
            "deal_usd": [np.nan, np.nan],
            "abnormal_value_usd": [np.nan, np.nan],
        }
    )
    flows = deal_flows(car, (FlowEdge("x", "P", "Q", ("AAA",)),), "[-1,+1]")
    assert flows is not None and np.isnan(flows.flows[0].deal_usd)
    assert np.isnan(flows.flows[0].values[0].value_usd)
    assert deal_flows(car, (FlowEdge("y", "P", "Q"),), "[-1,+1]") == DealFlows("[-1,+1]", (), ("y",))
    assert deal_flows(car, (), "[-1,+1]") is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert png_bytes(flows_figure(flows)).startswith(b"\x89PNG")


def test_short_capitalised_node_names_are_drawn_whole() -> None:
    """Each line of a node's name was cut to its own characters' estimate, narrower than bold
    capitals: the launch's AMD and AWS were both drawn "A…" and MSFT "MS…". A name is cut only
    when it is wider than the room of a whole line, inside the figure."""
    from matplotlib.text import Text

    car = pd.DataFrame(
        {
            "event_id": ["x", "y"],
            "ticker": ["AMD", "MSFT"],
            "role": ["supplier", "investor"],
            "group": ["g", "g"],
            "window": ["[-1,+1]"] * 2,
            "deal_usd": [1e9, 2e9],
            "abnormal_value_usd": [1e8, -1e8],
        }
    )
    edges = (FlowEdge("x", "OpenAI", "AMD", ("AMD",)), FlowEdge("y", "MSFT", "AWS", ("MSFT",)))
    figure = flows_figure(deal_flows(car, edges, "[-1,+1]"))
    figure.canvas.draw()
    texts = {t.get_text() for t in figure.findobj(Text) if t.get_visible()}
    assert {"AMD", "AWS", "MSFT", "OpenAI"} <= texts and not any(t.endswith("…") for t in texts)
    renderer, width = figure.canvas.get_renderer(), figure.get_figwidth() * figure.dpi
    for text in figure.findobj(Text):
        box = text.get_window_extent(renderer)
        assert box.x0 >= -1 and box.x1 <= width + 1, text.get_text()


def test_flows_figure_shows_every_arrowhead_and_widths_by_deal() -> None:
    """Arrows end NODE_RADIUS + 2 points before the target's centre, so no head hides under a node,
    and a bigger deal draws a thicker edge; repeated and opposite edges bend apart."""
    from matplotlib.patches import FancyArrowPatch

    from eventstudy.report.flows import NODE_RADIUS

    flows = DealFlows(
        "[-1,+1]",
        (
            Flow("a", "P", "Q", "g", 100e9, (PartyValue("QQQ", 1e9, False),)),
            Flow("b", "Q", "P", "g", 25e9, (PartyValue("PPP", -1e9, True),)),
            Flow("c", "P", "R", "g", np.nan, ()),
        ),
    )
    figure = flows_figure(flows)
    png_bytes(figure)  # lays out the arrows
    arrows = [
        t.arrow_patch
        for t in figure.axes[0].texts
        if isinstance(getattr(t, "arrow_patch", None), FancyArrowPatch)
    ]
    assert len(arrows) == 3
    widths = [a.get_linewidth() for a in arrows]
    assert widths[0] > widths[1] > widths[2]  # $100B, $25B, undisclosed
    assert all(a.shrinkB == NODE_RADIUS + 2 for a in arrows)
    radii = [float(a.get_connectionstyle().rad) for a in arrows]
    assert radii[0] != radii[1]  # P->Q and Q->P bend apart
    marks = [t.get_text() for t in figure.axes[0].texts if t.get_text() in {"1", "2", "3"}]
    assert marks == ["1", "2", "3"]  # each edge carries its number; the key beside says what it is
    key = [t.get_text() for t in figure.texts]
    expected = ["1  P → Q", "    deal $100.0B", "    QQQ +$1.0B", "2  Q → P", "    deal $25.0B"]
    expected += ["    PPP -$1.0B ⚑", "3  P → R", "    deal undisclosed"]
    assert [line for line in key if line in expected] == expected


LAUNCH_FLOWS = Path(__file__).resolve().parents[1] / "launch.toml"
LONG_NAME = "Microsoft Azure Cloud Infrastructure Services"


@pytest.mark.parametrize(
    "extra",
    [(), (("OpenAI", LONG_NAME), ("Oracle Cloud Infrastructure", "Nvidia"))],
    ids=["launch", "long-names"],
)
def test_long_names_stay_inside_the_flows_figure_and_no_mark_covers_a_name(extra) -> None:
    """A party named 'Microsoft Azure Cloud Infrastructure Services' was cut at the figure's edge
    and the edge labels covered each other and the names around a busy node (the launch's edge
    Nvidia -> Intel covered 'Nvidia'): names wrap, the graph's margins grow with them, and each
    edge's numbered mark avoids names, nodes and marks."""
    from eventstudy.config import load_config

    edges = [*((e.payer, e.payee) for e in load_config(LAUNCH_FLOWS).flows), *extra]
    flows = DealFlows(
        "[-1,+1]",
        tuple(
            Flow(f"e{i}", payer, payee, "g", 10e9 * (i + 1), (PartyValue("AAA", 1e9, False),))
            for i, (payer, payee) in enumerate(edges)
        ),
    )
    figure = flows_figure(flows)
    png_bytes(figure)
    renderer = figure.canvas.get_renderer()
    page = figure.bbox
    axes = figure.axes[0]
    names = [t for t in axes.texts if t.get_fontweight() == "bold" and not t.get_text().isdigit()]
    marks = [t for t in axes.texts if t.get_text().isdigit()]
    assert len(names) == len({n for edge in edges for n in edge}) and len(marks) == len(edges) >= 11
    assert any("\n" in t.get_text() for t in names) == bool(extra)  # the long name wraps
    for text in [*names, *marks, *figure.texts]:
        box = text.get_window_extent(renderer)
        inside = page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
        assert inside, text.get_text()
    for mark in marks:
        box = mark.get_window_extent(renderer)  # the digits (the circle around them is drawn at print dpi)
        for name in names:
            assert not box.overlaps(name.get_window_extent(renderer)), (mark.get_text(), name.get_text())
    if extra:  # a graph this crowded has no room for every mark on its edge
        return
    # No edge crosses a name, and each mark sits on its own edge: Nvidia's name lay across its
    # edge to Intel (names went only away from the centre), and that edge's mark beside it.
    figure.canvas.draw()  # the arrows' paths at the dpi of the texts' extents (png_bytes drew at 300)
    for i, name in enumerate(names):
        for other in names[i + 1 :]:
            extent = name.get_window_extent(renderer)
            assert not extent.overlaps(other.get_window_extent(renderer)), (name.get_text(), other.get_text())
    arcs = [_arc_points(text.arrow_patch) for text in axes.texts if getattr(text, "arrow_patch", None)]
    for name in names:
        box = name.get_window_extent(renderer)
        for number, arc in enumerate(arcs, start=1):
            inside = (arc[:, 0] > box.x0) & (arc[:, 0] < box.x1) & (arc[:, 1] > box.y0) & (arc[:, 1] < box.y1)
            assert not inside.any(), (name.get_text(), number)
    for mark, arc in zip(marks, arcs, strict=True):
        box = mark.get_window_extent(renderer)
        centre = np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])
        assert np.hypot(*(arc - centre).T).min() < 2.0, mark.get_text()  # pixels at the figure's dpi


def _arc_points(arrow) -> np.ndarray:
    """(n, 2) display points along an arrow's drawn curve (its Bezier segments, 50 points each)."""
    path = arrow.get_transform().transform_path(arrow.get_path())
    curves = [segment(np.linspace(0, 1, 50)) for segment, _ in path.iter_bezier()]
    return np.concatenate(curves)


@pytest.mark.parametrize("kind", ["empty", "missing"])
def test_every_figure_draws_a_sentence_for_empty_or_missing_input(kind) -> None:
    n = 0 if kind == "empty" else 2
    nan = np.full(n, np.nan)
    ar = pd.DataFrame(
        {
            "event_id": ["e"] * n,
            "ticker": "A",
            "role": "r",
            "tau": [0] * n,
            "ar": nan,
            "car": nan,
            "car_se": nan,
        }
    )
    car = pd.DataFrame(
        {
            "event_id": ["e"] * n,
            "ticker": "A",
            "role": "r",
            "group": "g",
            "window": "[0,0]",
            "tau_start": 0,
            "tau_end": 0,
            "day0": pd.NaT,
            "n_est": 100,
            "car": nan,
            "car_se": nan,
            "mcap_prev_usd": nan,
            "deal_usd": 1e9,
            "abnormal_value_usd": nan,
        }
    )
    caar = pd.DataFrame(
        {"group": ["g"] * n, "tau": range(n), "caar": nan, "lower": nan, "upper": nan, "n": 0}
    )
    volume = car.loc[:, ["event_id", "ticker", "role", "group"]].assign(
        tau=range(n), cumulative_abnormal_volume=nan, outcome="ok"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pngs = [
            png_bytes(report_figures.car_figure(ar, car, "e")),
            png_bytes(report_figures.caar_figure(caar)),
            png_bytes(report_figures.value_per_deal_figure(car, "[0,0]")),
            png_bytes(report_figures.heatmap_figure(ar)),
            png_bytes(flows_figure(None)),
            png_bytes(report_figures.volume_figure(volume)),
        ]
    message = png_size(png_bytes(report_figures.message_figure("x")))
    assert message == (2160, 720)  # 7.2 x 2.4 inches at 300 dpi; no data figure has this size
    assert [png_size(png) for png in pngs] == [message] * 6


def test_value_figure_keeps_every_point_inside_its_axes() -> None:
    car = pd.DataFrame(
        {
            "event_id": ["a", "b"],
            "ticker": ["A", "B"],
            "role": "r",
            "window": "[-1,+1]",
            "n_est": 100,
            "car": [-0.0001, 0.3],
            "car_se": [0.02, 0.02],
            "mcap_prev_usd": [2e9, 1e11],
            "deal_usd": [1e9, 2e9],
            "abnormal_value_usd": [-2e5, 3e10],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure = report_figures.value_per_deal_figure(car, "[-1,+1]")
    axes = figure.axes[0]
    low, high = axes.get_xlim()
    assert low < -2e5 / 1e9 and high > 3e10 / 2e9  # both ratios inside, zero in the middle
    assert low == pytest.approx(-high)


def test_value_figure_of_a_large_study_keeps_the_largest_values_and_a_bounded_size() -> None:
    """1,400 rows with a deal drew a 2,160 x 55,530 px PNG (a fifth of an inch a row at 300 dpi;
    a larger study passed matplotlib's 65,536 px limit or filled the memory): the figure keeps the
    MAX_VALUE_ROWS rows of largest |dollar value| and says so."""
    n = 1400
    value = np.linspace(-7e9, 7e9, n)
    car = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(n)],
            "ticker": "A",
            "role": "r",
            "window": "[0,0]",
            "n_est": 100,
            "car": value / 1e11,
            "car_se": 0.02,
            "mcap_prev_usd": 1e11,
            "deal_usd": 1e9,
            "abnormal_value_usd": value,
        }
    )
    limit = report_figures.MAX_VALUE_ROWS
    figure = report_figures.value_per_deal_figure(car, "[0,0]")
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    largest = car.reindex(car["abnormal_value_usd"].abs().sort_values(ascending=False).index[:limit])
    assert sorted(labels) == sorted(f"A · {e}" for e in largest["event_id"])
    assert figure.get_figheight() == pytest.approx(0.9 + 0.2 * limit)
    said = f"the {limit} of 1,400 rows of largest |abnormal dollar value|"
    assert any(said in text.get_text() for text in figure.texts)


# -- hostile text ----------------------------------------------------------------------------
def test_markdown_escaping_keeps_text_literal() -> None:
    assert fmt.plain("a\nb\r\n\tc\u2028d\x00e") == "a b c de"
    assert fmt.md("a | b") == "a \\| b"
    assert fmt.md("<script>x</script>") == "\\<script>x\\</script>"
    assert fmt.md("[x](javascript:y) ![i](u)") == "[x\\](javascript:y) ![i\\](u)"
    assert fmt.md("`c` **b** ~s~ _e_ a_b \\") == "\\`c\\` \\*\\*b\\*\\* \\~s\\~ \\_e\\_ a_b \\\\"
    assert fmt.md("&amp; & p <0.001 CAR[-1,+1] $1.2B") == "\\&amp; & p <0.001 CAR[-1,+1] $1.2B"
    # two dollars are GitHub's inline mathematics (an audit): each escaped, and read back as text
    assert fmt.md("pipe $x^2$ and $5B") == "pipe \\$x^2\\$ and \\$5B"
    assert inline(fmt.md("pipe $x^2$")) == "pipe $x^2$"
    # The HTML renderer reads the same escapes back: the text is shown exactly, as text.
    text = "x | <b>y</b> `z` **w** a\\b &amp;"
    assert inline(fmt.md(text)) == "x | &lt;b&gt;y&lt;/b&gt; `z` **w** a\\b &amp;amp;"
    assert inline("`code` and **bold**") == "<code>code</code> and <strong>bold</strong>"
    # A code span is literal, as CommonMark's: no escapes, any fence, one space each side taken
    assert inline("`a\\|b` \\| ``` x `` `y ``` \\`not`") == "<code>a\\|b</code> | <code>x `` `y</code> `not`"
    assert inline("`` ` ``, `  `, `**b**`") == "<code>`</code>, <code>  </code>, <code>**b**</code>"
    # What starts a list, heading, quote or rule at the start of a line: a ticker and event `1.`
    # after a bullet's "- " made "- 1. 1. [-1,+1]: ..." a numbered list inside the bullet (a finder).
    # Escaped at the start of a text, read back as it was; a signed number stays as written.
    starts = ["1.", "12) y", "- a", "+", "## h", "> q", "---", "- - -", "==="]
    assert [fmt.md(t) for t in starts] == [
        "1\\.", "12\\) y", "\\- a", "\\+", "\\## h", "\\> q", "\\---", "\\- - -", "\\===",
    ]  # fmt: skip
    assert [str(inline(fmt.md(t))) for t in starts] == [t.replace(">", "&gt;") for t in starts]
    assert [fmt.md(t) for t in ("-9.46%", "+1.33", "1.5", "#x", "a > b", "-x")] == [
        "-9.46%", "+1.33", "1.5", "#x", "a > b", "-x",
    ]  # fmt: skip


def test_hostile_headlines_notes_and_roles_cannot_change_the_report(tmp_path) -> None:
    pairs = [
        pair("e1", "AAA", THREE, headline=HOSTILE, note="note | with\nnewline <b>x</b>", role="r|x"),
        pair("e2", "BBB", THREE, headline="## fake section\n| a | b |", group="g<i>2</i>"),
    ]
    _, markdown, html = build(tmp_path / "s", pairs, [(0, 0), (-1, 1)])
    calendar = [line for line in section(markdown, "Calendar").splitlines() if re.match(r"\| e\d \|", line)]
    assert len(calendar) == 2 and all(markdown_cells(line) == 8 for line in calendar)
    assert "Deal \\| with pipe # heading \\<script>alert(1)\\</script>" in calendar[0]
    assert not any(line.startswith("## fake") for line in markdown.splitlines())
    assert "Note on rows: note \\| with newline \\<b>x\\</b> (1 of 2 (event, party) pairs)" in markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "note | with newline &lt;b&gt;x&lt;/b&gt; (1 of 2" in html
    assert "g&lt;i&gt;2&lt;/i&gt;" in html and "<i>2</i>" not in html


def test_the_data_section_lists_the_twenty_most_frequent_row_notes(tmp_path) -> None:
    """A study of 600 synthetic pairs once listed a thousand "Note on rows" bullets (one per
    ticker and date without a share count). Now the 20 most frequent, then one line for the rest."""
    shared = [pair(f"s{k}", f"S{k:02d}", THREE, note="no deal size (deal_usd blank)") for k in range(3)]
    own = [pair(f"e{k}", f"T{k:02d}", THREE, note=f"own note {k:02d}") for k in range(25)]
    _, markdown, _ = build(tmp_path / "s", shared + own, [(0, 0), (-1, 1)])
    bullets = [line for line in section(markdown, "Data").splitlines() if "Note on rows" in line]
    assert len(bullets) == about.MAX_NOTE_BULLETS + 1 == 21
    assert bullets[0] == "- Note on rows: no deal size (deal_usd blank) (3 of 28 (event, party) pairs)."
    listed = [b.split(": ")[1].split(" (")[0] for b in bullets[1:20]]
    assert listed == [f"own note {k:02d}" for k in range(19)]  # ties in order of first appearance
    assert bullets[-1] == (
        "- Note on rows: 6 other notes, each on fewer pairs (the note column of car.parquet holds every "
        "row's notes)."
    )


def test_row_notes_that_differ_in_their_date_alone_are_one_bullet(tmp_path) -> None:
    """A finder's earnings study listed "no shares-outstanding figure for AMD dated on or before
    <date>" 16 times, each "(1 of 101 ...)": one bullet counts the pairs of all its dates."""
    missing = "no shares-outstanding figure for {} dated on or before {}"
    no_deal = "no deal size (deal_usd blank)"
    pairs = [
        pair("a1", "AMD", THREE, note=missing.format("AMD", "2023-10-30")),
        pair("a2", "AMD", THREE, note=missing.format("AMD", "2024-01-29") + "; " + no_deal),
        pair("a3", "AMD", THREE, note=missing.format("AMD", "2024-04-29")),
        pair("n1", "NVDA", THREE, note=missing.format("NVDA", "2024-02-20")),  # one date: as written
        pair("x1", "XYZ", THREE, note="split between 2024-06-07 and 2024-06-10"),  # two dates: its own
        pair("x2", "XYZ", THREE, note="split between 2024-06-07 and 2024-06-11"),
        pair("o1", "OOO", THREE, note="overlaps event 2025-09-22-nvda"),  # a date in an identifier
        pair("o2", "OOO", THREE, note="overlaps event 2025-09-23-nvda"),
    ]
    _, markdown, _ = build(tmp_path / "s", pairs, [(0, 0), (-1, 1)])
    bullets = [line for line in section(markdown, "Data").splitlines() if "Note on rows" in line]
    assert bullets == [
        "- Note on rows: no shares-outstanding figure for AMD dated on or before one of 3 dates, 2023-10-30 "
        "to 2024-04-29 (3 of 8 (event, party) pairs).",
        "- Note on rows: no deal size (deal_usd blank) (1 of 8 (event, party) pairs).",
        "- Note on rows: no shares-outstanding figure for NVDA dated on or before 2024-02-20 (1 of 8 "
        "(event, party) pairs).",
        "- Note on rows: split between 2024-06-07 and 2024-06-10 (1 of 8 (event, party) pairs).",
        "- Note on rows: split between 2024-06-07 and 2024-06-11 (1 of 8 (event, party) pairs).",
        "- Note on rows: overlaps event 2025-09-22-nvda (1 of 8 (event, party) pairs).",
        "- Note on rows: overlaps event 2025-09-23-nvda (1 of 8 (event, party) pairs).",
    ]


def _empty_backtest() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One planned trade without an exit, an empty curve and no drift."""
    trades = pd.DataFrame(
        {
            "event_id": ["e1"],
            "ticker": ["AAA"],
            "role": ["r|x"],
            "side": ["long"],
            "holding_days": [1],
            "entry": ["close"],
            "entry_date": [pd.NaT],
            "entry_price": [np.nan],
            "exit_date": [pd.NaT],
            "ret": [np.nan],
            "net_ret": [np.nan],
            "bhar": [np.nan],
            "net_abnormal_ret": [np.nan],
            "outcome": ["no_exit"],
            "note": ["past the end | of data\nsecond line"],
        }
    )
    curve = pd.DataFrame(
        {"holding_days": pd.Series([], dtype="int64"), "date": pd.Series([], dtype="datetime64[ns]")}
        | {"n_open": pd.Series([], dtype="int64")}
        | {
            c: pd.Series([], dtype=float)
            for c in ("strategy_equity", "market_equity", "strategy_ret", "market_ret")
        }
    )
    drift = pd.DataFrame(columns=["group", "k", "window", "n", "mean_bhar", "median_bhar", "t", "p"])
    drift = drift.assign(t_sa=[], p_sa=[], p_boot=[], share_positive=[])
    return trades, curve, drift


def test_backtest_section_escapes_text_and_explains_empty_tables() -> None:
    trades, curve, drift = _empty_backtest()
    metadata = {"rule": BacktestConfig().to_dict(), "market": "SPY"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        markdown = render_backtest_section(trades, curve, drift, metadata, figure=None)
    assert "No trade could be made" in markdown and "no drift to report" in markdown
    # and no table of equity curves that never were: "SPY held | 100% | — ..." (a finder)
    assert "| portfolio |" not in markdown and "| SPY held |" not in markdown
    assert "| `e1` | AAA | r\\|x | long |" in markdown
    assert "past the end \\| of data second line" in markdown
    for line in markdown.splitlines():
        if line.startswith("| `e1`"):
            assert markdown_cells(line) == 7


CHROMIUM = Path("/usr/bin/chromium")



def test_backtest_section_says_what_a_summary_without_completed_trades_holds() -> None:
    """A 2,520-day hold: backtest.md said "no trade could be made ... so there is no summary" above
    a summary row of a +29.8% total return from positions never sold; a rule trading no role said
    that planned trades lacked prices."""
    trades, curve, drift = _empty_backtest()
    metadata = {"rule": BacktestConfig().to_dict(), "market": "SPY"}
    none = render_backtest_section(trades.iloc[:0], curve, drift, metadata, figure=None)
    assert "The rule plans no trade (no (event, party) has a role it trades)" in none
    assert "No trade could be made" not in none
    days = pd.to_datetime(["2025-01-02", "2025-01-03"])
    held = pd.DataFrame(
        {"holding_days": [1, 1], "date": days, "n_open": [0, 1], "strategy_equity": [1.0, 1.1],
         "market_equity": [1.0, 1.0], "strategy_ret": [0.0, 0.1], "market_ret": [0.0, 0.0]}
    )  # fmt: skip
    opened = render_backtest_section(trades, held, drift, metadata, figure=None)
    assert "No trade was completed" in opened and "positions entered and still open" in opened
    assert "so there is no summary" not in opened

def test_hostile_headline_does_not_run_in_a_browser(tmp_path) -> None:
    """report.html in headless chromium: a headline's ``onerror`` handler never runs."""
    if not CHROMIUM.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing under CI")
        pytest.skip(f"{CHROMIUM} is not installed")
    attack = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','1')\">"
    folder = write_exports(tmp_path / "s", [pair("e1", "AAA", THREE, headline=attack)], [(0, 0), (-1, 1)])
    report = build_report(read_exports(folder))
    write_into(folder, report)  # in place: the helper's folder
    with tempfile.TemporaryDirectory(prefix="chromium-profile.") as profile:
        dom = subprocess.run(
            [
                str(CHROMIUM),
                *("--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}"),
                *("--virtual-time-budget=5000", "--dump-dom", (folder / "report.html").resolve().as_uri()),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        ).stdout
    assert f'data-images-ok="{len(report.figures())}"' in dom  # the page loaded and ran its own script
    assert "data-pwned" not in dom.split("<body")[0]
    assert "&lt;img src=x onerror=" in dom


def test_the_launch_report_keeps_its_shape(launch_cache) -> None:
    """The real report passes the same structural checks: tables render, one script, every figure."""
    from _launch_run import launch_output

    out = launch_output(str(launch_cache))
    markdown = (out / "report.md").read_text(encoding="utf-8")
    check_markdown(markdown)
    linked = set(re.findall(r"\]\((figures/[^)]+\.png)\)", markdown))
    page = check_html((out / "report.html").read_text(encoding="utf-8"), len(linked))
    assert len(linked) == 19 and len(page.tables) >= 15  # 13 events' CAR paths and 6 other figures


def test_equity_figure_of_no_trade_says_so() -> None:
    from eventstudy.backtest.report import plot_equity_curve

    empty = pd.DataFrame(
        {"holding_days": pd.Series([], dtype="int64"), "date": pd.Series([], dtype="datetime64[ns]")}
        | {
            c: pd.Series([], dtype=float)
            for c in ("strategy_equity", "market_equity", "strategy_ret", "market_ret")
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = png_bytes(plot_equity_curve(empty))
    assert png_size(png) == (2700, 1440) and png == png_bytes(plot_equity_curve(empty))
    said = "No position was held, so there is no equity curve (the backtest's summary says why)."
    assert [t.get_text() for t in plot_equity_curve(empty).axes[0].texts] == [said]  # said a wrong why


BIDI_AND_INVISIBLE = "\u202e\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\ufeff"
HIDDEN = (
    "\u00ad\u2060\u2061\u2064\u180e\u115f\u1160\u3164\uffa0\ufff9\ufffb\U000e0001\U000e0041\U000e007f"
    "\u034f\u17b4\u17b5\u180b\u180c\u180d\u180f\U0001d173\U0001d17a\u2800"
    "\u206a\u206f\U0001bca0\U0001bca3"  # deprecated format characters, shorthand format controls
)
"""Characters drawn as nothing (soft hyphen, word joiner, Hangul fillers, the combining grapheme
joiner, Khmer's inherent vowels, Mongolian's variation selectors, musical formatting...) or not
at all (the tags: U+E0041 is a hidden "A"), which kept hidden text in a headline, or made two
look alike (a re-attack wrote six files that all printed as results.csv)."""


def test_direction_overrides_and_invisible_characters_never_reach_the_page(tmp_path) -> None:
    """A headline with U+202E (right-to-left override) reversed the rest of its table row in
    report.md and report.html; zero-width spaces hid in names. They are dropped like the other
    control characters; joiners that spell words (U+200C, U+200D) stay."""
    assert fmt.plain(f"Oracle{BIDI_AND_INVISIBLE}-OpenAI") == "Oracle-OpenAI"
    assert fmt.plain(f"Oracle{HIDDEN}-OpenAI") == "Oracle-OpenAI"
    assert fmt.plain("می\u200cخواهم") == "می\u200cخواهم"  # Persian's zero-width non-joiner is spelling
    headline = "deal \u202eevil\u202c done\u200b"
    folder = write_exports(tmp_path / "s", [pair("e1", "AAA", THREE, headline=headline)], [(0, 0), (-1, 1)])
    write_into(folder, build_report(read_exports(folder)))
    for name in ("report.md", "report.html"):
        text = (folder / name).read_text(encoding="utf-8")
        assert not set(text) & set(BIDI_AND_INVISIBLE), name
    assert "deal evil done" in (folder / "report.md").read_text(encoding="utf-8")


def test_summary_latex_escapes_what_the_default_font_encoding_prints_as_other_glyphs() -> None:
    """``<``, ``>`` and ``|`` came out as ¡, ¿ and — under LaTeX's default OT1 encoding; a newline
    in a description broke the text layout."""
    from eventstudy.summary import Summary

    summary = Summary("t", info=(("model", "y = a + b|x <k>\nsecond line"),))
    latex = summary.as_latex()
    assert r"y = a + b\textbar{}x \textless{}k\textgreater{} second line" in latex
    assert "model: y = a + b|x <k> second line" in summary.as_text().splitlines()
    from eventstudy.report.tables import latex_escape

    assert latex_escape("a<b>|c") == r"a\textless{}b\textgreater{}\textbar{}c"
    # user text's hyphens stay hyphens: g--1 printed as "g–1" and ev---3 as "ev—3" (a finder)
    assert latex_escape("g--1 ev---3 a-b") == "g-{}-1 ev-{}-{}-3 a-b"
    assert latex_escape("x — y") == "x --- y"  # the tool's own dash is still one
    assert latex_escape("a-–b a—-b a–—b a––b") == "a-{}--b a---{}-b a--{}---b a--{}--b"  # dashes apart


def test_summaries_and_report_tables_escape_user_text_by_one_rule() -> None:
    """The summary's LaTeX kept τ, dashes and bidi overrides that the report's tables escaped or
    dropped (two maps): pdfLaTeX stopped at the τ of a window label, and a U+202E reversed what
    followed it in a notebook's summary. Both now use eventstudy.text."""
    from eventstudy.report.tables import latex_escape
    from eventstudy.summary import Summary

    value = "CAR[τ−1, τ+1] — Pynnönen \u202eevil\u202c† 50% a_b"
    summary = Summary("t", info=(("window", value),))
    line = next(line for line in summary.as_latex().splitlines() if line.startswith("window:"))
    assert line.removesuffix("\\\\") == "window: " + latex_escape(value)
    assert latex_escape(value) == r"CAR{[}$\tau$−1, $\tau$+1{]} --- Pynn\"{o}nen evil$^{\dagger}$ 50\% a\_b"
    assert "window: CAR[τ−1, τ+1] — Pynnönen evil† 50% a_b" in summary.as_text().splitlines()


def test_the_summary_names_the_return_definition_and_what_the_model_is_fitted_on(tmp_path: Path) -> None:
    """A finder's study with returns = "log" was summarised as "US dollars, simple returns", and
    one on ff3 as "ff3 model on SPY" (SPY only sets its calendar)."""
    from _small_study import CONFIG_TOML, make_cache, make_study, run_args

    from eventstudy.cli import main
    from eventstudy.report import read_exports
    from eventstudy.report.build import build_report

    make_cache(tmp_path / "cache")
    events, config = make_study(tmp_path)
    config.write_text(CONFIG_TOML.format(name="small").replace("[study]", '[study]\nreturns = "log"'))
    out = tmp_path / "out"
    assert main(run_args(events, config, tmp_path / "cache", out)) == 0
    line = (out / "report.md").read_text().split("\n\n")[1]
    assert "; market model on SPY; main window [-1,+1]; log returns (no dollar values)." in line
    exports = read_exports(out)
    summaries = {}
    for name, settings in [
        ("ff3", {"factors": ["Mkt-RF", "SMB", "HML"], "risk_free": "RF"}),
        ("sector", {"market": "SPY", "sector": "SMH"}),
        ("constant_mean", {}),
    ]:
        model = {**exports.manifest["model"], "name": name, "settings": settings}
        config_record = {**exports.manifest["config"], "returns": "simple"}
        manifest = {**exports.manifest, "model": model, "config": config_record}
        summaries[name] = build_report(replace(exports, manifest=manifest)).summary[0]
    ff3 = "; ff3 model on Mkt-RF, SMB, HML; main window [-1,+1]; US dollars, simple returns."
    assert ff3 in summaries["ff3"]
    assert "; sector model on SPY and SMH; " in summaries["sector"]
    assert "; constant_mean model; " in summaries["constant_mean"]


def test_a_log_returns_study_leads_with_its_largest_t_and_says_why_it_has_no_dollars(
    launch_cache: Path, tmp_path: Path
) -> None:
    """returns = "log" (no dollar values): "Largest effects: the largest dollar moves and the
    largest |t|" listed the first four parties in file order (NVDA stargate-launch, t = +0.58),
    leaving out AMZN (t = +5.09); every no-value sentence blamed share counts, splits or currencies;
    the headline read "(t = +6.19***), — of market value —". And a study without INTC listed the
    config's INTC share-count caveat among its findings (its Data section: "no row is affected")."""
    from eventstudy import load_config, run_study, save_study

    root = Path(__file__).resolve().parents[1]
    lean = {"backtest": None, "peers": (), "volume": None, "crosssection": (), "flows": ()}
    base = replace(load_config(root / "launch.toml"), **lean)
    results = run_study(root / "events.csv", launch_cache, replace(base, returns="log"))
    folder = save_study(results, tmp_path / "log")
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    car = pd.read_parquet(folder / "car.parquet")
    main = car[(car.window == "[-1,+1]") & (car.role != "peer") & (car.outcome == "ok")]
    assert main["abnormal_value_usd"].isna().all()
    largest = main.reindex(main["t"].abs().sort_values(ascending=False).index).head(4)
    caption = "**Largest effects** over [-1,+1]: the largest |t| (no row has a dollar value)."
    effects = markdown.split(caption)[1]
    shown = [line.split("|")[1:3] for line in effects.split("\n\n")[1].splitlines()[2:]]
    expected = largest[["ticker", "event_id"]].to_numpy().tolist()
    assert [[cell.strip() for cell in row] for row in shown] == expected
    assert "of market value —" not in markdown and "— of market value" not in markdown
    assert "share count dated on or before" not in markdown.split("## Data")[0]  # not the cause here
    assert 'log returns, returns = "log"' in markdown and "no dollar values (log returns)" in markdown
    subset = tmp_path / "events.csv"
    events = pd.read_csv(root / "events.csv")
    with_intc = events.loc[events["ticker"] == "INTC", "event_id"]
    events[~events["event_id"].isin(with_intc)].to_csv(subset, index=False)
    folder = save_study(run_study(subset, launch_cache, base), tmp_path / "no-intc")
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    findings = markdown.split("## Findings")[1].split("\n## ")[0]
    assert "INTC" not in findings and "understated" not in findings
    assert "Share-count caveat (config) for INTC" in markdown
    assert "(no row of the study is affected)" in markdown


def test_a_model_without_parameters_is_described_as_it_ran(launch_cache: Path, tmp_path: Path) -> None:
    """--model market_adjusted: Methods gave Var(CAR) = σ²(L + s'(X'X)⁻¹s) and Limitations a model
    "estimated before each event", while nothing is estimated and car_se is σ√L exactly."""
    from eventstudy import load_config, run_study, save_study

    root = Path(__file__).resolve().parents[1]
    lean = {"backtest": None, "peers": (), "volume": None, "crosssection": (), "flows": ()}
    config = replace(load_config(root / "launch.toml"), model="market_adjusted", **lean)
    folder = save_study(run_study(root / "events.csv", launch_cache, config), tmp_path / "out")
    car = pd.read_parquet(folder / "car.parquet")
    ok = car[car["outcome"] == "ok"]
    length = ok["tau_end"] - ok["tau_start"] + 1
    np.testing.assert_allclose(ok["car_se"], ok["sigma"] * np.sqrt(length), rtol=1e-12)
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "Var(CAR) = σ²L, σ² the mean square of the estimation window's abnormal returns" in markdown
    assert "X'X" not in markdown and "estimated before each event" not in markdown
    assert "no parameter to estimate; σ² over τ ∈ [-260, -11]" in markdown
    assert "estimated over" not in markdown


def test_a_linear_estimator_other_than_ols_is_described_by_its_own_variance(
    launch_cache: Path, tmp_path: Path
) -> None:
    """--model scholes_williams: Methods gave Var(CAR) = σ²(L + s'(X'X)⁻¹s), while car_se (rightly)
    uses W W' of the estimator (α̂, β̂)' = W·y in place of (X'X)⁻¹ (a referee)."""
    from eventstudy import load_config, run_study, save_study

    root = Path(__file__).resolve().parents[1]
    lean = {"backtest": None, "peers": (), "volume": None, "crosssection": (), "flows": ()}
    config = replace(load_config(root / "launch.toml"), model="scholes_williams", **lean)
    folder = save_study(run_study(root / "events.csv", launch_cache, config), tmp_path / "out")
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "Per-party test: Var(CAR) = σ²(L + s'WW's), W the Scholes-Williams (1977) estimator's" in markdown
    assert "X'X)⁻¹s" not in markdown


def test_a_caveat_is_on_the_rows_of_its_own_ticker_parties_or_peers() -> None:
    """A caveat whose ticker is a peer only was "no row of the study is affected" (only the parties'
    rows were read), and one whose note another ticker's rows carry (or that is part of another
    note) was listed among the findings for a ticker not in the study."""
    from eventstudy.report.flags import caveats_on_rows

    note = "count excludes ~433M shares"
    car = pd.DataFrame(
        {
            "ticker": ["NVDA", "INTC"],
            "role": ["investor", "peer"],
            "note": ["shares: vendor or balance-sheet figure", f"shares caveat: {note}"],
        }
    )
    caveats = [
        {"ticker": "INTC", "from": "2025-08-22", "note": note},
        {"ticker": "AMD", "from": "2025-08-22", "note": note},
        {"ticker": "NVDA", "from": "2025-01-01", "note": "vendor or balance-sheet figure"},
    ]
    applied, unapplied = caveats_on_rows({"share_caveats": caveats}, car)
    assert applied == caveats[:1] and unapplied == caveats[1:]


def test_the_reasons_and_counts_a_small_study_is_told() -> None:
    """No estimated CAR was put down to share counts ("a market value needs ..."); one pair read
    "1 pairs", one announcement "1 announcements"."""
    from eventstudy.report import fmt
    from eventstudy.report.parties import missing_note

    frame = pd.DataFrame({"car": [np.nan], "abnormal_value_usd": [np.nan], "note": [""]})
    assert missing_note(frame, "car", "an estimated CAR").endswith(": see each row's outcome and note.")
    assert "share count" in missing_note(frame, "abnormal_value_usd", "a dollar value")
    assert fmt.counted(1, "announcement") == "1 announcement" and fmt.counted(2, "peer") == "2 peers"
    assert fmt.counted(1, "(event, party) row") == "1 (event, party) row"


def test_a_recorded_p_from_is_used_where_its_rows_repeat_a_test_and_never_in_a_cycle() -> None:
    """A notebook statistic repeating the t test's p but giving none on few pairs (p NaN in one
    window) lost its record in every group, and the re-rendered tables counted a BH family of 84
    where p_bh had been adjusted over 80; a forged cycle between two such statistics took their
    test out of the family (88 -> 80)."""
    from eventstudy.report.tables import recorded_p_sources

    stats = pd.DataFrame(
        {
            "group": ["g"] * 8,
            "window": ["[0,0]", "[-1,+1]"] * 4,
            "statistic": ["t_test", "t_test", "mine", "mine", "a_test", "a_test", "b_test", "b_test"],
            "p": [0.1, 0.2, 0.1, np.nan, 0.3, 0.4, 0.3, 0.4],
        }
    )
    assert recorded_p_sources(stats, {"mine": "t_test"}) == {"mine": "t_test"}
    assert recorded_p_sources(stats, {"a_test": "b_test", "b_test": "a_test"}) == {}
    assert recorded_p_sources(stats, {"mine": "a_test"}) == {}  # its p is not a_test's
    assert recorded_p_sources(stats, {"caar": "caar", "mine": "caar"}) == {}  # registered; caar repeats



def test_a_folder_of_an_older_version_keeps_its_bh_family_when_a_p_source_changed() -> None:
    """dollar_abnormal_value carried dollar_z's p until kp_adjusted_dollar_t took its place: an
    older folder's table has no kp_adjusted_dollar_t, so its re-rendered tables counted the
    dollar value as a test of its own, one more than the family its p_bh was adjusted over; the
    manifest's record, whose p the rows repeat, says what the p was."""
    from eventstudy.multiple_testing import adjusted_p_values
    from eventstudy.report.tables import bh_family, recorded_p_sources

    rows = []
    for window, p in (("[0,0]", 0.01), ("[-1,+1]", 0.2)):
        rows += [
            {"group": "g", "window": window, "statistic": "cross_sectional_t", "p": p},
            {"group": "g", "window": window, "statistic": "caar", "p": p},
            {"group": "g", "window": window, "statistic": "dollar_z", "p": p / 2},
            {"group": "g", "window": window, "statistic": "dollar_abnormal_value", "p": p / 2},
        ]
    stats = pd.DataFrame(rows)
    older = {"caar": "cross_sectional_t", "dollar_abnormal_value": "dollar_z"}
    used = recorded_p_sources(stats, older)
    assert used == {"dollar_abnormal_value": "dollar_z"}  # caar's source is in the table: the registry's
    assert bh_family(adjusted_p_values(stats).assign(p_bh=0.5), "g", used, per_statistic=False) == 4
    assert bh_family(adjusted_p_values(stats).assign(p_bh=0.5), "g", used) == 2  # each test's windows
    assert recorded_p_sources(stats.assign(p=[0.01, 0.01, 0.005, 0.006] * 2), older) == {}  # not dollar_z's p
    # A folder older still, whose manifest recorded no p_from: its tables counted 84 tests where
    # p_bh had been adjusted over 80 (a finder); the dollar value's p is dollar_z's, as it was.
    assert recorded_p_sources(stats, None) == {"dollar_abnormal_value": "dollar_z"}
    assert recorded_p_sources(stats.assign(p=[0.01, 0.01, 0.005, 0.006] * 2), None) == {}
    robust = stats[stats.statistic == "dollar_z"].assign(statistic="kp_adjusted_dollar_t")
    with_new = pd.concat([stats, robust])
    assert recorded_p_sources(with_new, None) == {}  # the registry's source is in the table


def test_a_table_of_one_row_is_captioned_one_row(tmp_path: Path) -> None:
    """'crosssection.parquet, 1 rows' (a finder): the count of an extra table's rows as a count."""
    from eventstudy.report.exports import Exports
    from eventstudy.report.sections import extra_sections

    empty = pd.DataFrame()
    for rows, said in ((1, "custom.parquet, 1 row"), (1716, "custom.parquet, 1,716 rows (first")):
        extra = {"custom.parquet": pd.DataFrame({"x": np.arange(rows, dtype=float)})}
        exports = Exports(tmp_path, empty, empty, empty, {}, extra=extra)
        (section,) = extra_sections(exports)
        assert section.tables[0].caption.startswith(said), section.tables[0].caption
