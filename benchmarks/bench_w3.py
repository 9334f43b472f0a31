"""Workload W3: 10,000,000 (event, ticker) pairs from a per-ticker parquet cache on a Dask LocalCluster.

Setup (not timed): a synthetic cache in :class:`~eventstudy.data.store.PriceStore` layout
(``prices/<SYMBOL>.parquet``, one file per symbol, ``shares/<TICKER>.parquet``) of 50,000
tickers x 5,000 days, and 10M events (200 a ticker, W2's density: staggered, their windows
overlap), in a temporary folder or ``--data DIR`` (reused when it holds data of the same size).
Data as in :mod:`synthetic` (market model, 0.1% missing returns). ``--scale`` takes that
fraction of the tickers and of the pairs (the days stay 5,000).

Timed, in a fresh process: :func:`eventstudy.distributed.compute_distributed` on a
``distributed.LocalCluster`` of ``--workers`` single-threaded worker processes, each with
``--memory-limit`` (Dask spills to disk above 60% of it and pauses at 80%): the market model,
estimation window [-260, -11], event windows [0,0], [-1,+1], [-5,+5], [-10,+10], groups g0-g3,
the whole battery (999 bootstrap draws) and the CAAR bands. The per-pair ``ar`` and ``car``
tables are built on the workers but not gathered (only the stats and CAAR come back), which is
how a study of this size runs; ``--gather`` brings them to the driver as ``eventstudy run
--scheduler`` does (its driver memory per events row is ``DRIVER_MEMORY_PER_ROW``). Reported:
wall time per phase on the driver, time summed over the workers' tasks by stage (reading the
cache = I/O, estimation, per-partition sums, GRANK and r̄ passes), the driver's statistics, peak
memory (``ru_maxrss``) of every worker process and of the driver. ``--compare`` also runs the
study in memory (:func:`eventstudy.study.run_study`, one process), alternating the two sides
round by round, and prints the ratio of their times (at a scale where one process holds it).

Kolari-Pynnönen's r̄ costs O(P·L1) for P pairs of rows whose windows overlap in calendar time;
at W3's density (about 2,000 events a day at full scale) P grows with the square of the pairs,
about 2·10^11 at full scale: ``--no-kp`` leaves the three KP rows out (the default above
``--scale 0.02``; ``--kp`` forces them).

Usage::

    .venv/bin/python benchmarks/bench_w3.py --scale 0.01            # 100,000 pairs, 500 tickers
    .venv/bin/python benchmarks/bench_w3.py --scale 0.002 --rounds 2 --compare  # vs run_study
    .venv/bin/python benchmarks/bench_w3.py                         # the full W3 (hours; see README)
    .venv/bin/python benchmarks/bench_w3.py --data /tmp/w3          # keep the generated data

Output: a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from eventstudy.config import StudyConfig

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import synthetic  # noqa: E402

WINDOWS = synthetic.WINDOWS
ESTIMATION = synthetic.ESTIMATION
FULL = {"tickers": 50_000, "days": 5_000, "pairs": 10_000_000}
KP = ("kp_adjusted_patell_z", "kp_adjusted_bmp_t", "kp_average_correlation")


def prepare(data: Path, n_tickers: int, n_days: int, n_pairs: int) -> dict[str, float]:
    """Write the cache (prices and shares) and the events, unless ``data`` already has them."""
    stamp = data / "w3.json"
    wanted = {"tickers": n_tickers, "days": n_days, "pairs": n_pairs}
    if stamp.is_file() and json.loads(stamp.read_text())["size"] == wanted:
        return json.loads(stamp.read_text())["setup_seconds"]
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    t0 = time.perf_counter()
    synthetic.write_price_cache(data / "cache", n_tickers, n_days, seed=1, workers=2)
    names = synthetic.tickers(n_tickers)
    synthetic.write_shares_cache(data / "cache", synthetic.make_shares(names, n_days, seed=3))
    t1 = time.perf_counter()
    events = synthetic.make_events(n_pairs, n_tickers, n_days, before=-ESTIMATION[0], after=10, seed=2)
    events.to_parquet(data / "events.parquet", index=False)
    setup = {"cache": t1 - t0, "events": time.perf_counter() - t1}
    stamp.write_text(json.dumps({"size": wanted, "setup_seconds": setup}))
    return setup


def study_config(kp: bool) -> StudyConfig:
    """W3's configuration: the default battery (no GARCH variance model), without the KP rows
    unless ``kp``."""
    from eventstudy.config import StudyConfig
    from eventstudy.inference import STATISTICS

    return StudyConfig(
        market=synthetic.MARKET,
        estimation_window=ESTIMATION,
        event_windows=WINDOWS,
        min_estimation_obs=100,
        peers=(),
        statistics=tuple(
            name for name, statistic in STATISTICS.items()
            if statistic.requires is None and (kp or name not in KP)
        ),
    )


def timed_in_memory(args: argparse.Namespace) -> dict[str, object]:
    """The same study with :func:`eventstudy.study.run_study` (in a fresh process)."""
    import resource

    from eventstudy.study import run_study

    data = Path(args.data)
    events = pd.read_parquet(data / "events.parquet")
    started = time.perf_counter()
    run_study(events, data / "cache", study_config(args.kp))
    wall = time.perf_counter() - started
    return {"wall": wall, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}


def timed(args: argparse.Namespace) -> dict[str, object]:
    """One timed run on the LocalCluster (in a fresh process)."""
    import distributed

    from eventstudy.distributed import compute_distributed

    data = Path(args.data)
    events = pd.read_parquet(data / "events.parquet")
    config = study_config(args.kp)
    with (
        distributed.LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=args.memory_limit,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        started = time.perf_counter()
        run = compute_distributed(
            events,
            data / "cache",
            config,
            scheduler=client,
            rows_per_partition=args.rows_per_partition,
            gather_tables=args.gather,
        )
        wall = time.perf_counter() - started
    return {
        "wall": wall,
        "seconds": run.seconds,
        "worker_seconds": run.worker_seconds,
        "worker_peak_mb": run.worker_peak_mb,
        "driver_peak_mb": run.driver_peak_mb,
        "driver_peak_by_phase": run.driver_peak_by_phase,
        "n_partitions": run.n_partitions,
        "n_blocks": run.n_blocks,
        "rows_per_partition": run.rows_per_partition,
        "stats_rows": len(run.stats),
        "kp": args.kp,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the tickers and pairs")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--memory-limit", default="4GiB", help="memory limit per worker (default 4GiB)")
    parser.add_argument(
        "--rows-per-partition", type=int, default=None, help="default: about 4 partitions per worker"
    )
    parser.add_argument("--rounds", type=int, default=1, help="timed runs (min and median printed)")
    parser.add_argument(
        "--kp",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="compute the three KP r-bar rows (default: up to --scale 0.02)",
    )
    parser.add_argument(
        "--gather", action="store_true", help="gather the ar and car tables to the driver (StudyResults)"
    )
    parser.add_argument("--data", help="folder for the generated data (default: a temporary folder)")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also run the study in memory (run_study), alternating with the Dask run each round",
    )
    parser.add_argument("--timed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--timed-in-memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.kp is None:
        args.kp = args.scale <= 0.02
    if args.timed or args.timed_in_memory:
        print(json.dumps(timed(args) if args.timed else timed_in_memory(args)))
        return 0

    n_tickers = max(1, round(FULL["tickers"] * args.scale))
    n_pairs = max(1, round(FULL["pairs"] * args.scale))
    n_days = FULL["days"]
    temporary = None if args.data else tempfile.mkdtemp(prefix="eventstudy-w3-")
    data = Path(args.data or temporary)
    try:
        setup = prepare(data, n_tickers, n_days, n_pairs)
        command = [
            sys.executable,
            __file__,
            "--timed",
            f"--data={data}",
            f"--workers={args.workers}",
            f"--memory-limit={args.memory_limit}",
            *([f"--rows-per-partition={args.rows_per_partition}"] if args.rows_per_partition else []),
            "--kp" if args.kp else "--no-kp",
            *(["--gather"] if args.gather else []),
        ]
        in_memory = [*command[:2], "--timed-in-memory", *command[3:]]
        runs, memory_runs = [], []
        for round_ in range(args.rounds):  # the two sides alternate, each in a fresh process
            sides = [(command, runs), (in_memory, memory_runs)] if args.compare else [(command, runs)]
            for side, out in sides if round_ % 2 == 0 else sides[::-1]:
                done = subprocess.run(side, check=True, capture_output=True, text=True)
                out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
    report(runs, setup, n_tickers, n_days, n_pairs, args)
    if memory_runs:
        dask, memory = sorted(r["wall"] for r in runs), sorted(r["wall"] for r in memory_runs)
        print(
            f"\nin memory (run_study, one process): min {memory[0]:.1f} s, median "
            f"{statistics.median(memory):.1f} s, peak RSS {max(r['peak_mb'] for r in memory_runs):,.0f} MB; "
            f"Dask / in memory: {dask[0] / memory[0]:.2f} (min), "
            f"{statistics.median(dask) / statistics.median(memory):.2f} (median)"
        )
    return 0


def report(
    runs: list[dict],
    setup: dict[str, float],
    n_tickers: int,
    n_days: int,
    n_pairs: int,
    args: argparse.Namespace,
) -> None:
    """The markdown table: min and median over the rounds; the median run's split."""
    walls = sorted(run["wall"] for run in runs)
    middle = sorted(runs, key=lambda run: run["wall"])[len(runs) // 2]
    full = n_pairs == FULL["pairs"] and n_tickers == FULL["tickers"]
    print(
        f"## W3{'' if full else f' (scale {args.scale:g})'}: {n_pairs:,} pairs, {n_tickers:,} tickers x "
        f"{n_days:,} days from a per-ticker parquet cache; LocalCluster of {args.workers} worker processes "
        f"x 1 thread, memory limit {args.memory_limit} each; {middle['n_partitions']} partitions of <= "
        f"{middle['rows_per_partition']:,} pairs; "
        f"{'every statistic' if middle['kp'] else 'every statistic but the three KP rows'}"
        f"{'; ar and car gathered to the driver' if args.gather else ''}\n"
    )
    print("| measure | value |")
    print("|---|---:|")
    print(f"| setup (not timed): write {n_tickers + 1:,} price and {n_tickers:,} share files | "
          f"{setup['cache']:.0f} s |")  # fmt: skip
    rounds = f"min {walls[0]:.1f} s, median {statistics.median(walls):.1f} s over {len(walls)} round(s)"
    print(f"| **wall time** | **{rounds}** |")
    seconds = middle["seconds"]
    for phase, what in (
        ("partitions", "partitions: read + estimate + per-partition sums (workers)"),
        ("grank", "GRANK pass (workers)"),
        ("rbar", f"KP r-bar over {middle['n_blocks']} calendar blocks (workers)"),
        ("statistics", "merge + battery + CAAR bands (driver)"),
    ):
        print(f"| {what}, wall | {seconds.get(phase, 0.0):.1f} s |")
    work = middle["worker_seconds"]
    split = {
        "I/O (read + check + screen the cache files)": work.get("read", 0.0),
        "estimation (day 0, fit, AR/CAR tables)": work.get("estimate", 0.0),
        "statistics on the workers (sums, GRANK, r-bar)": work.get("sums", 0.0)
        + work.get("grank", 0.0)
        + work.get("rbar", 0.0),
        "statistics on the driver (merge, battery, CAAR)": seconds.get("statistics", 0.0),
    }
    total = sum(split.values()) or 1.0
    for what, value in split.items():
        print(f"| {what}, CPU-side seconds | {value:.1f} s ({100 * value / total:.0f}%) |")
    for worker, peak in sorted(middle["worker_peak_mb"].items()):
        print(f"| peak RSS, worker {worker} | {peak:,.0f} MB |")
    phases = ", ".join(f"{k} {v:,.0f}" for k, v in middle["driver_peak_by_phase"].items())
    print(f"| peak RSS, driver (client, merge, battery) | {middle['driver_peak_mb']:,.0f} MB |")
    print(f"| driver peak RSS by the end of each phase | {phases} MB |")
    print(f"\nthroughput: {n_pairs / walls[0]:,.0f} pairs/s wall (best round)")


if __name__ == "__main__":
    raise SystemExit(main())
