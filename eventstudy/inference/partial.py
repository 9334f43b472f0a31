"""The battery over partitions of the pairs: per-partition parts, merged on a driver.

A study partitioned by ticker (:mod:`eventstudy.distributed`) computes every pair's abnormal
returns where its prices were read. Of the cross-event statistics (:mod:`.battery`),

* most need, per pair, only a handful of numbers: the window CARs and their CLM variances,
  :math:`\\hat\\sigma_i`, :math:`M_i - k_i`, the event-window ARs, market values and regressors
  (the *thin panel*, :func:`thin_panel`, an :class:`EventPanel` without its estimation-window
  columns), and a few per-pair counts of the estimation window (:class:`EstimationRows`: the
  positive and valid residuals, the dollar-residual variance). These are gathered in events
  order, so the statistics on them (CAAR, the t/Patell/BMP family, sign, Wilcoxon, bootstrap,
  dollar tests, CAAR bands) are computed exactly as in memory;
* the Corrado rank and Corrado-Zivney sign tests and the estimation-window AAR (crude
  dependence, Lamb) are per-day sums over the usable pairs: each partition computes its sums
  for every (group, window) (:func:`window_sums`, :class:`WindowSums`) and the driver adds them;
* GRANK's day sums need the cross-sectional SD of the SCARs first: the driver computes it from
  the thin panel (:func:`~eventstudy.inference.nonparametric.grank_spread`) and each partition
  then its :class:`~eventstudy.inference.nonparametric.GrankSums` (:func:`grank_sums`);
* Kolari-Pynnönen's :math:`\\bar r` sums over pairs whose event windows overlap in calendar time,
  so the pairs are regrouped by calendar time: :func:`bucket_pair_sums` adds the pair sums of
  one block of calendar days (with the rows just before it whose windows can reach into it).

:class:`MergedParts` hands the merged sums to :func:`~eventstudy.inference.run_battery_windows`
in place of the :class:`~eventstudy.inference.PanelParts` of a full panel, so every registered
statistic runs unchanged on the thin panel. Sums of floating-point numbers added in another
order differ in the last bits: merged results equal the in-memory ones to about 1e-15
relative (the merge order is fixed, so a partitioned run is reproducible bit for bit).

Memory on the driver: the thin panel holds, per pair, L2·(4 + k) + k² + 4 numbers
(ARs, calendar days, market values, prediction factors and regressors of the event span, the
:math:`(X'X)^{-1}`, σ, M, k) and :class:`EstimationRows` 5 more: 8·(L2·(4 + k) + k² + 9) bytes,
about 0.8 KB for a [-10, +10] span and the market model, however long the estimation window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from functools import cached_property
from typing import Any, NoReturn

import numpy as np

from .battery import PanelParts, WindowSample, usable_pairs
from .correlation import CalendarResiduals, rbar_from_sum
from .nonparametric import REF_GRANK, DaySums, GrankSample, GrankSums, grank_spread
from .panel import EventPanel
from .result import NotComputableError, TestResult, empty_result

Window = tuple[int, int]
Key = tuple[str, Window]
"""(group label, window) of a sum."""


def thin_panel(panel: EventPanel) -> EventPanel:
    """``panel`` without its estimation-window columns (L1 = 0): what the driver keeps per pair."""
    empty = np.empty((panel.n_pairs, 0))
    return replace(
        panel,
        ar_estimation=empty,
        estimation_day=empty.astype(np.int64),
        market_value_estimation=None if panel.market_value_estimation is None else empty,
    )


def concat_panels(panels: Sequence[EventPanel], order: np.ndarray) -> EventPanel:
    """The rows of ``panels`` stacked, then taken in ``order`` (e.g. back to events order)."""
    first = panels[0]
    changes: dict[str, Any] = {}
    for item in fields(first):
        if item.name == "event_tau" or not isinstance(getattr(first, item.name), np.ndarray):
            continue  # the shared grid, absent parts, the missing inputs
        changes[item.name] = np.concatenate([getattr(p, item.name) for p in panels])[order]
    return replace(first, **changes)


@dataclass(frozen=True)
class EstimationRows:
    """Per pair, the numbers of the estimation window that the battery needs besides sums.

    Attributes
    ----------
    positive, count
        Positive and valid residuals (generalized sign test).
    residual_days
        Valid residuals (dollar test: which variance applies).
    dollar_variance, dollar_days
        :math:`s_{D,i}^2` and :math:`m_i` of the dollar residuals, or None without market values.
    autocorrelations
        (N, L2 - 1) autocorrelations of the residuals (``serial_variance_ratio``).
    """

    positive: np.ndarray
    count: np.ndarray
    residual_days: np.ndarray
    dollar_variance: np.ndarray | None
    dollar_days: np.ndarray | None
    autocorrelations: np.ndarray

    @classmethod
    def of(cls, parts: PanelParts) -> EstimationRows:
        """The rows of a full panel's parts."""
        positive, count = parts.estimation_signs
        dollar = parts.dollar
        return cls(
            positive, count, parts.residual_days, None if dollar is None else dollar[0],
            None if dollar is None else dollar[1], parts.autocorrelations,
        )

    def take(self, rows: np.ndarray) -> EstimationRows:
        """The rows ``rows`` (positions or a boolean mask)."""
        return EstimationRows(
            *(None if value is None else value[rows] for value in _values(self))  # type: ignore[arg-type]
        )

    @classmethod
    def concat(cls, parts: Sequence[EstimationRows], order: np.ndarray) -> EstimationRows:
        """The rows of ``parts`` stacked, then taken in ``order``."""
        columns = zip(*(_values(p) for p in parts), strict=True)
        return cls(*(None if v[0] is None else np.concatenate(v)[order] for v in columns))  # type: ignore[arg-type]


def _values(rows: EstimationRows) -> tuple[np.ndarray | None, ...]:
    return tuple(getattr(rows, item.name) for item in fields(rows))


@dataclass(frozen=True)
class WindowSums:
    """One partition's sums for one (group, window), or the merge of several partitions'.

    Attributes
    ----------
    ranks, signs
        :class:`~eventstudy.inference.nonparametric.DaySums` of the Corrado rank and
        Corrado-Zivney sign scores over the combined sample (L1 + L2 days).
    aar_sum, aar_count
        (L1,) per estimation day, the sum and number of the usable pairs' residuals.
    """

    ranks: DaySums
    signs: DaySums
    aar_sum: np.ndarray
    aar_count: np.ndarray

    def merge(self, other: WindowSums) -> WindowSums:
        """The sums of the union of two disjoint sets of pairs."""
        return WindowSums(
            self.ranks.merge(other.ranks),
            self.signs.merge(other.signs),
            self.aar_sum + other.aar_sum,
            self.aar_count + other.aar_count,
        )


def window_sums(
    panel: EventPanel,
    members: Mapping[Key, np.ndarray],
    parts: PanelParts | None = None,
) -> dict[Key, WindowSums]:
    """Each (group, window)'s :class:`WindowSums` over the usable pairs of ``panel`` among
    ``members[(group, window)]`` ((N,) bool rows of ``panel``).

    ``parts`` are the panel's (built here by default). O(N·(L1 + L2)·log(L1 + L2)) for the
    scores, then O(N·L) per group and window.
    """
    parts = PanelParts(panel) if parts is None else parts
    n_est = panel.ar_estimation.shape[1]
    out: dict[Key, WindowSums] = {}
    for (label, (a, b)), member in members.items():
        rows = usable_pairs(panel, a, b) & member
        columns = np.concatenate([np.zeros(n_est, dtype=bool), panel.window_mask(a, b)])
        out[(label, (a, b))] = WindowSums(
            parts.ranks.sums(rows, columns),
            parts.signs.sums(rows, columns),
            *parts.estimation_column_sums(rows),
        )
    return out


def grank_sums(
    panel: EventPanel, members: Mapping[Key, np.ndarray], spreads: Mapping[Key, float]
) -> dict[Key, GrankSums]:
    """GRANK's sums of the usable pairs of ``panel`` among ``members[key]`` for each key of
    ``spreads`` (the cross-sectional SD of the SCARs of all the key's usable pairs, from the
    driver)."""
    if not spreads:
        return {}
    sample = GrankSample(panel.standardized_residuals())
    out: dict[Key, GrankSums] = {}
    for key, spread in spreads.items():
        a, b = key[1]
        rows = usable_pairs(panel, a, b) & members[key]
        out[key] = sample.sums(rows, panel.standardized_car(a, b), spread)
    return out


def grank_spreads(panel: EventPanel, members: Mapping[Key, np.ndarray]) -> dict[Key, float]:
    """The SD of the SCARs of each (group, window)'s usable pairs where GRANK is computed
    (at least two pairs, a positive SD): what :func:`grank_sums` needs from the driver."""
    out: dict[Key, float] = {}
    for key, member in members.items():
        a, b = key[1]
        spread = grank_spread(usable_pairs(panel, a, b) & member, panel.standardized_car(a, b))[1]
        if spread is not None:
            out[key] = spread
    return out


def bucket_pair_sums(
    residuals: np.ndarray,
    estimation_day: np.ndarray,
    window_days: Mapping[Window, np.ndarray],
    members: Mapping[Key, np.ndarray],
    reach: np.ndarray,
) -> dict[Key, tuple[float, int]]:
    """Kolari-Pynnönen pair sums of one block of calendar days, for each (group, window).

    The rows are the pairs whose event span starts in the block, and (``reach``) those that
    start in the previous block late enough for their windows to overlap the block's: for each
    (group, window) the sum over the ordered pairs among all the rows less the sum among the
    ``reach`` rows (counted by the previous block), and the number of usable pairs that start
    in the block. Adding these over consecutive blocks gives the sum and n of
    :meth:`~eventstudy.inference.correlation.CalendarResiduals.pair_sum` over every pair of
    the study: two pairs whose windows overlap start fewer than a span's days apart, so they
    are in one block, or in neighbouring blocks with the earlier one reaching the later block.

    Parameters
    ----------
    residuals, estimation_day
        (n, L1) the rows' estimation residuals and their calendar days.
    window_days
        Per window, (n, W) the calendar days of the rows' window.
    members
        Per (group, window), (n,) bool: the rows that enter the window's statistics of the
        group (usable pairs only).
    reach
        (n,) bool, the rows from the previous block.
    """
    calendar = CalendarResiduals(residuals, estimation_day)
    keys = list(members)
    full = calendar.pair_sums([members[k] for k in keys], [window_days[k[1]] for k in keys])
    reached = [k for k in keys if (members[k] & reach).any()]
    less = dict(
        zip(
            reached,
            calendar.pair_sums([members[k] & reach for k in reached], [window_days[k[1]] for k in reached]),
            strict=True,
        )
    )
    out: dict[Key, tuple[float, int]] = {}
    for key, (total, _) in zip(keys, full, strict=True):
        if key in less:
            total -= less[key][0]
        out[key] = (total, int(np.count_nonzero(members[key] & ~reach & calendar.usable)))
    return out


class MergedParts(PanelParts):
    """The :class:`~eventstudy.inference.PanelParts` of one group of a partitioned study.

    Per pair (in the order of ``panel``, the group's thin panel), the :class:`EstimationRows`;
    per window, the merged :class:`WindowSums`, :class:`GrankSums` (where GRANK is computed) and
    the Kolari-Pynnönen pair sum and n. The prediction-variance factors come from the thin
    panel itself. The parts that need the estimation-window residuals themselves (the scores,
    :math:`\\bar r`'s calendar residuals) are not on the driver: asking for them raises.
    """

    def __init__(
        self,
        panel: EventPanel,
        rows: EstimationRows,
        sums: Mapping[Window, WindowSums],
        grank: Mapping[Window, GrankSums],
        rbar: Mapping[Window, tuple[float, int]],
    ) -> None:
        super().__init__(panel)
        self.rows = rows
        self.sums = dict(sums)
        self.grank_sums = dict(grank)
        self.rbar_sums = dict(rbar)

    @staticmethod
    def _window(sample: WindowSample) -> Window:
        return (sample.tau_start, sample.tau_end)

    @cached_property
    def estimation_signs(self) -> tuple[np.ndarray, np.ndarray]:
        return self.rows.positive, self.rows.count

    @cached_property
    def residual_days(self) -> np.ndarray:
        return self.rows.residual_days

    @cached_property
    def autocorrelations(self) -> np.ndarray:
        return self.rows.autocorrelations

    @cached_property
    def dollar(self) -> tuple[np.ndarray, np.ndarray] | None:
        if self.rows.dollar_variance is None or self.rows.dollar_days is None:
            return None
        return self.rows.dollar_variance, self.rows.dollar_days

    def window_aar_estimation(self, sample: WindowSample) -> np.ndarray:
        sums = self.sums[self._window(sample)]
        with np.errstate(invalid="ignore", divide="ignore"):
            return sums.aar_sum / sums.aar_count.astype(float)

    def window_day_z(self, kind: str, sample: WindowSample) -> tuple[float, int]:
        sums = self.sums[self._window(sample)]
        day = sums.ranks if kind == "ranks" else sums.signs
        columns = np.concatenate([np.zeros(day.n_t.size - sample.mask.size, dtype=bool), sample.mask])
        return day.z(columns)

    def window_grank(self, sample: WindowSample, scar: np.ndarray) -> TestResult:
        ok, spread = grank_spread(sample.ok, scar)
        if spread is None:
            return empty_result("grank_t", REF_GRANK, int(ok.sum()))
        window = self._window(sample)
        if window not in self.grank_sums:
            self._absent("GRANK (not among the study's statistics, so its pass did not run)")
        return self.grank_sums[window].test(alternative=sample.alternative)

    def window_rbar(self, sample: WindowSample) -> float:
        window = self._window(sample)
        if window not in self.rbar_sums:
            self._absent("r-bar (no Kolari-Pynnönen statistic was asked for, so its pass did not run)")
        return rbar_from_sum(*self.rbar_sums[window])

    def window_subset_rbar(self, sample: WindowSample, rows: np.ndarray) -> float:
        """Not on the driver: the merged pair sums are those of the usable pairs. Patell's
        summands are fewer only where a pair has :math:`M_i - k_i \\le 2` (a few estimation days),
        and ``kp_adjusted_patell_z`` is then not computable on a cluster (run it in memory)."""
        raise NotComputableError(
            "r-bar of Patell's summands (a pair with M - k <= 2 is not one) needs the pairs' estimation "
            "residuals, which a partitioned study keeps on its workers; run the study in memory"
        )

    def _absent(self, what: str) -> NoReturn:
        raise RuntimeError(
            f"{what}: it needs each pair's estimation residuals, which a partitioned study keeps on "
            "its workers; a statistic of a WindowSample must use the sample's window methods"
        )

    @property
    def signs(self):  # type: ignore[no-untyped-def]
        self._absent("the Corrado-Zivney sign scores")

    @property
    def ranks(self):  # type: ignore[no-untyped-def]
        self._absent("the Corrado rank scores")

    @property
    def grank(self):  # type: ignore[no-untyped-def]
        self._absent("the GRANK sample")

    @property
    def correlation(self):  # type: ignore[no-untyped-def]
        self._absent("Kolari-Pynnönen's calendar residuals")
