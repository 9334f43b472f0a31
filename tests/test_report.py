"""The report: rendered from the exported files alone, numbers with units, deterministic figures.

Two sources: a small synthetic export folder whose numbers are chosen by hand, and the real
launch study (run once per test process, see ``_launch_run.py``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from _launch_run import launch_output
from scipy import stats

from eventstudy.cli import main
from eventstudy.output.export import write_parquet
from eventstudy.output.schema import SCHEMA_KEY, SCHEMAS, ColumnDoc
from eventstudy.report import build_report, figures, fmt, read_exports, render_markdown, render_report
from eventstudy.report.flows import LAUNCH_LOOP, money_loop
from eventstudy.report.paths import caar_paths, car_paths

TAUS = (-1, 0, 1)
# (event, ticker, role, group, deal, ARs over TAUS, car_se over TAUS, n_est, market value before)
PAIRS = [
    ("alpha-deal", "ORCL", "supplier", "g1", 3e9, (0.01, 0.1234, -0.0334), (0.02, 0.03, 0.04), 102, 10e9),
    ("alpha-deal", "NVDA", "partner", "g1", 3e9, (0.0, 0.02, 0.02), (0.01, 0.015, 0.02), 102, 100e9),
    ("beta-shock", "AMD", "shocked", "g2", np.nan, (0.0, -0.05, 0.0), (0.02, 0.03, 0.04), 52, 20e9),
    ("beta-shock", "TSM", "peer", "g2", np.nan, (0.0, 0.01, 0.0), (0.02, 0.03, 0.04), 102, 50e9),
]
WINDOWS = ((0, 0), (-1, 1))


def write_synthetic(folder: Path, extra: bool = False) -> Path:
    """An export folder with the columns the report reads and hand-picked numbers."""
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
                    "tau": tau,
                    "ar": a,
                    "car": c,
                    "car_se": se,
                }
            )
        for start, end in WINDOWS:
            inside = [start <= t <= end for t in TAUS]
            total = float(np.sum(np.array(ars)[inside]))
            value = total * mcap
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
                }
            )
    write_parquet(pd.DataFrame(events), folder / "events.parquet", docs=SCHEMAS["events.parquet"])
    write_parquet(pd.DataFrame(ar), folder / "ar.parquet", docs=SCHEMAS["ar.parquet"])
    write_parquet(pd.DataFrame(car), folder / "car.parquet", docs=SCHEMAS["car.parquet"])
    manifest = {
        "study": "synthetic",
        "config": {
            "name": "synthetic",
            "market": "SPY",
            "model": "market",
            "estimation_window": [-260, -11],
            "min_estimation_obs": 50,
            "event_windows": [[0, 0], [-1, 1]],
        },
        "model": {"name": "market", "description": "market model"},
        "estimation": {"n_params": 2},
        "peers": ["TSM"],
        "versions": {"python": "3"},
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
    return folder


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


def test_caar_is_the_cross_sectional_mean_with_its_standard_error(tmp_path) -> None:
    exports = read_exports(write_synthetic(tmp_path / "s"))
    groups = exports.events.set_index(["event_id", "ticker"])["group"]
    caar = caar_paths(exports.ar.join(groups, on=["event_id", "ticker"]))
    g1 = caar[(caar.group == "g1") & (caar.tau == 1)].iloc[0]
    # CARs at tau=+1: ORCL 0.10, NVDA 0.04 -> mean 0.07, s = 0.0424264, se = s/sqrt(2) = 0.03.
    assert g1.n == 2
    assert g1.caar == pytest.approx(0.07)
    assert g1.se == pytest.approx(0.03)
    assert g1.upper - g1.caar == pytest.approx(12.7062047 * 0.03, rel=1e-7)
    g2 = caar[caar.group == "g2"]
    assert (g2.n == 1).all() and g2.se.isna().all()  # the TSM peer is excluded, one party: no band
    assert list(caar.group.unique()) == ["g1", "g2"]


def test_synthetic_report_shows_numbers_with_units(tmp_path) -> None:
    folder = write_synthetic(tmp_path / "s", extra=True)
    report = build_report(read_exports(folder))
    markdown = render_markdown(report)
    html = report.to_html()
    for text in ("+12.34%", "+$1.2B", "$3.0B", "+0.411", "+$500.0M"):
        assert text in markdown, text
        assert text in html, text
    # The peer is shown in the spillover table but never in the value-per-deal table.
    per_deal = markdown.split("## Value created per deal dollar")[1].split("## ")[0]
    assert "TSM" not in per_deal and "AMD" not in per_deal and "ORCL" in per_deal
    assert "| beta-shock | TSM |" in markdown.split("## Ecosystem spillover")[1]
    # Extra parquet files are rendered with their schema units; HTML escapes the headline.
    assert "| patell | +2.50 | 0.012 |" in markdown
    assert "&lt;headline&gt; &amp; more" in html and "<headline>" not in html
    assert "shares caveat: test note" in markdown
    assert re.search(r'<td class="r pos" data-sort="0\.1234">\+12\.34%</td>', html)


def test_report_cli_writes_atomically_and_fails_cleanly(tmp_path, capsys, monkeypatch) -> None:
    folder = write_synthetic(tmp_path / "s")
    assert main(["report", str(folder), "--format", "csv"]) == 0
    assert "wrote" in capsys.readouterr().out
    written = sorted(p.name for p in folder.iterdir())
    assert written == [
        "ar.csv",
        "ar.parquet",
        "car.csv",
        "car.parquet",
        "events.parquet",
        "figures",
        "manifest.json",
        "report.html",
        "report.md",
    ]
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(figures, "heatmap_figure", broken)
    with pytest.raises(RuntimeError):
        main(["report", str(folder)])
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before  # nothing rewritten, no temporary file left

    (folder / "ar.parquet").unlink()
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"eventstudy: error: {folder / 'ar.parquet'}: missing: not an output folder of `eventstudy run`"
    ]


def test_figures_are_byte_identical_and_carry_no_software_metadata(tmp_path) -> None:
    exports = read_exports(write_synthetic(tmp_path / "s"))
    first = build_report(exports).figures()
    second = build_report(exports).figures()
    assert list(first) == list(second)
    assert len(first) == 2 + 3  # CAR paths of 2 events, value vs deal, CAAR, heat map (no loop edge)
    for name, png in first.items():
        assert png == second[name], name
        assert png.startswith(b"\x89PNG")
        assert b"Software" not in png and b"matplotlib" not in png.lower(), name


# ---------------------------------------------------------------------------------------------
# The real launch study


@pytest.fixture(scope="module")
def launch(launch_cache) -> Path:
    return launch_output(str(launch_cache))


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
        line for line in markdown.splitlines() if line.startswith("| oracle-openai-300b | ORCL | supplier |")
    )
    assert "+35.38%" in row and fmt.money(orcl.abnormal_value_usd) in row and "+$242.8B" in row
    assert "+35.38%" in html and "+$242.8B" in html
    assert "Campbell, Lo & MacKinlay" in markdown


def test_launch_report_has_every_figure(launch) -> None:
    names = sorted(p.name for p in (launch / "figures").iterdir())
    events = pd.read_parquet(launch / "events.parquet")
    expected = sorted(
        [f"car_{e}.png" for e in events.event_id.unique()]
        + ["caar_by_group.png", "money_loop.png", "peers_day0_heatmap.png", "value_vs_deal.png"]
        + ["equity_curve.png"]  # launch.toml has a [backtest] table, so `run` runs the backtest
    )
    assert names == expected and len(names) == 18
    html = (launch / "report.html").read_text()
    assert html.count('<img src="data:image/png;base64,') == 18
    assert 'src="figures/' not in html and "<link" not in html and "http" not in html.split("<body>")[1]
    markdown = (launch / "report.md").read_text()
    for name in names:
        assert f"](figures/{name})" in markdown


def test_launch_money_loop_totals_are_the_sums_of_the_inputs(launch) -> None:
    car = pd.read_parquet(launch / "car.parquet")
    loop = money_loop(car, "[-1,+1]")
    assert loop is not None and len(loop.flows) == len(LAUNCH_LOOP) == 8
    events = pd.read_parquet(launch / "events.parquet").drop_duplicates("event_id").set_index("event_id")
    loop_events = [edge.event_id for edge in LAUNCH_LOOP]
    assert loop.deal_usd == pytest.approx(events.loc[loop_events, "deal_usd"].sum())
    assert loop.deal_usd == pytest.approx((300 + 40 + 100 + 6.5 + 38 + 250) * 1e9)  # events.csv
    assert loop.undisclosed_deals == 2  # AMD, Broadcom
    main_window = car[car.window == "[-1,+1]"].set_index(["event_id", "ticker"])
    edge_values = [
        main_window.loc[(e.event_id, t), "abnormal_value_usd"] for e in LAUNCH_LOOP for t in e.tickers
    ]
    assert loop.value_usd == pytest.approx(sum(edge_values))
    in_loop = main_window[
        main_window.index.get_level_values(0).isin(loop_events) & (main_window.role != "peer")
    ]
    assert loop.value_usd + loop.other_value_usd == pytest.approx(in_loop["abnormal_value_usd"].sum())
    markdown = (launch / "report.md").read_text()
    assert f"Deal dollars in the loop: {fmt.money(loop.deal_usd, signed=False)}" in markdown
    assert "$734.5B" in markdown


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
    for name in ("ar.parquet", "car.parquet", "events.parquet"):
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


def test_manifest_records_how_to_reproduce(launch) -> None:
    manifest = json.loads((launch / "manifest.json").read_text())
    assert manifest["estimation"] == {"n_params": 2}
    assert manifest["command"] and all(isinstance(part, str) for part in manifest["command"])
    assert manifest["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", manifest["git_commit"])
    assert manifest["git_dirty"] in (None, True, False)
    assert {"jinja2", "matplotlib"} <= set(manifest["versions"])
    assert "report.html" in manifest["files"] and "figures/value_vs_deal.png" in manifest["files"]


def test_report_renders_again_from_a_copy_without_the_cache(launch, tmp_path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in [*(p.name for p in launch.glob("*.parquet")), "manifest.json", "backtest.md"]:
        shutil.copy(launch / name, copy / name)
    (copy / "figures").mkdir()
    shutil.copy(launch / "figures" / "equity_curve.png", copy / "figures")  # the backtest's own figure
    render_report(copy)  # no cache, no study: the files alone
    for name in ["report.md", "report.html", *[f"figures/{p.name}" for p in (launch / "figures").iterdir()]]:
        assert (copy / name).read_bytes() == (launch / name).read_bytes(), name


def test_csv_export_is_excel_friendly_and_complete(launch_cache, launch, tmp_path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(launch, copy)
    assert main(["report", str(copy), "--format", "csv"]) == 0
    raw = (copy / "car.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark for Excel
    back = pd.read_csv(copy / "car.csv", encoding="utf-8-sig")
    car = pd.read_parquet(copy / "car.parquet")
    assert list(back.columns) == list(car.columns) and len(back) == len(car)
    np.testing.assert_array_equal(back["car"].to_numpy(), car["car"].to_numpy())  # full precision
    ar = pd.read_csv(copy / "ar.csv", encoding="utf-8-sig")
    assert ar["date"].iloc[0] == "2025-01-13"


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
    folder = write_synthetic(tmp_path / "s")
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
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "MPLCONFIGDIR": str(tmp_path / f"mpl-{seed}")}
        done = subprocess.run(
            [sys.executable, "-c", script, str(folder)], capture_output=True, text=True, env=env, check=True
        )
        assert json.loads(done.stdout) == here


def test_report_shows_the_cross_event_battery(launch) -> None:
    table = pd.read_parquet(launch / "stats.parquet")
    row = table[(table.group == "all") & (table.window == "[0,0]") & (table.statistic == "kp_adjusted_bmp_t")]
    main = table[
        (table.group == "all") & (table.window == "[-1,+1]") & (table.statistic == "kp_adjusted_bmp_t")
    ]
    markdown = (launch / "report.md").read_text()
    assert "## Cross-event tests" in markdown
    line = (
        f"| all | kp_adjusted_bmp_t | {fmt.tstat(row.value.iloc[0])} | {fmt.probability(row.p.iloc[0])} "
        f"| {fmt.tstat(main.value.iloc[0])} | {fmt.probability(main.p.iloc[0])} | 25 |"
    )
    assert line in markdown
    assert "## Table stats.parquet" not in markdown


def test_large_study_shows_the_largest_events_and_cuts_long_tables() -> None:
    from eventstudy.report import MAX_EVENTS_SHOWN, MAX_TABLE_ROWS, Cell, Section, Table, _cut, _events_shown

    values = [(-1) ** i * float(i) for i in range(50)]
    parties = pd.DataFrame(
        {"event_id": [f"e{i}" for i in range(50)], "window": "[-1,+1]", "abnormal_value_usd": values}
    )
    shown = _events_shown(parties, "[-1,+1]")
    assert len(shown) == MAX_EVENTS_SHOWN == 40
    assert shown == [f"e{i}" for i in range(10, 50)]  # |value| = i: the ten smallest are left out
    assert _events_shown(parties.head(12), "[-1,+1]") == [f"e{i}" for i in range(12)]
    rows = tuple((Cell(str(i)),) for i in range(1500))
    cut = _cut(Section("s", "S", tables=(Table("t", ("x",), "l", rows, caption="All."),)))
    assert len(cut.tables[0].rows) == MAX_TABLE_ROWS == 1000
    assert cut.tables[0].caption == "All. First 1,000 of 1,500 rows; the parquet exports hold all."


def test_value_figure_labels_only_the_largest_points() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from eventstudy.report.figures import MAX_POINT_LABELS, _label_points

    figure, axes = plt.subplots()
    x = np.arange(1.0, 201.0)
    axes.set_xlim(0, 201)
    axes.set_ylim(0, 201)
    _label_points(axes, x, x, [f"p{i}" for i in range(200)])
    labels = sorted(int(text.get_text()[1:]) for text in axes.texts)
    plt.close(figure)
    assert labels == list(range(200 - MAX_POINT_LABELS, 200))  # the 40 largest y
