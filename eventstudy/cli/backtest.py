"""``eventstudy backtest``: trade the announcements by a rule and measure the drift after them."""

from __future__ import annotations

import argparse
from pathlib import Path

from eventstudy.cli.options import add_cache_option

EPILOG = """\
the rule is the [backtest] table of the --config file (defaults: enter at the close of day 0,
buy every party, hold 1, 5, 10 and 20 days, equal weights, 10 bps per side):
  [backtest]
  entry = "close_day0"          # or "open_day1"
  holding_days = [1, 5, 10, 20]
  weighting = "equal"           # or "value"
  cost_bps = 10                 # per side
  [backtest.positions]          # role -> long | short | none
  supplier = "long"
  rival = "short"
  default = "long"              # any other role (without it: not traded)

outputs, added to --out (default reports/<study name>/) beside the study's files:
  trades.parquet              one row per (holding period, trade)
  backtest.parquet            daily equity curves of the strategy and the market
  drift.parquet               mean BHAR[+1,+k] per group with t and skewness-adjusted t
  backtest.md                 the report section
  figures/equity_curve.png    equity curves

examples:
  eventstudy backtest --config launch.toml --offline
  eventstudy backtest --events my_events.csv --cache /tmp/cache --out /tmp/study
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "backtest",
        help="backtest a rule that trades on the announcements; post-announcement drift",
        description="Trade every announcement by the rule in the config's [backtest] table, with costs "
        "and no look-ahead, and test the drift after the announcements.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--events", type=Path, default=Path("events.csv"), help="announcement calendar (default: events.csv)"
    )
    parser.add_argument(
        "--config", type=Path, help="TOML study configuration with a [backtest] table (default: built-in)"
    )
    parser.add_argument(
        "--offline", action="store_true", help="never use the network; every ticker must be cached"
    )
    add_cache_option(parser)
    parser.add_argument("--out", type=Path, help="output folder (default: reports/<study name>)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from eventstudy.backtest.engine import run_backtest
    from eventstudy.backtest.export import OUTPUT_FILES, save_backtest
    from eventstudy.backtest.rules import BacktestConfig, load_backtest_config
    from eventstudy.config import StudyConfig, load_config
    from eventstudy.data.events import read_events
    from eventstudy.data.store import PriceStore
    from eventstudy.output.export import input_hashes
    from eventstudy.output.folder import Guard, check_replaceable, check_target

    study = load_config(args.config) if args.config else StudyConfig()
    rule = load_backtest_config(args.config) if args.config else BacktestConfig()
    out = args.out or Path("reports") / study.name
    guard = Guard.for_cache(args.cache)
    check_replaceable(check_target(out, guard))  # refuse a bad --out before computing anything
    events = read_events(args.events)
    store = PriceStore(args.cache)
    if not args.offline:
        from eventstudy.data.acquire import fetch_missing
        from eventstudy.pipeline import backtest_after_days, fetch_range

        tickers = list(events["ticker"].unique())
        first, last = fetch_range(events, after_days=backtest_after_days(rule))
        fetch_missing(store, [study.market, *tickers], first, last, tickers_with_shares=tickers)
    results = run_backtest(events, store, rule, study, events_path=args.events)
    manifest = {
        "study": study.name,
        "config": study.to_dict(),
        "inputs": input_hashes(store, args.events, [study.market, *events["ticker"].unique()], []),
        "cache": str(store.root),
    }
    save_backtest(results, out, guard=guard, manifest=manifest)
    print(results.summary())
    print(f"wrote {', '.join(OUTPUT_FILES)} to {out}/")
    return 0
