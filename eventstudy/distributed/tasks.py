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

from eventstudy.aggregate import battery_members, event_panel
from eventstudy.config import StudyConfig
from eventstudy.data.inputs import Needs, load_inputs
from eventstudy.data.remote import RemoteCache, open_cache
from eventstudy.data.screening import PriceIssue
from eventstudy.data.store import PriceStore
from eventstudy.daygrid import DayGrid
from eventstudy.errors import DataUnavailableError, InputError, PeerDataError
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
from eventstudy.timeline.returns import ReturnSeries, build_panel

Cache = PriceStore | RemoteCache

if TYPE_CHECKING:
    from eventstudy.backtest.engine import BacktestResults

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
class VolumeSummary:
    """The abnormal volume panel's parts of one partition (as :class:`PartitionSummary`'s)."""

    thin: EventPanel
    rows: EstimationRows
    sums: dict[Key, WindowSums]


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
        The pairs' ``ar`` and ``car`` tables (``ar`` None when the tables are not gathered).
    garch
        The pairs' ``garch.parquet`` rows (a study with a GARCH variance model), else None.
    record
        The inputs' record (``manifest.json``'s ``inputs``: prices, returns, shares, earnings,
        news), by kind and symbol.
    findings
        The price checks' findings by symbol.
    calendar
        The market's trading calendar (the same for every partition).
    volume
        The abnormal volume study's thin panel, estimation rows and sums (a study with
        ``volume``), else None.
    volume_table, volume_outcome
        Its ``volume.parquet`` rows and each pair's outcome.
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
    garch: pd.DataFrame | None = None
    record: dict[str, dict[str, object]] = field(default_factory=dict)
    findings: dict[str, list[PriceIssue]] = field(default_factory=dict)
    calendar: pd.DatetimeIndex | None = None
    volume: VolumeSummary | None = None
    volume_table: pd.DataFrame | None = None
    volume_outcome: np.ndarray | None = None
    n_days: int = 0
    cost: TaskCost | None = None


@dataclass
class PartitionResult:
    """One partition's result as kept on its worker: the summary, the estimation residuals and
    their calendar days, and each (group, window)'s pairs (of the returns and, with ``volume``,
    of the abnormal log volumes)."""

    summary: PartitionSummary
    residuals: np.ndarray | None = None
    estimation_day: np.ndarray | DayGrid | None = None
    members: dict[Key, np.ndarray] = field(default_factory=dict)
    volume_residuals: np.ndarray | None = None
    volume_estimation_day: np.ndarray | DayGrid | None = None
    volume_members: dict[Key, np.ndarray] = field(default_factory=dict)


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
    where: str = "events",
    screen_earnings: bool = False,
) -> PartitionResult:
    """The per-pair study of one partition (whole tickers) and its partial sums.

    The steps of :func:`eventstudy.study.run_study` that are per pair, in its order: the
    inputs (:func:`~eventstudy.data.inputs.load_inputs`), the returns panel, the
    ``day0_rule = "error"`` check, :func:`~eventstudy.estimate.estimate`, the withheld-days
    notes, the confounder screen (:func:`eventstudy.study.screen_confounders`: earnings and
    other events of the partition's own tickers, the news file) and the GARCH variances; then
    the sums of :mod:`eventstudy.inference.partial` for every (group, window) of
    :func:`~eventstudy.aggregate.battery_members`.

    Parameters
    ----------
    index, positions
        The partition's number and its pairs' rows in the study's events.
    events
        Those rows of the events (parties and peers).
    cache
        The cache (a folder every worker can read, or a :class:`RemoteCache`).
    needs
        The market proxy, the model's further series and the news file (factor tables travel
        inside ``model``).
    model, config
        As for :func:`eventstudy.estimate.estimate`.
    labels
        The study's group labels (:func:`eventstudy.aggregate.group_labels`).
    gather_tables
        Keep the ``ar`` table in the summary.
    where
        The events file as errors name it.
    screen_earnings
        Some ticker of the whole study has an earnings calendar
        (:func:`eventstudy.study.screen_confounders`).
    """
    from eventstudy.study import (
        _require_sessions,
        check_log_returns,
        first_implausible_count,
        screen_confounders,
        share_count_error,
    )

    started = time.perf_counter()
    store = open_cache(cache)
    try:
        inputs = load_inputs(store, events, needs)
        series = {s: ReturnSeries(frame, inputs.definitions[s]) for s, frame in inputs.returns.items()}
        check_log_returns(series, config)
        panel = build_panel(inputs.prices, needs.market, returns=series, definition=config.returns)
    except (InputError, DataUnavailableError) as exc:
        error = _in_events_file(exc, where)
        key = _error_key(error, store, events, positions, needs)
        summary = PartitionSummary(index, positions, error=(key, error))
        return PartitionResult(summary)
    found = first_implausible_count(inputs)
    if found is not None:  # run_study checks the counts after the inputs, in events order
        key = (SHARES_ERROR, ticker_rank(events, positions, found.ticker))
        refusal = key, share_count_error(store, found)
        return PartitionResult(PartitionSummary(index, positions, error=refusal))
    if config.day0_rule == "error":
        try:
            _require_sessions(events, panel.calendar, config, where)
        except InputError as exc:  # after the backtest's check of prices, as in run_study
            key = (SESSIONS_ERROR, error_row(exc))
            return PartitionResult(PartitionSummary(index, positions, error=(key, exc)))
    read = time.perf_counter()
    estimates = estimate(events, panel, model, config, shares=inputs.shares, restatements=inputs.restatements)
    window = estimates.estimation_window
    estimates.car = inputs.annotate_withheld(estimates.car, panel.calendar, window)
    estimates.car = screen_confounders(
        estimates, inputs.earnings, inputs.news, config, screen_earnings=screen_earnings
    )
    variance, garch = None, None
    if config.variance != "constant":
        from eventstudy.variance import garch_table, garch_variances

        fitted = garch_variances(estimates, config.variance, window)
        variance, garch = fitted.event, garch_table(estimates, fitted)
    full = event_panel(estimates, variance)
    estimated = time.perf_counter()
    parts = PanelParts(full)
    windows = [(int(a), int(b)) for a, b in config.event_windows]
    members = battery_members(
        events, estimates.car, labels, windows, exclude_confounded=config.exclude_confounded
    )
    sums = window_sums(full, members, parts)
    rows = EstimationRows.of(parts)
    volume, volume_summary, volume_members = None, None, {}
    if config.volume is not None:
        from eventstudy.volume import volume_pairs

        volume = volume_pairs(
            estimates,
            inputs.prices,
            config.market,
            config.volume,
            min_obs=config.min_estimation_obs,
            caveats=config.share_caveats,
        )
        volume_members = members  # the returns' samples, confounded windows and twins included
        volume_parts = PanelParts(volume.panel)
        volume_summary = VolumeSummary(
            thin_panel(volume.panel),
            EstimationRows.of(volume_parts),
            window_sums(volume.panel, volume_members, volume_parts),
        )
    summed = time.perf_counter()
    summary = PartitionSummary(
        index,
        positions,
        thin=thin_panel(full),
        rows=rows,
        sums=sums,
        starts=_day_zero(estimates.event_days, estimates.event_taus) + config.event_span[0],
        ar=estimates.ar if gather_tables else None,
        car=estimates.car,
        garch=garch,
        record={k: dict(v) for k, v in inputs.record.items() if k != "events"},
        findings=inputs.findings,
        n_days=len(panel.calendar),
        calendar=panel.calendar,
        volume=volume_summary,
        volume_table=None if volume is None else volume.table,
        volume_outcome=None if volume is None else volume.outcome,
    )
    summary.cost = _cost(
        {"read": read - started, "estimate": estimated - read, "sums": summed - estimated}
    )
    return PartitionResult(
        summary,
        full.ar_estimation,
        full.estimation_day,
        members,
        None if volume is None else volume.panel.ar_estimation,
        None if volume is None else volume.panel.estimation_day,
        volume_members,
    )


def _day_zero(event_days: np.ndarray, event_taus: np.ndarray) -> np.ndarray:
    """(P,) calendar position of each pair's day 0 from its event days (-1 where it has none)."""
    valid = event_days >= 0
    first = np.argmax(valid, axis=1)
    return np.where(valid.any(axis=1), event_days[np.arange(len(event_days)), first] - event_taus[first], -1)


def summary_of(result: PartitionResult) -> PartitionSummary:
    """The part of a partition's result the driver gathers."""
    return result.summary


SHARES_ERROR = 4.5
"""The rank of a share count below its ticker's median daily volume: run_study checks the counts
after loading the inputs (and after the per-event benchmarks, which the driver checks before any
partition), ticker by ticker in events order, before the backtest's prices."""
BACKTEST_ERROR = 5.0
"""The rank (:func:`_error_key`) of the backtest task's refusal: run_study checks the backtest's
prices after loading the inputs and before the day-0 sessions."""
SESSIONS_ERROR = 6.0
"""The rank of a day 0 off the calendar under ``day0_rule = "error"``."""


def error_row(error: Exception) -> float:
    """The events file's row an input refusal names (0 for none): its rank among refusals of one
    kind, as an in-memory run meets them in file order."""
    return float(error.row) if isinstance(error, InputError) and error.row is not None else 0.0


def _in_events_file(
    error: InputError | DataUnavailableError, where: str
) -> InputError | DataUnavailableError:
    """``error`` naming the events file ``where`` (load_inputs names it ``events``)."""
    if isinstance(error, InputError) and error.path == "events":
        return InputError(where, error.message, row=error.row, field=error.field)
    return error


AFTER_EVERY_ROW = float(2**40)
"""A rank after every row of the events file: the peer rows (eventstudy.peers.add_peers), which
an in-memory run meets after the file's rows, in the order of the study's events."""


def ticker_rank(events: pd.DataFrame, positions: np.ndarray, ticker: str) -> float:
    """The rank of ``ticker`` among the study's pairs as an in-memory run meets them: its first
    row in the events file, or, for a peer alone, after every row by its first place in the
    study's events (``positions``: the partition's rows there)."""
    mine = events["ticker"].to_numpy(object) == ticker
    rows = events["source_row"].to_numpy()[mine]
    if (rows > 0).any():
        return float(rows[rows > 0].min())
    return AFTER_EVERY_ROW + float(np.asarray(positions)[mine].min(initial=2**40))


def _error_key(
    error: Exception, store: Cache, events: pd.DataFrame, positions: np.ndarray, needs: Needs
) -> tuple[float, float]:
    """Where an in-memory run would meet ``error`` (smaller first): a missing market (its
    reading comes first), a ticker's unreadable prices (a peer's after every row's), a model
    series, a refused price file (by symbol: market, tickers in events order, model series),
    then any other refusal of an events row. Rows are ranked by their row in the events file
    (``source_row``), never by their place in the partition: partitions are sorted by ticker,
    not by row."""
    row = error_row(error)
    if isinstance(error, InputError) and error.field == "ticker":
        return (1.0, row)
    if isinstance(error, PeerDataError):
        return (1.0, ticker_rank(events, positions, error.ticker))
    if not isinstance(error, InputError):  # the market's or a model series' prices
        return (2.0, 0.0)
    if error.field == "date":
        symbols = list(dict.fromkeys([needs.market, *events["ticker"].tolist(), *needs.symbols]))
        for rank, symbol in enumerate(symbols):
            if str(store.price_path(symbol)) == error.path:
                if symbol == needs.market:
                    return (3.0, -1.0)
                if (events["ticker"].to_numpy(object) == symbol).any():
                    return (3.0, ticker_rank(events, positions, symbol))
                return (3.0, 4 * AFTER_EVERY_ROW + rank)  # a model series: after every pair
    return (4.0, row)


def grank_task(
    result: PartitionResult, spreads: Mapping[Key, float]
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
        dollar_variance=None,
        dollar_days=None,
    )
    sums = grank_sums(panel, result.members, spreads)
    return sums, _cost({"grank": time.perf_counter() - started})


@dataclass
class Block:
    """One partition's rows of one calendar block of the r̄ sums (see :func:`block_task`)."""

    positions: np.ndarray
    residuals: np.ndarray
    estimation_day: np.ndarray
    event_day: np.ndarray
    members: dict[Key, np.ndarray]
    reach: np.ndarray


def block_task(
    result: PartitionResult, block: int, width: int, span_days: int, windows: Sequence[Window], study: str
) -> Block:
    """The partition's pairs of calendar block ``block`` (span starts in ``[block·width,
    (block + 1)·width)``) and of the previous block's reach (see
    :func:`eventstudy.inference.partial.bucket_pair_sums`), usable in some window, of the
    returns (``study="returns"``) or the abnormal log volumes (``"volume"``)."""
    from eventstudy.inference import usable_pairs

    summary = result.summary
    assert summary.starts is not None
    thin: EventPanel | None = summary.thin
    residuals, days, members = result.residuals, result.estimation_day, result.members
    if study == "volume":
        assert summary.volume is not None
        thin, residuals, days = summary.volume.thin, result.volume_residuals, result.volume_estimation_day
        members = result.volume_members
    assert thin is not None and residuals is not None and days is not None
    starts = summary.starts
    usable = {window: usable_pairs(thin, *window) for window in windows}
    any_usable = np.logical_or.reduce(list(usable.values()))
    lower = block * width - (span_days - 1)
    rows = np.flatnonzero(any_usable & (starts >= lower) & (starts < (block + 1) * width))
    return Block(
        summary.positions[rows],
        residuals[rows],
        days[rows],
        thin.event_day[rows],
        {key: (member & usable[key[1]])[rows] for key, member in members.items()},
        starts[rows] < block * width,
    )


def bucket_task(
    blocks: Sequence[Block], event_tau: np.ndarray, windows: Sequence[Window]
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
    estimation_day = np.concatenate([b.estimation_day for b in blocks])[order]
    event_day = np.concatenate([b.event_day for b in blocks])[order]
    members = {k: np.concatenate([b.members[k] for b in blocks])[order] for k in blocks[0].members}
    reach = np.concatenate([b.reach for b in blocks])[order]
    window_days = {(a, b): event_day[:, (event_tau >= a) & (event_tau <= b)] for a, b in windows}
    sums = bucket_pair_sums(residuals, estimation_day, window_days, members, reach)
    return sums, _cost({"rbar": time.perf_counter() - started})


def backtest_task(
    cache: Cache, parties: pd.DataFrame, config: StudyConfig, needs: Needs, where: str
) -> BacktestResults | InputError | DataUnavailableError | None:
    """The config's backtest of the listed parties (one task: the rule trades across tickers
    in calendar time, so it holds the parties' prices together), after the check of
    :func:`eventstudy.study.run_study` that every party and the market have prices.

    A refused input is returned, not raised: a worker logs a raised exception with its
    traceback on the user's terminal, and the driver raises the partitions' refusal first."""
    from eventstudy.study import _backtest, _require_prices_for_backtest

    store = open_cache(cache)
    try:
        inputs = load_inputs(store, parties, needs)
        _require_prices_for_backtest(parties, inputs, config, where)
    except (InputError, DataUnavailableError) as exc:
        return _in_events_file(exc, where)
    return _backtest(parties, inputs.prices, inputs.shares, config, inputs.factors, inputs.restatements)
