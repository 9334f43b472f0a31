"""The whole battery of cross-event statistics for one window of an :class:`EventPanel`.

:func:`run_battery` computes, for the window :math:`[\\tau_1, \\tau_2]`, every statistic of
:mod:`~eventstudy.inference.parametric`, :mod:`~eventstudy.inference.nonparametric`,
:mod:`~eventstudy.inference.bootstrap` and :mod:`~eventstudy.inference.dollar` with their
textbook conventions. A one-day window gives the daily statistics (:func:`run_daily_battery`).

A pair enters the window's statistics when its CAR is complete (no missing day in the window),
its :math:`\\hat\\sigma_i > 0` and :math:`M_i - k_i > 0`; ``n`` counts those pairs. A firm with two
events is two pairs; their correlation (and every other pair's) is measured in calendar time
for the Kolari-Pynnönen adjustment. The whole battery costs O(N·L·log L + B·N) for N pairs,
L = L1 + L2 days and B bootstrap draws; no N×N object is built.
"""

from __future__ import annotations

import numpy as np

from .bootstrap import CaarBand, bootstrap_caar_band, bootstrap_t_test
from .correlation import average_cross_correlation
from .dollar import dollar_abnormal_value_test
from .nonparametric import (
    corrado_rank_test,
    corrado_zivney_sign_test,
    generalized_sign_test,
    grank_test,
    sign_test,
    wilcoxon_signed_rank_test,
)
from .panel import EventPanel, _nanmean
from .parametric import (
    EventTStatistics,
    bmp_t,
    cross_sectional_t,
    crude_dependence_t,
    event_t,
    kp_adjusted_bmp_t,
    kp_adjusted_patell_z,
    lamb_z,
    patell_z,
    portfolio_t,
)
from .result import Alternative, TestResult, check_alternative

REF_CAAR = "Campbell, Lo & MacKinlay (1997); p of the cross-sectional t"
REF_RBAR = "Kolari & Pynnönen (2010); calendar-time average residual correlation (descriptive)"

STATISTICS: tuple[str, ...] = (
    "caar",
    "cross_sectional_t",
    "portfolio_t",
    "crude_dependence_t",
    "lamb_z",
    "patell_z",
    "kp_adjusted_patell_z",
    "bmp_t",
    "kp_adjusted_bmp_t",
    "kp_average_correlation",
    "sign_z",
    "generalized_sign_z",
    "corrado_rank_z",
    "corrado_zivney_sign_z",
    "grank_t",
    "wilcoxon_w",
    "bootstrap_t",
    "dollar_abnormal_value",
    "dollar_z",
)
"""Names of the rows of :func:`run_battery`, in order."""


def usable_pairs(panel: EventPanel, tau_start: int, tau_end: int) -> np.ndarray:
    """(N,) bool: complete CAR over the window, :math:`\\hat\\sigma_i > 0` and :math:`M_i > k_i`."""
    car = panel.car(tau_start, tau_end)
    sigma = panel.sigma
    with np.errstate(invalid="ignore"):
        return np.isfinite(car) & np.isfinite(sigma) & (sigma > 0) & (panel.dof > 0)


def run_battery(
    panel: EventPanel,
    tau_start: int,
    tau_end: int,
    *,
    alternative: Alternative = "two-sided",
    bootstrap_draws: int = 999,
    seed: int | None = 0,
) -> list[TestResult]:
    """Every cross-event statistic for the window ``[tau_start, tau_end]``.

    Rows (``TestResult.statistic``, in :data:`STATISTICS` order):

    * ``caar``: :math:`N^{-1}\\sum_i CAR_i` (descriptive; p of the cross-sectional t);
    * ``cross_sectional_t``; ``portfolio_t`` (CLM :math:`J_1` with the exact CAR variance);
      ``crude_dependence_t`` (Brown & Warner); ``lamb_z`` with :math:`c_\\tau` the mean over
      pairs of :math:`C_{i\\tau}`;
    * ``patell_z``, ``bmp_t`` on the exact-variance SCARs, and their Kolari-Pynnönen (2010)
      adjustments with :math:`\\bar r` of the estimation residuals aligned by calendar day
      (``kp_average_correlation`` reports :math:`\\bar r`, p = NaN);
    * ``sign_z``, ``generalized_sign_z`` (Cowan's firm-average :math:`\\hat p`),
      ``corrado_rank_z`` (uniform scores; ranks over estimation window + whole event window;
      Cowan cumulation), ``corrado_zivney_sign_z``, ``grank_t``, ``wilcoxon_w``;
    * ``bootstrap_t`` (events resampled, ``bootstrap_draws`` draws, ``seed``);
    * ``dollar_abnormal_value`` and ``dollar_z`` (NaN, n = 0 without market values).

    Parameters
    ----------
    panel
        The abnormal returns.
    tau_start, tau_end
        Window ends, relative days present in ``panel.event_tau``.
    alternative
        ``"two-sided"`` (default), ``"greater"`` or ``"less"`` for every p-value.
    bootstrap_draws
        B, resamples of the bootstrap-t test.
    seed
        Seed of ``numpy.random.default_rng`` for the bootstrap (deterministic results).

    Returns
    -------
    list[TestResult]
        One result per name in :data:`STATISTICS`.

    Notes
    -----
    Cost O(N·(L1 + L2)·log(L1 + L2) + B·N); see each function for its formula and reference.
    """
    check_alternative(alternative)
    mask = panel.window_mask(tau_start, tau_end)
    length = int(mask.sum())
    ok = usable_pairs(panel, tau_start, tau_end)
    part = panel.subset(ok)
    car = part.car(tau_start, tau_end)
    variance = part.car_variance(tau_start, tau_end)
    with np.errstate(invalid="ignore", divide="ignore"):
        scar = car / np.sqrt(variance)
    dof = part.dof
    rbar = average_cross_correlation(part.ar_estimation, part.estimation_day)
    aar_est = part.aar_estimation()
    factor = _nanmean(part.prediction_variance_factor()[:, mask], axis=0)

    xs_t = cross_sectional_t(car, alternative=alternative)
    caar_value = float(car.mean()) if car.size else float("nan")
    out = [
        TestResult("caar", caar_value, xs_t.p, xs_t.n, REF_CAAR),
        xs_t,
        portfolio_t(car, variance, dof, alternative=alternative),
        crude_dependence_t(car, aar_est, length, alternative=alternative),
        lamb_z(part.ar_event[:, mask], aar_est, factor, alternative=alternative),
        patell_z(scar, dof, alternative=alternative),
        kp_adjusted_patell_z(scar, dof, rbar, alternative=alternative),
        bmp_t(scar, alternative=alternative),
        kp_adjusted_bmp_t(scar, rbar, alternative=alternative),
        TestResult("kp_average_correlation", float(rbar), float("nan"), part.n_pairs, REF_RBAR),
        sign_test(car, alternative=alternative),
        generalized_sign_test(car, part.ar_estimation, alternative=alternative),
        corrado_rank_test(part.ar_estimation, part.ar_event, mask, alternative=alternative),
        corrado_zivney_sign_test(part.ar_estimation, part.ar_event, mask, alternative=alternative),
        grank_test(part.standardized_residuals(), scar, alternative=alternative),
        wilcoxon_signed_rank_test(car, alternative=alternative),
        bootstrap_t_test(car, draws=bootstrap_draws, seed=seed, alternative=alternative),
    ]
    if part.n_pairs == 0:
        out = [_no_pairs(item) for item in out]
    out.extend(
        dollar_abnormal_value_test(
            part.dollar_car(tau_start, tau_end),
            part.dollar_residuals(),
            length,
            alternative=alternative,
        )
    )
    return out


def _no_pairs(item: TestResult) -> TestResult:
    return TestResult(item.statistic, float("nan"), float("nan"), 0, item.reference)


def run_daily_battery(
    panel: EventPanel,
    *,
    alternative: Alternative = "two-sided",
    bootstrap_draws: int = 999,
    seed: int | None = 0,
) -> dict[int, list[TestResult]]:
    """:func:`run_battery` on each one-day window ``[τ, τ]`` of ``panel.event_tau``."""
    return {
        int(tau): run_battery(
            panel,
            int(tau),
            int(tau),
            alternative=alternative,
            bootstrap_draws=bootstrap_draws,
            seed=seed,
        )
        for tau in panel.event_tau
    }


def results_to_rows(results: list[TestResult], **labels: object) -> list[dict[str, object]]:
    """Rows ``{**labels, statistic, value, p, n, reference}``, e.g. ``group=..., window=...``.

    ``pandas.DataFrame(results_to_rows(run_battery(panel, -1, 1), group="all",
    window="[-1,+1]"))`` gives the columns ``group, window, statistic, value, p, n, reference``.
    """
    return [{**labels, **item.as_row()} for item in results]


def caar_band(
    panel: EventPanel,
    tau_start: int,
    tau_end: int,
    *,
    draws: int = 999,
    seed: int | None = 0,
    level: float = 0.95,
) -> CaarBand:
    """Bootstrap band of the CAAR path over ``[tau_start, tau_end]`` (usable pairs only)."""
    part = panel.subset(usable_pairs(panel, tau_start, tau_end))
    path = part.car_path(tau_start, tau_end)
    return bootstrap_caar_band(path, draws=draws, seed=seed, level=level)


def event_car_tests(
    panel: EventPanel, tau_start: int, tau_end: int, *, alternative: Alternative = "two-sided"
) -> EventTStatistics:
    """(N,) per-pair CAR t, :math:`V = \\sigma^2(I + X^*(X'X)^{-1}X^{*\\prime})`, M - k d.o.f."""
    return event_t(
        panel.car(tau_start, tau_end),
        panel.car_variance(tau_start, tau_end),
        panel.dof,
        alternative=alternative,
    )


def event_ar_tests(
    panel: EventPanel, *, alternative: Alternative = "two-sided"
) -> EventTStatistics:
    """(N, L2) per-pair daily AR t, variance :math:`\\sigma_i^2 C_{i\\tau}`, d.o.f. M - k."""
    variance = panel.sigma[:, None] ** 2 * panel.prediction_variance_factor()
    return event_t(panel.ar_event, variance, panel.dof, alternative=alternative)
