"""Study configuration: defaults, and loading from a TOML file.

A config file has a ``[study]`` table with any of the :class:`StudyConfig` fields, and
optionally ``[[shares.caveats]]`` entries that attach a documented warning to market values of
a ticker from a date on (for example a share count known to lag an issuance)::

    [study]
    name = "ai-deal-wave-2025"
    market = "SPY"
    model = "market"
    estimation_window = [-260, -11]
    min_estimation_obs = 100
    event_windows = [[0, 0], [-1, 1], [0, 1], [-5, 5]]
    exclude_overlapping_windows = false   # drop other same-ticker events' windows from estimation
    returns = "simple"                    # or "log": ln(P_t / P_t-1)
    day0_rule = "next"                    # a date that is no session: next | previous | error | skip
    day0_max_shift = 5                    # calendar days day 0 may lie from the date (default: none)
    missing_returns = "window"            # or "drop_event": a missing return drops the row everywhere
    # model options (only with the model that reads them; with another, the file is refused):
    dimson_lags = 1                       # model = "dimson"
    sector = "SMH"                        # model = "sector"
    factors_file = "my_factors.parquet"   # model = "user_factors"

    # other news inside the event windows (eventstudy.timeline.confounders):
    news_file = "news.csv"                # ticker,date[,timing],headline of other dated news
    exclude_confounded = false            # true: windows with other news leave the statistics
    events_are_earnings = false           # true: each event is its ticker's earnings release of day 0
    dominant_day_t = 3.0                  # a day other than day 0 with |t| >= this ...
    dominant_day_share = 0.5              # ... carrying this share of the CAR is flagged

    [[shares.caveats]]
    ticker = "INTC"
    from = 2025-08-22
    note = "share count excludes the 433M shares issued to the U.S. government"

    [[flows]]                             # the report's deal-flows diagram: who pays whom
    event_id = "oracle-openai-300b"
    payer = "OpenAI"
    payee = "Oracle"
    tickers = ["ORCL"]                    # listed parties whose dollar value labels the edge
    payee_ticker = "ORCL"                 # the payee's listed ticker (flow_side; payer_ticker too)

Every value is checked for its type and range, and an error names the file and the key
(``study.min_estimation_obs``, ``shares.caveats[0].from``; caveats count from 0):

* ``name``: an identifier, because it names ``reports/<name>/`` -- letters, digits and
  ``. _ -``, starting with a letter or digit, no ``..``, at most :data:`MAX_NAME_LENGTH` (64)
  characters;
* ``market``, ``sector``, ``peers`` and a caveat's ``ticker``: symbols
  (:mod:`eventstudy.symbols`); ``peers`` may not list a ticker twice;
* windows: ``[start, end]`` of whole numbers with ``start <= end`` and ``|day| <=``
  :data:`MAX_RELATIVE_DAY` (2520, ten years of sessions); at most :data:`MAX_EVENT_WINDOWS`
  event windows, none twice; the estimation window ends before the first event-window day (and
  a study is not run with one that holds day 0: :func:`day_zero_problem`).
  The estimation window may start at ``"all"`` (``["all", -11]``: every session of the data up
  to τ = -11), or be ``"all"`` alone: every session up to the one ``estimation_gap`` (default 0)
  sessions before the first event-window day;
* ``returns``: ``simple`` or ``log``; ``day0_rule``: ``next``, ``previous``, ``error`` or
  ``skip``; ``day0_max_shift``: a whole number of calendar days from 0 to 366;
  ``missing_returns``: ``window`` or ``drop_event`` (see :class:`StudyConfig`);
* ``min_estimation_obs`` and ``dimson_lags``: whole numbers (not 50.7, not ``"ten"``, not
  ``true``);
* a caveat's ``from``: a TOML date or ``"YYYY-MM-DD"`` between 1900 and 2199; its ``note``:
  one line of 1 to :data:`MAX_NOTE_LENGTH` characters;
* ``news_file``: a file path; ``exclude_confounded`` and ``events_are_earnings``: true or false;
  ``dominant_day_t``: a
  number above 0; ``dominant_day_share``: a number in (0, 1];
* a flow's ``event_id``: an event identifier; ``payer`` and ``payee``: different names of one
  line, at most :data:`MAX_FLOW_NAME` characters; ``tickers``: symbols, none twice;
  ``payer_ticker`` and ``payee_ticker`` (optional): two different symbols among ``tickers``
  (without ``tickers`` they are the edge's tickers) -- the listed party on each side of the
  payment, from which ``flow_side`` (:mod:`eventstudy.crosssection.flows`) is derived (errors
  name ``flows[i].<key>``, i from 0). A ``[[crosssection]]`` formula may use ``flow_side`` only
  when some flow names a side's ticker.

A file larger than :data:`MAX_CONFIG_BYTES` (1 MiB), or nested too deeply for the TOML reader,
is refused as a whole.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import numbers
import os
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from eventstudy.backtest.rules import BacktestConfig, parse_backtest_table
from eventstudy.crosssection.rules import CrossSectionSpec, parse_crosssection_tables, uses_column
from eventstudy.errors import InputError, SettingError, as_path
from eventstudy.packed import not_text
from eventstudy.plain import plain, plain_real
from eventstudy.symbols import RESERVED_DEVICE_NAMES, list_problem, shown, symbol_problem
from eventstudy.text import CONTROL

FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
"""The supported range of announcement and caveat dates."""
MAX_DIMSON_LAGS = 10
MAX_NAME_LENGTH = 64
"""Longest study name (it names the output folder ``reports/<name>/``)."""
MAX_RELATIVE_DAY = 2520
"""Largest ``|tau|`` of a window, in trading days (ten years of sessions)."""
MAX_EVENT_WINDOWS = 50
"""Most event windows a study may report."""
MAX_NOTE_LENGTH = 500
"""Longest share-caveat note, in characters."""
VARIANCES: tuple[str, ...] = ("constant", "garch", "gjr", "egarch")
"""Variance models of the abnormal returns (``variance``): constant, or GARCH via ``arch``."""
VOLUMES: tuple[str, ...] = ("log_volume", "log_turnover")
"""Measures of the abnormal trading volume study (``volume``)."""
MAX_CONFIG_BYTES = 1 << 20
"""Largest config file read (1 MiB; a study config is a few kilobytes)."""
ALL_DATA = "all"
"""The start of an estimation window over every session of the data before its end."""
RETURN_DEFINITIONS: tuple[str, ...] = ("simple", "log")
DAY0_RULES: tuple[str, ...] = ("next", "previous", "error", "skip")
MISSING_RETURN_POLICIES: tuple[str, ...] = ("window", "drop_event")
MAX_DAY0_SHIFT = 366
"""Largest ``day0_max_shift`` in calendar days."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*", re.ASCII)
_CAVEAT_KEYS: tuple[str, ...] = ("ticker", "from", "note")
FLOW_KEYS: tuple[str, ...] = ("event_id", "payer", "payee", "tickers", "payer_ticker", "payee_ticker")
MAX_FLOW_NAME = 40
"""Longest payer or payee name of a flow (it is drawn beside a node)."""
MAX_FLOWS = 200
"""Most ``[[flows]]`` entries of a config."""
_EVENT_ID = re.compile(r"[A-Za-z0-9._-]+", re.ASCII)


@dataclass(frozen=True)
class ShareCaveat:
    """A warning attached to market values of ``ticker`` computed on or after ``start``.

    ``ticker`` is a symbol; ``note`` one line of 1 to :data:`MAX_NOTE_LENGTH` characters;
    ``start`` a day between :data:`FIRST_DATE` and :data:`LAST_DATE`, stored as a
    :class:`datetime.date`. It may be given as a date, as ``"YYYY-MM-DD"``, or as a ``datetime``,
    ``pd.Timestamp`` or ``np.datetime64`` at midnight. A time of day is refused, because a caveat
    applies from a day. A bad value raises ``ValueError("<field>: <what is wrong>")``.
    """

    ticker: str
    start: dt.date
    note: str

    def __post_init__(self) -> None:
        ticker, note = plain(self.ticker), plain(self.note)
        problem = symbol_problem(ticker)
        if problem:
            raise SettingError("ticker", problem)
        problem = _note_problem(note)
        if problem:
            raise SettingError("note", problem)
        object.__setattr__(self, "ticker", ticker)
        object.__setattr__(self, "start", _day(self.start, "start"))
        object.__setattr__(self, "note", note)


@dataclass(frozen=True)
class FlowEdge:
    """One payment commitment of the deal-flows view: ``payer`` -> ``payee`` in ``event_id``.

    ``tickers`` are the listed parties whose abnormal dollar value annotates the edge;
    ``payer_ticker`` and ``payee_ticker`` (None when the side is not listed or not said) the
    listed ticker of each side, which places a party on the payer's or the payee's side of the
    flow (:func:`eventstudy.crosssection.flows.flow_sides`).
    """

    event_id: str
    payer: str
    payee: str
    tickers: tuple[str, ...] = ()
    payer_ticker: str | None = None
    payee_ticker: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.tickers, str) or not isinstance(self.tickers, list | tuple):
            raise SettingError("tickers", "must be a list of ticker symbols")
        for item in dataclasses.fields(self):  # np.str_ -> str, a list of tickers -> a tuple
            object.__setattr__(self, item.name, plain(getattr(self, item.name), 1))
        problem = _flow_edge_problem(self)
        if problem:
            key, _, message = problem.partition(": ")
            raise SettingError(key, message)

    def side_of(self, ticker: str) -> str | None:
        """``"payer"``, ``"payee"`` or None: the side of the payment ``ticker`` is on."""
        if ticker == self.payer_ticker:
            return "payer"
        if ticker == self.payee_ticker:
            return "payee"
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "event_id": self.event_id,
            "payer": self.payer,
            "payee": self.payee,
            "tickers": list(self.tickers),
        }
        for key in ("payer_ticker", "payee_ticker"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class StudyConfig:
    """Everything that defines a study besides its events and prices.

    Values given in Python are stored as the plain Python values the manifest holds, so that
    ``load_study(save_study(...)).config`` equals the config. A numpy scalar becomes the ``int``,
    ``float``, ``bool`` or ``str`` it equals, a list a tuple (``[[0, 0]]`` -> ``((0, 0),)``), and
    ``dominant_day_t`` and ``dominant_day_share`` are stored as floats. A value that is not what a
    field documents is refused with ``ValueError("<field>: <what is wrong>")``: ``True`` or ``2.5``
    for a whole number, or ``5.0``, as the TOML loader refuses it.

    Attributes
    ----------
    name
        Study name; the default output folder is ``reports/<name>/``. An identifier (see
        :func:`name_problem`).
    market
        Market proxy symbol; its trading dates are the calendar.
    model
        Expected-return model: a name of the registry :data:`eventstudy.models.MODELS`
        (``market``, ``constant_mean``, ``market_adjusted``, ``raw``, ``sector``, ``dimson``,
        ``scholes_williams``, ``ff3``, ``carhart4``, ``ff5``, ``user_factors``, and any model a
        user registers with :func:`eventstudy.models.register_model`).
    estimation_window
        Relative days (inclusive) of the estimation window, ``(start, end)``. ``start`` may be
        ``"all"``: every session of the data up to ``end``; the whole window may be ``"all"``:
        every session up to the one ``estimation_gap`` sessions before the first event-window
        day (see :meth:`estimation_bounds`).
    min_estimation_obs
        Fewest valid estimation returns for a pair to be estimated.
    event_windows
        Relative-day windows (inclusive) over which CARs are reported.
    share_caveats
        Notes attached to market values (see module docstring).
    dimson_lags
        Leads and lags l of the market return in the Dimson (1979) model (``model = "dimson"``).
    sector
        Sector proxy symbol of the two-factor market + sector model (``model = "sector"``).
    factors_file
        CSV or parquet file of daily factor returns in decimal units for
        ``model = "user_factors"`` (a relative path is relative to the working directory).
    exclude_overlapping_windows
        When true, estimation days inside another event's event span (same ticker) are left out
        of the estimation sample, so M drops by their number.
    peers
        Ecosystem peers: every event is also measured on each of these tickers that is not one
        of its parties (role ``peer``). Empty by default; ``eventstudy run --peers`` overrides.
    statistics
        The cross-event statistics to compute (names of the registry
        :data:`eventstudy.inference.STATISTICS`), or None for all of them.
    backtest
        The trading rule of the ``[backtest]`` table, or None for no backtest.
    news_file
        CSV of other dated news of the tickers (``ticker,date[,timing],headline``), screened as
        confounders (:mod:`eventstudy.timeline.confounders`; a relative path is relative to the
        working directory), or None.
    exclude_confounded
        When true, every (pair, window) whose window holds other news (an earnings release,
        another event of the ticker, a news-file line) is left out of the cross-event
        statistics and the CAAR bands; when false they stay in, and ``stats.parquet`` also
        holds each group without them (``<group> (unconfounded)``).
    events_are_earnings
        When true, the events are earnings releases: a release in the earnings calendar of an
        event's own ticker that reacts within one session of the event's day 0 is the event
        itself, not other news in its windows (an earnings study flagged every window with its
        own release; :func:`eventstudy.timeline.confounders.releases_apart_from_events`).
        False (default): such a release confounds the event, as the results Oracle announced its
        contract in confound the contract.
    dominant_day_t, dominant_day_share
        The thresholds of the dominant-day warning: the day other than day 0 with the largest
        |t| is flagged when its |t| is at least ``dominant_day_t`` and it carries at least
        ``dominant_day_share`` of the window's CAR (:func:`eventstudy.timeline.confounders.dominant_days`).
    flows
        The edges of the report's deal-flows diagram (``[[flows]]`` tables).
    estimation_gap
        With ``estimation_window = "all"``: sessions left out between the estimation window and
        the first event-window day (default 0).
    returns
        ``simple`` (default) or ``log`` returns (:mod:`eventstudy.timeline.returns`).
    day0_rule
        Where day 0 lands when the announcement date is not a session (a weekend, a holiday):
        ``next`` (default) the next session; ``previous`` the last session on or before the
        date (the R package eventstudies' rule); ``error`` stop, naming the events row; ``skip``
        the row gets the outcome ``day0_not_a_session``. A post-close announcement on a session
        moves to the next session under every rule (its news reaches prices then).
    day0_max_shift
        The most calendar days day 0 may lie from the announcement date; a row beyond it gets
        the outcome ``day0_shift_too_large`` (an error under ``day0_rule = "error"``). None
        (default): no bound.
    missing_returns
        ``window`` (default): a window with a missing return is ``incomplete_event_window``, the
        row's other windows are used; ``drop_event``: a missing return anywhere in the event
        span drops the row from every window and day (so every τ of a CAAR path uses the same
        events, as eventstudies does).
    variance
        The variance model of the abnormal returns: ``"constant"`` (default; σ_i from the
        estimation window) or a GARCH model of the expected-return residuals, ``"garch"``,
        ``"gjr"`` or ``"egarch"`` (:mod:`eventstudy.models.garch`), which adds the
        conditional-variance statistics and ``garch.parquet``.
    volume
        ``None`` (default), or the abnormal trading volume study's measure: ``"log_volume"``
        (log shares traded) or ``"log_turnover"`` (Campbell & Wasley 1996, needs share counts);
        adds ``volume.parquet`` and ``volume_stats.parquet`` (:mod:`eventstudy.volume`).
    crosssection
        The cross-sectional regressions of the ``[[crosssection]]`` tables
        (:class:`~eventstudy.crosssection.CrossSectionSpec`), written to ``crosssection.parquet``.
    source
        The file the configuration was read from (:func:`load_config`), which the errors of its
        checks against the events name; None for one built in Python. Not part of the study: no
        comparison, no manifest.
    as_read
        The configuration as read from ``source``, kept through ``dataclasses.replace``: the
        errors of a configuration changed since name the settings, not the file (a market changed
        in a notebook was blamed on the file's ``study.market``, a finder). Not part of the study.
    """

    name: str = "study"
    market: str = "SPY"
    model: str = "market"
    estimation_window: tuple[int | str, int] | str = (-260, -11)
    min_estimation_obs: int = 100
    event_windows: tuple[tuple[int, int], ...] = ((0, 0), (-1, 1), (0, 1), (-5, 5))
    share_caveats: tuple[ShareCaveat, ...] = field(default=())
    dimson_lags: int = 1
    sector: str = "SMH"
    factors_file: str | None = None
    exclude_overlapping_windows: bool = False
    peers: tuple[str, ...] = ()
    statistics: tuple[str, ...] | None = None
    backtest: BacktestConfig | None = None
    news_file: str | None = None
    exclude_confounded: bool = False
    events_are_earnings: bool = False
    dominant_day_t: float = 3.0
    dominant_day_share: float = 0.5
    flows: tuple[FlowEdge, ...] = ()
    estimation_gap: int | None = None
    returns: str = "simple"
    day0_rule: str = "next"
    day0_max_shift: int | None = None
    missing_returns: str = "window"
    variance: str = "constant"
    volume: str | None = None
    crosssection: tuple[CrossSectionSpec, ...] = field(default=())
    source: str | None = field(default=None, compare=False, repr=False)
    as_read: StudyConfig | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        _normalise(self)
        _check(self)

    @property
    def where(self) -> str:
        """What errors of its settings name: the file they were read from, or that there is
        none (the built-in defaults, or a config made in Python)."""
        if self.source is None:
            return "the study's settings (no config file)"
        if self.as_read is not None and self.as_read != self:
            return f"the study's settings (read from {self.source}, then changed in Python)"
        return self.source

    @property
    def event_span(self) -> tuple[int, int]:
        """The smallest interval of relative days covering every event window."""
        return (min(w[0] for w in self.event_windows), max(w[1] for w in self.event_windows))

    def estimation_bounds(self) -> tuple[int | None, int]:
        """``(start, end)`` of the estimation window in relative days; ``start`` None: all data.

        ``"all"`` alone ends ``estimation_gap`` (default 0) sessions before the first
        event-window day: ``end = span_start - gap - 1``.
        """
        window = self.estimation_window
        if isinstance(window, str):  # "all" (the only text a checked config holds)
            return None, self.event_span[0] - (self.estimation_gap or 0) - 1
        start, end = window
        return (None if start == ALL_DATA else int(start)), int(end)

    def estimation_label(self) -> str:
        """The estimation window as text: ``[-260,-11]``, or ``[all,-11]`` for all data."""
        start, end = self.estimation_bounds()
        if start is None:
            return window_label((0, end)).replace("[0,", "[all,", 1)
        return window_label((start, end))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (used in ``manifest.json``)."""
        out = dataclasses.asdict(dataclasses.replace(self, as_read=None))
        out.pop("source")
        out.pop("as_read")
        window = self.estimation_window
        out["estimation_window"] = window if isinstance(window, str) else list(window)
        for key in ("estimation_gap", "returns", "day0_rule", "day0_max_shift", "missing_returns"):
            if getattr(self, key) == _NEW_DEFAULTS[key]:
                out.pop(key)  # a default of these newer keys is not recorded: older manifests stay valid
        out["event_windows"] = [list(w) for w in self.event_windows]
        out["peers"] = list(self.peers)
        out["share_caveats"] = [
            {"ticker": c.ticker, "from": c.start.isoformat(), "note": c.note} for c in self.share_caveats
        ]
        out["statistics"] = None if self.statistics is None else list(self.statistics)
        out["backtest"] = None if self.backtest is None else self.backtest.to_dict()
        out["flows"] = [edge.to_dict() for edge in self.flows]
        out["crosssection"] = [spec.to_dict() for spec in self.crosssection]
        return out

    @classmethod
    def from_dict(cls, config: Mapping[str, Any], source: str = "manifest.json") -> StudyConfig:
        """The configuration whose :meth:`to_dict` is ``config`` (e.g. a manifest's ``config``).

        Raises
        ------
        InputError
            Naming ``source`` and the key, when a key is not a field of this version's
            configuration or a value is invalid.
        """
        fields = {f.name for f in dataclasses.fields(cls)} - set(NOT_SETTINGS)
        values: dict[str, Any] = {"source": source}
        for key, value in config.items():
            if key not in fields:
                unknown = "configuration key unknown to this version"
                raise InputError(source, unknown, field=f"config.{_short(str(key))}")
            try:
                values[key] = _recorded_value(key, value, source)
            except (KeyError, TypeError, ValueError, AttributeError):
                problem = f"{shown(value)} is not a {key} setting as this version records it (was it edited?)"
                raise InputError(source, problem, field=f"config.{key}") from None
        try:
            return _read(cls(**values))
        except ValueError as exc:
            key, _, message = str(exc).partition(": ")
            if message and key in fields:
                raise InputError(source, message, field=f"config.{key}") from None
            raise InputError(source, str(exc), field="config") from None


def _recorded_value(key: str, value: Any, source: str) -> Any:
    """The :class:`StudyConfig` field ``key`` from its :meth:`StudyConfig.to_dict` form."""
    if key == "share_caveats":
        return tuple(ShareCaveat(c["ticker"], c["from"], c["note"]) for c in value)
    if key == "backtest":
        return None if value is None else BacktestConfig.from_dict(value)
    if key == "statistics":
        return None if value is None else tuple(value)
    if key == "flows":
        return parse_flows(value, source, prefix="config.flows")
    if key == "crosssection":
        return tuple(CrossSectionSpec.from_dict(spec) for spec in value)
    return _tuples(value)


_NEW_DEFAULTS: dict[str, Any] = {
    "estimation_gap": None,
    "returns": "simple",
    "day0_rule": "next",
    "day0_max_shift": None,
    "missing_returns": "window",
}
"""Keys added by issue 14 and their defaults (recorded in a manifest only when set otherwise)."""


def _tuples(value: Any) -> Any:
    """Lists (of lists) as tuples, as the dataclass's sequences are."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


WINDOW_TEXT = re.compile(
    r"\[[ \t]*([+-]?[0-9]{1,9})[ \t]*,[ \t]*([+-]?[0-9]{1,9})[ \t]*\]"
    r"|\([ \t]*([+-]?[0-9]{1,9})[ \t]*,[ \t]*([+-]?[0-9]{1,9})[ \t]*\)"
    r"|([+-]?[0-9]{1,9})[ \t]*,[ \t]*([+-]?[0-9]{1,9})"
)
"""A window written as text: ``[-1,+1]``, ``[-1,1]``, ``-1,1``, ``(-1, 1)``, any spaces or tabs;
ASCII digits, at most nine a day (a 5,000-digit day overran Python's integer parsing), brackets
paired."""

MAX_WINDOW_DAY = 999_999_999
"""The largest |day| of a window, as text or as a number."""


def window_days(window: object) -> tuple[int, int] | None:
    """The two relative days of ``window``, written as text (:data:`WINDOW_TEXT`) or as a pair of
    whole numbers (``(-1, 1)``, ``(-1.0, 1.0)``, a numpy array of two); None when it is neither:
    ``(-1.5, 1.5)`` was read as ``[-1,+1]``, ``(-0.9, 0.9)`` as ``[0,0]`` (int() cuts fractions)."""
    if isinstance(window, str):
        match = WINDOW_TEXT.fullmatch(window.strip())
        if match is None:
            return None
        first, last = (int(day) for day in match.groups() if day is not None)
        return first, last
    ordered = isinstance(window, list | tuple) or getattr(window, "ndim", None) == 1  # an array, a Series
    if not ordered or isinstance(window, memoryview) or not isinstance(window, Iterable):  # sets: no order
        return None
    days = list(window)
    if len(days) != 2:
        return None
    whole = [isinstance(day, numbers.Real) and not isinstance(day, bool) for day in days]
    if not all(whole) or not all(float(day).is_integer() and abs(day) <= MAX_WINDOW_DAY for day in days):
        return None
    return int(days[0]), int(days[1])


def window_label(window: tuple[int, int]) -> str:
    """``(-1, 1)`` -> ``"[-1,+1]"``; ``(0, 0)`` -> ``"[0,0]"``."""

    def signed(day: int) -> str:
        return f"{day:+d}" if day else "0"

    return f"[{signed(window[0])},{signed(window[1])}]"


DAY0_WINDOW = "[0,0]"
MAIN_WINDOW = "[-1,+1]"


def main_window(labels: Sequence[str]) -> str:
    """The window a study leads with, from its window labels in configuration order: ``[-1,+1]``
    (the conventional three-day announcement window) when configured, else the first configured
    window other than ``[0,0]``, else ``[0,0]``. The report's findings and
    :meth:`~eventstudy.results.StudyResults.summary` both follow this rule."""
    labels = list(dict.fromkeys(labels))
    if not labels:
        raise ValueError("a study has at least one event window")
    if MAIN_WINDOW in labels:
        return MAIN_WINDOW
    others = [label for label in labels if label != DAY0_WINDOW]
    return others[0] if others else DAY0_WINDOW


PROXY_PEER = "is the model's proxy series, no peer (its abnormal return is 0 by construction)"
"""Why a proxy series listed as a peer is refused: every event had a blank row of it, outcome
``market_proxy``, in the peers' count."""


def proxy_series(config: StudyConfig) -> set[str]:
    """The series the model takes as given (the market, and the sector of the sector model)."""
    return {config.market, *([config.sector] if config.model == "sector" else [])}


def name_problem(name: object) -> str | None:
    """What is wrong with ``name`` as a study name; ``None`` when it is one.

    A study name is an identifier, because it names the folder ``reports/<name>/``: letters,
    digits and ``. _ -``, starting with a letter or digit, without ``..``, at most
    :data:`MAX_NAME_LENGTH` characters. So it is never empty, ``.``, ``..``, a path or hidden.
    """
    rule = (
        f"letters, digits and . _ - starting with a letter or digit, at most {MAX_NAME_LENGTH} "
        "characters, no '..' (it names the output folder reports/<name>/)"
    )
    if not isinstance(name, str):
        return f"{shown(name)} is not a study name: expected text ({rule})"
    if len(name) > MAX_NAME_LENGTH or not _NAME.fullmatch(name) or ".." in name:
        return f"{shown(name)} is not a study name: {rule}"
    # reports/CON/ (a finder); Windows' list now has COM0 and LPT0 too (cache file names keep
    # the older list, whose stems existing caches use)
    if name.split(".", 1)[0].upper() in RESERVED_DEVICE_NAMES | {"COM0", "LPT0"}:
        return f"{shown(name)} is a name Windows keeps for a device, so reports/{name}/ cannot be made there"
    return None


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    """A finite real number (not a bool)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and value == value
        and abs(value) != float("inf")
    )


def _window_problem(window: object) -> str | None:
    """What is wrong with ``window`` as ``[start, end]`` of relative days; ``None`` if nothing."""
    if not isinstance(window, tuple) or len(window) != 2 or not all(_is_int(day) for day in window):
        return f"{shown(_plain(window))} is not [start, end], two whole numbers of trading days"
    start, end = (int(day) for day in window)
    if start > end:
        return f"{shown([start, end])} is not [start, end] with start <= end"
    if max(abs(start), abs(end)) > MAX_RELATIVE_DAY:
        return f"{shown([start, end])} reaches beyond {MAX_RELATIVE_DAY} trading days from day 0"
    return None


def _estimation_problem(window: object) -> str | None:
    """What is wrong with an estimation window: ``[start, end]``, ``["all", end]`` or ``"all"``."""
    if isinstance(window, str) and window == ALL_DATA:
        return None
    start, end = window if isinstance(window, tuple) and len(window) == 2 else (None, None)
    if isinstance(start, str) and start == ALL_DATA:
        if not isinstance(end, int) or isinstance(end, bool):
            return f"{shown(_plain(window))}: the end must be a whole number of trading days"
        if abs(end) > MAX_RELATIVE_DAY:
            return f"{shown(_plain(window))}: the end lies beyond {MAX_RELATIVE_DAY} trading days from day 0"
        return None
    problem = _window_problem(window)
    if problem:
        return problem + ' (or ["all", end], or "all")'
    return None


def _plain(value: object) -> object:
    """Tuples as lists, so that messages show values as they are written in TOML."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


_DEPTHS: dict[str, int] = {
    "estimation_window": 2,
    "event_windows": 2,
    "share_caveats": 1,
    "peers": 1,
    "statistics": 1,
    "flows": 1,
    "crosssection": 1,
}
"""Levels of lists in a :class:`StudyConfig` field that are stored as tuples (``[[0, 0]]``)."""
_REALS: tuple[str, ...] = ("dominant_day_t", "dominant_day_share")
"""The fields of :class:`StudyConfig` that hold a real number, stored as a float."""


def _normalise(config: StudyConfig) -> None:
    """Store the fields of ``config`` as plain Python values (:func:`eventstudy.plain.plain`).

    A numpy scalar becomes the Python scalar it equals, a list a tuple, and a real-number field
    a float. Anything else is left for :func:`_check` to refuse.
    """
    for item in dataclasses.fields(config):
        if item.name in NOT_SETTINGS:
            continue
        value = given = getattr(config, item.name)
        if item.name in ("news_file", "factors_file") and isinstance(value, os.PathLike):
            value = os.fspath(value)  # a Path is the path it names, as a TOML string is
        new = plain_real(value) if item.name in _REALS else plain(value, _DEPTHS.get(item.name, 0))
        if new is not given:
            object.__setattr__(config, item.name, new)


def _check(config: StudyConfig) -> None:
    """Check every field's type and value; raise :class:`~eventstudy.errors.SettingError`
    (``"<field>: <what is wrong>"``, a ``ValueError``)."""

    def fail(name: str, message: str) -> NoReturn:
        raise SettingError(name, message)

    problem = name_problem(config.name)
    if problem:
        fail("name", problem)
    for key in ("market", "sector"):
        problem = symbol_problem(getattr(config, key))
        if problem:
            fail(key, problem)
    from eventstudy.models import MODELS  # the registry (models import nothing of config at run time)

    if not isinstance(config.model, str) or config.model not in MODELS:
        fail(
            "model",
            f"{shown(config.model)} is not one of {', '.join(MODELS)} (a model of your own: register it "
            "with eventstudy.register_model first)",
        )
    problem = _estimation_problem(config.estimation_window)
    if problem:
        fail("estimation_window", problem)
    windows = config.event_windows
    if not isinstance(windows, tuple):
        fail("event_windows", f"{shown(windows)} is not a list of windows, e.g. [[0, 0], [-1, 1]]")
    if not windows:
        fail("event_windows", "give at least one window, e.g. [[0, 0], [-1, 1]]")
    if len(windows) > MAX_EVENT_WINDOWS:
        fail("event_windows", f"{len(windows)} windows; at most {MAX_EVENT_WINDOWS} are allowed")
    seen: set[tuple[int, int]] = set()
    for window in windows:
        problem = _window_problem(window)
        if problem:
            fail("event_windows", problem)
        days = (int(window[0]), int(window[1]))
        if days in seen:
            fail("event_windows", f"{list(days)} is listed twice")
        seen.add(days)
    if config.estimation_gap is not None:
        if not _is_int(config.estimation_gap) or not 0 <= config.estimation_gap <= MAX_RELATIVE_DAY:
            fail(
                "estimation_gap",
                f"{shown(config.estimation_gap)} is not a whole number of sessions, 0 to {MAX_RELATIVE_DAY}",
            )
        if config.estimation_window != ALL_DATA:
            fail(
                "estimation_gap",
                'applies to estimation_window = "all" (a window [start, end] sets its own end)',
            )
    if config.estimation_bounds()[1] >= config.event_span[0]:
        fail("estimation_window", "must end before the first event-window day")
    for key, allowed in (
        ("returns", RETURN_DEFINITIONS),
        ("day0_rule", DAY0_RULES),
        ("missing_returns", MISSING_RETURN_POLICIES),
    ):
        if getattr(config, key) not in allowed:
            fail(key, f"{shown(getattr(config, key))} is not one of {', '.join(allowed)}")
    shift = config.day0_max_shift
    if shift is not None and (not _is_int(shift) or not 0 <= shift <= MAX_DAY0_SHIFT):
        fail("day0_max_shift", f"{shown(shift)} is not a number of calendar days, 0 to {MAX_DAY0_SHIFT}")
    if not _is_int(config.min_estimation_obs):
        fail("min_estimation_obs", f"{shown(config.min_estimation_obs)} is not a whole number")
    if config.min_estimation_obs < 3:
        fail("min_estimation_obs", "must be at least 3")
    if not _is_int(config.dimson_lags):
        fail("dimson_lags", f"{shown(config.dimson_lags)} is not an integer")
    if not 1 <= config.dimson_lags <= MAX_DIMSON_LAGS:
        fail("dimson_lags", f"must be between 1 and {MAX_DIMSON_LAGS}, got {shown(config.dimson_lags)}")
    if config.model == "sector" and config.sector == config.market:
        fail("sector", f"must differ from the market proxy ({config.market})")
    if config.factors_file is not None and (
        not isinstance(config.factors_file, str)
        or not config.factors_file.strip()
        or "\0" in config.factors_file
    ):
        fail("factors_file", f"{shown(config.factors_file)} is not a file path")
    if config.model == "user_factors" and config.factors_file is None:
        fail("factors_file", "is required when model is user_factors")
    if not isinstance(config.exclude_overlapping_windows, bool):
        fail(
            "exclude_overlapping_windows", f"{shown(config.exclude_overlapping_windows)} is not true or false"
        )
    if not isinstance(config.peers, tuple):
        fail("peers", f"{shown(config.peers)} is not a list of ticker symbols")
    peers_problem = list_problem(config.peers)
    if peers_problem:
        fail("peers", peers_problem[1])
    proxy = next((name for name in config.peers if name in proxy_series(config)), None)
    if proxy is not None:  # refused under --no-peers too: the file names it (a finder)
        fail("peers", f"{proxy} {PROXY_PEER}")
    if config.statistics is not None:
        from eventstudy.inference import STATISTICS

        if not isinstance(config.statistics, tuple):
            fail("statistics", f"{shown(config.statistics)} is not a list of statistic names")
        for name in config.statistics:
            if not isinstance(name, str) or name not in STATISTICS:
                fail(
                    "statistics",
                    f"{shown(name)} is not one of {', '.join(STATISTICS)} (a statistic of your own: "
                    "register it with eventstudy.register_statistic first)",
                )
        if len(set(config.statistics)) != len(config.statistics):
            fail("statistics", "a statistic is listed twice")
        needs_variance = [n for n in config.statistics if STATISTICS[n].requires == "conditional_variance"]
        if needs_variance and config.variance == "constant":
            fail("statistics", f"{needs_variance[0]} needs a GARCH variance model (variance = \"garch\")")
    if config.backtest is not None and not isinstance(config.backtest, BacktestConfig):
        fail("backtest", f"{shown(config.backtest)} is not a BacktestConfig")
    if config.news_file is not None and (
        not isinstance(config.news_file, str) or not config.news_file.strip() or "\0" in config.news_file
    ):
        fail("news_file", f"{shown(config.news_file)} is not a file path")
    for key in ("exclude_confounded", "events_are_earnings"):
        if not isinstance(getattr(config, key), bool):
            fail(key, f"{shown(getattr(config, key))} is not true or false")
    for key, low, high in (("dominant_day_t", 0.0, 1e3), ("dominant_day_share", 0.0, 1.0)):
        value = getattr(config, key)
        if not _is_number(value) or not low < value <= high:
            fail(key, f"{shown(value)} is not a number in ({low:g}, {high:g}]")
    if not isinstance(config.flows, tuple):
        fail("flows", "must be a sequence of FlowEdge")
    if len(config.flows) > MAX_FLOWS:
        fail("flows", f"{len(config.flows)} flows; at most {MAX_FLOWS}")
    for edge in config.flows:
        if not isinstance(edge, FlowEdge):
            fail("flows", f"{shown(edge)} is not a FlowEdge")
    repeated = _flows_problem(config.flows)
    if repeated:
        fail("flows" + repeated[0], repeated[1])
    if not isinstance(config.variance, str) or config.variance not in VARIANCES:
        fail("variance", f"{shown(config.variance)} is not one of {', '.join(VARIANCES)}")
    if config.volume is not None and (not isinstance(config.volume, str) or config.volume not in VOLUMES):
        fail("volume", f"{shown(config.volume)} is not one of {', '.join(VOLUMES)}")
    if not isinstance(config.crosssection, tuple):
        fail("crosssection", "must be a sequence of CrossSectionSpec")
    has_sides = any(
        isinstance(edge, FlowEdge) and (edge.payer_ticker or edge.payee_ticker) for edge in config.flows
    )
    for i, spec in enumerate(config.crosssection):
        if not isinstance(spec, CrossSectionSpec):
            fail("crosssection", f"{shown(spec)} is not a CrossSectionSpec")
        if not has_sides and uses_column(spec.formula, "flow_side"):
            fail(
                f"crosssection[{i}].formula",
                "flow_side needs [[flows]] edges that name a payer_ticker or payee_ticker",
            )
        if tuple(spec.window) not in {tuple(w) for w in windows}:
            fail(
                f"crosssection[{i}].window",
                f"{list(spec.window)} is not one of the study's event_windows",
            )
    if not isinstance(config.share_caveats, tuple):
        fail("share_caveats", "must be a sequence of ShareCaveat")
    dated: set[tuple[str, dt.date]] = set()
    for caveat in config.share_caveats:
        if not isinstance(caveat, ShareCaveat):
            fail("share_caveats", f"{shown(caveat)} is not a ShareCaveat")
        if (caveat.ticker, caveat.start) in dated:  # its note would be shown twice
            fail("share_caveats", f"{caveat.ticker} from {caveat.start} is listed twice")
        dated.add((caveat.ticker, caveat.start))


def day_zero_problem(config: StudyConfig) -> str | None:
    """Why the estimation window of ``config`` may not be run: it holds day 0 (event windows that
    all start after day 0 leave room for it), whose announcement return would be in the
    normal-return fit (ORCL's +35% raised its [+1,+5] CAR s.e. by 42%, no note said why). Checked
    where a study is run (:func:`load_config`, :func:`eventstudy.study.run_study`), not where a
    config is read back: a folder an earlier version wrote with such a window still loads."""
    start, end = config.estimation_bounds()
    if end < 0 or (start is not None and start > 0):  # before day 0, or wholly after it
        return None
    reach = (
        f'"all" ends at τ = {end}: set estimation_gap to {config.event_span[0]} or more'
        if config.estimation_window == ALL_DATA
        else f"ends at τ = {end}: end it before day 0 or start it after"
    )
    return f"holds day 0, whose announcement return would be in the normal-return fit; {reach}"


def with_overrides(config: StudyConfig, source: str, **changes: Any) -> StudyConfig:
    """``dataclasses.replace(config, **changes)``, with bad values as :class:`InputError`.

    Used for command-line options that override the config file (e.g. ``--model``): the result
    counts as read from the file (:attr:`StudyConfig.as_read`), whose name its errors keep.

    Parameters
    ----------
    config
        The configuration to start from.
    source
        Where the changes come from, named in the error (e.g. ``"--model"``).
    changes
        Field values to replace.

    Raises
    ------
    InputError
        Naming ``source`` and the field, when the combination is not valid.
    """
    try:
        changed = dataclasses.replace(config, **changes)
    except ValueError as exc:
        key, _, message = str(exc).partition(": ")
        raise InputError(source, message or str(exc), field=f"study.{key}") from None
    return _read(changed) if changed.source is not None else changed


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML document of a config file.

    Raises
    ------
    InputError
        For an unreadable file, one larger than :data:`MAX_CONFIG_BYTES`, text that is not
        UTF-8, invalid TOML, or TOML nested too deeply to parse.
    """
    if Path(path).is_fifo():  # open() would wait for a writer forever
        raise InputError(str(path), "is a named pipe, not a config file")
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise InputError(str(path), f"cannot read the config file ({exc.strerror or exc})") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise InputError(
            str(path), f"larger than {MAX_CONFIG_BYTES // 1024} KiB: not a study config (they are a few KB)"
        )
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))  # a byte-order mark (Notepad's) dropped
    except UnicodeDecodeError as exc:
        packed = not_text(raw)  # a zipped or gzipped config (a finder)
        if packed is not None:
            raise InputError(str(path), packed) from None
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(str(path), f"not UTF-8 text (line {line}); re-save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), f"not valid TOML ({exc})") from None
    except ValueError as exc:  # an integer of over 4,300 digits (Python's conversion limit)
        raise InputError(str(path), f"not a study config: {str(exc)[:120]}") from None
    except RecursionError:
        raise InputError(str(path), "not a study config: values nested too deeply to read") from None


def load_config(path: str | Path, *, model: str | None = None, model_from: str = "model") -> StudyConfig:
    """Read a TOML study configuration.

    Every value is type-checked; an error names the file and the key: ``study.<key>`` or
    ``shares.caveats[<i>].<key>`` (``i`` counts the ``[[shares.caveats]]`` entries from 0). A
    key only another model reads than the one the study runs is refused.

    Parameters
    ----------
    path
        The TOML file.
    model
        The model the study runs instead of the file's (a command line's ``--model``): the
        configuration returned has it, and the file's keys are checked against it (it once only
        steered that check: ``load_config(path, model="dimson")`` ran the file's model).
    model_from
        Where ``model`` comes from, named in an error about it (``"--model"`` for the command line).

    Raises
    ------
    InputError
        On unreadable TOML, unknown keys or bad values, naming the file and the key; on a
        ``model`` that is not registered (or does not fit the file's other keys), naming
        ``model_from``.
    """
    path = as_path(path, "path")
    where = str(path)
    document = read_toml(path)
    unknown = set(document) - {"study", "shares", "backtest", "flows", "crosssection"}
    if unknown:
        first = sorted(unknown)[0]
        tables = "study, shares, backtest, flows, crosssection"
        problem = f"unknown table (expected {tables})"
        value = document[first]  # [[x]] is a list of tables; `name = "t"` before any [table] a key
        tables_of = [value] if isinstance(value, dict) else value if isinstance(value, list) else [None]
        if not all(isinstance(item, dict) for item in tables_of):
            problem = f"a key outside any table: keys go in a table ({tables}), e.g. [study]"
        raise InputError(where, problem, field=_short(first))
    study = document.get("study", {})
    if not isinstance(study, dict):
        raise InputError(where, "must be a table: [study]", field="study")
    known = {f.name for f in dataclasses.fields(StudyConfig)} - {
        "share_caveats",
        "backtest",
        "flows",
        "crosssection",
        *NOT_SETTINGS,
    }
    for key in study:
        if key not in known:
            raise InputError(
                where,
                f"unknown key (expected one of {', '.join(sorted(known))})",
                field=f"study.{_short(key)}",
            )
    values: dict[str, Any] = {key: _from_toml(value) for key, value in study.items()}
    caveats = _load_caveats(document.get("shares", {}), where)
    backtest = parse_backtest_table(document["backtest"], path) if "backtest" in document else None
    flows = parse_flows(document.get("flows", []), where)
    regressions = parse_crosssection_tables(document.get("crosssection", []), path)
    try:
        config = StudyConfig(
            **values,
            share_caveats=caveats,
            backtest=backtest,
            flows=flows,
            crosssection=regressions,
            source=where,
        )
    except ValueError as exc:
        key, _, message = str(exc).partition(": ")
        if key.startswith("crosssection["):
            raise InputError(where, message, field=key) from None
        raise InputError(where, message, field=f"study.{key}") from None
    if model is None:
        _check_model_options(config.model, study, where)
        return _runnable(config, where)
    try:
        config = with_overrides(config, model_from, model=model)
    except InputError as exc:  # a key the model needs is missing from the file: the file's field
        if exc.field == "study.model":
            raise
        asked = f"{model_from} {model}" if model_from.startswith("-") else f"{model_from}={model!r}"
        raise InputError(where, f"{exc.message} ({asked})", field=exc.field) from None
    _check_model_options(model, study, where)
    return _runnable(config, where)


def _runnable(config: StudyConfig, where: str) -> StudyConfig:
    problem = day_zero_problem(config)
    if problem:
        raise InputError(where, problem, field="study.estimation_window")
    return _read(config)


NOT_SETTINGS: tuple[str, ...] = ("source", "as_read")
"""The fields of :class:`StudyConfig` that record where it came from, not the study."""


def _read(config: StudyConfig) -> StudyConfig:
    """``config`` holding itself as read (:attr:`StudyConfig.as_read`)."""
    object.__setattr__(config, "as_read", dataclasses.replace(config))
    return config


def _check_model_options(model: str, study: Mapping[str, Any], where: str) -> None:
    """Refuse a key of ``[study]`` that only another model than the config's reads (``sector`` with
    ``model = "market"``): it would be recorded in the manifest as the study's and never applied.
    ``model`` is the model the study runs (the file's, or a command line's ``--model``)."""
    for key in study:
        applies = _other_models_option(model, key)
        if applies:
            raise InputError(where, f"{applies}: remove it", field=f"study.{key}")


def model_option_problem(config: StudyConfig, model: str | None = None) -> tuple[str, str] | None:
    """The field and problem of an option only another model than the study's reads (``model``,
    the name of a model object it is given, or ``config.model``), set to other than its default
    (``StudyConfig(model="market", dimson_lags=3)``), or None.

    A config built in Python cannot say which fields were given, so a value at its default passes
    (a file's key is refused even then: :func:`load_config`). Checked where a study is run
    (:func:`eventstudy.study.checked_arguments`), not where a folder's config is read back.
    """
    for item in dataclasses.fields(config):
        if item.name in NOT_SETTINGS:
            continue
        applies = _other_models_option(model or config.model, item.name)
        if applies and getattr(config, item.name) != item.default:
            return item.name, f"{applies}: leave it at its default ({item.default!r})"
    return None


def _other_models_option(model: str, key: str) -> str | None:
    """``'applies to model = "dimson", not 'market''`` for a key only other models than ``model``
    read, None for any other key."""
    from eventstudy.models import MODELS

    readers = [name for name, cls in MODELS.items() if key in cls.options]
    if not readers or model in readers:
        return None
    return "applies to " + " or ".join(f'model = "{name}"' for name in readers) + f", not {model!r}"


def _short(key: str) -> str:
    """A TOML key for an error message, cut to 40 characters."""
    return key if len(key) <= 40 else key[:37] + "..."


def _from_toml(value: object) -> object:
    """TOML arrays, and arrays of arrays, as tuples (the dataclass's sequences); the rest as is.

    Two levels are all a field needs (``event_windows``); deeper values are left to the field
    checks to refuse, so no recursion follows the document's nesting.
    """
    if isinstance(value, list):
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return value


def _load_caveats(shares: object, where: str) -> tuple[ShareCaveat, ...]:
    """The ``[[shares.caveats]]`` entries, each checked and named ``shares.caveats[i].<key>``."""
    if not isinstance(shares, dict):
        raise InputError(where, "must be a table with [[shares.caveats]] entries", field="shares")
    for key in shares:
        if key != "caveats":
            raise InputError(where, "unknown key (expected caveats)", field=f"shares.{_short(key)}")
    entries = shares.get("caveats", [])
    if not isinstance(entries, list):
        raise InputError(
            where, "must be [[shares.caveats]] tables of ticker, from, note", field="shares.caveats"
        )
    caveats: list[ShareCaveat] = []
    for i, entry in enumerate(entries):
        name = f"shares.caveats[{i}]"
        if not isinstance(entry, dict):
            raise InputError(where, "must be a table of ticker, from, note", field=name)
        for key in entry:
            if key not in _CAVEAT_KEYS:
                raise InputError(
                    where, "unknown key (expected ticker, from, note)", field=f"{name}.{_short(key)}"
                )
        for key in _CAVEAT_KEYS:
            if key not in entry:
                raise InputError(where, "is required", field=f"{name}.{key}")
        problem = symbol_problem(entry["ticker"])
        if problem:
            raise InputError(where, problem, field=f"{name}.ticker")
        start = _as_date(entry["from"])
        if start is None:
            given = entry["from"]
            text = given.isoformat(" ") if isinstance(given, dt.datetime) else shown(given)
            raise InputError(
                where,
                f"{text} is not a date between {FIRST_DATE} and {LAST_DATE} (write e.g. from = 2025-08-22"
                f"{'; a caveat applies from a day, not a moment' if isinstance(given, dt.datetime) else ''})",
                field=f"{name}.from",
            )
        note = entry["note"]
        problem = _note_problem(note)
        if problem:
            raise InputError(where, problem, field=f"{name}.note")
        twice = [j for j, c in enumerate(caveats) if (c.ticker, c.start) == (entry["ticker"], start)]
        if twice:
            message = f"{entry['ticker']} from {start} is listed twice (entries {twice[0]} and {i})"
            raise InputError(where, message, field=f"{name}.from")
        caveats.append(ShareCaveat(entry["ticker"], start, note))
    return tuple(caveats)


def parse_flows(entries: object, where: str, *, prefix: str = "flows") -> tuple[FlowEdge, ...]:
    """The ``[[flows]]`` tables of a config document, checked.

    Raises
    ------
    InputError
        Naming ``where`` and ``flows[i].<key>`` (i from 0): an unknown or missing key, an event
        id that is not an identifier, a payer or payee that is not one line of 1 to
        :data:`MAX_FLOW_NAME` characters (words apart by one plain space, no invisible character:
        :data:`eventstudy.text.CONTROL`), a payer paying itself, a ticker that is not a symbol or
        is listed twice, an edge listed twice (the same event, payer and payee), a party spelled
        otherwise than another edge spells a name that reads the same (:func:`_name_key`: case,
        joiners, composed accents), or more than :data:`MAX_FLOWS` edges.
    """
    if not isinstance(entries, list):
        raise InputError(where, "must be [[flows]] tables of event_id, payer, payee, tickers", field=prefix)
    if len(entries) > MAX_FLOWS:
        raise InputError(where, f"{len(entries)} flows; at most {MAX_FLOWS}", field=prefix)
    edges = []
    for i, entry in enumerate(entries):
        name = f"{prefix}[{i}]"
        if not isinstance(entry, dict):
            raise InputError(where, "must be a table of event_id, payer, payee, tickers", field=name)
        for key in entry:
            if key not in FLOW_KEYS:
                expected = ", ".join(FLOW_KEYS)
                raise InputError(
                    where, f"unknown key (expected {expected})", field=f"{name}.{_short(str(key))}"
                )
        for key in FLOW_KEYS[:3]:
            if key not in entry:
                raise InputError(where, "is required", field=f"{name}.{key}")
        sides = {key: entry[key] for key in ("payer_ticker", "payee_ticker") if key in entry}
        try:
            edges.append(
                FlowEdge(
                    entry["event_id"],
                    entry["payer"],
                    entry["payee"],
                    entry.get("tickers", list(sides.values())),
                    **sides,
                )
            )
        except ValueError as exc:
            key, _, problem = str(exc).partition(": ")
            raise InputError(where, problem, field=f"{name}.{key}") from None
    repeated = _flows_problem(edges)
    if repeated:
        raise InputError(where, repeated[1], field=prefix + repeated[0])
    return tuple(edges)


def _flows_problem(edges: Sequence[FlowEdge]) -> tuple[str, str] | None:
    """(field, what to say) of the first edge repeating an earlier one's event, payer and payee
    (a copied ``[[flows]]`` table was listed twice in the report), or naming a party as an earlier
    edge does but for case or another spelling of the same look (:func:`_name_key`: ``Nvidia``
    and ``NVIDIA`` were drawn as two nodes); None when there is none."""
    seen: dict[tuple[str, str, str], int] = {}
    names: dict[str, tuple[str, int]] = {}
    for i, edge in enumerate(edges):
        for key in ("payer", "payee"):
            name = getattr(edge, key)
            spelled, first = names.setdefault(_name_key(name), (name, i))
            if spelled != name:
                alike = f"{shown(name)} and {shown(spelled)} look alike"
                return f"[{i}].{key}", f"{alike} (edges {first} and {i})"
        first = seen.setdefault((edge.event_id, edge.payer, edge.payee), i)
        if first != i:
            twice = f"{edge.payer} pays {edge.payee} in {edge.event_id} twice"
            return f"[{i}].payee", f"{twice} (edges {first} and {i})"
    return None


_UNSEEN = re.compile("[\u200c\u200d\ufe00-\ufe0f\U000e0100-\U000e01ef]")
"""The joiners and variation selectors a name may hold (they spell emoji and some scripts) but
that draw nothing between two Latin letters."""


def _name_key(name: str) -> str:
    """What a party's name looks like: compatibility-normalised (NFKC: an é typed as e and a
    combining accent is the é), without joiners or variation selectors, case folded. Two
    names of one key were drawn as two nodes that read the same (``Open\u200dAI``)."""
    return _UNSEEN.sub("", unicodedata.normalize("NFKC", name)).casefold()


def _flow_edge_problem(edge: FlowEdge) -> str | None:
    """What is wrong with ``edge`` as ``"<field>: <what>"`` (the checks of ``[[flows]]``), or None."""
    event_id = edge.event_id
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
        return f"event_id: {shown(event_id)} is not an event id (letters, digits, . _ -)"
    for key in ("payer", "payee"):
        value = getattr(edge, key)
        if (
            not isinstance(value, str)
            or not value.strip()
            or len(value) > MAX_FLOW_NAME
            or value != " ".join(value.split())  # the report shows runs of spaces as one
            or CONTROL.search(value)  # a soft hyphen, a zero-width space: dropped from the report
        ):
            return (
                f"{key}: {shown(value)} is not a name: one line of 1 to {MAX_FLOW_NAME} characters, "
                "words apart by one plain space (U+0020), no invisible characters"
            )
    if _name_key(edge.payer) == _name_key(edge.payee):
        return "payee: payer and payee are the same"
    given = {key: getattr(edge, key) for key in ("payer_ticker", "payee_ticker")}
    sides = {key: ticker for key, ticker in given.items() if ticker is not None}
    for key, ticker in sides.items():
        problem = symbol_problem(ticker)
        if problem:
            return f"{key}: {problem}"
    if len(sides) == 2 and sides["payer_ticker"] == sides["payee_ticker"]:
        return "payee_ticker: payer_ticker and payee_ticker are the same"
    for ticker in edge.tickers:
        problem = symbol_problem(ticker)
        if problem:
            return f"tickers: {problem}"
    if len(set(edge.tickers)) != len(edge.tickers):
        return "tickers: a ticker is listed twice"
    for key, ticker in sides.items():
        if ticker not in edge.tickers:
            return f"{key}: {ticker} is not one of the edge's tickers ({', '.join(edge.tickers) or 'none'})"
    return None


def _note_problem(note: object) -> str | None:
    """What is wrong with ``note`` as a caveat's note; ``None`` when it is one line of text."""
    if (
        not isinstance(note, str)
        or not note.strip()
        or len(note) > MAX_NOTE_LENGTH
        or any(stop in note for stop in "\n\r\u2028\u2029")
    ):
        return f"{shown(note)} is not a note: one line of text, 1 to {MAX_NOTE_LENGTH} characters"
    if CONTROL.search(note):  # a direction override, a zero-width space: changed how the line read
        return f"{shown(note)} holds an invisible character (a direction mark, a zero-width space, a control)"
    if ";" in note:
        return (
            f"{shown(note)} holds a semicolon, which separates a row's notes in car.parquet's note column "
            "(the report would count the rest as a note of its own): write a comma or a dash"
        )
    return None


def _day(value: object, name: str) -> dt.date:
    """The day ``value`` names, as a :class:`datetime.date` between FIRST_DATE and LAST_DATE.

    ``value`` may be a date, ``"YYYY-MM-DD"`` text, or a ``datetime``, ``pd.Timestamp`` or
    ``np.datetime64`` at midnight (a time zone's midnight names its day).

    Raises
    ------
    ValueError
        ``"<name>: <what is wrong>"`` for any other value: a time of day other than midnight, a
        missing time (NaT), text that is not a date, a date outside the range, a number.
    """
    rule = f"is not a date between {FIRST_DATE} and {LAST_DATE} (a datetime.date or 'YYYY-MM-DD')"
    moment = "has a time of day: a caveat applies from a day, not a moment (give the date)"
    given = value
    if type(value).__module__ == "numpy":
        import numpy as np  # loaded already: value is a numpy object

        if isinstance(value, np.datetime64):
            if np.isnat(value):
                raise SettingError(name, f"{shown(given)} {rule}")
            day = value.astype("datetime64[D]")
            if day != value:
                raise SettingError(name, f"{shown(given)} {moment}")
            value = day.item()  # a date; an int beyond the year 9999, refused below
    value = plain(value)
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
            raise SettingError(name, f"{shown(given)} {rule}")
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise SettingError(name, f"{shown(given)} {rule}") from None
    if isinstance(value, dt.datetime):
        if value != value:  # pd.NaT
            raise SettingError(name, f"{shown(given)} {rule}")
        nanosecond: object = getattr(value, "nanosecond", 0)  # pd.Timestamp's, below a microsecond
        if value.time() != dt.time(0) or nanosecond:
            raise SettingError(name, f"{shown(given)} {moment}")
        value = value.date()
    if not isinstance(value, dt.date) or not FIRST_DATE <= value <= LAST_DATE:
        raise SettingError(name, f"{shown(given)} {rule}")
    return dt.date(value.year, value.month, value.day)  # a date subclass as a date


def _as_date(value: object) -> dt.date | None:
    """A TOML date or ``"YYYY-MM-DD"`` text as a date in the supported range; ``None`` if not."""
    if isinstance(value, dt.datetime):
        return None  # a date-time: the caveat applies from a day, not a moment
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.date) and FIRST_DATE <= value <= LAST_DATE:
        return value
    return None
