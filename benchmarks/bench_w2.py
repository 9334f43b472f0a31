"""Workload W2: 1,000,000 (event, ticker) pairs over a 5,000-ticker x 5,000-day panel, from disk.

Setup (not timed): a synthetic cache in :class:`~eventstudy.data.store.PriceStore` layout, one parquet
file per symbol (``prices/<SYMBOL>.parquet``, the layout ``eventstudy cache import`` writes), the
events as ``events.parquet`` and the share counts as ``shares.parquet`` (two figures per ticker),
in a temporary folder (or ``--data DIR``, reused when it already holds a cache of the same
size). Data as in :mod:`synthetic` (market model, 0.1% missing returns).

Timed, in a fresh subprocess: read the events and share counts, then
:func:`eventstudy.scale.run_chunked` with :class:`~eventstudy.scale.CacheSource`: pairs are
grouped by ticker into chunks of at most ``--chunk-size`` pairs; each chunk reads only its
tickers' price files (every check of :meth:`PriceStore.read_prices` and the price policy of
``eventstudy run``), runs :func:`eventstudy.study.estimate` (market model, estimation window
[-260, -11], event windows [0,0], [-1,+1], [-5,+5], [-10,+10]) and writes its ``car`` and
``ar`` parts to parquet; ``--workers`` processes run chunks side by side. Wall time is
``time.perf_counter`` around all of it; memory is each process's ``ru_maxrss`` (the main
process and every worker), summed: an upper bound of the simultaneous peak (forked workers
share the parent's pages, which the sum counts twice).

Usage::

    .venv/bin/python benchmarks/bench_w2.py                 # the full W2 (about a minute, plus setup)
    .venv/bin/python benchmarks/bench_w2.py --scale 0.1     # 10% of the tickers and of the pairs
    .venv/bin/python benchmarks/bench_w2.py --data /tmp/w2  # keep the generated cache for reruns

Output: a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import synthetic  # noqa: E402

WINDOWS = synthetic.WINDOWS
ESTIMATION = synthetic.ESTIMATION
TARGET_SECONDS = 60.0
TARGET_MEMORY_MB = 8 * 1024.0


def prepare(data: Path, n_tickers: int, n_days: int, n_pairs: int) -> dict[str, float]:
    """Write the cache, events and shares (skipped when ``data`` already has them)."""
    stamp = data / "w2.json"
    wanted = {"tickers": n_tickers, "days": n_days, "pairs": n_pairs}
    if stamp.is_file() and json.loads(stamp.read_text())["size"] == wanted:
        return json.loads(stamp.read_text())["setup_seconds"]
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    t0 = time.perf_counter()
    synthetic.write_price_cache(data / "cache", n_tickers, n_days, seed=1, workers=2)
    t1 = time.perf_counter()
    events = synthetic.make_events(n_pairs, n_tickers, n_days, before=-ESTIMATION[0], after=10, seed=2)
    events.to_parquet(data / "events.parquet", index=False)
    shares = synthetic.make_shares(synthetic.tickers(n_tickers), n_days, seed=3)
    pd.concat(shares.values(), ignore_index=True).to_parquet(data / "shares.parquet", index=False)
    t2 = time.perf_counter()
    setup = {"cache": t1 - t0, "events_and_shares": t2 - t1}
    stamp.write_text(json.dumps({"size": wanted, "setup_seconds": setup}))
    return setup


def worker(args: argparse.Namespace) -> dict[str, object]:
    """The timed run (in a fresh process)."""
    import resource

    from eventstudy.config import StudyConfig
    from eventstudy.models import MarketModel
    from eventstudy.scale import CacheSource, run_chunked

    data = Path(args.data)
    out = data / "out"
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    events = pd.read_parquet(data / "events.parquet")
    shares_frame = pd.read_parquet(data / "shares.parquet")
    shares = {t: f.reset_index(drop=True) for t, f in shares_frame.groupby("ticker", sort=False)}
    t1 = time.perf_counter()
    config = StudyConfig(
        market=synthetic.MARKET, estimation_window=ESTIMATION, event_windows=WINDOWS, min_estimation_obs=100
    )
    run = run_chunked(
        events,
        CacheSource(data / "cache", synthetic.MARKET, screen=not args.no_screen),
        MarketModel(synthetic.MARKET),
        config,
        out,
        shares=shares,
        chunk_size=args.chunk_size,
        workers=args.workers,
        write_ar=not args.no_ar,
    )
    t2 = time.perf_counter()
    main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    by_process: dict[int, float] = {}
    for chunk in run.chunks:
        if chunk.pid != os.getpid():  # chunks run in worker processes
            by_process[chunk.pid] = max(by_process.get(chunk.pid, 0.0), chunk.peak_rss_mb)
    workers_peak = float(sum(by_process.values()))
    sizes = {
        table: sum(p.stat().st_size for p in (out / table).glob("*.parquet")) / 1e6
        for table in ("car", "ar")
        if (out / table).is_dir()
    }
    rows = {"car": len(events) * len(WINDOWS), "ar": len(events) * (WINDOWS[-1][1] - WINDOWS[-1][0] + 1)}
    return {
        "seconds_total": t2 - t0,
        "seconds_inputs": t1 - t0,
        "seconds_chunks": t2 - t1,
        "n_pairs": len(events),
        "n_chunks": len(run.chunks),
        "read": float(np.sum([c.seconds_read for c in run.chunks])),
        "compute": float(np.sum([c.seconds_compute for c in run.chunks])),
        "write": float(np.sum([c.seconds_write for c in run.chunks])),
        "main_peak_mb": main_peak,
        "workers_peak_mb": workers_peak,
        "worker_peaks": sorted(by_process.values()),
        "output_mb": sizes,
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of tickers and pairs (default 1)")
    parser.add_argument("--days", type=int, default=5000)
    parser.add_argument("--tickers", type=int, default=5000)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", help="folder for the generated data (default: a temporary folder)")
    parser.add_argument("--no-ar", action="store_true", help="write only the car parts")
    parser.add_argument("--no-screen", action="store_true", help="skip the price policy (read checks stay)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return 0

    n_tickers = max(1, round(args.tickers * args.scale))
    n_pairs = max(1, round(args.pairs * args.scale))
    temporary = None if args.data else tempfile.mkdtemp(prefix="eventstudy-w2-")
    data = Path(args.data or temporary)
    try:
        setup = prepare(data, n_tickers, args.days, n_pairs)
        command = [
            sys.executable,
            __file__,
            "--worker",
            f"--data={data}",
            f"--chunk-size={args.chunk_size}",
            f"--workers={args.workers}",
            *(["--no-ar"] if args.no_ar else []),
            *(["--no-screen"] if args.no_screen else []),
        ]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)

    peak = result["main_peak_mb"] + result["workers_peak_mb"]
    ok_time = result["seconds_total"] <= TARGET_SECONDS
    ok_memory = peak <= TARGET_MEMORY_MB

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    full = n_pairs == 1_000_000 and n_tickers == 5000 and args.days == 5000
    print(
        f"## W2{'' if full else ' (scaled)'}: {n_pairs:,} pairs, {n_tickers:,} tickers x {args.days:,} days "
        f"from a per-ticker parquet cache; chunks of <= {args.chunk_size:,} pairs, {args.workers} worker "
        f"process(es){'' if not args.no_screen else ', no price policy'}\n"
    )
    print("| measure | value | target |")
    print("|---|---:|---|")
    print(f"| setup (not timed): write {n_tickers + 1:,} price files | {setup['cache']:.1f} s | |")
    print(f"| read events ({n_pairs:,} rows) and share counts | {result['seconds_inputs']:.2f} s | |")
    parts = f"read prices {result['read']:.1f} s + estimate {result['compute']:.1f} s"
    parts += f" + write parts {result['write']:.1f} s, summed over processes"
    print(f"| {result['n_chunks']} chunks ({parts}) | {result['seconds_chunks']:.1f} s wall | |")
    print(
        f"| **total wall time** | **{result['seconds_total']:.1f} s** | <= {TARGET_SECONDS:.0f} s"
        f"{'' if full else ' (full size)'}: {verdict(ok_time)} |"
    )
    workers = " + ".join(f"{p:.0f}" for p in result["worker_peaks"]) or "none"
    print(
        f"| peak RSS: main {result['main_peak_mb']:.0f} MB + workers {workers} MB "
        "(sum of per-process ru_maxrss) | "
        f"{peak:.0f} MB | <= {TARGET_MEMORY_MB:.0f} MB: {verdict(ok_memory)} |"
    )
    sizes = result["output_mb"]
    print(
        f"| output: car {result['rows']['car']:,} rows ({sizes.get('car', 0):.0f} MB)"
        + (f", ar {result['rows']['ar']:,} rows ({sizes.get('ar', 0):.0f} MB)" if "ar" in sizes else "")
        + " | parquet parts | |"
    )
    print(f"\nthroughput: {n_pairs / result['seconds_total']:,.0f} pairs/s wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
