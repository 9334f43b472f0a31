"""``eventstudy cache``: import files into the price cache, list what it holds, verify it."""

from __future__ import annotations

import argparse
from pathlib import Path

from eventstudy.cli.options import add_cache_option


def register(commands: argparse._SubParsersAction) -> None:
    cache = commands.add_parser("cache", help="import into and inspect the price cache")
    actions = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    importer = actions.add_parser(
        "import",
        help="import Yahoo-format CSVs and shares_outstanding.csv",
        description="Import Yahoo daily price CSVs (Date,Open,High,Low,Close,Adj Close,Volume; the file "
        "name is the symbol) and shares_outstanding.csv, given as files or folders. Every file is "
        "checked before anything is written.\n\n"
        "example:\n  eventstudy cache import ../shared/data/prices ../shared/data/shares",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    importer.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add_cache_option(importer)
    importer.set_defaults(handler=import_files)
    listing = actions.add_parser("list", help="list cached symbols with their date range and source")
    add_cache_option(listing)
    listing.set_defaults(handler=list_cache)
    verify = actions.add_parser(
        "verify",
        help="check every cache file; list damaged files and leftovers of interrupted writes",
        description="Read every file of the cache with all integrity checks (parquet page checksums,\n"
        "schema, provenance, file name, content hash) and list what is wrong, one line per file.\n"
        "Temporary files left by killed or failed writers are listed too (the files beside them\n"
        "are intact); --clean deletes them.\n\n"
        "exit status: 0 every file is good, 1 problems listed.\n\n"
        "examples:\n  eventstudy cache verify --cache /tmp/cache\n"
        "  eventstudy cache verify --clean     # also delete temporary files of killed writers",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify.add_argument(
        "--clean",
        action="store_true",
        help="delete temporary files left by interrupted writes (never a cache file)",
    )
    add_cache_option(verify)
    verify.set_defaults(handler=verify_cache)


def import_files(args: argparse.Namespace) -> int:
    from eventstudy.data.importer import import_paths
    from eventstudy.data.store import PriceStore

    imported = import_paths(PriceStore(args.cache), list(args.paths))
    prices = [f for f in imported if f.kind == "prices"]
    shares = [f for f in imported if f.kind == "shares"]
    n_tickers = sum(len(f.symbols) for f in shares)
    print(
        f"imported {len(prices)} price files ({sum(f.rows for f in prices)} rows) and "
        f"{sum(f.rows for f in shares)} share counts for {n_tickers} tickers into {args.cache}/"
    )
    return 0


def list_cache(args: argparse.Namespace) -> int:
    from eventstudy.data.store import CacheCorruptError, PriceStore

    store = PriceStore(args.cache)
    for symbol in store.price_symbols():
        try:
            frame = store.read_prices(symbol)
            source = store.provenance(store.price_path(symbol)).get("source", "?")
        except CacheCorruptError as exc:
            print(f"{symbol:<8} DAMAGED ({exc.kind}); see: eventstudy cache verify --cache {args.cache}")
            continue
        first, last = frame["date"].min().date(), frame["date"].max().date()
        print(f"{symbol:<8} {first} .. {last} {len(frame):>6} rows  {source}")
    return 0


def verify_cache(args: argparse.Namespace) -> int:
    from eventstudy.data.store import PriceStore

    store = PriceStore(args.cache)
    if args.clean:
        for path in store.remove_temp_leftovers():
            print(f"removed {path}")
    problems = store.verify()
    for problem in problems:
        print(problem)
    n_files = sum(
        1 for kind in ("prices", "shares", "factors") for _ in (store.root / kind).glob("*.parquet")
    )
    print(f"{len(problems)} problem(s) in {args.cache}/ ({n_files} cache files checked)")
    return 1 if problems else 0
