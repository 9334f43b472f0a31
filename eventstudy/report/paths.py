"""CAR paths over the event span with 95% bands, per party.

Works on the exported tables alone (``ar.parquet``, ``car.parquet``), so a report can be drawn
without re-running the study. (The CAAR of a group and its band are ``caar.parquet``'s.)

Per party *i*, with :math:`\\tau_0` the first day of the event span,

.. math::

    CAR_i(\\tau_0, \\tau) \\pm t_{0.975,\\,M_i-k}\\ \\hat\\sigma(CAR_i(\\tau_0, \\tau)),

where :math:`\\hat\\sigma^2(CAR_i) = \\hat\\sigma_i^2 (L + s'(X'X)^{-1}s)` is the
prediction-error-corrected variance of Campbell, Lo & MacKinlay (1997, ch. 4) stored as
``ar.car_se``, :math:`M_i` the estimation returns (``car.n_est``) and *k* the model's number of
estimated parameters. Assumes normal, i.i.d. disturbances as the per-event t test does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

PATH_COLUMNS: tuple[str, ...] = (
    "event_id",
    "ticker",
    "role",
    "tau",
    "car",
    "car_se",
    "dof",
    "lower",
    "upper",
)


def car_paths(ar: pd.DataFrame, car: pd.DataFrame, n_params: int, level: float = 0.95) -> pd.DataFrame:
    """Each party's CAR from the first event-span day to τ, with its ``level`` band.

    Parameters
    ----------
    ar
        ``ar.parquet``: ``event_id``, ``ticker``, ``role``, ``tau``, ``car``, ``car_se``.
    car
        ``car.parquet``: supplies ``n_est`` (M) per (event, party).
    n_params
        k, the number of estimated parameters of the expected-return model.
    level
        Coverage of the band.

    Returns
    -------
    pandas.DataFrame
        :data:`PATH_COLUMNS`, one row per (event, party, τ); ``dof`` is M - k and the band is
        NaN where the CAR, its s.e. or a positive dof is missing.
    """
    n_est = car.drop_duplicates(["event_id", "ticker"]).set_index(["event_id", "ticker"])["n_est"]
    out = ar.loc[:, ["event_id", "ticker", "role", "tau", "car", "car_se"]].copy()
    index = pd.MultiIndex.from_frame(out[["event_id", "ticker"]])
    dof = n_est.reindex(index).to_numpy(dtype=float) - n_params
    dof = np.where(dof > 0, dof, np.nan)
    half = stats.t.ppf(0.5 + level / 2, dof) * out["car_se"].to_numpy(dtype=float)
    out["dof"] = dof
    out["lower"] = out["car"].to_numpy(dtype=float) - half
    out["upper"] = out["car"].to_numpy(dtype=float) + half
    return out.loc[:, list(PATH_COLUMNS)].reset_index(drop=True)
