"""GARCH variance models: arch as the oracle, the recursion in closed form, known parameters
recovered from simulated data, the GARCH-standardised tests, and a whole study with variance =
"garch"."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from arch import arch_model
from threadpoolctl import threadpool_info, threadpool_limits

from eventstudy.config import StudyConfig
from eventstudy.inference import STATISTICS, EventPanel, run_battery
from eventstudy.inference.garch import garch_bmp_t, garch_patell_z, garch_standardized_car
from eventstudy.models.garch import MIN_GARCH_OBS, constant_variance_loglik, fit_conditional_variance

ROOT = Path(__file__).resolve().parents[1]


def simulate_garch(rng: np.random.Generator, n: int, omega: float, alpha: float, beta: float) -> np.ndarray:
    """GARCH(1,1) disturbances in decimal units (h_0 the unconditional variance)."""
    e = np.empty(n)
    h = omega / (1 - alpha - beta)
    for t in range(n):
        if t:
            h = omega + alpha * e[t - 1] ** 2 + beta * h
        e[t] = np.sqrt(h) * rng.standard_normal()
    return e


def test_matches_arch_and_filters_later_days_with_the_recursion() -> None:
    """The fit is arch's on the estimation residuals (in percent); every later day's variance is
    omega + alpha e_{t-1}^2 + beta h_{t-1} with the fitted parameters: the event-day variance
    uses the residuals up to the day before only."""
    rng = np.random.default_rng(1)
    e = simulate_garch(rng, 300, 2e-6, 0.08, 0.9)
    fits = fit_conditional_variance(e[None, :], 250, "garch")
    assert fits.fitted[0]
    model = arch_model(e * 100, mean="Zero", vol="GARCH", p=1, q=1, rescale=False)
    oracle = model.fit(last_obs=250, disp="off")
    omega, alpha, beta = (oracle.params[k] for k in ("omega", "alpha[1]", "beta[1]"))
    ours = [fits.params["omega"][0], fits.params["alpha"][0], fits.params["beta"][0]]
    np.testing.assert_allclose(ours, [omega, alpha, beta], rtol=1e-6)
    in_sample = np.asarray(oracle.conditional_volatility)[:250]
    np.testing.assert_allclose(fits.variance[0, :250], in_sample**2 / 1e4, rtol=1e-6)
    h = fits.variance[0]
    x = e * 100
    for t in range(250, 300):
        recursion = (omega + alpha * x[t - 1] ** 2 + beta * h[t - 1] * 1e4) / 1e4
        assert h[t] == pytest.approx(recursion, rel=1e-6)
    changed = e.copy()
    changed[280] *= 10  # a large shock on day 280 changes days 281.. only
    again = fit_conditional_variance(changed[None, :], 250, "garch").variance[0]
    np.testing.assert_allclose(again[:281], h[:281], rtol=1e-12)
    assert again[281] > 5 * h[281]
    assert fits.persistence[0] == pytest.approx(alpha + beta)


def test_recovers_known_parameters_from_a_long_simulation() -> None:
    rng = np.random.default_rng(2)
    e = simulate_garch(rng, 4000, 4e-6, 0.10, 0.85)
    fits = fit_conditional_variance(e[None, :], 4000, "garch")
    assert fits.params["alpha"][0] == pytest.approx(0.10, abs=0.03)
    assert fits.params["beta"][0] == pytest.approx(0.85, abs=0.04)
    assert fits.params["omega"][0] / 1e4 == pytest.approx(4e-6, rel=0.5)


@pytest.mark.parametrize("kind", ["gjr", "egarch"])
def test_other_models_match_arch(kind: str) -> None:
    """arch fitted alike (one BLAS thread, as ours) on a 1,000-day series, long enough that the
    likelihood has one maximum: arch ends at the same log-likelihood from four starting points."""
    rng = np.random.default_rng(3)
    e = simulate_garch(rng, 1000, 2e-6, 0.06, 0.92)
    fits = fit_conditional_variance(e[None, :], 980, kind)
    vol = "GARCH" if kind == "gjr" else "EGARCH"
    model = arch_model(e * 100, mean="Zero", vol=vol, p=1, o=1, q=1, rescale=False)
    with threadpool_limits(limits=1, user_api="blas"):
        oracle = model.fit(last_obs=980, disp="off", options={"maxiter": 1000})
    assert fits.fitted[0]
    assert fits.params["gamma"][0] == pytest.approx(oracle.params["gamma[1]"], rel=1e-4, abs=1e-6)
    fixed = model.fix(oracle.params)
    np.testing.assert_allclose(fits.variance[0], fixed.conditional_volatility**2 / 1e4, rtol=1e-4)


def _short_windows(seed: int = 11) -> np.ndarray:
    """40 GARCH(1,1) and 20 white-noise series of 280 days: EGARCH's likelihood over their first
    260 days has several maxima."""
    rng = np.random.default_rng(seed)
    garch = [simulate_garch(rng, 280, 2e-6, 0.06, 0.92) for _ in range(40)]
    return np.vstack(garch + [rng.standard_normal(280) * 0.02 for _ in range(20)])


@pytest.mark.parametrize("kind", ["garch", "gjr", "egarch"])
def test_every_fit_reaches_the_constant_variance_likelihood(kind: str) -> None:
    """Each model nests the constant variance, so a maximum of its likelihood is at least the
    constant variance's. arch's SLSQP reports convergence for some EGARCH fits of 260 days far
    below it (-2e3, -1e8 against -340); those pairs are noted, not fitted. The log-likelihood
    is recomputed from the conditional variances the fit returns."""
    residuals = _short_windows()
    fits = fit_conditional_variance(residuals, 260, kind)
    assert fits.fitted.sum() >= 50
    for i in np.flatnonzero(fits.fitted):
        x = residuals[i, :260] * 100
        h = fits.variance[i, :260] * 1e4
        loglik = -0.5 * np.sum(np.log(2 * np.pi * h) + x * x / h)
        floor = constant_variance_loglik(x)
        assert loglik >= floor - 1e-6 * abs(floor), (i, loglik, floor)
    stopped = [n for n in fits.note if "below the constant-variance likelihood" in n]
    assert all("not a maximum" in n for n in stopped)


def test_fits_do_not_depend_on_the_blas_threads_of_the_environment() -> None:
    """Dask's nanny starts each worker with OPENBLAS_NUM_THREADS=1; in memory BLAS has one thread
    per core. arch's EGARCH fits of short windows ended at other local maxima with one thread and
    with two (13 of 80, one variance 300,000 times larger) until the fits ran on one thread."""
    script = (
        "import sys, numpy as np; sys.path.insert(0, sys.argv[1]);"
        "from test_garch import _short_windows;"
        "from eventstudy.models.garch import fit_conditional_variance;"
        "f = fit_conditional_variance(_short_windows(), 260, 'egarch');"
        "np.save(sys.argv[2], f.variance)"
    )
    outputs = []
    with tempfile.TemporaryDirectory() as folder:
        for threads in ("1", "2"):
            path = os.path.join(folder, f"{threads}.npy")
            env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
            subprocess.run(
                [sys.executable, "-c", script, os.path.dirname(__file__), path], env=env, check=True
            )
            outputs.append(np.load(path))
    assert np.isfinite(outputs[0]).any()
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_a_blas_limit_held_by_another_thread_is_warned_about() -> None:
    """threadpoolctl lets one thread at a time set OpenBLAS's process-wide thread count and
    silently ignores the others: while a thread outside eventstudy holds a limit of two, the
    fits cannot run on one thread, and say so instead of fitting quietly on two."""
    blas = [info for info in threadpool_info() if info.get("user_api") == "blas"]
    if not blas or any(info.get("threading_layer") == "openmp" for info in blas):
        pytest.skip("per-thread (OpenMP) BLAS limits: another thread's limit does not block ours")
    if min(info["num_threads"] for info in blas) < 2:
        pytest.skip("one CPU: BLAS runs on one thread whatever the limits")
    e = simulate_garch(np.random.default_rng(1), 300, 2e-6, 0.08, 0.9)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with threadpool_limits(limits=2, user_api="blas"):
            holding.set()
            release.wait()

    other = threading.Thread(target=hold)
    other.start()
    holding.wait()
    try:
        with pytest.warns(RuntimeWarning, match="could not be limited to one thread"):
            fit_conditional_variance(e[None, :], 250, "garch")
    finally:
        release.set()
        other.join()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the other thread gone: no warning
        assert fit_conditional_variance(e[None, :], 250, "garch").fitted[0]


def test_missing_days_are_skipped_and_short_or_excluded_pairs_are_not_fitted() -> None:
    rng = np.random.default_rng(4)
    e = simulate_garch(rng, 300, 2e-6, 0.08, 0.9)
    gaps = e.copy()
    gaps[[10, 100, 270]] = np.nan
    short = np.full(300, np.nan)
    short[:MIN_GARCH_OBS - 1] = e[: MIN_GARCH_OBS - 1]
    short[260:] = e[260:]
    rows = np.array([1, 1, 0], bool)
    fits = fit_conditional_variance(np.vstack([gaps, short, e]), 250, "garch", fit_rows=rows)
    assert fits.fitted.tolist() == [True, False, False]
    assert np.isnan(fits.variance[0, [10, 100, 270]]).all() and np.isfinite(fits.variance[0, 271])
    compressed = fit_conditional_variance(gaps[np.isfinite(gaps)][None, :], 248, "garch").variance[0]
    np.testing.assert_allclose(fits.variance[0, np.isfinite(gaps)], compressed, rtol=1e-12)
    assert "needs 100" in fits.note[1] and "not estimated" in fits.note[2]
    assert np.isnan(fits.params["beta"][1:]).all()
    with pytest.raises(ValueError, match="variance model"):
        fit_conditional_variance(e[None, :], 250, "figarch")


def test_garch_statistics_in_closed_form() -> None:
    car = np.array([0.02, -0.01, 0.03, np.nan])
    h = np.array([[1e-4, 3e-4], [4e-4, 0.0], [2e-4, 2e-4], [1e-4, 1e-4]])
    scar = garch_standardized_car(car, h)
    np.testing.assert_allclose(scar[:3], [1.0, -0.5, 0.03 / np.sqrt(4e-4)], rtol=1e-14)
    z = garch_patell_z(scar)
    assert z.n == 3 and z.value == pytest.approx(scar[:3].sum() / np.sqrt(3))
    t = garch_bmp_t(scar)
    assert t.value == pytest.approx(scar[:3].mean() * np.sqrt(3) / scar[:3].std(ddof=1))
    assert np.isnan(garch_bmp_t(scar[:1]).value)
    assert np.isnan(garch_standardized_car(np.array([0.01]), np.array([[0.0, 0.0]]))[0])


def test_default_battery_leaves_out_garch_rows_without_variances() -> None:
    rng = np.random.default_rng(5)
    n, taus = 20, np.arange(-1, 2)
    base = {
        "ar_estimation": rng.normal(0, 0.02, (n, 120)),
        "ar_event": rng.normal(0, 0.02, (n, 3)),
        "event_tau": taus,
        "estimation_day": np.tile(np.arange(120), (n, 1)),
        "event_day": np.tile(np.arange(130, 133), (n, 1)),
        "sigma": np.full(n, 0.02),
        "n_estimation": np.full(n, 120),
        "n_params": np.ones(n),
        "xtx_inv": np.full((n, 1, 1), 1 / 120),
        "x_event": np.ones((n, 3, 1)),
        "firm": np.array([f"F{i}" for i in range(n)], dtype=object),
    }
    names = {r.statistic for r in run_battery(EventPanel(**base), -1, 1)}
    assert "garch_bmp_t" not in names and "cluster_firm_t" in names
    variance = np.full((n, 3), 4e-4)
    rows = {r.statistic: r for r in run_battery(EventPanel(**base, conditional_variance=variance), -1, 1)}
    expected = EventPanel(**base).car(-1, 1) / np.sqrt(3 * 4e-4)
    assert rows["garch_patell_z"].value == pytest.approx(expected.sum() / np.sqrt(n))
    assert STATISTICS["garch_bmp_t"].requires == "conditional_variance"


def test_config_refuses_garch_statistics_without_a_variance_model() -> None:
    with pytest.raises(ValueError, match="needs a GARCH variance model"):
        StudyConfig(statistics=("caar", "garch_bmp_t"))
    with pytest.raises(ValueError, match="variance"):
        StudyConfig(variance="figarch")
    assert StudyConfig(variance="gjr", statistics=("garch_bmp_t",)).variance == "gjr"


def test_study_with_garch_variance(tmp_path) -> None:
    from _small_study import make_cache, make_study

    from eventstudy import load_config, run_study

    make_cache(tmp_path / "cache")
    events, config_path = make_study(tmp_path)
    config = dataclasses.replace(load_config(config_path), variance="garch")
    results = run_study(events, tmp_path / "cache", config)
    garch = results.garch
    assert garch is not None and len(garch) == len(results.ar)
    np.testing.assert_allclose(garch["ar"], results.ar["ar"], rtol=0, atol=0)
    fitted = garch["note"] == ""
    assert fitted.any()
    expected = garch.loc[fitted, "ar"] / garch.loc[fitted, "cond_sd"]
    np.testing.assert_allclose(garch.loc[fitted, "sar"], expected)
    stats = results.stats.set_index(["group", "window", "statistic"])
    assert np.isfinite(stats.loc[("all", "[-1,+1]", "garch_bmp_t"), "value"])
    # Written as garch.parquet (documented columns) and read back by load_study.
    from eventstudy import load_study, save_study
    from eventstudy.output.folder import Guard
    from eventstudy.output.schema import GARCH_SCHEMA

    out = save_study(results, tmp_path / "out", guard=Guard(cwd=tmp_path), report=False)
    loaded = load_study(out)
    assert loaded.garch is not None and list(loaded.garch.columns) == list(GARCH_SCHEMA)
    np.testing.assert_array_equal(loaded.garch["cond_sd"].to_numpy(), garch["cond_sd"].to_numpy())
    assert loaded.crosssection is None and loaded.volume is None


def test_an_egarch_variance_that_collapses_in_the_event_window_is_left_out(launch_cache, tmp_path) -> None:
    """AMD's EGARCH fit before 2025-10-13 is degenerate: on one CPU it has alpha = -0.21 and,
    filtered through AMD's own +23% deal day (tau = -5), a conditional s.d. that fell from 2% to
    0.006% by day 0 (SAR of day +2: 1,541); on another (AMD EPYC) SLSQP stops below the
    constant-variance likelihood. Which it is depends on the machine; that it is left out does not."""
    from eventstudy import load_config, run_study

    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
        "b,2025-10-13,pre,AMD,supplier,,g,h\n"
        "b,2025-10-13,pre,NVDA,supplier,,g,h\n"
    )
    config = dataclasses.replace(
        load_config(ROOT / "launch.toml"), peers=(), backtest=None, volume=None, variance="egarch"
    )
    garch = run_study(events, launch_cache, config).garch
    assert garch is not None
    amd, nvda = garch[garch.ticker == "AMD"], garch[garch.ticker == "NVDA"]
    refused = amd["note"].str.startswith("GARCH conditional variance collapsed") | amd["note"].str.startswith(
        "GARCH fit stopped below the constant-variance likelihood"
    )
    assert refused.all()
    assert amd["cond_sd"].isna().all() and amd["alpha"].isna().all()
    assert (nvda["note"] == "").all() and (nvda["alpha"] > 0).all()  # a fit with alpha > 0 is kept
    assert nvda["sar"].abs().max() < 10


def _egarch_path(alpha: float, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Residuals (percent, s.d. 2) of a calm 250-day window, then a shock of 300 and 20 ordinary
    days, and their EGARCH variances at fixed parameters (omega 0.1, alpha, gamma 0, beta 0.9)."""
    x = np.random.default_rng(seed).normal(0.0, 2.0, 271)
    x[250] = 300.0
    model = arch_model(x, mean="Zero", vol="EGARCH", p=1, o=1, q=1, rescale=False)
    return x, np.asarray(model.fix([0.1, alpha, 0.0, 0.9]).conditional_volatility) ** 2


def test_a_collapse_is_measured_against_the_estimation_residuals_mean_square() -> None:
    """The guard does not depend on where an optimiser stopped: a variance path at fixed EGARCH
    parameters with alpha < 0 collapses after a shock far beyond the window's, one with alpha > 0
    does not."""
    from eventstudy.models.garch import COLLAPSE_RATIO, collapsed

    x, h = _egarch_path(alpha=-0.05)
    sigma2 = np.mean(x[:250] ** 2)
    assert h[:251].min() > sigma2 / COLLAPSE_RATIO > h[251:].min()  # in the window: after the shock
    note = collapsed(h, x[:250])
    assert note.startswith("GARCH conditional variance collapsed after the estimation window: below 1/100")
    assert note.endswith(f"(s.d. {np.sqrt(h.min()):.2g} against {np.sqrt(sigma2):.2g})")
    x, h = _egarch_path(alpha=0.05)
    assert h.min() > np.mean(x[:250] ** 2) / COLLAPSE_RATIO and collapsed(h, x[:250]) == ""
    # A variance spiralling down inside the estimation window is refused too; the bound is the
    # mean square's, not the path's own smallest in-sample value.
    h = np.full(271, 4.0)
    h[100] = 4.0 / COLLAPSE_RATIO * 0.99
    assert collapsed(h, np.full(250, 2.0)).startswith("GARCH conditional variance collapsed in the")
    h = np.full(271, 9.0)  # in the window above the mean square 4: the bound stays 4/100
    h[260] = 4.0 / COLLAPSE_RATIO * 1.01  # though below 1/100 of the path's own in-sample minimum
    assert collapsed(h, np.full(250, 2.0)) == ""


@pytest.mark.parametrize("kind", ["garch", "gjr"])
def test_a_fit_at_the_stationarity_bound_is_left_out(kind: str) -> None:
    """Residuals whose s.d. trends from 1% to 4% over the window: SLSQP stops on arch's bound
    alpha (+ gamma/2) + beta = 1 (a referee found 14 such GARCH(1,1) fits among the launch's
    156, ORCL's before Stargate among them, used without a word). Integrated, the variance has
    no unconditional level and grows by omega a day through the gap and the event window,
    shrinking the SCARs; Bollerslev (1986) assumes alpha + beta < 1. A stationary series keeps
    its fit."""
    rng = np.random.default_rng(0)
    trending = rng.standard_normal(260) * np.linspace(0.01, 0.04, 260)
    steady = simulate_garch(np.random.default_rng(1), 260, 0.05, 0.08, 0.85) / 100
    fits = fit_conditional_variance(np.vstack([trending, steady]), 250, kind)
    assert fits.persistence[0] == pytest.approx(1.0, abs=1e-6) and fits.persistence[1] < 0.999
    bound = f"GARCH fit at the stationarity bound (persistence {fits.persistence[0]:.6f}): an integrated"
    assert fits.note[0].startswith(bound)
    assert np.isnan(fits.variance[0]).all() and fits.params["alpha"][0] >= 0  # its parameters are shown
    assert fits.note[1] == "" and np.isfinite(fits.variance[1]).all()
    assert list(fits.fitted) == [False, True]
