"""Command line: a thin layer over the Python API.

Errors in the user's input print one line (file, row, field) on stderr and exit with status 2;
missing data exits with 2 as well; no traceback is shown for either.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from eventstudy.config import StudyConfig, load_config
from eventstudy.errors import DataUnavailableError, EventStudyError, InputError

DESCRIPTION = """\
Event studies of announcements: abnormal returns, CARs, their significance, and the dollars of
market value each announcement created per dollar of the deal.

examples:
  eventstudy cache import ../shared/data/prices ../shared/data/shares
  eventstudy run --config launch.toml --offline
  eventstudy run --events my_events.csv --out reports/mine
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eventstudy",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run a study and write ar.parquet, car.parquet, report.md, manifest.json",
        description="Run the study in EVENTS and write its outputs to --out.\n\n"
        "example:\n  eventstudy run --config launch.toml --offline",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--events",
        type=Path,
        default=Path("events.csv"),
        help="announcement calendar (default: events.csv)",
    )
    run.add_argument("--config", type=Path, help="TOML study configuration (default: built-in defaults)")
    run.add_argument(
        "--offline", action="store_true", help="never use the network; every ticker must be cached"
    )
    run.add_argument("--cache", type=Path, default=Path("cache"), help="price cache folder (default: cache)")
    run.add_argument("--out", type=Path, help="output folder (default: reports/<study name>)")

    cache = commands.add_parser("cache", help="manage the price cache")
    cache_commands = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    importer = cache_commands.add_parser(
        "import",
        help="import Yahoo-format CSVs and shares_outstanding.csv",
        description="Import Yahoo daily price CSVs (Date,Open,High,Low,Close,Adj Close,Volume; file name = "
        "symbol) and shares_outstanding.csv files or folders into the cache.\n\n"
        "example:\n  eventstudy cache import ../shared/data/prices ../shared/data/shares",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    importer.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    importer.add_argument(
        "--cache", type=Path, default=Path("cache"), help="price cache folder (default: cache)"
    )
    listing = cache_commands.add_parser("list", help="list cached symbols with their date range and source")
    listing.add_argument(
        "--cache", type=Path, default=Path("cache"), help="price cache folder (default: cache)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``eventstudy`` console script."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.cache_command == "import":
            return _cache_import(args)
        return _cache_list(args)
    except (InputError, DataUnavailableError) as exc:
        print(f"eventstudy: error: {exc}", file=sys.stderr)
        return 2
    except EventStudyError as exc:
        print(f"eventstudy: error: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from eventstudy.acquire import fetch_missing
    from eventstudy.events import read_events
    from eventstudy.export import save_study
    from eventstudy.store import PriceStore
    from eventstudy.study import run_study

    config = load_config(args.config) if args.config else StudyConfig()
    events = read_events(args.events)
    store = PriceStore(args.cache)
    if not args.offline:
        first = events["announced"].min().date() - dt.timedelta(days=2 * 366)
        last = min(events["announced"].max().date() + dt.timedelta(days=45), dt.date.today())
        fetch_missing(
            store,
            [config.market, *events["ticker"].unique()],
            first,
            last,
            tickers_with_shares=events["ticker"].unique(),
        )
    results = run_study(events, store, config, events_path=args.events)
    out = args.out or Path("reports") / config.name
    save_study(results, out, store=store, events_path=args.events)
    counts = results.car["outcome"].value_counts().to_dict()
    print(
        f"wrote {out}/ ({len(results.events)} event-party rows; outcomes: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        + ")"
    )
    return 0


def _cache_import(args: argparse.Namespace) -> int:
    from eventstudy.importer import import_paths
    from eventstudy.store import PriceStore

    imported = import_paths(PriceStore(args.cache), list(args.paths))
    prices = [f for f in imported if f.kind == "prices"]
    shares = [f for f in imported if f.kind == "shares"]
    print(
        f"imported {len(prices)} price files ({sum(f.rows for f in prices)} rows) and "
        f"{sum(f.rows for f in shares)} share counts for {sum(len(f.symbols) for f in shares)} tickers "
        f"into {args.cache}/"
    )
    return 0


def _cache_list(args: argparse.Namespace) -> int:
    from eventstudy.store import PriceStore

    store = PriceStore(args.cache)
    for symbol in store.price_symbols():
        frame = store.read_prices(symbol)
        source = store.provenance(store.price_path(symbol)).get("source", "?")
        print(
            f"{symbol:<8} {frame['date'].min().date()} .. {frame['date'].max().date()} "
            f"{len(frame):>6} rows  {source}"
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
