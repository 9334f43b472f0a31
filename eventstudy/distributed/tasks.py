"""The tasks a partitioned study runs on its workers (plain functions: Dask ships them).

:func:`partition_task` is one partition's whole per-pair study: read its tickers' price and
share files once (the checks and price policy of ``eventstudy run``,
:func:`eventstudy.data.inputs.load_inputs`), build its returns panel, run
:func:`eventstudy.estimate.estimate` (day 0, the fit, AR/CAR tables), and reduce the
estimation window to what the driver needs (:mod:`eventstudy.inference.partial`). Its result
stays on the worker: the driver fetches the small :class:`PartitionSummary`, and the later
tasks (:func:`grank_task`, :func:`block_task`) read the residuals where they are.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.aggregate import event_panel, group_rows
from eventstudy.config import StudyConfig
from eventstudy.data.inputs import Needs, load_inputs
from eventstudy.data.remote import RemoteCache, open_cache
from eventstudy.data.screening import PriceIssue, annotate_withheld, withheld_return_days
from eventstudy.data.store import PriceStore
from eventstudy.errors import DataUnavailableError, InputError
from eventstudy.estimate import estimate
from eventstudy.inference import PanelParts
from eventstudy.inference.nonparametric import GrankSums
from eventstudy.inference.panel import EventPanel
from eventstudy.inference.partial import (
    EstimationRows,
    Key,
    Window,
    WindowSums,
    bucket_pair_sums,
    grank_sums,
    thin_panel,
    window_sums,
)
from eventstudy.models import ExpectedReturnModel
from eventstudy.timeline.calendar import align_days_zero, relative_day_index
from eventstudy.timeline.returns import build_panel

Cache = PriceStore | RemoteCache

if TYPE_CHECKING:
    from eventstudy.backtest.engine import BacktestResults

COMPACT_CAR_COLUMNS: tuple[str, ...] = (
    "event_id",
    "role",
    "window",
    "outcome",
    "abnormal_value_usd",
    "deal_usd",
)
"""The ``car.parquet`` columns the stats table reads (exclusion counts, value per deal)."""


@dataclass
class TaskCost:
    """What one task cost on its worker.

    Attributes
    ----------
    seconds
        Wall time by stage (``read``, ``estimate``, ``sums``, ``grank``, ``rbar``...).
    peak_rss_mb
        Peak resident memory of the worker process so far (``ru_maxrss``).
    worker
        The worker's address (the process id outside a Dask worker).
    """

    seconds: dict[str, float]
    peak_rss_mb: float
    worker: str


def _cost(seconds: dict[str, float]) -> TaskCost:
    return TaskCost(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, _worker_name())


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


@dataclass
class PartitionSummary:
    """What the driver gathers from one partition (rows in the partition's events order).

    Attributes
    ----------
    index
        The partition's number.
    positions
        (n,) each pair's row in the study's events.
    error
        ``(key, error)`` when the partition's inputs were refused (the driver raises the error
        with the smallest key, the one an in-memory run meets first), else None.
    thin
        The pairs' thin :class:`EventPanel` (:func:`~eventstudy.inference.partial.thin_panel`).
    rows
        Their :class:`~eventstudy.inference.partial.EstimationRows`.
    sums
        Per (group, window), the partition's :class:`~eventstudy.inference.partial.WindowSums`.
    starts
        (n,) calendar position of each pair's first event-span day (day 0 + the span's start;
        meaningless where there is no day 0, which never enters a statistic).
    ar, car
        The pairs' ``ar`` and ``car`` tables (``car`` with :data:`COMPACT_CAR_COLUMNS` only and
        ``ar`` None when the tables are not gathered).
    prices, shares
        The inputs' records (``manifest.json``'s ``inputs``), by symbol.
    findings
        The price checks' findings by symbol.
    n_days
        Length of the calendar.
    cost
        Time and memory on the worker.
    """

    index: int
    positions: np.ndarray
    error: tuple[tuple[float, float], Exception] | None = None
    thin: EventPanel | None = None
    rows: EstimationRows | None = None
    sums: dict[Key, WindowSums] = field(default_factory=dict)
    starts: np.ndarray | None = None
    ar: pd.DataFrame | None = None
    car: pd.DataFrame | None = None
    prices: dict[str, object] = field(default_factory=dict)
    shares: dict[str, object] = field(default_factory=dict)
    findings: dict[str, list[PriceIssue]] = field(default_factory=dict)
    n_days: int = 0
    cost: TaskCost | None = None


@dataclass
class PartitionResult:
    """One partition's result as kept on its worker: the summary and the estimation residuals."""

    summary: PartitionSummary
    residuals: np.ndarray | None = None
    members: dict[str, np.ndarray] = field(default_factory=dict)


def partition_task(
    index: int,
    positions: np.ndarray,
    events: pd.DataFrame,
    cache: Cache,
    needs: Needs,
    model: ExpectedReturnModel,
    config: StudyConfig,
    labels: Sequence[str],
    gather_tables: bool,
) -> PartitionResult:
    """The per-pair study of one partition (whole tickers) and its partial sums.

    Parameters
    ----------
    index, positions
        The partition's number and its pairs' rows in the study's events.
    events
        Those rows of the events (parties and peers).
    cache
        The price cache (a folder every worker can read, or a :class:`RemoteCache`).
    needs
        The market proxy and the model's further price series (factor tables travel inside
        ``model``).
    model, config
        As for :func:`eventstudy.estimate.estimate`.
    labels
        The study's group labels (:func:`eventstudy.aggregate.group_labels`).
    gather_tables
        Keep the full ``ar`` and ``car`` tables in the summary (else the compact ``car``).
    """
    started = time.perf_counter()
    store = open_cache(cache)
    try:
        inputs = load_inputs(store, events, needs)
    except (InputError, DataUnavailableError) as exc:
        summary = PartitionSummary(index, positions, error=(_error_key(exc, store, events, needs), exc))
        return PartitionResult(summary)
    panel = build_panel(inputs.prices, needs.market)
    read = time.perf_counter()
    estimates = estimate(events, panel, model, config, shares=inputs.shares)
    withheld = withheld_return_days(inputs.findings)
    if withheld:
        estimates.car = annotate_withheld(estimates.car, panel.calendar, withheld, config.estimation_window)
    full = event_panel(estimates)
    estimated = time.perf_counter()
    parts = PanelParts(full)
    members = dict(group_rows(events, labels))
    sums = window_sums(full, members, config.event_windows, parts)
    rows = EstimationRows.of(parts)
    day0 = align_days_zero(panel.calendar, events["announced"], events["timing"]).index
    summed = time.perf_counter()
    car = estimates.car if gather_tables else estimates.car.loc[:, list(COMPACT_CAR_COLUMNS)]
    summary = PartitionSummary(
        index,
        positions,
        thin=thin_panel(full),
        rows=rows,
        sums=sums,
        starts=day0 + config.event_span[0],
        ar=estimates.ar if gather_tables else None,
        car=car,
        prices=dict(inputs.record["prices"]),
        shares=dict(inputs.record["shares"]),
        findings=inputs.findings,
        n_days=len(panel.calendar),
    )
    summary.cost = _cost(
        {"read": read - started, "estimate": estimated - read, "sums": summed - estimated}
    )
    return PartitionResult(summary, full.ar_estimation, members)


def summary_of(result: PartitionResult) -> PartitionSummary:
    """The part of a partition's result the driver gathers."""
    return result.summary


def _error_key(
    error: Exception, store: Cache, events: pd.DataFrame, needs: Needs
) -> tuple[float, float]:
    """Where an in-memory run would meet ``error`` (smaller first): a missing market (its
    reading comes first), a ticker's unreadable prices (by events row), a model series, a
    refused price file (by symbol: market, tickers in events order, model series)."""
    if isinstance(error, InputError) and error.field == "ticker":
        rows = np.flatnonzero(events["source_row"].to_numpy() == error.row)
        return (1.0, float(rows[0]) if rows.size else 0.0)
    if not isinstance(error, InputError):  # the market's or a model series' prices
        return (2.0, 0.0)
    if error.field == "date":
        symbols = list(dict.fromkeys([needs.market, *events["ticker"].tolist(), *needs.symbols]))
        for rank, symbol in enumerate(symbols):
            if str(store.price_path(symbol)) == error.path:
                first = np.flatnonzero(events["ticker"].to_numpy(object) == symbol)
                position = float(first[0]) if first.size else float(len(events) + rank)
                return (3.0, -1.0 if symbol == needs.market else position)
    return (4.0, 0.0)


def grank_task(
    result: PartitionResult, windows: Sequence[Window], spreads: Mapping[Key, float]
) -> tuple[dict[Key, GrankSums], TaskCost]:
    """The partition's GRANK sums given the driver's SCAR spreads."""
    started = time.perf_counter()
    thin = result.summary.thin
    if thin is None or result.residuals is None:
        return {}, _cost({"grank": 0.0})
    panel = replace(
        thin,
        ar_estimation=result.residuals,
        estimation_day=np.zeros(result.residuals.shape, dtype=np.int64),  # not read by GRANK
        market_value_estimation=None,
        market_value_event=None,
    )
    sums = grank_sums(panel, result.members, windows, spreads)
    return sums, _cost({"grank": time.perf_counter() - started})


@dataclass
class Block:
    """One partition's rows of one calendar block of the r̄ sums (see :func:`block_task`)."""

    positions: np.ndarray
    residuals: np.ndarray
    day0: np.ndarray
    members: dict[str, np.ndarray]
    usable: dict[Window, np.ndarray]
    reach: np.ndarray


def block_task(
    result: PartitionResult, block: int, width: int, span_days: int, windows: Sequence[Window]
) -> Block:
    """The partition's pairs of calendar block ``block`` (span starts in ``[block·width,
    (block + 1)·width)``) and of the previous block's reach (see
    :func:`eventstudy.inference.partial.bucket_pair_sums`), usable in some window."""
    from eventstudy.inference import usable_pairs

    summary = result.summary
    assert summary.thin is not None and summary.starts is not None and result.residuals is not None
    starts = summary.starts
    usable = {(int(a), int(b)): usable_pairs(summary.thin, int(a), int(b)) for a, b in windows}
    any_usable = np.logical_or.reduce(list(usable.values()))
    lower = block * width - (span_days - 1)
    rows = np.flatnonzero(any_usable & (starts >= lower) & (starts < (block + 1) * width))
    return Block(
        summary.positions[rows],
        result.residuals[rows],
        starts[rows] - int(summary.thin.event_tau[0]),
        {label: member[rows] for label, member in result.members.items()},
        {window: mask[rows] for window, mask in usable.items()},
        starts[rows] < block * width,
    )


def bucket_task(
    blocks: Sequence[Block], n_days: int, estimation_window: tuple[int, int], windows: Sequence[Window]
) -> tuple[dict[Key, tuple[float, int]], TaskCost]:
    """The Kolari-Pynnönen pair sums of one calendar block, from its partitions' rows (in the
    study's events order, whatever the partitions)."""
    started = time.perf_counter()
    blocks = [b for b in blocks if b.positions.size]
    if not blocks:
        return {}, _cost({"rbar": 0.0})
    positions = np.concatenate([b.positions for b in blocks])
    order = np.argsort(positions, kind="stable")
    residuals = np.concatenate([b.residuals for b in blocks])[order]
    day0 = np.concatenate([b.day0 for b in blocks])[order]
    members = {g: np.concatenate([b.members[g] for b in blocks])[order] for g in blocks[0].members}
    usable = {w: np.concatenate([b.usable[w] for b in blocks])[order] for w in blocks[0].usable}
    reach = np.concatenate([b.reach for b in blocks])[order]
    est_taus = np.arange(estimation_window[0], estimation_window[1] + 1)
    estimation_day = relative_day_index(day0, est_taus, n_days)
    window_days = {(a, b): relative_day_index(day0, np.arange(a, b + 1), n_days) for a, b in windows}
    sums = bucket_pair_sums(residuals, estimation_day, window_days, members, usable, reach)
    return sums, _cost({"rbar": time.perf_counter() - started})


def backtest_task(
    cache: Cache, events: pd.DataFrame, config: StudyConfig, market: str
) -> BacktestResults | None:
    """The config's backtest of the listed parties (one task: the rule trades across tickers
    in calendar time, so it holds the parties' prices together)."""
    from eventstudy.study import _backtest

    store = open_cache(cache)
    inputs = load_inputs(store, events, Needs(market))
    return _backtest(events, inputs.prices, inputs.shares, config)
