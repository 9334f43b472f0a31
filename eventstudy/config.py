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
    # model options (read only by the model that uses them):
    dimson_lags = 1                       # model = "dimson"
    sector = "SMH"                        # model = "sector"
    factors_file = "my_factors.parquet"   # model = "user_factors"

    [[shares.caveats]]
    ticker = "INTC"
    from = 2025-08-22
    note = "share count excludes the 433M shares issued to the U.S. government"
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventstudy.errors import InputError

_TICKER = re.compile(r"\^?[A-Z0-9][A-Z0-9.=-]*")

MODELS: tuple[str, ...] = (
    "market",
    "constant_mean",
    "market_adjusted",
    "scholes_williams",
    "dimson",
    "ff3",
    "carhart4",
    "ff5",
    "sector",
    "user_factors",
)
"""Names of the expected-return models (see :mod:`eventstudy.models`)."""

MAX_DIMSON_LAGS = 10


@dataclass(frozen=True)
class ShareCaveat:
    """A warning attached to market values of ``ticker`` computed on or after ``start``."""

    ticker: str
    start: dt.date
    note: str


@dataclass(frozen=True)
class StudyConfig:
    """Everything that defines a study besides its events and prices.

    Attributes
    ----------
    name
        Study name; the default output folder is ``reports/<name>/``.
    market
        Market proxy symbol; its trading dates are the calendar.
    model
        Expected-return model: one of :data:`MODELS` (``market``, ``constant_mean``,
        ``market_adjusted``, ``scholes_williams``, ``dimson``, ``ff3``, ``carhart4``, ``ff5``,
        ``sector``, ``user_factors``).
    estimation_window
        Relative days (inclusive) of the estimation window.
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
    """

    name: str = "study"
    market: str = "SPY"
    model: str = "market"
    estimation_window: tuple[int, int] = (-260, -11)
    min_estimation_obs: int = 100
    event_windows: tuple[tuple[int, int], ...] = ((0, 0), (-1, 1), (0, 1), (-5, 5))
    share_caveats: tuple[ShareCaveat, ...] = field(default=())
    dimson_lags: int = 1
    sector: str = "SMH"
    factors_file: str | None = None
    exclude_overlapping_windows: bool = False
    peers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check(self)

    @property
    def event_span(self) -> tuple[int, int]:
        """The smallest interval of relative days covering every event window."""
        return (min(w[0] for w in self.event_windows), max(w[1] for w in self.event_windows))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (used in ``manifest.json``)."""
        out = dataclasses.asdict(self)
        out["estimation_window"] = list(self.estimation_window)
        out["event_windows"] = [list(w) for w in self.event_windows]
        out["peers"] = list(self.peers)
        out["share_caveats"] = [
            {"ticker": c.ticker, "from": c.start.isoformat(), "note": c.note} for c in self.share_caveats
        ]
        return out


def window_label(window: tuple[int, int]) -> str:
    """``(-1, 1)`` -> ``"[-1,+1]"``; ``(0, 0)`` -> ``"[0,0]"``."""

    def signed(day: int) -> str:
        return f"{day:+d}" if day else "0"

    return f"[{signed(window[0])},{signed(window[1])}]"


def _check(config: StudyConfig) -> None:
    def fail(name: str, message: str) -> None:
        raise ValueError(f"{name}: {message}")

    if config.model not in MODELS:
        fail("model", f"{config.model!r} is not one of {', '.join(MODELS)}")
    for ticker in config.peers:
        if not _TICKER.fullmatch(ticker):
            fail("peers", f"{ticker!r} is not a ticker symbol in upper case")
    start, end = config.estimation_window
    if start > end:
        fail("estimation_window", "start is after end")
    if not config.event_windows:
        fail("event_windows", "at least one window is needed")
    for window in config.event_windows:
        if len(window) != 2 or window[0] > window[1]:
            fail("event_windows", f"{list(window)} is not [start, end] with start <= end")
    if end >= config.event_span[0]:
        fail("estimation_window", "must end before the first event-window day")
    if config.min_estimation_obs < 3:
        fail("min_estimation_obs", "must be at least 3")
    if isinstance(config.dimson_lags, bool) or not isinstance(config.dimson_lags, int):
        fail("dimson_lags", f"{config.dimson_lags!r} is not an integer")
    if not 1 <= config.dimson_lags <= MAX_DIMSON_LAGS:
        fail("dimson_lags", f"must be between 1 and {MAX_DIMSON_LAGS}, got {config.dimson_lags}")
    if not isinstance(config.sector, str) or not config.sector.strip():
        fail("sector", "must be a non-empty symbol")
    if config.model == "sector" and config.sector == config.market:
        fail("sector", f"must differ from the market proxy ({config.market})")
    if config.factors_file is not None and (
        not isinstance(config.factors_file, str) or not config.factors_file.strip()
    ):
        fail("factors_file", "must be a file path")
    if config.model == "user_factors" and config.factors_file is None:
        fail("factors_file", "is required when model is user_factors")
    if not isinstance(config.exclude_overlapping_windows, bool):
        fail("exclude_overlapping_windows", f"{config.exclude_overlapping_windows!r} is not true or false")


def with_overrides(config: StudyConfig, source: str, **changes: Any) -> StudyConfig:
    """``dataclasses.replace(config, **changes)``, with bad values as :class:`InputError`.

    Used for command-line options that override the config file (e.g. ``--model``).

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
        return dataclasses.replace(config, **changes)
    except ValueError as exc:
        key, _, message = str(exc).partition(": ")
        raise InputError(source, message or str(exc), field=f"study.{key}") from None


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML document of a config file; unreadable files and bad TOML are InputErrors."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(path), f"cannot read the config file ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"not valid TOML ({exc})") from None


def load_config(path: str | Path) -> StudyConfig:
    """Read a TOML study configuration.

    Raises
    ------
    InputError
        On unreadable TOML, unknown keys or bad values, naming the file and the key.
    """
    path = Path(path)
    document = read_toml(path)
    # [backtest] belongs to `eventstudy backtest` and is read by eventstudy.backtest.
    unknown = set(document) - {"study", "shares", "backtest"}
    if unknown:
        raise InputError(str(path), "unknown table", field=sorted(unknown)[0])
    study = dict(document.get("study", {}))
    known = {f.name for f in dataclasses.fields(StudyConfig)} - {"share_caveats"}
    for key in study:
        if key not in known:
            raise InputError(
                str(path),
                f"unknown key (expected one of {', '.join(sorted(known))})",
                field=f"study.{key}",
            )
    try:
        if "estimation_window" in study:
            study["estimation_window"] = tuple(int(v) for v in study["estimation_window"])
        if "peers" in study:
            study["peers"] = tuple(str(v) for v in study["peers"])
        if "event_windows" in study:
            study["event_windows"] = tuple(tuple(int(v) for v in w) for w in study["event_windows"])
        caveats = tuple(
            ShareCaveat(str(c["ticker"]), _as_date(c["from"]), str(c["note"]))
            for c in document.get("shares", {}).get("caveats", [])
        )
        return StudyConfig(**study, share_caveats=caveats)
    except (KeyError, TypeError, ValueError) as exc:
        text = str(exc).strip("'\"")
        key, _, message = text.partition(": ")
        if message:
            raise InputError(str(path), message, field=f"study.{key}") from None
        raise InputError(str(path), f"bad value ({text})") from None


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
