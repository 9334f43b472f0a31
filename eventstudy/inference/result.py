"""The result record of every test, and the p-value helpers shared by the test modules.

Every statistic of :mod:`eventstudy.inference` returns a :class:`TestResult`: the value of the
statistic, its p-value under the stated null distribution, the number of (event, firm) pairs
that entered it and the bibliographic reference of the formula.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar, Literal

import numpy as np
from scipy import special

Alternative = Literal["two-sided", "greater", "less"]
ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "less")


@dataclass(frozen=True)
class TestResult:
    """One test statistic.

    Attributes
    ----------
    statistic
        Short name, e.g. ``"patell_z"``.
    value
        Value of the statistic (NaN when it cannot be computed).
    p
        p-value for the requested alternative (NaN when the statistic is NaN or descriptive).
    n
        Number of (event, firm) pairs used; 0 when nothing could be used.
    reference
        Author(s) and year of the formula, e.g. ``"Patell (1976)"``.
    """

    __test__: ClassVar[bool] = False  # not a pytest test class despite its name

    statistic: str
    value: float
    p: float
    n: int
    reference: str

    def as_row(self) -> dict[str, object]:
        """``{"statistic", "value", "p", "n", "reference"}`` as plain Python values."""
        return asdict(self)


class NotComputableError(Exception):
    """Raised by a part of a sample that its panel cannot supply (e.g. estimation-window
    residuals of a pre-computed AR panel); the battery reports the statistic as not computable,
    with the reason, instead of a number (:meth:`eventstudy.inference.EventPanel.require`)."""


def check_alternative(alternative: str) -> None:
    """Raise ``ValueError`` unless ``alternative`` is one of two-sided, greater, less."""
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")


SPREAD_TOLERANCE = 1e-12
"""A spread below this fraction of the values' size is rounding noise of a zero spread."""


def spread(values: np.ndarray) -> float:
    """The sample standard deviation (divisor n - 1) of ``values``, 0 where it is rounding noise.

    Identical values have a spread of 0, but floating-point means and squares leave a computed
    SD of about 1e-17 of their size (three equal CARs of 0.0581 give 8.5e-18), which made a
    t of 1e16 and a "significant" test out of one number seen three times. A spread of at most
    :data:`SPREAD_TOLERANCE` times the largest ``|value|`` is taken as 0, so a test that divides
    by it is not computed, as for exactly equal values. NaN with fewer than two values.
    """
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        return float("nan")
    sd = float(x.std(ddof=1))
    return 0.0 if sd <= SPREAD_TOLERANCE * float(np.max(np.abs(x))) else sd


def standard_error_is_noise(se: float, estimate: float, scale: float = 0.0) -> bool:
    """Whether a standard error is rounding noise of a zero spread: not positive, or at most
    :data:`SPREAD_TOLERANCE` of the larger of the estimate it divides and ``scale``, the size of
    the data (their largest ``|value|``): a t beyond 1e12, which no sample of distinct values
    gives. Clustered and pooled variances come from sums of squared residuals, where identical
    values, or clusters whose residuals cancel exactly, leave about 1e-17 of the data's size;
    with an estimate of about 0 as well (values v and -v) only the data's size tells."""
    return not (se > SPREAD_TOLERANCE * max(abs(estimate), scale))


def empty_result(statistic: str, reference: str, n: int = 0) -> TestResult:
    """A result with NaN value and p-value (too few observations, missing inputs)."""
    return TestResult(statistic, float("nan"), float("nan"), int(n), reference)


# The p-values call scipy.special directly: scipy.stats.norm.sf(z) is special.ndtr(-z) and
# scipy.stats.t.sf(t, df) is special.stdtr(df, -t), the same numbers without the distribution
# object's argument checks (a study computes a few thousand of them; tests/test_inference_simulated.py).


def p_normal(z: float, alternative: Alternative = "two-sided") -> float:
    """p-value of ``z`` against the standard normal distribution."""
    check_alternative(alternative)
    if not np.isfinite(z):
        return float("nan")
    if alternative == "two-sided":
        return float(2.0 * special.ndtr(-abs(z)))
    if alternative == "greater":
        return float(special.ndtr(-z))
    return float(special.ndtr(z))


def p_student(t: float, df: float, alternative: Alternative = "two-sided") -> float:
    """p-value of ``t`` against Student's t with ``df`` degrees of freedom."""
    check_alternative(alternative)
    if not (np.isfinite(t) and np.isfinite(df) and df > 0):
        return float("nan")
    if alternative == "two-sided":
        return float(2.0 * special.stdtr(df, -abs(t)))
    if alternative == "greater":
        return float(special.stdtr(df, -t))
    return float(special.stdtr(df, t))


def one_sample_t(
    values: np.ndarray,
    statistic: str,
    reference: str,
    *,
    null: float = 0.0,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """The one-sample t of the finite ``values`` against the mean ``null``.

    Formula: :math:`t = (\bar x - \\mu_0)\\sqrt{N}/s`, s the (N - 1) standard deviation
    (:func:`spread`), Student-t with N - 1 d.o.f.; n the finite values. No value (NaN) with
    fewer than two of them or no spread. The cross-sectional, BMP, GARCH-BMP and volatility t's
    are this statistic of their own values (Student 1908).
    """
    check_alternative(alternative)
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    sd = spread(x)
    if n < 2 or sd == 0:
        return empty_result(statistic, reference, n)
    t = (x.mean() - null) * np.sqrt(n) / sd
    return result(statistic, t, p_student(t, n - 1, alternative), n, reference)


def result(
    statistic: str, value: float, p: float, n: int, reference: str
) -> TestResult:
    """Build a :class:`TestResult`, turning a non-finite value into NaN value and p."""
    value = float(value)
    if not np.isfinite(value):
        return TestResult(statistic, float("nan"), float("nan"), int(n), reference)
    return TestResult(statistic, value, float(p), int(n), reference)
