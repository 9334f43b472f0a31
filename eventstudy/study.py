"""Run an event study: events -> day 0 -> returns panel -> model fit -> AR/CAR -> dollar value.

:func:`run_study` is the Python entry point (the command line is a thin layer over it). It
takes a validated events frame, a :class:`~eventstudy.store.PriceStore` and a
:class:`~eventstudy.config.StudyConfig`, and returns a :class:`StudyResults` whose frames are
exactly what ``ar.parquet`` and ``car.parquet`` hold.

Every (event, party) row of the events file appears in the outputs: rows that cannot be
estimated carry an ``outcome`` other than ``ok`` and a ``note`` saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.abnormal import abnormal_returns, car_t_test, car_variance
from eventstudy.alignment import align_day_zero, relative_day_index
from eventstudy.config import StudyConfig, window_label
from eventstudy.errors import DataUnavailableError, InputError
from eventstudy.estimation import BatchFit, fit_ols_batch
from eventstudy.models import (
    ConstantMeanModel,
    ExpectedReturnModel,
    MarketAdjustedModel,
    MarketModel,
)
from eventstudy.panel import ReturnsPanel, build_panel
from eventstudy.store import PriceStore
from eventstudy.value import dollar_abnormal_value, shares_on

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
)


def make_model(config: StudyConfig) -> ExpectedReturnModel:
    """The expected-return model named in the configuration."""
    if config.model == "market":
        return MarketModel(config.market)
    if config.model == "market_adjusted":
        return MarketAdjustedModel(config.market)
    return ConstantMeanModel()


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

    def to_frame(self) -> pd.DataFrame:
        """The per-window results (``car.parquet``)."""
        return self.car.copy()

    def summary(self, window: str = "[-1,+1]") -> str:
        """A plain-text table of one window's CARs, largest dollar value first."""
        rows = self.car[self.car["window"] == window].sort_values(
            "abnormal_value_usd", ascending=False, na_position="last"
        )
        lines = [
            f"Event study {self.config.name!r}: {self.model.describe()}",
            f"estimation window {window_label(self.config.estimation_window)}, "
            f"{len(self.events)} (event, party) rows; CAR over {window}",
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


def _fmt(value: float, pattern: str) -> str:
    return "" if pd.isna(value) else pattern.format(value)


def load_prices(
    store: PriceStore, events: pd.DataFrame, events_path: str | Path, market: str
) -> dict[str, pd.DataFrame]:
    """Read the market proxy and every ticker of ``events`` from the cache.

    Raises
    ------
    InputError
        Naming the events row of a ticker with no cached prices.
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
    return prices


def run_study(
    events: pd.DataFrame,
    store: PriceStore,
    config: StudyConfig,
    *,
    events_path: str | Path = "events.csv",
) -> StudyResults:
    """Run the study described by ``events`` and ``config`` on the prices in ``store``."""
    prices = load_prices(store, events, events_path, config.market)
    panel = build_panel(prices, config.market)
    model = make_model(config)
    return estimate(
        events,
        panel,
        model,
        config,
        shares={t: store.read_shares(t) for t in events["ticker"].unique()},
    )


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
        Validated events (see :func:`eventstudy.events.read_events`).
    panel
        Returns panel containing every ticker and the market proxy.
    model
        Expected-return model.
    config
        Windows and thresholds.
    shares
        Shares-outstanding observations by ticker (missing tickers get no market value).
    """
    shares = shares or {}
    n_days = len(panel.calendar)
    columns = np.array([panel.column(t) for t in events["ticker"]], dtype=int)
    day_zero = [
        align_day_zero(panel.calendar, a, t)
        for a, t in zip(events["announced"], events["timing"], strict=True)
    ]
    day0_index = np.array([d.index for d in day_zero], dtype=int)

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
    market = _pad(panel.returns_of(config.market))
    close = _pad(panel.close)

    fit = fit_ols_batch(
        returns[est_days, columns[:, None]] - offset[est_days],
        regressors[est_days],
        min_obs=config.min_estimation_obs,
    )
    x_event = regressors[evt_days]
    event_returns = returns[evt_days, columns[:, None]]
    expected, abnormal = abnormal_returns(event_returns, offset[evt_days], x_event, fit.coef)

    calendar = np.append(panel.calendar.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))
    event_dates = calendar[evt_days]
    prev_dates = calendar[prev_days]
    lookups = [shares_on(shares.get(t, _NO_SHARES), prev_dates[i]) for i, t in enumerate(events["ticker"])]
    market_value_prev = close[prev_days, columns[:, None]] * np.vstack([lk.shares for lk in lookups])

    ar_frame = _ar_frame(events, evt_taus, event_dates, event_returns, market[evt_days], expected, abnormal)
    car_frame = _car_frame(
        events,
        config,
        design.names,
        panel,
        fit,
        day_zero,
        evt_taus,
        abnormal,
        x_event,
        market_value_prev,
        lookups,
        prev_dates,
        event_dates,
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
    )


_NO_SHARES = pd.DataFrame(
    {
        "as_of": pd.Series(dtype="datetime64[ns]"),
        "shares_outstanding": pd.Series(dtype=float),
        "filing": pd.Series(dtype=object),
    }
)


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
) -> pd.DataFrame:
    n_pairs, n_taus = abnormal.shape
    repeat = np.repeat(np.arange(n_pairs), n_taus)
    frame = pd.DataFrame(
        {
            "event_id": events["event_id"].to_numpy(object)[repeat],
            "ticker": events["ticker"].to_numpy(object)[repeat],
            "role": events["role"].to_numpy(object)[repeat],
            "date": dates.ravel(),
            "tau": np.tile(taus, n_pairs).astype("int64"),
            "ret": returns.ravel(),
            "market_ret": market.ravel(),
            "expected_ret": expected.ravel(),
            "ar": abnormal.ravel(),
            "car": np.cumsum(abnormal, axis=1).ravel(),
        }
    )
    return frame.loc[:, list(AR_COLUMNS)]


def _car_frame(
    events: pd.DataFrame,
    config: StudyConfig,
    param_names: tuple[str, ...],
    panel: ReturnsPanel,
    fit: BatchFit,
    day_zero: list,
    taus: np.ndarray,
    abnormal: np.ndarray,
    x_event: np.ndarray,
    market_value_prev: np.ndarray,
    lookups: list,
    prev_dates: np.ndarray,
    event_dates: np.ndarray,
) -> pd.DataFrame:
    alpha = _param(fit, param_names, ("alpha", "mean"))
    beta = _param(fit, param_names, ("beta",))
    dof = fit.n_obs - fit.n_params
    deal = events["deal_usd"].to_numpy(float)
    last_date = panel.calendar[-1].date()
    records: list[pd.DataFrame] = []
    for window in config.event_windows:
        in_window = (taus >= window[0]) & (taus <= window[1])
        first = int(np.flatnonzero(in_window)[0])
        car = abnormal[:, in_window].sum(axis=1)
        variance = car_variance(fit.sigma, fit.xtx_inv, x_event, in_window)
        t, p = car_t_test(car, variance, dof)
        value = dollar_abnormal_value(abnormal[:, in_window], market_value_prev[:, in_window])
        outcomes, notes = [], []
        for i, d0 in enumerate(day_zero):
            outcome, note = _outcome(
                i,
                d0,
                fit,
                config,
                window,
                in_window,
                taus,
                abnormal,
                event_dates,
                last_date,
            )
            notes_i = [note] if note else []
            if outcome == "ok":
                notes_i += _value_notes(
                    events.iloc[i],
                    lookups[i],
                    first,
                    in_window,
                    market_value_prev[i],
                    prev_dates[i],
                    config,
                )
            outcomes.append(outcome)
            notes.append("; ".join(notes_i))
        ok = np.array([o == "ok" for o in outcomes])
        frame = pd.DataFrame(
            {
                "event_id": events["event_id"].to_numpy(object),
                "ticker": events["ticker"].to_numpy(object),
                "role": events["role"].to_numpy(object),
                "group": events["group"].to_numpy(object),
                "window": window_label(window),
                "tau_start": np.int64(window[0]),
                "tau_end": np.int64(window[1]),
                "day0": np.array([d.date for d in day_zero], dtype="datetime64[ns]"),
                "day0_shift": [d.shift for d in day_zero],
                "n_est": fit.n_obs.astype("int64"),
                "alpha": alpha,
                "beta": beta,
                "sigma": fit.sigma,
                "car": np.where(ok, car, np.nan),
                "car_se": np.where(ok, np.sqrt(variance), np.nan),
                "t": np.where(ok, t, np.nan),
                "p": np.where(ok, p, np.nan),
                "mcap_prev_usd": np.where(ok, market_value_prev[:, first], np.nan),
                "shares_as_of": np.array([lk.as_of[first] for lk in lookups], dtype="datetime64[ns]"),
                "abnormal_value_usd": np.where(ok, value, np.nan),
                "deal_usd": deal,
                "value_to_deal": np.where(ok, value / deal, np.nan),
                "outcome": outcomes,
                "note": notes,
                "shares_outstanding": np.array([lk.shares[first] for lk in lookups], dtype=float),
                "shares_filing": [str(lk.filing[first]) for lk in lookups],
            }
        )
        frame["_order"] = np.arange(len(frame))
        records.append(frame)
    out = pd.concat(records, ignore_index=True)
    out["_window"] = np.repeat(np.arange(len(config.event_windows)), len(events))
    out = out.sort_values(["_order", "_window"], kind="stable").drop(columns=["_order", "_window"])
    return out.reset_index(drop=True).loc[:, list(CAR_COLUMNS)]


def _param(fit: BatchFit, names: tuple[str, ...], wanted: tuple[str, ...]) -> np.ndarray:
    for name in wanted:
        if name in names:
            return fit.coef[:, names.index(name)]
    return np.full(len(fit.sigma), np.nan)


def _outcome(
    i: int,
    d0,
    fit: BatchFit,
    config: StudyConfig,
    window: tuple[int, int],
    in_window: np.ndarray,
    taus: np.ndarray,
    abnormal: np.ndarray,
    event_dates: np.ndarray,
    last_date,
) -> tuple[str, str]:
    if d0.outcome != "ok":
        where = "before the first" if d0.outcome == "announced_before_data" else "after the last"
        return d0.outcome, f"announcement falls {where} trading day in the data"
    if not fit.estimable[i]:
        est = window_label(config.estimation_window)
        if fit.n_obs[i] < config.min_estimation_obs:
            return (
                "insufficient_estimation",
                f"{int(fit.n_obs[i])} valid estimation returns in {est}, "
                f"{config.min_estimation_obs} required",
            )
        return "singular_estimation", f"estimation regressors in {est} are collinear"
    missing = in_window & ~np.isfinite(abnormal[i])
    if missing.any():
        beyond = missing & np.isnat(event_dates[i])
        if beyond.any():
            return (
                "incomplete_event_window",
                f"window runs past the last trading day in the data ({last_date})",
            )
        days = ", ".join(
            f"tau={tau:+d} ({pd.Timestamp(d).date()})"
            for tau, d in zip(taus[missing], event_dates[i][missing], strict=True)
        )
        return "incomplete_event_window", f"no return for {days}"
    return "ok", ""


def _value_notes(
    row,
    lookup,
    first: int,
    in_window: np.ndarray,
    market_value: np.ndarray,
    prev_dates: np.ndarray,
    config: StudyConfig,
) -> list[str]:
    notes: list[str] = []
    if not np.isfinite(market_value[in_window]).all():
        day = pd.Timestamp(prev_dates[first]).date()
        if np.isnan(lookup.shares[in_window]).any():
            notes.append(f"no shares-outstanding figure for {row.ticker} dated on or before {day}")
        else:
            notes.append(f"no close for {row.ticker} on a day before the window")
    else:
        filings = {str(f) for f in lookup.filing[in_window]}
        if any("NOT cover" in f for f in filings):
            notes.append("shares: vendor or balance-sheet figure, not a filing cover count")
        if any("STALE" in f for f in filings):
            notes.append("shares: the figure is flagged STALE in the shares file")
        if len(set(lookup.as_of[in_window])) > 1:
            notes.append("shares: the figure changes inside the window")
        day = pd.Timestamp(prev_dates[first])
        for caveat in config.share_caveats:
            if caveat.ticker == row.ticker and day.date() >= caveat.start:
                notes.append(f"shares caveat: {caveat.note}")
    if np.isnan(row.deal_usd):
        notes.append("deal size undisclosed")
    return notes
