"""Cross-event statistics of a study: the rows of ``stats.parquet``.

Builds an :class:`~eventstudy.inference.EventPanel` from a study's per-pair estimation results
and runs :func:`~eventstudy.inference.run_battery` for every (group, window): each group label
of the events file, ``all`` (every listed party), and ``peers`` (spillover rows with role
``peer``, if any, kept apart so they never mix with the deal parties).

The totals of ``stats.parquet`` and what each covers (``reference`` says it on every row):

* ``dollar_abnormal_value`` — every (event, party) row of the group with a dollar value for
  the window (the sum of ``car.parquet``'s ``abnormal_value_usd`` over those rows), deal or
  no deal; p of ``dollar_z``; n rows; ``dollar_fallback_sd_rows`` of them use σ × market value;
* ``total_abnormal_value_usd``, ``total_deal_usd``, ``value_per_deal_dollar`` — only events
  with a disclosed deal whose listed parties all have a dollar value, each deal counted once;
  n events; never for ``peers``;
* ``degenerate_estimation_rows``, ``market_proxy_rows`` — rows excluded from every statistic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from eventstudy.config import window_label
from eventstudy.estimate import PairEstimates, estimation_market_values
from eventstudy.inference import EventPanel, PanelParts, caar_band, results_to_rows, run_battery_windows

STATS_COLUMNS: tuple[str, ...] = ("group", "window", "statistic", "value", "p", "n", "reference")


def groups(events: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """(label, (P,) bool rows) of every group: the events file's groups of listed parties in file
    order, ``all`` listed parties, and ``peers`` when there are peer rows."""
    return group_rows(events, group_labels(events))


def group_labels(events: pd.DataFrame) -> list[str]:
    """The labels of :func:`groups`, in their order."""
    is_peer = (events["role"] == "peer").to_numpy()
    labels = [str(label) for label in pd.unique(events.loc[~is_peer, "group"])]
    return [*labels, "all", *(["peers"] if is_peer.any() else [])]


def group_rows(events: pd.DataFrame, labels: Sequence[str]) -> list[tuple[str, np.ndarray]]:
    """(label, (P,) bool rows) of the groups ``labels`` (of :func:`group_labels`) in ``events``,
    which may be any subset of a study's rows (a partition's)."""
    is_peer = (events["role"] == "peer").to_numpy()
    group = events["group"].astype(str).to_numpy(object)
    out = []
    for label in labels:
        if label == "all":
            rows = ~is_peer
        elif label == "peers":
            rows = is_peer
        else:
            rows = (group == label) & ~is_peer
        out.append((label, rows))
    return out


def event_panel(results: PairEstimates) -> EventPanel:
    """The study's pairs as an :class:`EventPanel` (market values from the share counts of
    :func:`~eventstudy.estimate.estimate`)."""
    fit = results.fit
    panel = results.panel
    share_table = results.share_table
    tickers = results.events["ticker"].to_numpy(object)
    market_value_estimation = estimation_market_values(panel, share_table, tickers, results.estimation_days)
    n_pairs = len(results.events)
    return EventPanel(
        ar_estimation=fit.residuals,
        ar_event=results.abnormal,
        event_tau=results.event_taus,
        estimation_day=results.estimation_days,
        event_day=results.event_days,
        sigma=np.where(results.pair_outcome == "ok", fit.sigma, np.nan),  # excluded pairs: none
        n_estimation=fit.n_obs,
        n_params=np.full(n_pairs, fit.n_params),
        xtx_inv=fit.xtx_inv,
        x_event=results.x_event,
        firm=results.events["ticker"].to_numpy(object),
        market_value_estimation=market_value_estimation,
        market_value_event=results.market_value_prev,
    )


def cross_event_statistics(
    results: PairEstimates,
    panel: EventPanel,
    windows: Sequence[tuple[int, int]],
    *,
    statistics: Sequence[str] | None = None,
    bootstrap_draws: int = 999,
    seed: int = 0,
) -> pd.DataFrame:
    """The battery's statistics for every (group, window), as ``stats.parquet`` rows.

    ``panel`` is :func:`event_panel` of ``results`` (built once and shared with
    :func:`caar_bands`). Per (group, window) the rows are the battery (the ``statistics`` of
    :data:`eventstudy.inference.STATISTICS`, all by default), the counts of the group's rows excluded before
    any statistic (:data:`EXCLUSION_ROWS`) and, for the groups of listed parties (never
    ``peers``), the value-per-deal rows of :func:`value_per_deal_rows`.

    The bootstrap uses ``numpy.random.default_rng(seed)``, so the table is reproducible.
    """
    events = results.events
    car = results.car
    rows_of_pair = np.repeat(np.arange(len(events)), len(windows))
    if len(car) != rows_of_pair.size or not np.array_equal(
        car["event_id"].to_numpy(object), events["event_id"].to_numpy(object)[rows_of_pair]
    ):
        raise ValueError("results.car is not the study's per-window table (one row per pair and window)")
    return statistics_table(
        events, car, panel, windows, statistics=statistics, bootstrap_draws=bootstrap_draws, seed=seed
    )


def statistics_table(
    events: pd.DataFrame,
    car: pd.DataFrame,
    panel: EventPanel,
    windows: Sequence[tuple[int, int]],
    *,
    statistics: Sequence[str] | None = None,
    bootstrap_draws: int = 999,
    seed: int = 0,
    parts: Callable[[str, EventPanel], PanelParts] | None = None,
) -> pd.DataFrame:
    """The rows of :func:`cross_event_statistics` from the events, the per-window rows of their
    pairs (``car``: one row per pair and window, in pair order, with at least ``event_id``,
    ``role``, ``window``, ``outcome``, ``abnormal_value_usd`` and ``deal_usd``) and ``panel``.

    ``parts(label, group_panel)`` gives the battery's window-independent parts of a group (a
    partitioned study's merged sums, :class:`~eventstudy.inference.partial.MergedParts`);
    default: computed from ``panel``.
    """
    rows_of_pair = np.repeat(np.arange(len(events)), len(windows))
    rows: list[dict[str, object]] = []
    for label, mask in groups(events):
        subset = panel.subset(np.flatnonzero(mask))
        batteries = run_battery_windows(
            subset,
            windows,
            bootstrap_draws=bootstrap_draws,
            seed=seed,
            statistics=statistics,
            parts=None if parts is None else parts(label, subset),
        )
        group_car = car[mask[rows_of_pair]]
        for window, battery in zip(windows, batteries, strict=True):
            rows += results_to_rows(battery, group=label, window=window_label(window))
        rows += exclusion_rows(group_car, label)
        if label != "peers":
            rows += value_per_deal_rows(group_car, label)
    frame = pd.DataFrame(rows)
    frame["n"] = frame["n"].astype("int64")
    return frame.loc[:, list(STATS_COLUMNS)]


EXCLUSION_ROWS: dict[str, str] = {
    "degenerate_estimation_rows": "degenerate_estimation",
    "market_proxy_rows": "market_proxy",
}
"""Statistic name -> ``car.parquet`` outcome of rows excluded from every statistic that the
table counts per (group, window): estimation residuals that vanish
(:func:`eventstudy.models.ols.degenerate_fits`) and the model's proxy series listed as a party
(:func:`eventstudy.study.market_proxies`)."""


def exclusion_rows(car: pd.DataFrame, group: str) -> list[dict[str, object]]:
    """Per window of ``car`` (one group's rows) and statistic of :data:`EXCLUSION_ROWS`: the
    number of the group's (event, party) rows with that outcome (value and n; p NaN)."""
    rows: list[dict[str, object]] = []
    for window, part in car.groupby("window", sort=False):
        for statistic, outcome in EXCLUSION_ROWS.items():
            count = int((part["outcome"] == outcome).sum())
            rows.append(
                {
                    "group": group,
                    "window": window,
                    "statistic": statistic,
                    "value": float(count),
                    "p": float("nan"),
                    "n": count,
                    "reference": f"(event, party) rows with outcome {outcome}, excluded from every statistic",
                }
            )
    return rows


CAAR_COLUMNS: tuple[str, ...] = ("group", "tau", "caar", "lower", "upper", "n", "draws", "level")


def caar_bands(
    results: PairEstimates,
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
    return caar_table(results.events, panel, draws=draws, seed=seed, level=level)


def caar_table(
    events: pd.DataFrame, panel: EventPanel, *, draws: int = 999, seed: int = 0, level: float = 0.95
) -> pd.DataFrame:
    """:func:`caar_bands` from the events and their :class:`EventPanel` (only its event-window
    ARs are read: the thin panel of a partitioned study will do)."""
    first, last = int(panel.event_tau[0]), int(panel.event_tau[-1])
    frames = []
    for label, mask in groups(events):
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


VALUE_PER_DEAL_REFERENCES: dict[str, str] = {
    "total_abnormal_value_usd": (
        "sum of abnormal_value_usd over the window of the listed parties (no peers) of the group's "
        "events with a disclosed deal_usd whose listed parties all have a dollar value; n = those "
        "events; Malatesta (1983)"
    ),
    "total_deal_usd": (
        "sum of deal_usd over the same events, each deal counted once however many of its parties "
        "are listed; undisclosed deals are not counted"
    ),
    "value_per_deal_dollar": "total_abnormal_value_usd / total_deal_usd over the same events",
}


def value_per_deal_rows(car: pd.DataFrame, group: str) -> list[dict[str, object]]:
    """Aggregate dollar value per deal dollar of a group's listed parties, per window.

    .. math:: \\text{value per deal dollar} = \\frac{\\sum_e \\sum_{i \\in e} \\Delta V_{i}}{\\sum_e D_e}

    over the events e with a disclosed deal size :math:`D_e` whose listed parties i all have an
    abnormal dollar value (outcome ``ok`` and a market value); each deal is counted once however
    many of its parties are listed. Peers (role ``peer``) never enter: a ``peers`` group gets no
    such rows from :func:`cross_event_statistics`, and peer rows are dropped here. ``p`` is NaN:
    these are descriptive (the battery's ``dollar_abnormal_value`` tests the value of every row
    with a dollar value, deal or not). Each row's ``reference`` says what it covers
    (:data:`VALUE_PER_DEAL_REFERENCES`).
    """
    rows: list[dict[str, object]] = []
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
                    "reference": VALUE_PER_DEAL_REFERENCES[statistic],
                }
            )
    return rows
