"""Workload W1: 10,000 (event, ticker) pairs on a 500-ticker x 2,520-day panel, in memory.

What is timed (``time.perf_counter``, best of ``--repeats`` runs, after the data are built):

* **fast path**: :func:`eventstudy.study.estimate` with the market model, estimation window
  [-260, -11] (250 days), event windows [0,0], [-1,+1], [-5,+5], [-10,+10] (ARs over
  [-10, +10], CARs, their tests, dollar values, outcomes and notes: the complete ``ar`` and
  ``car`` tables), then :func:`eventstudy.aggregate.event_panel` and
  :func:`eventstudy.inference.run_battery_windows` (the battery of every window, as
  :func:`eventstudy.aggregate.cross_event_statistics` runs it) for the four windows over all
  pairs as one group
  (every cross-event statistic, 999 bootstrap draws). Generating the synthetic panel, events
  and share counts is data loading and is not timed.
* **baseline**: a per-event loop of ``statsmodels.OLS(y, X, missing="drop").fit()`` computing
  only the ARs over [-10, +10] and the four CARs on the same data, timed on the first
  ``--baseline-sample`` pairs and scaled linearly to all pairs (both numbers are printed).

Each side runs in a fresh subprocess; its peak memory is that process's
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (whole-process peak RSS, including the Python
interpreter, the imported libraries and the synthetic data). The script also checks that the
fast path's CARs equal the statsmodels ones on the sampled pairs.

Usage::

    .venv/bin/python benchmarks/bench_w1.py                  # the full W1 (about a minute)
    .venv/bin/python benchmarks/bench_w1.py --pairs 2000     # smaller
    .venv/bin/python benchmarks/bench_w1.py --profile        # cProfile of one fast run

Output: a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
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
TARGET_SECONDS = 0.5
TARGET_SPEEDUP = 20.0
TARGET_MEMORY_MB = 1024.0


def _data(args: argparse.Namespace):
    panel = synthetic.make_panel(args.tickers, args.days, seed=1)
    events = synthetic.make_events(args.pairs, args.tickers, args.days, seed=2)
    shares = synthetic.make_shares(synthetic.tickers(args.tickers), args.days, seed=3)
    return panel, events, shares


def fast_worker(args: argparse.Namespace) -> dict[str, object]:
    """Time the library's path; returns timings (seconds), peak RSS (MB) and sample CARs."""
    from eventstudy.aggregate import event_panel
    from eventstudy.config import StudyConfig
    from eventstudy.estimate import estimate
    from eventstudy.inference import run_battery_windows
    from eventstudy.models import MarketModel

    panel, events, shares = _data(args)
    config = StudyConfig(
        market=synthetic.MARKET, estimation_window=ESTIMATION, event_windows=WINDOWS, min_estimation_obs=100
    )
    model = MarketModel(synthetic.MARKET)

    def once() -> tuple[dict[str, float], object]:
        t0 = time.perf_counter()
        results = estimate(events, panel, model, config, shares=shares)
        t1 = time.perf_counter()
        cross = event_panel(results)
        t2 = time.perf_counter()
        rows = run_battery_windows(cross, WINDOWS, bootstrap_draws=args.draws, seed=0)
        t3 = time.perf_counter()
        times = {"estimate": t1 - t0, "event_panel": t2 - t1, "battery": t3 - t2, "total": t3 - t0}
        return times, (results, rows)

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        once()
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats("eventstudy", 40)
    runs = []
    results = rows = None
    for _ in range(args.repeats):
        results = rows = None  # free the previous run's outputs before the next one
        times, (results, rows) = once()
        runs.append(times)
    best = min(runs, key=lambda t: t["total"])
    core_seconds = min(_core(panel, events, config) for _ in range(args.repeats))
    sample = results.car[
        results.car["event_id"].isin(results.events["event_id"].iloc[: args.baseline_sample])
    ]
    return {
        "times": best,
        "core": core_seconds,
        "all_totals": [r["total"] for r in runs],
        "peak_rss_mb": synthetic.peak_rss_mb(),
        "n_ar_rows": len(results.ar),
        "n_car_rows": len(results.car),
        "n_statistics": sum(len(r) for r in rows),
        "sample_car": sample["car"].to_numpy(float).tolist(),
    }


def _core(panel, events, config) -> float:
    """Seconds of the work the statsmodels loop does, with the library's batched functions.

    Day 0 of every pair, the estimation and event-window positions, one batched OLS of the
    market model, the event-window ARs and the four CARs: the engine of ``estimate`` without
    its tables, notes, tests and dollar values.
    """
    from eventstudy.abnormal import abnormal_returns
    from eventstudy.models.ols import fit_ols_batch
    from eventstudy.timeline.calendar import align_days_zero, relative_day_index

    n_days = len(panel.calendar)
    returns = np.vstack([panel.returns, np.full((1, panel.returns.shape[1]), np.nan)])
    market = returns[:, panel.column(synthetic.MARKET)]
    design = np.column_stack([np.ones_like(market), market])
    started = time.perf_counter()
    day0 = align_days_zero(panel.calendar, events["announced"], events["timing"]).index
    columns = pd.Index(panel.symbols).get_indexer(events["ticker"])[:, None]
    est_days = relative_day_index(day0, np.arange(ESTIMATION[0], ESTIMATION[1] + 1), n_days)
    taus = np.arange(WINDOWS[-1][0], WINDOWS[-1][1] + 1)
    evt_days = relative_day_index(day0, taus, n_days)
    fit = fit_ols_batch(returns[est_days, columns], np.take(design, est_days, axis=0), min_obs=100)
    x_event = np.take(design, evt_days, axis=0)
    _, abnormal = abnormal_returns(returns[evt_days, columns], np.zeros(x_event.shape[:2]), x_event, fit.coef)
    cars = [abnormal[:, (taus >= a) & (taus <= b)].sum(axis=1) for a, b in WINDOWS]
    seconds = time.perf_counter() - started
    assert len(cars) == len(WINDOWS)
    return seconds


def baseline_worker(args: argparse.Namespace) -> dict[str, object]:
    """Per-event statsmodels OLS loop: ARs over the event span and the four CARs only."""
    import statsmodels.api as sm

    panel, events, _ = _data(args)
    sample = events.iloc[: args.baseline_sample]
    returns = panel.returns
    market = panel.returns_of(synthetic.MARKET)
    column = {symbol: j for j, symbol in enumerate(panel.symbols)}
    calendar = panel.calendar
    span = (min(w[0] for w in WINDOWS), max(w[1] for w in WINDOWS))
    taus = np.arange(span[0], span[1] + 1)

    def once() -> tuple[float, list[float]]:
        cars: list[float] = []
        t0 = time.perf_counter()
        for row in sample.itertuples(index=False):
            day0 = int(calendar.searchsorted(row.announced))
            firm = returns[:, column[row.ticker]]
            est = slice(day0 + ESTIMATION[0], day0 + ESTIMATION[1] + 1)
            fit = sm.OLS(firm[est], sm.add_constant(market[est]), missing="drop").fit()
            evt = slice(day0 + span[0], day0 + span[1] + 1)
            ar = firm[evt] - (fit.params[0] + fit.params[1] * market[evt])
            for start, end in WINDOWS:
                cars.append(float(ar[(taus >= start) & (taus <= end)].sum()))
        return time.perf_counter() - t0, cars

    runs = [once() for _ in range(args.repeats)]
    best = min(seconds for seconds, _ in runs)
    return {
        "seconds_sample": best,
        "n_sample": len(sample),
        "peak_rss_mb": synthetic.peak_rss_mb(),
        "sample_car": runs[0][1],
    }


def _spawn(role: str, argv: list[str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", role, *argv], check=True, capture_output=True, text=True
    )
    if out.stderr.strip():
        print(out.stderr, file=sys.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--tickers", type=int, default=500)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--baseline-sample", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--draws", type=int, default=999, help="bootstrap draws of the battery")
    parser.add_argument("--profile", action="store_true", help="cProfile one fast run (on stderr)")
    parser.add_argument("--worker", choices=["fast", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        work = fast_worker if args.worker == "fast" else baseline_worker
        print(json.dumps(work(args)))
        return 0

    passed = [
        f"--pairs={args.pairs}",
        f"--tickers={args.tickers}",
        f"--days={args.days}",
        f"--baseline-sample={args.baseline_sample}",
        f"--repeats={args.repeats}",
        f"--draws={args.draws}",
        *(["--profile"] if args.profile else []),
    ]
    fast = _spawn("fast", passed)
    base = _spawn("baseline", passed)
    times = fast["times"]
    scaled = base["seconds_sample"] * args.pairs / base["n_sample"]
    speedup = scaled / times["total"]
    fast_car, base_car = np.array(fast["sample_car"], float), np.array(base["sample_car"], float)
    same_missing = bool(np.array_equal(np.isnan(fast_car), np.isnan(base_car)))
    diff = float(np.nanmax(np.abs(fast_car - base_car)))

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    print(
        f"## W1: {args.pairs:,} pairs, {args.tickers:,} tickers x {args.days:,} days, market model, "
        f"estimation {ESTIMATION}, windows {', '.join(map(str, WINDOWS))}, {args.draws} bootstrap draws\n"
    )
    print("| measure | value | target |")
    print("|---|---:|---|")
    print(f"| `estimate` (AR/CAR tables, tests, dollar values, notes) | {times['estimate']:.3f} s | |")
    print(f"| `event_panel` (battery input, market values) | {times['event_panel']:.3f} s | |")
    print(f"| `run_battery_windows`, {len(WINDOWS)} windows (every statistic) | {times['battery']:.3f} s | |")
    print(
        f"| **fast path total** (best of {args.repeats}: "
        f"{', '.join(f'{t:.3f}' for t in fast['all_totals'])}) | **{times['total']:.3f} s** | "
        f"<= {TARGET_SECONDS} s: {verdict(times['total'] <= TARGET_SECONDS)} |"
    )
    print(
        f"| statsmodels loop, ARs + CARs only, measured on {base['n_sample']:,} pairs "
        f"(best of {args.repeats}) | {base['seconds_sample']:.3f} s | |"
    )
    print(f"| statsmodels loop scaled to {args.pairs:,} pairs | {scaled:.2f} s | |")
    print(
        f"| speed-up (scaled loop / fast path total) | {speedup:.1f}x | >= {TARGET_SPEEDUP:.0f}x: "
        f"{verdict(speedup >= TARGET_SPEEDUP)} |"
    )
    core_speedup = scaled / fast["core"]
    print(
        f"| fast path doing only the loop's work (day 0, batched OLS, ARs, 4 CARs; best of "
        f"{args.repeats}) | {fast['core']:.3f} s | |"
    )
    print(
        f"| speed-up on the same work (scaled loop / that) | {core_speedup:.0f}x | >= {TARGET_SPEEDUP:.0f}x: "
        f"{verdict(core_speedup >= TARGET_SPEEDUP)} |"
    )
    print(
        f"| peak RSS, fast-path process (ru_maxrss) | {fast['peak_rss_mb']:.0f} MB | "
        f"<= {TARGET_MEMORY_MB:.0f} MB: {verdict(fast['peak_rss_mb'] <= TARGET_MEMORY_MB)} |"
    )
    print(f"| peak RSS, statsmodels process (ru_maxrss) | {base['peak_rss_mb']:.0f} MB | |")
    print(
        f"| max abs CAR difference vs statsmodels ({base['n_sample']:,} pairs x 4 windows; "
        f"same missing CARs: {same_missing}) | {diff:.1e} | |"
    )
    print(
        f"\noutputs: {fast['n_ar_rows']:,} AR rows, {fast['n_car_rows']:,} CAR rows, "
        f"{fast['n_statistics']} cross-event statistics"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
