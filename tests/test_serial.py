"""Serial correlation of the estimation residuals (``serial_variance_ratio``): statsmodels' acf
as the oracle, Lo & MacKinlay's VR(L) of a simulated AR(1) as the known answer, the statistic
on a panel and on the launch study's abnormal log volume, and the report's caption."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.stattools import acf
from test_inference_simulated import simulate_panel

from eventstudy import load_config, run_study
from eventstudy.data.store import PriceStore
from eventstudy.inference import run_battery
from eventstudy.inference.serial import mean_variance_ratio, residual_autocorrelations, variance_ratio

ROOT = Path(__file__).resolve().parents[1]


def ar1(rng: np.random.Generator, phi: float, shape: tuple[int, int]) -> np.ndarray:
    """Rows of a stationary AR(1) with coefficient ``phi`` and unit innovations."""
    shocks = rng.standard_normal(shape)
    out = np.empty(shape)
    out[:, 0] = shocks[:, 0] / np.sqrt(1 - phi**2)
    for t in range(1, shape[1]):
        out[:, t] = phi * out[:, t - 1] + shocks[:, t]
    return out


def test_autocorrelations_are_statsmodels_acf_with_missing_days() -> None:
    rng = np.random.default_rng(7)
    residuals = ar1(rng, 0.5, (6, 250)) + 3.0  # a mean to take off
    residuals[1, [0, 5, 6, 7, 100, 249]] = np.nan
    residuals[4, ::3] = np.nan
    mine = residual_autocorrelations(residuals, 20)
    for row, series in enumerate(residuals):
        oracle = acf(series, nlags=20, missing="conservative", fft=False)[1:]
        np.testing.assert_allclose(mine[row], oracle, rtol=0, atol=1e-13)


def test_a_row_too_short_or_constant_has_no_autocorrelations_and_lags_past_the_window_are_0() -> None:
    rows = np.array([[1.0, 2.0, np.nan, np.nan], [5.0, 5.0, 5.0, 5.0], [1.0, 3.0, 2.0, 4.0]])
    rho = residual_autocorrelations(rows, 5)
    assert np.isnan(rho[:2]).all()
    oracle = acf(rows[2], nlags=3, fft=False)[1:]
    np.testing.assert_allclose(rho[2, :3], oracle, atol=1e-15)
    assert (rho[2, 3:] == 0).all()  # no two days 4 or 5 apart in a 4-day window
    assert residual_autocorrelations(rows, 0).shape == (3, 0)
    with pytest.raises(ValueError, match="max_lag"):
        residual_autocorrelations(rows, -1)


@pytest.mark.parametrize("phi", [0.0, 0.6, -0.3])
def test_the_variance_ratio_of_an_ar1_is_lo_and_mackinlays(phi: float) -> None:
    """VR(L) = 1 + 2 sum_k (1 - k/L) phi^k for an AR(1); the variance of L-day sums of the
    simulated series over L times a day's agrees too."""
    rng = np.random.default_rng(11)
    series = ar1(rng, phi, (1, 400_000))
    for length in (3, 11):
        theory = 1 + 2 * sum((1 - k / length) * phi**k for k in range(1, length))
        estimate = variance_ratio(residual_autocorrelations(series, length - 1), length)[0]
        sums = series[0, : series.shape[1] // length * length].reshape(-1, length).sum(axis=1)
        empirical = sums.var() / (length * series.var())
        assert estimate == pytest.approx(theory, rel=0.02, abs=0.01)
        assert empirical == pytest.approx(theory, rel=0.03, abs=0.02)
    assert variance_ratio(np.zeros((2, 0)), 1).tolist() == [1.0, 1.0]  # one day: nothing to add
    with pytest.raises(ValueError, match="need 10 lags"):
        variance_ratio(np.zeros((2, 3)), 11)


def test_the_statistic_is_the_mean_ratio_of_the_windows_usable_pairs() -> None:
    """On a simulated panel whose estimation residuals are replaced by AR(1)s (phi 0.7): the row
    is the mean VR(L) of the pairs from statsmodels' acf, its p NaN, its n the usable pairs; a
    pair without an event-window return leaves it."""
    rng = np.random.default_rng(3)
    panel = simulate_panel(rng, n=40, l1=250, taus=tuple(range(-5, 6)))
    residuals = ar1(rng, 0.7, panel.ar_estimation.shape) * 0.01
    event = panel.ar_event.copy()
    event[0, 5] = np.nan  # day 0 of pair 0: out of every window holding day 0
    panel = dataclasses.replace(panel, ar_estimation=residuals, ar_event=event)
    for start, end in ((-1, 1), (-5, 5), (0, 0)):
        (row,) = run_battery(panel, start, end, statistics=["serial_variance_ratio"])
        length = end - start + 1
        weights = 1 - np.arange(1, length) / length
        ratios = [
            1 + 2 * acf(residuals[i], nlags=max(length - 1, 1), fft=False)[1:length] @ weights
            for i in range(1, 40)
        ]
        assert row.value == pytest.approx(np.mean(ratios), rel=1e-12)
        assert np.isnan(row.p) and row.n == 39
    assert row.value == 1.0  # [0,0]
    theory = 1 + 2 * sum((1 - k / 11) * 0.7**k for k in range(1, 11))
    (row,) = run_battery(panel, -5, 5, statistics=["serial_variance_ratio"])
    assert row.value == pytest.approx(theory, rel=0.25)  # 39 pairs of 250 days: a rough check
    assert mean_variance_ratio(np.full((3, 2), np.nan), 3).n == 0


def test_a_panel_without_estimation_residuals_says_it_cannot_compute_the_ratio() -> None:
    panel = simulate_panel(np.random.default_rng(5))
    bare = dataclasses.replace(panel, missing_inputs=frozenset({"estimation"}))
    (row,) = run_battery(bare, -1, 1, statistics=["serial_variance_ratio"])
    assert np.isnan(row.value) and row.n == 0 and "estimation" in row.reference


@pytest.fixture(scope="module")
def launch_volume(launch_cache: Path):
    config = dataclasses.replace(load_config(ROOT / "launch.toml"), volume="log_volume", crosssection=())
    return run_study(ROOT / "events.csv", PriceStore(launch_cache), config, peers=())


def test_the_launch_studys_abnormal_log_volume_is_serially_correlated_its_returns_hardly(
    launch_volume,
) -> None:
    """The finder's measurement: the log-volume residuals' lag-1 autocorrelation is 0.4-0.8, so
    VR(3) is about 2 and VR(11) about 4-5; the returns' ratios stay near 1."""
    volume = launch_volume.volume_stats.set_index(["group", "window", "statistic"])["value"]
    returns = launch_volume.stats.set_index(["group", "window", "statistic"])["value"]
    key = ("all", "[-1,+1]", "serial_variance_ratio")
    assert 1.8 < volume[key] < 2.6 and 0.9 < returns[key] < 1.1
    assert 3.5 < volume[("all", "[-5,+5]", "serial_variance_ratio")] < 6.5
    day0 = ("all", "[0,0]", "serial_variance_ratio")
    assert volume[day0] == returns[day0] == 1


def test_the_report_says_what_the_volume_ratio_does_to_the_tests_assuming_independent_days(
    launch_volume, tmp_path: Path
) -> None:
    from eventstudy import save_study
    from eventstudy.report import build_report, read_exports

    folder = save_study(launch_volume, tmp_path / "out")
    stats = pd.read_parquet(folder / "volume_stats.parquet")
    ratios = stats[stats["statistic"] == "serial_variance_ratio"]
    top = ratios.loc[ratios["value"].idxmax()]
    report = build_report(read_exports(folder))
    (section,) = [s for s in report.sections if s.title == "Abnormal trading volume"]
    caption = section.figures[0].caption
    assert (
        "portfolio_t, patell_z, cluster_date_t, crude_dependence_t, corrado_rank_z take its variance as L "
        "independent days'" in caption
    )
    assert f"is up to {top['value']:.2f} here ({top['window']}, {top['group']})" in caption.replace("\\", "")
    factor = np.sqrt(top["value"])
    assert (
        "those built on each pair's own series (portfolio_t, patell_z, cluster_date_t) are about "
        f"{factor:.1f} times too large in absolute value there, those built on the series of the pairs' "
        "average (crude_dependence_t, corrado_rank_z) are too large by about the square root of that "
        "series' own ratio, which can be larger;" in caption
    )


def test_infer_counts_lags_in_days_across_a_day_no_pair_has() -> None:
    """`infer --estimation` with a day missing for every pair: the estimation panel held only
    the days present, so the days around the hole were taken for neighbours and every lag past
    it was miscounted (VR 2.477 for 2.501 over [-5,+5], a reviewer). The oracle: statsmodels' acf
    of each pair's residuals laid out on every day."""
    from eventstudy import infer

    rng = np.random.default_rng(1)
    days = np.arange(-120, -10)
    residuals = ar1(rng, 0.6, (6, days.size)) * 0.01
    residuals[:, days == -50] = np.nan  # no pair has day -50
    residuals[1, [5, 6, 40]] = np.nan  # one pair's own missing days
    ids = np.repeat([f"P{i}" for i in range(6)], days.size)
    estimation = pd.DataFrame({"id": ids, "tau": np.tile(days, 6), "ar": residuals.ravel()}).dropna()
    taus = np.arange(-5, 6)
    ar = pd.DataFrame(
        {"id": np.repeat([f"P{i}" for i in range(6)], taus.size), "tau": np.tile(taus, 6), "ar": 0.01}
    )
    windows = [(2, 4), (-5, 5)]
    stats = infer(
        ar, units="decimal", windows=windows, estimation=estimation, n_params=2,
        statistics=["serial_variance_ratio"],
    ).stats.set_index("window")["value"]  # fmt: skip
    for start, end in windows:
        length = end - start + 1
        weights = 1 - np.arange(1, length) / length
        oracle = [1 + 2 * acf(row, nlags=length - 1, missing="conservative", fft=False)[1:] @ weights
                  for row in residuals]  # fmt: skip
        label = f"[{start:+d},{end:+d}]".replace("+0", "0")
        assert stats[label] == pytest.approx(np.mean(oracle), rel=1e-12), label


def test_infer_keeps_estimation_days_far_apart_as_given() -> None:
    """Filling every day between taus -100000 and -20 took 1.2 GB and refused 400 pairs as too many
    cells (a reviewer): days far apart are kept as given, as before."""
    from eventstudy import infer

    ids = [f"P{i}" for i in range(400)]
    rng = np.random.default_rng(0)
    estimation = pd.DataFrame(
        {"id": np.repeat(ids, 3), "tau": np.tile([-100_000, -21, -20], 400), "ar": rng.normal(0, 0.01, 1200)}
    )
    ar = pd.DataFrame({"id": np.repeat(ids, 3), "tau": np.tile([-1, 0, 1], 400), "ar": 0.01})
    stats = infer(ar, units="decimal", estimation=estimation, n_params=1, statistics=["caar"]).stats
    assert stats["value"].iloc[0] == pytest.approx(0.03)
