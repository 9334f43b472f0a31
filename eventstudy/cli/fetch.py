"""``eventstudy fetch``: download daily prices into the cache (online only)."""

from __future__ import annotations

import argparse
import datetime as dt

from eventstudy.cli.options import add_cache_option

EPILOG = """\
Each symbol is fetched from Yahoo Finance (yfinance) with up to 4 attempts, waiting 2, 4 and
8 s after a timeout, a rate limit or a 502/503/504 answer. A symbol Yahoo does not know (or
has no prices for) is not retried and is reported as not found; without a network (the host
does not resolve, no connection can be made) the command stops at the first request, pointing
to `eventstudy cache import`. yfinance's own log lines are silenced. A symbol already cached is skipped unless
--refresh is given (its line says when --start/--end reach outside its cached span); with
--refresh the new history is compared with the cached one and, if
upstream restated any price or volume (a new split or dividend, a revised volume), the file is
replaced and the restatement is recorded in its provenance (and so in every manifest.json that
uses it); cached days the new history no longer has are kept and recorded (vanished) when
nothing was restated, and dropped and recorded (dropped_dates) when it was: they are on the old
adjustment. The
cache keeps what it had whenever a fetch fails.

Symbols follow the grammar of events.csv (NVDA, BRK-B, ^GSPC, 7203.T, EURUSD=X; at most 32
characters); any other is refused before the first request. A symbol cached as a returns series
(cache import --returns), or differing only in case from a cached one, is not fetched.

exit status: 0 every symbol fetched or already cached, 2 a symbol could not be fetched.

examples:
  eventstudy fetch NVDA ORCL --start 2023-01-01 --cache /tmp/cache
  eventstudy fetch SPY --refresh
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "fetch",
        help="download daily prices of SYMBOLS into the cache (needs the network)",
        description="Download daily prices into the price cache, with retries and restatement checks.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("symbols", nargs="+", metavar="SYMBOL", help="Yahoo symbols, e.g. NVDA ^GSPC")
    parser.add_argument(
        "--start", type=_date, default=None, help="first date YYYY-MM-DD (default: 3 years before --end)"
    )
    parser.add_argument("--end", type=_date, default=None, help="last date YYYY-MM-DD (default: today)")
    parser.add_argument(
        "--refresh", action="store_true", help="re-fetch cached symbols and record upstream restatements"
    )
    add_cache_option(parser)
    parser.set_defaults(handler=fetch)


def fetch(args: argparse.Namespace) -> int:
    from eventstudy.data.acquire import FetchOutcome, fetch_symbols
    from eventstudy.data.store import PriceStore
    from eventstudy.errors import DataUnavailableError, InputError
    from eventstudy.output.folder import check_apart
    from eventstudy.symbols import check_symbol

    for symbol in args.symbols:  # every symbol is checked before the first request
        check_symbol(symbol, "SYMBOL")
    end = args.end or dt.date.today()
    start = args.start or _years_before(end, 3)
    if start > end:
        raise InputError("--start", f"{start} is after --end {end}")
    store = PriceStore(check_apart(args.cache))

    def said(outcome: FetchOutcome) -> None:  # as it comes: a later symbol may lose the network
        print(outcome.describe(), flush=True)

    report = fetch_symbols(store, args.symbols, start, end, refresh=args.refresh, on_outcome=said)
    if report.failures:
        failed = "; ".join(f"{symbol}: {reason}" for symbol, reason in report.failures.items())
        asked = len(dict.fromkeys(args.symbols))  # a symbol given twice is fetched once
        raise DataUnavailableError(f"{len(report.failures)} of {asked} symbol(s) not fetched: {failed}")
    return 0


def _date(text: str) -> dt.date:
    from eventstudy.config import FIRST_DATE, LAST_DATE  # here: --help stays light

    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None
    if not FIRST_DATE <= day <= LAST_DATE:  # 9999-12-31 overflowed the day after it
        raise argparse.ArgumentTypeError(f"{text!r} is not a date between {FIRST_DATE} and {LAST_DATE}")
    return day


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier; 29 February gives the 28th in a year without it."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
