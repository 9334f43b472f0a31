"""``eventstudy backtest``: trade the announcements by a rule and measure the drift after them."""

from __future__ import annotations

import argparse
from pathlib import Path

from eventstudy.cli.options import add_cache_option, input_file, out_folder

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
  calendar_time.parquet       calendar-time portfolio regressions (with calendar_time = [...])

examples:
  eventstudy backtest --config launch.toml --offline
  eventstudy backtest --events my_events.csv --cache /tmp/cache --out /tmp/study
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "backtest",
        help="backtest a rule that trades on the announcements; post-announcement drift",
        description="Trade every announcement by the rule in the config's [backtest] table, with costs "
        "and no look-ahead, and test the drift after the announcements. The study runs too: the "
        "output folder holds one complete run (the study's files and the backtest's).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--events",
        type=input_file,
        default=Path("events.csv"),
        help="announcement calendar (default: events.csv)",
    )
    parser.add_argument(
        "--config",
        type=input_file,
        help="TOML study configuration with a [backtest] table (default: built-in)",
    )
    parser.add_argument(
        "--offline", action="store_true", help="never use the network; every ticker must be cached"
    )
    add_cache_option(parser)
    parser.add_argument("--out", type=out_folder, help="output folder (default: reports/<study name>)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from eventstudy.backtest.export import backtest_files
    from eventstudy.backtest.rules import BacktestConfig
    from eventstudy.cli.run import compute, outcome_line, prepare
    from eventstudy.config import with_overrides
    from eventstudy.output.export import save_study

    config, guard, out = prepare(args)
    if config.backtest is None:  # no [backtest] table: the default rule (the file's errors stay its)
        config = with_overrides(config, "the default [backtest] rule", backtest=BacktestConfig())
    results = compute(args, config)
    written = save_study(results, out, guard=guard)
    if results.backtest is not None:
        print(results.backtest.summary())
        print(f"wrote {', '.join(backtest_files(results.backtest))} to {written}/ beside the study's files")
    print(outcome_line(results, written))
    return 0
