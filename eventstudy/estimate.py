"""The study's computation on a returns panel: day 0, the model fit, abnormal returns, market values.

:func:`estimate` is pure (no I/O): it takes the validated events, a
:class:`~eventstudy.timeline.returns.ReturnsPanel`, an expected-return model, the configuration
and the share counts, and returns the per-pair arrays and tables (:class:`PairEstimates`).

**Per-event benchmarks.** When the events have a ``market`` column (eventstudy2's ``idmarket``),
each pair's design is gathered from its own benchmark: the pairs are grouped by benchmark, each
group's regressors come from :meth:`ExpectedReturnModel.with_market` of the model, and one
batched fit covers every pair (:class:`PairDesign`). A blank ``market`` is the model's own
benchmark; without the column the single-benchmark path runs exactly as before.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.abnormal import abnormal_returns
from eventstudy.blocks import row_blocks
from eventstudy.columns import MARKET_PROXY_OUTCOME
from eventstudy.config import StudyConfig, window_label
from eventstudy.daygrid import DayGrid, relative_day_index
from eventstudy.exchanges import quote_currency
from eventstudy.inference.dollar import (
    SAHA_FERRELL,
    SIGMA_X_MARKET_VALUE,
    dollar_residual_variance,
    saha_ferrell_rows,
)
from eventstudy.models import ExpectedReturnModel, ModelFit
from eventstudy.models.base import checked_design, checked_fit
from eventstudy.models.ols import DEGENERATE_RTOL, BatchFit, degenerate_fits
from eventstudy.peers import PEER_ROLE
from eventstudy.tables import (
    NEWER_DATA,
    EventReturns,
    EventSpan,
    PairArrays,
    PairOutcomes,
    PairValues,
    ShareFigures,
    ar_table,
    car_table,
)
from eventstudy.timeline.calendar import (
    NOT_A_SESSION,
    SHIFT_TOO_LARGE,
    DayZeros,
    align_days_zero,
    proxy_gap_note,
    proxy_gap_shift,
)
from eventstudy.timeline.overlap import other_event_days, overlap_notes
from eventstudy.timeline.returns import ReturnsPanel
from eventstudy.valuation import ShareCountTable


@dataclass
class PairEstimates:
    """The per-pair results of :func:`estimate` (rows in events order).

    Attributes
    ----------
    events
        The events frame (parties and peers).
    ar, car
        The ``ar.parquet`` and ``car.parquet`` tables.
    model
        The expected-return model.
    model_fit
        Its fit (coefficients, reported parameters).
    panel
        The returns panel the study ran on.
    estimation_days
        (P, L1) int32 calendar positions of the estimation columns (-1 outside), a
        :class:`~eventstudy.daygrid.DayGrid`: made when asked, a block of rows at a time
        (``numpy.asarray`` gives the whole array).
    event_days
        (P, L2) int64 calendar positions of the event columns (-1 outside).
    event_taus
        (L2,) relative days of the event columns.
    abnormal
        (P, L2) event-window abnormal returns.
    x_event
        (P, L2, k) model regressors on the event days.
    market_value_prev
        (P, L2) market value on the session before each event day (NaN where unknown).
    dollar_variance, dollar_days
        (P,) :math:`s_{D,i}^2` and :math:`m_i` of each pair's estimation-window dollar residuals
        (:func:`pair_values`), what the dollar test reads of the estimation window.
    pair_outcome
        (P,) ``"ok"``, or the outcome that excludes the pair from every window and statistic
        before its window is looked at: no day 0 (``announced_before_data``,
        ``announced_after_data``), ``market_proxy``, ``insufficient_estimation``,
        ``singular_estimation``, ``degenerate_estimation``.
    share_table
        The share counts indexed on the panel's calendar.
    estimation_window
        The estimation window in relative days, ``"all"`` resolved to the earliest day any pair
        reaches (:meth:`~eventstudy.config.StudyConfig.estimation_bounds`).
    benchmarks
        (P,) each pair's market benchmark, or None when every pair uses the model's own.
    """

    events: pd.DataFrame
    ar: pd.DataFrame
    car: pd.DataFrame
    model: ExpectedReturnModel
    model_fit: ModelFit
    panel: ReturnsPanel
    estimation_days: DayGrid
    event_days: np.ndarray
    event_taus: np.ndarray
    abnormal: np.ndarray
    x_event: np.ndarray
    market_value_prev: np.ndarray
    dollar_variance: np.ndarray
    dollar_days: np.ndarray
    pair_outcome: np.ndarray
    share_table: ShareCountTable = field(repr=False, compare=False)
    estimation_window: tuple[int, int] = (0, 0)
    benchmarks: np.ndarray | None = None

    @property
    def fit(self) -> BatchFit:
        """The per-pair OLS (or model-specific) fit."""
        return self.model_fit.batch


def estimate(
    events: pd.DataFrame,
    panel: ReturnsPanel,
    model: ExpectedReturnModel,
    config: StudyConfig,
    *,
    shares: dict[str, pd.DataFrame] | None = None,
    restatements: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> PairEstimates:
    """The study's computation on an already built returns panel (no I/O).

    The steps, each a function of this module: day 0 and the windows on the calendar
    (:func:`study_days`), the fit on the estimation window (:func:`fit_pairs`), abnormal returns
    on the event span (:func:`event_returns`), market values (:func:`pair_values`), the outcomes
    that exclude a pair from every window (:func:`pair_outcomes`), then the tables
    (:func:`~eventstudy.tables.ar_table`, :func:`~eventstudy.tables.car_table`).

    Parameters
    ----------
    events
        Validated events (see :func:`eventstudy.data.events.read_events`).
    panel
        Returns panel containing every ticker and the market proxy.
    model
        Expected-return model (an :class:`~eventstudy.models.ExpectedReturnModel`).
    config
        Windows, thresholds and ``exclude_overlapping_windows``: when true, every estimation
        day inside another same-ticker event's event span is set missing before the fit
        (:func:`eventstudy.timeline.overlap.other_event_days`).
    shares
        Shares-outstanding observations by ticker (missing tickers get no market value).
    restatements
        The ``restatements`` records of each ticker's cached price file (its provenance,
        :attr:`eventstudy.data.inputs.StudyInputs.restatements`): a split they record withholds
        the market values of the counts dated before it (:class:`~eventstudy.valuation.ShareCountTable`).
    """
    tickers = events["ticker"].to_numpy(object)
    columns = _columns(panel, tickers)
    days = study_days(events, panel, config)
    benchmarks = pair_benchmarks(events, model)
    design = PairDesign.gather(
        panel, model, benchmarks, days.estimation_days, days.span.days, config.market, tickers
    )
    # Only the panel columns of the events' tickers are read: a wide panel with few events costs
    # O(events), not O(tickers x days). ``local`` is each pair's position among those columns.
    used, local = _used_columns(columns)
    returns_by_column = _by_column(panel.returns, used)
    fitted = fit_pairs(events, days, design, returns_by_column, local, model, config)
    returns = event_returns(returns_by_column, days.span, local, design, fitted.model_fit.batch)
    proxy = design.proxy
    outcomes = pair_outcomes(events, days, fitted, proxy, returns, config)
    _name_short_windows(
        outcomes, returns_by_column, local, days, tickers, panel, config, design, model, benchmarks
    )
    del returns_by_column, design  # the event-day offsets: the tables read the returns
    values = pair_values(panel, tickers, columns, days, fitted.model_fit.batch, shares or {}, restatements)
    pairs = PairArrays(events, model, fitted.model_fit, panel, days.span, returns, values.arrays, outcomes)
    return PairEstimates(
        events=events,
        ar=ar_table(pairs),
        car=car_table(pairs, config),
        model=model,
        model_fit=fitted.model_fit,
        panel=panel,
        estimation_days=days.estimation_days,
        event_days=days.span.days,
        event_taus=days.span.taus,
        abnormal=returns.abnormal,
        x_event=returns.x_event,
        market_value_prev=values.arrays.market_value_prev,
        dollar_variance=values.dollar_variance,
        dollar_days=values.dollar_days,
        pair_outcome=np.where(outcomes.outcome == "", "ok", outcomes.outcome).astype(object),
        share_table=values.share_table,
        estimation_window=days.estimation_window,
        benchmarks=benchmarks,
    )


@dataclass(frozen=True)
class StudyDays:
    """Step 1, day 0 and the windows: each pair's estimation and event days on the calendar.

    Attributes
    ----------
    span
        Day 0 and the event span (relative days, calendar positions and dates).
    estimation_window
        The estimation window in relative days (:func:`resolved_estimation_window`).
    estimation_days
        (P, L1) calendar positions of the estimation window (-1 outside the calendar), made a
        block of rows at a time when asked.
    prev_days
        (P, L2) calendar positions of the session before each event-span day, made when asked.
    n_days
        Sessions in the calendar.
    """

    span: EventSpan
    estimation_window: tuple[int, int]
    estimation_days: DayGrid
    prev_days: DayGrid
    n_days: int


def study_days(events: pd.DataFrame, panel: ReturnsPanel, config: StudyConfig) -> StudyDays:
    """Day 0 of every pair by the config's rule (:func:`~eventstudy.timeline.calendar.align_days_zero`)
    and the positions and dates of its estimation window and event span."""
    n_days = len(panel.calendar)
    day_zero = align_days_zero(
        panel.calendar,
        events["announced"],
        events["timing"],
        rule=config.day0_rule,
        max_shift=config.day0_max_shift,
    )
    day_zero = proxy_gap_days(day_zero, events, panel, config.market)
    day0_index = day_zero.index
    estimation_window = resolved_estimation_window(config, day0_index)
    est_taus = np.arange(estimation_window[0], estimation_window[1] + 1)
    span = config.event_span
    evt_taus = np.arange(span[0], span[1] + 1)
    # The (pairs x estimation days) positions are made a block of rows at a time when a step
    # reads them (the fit, the market values, the r̄ part), in int32: a calendar of 2^31
    # sessions is 8 million years.
    est_days = DayGrid(day0_index, est_taus, n_days, np.int32)
    evt_days = relative_day_index(day0_index, evt_taus, n_days)
    prev_days = DayGrid(day0_index, evt_taus - 1, n_days)  # kept as a grid: read here and by pair_values
    calendar = _calendar_dates(panel)
    gap_notes = proxy_gap_notes(events, panel, evt_days, config.market)
    event_span = EventSpan(
        day_zero, evt_taus, evt_days, calendar[evt_days], calendar[np.asarray(prev_days)], gap_notes
    )
    return StudyDays(event_span, estimation_window, est_days, prev_days, n_days)


def proxy_gap_days(day_zero: DayZeros, events: pd.DataFrame, panel: ReturnsPanel, market: str) -> DayZeros:
    """Day 0 of pairs announced on a weekday that is no session of the market proxy's rows but on
    which the pair's ticker, of the proxy's exchange, traded
    (:attr:`~eventstudy.timeline.returns.ReturnsPanel.traded_off_calendar`): the day is a gap in
    the proxy's data, not the "market holiday" the rule calls it, and its shift says so."""
    if not panel.traded_off_calendar:
        return day_zero
    announced = pd.DatetimeIndex(events["announced"]).normalize().to_numpy("datetime64[ns]")
    tickers = events["ticker"].to_numpy(object)
    shift = day_zero.shift.copy()
    for ticker, days in panel.traded_off_calendar.items():
        on_gap = (tickers == ticker) & np.isin(announced, days)
        shift[on_gap] = [proxy_gap_shift(str(text), market, ticker) for text in shift[on_gap]]
    return dataclasses.replace(day_zero, shift=shift)


def proxy_gap_notes(
    events: pd.DataFrame, panel: ReturnsPanel, event_days: np.ndarray, market: str
) -> np.ndarray | None:
    """(P, L) the note of each event-span day whose return spans a weekday the market proxy's
    rows lack but the pair's ticker traded on
    (:attr:`~eventstudy.timeline.returns.ReturnsPanel.traded_off_calendar`), "" for the others:
    with a price series as the market that return is one over both days (the proxy's too), with
    a returns series it is withheld (:mod:`eventstudy.timeline.returns`). A window's rows say the
    notes of its own days (:func:`eventstudy.tables.car_table`). ``event_days`` (P, L) are the
    span's calendar positions (-1 outside). None where no day has one."""
    if not panel.traded_off_calendar:
        return None
    notes = np.full(event_days.shape, "", dtype=object)
    sessions = panel.calendar.to_numpy("datetime64[ns]")
    tickers = events["ticker"].to_numpy(object)
    withheld = market in panel.returns_only
    for ticker, days in panel.traded_off_calendar.items():
        rows = np.flatnonzero(tickers == ticker)
        positions = event_days[rows]
        # the missing days before each span day's session: after the session before it
        before = np.searchsorted(days, sessions[np.maximum(positions - 1, 0)], side="right")
        upto = np.searchsorted(days, sessions[np.maximum(positions, 0)], side="left")
        hit = (positions > 0) & (upto > before)
        for r, d in zip(*np.nonzero(hit), strict=True):
            missing = " and ".join(str(day)[:10] for day in days[before[r, d] : upto[r, d]])
            session = str(sessions[positions[r, d]])[:10]
            what = (
                f"{ticker}'s return of {session} is withheld"
                if withheld
                else f"the return of {session} spans {missing} and {session}"
            )
            advice = f"(re-import {market} with the day; eventstudy validate lists such gaps)"
            notes[rows[r], d] = proxy_gap_note(market, ticker, missing, f"{what} {advice}")
    return notes if (notes != "").any() else None


@dataclass(frozen=True)
class PairFits:
    """Step 2, the fit: the model fitted to every pair's estimation window.

    Attributes
    ----------
    model_fit
        The batched fit (:meth:`ExpectedReturnModel.fit`).
    degenerate
        (P,) True where the residuals vanish (:func:`~eventstudy.models.ols.degenerate_fits`).
    overlap_excluded
        (P,) estimation returns set missing because another same-ticker event's span covers
        them (``exclude_overlapping_windows``), or None when the option is off.
    zero_returns, valid_returns
        (P,) estimation returns that are exactly 0, and that are not missing (the pair's own
        returns, before any offset of the model), for the thin-trading note
        (:data:`THIN_TRADING_SHARE`).
    """

    model_fit: ModelFit
    degenerate: np.ndarray
    overlap_excluded: np.ndarray | None
    zero_returns: np.ndarray
    valid_returns: np.ndarray


def fit_pairs(
    events: pd.DataFrame,
    days: StudyDays,
    design: PairDesign,
    returns_by_column: np.ndarray,
    columns: np.ndarray,
    model: ExpectedReturnModel,
    config: StudyConfig,
) -> PairFits:
    """Fit ``model`` to each pair's estimation returns (less the design's offset), without the
    days of other same-ticker events' spans when ``config.exclude_overlapping_windows``.
    ``returns_by_column`` is the :func:`_by_column` copy of the events' columns and ``columns``
    each pair's position in it.

    Pairs are gathered and fitted a block of :data:`_BLOCK_VALUES` estimation values at a time
    (:func:`~eventstudy.blocks.row_blocks`): a pair's fit
    depends on its own rows only (the contract of :meth:`ExpectedReturnModel.fit`), so the
    blocks give the whole batch's numbers exactly, and no (pairs x estimation days x
    regressors) array is made for the whole study."""
    inside = None
    if config.exclude_overlapping_windows:
        tickers = events["ticker"].to_numpy(object)
        codes = np.unique(tickers.astype(str), return_inverse=True)[1].reshape(-1)
        inside = other_event_days(
            codes,
            days.span.day_zero.index,
            days.estimation_days,
            config.event_span,
            days.n_days,
            _is_event(events),
        )
    n_pairs, n_estimation = days.estimation_days.shape
    excluded = None if inside is None else np.zeros(n_pairs, dtype=np.intp)
    degenerate = np.zeros(n_pairs, dtype=bool)
    zero_returns = np.zeros(n_pairs, dtype=np.int32)
    valid_returns = np.zeros(n_pairs, dtype=np.int32)
    whole: ModelFit | None = None
    for rows in row_blocks(n_pairs, n_estimation, _BLOCK_VALUES):
        y_est = _gather_pairs(returns_by_column, days.estimation_days[rows], columns[rows])
        used = np.isfinite(y_est) if inside is None else np.isfinite(y_est) & ~inside[rows]
        valid_returns[rows] = used.sum(axis=1)
        zero_returns[rows] = (used & (y_est == 0.0)).sum(axis=1)
        offset, x_est, auxiliary = design.estimation(rows)
        if offset is not None:
            y_est -= offset
        if inside is not None and excluded is not None:
            excluded[rows] = (inside[rows] & np.isfinite(y_est)).sum(axis=1)
            y_est = np.where(inside[rows], np.nan, y_est)
        part = model.fit(y_est, x_est, auxiliary, min_obs=config.min_estimation_obs)
        part = checked_fit(model, part, *y_est.shape)
        degenerate[rows] = degenerate_fits(y_est, part.batch.residuals)
        if rows == slice(0, n_pairs):  # one block: the fit itself
            whole = part
            break
        whole = whole or _allocated_fit(part, n_pairs)
        _fill_fit(whole, rows, part)
    assert whole is not None
    return PairFits(whole, degenerate, excluded, zero_returns, valid_returns)


THIN_TRADING_SHARE = 0.2
"""Share of a pair's estimation returns that are exactly 0 from which its rows carry a
thin-trading note (the pair stays in every statistic). A day without a trade repeats the last
price, so its return is 0 and the next traded day's return holds the move of both: sigma,
estimated on mostly zeros, understates the variance of a traded day, and the OLS beta is
biased towards 0 (Maynes & Rumsey 1993, "Conducting event studies with thinly traded stocks",
*Journal of Banking & Finance* 17(1); Bartholdy, Olson & Peare 2007, "Conducting event studies
on a small stock exchange", *European Journal of Finance* 13(3), who advise reporting thinly
traded stocks apart). Actively traded large caps have almost none (the 20 symbols of
``../shared/data/prices``, 2023-2025: at most 0.5% of their daily returns are 0); the 20% line
is a convention of this package, not a published threshold."""

_BLOCK_VALUES = 2**18
"""Values (pairs, or symbols, x days) that :func:`fit_pairs`, :func:`pair_values` and the
market-value tables gather at a time (2 MB of float64: the block's work arrays stay in the CPU
caches)."""


def _allocated_fit(part: ModelFit, n_pairs: int) -> ModelFit:
    """An empty :class:`ModelFit` of ``n_pairs`` pairs shaped and typed like ``part``'s arrays
    (each of which has one row per pair)."""

    def like(values: np.ndarray) -> np.ndarray:
        return np.empty((n_pairs, *values.shape[1:]), dtype=values.dtype)

    batch = BatchFit(**{f.name: like(getattr(part.batch, f.name)) for f in fields(BatchFit)})
    params = {name: like(values) for name, values in part.params.items()}
    refusal = None if part.refusal is None else like(part.refusal)
    return ModelFit(batch, params, like(part.alpha), like(part.beta), refusal)


def _fill_fit(whole: ModelFit, rows: slice, part: ModelFit) -> None:
    """Write the block fit ``part`` into the rows ``rows`` of ``whole``."""
    for f in fields(BatchFit):
        getattr(whole.batch, f.name)[rows] = getattr(part.batch, f.name)
    for name, values in part.params.items():
        whole.params[name][rows] = values
    whole.alpha[rows] = part.alpha
    whole.beta[rows] = part.beta
    if whole.refusal is not None and part.refusal is not None:
        whole.refusal[rows] = part.refusal


def event_returns(
    returns_by_column: np.ndarray, span: EventSpan, columns: np.ndarray, design: PairDesign, fit: BatchFit
) -> EventReturns:
    """Step 3, AR/CAR: each pair's returns on its event span, the model's expected returns and
    the abnormal returns (:func:`eventstudy.abnormal.abnormal_returns`)."""
    returns = _gather_pairs(returns_by_column, span.days, columns)
    expected, abnormal = abnormal_returns(returns, design.offset_event, design.x_event, fit.coef)
    return EventReturns(returns, design.market_event, expected, abnormal, design.x_event)


@dataclass(frozen=True)
class PairValuation:
    """Step 4, values: the market values of the tables, the share counts they come from, and
    (P,) :math:`s_{D,i}^2` and :math:`m_i` of each pair's estimation-window dollar residuals."""

    arrays: PairValues
    share_table: ShareCountTable
    dollar_variance: np.ndarray
    dollar_days: np.ndarray


def pair_values(
    panel: ReturnsPanel,
    tickers: np.ndarray,
    columns: np.ndarray,
    days: StudyDays,
    fit: BatchFit,
    shares: dict[str, pd.DataFrame],
    restatements: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> PairValuation:
    """Market value on the session before each event-span day (close x the share count in
    force, or a returns series' own market value), the share figures used, how the dollar test
    measures each pair's s.d. (:func:`dollar_sd_basis`), and the summary of each pair's dollar
    residuals :math:`e_{is} MV_{i,s-1}` on the estimation days that the test reads
    (:func:`~eventstudy.inference.dollar.dollar_residual_variance`; NaN market values where
    unknown or the day is outside the calendar). A block of :data:`_BLOCK_VALUES` estimation
    values at a time: each pair's numbers are those of the whole (P, L1) computation, and no
    (P, L1) market values are made. ``restatements``: the price restatements by ticker, whose
    splits withhold the values of the counts before them (:meth:`ShareCountTable.build`)."""
    calendar = _calendar_dates(panel)
    listed = dict.fromkeys(tickers.tolist())  # the events' tickers: the only share counts read
    restated = {t: restatements[t] for t in listed if t in restatements} if restatements else None
    counts = {t: shares[t] for t in listed if t in shares}
    share_table = ShareCountTable.build(counts, calendar[:-1], restated)
    prev_days = np.asarray(days.prev_days)
    share_rows = share_table.rows(tickers, prev_days)
    lookup = share_table.at(share_rows)
    used, local = _used_columns(columns)
    by_day = _market_values_by_day(panel, share_table, used)
    market_value_prev = _market_values_on(by_day, local, prev_days + 1)
    del prev_days
    basis = np.empty(len(tickers), dtype=object)
    variance = np.empty(len(tickers))
    dollar_days = np.empty(len(tickers), dtype=np.int64)
    n_pairs, n_estimation = days.estimation_days.shape
    for rows in row_blocks(n_pairs, n_estimation, _BLOCK_VALUES):
        estimation_values = _market_values_on(by_day, local[rows], days.estimation_days[rows])
        basis[rows] = dollar_sd_basis(fit.residuals[rows], estimation_values)
        dollars = fit.residuals[rows] * estimation_values
        variance[rows], dollar_days[rows] = dollar_residual_variance(dollars, overwrite=True)
    figures = ShareFigures.of(share_table, share_rows, lookup)
    return PairValuation(PairValues(market_value_prev, figures, basis), share_table, variance, dollar_days)


def pair_outcomes(
    events: pd.DataFrame,
    days: StudyDays,
    fitted: PairFits,
    proxy: np.ndarray,
    returns: EventReturns,
    config: StudyConfig,
) -> PairOutcomes:
    """Step 5, outcomes: what excludes a pair from every window (:func:`_pair_outcomes`) and the
    other same-ticker events near it (:func:`~eventstudy.timeline.overlap.overlap_notes`).
    ``proxy`` is :attr:`PairDesign.proxy`."""
    span = days.span
    gaps = missing_in_span(returns.abnormal) if config.missing_returns == "drop_event" else None
    outcome, note = _pair_outcomes(
        span.day_zero,
        fitted.model_fit,
        config,
        fitted.degenerate,
        proxy,
        days.estimation_window,
        gaps,
        span.taus,
    )
    zeros, valid = fitted.zero_returns, fitted.valid_returns
    thin = (outcome == "") & (valid > 0) & (zeros >= THIN_TRADING_SHARE * valid)
    note[thin] = [
        f"thin trading: {n_zero} of the {n_valid} estimation returns in {config.estimation_label()} are "
        f"exactly 0 (at least {THIN_TRADING_SHARE:.0%}): sigma and the tests understate the risk of a "
        "traded day (Maynes & Rumsey 1993 and Bartholdy, Olson & Peare 2007)"
        for n_zero, n_valid in zip(zeros[thin].tolist(), valid[thin].tolist(), strict=True)
    ]
    overlaps = overlap_notes(
        events["event_id"].to_numpy(object).tolist(),  # list(series) iterates slowly on arrow strings
        events["ticker"].to_numpy(object).tolist(),
        span.day_zero.index,
        span.day_zero.date,
        days.estimation_window,
        config.event_span,
        fitted.overlap_excluded,
        _is_event(events),
    )
    return PairOutcomes(outcome, note, overlaps)


def _name_short_windows(
    outcomes: PairOutcomes,
    returns_by_column: np.ndarray,
    columns: np.ndarray,
    days: StudyDays,
    tickers: np.ndarray,
    panel: ReturnsPanel,
    config: StudyConfig,
    design: PairDesign,
    model: ExpectedReturnModel,
    benchmarks: np.ndarray | None,
) -> None:
    """Say in the note of each pair fitted or ``insufficient_estimation`` whose estimation window
    the data cut short at its start why it holds fewer days than asked: the window reaches
    before the data (before the market proxy's first return; not said of ``estimation_window =
    "all"``, which starts there by design), or the ticker's returns start after the window does
    and after the proxy's (a listing inside the window, CoreWeave's in March 2025), or so do the
    pair's own benchmark's (the events' ``market``) or another series of the model's
    (:attr:`~eventstudy.models.ExpectedReturnModel.symbols`: the sector model's SMH, whose data
    start in July 2023), or the model's other inputs (a factor file that starts late: its columns
    named). An ``insufficient_estimation`` note said "0 valid estimation returns" without why,
    and an estimated pair's 502 days of a [-600,-11] window were said by ``n_est`` alone (a
    finder, a referee). ``returns_by_column`` is the :func:`_by_column` copy, ``columns`` each
    pair's column in it and ``benchmarks`` each pair's benchmark (:func:`pair_benchmarks`)."""
    market, outcome, calendar = config.market, outcomes.outcome, panel.calendar
    rows = np.flatnonzero((outcome == "") | (outcome == "insufficient_estimation"))
    if not rows.size:
        return
    n_days = len(calendar)

    def start_of(values: np.ndarray) -> int:
        """The first calendar position of a finite value (the calendar's length: none)."""
        finite = np.isfinite(values)
        return int(np.argmax(finite)) if finite.any() else n_days

    def starting(what: str, start: int, *, one: bool = False) -> str:
        if start == n_days:
            return f"{what} {'holds' if one else 'hold'} no value"
        return f"{what} {'starts' if one else 'start'} {calendar[start]:%Y-%m-%d}"

    # Each cause: (rows,) the position its series starts at (-1: none for that pair) and its
    # text. The latest start is what cuts a window, and only it is named (CRWV's listing, not
    # SMH's earlier start beside it); texts are made for the cut pairs only.
    window_start = days.span.day_zero.index[rows] + days.estimation_window[0]
    market_start = start_of(panel.returns_of(market))
    causes: list[tuple[np.ndarray, Callable[[int], str]]] = []
    bounded = config.estimation_bounds()[0] is not None
    if bounded:  # "all" starts before most pairs' data by design

        def reaching(k: int) -> str:
            n = int(market_start - window_start[k])
            return (
                f"{config.estimation_label()} reaches {n} trading day{'s' if n > 1 else ''} before "
                f"{market}'s first return ({calendar[market_start]:%Y-%m-%d})"
            )

        causes.append((np.full(rows.size, market_start), reaching))
    used, position = np.unique(columns[rows], return_inverse=True)
    valid = np.isfinite(returns_by_column[used, :-1])  # the last column: the pad of position -1
    first = np.where(valid.any(axis=1), valid.argmax(axis=1), -1)[position]  # -1: no return at all
    causes.append((first, lambda k: starting(f"{tickers[rows[k]]}'s returns", int(first[k]))))
    own = np.full(rows.size, model.benchmark or "", dtype=object) if benchmarks is None else benchmarks[rows]
    named = np.full(rows.size, market_start)  # the latest start of a series named for the pair
    for symbol in dict.fromkeys([*own.tolist(), *model.symbols]):
        if not symbol or symbol == market or symbol not in panel.symbols:
            continue
        start = start_of(panel.returns_of(symbol))
        reads = (own == symbol) | (symbol in model.symbols and symbol != model.benchmark)
        said = starting(f"{symbol}'s returns", start)
        if start == n_days:  # two prices years apart: no return at all (a finder)
            said = f"{symbol} has no return in the data"
        causes.append((np.where(reads, start, -1), functools.partial(_same_text, said)))
        named = np.where(reads, np.maximum(named, start), named)
    code = np.zeros(rows.size, dtype=np.intp) if design.benchmark is None else design.benchmark[rows]
    floor = np.full(rows.size, market_start)  # a series starting by then cuts nothing
    for b, inputs in enumerate(design.benchmarks):
        series = dict(zip(model.parameter_names, map(start_of, inputs.regressors[:-1].T), strict=True))
        series[model.offset_name] = start_of(inputs.offset[:-1])
        if inputs.auxiliary.shape[1]:  # Scholes-Williams' lagged and leading market returns
            series["other input"] = max(map(start_of, inputs.auxiliary[:-1].T))
        complete = max(series.values())
        late = [name for name, start in series.items() if start == complete]
        said = starting(f"the model's {', '.join(late)} series", complete, one=len(late) == 1)
        unnamed = (code == b) & (complete > named)  # a late named series says it already
        causes.append((np.where(unnamed, complete, -1), functools.partial(_same_text, said)))
        if not bounded:  # "all" is all the data the pair's model has: from its inputs' start on
            floor[code == b] = max(market_start, complete)
    starts = np.stack([start for start, _ in causes])
    later = starts[1:] if bounded else starts  # starts[0]: the data's start, of a bounded window
    later[later <= floor] = -1
    binding = starts.max(axis=0)
    cut = (binding >= 0) & (binding > window_start)  # the window starts before its latest input
    for k in np.flatnonzero(cut).tolist():
        said = "estimation window cut short: " + " and ".join(
            text(k) for start, (_, text) in zip(starts, causes, strict=True) if start[k] == binding[k]
        )
        row = int(rows[k])
        outcomes.note[row] = f"{outcomes.note[row]}; {said}" if outcomes.note[row] else said


def _same_text(text: str, _pair: int) -> str:
    """``text``, whichever pair asks (a cause of :func:`_name_short_windows` said alike of all)."""
    return text


def _is_event(events: pd.DataFrame) -> np.ndarray:
    """(P,) False on peer rows: a peer row is not its ticker's event."""
    return events["role"].to_numpy(object) != PEER_ROLE


def _calendar_dates(panel: ReturnsPanel) -> np.ndarray:
    """The calendar's dates with NaT appended, so that position -1 gathers NaT."""
    return np.append(panel.calendar.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))


def resolved_estimation_window(config: StudyConfig, day0_index: np.ndarray) -> tuple[int, int]:
    """The estimation window in relative days; ``"all"`` starts at the earliest relative day any
    pair reaches (-(largest day-0 position)), so every pair's window covers its data from the
    first session on (days before the calendar are missing for the others)."""
    start, end = config.estimation_bounds()
    if start is None:
        latest = int(day0_index.max()) if day0_index.size and (day0_index >= 0).any() else 0
        start = min(-latest, end)
    return int(start), int(end)


def missing_in_span(abnormal: np.ndarray) -> np.ndarray:
    """(P, L2) True on the event-span days whose abnormal return is missing."""
    return ~np.isfinite(abnormal)


def pair_benchmarks(events: pd.DataFrame, model: ExpectedReturnModel) -> np.ndarray | None:
    """(P,) each pair's market benchmark (a blank ``market`` cell: the model's own), or None when
    the events have no ``market`` column or every pair uses the model's own benchmark.

    Raises
    ------
    ValueError
        When a pair names a benchmark and the model has none (:meth:`ExpectedReturnModel.with_market`).
    """
    if "market" not in events.columns:
        return None
    own = model.benchmark
    given = events["market"].fillna("").to_numpy(object)
    if own is None:
        if (given != "").any():
            raise ValueError(f"model {model.name!r} has no market benchmark for the events' market column")
        return None
    chosen = np.where(given == "", own, given).astype(object)
    return None if (chosen == own).all() else chosen


@dataclass(frozen=True)
class BenchmarkDesign:
    """One benchmark's model design on the whole calendar, padded with one all-NaN row (so that
    calendar position -1 gathers NaN): what :class:`PairDesign` gathers pairs' rows from.

    Attributes
    ----------
    offset
        (T + 1,) offset :math:`o_t`.
    regressors, auxiliary
        (T + 1, k) regressors and (T + 1, a) auxiliary series.
    zero_offset
        True when the offset is +0.0 on every day (``y - (+0.0)`` is ``y``: not subtracted).
    """

    offset: np.ndarray
    regressors: np.ndarray
    auxiliary: np.ndarray
    zero_offset: bool

    @classmethod
    def of(cls, panel: ReturnsPanel, model: ExpectedReturnModel) -> BenchmarkDesign:
        design = checked_design(model, panel)
        n_days = len(panel.calendar)
        auxiliary = design.auxiliary if design.auxiliary is not None else np.empty((n_days, 0))
        zero = not (design.offset.any() or np.signbit(design.offset).any())
        return cls(_pad(design.offset), _pad(design.regressors), _pad(auxiliary), zero)


@dataclass(frozen=True)
class PairDesign:
    """Each pair's expected-return inputs, gathered from its own benchmark's design.

    The event-day inputs are gathered for every pair at once; the estimation-day inputs, (P,
    L1, k) and more, only for a block of pairs at a time (:meth:`estimation`), when it is
    fitted.

    Attributes
    ----------
    estimation_days
        (P, L1) calendar positions of the estimation windows (-1 outside the calendar).
    benchmarks
        The designs of the benchmarks (:class:`BenchmarkDesign`), one per distinct benchmark.
    benchmark
        (P,) each pair's position in ``benchmarks``, or None when there is one.
    offset_event, x_event
        (P, L2) offset and (P, L2, k) regressors on the event days.
    market_event
        (P, L2) the benchmark's returns on the event days (``market_ret``).
    proxy
        (P,) True where the ticker is a proxy series of its own pair's model.
    """

    estimation_days: DayGrid
    benchmarks: tuple[BenchmarkDesign, ...]
    benchmark: np.ndarray | None
    offset_event: np.ndarray
    x_event: np.ndarray
    market_event: np.ndarray
    proxy: np.ndarray

    @classmethod
    def gather(
        cls,
        panel: ReturnsPanel,
        model: ExpectedReturnModel,
        benchmarks: np.ndarray | None,
        est_days: DayGrid,
        evt_days: np.ndarray,
        market: str,
        tickers: np.ndarray,
    ) -> PairDesign:
        """The design of every pair: one benchmark (``benchmarks`` None) or one group per benchmark.

        With one benchmark the model's design is gathered for all pairs at once; with several,
        each group's rows are filled from its own model (:meth:`ExpectedReturnModel.with_market`),
        so a pair's numbers are those it would get in a study of its benchmark alone.
        ``market`` is the calendar's market proxy, whose returns are ``market_ret`` on the
        single-benchmark path.
        """
        if benchmarks is None:
            design = BenchmarkDesign.of(panel, model)
            market_returns = _pad(panel.returns_of(market))
            return cls(
                est_days,
                (design,),
                None,
                design.offset[evt_days],
                design.regressors[evt_days],
                market_returns[evt_days],
                market_proxies(tickers, model),
            )
        models, code = model.by_benchmark(benchmarks)
        designs, event_parts = [], []
        for i, own in enumerate(models):
            design = BenchmarkDesign.of(panel, own)
            rows = np.flatnonzero(code == i)
            days = evt_days[rows]
            market_event = _pad(panel.returns_of(str(own.benchmark)))[days]
            proxy = market_proxies(tickers[rows], own)
            event_parts.append((rows, (design.offset[days], design.regressors[days], market_event, proxy)))
            designs.append(design)
        n_pairs = len(benchmarks)
        combined = [np.zeros((n_pairs, *part.shape[1:]), dtype=part.dtype) for part in event_parts[0][1]]
        for rows, parts in event_parts:
            for out, part in zip(combined, parts, strict=True):
                out[rows] = part
        return cls(est_days, tuple(designs), code, *combined)

    def estimation(self, rows: slice) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
        """The offset ((n, L1), or None when it is zero for every pair), regressors (n, L1, k)
        and auxiliary series (n, L1, a) of the pairs ``rows`` on their estimation days."""
        days = self.estimation_days[rows]
        if self.benchmark is None:
            own = self.benchmarks[0]
            offset = None if own.zero_offset else own.offset[days]
            return offset, _gather_rows(own.regressors, days), _gather_rows(own.auxiliary, days)
        first = self.benchmarks[0]
        x = np.zeros((*days.shape, first.regressors.shape[1]))
        auxiliary = np.zeros((*days.shape, first.auxiliary.shape[1]))
        any_offset = not all(design.zero_offset for design in self.benchmarks)
        offset = np.zeros(days.shape) if any_offset else None
        benchmark = self.benchmark[rows]
        for code, design in enumerate(self.benchmarks):
            mine = np.flatnonzero(benchmark == code)
            if mine.size == 0:
                continue
            own_days = days[mine]
            x[mine] = _gather_rows(design.regressors, own_days)
            auxiliary[mine] = _gather_rows(design.auxiliary, own_days)
            if offset is not None and not design.zero_offset:
                offset[mine] = design.offset[own_days]
        return offset, x, auxiliary


def _market_values_by_day(panel: ReturnsPanel, share_table: ShareCountTable, used: np.ndarray) -> np.ndarray:
    """(U, T + 2) market value in US dollars of the panel columns ``used`` on every calendar day
    (close x the share count in force, or a returns series' own market value; none for a symbol
    quoted in another currency, :func:`~eventstudy.exchanges.quote_currency`, and none at all in a
    log-returns study, whose abnormal returns times a market value are no dollar change), with an
    all-NaN day on either side: column 1 + d holds day d."""
    n_days = panel.close.shape[0]
    value_by_day = np.full((used.size, n_days + 2), np.nan)
    if panel.definition == "log":  # AR x MV is a dollar change only for simple returns
        return value_by_day
    symbols = [panel.symbols[column] for column in used.tolist()]
    for part in row_blocks(used.size, n_days, _BLOCK_VALUES):  # blocks of symbols: no (U, T) temporaries
        close = np.take(panel.close, used[part], axis=1).T
        np.multiply(close, share_table.counts_by_day(symbols[part]), out=value_by_day[part, 1:-1])
    if panel.market_cap is not None:  # returns series: the market values of their files
        only = panel.returns_only_columns()[used]
        value_by_day[only, 1:-1] = np.take(panel.market_cap, used[only], axis=1).T
    foreign = np.array([quote_currency(s) is not None for s in symbols], dtype=bool)
    value_by_day[foreign] = np.nan
    return value_by_day


def _market_values_on(by_day: np.ndarray, local: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """(P, L) of a :func:`_market_values_by_day` table: pair p's value in column ``positions``
    (day d at position d + 1; 0 is the NaN before the calendar, and -1 lands on the NaN after the
    previous column's days, as position 0 does)."""
    return by_day.reshape(-1).take(local[:, None] * by_day.shape[1] + positions)


def dollar_sd_basis(residuals: np.ndarray, market_value_estimation: np.ndarray) -> np.ndarray:
    """(P,) how the standard deviation of each pair's abnormal dollar value is measured in the
    dollar test (:mod:`eventstudy.inference.dollar`): ``estimation_dollar_residuals`` (Saha &
    Ferrell 2011) when every estimation day with a residual has a market value (at least two),
    else ``sigma_x_mcap_prev`` (:math:`\\hat\\sigma_i \\times MV_{i,\\tau-1}` per day)."""
    residual = np.isfinite(residuals)
    residual_days = residual.sum(axis=1)
    dollar_days = (residual & np.isfinite(market_value_estimation)).sum(axis=1)
    full = saha_ferrell_rows(dollar_days, residual_days)
    return np.where(full, SAHA_FERRELL, SIGMA_X_MARKET_VALUE).astype(object)


def market_proxies(tickers: np.ndarray, model: ExpectedReturnModel) -> np.ndarray:
    """(P,) True where the ticker is a proxy series of the study's model: the market proxy
    (``config.market``, whose returns are the ``market_ret`` of every row and a regressor or
    offset of the market-based models) or, for the sector model, the sector proxy.

    Such a row is not a party with an abnormal return of its own: against a model built on
    itself its residuals vanish (the market model of SPY on SPY has :math:`\\hat\\sigma
    \\approx 10^{-15}`), and under any model it measures the market's move, which the
    cross-event statistics net out of every other row. So it gets outcome ``market_proxy`` and
    is excluded from every statistic, whatever the model.
    """
    symbols = set(model.symbols)
    return np.array([ticker in symbols for ticker in tickers.tolist()], dtype=bool)


def _columns(panel: ReturnsPanel, tickers: np.ndarray) -> np.ndarray:
    """(P,) panel column of each ticker (``ValueError`` from ``panel.column`` if one is absent)."""
    found = pd.Index(panel.symbols, dtype=object).get_indexer(pd.Index(tickers, dtype=object))
    if (found < 0).any():
        panel.column(tickers[int(np.flatnonzero(found < 0)[0])])  # raises, naming the ticker
    return found.astype(int)


def _used_columns(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct panel columns the pairs read (sorted) and each pair's position among them."""
    used, local = np.unique(columns, return_inverse=True)
    return used, local.reshape(-1)


def _by_column(values: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """(U, T + 1) C-contiguous copy of the ``columns`` of a (T, S) panel array, each symbol's
    days consecutive and followed by one NaN (for calendar position -1, see :func:`_gather_pairs`).
    """
    out = np.empty((columns.size, values.shape[0] + 1))
    out[:, -1] = np.nan
    # A block of columns at a time: numpy.take into the transposed view of ``out`` would make
    # a whole (T, U) buffer first.
    for rows in row_blocks(columns.size, values.shape[0], _BLOCK_VALUES):
        out[rows, :-1] = values[:, columns[rows]].T
    return out


def _gather_pairs(by_column: np.ndarray, days: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``values[days, used[columns][:, None]]`` for the (T, S) ``values`` whose
    :func:`_by_column` copy of the columns ``used`` is ``by_column``: (P, L) at calendar
    positions ``days`` (-1: no day, NaN) of column ``columns[p]`` of the copy.

    One ``take`` on the flattened (U, T + 1) copy, so each pair reads consecutive memory instead
    of one cache line per day (several times faster than fancy indexing the (T, S) array). A
    position -1 lands on the last element of the previous column (of the last column for column
    0), the NaN after its days.
    """
    n_days = by_column.shape[1]
    return by_column.reshape(-1).take(columns[:, None] * n_days + days)


def _gather_rows(values: np.ndarray, days: np.ndarray) -> np.ndarray:
    """``values[days]``: the (P, L, k) rows of a (T, k) array at (P, L) positions.

    ``numpy.take`` along the first axis, several times faster than fancy indexing here.
    """
    if values.shape[1] == 0:  # a design without regressors or auxiliary series
        return np.empty((*days.shape, 0))
    return np.take(values, days, axis=0)


def _pad(values: np.ndarray) -> np.ndarray:
    """Append one all-NaN row so that calendar position -1 gathers NaN."""
    pad = np.full((1, *values.shape[1:]), np.nan)
    return np.concatenate([values, pad], axis=0)


def _pair_outcomes(
    day_zero: DayZeros,
    model_fit: ModelFit,
    config: StudyConfig,
    degenerate: np.ndarray,
    proxy: np.ndarray,
    estimation_window: tuple[int, int],
    gaps: np.ndarray | None = None,
    taus: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Outcome and note of the failures that do not depend on the window ("" where none), in
    order of precedence: no day 0, the market proxy, too few estimation returns, collinear
    regressors, vanishing residuals (``degenerate``, :func:`eventstudy.models.ols.degenerate_fits`)
    and, with ``missing_returns = "drop_event"``, a missing abnormal return anywhere in the event
    span (``gaps``, (P, L2) over the relative days ``taus``): ``incomplete_event_window`` in
    every window."""
    n_pairs = len(day_zero.index)
    outcome = np.full(n_pairs, "", dtype=object)
    note = np.full(n_pairs, "", dtype=object)
    no_day0 = day_zero.outcome != "ok"
    outcome[no_day0] = day_zero.outcome[no_day0]
    before = no_day0 & (day_zero.outcome == "announced_before_data")
    note[before] = "announcement falls before the first trading day in the data"
    note[no_day0 & (day_zero.outcome == "announced_after_data")] = (
        "announcement after the last trading day in the data, or on it after the close (no session of the "
        f"data could react); {NEWER_DATA}"
    )
    not_session = no_day0 & (day_zero.outcome == NOT_A_SESSION)
    note[not_session] = day_zero.shift[not_session] + ": the announcement date is not a session"
    too_far = no_day0 & (day_zero.outcome == SHIFT_TOO_LARGE)
    note[too_far] = day_zero.shift[too_far]
    is_proxy = ~no_day0 & proxy
    outcome[is_proxy] = MARKET_PROXY_OUTCOME
    note[is_proxy] = (
        "the ticker is a proxy series of the model (the market proxy or sector proxy), not a party with "
        "an abnormal return of its own: excluded from every statistic"
    )
    decided = no_day0 | is_proxy
    est = config.estimation_label()
    fit = model_fit.batch
    not_estimable = ~decided & ~fit.estimable
    short = not_estimable & (fit.n_obs < config.min_estimation_obs)
    outcome[short] = "insufficient_estimation"
    note[short] = [
        f"{n} valid estimation returns in {est}, {config.min_estimation_obs} required"
        for n in fit.n_obs[short].astype(int).tolist()
    ]
    singular = not_estimable & ~short
    outcome[singular] = "singular_estimation"
    note[singular] = f"estimation regressors in {est} are collinear"
    no_dof = singular & (fit.n_obs <= fit.n_params)
    note[no_dof] = [
        f"{n} valid estimation returns in {est} for {fit.n_params} parameters: no residual degrees of freedom"
        for n in fit.n_obs[no_dof].astype(int).tolist()
    ]
    if model_fit.refusal is not None:  # the model's own reason (a Scholes-Williams denominator)
        own = singular & ~no_dof & (model_fit.refusal != "")
        note[own] = model_fit.refusal[own]
    vanishing = ~decided & fit.estimable & degenerate
    outcome[vanishing] = "degenerate_estimation"
    note[vanishing] = [
        f"estimation residuals in {est} vanish (sigma = {sigma:.3g}, residual norm at most "
        f"{DEGENERATE_RTOL:g} x the returns' norm): a constant price or a series the model reproduces "
        "exactly; excluded from every statistic"
        for sigma in fit.sigma[vanishing].tolist()
    ]
    if gaps is not None and taus is not None:
        dropped = (outcome == "") & gaps.any(axis=1)
        outcome[dropped] = "incomplete_event_window"
        span = window_label((int(taus[0]), int(taus[-1])))
        note[dropped] = [
            f"no abnormal return on tau={', '.join(f'{int(t):+d}' for t in taus[row][:5])}"
            f"{' and more' if row.sum() > 5 else ''} of the event span {span}; missing_returns = drop_event "
            "leaves the row out of every window"
            for row in gaps[dropped]
        ]
    return outcome, note


