"""The study's GARCH variance model: conditional variances of every pair and ``garch.parquet``.

:func:`garch_variances` fits the config's ``variance`` model (:mod:`eventstudy.models.garch`) to
each estimated pair's residuals over the estimation window and filters it through the event
window; the event-window variances feed the ``garch_*`` statistics
(:class:`~eventstudy.inference.EventPanel`'s ``conditional_variance``) and :func:`garch_table`
writes them with each pair's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.estimate import PairEstimates
from eventstudy.models.garch import ConditionalVariance, fit_conditional_variance, residual_paths

GARCH_COLUMNS: tuple[str, ...] = (
    "event_id",
    "ticker",
    "role",
    "tau",
    "date",
    "ar",
    "cond_sd",
    "sar",
    "variance_model",
    "omega",
    "alpha",
    "gamma",
    "beta",
    "persistence",
    "note",
)


@dataclass(frozen=True)
class GarchVariances:
    """The GARCH model of a study's pairs.

    Attributes
    ----------
    fits
        The fits over the residual path from the estimation window's first day to the event
        span's last day.
    event
        (P, L2) conditional variance of each event-window day (NaN where not fitted).
    """

    fits: ConditionalVariance
    event: np.ndarray


def _day_zero(estimates: PairEstimates) -> np.ndarray:
    """(P,) calendar position of each pair's day 0 (-1 where it has none), from the event days."""
    days = estimates.event_days
    taus = estimates.event_taus
    first = np.argmax(days >= 0, axis=1)
    any_day = (days >= 0).any(axis=1)
    return np.where(any_day, days[np.arange(len(days)), first] - taus[first], -1)


def garch_variances(
    estimates: PairEstimates, kind: str, estimation_window: tuple[int, int]
) -> GarchVariances:
    """Fit ``kind`` to every pair with outcome ``ok`` and filter it through the event span.

    The residual path runs over the relative days from the estimation window's first day to the
    event span's last day (the gap between the windows included, so that the recursion sees
    every day); the estimation columns are fitted, the rest filtered with the fitted parameters.
    """
    taus = estimates.event_taus
    first, last = int(estimation_window[0]), int(taus[-1])
    path_taus = np.arange(first, last + 1)
    n_estimation = int(estimation_window[1] - estimation_window[0] + 1)
    day0 = _day_zero(estimates)
    paths = residual_paths(
        estimates.panel,
        estimates.model,
        estimates.fit.coef,
        estimates.events["ticker"].to_numpy(object),
        day0,
        path_taus,
        estimates.benchmarks,
    )
    # The estimation columns are the fit's own residuals (days it left out stay out).
    paths[:, :n_estimation] = estimates.fit.residuals
    fits = fit_conditional_variance(paths, n_estimation, kind, fit_rows=estimates.pair_outcome == "ok")
    columns = np.searchsorted(path_taus, taus)
    return GarchVariances(fits, fits.variance[:, columns])


def garch_table(estimates: PairEstimates, garch: GarchVariances) -> pd.DataFrame:
    """``garch.parquet``: per (pair, event day) the AR, its conditional s.d. and their ratio, with
    the pair's GARCH parameters (:data:`GARCH_COLUMNS`)."""
    n_pairs, n_taus = estimates.abnormal.shape
    fits = garch.fits
    sd = np.sqrt(garch.event)
    with np.errstate(invalid="ignore", divide="ignore"):
        sar = estimates.abnormal / sd
    calendar = np.append(estimates.panel.calendar.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))

    def per_pair(values: np.ndarray) -> np.ndarray:
        return np.repeat(values, n_taus)

    events = estimates.events
    frame = pd.DataFrame(
        {
            "event_id": per_pair(events["event_id"].to_numpy(object)),
            "ticker": per_pair(events["ticker"].to_numpy(object)),
            "role": per_pair(events["role"].to_numpy(object)),
            "tau": np.tile(estimates.event_taus, n_pairs).astype("int64"),
            "date": calendar[estimates.event_days].ravel(),
            "ar": estimates.abnormal.ravel(),
            "cond_sd": sd.ravel(),
            "sar": sar.ravel(),
            "variance_model": fits.kind,
            "omega": per_pair(fits.params["omega"]),
            "alpha": per_pair(fits.params["alpha"]),
            "gamma": per_pair(fits.params["gamma"]),
            "beta": per_pair(fits.params["beta"]),
            "persistence": per_pair(fits.persistence),
            "note": per_pair(fits.note.astype(object)),
        }
    )
    for column in ("event_id", "ticker", "role", "variance_model", "note"):
        frame[column] = frame[column].astype(str)
    return frame.loc[:, list(GARCH_COLUMNS)]
