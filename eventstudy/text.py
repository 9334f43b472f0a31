"""User text made safe for one line of output: plain text and LaTeX.

Text a user typed (headlines, group names, tickers) reaches summaries, tables and reports. Here
it is reduced to one line (every run of whitespace one space) without the characters that
would change how the rest of the line reads, and escaped for LaTeX. The summaries
(:mod:`eventstudy.summary`) and the report's tables (:mod:`eventstudy.report.tables`) share
these rules.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Iterable, Sequence
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_UP, Context, Decimal, localcontext

WHITESPACE = re.compile(r"\s+")
# C0 and C1 controls, and the invisible characters that change how the rest of a line reads or
# hide text in it: the bidirectional marks, embeddings, overrides and isolates (a U+202E reverses
# what follows it), the zero-width space, the byte-order mark, the soft hyphen, the word joiner
# and invisible operators (U+2060-U+2064), the Mongolian vowel separator, the interlinear
# annotation marks (U+FFF9-U+FFFB), the Hangul fillers (drawn blank: U+115F, U+1160, U+3164,
# U+FFA0), the tag characters (U+E0000-U+E007F: a whole hidden sentence after a headline), the
# combining grapheme joiner (U+034F), Khmer's inherent vowels (U+17B4, U+17B5), Mongolian's
# free variation selectors (U+180B-U+180F), the musical formatting marks (U+1D173-U+1D17A),
# the deprecated format characters (U+206A-U+206F), the shorthand format controls
# (U+1BCA0-U+1BCA3) and the Braille blank (U+2800, drawn as nothing).
# The joiners U+200C and U+200D stay: they spell words (Persian, Indic scripts) and emoji.
CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\xad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b\u200e\u200f"
    r"\u202a-\u202e\u2060-\u2064\u2066-\u206f\u2800\u3164\ufeff\uffa0\ufff9-\ufffb\U0001bca0-\U0001bca3"
    r"\U0001d173-\U0001d17a\U000e0000-\U000e007f]"
)

LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "[": "{[}",
    "]": "{]}",
    "τ": r"$\tau$",
    "—": "---",
    "–": "--",
    "†": r"$^{\dagger}$",
    "ö": r"\"{o}",
}
"""LaTeX's ten special characters; ``<``, ``>`` and ``|``, which the default OT1 font encoding
prints as other glyphs; brackets, braced so that text starting a table row or following ``\\``
or ``\\midrule`` (a window ``[0,0]``) is not read as their optional argument ("Illegal unit of
measure"); and the few non-ASCII characters the tool itself writes (τ, dashes, the
dagger, Pynnönen's ö), so that the output compiles with pdfLaTeX's defaults."""


def plain(value: object) -> str:
    """``value`` as one line of text: each run of whitespace (newlines, tabs, Unicode line and
    paragraph separators) becomes one space, other control characters and the invisible
    direction and zero-width marks are dropped, and the ends are stripped."""
    return CONTROL.sub("", WHITESPACE.sub(" ", str(value))).strip()


def latex(value: object) -> str:
    """``value`` as LaTeX text on one line (:func:`plain`, then :data:`LATEX` escaped); a hyphen
    or dash beside another is kept apart (``-{}-``, ``--{}--``), as TeX would join ``g--1`` into
    an en dash."""
    text = plain(value)
    dashes = "-–—"  # side by side, TeX would join them into a longer dash
    return "".join(
        ("{}" if i and char in dashes and text[i - 1] in dashes else "")
        + LATEX.get(char, char)
        for i, char in enumerate(text)
    )


def unsigned_zero(text: str) -> str:
    """``text`` without its leading ``+`` or ``-`` when its number shows no digit but 0
    (``-0.00%`` -> ``0.00%``): a value that rounds to zero has no sign to show; ``-inf`` keeps its.
    The one rule of the report's cells, the summary's and the backtest's text."""
    if text[:1] in ("+", "-") and "0" in text and not any(digit in text for digit in "123456789"):
        return text[1:]
    return text


def fixed(value: float, digits: int, *, shift: int = 0, grouped: bool = False) -> str:
    """``|value| × 10**shift`` with ``digits`` decimals, a half rounded up (away from zero).

    The value's shortest decimal form (``repr``, what a reader of the exported table sees) is
    rounded, so 5/8 = 0.625 as a percentage with no decimals is 63%, as by hand; Python's
    ``format`` gives 62% (ties to even, on the binary value), and 2.675 gives 2.67 (its binary
    value is a little below the half). ``grouped`` adds thousands separators. Not finite:
    ``inf`` or ``nan``. The one rounding rule of the report, the summaries and the backtest's
    text, so that no two of them show one number differently.
    """
    size = abs(float(value))
    if not math.isfinite(size):
        return f"{size:.{digits}f}"
    # a context of its own: the caller's (a notebook's getcontext().prec = 4) rounded 1.44999%
    # to 1.45 before 1.5 (a re-attack); 28 digits hold a float's 17 exactly
    with localcontext(Context(prec=28, Emax=MAX_EMAX, Emin=MIN_EMIN)) as context:
        exact = Decimal(repr(size)).scaleb(shift)
        context.prec = max(28, exact.adjusted() + digits + 2)  # every digit of a large value
        rounded = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{rounded:,f}" if grouped else f"{rounded:f}"


def signed(text: str, value: float, plus: bool) -> str:
    """``text`` (the digits of ``|value|``) with ``-`` before a negative value and, with ``plus``,
    ``+`` before a positive one; none before a value that shows as 0 (:func:`unsigned_zero`)."""
    if value < 0:
        return unsigned_zero("-" + text)
    return unsigned_zero("+" + text) if plus and value > 0 else text


NUMBER_SPEC = re.compile(r"(\+?)(,?)\.(\d+)([f%])")
"""The format specs :func:`number` takes: ``[+][,].N(f|%)``."""


def number(value: float, spec: str, *, shift: int = 0) -> str:
    """``value`` as ``format(value, spec)`` shows it (``+.2f``, ``,.1f``, ``+.2%``), but rounded as
    :func:`fixed` rounds (a half up, on the shortest decimal form) and without the sign of a value
    that shows as 0; ``shift`` scales by ``10**shift`` first (dollars in billions: ``-9``).

    Raises
    ------
    ValueError
        If ``spec`` is not of the form ``[+][,].N(f|%)``.
    """
    match = NUMBER_SPEC.fullmatch(spec)
    if match is None:
        raise ValueError(f"format spec {spec!r} is not [+][,].N(f|%)")
    plus, grouped, digits, kind = match.groups()
    value = float(value)
    percent = kind == "%"
    text = fixed(value, int(digits), shift=shift + 2 * percent, grouped=bool(grouped))
    return signed(text + "%" * percent, value, bool(plus))


def listing(names: Sequence[str], limit: int = 5) -> str:
    """``a, b, c`` (at most ``limit`` names, then ``and 3 more``)."""
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def counted(value: int, noun: str, plural: str | None = None) -> str:
    """``1 announcement``, ``2,000 announcements`` (``plural`` when the noun's is not noun + s)."""
    return f"{value:,} {noun if value == 1 else plural or noun + 's'}"


_ESCAPES = {"\\": "\\\\", "'": "\\'", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def shell_path(path: object) -> str:
    """``path`` as a command's argument in advice the user types: quoted by :func:`shell_line`,
    and ``./`` before a name that begins with ``-``, which the command would read as an option
    (``--cache -mycache``: "expected one argument")."""
    text = str(path)
    return shell_line([f"./{text}" if text.startswith("-") else text])


def shell_line(arguments: Iterable[object]) -> str:
    r"""A command line for a POSIX shell that :func:`plain` leaves as it is: each argument quoted
    (:func:`shlex.quote`), and one that :func:`plain` would change (a run of spaces, a tab, a line
    break, a control or invisible character) in bash's ANSI-C quotes, ``$'a\tb'``, whose escapes
    stand for those characters (``\uHHHH`` needs a UTF-8 locale, as any such name does)."""
    return " ".join(_shell_word(str(argument)) for argument in arguments)


def _shell_word(word: str) -> str:
    if WHITESPACE.sub(" ", word) == word and CONTROL.search(word) is None:  # as plain() leaves it
        return shlex.quote(word)
    out: list[str] = []
    for char in word:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == " " and not (out and out[-1].endswith(" ")):
            out.append(char)
        elif WHITESPACE.match(char) or CONTROL.match(char):
            out.append(_code_escape(ord(char)))
        else:
            out.append(char)
    return "$'" + "".join(out) + "'"


def _code_escape(code: int) -> str:
    """bash's escape of a character (``\\xHH`` above 0x7f would be a byte, not the character)."""
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}" if code < 1 << 16 else f"\\U{code:08x}"
