"""Daily returns dated by calendar day, placed on the sessions of a trading calendar.

The calendar of a study is its market proxy's dates. A series dated on a day the calendar lacks
(a session the proxy's file misses, a holiday of one exchange only) must not lose that day's
return, nor give it to the wrong session: the day's return belongs to the next session's, as a
price of that day would be skipped and the next session's price change would then span both days.
This is the rule of an imported returns series (:mod:`eventstudy.timeline.returns`) and of the
factor tables (:class:`eventstudy.factors.FactorTable`), so the regressand and the regressors of a
model span the same days.
"""

from __future__ import annotations

import numpy as np


def onto_sessions(
    sessions: np.ndarray, dates: np.ndarray, values: np.ndarray, *, log: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Place dated returns on ``sessions``, compounding a day between sessions into the next one.

    For session :math:`s_t` the result is the return over :math:`(s_{t-1}, s_t]`:

    .. math::

        R_{s_t} = \\prod_{d \\in (s_{t-1}, s_t]} (1 + R_d) - 1
        \\qquad (\\textstyle\\sum_{d \\in (s_{t-1}, s_t]} R_d \\text{ for log returns}),

    NaN when the session's own date has no value or any day compounded into it is NaN (a gap is
    never filled). A session whose own date is the only one keeps its value exactly (no round
    trip through the product). Dates before the first session or after the last are not used.

    Parameters
    ----------
    sessions
        (T,) sorted, unique datetime64 session dates.
    dates
        (n,) sorted, unique datetime64 dates of the values.
    values
        (n,) or (n, k) returns, decimal units.
    log
        True for log returns (summed), False for simple returns (compounded).

    Returns
    -------
    placed
        (T,) or (T, k) returns on the sessions.
    position
        (n,) index of the session each date belongs to (T for a date after the last session).
    exact
        (n,) True where the date is a session.
    """
    n_days = len(sessions)
    placed = np.full((n_days, *values.shape[1:]), np.nan)
    position = np.searchsorted(sessions, dates, side="left")
    if n_days == 0:
        return placed, position, np.zeros(len(dates), dtype=bool)
    exact = (position < n_days) & (sessions[np.minimum(position, n_days - 1)] == dates)
    placed[position[exact]] = values[exact]
    between = ~exact & (position > 0) & (position < n_days)
    if between.any():
        targets = position[between]
        if log:
            extra = np.zeros_like(placed)
            np.add.at(extra, targets, values[between])
            placed[targets] = placed[targets] + extra[targets]
        else:
            gross = np.ones_like(placed)
            np.multiply.at(gross, targets, 1.0 + values[between])
            placed[targets] = (1.0 + placed[targets]) * gross[targets] - 1.0
    return placed, position, exact
