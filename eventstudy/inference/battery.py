"""The whole battery of cross-event statistics for one window of an :class:`EventPanel`.

:func:`run_battery` computes, for the window :math:`[\\tau_1, \\tau_2]`, the statistics of the
registry :data:`STATISTICS` (all of them, or the ``statistics`` asked for) from
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
standardized residuals, hulls and classes behind Kolari-Pynnönen's :math:`\\bar r` and the
pairs' residual correlations themselves (each formed once for every window, O(P·L1) for the P
pairs whose widest windows overlap), the estimation sign counts and the dollar-residual
variances; and it draws the bootstrap resamples once for all windows
(:func:`~eventstudy.inference.bootstrap.bootstrap_t_tests`, on a second thread for large
panels). Each window then costs O(N·L + N log L1 + P): weighted column sums over the usable
pairs, no re-sorting, the window's weights of the pairs' correlations; the bootstrap costs
O(B·N) for the draws plus O(B·N·V) for V windows.

**The registry.** Each statistic is one small function of a :class:`WindowSample` (the window's
usable pairs, their CARs and the lazily computed parts shared by several statistics) registered
under its name with :func:`register_statistic`; :data:`STATISTICS` lists the names in the order
of ``stats.parquet``. A part nobody asked for (the rank sort, the bootstrap, :math:`\\bar r`) is
never computed. Adding a statistic::

    @register_statistic("my_t")
    def _my_t(sample: WindowSample) -> TestResult:
        return my_t(sample.car, alternative=sample.alternative)

Complexity of every row, N pairs, L1 estimation days, L2 event days, L = L1 + L2, W window days,
B bootstrap draws, D calendar days spanned (all time; memory is O(N·L) throughout):

=====================================  =============================================================
caar, cross_sectional_t                O(N)
portfolio_t, patell_z, bmp_t           O(N·W·k + N·k²) (the exact CLM CAR variances)
crude_dependence_t                     O(N·L1) (the estimation-window AAR)
lamb_z                                 O(N·L1 + N·W·k²)
kp_adjusted_*, kp_average_correlation  O(N·L1 + P·L1), P pairs whose windows overlap (worst N²·L1)
serial_variance_ratio                  O(N·L1·L2) once (each pair's autocorrelations), O(N·W) per window
sign_z                                 O(N)
wilcoxon_w                             O(N log N)
generalized_sign_z                     O(N·L1)
corrado_rank_z, corrado_zivney_sign_z  O(N·L log L) once (one sort per pair), then O(N·L) per window
grank_t                                O(N·L1) once (from the same sort), then O(N·L1) per window
bootstrap_t                            O(B·N) draws once, plus O(B·N) per window
cluster_firm_t, cluster_date_t, ...    O(N·W·log(N·W)) (cluster labels of the N·W pair-days)
garch_patell_z, garch_bmp_t            O(N·W) (the conditional variances are fitted beforehand)
abnormal_volatility, volatility_t      O(N·L·k²) once (the prediction variance factors), O(N·W)
dollar_abnormal_value, dollar_z, ...   O(N·L1)
=====================================  =============================================================
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from eventstudy.blocks import mask_as_slice, row_blocks
from eventstudy.columns import STATISTIC_UNITS

from .bands import Band, classic_band, wilcoxon_band
from .bootstrap import REF_BOOTSTRAP, CaarBand, bootstrap_caar_band, bootstrap_t_tests
from .cluster import cluster_codes, window_cluster_test
from .correlation import CalendarResiduals
from .dollar import (
    REF_KP_DOLLAR,
    DollarSample,
    WindowDays,
    _no_dollars,
    dollar_results,
    dollar_sample,
    fallback_dollar_variance,
    kp_adjusted_dollar_t,
)
from .garch import garch_bmp_t, garch_patell_z, garch_standardized_car
from .nonparametric import (
    REF_CSIGN,
    REF_GRANK,
    REF_MRANK,
    DayScores,
    DaySums,
    GrankSample,
    GrankSums,
    RowOrder,
    _generalized_sign,
    column_sums,
    estimation_signs,
    grank_spread,
    rank_scores,
    sign_scores,
    sign_test,
    sort_rows,
    wilcoxon_signed_rank_test,
)
from .panel import EventPanel, _nanmean, standardized
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
from .result import (
    Alternative,
    NotComputableError,
    TestResult,
    check_alternative,
    empty_result,
    p_normal,
    result,
)
from .serial import mean_variance_ratio, residual_autocorrelations
from .volatility import abnormal_volatility, variance_ratios, volatility_t

REF_CAAR = "Campbell, Lo & MacKinlay (1997); p of the cross-sectional t"
NOT_COMPUTABLE = "not computable from this panel"
"""The start of the reference of a statistic whose panel lacks a part it needs."""
REF_RBAR = (
    "Kolari & Pynnönen (2010); mean over pairs of the residual correlation (Pearson, common "
    "estimation days) x the share of event-window days on the same calendar days (descriptive)"
)

_SCORE_BLOCK_VALUES = 1 << 17
"""Values (pairs x combined-sample days) whose ranks and signs are formed at once: the sort's
work arrays (keys, positions, the combined sample) then take a few MB at a time, not several
copies of the panel's residuals (W1: 483 pairs of 271 days a block, and faster than one sort
of all of them)."""

_BACKGROUND_DRAWS = 1_000_000
"""From this many bootstrap draws x pairs on, the bootstrap runs on a second thread while the
other statistics are computed (below it, a thread is not worth its start-up)."""


def usable_pairs(panel: EventPanel, tau_start: int, tau_end: int) -> np.ndarray:
    """(N,) bool: complete CAR over the window, :math:`\\hat\\sigma_i > 0` and :math:`M_i > k_i`
    (a panel without estimation residuals: a complete CAR)."""
    car = panel.car(tau_start, tau_end)
    if "estimation" in panel.missing_inputs:
        return np.isfinite(car)
    sigma = panel.sigma
    with np.errstate(invalid="ignore"):
        return np.isfinite(car) & np.isfinite(sigma) & (sigma > 0) & (panel.dof > 0)


class PanelParts:
    """The parts of the battery that depend on the pairs but not on the window (all N pairs).

    Each part is computed on first use (:func:`functools.cached_property`) and then shared by
    every window and statistic that needs it: the row sort of the combined sample and the
    rank, sign and GRANK scores from it (O(N·L log L)), the calendar-day residuals behind
    :math:`\\bar r`, the estimation sign counts and sums, the prediction-variance factors and
    the dollar-residual variances. When :func:`run_battery_windows` builds the parts it
    attaches its windows (:meth:`attach`): the rank, sign and GRANK statistics of every window
    are then summed block by block without keeping the scores (:attr:`_window_scores`), and each
    part is freed after the last statistic that reads it (:attr:`RELEASABLE`).
    """

    RELEASABLE: ClassVar[dict[str, tuple[str, ...]]] = {
        "scores": ("_scores", "_window_scores"),
        "correlation": ("correlation",),
        "autocorrelations": ("autocorrelations",),
    }
    """Parts a statistic may declare it reads (:attr:`Statistic.parts`) -> the cached
    attributes that hold them: :func:`run_battery_windows` frees each after the last statistic
    that declares it (each is about one copy of the estimation residuals, or three)."""

    def __init__(self, panel: EventPanel, windows: Sequence[tuple[np.ndarray, np.ndarray]] = ()) -> None:
        self.panel = panel
        self.windows = list(windows)  # (usable pairs, event columns) of each window, for r̄
        self._samples: list[weakref.ref[WindowSample]] | None = None
        self._aar_estimation: list[tuple[np.ndarray, np.ndarray]] = []  # (rows, AAR) made so far

    def attach(self, samples: Sequence[WindowSample]) -> None:
        """The windows' samples, in the order of their ``index``: their rank, sign and GRANK
        statistics are then summed in one pass over blocks of pairs (:attr:`_window_scores`)
        instead of from the whole panel's scores (held weakly: the samples hold these parts)."""
        self._samples = [weakref.ref(sample) for sample in samples]

    def release(self, part: str) -> None:
        """Free the part ``part`` of :attr:`RELEASABLE` (computed again if asked for again)."""
        for name in self.RELEASABLE[part]:
            self.__dict__.pop(name, None)

    @cached_property
    def _scores(self) -> tuple[DayScores, DayScores, GrankSample]:
        """The sign, rank and GRANK parts, from one sort of each pair's combined sample, built
        for :data:`_SCORE_BLOCK_VALUES` values of pairs at a time (each pair's scores depend
        on its own row only: the blocks give exactly the whole panel's numbers, and the sort's
        work arrays stay the size of one block)."""
        n_pairs = self.panel.n_pairs
        whole: tuple[Any, ...] = ()
        for rows, block in _score_blocks(self.panel):
            if rows == slice(0, n_pairs):  # one block: the whole panel's parts themselves
                return block
            whole = whole or tuple(part.allocated(n_pairs) for part in block)
            for target, part in zip(whole, block, strict=True):
                target.fill(rows, part)
        return whole[0], whole[1], whole[2]

    @cached_property
    def _window_scores(self) -> list[_ScoreSums]:
        """Per attached window, the day sums of the Corrado rank and Corrado-Zivney sign scores
        and the GRANK sums of its usable pairs, from one pass over blocks of
        :data:`_SCORE_BLOCK_VALUES` values: each block's scores are summed for every window and
        dropped, so no (pairs x days) score array outlives its block. Sums of blocks of pairs
        add (:meth:`DaySums.merge`, :meth:`GrankSums.merge`, in block order): with one block
        (up to 483 pairs of 271 days) they are the whole panel's sums exactly, with more they
        differ from them in the last bits (another order of the same additions)."""
        alive = [ref() for ref in self._samples or []]
        samples = [sample for sample in alive if sample is not None]
        if len(samples) != len(alive):
            raise RuntimeError("a window sample of these parts is gone")
        self.panel.require("estimation")
        n_pairs = self.panel.n_pairs
        windows = []
        for sample in samples:
            scar = np.full(n_pairs, np.nan)
            scar[sample.ok] = sample.scar
            tested, spread = grank_spread(sample.ok, scar)
            windows.append((sample.ok, sample.event_columns(), tested, scar, spread))
        totals: list[_ScoreSums] = []
        for rows, (signs, ranks, grank) in _score_blocks(self.panel):
            block = [
                _ScoreSums(
                    ranks.sums(ok[rows], columns),
                    signs.sums(ok[rows], columns),
                    None if spread is None else grank.sums(tested[rows], scar[rows], spread),
                    int(tested.sum()),
                )
                for ok, columns, tested, scar, spread in windows
            ]
            totals = [total.merge(one) for total, one in zip(totals, block, strict=True)] if totals else block
        return totals

    @property
    def signs(self) -> DayScores:
        """Corrado-Zivney sign scores of the combined sample."""
        return self._scores[0]

    @property
    def ranks(self) -> DayScores:
        """Corrado rank scores (uniform) of the combined sample."""
        return self._scores[1]

    @property
    def grank(self) -> GrankSample:
        """The GRANK sample (ranked standardized residuals)."""
        return self._scores[2]

    @cached_property
    def correlation(self) -> CalendarResiduals:
        """The calendar-day residuals behind Kolari-Pynnönen's :math:`\\bar r`."""
        self.panel.require("estimation", "calendar")
        return CalendarResiduals(self.panel.ar_estimation, self.panel.estimation_day)

    @cached_property
    def rbars(self) -> list[float]:
        """Kolari-Pynnönen's :math:`\\bar r` of the usable pairs of each window of ``windows``,
        all at once: each correlation :math:`r_{ij}` is formed once for every window
        (:meth:`~eventstudy.inference.correlation.CalendarResiduals.rbars`)."""
        event_day = self.panel.event_day
        return self.correlation.rbars(  # each window's days: a view of its columns (a tau range)
            [ok for ok, _ in self.windows], (event_day[:, mask_as_slice(mask)] for _, mask in self.windows)
        )

    @cached_property
    def estimation_signs(self) -> tuple[np.ndarray, np.ndarray]:
        """(N,) positive estimation residuals and their count (generalized sign test)."""
        self.panel.require("estimation")
        return estimation_signs(self.panel.ar_estimation)

    def estimation_column_sums(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(L1,) :math:`\\sum_{i \\in rows} e_{is}` (missing residuals as 0) and (L1,) the
        number of ``rows`` ((N,) bool) with a residual on each estimation day."""
        return self._estimation_column_sums([rows])[0]

    def _estimation_column_sums(self, row_sets: Sequence[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """:meth:`estimation_column_sums` of each of ``row_sets``, in one pass over the residuals.

        A block of :data:`_SCORE_BLOCK_VALUES` values at a time, so no (N, L1) zero-filled copy
        of the residuals is made. :func:`column_sums` (one einsum) adds the rows in order, and
        each block's einsum starts from the sums of the blocks before it (a first row of weight
        1), so the sums are exactly those of one einsum over every row."""
        self.panel.require("estimation")
        est = self.panel.ar_estimation
        n_pairs, n_days = est.shape
        picks = [np.asarray(rows, dtype=bool) for rows in row_sets]
        weights = [pick.astype(float) for pick in picks]
        sums = [np.zeros(n_days) for _ in picks]
        counts = [np.zeros(n_days, dtype=np.int64) for _ in picks]
        blocks = row_blocks(n_pairs, n_days, _SCORE_BLOCK_VALUES)
        values = np.empty((blocks[0].stop - blocks[0].start + 1, n_days))  # row 0: the sums so far
        for block in blocks:
            valid = np.isfinite(est[block])
            rows_of_block = values[: block.stop - block.start + 1]
            rows_of_block[1:] = np.where(valid, est[block], 0.0)
            for k, (pick, weight) in enumerate(zip(picks, weights, strict=True)):
                rows_of_block[0] = sums[k]
                sums[k] = column_sums(np.concatenate([[1.0], weight[block]]), rows_of_block)
                counts[k] += valid[pick[block]].sum(axis=0)
        return list(zip(sums, counts, strict=True))

    def aar_estimation(self, rows: np.ndarray) -> np.ndarray:
        """(L1,) ``EventPanel.aar_estimation`` of the pairs ``rows`` (NaN on days without data),
        read-only. Asked for the usable pairs of one of the windows :func:`run_battery_windows`
        gave, it is made with every window's in one pass over the residuals."""
        rows = np.asarray(rows, dtype=bool)
        for seen, aar in self._aar_estimation:
            if np.array_equal(seen, rows):
                return aar
        row_sets: list[np.ndarray] = []  # the windows' distinct row sets
        for usable, _ in self.windows:
            if not any(np.array_equal(usable, seen) for seen in row_sets):
                row_sets.append(usable)
        if not any(np.array_equal(usable, rows) for usable in row_sets):
            row_sets = [rows.copy()]
        for usable, (sums, counts) in zip(row_sets, self._estimation_column_sums(row_sets), strict=True):
            with np.errstate(invalid="ignore", divide="ignore"):
                aar = sums / counts.astype(float)
            aar.flags.writeable = False
            self._aar_estimation.append((usable, aar))
        return self.aar_estimation(rows)

    @cached_property
    def factor(self) -> np.ndarray:
        """(N, L2) prediction variance factors :math:`C_{i\\tau}`."""
        return self.panel.prediction_variance_factor()

    @cached_property
    def standardized_ar(self) -> np.ndarray:
        """(N, L2) :math:`A_{i\\tau} / (\\hat\\sigma_i \\sqrt{C_{i\\tau}})` (from :attr:`factor`)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.sqrt(self.factor)  # sigma x sqrt(C), in place (the product commutes)
            scale *= self.panel.sigma[:, None]
            return np.divide(self.panel.ar_event, scale, out=scale)

    @cached_property
    def dollar(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The dollar-residual variances and day counts, or None without market values."""
        self.panel.require("market_values")
        return self.panel.dollar_residual_summary()

    @cached_property
    def firm_codes(self) -> np.ndarray:
        """(N,) :func:`~eventstudy.inference.cluster.cluster_codes` of the pairs' firms (the
        labels are sorted once per panel, not once per window and clustering)."""
        return cluster_codes(self.panel.firm)

    @cached_property
    def residual_days(self) -> np.ndarray:
        """(N,) valid estimation residuals of each pair."""
        self.panel.require("estimation")
        return estimation_signs(self.panel.ar_estimation)[1]

    @cached_property
    def autocorrelations(self) -> np.ndarray:
        """(N, L2 - 1) autocorrelations of each pair's estimation residuals at lags 1 to L2 - 1,
        the longest window's (:func:`~eventstudy.inference.serial.residual_autocorrelations`)."""
        self.panel.require("estimation")
        return residual_autocorrelations(self.panel.ar_estimation, max(len(self.panel.event_tau) - 1, 0))

    # What a window's statistics ask of the estimation-window data. A panel without it (a
    # partitioned study's, whose estimation data stay on the workers) answers these from
    # sums over the partitions instead (:class:`eventstudy.inference.partial.MergedParts`).
    def window_aar_estimation(self, sample: WindowSample) -> np.ndarray:
        """(L1,) estimation-window AAR of the window's usable pairs."""
        return self.aar_estimation(sample.ok)

    def window_day_z(self, kind: str, sample: WindowSample) -> tuple[float, int]:
        """Z and n of the Corrado rank (``kind="ranks"``) or Corrado-Zivney sign (``"signs"``)
        test of the window's usable pairs over the window's days."""
        if self._samples is not None:
            sums = self._window_scores[sample.index]
            return (sums.ranks if kind == "ranks" else sums.signs).z(sample.event_columns())
        scores = self.ranks if kind == "ranks" else self.signs
        return scores.z(sample.ok, sample.event_columns())

    def window_grank(self, sample: WindowSample, scar: np.ndarray) -> TestResult:
        """GRANK t of the window's usable pairs with standardized CARs ``scar`` ((N,); an
        attached window's own, :attr:`WindowSample.scar`, is summed ahead)."""
        if self._samples is not None:
            sums = self._window_scores[sample.index]
            if sums.grank is None:
                return empty_result("grank_t", REF_GRANK, sums.grank_n)
            return sums.grank.test(alternative=sample.alternative)
        return self.grank.test(sample.ok, scar, alternative=sample.alternative)

    def window_rbar(self, sample: WindowSample) -> float:
        """Kolari-Pynnönen's :math:`\\bar r` of the window's usable pairs over its days
        (:attr:`rbars`, all windows at once)."""
        return self.rbars[sample.index]

    def window_subset_rbar(self, sample: WindowSample, rows: np.ndarray) -> float:
        """:math:`\\bar r` of ``rows`` ((N,) bool, some of the window's usable pairs) over its days."""
        window_day = self.panel.event_day[:, mask_as_slice(sample.mask)]
        return self.correlation.rbars([rows], [window_day])[0]


@dataclass(frozen=True)
class _ScoreSums:
    """One window's sums of the rank, sign and GRANK tests over a set of pairs."""

    ranks: DaySums
    signs: DaySums
    grank: GrankSums | None  # None: the GRANK test is empty (fewer than two pairs, no spread)
    grank_n: int

    def merge(self, other: _ScoreSums) -> _ScoreSums:
        """The sums of the union of two disjoint sets of pairs."""
        grank = None if self.grank is None or other.grank is None else self.grank.merge(other.grank)
        return _ScoreSums(self.ranks.merge(other.ranks), self.signs.merge(other.signs), grank, self.grank_n)


def _score_blocks(panel: EventPanel) -> Iterator[tuple[slice, tuple[DayScores, DayScores, GrankSample]]]:
    """:func:`_block_scores` of consecutive blocks of pairs, :data:`_SCORE_BLOCK_VALUES` values
    each (an empty panel: one empty block)."""
    panel.require("estimation")
    estimation, event, sigma = panel.ar_estimation, panel.ar_event, panel.sigma
    n_values = estimation.shape[1] + event.shape[1]
    for rows in row_blocks(estimation.shape[0], n_values, _SCORE_BLOCK_VALUES):
        yield rows, _block_scores(estimation[rows], event[rows], sigma[rows])


def _block_scores(
    estimation: np.ndarray, event: np.ndarray, sigma: np.ndarray
) -> tuple[DayScores, DayScores, GrankSample]:
    """Corrado-Zivney sign scores, Corrado rank scores (uniform) and the GRANK sample of some
    pairs: one :func:`sort_rows` of their combined samples (estimation then event columns)."""
    combined = np.concatenate([estimation, event], axis=1)
    ranked = sort_rows(combined)
    signs = sign_scores(combined, ranked, overwrite=True)
    ranks = rank_scores(combined, "uniform", ranked, overwrite=True)
    del combined
    sar = standardized(estimation, sigma)  # EventPanel.standardized_residuals of these pairs
    return signs, ranks, GrankSample(sar, _sar_ranks(ranked, sar, sigma))


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


@dataclass
class WindowSample:
    """One window of a panel, as the statistics see it.

    Attributes
    ----------
    panel
        The event panel (all N pairs).
    parts
        The window-independent parts, shared by the windows of one panel.
    tau_start, tau_end
        The window.
    alternative
        The alternative of every p-value.
    all_cars
        (N,) the window's CAR of every pair (NaN where incomplete).
    ok
        (N,) the usable pairs (:func:`usable_pairs`).
    index
        The window's position in ``parts.windows`` (its :math:`\\bar r` is ``parts.rbars[index]``).
    bootstrap
        The window's ``bootstrap_t`` (drawn once for all windows), or None.
    """

    panel: EventPanel
    parts: PanelParts
    tau_start: int
    tau_end: int
    alternative: Alternative
    all_cars: np.ndarray
    ok: np.ndarray
    index: int
    bootstrap: TestResult | None = field(default=None)

    @cached_property
    def mask(self) -> np.ndarray:
        """(L2,) the window's event columns."""
        return self.panel.window_mask(self.tau_start, self.tau_end)

    @cached_property
    def length(self) -> int:
        """Days in the window."""
        return int(self.mask.sum())

    @cached_property
    def n_pairs(self) -> int:
        """Usable pairs."""
        return int(self.ok.sum())

    @cached_property
    def car(self) -> np.ndarray:
        """CARs of the usable pairs."""
        return self.all_cars[self.ok]

    def window_rows(self, values: np.ndarray) -> np.ndarray:
        """The usable pairs' rows of the window's columns of (N, L2) ``values``: one copy of those
        values only, each column contiguous (Fortran order, the layout numpy's boolean indexing
        gave them): the statistics' sums over the pairs then add each column pairwise."""
        window = values[:, mask_as_slice(self.mask)]
        out = np.empty((self.n_pairs, window.shape[1]), dtype=window.dtype, order="F")
        if self.n_pairs == self.ok.size:
            out[...] = window
        else:
            np.compress(self.ok, window, axis=0, out=out)
        return out

    @cached_property
    def variance(self) -> np.ndarray:
        """Exact CLM CAR variances of the usable pairs."""
        self.panel.require("estimation")
        return self.panel.car_variance(self.tau_start, self.tau_end)[self.ok]

    @cached_property
    def scar(self) -> np.ndarray:
        """Standardized CARs of the usable pairs."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.car / np.sqrt(self.variance)

    @cached_property
    def dof(self) -> np.ndarray:
        """:math:`M_i - k_i` of the usable pairs."""
        self.panel.require("estimation")
        return self.panel.dof[self.ok]

    @cached_property
    def rbar(self) -> float:
        """Kolari-Pynnönen's :math:`\\bar r` of the usable pairs over this window."""
        return self.parts.window_rbar(self)

    @cached_property
    def patell_rbar(self) -> float:
        """:math:`\\bar r` of Patell's summands: the usable pairs with :math:`M_i - k_i > 2` and a
        finite SCAR (:func:`~eventstudy.inference.parametric.patell_z` leaves the others out, and
        KP's :math:`\\bar r` is that of the summands of the Z it divides). :attr:`rbar` when those
        are every usable pair, as in any study whose estimation windows are not a few days."""
        summands = np.isfinite(self.scar) & (self.dof > 2)
        if summands.all():
            return self.rbar
        rows = self.ok.copy()
        rows[self.ok] = summands
        return self.parts.window_subset_rbar(self, rows)

    @cached_property
    def aar_estimation(self) -> np.ndarray:
        """(L1,) estimation-window AAR of the usable pairs."""
        return self.parts.window_aar_estimation(self)

    @cached_property
    def variance_ratios(self) -> np.ndarray:
        """(N,) the usable pairs' variance ratios of the window (abnormal volatility)."""
        return variance_ratios(self.window_rows(self.parts.standardized_ar), self.dof)

    @cached_property
    def volatility(self) -> TestResult:
        """``volatility_t`` (shared by ``abnormal_volatility``)."""
        return volatility_t(self.variance_ratios, alternative=self.alternative)

    @cached_property
    def cross_sectional(self) -> TestResult:
        """The cross-sectional t (shared by ``caar`` and ``cross_sectional_t``)."""
        return cross_sectional_t(self.car, alternative=self.alternative)

    @cached_property
    def dollars(self) -> tuple[TestResult, TestResult, TestResult, TestResult]:
        """``dollar_abnormal_value`` (p of Z), ``dollar_z``, ``dollar_fallback_sd_rows`` and
        ``dollar_shared_days_usd`` (each ticker-day of the usable pairs' windows counted once)."""
        sample = self.dollar_sample
        return _no_dollars() if sample is None else dollar_results(sample, self.alternative)

    @cached_property
    def kp_dollar(self) -> TestResult:
        """``kp_adjusted_dollar_t`` of the pairs of :attr:`dollars`, with the :math:`\\bar r` of the
        window's usable pairs (:attr:`rbar`; those without a dollar value too: a partitioned
        study has the merged correlation sums of those pairs only, not the residuals a subset's
        :math:`\\bar r` needs)."""
        sample = self.dollar_sample
        if sample is None:
            return empty_result("kp_adjusted_dollar_t", REF_KP_DOLLAR, 0)
        return kp_adjusted_dollar_t(
            sample.dollar_car, sample.variance, self.rbar, excess=sample.excess,
            excess_variance=sample.excess_variance, alternative=self.alternative,
        )

    @cached_property
    def dollar_sample(self) -> DollarSample | None:
        """The pairs of the dollar tests (:func:`~eventstudy.inference.dollar.dollar_sample`), or
        None without market values."""
        self.panel.require("market_values")
        panel, ok = self.panel, self.ok
        dollar, market_value = self.parts.dollar, panel.market_value_event
        dollar_car = panel.dollar_car(self.tau_start, self.tau_end)  # None without market values
        if dollar is None or dollar_car is None or market_value is None:
            return None
        variance_d, days_d = dollar
        market_value_window = self.window_rows(market_value)
        sigma = panel.sigma[ok]
        fallback = fallback_dollar_variance(sigma, market_value_window)
        residual_days = self.parts.residual_days[ok]
        dollars = self.window_rows(panel.ar_event) * market_value_window
        window_days = WindowDays(panel.firm[ok], self.window_rows(panel.event_day), dollars)
        return dollar_sample(
            dollar_car[ok], variance_d[ok], days_d[ok], residual_days, fallback, self.length,
            window_days=window_days, sigma=sigma, market_value_window=market_value_window,
        )

    def event_columns(self) -> np.ndarray:
        """(L1 + L2,) the window's columns of the combined estimation + event sample."""
        return np.concatenate([np.zeros(self.panel.ar_estimation.shape[1], bool), self.mask])


@dataclass(frozen=True)
class Statistic:
    """A registered statistic: its name, its function, and whether it needs usable pairs.

    ``needs_pairs`` statistics are NaN with n = 0 when the window has no usable pair; the
    dollar rows decide for themselves (rows without a market value do not count). ``p_from``
    names the statistic whose p-value the row repeats (``caar`` reports the cross-sectional t's
    p): such a row is not a test of its own, and a multiple-testing family counts the test once
    (:mod:`eventstudy.multiple_testing`). ``requires`` names an optional
    :class:`~eventstudy.inference.EventPanel` field the statistic needs (e.g.
    ``conditional_variance``): without it the statistic is left out of the default battery.
    ``parts`` names the parts of :attr:`PanelParts.RELEASABLE` it reads: the battery keeps each
    until the last statistic that declares it has run for every window, then frees it (an
    undeclared read after that computes the part again: the same numbers, more time).
    ``unit`` is that of its value (one of :data:`~eventstudy.columns.STATISTIC_UNITS`): ``t``
    for a t or z statistic, else e.g. ``fraction`` (``caar``), ``usd``, ``ratio``, ``count`` or
    ``rank_sum`` (Wilcoxon's W, a sum of ranks): how a table shows it (a folder's manifest records
    those that are not ``t``, for a report rendered where the statistic is not registered).
    """

    name: str
    compute: Callable[[WindowSample], TestResult]
    needs_pairs: bool = True
    p_from: str | None = None
    requires: str | None = None
    parts: tuple[str, ...] = ()
    unit: str = "t"

    def available(self, panel: EventPanel) -> bool:
        """True when ``panel`` has what the statistic needs."""
        return self.requires is None or getattr(panel, self.requires) is not None


STATISTICS: dict[str, Statistic] = {}
"""The registry: name -> :class:`Statistic`, in the row order of ``stats.parquet``."""


def register_statistic(
    name: str,
    *,
    needs_pairs: bool = True,
    p_from: str | None = None,
    requires: str | None = None,
    parts: tuple[str, ...] = (),
    unit: str = "t",
) -> Callable[[Callable[[WindowSample], TestResult]], Callable[[WindowSample], TestResult]]:
    """Decorator registering ``function(sample) -> TestResult`` as the statistic ``name``.

    ``p_from``: the registered statistic whose p-value this row repeats; ``requires``: the
    optional panel field it needs; ``parts``: the parts of :attr:`PanelParts.RELEASABLE` it
    reads; ``unit``: that of its value (see :class:`Statistic`).

    A function of the same module and qualified name as the registered one replaces it (a
    notebook cell run again, its statistic fixed); any other under a registered name is refused.
    What the function returns is checked each time it runs (:func:`checked_result`).

    Raises
    ------
    ValueError
        When ``name`` is not an identifier (a letter, then letters, digits and ``_``: it names
        the statistic's rows and its config entries) or is registered to another function.
    """
    if not isinstance(name, str) or not _STATISTIC_NAME.fullmatch(name):
        raise ValueError(f"statistic name {name!r} is not a letter followed by letters, digits or _")
    if unit not in STATISTIC_UNITS:
        units = ", ".join(sorted(STATISTIC_UNITS))
        raise ValueError(f"statistic {name!r}: unit {unit!r} is not one of {units}")

    def add(function: Callable[[WindowSample], TestResult]) -> Callable[[WindowSample], TestResult]:
        if name in STATISTICS and _origin(STATISTICS[name].compute) != _origin(function):
            raise ValueError(f"statistic {name!r} is already registered")
        unknown = [part for part in parts if part not in PanelParts.RELEASABLE]
        if unknown:
            known = ", ".join(PanelParts.RELEASABLE)
            raise ValueError(f"statistic {name!r}: unknown part {unknown[0]!r} (known: {known})")
        STATISTICS[name] = Statistic(name, function, needs_pairs, p_from, requires, parts, unit)
        return function

    return add


_STATISTIC_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _origin(function: Callable[..., Any]) -> tuple[str, str]:
    """Where ``function`` was defined: its module and qualified name (a lambda's is its module's)."""
    return (getattr(function, "__module__", "") or "", getattr(function, "__qualname__", repr(function)))


def checked_result(name: str, item: object) -> TestResult:
    """The :class:`TestResult` a registered statistic ``name`` returned, as plain Python values.

    Raises
    ------
    ValueError
        Naming the statistic, when ``item`` is not a TestResult, is named after another statistic,
        or holds a value that is not a real number, a p outside [0, 1] (NaN: none), an ``n`` that
        is not a count, or a reference that is not text: such a row broke the table's save or took
        another statistic's place in it.
    """
    where = f"statistic {name!r}"
    if not isinstance(item, TestResult):
        raise ValueError(f"{where} returned {type(item).__name__}, not a TestResult")
    if item.statistic != name:
        raise ValueError(f"{where} returned a result named {item.statistic!r}; name it {name!r}")
    numbers = {}
    for field_name in ("value", "p"):
        number = getattr(item, field_name)
        if isinstance(number, bool) or not isinstance(number, int | float | np.integer | np.floating):
            raise ValueError(f"{where}: its {field_name} is not a number ({type(number).__name__})")
        numbers[field_name] = float(number)
    if not (np.isnan(numbers["p"]) or 0.0 <= numbers["p"] <= 1.0):
        raise ValueError(f"{where}: p = {numbers['p']:g} is not a probability")
    n = item.n
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"{where}: n = {n!r} is not a count of pairs")
    if not isinstance(item.reference, str):
        raise ValueError(f"{where}: its reference is not text ({type(item.reference).__name__})")
    return TestResult(name, numbers["value"], numbers["p"], int(n), item.reference)


@register_statistic("caar", p_from="cross_sectional_t", unit="fraction")
def _caar(s: WindowSample) -> TestResult:
    value = float(s.car.mean()) if s.car.size else float("nan")
    return TestResult("caar", value, s.cross_sectional.p, s.cross_sectional.n, REF_CAAR)


@register_statistic("cross_sectional_t")
def _cross_sectional(s: WindowSample) -> TestResult:
    return s.cross_sectional


@register_statistic("portfolio_t")
def _portfolio(s: WindowSample) -> TestResult:
    return portfolio_t(s.car, s.variance, s.dof, alternative=s.alternative)


@register_statistic("crude_dependence_t")
def _crude(s: WindowSample) -> TestResult:
    return crude_dependence_t(s.car, s.aar_estimation, s.length, alternative=s.alternative)


@register_statistic("lamb_z")
def _lamb(s: WindowSample) -> TestResult:
    factor = _nanmean(s.window_rows(s.parts.factor), axis=0)
    ar = s.window_rows(s.panel.ar_event)
    return lamb_z(ar, s.aar_estimation, factor, alternative=s.alternative)


@register_statistic("patell_z")
def _patell(s: WindowSample) -> TestResult:
    return patell_z(s.scar, s.dof, alternative=s.alternative)


@register_statistic("kp_adjusted_patell_z", parts=("correlation",))
def _kp_patell(s: WindowSample) -> TestResult:
    return kp_adjusted_patell_z(s.scar, s.dof, s.patell_rbar, alternative=s.alternative)


@register_statistic("bmp_t")
def _bmp(s: WindowSample) -> TestResult:
    return bmp_t(s.scar, alternative=s.alternative)


@register_statistic("kp_adjusted_bmp_t", parts=("correlation",))
def _kp_bmp(s: WindowSample) -> TestResult:
    return kp_adjusted_bmp_t(s.scar, s.rbar, alternative=s.alternative)


@register_statistic("kp_average_correlation", parts=("correlation",), unit="ratio")
def _rbar(s: WindowSample) -> TestResult:
    return TestResult("kp_average_correlation", s.rbar, float("nan"), s.n_pairs, REF_RBAR)


@register_statistic("serial_variance_ratio", parts=("autocorrelations",), unit="ratio")
def _serial_variance_ratio(s: WindowSample) -> TestResult:
    return mean_variance_ratio(s.parts.autocorrelations[s.ok], s.tau_end - s.tau_start + 1)


@register_statistic("sign_z")
def _sign(s: WindowSample) -> TestResult:
    return sign_test(s.car, alternative=s.alternative)


@register_statistic("generalized_sign_z")
def _generalized(s: WindowSample) -> TestResult:
    positive, count = s.parts.estimation_signs
    return _generalized_sign(s.car, positive[s.ok], count[s.ok], alternative=s.alternative)


@register_statistic("corrado_rank_z", parts=("scores",))
def _rank(s: WindowSample) -> TestResult:
    z, n = s.parts.window_day_z("ranks", s)
    return result("corrado_rank_z", z, p_normal(z, s.alternative), n, REF_MRANK)


@register_statistic("corrado_zivney_sign_z", parts=("scores",))
def _rank_sign(s: WindowSample) -> TestResult:
    z, n = s.parts.window_day_z("signs", s)
    return result("corrado_zivney_sign_z", z, p_normal(z, s.alternative), n, REF_CSIGN)


@register_statistic("grank_t", parts=("scores",))
def _grank(s: WindowSample) -> TestResult:
    scar_all = np.full(s.panel.n_pairs, np.nan)
    scar_all[s.ok] = s.scar
    return s.parts.window_grank(s, scar_all)


@register_statistic("wilcoxon_w", unit="rank_sum")
def _wilcoxon(s: WindowSample) -> TestResult:
    return wilcoxon_signed_rank_test(s.car, alternative=s.alternative)


@register_statistic("bootstrap_t")
def _bootstrap(s: WindowSample) -> TestResult:
    # Drawn once for every window of the panel by run_battery_windows (n = 0 without pairs).
    return s.bootstrap if s.bootstrap is not None else empty_result("bootstrap_t", REF_BOOTSTRAP)


def _cluster(s: WindowSample, clustering: str) -> TestResult:
    if clustering != "firm":
        s.panel.require("event_dates")  # dates are the clusters
    return window_cluster_test(
        s.panel.ar_event,
        s.parts.firm_codes,
        s.panel.event_day,
        s.mask,
        clustering,
        alternative=s.alternative,
        usable=s.ok,  # read in blocks: no copy of their rows
    )


@register_statistic("cluster_firm_t")
def _cluster_firm(s: WindowSample) -> TestResult:
    return _cluster(s, "firm")


@register_statistic("cluster_date_t")
def _cluster_date(s: WindowSample) -> TestResult:
    return _cluster(s, "date")


@register_statistic("cluster_two_way_t")
def _cluster_two_way(s: WindowSample) -> TestResult:
    return _cluster(s, "two_way")


def _garch_scar(s: WindowSample) -> np.ndarray:
    variance = s.panel.conditional_variance
    if variance is None:  # an infer panel's (a study's battery leaves the statistic out)
        raise NotComputableError(
            "needs GARCH conditional variances (a study's variance = garch, gjr or egarch)"
        )
    return garch_standardized_car(s.car, s.window_rows(variance))


@register_statistic("abnormal_volatility", p_from="volatility_t", unit="ratio")
def _abnormal_volatility(s: WindowSample) -> TestResult:
    return abnormal_volatility(s.variance_ratios, s.volatility.p)


@register_statistic("volatility_t")
def _volatility_t(s: WindowSample) -> TestResult:
    return s.volatility


@register_statistic("garch_patell_z", requires="conditional_variance")
def _garch_patell(s: WindowSample) -> TestResult:
    return garch_patell_z(_garch_scar(s), alternative=s.alternative)


@register_statistic("garch_bmp_t", requires="conditional_variance")
def _garch_bmp(s: WindowSample) -> TestResult:
    return garch_bmp_t(_garch_scar(s), alternative=s.alternative)


@register_statistic(
    "dollar_abnormal_value",
    needs_pairs=False,
    p_from="kp_adjusted_dollar_t",
    parts=("correlation",),
    unit="usd",
)
def _dollar_value(s: WindowSample) -> TestResult:
    value = s.dollars[0]  # its p is that of the test robust to event-day variance and clustering
    return replace(value, p=s.kp_dollar.p, reference=f"{value.reference}; p of kp_adjusted_dollar_t")


@register_statistic("kp_adjusted_dollar_t", needs_pairs=False, parts=("correlation",))
def _kp_dollar(s: WindowSample) -> TestResult:
    return s.kp_dollar


@register_statistic("dollar_z", needs_pairs=False)
def _dollar_z(s: WindowSample) -> TestResult:
    return s.dollars[1]


@register_statistic("dollar_fallback_sd_rows", needs_pairs=False, unit="count")
def _dollar_fallback(s: WindowSample) -> TestResult:
    return s.dollars[2]


@register_statistic("dollar_shared_days_usd", needs_pairs=False, unit="usd")
def _dollar_shared_days(s: WindowSample) -> TestResult:
    return s.dollars[3]


def statistic_names(statistics: Sequence[str] | None = None) -> tuple[str, ...]:
    """The registered names asked for, in registry order (all of them for None).

    Raises
    ------
    ValueError
        Naming an unknown statistic and the registered ones.
    """
    if statistics is None:
        return tuple(STATISTICS)
    unknown = [name for name in statistics if name not in STATISTICS]
    if unknown:
        raise ValueError(f"unknown statistic {unknown[0]!r}; registered: {', '.join(STATISTICS)}")
    wanted = set(statistics)
    return tuple(name for name in STATISTICS if name in wanted)


def run_battery(
    panel: EventPanel,
    tau_start: int,
    tau_end: int,
    *,
    alternative: Alternative = "two-sided",
    bootstrap_draws: int = 999,
    seed: int | None = 0,
    statistics: Sequence[str] | None = None,
) -> list[TestResult]:
    """The statistics of the registry for the window ``[tau_start, tau_end]``.

    Rows (``TestResult.statistic``, in :data:`STATISTICS` order; only those of ``statistics``
    when given):

    * ``caar``: :math:`N^{-1}\\sum_i CAR_i` (descriptive; p of the cross-sectional t);
    * ``cross_sectional_t``; ``portfolio_t`` (CLM :math:`J_1` with the exact CAR variance);
      ``crude_dependence_t`` (Brown & Warner); ``lamb_z`` with :math:`c_\\tau` the mean over
      pairs of :math:`C_{i\\tau}`;
    * ``patell_z``, ``bmp_t`` on the exact-variance SCARs, and their Kolari-Pynnönen (2010)
      adjustments with :math:`\\bar r` the average correlation of the test's summands
      (:mod:`~eventstudy.inference.correlation`; ``kp_average_correlation`` reports it, p = NaN);
    * ``sign_z``, ``generalized_sign_z`` (Cowan's firm-average :math:`\\hat p`),
      ``corrado_rank_z`` (uniform scores; ranks over estimation window + whole event window;
      Cowan cumulation), ``corrado_zivney_sign_z``, ``grank_t``, ``wilcoxon_w``;
    * ``bootstrap_t`` (events resampled, ``bootstrap_draws`` draws, ``seed``; every pair of
      the panel is resampled and the statistic uses the drawn pairs usable for the window, see
      :func:`~eventstudy.inference.bootstrap.bootstrap_t_tests`);
    * ``dollar_abnormal_value`` (each ticker-day once), ``dollar_z``, ``dollar_fallback_sd_rows``
      and ``dollar_shared_days_usd`` (NaN, n = 0 without market values).

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
    statistics
        Names of the registry to compute (default: all).

    Returns
    -------
    list[TestResult]
        One result per statistic computed.

    Notes
    -----
    Cost O(N·(L1 + L2)·log(L1 + L2) + B·N) for the whole battery; see the module docstring for
    each row and each function for its formula and reference. For several windows of one panel,
    :func:`run_battery_windows` gives the same results and sorts only once.
    """
    return run_battery_windows(
        panel,
        [(tau_start, tau_end)],
        alternative=alternative,
        bootstrap_draws=bootstrap_draws,
        seed=seed,
        statistics=statistics,
    )[0]


def run_battery_windows(
    panel: EventPanel,
    windows: Sequence[tuple[int, int]],
    *,
    alternative: Alternative = "two-sided",
    bootstrap_draws: int = 999,
    seed: int | None = 0,
    statistics: Sequence[str] | None = None,
    parts: PanelParts | None = None,
) -> list[list[TestResult]]:
    """:func:`run_battery` for each window of ``windows``, sharing the window-independent work.

    Returns one list of results per window, each exactly what :func:`run_battery` returns for
    that window. The ranks, signs, the residuals behind :math:`\\bar r` and per-pair sums that
    do not depend on the window are computed once, and only when a statistic asked for needs
    them (:class:`PanelParts`). The bootstrap resamples are drawn once for the windows of as
    many usable pairs (:func:`~eventstudy.inference.bootstrap.bootstrap_t_tests`): a window's
    ``bootstrap_t`` depends only on its usable CARs and the seed, never on the other windows.
    From ``_BACKGROUND_DRAWS`` pairs x draws on, the bootstrap runs on a second thread meanwhile
    (same numbers: it only reads the CARs; on one core it simply takes its turn).
    ``parts`` are the panel's window-independent parts (default: :class:`PanelParts` of
    ``panel``); a partitioned study passes parts merged from its partitions' sums.
    """
    check_alternative(alternative)
    names = statistic_names(statistics)
    if statistics is None:  # the default battery leaves out what the panel cannot support
        names = tuple(name for name in names if STATISTICS[name].available(panel))
    for tau_start, tau_end in windows:
        panel.window_mask(tau_start, tau_end)  # every window is valid before any work
    cars = np.empty((panel.n_pairs, len(windows)))
    usable = np.empty((panel.n_pairs, len(windows)), dtype=bool)
    for k, (a, b) in enumerate(windows):
        cars[:, k] = panel.car(int(a), int(b))
        usable[:, k] = usable_pairs(panel, int(a), int(b))
    own_parts = parts is None
    if parts is None:
        masks = [panel.window_mask(int(a), int(b)) for a, b in windows]
        parts = PanelParts(panel, [(usable[:, k], mask) for k, mask in enumerate(masks)])
    samples = [
        WindowSample(panel, parts, int(a), int(b), alternative, cars[:, k], usable[:, k], k)
        for k, (a, b) in enumerate(windows)
    ]
    if own_parts:
        parts.attach(samples)

    def bootstrap() -> list[TestResult]:
        return bootstrap_t_tests(cars, usable, draws=bootstrap_draws, seed=seed, alternative=alternative)

    # The parts built here are freed after the last statistic that declares them (a caller's
    # parts are the caller's to keep).
    last_reader = {part: name for name in names for part in STATISTICS[name].parts}
    freed_after = {name: [p for p, last in last_reader.items() if last == name] for name in names}

    def compute() -> list[list[TestResult]]:
        # One statistic at a time over every window (the numbers do not depend on the order),
        # so that a part is freed once its statistics are done with it.
        out: list[list[TestResult]] = [[] for _ in samples]
        for name in names:
            for rows, sample in zip(out, samples, strict=True):
                rows.append(_compute(STATISTICS[name], sample))
            for part in freed_after[name] if own_parts else ():
                parts.release(part)
        return out

    if "bootstrap_t" not in names:
        return compute()
    if panel.n_pairs * bootstrap_draws < _BACKGROUND_DRAWS:
        for sample, drawn in zip(samples, bootstrap(), strict=True):
            sample.bootstrap = drawn
        return compute()
    # The bootstrap needs only the CARs: it runs on a second thread (numpy releases the GIL in
    # its loops) while this one computes the other statistics; its rows are filled in after.
    position = names.index("bootstrap_t")
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(bootstrap)
        out = compute()
        for rows, drawn in zip(out, pending.result(), strict=True):
            rows[position] = drawn
    return out


def _compute(statistic: Statistic, sample: WindowSample) -> TestResult:
    """The statistic of one window; NaN with n = 0 (its reference kept) without usable pairs,
    and NaN with n = 0 and the reason as reference when the panel lacks a part it needs."""
    try:
        item = checked_result(statistic.name, statistic.compute(sample))
    except NotComputableError as exc:
        return TestResult(statistic.name, float("nan"), float("nan"), 0, f"{NOT_COMPUTABLE}: {exc}")
    if statistic.needs_pairs and sample.n_pairs == 0:
        return TestResult(item.statistic, float("nan"), float("nan"), 0, item.reference)
    return item


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


def path_bands(panel: EventPanel, tau_start: int, tau_end: int, *, level: float = 0.95) -> tuple[Band, Band]:
    """The classic (t) and Wilcoxon bands of the CAR path over ``[tau_start, tau_end]`` of the
    pairs usable for the whole window (the pairs of :func:`caar_band`); see
    :mod:`~eventstudy.inference.bands`."""
    part = panel.subset(usable_pairs(panel, tau_start, tau_end))
    path = part.car_path(tau_start, tau_end)
    return classic_band(path, level=level), wilcoxon_band(path, level=level)


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
