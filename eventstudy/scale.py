"""Studies larger than one in-memory panel: (event, ticker) pairs streamed through :func:`estimate`.

Design
------
Every pair's results depend only on its own ticker's returns, the model's series (the market
proxy, factors) and the trading calendar, plus, for the ``overlap`` notes and
``exclude_overlapping_windows``, the other events *of the same ticker*. So the pairs are
partitioned **by ticker**: a chunk is a set of whole tickers holding at most ``chunk_size``
pairs (a ticker with more pairs than that is a chunk of its own), and each chunk is one call of
the very function an in-memory study uses, :func:`eventstudy.estimate.estimate`, on a panel of
just the chunk's tickers and the model's symbols. The chunked results are therefore the
in-memory results, value for value (``tests/test_scale.py`` checks it), and no step needs more
than one chunk in memory.

A :class:`ReturnsSource` builds each chunk's panel: :class:`CacheSource` reads only the chunk's
per-ticker files of a :class:`~eventstudy.data.store.PriceStore` cache (plain parquet, one file per
symbol, so any process or machine that can read the folder can run a chunk);
:class:`PanelSource` slices a panel already in memory.

Each chunk writes ``ar/part-NNNNN.parquet`` and ``car/part-NNNNN.parquet`` (the ``ar`` and
``car`` tables of its pairs plus ``pair_index``, the pair's row in the events frame) into a
temporary folder beside ``out_dir``; when every chunk is done the folder is renamed to
``out_dir`` (all or nothing, as for ``eventstudy run``). :func:`read_chunked` reassembles a
table in events order. Chunks run in ``workers`` processes (forked, so the events, share
counts and an in-memory panel are shared, not copied). :func:`run_chunk` is one chunk with
explicit arguments, the task to hand to a distributed engine (Dask, Spark, Ray): it needs only
the events frame, read access to the cache and a folder to write its two parts to.

Cost: the work per pair is that of :func:`estimate`, O(L1·k² + L2·k²) with L1, L2 the
estimation and event window lengths, so a study of P pairs costs O(P·(L1 + L2)·k²) time; memory
is O(chunk_size·(L1 + L2)·k) per worker, independent of P.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from eventstudy.config import StudyConfig
from eventstudy.data.store import PriceStore
from eventstudy.estimate import estimate
from eventstudy.models import ExpectedReturnModel
from eventstudy.output.schema import SCHEMA_KEY, SCHEMAS, ColumnDoc, schema_json
from eventstudy.timeline.returns import ReturnsPanel, build_panel

PAIR_COLUMN = "pair_index"
"""Column added to the chunk outputs: the pair's row position in the events frame."""


class ReturnsSource(Protocol):
    """Where the returns of a chunk's tickers come from."""

    def panel(self, symbols: Sequence[str]) -> ReturnsPanel:
        """A returns panel of ``symbols`` (which include the model's symbols) on the calendar."""
        ...  # pragma: no cover - protocol


@dataclass(frozen=True)
class PanelSource:
    """Chunks sliced from a panel already in memory (same calendar, selected columns)."""

    source: ReturnsPanel

    def panel(self, symbols: Sequence[str]) -> ReturnsPanel:
        wanted = pd.Index(list(symbols), dtype=object)
        columns = pd.Index(self.source.symbols, dtype=object).get_indexer(wanted)
        if (columns < 0).any():
            missing = [s for s, c in zip(symbols, columns, strict=True) if c < 0]
            raise KeyError(f"symbols not in the panel: {', '.join(missing[:5])}")
        return ReturnsPanel(
            self.source.calendar,
            tuple(symbols),
            self.source.returns[:, columns],
            self.source.close[:, columns],
        )


@dataclass(frozen=True)
class CacheSource:
    """Chunks read from a :class:`~eventstudy.data.store.PriceStore` cache: only the chunk's files.

    Each file is read with :meth:`PriceStore.read_prices` (page checksums, schema, provenance,
    file name and, where recorded, the content hash) and, with ``screen=True`` (default), put
    through the same price policy as ``eventstudy run`` (:func:`eventstudy.data.screening.screen_prices`),
    so a chunk's panel is exactly the one :func:`eventstudy.study.run_study` would build for its
    tickers. The market's file is read once per process.
    """

    root: Path
    market: str
    screen: bool = True
    _market_frame: dict[str, pd.DataFrame] = field(default_factory=dict, compare=False, repr=False)

    def panel(self, symbols: Sequence[str]) -> ReturnsPanel:
        store = PriceStore(self.root)
        if self.market not in self._market_frame:
            self._market_frame[self.market] = store.read_prices(self.market)
        prices = {self.market: self._market_frame[self.market]}
        for symbol in symbols:
            if symbol not in prices:
                prices[symbol] = store.read_prices(symbol)
        if self.screen:
            from eventstudy.data.screening import screen_prices

            prices, _ = screen_prices(prices, self.market, {s: store.price_path(s) for s in prices})
        ordered = {s: prices[s] for s in symbols}
        return build_panel(ordered, self.market)


@dataclass(frozen=True)
class ChunkReport:
    """What one chunk did.

    Attributes
    ----------
    index
        Chunk number (parts are ``part-{index:05d}.parquet``).
    n_pairs, n_tickers
        Pairs and tickers in the chunk.
    seconds_read, seconds_compute, seconds_write
        Wall time building the panel, in :func:`estimate`, writing the parts.
    peak_rss_mb
        Peak resident memory of the process that ran it so far (``ru_maxrss``).
    pid
        That process.
    """

    index: int
    n_pairs: int
    n_tickers: int
    seconds_read: float
    seconds_compute: float
    seconds_write: float
    peak_rss_mb: float
    pid: int


@dataclass(frozen=True)
class ChunkedRun:
    """A finished chunked study.

    Attributes
    ----------
    out_dir
        The folder with ``ar/`` and ``car/`` parts and ``chunks.json``.
    n_pairs
        Pairs in the events frame.
    chunks
        One report per chunk, in chunk order.
    seconds
        Wall time of :func:`run_chunked`.
    """

    out_dir: Path
    n_pairs: int
    chunks: tuple[ChunkReport, ...]
    seconds: float

    def peak_rss_mb(self) -> float:
        """Sum over processes of each one's peak RSS: an upper bound of the run's peak memory."""
        per_process: dict[int, float] = {}
        for chunk in self.chunks:
            per_process[chunk.pid] = max(per_process.get(chunk.pid, 0.0), chunk.peak_rss_mb)
        return float(sum(per_process.values()))


def plan_chunks(tickers: np.ndarray | list[str], chunk_size: int) -> list[np.ndarray]:
    """Pair positions of each chunk: whole tickers, in sorted ticker order, <= ``chunk_size`` pairs.

    A ticker with more than ``chunk_size`` pairs forms a chunk of its own. Within a chunk the
    pairs keep their order in ``tickers``. Cost O(P log P).
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    codes, names = pd.factorize(pd.Index(tickers, dtype=object), sort=True)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(names))
    ends = np.cumsum(counts)
    chunks: list[np.ndarray] = []
    start = 0  # position in ``order`` where the current chunk starts
    size = 0
    for count, end in zip(counts.tolist(), ends.tolist(), strict=True):
        if size and size + count > chunk_size:
            chunks.append(order[start : end - count])
            start, size = end - count, 0
        size += count
    if size:
        chunks.append(order[start:])
    return [np.sort(chunk) for chunk in chunks]


# Set in the parent before the worker processes fork, so that they share it without pickling.
_JOB: dict[str, object] = {}


def run_chunked(
    events: pd.DataFrame,
    source: ReturnsSource,
    model: ExpectedReturnModel,
    config: StudyConfig,
    out_dir: str | Path,
    *,
    shares: Mapping[str, pd.DataFrame] | None = None,
    chunk_size: int = 10_000,
    workers: int = 1,
    write_ar: bool = True,
) -> ChunkedRun:
    """Run :func:`eventstudy.estimate.estimate` over ``events`` chunk by chunk; write parquet parts.

    Parameters
    ----------
    events
        Validated events (any number of rows).
    source
        Returns of a chunk's tickers (:class:`CacheSource`, :class:`PanelSource`).
    model, config
        As for :func:`estimate`.
    out_dir
        Output folder; must not exist or be empty. Written all or nothing.
    shares
        Share counts by ticker (each chunk gets its tickers'), or None.
    chunk_size
        Most pairs per chunk (whole tickers; a bigger ticker is a chunk of its own).
    workers
        Processes running chunks at the same time (1: in this process).
    write_ar
        Also write the per-day ``ar`` table (21 rows per pair for a [-10, +10] span).

    Returns
    -------
    ChunkedRun
        Per-chunk timings and memory; read the tables back with :func:`read_chunked`.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    chunks = plan_chunks(events["ticker"].to_numpy(object), chunk_size)
    _JOB.update(
        events=events,
        source=source,
        model=model,
        config=config,
        shares=shares or {},
        chunks=chunks,
        staging=staging,
        write_ar=write_ar,
    )
    try:
        for table in ("car", "ar") if write_ar else ("car",):
            (staging / table).mkdir()
        if workers > 1 and len(chunks) > 1:
            with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
                reports = list(pool.map(_run_chunk, range(len(chunks))))
        else:
            reports = [_run_chunk(i) for i in range(len(chunks))]
        summary = {
            "n_pairs": len(events),
            "chunk_size": chunk_size,
            "chunks": [{"index": r.index, "n_pairs": r.n_pairs, "n_tickers": r.n_tickers} for r in reports],
            "tables": ["car", "ar"] if write_ar else ["car"],
            "pair_column": PAIR_COLUMN,
        }
        (staging / "chunks.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        _JOB.clear()
    return ChunkedRun(out_dir, len(events), tuple(reports), time.perf_counter() - started)


def _run_chunk(index: int) -> ChunkReport:
    """Chunk ``index`` of the job in ``_JOB`` (set by :func:`run_chunked`)."""
    return run_chunk(
        _JOB["events"],  # type: ignore[arg-type]
        _JOB["chunks"][index],  # type: ignore[index]
        _JOB["source"],  # type: ignore[arg-type]
        _JOB["model"],  # type: ignore[arg-type]
        _JOB["config"],  # type: ignore[arg-type]
        _JOB["staging"],  # type: ignore[arg-type]
        index,
        shares=_JOB["shares"],  # type: ignore[arg-type]
        write_ar=bool(_JOB["write_ar"]),
    )


def run_chunk(
    events: pd.DataFrame,
    rows: np.ndarray,
    source: ReturnsSource,
    model: ExpectedReturnModel,
    config: StudyConfig,
    out_dir: Path,
    index: int,
    *,
    shares: Mapping[str, pd.DataFrame] | None = None,
    write_ar: bool = True,
) -> ChunkReport:
    """One chunk, self-contained: the unit of work to hand to a distributed engine.

    Builds the panel of the chunk's tickers from ``source``, runs :func:`estimate` on
    ``events.iloc[rows]`` (whole tickers, see :func:`plan_chunks`) and writes
    ``out_dir/car/part-{index:05d}.parquet`` (and ``ar/``) atomically, with ``pair_index`` =
    ``rows``. Depends on nothing but its arguments, so any process or machine that can read the
    cache can run it; :func:`read_chunked` reads the parts of all chunks back.
    """
    shares = shares or {}
    part = events.iloc[rows].reset_index(drop=True)
    tickers = list(dict.fromkeys(part["ticker"]))
    t0 = time.perf_counter()
    panel = source.panel(list(dict.fromkeys([config.market, *model.symbols, *tickers])))
    t1 = time.perf_counter()
    results = estimate(part, panel, model, config, shares={t: shares[t] for t in tickers if t in shares})
    t2 = time.perf_counter()
    name = f"part-{index:05d}.parquet"
    for table, frame, repeat, wanted in (
        ("car", results.car, len(config.event_windows), True),
        ("ar", results.ar, len(results.event_taus), write_ar),
    ):
        if wanted:
            (out_dir / table).mkdir(parents=True, exist_ok=True)
            _write_part(frame, np.repeat(rows, repeat), out_dir / table / name, f"{table}.parquet")
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return ChunkReport(index, len(rows), len(tickers), t1 - t0, t2 - t1, t3 - t2, peak, os.getpid())


_FEW_VALUES = ("ticker", "role", "group", "window", "outcome", "model", "tau_start", "tau_end")
_PAIR_DOC = ColumnDoc("row", "position of the (event, ticker) pair in the events frame of the run")


def _write_part(frame: pd.DataFrame, pair_index: np.ndarray, path: Path, name: str) -> None:
    """``frame`` plus ``pair_index``, with the documented schema of ``name`` (``ar.parquet``...)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.append_column(PAIR_COLUMN, pa.array(pair_index.astype(np.int64)))
    docs = {**SCHEMAS[name], PAIR_COLUMN: _PAIR_DOC}
    metadata = {**(table.schema.metadata or {}), SCHEMA_KEY.encode(): schema_json(table, docs).encode()}
    table = table.replace_schema_metadata(metadata)
    temporary = path.with_name(f".{path.name}.tmp")
    # Dictionary-encode only the few-valued text columns: building dictionaries of the
    # per-pair texts (event ids, notes) costs twice the write time and saves little space.
    encoded = [c for c in _FEW_VALUES if c in table.column_names]
    pq.write_table(table, temporary, use_dictionary=encoded)
    os.replace(temporary, path)


def read_chunked(out_dir: str | Path, table: str = "car") -> pd.DataFrame:
    """The ``car`` (or ``ar``) table of a chunked run, in the order :func:`estimate` gives it.

    Rows are sorted by the events row of their pair (stable, so a pair's windows or days keep
    their order) and ``pair_index`` is dropped: for the same events, model and configuration
    the frame equals ``estimate(...).car`` (``.ar``).
    """
    folder = Path(out_dir) / table
    parts = sorted(folder.glob("part-*.parquet"))
    if not parts:
        raise FileNotFoundError(f"no parts in {folder}")
    frame = pa.concat_tables([pq.read_table(p) for p in parts]).to_pandas()
    order = np.argsort(frame[PAIR_COLUMN].to_numpy(), kind="stable")
    return frame.take(order).drop(columns=PAIR_COLUMN).reset_index(drop=True)
