"""The whole battery of cross-event statistics for one window of an :class:`EventPanel`.

:func:`run_battery` computes, for the window :math:`[\\tau_1, \\tau_2]`, every statistic of
:mod:`~eventstudy.inference.parametric`, :mod:`~eventstudy.inference.nonparametric`,
:mod:`~eventstudy.inference.bootstrap` and :mod:`~eventstudy.inference.dollar` with their
textbook conventions. A one-day window gives the daily statistics (:func:`run_daily_battery`).

A pair enters the window's statistics when its CAR is complete (no missing day in the window),
its :math:`\\hat\\sigma_i > 0` and :math:`M_i - k_i > 0`; ``n`` counts those pairs. A firm with two
events is two pairs; for the Kolari-Pynnönen adjustment every two pairs' correlation is their
residual correlation times the share of their event-window days on the same calendar days
(:mod:`~eventstudy.inference.correlation`), so :math:`\\bar r` depends on the window. The whole
battery costs O(N·L·log L + P·L1 + B·N) for N pairs, L = L1 + L2 days, P pairs of rows whose
windows overlap in calendar time (outside one class of same-day rows) and B bootstrap draws; no
N×N object is built.

:func:`run_battery_windows` runs several windows of one panel and does the window-independent
work once: the ranks and median signs of each pair's combined sample (one row sort,
:func:`~eventstudy.inference.nonparametric.sort_rows`), the ranked estimation SARs of GRANK
(taken from that same sort: dividing a row by :math:`\\hat\\sigma_i > 0` keeps its order), the
standardized residuals, hulls and classes behind Kolari-Pynnönen's :math:`\\bar r`, the
estimation sign counts and the dollar-residual variances; and it draws the bootstrap resamples
once for all windows (:func:`~eventstudy.inference.bootstrap.bootstrap_t_tests`, on a second thread for large
panels). Each window then costs
O(N·L + N log L1 + P·L1): weighted column sums over the usable pairs, no re-sorting; the
bootstrap costs O(B·N) for the draws plus O(B·N·V) for V windows.

Complexity of every row, N pairs, L1 estimation days, L2 event days, L = L1 + L2, W window days,
B bootstrap draws, D calendar days spanned (all time; memory is O(N·L) throughout):

=====================================  =============================================================
caar, cross_sectional_t                O(N)
portfolio_t, patell_z, bmp_t           O(N·W·k + N·k²) (the exact CLM CAR variances)
crude_dependence_t                     O(N·L1) (the estimation-window AAR)
lamb_z                                 O(N·L1 + N·W·k²)
kp_adjusted_*, kp_average_correlation  O(N·L1 + P·L1), P pairs whose windows overlap (worst N²·L1)
sign_z                                 O(N)
wilcoxon_w                             O(N log N)
generalized_sign_z                     O(N·L1)
corrado_rank_z, corrado_zivney_sign_z  O(N·L log L) once (one sort per pair), then O(N·L) per window
grank_t                                O(N·L1) once (from the same sort), then O(N·L1) per window
bootstrap_t                            O(B·N) draws once, plus O(B·N) per window
dollar_abnormal_value, dollar_z, ...   O(N·L1)
=====================================  =============================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .bootstrap import REF_BOOTSTRAP, CaarBand, bootstrap_caar_band, bootstrap_t_tests
from .correlation import CalendarResiduals
from .dollar import _dollar_test, _no_dollars, dollar_residual_variance, fallback_dollar_variance
from .nonparametric import (
    REF_CSIGN,
    REF_MRANK,
    DayScores,
    GrankSample,
    RowOrder,
    _generalized_sign,
    column_sums,
    estimation_signs,
    rank_scores,
    sign_scores,
    sign_test,
    sort_rows,
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
from .result import Alternative, TestResult, check_alternative, empty_result, p_normal, result

REF_CAAR = "Campbell, Lo & MacKinlay (1997); p of the cross-sectional t"
REF_RBAR = (
    "Kolari & Pynnönen (2010); mean over pairs of the residual correlation (Pearson, common "
    "estimation days) x the share of event-window days on the same calendar days (descriptive)"
)

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
    "dollar_fallback_sd_rows",
)
"""Names of the rows of :func:`run_battery`, in order."""

_BOOTSTRAP_ROW = STATISTICS.index("bootstrap_t")
_BACKGROUND_DRAWS = 1_000_000
"""From this many bootstrap draws x pairs on, the bootstrap runs on a second thread while the
other statistics are computed (below it, a thread is not worth its start-up)."""


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
      adjustments with the window's :math:`\\bar r`, the average correlation of the SCARs:
      Pearson correlation of two pairs' estimation residuals over their common days times the
      share of their window days on the same calendar days
      (:func:`~eventstudy.inference.correlation.average_cross_correlation`;
      ``kp_average_correlation`` reports :math:`\\bar r`, p = NaN);
    * ``sign_z``, ``generalized_sign_z`` (Cowan's firm-average :math:`\\hat p`),
      ``corrado_rank_z`` (uniform scores; ranks over estimation window + whole event window;
      Cowan cumulation), ``corrado_zivney_sign_z``, ``grank_t``, ``wilcoxon_w``;
    * ``bootstrap_t`` (events resampled, ``bootstrap_draws`` draws, ``seed``; every pair of
      the panel is resampled and the statistic uses the drawn pairs usable for the window, see
      :func:`~eventstudy.inference.bootstrap.bootstrap_t_tests`);
    * ``dollar_abnormal_value`` (the sum of every usable pair's dollar value for the window)
      and ``dollar_z`` (Saha & Ferrell's variance, or :math:`\\hat\\sigma_i MV_{i,\\tau-1}` per day
      where the estimation window lacks market values), and ``dollar_fallback_sd_rows``, the
      number of pairs with that fallback (all NaN, n = 0 without market values; see
      :mod:`~eventstudy.inference.dollar`).

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
    Cost O(N·(L1 + L2)·log(L1 + L2) + B·N); see the module docstring for each row and each
    function for its formula and reference. For several windows of one panel,
    :func:`run_battery_windows` gives the same results and sorts only once.
    """
    return run_battery_windows(
        panel, [(tau_start, tau_end)], alternative=alternative, bootstrap_draws=bootstrap_draws, seed=seed
    )[0]


def run_battery_windows(
    panel: EventPanel,
    windows: Sequence[tuple[int, int]],
    *,
    alternative: Alternative = "two-sided",
    bootstrap_draws: int = 999,
    seed: int | None = 0,
) -> list[list[TestResult]]:
    """:func:`run_battery` for each window of ``windows``, sharing the window-independent work.

    Returns one list of results per window, each exactly what :func:`run_battery` returns for
    that window. The ranks, signs, the residuals behind :math:`\\bar r` and per-pair sums that do not
    depend on the window are computed once (O(N·L log L)); each window then costs O(N·L + B·N).
    The bootstrap resamples of the pairs are drawn once for all windows
    (:func:`~eventstudy.inference.bootstrap.bootstrap_t_tests`): a window's ``bootstrap_t``
    depends only on the panel, the window and the seed, never on the other windows. From
    ``_BACKGROUND_DRAWS`` pairs x draws on, the bootstrap runs on a second thread meanwhile
    (same numbers: it only reads the CARs; on one core it simply takes its turn).
    """
    check_alternative(alternative)
    for tau_start, tau_end in windows:
        panel.window_mask(tau_start, tau_end)  # every window is valid before any work
    cars = np.empty((panel.n_pairs, len(windows)))
    usable = np.empty((panel.n_pairs, len(windows)), dtype=bool)
    for k, (a, b) in enumerate(windows):
        cars[:, k] = panel.car(int(a), int(b))
        usable[:, k] = usable_pairs(panel, int(a), int(b))

    def bootstrap() -> list[TestResult]:
        return bootstrap_t_tests(cars, usable, draws=bootstrap_draws, seed=seed, alternative=alternative)

    def windows_with(shared: _WindowIndependent) -> list[list[TestResult]]:
        return [
            _window_battery(panel, shared, int(a), int(b), alternative, cars[:, k], usable[:, k])
            for k, (a, b) in enumerate(windows)
        ]

    if panel.n_pairs * bootstrap_draws < _BACKGROUND_DRAWS:
        boot = bootstrap()
        out = windows_with(_WindowIndependent(panel))
    else:
        # The bootstrap needs only the CARs: it runs on a second thread (numpy releases the GIL
        # in its loops) while this one builds the shared parts and the windows' statistics.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(bootstrap)
            out = windows_with(_WindowIndependent(panel))
            boot = pending.result()
    for k, rows in enumerate(out):
        rows[_BOOTSTRAP_ROW] = boot[k]  # n = 0 and NaN when the window has no usable pair
    return out


class _WindowIndependent:
    """The parts of the battery that depend on the pairs but not on the window (all N pairs)."""

    def __init__(self, panel: EventPanel) -> None:
        est = panel.ar_estimation
        combined = np.concatenate([est, panel.ar_event], axis=1)
        ranked = sort_rows(combined)
        self.signs: DayScores = sign_scores(combined, ranked, overwrite=True)
        self.ranks: DayScores = rank_scores(combined, "uniform", ranked, overwrite=True)
        del combined
        sar = panel.standardized_residuals()
        self.grank = GrankSample(sar, _sar_ranks(ranked, sar, panel.sigma))
        del ranked
        self.correlation = CalendarResiduals(est, panel.estimation_day)
        self.positive, self.est_count = estimation_signs(est)
        valid = np.isfinite(est)
        self.est_values = np.where(valid, est, 0.0)
        self.est_valid = valid
        self.est_day_count = valid.sum(axis=0)
        self.factor = panel.prediction_variance_factor()
        residuals = panel.dollar_residuals()
        self.dollar = None if residuals is None else dollar_residual_variance(residuals, overwrite=True)

    def aar_estimation(self, rows: np.ndarray) -> np.ndarray:
        """(L1,) ``EventPanel.aar_estimation`` of the pairs ``rows`` (NaN on days without data)."""
        weight = rows.astype(float)
        days = (self.est_day_count - self.est_valid[~rows].sum(axis=0)).astype(float)  # exact counts
        with np.errstate(invalid="ignore", divide="ignore"):
            return column_sums(weight, self.est_values) / days


def _sar_ranks(combined: RowOrder, sar: np.ndarray, sigma: np.ndarray) -> RowOrder:
    """:func:`sort_rows` of the standardized residuals :math:`e_{is}/\\hat\\sigma_i` from the
    order of the combined sample (its first L1 columns are :math:`e_{is}`): dividing by
    :math:`\\hat\\sigma_i > 0` keeps each row's order, so no second sort is needed. Rows with
    another :math:`\\hat\\sigma_i` (zero or NaN) are sorted directly. O(N·L1)."""
    ranked = combined.leading_ranks(sar.shape[1], sar)
    with np.errstate(invalid="ignore"):
        other = np.flatnonzero(~(sigma > 0))
    if other.size:
        direct = sort_rows(sar[other])
        shift = (other - np.arange(other.size)) * sar.shape[1]  # sub-array rows -> rows of sar
        ranked.flat[other] = direct.flat + shift[:, None]
        ranked.ranks[other] = direct.ranks
        ranked.count[other] = direct.count
        ranked.missing[other] = direct.missing
        if ranked.sorted_values is not None:
            ranked.sorted_values[other] = sar.reshape(-1).take(ranked.flat[other])
    return ranked


def _window_battery(
    panel: EventPanel,
    shared: _WindowIndependent,
    tau_start: int,
    tau_end: int,
    alternative: Alternative,
    all_cars: np.ndarray,
    ok: np.ndarray,
) -> list[TestResult]:
    """The battery of one window; ``all_cars`` (N,) is ``panel.car`` of the window and ``ok``
    its :func:`usable_pairs`. The ``bootstrap_t`` row is a placeholder that
    :func:`run_battery_windows` replaces (the bootstrap of every window is drawn at once)."""
    mask = panel.window_mask(tau_start, tau_end)
    length = int(mask.sum())
    n_pairs = int(ok.sum())
    car = all_cars[ok]
    variance = panel.car_variance(tau_start, tau_end)[ok]
    with np.errstate(invalid="ignore", divide="ignore"):
        scar = car / np.sqrt(variance)
    dof = panel.dof[ok]
    rbar = shared.correlation.rbar(ok, panel.event_day[:, mask])
    aar_est = shared.aar_estimation(ok)
    factor = _nanmean(shared.factor[ok][:, mask], axis=0)
    columns = np.concatenate([np.zeros(panel.ar_estimation.shape[1], bool), mask])
    rank_z, rank_n = shared.ranks.z(ok, columns)
    sign_z, sign_n = shared.signs.z(ok, columns)
    scar_all = np.full(panel.n_pairs, np.nan)
    scar_all[ok] = scar

    xs_t = cross_sectional_t(car, alternative=alternative)
    caar_value = float(car.mean()) if car.size else float("nan")
    out = [
        TestResult("caar", caar_value, xs_t.p, xs_t.n, REF_CAAR),
        xs_t,
        portfolio_t(car, variance, dof, alternative=alternative),
        crude_dependence_t(car, aar_est, length, alternative=alternative),
        lamb_z(panel.ar_event[ok][:, mask], aar_est, factor, alternative=alternative),
        patell_z(scar, dof, alternative=alternative),
        kp_adjusted_patell_z(scar, dof, rbar, alternative=alternative),
        bmp_t(scar, alternative=alternative),
        kp_adjusted_bmp_t(scar, rbar, alternative=alternative),
        TestResult("kp_average_correlation", float(rbar), float("nan"), n_pairs, REF_RBAR),
        sign_test(car, alternative=alternative),
        _generalized_sign(car, shared.positive[ok], shared.est_count[ok], alternative=alternative),
        result("corrado_rank_z", rank_z, p_normal(rank_z, alternative), rank_n, REF_MRANK),
        result("corrado_zivney_sign_z", sign_z, p_normal(sign_z, alternative), sign_n, REF_CSIGN),
        shared.grank.test(ok, scar_all, alternative=alternative),
        wilcoxon_signed_rank_test(car, alternative=alternative),
        empty_result("bootstrap_t", REF_BOOTSTRAP),  # placeholder, see the docstring
    ]
    if n_pairs == 0:
        out = [_no_pairs(item) for item in out]
    if shared.dollar is None or panel.market_value_event is None:
        out.extend(_no_dollars())
    else:
        variance_d, days_d = shared.dollar
        dollar_car = panel.dollar_car(tau_start, tau_end)[ok]
        fallback = fallback_dollar_variance(panel.sigma[ok], panel.market_value_event[ok][:, mask])
        residual_days = shared.est_valid.sum(axis=1)[ok]
        dollars = _dollar_test(
            dollar_car, variance_d[ok], days_d[ok], residual_days, fallback, length, alternative=alternative
        )
        out.extend(dollars)
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
    taus = [int(tau) for tau in panel.event_tau]
    windows = [(tau, tau) for tau in taus]
    results = run_battery_windows(
        panel, windows, alternative=alternative, bootstrap_draws=bootstrap_draws, seed=seed
    )
    return dict(zip(taus, results, strict=True))


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


def event_ar_tests(panel: EventPanel, *, alternative: Alternative = "two-sided") -> EventTStatistics:
    """(N, L2) per-pair daily AR t, variance :math:`\\sigma_i^2 C_{i\\tau}`, d.o.f. M - k."""
    variance = panel.sigma[:, None] ** 2 * panel.prediction_variance_factor()
    return event_t(panel.ar_event, variance, panel.dof, alternative=alternative)
