"""``eventstudy validate``: check cached prices per ticker against the market's trading days."""

from __future__ import annotations

import argparse

from eventstudy.cli.options import add_cache_option

EPILOG = """\
checks (rules and thresholds: python -c "import eventstudy.data.screening as v; help(v)"):
  duplicate_date, unsorted           the study refuses the ticker
  missing_value, nonpositive_price   price treated as missing (returns of the day and next)
  gap                                a market session without a row (never bridged)
  off_calendar_date                  a row on a day the market was closed (ignored)
  partial_history                    history shorter than the market's (reported)
  suspected_split                    close/adj_close shifts as no dividend does, or both jump
                                     by a split's ratio (the closes off the end's basis withheld)
  suspected_unadjusted_split         adj_close moves >40% by a split ratio, beyond x20 or /20,
                                     or while close does not (adj_close withheld)
  calendar_gap                       on the market proxy: a day most symbols of its exchange
                                     trade that it lacks (validate only; re-import the proxy)
  absurd_price                       open, close or adj_close above 1e9 (withheld)
  absurd_return                      close or adj_close moves beyond x50 or /50 in a day
                                     (that day's price withheld); a study window that loses
                                     returns to either gets the outcome absurd_price
  absurd_open                        open beyond x50 or /50 of the day's close (open withheld:
                                     no backtest entry at it)
returns series (cache import --returns) are checked for blank returns, sessions without a
return (that day only), and returns dated off the calendar (compounded into the next session;
with a returns series as the market, a weekday it lacks on which a series of its exchange has a
row is a gap in its file, and that series' next session is withheld instead), and for absurd
returns (absurd_ret: beyond +4,900% or -98% in a day, -100% included; that day's return
withheld, a study window losing it gets the outcome absurd_price).
Every run records the same findings (but calendar_gap) in manifest.json under "validation".
Symbols follow the grammar of events.csv (HDFC.Bank, ^NSEI, 10107; at most 32 characters).

exit status: 0 no findings, 1 findings listed, 2 a symbol is not cached or its file is damaged
(or no such cache folder).

examples:
  eventstudy validate --cache /tmp/cache
  eventstudy validate NVDA CRWV --market SPY
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "validate",
        help="check cached prices and returns (dates, gaps, missing values, split jumps) per ticker",
        description="Check cached daily prices against the market proxy's trading days.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("symbols", nargs="*", metavar="SYMBOL", help="symbols to check (default: all cached)")
    parser.add_argument(
        "--market", default="SPY", help="market proxy whose dates are the trading calendar (default: SPY)"
    )
    add_cache_option(parser)
    parser.set_defaults(handler=validate)


def validate(args: argparse.Namespace) -> int:
    from eventstudy.data.screening import validate_store
    from eventstudy.data.store import PriceStore, require_cache_folder
    from eventstudy.symbols import check_symbol

    check_symbol(args.market, "--market")
    for symbol in args.symbols:
        check_symbol(symbol, "SYMBOL")
    store = PriceStore(require_cache_folder(args.cache))
    with store.consistent_reads():  # one version of the cache, as a run reads it
        symbols = args.symbols or sorted({*store.symbols("prices"), *store.symbols("returns")})
        found = validate_store(store, symbols, args.market)
    n_issues = 0
    for symbol, issues in found.items():
        if not issues:
            print(f"{symbol}: ok")
        for issue in issues:
            n_issues += 1
            print(f"{symbol}: {issue.kind}: {issue.detail} -> {issue.policy}")
    flagged = sum(1 for issues in found.values() if issues)
    print(f"{n_issues} finding(s) in {flagged} of {len(found)} symbol(s) (calendar: {args.market})")
    return 1 if n_issues else 0
