"""Importing a long returns panel: wall time and peak memory, against another commit.

A long CSV (``id,date,ret``: ``--ids`` ids x ``--days`` business days, about 28 bytes a row) is
written once to a temporary folder. Each side runs in a fresh process, once per round, the sides
alternating (their order rotates from round to round, so a load change hits both):

* ``table``: :func:`eventstudy.data.tabular.read_text_table` of the file (the cells as text);
* ``import``: ``import_paths`` of the file as ``--returns`` into an empty cache (parsing,
  checks, one parquet file per id).

Each process reports its wall time (``time.perf_counter`` around the call) and its peak resident
set (``ru_maxrss`` in MiB, which includes the interpreter and the libraries: about 110 MiB); the
sides' row counts are checked to be equal. With
``--baseline COMMIT`` the commit is checked out into a temporary ``git worktree`` and run with
``PYTHONPATH`` on it; the script prints the min and median of each side and the ratios current /
baseline of the minima.

Usage::

    .venv/bin/python benchmarks/bench_import.py --baseline 3ea7b06   # 1,500 ids x 2,520 days, 3 rounds
    .venv/bin/python benchmarks/bench_import.py --ids 300 --rounds 5

Output: a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from worktrees import checked_out  # noqa: E402

WORKER = r"""
import json, resource, shutil, sys, time
from pathlib import Path
case, source, cache = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
from eventstudy.data.importer import import_paths
from eventstudy.data.store import PriceStore
from eventstudy.data.tabular import read_text_table
import eventstudy
shutil.rmtree(cache, ignore_errors=True)  # the previous round's, before the clock starts
started = time.perf_counter()
if case == "table":
    rows = len(read_text_table(source).cells)
else:
    rows = import_paths(PriceStore(cache), [], returns=[source], units="decimal")[0].rows
wall = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": wall, "peak_mb": peak, "rows": rows, "package": eventstudy.__file__}))
"""


def write_panel(path: Path, ids: int, days: int) -> int:
    """A long returns CSV of ``ids`` x ``days`` rows; returns its size in bytes."""
    rng = np.random.default_rng(0)
    dates = pd.bdate_range("2015-01-02", periods=days).strftime("%Y-%m-%d")
    with path.open("w") as handle:
        handle.write("id,date,ret\n")
        for i in range(ids):
            values = rng.normal(0.0, 0.02, days)
            handle.write("".join(f"ID{i:05d},{d},{x:.6f}\n" for d, x in zip(dates, values, strict=True)))
    return path.stat().st_size


def run_side(tree: Path | None, case: str, source: Path, cache: Path) -> dict[str, float]:
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    done = subprocess.run(
        [sys.executable, "-c", WORKER, case, str(source), str(cache)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tree or ROOT,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    expected = str(tree or ROOT)
    if not result.pop("package").startswith(expected):
        raise SystemExit(f"the worker imported eventstudy from outside {expected}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ids", type=int, default=1500)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", metavar="COMMIT", help="also run this commit, interleaved")
    args = parser.parse_args(argv)

    load = os.getloadavg()[0]  # before the runs, which load the machine themselves
    with tempfile.TemporaryDirectory(prefix="bench-import.") as folder:
        work = Path(folder)
        source = work / "panel.csv"
        size = write_panel(source, args.ids, args.days)
        sides: dict[str, Path | None] = {"current": None}
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        with contextlib.ExitStack() as trees:
            if args.baseline:
                sides["baseline"] = trees.enter_context(checked_out(args.baseline, work / "baseline"))
            runs = [(side, case) for case in ("table", "import") for side in sides]
            for k in range(args.rounds):
                for side, case in runs[k % len(runs) :] + runs[: k % len(runs)]:
                    outcome = run_side(sides[side], case, source, work / f"cache-{side}")
                    results.setdefault((side, case), []).append(outcome)

    rows = args.ids * args.days
    print(
        f"## Import of a long returns CSV: {rows:,} rows ({size / 1e6:.0f} MB), {args.rounds} rounds, "
        f"load average {load:.1f} before the runs\n"
    )
    counts = {(case, r["rows"]) for (_, case), found in results.items() for r in found}
    if len(counts) != 2:
        raise SystemExit(f"the sides read different numbers of rows: {sorted(counts)}")
    print("| side | case | wall min (s) | wall median (s) | peak min (MiB) | peak median (MiB) | peak/file |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for (side, case), found in sorted(results.items()):
        walls = [r["wall"] for r in found]
        peaks = [r["peak_mb"] for r in found]
        label = args.baseline if side == "baseline" else "this tree"
        print(
            f"| {label} | {case} | {min(walls):.2f} | {statistics.median(walls):.2f} | {min(peaks):.0f} | "
            f"{statistics.median(peaks):.0f} | {min(peaks) * 2**20 / size:.1f} |"
        )
    if args.baseline:
        for case in ("table", "import"):
            now, then = results[("current", case)], results[("baseline", case)]
            wall = min(r["wall"] for r in now) / min(r["wall"] for r in then)
            peak = min(r["peak_mb"] for r in now) / min(r["peak_mb"] for r in then)
            print(f"| **current / {args.baseline}** | {case} | {wall:.2f} | | {peak:.2f} | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
