"""The ``[[crosssection]]`` tables of a study's TOML file: regressions to run on the results.

::

    [[crosssection]]
    name = "value_per_deal"                            # names the rows of crosssection.parquet
    formula = "value_to_deal ~ np.log(deal_usd) + C(role)"
    window = [-1, 1]                                   # one of the study's event windows
    sample = "parties"                                 # "parties" (default), "peers" or "all"
    weights = "none"                                   # or "patell": WLS, 1 / Var(dependent)
    cluster = "event_id"                               # clusters of the cluster-robust s.e.

The formula is a patsy formula over the columns of ``car.parquet`` (:data:`FORMULA_COLUMNS`:
``car``, ``abnormal_value_usd``, ``value_to_deal``, ``deal_usd``, ``mcap_prev_usd``, ``role``,
``group``, ``ticker``, ``beta``, ``sigma``, ..., and of the confounder screen's columns
``confounded``: 1 or 0, missing where not screened), the event's ``timing`` and the party's
``flow_side`` (``payer``, ``payee``, ``both`` or ``none``, from the config's ``[[flows]]``:
:mod:`eventstudy.crosssection.flows`). Only these names,
numbers, the operators of the formula language and the functions ``np.log``, ``np.log1p``,
``np.sqrt``, ``np.abs``, ``np.exp``, ``C(...)``, ``I(...)``, ``Treatment(...)``, ``Sum(...)``,
``center``, ``standardize`` may appear (text and date columns are categories: one dummy per
value; no comparison: :data:`_COMPARISONS`), and quoted text only as a plain literal level of
``Treatment`` or ``Sum`` (no f-string, whose braces hold code), so a formula cannot run other
code. Every key but
``name`` and ``formula`` is optional; errors name the file and ``crosssection[i].<key>``.
"""

from __future__ import annotations

import io
import math
import re
import token
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventstudy.columns import CAR_COLUMNS, CAR_TEXT_COLUMNS
from eventstudy.errors import InputError
from eventstudy.plain import plain
from eventstudy.symbols import shown

SAMPLES: tuple[str, ...] = ("parties", "peers", "all")
WEIGHTS: tuple[str, ...] = ("none", "patell")
MAX_REGRESSIONS = 20
MAX_FORMULA_LENGTH = 500
_KEYS: tuple[str, ...] = ("name", "formula", "window", "sample", "weights", "cluster")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)

FORMULA_COLUMNS: tuple[str, ...] = (*CAR_COLUMNS, "confounded", "timing", "flow_side")
"""Variables a formula may use: the columns of ``car.parquet``
(:data:`eventstudy.columns.CAR_COLUMNS` and the confounder screen's ``confounded``, 1 or 0, a
window not screened for earnings missing), the event's ``timing`` and the party's ``flow_side``."""

TEXT_COLUMNS: tuple[str, ...] = (*CAR_TEXT_COLUMNS, "timing", "flow_side")
"""Formula variables that hold text: categories, as ``role`` or ``C(role)``, never operands of
Python's arithmetic (``I(role * 99999999)`` repeated each text until memory ran out)."""

DATE_COLUMNS: tuple[str, ...] = ("day0", "shares_as_of")
"""Formula variables that hold dates: categories as text is (patsy codes a date by its values),
never an argument of a function (``I(day0):I((day0)):...`` was a category no bound counted: 474,552
columns from 25 rows; a re-attack)."""

SCREEN_TEXT_COLUMNS: tuple[str, ...] = ("confounders", "dominant_tau", "dominant_date")
"""Columns of ``car.parquet`` the confounder screen writes that a formula may not use."""

CLUSTER_COLUMNS: tuple[str, ...] = ("event_id", "ticker", "group", "role", "day0")
"""Columns that may define the clusters of the cluster-robust standard errors."""

WEIGHTED_DEPENDENTS: dict[str, str] = {
    "car": "car_se",
    "abnormal_value_usd": "car_se x mcap_prev_usd",
    "value_to_deal": "car_se x mcap_prev_usd / deal_usd",
}
"""Dependent variables with a standard error for Patell-type weights, and that standard error."""

_FUNCTIONS = {"C", "I", "Treatment", "Sum", "center", "standardize", "np"}
_FUNCTIONS |= {"reference", "omit", "rescale", "ddof"}  # keywords (_KEYWORDS)
_NUMPY = {"log", "log1p", "sqrt", "abs", "exp"}
_OPERATORS = {"~", "+", "-", "*", "/", ":", "(", ")", ",", "=", ".", "**", "%"}
_COMPARISONS = ("<", ">", "<=", ">=", "==", "!=")
"""Refused, with their reason: a missing value (np.log of a negative number) compares False, so
``I(np.log(car) > -3)`` made the rows it should drop zeros, and numpy's booleans add as OR
(``I((beta > 1) + (sigma > 0.02))``) and negate as NOT (a re-attack)."""


@dataclass(frozen=True)
class CrossSectionSpec:
    """One cross-sectional regression of a study.

    Attributes
    ----------
    name
        Identifier of the regression (letters, digits, ``. _ -``; at most 64 characters).
    formula
        patsy formula, ``dependent ~ regressors`` (see the module docstring for what it may use).
    window
        The event window whose rows are regressed (one of the study's ``event_windows``).
    sample
        ``"parties"`` (listed parties, default), ``"peers"`` or ``"all"``.
    weights
        ``"none"`` (OLS) or ``"patell"``: WLS with weight :math:`1/se_i^2`, the inverse of the
        estimation-window variance of the dependent variable (:data:`WEIGHTED_DEPENDENTS`).
    cluster
        Column whose values define the clusters of the cluster-robust standard errors
        (:data:`CLUSTER_COLUMNS`; default ``event_id``: the parties of one announcement).
    """

    name: str
    formula: str
    window: tuple[int, int]
    sample: str = "parties"
    weights: str = "none"
    cluster: str = "event_id"

    def __post_init__(self) -> None:
        for key in ("name", "formula", "window", "sample", "weights", "cluster"):  # np.int64(0) -> 0
            object.__setattr__(self, key, plain(getattr(self, key), 1 if key == "window" else 0))
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ValueError(
                f"name: {shown(self.name)} is not a name (letters, digits and . _ -, starting with a letter "
                "or digit, at most 64 characters)"
            )
        problem = formula_problem(self.formula)
        if problem:
            raise ValueError(f"formula: {problem}")
        window = self.window
        if (
            not isinstance(window, tuple)  # a list is stored as a tuple: the spec is hashed
            or len(window) != 2
            or not all(isinstance(d, int) and not isinstance(d, bool) for d in window)
        ):
            raise ValueError(f"window: {shown(window)} is not [start, end]")
        for key, allowed in (("sample", SAMPLES), ("weights", WEIGHTS), ("cluster", CLUSTER_COLUMNS)):
            value = getattr(self, key)
            if not isinstance(value, str) or value not in allowed:
                raise ValueError(f"{key}: {shown(value)} is not one of {', '.join(allowed)}")
        if self.weights == "patell" and self.dependent not in WEIGHTED_DEPENDENTS:
            raise ValueError(
                f"weights: patell weights need a dependent variable with a standard error "
                f"({', '.join(WEIGHTED_DEPENDENTS)}), not {shown(self.dependent)}"
            )

    @property
    def dependent(self) -> str:
        """The left-hand side of the formula, as written."""
        return self.formula.split("~", 1)[0].strip()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "formula": self.formula,
            "window": list(self.window),
            "sample": self.sample,
            "weights": self.weights,
            "cluster": self.cluster,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CrossSectionSpec:
        values = dict(data)
        if "window" in values and isinstance(values["window"], list):
            values["window"] = tuple(values["window"])
        return cls(**values)


MAX_POWER = 10
"""The largest exponent of ``**`` in a formula (a patsy interaction degree or, inside ``I()``, a
power): ``I(9**9**9)`` made patsy compute an integer of 370 million digits."""


MAX_TERMS = 100
"""The most terms a formula's right side may expand to in patsy's term algebra (an upper bound,
:func:`_term_bound`): 18 variables to the 10th power are 199,140 terms, which took patsy 154 s
and 1.6 GB before any fit. A cross-section of events has far fewer observations than that."""


POWER_RULE = f"a power is a number from 0 to {MAX_POWER} (x**2), and powers are not chained"


class _AlgebraError(ValueError):
    """A use of patsy's algebra that cannot be what the formula means: a power whose exponent is
    no number (``beta**2 sigma``), the power of one term, or nesting."""


def _number(text: str) -> float:
    """The value of a NUMBER token (NaN for a hexadecimal, octal, binary or imaginary one)."""
    try:
        return float(text)
    except ValueError:
        return float("nan")


def formula_problem(formula: object) -> str | None:
    """What is wrong with ``formula`` as a regression formula here; None when nothing.

    A formula is ``dependent ~ regressors``: one line of at most :data:`MAX_FORMULA_LENGTH`
    characters whose names are :data:`FORMULA_COLUMNS`, the allowed functions and ``np.`` +
    one of log, log1p, sqrt, abs, exp; no brackets, no attribute other than those, no names
    with double underscores.
    """
    if not isinstance(formula, str):
        return f"{shown(formula)} is not a formula (text like 'car ~ np.log(deal_usd)')"
    if not formula.strip() or len(formula) > MAX_FORMULA_LENGTH or "\n" in formula or "\r" in formula:
        return f"a formula is one line of 1 to {MAX_FORMULA_LENGTH} characters"
    if formula.count("~") != 1:
        return f"{shown(formula)} needs exactly one '~' (dependent ~ regressors)"
    left, right = (side.strip() for side in formula.split("~", 1))
    if not left:
        return "the formula has no dependent variable before '~'"
    if not right:  # patsy reads 'car ~ ' as an intercept alone; a missing regressor is a slip
        return f"{shown(formula)} has no regressors after '~' (write 'car ~ 1' for the mean alone)"
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(formula).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return f"{shown(formula)} is not a formula (unbalanced brackets or quotes)"
    significant = [t for t in tokens if t.type not in (token.NEWLINE, token.NL, token.ENDMARKER)]
    # I(9**9**9) hung patsy's eval of a huge integer, and so did ((9**9)**9)**9... in brackets:
    # (a**b)**c is a**(b*c). Inside a call's brackets ``**`` is Python's power: its degree is its
    # exponent times the largest degree of a power in its base, and no degree may pass MAX_POWER.
    # Outside them it is patsy's interaction power, whose size _term_bound checks.
    degree: dict[int, float] = {}
    open_calls = _open_calls(significant)
    for position, item in enumerate(significant):
        if item.string == "**":
            following = significant[position + 1 : position + 3]
            exponent = following[0] if following else None
            if (
                exponent is None
                or exponent.type != token.NUMBER
                or not 0 <= _number(exponent.string) <= MAX_POWER
                or (len(following) > 1 and following[1].string == "**")
            ):
                return POWER_RULE
            if not any(open_calls[position]):  # outside every call's brackets
                continue
            start = _operand_start(significant, position)
            inner = max((d for q, d in degree.items() if start <= q < position), default=1.0)
            degree[position] = _number(exponent.string) * max(inner, 1.0)
            if degree[position] > MAX_POWER:
                return (
                    f"a power of a power may not pass degree {MAX_POWER} in all ((x**2)**3 is x**6; "
                    "((9**9)**9)**9 once hung the run)"
                )
    problem = _dependent_problem([t for t in significant if t.start[1] < formula.index("~")])
    if problem:
        return problem
    problem = _text_problem(significant, open_calls)
    if problem:
        return problem
    previous = None
    for item in tokens:
        kind, text = item.type, item.string
        if kind in (token.NEWLINE, token.NL, token.ENDMARKER, token.INDENT, token.DEDENT):
            continue
        if kind == token.NAME:
            if previous is not None and previous.string == ".":
                if text not in _NUMPY:
                    return f"np.{text} is not allowed (use np.{', np.'.join(sorted(_NUMPY))})"
            elif text in SCREEN_TEXT_COLUMNS:
                return f"{text!r} (the screen's text or days) is not a formula variable: use confounded"
            elif text in ("True", "False") and previous is not None and previous.string == "=":
                pass  # a keyword's value: standardize(x, rescale=False)
            elif text not in FORMULA_COLUMNS and text not in _FUNCTIONS:
                hint = f" (numpy's is np.{text})" if text in _NUMPY else ""
                return f"{text!r} is not a column of car.parquet or an allowed function{hint}"
        elif kind == token.OP:
            if text in _COMPARISONS:
                return (
                    f"{text!r}: comparisons are not allowed (a missing value compares False, so rows without "
                    "a number would enter as 0; a category is C(column))"
                )
            if text not in _OPERATORS:
                return f"{text!r} is not allowed in a formula"
            if text == "." and (previous is None or previous.string != "np"):
                return "only np.<function> may use '.'"
        elif kind == token.STRING:
            if "__" in text or len(text) > 60:
                return f"{text} is not a level name"
        elif kind == token.ERRORTOKEN and text == " ":
            continue  # the tokenizer's space before a character it cannot read: name that character
        elif kind != token.NUMBER:
            return f"{text!r} is not allowed in a formula"
        previous = item
    return _shape_problem(significant, open_calls) or _algebra_problem(formula)


_CALLABLE = ("C", "I", "Treatment", "Sum", "center", "standardize")
"""The functions a formula may call by name (and ``np.`` + one of :data:`_NUMPY`)."""
_CONTRASTS = ("Treatment", "Sum")
"""The codings of a category, ``C``'s second argument alone: ``C(role, Sum)``,
``C(role, Treatment('buyer'))``."""
_KEYWORDS = {
    "reference": ("Treatment",),
    "omit": ("Sum",),
    **dict.fromkeys(("center", "rescale", "ddof"), ("standardize",)),
}
"""The keyword arguments a formula may give, and the functions that take each."""
_MOST_ARGUMENTS = {"C": 2, "standardize": 4}
"""The functions that take more than one argument, and how many at most (``C``: a variable and
its coding; ``standardize``: ``center``, ``rescale``, ``ddof``); every other takes one."""
_OF_A_COLUMN = ("C", "I", "center", "standardize")
"""Functions whose brackets must name a column (of none, they are a constant: patsy's "Number of
rows mismatch"); and every ``np.`` function."""


def _open_calls(tokens: list[tokenize.TokenInfo]) -> list[tuple[str | None, ...]]:
    """Per token, the brackets open at it (before its own effect), innermost last: the function
    each calls (``np.log`` for numpy's), None for a group's. The one reading of the brackets for
    the checks that ask whose argument a token is."""
    stacks: list[tuple[str | None, ...]] = []
    calls: list[str | None] = []
    for position, item in enumerate(tokens):
        stacks.append(tuple(calls))
        if item.string == "(":
            before = tokens[position - 1] if position else None
            name = before.string if before is not None and before.type == token.NAME else None
            numpy = name is not None and position > 1 and tokens[position - 2].string == "."
            calls.append(f"np.{name}" if numpy else name)
        elif item.string == ")" and calls:
            calls.pop()
    return stacks


def _shape_problem(tokens: list[tokenize.TokenInfo], open_calls: list[tuple[str | None, ...]]) -> str | None:
    """What the order of a formula's tokens makes of it that no formula means; None when nothing.

    Two operands side by side (``beta sigma``, ``2 beta``), which patsy takes for one Python
    expression that is no Python (the run stopped with a SyntaxError after the whole study was
    computed); a function named but not called (``np.log``, ``center``) or a column called
    (``beta(sigma)``); ``reference`` or ``omit`` other than as a keyword of ``Treatment`` or
    ``Sum`` (``center`` of ``standardize``); ``Treatment`` or ``Sum`` other than as ``C``'s
    coding, and a second argument of ``C`` that is no coding (``C(role, beta)`` ended the run
    with an IndexError); more arguments than a function takes (numpy's second is ``out=``); a
    function's brackets that name no column (``I(2)``), and a left side that names none
    (``0 ~ beta``); outside a function's brackets, a number other than patsy's 0 and 1 standing
    alone as a term (``beta * 0`` and ``beta + -1`` kept the intercept) or a power's whole
    exponent from 1 to 10 (patsy's interaction degree), a sign other than ``~ -1`` (``car ~ -beta``),
    ``%``; anywhere a number that is no finite decimal (``0x10``, ``1e400``).
    """
    tilde = next(k for k, item in enumerate(tokens) if item.string == "~")
    if not any(item.type == token.NAME and item.string in FORMULA_COLUMNS for item in tokens[:tilde]):
        return "the left of '~' names no column: the dependent variable is a column or a function of one"
    arguments: list[int] = []  # per open bracket: its arguments so far
    named: list[bool] = []  # per open bracket: whether a column stood inside it
    for position, item in enumerate(tokens):
        calls = open_calls[position]
        before = tokens[position - 1] if position else None
        prior = before.string if before is not None else ""
        after = tokens[position + 1].string if position + 1 < len(tokens) else ""
        text, inside = item.string, any(calls)
        if before is not None and _side_by_side(before, item):
            return (
                f"{shown(prior + ' ' + text)}: two operands side by side need an operator "
                "between them (+ for another term, : for an interaction, I(a * b) for a product)"
            )
        if item.type == token.NAME:
            called = after == "("
            coding = bool(calls) and calls[-1] == "C" and prior == "," and arguments[-1] == 2
            if text in FORMULA_COLUMNS:
                named = [True] * len(named)
            if prior == ".":  # np.<function>
                if not called:
                    return f"np.{text} is a function: call it, as np.{text}(x)"
            elif text == "np":
                if after != ".":
                    functions = ", np.".join(sorted(_NUMPY))
                    return f"np is numpy: call one of its functions, as np.log(x) (np.{functions})"
            elif after == "=" and calls and calls[-1] in _KEYWORDS.get(text, ()):
                pass  # Treatment(reference='level'), standardize(x, center=0)
            elif text in _KEYWORDS and text not in _CALLABLE:
                function = _KEYWORDS[text][0]
                return f"{text} is a keyword of {function}(...), as {function}({text}='level')"
            elif text in _CONTRASTS and not (coding and after in ("(", ")")):
                return (
                    f"{text} codes a category as C's second argument alone: C(role, {text}) or "
                    f"C(role, {text}('level'))"
                )
            elif text in _CALLABLE and not called and not coding:
                return f"{text} is a function: call it, as {text}(x)"
            elif called and text not in _CALLABLE:
                return f"{text} is no function: only {', '.join(_CALLABLE)} and np.<function> are called"
        elif item.type == token.NUMBER:
            value = _number(text)
            if not math.isfinite(value) or not re.fullmatch(r"[0-9_.]+([eE][-+]?[0-9_]+)?", text):
                return f"{shown(text)} is not a finite decimal number"
            if prior == "**" and not inside and not re.fullmatch(r"[1-9][0-9]*", text):
                return f"outside I(...) '**' is patsy's interaction degree, a whole number 1 to {MAX_POWER}"
            alone = not calls and prior in ("~", "+", "-") and after in ("+", "-", "")
            if not inside and prior != "**" and not (text in ("0", "1") and alone):
                return (
                    f"{shown(text)}: outside a function's brackets a number is 0 or 1 alone as a term (the "
                    f"intercept: + 1, - 1, + 0) or a power's exponent; a constant or a scaled variable is "
                    f"I(...), as I(beta * {text})"
                )
        elif text in ("+", "-") and not inside and not _ends_operand(before):
            if not (prior == "~" and text == "-" and after in ("0", "1")):  # ~ -1: no intercept
                return f"a sign {text} outside I(...) is patsy's term algebra, not a number's: I({text}x)"
        elif text == "%" and not inside:
            return "'%' is Python's remainder, inside I(...) only, as I(n_est % 5)"
        elif text == "=" and prior not in _KEYWORDS:
            return "'=' only gives a keyword: Treatment(reference='level'), Sum(omit='level')"
        elif text == ",":
            callee = calls[-1] if calls else None
            if callee is None:
                return "',' only parts a function's arguments"
            arguments[-1] += 1
            if arguments[-1] > _MOST_ARGUMENTS.get(callee, 1):
                takes = _MOST_ARGUMENTS.get(callee, 1)
                return f"{callee}(...) takes {'one argument' if takes == 1 else f'at most {takes} arguments'}"
            if callee == "C" and after not in _CONTRASTS:
                return f"C(...)'s second argument is a coding, Treatment or Sum, not {shown(after)}"
        if text == "(":
            arguments.append(1)
            named.append(False)
        elif text == ")" and calls:
            callee, had_column = calls[-1], named.pop()
            arguments.pop()
            if callee is not None and (callee in _OF_A_COLUMN or callee.startswith("np.")) and not had_column:
                return (
                    f"{callee}(...) names no column: a constant is no regressor (the intercept is one unless "
                    "the formula removes it with - 1)"
                )
    return None


def _ends_operand(item: tokenize.TokenInfo | None) -> bool:
    """True when ``item`` can end an operand (a name, a number, a text or a closing bracket)."""
    if item is None:
        return False
    return item.type in (token.NAME, token.NUMBER, token.STRING) or item.string == ")"


def _side_by_side(before: tokenize.TokenInfo, item: tokenize.TokenInfo) -> bool:
    """True when ``item`` starts an operand right after one that ``before`` ends, as no operator
    parts them; a name before an opening bracket is a call (whether it may be called is judged
    apart)."""
    starts = item.type in (token.NAME, token.NUMBER, token.STRING) or item.string == "("
    return _ends_operand(before) and starts and not (item.string == "(" and before.type == token.NAME)


def _text_problem(tokens: list[tokenize.TokenInfo], open_calls: list[tuple[str | None, ...]]) -> str | None:
    """What puts text into Python's arithmetic; None when nothing. A text column
    (:data:`TEXT_COLUMNS`) may stand as a term (``role``) or as the first argument of ``C``
    (``C(role, Treatment('buyer'))``), and a quoted text only inside ``Treatment`` or ``Sum``:
    anywhere else it is an operand (``I(role * 99999999)``, ``I('ab' * 10**9)``) whose repetition
    took all of the machine's memory."""
    for position, item in enumerate(tokens):
        calls = open_calls[position]
        before = tokens[position - 1] if position else None
        if item.type == token.STRING:
            after = tokens[position + 1].string if position + 1 < len(tokens) else ""
            literal = item.string[:1] in ("'", '"')  # no prefix: an f-string's braces hold code
            alone = before is not None and before.string in ("(", "=") and after in (")", ",")
            if not (literal and alone and calls and calls[-1] in ("Treatment", "Sum")):
                return (
                    f"{shown(item.string)} is not a level name alone inside Treatment(...) or Sum(...): "
                    "quoted text is a plain literal, never an operand or an f-string"
                )
        elif item.type == token.NAME and item.string == "C" and any(calls):
            call = next(c for c in reversed(calls) if c is not None)
            return (
                f"C(...) is a term of its own, never an argument of {call}(...): patsy makes it a category "
                "whose columns no bound of this check can count"
            )
        elif item.type == token.NAME and item.string in (*TEXT_COLUMNS, *DATE_COLUMNS) and any(calls):
            after = tokens[position + 1].string if position + 1 < len(tokens) else ""
            if not (calls[-1] == "C" and before is not None and before.string == "(" and after in (",", ")")):
                call = next(c for c in reversed(calls) if c is not None)
                kind = "a date" if item.string in DATE_COLUMNS else "text"
                return (
                    f"{item.string!r} is {kind}: a term as {item.string} or C({item.string}), never an "
                    f"argument of {call}(...)"
                )
    return None


def _algebra_problem(formula: str) -> str | None:
    """What patsy's term algebra would make of ``formula`` that its text does not say; None when
    nothing. Too many terms (:data:`MAX_TERMS`, bounded before they are made: :func:`_term_bound`)
    or factors in one term (:data:`MAX_FACTORS`: :func:`_widest_term`);
    ``x**2`` of one term, which patsy reads as ``x`` (an interaction power); ``a / b``, patsy's
    nesting ``a + a:b``; and a variable in no term of the regression (``a - b`` removes ``b``)."""
    from patsy import EvalFactor, ModelDesc, PatsyError
    from patsy.parse_formula import parse_formula

    try:
        regressors = parse_formula(formula).args[-1]
        terms, written = _term_bound(regressors)
        terms += 1  # the intercept, which '~' adds unless the formula removes it
        widest = _widest_term(regressors)
    except _AlgebraError as exc:
        return str(exc)
    except PatsyError:
        return None  # malformed for patsy: the fit's note says how
    except Exception as exc:  # patsy's tokenizer asserted on 'car ~ %': a config error, not a traceback
        return f"patsy cannot read the formula ({type(exc).__name__}: {str(exc)[:80]})"
    if terms > MAX_TERMS:
        return (
            f"the regressors may expand to more than {MAX_TERMS} terms, and a formula has at most "
            f"{MAX_TERMS} terms in patsy's algebra ((a + b + c)**2 is a + b + c + a:b + a:c + b:c; "
            "a * b is a + b + a:b)"
        )
    if widest > MAX_FACTORS:
        return (
            f"a term of the regressors may interact at most {MAX_FACTORS} factors ({widest} here): patsy's "
            "redundancy check of one term takes time exponential in its factors (14 hung the run)"
        )
    try:
        terms_made = ModelDesc.from_formula(formula).rhs_termlist
    except PatsyError:
        return None
    except Exception as exc:  # as above
        return f"patsy cannot read the formula ({type(exc).__name__}: {str(exc)[:80]})"
    kept = {factor.name() for term in terms_made for factor in term.factors}
    removed = sorted(name for name in (EvalFactor(code).name() for code in written) if name not in kept)
    if removed:
        return (
            f"{removed[0]} is in no term of the regression: patsy's '-' removes terms (a - b is a alone; "
            "a difference of two numbers is I(a - b))"
        )
    return None


def _term_bound(node: Any) -> tuple[int, frozenset[str]]:
    """An upper bound on the number of terms patsy's algebra makes of the parse ``node`` of a
    formula (``patsy.parse_formula``), and the factors (Python expressions) they are made of.

    Without evaluating the algebra, which is what takes the time: ``a + b`` has at most
    :math:`n_a + n_b` terms, ``a - b`` :math:`n_a`, ``a:b`` :math:`n_a n_b`, ``a * b``
    :math:`n_a + n_b + n_a n_b`, ``a / b`` :math:`n_a + n_b`, ``a**p``
    :math:`\\sum_{k=1}^p \\binom{n_a}{k}`; and, as each term is a set of the factors, never more
    than :math:`2^f` for f factors.

    Raises
    ------
    _AlgebraError
        When a power's exponent is not a number from 0 to :data:`MAX_POWER`.
    """
    kind = node.type
    if kind == "PYTHON_EXPR":
        return 1, frozenset({node.token.extra})
    if kind == "/":  # patsy's nesting
        raise _AlgebraError(
            "'/' between terms is patsy's nesting (a / b is a + a:b), not division: write I(a / b) for "
            "a ratio, or a + a:b"
        )
    if not node.args:  # ZERO, ONE, NUMBER: the intercept or its absence
        return 1, frozenset()
    parts = [_term_bound(arg) for arg in node.args]
    factors = frozenset().union(*(names for _, names in parts))
    first, second = parts[0][0], parts[-1][0]
    if len(parts) == 1 or kind == "-":
        bound = first
    elif kind == ":":
        bound = first * second
    elif kind == "*":
        bound = first + second + first * second
    elif kind == "**":
        numeric = node.args[1].type in ("NUMBER", "ONE", "ZERO")  # patsy's own names of 1 and 0
        exponent = _number(node.args[1].token.extra) if numeric else math.nan
        if not 0 <= exponent <= MAX_POWER:  # 'beta**2 sigma': patsy reads '2 sigma' as the exponent
            raise _AlgebraError(POWER_RULE)
        if node.args[0].type == "PYTHON_EXPR" and exponent != 1:
            code, power = node.args[0].token.extra, node.args[1].token.extra
            raise _AlgebraError(
                f"patsy's {code}**{power} is {code} alone (an interaction power of one term); a number's "
                f"power is I(x**{power})"
            )
        # the distinct products of up to p of the base's terms, each a set of its factors
        bound = sum(math.comb(first, k) for k in range(1, int(exponent) + 1))
    else:  # + and /
        bound = first + second
    return min(bound, 2 ** len(factors)), factors  # Python's integers: no overflow


MAX_FACTORS = 8
"""The most factors one term of a formula may interact (``a:b:c`` is three): patsy's redundancy
check of a term is exponential in its factors, 0.05 s for 8, 48 s for 11; 14 comparisons chained by
':' hung the run (a re-attack)."""


def _widest_term(node: Any) -> int:
    """An upper bound on the factors of the widest term patsy's algebra makes of the parse
    ``node`` (as :func:`_term_bound`, without expanding it): ``a:b`` and ``a * b`` add their
    widths, ``a**p`` multiplies its base's by p (at most its distinct factors), the others take
    the widest of their parts."""
    kind = node.type
    if kind == "PYTHON_EXPR":
        return 1
    if not node.args:
        return 0
    widths = [_widest_term(arg) for arg in node.args]
    if len(widths) == 2 and kind in (":", "*"):
        return widths[0] + widths[1]
    if kind == "**" and node.args[1].type in ("NUMBER", "ONE", "ZERO"):
        distinct = len(_term_bound(node.args[0])[1])
        return min(widths[0] * max(int(_number(node.args[1].token.extra)), 1), distinct)
    return max(widths)


def _operand_start(tokens: list[tokenize.TokenInfo], position: int) -> int:
    """The position of the first token of the operand left of the operator at ``position``: the
    token before it, or the opening bracket of the group that token closes."""
    end = position - 1
    if end < 0 or tokens[end].string != ")":
        return max(end, 0)
    depth = 0
    for start in range(end, -1, -1):
        depth += {")": 1, "(": -1}.get(tokens[start].string, 0)
        if depth == 0:
            return start
    return 0


def _dependent_problem(left: list[tokenize.TokenInfo]) -> str | None:
    """What makes the tokens left of '~' more than one numeric column; None when nothing. patsy
    makes a column of each term of the left side (``car + value_to_deal``) and of each level of a
    categorical one (``C(role)``), and the fit took the first column alone, without a word."""
    depth = 0
    for item in left:
        text = item.string
        depth += {"(": 1, ")": -1}.get(text, 0)
        if depth == 0 and text in ("+", "-", "*", ":", "/", "|", "**", "%"):
            return (
                f"the left of '~' is one variable or a function of it: {text!r} there is patsy's term "
                "algebra, not arithmetic (use I(...), e.g. I(car * 100))"
            )
        if item.type == token.NAME and text == "C":
            return "the dependent variable is one numeric column, not a categorical C(...)"
    return None


def uses_column(formula: str, column: str) -> bool:
    """True when the (checked) ``formula`` names the variable ``column``."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(formula).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return False
    return any(item.type == token.NAME and item.string == column for item in tokens)


def parse_crosssection_tables(entries: object, path: str | Path) -> tuple[CrossSectionSpec, ...]:
    """The ``[[crosssection]]`` tables of ``path``, checked.

    Raises
    ------
    InputError
        Naming ``path`` and ``crosssection[i].<key>`` (i from 0): an unknown or missing key, a
        bad value, a name used twice, more than :data:`MAX_REGRESSIONS` tables.
    """
    where = str(path)
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise InputError(where, "must be [[crosssection]] tables", field="crosssection")
    if len(entries) > MAX_REGRESSIONS:
        message = f"{len(entries)} regressions; at most {MAX_REGRESSIONS}"
        raise InputError(where, message, field="crosssection")
    specs: list[CrossSectionSpec] = []
    for i, entry in enumerate(entries):
        name = f"crosssection[{i}]"
        for key in entry:
            if key not in _KEYS:
                short = key if len(key) <= 40 else key[:37] + "..."
                expected = f"unknown key (expected one of {', '.join(_KEYS)})"
                raise InputError(where, expected, field=f"{name}.{short}")
        for key in ("name", "formula", "window"):
            if key not in entry:
                raise InputError(where, "is required", field=f"{name}.{key}")
        values: dict[str, Any] = {key: (tuple(v) if isinstance(v, list) else v) for key, v in entry.items()}
        try:
            spec = CrossSectionSpec(**values)
        except ValueError as exc:
            key, _, message = str(exc).partition(": ")
            raise InputError(where, message or key, field=f"{name}.{key}") from None
        if any(s.name == spec.name for s in specs):
            raise InputError(where, f"{spec.name!r} is used twice", field=f"{name}.name")
        specs.append(spec)
    return tuple(specs)
