"""The launch study end to end: ``eventstudy run`` on the cached real data, report included.

Setup (not timed): ``eventstudy cache import ../shared/data/prices ../shared/data/shares`` into
a temporary cache. Timed: the wall time (``time.perf_counter`` around the subprocess) of

    eventstudy run --config launch.toml --offline --cache <tmp cache> --out <tmp out>

i.e. interpreter start, imports, reading and checking the cache, the study, the cross-event
statistics, every output file, the report and its figures. Best of ``--repeats`` runs, each
into a new output folder. One more run under ``cProfile`` gives the breakdown by stage (its
times include the profiler's overhead; the table shows them as shares of that run).

Usage::

    .venv/bin/python benchmarks/bench_launch.py [--repeats 3]

Output: a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
TARGET_SECONDS = 5.0

STAGES: tuple[tuple[str, str], ...] = (
    ("read cache, run the study (`run_study`)", "run_study"),
    ("cross-event statistics", "cross_event_statistics"),
    ("write outputs (`save_study`)", "save_study"),
    ("  of which the report (`render_report`)", "render_report"),
    ("  of which figures (matplotlib `savefig`)", "savefig"),
)


def _eventstudy() -> str:
    return str(Path(sys.executable).with_name("eventstudy"))


IMPORTS = (
    "import eventstudy.cli, eventstudy.cli.run, eventstudy.study, eventstudy.output.export, "
    "eventstudy.aggregate, eventstudy.report, eventstudy.report.figures"
)


def _cumulative(stats: pstats.Stats, name: str) -> float:
    """Largest cumulative time of a function called ``name`` (0 if never called)."""
    rows = [row[3] for (_, _, function), row in stats.stats.items() if function == name]  # type: ignore[attr-defined]
    return max(rows, default=0.0)


def _import_seconds(repeats: int) -> float:
    """Best wall time of a fresh interpreter importing what ``eventstudy run`` imports."""
    walls = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", IMPORTS], check=True, cwd=ROOT)
        walls.append(time.perf_counter() - started)
    return min(walls)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="eventstudy-launch-"))
    try:
        cache = work / "cache"
        subprocess.run(
            [
                _eventstudy(),
                "cache",
                "import",
                str(SHARED / "prices"),
                str(SHARED / "shares"),
                "--cache",
                str(cache),
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        command = [_eventstudy(), "run", "--config", "launch.toml", "--offline", "--cache", str(cache)]
        walls = []
        for i in range(args.repeats):
            started = time.perf_counter()
            subprocess.run(
                [*command, "--out", str(work / f"out{i}")], check=True, capture_output=True, cwd=ROOT
            )
            walls.append(time.perf_counter() - started)
        profile = work / "run.prof"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "eventstudy", *command[1:], "--out",
             str(work / "out-profiled")],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )  # fmt: skip
        profiled_wall = time.perf_counter() - started
        imports = _import_seconds(args.repeats)
        stats = pstats.Stats(str(profile))
        total = max(row[3] for row in stats.stats.values())  # type: ignore[attr-defined]
        outputs = sorted(
            p.relative_to(work / "out0").as_posix() for p in (work / "out0").rglob("*") if p.is_file()
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    best = min(walls)
    load = os.getloadavg()[0]
    title = "Launch study end to end (`eventstudy run --config launch.toml --offline`)"
    print(f"## {title}, load average {load:.1f}\n")
    print("| measure | value | target |")
    print("|---|---:|---|")
    print(
        f"| **wall time**, best of {args.repeats} ({', '.join(f'{w:.2f}' for w in walls)} s) | "
        f"**{best:.2f} s** | "
        f"<= {TARGET_SECONDS:.0f} s: {'met' if best <= TARGET_SECONDS else '**not met**'} |"
    )
    print(f"| interpreter start + imports alone (best of {args.repeats}) | {imports:.2f} s | |")
    print(f"| profiled run (cProfile overhead included) | {profiled_wall:.2f} s | |")
    for label, name in STAGES:
        seconds = _cumulative(stats, name)
        print(f"| {label} | {seconds / total:.0%} of the profiled run | |")
    print(f"\noutputs ({len(outputs)} files): {', '.join(outputs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
