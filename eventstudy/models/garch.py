"""GARCH variance models of the expected-return residuals, through Kevin Sheppard's ``arch``.

The expected-return model (market, factor, ...) gives each pair's residuals :math:`e_{it}`
over the estimation window and its abnormal returns over the event window. The statistics of
:mod:`eventstudy.inference` that standardise by :math:`\\hat\\sigma_i` assume the residual
variance is constant over the estimation and event windows. With ``variance = "garch"``,
``"gjr"`` or ``"egarch"`` a zero-mean GARCH model is fitted to each pair's estimation
residuals by maximum likelihood (normal quasi-likelihood, ``arch.arch_model(mean="Zero")``):

* ``garch``: :math:`h_t = \\omega + \\alpha e_{t-1}^2 + \\beta h_{t-1}` (Bollerslev 1986);
* ``gjr``: :math:`h_t = \\omega + (\\alpha + \\gamma\\,[e_{t-1} < 0]) e_{t-1}^2 + \\beta h_{t-1}`
  (Glosten, Jagannathan & Runkle 1993);
* ``egarch``: :math:`\\ln h_t = \\omega + \\alpha(|z_{t-1}| - \\sqrt{2/\\pi}) + \\gamma z_{t-1} +
  \\beta \\ln h_{t-1}`, :math:`z_t = e_t/\\sqrt{h_t}` (Nelson 1991);

and, with the estimated parameters fixed, filtered through the residuals of every later day up
to the end of the event window (the residuals of the mean model with its estimation-window
coefficients). :math:`h_{i\\tau}` of an event day is the one-step-ahead conditional variance
given the residuals up to the day before, the event-day variance of Savickas (2003); the event
day's own abnormal return does not enter it. Missing days are skipped (the recursion runs over
the observed days). Residuals are scaled to percent for the optimiser and the variances scaled
back. A fit that does not converge, or a pair with fewer than :data:`MIN_GARCH_OBS` estimation
residuals, has no conditional variance and leaves the GARCH statistics (the pair is not
counted) but no other. So does a fit whose log-likelihood is below that of the constant-variance
model it nests (:math:`\\alpha = \\gamma = \\beta = 0`): the optimiser reported convergence at a
point that is not a maximum (seen with EGARCH, down to :math:`-10^8` against :math:`-340`).
So does a fit whose filtered variance collapses far below the estimation residuals' mean square
(:data:`COLLAPSE_RATIO`: an EGARCH fit with :math:`\\alpha < 0`, after an announcement's shock
or within the estimation window).

A GARCH or GJR fit may end on arch's stationarity bound (persistence
:math:`\\alpha + \\gamma/2 + \\beta = 1`, an integrated GARCH: ORCL's fits before three of the
launch's announcements in 2025, e.g. :math:`\\alpha = 0.605`, :math:`\\beta = 0.395` before
Stargate's). It is kept: its one-step-ahead variances, the only ones the statistics use, are
defined (as RiskMetrics' are), though it has no unconditional variance; ``garch.parquet``'s
``persistence`` column shows it.

The days after the event day are filtered with the event window's own abnormal returns: an
event-day shock raises the conditional variance of the window's later days, as it would for
any shock. Under the null this is the model's own prediction; under the alternative it
standardises the later days' abnormal returns by a variance the event itself raised, which
lowers the power of multi-day windows (a one-day window is unaffected). Savickas (2003), whose
event-day dummy absorbs the event's residual, studies the event day.

The fits run with one BLAS thread. arch's optimiser (scipy's SLSQP) calls BLAS, whose rounding
depends on its thread count, and EGARCH's likelihood over a few hundred days has several local
maxima: with the machine's two threads and with one (as on every Dask worker, whose nanny sets
``OPENBLAS_NUM_THREADS=1``), 13 of 80 simulated 260-day EGARCH fits ended at other maxima, one
with a conditional variance 300,000 times larger. With one thread everywhere, a study's fits are
the same in memory and on a cluster, whatever the environment sets. They remain local maxima from
arch's starting values (a grid search): EGARCH parameters of short windows should be read as
such (between thread counts, simulated GARCH and GJR fits moved only within the optimiser's
tolerance, 2e-4 in beta; a fit with alpha at its bound of 0 can stop converging, or move its beta
by 0.01, when its residuals change in the last bit: README). One thread
does not make them the same on another CPU, whose arithmetic differs in the last bits: the launch
study's 153 EGARCH fits with peers left 2 pairs out on one machine and 16 on another (README,
"EGARCH fits depend on the CPU").

This is a two-step estimator (mean by OLS, then the variance model on its residuals): the
GARCH parameters are consistent but not efficient, and the mean model's prediction-error
correction is not applied to :math:`h_{i\\tau}`. The statistics built on it are
``garch_patell_z`` and ``garch_bmp_t`` (:mod:`eventstudy.inference.garch`).

References
----------
Bollerslev, T. (1986). Generalized autoregressive conditional heteroskedasticity. *Journal of
Econometrics*, 31(3), 307-327.
Glosten, L. R., Jagannathan, R., & Runkle, D. E. (1993). On the relation between the expected
value and the volatility of the nominal excess return on stocks. *Journal of Finance*, 48(5),
1779-1801.
Nelson, D. B. (1991). Conditional heteroskedasticity in asset returns: a new approach.
*Econometrica*, 59(2), 347-370.
Savickas, R. (2003). Event-induced volatility and tests for abnormal performance. *Journal of
Financial Research*, 26(2), 165-178.
Sheppard, K. et al. arch: ARCH models in Python (https://github.com/bashtage/arch).
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from eventstudy.models.base import ExpectedReturnModel
    from eventstudy.timeline.returns import ReturnsPanel

GARCH_MODELS: dict[str, dict[str, Any]] = {
    "garch": {"vol": "GARCH", "p": 1, "o": 0, "q": 1},
    "gjr": {"vol": "GARCH", "p": 1, "o": 1, "q": 1},
    "egarch": {"vol": "EGARCH", "p": 1, "o": 1, "q": 1},
}
"""``variance`` name -> ``arch.arch_model`` volatility arguments."""
PARAMETERS: tuple[str, ...] = ("omega", "alpha", "gamma", "beta")
MIN_GARCH_OBS = 100
"""Fewest estimation residuals a pair needs for a GARCH fit."""
SCALE = 100.0
"""Residuals are fitted in percent (arch's optimiser works best with unit-scale data)."""


@dataclass(frozen=True)
class ConditionalVariance:
    """GARCH fits of P pairs and their conditional variances.

    Attributes
    ----------
    kind
        ``garch``, ``gjr`` or ``egarch``.
    variance
        (P, L) conditional variance :math:`h_{it}` of every column of the residual path (decimal
        returns squared), NaN where the pair was not fitted or the day has no residual.
    params
        ``omega``, ``alpha``, ``gamma``, ``beta`` (P,) each (percent units, as ``arch`` reports
        them; ``gamma`` NaN for ``garch``), NaN where not fitted.
    persistence
        (P,) :math:`\\alpha + \\beta` (garch), :math:`\\alpha + \\gamma/2 + \\beta` (gjr),
        :math:`\\beta` (egarch).
    note
        (P,) why a pair has no fit ("" where it has one); a fit at the stationarity bound
        (:data:`STATIONARITY_TOLERANCE`) keeps its ``params`` and ``persistence`` but no
        ``variance``.
    """

    kind: str
    variance: np.ndarray
    params: dict[str, np.ndarray]
    persistence: np.ndarray
    note: np.ndarray

    @property
    def fitted(self) -> np.ndarray:
        """(P,) True where the pair has a converged fit."""
        return self.note == ""


def fit_conditional_variance(
    residuals: np.ndarray, n_estimation: int, kind: str, *, fit_rows: np.ndarray | None = None
) -> ConditionalVariance:
    """Fit ``kind`` to each row's first ``n_estimation`` columns and filter the whole row.

    Parameters
    ----------
    residuals
        (P, L) residuals of the mean model over the estimation window (the first
        ``n_estimation`` columns) and every later day through the event window, NaN = missing.
    n_estimation
        Columns of the estimation window.
    kind
        ``garch``, ``gjr`` or ``egarch`` (:data:`GARCH_MODELS`).
    fit_rows
        (P,) bool, the rows to fit (default all).

    Returns
    -------
    ConditionalVariance
        :math:`h_{it}` for every column (one-step-ahead given the residuals before t).

    Notes
    -----
    Per row: the observed residuals in order, :math:`x = 100 e`; ``arch_model(x, mean="Zero",
    **GARCH_MODELS[kind]).fit(last_obs=m)`` on the m estimation residuals; then
    ``fix(params)`` filters all of x; :math:`h = \\sigma_t^2 / 100^2`. The fit's warnings are
    caught (a non-converged fit is recorded in ``note``, as is one whose log-likelihood is below
    :func:`constant_variance_loglik` of the same residuals). BLAS runs on one thread meanwhile
    (see the module notes). Cost: one numerical optimisation per pair (about 30 ms for 250
    days).
    """
    from threadpoolctl import threadpool_info, threadpool_limits

    with _ONE_THREAD_AT_A_TIME, threadpool_limits(limits=1, user_api="blas"):
        if any(info.get("num_threads") != 1 for info in threadpool_info() if info.get("user_api") == "blas"):
            warnings.warn(
                "BLAS could not be limited to one thread for the GARCH fits (another thread of this "
                "process holds threadpoolctl's control of it): the fits may differ from the same "
                "study run elsewhere (EGARCH: other local maxima)",
                RuntimeWarning,
                stacklevel=2,
            )
        return _fit_rows(residuals, n_estimation, kind, fit_rows)


_ONE_THREAD_AT_A_TIME = threading.Lock()
"""Fits of two threads of a process (a threaded Dask worker) run one after the other: BLAS's
thread count is process-wide, and threadpoolctl lets only one thread at a time set it (another
thread's limit is silently ignored while the first holds it; a thread outside eventstudy that
holds it makes :func:`fit_conditional_variance` warn)."""


def constant_variance_loglik(x: np.ndarray) -> float:
    """Gaussian log-likelihood of zero-mean ``x`` at its maximum with a constant variance.

    Notes
    -----
    :math:`\\ell_0 = -\\tfrac{m}{2}\\left(\\ln(2\\pi\\hat\\sigma^2) + 1\\right)`,
    :math:`\\hat\\sigma^2 = \\tfrac{1}{m}\\sum x_t^2`. GARCH, GJR and EGARCH nest the constant
    variance (:math:`\\alpha = \\gamma = \\beta = 0`), so their maximum likelihood is at least
    :math:`\\ell_0`.
    """
    m = len(x)
    with np.errstate(divide="ignore"):  # an all-zero series: +inf, which no fit reaches
        return float(-0.5 * m * (np.log(2.0 * np.pi * np.mean(x * x)) + 1.0))


COLLAPSE_RATIO = 100.0
"""A fit whose conditional variance, on any day it is filtered through (the estimation window's
or a later one), falls below 1/COLLAPSE_RATIO of the estimation residuals' mean square
:math:`\\hat\\sigma^2` (the constant variance the fit nests: a s.d. 10 times smaller) is refused.

GARCH and GJR (:math:`\\alpha \\ge 0`) decay no lower than :math:`\\omega/(1 - \\beta)`; on the
launch data their smallest variance is 0.09 :math:`\\hat\\sigma^2`. An EGARCH fit with
:math:`\\alpha < 0` lowers the variance after a large :math:`|z|`, which makes the next ordinary
residual a larger :math:`|z|`: a shock far beyond the estimation window's (an announcement's)
can drive it toward 0 within days (the launch's AMD before 2025-10-13, alpha -0.21: its +23%
deal day took the s.d. from 2% to 0.006%, and a standardised AR to 1,541), and a fit can spiral
down inside the estimation window itself (AMD again, on another CPU: alpha -0.26, a s.d. of
0.002% on days of the window, with a likelihood above the constant variance's)."""

def collapsed(variance: np.ndarray, estimation_residuals: np.ndarray) -> str:
    """Why a fit's filtered ``variance`` is refused (:data:`COLLAPSE_RATIO`), or ``""``.

    Parameters
    ----------
    variance
        The conditional variances of every observed day, the estimation window's first.
    estimation_residuals
        The residuals the fit was estimated on (same units as ``variance``'s square root).

    Notes
    -----
    Refused when :math:`\\min_t h_t < \\hat\\sigma^2 / C`, :math:`\\hat\\sigma^2 = \\tfrac{1}{m}
    \\sum_{t \\le m} e_t^2`, :math:`C` = :data:`COLLAPSE_RATIO`.
    """
    floor = float(np.mean(np.square(estimation_residuals))) / COLLAPSE_RATIO
    lowest = int(np.argmin(variance))
    if not variance[lowest] < floor:
        return ""
    where = "in" if lowest < len(estimation_residuals) else "after"
    return (
        f"GARCH conditional variance collapsed {where} the estimation window: below 1/"
        f"{COLLAPSE_RATIO:g} of the estimation residuals' mean square (s.d. "
        f"{np.sqrt(variance[lowest]):.2g} against {np.sqrt(floor * COLLAPSE_RATIO):.2g})"
    )


STATIONARITY_TOLERANCE = 1e-6
"""A fit whose persistence is within this of 1 (or above: SLSQP's constraint tolerance) stopped on
arch's bound alpha (+ gamma/2) + beta <= 1: not a stationary GARCH, and left out."""

LOGLIK_TOLERANCE = 1e-6
"""Relative shortfall below :func:`constant_variance_loglik` taken as rounding, not a failed fit."""


def _fit_rows(
    residuals: np.ndarray, n_estimation: int, kind: str, fit_rows: np.ndarray | None
) -> ConditionalVariance:
    from arch import arch_model

    if kind not in GARCH_MODELS:
        raise ValueError(f"variance model must be one of {', '.join(GARCH_MODELS)}, got {kind!r}")
    residuals = np.asarray(residuals, dtype=float)
    n_pairs = residuals.shape[0]
    variance = np.full(residuals.shape, np.nan)
    params = {name: np.full(n_pairs, np.nan) for name in PARAMETERS}
    note = np.full(n_pairs, "", dtype=object)
    rows = np.ones(n_pairs, dtype=bool) if fit_rows is None else np.asarray(fit_rows, dtype=bool)
    note[~rows] = "pair not estimated by the mean model"
    for i in np.flatnonzero(rows):
        valid = np.isfinite(residuals[i])
        m = int(valid[:n_estimation].sum())
        if m < MIN_GARCH_OBS:
            note[i] = f"too few estimation residuals for a GARCH fit ({m}; it needs {MIN_GARCH_OBS})"
            continue
        x = residuals[i, valid] * SCALE
        model = arch_model(x, mean="Zero", rescale=False, **GARCH_MODELS[kind])
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                fit = model.fit(last_obs=m, disp="off", show_warning=False, options={"maxiter": 1000})
            except (ValueError, np.linalg.LinAlgError, RuntimeError) as exc:
                note[i] = f"GARCH fit failed ({type(exc).__name__})"
                continue
            if fit.convergence_flag != 0:
                note[i] = f"GARCH fit did not converge (optimizer flag {fit.convergence_flag})"
                continue
            floor = constant_variance_loglik(x[:m])
            if fit.loglikelihood < floor - LOGLIK_TOLERANCE * abs(floor):
                note[i] = (
                    f"GARCH fit stopped below the constant-variance likelihood "
                    f"({fit.loglikelihood:.6g} < {floor:.6g}): not a maximum"
                )
                continue
            filtered = model.fix(fit.params).conditional_volatility
        h = np.asarray(filtered, dtype=float) ** 2 / SCALE**2
        if not np.all(np.isfinite(h)) or not np.all(h > 0):
            note[i] = "GARCH conditional variance is not finite and positive"
            continue
        collapse = collapsed(h, x[:m] / SCALE)
        if collapse:
            note[i] = collapse
            continue
        variance[i, valid] = h
        values = dict(zip(fit.params.index, fit.params.to_numpy(float), strict=True))
        params["omega"][i] = values["omega"]
        params["alpha"][i] = values["alpha[1]"]
        params["gamma"][i] = values.get("gamma[1]", np.nan)
        params["beta"][i] = values["beta[1]"]
    alpha, gamma, beta = params["alpha"], params["gamma"], params["beta"]
    if kind == "garch":
        persistence = alpha + beta
    elif kind == "gjr":
        persistence = alpha + gamma / 2.0 + beta
    else:
        persistence = beta.copy()
    integrated = (note == "") & (persistence >= 1.0 - STATIONARITY_TOLERANCE)
    for i in np.flatnonzero(integrated):
        note[i] = (
            f"GARCH fit at the stationarity bound (persistence {persistence[i]:.6f}): an integrated "
            "variance, with no unconditional level, growing through the event window (Bollerslev 1986 "
            "assumes persistence < 1)"
        )
    variance[integrated] = np.nan  # its parameters stay, to show why
    return ConditionalVariance(kind, variance, params, persistence, note)


def residual_paths(
    panel: ReturnsPanel,
    model: ExpectedReturnModel,
    coef: np.ndarray,
    tickers: np.ndarray,
    day0: np.ndarray,
    taus: np.ndarray,
    benchmarks: np.ndarray | None = None,
) -> np.ndarray:
    """(P, L) residuals :math:`R_{it} - o_t - x_t'\\hat b_i` of each pair on the relative days
    ``taus`` (day 0 at calendar position ``day0[p]``, -1 for none), NaN where missing.

    The mean model's design on the panel's calendar, evaluated with each pair's
    estimation-window coefficients ``coef``: on the estimation days these are the fit's
    residuals, on later days its abnormal returns. ``benchmarks`` ((P,) each pair's market
    benchmark, :func:`eventstudy.estimate.pair_benchmarks`; None: the model's own for every
    pair) gives each pair the design of its own benchmark, as its fit had.
    """
    from eventstudy.models import base

    n_days = len(panel.calendar)
    columns = np.array([panel.column(t) for t in tickers.tolist()], dtype=np.intp)
    days = day0[:, None] + np.asarray(taus)[None, :]
    inside = (day0[:, None] >= 0) & (days >= 0) & (days < n_days)
    days = np.where(inside, days, 0)
    returns = panel.returns[days, columns[:, None]]
    if benchmarks is None:
        models, code = [model], np.zeros(len(tickers), dtype=np.intp)
    else:
        models, code = model.by_benchmark(benchmarks)
    expected = np.empty(days.shape)
    for i, own in enumerate(models):
        design = base.checked_design(own, panel)
        rows = np.flatnonzero(code == i)
        mine = days[rows]
        expected[rows] = design.offset[mine] + np.einsum("plk,pk->pl", design.regressors[mine], coef[rows])
    return np.where(inside, returns - expected, np.nan)
