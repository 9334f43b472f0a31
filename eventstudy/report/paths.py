"""CAR paths over the event span with 95% bands: per party, and averaged per group (CAAR).

Both work on the exported tables alone (``ar.parquet``, ``car.parquet``), so a report can be
drawn without re-running the study.

Per party *i*, with :math:`\\tau_0` the first day of the event span,

.. math::

    CAR_i(\\tau_0, \\tau) \\pm t_{0.975,\\,M_i-k}\\ \\hat\\sigma(CAR_i(\\tau_0, \\tau)),

where :math:`\\hat\\sigma^2(CAR_i) = \\hat\\sigma_i^2 (L + s'(X'X)^{-1}s)` is the
prediction-error-corrected variance of Campbell, Lo & MacKinlay (1997, ch. 4) stored as
``ar.car_se``, :math:`M_i` the estimation returns (``car.n_est``) and *k* the model's number of
estimated parameters. Assumes normal, i.i.d. disturbances as the per-event t test does.

Per group *g* with :math:`N_\\tau` parties whose CAR is known at τ,

.. math::

    CAAR_g(\\tau) = \\frac{1}{N_\\tau}\\sum_i CAR_i(\\tau_0, \\tau), \\qquad
    \\widehat{se} = \\frac{s_\\tau}{\\sqrt{N_\\tau}}, \\qquad
    s_\\tau^2 = \\frac{1}{N_\\tau - 1}\\sum_i \\left(CAR_i - CAAR_g\\right)^2,

with band :math:`CAAR_g \\pm t_{0.975,\\,N_\\tau-1}\\,\\widehat{se}`: the ordinary
cross-sectional test of the mean CAR (Brown & Warner 1980, 1985; Boehmer, Musumeci & Poulsen
1991), which lets the variance of the CARs differ from the estimation window's (event-induced
variance) but assumes the CARs are independent across parties. Parties of one announcement
share the same day and are not independent (Kolari & Pynnönen 2010), and the same firm can
appear in several events, so the band is too narrow under such dependence; it is a descriptive
band, not the inference battery's test. With fewer than two parties there is no band.
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
CAAR_COLUMNS: tuple[str, ...] = ("group", "tau", "n", "caar", "se", "lower", "upper")


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


def caar_paths(
    ar: pd.DataFrame, level: float = 0.95, exclude_roles: tuple[str, ...] = ("peer",)
) -> pd.DataFrame:
    """The cumulative average abnormal return per group and τ with a cross-sectional band.

    Parameters
    ----------
    ar
        ``ar.parquet`` joined with each row's ``group`` (from ``events.parquet``).
    level
        Coverage of the band.
    exclude_roles
        Roles left out of the averages (ecosystem peers by default).

    Returns
    -------
    pandas.DataFrame
        :data:`CAAR_COLUMNS`, one row per (group, τ), groups in order of first appearance.
        ``n`` counts the parties with a known CAR at τ; ``se``, ``lower`` and ``upper`` are NaN
        when ``n < 2``.
    """
    rows = ar[~ar["role"].isin(exclude_roles) & np.isfinite(ar["car"].to_numpy(dtype=float))]
    grouped = rows.groupby(["group", "tau"], sort=False)["car"]
    out = grouped.agg(n="count", caar="mean", sd="std").reset_index()
    n = out["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.where(n >= 2, out["sd"].to_numpy(dtype=float) / np.sqrt(n), np.nan)
        dof = np.where(n >= 2, n - 1, np.nan)
    half = stats.t.ppf(0.5 + level / 2, dof) * se
    out["se"] = se
    out["lower"] = out["caar"] - half
    out["upper"] = out["caar"] + half
    out["n"] = out["n"].astype("int64")
    order = {g: i for i, g in enumerate(dict.fromkeys(ar["group"]))}
    out = out.sort_values(["group", "tau"], key=lambda s: s.map(order) if s.name == "group" else s)
    return out.loc[:, list(CAAR_COLUMNS)].reset_index(drop=True)
