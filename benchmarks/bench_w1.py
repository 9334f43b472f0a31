"""Workload W1: 10,000 (event, ticker) pairs on a 500-ticker x 2,520-day panel, in memory.

Every side runs in this one process on the same data, interleaved: each round runs every side
once, in an order that rotates from round to round, so a busy machine slows all sides alike.
Each side runs once untimed first (warm-up: first-touch page faults, lazy imports). Each
side's time is ``time.perf_counter`` around one call; the script prints the min and the
median over ``--rounds`` rounds and the ratios measured in this run (the ratio of the minima
and the median of the per-round ratios). Generating the synthetic panel, events and share
counts is data loading and is not timed.

The sides:

* **numpy bound** (``numpy_car_t`` below, bare numpy, the denominator of every ratio): day 0
  of every pair (``searchsorted``), the market model fitted by OLS over the estimation window
  [-260, -11] with the missing days left out, the ARs over [-10, +10], the four CARs and their
  t statistics with the exact CLM variance
  :math:`\\hat\\sigma^2(L + L^2/M + (\\sum_{\\tau \\in W} x_\\tau - L\\bar x)^2/S_{xx})`.
  No notes, no tables, no dollar values, no cross-event statistics: a lower bound of what any
  implementation of the study must compute.
* **estimate**: :func:`eventstudy.estimate.estimate` (the complete ``ar`` and ``car`` tables:
  ARs, CARs, their tests, dollar values, outcomes and notes).
* **full battery**: ``estimate`` then :func:`eventstudy.aggregate.event_panel` and
  :func:`eventstudy.inference.run_battery_windows` for the four windows over all pairs as one
  group (every cross-event statistic, ``--draws`` bootstrap draws). Its two parts are timed
  separately: *estimation* (``estimate``) and *battery* (the rest).
* **statsmodels loop** (``--statsmodels``): ``statsmodels.OLS(...).fit()`` per pair computing
  only the ARs and the four CARs, timed on the first ``--baseline-sample`` pairs and scaled
  linearly to all pairs.

Targets (issue 16): full battery <= 3x the numpy bound; battery <= estimation.

Peak memory of each side is measured once, outside the timed rounds, in a fresh process of
this script (``--memory SIDE``) that builds the data and runs the side once: the growth of its
resident-set high-water mark (``VmHWM`` of ``/proc/self/status``, reset through
``/proc/self/clear_refs`` just before the side) over its resident set before the side (the
interpreter, the libraries and the data); then, in the same process, the side once more under
``tracemalloc``: its allocated peak a pair.

The script also checks that the numpy bound's and the library's CARs agree (and the
statsmodels CARs on the sampled pairs with ``--statsmodels``).

Usage::

    .venv/bin/python benchmarks/bench_w1.py                  # W1, 7 rounds (about a minute)
    .venv/bin/python benchmarks/bench_w1.py --rounds 11 --statsmodels
    .venv/bin/python benchmarks/bench_w1.py --pairs 2000     # smaller
    .venv/bin/python benchmarks/bench_w1.py --profile        # cProfile of one full run (stderr)

Output: a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH: another tree of the package can be measured
sys.path.insert(0, str(ROOT / "benchmarks"))

import synthetic  # noqa: E402

WINDOWS = synthetic.WINDOWS
ESTIMATION = synthetic.ESTIMATION
MIN_OBS = 100
TARGET_RATIO = 3.0


def numpy_car_t(
    calendar: np.ndarray,
    symbols: np.ndarray,
    returns: np.ndarray,
    market: np.ndarray,
    announced: np.ndarray,
    tickers: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(P, 4) CARs and t statistics of the market model in bare numpy (the bound).

    ``calendar`` (T,) datetime64 trading days, ``symbols`` (S,) sorted column labels of the
    (T, S) ``returns``, ``market`` (T,) the market's returns; every announcement falls on a
    trading day far enough from both ends of the calendar (as :func:`synthetic.make_events`
    draws them) and its timing is ``pre``, so day 0 is the announcement day.
    """
    day0 = np.searchsorted(calendar, announced)
    column = np.searchsorted(symbols, tickers)
    est = day0[:, None] + np.arange(ESTIMATION[0], ESTIMATION[1] + 1)
    y = returns[est, column[:, None]]
    x = market[est]
    valid = np.isfinite(y) & np.isfinite(x)
    n = valid.sum(axis=1)
    x = np.where(valid, x, 0.0)
    y = np.where(valid, y, 0.0)
    x_mean = x.sum(axis=1) / n
    y_mean = y.sum(axis=1) / n
    xc = np.where(valid, x - x_mean[:, None], 0.0)
    sxx = (xc * xc).sum(axis=1)
    beta = (xc * y).sum(axis=1) / sxx
    alpha = y_mean - beta * x_mean
    resid = np.where(valid, y - alpha[:, None] - beta[:, None] * x, 0.0)
    s2 = (resid * resid).sum(axis=1) / (n - 2)
    taus = np.arange(WINDOWS[-1][0], WINDOWS[-1][1] + 1)
    evt = day0[:, None] + taus
    ar = returns[evt, column[:, None]] - alpha[:, None] - beta[:, None] * market[evt]
    x_evt = market[evt]
    cars = np.empty((len(day0), len(WINDOWS)))
    t = np.empty_like(cars)
    for k, (a, b) in enumerate(WINDOWS):
        inside = (taus >= a) & (taus <= b)
        length = b - a + 1
        cars[:, k] = ar[:, inside].sum(axis=1)
        s = x_evt[:, inside].sum(axis=1) - length * x_mean
        t[:, k] = cars[:, k] / np.sqrt(s2 * (length + length**2 / n + s * s / sxx))
    return cars, t


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return int(re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.M).group(1))  # type: ignore[union-attr]


def peak_growth_mb(run: Callable[[], object]) -> float:
    """MB the resident-set high-water mark rose above the resident set while ``run()`` ran."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # reset VmHWM to the current VmRSS (Linux >= 4.0)
    except OSError:
        return float("nan")
    before = _rss_kb("VmRSS")
    out = run()
    peak = _rss_kb("VmHWM")
    del out
    return (peak - before) / 1024.0


def allocated_peak_kb(run: Callable[[], object]) -> float:
    """KB of numpy's and Python's allocations at their peak while ``run()`` ran, over those
    before (``tracemalloc``: a count of the buffers, unlike the resident set not moved by the
    allocator's free lists)."""
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = run()
        peak = tracemalloc.get_traced_memory()[1]
        del out
    finally:
        tracemalloc.stop()
    return (peak - before) / 1000.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--tickers", type=int, default=500)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--draws", type=int, default=999, help="bootstrap draws of the battery")
    parser.add_argument("--statsmodels", action="store_true", help="add the per-pair statsmodels loop")
    parser.add_argument("--baseline-sample", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="cProfile one full run (on stderr)")
    parser.add_argument("--memory", help=argparse.SUPPRESS)  # worker: peak memory of one side
    args = parser.parse_args(argv)

    from eventstudy.aggregate import event_panel
    from eventstudy.config import StudyConfig
    from eventstudy.estimate import estimate
    from eventstudy.inference import run_battery_windows
    from eventstudy.models import MarketModel

    panel = synthetic.make_panel(args.tickers, args.days, seed=1)
    events = synthetic.make_events(args.pairs, args.tickers, args.days, seed=2)
    shares = synthetic.make_shares(synthetic.tickers(args.tickers), args.days, seed=3)
    config = StudyConfig(
        market=synthetic.MARKET,
        estimation_window=ESTIMATION,
        event_windows=WINDOWS,
        min_estimation_obs=MIN_OBS,
    )
    model = MarketModel(synthetic.MARKET)

    # The bound's inputs, prepared once like any loaded data (sorted symbols, plain arrays).
    order = np.argsort(np.array(panel.symbols, dtype=object))
    bound_inputs = (
        panel.calendar.to_numpy("datetime64[ns]"),
        np.array(panel.symbols, dtype=object)[order],
        np.ascontiguousarray(panel.returns[:, order]),
        np.ascontiguousarray(panel.returns_of(synthetic.MARKET)),
        events["announced"].to_numpy("datetime64[ns]"),
        events["ticker"].to_numpy(object),
    )

    def run_bound() -> tuple[np.ndarray, np.ndarray]:
        return numpy_car_t(*bound_inputs)

    def run_estimate() -> object:
        return estimate(events, panel, model, config, shares=shares)

    def run_full() -> tuple[float, float, object]:
        t0 = time.perf_counter()
        results = estimate(events, panel, model, config, shares=shares)
        t1 = time.perf_counter()
        rows = run_battery_windows(event_panel(results), WINDOWS, bootstrap_draws=args.draws, seed=0)
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1, (results, rows)

    sample = events.iloc[: args.baseline_sample]

    def run_statsmodels() -> list[float]:
        return _statsmodels_cars(panel, sample)

    sides: dict[str, Callable[[], object]] = {"bound": run_bound, "estimate": run_estimate, "full": run_full}
    if args.statsmodels:
        sides["statsmodels"] = run_statsmodels
    if args.memory:
        mb = peak_growth_mb(sides[args.memory])
        print(json.dumps({"mb": mb, "kb_per_pair": allocated_peak_kb(sides[args.memory]) / args.pairs}))
        return 0
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        run_full()
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats("eventstudy", 45)

    times: dict[str, list[float]] = {name: [] for name in [*sides, "estimation", "battery"]}
    names = list(sides)
    for name in names:  # warm-up, not timed: first-touch page faults, lazy imports, caches
        sides[name]()
    for k in range(args.rounds):
        for name in names[k % len(names) :] + names[: k % len(names)]:  # rotate the order
            gc.collect()
            started = time.perf_counter()
            out = sides[name]()
            times[name].append(time.perf_counter() - started)
            if name == "full":
                times["estimation"].append(out[0])  # type: ignore[index]
                times["battery"].append(out[1])  # type: ignore[index]
            del out

    shape = [
        f"--pairs={args.pairs}",
        f"--tickers={args.tickers}",
        f"--days={args.days}",
        f"--draws={args.draws}",
    ]
    memory = {name: _memory_of(name, shape) for name in ("bound", "estimate", "full")}
    bound_car, _ = run_bound()
    results = run_estimate()
    library_car = results.car["car"].to_numpy(float).reshape(-1, len(WINDOWS))  # type: ignore[attr-defined]
    ok = np.isfinite(library_car)
    bound_diff = float(np.max(np.abs(library_car[ok] - bound_car[ok])))

    def per_round(numerator: str, denominator: str) -> list[float]:
        return [a / b for a, b in zip(times[numerator], times[denominator], strict=True)]

    def ratio_row(label: str, numerator: str, denominator: str, target: str = "") -> str:
        """The ratio of the two sides' minima, and the median of the per-round ratios."""
        low = min(times[numerator]) / min(times[denominator])
        middle = statistics.median(per_round(numerator, denominator))
        return f"| {label} | {low:.2f} | {middle:.2f} | x | {target} |"

    def row(label: str, values: list[float], unit: str = "s", target: str = "") -> str:
        fmt = "{:.3f}" if unit == "s" else "{:.2f}"
        return (
            f"| {label} | {fmt.format(min(values))} | {fmt.format(statistics.median(values))} | "
            f"{unit} | {target} |"
        )

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    full_ratio = per_round("full", "bound")
    battery_ratio = per_round("battery", "estimation")
    print(
        f"## W1: {args.pairs:,} pairs, {args.tickers:,} tickers x {args.days:,} days, market model, "
        f"estimation {ESTIMATION}, windows {', '.join(map(str, WINDOWS))}, {args.draws} bootstrap draws; "
        f"{args.rounds} interleaved rounds, load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| measure | min | median | unit | target |")
    print("|---|---:|---:|---|---|")
    print(row("numpy bound: day 0, OLS, ARs, 4 CARs + t", times["bound"]))
    print(row("`estimate` (AR/CAR tables, tests, dollar values, notes)", times["estimate"]))
    print(row("full battery: `estimate` + `event_panel` + `run_battery_windows`", times["full"]))
    print(row("  of which estimation (`estimate`)", times["estimation"]))
    print(row("  of which battery (`event_panel` + `run_battery_windows`)", times["battery"]))
    print(ratio_row("`estimate` / numpy bound", "estimate", "bound"))
    target = f"<= {TARGET_RATIO:.0f}x: {verdict(statistics.median(full_ratio) <= TARGET_RATIO)} (median)"
    print(ratio_row("**full battery / numpy bound**", "full", "bound", target))
    target = f"<= 1: {verdict(statistics.median(battery_ratio) <= 1.0)} (median)"
    print(ratio_row("**battery / estimation** (inside the full runs)", "battery", "estimation", target))
    if args.statsmodels:
        scale = args.pairs / len(sample)
        times["statsmodels_scaled"] = [t * scale for t in times["statsmodels"]]
        print(row(f"statsmodels loop, ARs + CARs, {len(sample):,} pairs scaled to {args.pairs:,}",
                  times["statsmodels_scaled"]))  # fmt: skip
        print(ratio_row("statsmodels loop (scaled) / full battery", "statsmodels_scaled", "full"))
        cars = np.array(run_statsmodels(), float).reshape(-1, len(WINDOWS))
        diff = float(np.nanmax(np.abs(cars - library_car[: len(sample)])))
        print(
            f"| max abs CAR difference, library vs statsmodels ({len(sample):,} pairs) | {diff:.1e} | | | |"
        )
    print(f"| max abs CAR difference, library vs numpy bound | {bound_diff:.1e} | | | |")
    for name, label in (("bound", "numpy bound"), ("estimate", "`estimate`"), ("full", "full battery")):
        print(f"| peak memory growth, {label} (VmHWM - VmRSS before) | {memory[name][0]:.0f} | | MB | |")
    for name, label in (("bound", "numpy bound"), ("estimate", "`estimate`"), ("full", "full battery")):
        print(f"| allocated peak, {label} (tracemalloc), a pair | {memory[name][1]:.1f} | | KB | |")
    print(
        f"\nper-round full/bound: {', '.join(f'{r:.2f}' for r in full_ratio)}; "
        f"battery/estimation: {', '.join(f'{r:.2f}' for r in battery_ratio)}"
    )
    return 0


def _memory_of(side: str, shape: list[str]) -> tuple[float, float]:
    """MB of :func:`peak_growth_mb` and KB a pair of :func:`allocated_peak_kb` of ``side``, in a
    fresh process of this script (the second after the first, in the same process)."""
    out = subprocess.run(
        [sys.executable, __file__, "--memory", side, *shape], check=True, capture_output=True, text=True
    )
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    return float(measured["mb"]), float(measured["kb_per_pair"])


def _statsmodels_cars(panel, sample: pd.DataFrame) -> list[float]:
    """Per-pair ``statsmodels.OLS`` fit; the ARs over the event span and the four CARs only."""
    import statsmodels.api as sm

    returns = panel.returns
    market = panel.returns_of(synthetic.MARKET)
    column = {symbol: j for j, symbol in enumerate(panel.symbols)}
    calendar = panel.calendar
    taus = np.arange(WINDOWS[-1][0], WINDOWS[-1][1] + 1)
    cars: list[float] = []
    for row in sample.itertuples(index=False):
        day0 = int(calendar.searchsorted(row.announced))
        firm = returns[:, column[row.ticker]]
        est = slice(day0 + ESTIMATION[0], day0 + ESTIMATION[1] + 1)
        fit = sm.OLS(firm[est], sm.add_constant(market[est]), missing="drop").fit()
        evt = slice(day0 + taus[0], day0 + taus[-1] + 1)
        ar = firm[evt] - (fit.params[0] + fit.params[1] * market[evt])
        for start, end in WINDOWS:
            cars.append(float(ar[(taus >= start) & (taus <= end)].sum()))
    return cars


if __name__ == "__main__":
    raise SystemExit(main())
