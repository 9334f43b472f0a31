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
    timeline.returns.build_panel    returns (from prices or returns series) on the market's calendar
    estimate.estimate               day 0, the model fit, AR, CAR, market values, outcomes
    timeline.confounders            other news in each window (earnings, other events, news file)
    aggregate                       stats.parquet and caar.parquet, per group and window
    backtest.engine.backtest        the trading rule on the listed parties

Every (event, party) row of the events file appears in the outputs: rows that cannot be
estimated carry an ``outcome`` other than ``ok`` and a ``note`` saying why.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.config import PROXY_PEER, StudyConfig, day_zero_problem, model_option_problem, proxy_series
from eventstudy.errors import DataUnavailableError, InputError, PeerDataError, as_path
from eventstudy.inference.bootstrap import CAAR_BAND
from eventstudy.multiple_testing import P_FAMILY
from eventstudy.results import OBJECT_MODEL, StudyResults

if TYPE_CHECKING:
    from eventstudy.aggregate import PairTables
    from eventstudy.backtest.engine import BacktestResults
    from eventstudy.backtest.rules import BacktestConfig
    from eventstudy.data.inputs import StudyInputs
    from eventstudy.data.remote import CacheReader
    from eventstudy.data.store import PriceStore
    from eventstudy.estimate import PairEstimates
    from eventstudy.factors import FactorTable
    from eventstudy.models import DataNeeds, ExpectedReturnModel
    from eventstudy.timeline.returns import ReturnSeries
    from eventstudy.valuation import ImplausibleCount

HISTORY_DAYS = 2 * 366
"""Least calendar days of history fetched before the first announcement (the default estimation
window's 260 sessions and more; a longer window fetches more, :func:`fetch_range`)."""
AFTER_DAYS = 45
"""Least calendar days fetched after the last announcement (the default event windows and more; a
longer window or backtest horizon fetches more)."""


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
        frame, checked as its file would be (:func:`~eventstudy.data.events.events_from_frame`).
    store
        The price cache (a :class:`~eventstudy.data.store.PriceStore` or its folder).
    config
        The study's configuration (default: :class:`~eventstudy.config.StudyConfig`'s defaults);
        its ``backtest`` rule, when set, runs the backtest on the listed parties, and its
        ``statistics`` choose the cross-event statistics.
    model
        An expected-return model object; default: the registry's model named in the config
        (:data:`eventstudy.models.MODELS`). Any subclass of
        :class:`~eventstudy.models.ExpectedReturnModel` works, registered or not; a factor model
        is built on its tables, ``FamaFrench3Model.on(tables)`` (its bare constructor needs them).
    peers
        Peer tickers measured on every event they are not a party of (default: the config's).
    fetch
        Fetch what the cache lacks from Yahoo (through yfinance) first; False never touches
        the network.
    events_path
        The events file named in errors and hashed into the provenance, when ``events`` is a
        frame: the file the frame was read from, holding its events in its order (``verify``
        re-runs the study from it), or None for events of one's own making (the manifest then
        records their content hash).

    Raises
    ------
    InputError, DataUnavailableError
        Bad input or missing data, naming the file, row and field (the parties' errors before
        the peers').
    """
    from eventstudy.aggregate import caar_bands, cross_event_statistics, event_panel
    from eventstudy.data.events import events_record
    from eventstudy.data.inputs import Needs, load_inputs
    from eventstudy.data.store import PriceStore
    from eventstudy.estimate import estimate
    from eventstudy.peers import add_peers
    from eventstudy.timeline.returns import ReturnSeries, build_panel

    config, peers = checked_arguments(events, store, config, model, peers, fetch)
    store = store if isinstance(store, PriceStore) else PriceStore(store)
    events, events_path, where = study_events(events, events_path, config)
    recorded = events_record(events, events_path)
    needs = model_needs(config, model)
    if not fetch:
        require_config_inputs(store, config, needs)
    if not fetch and peers:
        _require_parties_then_peers(store, events, peers, events_path)
    events = add_peers(events, peers)
    if fetch:
        fetch_inputs(store, events, config, needs)
    inputs = load_inputs(
        store,
        events,
        Needs(config.market, needs.symbols, needs.french, needs.factors_file, config.news_file),
        events_path=events_path,
        events_record=recorded,
    )
    given = model
    model = model or _model_from_config(config, inputs.factors)
    _check_benchmarks(events, model, where)
    check_share_counts(store, inputs)
    if config.backtest is not None:
        _require_prices_for_backtest(events, inputs, config, where)
    series = {s: ReturnSeries(frame, inputs.definitions[s]) for s, frame in inputs.returns.items()}
    check_log_returns(series, config)
    panel = build_panel(inputs.prices, config.market, returns=series, definition=config.returns)
    if config.day0_rule == "error":
        _require_sessions(events, panel.calendar, config, where)
    estimates = estimate(events, panel, model, config, shares=inputs.shares, restatements=inputs.restatements)
    estimates.car = inputs.annotate_withheld(estimates.car, panel.calendar, estimates.estimation_window)
    screen = bool(inputs.record.get("earnings"))  # a ticker of the study has a calendar
    estimates.car = screen_confounders(
        estimates, inputs.earnings, inputs.news, config, screen_earnings=screen
    )
    methods: dict[str, pd.DataFrame] = {}
    variance = None
    if config.variance != "constant":
        from eventstudy.variance import garch_table, garch_variances

        garch = garch_variances(estimates, config.variance, estimates.estimation_window)
        variance = garch.event
        methods["garch"] = garch_table(estimates, garch)
    pairs = event_panel(estimates, variance)
    stats = cross_event_statistics(
        estimates,
        pairs,
        config.event_windows,
        statistics=config.statistics,
        exclude_confounded=config.exclude_confounded,
    )
    caar = caar_bands(estimates, pairs, exclude_confounded=config.exclude_confounded)
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
            exclude_confounded=config.exclude_confounded,
            statistics=config.statistics,
            caveats=config.share_caveats,
        )
        methods["volume"], methods["volume_stats"] = volume.table, volume.stats
    recorded_config, model_record = recorded_model(config, model, given, inputs.factors)
    return StudyResults(
        config=recorded_config,
        model=model_record,
        events=events,
        ar=estimates.ar,
        car=estimates.car,
        stats=stats,
        caar=caar,
        backtest=_backtest(events, inputs.prices, inputs.shares, config, inputs.factors, inputs.restatements),
        peers=peers,
        provenance={"inputs": inputs.record, "validation": inputs.validation(), "cache": str(store.root)},
        estimates=estimates,
        model_object=model,
        caar_band=CAAR_BAND,
        p_family=P_FAMILY,
        **methods,
    )


def screen_confounders(
    estimates: PairEstimates,
    earnings: pd.DataFrame | None,
    news: pd.DataFrame | None,
    config: StudyConfig,
    *,
    screen_earnings: bool,
) -> pd.DataFrame:
    """``estimates.car`` with the confounder screen's columns appended
    (:func:`eventstudy.timeline.confounders.confounder_columns`: ``confounders``, ``confounded``,
    ``dominant_tau``, ``dominant_date``). ``screen_earnings``: some ticker of the whole study has
    an earnings calendar, so every window is screened for earnings or marked as not screened."""
    from eventstudy.timeline.confounders import confounder_columns

    flags = confounder_columns(
        estimates.car,
        estimates.ar,
        estimates.panel.calendar,
        earnings=earnings,
        news=news,
        screen_earnings=screen_earnings,
        min_t=config.dominant_day_t,
        min_share=config.dominant_day_share,
        events=estimates.events,
        events_are_earnings=config.events_are_earnings,
    )
    return pd.concat([estimates.car, flags], axis=1)


def optional_methods(
    config: StudyConfig, estimates: PairTables, events: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """The tables of the optional methods the config asks for
    (:data:`eventstudy.results.OPTIONAL_TABLES`): the cross-sectional regressions of its
    ``[[crosssection]]`` tables (without the confounded windows with ``exclude_confounded``)."""
    out: dict[str, pd.DataFrame] = {}
    if config.crosssection:
        from eventstudy.crosssection.regression import cross_sectional_regressions

        out["crosssection"] = cross_sectional_regressions(
            estimates.car,
            events,
            config.crosssection,
            config.flows,
            exclude_confounded=config.exclude_confounded,
        )
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


def recorded_model(
    config: StudyConfig,
    model: ExpectedReturnModel,
    given: ExpectedReturnModel | None,
    factors: Mapping[str, FactorTable],
) -> tuple[StudyConfig, dict[str, Any]]:
    """The config and the model record of results whose model is ``model`` (``given``: the object
    passed to :func:`run_study`, or None for the config's), so that the record never
    contradicts itself.

    A model object that the registry's class of its name builds from the config with only
    ``model`` set to that name (the same class and record, e.g. ``ConstantMeanModel()``, or
    ``MarketModel("SPY")`` on a config on SPY) is recorded as that config, which
    ``eventstudy verify`` re-runs. Any other (``MarketModel("QQQ")`` on a config on SPY, a model
    of the user's) keeps the config and is marked :data:`~eventstudy.results.OBJECT_MODEL` in
    its record.
    """
    record = model.to_dict()
    if given is None:
        return config, record
    built = _config_building(config, given, factors)
    if built is None:
        return config, {**record, OBJECT_MODEL: True}
    return built, record


def _config_building(
    config: StudyConfig, model: ExpectedReturnModel, factors: Mapping[str, FactorTable]
) -> StudyConfig | None:
    """``config`` naming ``model``'s registered class, when that class builds ``model`` exactly
    from it and ``factors`` (the same class, record and fields); else None."""
    import dataclasses

    from eventstudy.models import MODELS

    if MODELS.get(model.name) is not type(model):
        return None
    try:
        candidate = dataclasses.replace(config, model=model.name)
        rebuilt = type(model).from_config(candidate, factors)
    except (KeyError, ValueError, NotImplementedError):  # a setting or a factor table it lacks
        return None
    try:  # records compare as values; settings holding arrays compare as arrays, not a truth
        differs = type(rebuilt) is not type(model) or bool(rebuilt.to_dict() != model.to_dict())
    except (TypeError, ValueError):
        return None
    if differs:
        return None
    try:
        same = bool(rebuilt == model)
    except (TypeError, ValueError):  # fields that compare as arrays (factor tables: in the record)
        same = True
    return candidate if same else None


def _model_from_config(config: StudyConfig, factors: dict) -> ExpectedReturnModel:
    from eventstudy.models import MODELS

    try:
        return MODELS[config.model].from_config(config, factors)
    except ValueError as exc:  # a factor table without a column the model needs
        raise DataUnavailableError(f"model {config.model!r}: {exc}") from None


def check_log_returns(series: Mapping[str, ReturnSeries], config: StudyConfig) -> None:
    """With ``returns = "log"``, refuse a returns series holding a simple return of -100% that
    the study keeps (``extreme_ret``: the last return, a delisting's; one followed by more
    returns is withheld as ``absurd_ret``): it has no log return, and was dropped as a missing
    day without a word (the estimation lost a day; on day 0 the note said "no return" of a day
    the file has).

    Raises
    ------
    InputError
        Naming the config's ``study.returns``, the series and the first such day.
    """
    if config.returns != "log":
        return
    for symbol, returns in series.items():
        if returns.definition == "log":
            continue
        values = returns.frame["ret"].to_numpy(float)
        lost = np.flatnonzero(values <= -1.0)
        if lost.size:
            day = pd.Timestamp(returns.frame["date"].iloc[lost[0]]).date()
            message = (
                f"{symbol}'s return of {values[lost[0]]:.0%} on {day} has no log return; use "
                'returns = "simple", or remove the day from the series'
            )
            raise InputError(config.where, message, field="study.returns")


def require_config_inputs(store: CacheReader, config: StudyConfig, needs: DataNeeds) -> None:
    """Offline, the market proxy or the sector proxy without a cached series, or a news or
    factors file that is not there, is named by its key in the config (``study.market``,
    ``study.sector``, ``study.news_file``, ``study.factors_file``), before any series is read;
    a cache folder that is not there, by its path."""
    from eventstudy.data.store import PriceStore, require_cache_folder

    if isinstance(store, PriceStore):  # a RemoteCache is at a URL
        require_cache_folder(store.root)
    where = config.where
    keys = {config.sector: "study.sector", config.market: "study.market"}
    other = f"for a market other than {config.market}, set study.market in a config (--config)"
    for symbol in dict.fromkeys([config.market, *needs.symbols]):
        if symbol in keys and not store.has_series(symbol):
            default = keys[symbol] == "study.market" and config.market == StudyConfig.market  # maybe unasked
            message = store.not_cached(symbol, "prices or returns", other if default else "")
            raise InputError(where, message, field=keys[symbol])
    for key, name in (("news_file", config.news_file), ("factors_file", needs.factors_file)):
        if name is not None and "://" not in name and not Path(name).is_file():
            message = (
                f"{name} is not a file (a relative path is relative to the working directory, "
                f"{Path.cwd()})"
            )
            raise InputError(where, message, field=f"study.{key}")


def _require_parties_then_peers(
    store: PriceStore, events: pd.DataFrame, peers: Sequence[str], events_path: str | Path | None
) -> None:
    """Offline, a party without a cached series is named (file, row) before a peer without one."""
    for ticker, source_row in zip(events["ticker"].tolist(), events["source_row"].tolist(), strict=True):
        if not store.has_series(ticker):
            message = store.not_cached(ticker, "prices or returns")
            raise InputError(str(events_path or "events"), message, row=source_row, field="ticker")
    for ticker in peers:
        if not store.has_series(ticker):
            raise PeerDataError(ticker, store.not_cached(ticker, "prices or returns", "use --no-peers"))


def checked_arguments(
    events: object, store: object, config: object, model: object, peers: object, fetch: object = False
) -> tuple[StudyConfig, tuple[str, ...]]:
    """The config (default :class:`StudyConfig`'s) and peers (default the config's) of a study
    run from Python, once the arguments of :func:`run_study` are of the types it takes
    (``fetch`` a bool: ``fetch="no"`` is true, and went to the network).

    Raises
    ------
    TypeError
        Naming the argument and what it got: a config file's path where a :class:`StudyConfig`
        belongs, a model's name where a model object does, a string of peers (``"AMD"`` would be
        A, M and D), ...
    InputError
        For a peer that is not a ticker or is listed twice (:func:`~eventstudy.peers.check_peers`).
    """
    from eventstudy.data.remote import RemoteCache
    from eventstudy.data.store import PriceStore
    from eventstudy.models import ExpectedReturnModel
    from eventstudy.peers import check_peers

    if not isinstance(fetch, bool):
        raise TypeError(f"fetch must be True or False, not {fetch!r}")
    if not isinstance(events, pd.DataFrame | str | os.PathLike):
        kind = type(events).__name__
        raise TypeError(f"events must be an events file (a path) or a pandas DataFrame, not {kind}")
    if not isinstance(store, PriceStore | RemoteCache | str | os.PathLike):
        kind = type(store).__name__
        raise TypeError(f"store must be a PriceStore or the cache's folder (a path), not {kind}")
    for argument, value in (("events", events), ("store", store)):
        if isinstance(value, str | os.PathLike):  # "" is the working directory (store "" read it)
            as_path(value, argument)
    if config is None:
        config = StudyConfig()
    if not isinstance(config, StudyConfig):
        raise TypeError(
            "config must be a StudyConfig (read a file with eventstudy.load_config), "
            f"not {type(config).__name__}"
        )
    problem = day_zero_problem(config)
    if problem:  # as load_config refuses it
        raise InputError(config.source or "config", problem, field="estimation_window")
    if model is not None and not isinstance(model, ExpectedReturnModel):
        if isinstance(model, type):
            name = model.__name__
            raise TypeError(
                f"model must be an ExpectedReturnModel, not the class {name}: pass an instance, {name}(...)"
            )
        hint = ""
        if isinstance(model, str):
            hint = f": to use the registered model {model!r}, pass StudyConfig(model={model!r})"
        raise TypeError(f"model must be an ExpectedReturnModel, not {type(model).__name__}{hint}")
    # Checked against the model that runs (a model object's name replaces the config's in the record).
    option = model_option_problem(config, model.name if model is not None else None)
    if option:  # as load_config refuses a file's key
        raise InputError(config.source or "config", option[1], field=option[0])
    # the config's peers are checked with it against its own model; a model object's series too
    # (SectorModel(sector="SOXX") beside peers SOXX gave rows of outcome market_proxy: a re-attack)
    chosen = config.peers if peers is None else check_peers(peers, source="peers")  # type: ignore[arg-type]
    proxies = {*(() if peers is None else proxy_series(config)), *(() if model is None else model.symbols)}
    proxy = next((name for name in chosen if name in proxies), None)
    if proxy is not None:
        source = "peers" if peers is not None else config.source or "config"
        raise InputError(source, f"{proxy} {PROXY_PEER}", field="peers")
    return config, chosen


def study_events(
    events: pd.DataFrame | str | Path,
    events_path: str | Path | None,
    config: StudyConfig,
    *,
    memory_per_row: int | None = None,
) -> tuple[pd.DataFrame, Path | None, str]:
    """The study's events, read from their file or checked as a frame built in Python
    (:func:`~eventstudy.data.events.events_from_frame`), and checked against the config's
    ``[[flows]]``, ``[[shares.caveats]]`` and ``[backtest.positions]`` (whose errors name the
    config's file, :attr:`StudyConfig.source`): (events, their file or None, the name errors
    give them). ``memory_per_row`` is the file's size check (default :func:`read_events`')."""
    from eventstudy.backtest.rules import check_position_roles
    from eventstudy.crosssection.flows import check_flow_parties
    from eventstudy.data.events import events_from_frame, read_events

    if isinstance(events, pd.DataFrame):
        path = as_path(events_path, "events_path") if events_path is not None else None
        if path is not None and not path.is_file():  # the manifest records its hash: it must be one
            problem = "is not a file; events_path names the file the frame's events came from, or is None"
            raise InputError(str(path), problem, field="events_path")
        frame = events_from_frame(events, path or "events")
        if path is not None:
            _check_events_file(frame, path)
    else:
        path = Path(events)
        size_check = {} if memory_per_row is None else {"memory_per_row": memory_per_row}
        frame = read_events(path, **size_check)
    where = str(path or "events")
    # The checks against the events name the config, whose keys they name.
    config_where = config.where
    check_flow_parties(frame, config.flows, config_where)
    _check_caveat_tickers(frame, config, config_where)
    if config.backtest is not None:
        check_position_roles(frame["role"].astype(str), config.backtest, config_where)
    return frame, path, where




def _check_events_file(frame: pd.DataFrame, path: Path) -> None:
    """Refuse a frame whose events are not ``path``'s: the manifest records that file as the
    study's events, so ``verify`` would re-run another study (a filtered frame passed with the
    whole file's path was said only there)."""
    from eventstudy.data.events import events_sha256, read_events

    try:
        recorded = read_events(path)
    except InputError as exc:
        problem = (
            f"cannot be read as events ({exc}); events_path names the file the frame's events came "
            "from, or is None"
        )
        raise InputError(str(path), problem, field="events_path") from exc
    if events_sha256(recorded) != events_sha256(frame):
        raise InputError(
            str(path),
            f"holds other events than the frame, or in another order ({len(recorded)} rows against "
            f"{len(frame)}); pass the file itself, or events_path=None for events of your own (the "
            "manifest then records their content hash)",
            field="events_path",
        )


def check_share_counts(store: CacheReader, inputs: StudyInputs) -> None:
    """Stop at the first ticker (in events order) with a share count below its median daily
    volume or far above it (:func:`first_implausible_count`), naming its cache file."""
    found = first_implausible_count(inputs)
    if found is not None:
        raise share_count_error(store, found)


def first_implausible_count(inputs: StudyInputs) -> ImplausibleCount | None:
    """The first ticker's (in events order) share count below its median daily volume or far
    above it (:func:`~eventstudy.valuation.implausible_count`: a count in thousands or millions
    read as units, or units read as thousands); a ticker without prices (a returns file) is not
    checked."""
    from eventstudy.valuation import implausible_count

    for ticker, frame in inputs.shares.items():
        prices = inputs.prices.get(ticker)
        found = None if prices is None else implausible_count(ticker, frame, prices)
        if found is not None:
            return found
    return None


def share_count_error(store: CacheReader, found: ImplausibleCount) -> InputError:
    """The one line naming the cache file of ``found``'s ticker."""
    return InputError(str(store.path(found.ticker, "shares")), found.describe(), field="shares_outstanding")


def _check_caveat_tickers(events: pd.DataFrame, config: StudyConfig, where: str) -> None:
    """A ``[[shares.caveats]]`` ticker that differs from an events ticker or a configured peer
    only in case (``intc`` beside ``INTC``) would attach to no row, silently: symbols are
    case-sensitive."""
    from eventstudy.symbols import case_twins

    tickers = [*config.peers, *events["ticker"].astype(str)]
    found = next(case_twins([c.ticker for c in config.share_caveats], tickers), None)
    if found is not None:
        i, ticker, twin = found
        raise InputError(
            where,
            f"the config's [[shares.caveats]] entry {i} names {ticker!r}, which differs from "
            f"the study's ticker {twin!r} only in case: symbols are case-sensitive, so the caveat "
            "would attach to no row; correct the config",
            field=f"shares.caveats[{i}].ticker",
        )


def _check_benchmarks(events: pd.DataFrame, model: ExpectedReturnModel, where: str) -> None:
    """A per-event ``market`` needs a model with a market benchmark, and may not be another of its
    regressors (a sector proxy: the two columns would be one, the fit singular), naming the first
    such row."""
    if "market" not in events.columns:
        return
    given = events["market"].fillna("") != ""
    if model.benchmark is None:
        refused = given
        problem = (
            f"model {model.name!r} has no market benchmark, so a per-event market cannot apply "
            "(choose a market-based model: market, market_adjusted, sector, dimson, scholes_williams)"
        )
    else:
        refused = given & events["market"].isin(set(model.symbols) - {model.benchmark})
        problem = (
            f"it is also a regressor of model {model.name!r} (beside the market), so the estimation "
            "would be singular: name another market for this row"
        )
    if refused.any():
        row = events.loc[refused].iloc[0]
        raise InputError(where, f"{row['market']!r}: {problem}", row=int(row["source_row"]), field="market")


def _require_prices_for_backtest(
    events: pd.DataFrame, inputs: StudyInputs, config: StudyConfig, where: str
) -> None:
    """The backtest trades at prices (a close or an open): every listed party and its market
    need prices, not only returns; the first that lacks them is named in one line."""
    from eventstudy.peers import PEER_ROLE

    advice = "import its prices, or run without a [backtest] table"
    if config.market in inputs.returns:
        raise InputError(
            where,
            f"the backtest ([backtest] in the config) trades at prices, and the market proxy {config.market} "
            f"has returns but no prices in the cache; {advice}",
            field="study.market",
        )
    fields = ("ticker", "market") if "market" in events.columns else ("ticker",)
    columns, roles = [events[name].tolist() for name in fields], events["role"].tolist()
    for position, source_row in enumerate(events["source_row"].tolist()):
        if roles[position] == PEER_ROLE:
            continue
        for field_name, column in zip(fields, columns, strict=True):
            symbol = column[position]
            if symbol and symbol in inputs.returns:
                raise InputError(
                    where,
                    f"the backtest ([backtest] in the config) trades at prices, and {symbol} has returns but "
                    f"no prices in the cache; {advice}",
                    row=source_row,
                    field=field_name,
                )


def _require_sessions(
    events: pd.DataFrame, calendar: pd.DatetimeIndex, config: StudyConfig, where: str
) -> None:
    """``day0_rule = "error"``: the first row whose date is not a session (or whose day 0 lies
    beyond ``day0_max_shift``) is an error naming its row. Peer rows, on no line of the file,
    have their event's date, which its parties' rows carry."""
    from eventstudy.peers import PEER_ROLE
    from eventstudy.timeline.calendar import NOT_A_SESSION, SHIFT_TOO_LARGE, align_days_zero

    zeros = align_days_zero(
        calendar, events["announced"], events["timing"], rule="error", max_shift=config.day0_max_shift
    )
    party = events["role"].to_numpy(object) != PEER_ROLE
    bad = np.flatnonzero(np.isin(zeros.outcome, [NOT_A_SESSION, SHIFT_TOO_LARGE]) & party)
    if bad.size:
        i = int(bad[0])
        day = events["announced"].iloc[i].date()
        reason = (
            f"{day} is not a session of the calendar ({config.market})"
            if zeros.outcome[i] == NOT_A_SESSION
            else f"day 0 lies more than day0_max_shift = {config.day0_max_shift} calendar days from {day}"
        )
        raise InputError(
            where,
            f"{reason}, and day0_rule = \"error\" (use next, previous or skip to place or drop such rows)",
            row=int(events["source_row"].iloc[i]),
            field="announced",
        )


def _backtest(
    events: pd.DataFrame,
    prices: dict[str, pd.DataFrame],
    shares: dict[str, pd.DataFrame],
    config: StudyConfig,
    factors: dict[str, FactorTable] | None = None,
    restatements: dict[str, list[dict[str, Any]]] | None = None,
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
        day0_rule=config.day0_rule,
        day0_max_shift=config.day0_max_shift,
        factors=factors,
        share_caveats=config.share_caveats,
        restatements=restatements,
    )


def calendar_days(sessions: int) -> int:
    """Calendar days that surely hold ``sessions`` trading sessions: 7/5 of them (weekends) and
    three weeks for holidays."""
    return max(sessions, 0) * 7 // 5 + 21


def fetch_range(events: pd.DataFrame, config: StudyConfig) -> tuple[dt.date, dt.date]:
    """The dates to fetch for ``events``: from :data:`HISTORY_DAYS` before the first announcement,
    or the calendar days of the config's estimation window and event span if longer, to
    :data:`AFTER_DAYS` after the last, or the days of the longest event window or backtest
    horizon if longer (never after today). A cached symbol is not fetched again, so a range too
    short for the config would leave every later run short of history."""
    start, _ = config.estimation_bounds()
    span_start, span_end = config.event_span
    before = calendar_days(max(-span_start, 0 if start is None else -start))
    after = max(calendar_days(span_end), backtest_after_days(config.backtest))
    first = events["announced"].min().date() - dt.timedelta(days=max(HISTORY_DAYS, before))
    last = min(events["announced"].max().date() + dt.timedelta(days=after), dt.date.today())
    return first, last


def backtest_after_days(rule: BacktestConfig | None) -> int:
    """Calendar days after the last announcement the study needs (the backtest's longest
    horizon, in calendar days, when there is a rule)."""
    if rule is None:
        return AFTER_DAYS
    longest = max(*rule.holding_days, *rule.drift_days)
    return max(AFTER_DAYS, calendar_days(longest))


def fetch_inputs(store: PriceStore, events: pd.DataFrame, config: StudyConfig, needs: DataNeeds) -> None:
    """Fetch every symbol, share count, earnings calendar and French file the study needs and the
    cache lacks."""
    from eventstudy.data.acquire import fetch_missing, fetch_missing_earnings, refuse_case_twins
    from eventstudy.data.factors import fetch_missing_french
    from eventstudy.progress import progress

    tickers = list(dict.fromkeys(events["ticker"].tolist()))
    first, last = fetch_range(events, config)
    markets = [m for m in events["market"].tolist() if m] if "market" in events.columns else []
    symbols = list(dict.fromkeys([config.market, *needs.symbols, *markets, *tickers]))
    refuse_case_twins(store, symbols, tickers)

    def counts_problem(ticker: str, counts: pd.DataFrame) -> str | None:  # the run's own check, first
        from eventstudy.valuation import implausible_count

        prices = store.read_prices(ticker) if store.series_kind(ticker) == "prices" else None
        found = None if prices is None else implausible_count(ticker, counts, prices)
        return None if found is None else found.describe()

    for symbol in progress(symbols, desc="fetching"):
        fetch_missing(store, [symbol], first, last, fetch_shares=None)
    # The counts in one call: a rate limit that outlasts one ticker's retries ends its requests.
    fetch_missing(store, [], first, last, tickers_with_shares=tickers, check_shares=counts_problem)
    fetch_missing_earnings(store, tickers, first, last)
    fetch_missing_french(store, needs.french)
