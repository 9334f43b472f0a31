"""Cross-event statistics of pre-computed abnormal returns: an AR (or CAR) panel as an EventPanel.

A user who brings abnormal returns computed elsewhere (:mod:`eventstudy.data.abnormal_panel`)
gets the same battery as a study (the registry :data:`eventstudy.inference.STATISTICS`, every
statistic registered now or later), on an :class:`~eventstudy.inference.EventPanel` that says
what it lacks (``missing_inputs``). What each statistic needs decides whether it is computed:

==========================================  ===================================================
the panel holds                             computable (the others are rows reading
                                            "not computable from this panel: needs ...")
==========================================  ===================================================
event-window ARs (or CARs) only             caar, cross_sectional_t, sign_z, wilcoxon_w,
                                            bootstrap_t, and any statistic of the CARs alone
+ estimation residuals (``--estimation``)   + portfolio_t, crude_dependence_t, lamb_z,
                                            patell_z, bmp_t, serial_variance_ratio,
                                            generalized_sign_z, corrado_rank_z,
                                            corrado_zivney_sign_z, grank_t
+ dates on both panels                      + kp_adjusted_patell_z, kp_adjusted_bmp_t,
                                            kp_average_correlation (calendar-time r̄)
never (an AR panel has no market values)    dollar_abnormal_value, kp_adjusted_dollar_t, dollar_z,
                                            dollar_fallback_sd_rows, dollar_shared_days_usd
==========================================  ===================================================

With estimation residuals :math:`e_{is}` of a model with k parameters (declared, never guessed),
:math:`\\hat\\sigma_i^2 = \\sum_s e_{is}^2 / (M_i - k)` with :math:`M_i` the pair's valid
estimation days, and :math:`M_i - k` degrees of freedom. An AR panel does not carry the model's
regressors, so the prediction-error correction of Campbell, Lo & MacKinlay (1997, eq. 4.4.8) is
not available: :math:`C_{i\\tau} = 1` and :math:`\\operatorname{Var}(CAR_i) = \\hat\\sigma_i^2 L`,
the variance of Brown & Warner (1980, 1985) and Patell's (1976) standardisation without its
correction term. The difference is of order :math:`L/M_i` and more with a market term (1.2% of
the variance from the intercept alone for a 250-day estimation window and a 3-day CAR; 1.2% to
2.7% for the launch study's parties, 4% to 10% over [-5,+5]); the rows computed from
:math:`\\hat\\sigma_i` say so in their ``reference``.

A CAR panel holds one number per (pair, window): each window is a one-column panel and only the
statistics of the CARs alone are computable.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.config import window_label
from eventstudy.inference import EventPanel, results_to_rows, run_battery_windows
from eventstudy.inference.battery import NOT_COMPUTABLE

STATS_COLUMNS: tuple[str, ...] = ("group", "window", "statistic", "value", "p", "n", "reference")
SIGMA_NOTE = (
    "sigma from the supplied estimation residuals (k = {k}); an AR panel has no regressors, so "
    "C = 1 and Var(CAR) = sigma^2 L (no prediction-error correction)"
)


PEERS = "peers"
"""The group of a panel's peer rows (``role`` ``peer``, as a run's ``ar.parquet`` marks them),
as a study's ``stats.parquet`` names it."""


@dataclass(frozen=True)
class PanelPairs:
    """The pairs of a panel: (N,) event ids ("" where the panel has none), ids and groups, and
    whether each is a peer row (``role`` ``peer``: None where the panel has no ``role``)."""

    event_id: np.ndarray
    id: np.ndarray
    group: np.ndarray
    peer: np.ndarray | None = None

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"event_id": self.event_id, "id": self.id, "group": self.group})

    def groups(self) -> list[tuple[str, np.ndarray]]:
        """(label, (N,) rows) of each group of the panel in order of first appearance, then ``all``
        and, with peer rows, ``peers``: as a study's groups, ``all`` and the others hold no peer
        row (:func:`eventstudy.aggregate.group_rows`)."""
        peer = np.zeros(len(self.id), dtype=bool) if self.peer is None else self.peer
        labels = pd.unique(self.group[~peer])
        out = [(str(g), (self.group == g) & ~peer) for g in labels if g != ""]
        out.append(("all", ~peer))
        if peer.any():
            out.append((PEERS, peer))
        return out


def _pairs(frame: pd.DataFrame) -> tuple[PanelPairs, np.ndarray]:
    """The distinct (event_id, id) of ``frame`` in order of first appearance, and each row's pair."""
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(frame[["event_id", "id"]]), sort=False)
    first = np.unique(codes, return_index=True)[1]
    groups = frame["group"].to_numpy(object)[first] if "group" in frame else np.full(len(first), "", object)
    peer = frame["peer"].to_numpy(bool)[first] if "peer" in frame else None
    event_ids = np.array([u[0] for u in uniques], dtype=object)
    ids = np.array([u[1] for u in uniques], dtype=object)
    return PanelPairs(event_ids, ids, groups, peer), codes


MAX_CELLS = 2**25
"""Cells (pairs x periods) a panel may have whatever its rows (256 MB an array); beyond them, at
most :data:`CELLS_PER_ROW` times its rows. A panel is built dense, from the first τ to the
last, so one whose τ span is far wider than its rows fill (τ = -100000 and +100000 for 200
pairs, a 7 KB file, took 2 GB) is refused before it is allocated, while an unbalanced panel (2,100
pairs at τ -1..1 and one at -1000..1000: 4.2 million cells for 8,301 rows; 270,000 pairs at τ
-5..5 and 30,000 at -60..60: 36 million cells for 6.6 million rows) is read."""
CELLS_PER_ROW = 16
"""How many cells a row a panel beyond :data:`MAX_CELLS` may have (memory in proportion to the
file)."""


def _check_cells(n_pairs: int, taus: np.ndarray, n_rows: int, what: str) -> None:
    """Refuse a (pairs x periods) panel of more than :data:`MAX_CELLS` cells and
    :data:`CELLS_PER_ROW` times its rows."""
    cells = n_pairs * len(taus)
    if cells > max(MAX_CELLS, CELLS_PER_ROW * n_rows):
        raise ValueError(
            f"the {what}panel's tau {int(taus[0])}..{int(taus[-1])} give {n_pairs:,} pairs "
            f"{len(taus):,} periods each, {cells:,} cells for {n_rows:,} rows: "
            f"{1 - n_rows / cells:.3%} of them would be missing; are the tau right? (else split the pairs)"
        )


def ar_event_panel(
    ar: pd.DataFrame, estimation: pd.DataFrame | None = None, *, n_params: int | None = None
) -> tuple[EventPanel, PanelPairs]:
    """An :class:`EventPanel` of pre-computed abnormal returns (no I/O).

    Parameters
    ----------
    ar
        ``event_id, id, group, tau, date, value``: one row per (pair, τ) of the event window
        (:class:`~eventstudy.data.abnormal_panel.AbnormalPanelFile`'s frame), decimal units.
    estimation
        The same columns for the estimation-window residuals of the same pairs, or None.
    n_params
        k, the parameters of the model behind the residuals (required with ``estimation``).

    Raises
    ------
    ValueError
        When an estimation panel lacks a pair of ``ar`` or has one ``ar`` lacks, or overlaps
        its τ; or ``n_params`` is missing or leaves no degrees of freedom.
    """
    pairs, codes = _pairs(ar)
    n = len(pairs.id)
    given = ar["tau"].to_numpy(np.int64)
    # Every tau from the first to the last: a tau that no pair has is a missing day of every pair
    # (a window across it is incomplete), not a day the window skips.
    event_tau = np.arange(given.min(), given.max() + 1) if given.size else np.empty(0, dtype=np.int64)
    _check_cells(n, event_tau, len(ar), "")
    column = np.searchsorted(event_tau, given)
    ar_event = np.full((n, len(event_tau)), np.nan)
    ar_event[codes, column] = ar["value"].to_numpy(float)
    missing = {"regressors", "market_values"}
    estimation_dates = None
    if estimation is None:
        missing |= {"estimation"}
        ar_estimation = np.empty((n, 0))
        est_positions = (
            np.empty(0, dtype=np.int64),
            np.empty(0, dtype=np.int64),
            np.empty(0, dtype=np.int64),
        )
        k = 0
        sigma = np.full(n, np.nan)
        n_estimation = np.zeros(n, dtype=np.int64)
    else:
        if n_params is None:
            raise ValueError("n_params: give the number of parameters of the model behind the residuals")
        k = int(n_params)
        est_codes = _codes_of(estimation, pairs)
        present = np.unique(estimation["tau"].to_numpy(np.int64))
        # every day from the first to the last, as the event panel's: a day no pair has is a missing
        # day, not a gap that made the days around it neighbours (serial_variance_ratio's lags); but
        # not for days far apart (taus -100000 and -20 took 1.2 GB, a reviewer), where lags follow
        # the days given
        span = int(present[-1] - present[0] + 1) if present.size else 0
        dense = 0 < span <= 2 * present.size + 64
        estimation_tau = np.arange(present[0], present[-1] + 1) if dense else present
        if estimation_tau.size and event_tau.size and estimation_tau.max() >= event_tau.min():
            given = estimation["tau"].to_numpy(np.int64)
            late = np.flatnonzero(given >= event_tau.min())[0]  # the row named holds the tau quoted
            raise PanelMismatchError(
                f"the estimation panel has tau {int(given[late])}, not before the event panel's "
                f"first tau {int(event_tau.min())}",
                int(late),
                "tau",
            )
        try:
            _check_cells(n, estimation_tau, len(estimation), "estimation ")
        except ValueError as exc:  # the estimation panel's: said of its file, not the ARs' (a finder)
            raise PanelMismatchError(str(exc), None, "tau") from None
        est_column = np.searchsorted(estimation_tau, estimation["tau"].to_numpy(np.int64))
        ar_estimation = np.full((n, len(estimation_tau)), np.nan)
        ar_estimation[est_codes, est_column] = estimation["value"].to_numpy(float)
        valid = np.isfinite(ar_estimation)
        n_estimation = valid.sum(axis=1)
        ssr = np.where(valid, ar_estimation, 0.0)
        ssr = np.einsum("nl,nl->n", ssr, ssr)
        dof = n_estimation - k
        with np.errstate(invalid="ignore", divide="ignore"):
            sigma = np.where(dof > 0, np.sqrt(ssr / np.where(dof > 0, dof, 1)), np.nan)
        est_positions = (est_codes, est_column, np.arange(len(estimation)))
        estimation_dates = (
            estimation["date"] if "date" in estimation else pd.Series(pd.NaT, index=estimation.index)
        )
    # Event dates alone give the date clusters; the estimation days' dates too give r-bar's
    # calendar time (an estimation panel without dates leaves the event dates their clusters).
    # A day without a value may have no date (a window's day past the data): it has no day (-1).
    has = ar["date"].notna().to_numpy() if "date" in ar else np.zeros(len(ar), dtype=bool)
    event_dated = bool(has.any() and has[ar["value"].notna().to_numpy()].all())
    dated = [ar["date"][has]] if event_dated else []
    est_has = np.zeros(0, dtype=bool)
    if estimation is not None and estimation_dates is not None:  # the same rule for the residuals
        est_has = estimation_dates.notna().to_numpy()
        if est_has[estimation["value"].notna().to_numpy()].all() and (est_has.any() or not len(est_has)):
            dated.append(estimation_dates[est_has])
    all_dated = event_dated and len(dated) == (1 if estimation is None else 2)
    event_day = np.full(ar_event.shape, -1, dtype=np.int64)
    estimation_day = np.full(ar_estimation.shape, -1, dtype=np.int64)
    if event_dated:
        calendar = np.unique(np.concatenate([d.to_numpy("datetime64[ns]") for d in dated]))
        days = np.searchsorted(calendar, ar["date"][has].to_numpy("datetime64[ns]"))
        event_day[codes[has], column[has]] = days
        if all_dated and estimation is not None:
            rows, cols, _ = est_positions
            estimation_day[rows[est_has], cols[est_has]] = np.searchsorted(
                calendar, estimation["date"][est_has].to_numpy("datetime64[ns]")
            )
    else:
        missing |= {"event_dates"}
    if not all_dated:
        missing |= {"calendar"}
    panel = EventPanel(
        ar_estimation=ar_estimation,
        ar_event=ar_event,
        event_tau=event_tau,
        estimation_day=estimation_day,
        event_day=event_day,
        sigma=sigma,
        n_estimation=n_estimation,
        n_params=np.full(n, k),
        xtx_inv=np.zeros((n, k, k)),
        x_event=np.zeros((n, len(event_tau), k)),
        firm=pairs.id,
        missing_inputs=frozenset(missing),
    )
    return panel, pairs


def car_event_panels(car: pd.DataFrame) -> list[tuple[str, EventPanel, PanelPairs]]:
    """One single-column :class:`EventPanel` per window label of a CAR panel (``event_id, id,
    group, window, value``): the CARs as the event "day" τ = 0 of each pair."""
    out = []
    for label in pd.unique(car["window"]):
        part = car[car["window"] == label]
        pairs, codes = _pairs(part)
        n = len(pairs.id)
        values = np.full((n, 1), np.nan)
        values[codes, 0] = part["value"].to_numpy(float)
        panel = EventPanel(
            ar_estimation=np.empty((n, 0)),
            ar_event=values,
            event_tau=np.array([0]),
            estimation_day=np.empty((n, 0), dtype=np.int64),
            event_day=np.full((n, 1), -1, dtype=np.int64),
            sigma=np.full(n, np.nan),
            n_estimation=np.zeros(n, dtype=np.int64),
            n_params=np.zeros(n, dtype=np.int64),
            xtx_inv=np.zeros((n, 0, 0)),
            x_event=np.zeros((n, 1, 0)),
            firm=pairs.id,
            missing_inputs=frozenset(
                {"estimation", "regressors", "event_dates", "calendar", "market_values"}
            ),
        )
        out.append((str(label), panel, pairs))
    return out


def _codes_of(estimation: pd.DataFrame, pairs: PanelPairs) -> np.ndarray:
    """Each estimation row's pair in ``pairs``; every pair must have rows and no other pair may."""
    known = pd.MultiIndex.from_arrays([pairs.event_id, pairs.id])
    rows = pd.MultiIndex.from_frame(estimation[["event_id", "id"]])
    codes = known.get_indexer(rows)
    if (codes < 0).any():
        position = int(np.flatnonzero(codes < 0)[0])
        event_ids = set(pairs.event_id) - {""}
        if event_ids and not (estimation["event_id"] != "").any():  # the ids alone do not tell the pairs
            raise PanelMismatchError(
                "the abnormal-return panel's pairs are (event_id, id) and the estimation panel has no "
                "event_id column: give each residual its pair's event_id",
                position,
                "event_id",
            )
        raise PanelMismatchError(
            f"the estimation panel has pair {pair_text(rows[position])}, which the abnormal-return panel "
            "lacks",
            position,
            "id",
        )
    covered = np.zeros(len(known), dtype=bool)
    covered[codes] = True
    if not covered.all():
        first = known[int(np.flatnonzero(~covered)[0])]
        raise PanelMismatchError(f"pair {pair_text(first)} has no rows in the estimation panel", None, "id")
    return codes


class PanelMismatchError(ValueError):
    """The estimation panel does not match the abnormal-return panel (or is too sparse to hold):
    ``position`` is the estimation row at fault (None: a pair it lacks, or the whole panel) and
    ``column`` the column (``id``, ``tau``)."""

    def __init__(self, message: str, position: int | None, column: str) -> None:
        super().__init__(message)
        self.position, self.column = position, column


def pair_text(pair: tuple[Hashable, ...]) -> str:
    """``event/id`` of an (event_id, id) pair, ``id`` alone when the panel has no event ids."""
    event_id, ident = pair
    return f"{event_id}/{ident}" if event_id else str(ident)


def panel_statistics(
    panel: EventPanel,
    pairs: PanelPairs,
    windows: Sequence[tuple[int, int]],
    *,
    labels: Sequence[str] | None = None,
    statistics: Sequence[str] | None = None,
    bootstrap_draws: int = 999,
    seed: int = 0,
) -> pd.DataFrame:
    """The battery of every group (each label of the ``group`` column, then ``all``) and window,
    as rows ``group, window, statistic, value, p, n, reference`` (the layout of stats.parquet).

    Statistics the panel cannot supply are rows with NaN value and p, n = 0, and a reference
    beginning ``"not computable from this panel"`` that says what they need.
    """
    labels = list(labels) if labels is not None else [window_label(w) for w in windows]
    rows: list[dict[str, object]] = []
    for group, mask in pairs.groups():
        subset = panel.subset(np.flatnonzero(mask))
        batteries = run_battery_windows(
            subset, windows, bootstrap_draws=bootstrap_draws, seed=seed, statistics=statistics
        )
        for label, battery in zip(labels, batteries, strict=True):
            rows += results_to_rows(battery, group=group, window=label)
    frame = pd.DataFrame(rows, columns=list(STATS_COLUMNS))
    frame["n"] = frame["n"].astype("int64")
    return frame


def needs_estimation(
    panel: EventPanel, window: tuple[int, int], *, statistics: Sequence[str] | None = None
) -> set[str]:
    """The statistics that need the estimation residuals: computed on ``panel``, not computable
    once the panel is taken to lack them (one battery run on the whole panel, without the
    bootstrap)."""
    without = EventPanel(**{**_fields(panel), "missing_inputs": panel.missing_inputs | {"estimation"}})
    names = [name for name in (statistics or _all_statistics()) if name != "bootstrap_t"]
    results = run_battery_windows(without, [window], bootstrap_draws=1, statistics=names)[0]
    return {r.statistic for r in results if r.reference.startswith(NOT_COMPUTABLE)}


def annotate_sigma_rows(stats: pd.DataFrame, names: set[str], n_params: int) -> pd.DataFrame:
    """Append :data:`SIGMA_NOTE` to the reference of the computed rows of ``names``."""
    out = stats.copy()
    computed = out["statistic"].isin(sorted(names)) & ~out["reference"].str.startswith(NOT_COMPUTABLE)
    out.loc[computed, "reference"] = out.loc[computed, "reference"] + "; " + SIGMA_NOTE.format(k=n_params)
    return out


def _fields(panel: EventPanel) -> dict[str, Any]:
    return {name: getattr(panel, name) for name in panel.__dataclass_fields__}


def _all_statistics() -> list[str]:
    from eventstudy.inference import STATISTICS

    return list(STATISTICS)
