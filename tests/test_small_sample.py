"""Bell & McCaffrey's CR2 covariance and degrees of freedom (eventstudy.crosssection.small_sample):
against the dense formulas, its defining unbiasedness, a closed form, and the size of its t-test
where CRV1's t(G - 1) rejects a true null more than half the time."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import statsmodels.api as sm
from _cr2_dense import dense_cr2

from eventstudy.crosssection.small_sample import cr2_covariance


def _design(seed: int, n: int = 40, clusters: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, clusters, n) * 7 + 3  # any integers
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.exponential(size=n)])
    x *= np.sqrt(rng.uniform(0.2, 5.0, n))[:, None]  # whitened: WLS weights
    y = x @ [1.0, 2.0, -3.0] + rng.normal(size=n) * (1 + np.abs(x[:, 1]))
    return x, y - x @ np.linalg.lstsq(x, y, rcond=None)[0], codes


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_cr2_equals_the_dense_formulas(seed: int) -> None:
    x, resid, codes = _design(seed)
    covariance, df = cr2_covariance(x, resid, codes)
    expected_covariance, expected_df = dense_cr2(x, resid, codes)
    np.testing.assert_allclose(covariance, expected_covariance, rtol=1e-10, atol=0)
    np.testing.assert_allclose(df, expected_df, rtol=1e-10)
    assert (df < 7).all() and (df > 1).all()  # 8 unequal clusters: fewer than G - 1


@pytest.mark.parametrize("outlier", [1e3, 1e4, 3e4])
def test_cr2_degrees_of_freedom_near_a_leverage_of_one(outlier: float) -> None:
    """A row of leverage 1 - 2e-8 (one x far out) made the degrees of freedom a difference of
    numbers 1e16 times larger: 3.13 for 1.08 (a referee). Now they are sums of what each part is."""
    rng = np.random.default_rng(5)
    x = np.column_stack([np.ones(24), rng.normal(size=24), rng.normal(size=24)])
    x[5, 1] = outlier
    codes = np.repeat(np.arange(6), 4)
    y = rng.normal(size=24)
    resid = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    covariance, df = cr2_covariance(x, resid, codes)
    expected_covariance, expected_df = dense_cr2(x, resid, codes)
    np.testing.assert_allclose(df, expected_df, rtol=1e-8)
    np.testing.assert_allclose(np.diag(covariance), np.diag(expected_covariance), rtol=1e-6)
    assert df[1] == pytest.approx(1.0847, abs=3e-4)  # the slope rests on the outlier's cluster


def test_cr2_is_unbiased_under_its_working_model() -> None:
    """E[V] = B when the errors are independent with one variance: V is quadratic in the residuals
    M e, so summing V over the residuals of each unit error e_i gives B Σ X_g'A_g M_gg A_g X_g B = B."""
    x, _, codes = _design(5)
    residual_maker = np.eye(len(x)) - x @ np.linalg.solve(x.T @ x, x.T)
    total = sum(cr2_covariance(x, residual_maker[:, i], codes)[0] for i in range(len(x)))
    np.testing.assert_allclose(total, np.linalg.inv(x.T @ x), rtol=1e-10, atol=1e-14)


def test_cr2_of_the_mean_of_equal_clusters_is_crv1_with_g_minus_1_degrees() -> None:
    codes = np.repeat(np.arange(6), 5)
    y = np.random.default_rng(7).normal(size=30)
    resid = y - y.mean()
    covariance, df = cr2_covariance(np.ones((30, 1)), resid, codes)
    plain = sum(resid[codes == g].sum() ** 2 for g in range(6)) / 30**2
    assert covariance[0, 0] == pytest.approx(plain * 6 / 5, rel=1e-12)
    assert df[0] == pytest.approx(5.0, rel=1e-12)


def test_a_slope_three_clusters_fit_has_one_degree_of_freedom_and_the_right_size() -> None:
    """The launch's slope of the three intraday deals (one size each) in car ~ log(deal) * timing:
    CRV1 with t(9) rejected a true null 58% of the time at 5%; CR2 with its Bell-McCaffrey degree
    of freedom (1) is exact under normal errors."""
    rng = np.random.default_rng(1)
    sizes = np.array([2, 1, 3, 2, 1, 2, 3, 1, 2, 1])
    codes = np.repeat(np.arange(10), sizes)
    later = np.repeat(np.arange(10) >= 3, sizes).astype(float)  # clusters 0-2: the baseline level
    x = np.repeat(rng.normal(size=10), sizes)  # one value a cluster (a deal's size)
    design = np.column_stack([np.ones(len(x)), later, x, x * later])
    samples, crv1, cr2 = 1000, 0, 0
    for _ in range(samples):
        y = rng.normal(size=len(x)) + np.repeat(rng.normal(size=10) * 0.5, sizes)
        fit = sm.OLS(y, design).fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
        crv1 += fit.pvalues[2] < 0.05
        covariance, df = cr2_covariance(design, fit.resid, codes)
        assert df[2] == pytest.approx(1.0, rel=1e-9) and df[3] > 1.0
        cr2 += 2 * scipy.stats.t.sf(abs(fit.params[2]) / np.sqrt(covariance[2, 2]), df[2]) < 0.05
    assert crv1 / samples > 0.4
    assert abs(cr2 / samples - 0.05) < 3 * np.sqrt(0.05 * 0.95 / samples)  # 3 binomial s.e.
