"""``eventstudy run``: run a study and write its outputs."""

from __future__ import annotations

import argparse
from pathlib import Path

from eventstudy.cli.options import add_cache_option, add_format_option
from eventstudy.config import MODELS

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
Each parquet file documents its columns (type, unit) in its metadata (eventstudy.output.schema).

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
    from eventstudy.backtest.rules import load_backtest_config
    from eventstudy.config import StudyConfig, load_config, read_toml, with_overrides
    from eventstudy.data.store import PriceStore
    from eventstudy.output.export import save_study
    from eventstudy.output.folder import Guard, check_replaceable, check_target
    from eventstudy.peers import PEER_ROLE, parse_peers
    from eventstudy.pipeline import run_pipeline

    config = load_config(args.config) if args.config else StudyConfig()
    if args.model:
        config = with_overrides(config, "--model", model=args.model)
    rule = load_backtest_config(args.config) if args.config and "backtest" in read_toml(args.config) else None
    peers = () if args.no_peers else (parse_peers(args.peers) if args.peers is not None else config.peers)
    out = args.out or Path("reports") / config.name
    guard = Guard.for_cache(args.cache)
    check_replaceable(check_target(out, guard))  # refuse a bad --out before computing anything
    store = PriceStore(args.cache)
    done = run_pipeline(args.events, store, config, peers=peers, backtest=rule, offline=args.offline)
    results = done.results
    save_study(
        results,
        out,
        store=store,
        events_path=args.events,
        peers=peers,
        formats=args.formats,
        backtest=done.backtest,
        guard=guard,
    )
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
