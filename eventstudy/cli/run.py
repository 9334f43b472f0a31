"""``eventstudy run``: run a study and write its outputs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from eventstudy.cli.options import (
    add_cache_option,
    add_format_option,
    add_scheduler_option,
    input_file,
    out_folder,
)

if TYPE_CHECKING:
    from eventstudy.config import StudyConfig
    from eventstudy.output.folder import Guard
    from eventstudy.results import StudyResults

EPILOG = """\
outputs (in --out, default reports/<study name>/; written all or nothing):
  ar.parquet      one row per (event_id, ticker, tau)
  car.parquet     one row per (event_id, ticker, window)
  events.parquet  the validated calendar, plus one `peer` row per (event, peer)
  stats.parquet   cross-event statistics per (group, window, statistic)
  caar.parquet    CAAR path per group with its bootstrap band
  manifest.json   configuration, peers, versions, input hashes, git commit, command line,
                  and the SHA-256 of every other file written
  report.md       readable summary and methods      (see: eventstudy report --help)
  report.html     the same, self-contained, with sortable tables
  tables.md/.tex  the paper tables (per group and window: CAAR and the main tests)
  figures/*.png   CAR paths, CAAR per group, value vs deal, deal flows, peer heat map
  ar.csv car.csv  with --format csv
  as configured   volume.parquet and volume_stats.parquet (volume), garch.parquet (variance),
                  crosssection.parquet ([[crosssection]]); trades.parquet, backtest.parquet,
                  drift.parquet, backtest.md, calendar_time.parquet ([backtest])
Each parquet file documents its columns (type, unit) in its metadata (eventstudy.schema).

ecosystem peers: every event is also measured on each peer ticker that is not one of its
parties (role `peer`; no deal, never in a value-per-deal table), shown as a heat map of
day-0 abnormal returns. The peers come from `peers = [...]` in the config's [study] table
(launch.toml lists its AI basket); `--peers T1,T2` gives a list of your own, `--no-peers`
none. Offline, every peer must be cached.

with a [backtest] table in the config, the backtest's files join the outputs (see
`eventstudy backtest --help`).

examples:
  eventstudy run --config launch.toml --offline
  eventstudy run --events my_events.csv --cache /tmp/cache --out /tmp/study --no-peers
  eventstudy run --config launch.toml --offline --peers NVDA,AMD,TSM --format csv
  eventstudy verify reports/ai-deal-wave-2025

on a Dask cluster (pip install 'eventstudy-backtester[dask]'; same outputs, see README):
  eventstudy run --config launch.toml --offline --scheduler local:2
  eventstudy run --events big.csv --cache s3://bucket/cache --offline --scheduler tcp://10.0.0.5:8786
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "run",
        help="run a study and write its tables, manifest, report and figures",
        description="Run the study described by an events file (and optionally a TOML config).",
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
        "--config", type=input_file, help="TOML study configuration (default: built-in defaults)"
    )
    parser.add_argument(
        "--model",
        metavar="NAME",
        help="expected-return model, overriding the config: market, constant_mean, market_adjusted, "
        "raw, sector, dimson, scholes_williams, ff3, carhart4, ff5, user_factors, or a registered model",
    )
    parser.add_argument(
        "--offline", action="store_true", help="never use the network; every ticker must be cached"
    )
    add_cache_option(parser, urls=True)
    parser.add_argument("--out", type=out_folder, help="output folder (default: reports/<study name>)")
    peers = parser.add_mutually_exclusive_group()
    peers.add_argument(
        "--peers", metavar="TICKERS", help="comma-separated peer tickers (default: the config's peers)"
    )
    peers.add_argument("--no-peers", action="store_true", help="measure the events' parties only")
    add_format_option(parser)
    add_scheduler_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from eventstudy.output.export import save_study

    if isinstance(args.cache, str) and getattr(args, "scheduler", None) is None:  # a URL (options.py)
        from eventstudy.errors import InputError

        message = "a cache at a URL is read on Dask (--scheduler); give a folder"
        raise InputError("--cache", f"{args.cache}: {message}")
    if getattr(args, "scheduler", None) is not None:  # "" too: parse_scheduler refuses it
        from eventstudy.distributed.cluster import parse_scheduler, require_dask

        require_dask()
        parse_scheduler(args.scheduler)
    config, guard, out = prepare(args)
    results = compute(args, config)
    written = save_study(results, out, formats=args.formats, guard=guard)  # new/../out: out, resolved
    print(outcome_line(results, written))
    return 0


def prepare(args: argparse.Namespace) -> tuple[StudyConfig, Guard, Path]:
    """The configuration with the command line's overrides, and the checked output folder
    (a bad ``--out`` is refused before anything is computed)."""
    from eventstudy.config import StudyConfig, load_config, with_overrides
    from eventstudy.output.folder import Guard, check_apart, check_replaceable, check_target

    model = getattr(args, "model", None)  # the study's model: the file's keys are checked against it
    if args.config:
        config = load_config(args.config, model=model, model_from="--model")
    else:  # `--model ""` is checked (and refused), not ignored
        config = StudyConfig() if model is None else with_overrides(StudyConfig(), "--model", model=model)
    out = args.out or Path("reports") / config.name
    guard = Guard.for_cache(args.cache)
    check_replaceable(check_target(out, guard))
    if not args.offline and isinstance(args.cache, Path):  # a run may fetch into its cache
        check_apart(args.cache)
    return config, guard, out


def compute(args: argparse.Namespace, config: StudyConfig) -> StudyResults:
    """:func:`eventstudy.study.run_study` with the command line's events, cache and peers."""
    from eventstudy.errors import InputError
    from eventstudy.peers import parse_peers

    peers: tuple[str, ...] | None = None
    if getattr(args, "no_peers", False):
        peers = ()
    elif getattr(args, "peers", None) is not None:
        peers = parse_peers(args.peers)
    scheduler = getattr(args, "scheduler", None)
    try:
        if scheduler is not None:
            from eventstudy.distributed import run_distributed

            return run_distributed(
                args.events, args.cache, config, scheduler=scheduler, peers=peers, fetch=not args.offline
            )
        from eventstudy.study import run_study

        return run_study(args.events, args.cache, config, peers=peers, fetch=not args.offline)
    except InputError as exc:
        if exc.path != "peers":  # run_study's name for its peers argument: here --peers
            raise
        raise InputError("--peers", exc.message) from None


def outcome_line(results: StudyResults, out: Path) -> str:
    """``wrote DIR/ (N event-party rows; window outcomes: ok 100; ...)``."""
    from eventstudy.peers import PEER_ROLE
    from eventstudy.volume import pairs_without_volume

    is_peer = results.car["role"] == PEER_ROLE
    counts = results.car.loc[~is_peer, "outcome"].value_counts().to_dict()
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    n_parties = int((results.events["role"] != PEER_ROLE).sum())
    line = f"wrote {out}/ ({n_parties} event-party rows; window outcomes: {summary}"
    if is_peer.any():
        peer_counts = results.car.loc[is_peer, "outcome"].value_counts().to_dict()
        peer_summary = ", ".join(f"{k} {v}" for k, v in sorted(peer_counts.items()))
        line += f"; {int(len(results.events) - n_parties)} event-peer rows: {peer_summary}"
    volume = results.volume
    if volume is not None:  # the pairs the abnormal volume lacks (a turnover study's 38 were said nowhere)
        left = pairs_without_volume(volume).value_counts().to_dict()
        if left:
            said = ", ".join(f"{k} {v}" for k, v in sorted(left.items()))
            line += f"; pairs without abnormal volume: {said}"
    return line + ")"
