"""The backtest's rule language: the ``[backtest]`` table of a study's TOML file.

::

    [backtest]
    entry = "close_day0"        # or "open_day1"
    holding_days = [1, 5, 10, 20]
    weighting = "equal"         # or "value"
    cost_bps = 10               # per side
    drift_days = [1, 5, 10, 20] # horizons k of the post-announcement drift table, BHAR[+1,+k]
    calendar_time = ["capm", "ff3", "carhart4"]  # calendar-time portfolio alphas (French factors)
    calendar_time_frequency = "daily"            # or "monthly"
    [backtest.positions]        # role -> "long" | "short" | "none"; roles not listed are not traded
    supplier = "long"
    rival = "short"
    default = "long"            # optional: side for any role not listed

Every key is optional. Without a ``[backtest.positions]`` table every listed party is bought
(``default = "long"``); with one, roles it does not name are not traded unless ``default`` is
given. Unknown keys and bad values raise :class:`~eventstudy.errors.InputError` naming the
file and the key (e.g. ``backtest.holding_days``). Every value is type-checked: ``entry`` and
``weighting`` are text from their lists; ``holding_days`` and ``drift_days`` whole numbers of
trading days from 1 to :data:`MAX_DAYS`, at most :data:`MAX_HORIZONS` of them, none twice;
``cost_bps`` a number from 0 to :data:`MAX_COST_BPS`; a ``positions`` key is a role as
``events.csv`` spells it (letters, digits, ``. _ -``) or ``default``.
"""

from __future__ import annotations

import difflib
import logging
import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventstudy.errors import InputError
from eventstudy.peers import PEER_ROLE
from eventstudy.plain import plain, plain_real
from eventstudy.symbols import shown
from eventstudy.text import listing

LOG = logging.getLogger("eventstudy")

ENTRIES: tuple[str, ...] = ("close_day0", "open_day1")
WEIGHTINGS: tuple[str, ...] = ("equal", "value")
SIDES: dict[str, int] = {"long": 1, "short": -1, "none": 0}
_KEYS: tuple[str, ...] = (
    "entry",
    "holding_days",
    "weighting",
    "cost_bps",
    "drift_days",
    "positions",
    "calendar_time",
    "calendar_time_frequency",
)
CALENDAR_TIME_MODELS: tuple[str, ...] = ("capm", "ff3", "carhart4")
"""Factor models of the calendar-time portfolio regressions (:mod:`eventstudy.backtest.calendar_time`)."""
CALENDAR_TIME_FREQUENCIES: tuple[str, ...] = ("daily", "monthly")
MAX_DAYS = 2520
"""Longest holding period or drift horizon, in trading days (ten years of sessions)."""
MAX_HORIZONS = 50
"""Most holding periods (or drift horizons) one backtest may list."""
MAX_COST_BPS = 10_000.0
"""Largest cost per side: 10,000 bps is the whole notional."""
_ROLE = re.compile(r"[A-Za-z0-9._-]+", re.ASCII)
_DEPTHS: dict[str, int] = {
    "entry": 0,
    "holding_days": 1,
    "weighting": 0,
    "positions": 2,
    "default_side": 0,
    "drift_days": 1,
    "calendar_time": 1,
    "calendar_time_frequency": 0,
}
"""Levels of lists in a :class:`BacktestConfig` field that are stored as tuples (``cost_bps``:
a float)."""


UNTRADED_ROLE = "peer"
"""The role of the ecosystem peers (:data:`eventstudy.peers.PEER_ROLE`, which imports pandas):
never traded, so a position for it is void. A config file's is refused; a rule built in Python,
or read back from an earlier output's manifest, keeps it (void, as it always was)."""


@dataclass(frozen=True)
class BacktestConfig:
    """A trading rule on announcements.

    Attributes
    ----------
    entry
        ``"close_day0"``: buy (or sell short) at the close of event day 0;
        ``"open_day1"``: at the open of day +1.
    holding_days
        Each k gives one strategy: the position is closed at the close of day +k, so it is held
        over sessions +1..+k (for ``open_day1`` the first session only from its open).
    weighting
        ``"equal"``: every open position gets the same weight; ``"value"``: weights proportional
        to the party's market value on the close before the entry session.
    cost_bps
        Transaction cost in basis points of the traded notional, charged on entry and on exit.
    positions
        ``(role, side)`` pairs, side one of ``long``, ``short``, ``none``; a role at most once.
    default_side
        Side of any role not in ``positions``.
    drift_days
        Horizons k of the post-announcement drift table (mean BHAR over [+1,+k]).
    calendar_time
        Factor models (``capm``, ``ff3``, ``carhart4``) of the calendar-time portfolio alpha of
        each holding period (``calendar_time.parquet``; needs Ken French's daily files); empty
        for none.
    calendar_time_frequency
        ``"daily"`` or ``"monthly"`` portfolio returns for those regressions.

    Values given in Python are stored as plain Python values: numpy scalars as the ``int``,
    ``float`` or ``str`` they equal, lists as tuples, ``cost_bps`` as a float. Anything else, a
    bool or ``2.5`` among the days included, raises ``ValueError("<field>: <what is wrong>")``.
    """

    entry: str = "close_day0"
    holding_days: tuple[int, ...] = (1, 5, 10, 20)
    weighting: str = "equal"
    cost_bps: float = 10.0
    positions: tuple[tuple[str, str], ...] = field(default=())
    default_side: str = "long"
    drift_days: tuple[int, ...] = (1, 5, 10, 20)
    calendar_time: tuple[str, ...] = ()
    calendar_time_frequency: str = "daily"

    def __post_init__(self) -> None:
        for name, depth in _DEPTHS.items():  # np.int64(5) -> 5, [1, 5] -> (1, 5): what the manifest holds
            object.__setattr__(self, name, plain(getattr(self, name), depth))
        object.__setattr__(self, "cost_bps", plain_real(self.cost_bps))
        if not isinstance(self.entry, str) or self.entry not in ENTRIES:
            raise ValueError(f"entry: {shown(self.entry)} is not one of {', '.join(ENTRIES)}")
        if not isinstance(self.weighting, str) or self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting: {shown(self.weighting)} is not one of {', '.join(WEIGHTINGS)}")
        for name in ("holding_days", "drift_days"):
            days = getattr(self, name)
            if _is_int(days):  # one horizon, as `holding_days = 5` in a TOML file
                days = (days,)
                object.__setattr__(self, name, days)
            if not isinstance(days, tuple):
                raise ValueError(f"{name}: {shown(days)} must be a list of whole numbers of trading days")
            if not days:
                raise ValueError(f"{name}: give at least one number of days")
            if len(days) > MAX_HORIZONS:
                raise ValueError(f"{name}: {len(days)} horizons; at most {MAX_HORIZONS} are allowed")
            if not all(_is_int(k) and 1 <= k <= MAX_DAYS for k in days):
                raise ValueError(
                    f"{name}: {shown(list(days))} must be whole numbers of trading days "
                    f">= 1 and <= {MAX_DAYS}"
                )
            if len(set(days)) != len(days):
                raise ValueError(f"{name}: {list(days)} lists a number twice")
        cost = self.cost_bps
        if not (isinstance(cost, float) and math.isfinite(cost) and 0 <= cost <= MAX_COST_BPS):
            raise ValueError(
                f"cost_bps: {shown(cost)} must be a number >= 0 and <= {MAX_COST_BPS:g} (basis points)"
            )
        object.__setattr__(self, "cost_bps", cost + 0.0)  # -0.0 is 0 (shown as "-0 bps")
        if not isinstance(self.default_side, str) or self.default_side not in SIDES:
            raise ValueError(
                f"default_side: {shown(self.default_side)} is not one of {', '.join(SIDES)}"
            )
        models = self.calendar_time
        if not isinstance(models, tuple):
            raise ValueError(f"calendar_time: {shown(models)} is not a list of model names")
        for model in models:
            if not isinstance(model, str) or model not in CALENDAR_TIME_MODELS:
                raise ValueError(
                    f"calendar_time: {shown(model)} is not one of {', '.join(CALENDAR_TIME_MODELS)}"
                )
        if len(set(models)) != len(models):
            raise ValueError(f"calendar_time: {list(models)} lists a model twice")
        frequency = self.calendar_time_frequency
        if not isinstance(frequency, str) or frequency not in CALENDAR_TIME_FREQUENCIES:
            raise ValueError(
                f"calendar_time_frequency: {shown(frequency)} is not one of "
                f"{', '.join(CALENDAR_TIME_FREQUENCIES)}"
            )
        if not isinstance(self.positions, tuple):
            raise ValueError(f"positions: {shown(self.positions)} is not a list of (role, side) pairs")
        roles: set[object] = set()
        for pair in self.positions:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise ValueError(f"positions: {shown(pair)} is not a (role, side) pair")
            role, side = pair
            if not isinstance(role, str) or not _ROLE.fullmatch(role):
                raise ValueError(
                    f"positions: {shown(role)} is not a role as events.csv spells it (letters, digits, . _ -)"
                )
            keyword = "the key of the default side: give default_side" if role == "default" else None
            keyword = keyword or _misspelt_keyword(role)
            if keyword:  # a config file reads "default" back as the default side
                raise ValueError(f"positions.{role}: is not a role: {keyword}")
            if not isinstance(side, str) or side not in SIDES:
                raise ValueError(f"positions.{role}: {shown(side)} is not one of {', '.join(SIDES)}")
            if role in roles:  # to_dict keeps one side of a role: the rule would change on reload
                raise ValueError(f"positions: {role} is listed twice")
            roles.add(role)


    @property
    def cost(self) -> float:
        """Cost per side as a fraction of notional: ``cost_bps / 10_000``."""
        return self.cost_bps / 10_000.0

    def side_of(self, role: str) -> str:
        """``"long"``, ``"short"`` or ``"none"`` for a party's role."""
        return dict(self.positions).get(role, self.default_side)

    def sign_of(self, role: str) -> int:
        """+1 (long), -1 (short) or 0 (not traded) for a party's role."""
        return SIDES[self.side_of(role)]

    def describe(self, shown: Callable[[str], str] = str) -> str:
        """One line, e.g. ``close of day 0, long supplier / short rival, equal weights, 10 bps/side``,
        each role as ``shown`` gives it (a markdown report's escaping: a role ``_buyer_`` read as
        emphasis lost its underscores)."""
        entry = "close of day 0" if self.entry == "close_day0" else "open of day +1"
        named = [f"{side} {shown(role)}" for role, side in self.positions if side != "none"]
        if self.default_side != "none":
            named.append(f"{self.default_side} {'every other role' if self.positions else 'every party'}")
        sides = " / ".join(named) if named else "nothing"
        return (
            f"enter at the {entry}; {sides}; hold {', '.join(str(k) for k in self.holding_days)} "
            f"trading {'day' if self.holding_days == (1,) else 'days'}; {self.weighting} weights; "
            f"{self.cost_bps:g} bps per side"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (stored in the output files' metadata)."""
        return {
            "entry": self.entry,
            "holding_days": list(self.holding_days),
            "weighting": self.weighting,
            "cost_bps": self.cost_bps,
            "positions": dict(self.positions),
            "default_side": self.default_side,
            "drift_days": list(self.drift_days),
            "calendar_time": list(self.calendar_time),
            "calendar_time_frequency": self.calendar_time_frequency,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BacktestConfig:
        """Inverse of :meth:`to_dict`."""
        return cls(
            entry=str(data["entry"]),
            holding_days=tuple(int(k) for k in data["holding_days"]),
            weighting=str(data["weighting"]),
            cost_bps=float(data["cost_bps"]),
            positions=tuple((str(r), str(s)) for r, s in dict(data["positions"]).items()),
            default_side=str(data["default_side"]),
            drift_days=tuple(int(k) for k in data["drift_days"]),
            calendar_time=tuple(str(m) for m in data.get("calendar_time", ())),
            calendar_time_frequency=str(data.get("calendar_time_frequency", "daily")),
        )


def parse_backtest_table(table: Mapping[str, Any], path: str | Path) -> BacktestConfig:
    """Build a :class:`BacktestConfig` from the ``[backtest]`` table of ``path``.

    Raises
    ------
    InputError
        For an unknown key or a bad value, naming ``path`` and ``backtest.<key>``.
    """
    path = str(path)
    if not isinstance(table, Mapping):
        raise InputError(path, "must be a table", field="backtest")
    for key in table:
        if key not in _KEYS:
            raise InputError(
                path, f"unknown key (expected one of {', '.join(_KEYS)})", field=f"backtest.{_short(key)}"
            )
    values: dict[str, Any] = {}
    for key in ("entry", "weighting", "calendar_time_frequency"):
        if key in table:
            values[key] = _string(table[key], path, f"backtest.{key}")
    if "calendar_time" in table:
        models = table["calendar_time"]
        if isinstance(models, str):
            models = [models]
        if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
            raise InputError(
                path, f"{shown(models)} must be a list of model names", field="backtest.calendar_time"
            )
        values["calendar_time"] = tuple(models)
    for key in ("holding_days", "drift_days"):
        if key in table:
            values[key] = _days(table[key], path, f"backtest.{key}")
    if "cost_bps" in table:
        cost = table["cost_bps"]
        if isinstance(cost, bool) or not isinstance(cost, int | float):
            raise InputError(
                path, f"{shown(cost)} must be a number of basis points", field="backtest.cost_bps"
            )
        if not 0 <= cost <= MAX_COST_BPS:  # before float(): a TOML integer past 1e308 overflows it
            problem = f"{shown(cost)} must be a number >= 0 and <= {MAX_COST_BPS:g} (basis points)"
            raise InputError(path, problem, field="backtest.cost_bps")
        values["cost_bps"] = float(cost)
    if "calendar_time_frequency" in table and not values.get("calendar_time"):
        # the frequency of no regression: accepted and ignored without a word (a finder)
        raise InputError(
            path,
            "has no effect without calendar_time (the calendar-time models to fit: capm, ff3, carhart4)",
            field="backtest.calendar_time_frequency",
        )
    if "positions" in table:
        positions = table["positions"]
        if not isinstance(positions, Mapping):
            raise InputError(path, "must be a table of role = side", field="backtest.positions")
        values["default_side"] = "none"
        pairs = []
        for role, side in positions.items():
            name = f"backtest.positions.{_short(role)}"
            if not _ROLE.fullmatch(role):
                raise InputError(
                    path, "is not a role as events.csv spells it (letters, digits, . _ -)", field=name
                )
            keyword = _misspelt_keyword(role)
            if keyword:
                raise InputError(path, f"is not a role: {keyword}", field=name)
            side = _string(side, path, name)
            if side not in SIDES:
                raise InputError(path, f"{shown(side)} is not one of {', '.join(SIDES)}", field=name)
            if role == UNTRADED_ROLE and side != "none":  # in a config file: a manifest's rule replays
                message = (
                    "the ecosystem peers are never traded (the backtest trades the listed parties, whose "
                    "announcements it knows)"
                )
                raise InputError(path, message, field=name)
            if role == "default":
                values["default_side"] = side
            else:
                pairs.append((str(role), side))
        values["positions"] = tuple(pairs)
    try:
        return BacktestConfig(**values)
    except ValueError as exc:
        key, _, message = str(exc).partition(": ")
        raise InputError(path, message or key, field=f"backtest.{key}") from None


def _misspelt_keyword(role: str) -> str | None:
    """What a ``[backtest.positions]`` key spelt like its keywords in another case is (``Default``,
    ``PEER``): taken for the role of no event, it left every party of the default side untraded,
    exit 0. None for any other key (a near miss such as ``defualt`` is refused against the events'
    roles: :func:`check_position_roles`; ``defaulter`` may be a role)."""
    if role != "default" and role.casefold() == "default":
        return "the key of the default side is 'default', in lower case"
    if role != UNTRADED_ROLE and role.casefold() == UNTRADED_ROLE:
        return f"the key of the peers is {UNTRADED_ROLE!r}, in lower case (and they are never traded)"
    return None


def load_backtest_config(path: str | Path) -> BacktestConfig:
    """Read the ``[backtest]`` table of a study TOML file (defaults when there is none).

    Raises
    ------
    InputError
        On an unreadable file, invalid TOML, an unknown key or a bad value.
    """
    path = Path(path)
    from eventstudy.config import read_toml  # config reads its [backtest] table with this module

    return parse_backtest_table(read_toml(Path(path)).get("backtest", {}), path)


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _short(key: str) -> str:
    """A TOML key for an error message, cut to 40 characters."""
    return key if len(key) <= 40 else key[:37] + "..."


def _string(value: object, path: str, name: str) -> str:
    if not isinstance(value, str):
        raise InputError(path, f"{shown(value)} must be a string", field=name)
    return value


def _days(value: object, path: str, name: str) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise InputError(path, f"{shown(value)} must be a list of whole numbers of trading days", field=name)
    return tuple(value)


def check_position_roles(roles: Iterable[str], rule: BacktestConfig, where: str) -> None:
    """A role of ``[backtest.positions]`` that no event has, but that is a misspelling of one
    that an event has (the same letters in another case, or a :func:`difflib.get_close_matches`
    ratio of at least 0.8: ``rivall`` for ``rival``, ``peers`` for the peers' ``peer``), or of the
    key ``default`` (``defualt``: it left every party of the default side untraded), is refused:
    the misspelt role would leave the real one to the default side, turning a short into a long
    without a word. A role far from every role of the events is allowed (a config used for part
    of its events, e.g. the first rows of a file), with a warning naming it (its side applies to
    no trade, while the rule's description lists it: ``short acquirer``), and so is any role an
    event has (``defaulter``).

    Raises
    ------
    InputError
        Naming ``where`` (the config's file) and ``backtest.positions.<role>``.
    """
    given = set(roles)
    present = sorted({*given, PEER_ROLE})  # the role of the peers a study adds
    for role, _ in rule.positions:
        if role in present:
            continue
        if difflib.get_close_matches(role.casefold(), ["default"], n=1, cutoff=0.8):
            raise InputError(
                where,
                f"the config's [backtest.positions] names the role {role!r}, which no event has: the key "
                "of the default side is 'default' (a misspelling?)",
                field=f"backtest.positions.{role}",
            )
        near = [other for other in present if other.casefold() == role.casefold()]
        near = near or difflib.get_close_matches(role, present, n=1, cutoff=0.8)
        if near:
            raise InputError(
                where,
                f"the config's [backtest.positions] names the role {role!r}, which no event has; the "
                f"events have {near[0]!r} (a misspelling?): correct the config or the events",
                field=f"backtest.positions.{role}",
            )
    unused = [role for role, _ in rule.positions if role not in present]
    if unused:  # allowed, and said: a user who meant another role traded it on the default side
        LOG.warning(
            "%s: [backtest.positions] gives a side to %s, which no event has: no trade takes it (the "
            "events' roles: %s)",
            where,
            listing([repr(role) for role in unused]),
            listing(sorted(given - {PEER_ROLE})),
        )
