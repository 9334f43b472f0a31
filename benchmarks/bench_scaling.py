"""Scaling: time and peak memory of the W1 pipeline from 10,000 to 200,000 (event, ticker) rows.

Each size runs in a fresh process of this script (``--size N``): it builds the synthetic data
(not timed), then runs W1's work once -- :func:`eventstudy.estimate.estimate`,
:func:`eventstudy.aggregate.event_panel` and :func:`eventstudy.inference.run_battery_windows`
for the four windows (every statistic, ``--draws`` bootstrap draws) -- and reports its wall and
CPU time and the growth of the process's resident-set high-water mark (``VmHWM``, reset through
``/proc/self/clear_refs`` after the data are built) over its resident set at that point: the
peak memory of the study beyond the panel, the events and the share counts.

The workload grows like a longer sample of the same study: W1's 500 event tickers with W1's
density of events (10,000 rows per 2,520 trading days, about 4 a day), so N rows span
2,520 x N / 10,000 days. Every statistic then has the same work per row at every size (the
Kolari-Pynnönen r̄ pairs the rows whose windows overlap in calendar time: their number grows
with the square of the events per day, so a fixed calendar would measure that density, not the
number of rows). The panel also holds ``--idle`` tickers without events (500 by default), so a
step that touched every ticker of the panel would show.

Rounds are interleaved: each round runs every size once, in an order that rotates. The script
prints min and median per size and the exponents b of time = a·rows^b and memory = a·rows^b
fitted by least squares on the log of the minima over all sizes, and between each pair of
neighbouring sizes; and the memory per row (slope of the minima against the rows).

Usage::

    .venv/bin/python benchmarks/bench_scaling.py                       # 10k 50k 100k 200k, 5 rounds
    .venv/bin/python benchmarks/bench_scaling.py --sizes 10000 50000 --rounds 3

Output: a markdown table on stdout. Needs about 4 GB of memory at 200,000 rows.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH: another tree of the package can be measured
sys.path.insert(0, str(ROOT / "benchmarks"))

import synthetic  # noqa: E402

BASE_ROWS = 10_000
BASE_DAYS = 2_520
EVENT_TICKERS = 500
TARGET_EXPONENT = 1.05
TARGET_KB_PER_ROW = 10.0


def _kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return int(re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.M).group(1))  # type: ignore[union-attr]


def worker(rows: int, idle: int, draws: int) -> dict[str, float]:
    """Build the data for ``rows`` rows, then time W1's work once (see the module docstring)."""
    from eventstudy.aggregate import event_panel
    from eventstudy.config import StudyConfig
    from eventstudy.estimate import estimate
    from eventstudy.inference import run_battery_windows
    from eventstudy.models import MarketModel

    days = BASE_DAYS * rows // BASE_ROWS
    panel = synthetic.make_panel(EVENT_TICKERS + idle, days, seed=1)
    events = synthetic.make_events(rows, EVENT_TICKERS, days, seed=2)
    shares = synthetic.make_shares(synthetic.tickers(EVENT_TICKERS + idle), days, seed=3)
    config = StudyConfig(
        market=synthetic.MARKET,
        estimation_window=synthetic.ESTIMATION,
        event_windows=synthetic.WINDOWS,
        min_estimation_obs=100,
    )
    model = MarketModel(synthetic.MARKET)
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # VmHWM := VmRSS (Linux >= 4.0)
    before = _kb("VmRSS")
    wall, cpu = time.perf_counter(), time.process_time()
    results = estimate(events, panel, model, config, shares=shares)
    battery = run_battery_windows(event_panel(results), synthetic.WINDOWS, bootstrap_draws=draws, seed=0)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(battery) == len(synthetic.WINDOWS)
    return {"wall": wall, "cpu": cpu, "peak_mb": (_kb("VmHWM") - before) / 1024.0}


def _fit(x: np.ndarray, y: np.ndarray) -> float:
    """Exponent b of the least-squares fit log y = log a + b log x."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000, 200_000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--idle", type=int, default=500, help="tickers without events in the panel")
    parser.add_argument("--draws", type=int, default=999)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)  # worker: one size
    args = parser.parse_args(argv)
    if args.size:
        print(json.dumps(worker(args.size, args.idle, args.draws)))
        return 0

    sizes = sorted(args.sizes)
    runs: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
    for k in range(args.rounds):
        for n in sizes[k % len(sizes) :] + sizes[: k % len(sizes)]:  # rotate the order
            out = subprocess.run(
                [sys.executable, __file__, f"--size={n}", f"--idle={args.idle}", f"--draws={args.draws}"],
                check=True,
                capture_output=True,
                text=True,
            )
            runs[n].append(json.loads(out.stdout.strip().splitlines()[-1]))

    def column(name: str, pick=min) -> np.ndarray:
        return np.array([pick(r[name] for r in runs[n]) for n in sizes])

    rows = np.array(sizes, dtype=float)
    wall, cpu, peak = column("wall"), column("cpu"), column("peak_mb")
    print(
        f"## Scaling of W1's work (estimate + event_panel + battery, {len(synthetic.WINDOWS)} windows, "
        f"{args.draws} draws), {EVENT_TICKERS} event tickers + {args.idle} idle, "
        f"{BASE_ROWS:,} rows per {BASE_DAYS:,} days; {args.rounds} interleaved rounds, "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| rows | days | wall min | wall median | CPU min | peak memory min | memory per row |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for i, n in enumerate(sizes):
        median = statistics.median(r["wall"] for r in runs[n])
        print(
            f"| {n:,} | {BASE_DAYS * n // BASE_ROWS:,} | {wall[i]:.2f} s | {median:.2f} s | {cpu[i]:.2f} s | "
            f"{peak[i]:.0f} MB | {peak[i] * 1024 / n:.1f} KB |"
        )

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    print("\n| exponent b (y = a·rows^b) | wall | CPU | peak memory | target |")
    print("|---|---:|---:|---:|---|")
    if len(sizes) > 1:
        fitted = (_fit(rows, wall), _fit(rows, cpu), _fit(rows, peak))
        met = f"CPU {verdict(fitted[1] <= TARGET_EXPONENT)}, memory {verdict(fitted[2] <= TARGET_EXPONENT)}"
        label = ", ".join(f"{n:,}" for n in sizes)
        print(
            f"| least squares over {label} | {fitted[0]:.2f} | {fitted[1]:.2f} | {fitted[2]:.2f} | "
            f"<= {TARGET_EXPONENT}: {met} |"
        )
        for i in range(len(sizes) - 1):
            pair = slice(i, i + 2)
            print(
                f"| {sizes[i]:,} -> {sizes[i + 1]:,} | {_fit(rows[pair], wall[pair]):.2f} | "
                f"{_fit(rows[pair], cpu[pair]):.2f} | {_fit(rows[pair], peak[pair]):.2f} | |"
            )
        slope = float(np.polyfit(rows, peak, 1)[0]) * 1024
        print(
            f"\nmemory per row (slope of the peak against the rows): {slope:.1f} KB; target <= "
            f"{TARGET_KB_PER_ROW:.0f} KB: {verdict(slope <= TARGET_KB_PER_ROW)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
