"""Abnormal trading volume: the volume market model of Campbell & Wasley (1996).

For pair i on day t with :math:`n_{it}` shares traded, the volume measure is

* ``log_turnover`` (Campbell & Wasley 1996; EventStudyTools' AVC):
  :math:`V_{it} = \\ln(100\\,n_{it}/S_{it} + 0.000255)`, the log of the percentage of the
  :math:`S_{it}` shares outstanding traded (the share count in force that day, as for market
  values), the constant keeping Campbell & Wasley's zero-volume days finite (here a 0 is
  missing: below);
* ``log_volume``: :math:`V_{it} = \\ln(1 + n_{it})`. For a constant share count S this is the
  log turnover up to the constant :math:`\\ln(100/S)`, which the intercept of the volume market
  model absorbs (the 0.000255 aside, which matters only on days with almost no trading); it
  needs no share counts, which the cache often lacks over the estimation window.

The market's measure :math:`V_{mt}` is the pair's benchmark's (the market proxy, or the event's
own ``market``) :math:`\\ln(1 + n_{mt})` (Campbell &
Wasley average the log turnover of all NYSE/AMEX stocks; the proxy's own volume is the
market-wide trading activity available here, and its scale is absorbed by the intercept). The
volume market model :math:`V_{it} = \\alpha_i + \\beta_i V_{mt} + u_{it}` is fitted by OLS over the
estimation window, and the abnormal volume is :math:`AV_{i\\tau} = V_{i\\tau} - \\hat\\alpha_i -
\\hat\\beta_i V_{m\\tau}`, cumulated over a window as :math:`CAV_i`.

The volume model is fitted on the days the return model was (those with a return, less
another event's span under ``exclude_overlapping_windows``) that have both volumes above 0 (a 0
is missing, a departure from Campbell & Wasley: :mod:`eventstudy.timeline.volume`) and,
for ``log_turnover``, a share count: often fewer than the return model's, as the share counts
cached may begin inside the estimation window (``volume.parquet``'s ``n_est`` says how many; a
pair left with fewer than ``min_estimation_obs`` is ``no_share_counts``); a pair whose return model
was not fitted takes its outcome (``insufficient_estimation``, ``singular_estimation``). A ticker or
market whose volume is never above 0 (an index) has none: ``no_volume``.

The abnormal volumes form an :class:`~eventstudy.inference.EventPanel` of their own (the same
estimation and event days as the returns), so the battery's statistics apply unchanged:
:data:`VOLUME_STATISTICS` (Campbell & Wasley found the parametric tests well specified on log
volume, and the rank test robust) with the same groups and windows as ``stats.parquet``, in
``volume_stats.parquet``, and the per-day values in ``volume.parquet``. Every assumption of a
statistic carries over with "log volume" for "return" (e.g. the t tests assume independent
events and normal disturbances of the log-volume model), serially uncorrelated days among them:
abnormal log volume is strongly autocorrelated (a first-order autocorrelation of 0.4-0.8 is
common), so over a window of L days the statistics that take its variance as L days'
(:data:`~eventstudy.inference.serial.ASSUME_SERIAL_INDEPENDENCE`) are too large: those of each
pair's own series by about the square root of ``serial_variance_ratio``
(:mod:`eventstudy.inference.serial`, Lo & MacKinlay 1988), those of the pairs' average series by
the square root of that series' own ratio, which the report says; those taking their variance
across the pairs do not assume it.

Differences from EventStudyTools' AVC: its page prints :math:`\\ln((n + 0.000255)/S \\cdot
100)` (the constant inside the ratio); this follows Campbell & Wasley's paper (constant added to
the percentage). Its market volume is an index's mean log turnover, here the proxy's log volume.

References
----------
Ajinkya, B. B., & Jain, P. C. (1989). The behavior of daily stock market trading volume.
*Journal of Accounting and Economics*, 11(4), 331-359.
Campbell, C. J., & Wasley, C. E. (1996). Measuring abnormal daily trading volume for samples of
NYSE/ASE and NASDAQ securities using parametric and nonparametric test statistics. *Review of
Quantitative Finance and Accounting*, 6(3), 309-326.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.aggregate import (
    VOLUME_EXCLUSION_ROWS,
    PairTables,
    PartsOf,
    exclusion_rows,
    group_batteries,
    groups,
)
from eventstudy.columns import MARKET_PROXY_OUTCOME, SHARES_CAVEAT
from eventstudy.config import ShareCaveat, window_label
from eventstudy.estimate import PairEstimates
from eventstudy.inference import EventPanel
from eventstudy.models.ols import BatchFit, degenerate_fits, fit_ols_batch
from eventstudy.multiple_testing import adjusted_p_values
from eventstudy.tables import append_note
from eventstudy.timeline.calendar import NOT_A_SESSION, SHIFT_TOO_LARGE
from eventstudy.timeline.volume import traded, volume_panel

TURNOVER_CONSTANT = 0.000255
"""Campbell & Wasley's constant added to the percentage turnover before the log."""
VOLUME_STATISTICS: tuple[str, ...] = (
    "caar",
    "cross_sectional_t",
    "portfolio_t",
    "crude_dependence_t",
    "patell_z",
    "bmp_t",
    "kp_adjusted_bmp_t",
    "kp_average_correlation",
    "serial_variance_ratio",
    "sign_z",
    "generalized_sign_z",
    "corrado_rank_z",
    "wilcoxon_w",
    "cluster_firm_t",
    "cluster_date_t",
    "cluster_two_way_t",
)
"""The battery's statistics run on the abnormal log volumes (``caar`` is the mean CAV)."""
VOLUME_COLUMNS: tuple[str, ...] = (
    "event_id",
    "ticker",
    "role",
    "group",
    "tau",
    "date",
    "volume",
    "log_volume",
    "market_log_volume",
    "expected_log_volume",
    "abnormal_volume",
    "cumulative_abnormal_volume",
    "abnormal_volume_se",
    "n_est",
    "outcome",
    "note",
)
STATS_COLUMNS: tuple[str, ...] = (
    "group", "window", "statistic", "value", "p", "n", "reference", "p_bh", "p_holm"
)  # fmt: skip


@dataclass(frozen=True)
class VolumeStudy:
    """The abnormal volume of a study's pairs.

    Attributes
    ----------
    table
        ``volume.parquet`` (:data:`VOLUME_COLUMNS`).
    stats
        ``volume_stats.parquet``: the statistics of :data:`VOLUME_STATISTICS` per group and
        window, with the adjusted p-values.
    panel
        The abnormal log volumes as an :class:`EventPanel`.
    """

    table: pd.DataFrame
    stats: pd.DataFrame
    panel: EventPanel


@dataclass(frozen=True)
class VolumePairs:
    """The per-pair part of the abnormal volume study (:func:`volume_pairs`).

    Attributes
    ----------
    table
        ``volume.parquet`` (:data:`VOLUME_COLUMNS`).
    panel
        The abnormal log volumes as an :class:`EventPanel`.
    outcome
        (P,) ``ok`` or why the pair has no abnormal volume.
    """

    table: pd.DataFrame
    panel: EventPanel
    outcome: np.ndarray


def log_volume(volume: np.ndarray) -> np.ndarray:
    """:math:`\\ln(1 + n)` (NaN where the volume is missing)."""
    return np.log1p(volume)


def log_turnover(volume: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """:math:`\\ln(100\\,n/S + 0.000255)` (Campbell & Wasley 1996); NaN without a share count."""
    with np.errstate(invalid="ignore", divide="ignore"):
        turnover = 100.0 * volume / np.where(shares > 0, shares, np.nan)
        return np.log(turnover + TURNOVER_CONSTANT)


def _pad(values: np.ndarray) -> np.ndarray:
    return np.concatenate([values, np.full((1, *values.shape[1:]), np.nan)], axis=0)


INHERITED_OUTCOMES: tuple[str, ...] = (
    "announced_before_data",
    "announced_after_data",
    NOT_A_SESSION,
    SHIFT_TOO_LARGE,
    MARKET_PROXY_OUTCOME,
    "insufficient_estimation",
    "singular_estimation",
)
"""The return study's outcomes a pair's abnormal volume takes over: it has no day 0 (a date off
the calendar under ``day0_rule = "skip"``, beyond ``day0_max_shift``, outside the data), is
the market proxy, or its return model was not fitted, so that it has no estimation days for the
volume model to share."""


MISSING_VOLUME = "missing_volume"
"""The outcome of a day of a pair with a volume model whose abnormal volume is missing: the
ticker's or its benchmark's volume is missing or 0 that day (a gap), or, for ``log_turnover``,
the day's share count; or the day is past the data. The pair's other days stand; a window
holding the day has no CAV."""


def pairs_without_volume(table: pd.DataFrame) -> pd.Series:
    """The outcome of each (event, ticker) of ``volume.parquet`` (``table``) with no day of
    abnormal volume, indexed by the pair in the table's order: its own outcome
    (``no_share_counts``, ``insufficient_estimation``, ...), or :data:`MISSING_VOLUME` for a pair
    whose model has every event day missing, which no count had said (a reviewer)."""
    pairs = table.assign(ok=table["outcome"] == "ok").groupby(["event_id", "ticker"], sort=False)
    first = pairs.agg(ok=("ok", "any"), outcome=("outcome", "first"))
    return first.loc[~first["ok"], "outcome"]


def _outcomes(
    estimates: PairEstimates,
    fit: BatchFit,
    degenerate: np.ndarray,
    min_obs: int,
    no_volume: np.ndarray,
    no_counts: np.ndarray,
) -> np.ndarray:
    """(P,) ``ok`` or why the pair has no abnormal volume: the return study's day-0 and
    market-proxy outcomes, ``no_volume`` where the ticker or the market has no volume at all (a
    returns series, an index), ``no_share_counts`` where turnover lacks the share counts of
    enough of the days with a volume (``no_counts``), then the volume model's own estimation."""
    inherited = np.isin(estimates.pair_outcome, INHERITED_OUTCOMES)
    outcome = np.where(inherited, estimates.pair_outcome, "ok").astype(object)
    outcome[(outcome == "ok") & no_volume] = "no_volume"
    outcome[(outcome == "ok") & no_counts] = "no_share_counts"
    short = (outcome == "ok") & ~fit.estimable & (fit.n_obs < min_obs)
    outcome[short] = "insufficient_estimation"
    outcome[(outcome == "ok") & ~fit.estimable] = "singular_estimation"
    outcome[(outcome == "ok") & degenerate] = "degenerate_estimation"
    return outcome


def abnormal_volume(
    estimates: PairEstimates,
    prices: Mapping[str, pd.DataFrame],
    market: str,
    measure: str,
    windows: Sequence[tuple[int, int]],
    *,
    min_obs: int,
    exclude_confounded: bool = False,
    statistics: Sequence[str] | None = None,
    caveats: Sequence[ShareCaveat] = (),
) -> VolumeStudy:
    """The abnormal volume study on the estimation and event days of the return study.

    Parameters
    ----------
    estimates
        The return study (its pairs, calendar days, groups and share counts).
    prices
        Price frames with ``volume`` by symbol (every ticker and the market proxy).
    market
        The market proxy (its volume is the market's measure).
    measure
        ``"log_volume"`` or ``"log_turnover"``.
    windows
        The event windows of the statistics.
    min_obs
        Fewest valid estimation days of a pair's volume model.
    exclude_confounded
        Leave each window's confounded or unscreened pairs out of the statistics (else each
        group's ``(unconfounded)`` twin follows), as ``stats.parquet`` does.
    statistics
        The study's choice of statistics (``StudyConfig.statistics``; None: all): those of
        :data:`VOLUME_STATISTICS` it names.
    caveats
        The config's ``[[shares.caveats]]``: ``volume.parquet``'s ``note`` names them on the rows
        whose log turnover divides by a count they flag.

    Returns
    -------
    VolumeStudy
        The per-day table, the statistics and the panel: :func:`volume_pairs`, then
        :func:`volume_statistics`.

    Notes
    -----
    OLS of :math:`V_{it}` on :math:`(1, V_{mt})` per pair
    (:func:`~eventstudy.models.ols.fit_ols_batch`), abnormal volume :math:`AV = V -
    \\hat\\alpha - \\hat\\beta V_m`, its s.e. the prediction-error s.e.
    :math:`\\hat\\sigma\\sqrt{1 + x'(X'X)^{-1}x}`. A pair whose volume model vanishes (a constant
    volume series) is ``degenerate_estimation``.
    """
    pairs = volume_pairs(estimates, prices, market, measure, min_obs=min_obs, caveats=caveats)
    stats = volume_statistics(
        estimates,
        pairs.panel,
        windows,
        pairs.outcome,
        exclude_confounded=exclude_confounded,
        statistics=statistics,
    )
    return VolumeStudy(pairs.table, stats, pairs.panel)


def volume_pairs(
    estimates: PairEstimates,
    prices: Mapping[str, pd.DataFrame],
    market: str,
    measure: str,
    *,
    min_obs: int,
    caveats: Sequence[ShareCaveat] = (),
) -> VolumePairs:
    """The abnormal volume of every pair (:func:`abnormal_volume` without the statistics: each
    pair's model, abnormal volumes and outcome depend on its own ticker and the market only,
    so a study partitioned by ticker computes them per partition). ``caveats``, the config's
    ``[[shares.caveats]]``, note the rows whose log turnover rests on a flagged count."""
    panel = estimates.panel
    events = estimates.events
    tickers = events["ticker"].to_numpy(object)
    symbols = list(panel.symbols)
    cached = volume_panel(prices, panel.calendar, symbols)  # volume.parquet shows these figures
    volume = traded(cached)
    firm_measure = log_volume(volume)
    if measure == "log_turnover":
        counts = estimates.share_table.counts_by_day(np.array(symbols, dtype=object), before_split="scale").T
        firm_measure = log_turnover(volume, counts)
    elif measure != "log_volume":
        raise ValueError(f"volume measure must be log_volume or log_turnover, got {measure!r}")
    index = pd.Index(symbols, dtype=object)
    columns = index.get_indexer(pd.Index(tickers, dtype=object))
    # Each pair's market volume is its own benchmark's (the events' market column), as its returns'.
    benchmarks = estimates.benchmarks
    if benchmarks is None:
        benchmarks = np.full(len(tickers), market, dtype=object)
    market_columns = index.get_indexer(pd.Index(benchmarks, dtype=object))
    used = np.unique(market_columns)
    market_measure = log_volume(volume[:, used])
    market_local = np.searchsorted(used, market_columns)
    firm_padded, market_padded, traded_padded = _pad(firm_measure), _pad(market_measure), _pad(volume)
    est, evt = np.asarray(estimates.estimation_days), estimates.event_days
    y_est = firm_padded[est, columns[:, None]]
    # The returns' estimation days: where their model had a residual (not a day without a return,
    # such as a listing day, nor one of another event's span under exclude_overlapping_windows);
    # a pair whose return model was not fitted has none and takes its outcome (_outcomes).
    days_used = np.isfinite(estimates.model_fit.batch.residuals)
    y_est = np.where(days_used, y_est, np.nan)
    y_evt = firm_padded[evt, columns[:, None]]
    x_est = np.stack([np.ones_like(y_est), market_padded[est, market_local[:, None]]], axis=-1)
    x_evt = np.stack([np.ones_like(y_evt), market_padded[evt, market_local[:, None]]], axis=-1)
    fit = fit_ols_batch(y_est, x_est, min_obs=min_obs)
    trades = np.asarray((volume > 0).any(axis=0))  # NaN is not > 0: an index's zeros are no volume
    no_volume = ~trades[columns] | ~trades[market_columns]
    no_counts = np.zeros(len(events), dtype=bool)
    if measure == "log_turnover":  # enough days with both volumes, too few of them with a share count
        both = np.isfinite(traded_padded[est, columns[:, None]]) & np.isfinite(x_est[:, :, 1])
        no_counts = ((both & days_used).sum(axis=1) >= min_obs) & (fit.n_obs < min_obs)
    degenerate = degenerate_fits(y_est, fit.residuals)
    outcome = _outcomes(estimates, fit, degenerate, min_obs, no_volume, no_counts)
    ok = outcome == "ok"
    expected = np.einsum("plk,pk->pl", x_evt, fit.coef)
    abnormal = np.where(ok[:, None], y_evt - expected, np.nan)
    sigma = np.where(ok, fit.sigma, np.nan)
    volume_panel_ = EventPanel(
        ar_estimation=np.where(ok[:, None], fit.residuals, np.nan),
        ar_event=abnormal,
        event_tau=estimates.event_taus,
        estimation_day=estimates.estimation_days,
        event_day=evt,
        sigma=sigma,
        n_estimation=fit.n_obs,
        n_params=np.full(len(events), 2),
        xtx_inv=np.where(ok[:, None, None], fit.xtx_inv, np.nan),
        x_event=x_evt,
        firm=tickers,
    )
    factor = volume_panel_.prediction_variance_factor()
    se = sigma[:, None] * np.sqrt(factor)
    notes = np.full(abnormal.shape, "", dtype=object)
    if measure == "log_turnover":
        notes = _caveat_notes(estimates, caveats, np.where(days_used, est, -1).max(axis=1), evt)
    table = _table(
        estimates,
        _pad(cached)[evt, columns[:, None]],
        y_evt,
        market_padded[evt, market_local[:, None]],
        expected,
        abnormal,
        se,
        fit.n_obs,
        outcome,
        notes,
    )
    return VolumePairs(table, volume_panel_, outcome)


def _caveat_notes(
    estimates: PairEstimates,
    caveats: Sequence[ShareCaveat],
    last_estimation: np.ndarray,
    event_days: np.ndarray,
) -> np.ndarray:
    """(P, T) the ``[[shares.caveats]]`` notes of each (pair, tau) whose log turnover divides by a
    count they flag (the count of a day on or after the caveat's start): every day of a pair whose
    volume model used such a day (``last_estimation``, its last estimation day's calendar index,
    -1 for none), else the event days on or after it. A stale count that left out 433M shares
    raised INTC's turnover from the caveat's day, said nowhere (a referee)."""
    calendar = np.append(estimates.panel.calendar.to_numpy(dtype="datetime64[D]"), np.datetime64("NaT"))
    tickers = estimates.events["ticker"].to_numpy(object)
    notes = np.full(event_days.shape, "", dtype=object)
    estimated = calendar[np.where(last_estimation >= 0, last_estimation, -1)]
    for caveat in caveats:
        start = np.datetime64(caveat.start, "D")
        pair = tickers == caveat.ticker
        applies = pair[:, None] & ((estimated >= start)[:, None] | (calendar[event_days] >= start))
        append_note(notes.reshape(-1), applies.reshape(-1), f"{SHARES_CAVEAT}{caveat.note}")  # a view
    return notes


def _table(
    estimates: PairEstimates,
    volume: np.ndarray,
    measure: np.ndarray,
    market: np.ndarray,
    expected: np.ndarray,
    abnormal: np.ndarray,
    se: np.ndarray,
    n_est: np.ndarray,
    outcome: np.ndarray,
    notes: np.ndarray,
) -> pd.DataFrame:
    n_pairs, n_taus = abnormal.shape
    events = estimates.events
    calendar = np.append(estimates.panel.calendar.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))
    ok = (outcome == "ok")[:, None]

    def per_pair(values: np.ndarray) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype=object), n_taus).astype(str)

    row_outcome = np.where((ok & ~np.isfinite(abnormal)).ravel(), MISSING_VOLUME, per_pair(outcome))

    frame = pd.DataFrame(
        {
            "event_id": per_pair(events["event_id"].to_numpy(object)),
            "ticker": per_pair(events["ticker"].to_numpy(object)),
            "role": per_pair(events["role"].to_numpy(object)),
            "group": per_pair(events["group"].to_numpy(object)),
            "tau": np.tile(estimates.event_taus, n_pairs).astype("int64"),
            "date": calendar[estimates.event_days].ravel(),
            "volume": volume.ravel(),
            "log_volume": measure.ravel(),
            "market_log_volume": market.ravel(),
            "expected_log_volume": np.where(ok, expected, np.nan).ravel(),
            "abnormal_volume": abnormal.ravel(),
            "cumulative_abnormal_volume": np.cumsum(abnormal, axis=1).ravel(),
            "abnormal_volume_se": np.where(ok, se, np.nan).ravel(),
            "n_est": np.repeat(np.asarray(n_est, dtype="int64"), n_taus),
            "outcome": row_outcome,
            "note": notes.ravel().astype(str),
        }
    )
    return frame.loc[:, list(VOLUME_COLUMNS)]


def volume_statistics(
    estimates: PairTables,
    panel: EventPanel,
    windows: Sequence[tuple[int, int]],
    outcome: np.ndarray,
    *,
    exclude_confounded: bool = False,
    parts: PartsOf | None = None,
    statistics: Sequence[str] | None = None,
) -> pd.DataFrame:
    """``volume_stats.parquet``: the statistics of :data:`VOLUME_STATISTICS` (those of them in
    ``statistics``, the study's choice, when given) per group and window, with the counts of the
    pairs excluded before any statistic and the adjusted
    p-values (Benjamini-Hochberg and Holm, :func:`~eventstudy.multiple_testing.adjusted_p_values`).
    The samples are ``stats.parquet``'s (:func:`~eventstudy.aggregate.group_batteries`): with
    ``exclude_confounded`` a window's confounded or unscreened pairs (``car.parquet``) leave it;
    otherwise, when some pair is, each group has its ``(unconfounded)`` twin.

    ``panel`` is :attr:`VolumePairs.panel` of the study's pairs; ``parts`` gives each group's
    window-independent parts (:data:`~eventstudy.aggregate.PartsOf`; default: from ``panel``).
    """
    rows: list[dict[str, object]] = []
    twins: list[dict[str, object]] = []
    labels = [window_label(w) for w in windows]
    run_windows = [(int(a), int(b)) for a, b in windows]
    batteries = group_batteries(
        estimates.events,
        estimates.car,
        panel,
        run_windows,
        [name for name in VOLUME_STATISTICS if statistics is None or name in statistics],
        {"bootstrap_draws": 0, "seed": 0},
        exclude_confounded=exclude_confounded,
        parts=parts,
    )
    for label, mask in groups(estimates.events):
        battery, twin_battery = batteries[label]
        rows += battery
        twins += twin_battery or []
        excluded = pd.DataFrame(
            {
                "window": np.repeat(labels, int(mask.sum())),
                "outcome": np.tile(outcome[mask], len(labels)),
            }
        )
        rows += exclusion_rows(excluded, label, VOLUME_EXCLUSION_ROWS)
    frame = pd.DataFrame(rows + twins)
    frame["n"] = frame["n"].astype("int64")
    return adjusted_p_values(frame).loc[:, list(STATS_COLUMNS)]
