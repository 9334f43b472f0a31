"""``eventstudy --help``: the wall time of the console script against a bare interpreter.

Each round runs, in an order that alternates, the venv's ``eventstudy --help`` (the console
script: interpreter start, ``site``, the command line's modules, argparse printing the manual)
and ``python -c pass`` (the floor no command can go below), each in a fresh process, timed with
``time.perf_counter`` around the subprocess. Prints the min and median of each over ``--rounds``
rounds, the ratio ``--help`` / bare interpreter per round, and the target (issue 16:
``eventstudy --help`` <= 0.15 s). ``tests/test_layers.py`` checks that ``--help`` imports no
pandas, scipy, matplotlib, pyarrow or statsmodels; no test asserts a time.

Usage::

    .venv/bin/python benchmarks/bench_help.py --rounds 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 0.15


def _wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    script = Path(sys.executable).with_name("eventstudy")
    sides = {
        "`eventstudy --help`": [str(script), "--help"],
        "`python -c pass`": [sys.executable, "-c", "pass"],
    }
    names = list(sides)
    for name in names:  # warm the file cache once, untimed
        _wall(sides[name])
    walls: dict[str, list[float]] = {name: [] for name in names}
    for k in range(args.rounds):
        for name in names[k % 2 :] + names[: k % 2]:
            walls[name].append(_wall(sides[name]))
    help_, bare = walls[names[0]], walls[names[1]]
    ratios = [h / b for h, b in zip(help_, bare, strict=True)]
    loads = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"## `eventstudy --help`, {args.rounds} rounds, load averages {loads} (1, 5, 15 min)\n")
    print("| measure | min | median | unit | target |")
    print("|---|---:|---:|---|---|")
    met = "met" if statistics.median(help_) <= TARGET_SECONDS else "**not met**"
    for name, values, target in (
        (names[0], help_, f"<= {TARGET_SECONDS} s: {met} (median)"),
        (names[1], bare, ""),
    ):
        print(f"| {name} | {min(values):.3f} | {statistics.median(values):.3f} | s | {target} |")
    low, middle = min(ratios), statistics.median(ratios)
    print(f"| --help / bare interpreter (per round) | {low:.2f} | {middle:.2f} | x | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
