"""Ticker symbols: the one grammar that every input and every cache file name follows.

A symbol is the instrument's Yahoo Finance symbol, in upper case ASCII::

    symbol = ["^"] first {rest}          at most MAX_SYMBOL_LENGTH (32) characters in all
    first  = "A".."Z" | "0".."9"
    rest   = "A".."Z" | "0".."9" | "." | "=" | "-"

that is, the regular expression :data:`SYMBOL_PATTERN` ``\\^?[A-Z0-9][A-Z0-9.=-]*`` with a
length of 1 to 32. Examples: ``NVDA``, ``BRK-B``, ``^GSPC``, ``7203.T``, ``0700.HK``,
``EURUSD=X``, ``GC=F``. Not symbols: lower case (``nvda``), spaces, letters outside ASCII
(``ÄÖ``), path separators, a leading dot (``..``), the empty string, anything longer than 32
characters.

The same rule is applied to ``ticker`` in ``events.csv``, to ``market``, ``sector``,
``peers`` and the share caveats' ``ticker`` in a study config, to ``--peers``, to the file
name of an imported price CSV (``NVDA.csv``) and the ``ticker`` column of a shares file, to
the symbols given to ``eventstudy fetch`` and ``eventstudy validate``, and to the cache's file
names (``prices/<SYMBOL>.parquet``). So whatever one accepts, all accept, and every symbol is
a safe file name: no separator, no leading dot, and short enough that the cache's temporary
and lock files (``.<SYMBOL>.parquet.<random>.tmp``, ``<SYMBOL>.parquet.lock``) stay far below
the 255-byte file-name limit of common file systems.
"""

from __future__ import annotations

import re

from eventstudy.errors import InputError

__all__ = [
    "MAX_SYMBOL_LENGTH",
    "SYMBOL_PATTERN",
    "check_symbol",
    "is_symbol",
    "shown",
    "symbol_problem",
]

SYMBOL_PATTERN = r"\^?[A-Z0-9][A-Z0-9.=-]*"
"""Regular expression of a symbol (matched in full, ASCII only)."""
MAX_SYMBOL_LENGTH = 32
"""Longest symbol, ``^`` included. Yahoo's longest symbols (option contracts) have 21."""

_SYMBOL = re.compile(SYMBOL_PATTERN, re.ASCII)
_SHOWN = 40


def is_symbol(text: object) -> bool:
    """Whether ``text`` is a symbol (see the module docstring)."""
    return isinstance(text, str) and len(text) <= MAX_SYMBOL_LENGTH and _SYMBOL.fullmatch(text) is not None


def symbol_problem(text: object) -> str | None:
    """What is wrong with ``text`` as a symbol, in a few words; ``None`` when it is one.

    The text is quoted (shortened when long), so the message is always one line.
    """
    if is_symbol(text):
        return None
    if not isinstance(text, str):
        return f'{shown(text)} is not a ticker symbol (expected text such as "NVDA")'
    if len(text) > MAX_SYMBOL_LENGTH:
        return f"{shown(text)} is not a ticker symbol: longer than {MAX_SYMBOL_LENGTH} characters"
    upper = text.upper()
    hint = f" (did you mean {upper!r}?)" if upper != text and is_symbol(upper) else ""
    return (
        f"{shown(text)} is not a ticker symbol in upper case: letters A-Z, digits and . = -, "
        f"optionally after a leading ^{hint}"
    )


def check_symbol(text: object, source: str, *, row: int | None = None, field: str | None = None) -> str:
    """``text`` if it is a symbol, else an :class:`~eventstudy.errors.InputError`.

    Parameters
    ----------
    text
        The candidate symbol.
    source, row, field
        Where it comes from, named in the error (file or option, line, column or key).
    """
    problem = symbol_problem(text)
    if problem is not None:
        raise InputError(source, problem, row=row, field=field)
    return text  # type: ignore[return-value]


def shown(value: object) -> str:
    """``repr(value)``, cut to about 40 characters for error messages (with the full length)."""
    if isinstance(value, str) and len(value) > _SHOWN:
        return f"{value[: _SHOWN - 3]!r}... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= _SHOWN + 2 else text[: _SHOWN - 3] + "..."
