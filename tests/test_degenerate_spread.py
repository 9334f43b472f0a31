"""A sample of one value seen several times has no spread, so no test divides by it.

Three equal CARs of 0.058104107849547074 have a computed standard deviation of 8.5e-18, not 0,
and the cross-sectional t came out as 1.2e16 with p = 7e-33; the report then called the group
significant. Whether a group of equal CARs got NaN or 1e16 depended on the rounding of its
value (0.11151722245087387 gives exactly 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _studies import run_rows

from eventstudy.backtest.statistics import annualised_sharpe, mean_inference
from eventstudy.inference.bootstrap import bootstrap_t_test
from eventstudy.inference.cluster import cluster_robust_mean
from eventstudy.inference.garch import garch_bmp_t
from eventstudy.inference.parametric import (
    bmp_t,
    cross_sectional_t,
    crude_dependence_t,
    kp_adjusted_patell_z,
    lamb_z,
    patell_z,
)
from eventstudy.inference.result import SPREAD_TOLERANCE, spread
from eventstudy.inference.volatility import volatility_t

NOISY = 0.058104107849547074  # its three copies have a computed SD of 8.5e-18


def test_equal_values_have_no_spread_and_distinct_ones_keep_theirs() -> None:
    same = np.full(3, NOISY)
    assert same.std(ddof=1) > 0 and spread(same) == 0.0
    close = NOISY + np.array([0.0, 1e-9, -1e-9])  # a real spread, however small, is kept
    assert spread(close) == pytest.approx(close.std(ddof=1), rel=1e-12)
    assert spread(close) > SPREAD_TOLERANCE * NOISY
    assert np.isnan(spread(np.array([NOISY])))


@pytest.mark.parametrize("n", [2, 3, 7])
def test_no_test_divides_by_the_rounding_noise_of_equal_values(n: int) -> None:
    same = np.full(n, NOISY)
    assert np.isnan(cross_sectional_t(same).value)
    assert np.isnan(bmp_t(same).value) and np.isnan(garch_bmp_t(same).value)
    assert np.isnan(bootstrap_t_test(same, draws=19).value)
    assert np.isnan(volatility_t(1.0 + same).value)
    firms = np.arange(n)
    assert np.isnan(cluster_robust_mean(same, firms).t)
    inference = mean_inference(same, draws=50)
    assert np.isnan(inference.t) and np.isnan(inference.t_sa) and inference.mean == pytest.approx(NOISY)
    assert np.isnan(annualised_sharpe(same))
    # the same tests of distinct values are numbers
    rng = np.random.default_rng(n)
    other = NOISY + rng.normal(0, 0.01, n)
    assert np.isfinite(cross_sectional_t(other).value) and np.isfinite(bmp_t(other).value)


@pytest.mark.parametrize("n", [2, 3, 120])
def test_crude_dependence_tests_need_an_estimation_aar_that_varies(n: int) -> None:
    """The estimation-window AAR 0.001 on every day (two pairs whose residuals sum to 0.002):
    S_AAR is 0 and computed as 2e-19, and crude_dependence_t and lamb_z were 2.5e17, p = 0."""
    flat = np.full(n, 0.001)
    assert flat.std(ddof=1) > 0 or n < 120  # 120 copies leave rounding noise (fewer, exactly 0)
    cars, ar = np.array([0.05, 0.06]), np.array([[0.05], [0.06]])
    assert np.isnan(crude_dependence_t(cars, flat, 1).value)
    assert np.isnan(lamb_z(ar, flat, np.ones(1)).value) and np.isnan(lamb_z(ar, flat, np.ones(1)).p)
    rng = np.random.default_rng(n)
    varying = flat + rng.normal(0, 1e-9, n)  # a real spread, however small, is kept
    expected = cars.mean() / varying.std(ddof=1)
    assert crude_dependence_t(cars, varying, 1).value == pytest.approx(expected, rel=1e-12)
    assert lamb_z(ar, varying, np.ones(1)).value == pytest.approx(expected, rel=1e-12)


def test_kp_patell_of_one_pair_is_its_patell_z() -> None:
    """With N = 1 there is no correlation to adjust for: 1 + (N - 1) r̄ = 1 whatever r̄ (NaN)."""
    scar, dof = np.array([1.3]), np.array([248.0])
    assert kp_adjusted_patell_z(scar, dof, float("nan")).value == patell_z(scar, dof).value


def test_a_party_named_in_three_announcements_of_one_day_is_not_significant(
    launch_cache: Path, tmp_path: Path
) -> None:
    """ORCL as a partner of three events on 2025-01-21: three identical CARs, one firm's move."""
    rows = [f"t{i},2025-01-21,intraday,ORCL,partner,,triple,x" for i in range(3)]
    results = run_rows(launch_cache, tmp_path, rows)
    stats = results.stats[results.stats["group"] == "triple"].set_index(["window", "statistic"])
    cars = results.car[results.car["window"] == "[0,0]"]["car"]
    assert cars.nunique() == 1 and cars.iloc[0] == pytest.approx(NOISY, abs=1e-15)
    for window in ("[0,0]", "[-1,+1]"):
        for name in ("cross_sectional_t", "bmp_t", "kp_adjusted_bmp_t", "bootstrap_t", "cluster_firm_t"):
            assert np.isnan(stats.loc[(window, name), "value"]), (window, name)


def test_clusters_whose_residuals_cancel_have_no_t() -> None:
    """Each firm holds v and -v: every cluster's residual sum is 0, the CRV1 variance is 0 and
    the mean 0, both to rounding; the t was noise over noise (here -3.65)."""
    rng = np.random.default_rng(2)
    v = rng.normal(0, 0.02, 6)
    y = np.concatenate([v, -v])
    firms = np.concatenate([np.arange(6), np.arange(6)])
    assert np.isnan(cluster_robust_mean(y, firms).t)
    assert np.isfinite(cluster_robust_mean(y + rng.normal(0, 0.01, 12), firms).t)


def test_equal_paths_have_no_classic_band() -> None:
    from eventstudy.inference.bands import classic_band

    band = classic_band(np.full((3, 4), NOISY))
    assert np.isnan(band.lower).all() and np.isnan(band.upper).all() and band.centre == pytest.approx(NOISY)
