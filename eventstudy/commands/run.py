"""``eventstudy run``: run a study and write its outputs."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from eventstudy.commands import add_cache_option, add_format_option
from eventstudy.config import MODELS

if TYPE_CHECKING:
    import pandas as pd

    from eventstudy.backtest.engine import BacktestResults
    from eventstudy.config import StudyConfig
    from eventstudy.store import PriceStore

EPILOG = """\
outputs (in --out, default reports/<study name>/; written all or nothing):
  ar.parquet      one row per (event_id, ticker, tau)
  car.parquet     one row per (event_id, ticker, window)
  events.parquet  the validated calendar, plus one `peer` row per (event, peer)
  manifest.json   configuration, peers, versions, input hashes, git commit, command line
  report.md       readable summary and methods      (see: eventstudy report --help)
  report.html     the same, self-contained, with sortable tables
  figures/*.png   CAR paths, CAAR per group, value vs deal, money loop, peer heat map
  ar.csv car.csv  with --format csv
Each parquet file documents its columns (type, unit) in its metadata (eventstudy.schema).

ecosystem peers: every event is also measured on each peer ticker that is not one of its
parties (role `peer`; no deal, never in a value-per-deal table), shown as a heat map of
day-0 abnormal returns. The peers come from `peers = [...]` in the config's [study] table
(launch.toml lists the AI basket); `--peers` alone uses the AI basket (%(basket)s),
`--peers T1,T2` a list of your own, `--no-peers` none. Offline, every peer must be cached.

examples:
  eventstudy run --config launch.toml --offline
  eventstudy run --events my_events.csv --cache /tmp/cache --out /tmp/study --no-peers
  eventstudy run --config launch.toml --offline --peers NVDA,AMD,TSM --format csv
  eventstudy verify reports/ai-deal-wave-2025
"""


def register(commands: argparse._SubParsersAction) -> None:
    from eventstudy.peers import AI_BASKET

    parser = commands.add_parser(
        "run",
        help="run a study and write its tables, manifest, report and figures",
        description="Run the study described by an events file (and optionally a TOML config).",
        epilog=EPILOG.replace("%(basket)s", ",".join(AI_BASKET)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--events", type=Path, default=Path("events.csv"), help="announcement calendar (default: events.csv)"
    )
    parser.add_argument("--config", type=Path, help="TOML study configuration (default: built-in defaults)")
    parser.add_argument(
        "--model",
        choices=MODELS,
        metavar="NAME",
        help=f"expected-return model, overriding the config ({', '.join(MODELS)})",
    )
    parser.add_argument(
        "--offline", action="store_true", help="never use the network; every ticker must be cached"
    )
    add_cache_option(parser)
    parser.add_argument("--out", type=Path, help="output folder (default: reports/<study name>)")
    peers = parser.add_mutually_exclusive_group()
    peers.add_argument(
        "--peers",
        nargs="?",
        const=",".join(AI_BASKET),
        metavar="TICKERS",
        help="comma-separated peer tickers; alone: the AI basket (default: the config's peers)",
    )
    peers.add_argument("--no-peers", action="store_true", help="measure the events' parties only")
    add_format_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from eventstudy.acquire import fetch_missing
    from eventstudy.config import StudyConfig, load_config, with_overrides
    from eventstudy.events import read_events
    from eventstudy.export import save_study
    from eventstudy.factors import fetch_missing_french, french_files_for
    from eventstudy.peers import PEER_ROLE, add_peers, parse_peers, require_cached
    from eventstudy.progress import progress
    from eventstudy.store import PriceStore
    from eventstudy.study import load_prices, model_symbols, run_study

    config = load_config(args.config) if args.config else StudyConfig()
    if args.model:
        config = with_overrides(config, "--model", model=args.model)
    peers = () if args.no_peers else (parse_peers(args.peers) if args.peers is not None else config.peers)
    events = read_events(args.events)
    store = PriceStore(args.cache)
    if args.offline and peers:
        load_prices(store, events, args.events, config.market)  # the parties' errors come first
        require_cached(store, peers)
    events = add_peers(events, peers)
    if not args.offline:
        tickers = list(events["ticker"].unique())
        first = events["announced"].min().date() - dt.timedelta(days=2 * 366)
        last = min(events["announced"].max().date() + dt.timedelta(days=45), dt.date.today())
        for symbol in progress(list(dict.fromkeys([*model_symbols(config), *tickers])), desc="fetching"):
            shares = [symbol] if symbol in tickers else []
            fetch_missing(store, [symbol], first, last, tickers_with_shares=shares)
        fetch_missing_french(store, french_files_for(config.model))
    results = run_study(events, store, config, events_path=args.events)
    parties = events[events["role"] != PEER_ROLE]
    backtest = _backtest(args, parties, store, config)  # computed before anything is written
    out = args.out or Path("reports") / config.name
    save_study(
        results,
        out,
        store=store,
        events_path=args.events,
        peers=peers,
        formats=args.formats,
        report=backtest is None,
    )
    if backtest is not None:
        from eventstudy.backtest.export import save_backtest
        from eventstudy.report import render_report

        save_backtest(backtest, out)
        render_report(out)
    is_peer = results.car["role"] == PEER_ROLE
    counts = results.car.loc[~is_peer, "outcome"].value_counts().to_dict()
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    n_parties = int((results.events["role"] != PEER_ROLE).sum())
    line = f"wrote {out}/ ({n_parties} event-party rows; window outcomes: {summary}"
    if is_peer.any():
        peer_counts = results.car.loc[is_peer, "outcome"].value_counts().to_dict()
        peer_summary = ", ".join(f"{k} {v}" for k, v in sorted(peer_counts.items()))
        line += f"; {int(len(results.events) - n_parties)} event-peer rows: {peer_summary}"
    print(line + ")")
    return 0


def _backtest(
    args: argparse.Namespace, events: pd.DataFrame, store: PriceStore, config: StudyConfig
) -> BacktestResults | None:
    """The backtest of the config's ``[backtest]`` table on the listed parties, or None without one."""
    from eventstudy.config import read_toml

    if args.config is None or "backtest" not in read_toml(args.config):
        return None
    from eventstudy.backtest.engine import run_backtest
    from eventstudy.backtest.rules import load_backtest_config

    return run_backtest(events, store, load_backtest_config(args.config), config, events_path=args.events)
