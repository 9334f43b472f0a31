"""The report: rendered from the exported files alone, numbers with units, deterministic figures.

Two sources: a small synthetic export folder whose numbers are chosen by hand, and the real
launch study (run once per test process, see ``_launch_run.py``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from _launch_run import launch_output
from _report_checks import older_copy, resealed
from matplotlib.figure import Figure
from scipy import stats
from statsmodels.stats.multitest import multipletests

from eventstudy.aggregate import caveated_totals
from eventstudy.cli import main
from eventstudy.multiple_testing import adjusted_p_values
from eventstudy.output.export import write_parquet
from eventstudy.output.folder import record_files
from eventstudy.output.schema import SCHEMA_KEY, SCHEMAS, ColumnDoc
from eventstudy.report import build_report, fmt, read_exports, render_markdown, render_report, sections
from eventstudy.report import figures as report_figures
from eventstudy.report.html import png_size
from eventstudy.report.paths import car_paths
from eventstudy.report.tables import ROBUST_TEST, paper_tables, sample_rows
from eventstudy.timeline.confounders import unconfounded_group

TAUS = (-1, 0, 1)
# (event, ticker, role, group, deal, ARs over TAUS, car_se over TAUS, n_est, market value before)
PAIRS = [
    ("alpha-deal", "ORCL", "supplier", "g1", 3e9, (0.01, 0.1234, -0.0334), (0.02, 0.03, 0.04), 102, 10e9),
    ("alpha-deal", "NVDA", "partner", "g1", 3e9, (0.0, 0.02, 0.02), (0.01, 0.015, 0.02), 102, 100e9),
    ("beta-shock", "AMD", "shocked", "g2", np.nan, (0.0, -0.05, 0.0), (0.02, 0.03, 0.04), 52, 20e9),
    ("beta-shock", "TSM", "peer", "g2", np.nan, (0.0, 0.01, 0.0), (0.02, 0.03, 0.04), 102, 50e9),
]
WINDOWS = ((0, 0), (-1, 1))
CONFOUNDER = "earnings 2025-09-09 after the close (Q1), reaction 2025-09-10 at τ0"


def write_synthetic(folder: Path, extra: bool = False, battery: bool = False) -> Path:
    """An export folder with the columns the report reads and hand-picked numbers.

    ``extra`` adds a non-battery ``stats.parquet``; ``battery`` a battery-shaped one (with the
    unconfounded twins of g1) and ``caar.parquet``. ORCL's windows hold other news (confounded).
    """
    folder.mkdir(parents=True)
    events, ar, car = [], [], []
    for event, ticker, role, group, deal, ars, ses, n_est, mcap in PAIRS:
        day0 = pd.Timestamp("2025-09-10") if event == "alpha-deal" else pd.Timestamp("2025-01-27")
        events.append(
            {
                "event_id": event,
                "announced": day0,
                "timing": "pre",
                "ticker": ticker,
                "role": role,
                "deal_usd": deal,
                "group": group,
                "headline": f"{event} <headline> & more",
            }
        )
        cumulative = np.cumsum(ars)
        for tau, a, c, se in zip(TAUS, ars, cumulative, ses, strict=True):
            ar.append(
                {
                    "event_id": event,
                    "ticker": ticker,
                    "role": role,
                    "date": day0 + pd.Timedelta(days=tau),
                    "tau": tau,
                    "ar": a,
                    "car": c,
                    "car_se": se,
                    "ar_t": a / se,
                }
            )
        for start, end in WINDOWS:
            inside = [start <= t <= end for t in TAUS]
            total = float(np.sum(np.array(ars)[inside]))
            value = total * mcap
            flagged = ticker == "ORCL"
            car.append(
                {
                    "event_id": event,
                    "ticker": ticker,
                    "role": role,
                    "group": group,
                    "window": "[0,0]" if start == 0 else "[-1,+1]",
                    "tau_start": start,
                    "tau_end": end,
                    "day0": day0,
                    "day0_shift": "",
                    "n_est": n_est,
                    "car": total,
                    "car_se": 0.03,
                    "t": total / 0.03,
                    "p": 0.01,
                    "mcap_prev_usd": mcap,
                    "abnormal_value_usd": value,
                    "deal_usd": deal,
                    "value_to_deal": value / deal,
                    "outcome": "ok",
                    "note": "shares caveat: test note" if ticker == "NVDA" else "",
                    "confounders": CONFOUNDER if flagged else "",
                    "confounded": flagged,
                    "dominant_tau": pd.NA,
                    "dominant_date": pd.NaT,
                }
            )
    car_frame = pd.DataFrame(car).astype({"dominant_tau": "Int64", "dominant_date": "datetime64[ns]"})
    write_parquet(pd.DataFrame(events), folder / "events.parquet", docs=SCHEMAS["events.parquet"])
    write_parquet(pd.DataFrame(ar), folder / "ar.parquet", docs=SCHEMAS["ar.parquet"])
    write_parquet(car_frame, folder / "car.parquet", docs=SCHEMAS["car.parquet"])
    manifest = {
        "study": "synthetic",
        "config": {
            "name": "synthetic",
            "market": "SPY",
            "model": "market",
            "estimation_window": [-260, -11],
            "min_estimation_obs": 50,
            "event_windows": [[0, 0], [-1, 1]],
            "flows": [
                {"event_id": "alpha-deal", "payer": "Buyer Co", "payee": "Oracle", "tickers": ["ORCL"]}
            ],
        },
        "model": {"name": "market", "description": "market model"},
        "estimation": {"n_params": 2},
        "peers": ["TSM"],
        "versions": {"python": "3", "eventstudy-backtester": "0.1.0"},
        "inputs": {"events": {"path": "events.csv", "sha256": "0" * 64}, "prices": {}, "shares": {}},
        "command": ["eventstudy", "run"],
        "git_commit": None,
        "git_dirty": None,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    if extra:
        stats_frame = pd.DataFrame(
            {"test": ["patell", "bmp"], "statistic": [2.5, -1.25], "p": [0.0124, 0.2113]}
        )
        docs = {
            "test": ColumnDoc("text", "test name"),
            "statistic": ColumnDoc("t", "statistic"),
            "p": ColumnDoc("probability", "p"),
        }
        write_parquet(stats_frame, folder / "stats.parquet", docs=docs)
    if battery:
        write_parquet(battery_stats(), folder / "stats.parquet", docs=SCHEMAS["stats.parquet"])
        write_parquet(caar_table(), folder / "caar.parquet", docs=SCHEMAS["caar.parquet"])
    record_files(folder)  # as a run does: the report may then replace its own files
    return folder


# g1 over [-1,+1]: ORCL CAR 0.10, NVDA CAR 0.04; without ORCL (confounded): NVDA alone.
BATTERY = {
    # (group, window): {statistic: (value, p, n)}
    ("g1", "[-1,+1]"): {
        "caar": (0.07, 0.2, 2),
        "cross_sectional_t": (2.3333, 0.258, 2),
        "bmp_t": (3.1, 0.04, 2),
        "kp_adjusted_bmp_t": (2.6, 0.009, 2),
        "generalized_sign_z": (1.7, 0.0891, 2),
        "grank_t": (0.4, 0.7, 2),
        "dollar_abnormal_value": (5e9, 0.03, 2),
        "value_per_deal_dollar": (5e9 / 3e9, np.nan, 1),
    },
    ("g1", "[0,0]"): {"caar": (0.0717, 0.1, 2), "kp_adjusted_bmp_t": (1.2, 0.23, 2)},
    (unconfounded_group("g1"), "[-1,+1]"): {
        "caar": (0.04, np.nan, 1),
        "kp_adjusted_bmp_t": (0.9, 0.37, 1),
        "dollar_abnormal_value": (4e9, 0.2, 1),
        "value_per_deal_dollar": (np.nan, np.nan, 0),
    },
    ("g2", "[-1,+1]"): {"caar": (-0.05, 0.5, 1), "kp_adjusted_bmp_t": (-0.5, 0.62, 1)},
}


def battery_stats() -> pd.DataFrame:
    rows = [
        {"group": g, "window": w, "statistic": s, "value": v, "p": p, "n": n, "reference": f"ref {s}"}
        for (g, w), found in BATTERY.items()
        for s, (v, p, n) in found.items()
    ]
    # The adjusted p-values of a real stats.parquet (each group's family of tests).
    return adjusted_p_values(pd.DataFrame(rows).astype({"n": "int64"}))


def caar_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": ["g1"] * 3 + ["g2"] * 3,
            "tau": [-1, 0, 1] * 2,
            "caar": [0.005, 0.0767, 0.07, 0.0, -0.05, -0.05],
            "lower": [0.0, 0.02, 0.04, 0.0, -0.05, -0.05],
            "upper": [0.01, 0.12, 0.1, 0.0, -0.05, -0.05],
            "n": [2, 2, 2, 1, 1, 1],
            "draws": 999,
            "level": 0.95,
        }
    ).astype({"n": "int64", "draws": "int64", "tau": "int64"})


def test_formatting_helpers_carry_units() -> None:
    assert fmt.percent(0.353799) == "+35.38%"
    assert fmt.percent(-0.0005) == "-0.05%"
    assert fmt.percent(0.0) == "0.00%"
    assert fmt.money(2.427517e11) == "+$242.8B"
    assert fmt.money(-3.2e12) == "-$3.2T"
    assert fmt.money(6.5e9, signed=False) == "$6.5B"
    assert fmt.tstat(16.3) == "+16.30"
    assert fmt.probability(0.0001) == "<0.001"
    assert fmt.money(np.nan) == fmt.percent(None) == "—"


def test_each_statistic_is_shown_in_its_registered_unit() -> None:
    """The statistics table chose a format by the name ("_usd" money, "_rows" a count, else a
    t): Wilcoxon's W, a sum of ranks, read "+66.00" and a variance ratio "+1.50", as t statistics.
    The unit is the registry's (a row of the counts, the aggregate's), in the report's tables
    and the summary alike."""
    from eventstudy.aggregate import statistic_unit
    from eventstudy.inference import register_statistic
    from eventstudy.report.sections import _stat_text

    shown = {
        ("wilcoxon_w", 66.0): "66",
        ("wilcoxon_w", 66.5): "66.50",
        ("abnormal_volatility", 1.5): "+1.500",
        ("kp_average_correlation", 0.0123): "+0.012",
        ("caar", 0.0123): "+1.23%",
        ("dollar_abnormal_value", 2.5e9): "+$2.5B",
        ("dollar_shared_days_usd", 2.5e9): "+$2.5B",
        ("dollar_fallback_sd_rows", 3.0): "3",
        ("patell_z", 2.5): "+2.50",
        ("value_per_deal_dollar", 0.25): "+0.250",
        ("confounded_rows", 4.0): "4",
        ("a_statistic_of_no_registry", 2.5): "+2.50",
    }
    assert {key: _stat_text(*key, None) for key in shown} == shown
    assert statistic_unit("my_share", {"my_share": "fraction"}) == "fraction"  # a manifest's record
    assert statistic_unit("my_share", {"my_share": "furlongs"}) == "t"  # a unit it does not know
    assert statistic_unit("caar", {"caar": "usd"}) == "fraction"  # the registry's own say
    assert fmt.starred(66.0, 0.004, 0.01, unit="rank_sum") == "66***†"
    from eventstudy.results import _unit_cell  # summary(): "1.23457e+06", 1.5 as "2", usd/usd as a t

    assert [_unit_cell(v, u) for v, u in [(1234567.0, "rank_sum"), (66.5, "rank_sum"), (1.5, "count")]] == [
        "1,234,567", "66.50", "1.50"
    ]
    assert [_unit_cell(v, u) for v, u in [(0.25, "usd/usd"), (2.5e9, "usd"), (0.0123, "fraction")]] == [
        "+0.250", "+2.5", "+1.23%"
    ]
    with pytest.raises(ValueError, match="unit 'percent' is not one of count, fraction, rank_sum"):
        register_statistic("a_percentage", unit="percent")


def test_a_confounder_of_unknown_time_shows_both_its_days() -> None:
    from eventstudy.report.flags import marks, short_flags

    text = "earnings 2025-01-09 time of day unknown (Q), reaction 2025-01-09 or 2025-01-10 at τ-2 or τ-1"
    row = pd.Series({"confounders": text + "; event x, day 0 2025-01-13 at τ+1", "dominant_tau": np.nan})
    assert short_flags(row) == "⚑ earnings τ-2/τ-1, x τ+1"
    assert [m.taus for m in marks(text)] == [(-2, -1)]


def test_large_values_keep_every_digit() -> None:
    assert fmt.tstat(1e26) == "+1" + "0" * 26 + ".00"  # the decimal a reader of the table sees
    assert fmt.percent(1e25, digits=0).startswith("+1000000000000000") and fmt.money(1e40).endswith("T")


def test_halves_round_up_as_a_reader_rounds_the_exported_value() -> None:
    """5 of 8 CARs positive is 62.5%: the report printed 62% (Python's ties to even) where a
    reader of car.parquet writes 63%."""
    assert fmt.percent(5 / 8, digits=0, signed=False) == "63%"
    assert fmt.percent(3 / 8, digits=0) == "+38%" and fmt.percent(-5 / 8, digits=0) == "-63%"
    assert fmt.tstat(-2.345) == "-2.35" and fmt.tstat(2.005) == "+2.01"  # 2.345 is 2.34499... in binary
    assert fmt.probability(0.0125) == "0.013" and fmt.ratio(0.0625) == "+0.063"
    assert fmt.money(1.25e9) == "+$1.3B" and fmt.money(2.5e6, signed=False) == "$2.5M"
    assert fmt.money(512.5) == "+$513" and fmt.money(1_234_567.5e9) == "+$1,234.6T"
    assert all(
        fmt.percent(k / n, digits=0, signed=False) == f"{int(Fraction(100 * k, n) + Fraction(1, 2))}%"
        for n in range(1, 201)
        for k in range(n + 1)
    )


@pytest.mark.parametrize("noise", [1e-18, -1e-18, 4e-5, -4e-5])
def test_a_value_that_rounds_to_zero_has_no_sign(noise: float) -> None:
    """A sum that is 0 in exact arithmetic lands on either side of 0 by rounding, which differs
    between machines: its text is the same on every one."""
    assert fmt.percent(noise) == "0.00%"
    assert fmt.tstat(noise) == "0.00" and fmt.ratio(noise) == "0.000"
    assert fmt.money(noise * 1e3) == "$0"
    sign = "-" if noise < -1e-9 else ("+" if noise > 1e-9 else "0")
    assert fmt.percent(noise * 1e4, digits=1).startswith(sign)  # 0.4%: a sign again
    assert fmt.unsigned_zero(f"{noise:+.2%}") == "0.00%"


@pytest.mark.parametrize(
    ("p", "marks"),
    [(0.0099, "***"), (0.01, "**"), (0.0499, "**"), (0.05, "*"), (0.0999, "*"), (0.1, ""), (np.nan, "")],
)
def test_stars_at_ten_five_and_one_percent(p, marks) -> None:
    assert fmt.stars(p) == marks
    assert fmt.starred(-2.0, p) == "-2.00" + marks
    assert fmt.starred(np.nan, p) == "—"


def test_car_paths_band_is_t_times_clm_standard_error(tmp_path) -> None:
    exports = read_exports(write_synthetic(tmp_path / "s"))
    paths = car_paths(exports.ar, exports.car, n_params=2)
    row = paths[(paths.ticker == "ORCL") & (paths.tau == 1)].iloc[0]
    assert row.car == pytest.approx(0.01 + 0.1234 - 0.0334)
    assert row.dof == 100
    half = stats.t.ppf(0.975, 100) * 0.04
    assert half == pytest.approx(1.983971519 * 0.04, rel=1e-9)
    assert (row.lower, row.upper) == pytest.approx((0.1 - half, 0.1 + half))
    amd = paths[(paths.ticker == "AMD") & (paths.tau == 0)].iloc[0]
    assert amd.dof == 50
    assert amd.upper - amd.car == pytest.approx(stats.t.ppf(0.975, 50) * 0.03)


def test_synthetic_report_shows_numbers_with_units(tmp_path) -> None:
    folder = write_synthetic(tmp_path / "s", extra=True)
    report = build_report(read_exports(folder))
    markdown = render_markdown(report)
    html = report.to_html()
    for text in ("+12.34%", "+$1.2B", "$3.0B", "+0.411", "+$500.0M"):
        assert text in markdown, text
        assert text in html, text
    # The peer is shown in the spillover table but never in the value-per-deal table.
    per_deal = markdown.split("## Value per deal dollar")[1].split("## ")[0]
    assert "TSM" not in per_deal and "AMD" not in per_deal and "ORCL (supplier)" in per_deal
    assert "| beta-shock | TSM |" in markdown.split("## Spillover to peers")[1]
    # Extra parquet files are rendered with their schema units; HTML escapes the headline.
    assert "| patell | +2.50 | 0.012 |" in markdown
    assert "&lt;headline&gt; &amp; more" in html and "<headline>" not in html
    assert "shares caveat: test note (1 of 3 (event, party) pairs)" in markdown
    # Dollars are coloured by sign; returns and test statistics are not.
    assert re.search(r'<td class="r pos" data-sort="1234000000\.0">\+\$1\.2B</td>', html)
    assert re.search(r'<td class="r" data-sort="0\.1234">\+12\.34%</td>', html)
    assert not re.search(r'class="r (pos|neg)"[^>]*>[+-]\d+\.\d\d\**<', html)


def test_a_verdict_that_turns_is_said_when_no_group_is_significant(tmp_path) -> None:
    """The turned verdict was computed and dropped when no group was significant."""
    exports = read_exports(write_synthetic(tmp_path / "s", battery=True))
    stats = exports.extra["stats.parquet"].copy()
    kp = (stats["statistic"] == ROBUST_TEST) & (stats["window"] == "[-1,+1]")
    stats.loc[kp & (stats["group"] == "g1"), "p"] = 0.2
    stats.loc[kp & (stats["group"] == "g1 (unconfounded)"), ["value", "p"]] = [3.1, 0.004]
    changed = dataclasses.replace(exports, extra={**exports.extra, "stats.parquet": stats})
    findings = render_markdown(build_report(changed)).split("## Findings")[1].split("\n## ")[0]
    sentence = next(line for line in findings.splitlines() if "CAAR[-1,+1] is significant" in line)
    assert sentence.endswith(
        "is significant for no group (g1 (⚑ without its 1 confounded or unscreened window: "
        "t = +3.10\\*\\*\\*, significant at 5%))."
    ), sentence


def test_a_verdict_resting_on_flagged_windows_alone_says_so(tmp_path) -> None:
    """Every window of a significant group held other news: its twin had no test, and the verdict
    lost its caveat (the launch's same sentence carries '⚑ without its 2 ... windows: t = ...');
    the next sentence read 'g1 created — (not +$1.2B)'."""
    exports = read_exports(write_synthetic(tmp_path / "s", battery=True))
    stats = exports.extra["stats.parquet"].copy()
    window = stats["window"] == "[-1,+1]"
    kp = (stats["statistic"] == ROBUST_TEST) & window
    stats.loc[kp & (stats["group"] == "g1"), "p"] = 0.001
    twin = (stats["group"] == "g1 (unconfounded)") & window
    stats.loc[twin & (stats["statistic"] == ROBUST_TEST), ["value", "p", "n"]] = [np.nan, np.nan, 0]
    stats.loc[twin & (stats["statistic"] == "dollar_abnormal_value"), "value"] = np.nan
    changed = dataclasses.replace(exports, extra={**exports.extra, "stats.parquet": stats})
    findings = render_markdown(build_report(changed)).split("## Findings")[1].split("\n## ")[0]
    n = int(stats.loc[kp & (stats["group"] == "g1"), "n"].iloc[0])
    sentence = next(line for line in findings.splitlines() if "CAAR[-1,+1] is significant" in line)
    windows = "window" if n == 1 else "windows"
    assert f"; ⚑ without its {n} confounded or unscreened {windows}: no test (no window left))" in sentence
    assert "created —" not in findings
    assert "g1: no value left to total (not +$5.0B §)" in findings  # NVDA's caveated count: §


def test_report_cli_writes_atomically_and_fails_cleanly(tmp_path, capsys, monkeypatch) -> None:
    folder = write_synthetic(tmp_path / "s", battery=True)
    assert main(["report", str(folder), "--format", "csv"]) == 0
    said = capsys.readouterr().out.splitlines()[-1]  # it left out tables.md, tables.tex and the manifest
    names = "report.md, report.html, tables.md, tables.tex, 6 figures, ar.csv, car.csv, manifest.json"
    assert said == f"wrote {folder}/ ({names})"
    written = sorted(p.name for p in folder.iterdir())
    assert written == [
        "ar.csv",
        "ar.parquet",
        "caar.parquet",
        "car.csv",
        "car.parquet",
        "events.parquet",
        "figures",
        "manifest.json",
        "report.html",
        "report.md",
        "stats.parquet",
        "tables.md",
        "tables.tex",
    ]
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(report_figures, "heatmap_figure", broken)
    with pytest.raises(RuntimeError):
        main(["report", str(folder)])
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before  # nothing rewritten, no temporary file left

    (folder / "ar.parquet").unlink()
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"eventstudy: error: {folder}: lacks 'ar.parquet', which its manifest.json records and the report "
        "cannot write again (it shows what the run's files hold): restore it, or run the study again"
    ]


def test_figures_are_byte_identical_print_resolution_and_carry_no_software_metadata(tmp_path) -> None:
    exports = read_exports(write_synthetic(tmp_path / "s", battery=True))
    first = build_report(exports).figures()
    second = build_report(exports).figures()
    assert sorted(first) == [
        "figures/caar_by_group.png",
        "figures/car_alpha-deal.png",
        "figures/car_beta-shock.png",
        "figures/deal_flows.png",
        "figures/peers_day0_heatmap.png",
        "figures/value_per_deal.png",
    ]
    for name, png in first.items():
        assert png == second[name], name
        assert png.startswith(b"\x89PNG")
        assert b"Software" not in png and b"matplotlib" not in png.lower(), name
        # pHYs: 300 dots per inch = 11,811 per metre, on both axes
        chunk = png.index(b"pHYs")
        assert png[chunk + 4 : chunk + 13] == (11811).to_bytes(4, "big") * 2 + b"\x01", name
    assert png_size(first["figures/car_alpha-deal.png"])[0] == 7.2 * 300


def test_figure_functions_return_figures_from_the_exported_tables(tmp_path) -> None:
    exports = read_exports(write_synthetic(tmp_path / "s", battery=True))
    drawn = [
        report_figures.car_figure(exports.ar, exports.car, "alpha-deal", n_params=2, window="[-1,+1]"),
        report_figures.caar_figure(exports.caar),
        report_figures.value_per_deal_figure(exports.car, "[-1,+1]", stats=exports.stats),
        report_figures.heatmap_figure(exports.ar, order=["TSM"]),
    ]
    assert all(isinstance(f, Figure) for f in drawn)
    # The CAR figure has one panel per listed party (small multiples), marked where confounded.
    car = drawn[0]
    panels = [a for a in car.axes if a.get_visible()]
    assert [a.get_title(loc="left") for a in panels] == ["ORCL (supplier)", "NVDA (partner)"]
    assert any("earnings" in t.get_text() for t in panels[0].texts)
    assert not any("earnings" in t.get_text() for t in panels[1].texts)


def test_value_per_deal_interval_in_closed_form(tmp_path) -> None:
    exports = read_exports(write_synthetic(tmp_path / "s"))
    rows = report_figures.value_per_deal_rows(exports.car, "[-1,+1]", n_params=2).set_index("ticker")
    orcl = rows.loc["ORCL"]
    # ORCL: value = 0.10 x $10B = $1B on a $3B deal; half width t(0.975, 100) x 0.03 x $10B / $3B.
    assert orcl.ratio == pytest.approx(1e9 / 3e9)
    half = stats.t.ppf(0.975, 100) * 0.03 * 10e9 / 3e9
    assert (orcl.lower, orcl.upper) == pytest.approx((1 / 3 - half, 1 / 3 + half))
    assert bool(orcl.confounded) and not bool(rows.loc["NVDA", "confounded"])
    assert list(rows.index) == ["NVDA", "ORCL"]  # largest ratio first: NVDA 4/3, ORCL 1/3


def test_paper_tables_come_from_stats_and_the_same_rows_of_car(tmp_path) -> None:
    folder = write_synthetic(tmp_path / "s", battery=True)
    exports = read_exports(folder)
    tables = {
        t.group: t.rows.set_index("window")
        for t in paper_tables(exports.stats, exports.car, ["[0,0]", "[-1,+1]"])
    }
    assert list(tables) == ["g1", unconfounded_group("g1"), "g2"]
    g1 = tables["g1"].loc["[-1,+1]"]
    assert (g1.caar, g1.n, g1["value:kp_adjusted_bmp_t"], g1["p:kp_adjusted_bmp_t"]) == (0.07, 2, 2.6, 0.009)
    assert g1["median"] == pytest.approx(0.07) and g1.positive == 1.0  # CARs 0.10 and 0.04
    free = tables[unconfounded_group("g1")].loc["[-1,+1]"]
    assert free["median"] == pytest.approx(0.04) and free.n == 1  # NVDA alone
    assert np.isnan(tables["g1"].loc["[0,0]", "value:bmp_t"])  # no such stats row: missing, not zero
    assert len(sample_rows(exports.car, "all")) == 6  # 3 listed parties x 2 windows, no peer
    render_report(folder)
    markdown = (folder / "tables.md").read_text()
    assert (
        "| [-1,+1] | +7.00% | +7.00% | 100% | 2 | +2.33 | +3.10\\*\\*† | +2.60\\*\\*\\*† | +1.70\\* | +0.40 |"
        in markdown
    )
    tex = (folder / "tables.tex").read_text()
    assert tex.count(r"\begin{table}") == 3 == tex.count(r"\end{table}")
    assert r"\begin{tabular}{lrrrrrrrrr}" in tex
    # braced: a row starting with '[' after \\ or \midrule is read as their optional argument
    row = next(line for line in tex.splitlines() if line.startswith("{[}-1,+1{]} & +7.00"))
    assert row.count("&") == 9 and r"+2.60$^{***\dagger}$" in row and r"+7.00\%" in row
    assert not any(line.lstrip().startswith("[") for line in tex.splitlines())
    assert tex.count("{") == tex.count("}")


def test_findings_lead_with_the_answer_and_both_samples(tmp_path) -> None:
    folder = write_synthetic(tmp_path / "s", battery=True)
    report = build_report(read_exports(folder))
    assert report.sections[0].key == "findings" and report.sections[1].key == "limitations"
    markdown = render_markdown(report)
    findings = markdown.split("## Findings")[1].split("\n## ")[0]
    # NVDA: 0.04 x $100B = $4B; ORCL: 0.10 x $10B = $1B but t = 0.10 / 0.03 = 3.33 > 1.33.
    largest = "Largest dollar move: **NVDA** on alpha-deal, CAR[-1,+1] +4.00% (t = +1.33\\*\\*), +$4.0B"
    assert largest in findings
    assert "Most significant: **ORCL** on alpha-deal, CAR[-1,+1] +10.00% (t = +3.33\\*\\*)" in findings
    assert f"+0.333 per deal dollar — ⚑ its window also holds {fmt.md(CONFOUNDER)}" in findings
    # p = 0.009, its BH-adjusted p over KP-BMP's two windows 0.018 (2 x 0.009, [0,0]'s p being
    # 0.23): stars, a dagger, the q quoted; and the verdict turns without the confounded row (said
    # beside it: the headline once did not).
    assert (
        "for g1 (+7.00%, t = +2.60\\*\\*\\*†, BH q = 0.018; ⚑ without its 1 confounded or unscreened window: "
        "t = +0.90, not significant at 5%); not for g2." in findings
    )
    # Both samples: the group totals with and without the confounded row, from stats rows.
    said = (
        "⚑ 1 of 3 windows [-1,+1] holds other news. Without them, g1: abnormal value +$4.0B (not +$5.0B) §"
    )
    assert said in findings
    assert "no value per deal dollar (not +1.667 §)" in findings
    assert (
        "1 of 2 announcements has no deal size (deal_usd blank: undisclosed, or no deal): it is in no value "
        "per deal dollar." in findings
    )
    # each party named with its event: a ticker of two events was listed twice, with no way to tell
    # (NVDA's market value carries write_synthetic's share-count caveat: said beside its ratio)
    ranking = (
        "the value-per-deal ranking starts NVDA on alpha-deal +1.333 (CAR t +1.33; shares caveat) "
        "— the same leader"
    )
    assert ranking in findings
    groups = next(t for t in report.section("findings").tables if t.key == "groups")
    g1 = [c.text for c in groups.rows[0]]
    assert g1 == [
        "g1",
        "2",
        "+7.00%",
        "+2.60***†",
        "+$5.0B**† §",  # NVDA's caveated count is in the totals (§), also without ORCL's window
        "+1.667 (1 ev.) §",
        "1",
        "+4.00%",
        "+0.90",
        "+$4.0B §",
        "— (0 ev.)",
    ]
    assert "⚑ ORCL alpha-deal [-1,+1] (kept in the statistics)" in findings


def test_deal_flows_from_the_config(tmp_path) -> None:
    from eventstudy.config import FlowEdge, parse_flows
    from eventstudy.errors import InputError
    from eventstudy.report.flows import deal_flows

    exports = read_exports(write_synthetic(tmp_path / "s", battery=True))
    edges = parse_flows(exports.config["flows"], "study.toml")
    assert edges == (FlowEdge("alpha-deal", "Buyer Co", "Oracle", ("ORCL",)),)
    flows = deal_flows(exports.car, [*edges, FlowEdge("gone", "A", "B")], "[-1,+1]")
    frame = flows.to_frame()
    assert frame["ticker"].tolist() == ["ORCL"]
    assert (frame.abnormal_value_usd.iloc[0], frame.deal_usd.iloc[0]) == pytest.approx((1e9, 3e9))
    assert bool(frame.confounded.iloc[0]) and flows.missing_events == ("gone",) and flows.groups == ("g1",)
    markdown = render_markdown(build_report(exports))
    assert (
        "+$5.0B\\*\\* over 2 (event, party) rows (stats.parquet: g1, [-1,+1], `dollar_abnormal_value`)"
        in markdown
    )
    assert "as declared in the config's [[flows]]; edge width grows with the deal size." in markdown
    # no deal disclosed: the caption said the widths grew with deal sizes there are none of
    from eventstudy.report.sections import flows_section

    undisclosed = deal_flows(exports.car.assign(deal_usd=np.nan), edges, "[-1,+1]")
    section = flows_section(undisclosed, exports.stats)
    assert section is not None and "no deal size is disclosed: every edge is a thin dashed grey line" in str(
        [f.caption for f in section.figures]
    )
    # Only edges of events not in the study: the section lists them (it was left out, the events
    # only in manifest.json, although the README says the report lists them).
    gone = deal_flows(exports.car, [FlowEdge("gone", "A", "B"), FlowEdge("nope", "C", "D")], "[-1,+1]")
    section = flows_section(gone, exports.stats)
    assert section is not None and (section.figures, section.tables) == ((), ())
    assert section.paragraphs == ("Flows of events not in this study are left out: gone, nope.",)
    for bad, field in (
        ([{"event_id": "a", "payer": "X", "payee": "X"}], "flows[0].payee"),
        ([{"event_id": "a b", "payer": "X", "payee": "Y"}], "flows[0].event_id"),
        ([{"event_id": "a", "payer": "X\nY", "payee": "Z"}], "flows[0].payer"),
        ([{"event_id": "a", "payer": "X", "payee": "Y", "tickers": ["../x"]}], "flows[0].tickers"),
        ([{"event_id": "a", "payer": "X", "payee": "Y", "amount": 1}], "flows[0].amount"),
        ([{"payer": "X", "payee": "Y"}], "flows[0].event_id"),
    ):
        with pytest.raises(InputError) as caught:
            parse_flows(bad, "study.toml")
        assert caught.value.field == field


# ---------------------------------------------------------------------------------------------
# The real launch study


@pytest.fixture(scope="module")
def launch(launch_cache) -> Path:
    return launch_output(str(launch_cache))


def test_launch_limitations_name_the_sources_of_other_news_it_had(launch) -> None:
    """The launch study has an earnings calendar and no news file: Limitations named both."""
    markdown = (launch / "report.md").read_text()
    said = "Other news inside a window (⚑) is found only if it is in the events file or the earnings calendar"
    assert f"{said};" in markdown
    assert "news file" not in markdown.split("## Limitations")[1].split("\n## ")[0]


def test_launch_report_numbers_come_from_the_exports(launch) -> None:
    car = pd.read_parquet(launch / "car.parquet")
    orcl = car[
        (car.event_id == "oracle-openai-300b") & (car.ticker == "ORCL") & (car.window == "[0,0]")
    ].iloc[0]
    expected = fmt.percent(orcl.car)
    assert expected == "+35.38%"
    markdown = (launch / "report.md").read_text()
    html = (launch / "report.html").read_text()
    row = next(
        line for line in markdown.splitlines() if line.startswith("| oracle-openai-300b | ORCL (supplier) |")
    )
    assert "+35.38%" in row and fmt.money(orcl.abnormal_value_usd) in row and "+$242.8B" in row
    assert "+35.38%" in html and "+$242.8B" in html
    assert "Campbell, Lo & MacKinlay" in markdown
    # the value-per-deal ranking gives every ratio its CAR's t, the leader before the screen too
    main = car[car.window == "[-1,+1]"].set_index(["event_id", "ticker"])["t"]
    amzn, intc = fmt.tstat(main["amazon-openai-38b", "AMZN"]), fmt.tstat(main["nvidia-intel-5b", "INTC"])
    assert f"ranking starts INTC on nvidia-intel-5b +3.443 (CAR t {intc}; shares caveat)," in markdown
    assert f" — with them, AMZN on amazon-openai-38b +8.129 (CAR t {amzn}) first." in markdown


def test_a_share_caveat_is_flagged_beside_every_dollar_value_it_affects(launch) -> None:
    """INTC's value per deal dollar (+3.443, the ranking's leader) rests on a count launch.toml says
    understates its market value by ~10%; the tables, the deal flows and the ranking showed it
    without a flag, the caveat only in a bullet (a referee). Every table row of a caveated
    (event, INTC) pair is flagged, and no other row."""
    car = pd.read_parquet(launch / "car.parquet")
    caveated = car["note"].fillna("").str.contains("shares caveat: count excludes ~433M", regex=False)
    assert set(car.loc[caveated, "ticker"]) == {"INTC"}
    flagged = set(car.loc[caveated, "event_id"])
    assert "nvidia-intel-5b" in flagged and "deepseek-r1" not in flagged  # before 2025-08-22
    events = set(car["event_id"])
    seen: dict[str, int] = {}
    for line in (launch / "report.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not line.startswith("| ") or not any(re.fullmatch(r"INTC( \(\w+\))?", c) for c in cells):
            continue
        event = next((c for c in cells if c in events), None)
        if event is None or "$" not in line:  # a row without a dollar value (the volume tables)
            continue
        assert ("shares caveat" in line) == (event in flagged), line
        seen[event] = seen.get(event, 0) + ("shares caveat" in line)
    # the party tables (returns and dollar value, value per deal dollar, deal flows, every
    # window's four rows) and the peers' table
    assert seen["nvidia-intel-5b"] == 7 and all(seen[e] >= 1 for e in flagged - {"nvidia-intel-5b"})
    assert "nvidia-intel-5b +3.443 (CAR t " in (launch / "report.md").read_text()


def test_the_findings_sentences_say_a_share_caveat_too(launch) -> None:
    """With caveats on NVDA's and AMZN's counts, the tables flagged their rows but the Findings'
    "Largest dollar move" and the ranking's leader "with them" said nothing of it (a reviewer)."""
    exports = read_exports(launch)
    car = exports.car.copy()
    amzn = (car["ticker"] == "AMZN") & (car["event_id"] == "amazon-openai-38b")
    amzn |= (car["ticker"] == "NVDA") & (car["event_id"] == "deepseek-r1")
    car.loc[amzn, "note"] = car.loc[amzn, "note"].fillna("").map(
        lambda note: "; ".join(p for p in (note, "shares caveat: count of another date") if p)
    )
    markdown = render_markdown(build_report(dataclasses.replace(exports, car=car)))
    findings = markdown.split("## Findings")[1].split("\n## ")[0]
    assert "Largest dollar move: **NVDA** on deepseek-r1, CAR[-1,+1] -9.46% (t = " in findings
    assert "-$371.4B of market value (shares caveat)." in findings
    assert " — with them, AMZN on amazon-openai-38b +8.129 (CAR t +5.30; shares caveat) first." in findings
    unedited = render_markdown(build_report(exports)).split("## Findings")[1].split("\n## ")[0]
    sentences = "\n".join(line for line in unedited.splitlines() if "|" not in line)  # not the group table's
    assert "(shares caveat)" not in sentences.replace("§ (shares caveat): the total holds", "")


def test_a_group_total_that_holds_a_share_caveat_says_so(launch) -> None:
    """INTC's caveated count (nvidia-intel-5b, group other; a peer elsewhere) flagged its rows, but
    the Findings' group totals it is part of (other, all, peers) said nothing (a finder)."""
    markdown = (launch / "report.md").read_text(encoding="utf-8")
    findings = markdown.split("## Findings")[1].split("\n## ")[0]
    lines = [line for line in findings.splitlines() if line.startswith("| ")]
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in lines}
    for group in ("other", "all", "peers"):  # value created and its unconfounded twin's (INTC's is clean)
        assert rows[group].count("B §") == 2, rows[group]
    for group in ("other", "all"):  # per deal $: nvidia-intel-5b has a deal size; peers have none
        assert rows[group].count("ev.) §") == 2, rows[group]
    for group in ("openai-compute", "shock"):
        assert "§" not in rows[group]
    assert "§ (shares caveat): the total holds a party whose market value rests on a share count" in findings
    # the sentence giving the totals without the confounded windows marks them as the table does
    # (it gave the table's -$472.9B § as -$472.9B; a finder)
    marked = "all: abnormal value -$472.9B (not +$13.4B) §, +0.157 (not +0.494) § per deal dollar"  # both
    assert marked in findings
    clean = "openai-compute: abnormal value +$324.1B (not +$810.4B), +0.387 (not +0.685) per deal dollar"
    assert clean in findings
    # a caveated row in a window with other news is in its group's total, not in the twin's;
    # one without a dollar value is in neither
    car = read_exports(launch).car
    main = car[car["window"] == "[-1,+1]"].copy()
    intc = (main["ticker"] == "INTC") & (main["event_id"] == "nvidia-intel-5b")
    main.loc[intc, "confounded"] = True
    caveated = caveated_totals(main)
    assert caveated["other"] == {"dollar_abnormal_value", "value_per_deal_dollar"}
    assert "other (unconfounded)" not in caveated
    assert caveated["peers (unconfounded)"] == {"dollar_abnormal_value"}
    # under exclude_confounded, that row is in no total but the peers' (a re-attack)
    excluded = caveated_totals(main, excluded=True)
    assert excluded == {"peers": {"dollar_abnormal_value"}}
    # a clean caveated row of an event whose other party has other news: in the twin's dollar
    # total, not in its value per deal, which drops the whole event (a re-attack)
    main.loc[intc, "confounded"] = False
    nvda = (main["ticker"] == "NVDA") & (main["event_id"] == "nvidia-intel-5b")
    main.loc[nvda, "confounded"] = True
    caveated = caveated_totals(main)
    assert caveated["other"] == {"dollar_abnormal_value", "value_per_deal_dollar"}
    assert caveated["other (unconfounded)"] == {"dollar_abnormal_value"}
    main.loc[main["ticker"] == "INTC", "abnormal_value_usd"] = np.nan
    assert caveated_totals(main) == {}


def test_the_page_does_not_carry_the_last_bits_of_the_arithmetic(launch) -> None:
    """Another CPU, BLAS build or a Dask run computes the same tables to rounding (``verify``
    notes differences of 1e-16 as such), but the page's sort keys carried every bit of each
    value: the committed launch report.html did not verify on another machine."""
    from eventstudy.report.html import _table

    exports = read_exports(launch)

    def nudged(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for name in out.columns:
            if out[name].dtype == np.float64:
                # One unit in the last place, except for values every machine computes exactly:
                # a count, or a share of counts such as 93/128 (0.7265625, a decimal tie).
                values = out[name].to_numpy()
                exact = ~np.isfinite(values) | (np.ldexp(values, 24) == np.round(np.ldexp(values, 24)))
                out[name] = np.where(exact, values, np.nextafter(values, np.inf))
        return out

    other = dataclasses.replace(
        exports,
        ar=nudged(exports.ar),
        car=nudged(exports.car),
        extra={name: nudged(frame) for name, frame in exports.extra.items()},
    )
    reports = build_report(exports), build_report(other)

    def sort_keys(report) -> list[str | None]:
        return [
            cell.sort
            for section in report.sections
            for table in section.tables
            for row in _table(table).rows
            for cell in row
        ]

    mine, theirs = (sort_keys(report) for report in reports)
    assert sum(key not in (None, "") for key in mine) > 1000
    assert mine == theirs
    assert render_markdown(reports[0]) == render_markdown(reports[1])
    assert reports[0].files == reports[1].files  # tables.md, tables.tex
    # The keys still order the cells as finely as they are shown (six significant digits).
    assert {"0.353799", "242752000000.0"} <= set(mine)  # ORCL's day 0: +35.38%, +$242.8B


def test_sort_keys_are_numbers_javascript_reads() -> None:
    """``parseFloat("inf")`` is NaN, which sorts nowhere: an infinite t was such a key."""
    from eventstudy.report.html import sort_key

    assert (sort_key(float("inf")), sort_key(float("-inf"))) == ("Infinity", "-Infinity")
    assert sort_key(0.31755202309353053) == "0.317552" and sort_key(242751728586.73) == "242752000000.0"
    assert sort_key(1e-300) == "1e-300" and sort_key(-1.234567e-5) == "-1.23457e-05"
    assert sort_key(999_999) == "999999.0" and sort_key(-0.0) == "-0.0"


def test_launch_report_gives_one_count_of_vendor_share_counts(launch) -> None:
    """The findings said 25 of 25 share counts are vendor figures, the Data section 22 of 25 (it
    read one window per pair): both now count the pairs with a vendor figure in any window."""
    car = pd.read_parquet(launch / "car.parquet")
    parties = car[car.role != "peer"]
    vendor = parties.loc[parties.note.str.contains("vendor or balance-sheet figure"), ["event_id", "ticker"]]
    expected = (len(vendor.drop_duplicates()), len(parties.drop_duplicates(["event_id", "ticker"])))
    assert expected == (25, 25)
    markdown = (launch / "report.md").read_text()
    counts = re.findall(
        r"(?:[Ss]hare counts of|market values: those of) (\d+) of (\d+) (?:\(event, party\) pairs|parties)",
        markdown,
    )
    assert len(counts) >= 3 and {(int(a), int(b)) for a, b in counts} == {expected}


def test_launch_report_says_which_ticker_days_count_once_in_the_value_created(launch) -> None:
    """NVDA's 2025-09-19 lies in the [-1,+1] windows of two events: the Limitations say so with
    the amount a plain sum would add, and the statistics table shows the row in dollars."""
    stats = pd.read_parquet(launch / "stats.parquet")
    in_all = (stats.group == "all") & (stats.window == "[-1,+1]")
    shared = stats[in_all & (stats.statistic == "dollar_shared_days_usd")]
    assert shared.n.tolist() == [1]
    ar = pd.read_parquet(launch / "ar.parquet")
    day = ar[(ar.ticker == "NVDA") & (ar.date == "2025-09-19") & ar.tau.between(-1, 1) & (ar.role != "peer")]
    assert sorted(day.event_id) == ["nvidia-intel-5b", "nvidia-openai-100b"]
    markdown = (launch / "report.md").read_text()
    amount = fmt.money(float(shared.value.iloc[0]))
    assert amount == "-$33.0B"
    assert (
        "- 1 ticker-day of [-1,+1] lies in the windows of several events of one ticker (all); each counts "
        "once in the value created (the mean of the events' estimates), where a sum of the rows would add "
        f"{amount} (dollar_shared_days_usd)."
    ) in markdown
    assert f"| all | dollar_shared_days_usd | $0 | — | {amount} | — | 0 |" in markdown
    # the peers' value created counts their shared days once too: said (it named `all` only)
    in_peers = (stats.group == "peers") & (stats.window == "[-1,+1]")
    peers = stats[in_peers & (stats.statistic == "dollar_shared_days_usd")]
    days, value = int(peers.n.iloc[0]), fmt.money(float(peers.value.iloc[0]))
    assert days > 1 and (
        f"- {days} ticker-days of [-1,+1] lie in the windows of several events of one ticker (peers); "
        "each counts once in the value created (the mean of the events' estimates), where a sum of the "
        f"rows would add {value} (dollar_shared_days_usd)."
    ) in markdown


def test_the_bh_family_is_each_tests_windows_and_an_older_folder_keeps_its_own(launch, tmp_path) -> None:
    """The family of every window and test let Patell's z (p = 1e-27 for openai-compute, a test
    that ignores event-induced variance) lower every other test's adjusted p (a referee): a test's
    family is its windows in the group, and the manifest records it (p_family). An older
    version's folder (no record; a drift without n_days) is reported as it was."""
    from eventstudy import load_study, save_study

    stats = pd.read_parquet(launch / "stats.parquet")
    compute = stats[(stats["group"] == "openai-compute") & stats["p"].notna()]
    for statistic in ("grank_t", "generalized_sign_z", "kp_adjusted_bmp_t"):
        tests = compute[compute["statistic"] == statistic]
        assert len(tests) == 4
        oracle = multipletests(tests["p"].to_numpy(), method="fdr_bh")[1]
        np.testing.assert_allclose(tests["p_bh"].to_numpy(), oracle, rtol=1e-12)
    markdown = (launch / "report.md").read_text()
    assert "**openai-compute** (BH family: each test over its 4 windows; GRANK over-rejects" in markdown
    # shock's clustered t's have no p over [0,0] (one day's parties): families of 3, but not in its
    # table, whose five tests have 4 each
    assert "**shock** (BH family: each test over its 4 windows; GRANK" in markdown
    assert "A test's family is its windows in the group" in markdown
    # the dagger notes name the family this folder's p_bh has, not both (a referee)
    assert markdown.count("over the test's family: its windows in the group (manifest.json's p_family)") == 2
    assert "records no p_family" not in markdown
    assert json.loads((launch / "manifest.json").read_text())["p_family"] == "statistic_windows"
    old = older_copy(launch, tmp_path / "old", "p_family")  # no record: every test in one family
    # ... and a drift.parquet without n_days (nor the session-clustered t), which could not be
    # re-rendered ("field 'n_days': column is missing", a finder)
    # ... and a volume.parquet without n_est (added with the caption's count of the pairs fitted on
    # fewer days: the report refused such a folder, "field 'n_est': column is missing", a reviewer)
    # nor note (added with the shares caveats of log turnover: refused the same way, a re-attack)
    for name, added in (
        ("drift.parquet", ["n_days", "n_clusters", "t_cluster", "p_cluster"]),
        ("volume.parquet", ["n_est", "note"]),
    ):
        table = pq.read_table(old / name)
        metadata = dict(table.schema.metadata)
        schema = json.loads(metadata[b"eventstudy.schema"])
        schema["columns"] = [c for c in schema["columns"] if c["name"] not in added]
        metadata[b"eventstudy.schema"] = json.dumps(schema, sort_keys=True, ensure_ascii=False).encode()
        pq.write_table(table.drop_columns(added).replace_schema_metadata(metadata), old / name)
    resealed(old)
    assert main(["report", str(old)]) == 0
    said = "**openai-compute** (BH family: 84 tests, every window and test of the group; GRANK"  # as it was
    older = (old / "report.md").read_text()
    assert "3 of 156 pairs have no abnormal volume (insufficient_estimation 3). " in older
    assert said in older
    # ... and its Multiple testing paragraph is not the one that criticises its family (a referee)
    assert "each group is tested over many windows and statistics, so some stars appear" in older
    assert "A test's family is its windows" not in older and "let those that overstate" not in older
    assert older.count("over the test's family: the group's every window and test (this folder, an") == 2
    assert "its windows in the group (manifest.json's p_family)" not in older
    assert "this folder's drift.parquet, an older version's, does not count the sessions and" in older
    assert "| shock | [+1,+1] | 5 | — | +3.80% |" in older  # report.md's; backtest.md is the run's
    assert "form one cluster (days: the sessions bought at) has no test" not in older
    loaded = load_study(old)
    assert loaded.p_family is None and load_study(launch).p_family == "statistic_windows"
    again = save_study(loaded, tmp_path / "again", report=False)
    assert "p_family" not in json.loads((again / "manifest.json").read_text())
    with pytest.raises(ValueError, match=r"^p_family must be 'statistic_windows' .* not 'group'$"):
        save_study(dataclasses.replace(loaded, p_family="group"), tmp_path / "group", report=False)
    assert not (tmp_path / "group").exists()


def test_the_caar_band_caption_says_what_is_resampled(launch, tmp_path) -> None:
    """The caption said 'resamples of the events'; the bootstrap draws (event, party) pairs (the
    shock group is one event with five pairs). Five pairs are too few for a 95% band, which the
    caption says (it drew one that covers 84%: a finder)."""
    markdown = (launch / "report.md").read_text()
    assert "999 bootstrap resamples of the group's (event, party) pairs (Efron & Tibshirani 1993)" in markdown
    assert "resamples of the events" not in markdown
    assert " shock: too few pairs for a band (a bootstrap band lies within the range of the CARs" in markdown
    # a folder written before the expanded band (no caar_band record) is described as it was drawn
    old = older_copy(launch, tmp_path / "old", "caar_band")
    assert main(["report", str(old)]) == 0
    lines = (old / "report.md").read_text().splitlines()
    caption = next(line for line in lines if line.startswith("CAAR from"))
    assert "Hesterberg" not in caption and "(Efron & Tibshirani 1993), caar.parquet." in caption
    assert caption.endswith(
        " shock: fewer pairs than a 95% band needs (6): the band lies within the range of the CARs, which "
        "covers the mean less often than 95%."
    )
    # loaded and saved again, it is still the plain band (a save stamped the new method: a finder)
    from eventstudy import load_study, save_study

    loaded = load_study(old)
    assert loaded.caar_band is None and load_study(launch).caar_band == "expanded_percentile"
    assert "Hesterberg" not in loaded.plot_caar().texts[0].get_text()
    again = save_study(loaded, tmp_path / "again", report=False)
    assert "caar_band" not in json.loads((again / "manifest.json").read_text())
    # a band method this version does not know is refused before anything is written (verify said
    # DIFFERENT of the folder it wrote, and its report described the plain band)
    with pytest.raises(ValueError, match=r"^caar_band must be 'expanded_percentile' .* not 'bca'$"):
        save_study(dataclasses.replace(loaded, caar_band="bca"), tmp_path / "bca", report=False)
    assert not (tmp_path / "bca").exists()
    caar = pd.read_parquet(launch / "caar.parquet")
    shock = caar[caar["group"] == "shock"]
    assert (shock["n"] == 5).all() and shock["lower"].isna().all() and shock["classic_lower"].notna().all()
    assert caar.loc[caar["group"] != "shock", "lower"].notna().all()


def test_launch_first_screen_names_the_dominant_days_no_news_explains(launch) -> None:
    """stats.parquet counts three dominant-day windows of openai-compute [-1,+1]; the first screen
    names the two that no flagged news explains (AMZN's is its earnings release) and says so."""
    stats_table = pd.read_parquet(launch / "stats.parquet")
    row = stats_table[(stats_table.group == "openai-compute") & (stats_table.window == "[-1,+1]")]
    assert row.loc[row.statistic == "dominant_day_rows", "value"].iloc[0] == 3
    markdown = (launch / "report.md").read_text()
    line = next(t for t in markdown.splitlines() if t.startswith("**Read with care:**"))
    assert (
        "with no flagged news to explain it, a day other than day 0 carries the CAR of "
        "ORCL stargate-launch τ+1, MSFT stargate-launch τ+1;" in line
    )
    assert "AMZN amazon-openai-38b τ-1" not in line


def test_launch_report_has_every_figure(launch) -> None:
    names = sorted(p.name for p in (launch / "figures").iterdir())
    events = pd.read_parquet(launch / "events.parquet")
    expected = sorted(
        [f"car_{e}.png" for e in events.event_id.unique()]
        + ["caar_by_group.png", "deal_flows.png", "peers_day0_heatmap.png", "value_per_deal.png"]
        + ["equity_curve.png"]  # launch.toml has a [backtest] table, so `run` runs the backtest
        + ["volume_by_group.png"]  # and volume = "log_volume": the abnormal volume study
    )
    assert names == expected and len(names) == 19
    html = (launch / "report.html").read_text()
    assert html.count('<img src="data:image/png;base64,') == 19
    assert 'src="figures/' not in html and "<link" not in html and "http" not in html.split("<body>")[1]
    markdown = (launch / "report.md").read_text()
    for name in names:
        assert f"](figures/{name})" in markdown


def test_launch_paper_tables_use_the_rows_of_the_statistics(launch) -> None:
    stats_table = pd.read_parquet(launch / "stats.parquet")
    car = pd.read_parquet(launch / "car.parquet")
    windows = ["[0,0]", "[-1,+1]", "[0,+1]", "[-5,+5]"]
    tables = paper_tables(stats_table, car, windows)
    groups = ["openai-compute", "shock", "other", "all", "peers"]
    assert [t.group for t in tables] == [*groups, *(unconfounded_group(g) for g in groups)]
    for table in tables:
        for row in table.rows.itertuples(index=False):
            assert row.n == row.n_car  # the median and % positive use exactly the CAAR's rows
            cars = sample_rows(car, table.group)
            cars = cars.loc[cars.window == row.window, "car"]
            assert row.caar == pytest.approx(cars.mean(), rel=1e-12)
    compute = tables[0].rows.set_index("window").loc["[-1,+1]"]
    kp = stats_table[
        (stats_table.group == "openai-compute")
        & (stats_table.window == "[-1,+1]")
        & (stats_table.statistic == "kp_adjusted_bmp_t")
    ].iloc[0]
    assert (compute["value:kp_adjusted_bmp_t"], compute["p:kp_adjusted_bmp_t"]) == (kp.value, kp.p)
    markdown = (launch / "tables.md").read_text()
    assert f"| [-1,+1] | {fmt.percent(compute.caar)} |" in markdown
    assert (launch / "tables.tex").read_text().count(r"\begin{tabular}") == 10


def test_launch_ar_car_se_matches_the_window_s_e(launch) -> None:
    ar = pd.read_parquet(launch / "ar.parquet")
    car = pd.read_parquet(launch / "car.parquet")
    assert list(ar.columns[-8:]) == [
        "car_se", "ar_se", "ar_t", "ar_p", "ar_lower", "ar_upper", "car_lower", "car_upper"
    ]
    last = ar[ar.tau == 5].set_index(["event_id", "ticker"])
    full = car[car.window == "[-5,+5]"].set_index(["event_id", "ticker"])
    ok = full.outcome == "ok"
    np.testing.assert_allclose(last.loc[full.index[ok], "car_se"], full.loc[ok, "car_se"], rtol=1e-12)
    np.testing.assert_allclose(last.loc[full.index[ok], "car"], full.loc[ok, "car"], rtol=1e-12, atol=1e-15)
    first = ar[ar.tau == -5].set_index(["event_id", "ticker"])
    one_day = first["car_se"]  # CAR over one day: the one-day prediction s.e. > sigma
    np.testing.assert_allclose(first["ar_se"], one_day, rtol=1e-12)  # ... which is that day's AR s.e.
    sigma = car.drop_duplicates(["event_id", "ticker"]).set_index(["event_id", "ticker"])["sigma"]
    assert (one_day.dropna() >= sigma.reindex(one_day.dropna().index)).all()


def test_parquet_files_document_their_schema(launch) -> None:
    # Every parquet file of the run, the backtest's too (trades, backtest and drift.parquet held
    # only the backtest's record, though `run --help` promised each file's columns).
    names = sorted(p.name for p in launch.glob("*.parquet"))
    assert {"trades.parquet", "backtest.parquet", "drift.parquet", "stats.parquet"} <= set(names)
    for name in names:
        schema = pq.read_schema(launch / name)
        documented = json.loads(schema.metadata[SCHEMA_KEY.encode()])["columns"]
        assert [c["name"] for c in documented] == schema.names, name
        undocumented = [c["name"] for c in documented if c["unit"] == "undocumented"]
        assert not undocumented, f"{name}: {undocumented}"
        types = {c["name"]: c["type"] for c in documented}
        assert all(types[f.name] == str(f.type) for f in schema), name
    car_docs = {
        c["name"]: c
        for c in json.loads(pq.read_schema(launch / "car.parquet").metadata[SCHEMA_KEY.encode()])["columns"]
    }
    assert car_docs["abnormal_value_usd"]["unit"] == "usd" and car_docs["car"]["unit"] == "fraction"


def test_schema_texts_name_only_rows_the_file_holds(launch) -> None:
    # caar.parquet's `group` said it held `<group> (unconfounded)` twins, volume_stats.parquet's `n`
    # and `p_bh` spoke of value-per-deal and dollar rows: neither file ever holds them.
    def docs(name: str) -> dict[str, str]:
        columns = json.loads(pq.read_schema(launch / name).metadata[SCHEMA_KEY.encode()])["columns"]
        return {c["name"]: c["description"] for c in columns}

    caar, volume = pd.read_parquet(launch / "caar.parquet"), pd.read_parquet(launch / "volume_stats.parquet")
    assert not caar.group.str.contains("unconfounded").any()
    assert "unconfounded" not in docs("caar.parquet")["group"]
    assert not volume.statistic.str.contains("dollar|deal").any()
    assert volume.group.str.contains("unconfounded").any()  # the twins are there, and said to be
    assert "unconfounded" in docs("volume_stats.parquet")["group"]
    for column in ("n", "p_bh"):
        assert not re.search("dollar|deal", docs("volume_stats.parquet")[column]), column


def test_manifest_records_how_to_reproduce(launch) -> None:
    manifest = json.loads((launch / "manifest.json").read_text())
    assert manifest["estimation"] == {"n_params": 2}
    assert manifest["command"] and all(isinstance(part, str) for part in manifest["command"])
    assert manifest["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", manifest["git_commit"])
    assert manifest["git_dirty"] in (None, True, False)
    assert {"jinja2", "matplotlib"} <= set(manifest["versions"])
    assert {"report.html", "tables.md", "tables.tex", "figures/value_per_deal.png"} <= set(manifest["files"])


def test_report_renders_again_from_a_copy_without_the_cache(launch, tmp_path, monkeypatch) -> None:
    """From the files alone, byte for byte; every figure drawn anew (an empty memo), and a second
    rendering in the process draws none (verify drew every figure the run had just drawn)."""
    def files_alone(copy: Path) -> Path:
        copy.mkdir()
        for name in [*(p.name for p in launch.glob("*.parquet")), "manifest.json", "backtest.md"]:
            shutil.copy(launch / name, copy / name)
        (copy / "figures").mkdir()
        shutil.copy(launch / "figures" / "equity_curve.png", copy / "figures")  # the backtest's own figure
        return copy

    monkeypatch.setattr(report_figures, "_memo", {})
    drawn = []
    png_future = report_figures.png_future
    monkeypatch.setattr(report_figures, "png_future", lambda f: drawn.append(f) or png_future(f))
    names = ["report.md", "report.html", "tables.md", "tables.tex"]
    figure_names = [f"figures/{p.name}" for p in (launch / "figures").iterdir()]
    for copy in (tmp_path / "copy", tmp_path / "again"):
        render_report(files_alone(copy))  # no cache, no study: the files alone
        for name in [*names, *figure_names]:
            assert (copy / name).read_bytes() == (launch / name).read_bytes(), name
        assert len(drawn) == len(figure_names) - 1  # all but the backtest's equity curve, once


def test_render_report_from_python_never_writes_over_or_through_the_users_files(launch, tmp_path) -> None:
    """eventstudy.report.render_report wrote straight into the folder: over an edited report.md,
    and through a figures/ link into the user's own folder (a finder). It checks and publishes
    as `eventstudy report DIR` does."""
    from eventstudy.errors import InputError

    pristine = tmp_path / "pristine"
    shutil.copytree(launch, pristine)
    (pristine / "report.md").unlink()  # a report file the run wrote: rendered again, not refused
    render_report(pristine)
    assert (pristine / "report.md").read_bytes() == (launch / "report.md").read_bytes()

    edited = tmp_path / "edited"
    shutil.copytree(launch, edited)
    (edited / "report.md").write_text("MY EDITED REPORT")
    with pytest.raises(InputError, match=r"report\.md"):
        render_report(edited)
    assert (edited / "report.md").read_text() == "MY EDITED REPORT"

    linked, important = tmp_path / "linked", tmp_path / "important"
    shutil.copytree(launch, linked)
    important.mkdir()
    (important / "caar_by_group.png").write_text("my own chart")
    shutil.rmtree(linked / "figures")
    (linked / "figures").symlink_to(important)
    with pytest.raises(InputError, match="figures"):
        render_report(linked)
    assert [p.name for p in important.iterdir()] == ["caar_by_group.png"]
    assert (important / "caar_by_group.png").read_text() == "my own chart"


def test_csv_export_is_excel_friendly_and_complete(tmp_path) -> None:
    # The small synthetic study (the launch report is re-rendered from its files above).
    from _small_study import make_cache, make_study, run_args

    events, config = make_study(tmp_path / "study")
    cache = make_cache(tmp_path / "cache").root
    out = tmp_path / "out"
    assert main(run_args(events, config, cache, out)) == 0
    assert main(["report", str(out), "--format", "csv"]) == 0
    raw = (out / "car.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark for Excel
    back = pd.read_csv(out / "car.csv", encoding="utf-8-sig")
    car = pd.read_parquet(out / "car.parquet")
    assert list(back.columns) == list(car.columns) and len(back) == len(car)
    np.testing.assert_array_equal(back["car"].to_numpy(), car["car"].to_numpy())  # full precision
    ar, ar_parquet = pd.read_csv(out / "ar.csv", encoding="utf-8-sig"), pd.read_parquet(out / "ar.parquet")
    assert len(ar) == len(ar_parquet)
    assert ar["date"].iloc[0] == ar_parquet["date"].iloc[0].strftime("%Y-%m-%d")


class _Terminal:
    def __init__(self) -> None:
        self.written: list[str] = []

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_progress_bar_only_on_a_terminal_outside_ci(monkeypatch, capsys) -> None:
    from eventstudy import progress

    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.delenv("CI", raising=False)
    assert progress.interactive()
    assert list(progress.progress(range(3), desc="figures")) == [0, 1, 2]
    assert any("figures" in text for text in terminal.written)  # a bar was drawn

    monkeypatch.setenv("CI", "true")
    terminal.written.clear()
    assert not progress.interactive()
    assert list(progress.progress(range(3), desc="figures")) == [0, 1, 2]
    assert terminal.written == []

    monkeypatch.delenv("CI")
    monkeypatch.setattr("sys.stderr", io.StringIO())  # a pipe or a log file
    assert not progress.interactive()


def test_figures_are_identical_across_processes(tmp_path) -> None:
    folder = write_synthetic(tmp_path / "s", battery=True)
    here = {
        name: hashlib.sha256(png).hexdigest()
        for name, png in build_report(read_exports(folder)).figures().items()
    }
    script = (
        "import hashlib, json, sys\n"
        "from eventstudy.report import build_report, read_exports\n"
        "figures = build_report(read_exports(sys.argv[1])).figures()\n"
        "print(json.dumps({n: hashlib.sha256(p).hexdigest() for n, p in figures.items()}))\n"
    )
    # One fresh process with a fresh matplotlib config folder and a hash seed other than this
    # process's: a second such process would compare the same two things again.
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    env = {**os.environ, "PYTHONHASHSEED": seed, "MPLCONFIGDIR": str(tmp_path / "mpl")}
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder)], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(done.stdout) == here


def test_report_shows_every_statistic(launch) -> None:
    table = pd.read_parquet(launch / "stats.parquet")
    row = table[(table.group == "all") & (table.window == "[0,0]") & (table.statistic == "kp_adjusted_bmp_t")]
    main = table[
        (table.group == "all") & (table.window == "[-1,+1]") & (table.statistic == "kp_adjusted_bmp_t")
    ]
    markdown = (launch / "report.md").read_text()
    assert "## All statistics" in markdown
    line = (
        f"| all | kp_adjusted_bmp_t | {fmt.tstat(row.value.iloc[0])} | {fmt.probability(row.p.iloc[0])} "
        f"| {fmt.tstat(main.value.iloc[0])} | {fmt.probability(main.p.iloc[0])} | 25 |"
    )
    assert line in markdown
    assert "| all | market_proxy_rows | 0 |" in markdown  # counts print as integers
    assert "## Table stats.parquet" not in markdown and "## Table caar.parquet" not in markdown


def test_large_study_shows_the_largest_events_and_cuts_long_tables() -> None:
    from eventstudy.report import Cell, Section, Table
    from eventstudy.report.build import MAX_EVENTS_SHOWN, MAX_TABLE_ROWS, _cut, events_shown

    values = [(-1) ** i * float(i) for i in range(50)]
    parties = pd.DataFrame(
        {"event_id": [f"e{i}" for i in range(50)], "window": "[-1,+1]", "abnormal_value_usd": values}
    )
    shown = events_shown(parties, "[-1,+1]")
    assert len(shown) == MAX_EVENTS_SHOWN == 40
    assert shown == [f"e{i}" for i in range(10, 50)]  # |value| = i: the ten smallest are left out
    assert events_shown(parties.head(12), "[-1,+1]") == [f"e{i}" for i in range(12)]
    rows = tuple((Cell(str(i)),) for i in range(1500))
    cut = _cut(Section("s", "S", tables=(Table("t", ("x",), "l", rows, caption="All."),)))
    assert len(cut.tables[0].rows) == MAX_TABLE_ROWS == 1000
    assert cut.tables[0].caption == "All. First 1,000 of 1,500 rows; the parquet exports hold all."


def test_peers_that_are_all_parties_are_not_called_absent(tmp_path) -> None:
    """A study whose every peer is a party of every announcement has no peer rows; the report
    said "No ecosystem peers in this study (run with --peers to add them)"."""
    from eventstudy.report.sections import spillover_section

    exports = read_exports(write_synthetic(tmp_path / "s"))
    ar, car = exports.ar[exports.ar["role"] != "peer"], exports.car[exports.car["role"] != "peer"]
    text = " ".join(spillover_section(ar, car, None, "[0,0]", ["ORCL", "NVDA"], ["ORCL", "NVDA"]).paragraphs)
    assert "Every peer of this study (ORCL, NVDA) is a party of every announcement" in text
    assert "run with --peers" not in text
    # --no-peers: the manifest's peers are none, though the config's still order the map.
    text = " ".join(spillover_section(ar, car, None, "[0,0]", ["ORCL", "NVDA"], []).paragraphs)
    assert "No ecosystem peers in this study (run with --peers to add them)" in text


def test_paper_tables_say_where_grank_has_too_few_pairs(tmp_path) -> None:
    """GRANK's stars in a group of a few pairs read as 5% tests (a nominal 5% GRANK rejects 27% of
    null samples of 2 pairs): each such table now says so under it, in every rendering."""
    from eventstudy.report.tables import paper_tables, to_latex, to_markdown

    exports = read_exports(write_synthetic(tmp_path / "s", battery=True))
    tables = paper_tables(exports.stats, exports.car, ["[0,0]", "[-1,+1]"])
    grank = [t for t in tables if "value:grank_t" in t.rows]
    small = [t for t in grank if (t.rows["n"] < 50).any() and t.rows["value:grank_t"].notna().any()]
    assert small, "the synthetic battery has a group of fewer than 50 pairs with a GRANK t"
    note = "GRANK over-rejects with fewer than 50 pairs: under the null a nominal 5% test rejects 26.9% of 2"
    assert all(note in t.note for t in small)
    assert "7.8% of 8, 6.8% of 12 and 5.9% of 25 pairs" in small[0].note  # not only 2, 5 and 12 (a finder)
    assert note in to_markdown(tables, "t") and note.replace("%", r"\%") in to_latex(tables, "t")
    big = dataclasses.replace(small[0], rows=small[0].rows.assign(n=50))
    assert big.grank_note == ""


def test_launch_report_gives_each_regressions_formula(launch) -> None:
    """The regression table named a regression only (value_per_deal_dollar): what was regressed on
    what, on which rows and with which weights, was in crosssection.parquet alone."""
    table = pd.read_parquet(launch / "crosssection.parquet")
    regressions = table.drop_duplicates("regression")
    assert regressions["regression"].tolist() == [
        "value_per_deal_dollar",
        "value_per_deal_dollar_by_flow_side",
        "car_on_deal_size",
    ]
    markdown = (launch / "report.md").read_text()
    before_table = markdown.split("Cross-sectional regressions", 1)[1].split("| regression |", 1)[0]
    page = html.unescape((launch / "report.html").read_text()).rsplit("Cross-sectional regressions", 1)[1]
    for row in regressions.itertuples():
        text = f"Regression {row.regression}: {row.formula} (sample {row.sample}, weights {row.weights})."
        assert fmt.md(text) in before_table, text  # markdown: the "~" escaped
        assert text in page.split("<table", 1)[0], text
    formula = "car ~ np.log(deal_usd) + C(role)"
    kept = (  # in the fit: "exclude_confounded = true leaves them out" read as if it had (a referee)
        " Of the windows its sample starts from, 2 hold other news (⚑), in the fit unless a variable is "
        "missing there; exclude_confounded = true would leave them out."
    )
    # ORCL's and AMZN's earnings windows were in every regression with no word of it (a referee)
    assert f"<p>Regression car_on_deal_size: {formula} (sample parties, weights patell).{kept}</p>" in page
    car = pd.read_parquet(launch / "car.parquet")
    lines = sections.regression_formulas(table, car)
    assert len(lines) == 3 and all(line.endswith(kept) for line in lines)
    said = "; 2 confounded or unscreened window(s) left out (exclude_confounded)"
    assert not any(kept in line for line in sections.regression_formulas(table.assign(note=said), car))
    one = car.assign(confounded=car["confounded"] & (car["ticker"] == "ORCL"))  # one window, not two
    assert "from, 1 holds other news (⚑), in the fit unless a variable is missing there; " in (
        sections.regression_formulas(table, one)[0]
    )
    assert sections.regression_formulas(table, one)[0].endswith("= true would leave it out.")
    clean = car.assign(confounded=False)
    assert sections.regression_formulas(table, clean) == sections.regression_formulas(table)


def test_a_study_without_caar_reports_the_statistics_it_chose(launch_cache, tmp_path, capsys) -> None:
    """statistics = [kp_adjusted_bmp_t, grank_t, dollar_abnormal_value]: the report listed its
    groups from the caar rows only, so it said "stats.parquet has no statistic per group and
    window", left out the KP-BMP finding, and "Without them, no group total changes" although
    stats.parquet's totals of openai-compute and its unconfounded twin differ."""
    root = Path(__file__).resolve().parents[1]
    text = (root / "launch.toml").read_text(encoding="utf-8")
    chosen = 'volume = "log_volume"\nstatistics = ["kp_adjusted_bmp_t", "grank_t", "dollar_abnormal_value"]\n'
    config = tmp_path / "study.toml"
    config.write_text(text.replace('volume = "log_volume"\n', chosen, 1), encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", "--events", str(root / "events.csv"), "--config", str(config), "--offline"]
    assert main([*args, "--cache", str(launch_cache), "--out", str(out)]) == 0
    capsys.readouterr()
    stats = pd.read_parquet(out / "stats.parquet").set_index(["group", "window", "statistic"])
    assert "caar" not in set(stats.index.get_level_values("statistic"))
    kp = stats.loc[("openai-compute", "[-1,+1]", "kp_adjusted_bmp_t"), "value"]
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "no statistic per group and window" not in markdown
    assert "no group total changes" not in markdown
    value = stats.loc[("openai-compute", "[-1,+1]", "dollar_abnormal_value"), "value"]
    twin = stats.loc[("openai-compute (unconfounded)", "[-1,+1]", "dollar_abnormal_value"), "value"]
    assert value != twin  # the totals did change without the confounded rows, and the report says so
    assert f"openai-compute: abnormal value {fmt.money(twin)} (not {fmt.money(value)})" in markdown
    tests = markdown.split("## Tests by group\n")[1].split("\n## ")[0]
    assert f"{kp:+.2f}" in tests and "openai-compute" in tests
    # Only the chosen tests are columns: the five standard columns were there, empty but for the
    # chosen two, and a chosen test outside them (corrado_rank_z) had no column at all.
    header = next(line for line in tests.splitlines() if line.startswith("| Window"))
    assert header == "| Window | CAAR | Median | % positive | N | KP-BMP t | GRANK t |"
    latex = (out / "tables.tex").read_text(encoding="utf-8")
    assert "Window & CAAR & Median & \\% positive & N & KP-BMP t & GRANK t \\\\" in latex
    assert "CS t:" not in tests and "CS t:" not in latex  # nor in the legend
    corrado = 'volume = "log_volume"\nstatistics = ["bmp_t", "corrado_rank_z", "dollar_abnormal_value"]\n'
    config.write_text(text.replace('volume = "log_volume"\n', corrado, 1), encoding="utf-8")
    assert main([*args, "--cache", str(launch_cache), "--out", str(tmp_path / "corrado")]) == 0
    capsys.readouterr()
    stats = pd.read_parquet(tmp_path / "corrado" / "stats.parquet")
    stats = stats.set_index(["group", "window", "statistic"])
    markdown = (tmp_path / "corrado" / "report.md").read_text(encoding="utf-8")
    tests = markdown.split("## Tests by group\n")[1].split("\n## ")[0]
    header = next(line for line in tests.splitlines() if line.startswith("| Window"))
    assert header == "| Window | CAAR | Median | % positive | N | BMP t | corrado_rank_z |"
    group = tests.split("openai-compute**", 1)[1].splitlines()
    row = next(line for line in group if line.startswith("| [-1,+1]"))
    z = stats.loc[("openai-compute", "[-1,+1]", "corrado_rank_z")]
    assert row.split("|")[-2].strip().startswith(f"{z['value']:+.2f}")
    assert "corrado_rank_z: Corrado & Zivney (1992)" in tests  # the legend gives its reference
    # A study choosing no test: no tables of dashes, and the report says why.
    none = 'volume = "log_volume"\nstatistics = ["kp_average_correlation"]\n'
    config.write_text(text.replace('volume = "log_volume"\n', none, 1), encoding="utf-8")
    lines = (root / "events.csv").read_text(encoding="utf-8").splitlines()
    two = tmp_path / "two_events.csv"  # two announcements say it as well as thirteen, in a third of the time
    first = list(dict.fromkeys(line.split(",")[0] for line in lines[1:]))[:2]
    two.write_text("\n".join([lines[0], *(line for line in lines[1:] if line.split(",")[0] in first)]) + "\n")
    subset = ["run", "--events", str(two), "--config", str(config), "--offline", "--no-peers"]
    assert main([*subset, "--cache", str(launch_cache), "--out", str(tmp_path / "none")]) == 0
    capsys.readouterr()
    markdown = (tmp_path / "none" / "report.md").read_text(encoding="utf-8")
    tests = markdown.split("## Tests by group\n")[1].split("\n## ")[0]
    assert "there are no test tables; stats.parquet holds those it computed" in tests
    assert "| Window |" not in tests
    # The findings' group table showed N, CAAR, KP-BMP t and value as dashes in every row, under a
    # heading naming the test the study did not compute (review of 3aed7e5): its columns are now
    # those of the computed statistics (value per deal dollar is always computed).
    findings = markdown.split("## Findings\n")[1].split("\n## ")[0]
    groups = findings.split("**Groups**")[1]
    header = next(line for line in groups.splitlines() if line.startswith("| group"))
    assert [c.strip() for c in header.strip("|").split("|")][:2] == ["group", "per deal $"]
    assert "KP-BMP t" not in header and "CAAR" not in header and "N unconf." not in header
    assert "did not compute the recommended test" in groups.splitlines()[0]


def test_methods_and_caar_say_what_the_data_cut(launch_cache, tmp_path, capsys) -> None:
    """estimation_window = [-1000, -11] before data starting 2023-01-03: Methods said "(990 trading
    days)" with no word that every row had fewer (506 and 662 returns); and a [0,+120] window past
    the data's end left ORCL's group without a CAAR path, put down to "No estimated CAR in group(s)
    openai-compute" although its [0,0] CAR is estimated."""
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
        "deepseek-r1,2025-01-27,pre,NVDA,shocked,,shock,x\n"
        "oracle-openai-300b,2025-09-09,post,ORCL,supplier,300e9,openai-compute,y\n",
        encoding="utf-8",
    )
    config = tmp_path / "study.toml"
    config.write_text(
        '[study]\nname = "t"\nestimation_window = [-1000, -11]\nevent_windows = [[0, 0], [0, 120]]\n'
        'day0_rule = "previous"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["run", "--events", str(events), "--config", str(config), "--offline", "--no-peers"]
    assert main([*args, "--cache", str(launch_cache), "--out", str(out)]) == 0
    capsys.readouterr()
    car = pd.read_parquet(out / "car.parquet")
    ok = car[car["outcome"] == "ok"]
    low, high = int(ok["n_est"].min()), int(ok["n_est"].max())
    assert 30 < low < high < 990  # the window starts before the data for both rows
    markdown = (out / "report.md").read_text(encoding="utf-8")
    methods = markdown.split("## Methods\n")[1].split("\n## ")[0]
    assert (
        f"τ ∈ [-1000, -11] (990 trading days); the estimated pairs have {low} to {high} valid returns in "
        "it (car.parquet n_est: fewer where returns are missing or the window starts before the data)"
    ) in methods
    # An earnings release on a weekend reacts on the next session whatever day0_rule says (Methods
    # said "by the day-0 rule", which reads as "previous" here).
    assert "else the next session, whatever the study's day-0 rule" in methods
    orcl = car[car["ticker"] == "ORCL"].set_index("window")["outcome"]
    assert orcl["[0,0]"] == "ok" and orcl["[0,+120]"] == "incomplete_event_window"
    caar = markdown.split("## CAAR by group\n")[1].split("\n## ")[0]
    assert "No estimated CAR" not in caar
    assert (
        "No pair of group(s) openai-compute has an abnormal return on every day of τ = +0 to +120 (see "
        "each row's outcome and ar.parquet), so they have no path."
    ) in caar


def run_plain_study(launch_cache: Path, tmp_path: Path, rows: list[str], capsys) -> Path:
    """`eventstudy run` of the events ``rows`` with the default config (no peers); its folder."""
    events = tmp_path / "events.csv"
    header = "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
    events.write_text(header + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    config = tmp_path / "study.toml"
    config.write_text('[study]\nname = "t"\n', encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", "--events", str(events), "--config", str(config), "--offline", "--no-peers"]
    assert main([*args, "--cache", str(launch_cache), "--out", str(out)]) == 0
    capsys.readouterr()
    return out


def test_a_single_party_study_is_told_of_no_test_it_lacks(launch_cache, tmp_path, capsys) -> None:
    """One event, one party: Findings said 'significant for no group' of groups with no test (N =
    1), Limitations told the reader that parties of one announcement share its day and to read
    the Kolari-Pynnönen tests (none computed), and '... for 1 rows'."""
    rows = ["nvidia-intel-5b,2025-09-18,pre,INTC,investee,5e9,other,x"]
    out = run_plain_study(launch_cache, tmp_path, rows, capsys)
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert (
        "Under the Kolari–Pynnönen adjusted BMP test, CAAR[-1,+1] is not testable for other, all (too few "
        "pairs, or no spread)."
    ) in markdown
    assert "significant for no group" not in markdown
    small = "- Small samples: 1 (event, party) pair over 1 announcement; group tests rest on few events.\n"
    assert small in markdown
    assert " 1 rows" not in markdown
    # two one-party announcements of one day share it: the caveat stands (as for windows days apart)
    rows.append("nvidia-other,2025-09-18,pre,NVDA,investor,5e9,other,y")
    out = run_plain_study(launch_cache, tmp_path, rows, capsys)
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "pairs whose windows share calendar days" in markdown.split("- Small samples:")[1].split("\n")[0]


def test_estimation_lengths_count_pairs_and_fit_the_window() -> None:
    """One pair in two windows read "the estimated rows have"; an estimation window of every
    session of the data cannot start before the data, which the note said it might."""
    from eventstudy.report.about import estimation_lengths

    car = pd.DataFrame(
        {"event_id": "e", "ticker": "AAA", "window": ["[0,0]", "[-1,+1]"], "n_est": 250, "outcome": "ok"}
    )
    assert estimation_lengths(car, {"estimation_window": "all"}) == (
        "; the estimated pair has 250 valid returns in it (car.parquet n_est: fewer where returns are "
        "missing)"
    )
    assert estimation_lengths(car, {"estimation_window": ["all", -11]}).endswith("returns are missing)")
    two = pd.concat([car, car.assign(ticker="BBB", n_est=120)])
    assert estimation_lengths(two, {"estimation_window": [-260, -11]}) == (
        "; the estimated pairs have 120 to 250 valid returns in it (car.parquet n_est: fewer where returns "
        "are missing or the window starts before the data)"
    )
    failed = two.assign(outcome="insufficient_estimation")
    assert estimation_lengths(failed, {"estimation_window": "all"}) == ""


def test_the_heat_map_names_peers_only_when_it_shows_some() -> None:
    """--no-peers drew "Day-0 abnormal returns: parties (outlined) and ecosystem peers" over a
    map without one peer."""
    ar = pd.DataFrame(
        {"event_id": ["a", "b"], "ticker": ["AAA", "BBB"], "role": ["buyer", "seller"], "tau": 0,
         "ar": [0.02, -0.01]}
    )
    figure = report_figures.heatmap_figure(ar)
    assert figure.axes[0].get_title(loc="left") == "Day-0 abnormal returns: parties"
    with_peer = pd.concat([ar, ar.head(1).assign(ticker="PPP", role="peer")])
    figure = report_figures.heatmap_figure(with_peer)
    title = figure.axes[0].get_title(loc="left")
    assert title == "Day-0 abnormal returns: parties (outlined) and ecosystem peers"


def test_long_names_stay_inside_the_figures(launch_cache, tmp_path, capsys) -> None:
    """Event ids, roles and groups of up to 100 characters (which events.csv accepts): the CAR
    figure's title ran off the figure (its date and deal lost) and its panel titles printed over
    each other; the CAAR panels' group titles overlapped; the value-per-deal labels were cut at
    the left edge; a deal-flow key line of wide letters ran off the right edge. Every text is
    now inside its figure (cut with "…"), and a figure's panel titles do not overlap."""
    from matplotlib.text import Text

    from eventstudy.config import FlowEdge
    from eventstudy.report.flows import deal_flows, flows_figure

    event = "microsoft-openai-definitive-agreement-recapitalization-" + "x" * 45
    roles = {"MSFT": "strategic-investor-and-cloud-provider", "NVDA": "gpu-supplier-to-azure-clusters",
             "AMZN": "competing-hyperscaler", "GOOGL": "competing-hyperscaler-" + "y" * 60}
    group = "openai-compute-and-hyperscalers-" + "z" * 60
    rows = [f"{event},2025-10-28,pre,{t},{r},135e9,{group},h" for t, r in roles.items()]
    rows.append(f"{'e' * 100},2025-01-27,pre,NVDA,shocked,1e9,{'g' * 100},h")
    out = run_plain_study(launch_cache, tmp_path, rows, capsys)
    exports = read_exports(out)
    flows = deal_flows(exports.car, (FlowEdge(event, "W" * 40, "Microsoft", ("MSFT",)),), "[-1,+1]")
    figures = {
        "car": report_figures.car_figure(exports.ar, exports.car, event, window="[-1,+1]"),
        "caar": report_figures.caar_figure(exports.caar),
        "value": report_figures.value_per_deal_figure(exports.car, "[-1,+1]", stats=exports.stats),
        "heatmap": report_figures.heatmap_figure(exports.ar),
        "flows": flows_figure(flows),
    }
    for name, figure in figures.items():
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()
        width = figure.get_figwidth() * figure.dpi
        texts = [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]
        for text in texts:
            box = text.get_window_extent(renderer)
            assert box.x0 >= -1 and box.x1 <= width + 1, (name, text.get_text(), box.x0, box.x1, width)
        shown = [a for a in figure.axes if a.get_visible() and a.get_title(loc="left")]
        boxes = [a._left_title.get_window_extent(renderer) for a in shown]
        for i, first in enumerate(boxes):
            for second in boxes[i + 1 :]:
                assert not first.overlaps(second), (name, first, second)
    title = figures["car"]._suptitle.get_text()
    assert title.endswith(": day 0 2025-10-28, deal $135.0B") and "…" in title
    panel = [a.get_title(loc="left") for a in figures["car"].axes if a.get_visible()]
    assert panel[0].startswith("MSFT (strategic-") and panel[0].endswith("…)")


@pytest.mark.parametrize(
    ("variance", "named"),
    [("garch", "GARCH(1,1) (Bollerslev 1986)"), ("egarch", "EGARCH(1,1) (Nelson 1991)"), ("constant", None)],
)
def test_methods_name_the_variance_model(variance: str, named: str | None) -> None:
    _methods_name_the_variance_model(variance, named)


def test_methods_count_the_pairs_without_a_garch_fit() -> None:
    """14 GARCH fits at the stationarity bound were left out of the GARCH tests with a note in
    garch.parquet only: the report's n dropped without a word (a finder's re-attack)."""
    from eventstudy.report.about import methods_section

    root = Path(__file__).resolve().parents[1]
    manifest = json.loads((root / "reports" / "ai-deal-wave-2025" / "manifest.json").read_text())
    manifest["config"]["variance"] = "garch"
    bound = "GARCH fit at the stationarity bound (persistence 1.000000): an integrated variance"
    garch = pd.DataFrame(
        {
            "event_id": ["a", "a", "b", "c", "d", "e"],
            "ticker": ["X", "X", "X", "Y", "Z", "W"],  # a pair's rows (one per day) count once
            "note": [bound, bound, "pair not estimated by the mean model", "", bound, ""],
        }
    )
    few = "too few estimation residuals for a GARCH fit ({}; it needs 100)"  # one reason, whatever m
    notes = [few.format(87), few.format(61), ""]
    short = pd.DataFrame({"event_id": ["p", "q", "r"], "ticker": "V", "note": notes})
    bullets = methods_section(manifest, "[0,0]", "[-1,+1]", garch=short).bullets
    (text,) = [bullet for bullet in bullets if bullet.startswith("Variance:")]
    assert "(too few estimation residuals for a GARCH fit: 2; garch.parquet's note)" in text
    bullets = methods_section(manifest, "[0,0]", "[-1,+1]", garch=garch).bullets
    (text,) = [bullet for bullet in bullets if bullet.startswith("Variance:")]
    assert text.endswith(
        " 3 of 5 pairs have no fit and are left out of those tests (GARCH fit at the stationarity bound: 2; "
        "pair not estimated by the mean model: 1; garch.parquet's note)."
    )
    bullets = methods_section(manifest, "[0,0]", "[-1,+1]", garch=garch.assign(note="")).bullets
    assert next(b for b in bullets if b.startswith("Variance:")).endswith("holds each fit and its note.")


def test_methods_say_an_earnings_study_takes_each_events_release_for_it() -> None:
    """Other news (⚑) was defined as every release in the window where the study took the events'
    own releases for the events (events_are_earnings; a finder)."""
    from eventstudy.report.about import methods_section

    root = Path(__file__).resolve().parents[1]
    manifest = json.loads((root / "reports" / "ai-deal-wave-2025" / "manifest.json").read_text())
    exempt = "(not the event's own: the events are earnings releases, and a release within one session"
    for earnings in (False, True):
        manifest["config"]["events_are_earnings"] = earnings
        bullets = methods_section(manifest, "[0,0]", "[-1,+1]").bullets
        (other,) = [bullet for bullet in bullets if bullet.startswith("Other news")]
        assert (exempt in other) is earnings


def _methods_name_the_variance_model(variance: str, named: str | None) -> None:
    """With variance = "garch" the Methods never said so, though stats.parquet held the GARCH
    tests and the report a bare table of fits (a finder)."""
    from eventstudy.report.about import methods_section

    root = Path(__file__).resolve().parents[1]
    manifest = json.loads((root / "reports" / "ai-deal-wave-2025" / "manifest.json").read_text())
    manifest["config"]["variance"] = variance
    bullets = methods_section(manifest, "[0,0]", "[-1,+1]").bullets
    said = [bullet for bullet in bullets if bullet.startswith("Variance:")]
    if named is None:
        assert said == []
        return
    (text,) = said
    assert text.startswith(f"Variance: a zero-mean {named} fitted by maximum likelihood to each pair's")
    assert f"(variance = {variance})" in text and "garch_patell_z and garch_bmp_t standardise each" in text
    # it named the GARCH tests where the study's statistics left them out (a finder)
    for chosen, said_of in (
        (["patell_z", "garch_bmp_t"], "garch_bmp_t standardises each"),
        (["patell_z", "bmp_t"], "no test of this study's statistics uses it"),
    ):
        manifest["config"]["statistics"] = chosen
        bullets = methods_section(manifest, "[0,0]", "[-1,+1]").bullets
        (text,) = [bullet for bullet in bullets if bullet.startswith("Variance:")]
        assert said_of in text and ("garch_patell_z standardise" not in text), text
