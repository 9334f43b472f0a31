"""Cross-event statistics of a study: the rows of ``stats.parquet``.

Builds an :class:`~eventstudy.inference.EventPanel` from a study's per-pair estimation results
and runs :func:`~eventstudy.inference.run_battery` for every (group, window): each group label
of the events file, ``all`` (every listed party), and ``peers`` (spillover rows with role
``peer``, if any, kept apart so they never mix with the deal parties).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from eventstudy.config import window_label
from eventstudy.inference import EventPanel, caar_band, results_to_rows, run_battery_windows
from eventstudy.study import StudyResults
from eventstudy.value import ShareCountTable

STATS_COLUMNS: tuple[str, ...] = ("group", "window", "statistic", "value", "p", "n", "reference")


def groups(events: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """(label, (P,) bool rows) of every group: the events file's groups of listed parties in file
    order, ``all`` listed parties, and ``peers`` when there are peer rows."""
    is_peer = (events["role"] == "peer").to_numpy()
    out = [
        (str(label), (events["group"] == label).to_numpy() & ~is_peer)
        for label in pd.unique(events.loc[~is_peer, "group"])
    ]
    out.append(("all", ~is_peer))
    if is_peer.any():
        out.append(("peers", is_peer))
    return out


def event_panel(results: StudyResults, shares: Mapping[str, pd.DataFrame]) -> EventPanel:
    """The study's pairs as an :class:`EventPanel` (market values from ``shares``)."""
    fit = results.fit
    panel = results.panel
    tickers = results.events["ticker"].to_numpy(object)
    columns = pd.Index(panel.symbols, dtype=object).get_indexer(tickers)
    # Market value on the session before each estimation day: close x shares_on (the same as-of
    # rule), tabulated once per symbol and calendar day with an all-NaN day on either side, then
    # one gather: column 1 + d holds day d, so estimation day e reads day e - 1 at position e
    # (e = 0 reads the NaN before the calendar, e = -1 the NaN after the previous symbol's days).
    calendar = panel.calendar.to_numpy("datetime64[ns]")
    share_table = results.share_table  # the table ``estimate`` built, when ``shares`` is the same
    if share_table is None or not share_table.built_from(shares, calendar):
        share_table = ShareCountTable.build(shares, calendar)
    n_symbols, n_days = panel.close.shape[1], panel.close.shape[0]
    value_by_day = np.full((n_symbols, n_days + 2), np.nan)
    np.multiply(panel.close.T, share_table.counts_by_day(panel.symbols), out=value_by_day[:, 1:-1])
    positions = columns[:, None] * (n_days + 2) + results.estimation_days
    market_value_estimation = value_by_day.reshape(-1).take(positions)
    n_pairs = len(results.events)
    return EventPanel(
        ar_estimation=fit.residuals,
        ar_event=results.abnormal,
        event_tau=results.event_taus,
        estimation_day=results.estimation_days,
        event_day=results.event_days,
        sigma=fit.sigma,
        n_estimation=fit.n_obs,
        n_params=np.full(n_pairs, fit.n_params),
        xtx_inv=fit.xtx_inv,
        x_event=results.x_event,
        firm=results.events["ticker"].to_numpy(object),
        market_value_estimation=market_value_estimation,
        market_value_event=results.market_value_prev,
    )


def cross_event_statistics(
    results: StudyResults,
    panel: EventPanel,
    *,
    bootstrap_draws: int = 999,
    seed: int = 0,
) -> pd.DataFrame:
    """Every statistic of the battery for every (group, window), as ``stats.parquet`` rows.

    ``panel`` is :func:`event_panel` of ``results`` (built once and shared with
    :func:`caar_bands`).

    The bootstrap uses ``numpy.random.default_rng(seed)``, so the table is reproducible.
    """
    events = results.events
    rows: list[dict[str, object]] = []
    for label, mask in groups(events):
        subset = panel.subset(np.flatnonzero(mask))
        windows = results.config.event_windows
        batteries = run_battery_windows(subset, windows, bootstrap_draws=bootstrap_draws, seed=seed)
        for window, battery in zip(windows, batteries, strict=True):
            rows += results_to_rows(battery, group=label, window=window_label(window))
        rows += value_per_deal_rows(
            results.car[
                results.car["event_id"].isin(events.loc[mask, "event_id"])
                & results.car["ticker"].isin(events.loc[mask, "ticker"])
            ],
            label,
        )
    frame = pd.DataFrame(rows)
    frame["n"] = frame["n"].astype("int64")
    return frame.loc[:, list(STATS_COLUMNS)]


CAAR_COLUMNS: tuple[str, ...] = ("group", "tau", "caar", "lower", "upper", "n", "draws", "level")


def caar_bands(
    results: StudyResults,
    panel: EventPanel,
    *,
    draws: int = 999,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """The CAAR path of every group over the event span with its bootstrap band (``caar.parquet``).

    :math:`CAAR_\\tau = N^{-1}\\sum_i CAR_i(\\tau_1, \\tau)` from the span's first day, and the
    pointwise percentile band of resampled paths (events resampled with replacement, B = ``draws``,
    ``numpy.random.default_rng(seed)``; Efron & Tibshirani 1993, ch. 13), from
    :func:`eventstudy.inference.caar_band`. Pairs with a missing day in the span are left out
    (``n`` counts the others). Deterministic given ``seed``.
    """
    first, last = int(results.event_taus[0]), int(results.event_taus[-1])
    frames = []
    for label, mask in groups(results.events):
        band = caar_band(panel.subset(np.flatnonzero(mask)), first, last, draws=draws, seed=seed, level=level)
        frames.append(
            pd.DataFrame(
                {
                    "group": label,
                    "tau": np.arange(first, last + 1, dtype=np.int64),
                    "caar": band.caar,
                    "lower": band.lower,
                    "upper": band.upper,
                    "n": np.int64(band.n),
                    "draws": np.int64(band.draws),
                    "level": band.level,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).loc[:, list(CAAR_COLUMNS)]


def value_per_deal_rows(car: pd.DataFrame, group: str) -> list[dict[str, object]]:
    """Aggregate dollar value per deal dollar of a group, per window.

    .. math:: \\text{value per deal dollar} = \\frac{\\sum_e \\sum_{i \\in e} \\Delta V_{i}}{\\sum_e D_e}

    over the events e with a disclosed deal size :math:`D_e` whose listed parties i all have an
    abnormal dollar value (outcome ``ok`` and a market value); each deal is counted once however
    many of its parties are listed. ``p`` is NaN: this is a descriptive ratio (the dollar test
    of the battery tests the summed value).
    """
    rows: list[dict[str, object]] = []
    reference = "Malatesta (1983); value summed over the listed parties of each deal ÷ deal size"
    for window, part in car.groupby("window", sort=False):
        part = part[part["role"] != "peer"]
        complete = part.groupby("event_id", sort=False).agg(
            value=("abnormal_value_usd", lambda v: v.sum(min_count=len(v))),
            deal=("deal_usd", "first"),
        )
        complete = complete.dropna()
        total_value, total_deal = float(complete["value"].sum()), float(complete["deal"].sum())
        ratio = total_value / total_deal if total_deal > 0 else float("nan")
        for statistic, value in (
            ("total_abnormal_value_usd", total_value),
            ("total_deal_usd", total_deal),
            ("value_per_deal_dollar", ratio),
        ):
            rows.append(
                {
                    "group": group,
                    "window": window,
                    "statistic": statistic,
                    "value": value,
                    "p": float("nan"),
                    "n": len(complete),
                    "reference": reference,
                }
            )
    return rows
