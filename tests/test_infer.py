"""Pre-computed abnormal returns (issue 14): ``eventstudy infer`` and :func:`eventstudy.infer`.

Known answers: the launch study's own ARs give its statistics back -- exactly for those of the
ARs alone, to rounding with its estimation residuals (those using the prediction-error
correction against the battery run with C = 1); a wide panel equals its long twin; a CAR panel
its AR panel's CARs; a monthly panel matches scipy's one-sample t; estudy2's COVID abnormal
returns give estudy2's t-test, sign, Wilcoxon and Brown-Warner (1985) statistics. A statistic
registered later runs on AR panels with no change here. Bad input: one line, exit 2, nothing
written.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from scipy import stats

from eventstudy import infer, load_config, run_study
from eventstudy.aggregate import event_panel
from eventstudy.cli import main
from eventstudy.errors import InputError
from eventstudy.inference import STATISTICS, TestResult, register_statistic, run_battery_windows
from eventstudy.inference.battery import NOT_COMPUTABLE

ROOT = Path(__file__).resolve().parents[1]
WINDOWS = [(0, 0), (-1, 1), (0, 1), (-5, 5)]
AR_ONLY = ["caar", "cross_sectional_t", "sign_z", "wilcoxon_w", "bootstrap_t", "cluster_firm_t"]
NO_CORRECTION = ["crude_dependence_t", "generalized_sign_z", "corrado_rank_z", "corrado_zivney_sign_z"]
COVID = ROOT.parent / "shared" / "data" / "reference" / "estudy2_covid"


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def launch(launch_cache):
    """The launch study (parties only), its AR panel and its estimation residuals as long frames."""
    config = dataclasses.replace(load_config(ROOT / "launch.toml"), backtest=None, peers=())
    results = run_study(ROOT / "events.csv", launch_cache, config)
    ar = results.ar.rename(columns={"ticker": "id"})[["event_id", "id", "date", "tau", "ar"]]
    estimates = results.estimates
    calendar = estimates.panel.calendar
    taus = np.arange(config.estimation_window[0], config.estimation_window[1] + 1)
    days = estimates.estimation_days
    residuals = estimates.fit.residuals
    rows = np.repeat(np.arange(len(results.events)), len(taus))
    estimation = pd.DataFrame(
        {
            "event_id": results.events["event_id"].to_numpy(object)[rows],
            "id": results.events["ticker"].to_numpy(object)[rows],
            "tau": np.tile(taus, len(results.events)),
            "date": calendar[days.ravel()],
            "ar": residuals.ravel(),
        }
    )
    return results, ar, estimation


def rows_of(stats: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    part = stats[(stats["group"] == "all") & stats["statistic"].isin(names)]
    return part.sort_values(["window", "statistic"]).reset_index(drop=True)


def test_ars_alone_give_the_studys_statistics_exactly(launch) -> None:
    results, ar, _ = launch
    inferred = infer(ar.drop(columns="date"), units="decimal", windows=WINDOWS)
    assert inferred.computable == AR_ONLY
    ours, theirs = rows_of(inferred.stats, AR_ONLY), rows_of(results.stats, AR_ONLY)
    pd.testing.assert_frame_equal(
        ours[["window", "statistic", "value", "p", "n"]], theirs[["window", "statistic", "value", "p", "n"]]
    )
    lacking = inferred.stats[inferred.stats["statistic"] == "patell_z"]
    assert (lacking["n"] == 0).all() and lacking["value"].isna().all()
    assert lacking["reference"].str.startswith(f"{NOT_COMPUTABLE}: needs estimation-window residuals").all()
    dollars = inferred.stats[inferred.stats["statistic"] == "dollar_z"]
    assert dollars["reference"].str.contains("needs market values").all()


def test_estimation_residuals_add_the_sigma_and_rank_statistics(launch) -> None:
    results, ar, estimation = launch
    inferred = infer(ar, units="decimal", windows=WINDOWS, estimation=estimation, n_params=2)
    computed = set(inferred.computable)
    # Every statistic of a study's default battery (the GARCH tests need a variance model) but the
    # dollar rows, which need market values.
    default = {name for name, statistic in STATISTICS.items() if statistic.requires is None}
    dollars = {
        "dollar_abnormal_value", "kp_adjusted_dollar_t", "dollar_z", "dollar_fallback_sd_rows",
        "dollar_shared_days_usd",
    }  # fmt: skip
    assert computed == default - dollars
    # Statistics that never use the regressors: the study's numbers, to rounding.
    same = ["kp_average_correlation", *NO_CORRECTION]
    ours, theirs = rows_of(inferred.stats, same), rows_of(results.stats, same)
    np.testing.assert_allclose(ours["value"], theirs["value"], rtol=1e-10)
    np.testing.assert_array_equal(ours["n"], theirs["n"])
    # The others: the battery on the study's own panel with C = 1 (no regressors), to rounding.
    study_panel = event_panel(results.estimates)
    k = study_panel.xtx_inv.shape[1]
    oracle_panel = dataclasses.replace(
        study_panel,
        x_event=np.zeros_like(study_panel.x_event),
        xtx_inv=np.zeros((study_panel.n_pairs, k, k)),
        market_value_event=None,
        dollar_variance=None,
        dollar_days=None,
    )
    oracle = run_battery_windows(oracle_panel, WINDOWS)
    corrected = [
        "portfolio_t",
        "lamb_z",
        "patell_z",
        "bmp_t",
        "kp_adjusted_patell_z",
        "kp_adjusted_bmp_t",
        "grank_t",
    ]
    for window, battery in zip(WINDOWS, oracle, strict=True):
        label = f"[{window[0]:+d},{window[1]:+d}]".replace("+0", "0")
        for item in battery:
            if item.statistic not in corrected:
                continue
            row = inferred.stats[
                (inferred.stats["window"] == label) & (inferred.stats["statistic"] == item.statistic)
            ]
            np.testing.assert_allclose(row["value"].item(), item.value, rtol=1e-10, err_msg=item.statistic)
            assert "C = 1 and Var(CAR) = sigma^2 L" in row["reference"].item()
    # and they differ from the study's exact-variance numbers only by the L/M correction
    patell = rows_of(inferred.stats, ["patell_z"])["value"]
    np.testing.assert_allclose(patell, rows_of(results.stats, ["patell_z"])["value"], rtol=0.05)


def test_a_wide_panel_equals_its_long_twin(launch, tmp_path) -> None:
    _, ar, _ = launch
    long = ar.drop(columns="date").assign(id=lambda f: f["event_id"] + "." + f["id"]).assign(event_id="")
    wide = long.pivot(index="tau", columns="id", values="ar").reset_index()
    wide.to_csv(tmp_path / "wide.csv", index=False, float_format="%.17g")
    a = infer(tmp_path / "wide.csv", units="decimal", windows=WINDOWS).stats
    ordered = long.drop(columns="event_id").sort_values(["id", "tau"], kind="stable")  # the columns' order
    b = infer(ordered, units="decimal", windows=WINDOWS).stats
    pd.testing.assert_frame_equal(a, b)


def test_a_car_panel_gives_the_cross_sectional_statistics(launch, tmp_path) -> None:
    results, _, _ = launch
    car = results.car[["event_id", "ticker", "window", "car", "group"]].rename(columns={"ticker": "id"})
    path = tmp_path / "car.parquet"
    car.to_parquet(path)
    inferred = infer(path, units="decimal")
    assert inferred.layout == "car" and inferred.computable == AR_ONLY
    ours, theirs = rows_of(inferred.stats, AR_ONLY), rows_of(results.stats, AR_ONLY)
    pd.testing.assert_frame_equal(
        ours[["window", "statistic", "value", "p", "n"]], theirs[["window", "statistic", "value", "p", "n"]]
    )
    groups = inferred.stats.loc[inferred.stats["statistic"] == "caar"].set_index(["group", "window"])["value"]
    study = results.stats.loc[results.stats["statistic"] == "caar"].set_index(["group", "window"])["value"]
    pd.testing.assert_series_equal(groups.sort_index(), study.loc[groups.index].sort_index())


def test_a_monthly_panel_in_percent(tmp_path) -> None:
    """Buyback-style monthly ARs (tau in months): the cross-sectional t is scipy's one-sample t."""
    rng = np.random.default_rng(3)
    n, months = 40, np.arange(-12, 37)
    ar = rng.normal(0.4, 3.0, (n, len(months)))  # percent per month
    rows = [
        {
            "id": f"F{i:02d}",
            "tau": int(t),
            "ar": repr(float(ar[i, j])),
            "date": (pd.Timestamp("2010-01-31") + pd.offsets.MonthEnd(int(t) + 24 + i)).date(),
        }
        for i in range(n)
        for j, t in enumerate(months)
    ]
    path = tmp_path / "monthly.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    inferred = infer(path, units="percent", windows=[(0, 0), (1, 36)])
    row = inferred.stats.set_index(["window", "statistic"])
    car = ar[:, (months >= 1) & (months <= 36)].sum(axis=1) / 100.0
    expected = stats.ttest_1samp(car, 0.0)
    assert row.loc[("[+1,+36]", "cross_sectional_t"), "value"] == pytest.approx(expected.statistic, rel=1e-12)
    assert row.loc[("[+1,+36]", "cross_sectional_t"), "p"] == pytest.approx(expected.pvalue, rel=1e-9)
    assert row.loc[("[+1,+36]", "caar"), "value"] == pytest.approx(car.mean(), rel=1e-12)
    assert row.loc[("[0,0]", "sign_z"), "n"] == n


def test_a_statistic_registered_later_runs_on_ar_panels(launch) -> None:
    _, ar, _ = launch

    @register_statistic("median_car_test14")
    def _median(sample) -> TestResult:
        return TestResult(
            "median_car_test14", float(np.median(sample.car)), float("nan"), sample.n_pairs, "median"
        )

    @register_statistic("sigma_weighted_test14")
    def _weighted(sample) -> TestResult:
        return TestResult(
            "sigma_weighted_test14", float(np.mean(sample.scar)), float("nan"), sample.n_pairs, "w"
        )

    try:
        inferred = infer(ar, units="decimal", windows=[(0, 0)])
        row = inferred.stats.set_index("statistic")
        cars = ar[ar["tau"] == 0].groupby(["event_id", "id"])["ar"].sum()
        assert row.loc["median_car_test14", "value"] == pytest.approx(float(np.median(cars)), rel=1e-15)
        assert row.loc["sigma_weighted_test14", "reference"].startswith(NOT_COMPUTABLE)
    finally:
        STATISTICS.pop("median_car_test14", None)
        STATISTICS.pop("sigma_weighted_test14", None)


def test_estudy2_covid_abnormal_returns(tmp_path) -> None:
    if not COVID.is_dir():
        pytest.skip("estudy2 reference data not found")
    long = pd.read_csv(COVID / "market_model_returns_long.csv", parse_dates=["date"])
    dates = pd.DatetimeIndex(sorted(long["date"].unique()))
    start = dates.get_loc(pd.Timestamp("2020-03-16"))
    long["tau"] = dates.get_indexer(long["date"]) - start
    long = long.rename(columns={"security": "id", "abnormal": "ar"})[["id", "tau", "date", "ar"]]
    event = long[(long["tau"] >= 0) & (long["tau"] <= 4)]
    estimation = long[long["date"] <= pd.Timestamp("2020-03-13")].dropna(subset=["ar"])
    inferred = infer(
        event, units="decimal", windows=[(t, t) for t in range(5)], estimation=estimation, n_params=2
    ).stats.set_index(["window", "statistic"])
    parametric = pd.read_csv(COVID / "parametric_tests.csv")
    nonparametric = pd.read_csv(COVID / "nonparametric_tests.csv")
    for t in range(5):
        label = f"[{t:+d},{t:+d}]".replace("+0", "0")
        assert inferred.loc[(label, "cross_sectional_t"), "value"] == pytest.approx(
            parametric["t_test_stat"][t], rel=1e-12
        )
        assert inferred.loc[(label, "crude_dependence_t"), "value"] == pytest.approx(
            parametric["bw_1985_stat"][t], rel=1e-12
        )
        assert inferred.loc[(label, "sign_z"), "value"] == pytest.approx(
            nonparametric["sign_stat"][t], rel=1e-12
        )
        assert inferred.loc[(label, "wilcoxon_w"), "value"] == nonparametric["wlcx_stat"][t]


# -- the command line -----------------------------------------------------------------------------------
def test_the_command_writes_a_new_table_and_never_replaces_one(launch, tmp_path, capsys) -> None:
    _, ar, _ = launch
    panel = tmp_path / "ar.csv"
    ar.to_csv(panel, index=False)
    out = tmp_path / "stats.parquet"
    assert (
        main(
            [
                "infer",
                "--ar",
                str(panel),
                "--units",
                "decimal",
                "--window",
                "[-1,+1]",
                "--window=0,0",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "all [-1,+1]" in printed and "not computable" in printed and f"wrote {out}" in printed
    table = pd.read_parquet(out)
    assert list(table.columns) == ["group", "window", "statistic", "value", "p", "n", "reference"]
    before = out.read_bytes()
    assert main(["infer", "--ar", str(panel), "--units", "decimal", "--out", str(out)]) == 2
    assert f"{out}: exists" in one_line(capsys) and out.read_bytes() == before


def test_the_results_say_their_units(tmp_path, capsys) -> None:
    """ARs of 1, 2 and 3 read as percent gave "caar 0.02" on screen and in --out, and nothing said
    it is a fraction: a user who thinks in percent read 0.02%. The summary says so, and the parquet
    table carries stats.parquet's documented units."""
    from eventstudy.output.schema import SCHEMA_KEY

    panel = tmp_path / "ar.csv"
    panel.write_text("id,tau,ar\nA,0,1.0\nB,0,2.0\nC,0,3.0\n")
    out = tmp_path / "stats.parquet"
    args = ["--units", "percent", "--statistic", "caar", "--out", str(out)]
    assert main(["infer", "--ar", str(panel), *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    said = "values: caar is a fraction (0.02 = 2%); the panel was read in percent"
    assert lines[:2] == ["3 pairs (ar panel)", said]
    assert any(line.split()[:2] == ["caar", "0.02"] for line in lines)
    table = pq.read_table(out)
    schema = json.loads(table.schema.metadata[SCHEMA_KEY.encode()])["columns"]
    documented = {c["name"]: c["unit"] for c in schema}
    assert documented["p"] == "probability" and "fraction for caar" in str(table.schema.metadata)
    assert table.column("value").to_pylist() == [pytest.approx(0.02, rel=1e-12)]


@pytest.mark.parametrize("where", ["proc", "disk full"])
def test_a_table_that_cannot_be_written_is_one_line_and_leaves_nothing(
    tmp_path, capsys, monkeypatch, where
) -> None:
    """--out /proc/x.csv (a folder that refuses new files) and a full disk raised tracebacks."""
    panel = tmp_path / "ar.csv"
    panel.write_text("id,tau,ar\nA,0,1\nB,0,2\nC,0,-1\n")
    out = Path("/proc/stats.csv") if where == "proc" else tmp_path / "out" / "stats.csv"
    if where == "disk full":
        out.parent.mkdir()

        def full(*args, **kwargs):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr("eventstudy.output.export.write_csv", full)
    assert main(["infer", "--ar", str(panel), "--units", "percent", "--out", str(out)]) == 2
    line = one_line(capsys)
    assert line.startswith(f"eventstudy: error: {out}: ") and "Traceback" not in line
    if where == "disk full":
        assert "No space left on device" in line and list(out.parent.iterdir()) == []


def test_a_panel_whose_tau_leave_almost_every_period_missing_is_refused_before_allocating(
    tmp_path, capsys
) -> None:
    """200 pairs at tau -100000 and +100000 (a 7 KB file) took 2 GB: the panel is dense from the
    first tau to the last. A panel with one far tau among dense ones is still read."""
    sparse = tmp_path / "sparse.csv"
    rows = [f"P{i},{t},0.1" for i in range(200) for t in (-100000, 100000)]
    sparse.write_text("id,tau,ar\n" + "\n".join(rows) + "\n")
    assert main(["infer", "--ar", str(sparse), "--units", "percent"]) == 2
    line = one_line(capsys)
    assert f"{sparse}: the panel's tau -100000..100000 give 200 pairs 200,001 periods each" in line
    assert "40,000,200 cells for 400 rows: 99.999% of them would be missing" in line
    # Unbalanced but full: 2,100 pairs at tau -1..1 and one at -1000..1000 (4.2 million cells).
    dense = tmp_path / "dense.csv"
    rows = [f"P{i},{t},0.1" for i in range(2100) for t in (-1, 0, 1)]
    rows += [f"LONG,{t},0.1" for t in range(-1000, 1001)]
    dense.write_text("id,tau,ar\n" + "\n".join(rows) + "\n")
    assert main(["infer", "--ar", str(dense), "--units", "percent", "--window", "[-1,+1]"]) == 0
    assert capsys.readouterr().out.startswith("2101 pairs (ar panel)")


def test_a_runs_own_tables_are_read_in_the_units_they_record(tmp_path, capsys) -> None:
    """car.parquet was refused for its bool column 'confounded', which infer does not read; a
    run's ar.parquet given --units percent was divided by 100 (CAAR 1.3e-6 for 1.3e-4)."""
    report = ROOT / "reports" / "ai-deal-wave-2025"
    shutil.copyfile(report / "ar.parquet", tmp_path / "ar.PQ")  # the other parquet suffix was not checked
    tables = ((report / "ar.parquet", "ar"), (report / "car.parquet", "car"), (tmp_path / "ar.PQ", "ar"))
    for path, column in tables:
        assert main(["infer", "--ar", str(path), "--units", "percent"]) == 2
        assert one_line(capsys).startswith(
            f"eventstudy: error: {path}, field 'units': its eventstudy schema records {column!r} "
            "in the unit 'fraction' (units decimal), not percent: if the values were converted since"
        )
    out = tmp_path / "stats.csv"
    assert main(["infer", "--ar", str(report / "car.parquet"), "--units", "decimal", "--out", str(out)]) == 0
    stats = pd.read_csv(out).set_index(["group", "window", "statistic"])
    car = pd.read_parquet(report / "car.parquet").query("window == '[0,0]'")
    # the peer rows (role peer) are the group peers, as in the run: the shock group's parties alone
    expected = car.loc[(car["group"] == "shock") & (car["role"] != "peer"), "car"].dropna()
    assert stats.loc[("shock", "[0,0]", "caar"), "value"] == pytest.approx(expected.mean(), rel=1e-12)
    assert stats.loc[("shock", "[0,0]", "caar"), "n"] == len(expected) == 5
    run = pd.read_parquet(report / "stats.parquet").set_index(["group", "window", "statistic"])
    for group in ("shock", "all", "peers"):
        key = (group, "[0,0]", "cross_sectional_t")
        assert stats.loc[key, "value"] == pytest.approx(run.loc[key, "value"], rel=1e-12)
        assert stats.loc[key, "n"] == run.loc[key, "n"]


def test_a_runs_peer_rows_are_its_peers_group_not_part_of_the_others(tmp_path, capsys) -> None:
    """infer on a run's ar.parquet or car.parquet dropped its role column and put the 128 peer
    rows into the events' groups and all: openai-compute [0,0] n = 95, t = 2.07 ('significant'),
    against the run's 12 parties. Rows of role peer are the group peers, as in the run."""
    report = ROOT / "reports" / "ai-deal-wave-2025"
    run = pd.read_parquet(report / "stats.parquet").set_index(["group", "window", "statistic"])
    results = infer(report / "ar.parquet", units="decimal", windows=[(-1, 1)]).stats
    got = results.set_index(["group", "window", "statistic"])
    for group in ("all", "peers"):
        for name in ("caar", "cross_sectional_t", "sign_z", "wilcoxon_w"):
            key = (group, "[-1,+1]", name)
            assert got.loc[key, "value"] == pytest.approx(run.loc[key, "value"], rel=1e-12), key
            assert got.loc[key, "n"] == run.loc[key, "n"], key
    assert got.loc[("all", "[-1,+1]", "caar"), "n"] == 25
    # a party row may not be named peers (it would join them)
    frame = pd.DataFrame(
        {"id": ["A", "B", "C"], "tau": 0, "ar": [0.01, 0.02, -0.01], "role": ["buyer", "peer", "buyer"]}
    )
    frame.assign(group=["g", "h", "peers"]).to_csv(tmp_path / "named.csv", index=False)
    assert main(["infer", "--ar", str(tmp_path / "named.csv"), "--units", "decimal"]) == 2
    assert "row 4, field 'group': 'peers' is the group of the rows of role peer" in one_line(capsys)
    # a pair is a peer row on every tau or on none (it blamed the group column)
    roles = ["peer", "buyer", "peer"]
    mixed = pd.DataFrame({"id": ["A", "A", "B"], "tau": [0, 1, 0], "ar": 0.01, "role": roles})
    mixed.to_csv(tmp_path / "mixed.csv", index=False)
    assert main(["infer", "--ar", str(tmp_path / "mixed.csv"), "--units", "decimal"]) == 2
    assert "row 3, field 'role': a pair's rows are all of role peer or none" in one_line(capsys)


def twenty_pairs(
    seed: int, *, mean: float, sd: float, estimation: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ARs of 20 pairs over tau -1..1 (normal, ``mean``, ``sd``) and their residuals over the
    taus ``estimation`` (mean 0, ``sd``), in decimal units."""
    rng = np.random.default_rng(seed)
    ids = [f"T{i}" for i in range(20)]
    events = pd.DataFrame({"id": np.repeat(ids, 3), "tau": np.tile([-1, 0, 1], 20)})
    events["ar"] = rng.normal(mean, sd, len(events))
    residuals = pd.DataFrame({"id": np.repeat(ids, len(estimation)), "tau": np.tile(estimation, 20)})
    residuals["ar"] = rng.normal(0.0, sd, len(residuals))
    return events, residuals


def test_percent_read_as_decimal_and_files_in_two_units_are_questioned(tmp_path, capsys) -> None:
    """ARs in percent given --units decimal gave a CAAR of 639% and exit 0 without a word;
    residuals in another unit than the ARs a Patell z of 0.108 for 10.76. The summary now asks
    whether the units are right. Not a refusal: a day-0 panel of takeover targets (premiums of
    20-30%) looks the same and is real."""
    rng = np.random.default_rng(3)
    ids = [f"T{i}" for i in range(20)]
    events, residuals = twenty_pairs(3, mean=0.002, sd=0.02, estimation=np.arange(-130, -10))
    events.assign(ar=events["ar"] * 100).to_csv(tmp_path / "percent.csv", index=False)
    events.to_csv(tmp_path / "decimal.csv", index=False)
    residuals.assign(ar=residuals["ar"] * 100).to_csv(tmp_path / "residuals_percent.csv", index=False)
    residuals.to_csv(tmp_path / "residuals.csv", index=False)

    def notes(*args: str) -> list[str]:
        assert main(["infer", *args]) == 0
        return [line for line in capsys.readouterr().out.splitlines() if line.startswith("note: the median")]

    asked = notes("--ar", str(tmp_path / "percent.csv"), "--units", "decimal")
    assert len(asked) == 1 and "percent.csv is 1." in asked[0] and "are its units right" in asked[0]
    assert notes("--ar", str(tmp_path / "percent.csv"), "--units", "percent") == []
    # ARs in percent, residuals in decimal, --units percent: the residuals are 1/100 of their size
    base = ["--ar", str(tmp_path / "percent.csv"), "--units", "percent", "--n-params", "2"]
    asked = notes(*base, "--estimation", str(tmp_path / "residuals.csv"))
    assert len(asked) == 2 and "median |residual| of" in asked[1] and "declared units" in asked[1]
    assert "residuals.csv is 0.0001" in asked[0] and "were they decimals (0.01 = 1%)?" in asked[0]
    assert notes(*base, "--estimation", str(tmp_path / "residuals_percent.csv")) == []
    # takeover targets' day 0: asked about, and computed
    targets = pd.DataFrame({"id": ids, "tau": 0, "ar": rng.normal(0.3, 0.08, 20)})
    results = infer(targets, units="decimal")
    assert any("are its units right" in note for note in results.notes)
    caar = results.stats.query("group == 'all' and statistic == 'caar'")["value"].item()
    assert caar == pytest.approx(targets["ar"].mean(), rel=1e-12)
    # A CAR panel in percent read as decimal: a CAAR of 225% without a word (an audit)
    cars = pd.DataFrame({"id": ["A", "B", "C", "D"], "car": [5.0, 3.0, -1.0, 2.0]})
    asked = infer(cars, units="decimal").notes
    assert any("the median |value| of the CAR panel is 2.5 (250% a window)" in note for note in asked), asked
    assert not any("are its units right" in note for note in infer(cars, units="percent").notes)
    # decimals declared as percent: every CAAR 100 times too small, the t unchanged (imports asked,
    # infer did not)
    asked = notes("--ar", str(tmp_path / "decimal.csv"), "--units", "percent")
    median = np.median(np.abs(events["ar"])) / 100
    assert asked == [
        f"note: the median |value| of {tmp_path / 'decimal.csv'} is {median:.4g} ({median:.4%} a period) "
        "after dividing the values by 100 (units percent): were they decimals (0.01 = 1%)? Run it again "
        "with units decimal if so"
    ]
    assert notes("--ar", str(tmp_path / "decimal.csv"), "--units", "decimal") == []
    asked = infer(cars.assign(car=cars["car"] / 1000), units="percent").notes  # CARs of 0.005%, ...
    assert any("the median |value| of the CAR panel is 2.5e-05 (0.0025% a window)" in note for note in asked)


def test_a_table_written_by_infer_has_the_usual_permissions(tmp_path, capsys) -> None:
    """--out files were 0600 (tempfile.mkstemp's mode) where the run's own outputs are 0644."""
    panel = tmp_path / "ar.csv"
    panel.write_text("id,tau,ar\nA,0,1\nB,0,2\nC,0,-1\n")
    old = os.umask(0o022)
    try:
        for name in ("stats.csv", "stats.parquet"):
            out = tmp_path / name
            assert main(["infer", "--ar", str(panel), "--units", "percent", "--out", str(out)]) == 0
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(old)
    capsys.readouterr()


def test_a_wide_panel_says_its_columns_are_not_firms(tmp_path) -> None:
    """A wide panel's columns are pairs: its firm-clustered t has one pair a cluster, which a note
    says (the run clusters by ticker)."""
    (tmp_path / "wide.csv").write_text("tau,A,B,C\n0,1,2,-1\n")
    results = infer(tmp_path / "wide.csv", units="percent")
    assert any("columns are pairs, not firms" in note for note in results.notes)
    alone = infer(tmp_path / "wide.csv", units="percent", statistics=["caar"]).notes
    assert not any("not firms" in note for note in alone)  # said only when a firm cluster is asked
    (tmp_path / "long.csv").write_text("id,tau,ar\nA,0,1\nB,0,2\nC,0,-1\n")
    assert not any("not firms" in note for note in infer(tmp_path / "long.csv", units="percent").notes)


def test_a_parquet_text_nan_is_the_text_a_csv_file_gives(tmp_path, capsys) -> None:
    """The text 'nan' of a parquet string column became a blank cell ('' is not a ticker
    symbol), while the same CSV cell is the id 'nan'."""
    frame = pd.DataFrame({"id": ["nan", "B", "C"], "tau": [0, 0, 0], "ar": [1.0, 2.0, -1.0]})
    frame.to_parquet(tmp_path / "ar.parquet")
    frame.to_csv(tmp_path / "ar.csv", index=False)
    for name in ("ar.parquet", "ar.csv"):
        assert main(["infer", "--ar", str(tmp_path / name), "--units", "percent"]) == 0
        assert "3 pairs (ar panel)" in capsys.readouterr().out


BAD_PANELS = [
    ("id,tau,ar\nA,0,1\n", None, None, "field 'units': the units of its values are not declared"),
    ("id,tau,ar\nA,0,1\nB,0,2\nA,0,3\n", "percent", (4, "tau"), "duplicate (event_id, id, tau)"),
    ("id,tau,ar\nA,0.5,1\n", "percent", (2, "tau"), "is not a whole number of periods"),
    ("id,tau,ar\nA,0,x\n", "percent", (2, "ar"), "is not a finite number"),
    ("id,tau,ar\nHDFC.Bank,0,1\nHDFC.BANK,0,1\n", "percent", (3, "id"), "differ only in case"),
    ("tau,A,A\n0,1,2\n", "percent", (1, "A"), "column appears twice"),
    (
        "id,tau,ar,date\nA,0,1,2024-01-03\nA,1,1,2024-01-02\n",
        "percent",
        (3, "date"),
        "dates must increase with tau",
    ),
    ("x,y\n1,2\n", "percent", (1, None), "not an abnormal-return panel"),
    ("id,car,tau_start\nA,1,0\n", "percent", (1, "tau_end"), "tau_start is given, tau_end is not"),
    ("id,tau,ar,group\nA,0,1,g\nB,0,2,all\n", "percent", (3, "group"), "'all' is the group of every pair"),
    # quoted as the file writes it: 'All' was quoted 'all' (a finder)
    ("id,tau,ar,group\nA,0,1,g\nB,0,2,All\n", "percent", (3, "group"), "'All' is the group of every pair"),
    # one spelling per group, as in events.csv: 'Shock' beside 'shock' split one event in two (a reviewer)
    (
        "id,tau,ar,group\nA,0,1,shock\nB,0,2,g\nC,0,2,Shock\n",
        "percent",
        (4, "group"),
        "group 'Shock' and 'shock' (row 2) differ only in case",
    ),
    ("id,car,group\nA,1,g\nB,2,G\n", "percent", (3, "group"), "group 'G' and 'g' (row 2) differ only"),
    # so too event ids, and the peers' role: 'Peer' was counted as a party (a reviewer)
    ("id,car,event_id\nA,1,e1\nB,2,E1\n", "percent", (3, "event_id"), "event id 'E1' and 'e1' (row 2)"),
    ("id,car,role\nA,1,x\nB,2,Peer\n", "percent", (3, "role"), "'Peer' is not the peers' role, 'peer'"),
    ("id,car,tau_end\nA,1,0\n", "percent", (1, "tau_start"), "tau_end is given, tau_start is not"),
]


@pytest.mark.parametrize(("body", "units", "where", "words"), BAD_PANELS)
def test_bad_panels_exit_2_with_one_line(tmp_path, capsys, body, units, where, words) -> None:
    path = tmp_path / "ar.csv"
    path.write_text(body)
    out = tmp_path / "stats.csv"
    args = ["infer", "--ar", str(path), "--out", str(out), *(["--units", units] if units else [])]
    assert main(args) == 2
    err = one_line(capsys)
    if where is None:
        assert f"{path}, field 'units'" in err and words in err, err
    else:
        row, field = where
        place = f"{path}, row {row}" + (f", field '{field}'" if field else "")
        assert place in err and words in err, err
    assert not out.exists()


def test_bad_estimation_panels_and_options(tmp_path, capsys) -> None:
    ar = tmp_path / "ar.csv"
    ar.write_text("id,tau,ar\nA,0,1\nB,0,2\n")
    estimation = tmp_path / "est.csv"
    estimation.write_text("id,tau,ar\nA,-2,1\nA,-1,2\n")
    base = ["infer", "--ar", str(ar), "--units", "percent"]
    assert main([*base, "--estimation", str(estimation)]) == 2
    assert "--n-params: give the number of parameters" in one_line(capsys)
    assert main([*base, "--estimation", str(estimation), "--n-params", "2"]) == 2
    assert f"{estimation}, field 'id': pair B has no rows in the estimation panel" in one_line(capsys)
    assert main([*base, "--n-params", "2"]) == 2
    assert "--n-params: applies to estimation residuals" in one_line(capsys)
    assert main([*base, "--window", "0,3"]) == 2
    assert "--window: [0, 3] is not a window of the panel's tau 0..0" in one_line(capsys)
    assert main([*base, "--window", "0,-1"]) == 2  # said "is not a window of the panel's tau"
    assert "--window: [0, -1] runs backwards: give its first day first" in one_line(capsys)
    assert main([*base, "--statistic", "nope"]) == 2
    assert "--statistic: 'nope' is not one of caar" in one_line(capsys)
    late = tmp_path / "late.csv"
    late.write_text("id,tau,ar\nA,0,1\nB,-1,2\n")
    assert main([*base, "--estimation", str(late), "--n-params", "0"]) == 2
    assert "not before the event panel's first tau 0" in one_line(capsys)
    # event ids on the ARs, none on the residuals: it said the residuals had a pair A the ARs lack
    ar.write_text("event_id,id,tau,ar\ne1,A,0,1\ne1,B,0,2\ne2,A,0,3\n")
    estimation.write_text("id,tau,ar\nA,-2,1\nA,-1,2\nB,-2,1\nB,-1,3\n")
    assert main([*base, "--estimation", str(estimation), "--n-params", "0"]) == 2
    assert one_line(capsys).endswith(
        f"{estimation}, row 2, field 'event_id': the abnormal-return panel's pairs are (event_id, id) and "
        "the estimation panel has no event_id column: give each residual its pair's event_id\n"
    )


def test_api_errors_name_the_parameter_and_the_command_its_flag(tmp_path, capsys) -> None:
    """infer() told notebook users "--n-params: ...", "--window: ..." and "--statistic: ...":
    flags they never typed. The API names its parameter; eventstudy infer its flag."""
    frame = pd.DataFrame({"id": ["A", "A", "B", "B"], "tau": [0, 1, 0, 1], "ar": [0.01, 0.02, 0.03, -0.01]})
    residuals = frame.assign(tau=[-2, -1, -2, -1], ar=[0.1, 0.2, 0.1, 0.3])
    cases = [
        ({"estimation": residuals}, "n_params", "--n-params", "give the number of parameters"),
        ({"n_params": 2}, "n_params", "--n-params", "applies to estimation residuals, and none is given"),
        ({"windows": [(0, 5)]}, "windows", "--window", "[0, 5] is not a window of the panel's tau 0..1"),
        ({"statistics": ["nope"]}, "statistics", "--statistic", "'nope' is not one of caar"),
    ]
    for options, parameter, _, message in cases:
        with pytest.raises(InputError) as caught:
            infer(frame, units="decimal", **options)
        assert caught.value.path == parameter and caught.value.message.startswith(message)
    with pytest.raises(InputError) as caught:  # it returned an empty table
        infer(frame, units="decimal", statistics=[])
    assert caught.value.path == "statistics"
    with pytest.raises(InputError) as caught:  # it computed caar once, as if asked once
        infer(frame, units="decimal", statistics=["caar", "cross_sectional_t", "caar"])
    assert (caught.value.path, caught.value.message) == ("statistics", "'caar' is listed twice")
    cars = pd.DataFrame({"id": ["A", "B"], "window": "[-1,+1]", "car": [0.01, 0.02]})
    with pytest.raises(InputError) as caught:  # it named the panel's field 'window'
        infer(cars, units="decimal", windows=[(-1, 1)])
    assert (caught.value.path, caught.value.field) == ("windows", None)
    assert caught.value.message == "only for AR panels: ar frame is a CAR panel, whose windows are its own"
    with pytest.raises(InputError) as caught:  # it named the panel's field 'estimation'
        infer(cars, units="decimal", estimation=residuals)
    assert (caught.value.path, caught.value.field) == ("estimation", None)
    with pytest.raises(InputError) as caught:  # it was ignored, whatever its value
        infer(cars, units="decimal", n_params="x")
    assert caught.value.path == "n_params"
    # an AR panel too sparse to hold, with good residuals: it blamed the residuals' file
    sparse = pd.DataFrame({"id": [f"P{i}" for i in range(200)], "tau": [-99_000, 100_000] * 100, "ar": 0.01})
    pd.DataFrame({"id": sparse["id"], "tau": -100_000, "ar": 0.02}).to_csv(tmp_path / "good.csv", index=False)
    for estimation in (None, tmp_path / "good.csv"):
        with pytest.raises(InputError) as caught:
            infer(sparse, units="decimal", estimation=estimation, n_params=None if estimation is None else 1)
        assert caught.value.path == "ar frame" and "the panel's tau -99000..100000 give 200 pairs" in str(
            caught.value
        )
    cars.to_csv(tmp_path / "cars.csv", index=False)
    residuals.to_csv(tmp_path / "residuals.csv", index=False)
    with_residuals = ["--estimation", str(tmp_path / "residuals.csv")]
    assert main(["infer", "--ar", str(tmp_path / "cars.csv"), "--units", "decimal", *with_residuals]) == 2
    assert one_line(capsys).startswith("eventstudy: error: --estimation: applies to AR panels: ")
    twice = ["--statistic", "caar", "--statistic", "caar"]
    assert main(["infer", "--ar", str(tmp_path / "cars.csv"), "--units", "decimal", *twice]) == 2
    assert one_line(capsys) == "eventstudy: error: --statistic: 'caar' is listed twice\n"
    # a file named like a parameter is a file: its errors were said of a flag (a finder)
    named = tmp_path / "windows"
    named.write_text("id,tau,ar\nA,0,0.01\nA,1,x\n")
    assert main(["infer", "--ar", str(named), "--units", "decimal"]) == 2
    assert one_line(capsys).startswith(f"eventstudy: error: {named}, row 3, field 'ar': ")
    ar = tmp_path / "ar.csv"
    frame.to_csv(ar, index=False)
    args = {
        "n_params": ["--n-params", "2"], "windows": ["--window", "0,5"], "statistics": ["--statistic", "nope"]
    }
    for _, parameter, flag, message in cases[1:]:
        assert main(["infer", "--ar", str(ar), "--units", "decimal", *args[parameter]]) == 2
        assert one_line(capsys).startswith(f"eventstudy: error: {flag}: {message}")


def test_the_summary_shows_a_whole_number_in_full() -> None:
    """Wilcoxon's W of 1,500 positive ARs, 1,125,750, read 1.12575e+06 in infer's summary (a
    finder); a t keeps six significant digits."""
    frame = pd.DataFrame({"id": [f"P{i}" for i in range(1500)], "tau": 0})
    frame["ar"] = np.linspace(0.001, 0.02, 1500)
    text = str(infer(frame, units="decimal", statistics=["wilcoxon_w", "cross_sectional_t"]).summary())
    [w] = [line for line in text.splitlines() if line.strip().startswith("wilcoxon_w")]
    assert w.split()[1] == "1125750"
    [t] = [line for line in text.splitlines() if line.strip().startswith("cross_sectional_t")]
    value = float(t.split()[1])
    assert value == pytest.approx(frame["ar"].mean() / (frame["ar"].std() / np.sqrt(1500)), rel=1e-5)


def test_a_frame_is_refused_where_its_file_would_be() -> None:
    """An infinite AR in a frame was taken as a missing one (a file's ``inf`` is refused), and
    an empty frame raised IndexError."""
    frame = pd.DataFrame({"id": ["A", "A", "B", "B"], "tau": [0, 1, 0, 1], "ar": [0.01, 0.02, 0.03, -0.01]})
    for value in (np.inf, -np.inf):
        with pytest.raises(InputError) as caught:
            infer(frame.assign(ar=[0.01, value, 0.03, -0.01]), units="decimal")
        assert (caught.value.path, caught.value.row, caught.value.field) == ("ar frame", 3, "ar")
        assert "is not a finite number" in caught.value.message
    with pytest.raises(InputError, match=r"^ar frame: no rows"):
        infer(frame.iloc[:0], units="decimal")
    # The residuals' frame is told from the ARs' (both errors said "frame": a finder)
    residuals = pd.DataFrame({"id": ["A", "B"], "tau": [-20, -20], "ar": [0.01, np.inf]})
    with pytest.raises(InputError) as caught:
        infer(frame, units="decimal", estimation=residuals, n_params=2)
    assert (caught.value.path, caught.value.row, caught.value.field) == ("estimation frame", 3, "ar")
    # Float ids (a PERMNO read with a NaN beside it) are read as a parquet file's: 10107.0 was
    # "10107.0" in a frame, "10107" in its file, and residuals of integer ids matched no pair.
    floats = frame.assign(id=[10107.0, 10107.0, 14593.0, 14593.0])
    residuals = pd.DataFrame({"id": [10107, 10107, 14593, 14593], "tau": [-3, -2, -3, -2]})
    residuals = residuals.assign(ar=[0.01, -0.01, 0.02, -0.02])
    read = infer(floats, units="decimal", estimation=residuals, n_params=0)
    assert read.pairs["id"].tolist() == ["10107", "14593"]
    # A column given twice (or twice but for case) raised AttributeError from the frame's reading
    for twin in ("ar", "AR"):
        doubled = pd.concat([frame, frame[["ar"]].rename(columns={"ar": twin})], axis=1)
        with pytest.raises(InputError) as caught:
            infer(doubled, units="decimal")
        assert (caught.value.path, caught.value.row, caught.value.field) == ("ar frame", 1, twin)
    missing = infer(frame.assign(ar=[0.01, np.nan, 0.03, -0.01]), units="decimal", windows=[(0, 1), (0, 0)])
    caar = missing.stats[(missing.stats["statistic"] == "caar") & (missing.stats["group"] == "all")]
    assert caar["n"].tolist() == [1, 2] and caar["value"].iloc[0] == pytest.approx(0.02, abs=1e-15)  # B alone
    # ... and says so (n said 1 of 2 pairs, and no note why)
    lacking = [note for note in missing.notes if "an abnormal return on a day" in note]
    assert lacking == [
        "1 of 2 pairs lacks an abnormal return on a day of [0,+1] (first A at tau +1): that window's "
        "statistics leave them out"
    ]


def test_garch_statistics_asked_of_a_panel_are_not_computable(tmp_path) -> None:
    """infer --statistic garch_patell_z gave an unlabeled NaN with n = 0 and the plain formula's
    reference (a finder): a panel has no GARCH conditional variances, so the row says so."""
    frame = pd.DataFrame({"id": ["A", "B", "C"], "tau": 0, "ar": [1.0, 2.0, 4.0]})
    results = infer(frame, units="percent", statistics=["caar", "garch_patell_z", "garch_bmp_t"])
    rows = results.stats.set_index("statistic")
    for name in ("garch_patell_z", "garch_bmp_t"):
        assert np.isnan(rows.loc[name, "value"]) and rows.loc[name, "n"] == 0
        assert rows.loc[name, "reference"] == (
            "not computable from this panel: needs GARCH conditional variances (a study's variance = "
            "garch, gjr or egarch)"
        )
    assert "  garch_patell_z             not computable: needs GARCH conditional variances" in str(
        results.summary()
    )


def test_the_results_are_a_results_object_in_every_format() -> None:
    """infer's summary was a str (no HTML in a notebook, no .as_latex()) and the results had no
    to_frame(): as the study's results, the summary renders as text (what the command prints),
    HTML and LaTeX from one table per group and window, and to_frame() is the statistics."""
    frame = pd.DataFrame({"id": ["A", "B", "C"], "tau": 0, "ar": [1.0, 2.0, 4.0]})
    results = infer(frame, units="percent", statistics=["caar", "cross_sectional_t", "patell_z"])
    summary = results.summary()
    text = str(summary)
    lines = text.splitlines()
    assert lines[0] == "3 pairs (ar panel)" and lines[1].startswith("values: caar is a fraction (0.02 = 2%)")
    assert "  patell_z                   not computable: needs estimation-window residuals" in text
    (caption, table), = summary.tables
    assert caption == "all [0,0]" and table["statistic"].tolist() == ["caar", "cross_sectional_t", "patell_z"]
    t = stats.ttest_1samp([0.01, 0.02, 0.04], 0.0)
    assert table["value"].tolist()[:2] == ["0.0233333", f"{t.statistic:.6g}"]
    assert table.loc[2, "value"].startswith("not computable: needs") and table.loc[2, "n"] == ""
    assert f"<td>{t.statistic:.6g}</td>" in summary._repr_html_()
    assert "\\caption{all {[}0,0{]}}" in summary.as_latex() and "cross\\_sectional\\_t" in summary.as_latex()
    pd.testing.assert_frame_equal(results.to_frame(), results.stats)
    one = infer(frame.iloc[:1], units="percent", statistics=["caar"]).summary()
    assert str(one).splitlines()[0] == "1 pair (ar panel)"
    assert results.to_frame() is not results.stats


@pytest.mark.parametrize("schema", [b"[1]", b'{"columns": 5}', b"[" * 100_000 + b"]" * 100_000])
def test_a_parquet_schema_record_of_another_shape_is_no_record(tmp_path, schema: bytes) -> None:
    """Valid JSON of another shape under eventstudy.schema (a list, columns not a list, 100,000
    nested brackets) gave AttributeError, TypeError and RecursionError tracebacks."""
    import pyarrow as pa

    table = pa.table({"id": ["A", "B"], "tau": [0, 0], "ar": [0.01, 0.03]})
    path = tmp_path / "ar.parquet"
    pq.write_table(table.replace_schema_metadata({b"eventstudy.schema": schema}), path)
    caar = infer(path, units="decimal", statistics=["caar"]).stats["value"].iloc[0]
    assert caar == pytest.approx(0.02, rel=1e-12)


def test_timestamps_in_an_object_column_are_dates() -> None:
    """A frame's date column of Timestamps with object dtype (a column built row by row) was refused:
    "'2024-01-02 00:00:00' is not a date"; its datetime64 twin was read. Both give the same results;
    a time of day is refused as the datetime64 column's is."""
    days = [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")] * 2
    frame = pd.DataFrame({"id": ["A", "A", "B", "B"], "tau": [0, 1, 0, 1], "ar": [0.01, 0.02, 0.03, -0.01]})
    typed = infer(frame.assign(date=pd.Series(days, dtype="datetime64[ns]")), units="decimal").stats
    loose = infer(frame.assign(date=pd.Series(days, dtype=object)), units="decimal").stats
    pd.testing.assert_frame_equal(loose, typed)
    numpy_days = pd.Series([day.to_datetime64() for day in days], dtype=object)  # np.datetime64 objects
    pd.testing.assert_frame_equal(infer(frame.assign(date=numpy_days), units="decimal").stats, typed)
    clustered = typed[(typed["statistic"] == "cluster_date_t") & (typed["group"] == "all")]
    assert not clustered["reference"].str.startswith("not computable").any()
    timed = pd.Series([day + pd.Timedelta(hours=10) for day in days], dtype=object)
    with pytest.raises(InputError, match="has a time of day"):
        infer(frame.assign(date=timed), units="decimal")


def test_a_large_unbalanced_panel_is_not_taken_for_a_sparse_one() -> None:
    """270,000 pairs at tau -5..5 and 30,000 at -60..60 (6.6 million rows, 36 million cells, 18%
    filled) were refused by a guard of 4 cells a row; the panel takes 3.3 GB and was computed
    before it."""
    from eventstudy.precomputed import _check_cells

    _check_cells(300_000, np.arange(-60, 61), 6_600_000, "")
    with pytest.raises(ValueError, match=r"99\.999% of them would be missing"):
        _check_cells(200, np.arange(-100_000, 100_001), 400, "")


def test_a_car_panels_window_spellings_are_one_window_and_impossible_windows_are_refused() -> None:
    """'[-1,1]', '[-1,+1]', '-1,1', '[ -1 , 1 ]' and '[-1, 1]' were five windows of one pair
    each; tau_start after tau_end was the window '[+1,-1]'; a window label contradicting the tau
    columns was dropped for them without a word (an audit)."""
    spellings = ["[-1,1]", "[-1,+1]", "-1,1", "[ -1 , 1 ]", "[-1, 1]"]
    cars = pd.DataFrame({"id": list("ABCDE"), "window": spellings, "car": [0.01, 0.02, 0.0, 0.03, -0.01]})
    caar = infer(cars, units="decimal").stats.query("statistic == 'caar'")
    assert caar[["window", "n"]].values.tolist() == [["[-1,+1]", 5]]
    assert caar["value"].item() == pytest.approx(0.01, rel=1e-12)
    named = infer(cars.assign(window="announcement"), units="decimal").stats.query("statistic == 'caar'")
    assert named["window"].tolist() == ["announcement"]  # a label that is no pair of days is kept
    one = {"id": ["A"], "car": [0.01]}
    for bad, field, words in (
        (pd.DataFrame({**one, "tau_start": [1], "tau_end": [-1]}), "tau_end", "runs forwards"),
        (pd.DataFrame({**one, "window": ["[1,-1]"]}), "window", "runs backwards"),
        (pd.DataFrame({**one, "window": ["[0,1]"], "tau_start": [-1], "tau_end": [1]}), "window", "[-1,+1]"),
    ):
        with pytest.raises(InputError) as caught:
            infer(bad, units="decimal")
        assert (caught.value.row, caught.value.field) == (2, field) and words in caught.value.message


def test_windows_are_whole_days_in_any_spelling_and_at_least_one() -> None:
    """infer(windows=[(0.5, 1)]) ran as [0,+1] and summary((-1.5, 1.5)) showed [-1,+1] (int()
    cut the fractions); windows=["[0,0]"] raised a bare ValueError; windows=[] returned an empty
    table (an audit). One reader of windows, config.window_days, serves them all."""
    ids = [f"T{i}" for i in range(10)]
    panel = pd.DataFrame({"id": np.repeat(ids, 3), "tau": np.tile([-1, 0, 1], 10)})
    panel["ar"] = np.random.default_rng(1).normal(0, 0.01, len(panel))
    text = infer(panel, units="decimal", windows=["[0,0]", "-1,\t1"]).stats
    pairs = infer(panel, units="decimal", windows=[(0, 0), (-1.0, 1.0)]).stats
    pd.testing.assert_frame_equal(text, pairs)
    arrays = infer(panel, units="decimal", windows=np.array([[0, 0], [-1, 1]])).stats  # refused once
    pd.testing.assert_frame_equal(arrays, pairs)
    assert set(text["window"]) == {"[0,0]", "[-1,+1]"}
    for bad in (
        [(0.5, 1)], [(True, 1)], ["0..1"], [], ["[-1,1"], ["[" + "9" * 5000 + ",1]"],
        [{-1, 1}], [bytearray(b"\x00\x01")], [np.array(5)], [(-1, 1e300)],  # review of d4ae81b
    ):
        with pytest.raises(InputError) as caught:
            infer(panel, units="decimal", windows=bad)
        assert caught.value.path == "windows"  # the parameter: said "--window" to notebook users
    from eventstudy.results import resolve_window

    with pytest.raises(ValueError, match="is not two relative days"):
        resolve_window((-1.5, 1.5), [(-1, 1), (0, 0)])
    assert resolve_window((-1.0, 1.0), [(-1, 1)]) == "[-1,+1]"


def test_pairs_without_an_estimation_sd_are_named_in_a_note() -> None:
    """A pair whose residuals are all 0 (or fewer than n_params + 1) left every statistic, n 19
    under a header of 20 pairs, and with every pair so, every statistic was empty without a
    word (an audit). The rule is the study's; the note says so."""
    ar, residuals = twenty_pairs(0, mean=0.0, sd=0.01, estimation=np.arange(-60, -10))
    residuals.loc[residuals["id"] == "T3", "ar"] = 0.0
    results = infer(ar, units="decimal", estimation=residuals, n_params=2)
    [note] = [n for n in results.notes if "no estimation s.d." in n]
    assert note.startswith("1 of 20 pairs have no estimation s.d.") and "first T3" in note
    caar = results.stats.query("group == 'all' and statistic == 'caar'")
    assert caar["n"].item() == 19
    assert caar["value"].item() == pytest.approx(ar[ar["id"] != "T3"]["ar"].mean() * 3, rel=1e-12)
    few = residuals.groupby("id").head(2)  # M - k = 0 for every pair
    empty = infer(ar, units="decimal", estimation=few, n_params=2)
    assert any(note.startswith("20 of 20 pairs") for note in empty.notes)
    # M - k = 2: sigma exists, but Patell's variance (M - k)/(M - k - 2) does not: patell_z was NaN,
    # n = 0, with no word (a finder); M - k = 3 is in it
    four = residuals.groupby("id").head(4)  # T3's all 0: no sigma, in the note above
    four = pd.concat([four, residuals[residuals["id"] == "T5"].iloc[4:5]])
    thin = infer(ar, units="decimal", estimation=four, n_params=2)
    [note] = [n for n in thin.notes if "M - k <= 2" in n]
    assert note.startswith("18 of 20 pairs have M - k <= 2 (M estimation residuals, k = 2), first T0:")
    assert note.endswith(
        "patell_z, abnormal_volatility, volatility_t leave them out, as the variance "
        "(M - k)/(M - k - 2) of a standardized AR needs M - k > 2"
    )
    volatility = infer(ar, units="decimal", estimation=four, n_params=2, statistics=["abnormal_volatility"])
    [note] = [n for n in volatility.notes if "M - k <= 2" in n]  # it printed no note at all
    assert ": abnormal_volatility leaves them out" in note
    patell = thin.stats.query("group == 'all' and statistic == 'patell_z' and window == '[-1,+1]'")
    assert patell["n"].item() == 1


def test_an_out_name_ending_in_a_separator_and_a_tau_out_of_range_are_named(tmp_path, capsys) -> None:
    """--out dir.csv/ wrote a file named dir.csv; a tau of 100000000 'is not a whole number of
    periods' (an audit)."""
    panel = tmp_path / "ar.csv"
    panel.write_text("id,tau,ar\nA,0,0.01\nB,0,0.02\n")
    for name in (f"{tmp_path / 'dir.csv'}/", f"{tmp_path / 'dir.csv'}/."):
        with pytest.raises(SystemExit) as exit_code:
            main(["infer", "--ar", str(panel), "--units", "decimal", "--out", name])
        assert exit_code.value.code == 2 and "names a folder, not a file" in capsys.readouterr().err
        assert not (tmp_path / "dir.csv").exists()
    far = tmp_path / "far.csv"
    far.write_text("id,tau,ar\nA,0,0.01\nB,100000000,0.02\n")
    with pytest.raises(InputError) as caught:
        infer(far, units="decimal")
    assert (caught.value.row, caught.value.field) == (3, "tau") and "beyond ±100,000" in caught.value.message


def test_an_out_under_a_file_or_a_missing_folder_says_which(tmp_path, capsys) -> None:
    """--out ar.csv/z.csv with ar.csv a file said 'its folder does not exist' (a finder)."""
    panel = tmp_path / "ar.csv"
    panel.write_text("id,tau,ar\nA,0,0.01\nB,0,0.02\n")
    dangling = tmp_path / "gone"
    dangling.symlink_to(tmp_path / "nowhere")
    loop = tmp_path / "loop"  # a loop of links was called a link to nothing (a re-attack)
    loop.symlink_to(tmp_path / "loop")
    under = "not a folder: no output can go under it"  # as `run --out` says (a re-attack)
    for out, said in (
        (panel / "z.csv", f"{panel}: is a file, {under}"),
        (panel / "deeper" / "z.csv", f"{panel}: is a file, {under}"),
        (dangling / "z.csv", f"{dangling}: is a link to nothing (a dangling link), {under}"),
        (loop / "z.csv", f"{loop}: is a loop of links, {under}"),
        (tmp_path / "none" / "z.csv", f"{tmp_path / 'none' / 'z.csv'}: its folder does not exist"),
    ):
        assert main(["infer", "--ar", str(panel), "--units", "decimal", "--out", str(out)]) == 2
        assert one_line(capsys) == f"eventstudy: error: {said}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ar.csv", "gone", "loop"]
    assert panel.read_text()[:3] == "id,"
    cache = tmp_path / "c"
    run = ["run", "--events", str(panel), "--offline", "--cache", str(cache), "--out", str(dangling / "s")]
    assert main(run) == 2  # run says the same, before it reads anything
    assert f"{dangling}: is a link to nothing (a dangling link), {under}" in one_line(capsys)
    assert main([*run[:-1], str(panel / "s")]) == 2
    assert one_line(capsys) == f"eventstudy: error: {panel}: is a file, {under}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ar.csv", "gone", "loop"]  # no cache folder made


@pytest.mark.parametrize("name", ["x" * 300 + ".csv", "x" * 300 + "/a.csv", "x/" * 3000 + "a.csv"])
def test_an_out_name_longer_than_the_system_allows_is_one_line(tmp_path, capsys, name) -> None:
    """The check for an output folder around --out stat'ed its manifest and raised OSError
    (File name too long) with a traceback, exit 1."""
    panel = tmp_path / "ar.csv"
    panel.write_text("id,tau,ar\nA,0,0.01\nB,0,0.02\n")
    before = sorted(tmp_path.iterdir())
    assert main(["infer", "--ar", str(panel), "--units", "decimal", "--out", str(tmp_path / name)]) == 2
    assert "cannot be used: File name too long" in one_line(capsys)
    assert sorted(tmp_path.iterdir()) == before


def test_a_panel_with_two_id_columns_is_refused_naming_them(tmp_path, capsys) -> None:
    """ticker beside permno: infer used the ticker and said nothing, so two PERMNOs sharing a
    ticker were one firm (cluster_firm_t with 2 clusters instead of 3)."""
    panel = tmp_path / "ar.csv"
    panel.write_text(
        "permno,ticker,event_id,tau,ar\n10001,AAA,e1,0,0.01\n10002,AAA,e2,0,0.02\n10003,BBB,e3,0,-0.01\n"
    )
    with pytest.raises(InputError) as caught:
        infer(panel, units="decimal")
    assert (caught.value.row, caught.value.field) == (1, "permno")
    assert "holds the id columns 'ticker' and 'permno'" in caught.value.message
    assert main(["infer", "--ar", str(panel), "--units", "decimal"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    one = tmp_path / "one.csv"
    one.write_text("permno,event_id,tau,ar\n10001,e1,0,0.01\n10002,e2,0,0.02\n10003,e3,0,-0.01\n")
    stats_ = infer(one, units="decimal", statistics=["cluster_firm_t"]).stats
    assert stats_.set_index("statistic").loc["cluster_firm_t", "n"] == 3


@pytest.mark.parametrize("group", ["ALL", "All", "peers", "Peers"])
def test_the_built_in_groups_are_refused_in_any_case_with_or_without_roles(group: str) -> None:
    """'ALL' sat beside the statistics' own 'all', and a 'peers' group passed without a role
    column; an events file refuses both (case-folded)."""
    frame = pd.DataFrame({"id": ["A", "B"], "group": [group, group], "tau": [0, 0], "ar": [0.01, 0.02]})
    with pytest.raises(InputError) as caught:
        infer(frame, units="decimal")
    assert (caught.value.row, caught.value.field) == (2, "group")
    assert f"{group!r} is the group of" in caught.value.message  # as written: 'All' read 'all' (a finder)


def test_a_window_given_twice_and_statistics_given_as_one_text_are_refused(tmp_path, capsys) -> None:
    """--window 0,0 --window '[0,+0]' wrote every statistic of [0,0] twice; statistics="caar"
    was read letter by letter ("'c' is not one of ...")."""
    panel = tmp_path / "ar.csv"
    panel.write_text("id,tau,ar\nA,0,1\nB,0,2\nC,0,-1\n")
    args = ["infer", "--ar", str(panel), "--units", "percent", "--window", "0,0", "--window", "[0,+0]"]
    assert main(args) == 2
    assert "--window: [0, 0] is given twice" in one_line(capsys)
    with pytest.raises(InputError) as caught:
        infer(panel, units="percent", statistics="caar")
    assert "give a list of statistic names, e.g. ['caar']" in caught.value.message
    caar = infer(panel, units="percent", statistics=["caar"]).stats["value"]
    assert caar.tolist() == [pytest.approx(2 / 300)]


@pytest.mark.parametrize(
    ("dates", "said"),
    [
        (pd.to_datetime(["2025-01-02 15:30", "2025-01-03 00:00"] * 2), "15:30:00 is not a calendar date"),
        (pd.to_datetime(["2025-01-02", "2025-01-03"] * 2).tz_localize("UTC"), "not times in a time zone"),
    ],
)
def test_a_frame_is_read_as_its_parquet_file_would_be(tmp_path, dates, said) -> None:
    """infer(frame) cut a timestamp to its date (a UTC midnight to its UTC date, a day after New
    York's), which the same frame written to parquet is refused for."""
    frame = pd.DataFrame({"id": ["A", "A", "B", "B"], "tau": [0, 1, 0, 1], "ar": [0.01, 0.02, -0.01, 0.03]})
    frame["date"] = dates
    frame.to_parquet(tmp_path / "panel.parquet")
    for given, where in ((frame, "ar frame"), (tmp_path / "panel.parquet", str(tmp_path / "panel.parquet"))):
        with pytest.raises(InputError) as caught:
            infer(given, units="decimal")
        assert (caught.value.path, caught.value.row, caught.value.field) == (where, 2, "date")
        assert said in caught.value.message
    dated = frame.assign(date=pd.to_datetime(["2025-01-02", "2025-01-03"] * 2))
    assert infer(dated, units="decimal", statistics=["cluster_date_t"]).stats["n"].tolist() == [2]


def _refused_wide(tmp_path, capsys, header: str) -> tuple[Path, str]:
    """A wide panel of three τ under ``header`` given to infer: exit 2 and its one line."""
    panel = tmp_path / "wide.csv"
    panel.write_text(f"{header}\n-1,0.5,1.2\n0,2.0,3.1\n1,0.4,0.7\n")
    assert main(["infer", "--ar", str(panel), "--units", "percent"]) == 2
    return panel, one_line(capsys)


def test_a_wide_panel_with_a_pair_named_like_a_long_column_says_so(tmp_path, capsys) -> None:
    """tau,AR,AMD (Antero Resources beside AMD) was told only that a long panel needs an id
    column: the header is read as a long panel's, and the way out is to rename the pair."""
    panel, line = _refused_wide(tmp_path, capsys, "tau,AR,AMD")
    assert "field 'id': a long panel needs an id column" in line
    assert "its pair 'AR' would be named as a long panel's column: rename that column" in line
    panel.write_text("tau,AR.US,AMD\n-1,0.5,1.2\n0,2.0,3.1\n1,0.4,0.7\n")
    caar = infer(panel, units="percent", statistics=["caar"], windows=[(0, 0)]).stats["value"]
    assert caar.tolist() == [pytest.approx(0.0255)]


@pytest.mark.parametrize("option", ["--ar", "--estimation"])
def test_a_long_panel_whose_value_column_is_not_ar_says_so(tmp_path, capsys, option) -> None:
    """id,tau,abnormal_return has no ar column, so it was read as a wide panel of pairs 'id' and
    'abnormal_return': told only that 'tau -1 appears twice', or with one pair, its ids taken for
    a pair's abnormal returns (two finders)."""
    panel = tmp_path / "panel.csv"
    panel.write_text("id,tau,abnormal_return\nA,-1,0.1\nA,0,1.2\nB,-1,0.3\nB,0,0.8\n")
    good = tmp_path / "good.csv"
    good.write_text("id,tau,ar\nA,-1,0.1\nA,0,1.2\nB,-1,0.3\nB,0,0.8\n")
    if option == "--ar":
        argv = ["infer", "--ar", str(panel)]
    else:
        argv = ["infer", "--ar", str(good), "--estimation", str(panel), "--n-params", "1"]
    assert main([*argv, "--units", "percent"]) == 2
    line = one_line(capsys)
    assert line.startswith(
        f"eventstudy: error: {panel}, row 1, field 'ar': has the long panel's column 'id' and tau but no ar "
        "column: a long panel names its abnormal returns ar (a wide panel has tau and one column per "
        "pair, none named id, ticker, permno, event_id, date, group or role)"
    )
    # one pair: no tau repeats, and the id was read as a pair's ARs (7% a day: caar 0.1115, n = 2)
    for key in ("ticker", "event_id", "Group"):  # event_id,tau,abnormal_return: caar 10.5 (a finder)
        panel.write_text(f"{key},tau,abnormal_return\n7,-1,0.5\n7,0,1.0\n7,1,-0.2\n")
        assert main([*argv, "--units", "percent"]) == 2
        assert f"field 'ar': has the long panel's column '{key}' and tau but no ar column" in one_line(capsys)


def test_a_wide_panel_whose_pairs_are_named_id_and_ar_is_not_read_as_long(tmp_path, capsys) -> None:
    """tau,ID,AR is a long panel's header; as a wide panel (pairs ID and AR) its rows were read
    as one pair per row named by an abnormal return ('0.5'), exit 0: an id that is a number with
    a fraction is refused, with the way out."""
    panel, line = _refused_wide(tmp_path, capsys, "tau,ID,AR")
    assert "row 2, field 'ID': '0.5' is a number with a fraction, not an identifier" in line
    assert "rename" in line
    for ids in ("AAPL,MSFT,BRK.B", "10107,14593,10107", "1.0,2.0,1.0"):  # symbols; PERMNO-like digits
        a, b, c = ids.split(",")
        panel.write_text(f"tau,id,ar\n0,{a},1\n0,{b},2\n1,{c},3\n")
        assert len(infer(panel, units="percent", statistics=["caar"], windows=[(0, 0)]).stats) == 1


def test_an_estimation_panel_that_does_not_match_names_its_row_and_field(tmp_path, capsys) -> None:
    """Its pair missing from the AR panel, or a residual at an event tau, named the file alone."""
    panel = tmp_path / "ar.csv"
    panel.write_text("id,tau,ar\nAAA,0,1\n")
    cases = {
        "id,tau,ar\nAAA,-5,1\nAAA,-4,2\nAAA,-3,1\nZZZ,-10,1\n": "row 5, field 'id': the estimation panel has",
        "ID,TAU,ar\nAAA,-5,1\nAAA,0,2\n": "row 3, field 'TAU': the estimation panel has tau 0,",
        # the row named holds the tau quoted: row 3 was said to reach tau 2 (row 4's; a finder)
        "ID,TAU,ar\nAAA,-5,1\nAAA,0,2\nAAA,2,1\n": "row 3, field 'TAU': the estimation panel has tau 0,",
        "tau,AAA,ZZZ\n-5,1,1\n-4,1,1\n": "row 1, field 'ZZZ': the estimation panel has pair ZZZ",
        "tau,AAA\n-5,1\n\n-4,1\n0,2\n": "row 5, field 'tau': the estimation panel has tau 0,",
    }
    for k, (text, said) in enumerate(cases.items()):
        residuals = tmp_path / f"e{k}.csv"
        residuals.write_text(text)
        args = ["infer", "--ar", str(panel), "--units", "percent", "--estimation", str(residuals)]
        args += ["--n-params", "1"]
        assert main(args) == 2
        assert f"{residuals}, {said}" in one_line(capsys)


def test_a_field_is_named_as_the_header_spells_it(tmp_path, capsys) -> None:
    """'Date' and 'GROUP' columns were named 'date' and 'group' in their errors."""
    for text, said in (
        ("id,tau,ar,Date\nA,0,1,2025-01-02\nA,1,2,2025-01-02\n", "row 3, field 'Date': dates must increase"),
        ("ID,TAU,AR,EVENT_ID,GROUP\nA,0,1,e1,g1\nA,1,2,e1,g2\n", "row 3, field 'GROUP': a pair has one"),
    ):
        panel = tmp_path / "panel.csv"
        panel.write_text(text)
        assert main(["infer", "--ar", str(panel), "--units", "percent"]) == 2
        assert said in one_line(capsys)


def test_columns_not_read_are_named_and_so_is_the_estimation_panels(tmp_path, capsys) -> None:
    """A misnamed group column (groups) put every pair in 'all', and a car column beside ar was
    passed over, both without a word (a finder)."""
    panel = tmp_path / "ar.csv"
    panel.write_text("id,tau,ar,groups\nA,0,1,g1\nB,0,2,g1\nC,0,-1,g2\nD,0,3,g2\n")
    residuals = tmp_path / "res.csv"
    rows = "".join(f"{i},{t},{0.1 * t},0\n" for i in "ABCD" for t in (-5, -4, -3))
    residuals.write_text("id,tau,ar,CAR\n" + rows)
    args = ["infer", "--ar", str(panel), "--units", "percent", "--statistic", "caar"]
    assert main([*args, "--estimation", str(residuals), "--n-params", "1"]) == 0
    printed = capsys.readouterr().out
    assert "\nall [0,0]\n" in printed and "g1" not in printed  # the groups were not read ...
    read = "(read: id/ticker/permno, tau, ar, date, event_id, group, role)"
    assert f"note: {panel}: columns not read: 'groups' {read}" in printed  # ... and that is said
    assert f"note: {residuals}: columns not read: 'CAR' {read}" in printed
    cars = pd.DataFrame({"id": ["A", "B"], "car": [0.01, 0.02], "grp": ["x", "y"]})
    read = "(read: id/ticker/permno, car, event_id, group, role, window, tau_start, tau_end)"
    assert f"ar frame: columns not read: 'grp' {read}" in infer(cars, units="decimal").notes
    assert not any("not read" in note for note in infer(cars.drop(columns="grp"), units="decimal").notes)


def test_cars_that_are_all_equal_say_why_their_t_statistics_are_nan() -> None:
    """Stale prices give ARs of 0: cross_sectional_t was 'nan, n = 3' with no reason (a finder)."""
    frame = pd.DataFrame({"id": list("ABCDE"), "tau": 0, "ar": [0.01, 0.01, 0.01, 0.02, 0.03]})
    frame["group"] = ["flat"] * 3 + ["moving"] * 2
    results = infer(frame, units="decimal", statistics=["caar", "cross_sectional_t"])
    t = results.stats.set_index(["group", "statistic"])["value"]
    assert np.isnan(t[("flat", "cross_sectional_t")]) and np.isfinite(t[("moving", "cross_sectional_t")])
    said = [note for note in results.notes if "all equal" in note]
    why = "so a t that divides by their spread is undefined; nan here: cross_sectional_t"
    assert said == [f"the 3 CARs of flat [0,0] are all equal (no spread), {why}"]
    assert said[0] in results.summary().text
    # equal to rounding (0.1 + 0.2 beside 0.3), as the statistics take them; and a CAR panel's (a re-attack)
    rounded = pd.DataFrame({"id": list("AABBCC"), "tau": [0, 1] * 3, "ar": [0.1, 0.2, 0.3, 0.0, 0.3, 0.0]})
    notes = infer(rounded, units="decimal", statistics=["caar", "cross_sectional_t"]).notes
    assert f"the 3 CARs of all [0,+1] are all equal (no spread), {why}" in notes
    cars = frame.rename(columns={"ar": "car"}).drop(columns="tau")
    notes = infer(cars, units="decimal", statistics=["caar", "cross_sectional_t"]).notes
    said = [note for note in notes if "all equal" in note]
    assert said == [f"the 3 CARs of flat car are all equal (no spread), {why}"]


def test_the_help_lists_every_built_in_statistic_once(capsys) -> None:
    """infer --help's 'what is computable' left out garch_patell_z and garch_bmp_t, which
    --statistic accepts (a finder): every statistic of the package is listed, once."""
    import re

    with pytest.raises(SystemExit):
        main(["infer", "--help"])
    block = capsys.readouterr().out.split("what is computable:")[1].split("Every statistic registered")[0]
    listed = [name for name in re.findall(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+|caar", block) if name in STATISTICS]
    built_in = [name for name, s in STATISTICS.items() if s.compute.__module__.startswith("eventstudy.")]
    assert sorted(listed) == sorted(built_in) and len(set(listed)) == len(listed)
