"""Run a study: events -> inputs -> returns panel -> model -> AR/CAR -> statistics -> backtest.

:func:`run_study` is the one pipeline: the command line's ``run``, ``backtest`` and ``verify``
and a notebook all call it, and it returns complete results
(:class:`~eventstudy.results.StudyResults`: the per-pair tables, the cross-event statistics,
the CAAR bands, the peers' rows and the backtest when the config has a rule). Writing them is
:func:`eventstudy.output.export.save_study`'s job alone.

The steps, each in its own module::

    data.events.read_events         the calendar, validated (file, row and field in errors)
    peers.add_peers                 one row per (event, peer that is not a party)
    data.acquire.fetch_missing      only with fetch=True: Yahoo through yfinance
    data.inputs.load_inputs         every cache file read and hashed once; the price policy
    timeline.returns.build_panel    returns on the market's trading calendar
    estimate.estimate               day 0, the model fit, AR, CAR, market values, outcomes
    aggregate                       stats.parquet and caar.parquet, per group and window
    backtest.engine.backtest        the trading rule on the listed parties

Every (event, party) row of the events file appears in the outputs: rows that cannot be
estimated carry an ``outcome`` other than ``ok`` and a ``note`` saying why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.config import StudyConfig
from eventstudy.errors import DataUnavailableError, InputError
from eventstudy.results import StudyResults

if TYPE_CHECKING:
    from eventstudy.backtest.engine import BacktestResults
    from eventstudy.backtest.rules import BacktestConfig
    from eventstudy.data.store import PriceStore
    from eventstudy.estimate import PairEstimates
    from eventstudy.factors import FactorTable
    from eventstudy.models import DataNeeds, ExpectedReturnModel

HISTORY_DAYS = 2 * 366
"""Calendar days of history fetched before the first announcement (covers the estimation window)."""
AFTER_DAYS = 45
"""Calendar days fetched after the last announcement (covers the event windows)."""


def run_study(
    events: pd.DataFrame | str | Path,
    store: PriceStore | str | Path,
    config: StudyConfig | None = None,
    *,
    model: ExpectedReturnModel | None = None,
    peers: Sequence[str] | None = None,
    fetch: bool = False,
    events_path: str | Path | None = None,
) -> StudyResults:
    """Run the study of ``events`` on the cache ``store`` and return complete results.

    Parameters
    ----------
    events
        The events file (read with :func:`~eventstudy.data.events.read_events`) or an events
        frame already read.
    store
        The price cache (a :class:`~eventstudy.data.store.PriceStore` or its folder).
    config
        The study's configuration (default: :class:`~eventstudy.config.StudyConfig`'s defaults);
        its ``backtest`` rule, when set, runs the backtest on the listed parties, and its
        ``statistics`` choose the cross-event statistics.
    model
        An expected-return model object; default: the registry's model named in the config
        (:data:`eventstudy.models.MODELS`). Any subclass of
        :class:`~eventstudy.models.ExpectedReturnModel` works, registered or not.
    peers
        Peer tickers measured on every event they are not a party of (default: the config's).
    fetch
        Fetch what the cache lacks from Yahoo (through yfinance) first; False never touches
        the network.
    events_path
        The events file named in errors and hashed into the provenance, when ``events`` is a
        frame.

    Raises
    ------
    InputError, DataUnavailableError
        Bad input or missing data, naming the file, row and field (the parties' errors before
        the peers').
    """
    from eventstudy.aggregate import caar_bands, cross_event_statistics, event_panel
    from eventstudy.data.events import read_events
    from eventstudy.data.inputs import Needs, load_inputs
    from eventstudy.data.screening import annotate_withheld, withheld_return_days
    from eventstudy.data.store import PriceStore
    from eventstudy.estimate import estimate
    from eventstudy.peers import add_peers
    from eventstudy.timeline.returns import build_panel

    config = config or StudyConfig()
    store = store if isinstance(store, PriceStore) else PriceStore(store)
    if not isinstance(events, pd.DataFrame):
        events_path = Path(events)
        events = read_events(events_path)
    peers = tuple(config.peers if peers is None else peers)
    needs = model_needs(config, model)
    if not fetch and peers:
        _require_parties_then_peers(store, events, peers, events_path)
    events = add_peers(events, peers)
    if fetch:
        fetch_inputs(store, events, config, needs)
    inputs = load_inputs(
        store,
        events,
        Needs(config.market, needs.symbols, needs.french, needs.factors_file),
        events_path=events_path,
    )
    model = model or _model_from_config(config, inputs.factors)
    panel = build_panel(inputs.prices, config.market)
    estimates = estimate(events, panel, model, config, shares=inputs.shares)
    withheld = withheld_return_days(inputs.findings)
    if withheld:
        estimates.car = annotate_withheld(estimates.car, panel.calendar, withheld, config.estimation_window)
    methods: dict[str, pd.DataFrame] = {}
    variance = None
    if config.variance != "constant":
        from eventstudy.variance import garch_table, garch_variances

        garch = garch_variances(estimates, config.variance, config.estimation_window)
        variance = garch.event
        methods["garch"] = garch_table(estimates, garch)
    pairs = event_panel(estimates, variance)
    stats = cross_event_statistics(estimates, pairs, config.event_windows, statistics=config.statistics)
    caar = caar_bands(estimates, pairs)
    methods.update(optional_methods(config, estimates, events))
    if config.volume is not None:
        from eventstudy.volume import abnormal_volume

        volume = abnormal_volume(
            estimates,
            inputs.prices,
            config.market,
            config.volume,
            config.event_windows,
            min_obs=config.min_estimation_obs,
        )
        methods["volume"], methods["volume_stats"] = volume.table, volume.stats
    return StudyResults(
        config=config,
        model=model.to_dict(),
        events=events,
        ar=estimates.ar,
        car=estimates.car,
        stats=stats,
        caar=caar,
        backtest=_backtest(events, inputs.prices, inputs.shares, config, inputs.factors),
        peers=peers,
        provenance={"inputs": inputs.record, "validation": inputs.validation(), "cache": str(store.root)},
        estimates=estimates,
        model_object=model,
        **methods,
    )


def optional_methods(
    config: StudyConfig, estimates: PairEstimates, events: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """The tables of the optional methods the config asks for
    (:data:`eventstudy.results.OPTIONAL_TABLES`): the cross-sectional regressions of its
    ``[[crosssection]]`` tables."""
    out: dict[str, pd.DataFrame] = {}
    if config.crosssection:
        from eventstudy.crosssection.regression import cross_sectional_regressions

        out["crosssection"] = cross_sectional_regressions(estimates.car, events, config.crosssection)
    return out


def model_needs(config: StudyConfig, model: ExpectedReturnModel | None = None) -> DataNeeds:
    """What the study needs from the cache: the model object's symbols, or what the registry's
    model named in the config asks for (:meth:`ExpectedReturnModel.needs`), plus the Ken French
    files of the backtest's calendar-time regressions."""
    import dataclasses

    from eventstudy.models import MODELS, DataNeeds

    if model is not None:
        needs = DataNeeds(symbols=tuple(model.symbols))
    else:
        needs = MODELS[config.model].needs(config)
    if config.backtest is not None and config.backtest.calendar_time:
        from eventstudy.backtest.calendar_time import MODEL_FILES

        files = [f for m in config.backtest.calendar_time for f in MODEL_FILES[m]]
        needs = dataclasses.replace(needs, french=tuple(dict.fromkeys([*needs.french, *files])))
    return needs


def _model_from_config(config: StudyConfig, factors: dict) -> ExpectedReturnModel:
    from eventstudy.models import MODELS

    try:
        return MODELS[config.model].from_config(config, factors)
    except ValueError as exc:  # a factor table without a column the model needs
        raise DataUnavailableError(f"model {config.model!r}: {exc}") from None


def _require_parties_then_peers(
    store: PriceStore, events: pd.DataFrame, peers: Sequence[str], events_path: str | Path | None
) -> None:
    """Offline, a party without cached prices is named (file, row) before a peer without them."""
    for row in events.itertuples(index=False):
        if not store.has_prices(row.ticker):
            message = (
                f"no cached prices for {row.ticker!r} in {store.root} "
                f"(import them with: eventstudy cache import PATH --cache {store.root})"
            )
            raise InputError(str(events_path or "events"), message, row=row.source_row, field="ticker")
    for ticker in peers:
        if not store.has_prices(ticker):
            raise DataUnavailableError(
                f"peer {ticker!r} (--peers): no cached prices in {store.root} "
                f"(import them with: eventstudy cache import PATH --cache {store.root}, or use --no-peers)"
            )


def _backtest(
    events: pd.DataFrame,
    prices: dict[str, pd.DataFrame],
    shares: dict[str, pd.DataFrame],
    config: StudyConfig,
    factors: dict[str, FactorTable] | None = None,
) -> BacktestResults | None:
    """The config's backtest on the listed parties (never the peers), or None without a rule
    (``factors``: Ken French's tables of its calendar-time regressions)."""
    if config.backtest is None:
        return None
    from eventstudy.backtest.engine import backtest
    from eventstudy.peers import PEER_ROLE

    parties = events[events["role"] != PEER_ROLE]
    return backtest(
        parties,
        prices,
        config.backtest,
        market=config.market,
        shares=shares,
        study_name=config.name,
        factors=factors,
    )


def fetch_range(events: pd.DataFrame, *, after_days: int = AFTER_DAYS) -> tuple[dt.date, dt.date]:
    """The dates to fetch for ``events``: two years before the first announcement to
    ``after_days`` after the last (never after today)."""
    first = events["announced"].min().date() - dt.timedelta(days=HISTORY_DAYS)
    last = min(events["announced"].max().date() + dt.timedelta(days=after_days), dt.date.today())
    return first, last


def backtest_after_days(rule: BacktestConfig | None) -> int:
    """Calendar days after the last announcement the study needs (the backtest's longest
    horizon, in calendar days, when there is a rule)."""
    if rule is None:
        return AFTER_DAYS
    longest = max(*rule.holding_days, *rule.drift_days)
    return max(AFTER_DAYS, longest * 7 // 5 + 21)


def fetch_inputs(store: PriceStore, events: pd.DataFrame, config: StudyConfig, needs: DataNeeds) -> None:
    """Fetch every symbol, share count and French file the study needs and the cache lacks."""
    from eventstudy.data.acquire import fetch_missing
    from eventstudy.data.factors import fetch_missing_french
    from eventstudy.progress import progress

    tickers = list(dict.fromkeys(events["ticker"].tolist()))
    first, last = fetch_range(events, after_days=backtest_after_days(config.backtest))
    symbols = list(dict.fromkeys([config.market, *needs.symbols, *tickers]))
    for symbol in progress(symbols, desc="fetching"):
        fetch_missing(store, [symbol], first, last, tickers_with_shares=[symbol] if symbol in tickers else [])
    fetch_missing_french(store, needs.french)
