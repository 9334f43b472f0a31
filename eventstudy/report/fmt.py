"""Numbers with their units, as the reports print them.

One function per unit; each returns ``"—"`` for a missing value (NaN, None, NaT). Signed
quantities always carry their sign (``+`` or an ASCII ``-``, so text can be searched and pasted
into a spreadsheet), except a value that rounds to zero: ``0.00%``, not ``-0.00%`` (a sign
there would report the rounding noise of a value that is 0 in exact arithmetic, which differs
between machines).

=============  ===========================  ===============================
unit           function                     example
=============  ===========================  ===============================
``usd``        :func:`money`                ``+$242.8B``, ``-$1.2B``, ``$300.0B`` (unsigned)
``fraction``   :func:`percent`              ``+35.38%``
``t``          :func:`tstat`                ``+16.30``
``probability`` :func:`probability`         ``0.000``, ``0.042``
``ratio``      :func:`ratio`                ``+0.809``
``t`` + p      :func:`starred`              ``+7.57***``, ``+7.57***†`` (BH q < 5%)
``date``       :func:`date`                 ``2025-09-10``
=============  ===========================  ===============================

User text (headlines, notes, names, paths) goes into a report through :func:`plain` (one line,
no control characters) and, where the surrounding text is markdown, :func:`md` (escaped so that
a markdown renderer shows it literally: a ``|`` cannot end a table cell, a newline cannot end a
row or start a heading, ``<script>`` is text, ``[x](url)`` is not a link).
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from eventstudy import text as _text

MISSING = "—"


def is_missing(value: Any) -> bool:
    """True for None, NaN and NaT."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


unsigned_zero = _text.unsigned_zero
fixed = _text.fixed
_signed = _text.signed


def money(value: Any, *, signed: bool = True) -> str:
    """US dollars scaled to T, B or M: ``+$242.8B``; ``signed=False`` drops the plus sign."""
    if is_missing(value):
        return MISSING
    value = float(value)
    size = abs(value)
    for power, unit in ((12, "T"), (9, "B"), (6, "M")):
        if size >= 10.0**power:
            return _signed(f"${fixed(size, 1, shift=-power, grouped=True)}{unit}", value, signed)
    return _signed(f"${fixed(size, 0, grouped=True)}", value, signed)


def percent(value: Any, *, digits: int = 2, signed: bool = True) -> str:
    """A fraction as a percentage: 0.3538 -> ``+35.38%``."""
    if is_missing(value):
        return MISSING
    value = float(value)
    return _signed(f"{fixed(value, digits, shift=2)}%", value, signed)


def tstat(value: Any) -> str:
    """A t statistic with sign and two decimals."""
    if is_missing(value):
        return MISSING
    value = float(value)
    return _signed(fixed(value, 2), value, True)


def probability(value: Any) -> str:
    """A p-value with three decimals (``<0.001`` below that)."""
    if is_missing(value):
        return MISSING
    value = float(value)
    return "<0.001" if value < 0.0005 else fixed(value, 3)


def ratio(value: Any, *, digits: int = 3) -> str:
    """A signed ratio, e.g. dollars of value per deal dollar."""
    if is_missing(value):
        return MISSING
    value = float(value)
    return _signed(fixed(value, digits), value, True)


STAR_LEVELS: tuple[tuple[float, str], ...] = ((0.01, "***"), (0.05, "**"), (0.10, "*"))
"""Significance stars by two-sided p: *** below 1%, ** below 5%, * below 10%."""
STARS_NOTE = "* p < 0.10, ** p < 0.05, *** p < 0.01 (two-sided)"


def stars(p: Any) -> str:
    """``***``, ``**``, ``*`` or ``""`` for a two-sided p-value (:data:`STAR_LEVELS`)."""
    if is_missing(p):
        return ""
    for level, mark in STAR_LEVELS:
        if float(p) < level:
            return mark
    return ""


BH_MARK = "†"
BH_LEVEL = 0.05


def bh_note(per_statistic: bool = True) -> str:
    """What ``†`` means, over the family the folder's p_bh was adjusted over: each statistic's
    windows in its group (``per_statistic``: the manifest's ``p_family``), or, in a folder written
    before that record, the group's every window and test."""
    family = (
        "its windows in the group (manifest.json's p_family)"
        if per_statistic
        else "the group's every window and test (this folder, an older version's, records no p_family)"
    )
    return (
        "† significant at 5% also after the Benjamini–Hochberg (1995) adjustment for multiple testing "
        f"(q = stats.parquet's p_bh < 0.05) over the test's family: {family}"
    )


def bh_mark(q: Any) -> str:
    """``†`` for a Benjamini-Hochberg adjusted p-value (q) below :data:`BH_LEVEL`, else ``""``."""
    return BH_MARK if not is_missing(q) and float(q) < BH_LEVEL else ""


def starred(value: Any, p: Any, q: Any = None, *, unit: str = "t") -> str:
    """A t or z statistic (or a value of another ``unit``, :func:`by_unit`: Wilcoxon's W) with its
    stars from the raw p, and ``†`` when its Benjamini-Hochberg adjusted p ``q`` is below 5%:
    ``+2.45**``, ``+3.90***†``, ``66**`` (``—`` when missing)."""
    text = by_unit(value, unit)
    return text if text == MISSING else text + stars(p) + bh_mark(q)


def count(value: Any) -> str:
    """A count with thousands separators; one that is not whole (a mean number of positions) with
    two decimals, never cut to its integer part (1.92 was shown as 1)."""
    if is_missing(value):
        return MISSING
    number = float(value)
    return f"{int(number):,}" if number.is_integer() else f"{number:,.2f}"


counted = _text.counted


def date(value: Any) -> str:
    """A date as ``YYYY-MM-DD``."""
    if is_missing(value):
        return MISSING
    return pd.Timestamp(value).date().isoformat()


def by_unit(value: Any, unit: str) -> str:
    """Format ``value`` by a schema unit name (see :mod:`eventstudy.output.schema`)."""
    if unit == "usd":
        return money(value)
    if unit in ("fraction", "fraction/day"):
        return percent(value)
    if unit == "t":
        return tstat(value)
    if unit == "probability":
        return probability(value)
    if unit in ("ratio", "usd/usd"):
        return ratio(value)
    if unit == "date":
        return date(value)
    if unit in ("count", "days", "shares", "rank_sum"):  # rank_sum: Wilcoxon's W (ties give halves)
        return count(value)
    if is_missing(value):
        return MISSING
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.4g}"
    return str(value)


# What CommonMark/GFM could read as markup inside a line: backslash, code, emphasis and
# strikethrough marks, table pipes, an HTML tag or autolink (``<`` before a letter, ``/``, ``!``
# or ``?``), an entity (``&name;``), the ``](`` / ``][`` / ``]:`` of links, images and link
# definitions, and ``_`` at a word boundary (intraword ``_`` is never emphasis).
_MARKUP = re.compile(
    r"[\\`*|~]|<(?=[A-Za-z/!?])|&(?=#?[A-Za-z0-9]+;)|\](?=[(\[:])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])"
)


_ORDERED_ITEM = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_BLOCK_START = re.compile(r"^(?:[-+](?=\s|$)|#{1,6}(?=\s|$)|>|-+(?=[-\s]*$)|=+(?=[=\s]*$))")
"""What starts a list item, heading or quote at the start of a line (a ticker ``1.`` after a
bullet's ``- `` made a numbered list of it): escaped at the start of any text, as it may start one."""


def plain(value: Any) -> str:
    """``value`` as one line of text: each run of whitespace (newlines, tabs, Unicode line and
    paragraph separators) becomes one space, other control characters and the invisible
    direction and zero-width marks are dropped, and the ends are stripped. Missing values give
    ``""``."""
    if is_missing(value):
        return ""
    return _text.plain(value)


def code(value: Any) -> str:
    """User text as a markdown code span, shown exactly (:func:`plain` first): fenced by one
    backtick more than its longest run of them, a space inside each fence (CommonMark takes
    one from each end). :func:`md`'s escapes inside a shell command's quotes were read by bash."""
    text = plain(value)
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def md(value: Any) -> str:
    """User text for a markdown line: :func:`plain`, then every character a markdown renderer
    could read as markup backslash-escaped (CommonMark shows ``\\|`` as ``|``). Plain text
    such as ``<0.001``, ``$1.2B`` or ``[-1,+1]`` is left readable; a text with two or more
    ``$`` has each escaped, since GitHub reads ``$x^2$`` as mathematics."""
    text = _MARKUP.sub(lambda m: "\\" + m.group(0), plain(value))
    text = _BLOCK_START.sub(lambda m: "\\" + m.group(0), _ORDERED_ITEM.sub(r"\1\\\2", text))
    return text.replace("$", "\\$") if text.count("$") >= 2 else text
