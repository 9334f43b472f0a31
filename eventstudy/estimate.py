"""The study's computation on a returns panel: day 0, the model fit, abnormal returns, market values.

:func:`estimate` is pure (no I/O): it takes the validated events, a
:class:`~eventstudy.timeline.returns.ReturnsPanel`, an expected-return model, the configuration
and the share counts, and returns the per-pair arrays and tables (:class:`PairEstimates`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from eventstudy.abnormal import abnormal_returns
from eventstudy.config import StudyConfig, window_label
from eventstudy.inference.dollar import SAHA_FERRELL, SIGMA_X_MARKET_VALUE, saha_ferrell_rows
from eventstudy.models import ExpectedReturnModel, ModelFit
from eventstudy.models.ols import DEGENERATE_RTOL, BatchFit, degenerate_fits
from eventstudy.peers import PEER_ROLE
from eventstudy.tables import ShareFigures, ar_table, car_table, text_column
from eventstudy.timeline.calendar import DayZeros, align_days_zero, relative_day_index
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
    estimation_days, event_days
        (P, L1) and (P, L2) calendar positions of the estimation and event columns (-1 outside).
    event_taus
        (L2,) relative days of the event columns.
    abnormal
        (P, L2) event-window abnormal returns.
    x_event
        (P, L2, k) model regressors on the event days.
    market_value_prev
        (P, L2) market value on the session before each event day (NaN where unknown).
    pair_outcome
        (P,) ``"ok"``, or the outcome that excludes the pair from every window and statistic
        before its window is looked at: no day 0 (``announced_before_data``,
        ``announced_after_data``), ``market_proxy``, ``insufficient_estimation``,
        ``singular_estimation``, ``degenerate_estimation``.
    share_table
        The share counts indexed on the panel's calendar.
    """

    events: pd.DataFrame
    ar: pd.DataFrame
    car: pd.DataFrame
    model: ExpectedReturnModel
    model_fit: ModelFit
    panel: ReturnsPanel
    estimation_days: np.ndarray
    event_days: np.ndarray
    event_taus: np.ndarray
    abnormal: np.ndarray
    x_event: np.ndarray
    market_value_prev: np.ndarray
    pair_outcome: np.ndarray
    share_table: ShareCountTable = field(repr=False, compare=False)

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
) -> PairEstimates:
    """The study's computation on an already built returns panel (no I/O).

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
    """
    shares = shares or {}
    n_days = len(panel.calendar)
    tickers = events["ticker"].to_numpy(object)
    columns = _columns(panel, tickers)
    day_zero = align_days_zero(panel.calendar, events["announced"], events["timing"])
    day0_index = day_zero.index

    est_taus = np.arange(config.estimation_window[0], config.estimation_window[1] + 1)
    span = config.event_span
    evt_taus = np.arange(span[0], span[1] + 1)
    est_days = relative_day_index(day0_index, est_taus, n_days)
    evt_days = relative_day_index(day0_index, evt_taus, n_days)
    prev_days = relative_day_index(day0_index, evt_taus - 1, n_days)

    design = model.design(panel)
    offset = _pad(design.offset)
    regressors = _pad(design.regressors)
    auxiliary = _pad(design.auxiliary if design.auxiliary is not None else np.empty((n_days, 0)))
    market = _pad(panel.returns_of(config.market))

    # Only the panel columns of the events' tickers are read (a wide panel with few events costs
    # O(events), not O(tickers x days)); ``local`` is each pair's position among them.
    used, local = np.unique(columns, return_inverse=True)
    local = local.reshape(-1)
    returns_by_column = _by_column(panel.returns, used)
    y_est = _gather_pairs(returns_by_column, est_days, local)
    if design.offset.any() or np.signbit(design.offset).any():  # y - (+0.0) is y: skip a zero offset
        y_est -= offset[est_days]
    codes = np.unique(tickers.astype(str), return_inverse=True)[1].reshape(-1)
    is_event = events["role"].to_numpy(object) != PEER_ROLE  # a peer row is not the ticker's event
    excluded = None
    if config.exclude_overlapping_windows:
        inside = other_event_days(codes, day0_index, est_days, span, n_days, is_event)
        excluded = (inside & np.isfinite(y_est)).sum(axis=1)
        y_est = np.where(inside, np.nan, y_est)
    model_fit = model.fit(
        y_est,
        _gather_rows(regressors, est_days),
        _gather_rows(auxiliary, est_days),
        min_obs=config.min_estimation_obs,
    )
    fit = model_fit.batch
    pair_outcome, pair_note = _pair_outcomes(
        day_zero, fit, config, degenerate_fits(y_est, fit.residuals), market_proxies(tickers, model)
    )
    overlaps = overlap_notes(
        events["event_id"].to_numpy(object).tolist(),  # list(series) iterates slowly on arrow strings
        tickers.tolist(),
        day0_index,
        day_zero.date,
        config.estimation_window,
        span,
        excluded,
        is_event,
    )
    x_event = regressors[evt_days]
    event_returns = _gather_pairs(returns_by_column, evt_days, local)
    del returns_by_column
    expected, abnormal = abnormal_returns(event_returns, offset[evt_days], x_event, fit.coef)

    calendar = np.append(panel.calendar.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))
    event_dates = calendar[evt_days]
    prev_dates = calendar[prev_days]
    listed = dict.fromkeys(tickers.tolist())  # the events' tickers, in order of appearance
    share_table = ShareCountTable.build({t: shares[t] for t in listed if t in shares}, calendar[:-1])
    share_rows = share_table.rows(tickers, prev_days)
    lookup = share_table.at(share_rows)
    market_value_prev = _gather_pairs(_by_column(panel.close, used), prev_days, local) * lookup.shares
    basis = dollar_sd_basis(fit.residuals, estimation_market_values(panel, share_table, tickers, est_days))

    # The per-pair text columns shared by both tables, converted to pandas text once.
    pair_text = {name: text_column(events[name].to_numpy(object)) for name in ("event_id", "ticker", "role")}
    ar_frame = ar_table(
        events,
        evt_taus,
        event_dates,
        event_returns,
        market[evt_days],
        expected,
        abnormal,
        fit,
        x_event,
        pair_text,
        pair_outcome != "",
    )
    car_frame = car_table(
        events,
        config,
        model,
        model_fit,
        (pair_outcome, pair_note),
        overlaps,
        panel,
        day_zero,
        evt_taus,
        abnormal,
        x_event,
        market_value_prev,
        ShareFigures.of(share_table, share_rows, lookup),
        basis,
        prev_dates,
        evt_days,
        event_dates,
        event_returns,
        pair_text,
    )
    return PairEstimates(
        events=events,
        ar=ar_frame,
        car=car_frame,
        model=model,
        model_fit=model_fit,
        panel=panel,
        estimation_days=est_days,
        event_days=evt_days,
        event_taus=evt_taus,
        abnormal=abnormal,
        x_event=x_event,
        market_value_prev=market_value_prev,
        pair_outcome=np.where(pair_outcome == "", "ok", pair_outcome).astype(object),
        share_table=share_table,
    )


def estimation_market_values(
    panel: ReturnsPanel, share_table: ShareCountTable, tickers: np.ndarray, estimation_days: np.ndarray
) -> np.ndarray:
    """(P, L1) market value on the session before each estimation day: close x the share count
    in force (the as-of rule of :class:`~eventstudy.valuation.ShareCountTable`), NaN where either is
    unknown or the day is outside the calendar (position -1).

    Tabulated once per symbol of ``tickers`` (not every symbol of the panel) and calendar day
    with an all-NaN day on either side, then one gather: column 1 + d holds day d, so
    estimation day e reads day e - 1 at position e (e = 0 reads the NaN before the calendar,
    e = -1 the NaN after the previous symbol's days).
    """
    columns = pd.Index(panel.symbols, dtype=object).get_indexer(tickers)
    used, local = np.unique(columns, return_inverse=True)
    n_days = panel.close.shape[0]
    value_by_day = np.full((used.size, n_days + 2), np.nan)
    symbols = np.array(panel.symbols, dtype=object)[used]
    np.multiply(panel.close[:, used].T, share_table.counts_by_day(symbols), out=value_by_day[:, 1:-1])
    positions = local.reshape(-1)[:, None] * (n_days + 2) + estimation_days
    return value_by_day.reshape(-1).take(positions)


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
    found = pd.Index(panel.symbols, dtype=object).get_indexer(tickers)
    if (found < 0).any():
        panel.column(tickers[int(np.flatnonzero(found < 0)[0])])  # raises, naming the ticker
    return found.astype(int)


def _by_column(values: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """(U, T + 1) C-contiguous copy of the ``columns`` of a (T, S) panel array, each symbol's
    days consecutive and followed by one NaN (for calendar position -1, see :func:`_gather_pairs`)."""
    out = np.empty((columns.size, values.shape[0] + 1))
    out[:, -1] = np.nan
    np.take(values, columns, axis=1, out=out[:, :-1].T)
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
    fit: BatchFit,
    config: StudyConfig,
    degenerate: np.ndarray,
    proxy: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Outcome and note of the failures that do not depend on the window ("" where none), in
    order of precedence: no day 0, the market proxy, too few estimation returns, collinear
    regressors, vanishing residuals (``degenerate``, :func:`eventstudy.models.ols.degenerate_fits`)."""
    n_pairs = len(day_zero.index)
    outcome = np.full(n_pairs, "", dtype=object)
    note = np.full(n_pairs, "", dtype=object)
    no_day0 = day_zero.outcome != "ok"
    outcome[no_day0] = day_zero.outcome[no_day0]
    before = no_day0 & (day_zero.outcome == "announced_before_data")
    note[before] = "announcement falls before the first trading day in the data"
    note[no_day0 & ~before] = "announcement falls after the last trading day in the data"
    is_proxy = ~no_day0 & proxy
    outcome[is_proxy] = "market_proxy"
    note[is_proxy] = (
        "the ticker is a proxy series of the model (the market proxy or sector proxy), not a party with "
        "an abnormal return of its own: excluded from every statistic"
    )
    decided = no_day0 | is_proxy
    est = window_label(config.estimation_window)
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
    vanishing = ~decided & fit.estimable & degenerate
    outcome[vanishing] = "degenerate_estimation"
    note[vanishing] = [
        f"estimation residuals in {est} vanish (sigma = {sigma:.3g}, residual norm at most "
        f"{DEGENERATE_RTOL:g} x the returns' norm): a constant price or a series the model reproduces "
        "exactly; excluded from every statistic"
        for sigma in fit.sigma[vanishing].tolist()
    ]
    return outcome, note


