"""One study from its files: events -> (fetch) -> estimation -> backtest, in memory.

:func:`run_pipeline` is what ``eventstudy run`` and ``eventstudy verify`` both execute, so a
verification re-runs exactly the computation of the run it checks. Nothing here writes an
output folder (see :func:`eventstudy.output.export.save_study`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from eventstudy.backtest.engine import BacktestResults
    from eventstudy.backtest.rules import BacktestConfig
    from eventstudy.config import StudyConfig
    from eventstudy.data.store import PriceStore
    from eventstudy.study import StudyResults

HISTORY_DAYS = 2 * 366
"""Calendar days of history fetched before the first announcement (covers the estimation window)."""
AFTER_DAYS = 45
"""Calendar days fetched after the last announcement (covers the event windows)."""


@dataclass
class StudyRun:
    """Everything one run computes.

    Attributes
    ----------
    results
        The study (every party and peer row).
    backtest
        The backtest of the listed parties, when a rule was given.
    peers
        The peer tickers the events were extended with.
    events_path
        The events file.
    """

    results: StudyResults
    backtest: BacktestResults | None
    peers: tuple[str, ...]
    events_path: Path


def fetch_range(events: pd.DataFrame, *, after_days: int = AFTER_DAYS) -> tuple[dt.date, dt.date]:
    """The dates to fetch for ``events``: two years before the first announcement to
    ``after_days`` after the last (never after today)."""
    first = events["announced"].min().date() - dt.timedelta(days=HISTORY_DAYS)
    last = min(events["announced"].max().date() + dt.timedelta(days=after_days), dt.date.today())
    return first, last


def backtest_after_days(rule: BacktestConfig) -> int:
    """Calendar days after the last announcement the backtest's longest horizon needs."""
    longest = max(*rule.holding_days, *rule.drift_days)
    return max(AFTER_DAYS, longest * 7 // 5 + 21)


def run_pipeline(
    events_path: str | Path,
    store: PriceStore,
    config: StudyConfig,
    *,
    peers: Sequence[str] = (),
    backtest: BacktestConfig | None = None,
    offline: bool = True,
) -> StudyRun:
    """Read the events, fetch what is missing (unless ``offline``), run the study and backtest.

    Parameters
    ----------
    events_path
        The events file.
    store
        The price cache.
    config
        The study's configuration.
    peers
        Peer tickers measured on every event they are not a party of.
    backtest
        The backtest rule, run on the listed parties (never the peers); None for no backtest.
    offline
        Never use the network: every symbol must be cached.

    Raises
    ------
    InputError, DataUnavailableError
        Bad input or missing data, naming the file, row and field (the parties' errors before
        the peers').
    """
    from eventstudy.data.events import read_events
    from eventstudy.peers import PEER_ROLE, add_peers, require_cached
    from eventstudy.study import load_prices, run_study

    events_path = Path(events_path)
    events = read_events(events_path)
    if offline and peers:
        load_prices(store, events, events_path, config.market)  # the parties' errors come first
        require_cached(store, peers)
    events = add_peers(events, peers)
    if not offline:
        _fetch(store, events, config, backtest)
    results = run_study(events, store, config, events_path=events_path)
    tested = None
    if backtest is not None:
        from eventstudy.backtest.engine import run_backtest

        parties = events[events["role"] != PEER_ROLE]
        tested = run_backtest(parties, store, backtest, config, events_path=events_path)
    return StudyRun(results, tested, tuple(peers), events_path)


def _fetch(store: PriceStore, events: pd.DataFrame, config: StudyConfig, rule: BacktestConfig | None) -> None:
    from eventstudy.data.acquire import fetch_missing
    from eventstudy.data.factors import fetch_missing_french, french_files_for
    from eventstudy.progress import progress
    from eventstudy.study import model_symbols

    tickers = list(events["ticker"].unique())
    first, last = fetch_range(events, after_days=AFTER_DAYS if rule is None else backtest_after_days(rule))
    for symbol in progress(list(dict.fromkeys([*model_symbols(config), *tickers])), desc="fetching"):
        shares = [symbol] if symbol in tickers else []
        fetch_missing(store, [symbol], first, last, tickers_with_shares=shares)
    fetch_missing_french(store, french_files_for(config.model))
