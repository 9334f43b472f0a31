"""``eventstudy run``: run a study and write its outputs."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from eventstudy.commands import add_cache_option

EPILOG = """\
outputs (in --out, default reports/<study name>/):
  ar.parquet      one row per (event_id, ticker, tau)
  car.parquet     one row per (event_id, ticker, window)
  events.parquet  the validated calendar
  report.md       readable summary and methods
  manifest.json   configuration, versions, input hashes, command line

examples:
  eventstudy run --config launch.toml --offline
  eventstudy run --events my_events.csv --cache /tmp/cache --out /tmp/study
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "run",
        help="run a study and write ar.parquet, car.parquet, report.md, manifest.json",
        description="Run the study described by an events file (and optionally a TOML config).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--events", type=Path, default=Path("events.csv"), help="announcement calendar (default: events.csv)"
    )
    parser.add_argument("--config", type=Path, help="TOML study configuration (default: built-in defaults)")
    parser.add_argument(
        "--offline", action="store_true", help="never use the network; every ticker must be cached"
    )
    add_cache_option(parser)
    parser.add_argument("--out", type=Path, help="output folder (default: reports/<study name>)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from eventstudy.acquire import fetch_missing
    from eventstudy.config import StudyConfig, load_config
    from eventstudy.events import read_events
    from eventstudy.export import save_study
    from eventstudy.store import PriceStore
    from eventstudy.study import run_study

    config = load_config(args.config) if args.config else StudyConfig()
    events = read_events(args.events)
    store = PriceStore(args.cache)
    if not args.offline:
        tickers = list(events["ticker"].unique())
        first = events["announced"].min().date() - dt.timedelta(days=2 * 366)
        last = min(events["announced"].max().date() + dt.timedelta(days=45), dt.date.today())
        fetch_missing(store, [config.market, *tickers], first, last, tickers_with_shares=tickers)
    results = run_study(events, store, config, events_path=args.events)
    out = args.out or Path("reports") / config.name
    save_study(results, out, store=store, events_path=args.events)
    counts = results.car["outcome"].value_counts().to_dict()
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"wrote {out}/ ({len(results.events)} event-party rows; window outcomes: {summary})")
    return 0
