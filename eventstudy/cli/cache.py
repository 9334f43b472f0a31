"""``eventstudy cache``: import files into the price cache, list what it holds, verify it."""

from __future__ import annotations

import argparse

from eventstudy.cli.options import add_cache_option, input_file

UNREAD_NAMED = 10
"""Most compressed files or workbooks, and most sub-folders, an import names as not read (then their
count)."""


def register(commands: argparse._SubParsersAction) -> None:
    cache = commands.add_parser("cache", help="import into and inspect the price cache")
    actions = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    importer = actions.add_parser(
        "import",
        help="import Yahoo-format CSVs, share counts, earnings dates, French factor files and returns panels",
        description="Import Yahoo daily price CSVs (Date,Open,High,Low,Close,Adj Close,Volume; the file\n"
        "name is the symbol), shares_outstanding.csv, earnings-date files and Ken French daily factor\n"
        "files, given as files or folders, and returns panels given with --returns. Every file is\n"
        "checked before anything is written: one bad file imports nothing. A shares file is merged with the\n"
        "cached counts by as_of (the file's count wins on a day both give); a price file or returns\n"
        "panel replaces its cached series, and one line per series says what that drops or changes.\n\n"
        "returns panels (CSV or parquet; layout chosen by the header):\n"
        "  long   id,date,ret[,market_cap]          one row per (id, date)\n"
        "  crsp   permno,date,ret[,shrout,prc]      CRSP's daily file; market value = |prc| x shrout x 1000\n"
        "  wide   date,<id>,<id>,...                one column per id\n"
        "Their units are declared, never guessed: --units decimal (0.01 = 1%) or --units percent.\n"
        "A missing return removes that day only. Ids follow the grammar of events.csv (HDFC.Bank,\n"
        "RELIANCE.NS, ^NSEI, 10107); two ids that differ only in case are refused, and an id has\n"
        "prices or returns, never both.\n\n"
        "examples:\n"
        "  eventstudy cache import ../shared/data/prices ../shared/data/shares ../shared/data/earnings\n"
        "  eventstudy cache import --returns returns.csv --units percent\n"
        "  eventstudy cache import --returns crsp_dsf.parquet --units decimal",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    importer.add_argument("paths", nargs="*", type=input_file, metavar="PATH")
    importer.add_argument(
        "--returns",
        action="append",
        type=input_file,
        default=[],
        metavar="FILE",
        help="a returns panel (CSV or parquet); may be given several times",
    )
    importer.add_argument(
        "--units",
        choices=["decimal", "percent"],
        help="units of the --returns files (required with --returns): decimal (0.01 = 1%%) or percent",
    )
    importer.add_argument(
        "--definition",
        choices=["simple", "log"],
        help="what the --returns numbers are: simple returns (default) or log returns",
    )
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
        "are intact); --clean deletes them. An import stopped while renaming its files into place\n"
        "(kill -9) leaves some new and some old, which no study reads: --clean finishes its renames.\n\n"
        "exit status: 0 every file is good, 1 problems listed, 2 no such cache folder.\n\n"
        "examples:\n  eventstudy cache verify --cache /tmp/cache\n"
        "  eventstudy cache verify --clean     # also delete temporary files of killed writers",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify.add_argument(
        "--clean",
        action="store_true",
        help="finish the renames of a stopped import and delete temporary files left by interrupted "
        "writes (never a cache file)",
    )
    add_cache_option(verify)
    verify.set_defaults(handler=verify_cache)


def import_files(args: argparse.Namespace) -> int:
    from eventstudy.cli import one_line
    from eventstudy.data.importer import import_paths, unread_folders, unread_packed
    from eventstudy.data.restatements import replaced_history_text, replacement_text
    from eventstudy.data.shares import merge_text
    from eventstudy.data.store import PriceStore
    from eventstudy.errors import InputError, ParameterError
    from eventstudy.output.folder import check_apart
    from eventstudy.text import counted

    if not args.paths and not args.returns:
        raise InputError("cache import", "give files or folders to import (PATH ...) or --returns FILE")
    try:
        imported = import_paths(
            PriceStore(check_apart(args.cache)),
            list(args.paths),
            returns=list(args.returns),
            units=args.units,
            definition=args.definition,
        )
    except ParameterError as exc:  # the API's parameter is the command's flag
        raise InputError(f"--{exc.parameter}", exc.message) from None
    prices = [f for f in imported if f.kind == "prices"]
    shares = [f for f in imported if f.kind == "shares"]
    returns = [f for f in imported if f.kind == "returns"]
    earnings = [f for f in imported if f.kind == "earnings"]
    factors = sorted(symbol for f in imported if f.kind == "factors" for symbol in f.symbols)
    said = []  # the kinds imported: "0 price files (0 rows) and 0 share counts" read as nothing
    if prices:
        said.append(f"{counted(len(prices), 'price file')} ({counted(sum(f.rows for f in prices), 'row')})")
    if shares:
        n_counts, n_tickers = sum(f.rows for f in shares), sum(len(f.symbols) for f in shares)
        said.append(f"{counted(n_counts, 'share count')} for {counted(n_tickers, 'ticker')}")
    if returns:
        n_series, n_missing = sum(len(f.symbols) for f in returns), sum(f.missing for f in returns)
        missing = f", {n_missing} missing" if n_missing else ""  # 3 rows gave "(1 return)" (a finder)
        said.append(
            f"{counted(n_series, 'return series', 'return series')} "
            f"({counted(sum(f.rows for f in returns), 'return')}{missing})"
        )
    if earnings:
        n_dates, n_dated = sum(f.rows for f in earnings), sum(len(f.symbols) for f in earnings)
        said.append(f"{counted(n_dates, 'earnings date')} for {counted(n_dated, 'ticker')}")
    if factors:
        said.append(f"factor files {', '.join(factors)}")
    print(f"imported {', '.join(said) or 'nothing'} into {args.cache}/")
    for file in imported:
        for symbol, record in file.replacements:  # one line per series whose cached rows it changed
            if file.kind == "shares":
                print(one_line(merge_text(symbol, record)))
            elif file.restatement is None:
                what = "earnings dates" if file.kind == "earnings" else file.kind
                print(one_line(replacement_text(symbol, what, record)))
        if file.restatement is not None:
            replacement = next((r for _, r in file.replacements), None)  # a price file: one symbol
            print(one_line(replaced_history_text(file.symbols[0], file.restatement, replacement)))
        if file.ignored_columns:
            columns = ", ".join(map(repr, file.ignored_columns))
            print(one_line(f"{file.source}: not stored: column(s) {columns}"))
    folders = unread_folders(list(args.paths))
    for folder in folders[:UNREAD_NAMED]:
        print(one_line(f"{folder}: a sub-folder with .csv files, not read (give it as a path of its own)"))
    if len(folders) > UNREAD_NAMED:  # 3,000 sub-folders printed 3,000 lines, as archives did
        others = counted(len(folders) - UNREAD_NAMED, "other sub-folder")
        print(f"... and {others} with .csv files, not read either")
    archives = unread_packed(list(args.paths))
    for archive, (what, way_out) in archives[:UNREAD_NAMED]:
        print(one_line(f"{archive}: {what}, not read: {way_out}"))
    if len(archives) > UNREAD_NAMED:  # 3,000 zipped files printed 3,000 lines
        more = len(archives) - UNREAD_NAMED
        others = counted(more, "other compressed file or workbook", "other compressed files or workbooks")
        print(f"... and {others}, not read either")
    return 0


def list_cache(args: argparse.Namespace) -> int:
    from eventstudy.data.store import CacheCorruptError, PriceStore, require_cache_folder
    from eventstudy.text import shell_path

    store = PriceStore(require_cache_folder(args.cache))
    verify = f"eventstudy cache verify --cache {shell_path(args.cache)}"  # a folder named "my cache"
    rows = sorted((symbol, kind) for kind in ("prices", "returns") for symbol in store.symbols(kind))
    stopped = store.interrupted_batch()  # the series below may mix an import's files with older ones
    if stopped:
        print(f"INTERRUPTED IMPORT: {stopped}")
    if not rows:
        print(f"no price or returns series in {args.cache}/ (add some with: eventstudy cache import)")
    for symbol, kind in rows:
        try:
            table = store.read_price_table(symbol) if kind == "prices" else store.read_returns_table(symbol)
            frame = table.frame
            source = store.provenance(store.path(symbol, kind)).get("source", "?")
        except CacheCorruptError as exc:
            state = "NOT A CACHE FILE" if exc.kind == "foreign" else "DAMAGED"
            print(f"{symbol:<8} {state} ({exc.kind}); see: {verify}")
            continue
        first, last = frame["date"].min().date(), frame["date"].max().date()
        print(f"{symbol:<8} {first} .. {last} {len(frame):>6} rows  {source}")
    return 0


def verify_cache(args: argparse.Namespace) -> int:
    from eventstudy.data.store import PriceStore, require_cache_folder

    store = PriceStore(require_cache_folder(args.cache))
    if args.clean:
        for line in store.finish_interrupted_batch():
            print(line)
        for path in store.remove_temp_leftovers():
            print(f"removed {path}")
    problems = store.verify()
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s) in {args.cache}/ ({len(store.files())} cache files checked)")
    return 1 if problems else 0
