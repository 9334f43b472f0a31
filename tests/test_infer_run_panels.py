"""``infer`` on what a run writes, and on panels with a gap in τ (found by an independent
re-derivation: a τ missing for every pair shrank the window without a word, and a run's
``ar.parquet`` carried the abnormal returns of pairs the run leaves out of every statistic)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _studies import run_rows

from eventstudy import infer


def stat(stats: pd.DataFrame, group: str, window: str, name: str) -> pd.Series:
    return stats[(stats.group == group) & (stats.window == window) & (stats.statistic == name)].iloc[0]


def test_a_tau_no_pair_has_is_a_missing_day_not_a_shorter_window() -> None:
    rng = np.random.default_rng(7)
    rows = [
        {"id": f"P{i}", "tau": tau, "ar": rng.normal(0, 1)} for i in range(6) for tau in (-2, -1, 1, 2)
    ]
    panel = pd.DataFrame(rows)
    stats = infer(panel, units="percent", windows=[(-1, 1), (1, 2)], statistics=["caar"]).stats
    across = stat(stats, "all", "[-1,+1]", "caar")
    assert across["n"] == 0 and np.isnan(across["value"])  # day 0 is missing for every pair
    after = stat(stats, "all", "[+1,+2]", "caar")
    expected = panel[panel.tau > 0].groupby("id")["ar"].sum().mean() / 100
    assert after["n"] == 6 and after["value"] == pytest.approx(expected, rel=1e-12)


def test_infer_on_a_runs_ar_table_gives_the_runs_statistics(launch_cache, tmp_path) -> None:
    """SPY listed as a party is the market proxy (outcome market_proxy): the run leaves it out of
    every statistic, and its ar.parquet rows are blank, so infer on the parties' rows gives the
    run's CAAR of 'all'."""
    rows = [
        "oracle,2025-09-09,post,ORCL,partner,300e9,g,x",
        "oracle,2025-09-09,post,SPY,partner,300e9,g,x",
        "amd,2025-10-06,pre,AMD,supplier,,g,y",
    ]
    results = run_rows(launch_cache, tmp_path, rows, peers=("NVDA",))
    ar = results.ar
    proxy = ar[ar.ticker == "SPY"]
    assert proxy["ar"].isna().all() and proxy["car"].isna().all() and proxy["ret"].notna().all()
    parties = ar[ar.role != "peer"]
    got = infer(parties, units="decimal", windows=[(0, 0), (-1, 1)], statistics=["caar"]).stats
    for window in ("[0,0]", "[-1,+1]"):
        run, inferred = stat(results.stats, "all", window, "caar"), stat(got, "all", window, "caar")
        assert inferred["n"] == run["n"] == 2
        assert inferred["value"] == pytest.approx(run["value"], rel=1e-12)



def test_estimation_residuals_without_dates_keep_the_date_clusters_of_a_dated_panel() -> None:
    """More input once took results away: an estimation panel without dates made the date- and
    two-way-clustered t's "not computable", though they need the event days' dates only (found by
    an independent re-derivation). Kolari-Pynnönen's r-bar needs both panels' dates."""
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2024-03-01", periods=12)
    ar = pd.DataFrame(
        [
            {"id": f"P{i}", "tau": tau, "ar": rng.normal(0, 1), "date": days[(i % 6) * 2 + tau]}
            for i in range(12)
            for tau in (0, 1)
        ]
    )
    estimation = pd.DataFrame(
        [{"id": f"P{i}", "tau": tau, "ar": rng.normal(0, 1)} for i in range(12) for tau in range(-30, -5)]
    )
    names = ["cluster_date_t", "cluster_two_way_t", "kp_adjusted_bmp_t"]
    alone = infer(ar, units="percent", windows=[(0, 1)], statistics=names).stats
    given = {"estimation": estimation, "n_params": 0, "statistics": names}
    both = infer(ar, units="percent", windows=[(0, 1)], **given).stats
    for name in ("cluster_date_t", "cluster_two_way_t"):
        got, without = stat(both, "all", "[0,+1]", name), stat(alone, "all", "[0,+1]", name)
        assert got["n"] == 12 and np.isfinite(got["value"]) and got["value"] == without["value"]
    kp = stat(both, "all", "[0,+1]", "kp_adjusted_bmp_t")
    assert kp["n"] == 0 and "calendar dates of the estimation and event days" in kp["reference"]


def test_a_runs_ar_table_with_days_past_the_data_is_read(launch_cache, tmp_path) -> None:
    """An event on 2025-12-29 (the data end on 2025-12-31): the run's ar.parquet has its window's
    days past the data with no date and no abnormal return, and infer refused the file ("row 21,
    field 'date': '' is not a date"). Read, those days are missing: the [-5,+5] window of that
    pair is incomplete, left out as in the run, and infer gives the run's statistics."""
    from eventstudy import save_study

    rows = ["early,2025-06-02,pre,NVDA,partner,,g,x", "late,2025-12-29,pre,AMD,partner,,g,x"]
    rows.append("mid,2025-09-10,pre,ORCL,partner,,g,x")
    results = run_rows(launch_cache, tmp_path, rows, event_windows=((0, 0), (-5, 5)))
    folder = save_study(results, tmp_path / "out")
    written = pd.read_parquet(folder / "ar.parquet")
    past = written[written["date"].isna()]
    assert len(past) == 3 and set(past["event_id"]) == {"late"} and past["ar"].isna().all()
    windows = [(0, 0), (-5, 5)]
    for given in (folder / "ar.parquet", written):
        got = infer(given, units="decimal", windows=windows, statistics=["caar", "cluster_date_t"]).stats
        for window, n in (("[0,0]", 3), ("[-5,+5]", 2)):
            for name in ("caar", "cluster_date_t"):
                run, inferred = stat(results.stats, "all", window, name), stat(got, "all", window, name)
                assert inferred["n"] == run["n"] == n
                assert inferred["value"] == pytest.approx(run["value"], rel=1e-12)


def test_a_day_without_a_value_or_a_date_changes_no_statistic_in_either_panel() -> None:
    """A residual row with neither a date nor a value (as a window's day past the data has in the
    abnormal returns) made the estimation panel undated: Kolari-Pynnönen's r̄ and its tests became
    "not computable" (re-attack of the fix reading such rows). In either panel it is a missing day."""
    rng = np.random.default_rng(1)
    days = pd.bdate_range("2024-01-01", periods=400)
    ar_rows, est_rows = [], []
    for i, day0 in enumerate([150, 200, 260, 300, 330]):
        def row(tau: int, firm: str = f"F{i}", day0: int = day0) -> dict[str, object]:
            return {"id": firm, "tau": tau, "date": days[day0 + tau], "ar": rng.normal(0, 0.02)}

        ar_rows += [row(t) for t in (-1, 0, 1)]
        est_rows += [row(t) for t in range(-120, -10)]
    ar, est = pd.DataFrame(ar_rows), pd.DataFrame(est_rows)
    names = ["kp_adjusted_patell_z", "kp_average_correlation", "cluster_date_t", "patell_z"]
    options = {"units": "decimal", "n_params": 2, "statistics": names, "windows": [(-1, 1)]}
    plain = infer(ar, estimation=est, **options).stats
    blank = {"id": "F0", "date": pd.NaT, "ar": np.nan}
    with_blank_residual = pd.concat([est, pd.DataFrame([{**blank, "tau": -5}])], ignore_index=True)
    with_blank_day = pd.concat([ar, pd.DataFrame([{**blank, "tau": 2}])], ignore_index=True)
    assert not plain["reference"].str.startswith("not computable").any()
    for stats in (
        infer(ar, estimation=with_blank_residual, **options).stats,
        infer(with_blank_day, estimation=est, **options).stats,
    ):
        pd.testing.assert_frame_equal(stats[["statistic", "n"]], plain[["statistic", "n"]])
        np.testing.assert_allclose(stats["value"], plain["value"], rtol=1e-12)
