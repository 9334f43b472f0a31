"""Identifiers: the one grammar that every input and every cache file name follows.

An identifier names one series (a stock, an index, a fund): a Yahoo symbol, an exchange code, a
CRSP PERMNO, or whatever label a data set uses::

    identifier = ["^"] first {rest}        1 to MAX_SYMBOL_LENGTH (32) characters in all
    first      = "A".."Z" | "a".."z" | "0".."9"
    rest       = first | "." | "_" | "&" | "=" | "-"

that is, the regular expression :data:`SYMBOL_PATTERN` ``\\^?[A-Za-z0-9][A-Za-z0-9._&=-]*`` of
ASCII characters. Examples: ``NVDA``, ``BRK-B``, ``^GSPC``, ``^NSEI``, ``RELIANCE.NS``,
``M&M.NS``, ``HDFC.Bank`` (the R package eventstudies' column names), ``7203.T``,
``EURUSD=X``, ``10107`` (a CRSP PERMNO), ``nifty``. Not identifiers: spaces, letters outside
ASCII (``ÄÖ``), path separators, a leading dot, dash or underscore, the empty string, anything
longer than 32 characters.

**Case.** Identifiers are case-sensitive (``HDFC.Bank`` is written back as ``HDFC.Bank``), but
two identifiers that differ only in case (``HDFC.Bank`` and ``HDFC.BANK``) may never be used
side by side: on a case-insensitive file system (macOS, Windows) they would share one cache
file. :func:`identity_key` is the folded form they are compared by, and every place that brings
several identifiers together refuses a pair that collides once folded -- a returns panel's ids,
an import batch, the cache (an import or fetch of ``HDFC.BANK`` while ``HDFC.Bank`` is cached),
one study's events, markets and peers -- naming both (:func:`first_collision`).

**File names.** The cache stores one file per identifier, ``<STEM>.parquet`` with
``STEM = cache_stem(identifier)``: the identifier itself, except that a name Windows reserves
for a device (``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM1``-``COM9``, ``LPT1``-``LPT9``, in any
case, alone or before a dot, such as ``CON`` or ``nul.NS``) gets a leading ``_``, which no
identifier starts with (:func:`symbol_of_stem` undoes it). So every identifier is a safe file
name: no separator, not hidden, not a device, and short enough that the cache's temporary and
lock files (``.<STEM>.parquet.<random>.tmp``, ``<STEM>.parquet.lock``) stay far below the
255-byte limit of common file systems.

The same rule is applied to ``ticker`` and ``market`` in ``events.csv``, to ``market``,
``sector``, ``peers`` and the share caveats' ``ticker`` in a study config, to ``--peers``, to
the file name of an imported price CSV (``NVDA.csv``), the ``ticker`` column of a shares file
and the ids of a returns file, to the symbols given to ``eventstudy fetch`` and ``eventstudy
validate``, and to the cache's file names. So whatever one accepts, all accept.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeGuard

from eventstudy.errors import InputError

__all__ = [
    "MAX_SYMBOL_LENGTH",
    "SYMBOL_PATTERN",
    "cache_stem",
    "case_twins",
    "check_symbol",
    "collision_message",
    "first_collision",
    "identity_key",
    "is_symbol",
    "number_key",
    "number_twin_message",
    "shown",
    "symbol_of_stem",
    "symbol_problem",
    "twin_key",
    "twin_message",
]

SYMBOL_PATTERN = r"\^?[A-Za-z0-9][A-Za-z0-9._&=-]*"
"""Regular expression of an identifier (matched in full, ASCII only)."""
MAX_SYMBOL_LENGTH = 32
"""Longest identifier, ``^`` included. Yahoo's longest symbols (option contracts) have 21."""
RESERVED_DEVICE_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
)
"""Names Windows reserves for devices, alone or before an extension (compared in upper case)."""

_SYMBOL = re.compile(SYMBOL_PATTERN, re.ASCII)
_SHOWN = 40
_RULE = "letters A-Z a-z, digits and . _ & = -, starting with a letter or digit after an optional ^"


def is_symbol(text: object) -> TypeGuard[str]:
    """Whether ``text`` is an identifier (see the module docstring)."""
    return isinstance(text, str) and len(text) <= MAX_SYMBOL_LENGTH and _SYMBOL.fullmatch(text) is not None


def symbol_problem(text: object) -> str | None:
    """What is wrong with ``text`` as an identifier, in a few words; ``None`` when it is one.

    The text is quoted (shortened when long), so the message is always one line.
    """
    if is_symbol(text):
        return None
    if not isinstance(text, str):
        return f'{shown(text)} is not a ticker symbol (expected text such as "NVDA")'
    if len(text) > MAX_SYMBOL_LENGTH:
        return f"{shown(text)} is not a ticker symbol: longer than {MAX_SYMBOL_LENGTH} characters"
    stripped = text.strip()
    hint = f" (surrounding blanks? {stripped!r} is one)" if stripped != text and is_symbol(stripped) else ""
    foreign = next((c for c in text if not c.isascii()), None)
    if foreign is not None and not hint:  # 'NVDА' with a Cyrillic A reads like NVDA when printed
        hint = f" (character {text.index(foreign) + 1} is {foreign!r}, U+{ord(foreign):04X}, not ASCII)"
    return f"{shown(text)} is not a ticker symbol: {_RULE}{hint}"


def check_symbol(text: object, source: str, *, row: int | None = None, field: str | None = None) -> str:
    """``text`` if it is an identifier, else an :class:`~eventstudy.errors.InputError`.

    Parameters
    ----------
    text
        The candidate identifier.
    source, row, field
        Where it comes from, named in the error (file or option, line, column or key).
    """
    if not is_symbol(text):
        raise InputError(source, str(symbol_problem(text)), row=row, field=field)
    return text


def identity_key(symbol: str) -> str:
    """The folded form two identifiers are compared by: ``HDFC.Bank`` and ``HDFC.BANK`` collide.

    ASCII upper case (identifiers are ASCII, so this is the case folding of every common
    case-insensitive file system).
    """
    return symbol.upper()


def list_problem(symbols: Sequence[str]) -> tuple[int, str] | None:
    """The first problem of a list of identifiers (e.g. peers) as ``(position, message)``, or
    None: an entry outside the grammar (:func:`symbol_problem`), or one listed twice or
    differing only in case from an earlier one (:func:`identity_key`: ``NVDA`` and ``nvda``
    would share one cache file on a case-insensitive disk)."""
    first: dict[str, tuple[int, str]] = {}
    for position, symbol in enumerate(symbols):
        problem = symbol_problem(symbol)
        if problem:
            return position, problem
        key = identity_key(symbol)
        if key in first:
            earlier, name = first[key]
            twice = "is listed twice" if name == symbol else f"and {name} differ only in case"
            return position, f"{symbol} {twice} (entries {earlier + 1} and {position + 1})"
        first[key] = (position, symbol)
    return None


def case_twins(names: Iterable[str], known: Iterable[str]) -> Iterator[tuple[int, str, str]]:
    """``(position, name, twin)`` of each of ``names`` that differs from one of ``known``, its
    twin, only in case (:func:`identity_key`): a name that would match nothing, silently, since
    identifiers are case-sensitive (a news line for ``nvda`` in a study of ``NVDA``)."""
    folded = {identity_key(name): name for name in known}
    for position, name in enumerate(names):
        twin = folded.get(identity_key(name))
        if twin is not None and twin != name:
            yield position, name, twin


def first_collision(symbols: Iterable[str]) -> tuple[str, str] | None:
    """The first two distinct identifiers of ``symbols`` that collide once folded, or None.

    Returns ``(earlier, later)`` in iteration order; repeats of one identifier do not collide.
    """
    seen: dict[str, str] = {}
    for symbol in symbols:
        key = identity_key(symbol)
        earlier = seen.setdefault(key, symbol)
        if earlier != symbol:
            return earlier, symbol
    return None


def collision_message(earlier: str, later: str) -> str:
    """One line saying that two identifiers differ only in case."""
    return (
        f"{later!r} and {earlier!r} differ only in case: identifiers must stay distinct once "
        "case is folded (they would share one cache file on a case-insensitive file system)"
    )


_WHOLE_NUMBER = re.compile(r"([0-9]+)(?:\.0*)?")


def number_key(symbol: str) -> str | None:
    """The digits of an identifier that is a whole number with or without a float's decimals
    (``10107`` and ``10107.0`` give ``10107``; ``000001`` keeps its zeros: Shenzhen's codes are
    six digits), None for any other."""
    match = _WHOLE_NUMBER.fullmatch(symbol)
    return None if match is None else match.group(1)


def number_twin_message(earlier: str, later: str) -> str:
    """One line saying that two identifiers are one whole number written two ways."""
    return (
        f"{later!r} and {earlier!r} are one number written two ways (a column of floats?): write the "
        "ids alike, or name the column PERMNO for CRSP's ids"
    )


def twin_key(symbol: str) -> str:
    """What two identifiers share when they name one firm: the digits of a whole number
    (:func:`number_key`: ``10107`` and ``10107.0``), else the folded case (:func:`identity_key`)."""
    number = number_key(symbol)
    return identity_key(symbol) if number is None else f"#{number}"


def twin_message(earlier: str, later: str) -> str:
    """One line saying that two identifiers of one :func:`twin_key` are one firm's."""
    said = number_twin_message if number_key(later) is not None else collision_message
    return said(earlier, later)


def cache_stem(symbol: str) -> str:
    """The cache file stem of an identifier: itself, or ``_`` + it for a Windows device name."""
    device = symbol.split(".", 1)[0].upper()
    return f"_{symbol}" if device in RESERVED_DEVICE_NAMES else symbol


def symbol_of_stem(stem: str) -> str | None:
    """The identifier whose cache file stem is ``stem``, or None when no identifier has it."""
    symbol = stem[1:] if stem.startswith("_") else stem
    if is_symbol(symbol) and cache_stem(symbol) == stem:
        return symbol
    return None


def shown(value: object) -> str:
    """``repr(value)``, cut to about 40 characters for error messages (with the full length);
    a tuple as the list a config file writes, a date or time as its ISO text (``2025-01-01``,
    not ``datetime.date(2025, 1, 1)``)."""
    if isinstance(value, str) and len(value) > _SHOWN:
        return f"{value[: _SHOWN - 3]!r}... ({len(value)} characters)"
    text = repr(_as_written(value))
    return text if len(text) <= _SHOWN + 2 else text[: _SHOWN - 3] + "..."


class _Written(str):
    """Text shown as it is written (its repr is itself)."""

    def __repr__(self) -> str:
        return str(self)


def _as_written(value: object) -> object:
    """``value`` with tuples as lists and dates and times as their ISO text, for :func:`shown`."""
    if isinstance(value, tuple | list):
        return [_as_written(item) for item in value]
    if isinstance(value, dt.date | dt.time):  # a datetime is a date
        return _Written(value.isoformat())
    return value
