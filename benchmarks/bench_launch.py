"""The launch study end to end: ``eventstudy run`` on the cached real data, report included,
optionally against an older commit in the same run.

Setup (not timed): each side imports ``../shared/data/prices``, ``../shared/data/shares`` and,
when its ``eventstudy cache import`` reads them (the README's first command; d8d368a does not),
``../shared/data/earnings`` into a temporary cache of its own with its own code. Timed: the wall
time (``time.perf_counter`` around the subprocess) of

    python -m eventstudy run --config launch.toml --offline --cache <its cache> --out <new folder>

run in the side's source tree (its ``launch.toml`` and ``events.csv``): interpreter start,
imports, reading and checking the cache, the study, the cross-event statistics, every output
file, the report and its figures.

With ``--baseline COMMIT`` (e.g. ``d8d368a``) the commit is checked out into a temporary
``git worktree`` and run with ``PYTHONPATH`` pointing at it (the project's venv supplies the
libraries), interleaved with the current tree: each round runs both sides once, in an order
that alternates, so a busy machine slows both alike. The script prints the min and median of
each side over ``--rounds`` rounds and the ratio current / baseline measured in this run (the
ratio of the minima and the median of the per-round ratios).

The stage breakdown comes from one more run of each side per round, in process: the functions
of each stage (``run_study``, ``load_inputs``, cache reads, content hashing,
``cross_event_statistics``, ``save_study``, ``render_report``, the report's figure functions,
matplotlib's ``savefig``) are wrapped with timers that record the stage path (the stages
active when it was entered), so a sub-stage is always measured inside its parent's time; the
table shows each stage's median seconds, its share of its parent and its number of calls.
The report's PNG files are compressed in a background thread while the next figure is drawn
(``eventstudy.report.figures.png_future``): ``savefig`` there is the drawing, and only the
time spent waiting for a compressed file falls inside a stage.
Imports are what the run imports before the command starts.

Usage::

    .venv/bin/python benchmarks/bench_launch.py                           # current tree, 5 rounds
    .venv/bin/python benchmarks/bench_launch.py --baseline d8d368a        # against that commit

Output: a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "benchmarks"))

from worktrees import checked_out  # noqa: E402

TARGET_RATIO = 0.40

# The in-process stage driver (run with the side's tree first on sys.path). Stages are found
# by function name in whichever modules the side has; a name a side lacks is simply absent.
DRIVER = r"""
import importlib, json, sys, time
started = time.perf_counter()
for name in ("eventstudy.cli", "eventstudy.cli.run", "eventstudy.commands.run", "eventstudy.study",
             "eventstudy.aggregate", "eventstudy.output.export", "eventstudy.export", "eventstudy.report",
             "eventstudy.report.figures", "eventstudy.figures", "eventstudy.data.inputs", "eventstudy.store",
             "eventstudy.data.store", "eventstudy.hashing", "eventstudy.backtest.export",
             "eventstudy.backtest.report"):
    try:
        importlib.import_module(name)
    except ImportError:
        pass
imports = time.perf_counter() - started
STAGES = {"run_study": "run_study", "load_inputs": "load_inputs", "read_cache_table": "cache reads",
          "read_cache_frame": "cache reads", "content_sha256": "content hashing",
          "values_sha256": "content hashing", "cross_event_statistics": "cross_event_statistics",
          "caar_bands": "caar_bands", "save_study": "save_study", "render_report": "render_report",
          "backtest_writers": "backtest outputs"}
FIGURE_MODULES = ("eventstudy.report.figures", "eventstudy.figures", "eventstudy.backtest.report")
totals, calls, stack = {}, {}, []

def timed(label, function):
    def wrapper(*args, **kwargs):
        if stack and stack[-1] == label:  # recursion or a stage calling itself: counted once
            return function(*args, **kwargs)
        path = tuple(stack) + (label,)
        stack.append(label)
        begun = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            stack.pop()
            totals[path] = totals.get(path, 0.0) + time.perf_counter() - begun
            calls[path] = calls.get(path, 0) + 1
    wrapper.__wrapped__ = function
    return wrapper

originals = {}
for name, module in list(sys.modules.items()):
    if not name.startswith("eventstudy") or module is None:
        continue
    for attribute, value in list(vars(module).items()):
        if not callable(value) or getattr(value, "__module__", None) != name:
            continue
        if attribute in STAGES:
            originals[value] = STAGES[attribute]
        elif name in FIGURE_MODULES and not attribute.startswith("_") and isinstance(value, type(timed)):
            originals[value] = "figures"
wrappers = {function: timed(label, function) for function, label in originals.items()}
for name, module in list(sys.modules.items()):
    if name.startswith("eventstudy") and module is not None:
        for attribute, value in list(vars(module).items()):
            if callable(value) and value in wrappers:
                setattr(module, attribute, wrappers[value])
import matplotlib.figure
matplotlib.figure.Figure.savefig = timed("savefig", matplotlib.figure.Figure.savefig)
from eventstudy.cli import main
begun = time.perf_counter()
status = main(sys.argv[1:])
total = time.perf_counter() - begun
rows = [{"path": list(path), "seconds": seconds, "calls": calls[path]} for path, seconds in totals.items()]
print(json.dumps({"status": status, "imports": imports, "command": total, "stages": rows}))
"""


def _run(tree: Path, env: dict[str, str], args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "eventstudy", *args], check=True, capture_output=True, cwd=tree, env=env
    )
    return time.perf_counter() - started


def _stages(tree: Path, env: dict[str, str], args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", DRIVER, *args], check=True, capture_output=True, text=True, cwd=tree, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", metavar="COMMIT", help="also run this commit, interleaved")
    parser.add_argument("--no-stages", action="store_true", help="skip the in-process stage runs")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="eventstudy-launch-"))
    sides: dict[str, Path] = {"current": ROOT}
    with contextlib.ExitStack() as trees:
        trees.callback(shutil.rmtree, work, ignore_errors=True)  # last: after the worktree is removed
        if args.baseline:
            sides["baseline"] = trees.enter_context(checked_out(args.baseline, work / "baseline"))
        envs = {name: {**os.environ, "PYTHONPATH": str(tree)} for name, tree in sides.items()}
        data: dict[str, str] = {}
        for name, tree in sides.items():
            cache = work / f"cache-{name}"
            _run(tree, envs[name], ["cache", "import", str(SHARED / "prices"), str(SHARED / "shares"),
                                    "--cache", str(cache)])  # fmt: skip
            try:
                _run(tree, envs[name], ["cache", "import", str(SHARED / "earnings"), "--cache", str(cache)])
                data[name] = "prices, shares, earnings"
            except subprocess.CalledProcessError:  # a tree that cannot import the earnings dates
                data[name] = "prices, shares"
        walls: dict[str, list[float]] = {name: [] for name in sides}
        stages: dict[str, list[dict]] = {name: [] for name in sides}
        names = list(sides)
        for k in range(args.rounds):
            for name in names[k % len(names) :] + names[: k % len(names)]:
                out = work / f"out-{name}"
                command = [
                    "run",
                    "--config",
                    "launch.toml",
                    "--offline",
                    "--cache",
                    str(work / f"cache-{name}"),
                ]
                walls[name].append(_run(sides[name], envs[name], [*command, "--out", str(out)]))
                shutil.rmtree(out)
                if not args.no_stages:
                    stages[name].append(_stages(sides[name], envs[name], [*command, "--out", str(out)]))
                    shutil.rmtree(out)

    def line(label: str, values: list[float], unit: str = "s", target: str = "") -> str:
        return f"| {label} | {min(values):.2f} | {statistics.median(values):.2f} | {unit} | {target} |"

    title = "Launch study end to end (`eventstudy run --config launch.toml --offline`)"
    loads = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"## {title}, {args.rounds} rounds, load averages {loads} (1, 5, 15 min) at the end\n")
    print("Cache of each side: " + "; ".join(f"{name}: {data[name]}" for name in names) + "\n")
    print("| measure | min | median | unit | target |")
    print("|---|---:|---:|---|---|")
    for name in names:
        print(
            line(
                f"wall time, {name} ({sides[name].name if name == 'baseline' else 'this tree'})", walls[name]
            )
        )
    if "baseline" in sides:
        ratios = [c / b for c, b in zip(walls["current"], walls["baseline"], strict=True)]
        met = "met" if statistics.median(ratios) <= TARGET_RATIO else "**not met**"
        low = min(walls["current"]) / min(walls["baseline"])
        print(
            f"| **current / {args.baseline}** (ratio of the minima; median of the per-round ratios) "
            f"| {low:.2f} | {statistics.median(ratios):.2f} | x | <= {TARGET_RATIO}: {met} (median) |"
        )
        print(f"\nper-round ratios: {', '.join(f'{r:.2f}' for r in ratios)}")
    if not args.no_stages:
        for name in names:
            _print_stages(name, stages[name])
    return 0


def _print_stages(name: str, runs: list[dict]) -> None:
    """The median of each stage path over the runs, as a tree with shares of the parent."""
    seconds: dict[tuple[str, ...], list[float]] = {}
    calls: dict[tuple[str, ...], int] = {}
    for run in runs:
        for row in run["stages"]:
            path = tuple(row["path"])
            seconds.setdefault(path, []).append(row["seconds"])
            calls[path] = max(calls.get(path, 0), row["calls"])
    command = statistics.median(run["command"] for run in runs)
    imports = statistics.median(run["imports"] for run in runs)
    print(f"\n### Stages, {name} (median of {len(runs)} in-process runs)\n")
    print("| stage | seconds | share of parent | calls |")
    print("|---|---:|---:|---:|")
    print(f"| imports before the command | {imports:.2f} | | |")
    print(f"| the command (`main`) | {command:.2f} | | |")
    median = {
        path: statistics.median(values + [0.0] * (len(runs) - len(values)))
        for path, values in seconds.items()
    }
    for path in sorted(median, key=lambda p: [_first(runs, p[: i + 1]) for i in range(len(p))]):
        parent = median.get(path[:-1], command) if len(path) > 1 else command
        share = median[path] / parent if parent > 0 else float("nan")
        indent = "&nbsp;&nbsp;" * (len(path) - 1)
        print(f"| {indent}{path[-1]} | {median[path]:.2f} | {share:.0%} | {calls[path]} |")


def _first(runs: list[dict], path: tuple[str, ...]) -> int:
    """Position of ``path`` among the first run's stages (their order of completion)."""
    for k, row in enumerate(runs[0]["stages"]):
        if tuple(row["path"]) == path:
            return k
    return 10**6


if __name__ == "__main__":
    raise SystemExit(main())
