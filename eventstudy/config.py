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

    [[shares.caveats]]
    ticker = "INTC"
    from = 2025-08-22
    note = "share count excludes the 433M shares issued to the U.S. government"
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventstudy.errors import InputError

MODELS: tuple[str, ...] = ("market", "constant_mean", "market_adjusted")


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
        Expected-return model: one of :data:`MODELS`.
    estimation_window
        Relative days (inclusive) of the estimation window.
    min_estimation_obs
        Fewest valid estimation returns for a pair to be estimated.
    event_windows
        Relative-day windows (inclusive) over which CARs are reported.
    share_caveats
        Notes attached to market values (see module docstring).
    """

    name: str = "study"
    market: str = "SPY"
    model: str = "market"
    estimation_window: tuple[int, int] = (-260, -11)
    min_estimation_obs: int = 100
    event_windows: tuple[tuple[int, int], ...] = ((0, 0), (-1, 1), (0, 1), (-5, 5))
    share_caveats: tuple[ShareCaveat, ...] = field(default=())

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


def load_config(path: str | Path) -> StudyConfig:
    """Read a TOML study configuration.

    Raises
    ------
    InputError
        On unreadable TOML, unknown keys or bad values, naming the file and the key.
    """
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(path), f"cannot read the config file ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"not valid TOML ({exc})") from None
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
