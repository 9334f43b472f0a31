"""Backtest statistics against hand computations and plain per-sample loops."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from eventstudy.backtest.statistics import (
    annualised_sharpe,
    bhar,
    bootstrap_skewness_adjusted_p,
    buy_and_hold_return,
    drawdown,
    hit_rate,
    lbt_skewness,
    max_drawdown,
    mean_inference,
    skewness_adjusted_t,
)


def test_bhar_compounds_both_legs() -> None:
    # (1.10 x 0.95) - (1.02 x 1.01) = 1.045 - 1.0302 = 0.0148
    assert bhar(np.array([0.10, -0.05]), np.array([0.02, 0.01])) == pytest.approx(0.0148, abs=1e-15)
    assert buy_and_hold_return(np.array([[0.1, 0.1], [0.0, -0.5]])).tolist() == pytest.approx([0.21, -0.5])
    assert np.isnan(bhar(np.array([0.1, np.nan]), np.array([0.0, 0.0])))


def test_skewness_adjusted_t_known_answer() -> None:
    """x = 1, 2, 3, 10 by hand.

    n = 4, mean = 4, deviations -3, -2, -1, 6: Σd² = 50, s² = 50/3, Σd³ = -27 - 8 - 1 + 216 = 180.
    γ̂ = 180 / (4 s³) = 45 / (50/3)^1.5 = 0.661362...; S = 4 / sqrt(50/3) = 0.979796, S² = 48/50.
    t_sa = √4 (S + γ̂·0.96/3 + γ̂/24) = 2 (0.979796 + 0.211636 + 0.027557) = 2.437977.
    The conventional t is √4 · S = 1.959592.
    """
    x = np.array([1.0, 2.0, 3.0, 10.0])
    gamma = 45 / (50 / 3) ** 1.5
    S = 4 / math.sqrt(50 / 3)
    assert lbt_skewness(x) == pytest.approx(gamma, rel=1e-14)
    assert skewness_adjusted_t(x) == pytest.approx(2 * (S + gamma * 0.96 / 3 + gamma / 24), rel=1e-14)
    assert skewness_adjusted_t(x) == pytest.approx(2.4379771, abs=1e-7)
    result = mean_inference(x)
    assert result.t == pytest.approx(2 * S, rel=1e-14)
    assert result.p == pytest.approx(stats.ttest_1samp(x, 0.0).pvalue, rel=1e-12)
    assert result.p_sa == pytest.approx(2 * stats.t.sf(2.4379771409920967, 3), rel=1e-9)
    assert (result.n, result.median, result.share_positive) == (4, 2.5, 1.0)


def plain_t_sa(sample: list[float]) -> float:
    """Lyon, Barber & Tsai (1999) written out term by term, one observation at a time."""
    n = len(sample)
    mean = sum(sample) / n
    variance = sum((v - mean) ** 2 for v in sample) / (n - 1)
    sd = math.sqrt(variance)
    gamma = sum((v - mean) ** 3 for v in sample) / (n * sd**3)
    S = mean / sd
    return math.sqrt(n) * (S + gamma * S * S / 3 + gamma / (6 * n))


def test_skewness_adjusted_t_against_a_plain_loop() -> None:
    rng = np.random.default_rng(7)
    for n in (5, 17, 200):
        x = rng.lognormal(0.0, 0.8, n) - 1.2  # right-skewed, mean near zero
        assert skewness_adjusted_t(x) == pytest.approx(plain_t_sa(x.tolist()), rel=1e-12)
        # γ̂ of LBT uses s (n-1) and n: scipy's population skewness times ((n-1)/n)^1.5.
        assert lbt_skewness(x) == pytest.approx(stats.skew(x) * ((n - 1) / n) ** 1.5, rel=1e-12)
    # Positive skewness raises t_sa above t for a positive mean; without skewness they are close.
    x = rng.lognormal(0.0, 1.0, 400) - 1.0
    result = mean_inference(x)
    assert result.skewness > 1 and result.t_sa > result.t > 0


def test_skewness_adjusted_t_is_not_given_where_it_turns_against_the_mean() -> None:
    """Eleven trades losing about 3% and a flat one: t = -10.9 but t_sa was +18.8 with p_sa and the
    bootstrap p 0, a significant gain. Johnson's quadratic decreases in S once 1 + 2γ̂S/3 <= 0;
    there t_sa (and its p's) are NaN and the conventional t stands. Inside, the formula holds."""
    x = np.array([-0.03, -0.031, -0.029, -0.03, -0.028, -0.032, -0.03, -0.03, -0.029, -0.031, -0.03, 0.0])
    S, gamma = x.mean() / x.std(ddof=1), lbt_skewness(x)
    assert gamma * S < -1.5  # beyond the turning point of S + γ̂S²/3
    assert plain_t_sa(x.tolist()) > 18  # what was reported
    result = mean_inference(x)
    assert result.t < -10 and result.p < 1e-6
    assert np.isnan(result.t_sa) and np.isnan(result.p_sa) and np.isnan(result.p_boot)
    # Just inside the increasing branch: the formula, unchanged.
    rng = np.random.default_rng(2)
    for _ in range(200):
        y = rng.lognormal(0.0, 1.0, 12) - rng.uniform(0.5, 3.0)
        S, gamma = y.mean() / y.std(ddof=1), lbt_skewness(y)
        if 1 + 2 * gamma * S / 3 > 0:
            assert skewness_adjusted_t(y) == pytest.approx(plain_t_sa(y.tolist()), rel=1e-12)
        else:
            assert np.isnan(skewness_adjusted_t(y))


def test_bootstrap_p_against_a_plain_loop() -> None:
    """Same draws as the function (default_rng(seed).integers(0, n, (B, n // 4)) into the
    sorted values), one by one."""
    rng = np.random.default_rng(3)
    x = rng.lognormal(0.0, 0.7, 40) - 1.05
    t_sa = skewness_adjusted_t(x)
    draws = np.random.default_rng(11).integers(0, 40, size=(500, 10))
    statistics = []
    for row in draws:
        sample = np.sort(x)[row]
        sd = sample.std(ddof=1)
        S = (sample.mean() - x.mean()) / sd  # centred: the resamples obey the null
        gamma = ((sample - sample.mean()) ** 3).sum() / (10 * sd**3)
        statistics.append(math.sqrt(10) * (S + gamma * S * S / 3 + gamma / 60))
    statistics = np.array(statistics)
    expected = min(1.0, 2 * min(np.mean(statistics <= t_sa), np.mean(statistics >= t_sa)))
    assert bootstrap_skewness_adjusted_p(x, t_sa, draws=500, seed=11) == pytest.approx(expected, abs=0)
    assert bootstrap_skewness_adjusted_p(x, t_sa, draws=500, seed=11) == bootstrap_skewness_adjusted_p(
        x, t_sa, draws=500, seed=11
    )


def test_bootstrap_p_rejects_a_real_mean_and_not_a_zero_one() -> None:
    rng = np.random.default_rng(5)
    noise = rng.normal(0.0, 0.05, 200)
    shifted = noise - noise.mean() + 0.03
    centred = noise - noise.mean()
    assert bootstrap_skewness_adjusted_p(shifted, skewness_adjusted_t(shifted)) < 0.01
    assert bootstrap_skewness_adjusted_p(centred, skewness_adjusted_t(centred)) > 0.5
    assert np.isnan(bootstrap_skewness_adjusted_p(np.array([1.0, 2.0]), 1.0))


def test_degenerate_samples_give_nan_not_errors() -> None:
    assert np.isnan(skewness_adjusted_t(np.array([0.01])))
    assert np.isnan(skewness_adjusted_t(np.array([0.01, 0.01, 0.01])))
    empty = mean_inference(np.array([np.nan]))
    assert empty.n == 0 and np.isnan(empty.mean)


def test_hit_rate_sharpe_and_drawdown() -> None:
    assert hit_rate(np.array([0.01, -0.02, 0.0, 0.03, np.nan])) == 0.5  # zero is not a hit
    # mean 1/150, s² = 7/30000: (mean/s)² = 4/21, times 252 = 48.
    assert annualised_sharpe(np.array([0.01, -0.01, 0.02])) == pytest.approx(math.sqrt(48), rel=1e-12)
    assert annualised_sharpe(np.array([np.nan, 0.01, -0.01, 0.02])) == pytest.approx(math.sqrt(48), rel=1e-12)
    assert np.isnan(annualised_sharpe(np.zeros(5)))
    equity = np.array([1.0, 1.2, 0.9, 1.1, 0.8, 1.3])
    # Peaks 1.2 then 1.3: troughs 0.9/1.2 - 1 = -25%, 0.8/1.2 - 1 = -33.3%.
    assert max_drawdown(equity) == pytest.approx(-1 / 3, rel=1e-14)
    assert drawdown(equity).tolist() == pytest.approx([0, 0, -0.25, 1.1 / 1.2 - 1, -1 / 3, 0])


def test_bootstrap_p_needs_resamples_of_three_values() -> None:
    """n/4 values per resample, never raised to 3: n = 11 has no bootstrap p, n = 12 has one
    (resamples of 3), and n = 5 (the launch's shock group) has none."""
    rng = np.random.default_rng(8)
    for n, defined in ((5, False), (8, False), (11, False), (12, True), (40, True)):
        x = rng.normal(0.01, 0.05, n)
        p = bootstrap_skewness_adjusted_p(x, skewness_adjusted_t(x))
        assert np.isfinite(p) == defined, n
        assert np.isfinite(mean_inference(x).p_boot) == defined, n
    # n = 12: the same p as a loop over resamples of exactly 3 values.
    x = rng.normal(0.01, 0.05, 12)
    t_sa = skewness_adjusted_t(x)
    draws = np.random.default_rng(0).integers(0, 12, size=(1000, 3))
    stats_b = []
    for row in draws:
        sample = np.sort(x)[row]
        sd = sample.std(ddof=1)
        if sd <= 1e-12 * np.abs(sample).max():  # zero to rounding: dropped
            continue
        S = (sample.mean() - x.mean()) / sd
        gamma = ((sample - sample.mean()) ** 3).sum() / (3 * sd**3)
        stats_b.append(math.sqrt(3) * (S + gamma * S * S / 3 + gamma / 18))
    stats_b = np.array(stats_b)
    expected = min(1.0, 2 * min(np.mean(stats_b <= t_sa), np.mean(stats_b >= t_sa)))
    assert bootstrap_skewness_adjusted_p(x, t_sa) == pytest.approx(expected, abs=0)
