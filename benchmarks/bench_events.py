"""Reading a 100,000-row events.csv: ``read_events`` against ``pandas.read_csv`` of the same file.

Moved here from the unit tests, which used to assert wall-clock limits (4 s to read, 4 s to
name a bad last row, 15 s for ``eventstudy run`` to reject an uncached ticker on the last row)
and failed on a loaded machine. The tests now check only the results.

Timed, in each round and in this order (the sides interleaved, so a load change hits both):

* ``pandas.read_csv(path, dtype=str)`` -- the floor: parsing the CSV text, no checks;
* ``read_events(path)`` on the valid calendar -- every field checked, the frame built;
* ``read_events(path)`` on the calendar with a bad ``event_id`` on its last row (the error);
* ``eventstudy run`` in-process on a calendar whose last ticker is not cached (exit 2 after
  reading the events and the prices of the tickers before it).

Rounds: ``--rounds`` (default 5). Printed: min and median per case and the ratio of
``read_events`` to ``pandas.read_csv`` measured in the same rounds. The available-memory
check of ``read_events`` runs as it would for a user (this machine's free memory).

Usage::

    .venv/bin/python benchmarks/bench_events.py [--rounds 5] [--rows 100000]

Needs ``../shared/data`` for the last case (skipped without it).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
TARGETS = {"read_events": 4.0, "read_events, bad last row": 4.0, "run rejects the last ticker": 15.0}
"""The limits the unit tests used to assert, in seconds: shown for reference."""


def calendar(rows: int, last_ticker: str | None = None, bad_last_id: bool = False) -> str:
    from eventstudy.data.events import COLUMNS

    tickers = ["NVDA", "ORCL", "MSFT", "AMD", "AVGO", "TSM", "INTC", "META", "AMZN", "GOOGL"]
    lines = [",".join(COLUMNS)]
    for i in range(rows):
        ticker = last_ticker if last_ticker and i == rows - 1 else tickers[i % 10]
        event = f"ev {i // 10}" if bad_last_id and i == rows - 1 else f"ev{i // 10}"
        day = dt.date(2024, 1, 1) + dt.timedelta(days=(i // 10) % 700)
        deal = 1e9 + i // 10  # one deal size per event
        lines.append(f"{event},{day},pre,{ticker},supplier,{deal},g{(i // 10) % 7},headline {i // 10}")
    return "\n".join(lines) + "\n"


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    from eventstudy.cli import main as cli
    from eventstudy.data.events import read_events
    from eventstudy.data.importer import import_paths
    from eventstudy.data.store import PriceStore
    from eventstudy.errors import InputError

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="eventstudy-bench-events-") as folder:
        work = Path(folder)
        valid, bad, uncached = work / "valid.csv", work / "bad.csv", work / "uncached.csv"
        valid.write_text(calendar(args.rows), encoding="utf-8")
        bad.write_text(calendar(args.rows, bad_last_id=True), encoding="utf-8")
        uncached.write_text(calendar(args.rows, last_ticker="ZZZZ"), encoding="utf-8")
        cache = work / "cache"
        if (SHARED / "prices").is_dir():
            import_paths(PriceStore(cache), [SHARED / "prices", SHARED / "shares"])

        def read_bad() -> None:
            try:
                read_events(bad)
            except InputError:
                return
            raise AssertionError("the bad row was not found")

        def run_uncached() -> None:
            command = ["run", "--events", str(uncached), "--offline", "--cache", str(cache)]
            with contextlib.redirect_stderr(io.StringIO()) as err:
                status = cli([*command, "--out", str(work / "out")])
            assert status == 2 and "field 'ticker'" in err.getvalue(), err.getvalue()

        cases = {
            "pandas.read_csv (floor)": lambda: pd.read_csv(valid, dtype=str, keep_default_na=False),
            "read_events": lambda: read_events(valid),
            "read_events, bad last row": read_bad,
        }
        if cache.is_dir():
            cases["run rejects the last ticker"] = run_uncached
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, call in cases.items():
                times[name].append(timed(call))
    print(f"| {args.rows:,} rows, {args.rounds} rounds | min s | median s | former test limit s |")
    print("|---|---|---|---|")
    for name, walls in times.items():
        limit = TARGETS.get(name)
        print(
            f"| {name} | {min(walls):.2f} | {statistics.median(walls):.2f} | "
            f"{'' if limit is None else f'{limit:g}'} |"
        )
    floor = times["pandas.read_csv (floor)"]
    ratios = [a / b for a, b in zip(times["read_events"], floor, strict=True)]
    median = statistics.median(ratios)
    print(f"\nread_events / pandas.read_csv, same rounds: min {min(ratios):.1f}x, median {median:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
