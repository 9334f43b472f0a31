"""Run an event study: events -> day 0 -> returns panel -> model fit -> AR/CAR -> dollar value.

:func:`run_study` is the Python entry point (the command line is a thin layer over it). It
takes a validated events frame, a :class:`~eventstudy.data.store.PriceStore` and a
:class:`~eventstudy.config.StudyConfig`, and returns a :class:`StudyResults` whose frames are
exactly what ``ar.parquet`` and ``car.parquet`` hold.

Every (event, party) row of the events file appears in the outputs: rows that cannot be
estimated carry an ``outcome`` other than ``ok`` and a ``note`` saying why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from eventstudy.abnormal import (
    abnormal_returns,
    car_t_test,
    car_variance,
    quadratic_forms,
    running_car_variance,
)
from eventstudy.config import StudyConfig, window_label
from eventstudy.data.factors import FactorTable, load_model_factors
from eventstudy.data.store import PriceStore
from eventstudy.errors import DataUnavailableError, InputError
from eventstudy.inference.dollar import SAHA_FERRELL, SIGMA_X_MARKET_VALUE, saha_ferrell_rows
from eventstudy.models import (
    FACTOR_MODELS,
    ConstantMeanModel,
    DimsonModel,
    ExpectedReturnModel,
    MarketAdjustedModel,
    MarketModel,
    ModelFit,
    ScholesWilliamsModel,
    SectorModel,
    fit_model,
    french_factor_model,
    user_factor_model,
)
from eventstudy.models.ols import DEGENERATE_RTOL, BatchFit, degenerate_fits
from eventstudy.peers import PEER_ROLE
from eventstudy.timeline.calendar import DayZeros, align_days_zero, relative_day_index
from eventstudy.timeline.overlap import other_event_days, overlap_notes
from eventstudy.timeline.returns import ReturnsPanel, build_panel
from eventstudy.valuation import ShareCountTable, SharesLookup, dollar_abnormal_value

AR_COLUMNS: tuple[str, ...] = (
    "event_id",
    "ticker",
    "role",
    "date",
    "tau",
    "ret",
    "market_ret",
    "expected_ret",
    "ar",
    "car",
    "car_se",
    "ar_se",
    "ar_t",
    "ar_p",
)
CAR_COLUMNS: tuple[str, ...] = (
    "event_id",
    "ticker",
    "role",
    "group",
    "window",
    "tau_start",
    "tau_end",
    "day0",
    "day0_shift",
    "n_est",
    "alpha",
    "beta",
    "sigma",
    "car",
    "car_se",
    "t",
    "p",
    "mcap_prev_usd",
    "shares_as_of",
    "abnormal_value_usd",
    "deal_usd",
    "value_to_deal",
    "outcome",
    "note",
    "shares_outstanding",
    "shares_filing",
    "dollar_sd_basis",
    "model",
    "params",
    "overlap",
)
"""Columns of ``car.parquet``. ``alpha``/``beta`` are the model's intercept and market beta
where it has them (constant mean: ``alpha`` is the mean; Dimson: ``beta`` is the sum of the
slopes; Scholes-Williams: the SW beta; factor models: the ``Mkt-RF`` loading; sector model: the
market loading given the sector return). ``model`` is the model name, ``params`` a JSON object
of every fitted parameter by name (``null`` where not estimable), ``overlap`` the other events
of the same ticker inside the estimation window or overlapping the event window (see
:mod:`eventstudy.timeline.overlap`), ``dollar_sd_basis`` how the dollar test measures the s.d. of the
row's ``abnormal_value_usd`` (:func:`dollar_sd_basis`; empty where there is no dollar value)."""


def make_model(config: StudyConfig, factors: tuple[FactorTable, ...] = ()) -> ExpectedReturnModel:
    """The expected-return model named in the configuration.

    Parameters
    ----------
    config
        ``model`` and its options (``market``, ``dimson_lags``, ``sector``).
    factors
        The factor tables of a factor model (``ff3``, ``carhart4``, ``ff5``: the Ken French
        files of :data:`eventstudy.data.factors.FRENCH_FILES`; ``user_factors``: the user's table),
        see :func:`eventstudy.data.factors.load_model_factors`.

    Raises
    ------
    DataUnavailableError
        When a factor model gets no table or a table without a factor it needs.
    """
    name = config.model
    if name == "market":
        return MarketModel(config.market)
    if name == "market_adjusted":
        return MarketAdjustedModel(config.market)
    if name == "constant_mean":
        return ConstantMeanModel()
    if name == "scholes_williams":
        return ScholesWilliamsModel(config.market)
    if name == "dimson":
        return DimsonModel(config.market, config.dimson_lags)
    if name == "sector":
        return SectorModel(config.market, config.sector)
    if not factors:
        raise DataUnavailableError(f"model {name!r} needs factor data and none was given")
    try:
        if name in FACTOR_MODELS:
            return french_factor_model(name, factors)
        return user_factor_model(factors[0])
    except ValueError as exc:
        raise DataUnavailableError(f"model {name!r}: {exc}") from None


def model_symbols(config: StudyConfig) -> tuple[str, ...]:
    """Price symbols the model needs besides the firms: the market proxy (and the sector proxy)."""
    return (config.market, config.sector) if config.model == "sector" else (config.market,)


@dataclass
class StudyResults:
    """Results of an event study.

    Attributes
    ----------
    config
        The configuration used.
    model
        The expected-return model.
    events
        The validated events frame.
    ar
        One row per (event, party, relative day): the ``ar.parquet`` contents.
    car
        One row per (event, party, window): the ``car.parquet`` contents.
    panel
        The returns panel the study ran on.
    fit
        The per-pair estimation results (rows in events order).
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
        ``singular_estimation``, ``degenerate_estimation`` (see :func:`estimate`).
    share_table
        The share counts ``shares`` of :func:`estimate` indexed on the panel's calendar, or None;
        :func:`eventstudy.aggregate.event_panel` reuses it when given the same frames.
    """

    config: StudyConfig
    model: ExpectedReturnModel
    events: pd.DataFrame
    ar: pd.DataFrame
    car: pd.DataFrame
    panel: ReturnsPanel
    fit: BatchFit
    estimation_days: np.ndarray
    event_days: np.ndarray
    event_taus: np.ndarray
    abnormal: np.ndarray
    x_event: np.ndarray
    market_value_prev: np.ndarray
    pair_outcome: np.ndarray
    share_table: ShareCountTable | None = field(default=None, repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """The per-window results (``car.parquet``)."""
        return self.car.copy()

    def summary(self, window: str | Sequence[int] | None = None) -> str:
        """A plain-text table of one window's CARs, largest dollar value first.

        ``window`` is any spelling of a configured event window (:func:`resolve_window`):
        ``"[-1,+1]"``, the TOML spelling ``"[-1,1]"``, ``"-1,1"`` or ``(-1, 1)``; by default
        ``[-1,+1]`` when configured, else the first window.

        Raises
        ------
        ValueError
            If ``window`` is not one of the study's windows (the message names them).
        """
        windows = self.config.event_windows
        if window is None:
            window = (-1, 1) if (-1, 1) in windows else windows[0]
        label = resolve_window(window, windows)
        rows = self.car[self.car["window"] == label].sort_values(
            "abnormal_value_usd", ascending=False, na_position="last"
        )
        lines = [
            f"Event study {self.config.name!r}: {self.model.describe()}",
            f"estimation window {window_label(self.config.estimation_window)}, "
            f"{len(self.events)} (event, party) rows; CAR over {label}",
            "",
            f"{'event_id':<24} {'ticker':<6} {'CAR':>8} {'t':>7} {'p':>7} {'value $B':>10} "
            f"{'per deal $':>10}  outcome",
        ]
        for row in rows.itertuples(index=False):
            lines.append(
                f"{row.event_id:<24} {row.ticker:<6} {_fmt(row.car, '{:+.2%}'):>8} "
                f"{_fmt(row.t, '{:+.2f}'):>7} "
                f"{_fmt(row.p, '{:.3f}'):>7} {_fmt(row.abnormal_value_usd / 1e9, '{:+.1f}'):>10} "
                f"{_fmt(row.value_to_deal, '{:+.3f}'):>10}  {row.outcome}"
            )
        return "\n".join(lines)


_WINDOW_TEXT = re.compile(r"\s*[\[(]?\s*([+-]?\d+)\s*,\s*([+-]?\d+)\s*[\])]?\s*")


def resolve_window(window: str | Sequence[int], available: Sequence[tuple[int, int]]) -> str:
    """The ``car.parquet`` label (``"[-1,+1]"``) of ``window`` written in any spelling.

    Accepts the label itself, the TOML spelling ``"[-1,1]"``, ``"-1,1"``, ``"(-1, +1)"`` with
    any spaces, or a pair of integers ``(-1, 1)``.

    Raises
    ------
    ValueError
        If ``window`` cannot be read as two relative days, or is not one of ``available``; the
        message names the available windows.
    """
    labels = ", ".join(window_label(w) for w in available)
    if isinstance(window, str):
        match = _WINDOW_TEXT.fullmatch(window)
        if match is None:
            raise ValueError(f"window {window!r} is not two relative days like '[-1,+1]'; windows: {labels}")
        days = (int(match.group(1)), int(match.group(2)))
    else:
        try:
            days = (int(window[0]), int(window[1]))
        except (TypeError, ValueError, IndexError):
            raise ValueError(f"window {window!r} is not two relative days; windows: {labels}") from None
        if len(window) != 2:
            raise ValueError(f"window {window!r} is not two relative days; windows: {labels}")
    if days not in {tuple(w) for w in available}:
        raise ValueError(f"window {window_label(days)} is not one of the study's windows: {labels}")
    return window_label(days)


def _fmt(value: float, pattern: str) -> str:
    return "" if pd.isna(value) else pattern.format(value)


def load_prices(
    store: PriceStore,
    events: pd.DataFrame,
    events_path: str | Path,
    market: str,
    *,
    findings: dict[str, list] | None = None,
) -> dict[str, pd.DataFrame]:
    """Read the market proxy and every ticker of ``events`` from the cache.

    Each frame is checked and the policy of :mod:`eventstudy.data.screening` applied (missing,
    non-positive and split-jump prices withheld; findings recorded in the manifest).

    ``findings``, when given, receives the :class:`~eventstudy.data.screening.PriceIssue` lists by
    symbol.

    Raises
    ------
    InputError
        Naming the events row of a ticker with no cached prices, or the cache file and date of
        prices the policy refuses (duplicate or unsorted dates).
    DataUnavailableError
        When the market proxy itself is not cached.
    """
    prices = {market: store.read_prices(market)}
    for row in events.itertuples(index=False):
        if row.ticker in prices:
            continue
        try:
            prices[row.ticker] = store.read_prices(row.ticker)
        except DataUnavailableError as exc:
            raise InputError(str(events_path), str(exc), row=row.source_row, field="ticker") from None
    from eventstudy.data.screening import (
        screen_prices,  # price checks + their policy (eventstudy.data.screening)
    )

    screened, found = screen_prices(prices, market, {symbol: store.price_path(symbol) for symbol in prices})
    if findings is not None:
        findings.update(found)
    return screened


def run_study(
    events: pd.DataFrame,
    store: PriceStore,
    config: StudyConfig,
    *,
    events_path: str | Path = "events.csv",
) -> StudyResults:
    """Run the study described by ``events`` and ``config`` on the prices in ``store``.

    Windows whose returns are missing because an absurd price was withheld get the outcome
    ``absurd_price`` (:func:`eventstudy.data.screening.annotate_withheld`).
    """
    from eventstudy.data.screening import annotate_withheld, withheld_return_days

    findings: dict[str, list] = {}
    prices = load_prices(store, events, events_path, config.market, findings=findings)
    for symbol in model_symbols(config):
        if symbol not in prices:
            prices[symbol] = store.read_prices(symbol)
    panel = build_panel(prices, config.market)
    model = make_model(config, load_model_factors(store, config.model, config.factors_file))
    results = estimate(
        events,
        panel,
        model,
        config,
        shares={t: store.read_shares(t) for t in events["ticker"].unique()},
    )
    withheld = withheld_return_days(findings)
    if withheld:
        results.car = annotate_withheld(results.car, panel.calendar, withheld, config.estimation_window)
    return results


def estimate(
    events: pd.DataFrame,
    panel: ReturnsPanel,
    model: ExpectedReturnModel,
    config: StudyConfig,
    *,
    shares: dict[str, pd.DataFrame] | None = None,
) -> StudyResults:
    """The study's computation on an already built returns panel (no I/O).

    Parameters
    ----------
    events
        Validated events (see :func:`eventstudy.data.events.read_events`).
    panel
        Returns panel containing every ticker and the market proxy.
    model
        Expected-return model (see :func:`make_model`).
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
    returns = _pad(panel.returns)
    offset = _pad(design.offset)
    regressors = _pad(design.regressors)
    auxiliary = _pad(design.auxiliary if design.auxiliary is not None else np.empty((n_days, 0)))
    market = _pad(panel.returns_of(config.market))
    close = _pad(panel.close)

    returns_by_column = _by_column(returns)
    y_est = _gather_pairs(returns_by_column, est_days, columns)
    if design.offset.any() or np.signbit(design.offset).any():  # y - (+0.0) is y: skip a zero offset
        y_est -= offset[est_days]
    codes = np.unique(tickers.astype(str), return_inverse=True)[1].reshape(-1)
    is_event = events["role"].to_numpy(object) != PEER_ROLE  # a peer row is not the ticker's event
    excluded = None
    if config.exclude_overlapping_windows:
        inside = other_event_days(codes, day0_index, est_days, span, n_days, is_event)
        excluded = (inside & np.isfinite(y_est)).sum(axis=1)
        y_est = np.where(inside, np.nan, y_est)
    model_fit = fit_model(
        model,
        design.names,
        y_est,
        _gather_rows(regressors, est_days),
        _gather_rows(auxiliary, est_days),
        min_obs=config.min_estimation_obs,
    )
    fit = model_fit.batch
    pair_outcome, pair_note = _pair_outcomes(
        day_zero, fit, config, degenerate_fits(y_est, fit.residuals), market_proxies(tickers, config)
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
    event_returns = _gather_pairs(returns_by_column, evt_days, columns)
    del returns_by_column
    expected, abnormal = abnormal_returns(event_returns, offset[evt_days], x_event, fit.coef)

    calendar = np.append(panel.calendar.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))
    event_dates = calendar[evt_days]
    prev_dates = calendar[prev_days]
    share_table = ShareCountTable.build(shares, calendar[:-1])
    share_rows = share_table.rows(tickers, prev_days)
    lookup = share_table.at(share_rows)
    market_value_prev = close[prev_days, columns[:, None]] * lookup.shares
    basis = dollar_sd_basis(fit.residuals, estimation_market_values(panel, share_table, tickers, est_days))

    # The per-pair text columns shared by both tables, converted to pandas text once.
    pair_text = {name: _text(events[name].to_numpy(object)) for name in ("event_id", "ticker", "role")}
    ar_frame = _ar_frame(
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
    car_frame = _car_frame(
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
        _ShareFigures.of(share_table, share_rows, lookup),
        basis,
        prev_dates,
        evt_days,
        event_dates,
        event_returns,
        pair_text,
    )
    return StudyResults(
        config,
        model,
        events,
        ar_frame,
        car_frame,
        panel,
        fit,
        est_days,
        evt_days,
        evt_taus,
        abnormal,
        x_event,
        market_value_prev,
        np.where(pair_outcome == "", "ok", pair_outcome).astype(object),
        share_table,
    )


def estimation_market_values(
    panel: ReturnsPanel, share_table: ShareCountTable, tickers: np.ndarray, estimation_days: np.ndarray
) -> np.ndarray:
    """(P, L1) market value on the session before each estimation day: close x the share count
    in force (the as-of rule of :class:`~eventstudy.valuation.ShareCountTable`), NaN where either is
    unknown or the day is outside the calendar (position -1).

    Tabulated once per symbol and calendar day with an all-NaN day on either side, then one
    gather: column 1 + d holds day d, so estimation day e reads day e - 1 at position e (e = 0
    reads the NaN before the calendar, e = -1 the NaN after the previous symbol's days).
    """
    columns = pd.Index(panel.symbols, dtype=object).get_indexer(tickers)
    n_symbols, n_days = panel.close.shape[1], panel.close.shape[0]
    value_by_day = np.full((n_symbols, n_days + 2), np.nan)
    np.multiply(panel.close.T, share_table.counts_by_day(panel.symbols), out=value_by_day[:, 1:-1])
    positions = columns[:, None] * (n_days + 2) + estimation_days
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


def _columns(panel: ReturnsPanel, tickers: np.ndarray) -> np.ndarray:
    """(P,) panel column of each ticker (``ValueError`` from ``panel.column`` if one is absent)."""
    found = pd.Index(panel.symbols, dtype=object).get_indexer(tickers)
    if (found < 0).any():
        panel.column(tickers[int(np.flatnonzero(found < 0)[0])])  # raises, naming the ticker
    return found.astype(int)


@dataclass(frozen=True)
class _ShareFigures:
    """The share figures used on the previous session of each event day, (P, L) each."""

    shares: np.ndarray
    as_of: np.ndarray
    filing_text: np.ndarray
    not_cover: np.ndarray
    stale: np.ndarray

    @classmethod
    def of(cls, table: ShareCountTable, rows: np.ndarray, lookup: SharesLookup) -> _ShareFigures:
        text = np.array([str(f) for f in table.filing] + [""], dtype=object)
        rows = np.where(rows >= 0, rows, len(table.filing))  # the "" / False entry
        not_cover = np.array(["NOT cover" in f for f in text], dtype=bool)
        stale = np.array(["STALE" in f for f in text], dtype=bool)
        return cls(lookup.shares, lookup.as_of, text[rows], not_cover[rows], stale[rows])


def _by_column(values: np.ndarray) -> np.ndarray:
    """(S, T) C-contiguous copy of a (T, S) panel array: each symbol's days are consecutive."""
    return np.ascontiguousarray(values.T)


def _gather_pairs(by_column: np.ndarray, days: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``values[days, columns[:, None]]`` for the (T, S) ``values`` whose :func:`_by_column` copy
    is ``by_column``: (P, L) at calendar positions ``days`` (-1: the last row) of column
    ``columns[p]``.

    One ``take`` on the flattened (S, T) copy, so each pair reads consecutive memory instead of
    one cache line per day (several times faster than fancy indexing the (T, S) array). A
    position -1 lands on the last row of the previous column (of the last column for column 0),
    which is the same all-NaN padding row as ``values[-1]``: the arrays passed here are
    :func:`_pad`-ded.
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


def _ar_frame(
    events: pd.DataFrame,
    taus: np.ndarray,
    dates: np.ndarray,
    returns: np.ndarray,
    market: np.ndarray,
    expected: np.ndarray,
    abnormal: np.ndarray,
    fit: BatchFit,
    x_event: np.ndarray,
    pair_text: Mapping[str, ExtensionArray],
    excluded: np.ndarray,
) -> pd.DataFrame:
    n_pairs, n_taus = abnormal.shape
    # Pairs excluded before the window stage (no day 0, not estimable, degenerate, the market
    # proxy) carry no standard error or test: their sigma is NaN here.
    sigma = np.where(excluded, np.nan, fit.sigma)
    # s.e. of the CAR cumulated from the first event-span day to each tau (CLM 1997 variance).
    car_se = np.sqrt(running_car_variance(sigma, fit.xtx_inv, x_event))
    # Each day's AR alone: Var(AR_tau) = sigma^2 (1 + x_tau'(X'X)^-1 x_tau), the diagonal of V.
    ar_variance = sigma[:, None] ** 2 * (1.0 + quadratic_forms(x_event, fit.xtx_inv))
    ar_t, ar_p = car_t_test(abnormal, ar_variance, (fit.n_obs - fit.n_params)[:, None])
    frame = pd.DataFrame(
        {
            "event_id": _text(pair_text["event_id"], n_taus),
            "ticker": _text(pair_text["ticker"], n_taus),
            "role": _text(pair_text["role"], n_taus),
            "date": dates.ravel(),
            "tau": np.tile(taus, n_pairs).astype("int64"),
            "ret": returns.ravel(),
            "market_ret": market.ravel(),
            "expected_ret": expected.ravel(),
            "ar": abnormal.ravel(),
            "car": np.cumsum(abnormal, axis=1).ravel(),
            "car_se": car_se.ravel(),
            "ar_se": np.sqrt(ar_variance).ravel(),
            "ar_t": ar_t.ravel(),
            "ar_p": ar_p.ravel(),
        }
    )
    return frame.loc[:, list(AR_COLUMNS)]


def _car_frame(
    events: pd.DataFrame,
    config: StudyConfig,
    model: ExpectedReturnModel,
    model_fit: ModelFit,
    pair_outcomes: tuple[np.ndarray, np.ndarray],
    overlaps: list[str],
    panel: ReturnsPanel,
    day_zero: DayZeros,
    taus: np.ndarray,
    abnormal: np.ndarray,
    x_event: np.ndarray,
    market_value_prev: np.ndarray,
    figures: _ShareFigures,
    basis: np.ndarray,
    prev_dates: np.ndarray,
    event_days: np.ndarray,
    event_dates: np.ndarray,
    event_returns: np.ndarray,
    pair_text: Mapping[str, ExtensionArray],
) -> pd.DataFrame:
    fit = model_fit.batch
    n_pairs = len(events)
    params = params_json(model_fit.params, n_pairs)
    dof = fit.n_obs - fit.n_params
    deal = events["deal_usd"].to_numpy(float)
    tickers = events["ticker"].to_numpy(object)
    # Calendar dates as text, once: position -1 (outside the calendar) is "NaT".
    day_text = np.append(panel.calendar.to_numpy("datetime64[D]").astype(str), "NaT").astype(object)
    prev_days = np.asarray(prev_dates, dtype="datetime64[D]")
    last_date = panel.calendar[-1].date()
    pair_outcome, pair_note = pair_outcomes
    windows = config.event_windows
    per_window: dict[str, list[np.ndarray]] = {name: [] for name in _CAR_WINDOW_COLUMNS}
    for window in windows:
        in_window = (taus >= window[0]) & (taus <= window[1])
        first = int(np.flatnonzero(in_window)[0])
        car = abnormal[:, in_window].sum(axis=1)
        variance = car_variance(fit.sigma, fit.xtx_inv, x_event, in_window)
        t, p = car_t_test(car, variance, dof)
        value = dollar_abnormal_value(abnormal[:, in_window], market_value_prev[:, in_window])
        outcomes, notes = _window_outcomes(
            pair_outcome,
            pair_note,
            in_window,
            taus,
            abnormal,
            event_days,
            event_dates,
            event_returns,
            day_text,
            last_date,
        )
        ok = outcomes == "ok"
        _value_notes(
            notes, ok, tickers, deal, figures, first, in_window, market_value_prev, prev_days, config
        )
        columns = {
            "car": np.where(ok, car, np.nan),
            "car_se": np.where(ok, np.sqrt(variance), np.nan),
            "t": np.where(ok, t, np.nan),
            "p": np.where(ok, p, np.nan),
            "mcap_prev_usd": np.where(ok, market_value_prev[:, first], np.nan),
            "shares_as_of": figures.as_of[:, first].astype("datetime64[ns]"),
            "abnormal_value_usd": np.where(ok, value, np.nan),
            "dollar_sd_basis": np.where(ok & np.isfinite(value), basis, ""),
            "value_to_deal": np.where(ok, value / deal, np.nan),
            "outcome": outcomes,
            "note": notes,
            "shares_outstanding": figures.shares[:, first].astype(float),
            "shares_filing": figures.filing_text[:, first],
        }
        for name, column in columns.items():
            per_window[name].append(column)
    # One row per (pair, window): the windows of a pair together, in configuration order.
    n_windows = len(windows)

    def across(name: str) -> np.ndarray:
        return np.stack(per_window[name], axis=1).reshape(-1)

    def repeated(values: np.ndarray) -> np.ndarray:
        return np.repeat(values, n_windows)

    labels = np.array([window_label(w) for w in windows], dtype=object)
    frame = {
        "event_id": _text(pair_text["event_id"], n_windows),
        "ticker": _text(pair_text["ticker"], n_windows),
        "role": _text(pair_text["role"], n_windows),
        "group": _text(events["group"].to_numpy(object), n_windows),
        "window": _text(labels, tile=n_pairs),
        "tau_start": np.tile(np.array([w[0] for w in windows], dtype=np.int64), n_pairs),
        "tau_end": np.tile(np.array([w[1] for w in windows], dtype=np.int64), n_pairs),
        "day0": repeated(day_zero.date),
        "day0_shift": _text(day_zero.shift, n_windows),
        "n_est": repeated(fit.n_obs.astype("int64")),
        "alpha": repeated(model_fit.alpha),
        "beta": repeated(model_fit.beta),
        "sigma": repeated(fit.sigma),
        "car": across("car"),
        "car_se": across("car_se"),
        "t": across("t"),
        "p": across("p"),
        "mcap_prev_usd": across("mcap_prev_usd"),
        "shares_as_of": across("shares_as_of"),
        "abnormal_value_usd": across("abnormal_value_usd"),
        "dollar_sd_basis": _text(across("dollar_sd_basis")),
        "deal_usd": repeated(deal),
        "value_to_deal": across("value_to_deal"),
        "outcome": _text(across("outcome")),
        "note": _text(across("note")),
        "shares_outstanding": across("shares_outstanding"),
        "shares_filing": _text(across("shares_filing")),
        "model": _text(np.array([model.name], dtype=object), tile=n_pairs * n_windows),
        "params": _text(np.array(params, dtype=object), n_windows),
        "overlap": _text(np.array(overlaps, dtype=object), n_windows),
    }
    return pd.DataFrame(frame).loc[:, list(CAR_COLUMNS)]


_CAR_WINDOW_COLUMNS: tuple[str, ...] = (
    "car",
    "car_se",
    "t",
    "p",
    "mcap_prev_usd",
    "shares_as_of",
    "abnormal_value_usd",
    "dollar_sd_basis",
    "value_to_deal",
    "outcome",
    "note",
    "shares_outstanding",
    "shares_filing",
)


def _text(
    values: np.ndarray | ExtensionArray, repeat: int = 1, *, tile: int = 1
) -> ExtensionArray | np.ndarray:
    """A text column: pandas infers the values' type once, then the column is gathered.

    ``repeat`` repeats each value (one per pair -> one per (pair, day) or (pair, window)),
    ``tile`` repeats the whole sequence. The result is what ``pd.DataFrame`` would make of the
    repeated object array, built from the distinct positions only. ``values`` may be such a
    column already (a pandas array is used as it is).
    """
    array = pd.Series(values).array
    if repeat == 1 and tile == 1:
        return array
    positions = np.tile(np.repeat(np.arange(len(values)), repeat), tile)
    return array.take(positions)


def params_json(params: Mapping[str, np.ndarray], n_pairs: int) -> list[str]:
    """One JSON object per pair of the fitted parameters by name (``null`` where NaN).

    Values are written with full double precision (``repr``), e.g.
    ``{"alpha": 0.00012, "beta": 1.73}``; a model without parameters gives ``{}``. The text is
    exactly ``json.dumps({name: value or None, ...}, allow_nan=False)``, assembled column-wise
    (one ``repr`` per value, no per-pair dictionary).
    """
    names = list(params)
    if not names:
        return ["{}"] * n_pairs
    # "{"key": %s, "key2": %s}" filled with each pair's value texts (a "%" in a key is escaped).
    template = "{" + ", ".join(json.dumps(n).replace("%", "%%") + ": %s" for n in names) + "}"
    texts = []
    for name in names:
        column = np.asarray(params[name], dtype=float)
        text = list(map(float.__repr__, column.tolist()))
        for i in np.flatnonzero(~np.isfinite(column)).tolist():
            text[i] = "null"
        texts.append(text)
    return [template % values for values in zip(*texts, strict=True)]


def market_proxies(tickers: np.ndarray, config: StudyConfig) -> np.ndarray:
    """(P,) True where the ticker is a proxy series of the study's model: the market proxy
    (``config.market``, whose returns are the ``market_ret`` of every row and a regressor or
    offset of the market-based models) or, for the sector model, the sector proxy.

    Such a row is not a party with an abnormal return of its own: against a model built on
    itself its residuals vanish (the market model of SPY on SPY has :math:`\\hat\\sigma
    \\approx 10^{-15}`), and under any model it measures the market's move, which the
    cross-event statistics net out of every other row. So it gets outcome ``market_proxy`` and
    is excluded from every statistic, whatever the model.
    """
    symbols = set(model_symbols(config))
    return np.array([ticker in symbols for ticker in tickers.tolist()], dtype=bool)


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


def _window_outcomes(
    pair_outcome: np.ndarray,
    pair_note: np.ndarray,
    in_window: np.ndarray,
    taus: np.ndarray,
    abnormal: np.ndarray,
    event_days: np.ndarray,
    event_dates: np.ndarray,
    event_returns: np.ndarray,
    day_text: np.ndarray,
    last_date,
) -> tuple[np.ndarray, np.ndarray]:
    """Outcome and note of every pair in one window (see the module docstring)."""
    outcome = pair_outcome.copy()
    note = pair_note.copy()
    undecided = outcome == ""
    missing = in_window & ~np.isfinite(abnormal)
    incomplete = undecided & missing.any(axis=1)
    beyond = incomplete & (missing & np.isnat(event_dates)).any(axis=1)
    outcome[incomplete] = "incomplete_event_window"
    note[beyond] = f"window runs past the last trading day in the data ({last_date})"
    no_return_all = missing & ~np.isfinite(event_returns)
    for i in np.flatnonzero(incomplete & ~beyond).tolist():
        no_return = no_return_all[i]
        no_input = missing[i] & ~no_return
        parts = []
        for what, mask in (("no return", no_return), ("no model input (market or factor value)", no_input)):
            if mask.any():
                days = ", ".join(
                    f"tau={tau:+d} ({day_text[d]})"
                    for tau, d in zip(taus[mask].tolist(), event_days[i][mask].tolist(), strict=True)
                )
                parts.append(f"{what} for {days}")
        note[i] = "; ".join(parts)
    outcome[outcome == ""] = "ok"
    return outcome, note


def _append_note(
    notes: np.ndarray, mask: np.ndarray, part: str | np.ndarray | Callable[[np.ndarray], np.ndarray]
) -> None:
    """Append ``part`` to ``notes`` where ``mask`` ("; " between notes), in place.

    ``part`` is one text, an array of texts (one per pair) or a function of the row positions
    that builds the texts of those rows only.
    """
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return
    if isinstance(part, str):
        text: str | np.ndarray = part
    elif callable(part):
        text = part(rows)
    else:
        text = part[rows]
    current = notes[rows]
    notes[rows] = np.where(current == "", text, current + "; " + text)


def _value_notes(
    notes: np.ndarray,
    ok: np.ndarray,
    tickers: np.ndarray,
    deal: np.ndarray,
    figures: _ShareFigures,
    first: int,
    in_window: np.ndarray,
    market_value: np.ndarray,
    prev_dates: np.ndarray,
    config: StudyConfig,
) -> None:
    """Append the market-value and deal notes of the ``ok`` pairs to ``notes``, in place."""
    complete = np.isfinite(market_value[:, in_window]).all(axis=1)
    no_value = ok & ~complete
    no_shares = no_value & np.isnan(figures.shares[:, in_window]).any(axis=1)
    _append_note(
        notes,
        no_shares,
        lambda rows: (
            "no shares-outstanding figure for "
            + tickers[rows]
            + " dated on or before "
            + prev_dates[rows, first].astype(str).astype(object)
        ),
    )
    _append_note(
        notes,
        no_value & ~no_shares,
        lambda rows: "no close for " + tickers[rows] + " on a day before the window",
    )
    valued = ok & complete
    _append_note(
        notes,
        valued & figures.not_cover[:, in_window].any(axis=1),
        "shares: vendor or balance-sheet figure, not a filing cover count",
    )
    _append_note(
        notes,
        valued & figures.stale[:, in_window].any(axis=1),
        "shares: the figure is flagged STALE in the shares file",
    )
    as_of = figures.as_of[:, in_window].view(np.int64)
    _append_note(
        notes,
        valued & (as_of.max(axis=1) != as_of.min(axis=1)),
        "shares: the figure changes inside the window",
    )
    for caveat in config.share_caveats:
        applies = valued & (tickers == caveat.ticker) & (prev_dates[:, first] >= np.datetime64(caveat.start))
        _append_note(notes, applies, f"shares caveat: {caveat.note}")
    _append_note(notes, ok & np.isnan(deal), "deal size undisclosed")
