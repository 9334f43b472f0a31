"""CAR paths over the event span with 95% bands, per party; abnormal volume paths per group.

Works on the exported tables alone (``ar.parquet``, ``car.parquet``, ``volume.parquet``), so a
report can be drawn without re-running the study. (The CAAR of a group and its band are
``caar.parquet``'s; the mean cumulative abnormal log volume of a group is
:func:`volume_paths`.)

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


VOLUME_PATH_COLUMNS: tuple[str, ...] = ("group", "tau", "mean", "lower", "upper", "n")


def volume_groups(volume: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    """(label, row mask) of the groups of ``volume.parquet``, as ``stats.parquet`` has them: the
    events file's groups of listed parties in file order, ``all`` listed parties, ``peers``."""
    is_peer = volume["role"] == "peer"
    out = [(str(g), (volume["group"] == g) & ~is_peer) for g in pd.unique(volume.loc[~is_peer, "group"])]
    out.append(("all", ~is_peer))
    if is_peer.any():
        out.append(("peers", is_peer))
    return out


def volume_paths(volume: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """The mean cumulative abnormal log volume of each group over τ, with a ``level`` band.

    Parameters
    ----------
    volume
        ``volume.parquet``: ``event_id``, ``ticker``, ``role``, ``group``, ``tau``,
        ``cumulative_abnormal_volume`` (:math:`CAV_i(\\tau_0, \\tau) = \\sum_{s=\\tau_0}^{\\tau}
        AV_{is}`, the abnormal log volume of Campbell & Wasley 1996 cumulated from the span's
        first day) and ``outcome``.
    level
        Coverage of the band.

    Returns
    -------
    pandas.DataFrame
        :data:`VOLUME_PATH_COLUMNS`, one row per (group, τ) of the groups with at least one
        pair with a complete path.

    Notes
    -----
    Over the N pairs of the group with outcome ``ok`` and a complete path (every τ of the span),

    .. math::

        \\overline{CAV}(\\tau) = \\frac{1}{N}\\sum_i CAV_i(\\tau_0, \\tau), \\qquad
        \\overline{CAV}(\\tau) \\pm t_{(1+\\text{level})/2,\\,N-1}\\ \\frac{s(\\tau)}{\\sqrt N},

    s the cross-sectional standard deviation (N - 1): the classic pointwise band of the mean
    (as ``caar.parquet``'s ``classic_lower``/``classic_upper`` for returns). It assumes
    independent pairs (parties of one announcement share its day, so it is too narrow when they
    are correlated) and a mean close to normal; NaN with fewer than two pairs. The tests of the
    abnormal volume are ``volume_stats.parquet``'s.
    """
    ok = volume[volume["outcome"] == "ok"]
    rows = []
    for label, mask in volume_groups(volume):
        part = ok[mask.loc[ok.index]]
        if part.empty:
            continue
        paths = part.pivot_table(
            index=["event_id", "ticker"], columns="tau", values="cumulative_abnormal_volume",
            aggfunc="first", dropna=False,
        )  # fmt: skip
        values = paths.to_numpy(dtype=float)
        complete = values[np.isfinite(values).all(axis=1)]
        n = complete.shape[0]
        if n == 0:
            continue
        mean = complete.mean(axis=0)
        if n > 1:
            half = stats.t.ppf(0.5 + level / 2, n - 1) * complete.std(axis=0, ddof=1) / np.sqrt(n)
        else:
            half = np.full(mean.shape, np.nan)
        for tau, m, h in zip(paths.columns, mean, half, strict=True):
            rows.append((label, int(tau), float(m), float(m - h), float(m + h), n))
    return pd.DataFrame(rows, columns=list(VOLUME_PATH_COLUMNS))
