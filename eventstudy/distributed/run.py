"""The driver of a partitioned study: plan, submit, gather small parts, merge, finish.

See :mod:`eventstudy.distributed` for the design. :func:`run_distributed` returns the
:class:`~eventstudy.results.StudyResults` an in-memory :func:`~eventstudy.study.run_study`
returns (to 1e-12; the per-pair tables exactly); :func:`compute_distributed` also says where
the time and memory went (:class:`DistributedRun`), and can leave the per-pair tables on the
workers for studies too large to hold them in one place.
"""

from __future__ import annotations

import itertools
import resource
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.config import StudyConfig
from eventstudy.distributed.cluster import Watch, connect, failure, n_workers
from eventstudy.distributed.plan import (
    block_of,
    block_width,
    default_rows_per_partition,
    plan_partitions,
    rows_per_partition_problem,
)
from eventstudy.distributed.tasks import (
    BACKTEST_ERROR,
    Block,
    PartitionSummary,
    TaskCost,
    backtest_task,
    block_task,
    bucket_task,
    error_row,
    grank_task,
    partition_task,
    summary_of,
)
from eventstudy.errors import DataUnavailableError, EventStudyError, InputError
from eventstudy.inference import STATISTICS
from eventstudy.inference.bootstrap import CAAR_BAND
from eventstudy.multiple_testing import P_FAMILY
from eventstudy.results import StudyResults

if TYPE_CHECKING:
    from distributed import Client, Future

    from eventstudy.aggregate import PartsOf
    from eventstudy.backtest.engine import BacktestResults
    from eventstudy.data.remote import RemoteCache
    from eventstudy.data.store import PriceStore
    from eventstudy.inference import PanelParts
    from eventstudy.inference.panel import EventPanel
    from eventstudy.inference.partial import EstimationRows, Key, Window, WindowSums
    from eventstudy.models import ExpectedReturnModel

ENGINE = "dask.distributed"
"""``manifest.json``'s ``engine.name`` of a partitioned run (``eventstudy verify`` re-runs it so)."""

DRIVER_MEMORY_PER_ROW = 20_000
"""Bytes per events row the driver needs when it gathers the per-pair tables (the thin panel,
the ``ar`` and ``car`` rows, the statistics' work arrays: 15 KB measured by
``benchmarks/bench_w3.py --gather`` between 20,000 and 50,000 pairs, plus a margin), for the
size check of :func:`~eventstudy.data.events.read_events`."""

def _reads_rbar(names: Iterable[str]) -> bool:
    """Whether a statistic of ``names`` reads Kolari-Pynnönen's r̄ (registered with the part
    ``correlation``): its calendar blocks run only for them. A list written out by hand left out
    ``dollar_abnormal_value``, whose p is ``kp_adjusted_dollar_t``'s."""
    return any("correlation" in STATISTICS[name].parts for name in names if name in STATISTICS)


@dataclass
class DistributedRun:
    """A partitioned study and what it cost.

    Attributes
    ----------
    results
        The study's results (None when the per-pair tables were left on the workers).
    stats, caar
        ``stats.parquet`` and ``caar.parquet``.
    rows_per_partition, n_partitions, n_blocks
        The split: partitions by ticker, calendar blocks of the r̄ sums.
    seconds
        Wall time of each phase on the driver (``plan``, ``partitions``, ``grank``, ``rbar``,
        ``statistics``, ``tables``, ``total``).
    worker_seconds
        Time summed over the tasks by stage (``read``, ``estimate``, ``sums``, ``grank``, ``rbar``).
    worker_peak_mb
        Peak resident memory of each worker process (``ru_maxrss``) as its tasks reported it.
    driver_peak_mb
        Peak resident memory of this process, in all and by the end of each phase.
    """

    results: StudyResults | None
    stats: pd.DataFrame
    caar: pd.DataFrame
    rows_per_partition: int
    n_partitions: int
    n_blocks: int
    seconds: dict[str, float] = field(default_factory=dict)
    worker_seconds: dict[str, float] = field(default_factory=dict)
    worker_peak_mb: dict[str, float] = field(default_factory=dict)
    driver_peak_mb: float = 0.0
    driver_peak_by_phase: dict[str, float] = field(default_factory=dict)

    def add(self, cost: TaskCost | None) -> None:
        """Count one task's cost."""
        if cost is None:
            return
        for stage, seconds in cost.seconds.items():
            self.worker_seconds[stage] = self.worker_seconds.get(stage, 0.0) + seconds
        self.worker_peak_mb[cost.worker] = max(self.worker_peak_mb.get(cost.worker, 0.0), cost.peak_rss_mb)


def run_distributed(
    events: pd.DataFrame | str | Path,
    store: PriceStore | RemoteCache | str | Path,
    config: StudyConfig | None = None,
    *,
    scheduler: str | Client = "local",
    model: ExpectedReturnModel | None = None,
    peers: Sequence[str] | None = None,
    fetch: bool = False,
    events_path: str | Path | None = None,
    rows_per_partition: int | None = None,
) -> StudyResults:
    """:func:`eventstudy.study.run_study` as a Dask computation over the parquet cache.

    Parameters
    ----------
    events, config, model, peers, events_path
        As for :func:`~eventstudy.study.run_study`.
    store
        The cache: a folder every worker can read at the same path, or an fsspec URL
        (``s3://bucket/cache``; :mod:`eventstudy.data.remote`).
    scheduler
        ``"local"`` (a local cluster, one worker per core), ``"local:N"``, a scheduler address
        (``tcp://host:8786``, a scheduler file ``*.json``) or a :class:`distributed.Client`.
    fetch
        Fetch what a local cache lacks first, on this machine (as ``run_study`` does).
    rows_per_partition
        Most pairs per partition (whole tickers); default about four partitions per worker, at
        most :data:`~eventstudy.distributed.plan.MAX_ROWS_PER_PARTITION`. The results depend on
        it only in the last bits of the summed statistics; it is recorded in the manifest.

    Raises
    ------
    InputError, DataUnavailableError
        As ``run_study`` does (the same error an in-memory run meets first), and for a
        scheduler that cannot be reached or Dask not installed.
    """
    run = compute_distributed(
        events,
        store,
        config,
        scheduler=scheduler,
        model=model,
        peers=peers,
        fetch=fetch,
        events_path=events_path,
        rows_per_partition=rows_per_partition,
    )
    assert run.results is not None
    return run.results


def _merged_records(cache: Any, kind: str, records: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The partitions' records of one kind of input as one; a file read in two versions (an
    import or a fetch replaced it between two partitions' reads: the market's series of one
    partition was not another's, and the manifest recorded the last) stops the run."""
    merged: dict[str, Any] = {}
    for record in records:
        for name, entry in record.items():
            if name in merged and isinstance(entry, Mapping) and merged[name] != entry:
                hashes = (merged[name].get("content_sha256", "?")[:12], entry.get("content_sha256", "?")[:12])
                raise InputError(
                    str(cache.root),
                    f"changed while the study read it: {kind} {name} was read in two versions "
                    f"({hashes[0]}, {hashes[1]}); run again when the import or fetch has finished",
                )
            merged[name] = entry
    return merged


def compute_distributed(
    events: pd.DataFrame | str | Path,
    store: PriceStore | RemoteCache | str | Path,
    config: StudyConfig | None = None,
    *,
    scheduler: str | Client = "local",
    model: ExpectedReturnModel | None = None,
    peers: Sequence[str] | None = None,
    fetch: bool = False,
    events_path: str | Path | None = None,
    rows_per_partition: int | None = None,
    gather_tables: bool = True,
) -> DistributedRun:
    """:func:`run_distributed` with its costs; ``gather_tables=False`` leaves the per-pair
    ``ar`` and ``car`` tables on the workers (only the stats and CAAR come back, and no
    :class:`StudyResults`)."""
    from eventstudy.data.remote import open_cache
    from eventstudy.study import checked_arguments

    config, peers = checked_arguments(events, store, config, model, peers, fetch)  # before a cluster starts
    problem = None if rows_per_partition is None else rows_per_partition_problem(rows_per_partition)
    if problem:
        raise InputError("rows_per_partition", problem)
    cache = open_cache(store)
    # Held by the driver over the run: every partition reads the cache before an import's batch or
    # after it (each partition's own reads are one version; two partitions' were not).
    with cache.consistent_reads(), connect(scheduler) as client:
        try:
            return _compute(
                client, events, cache, config, model, peers, fetch, events_path,
                rows_per_partition, gather_tables, scheduler if isinstance(scheduler, str) else "client",
            )
        except EventStudyError:
            raise
        except Exception as exc:  # a worker killed, the scheduler gone: one line, not a traceback
            if type(exc).__module__.startswith("distributed"):
                raise failure(exc) from exc
            raise


def for_workers(cache: PriceStore | RemoteCache) -> PriceStore | RemoteCache:
    """The cache as the workers are sent it: a folder by its absolute path (a worker started in
    another folder looked for ``--cache cache`` there, and said SPY was not cached; a finder)."""
    from eventstudy.data.store import PriceStore

    if isinstance(cache, PriceStore) and not cache.root.is_absolute():
        return PriceStore(cache.root.absolute())
    return cache


def _compute(
    client: Client,
    events: pd.DataFrame | str | Path,
    store: PriceStore | RemoteCache | str | Path,
    config: StudyConfig,
    model: ExpectedReturnModel | None,
    peers: Sequence[str] | None,
    fetch: bool,
    events_path: str | Path | None,
    rows_per_partition: int | None,
    gather_tables: bool,
    scheduler: str,
) -> DistributedRun:
    from eventstudy.aggregate import battery_members, group_labels
    from eventstudy.data.events import events_record
    from eventstudy.data.factors import read_cached_french, read_user_factors
    from eventstudy.data.inputs import Needs, factors_record
    from eventstudy.data.remote import open_cache
    from eventstudy.data.store import PriceStore
    from eventstudy.peers import PEER_ROLE, add_peers
    from eventstudy.study import (
        _check_benchmarks,
        _model_from_config,
        _require_parties_then_peers,
        fetch_inputs,
        model_needs,
        recorded_model,
        require_config_inputs,
        study_events,
    )

    clock = {"start": time.perf_counter()}
    peaks: dict[str, float] = {}

    def tick(phase: str) -> None:
        clock[phase] = time.perf_counter()
        peaks[phase] = _peak_mb()

    refuse_unpartitioned(config)
    watch = Watch(client)  # before any partition: a worker of other code computes other numbers
    cache = open_cache(store)
    events, events_path, where = study_events(
        events, events_path, config, memory_per_row=DRIVER_MEMORY_PER_ROW
    )
    events_hash = events_record(events, events_path)
    peers = tuple(config.peers if peers is None else peers)
    needs = model_needs(config, model)
    if not fetch:
        require_config_inputs(cache, config, needs)
    if not fetch and peers:
        _require_parties_then_peers(cache, events, peers, events_path)  # type: ignore[arg-type]  # reads like a store
    events = add_peers(events, peers)
    if fetch:
        if not isinstance(cache, PriceStore):
            raise InputError(
                str(cache.root),
                "cannot fetch into a cache at a URL: fill a local cache (eventstudy fetch) and copy it, "
                "or run with --offline",
            )
        fetch_inputs(cache, events, config, needs)
    factors = {table.name: table for table in read_cached_french(cache, needs.french)}
    if needs.factors_file is not None:
        table = read_user_factors(needs.factors_file)
        factors[table.name] = table
    given = model
    if model is None:
        model = _model_from_config(config, factors)
    _check_benchmarks(events, model, where)

    rows = rows_per_partition or default_rows_per_partition(len(events), n_workers(client))
    partitions = plan_partitions(events["ticker"].to_numpy(object), rows)
    labels = group_labels(events)
    windows: list[Window] = [(int(a), int(b)) for a, b in config.event_windows]
    partition_needs = Needs(config.market, tuple(model.symbols), news_file=config.news_file)
    tickers = dict.fromkeys(events["ticker"].tolist())
    screen_earnings = any(cache.read_earnings_table(t) is not None for t in tickers)  # as load_inputs' record
    tick("plan")

    shipped = for_workers(cache)
    backtest = None
    if config.backtest is not None:
        parties = events[events["role"] != PEER_ROLE]
        backtest_needs = Needs(config.market, french=needs.french)
        backtest = client.submit(backtest_task, shipped, parties, config, backtest_needs, where, pure=False)
    results = [
        client.submit(
            partition_task,
            index,
            positions,
            events.iloc[positions],
            shipped,
            partition_needs,
            model,
            config,
            labels,
            gather_tables,
            where,
            screen_earnings,
            pure=False,
        )
        for index, positions in enumerate(partitions)
    ]
    summaries = [client.submit(summary_of, result, pure=False) for result in results]
    run = DistributedRun(None, pd.DataFrame(), pd.DataFrame(), rows, len(partitions), 0)
    gathered: list[PartitionSummary] = []
    for future in summaries:  # one at a time, in partition order: the merge order is fixed
        summary = watch.result(future)
        run.add(summary.cost)
        gathered.append(summary)
    del summaries
    _raise_first_error(watch, gathered, backtest)
    tick("partitions")

    positions = [s.positions for s in gathered]
    order = np.argsort(np.concatenate(positions), kind="stable")
    thin = _concat_thin([s.thin for s in gathered], order)  # type: ignore[misc]
    estimation_rows = _concat_rows([s.rows for s in gathered], order)  # type: ignore[misc]
    sums = _merge_sums([s.sums for s in gathered])
    car = _concat_tables([s.car for s in gathered], positions, len(windows))
    garch = None
    if config.variance != "constant":
        garch = _concat_tables([s.garch for s in gathered], positions, thin.event_tau.size)
    # Drop the driver's copies of the partitions' parts (new records: an in-process worker may
    # hold the very objects gathered, which must stay as they are).
    volume = None
    if config.volume is not None:
        volume = _gather_volume(gathered, order, positions, thin.event_tau.size)
    gathered = [
        replace(s, thin=None, rows=None, sums={}, car=None, garch=None, volume=None, volume_table=None)
        for s in gathered
    ]
    members = battery_members(events, car, labels, windows, exclude_confounded=config.exclude_confounded)
    names = _statistic_names(config)
    pairs = GatheredPairs(events, car, thin.event_tau)

    grank: dict[Key, Any] = {}
    if "grank_t" in names:
        from eventstudy.inference.partial import grank_spreads

        spreads = grank_spreads(thin, members)
        for pending in [client.submit(grank_task, r, spreads, pure=False) for r in results]:
            part, cost = watch.result(pending)
            run.add(cost)
            grank = _merge(grank, part)
    tick("grank")

    rbar: dict[Key, tuple[float, int]] = {}
    reads_rbar = _reads_rbar(names)
    if reads_rbar:
        rbar, run.n_blocks = _rbar_sums(watch, results, gathered, config, windows, rows, run, "returns")
    volume_rbar: dict[Key, tuple[float, int]] = {}
    if config.volume is not None:
        volume_rbar, _ = _rbar_sums(watch, results, gathered, config, windows, rows, run, "volume")
    tick("rbar")
    del results  # the workers may now free the partitions' residuals
    watch.check()  # the last look: a worker that joined after the last result taken

    from eventstudy.aggregate import caar_bands, cross_event_statistics

    parts = _merged_parts_of(members, estimation_rows, sums, grank, rbar, reads_rbar)
    run.stats = cross_event_statistics(
        pairs,
        thin,
        windows,
        statistics=config.statistics,
        exclude_confounded=config.exclude_confounded,
        parts=parts,
    )
    run.caar = caar_bands(pairs, thin, exclude_confounded=config.exclude_confounded)
    volume_stats = None
    if volume is not None:
        from eventstudy.volume import volume_statistics

        volume_parts = _merged_parts_of(members, volume.rows, volume.sums, {}, volume_rbar, True)
        volume_stats = volume_statistics(
            pairs,
            volume.thin,
            windows,
            volume.outcome,
            exclude_confounded=config.exclude_confounded,
            parts=volume_parts,
            statistics=config.statistics,
        )
    tick("statistics")

    if gather_tables:
        from eventstudy.data.screening import validation_record
        from eventstudy.study import optional_methods

        ar = _concat_tables([s.ar for s in gathered], positions, thin.event_tau.size)
        gathered = [replace(s, ar=None) for s in gathered]
        findings = {k: v for s in gathered for k, v in s.findings.items()}
        record: dict[str, Any] = {"events": events_hash}
        for kind in ("prices", "shares", "earnings", "returns", "news"):
            merged = _merged_records(cache, kind, [s.record.get(kind, {}) for s in gathered])
            if merged or kind in ("prices", "shares", "earnings"):
                record[kind] = merged if kind == "news" else {k: merged[k] for k in sorted(merged)}
        if factors:  # read here, on the driver (the partitions read none)
            record["factors"] = factors_record(factors)
        methods: dict[str, pd.DataFrame] = {}
        if garch is not None:
            methods["garch"] = garch
        if volume is not None and volume_stats is not None:
            methods["volume"], methods["volume_stats"] = volume.table, volume_stats
        methods.update(optional_methods(config, pairs, events))
        recorded_config, model_record = recorded_model(config, model, given, factors)
        run.results = StudyResults(
            config=recorded_config,
            model=model_record,
            events=events,
            ar=ar,
            car=car,
            stats=run.stats,
            caar=run.caar,
            backtest=None if backtest is None else _raised(watch.result(backtest)),
            peers=peers,
            provenance={
                "inputs": record,
                "validation": validation_record(
                    findings, screened_symbols(events, config.market), config.market
                ),
                "cache": str(cache.root),
                "engine": {"name": ENGINE, "rows_per_partition": rows, "scheduler": scheduler},
            },
            estimates=None,
            model_object=model,
            caar_band=CAAR_BAND,
            p_family=P_FAMILY,
            **methods,
        )
    tick("tables")
    steps = ["start", "plan", "partitions", "grank", "rbar", "statistics", "tables"]
    run.seconds = {b: clock[b] - clock[a] for a, b in itertools.pairwise(steps)}
    run.driver_peak_by_phase = peaks
    run.seconds["total"] = clock["tables"] - clock["start"]
    run.driver_peak_mb = _peak_mb()
    return run


def _merged_parts_of(
    members: Mapping[Key, np.ndarray],
    rows: EstimationRows,
    sums: Mapping[Key, WindowSums],
    grank: Mapping[Key, Any],
    rbar: Mapping[Key, tuple[float, int]],
    with_rbar: bool,
) -> PartsOf:
    """The :data:`~eventstudy.aggregate.PartsOf` of a partitioned study: each run's
    :class:`~eventstudy.inference.partial.MergedParts` from the merged sums, after checking that
    the workers summed exactly the pairs the run asks for."""
    from eventstudy.inference.partial import MergedParts

    def parts(
        label: str, run_windows: tuple[Window, ...], panel: EventPanel, chosen: np.ndarray
    ) -> PanelParts:
        for window in run_windows:
            if not np.array_equal(members[(label, window)], chosen):
                raise RuntimeError(f"the partitions' sums of {label!r} {window} are not of the asked pairs")
        return MergedParts(
            panel,
            rows.take(chosen),
            {w: sums[(label, w)] for w in run_windows},
            {w: grank[(label, w)] for w in run_windows if (label, w) in grank},
            {w: rbar.get((label, w), (0.0, 0)) for w in run_windows} if with_rbar else {},
        )

    return parts


@dataclass(frozen=True)
class GatheredVolume:
    """The abnormal volume study's parts gathered from the partitions (events order)."""

    thin: EventPanel
    rows: EstimationRows
    sums: dict[Key, WindowSums]
    outcome: np.ndarray
    table: pd.DataFrame


def _gather_volume(
    summaries: Sequence[PartitionSummary], order: np.ndarray, positions: Sequence[np.ndarray], n_taus: int
) -> GatheredVolume:
    parts = [s.volume for s in summaries if s.volume is not None]
    outcomes = [s.volume_outcome for s in summaries if s.volume_outcome is not None]
    assert len(parts) == len(outcomes) == len(summaries)
    return GatheredVolume(
        _concat_thin([p.thin for p in parts], order),
        _concat_rows([p.rows for p in parts], order),
        _merge_sums([p.sums for p in parts]),
        np.concatenate(outcomes)[order],
        _concat_tables([s.volume_table for s in summaries], positions, n_taus),
    )


@dataclass(frozen=True)
class GatheredPairs:
    """The gathered tables the stats and CAAR read besides the thin panel
    (:class:`eventstudy.aggregate.PairTables`)."""

    events: pd.DataFrame
    car: pd.DataFrame
    event_taus: np.ndarray


def refuse_unpartitioned(config: StudyConfig) -> None:
    """Raise a one-line :class:`InputError` for a config a partitioned run cannot compute exactly
    as :func:`~eventstudy.study.run_study` does: an estimation window over all data
    (``estimation_window = "all"`` or a start of ``"all"``) resolves to the earliest day any
    pair reaches, which one partition cannot know."""
    if config.estimation_bounds()[0] is None:
        raise InputError(
            "--scheduler",
            "not supported on Dask: an estimation window over all data resolves to the earliest day any pair "
            "reaches, which one partition cannot know; give a start day or run without --scheduler",
        )


def screened_symbols(events: pd.DataFrame, market: str) -> list[str]:
    """The symbols whose price checks ``manifest.json``'s ``validation`` records, in the order
    :func:`~eventstudy.data.inputs.load_inputs` reads them: the market, then every ticker and
    per-event market in events order."""
    fields = ("ticker", "market") if "market" in events.columns else ("ticker",)
    columns = [events[name].tolist() for name in fields]
    symbols = [market]
    for position in range(len(events)):
        symbols += [column[position] for column in columns if column[position]]
    return list(dict.fromkeys(symbols))


def _peak_mb() -> float:
    """Peak resident memory of this process so far (``ru_maxrss``), MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _raised(
    backtest: BacktestResults | InputError | DataUnavailableError | None,
) -> BacktestResults | None:
    """The backtest task's results, or its refusal raised (:func:`backtest_task` returns it)."""
    if isinstance(backtest, (InputError, DataUnavailableError)):
        raise backtest
    return backtest


def _raise_first_error(
    watch: Watch, summaries: Sequence[PartitionSummary], backtest: Future | None
) -> None:
    """Raise the refusal that an in-memory run meets first, if any: the partitions' and, when
    there is one, the backtest task's (ranked :data:`~eventstudy.distributed.tasks.BACKTEST_ERROR`,
    between the inputs' refusals and a day 0 off the calendar)."""
    errors = [s.error for s in summaries if s.error is not None]
    if errors and backtest is not None:
        refused = watch.result(backtest)
        if isinstance(refused, (InputError, DataUnavailableError)):
            errors.append(((BACKTEST_ERROR, error_row(refused)), refused))
    if errors:
        raise min(errors, key=lambda item: item[0])[1]


def _statistic_names(config: StudyConfig) -> set[str]:
    from eventstudy.inference import statistic_names

    return set(statistic_names(config.statistics))


def _concat_thin(panels: Sequence[EventPanel], order: np.ndarray) -> EventPanel:
    from eventstudy.inference.partial import concat_panels

    return concat_panels(panels, order)


def _concat_rows(rows: Sequence[EstimationRows], order: np.ndarray) -> EstimationRows:
    from eventstudy.inference.partial import EstimationRows

    return EstimationRows.concat(rows, order)


def _merge(total: dict[Any, Any], part: Mapping[Any, Any]) -> dict[Any, Any]:
    for key, value in part.items():
        total[key] = value if key not in total else total[key].merge(value)
    return total


def _merge_sums(parts: Sequence[Mapping[Key, WindowSums]]) -> dict[Key, WindowSums]:
    total: dict[Key, WindowSums] = {}
    for part in parts:
        total = _merge(total, part)
    return total


def _concat_tables(
    frames: Sequence[pd.DataFrame | None], positions: Sequence[np.ndarray], per_pair: int
) -> pd.DataFrame:
    """Partition tables with ``per_pair`` rows per pair, back in the events' pair order."""
    frame = pd.concat(frames, ignore_index=True)
    pair = np.concatenate([np.repeat(p, per_pair) for p in positions])
    return frame.take(np.argsort(pair, kind="stable")).reset_index(drop=True)


def _rbar_sums(
    watch: Watch,
    results: Sequence[Future],
    summaries: Sequence[PartitionSummary],
    config: StudyConfig,
    windows: Sequence[Window],
    rows_per_block: int,
    run: DistributedRun,
    study: str,
) -> tuple[dict[Key, tuple[float, int]], int]:
    """Kolari-Pynnönen pair sums over calendar blocks (see
    :func:`eventstudy.inference.partial.bucket_pair_sums`), added in block order."""
    span_days = config.event_span[1] - config.event_span[0] + 1
    starts = np.concatenate([s.starts for s in summaries if s.starts is not None])
    event_tau = np.arange(config.event_span[0], config.event_span[1] + 1)
    width = block_width(span_days, starts, rows_per_block)
    blocks_of = {}
    for result, summary in zip(results, summaries, strict=True):
        assert summary.starts is not None
        touched = np.unique(
            np.concatenate([block_of(summary.starts, width), block_of(summary.starts + span_days - 1, width)])
        )
        blocks_of[summary.index] = (result, touched.tolist())
    all_blocks = sorted({b for _, touched in blocks_of.values() for b in touched})
    futures = []
    for block in all_blocks:
        pieces = [
            watch.client.submit(block_task, result, block, width, span_days, windows, study, pure=False)
            for result, touched in blocks_of.values()
            if block in touched
        ]
        futures.append(
            watch.client.submit(bucket_task, pieces, event_tau, windows, pure=False)
        )
    total: dict[Key, tuple[float, int]] = {}
    for future in futures:  # in block order
        part, cost = watch.result(future)
        run.add(cost)
        for key, (value, n) in part.items():
            before = total.get(key, (0.0, 0))
            total[key] = (before[0] + value, before[1] + n)
    return total, len(all_blocks)


__all__ = ["ENGINE", "Block", "DistributedRun", "compute_distributed", "run_distributed"]
