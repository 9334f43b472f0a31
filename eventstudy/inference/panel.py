"""The input of the cross-event statistics: abnormal returns of N (event, firm) pairs.

Notation used in every docstring of :mod:`eventstudy.inference`:

* pair ``i = 1..N`` is one (event, firm) observation; a firm with two events is two pairs;
* :math:`e_{is}`, ``s = 1..L1``: estimation-window residuals (``ar_estimation``);
* :math:`A_{i\\tau}`, ``τ`` in ``event_tau``: event-window abnormal returns (``ar_event``);
* :math:`\\hat\\sigma_i = \\sqrt{SSR_i/(M_i - k_i)}`, :math:`M_i` valid estimation days,
  :math:`k_i` parameters of the expected-return model;
* :math:`x_{i\\tau}` the regressors of the event day and :math:`(X_i'X_i)^{-1}` the inverse moment
  matrix of the estimation regression.

Conditional on the estimation regressors, the event-window abnormal returns of pair i have
covariance (Campbell, Lo & MacKinlay 1997, *The Econometrics of Financial Markets*, ch. 4,
eq. 4.4.8-4.4.12)

.. math::

    V_i = \\sigma_i^2\\left(I + X_i^*(X_i'X_i)^{-1}X_i^{*\\prime}\\right),

so the variance of one abnormal return is :math:`\\sigma_i^2 C_{i\\tau}` with the prediction
variance factor :math:`C_{i\\tau} = 1 + x_{i\\tau}'(X_i'X_i)^{-1}x_{i\\tau}`, and the variance of
:math:`CAR_i(\\tau_1, \\tau_2) = \\sum_{\\tau=\\tau_1}^{\\tau_2} A_{i\\tau}` is

.. math::

    \\operatorname{Var}(CAR_i) = \\sigma_i^2\\left(L + s_i'(X_i'X_i)^{-1}s_i\\right), \\qquad
    s_i = \\sum_{\\tau=\\tau_1}^{\\tau_2} x_{i\\tau}, \\quad L = \\tau_2 - \\tau_1 + 1 .

All helpers are vectorised over pairs and cost O(N·L·k²) at most.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from eventstudy.abnormal import car_variance, prediction_variance_factor
from eventstudy.blocks import mask_as_slice
from eventstudy.daygrid import DayGrid

from .dollar import dollar_residual_variance
from .result import NotComputableError

_FLOAT_FIELDS = ("ar_estimation", "ar_event", "sigma", "n_estimation", "n_params", "xtx_inv")
PANEL_INPUTS: dict[str, str] = {
    "estimation": "estimation-window residuals (sigma, ranks and signs of the estimation window)",
    "regressors": "the model's regressors (the prediction-error correction)",
    "event_dates": "calendar dates of the event days (the date and two-way clusters)",
    "calendar": "calendar dates of the estimation and event days (cross-correlation in calendar time)",
    "market_values": "market values (dollar abnormal values)",
}
"""What a panel may lack (``EventPanel.missing_inputs``) and what each provides."""


def standardized(ar_estimation: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """(N, L1) :math:`e_{is} / \\hat\\sigma_i` of the rows ``ar_estimation`` with their ``sigma``,
    as IEEE division gives it: NaN where a residual or :math:`\\hat\\sigma_i` is NaN, infinite
    where :math:`\\hat\\sigma_i = 0`, without warnings."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return ar_estimation / sigma[:, None]


def _nanmean(values: np.ndarray, axis: int) -> np.ndarray:
    """``np.nanmean`` without the all-NaN RuntimeWarning (all-NaN slices give NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return np.nanmean(values, axis=axis)


_OPTIONAL_FLOAT_FIELDS = (
    "market_value_estimation",
    "market_value_event",
    "conditional_variance",
    "dollar_variance",
)


@dataclass(frozen=True)
class EventPanel:
    """Abnormal returns of N (event, firm) pairs on a common relative-day grid.

    Attributes
    ----------
    ar_estimation
        (N, L1) estimation-window abnormal returns (OLS residuals), NaN = missing. Column s
        is the same relative day for every pair (the grid is in event time).
    ar_event
        (N, L2) event-window abnormal returns, NaN = missing.
    event_tau
        (L2,) int, strictly increasing relative days of the event columns, e.g. -5..+5.
    estimation_day
        (N, L1) int calendar-day index (position in the trading calendar) of each estimation
        column (kept in its integer type, e.g. a study's int32; other types become int64), or
        a :class:`~eventstudy.daygrid.DayGrid` (a study's: the positions made a block of rows at
        a time when read, kept as it is). Used to measure cross-correlation in calendar time
        (Kolari & Pynnönen 2010). Within a row the days of the valid columns must be distinct.
    event_day
        (N, L2) int calendar-day index of each event column.
    sigma
        (N,) residual standard deviation :math:`\\sqrt{SSR/(M_i - k_i)}`.
    n_estimation
        (N,) :math:`M_i`, valid estimation observations.
    n_params
        (N,) :math:`k_i`, parameters of the expected-return model (2 for the market model,
        0 for the market-adjusted model).
    xtx_inv
        (N, k, k) :math:`(X'X)^{-1}` of the estimation regression, k = max k_i, zero-padded.
    x_event
        (N, L2, k) regressors on the event days, same column order as ``xtx_inv``.
    firm
        (N,) firm/ticker label; several events per firm are allowed.
    market_value_estimation
        (N, L1) previous-day market value (USD) of each estimation column, or None.
    market_value_event
        (N, L2) previous-day market value (USD) of each event column, or None.
    dollar_variance, dollar_days
        (N,) :math:`s_{D,i}^2` and :math:`m_i` of each pair's estimation-window dollar
        residuals :math:`e_{is} MV_{i,s-1}`
        (:func:`~eventstudy.inference.dollar.dollar_residual_variance`), all the dollar test
        reads of the estimation window: given instead of ``market_value_estimation`` (with
        ``market_value_event``), the panel holds no (N, L1) market values (a study's panel,
        :func:`eventstudy.aggregate.event_panel`). None otherwise.
    missing_inputs
        What the panel lacks, among the keys of :data:`PANEL_INPUTS`: a study's panel lacks
        nothing; a pre-computed AR panel lacks the regressors and market values, and the
        estimation residuals and calendar dates unless they are supplied. A part of a
        :class:`~eventstudy.inference.WindowSample` built on a missing input raises
        :class:`~eventstudy.inference.result.NotComputableError` (:meth:`require`), so every statistic
        that needs it is reported as not computable; with ``estimation`` missing, a pair is
        usable when its CAR is complete (no :math:`\\hat\\sigma_i` is asked for).
    conditional_variance
        (N, L2) conditional variance :math:`h_{i\\tau}` of each event-window abnormal return
        from a GARCH model of the residuals (:mod:`eventstudy.models.garch`), NaN where the pair
        has no fit; None without a variance model (the statistics that need it are then not
        computed).

    Raises
    ------
    ValueError
        If a shape is inconsistent, ``event_tau`` is not strictly increasing, ``k_i`` exceeds
        the width of ``xtx_inv``, or only one of the market-value arrays is given.
    """

    ar_estimation: np.ndarray
    ar_event: np.ndarray
    event_tau: np.ndarray
    estimation_day: np.ndarray | DayGrid
    event_day: np.ndarray
    sigma: np.ndarray
    n_estimation: np.ndarray
    n_params: np.ndarray
    xtx_inv: np.ndarray
    x_event: np.ndarray
    firm: np.ndarray
    market_value_estimation: np.ndarray | None = None
    market_value_event: np.ndarray | None = None
    missing_inputs: frozenset[str] = frozenset()
    conditional_variance: np.ndarray | None = None
    dollar_variance: np.ndarray | None = None
    dollar_days: np.ndarray | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in _FLOAT_FIELDS:
            set_(self, name, np.asarray(getattr(self, name), dtype=float))
        set_(self, "x_event", np.asarray(self.x_event, dtype=float))
        for name in ("event_tau", "estimation_day", "event_day"):
            if isinstance(getattr(self, name), DayGrid):
                continue  # integer positions, made when read
            raw = np.asarray(getattr(self, name))
            fractional = raw.size and not np.issubdtype(raw.dtype, np.integer)
            if fractional and (not np.all(np.isfinite(raw)) or np.any(raw != np.round(raw))):
                raise ValueError(f"{name} must hold integers")
            # The estimation days, (pairs x estimation days), keep an integer type they come in
            # (a study's are int32: half the memory); r̄ reads them (CalendarResiduals).
            keep = name == "estimation_day" and np.issubdtype(raw.dtype, np.integer)
            set_(self, name, raw if keep else raw.astype(np.int64, copy=False))
        set_(self, "firm", np.asarray(self.firm, dtype=object))
        for name in _OPTIONAL_FLOAT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                set_(self, name, np.asarray(value, dtype=float))
        if self.dollar_days is not None:
            set_(self, "dollar_days", np.asarray(self.dollar_days, dtype=np.int64))
        self._validate()

    def _validate(self) -> None:
        def need(name: str, ndim: int, shape: tuple[int | None, ...]) -> None:
            array = getattr(self, name)
            if array.ndim != ndim:
                raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}")
            for axis, (got, want) in enumerate(zip(array.shape, shape, strict=True)):
                if want is not None and got != want:
                    raise ValueError(f"{name} has shape {array.shape}; axis {axis} must be {want}")

        if self.ar_estimation.ndim != 2:
            raise ValueError(f"ar_estimation must be 2-D (N, L1), got {self.ar_estimation.shape}")
        n, l1 = self.ar_estimation.shape
        if self.ar_event.ndim != 2:
            raise ValueError(f"ar_event must be 2-D (N, L2), got {self.ar_event.shape}")
        l2 = self.ar_event.shape[1]
        need("ar_event", 2, (n, l2))
        need("event_tau", 1, (l2,))
        need("estimation_day", 2, (n, l1))
        need("event_day", 2, (n, l2))
        need("sigma", 1, (n,))
        need("n_estimation", 1, (n,))
        need("n_params", 1, (n,))
        need("firm", 1, (n,))
        if self.xtx_inv.ndim != 3 or self.xtx_inv.shape[0] != n:
            raise ValueError(f"xtx_inv must be (N, k, k) with N={n}, got {self.xtx_inv.shape}")
        k = self.xtx_inv.shape[1]
        need("xtx_inv", 3, (n, k, k))
        need("x_event", 3, (n, l2, k))
        if l2 and np.any(np.diff(self.event_tau) <= 0):
            raise ValueError("event_tau must be strictly increasing")
        if np.any(self.n_params > k):
            raise ValueError(f"n_params exceeds the width k={k} of xtx_inv")
        if np.any(self.n_params < 0) or np.any(self.n_estimation < 0):
            raise ValueError("n_params and n_estimation must be non-negative")
        unknown = set(self.missing_inputs) - set(PANEL_INPUTS)
        if unknown:
            raise ValueError(f"unknown missing_inputs {sorted(unknown)}; known: {', '.join(PANEL_INPUTS)}")
        mv_est, mv_evt = self.market_value_estimation, self.market_value_event
        summary = (self.dollar_variance, self.dollar_days)
        if (summary[0] is None) != (summary[1] is None):
            raise ValueError("give both dollar_variance and dollar_days, or neither")
        if mv_est is not None and summary[0] is not None:
            raise ValueError("give market_value_estimation or dollar_variance and dollar_days, not both")
        if (mv_est is None and summary[0] is None) != (mv_evt is None):
            raise ValueError(
                "give market_value_event with market_value_estimation (or dollar_variance and "
                "dollar_days), or none of them"
            )
        if mv_est is not None:
            need("market_value_estimation", 2, (n, l1))
        if mv_evt is not None:
            need("market_value_event", 2, (n, l2))
        if summary[0] is not None:
            need("dollar_variance", 1, (n,))
            need("dollar_days", 1, (n,))
        if self.conditional_variance is not None:
            need("conditional_variance", 2, (n, l2))

    # ------------------------------------------------------------------ basic properties
    @property
    def n_pairs(self) -> int:
        """N, the number of (event, firm) pairs (rows), valid or not."""
        return int(self.ar_event.shape[0])

    def require(self, *inputs: str) -> None:
        """Raise :class:`NotComputableError` naming the first of ``inputs`` the panel lacks."""
        for name in inputs:
            if name in self.missing_inputs:
                raise NotComputableError(f"needs {PANEL_INPUTS[name]}, which this panel does not have")

    @property
    def dof(self) -> np.ndarray:
        """(N,) residual degrees of freedom :math:`M_i - k_i`."""
        return self.n_estimation - self.n_params

    def subset(self, rows: Sequence[int] | np.ndarray) -> EventPanel:
        """A panel of the selected rows (integer positions or a boolean mask), e.g. a group."""
        index = np.asarray(rows)
        if index.dtype == bool:
            if index.shape != (self.n_pairs,):
                raise ValueError(f"boolean row mask must have shape ({self.n_pairs},)")
            index = np.flatnonzero(index)
        changes: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name in ("event_tau", "missing_inputs") or value is None:
                continue
            changes[item.name] = value.rows(index) if isinstance(value, DayGrid) else value[index]
        return replace(self, **changes)

    # ------------------------------------------------------------------ windows
    def window_mask(self, tau_start: int, tau_end: int) -> np.ndarray:
        """(L2,) bool mask of the event columns with ``tau_start <= τ <= tau_end``.

        Raises
        ------
        ValueError
            If ``tau_start > tau_end`` or either end is not a column of ``event_tau``.
        """
        if tau_start > tau_end:
            raise ValueError(f"tau_start {tau_start} is after tau_end {tau_end}")
        taus = set(self.event_tau.tolist())
        for end in (tau_start, tau_end):
            if end not in taus:
                raise ValueError(
                    f"relative day {end} is not in event_tau [{self.event_tau.min()}..{self.event_tau.max()}]"
                )
        return (self.event_tau >= tau_start) & (self.event_tau <= tau_end)

    # ------------------------------------------------------------------ variances
    def prediction_variance_factor(self) -> np.ndarray:
        """(N, L2) :math:`C_{i\\tau} = 1 + x_{i\\tau}'(X_i'X_i)^{-1}x_{i\\tau}`.

        The variance of the prediction error :math:`A_{i\\tau}` is :math:`\\sigma_i^2 C_{i\\tau}`
        (Patell 1976; Campbell, Lo & MacKinlay 1997, eq. 4.4.8). Cost O(N·L2·k²).
        """
        return prediction_variance_factor(self.x_event, self.xtx_inv)

    def car(self, tau_start: int, tau_end: int) -> np.ndarray:
        """(N,) :math:`CAR_i = \\sum_{\\tau_1}^{\\tau_2} A_{i\\tau}`; NaN if any day is missing."""
        mask = self.window_mask(tau_start, tau_end)
        return self.ar_event[:, mask].sum(axis=1)

    def car_path(self, tau_start: int, tau_end: int) -> np.ndarray:
        """(N, L) running CAR from ``tau_start`` to each day of the window (NaN propagates)."""
        mask = self.window_mask(tau_start, tau_end)
        return np.cumsum(self.ar_event[:, mask], axis=1)

    def car_variance(self, tau_start: int, tau_end: int) -> np.ndarray:
        """(N,) :math:`\\sigma_i^2(L + s_i'(X_i'X_i)^{-1}s_i)`, :math:`s_i=\\sum_\\tau x_{i\\tau}`.

        This is :math:`\\gamma'V_i\\gamma` with :math:`V_i = \\sigma_i^2(I +
        X^*(X'X)^{-1}X^{*\\prime})` (Campbell, Lo & MacKinlay 1997, ch. 4).
        Cost O(N·L·k + N·k²).
        """
        return car_variance(self.sigma, self.xtx_inv, self.x_event, self.window_mask(tau_start, tau_end))

    # ------------------------------------------------------------------ standardisation
    def standardized_ar(self) -> np.ndarray:
        """(N, L2) :math:`SAR_{i\\tau} = A_{i\\tau} / (\\hat\\sigma_i\\sqrt{C_{i\\tau}})`.

        Forecast-error-corrected standardized abnormal returns (Patell 1976; Boehmer,
        Musumeci & Poulsen 1991). Under normal i.i.d. disturbances each is Student-t with
        :math:`M_i - k_i` degrees of freedom.
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = self.sigma[:, None] * np.sqrt(self.prediction_variance_factor())
            return self.ar_event / scale

    def standardized_car(self, tau_start: int, tau_end: int) -> np.ndarray:
        """(N,) :math:`SCAR_i = CAR_i / \\sqrt{\\operatorname{Var}(CAR_i)}`, exact CLM variance."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.car(tau_start, tau_end) / np.sqrt(self.car_variance(tau_start, tau_end))

    def standardized_residuals(self) -> np.ndarray:
        """(N, L1) :math:`e_{is} / \\hat\\sigma_i` (used by GRANK, Kolari & Pynnönen 2011)."""
        return standardized(self.ar_estimation, self.sigma)

    # ------------------------------------------------------------------ aggregates
    def aar_estimation(self) -> np.ndarray:
        """(L1,) mean estimation residual across pairs of each relative estimation day.

        The time series of the equally weighted portfolio used by the crude-dependence test
        (Brown & Warner 1980, 1985); NaN on days with no data.
        """
        return _nanmean(self.ar_estimation, axis=0)

    def aar_event(self) -> np.ndarray:
        """(L2,) mean abnormal return across the pairs available on each event day."""
        return _nanmean(self.ar_event, axis=0)

    # ------------------------------------------------------------------ dollars
    def dollar_car(self, tau_start: int, tau_end: int) -> np.ndarray | None:
        """(N,) :math:`\\sum_\\tau A_{i\\tau} MV_{i,\\tau-1}` in USD; None without market values."""
        if self.market_value_event is None:
            return None
        mask = self.window_mask(tau_start, tau_end)
        window = mask_as_slice(mask)  # a tau range: views, no copies
        # The products in Fortran order, as boolean indexing gave them: the same sums bit for bit.
        product = np.empty((self.n_pairs, int(np.count_nonzero(mask))), order="F")
        np.multiply(self.ar_event[:, window], self.market_value_event[:, window], out=product)
        return product.sum(axis=1)

    def dollar_residuals(self) -> np.ndarray | None:
        """(N, L1) :math:`e_{is} MV_{i,s-1}` in USD, or None without estimation-window market
        values (also when the panel carries only their summary, :attr:`dollar_variance`)."""
        if self.market_value_estimation is None:
            return None
        return self.ar_estimation * self.market_value_estimation

    def dollar_residual_summary(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(N,) :attr:`dollar_variance` and :attr:`dollar_days`, given or computed from
        :meth:`dollar_residuals`; None without market values."""
        if self.dollar_variance is not None and self.dollar_days is not None:
            return self.dollar_variance, self.dollar_days
        residuals = self.dollar_residuals()
        return None if residuals is None else dollar_residual_variance(residuals, overwrite=True)
