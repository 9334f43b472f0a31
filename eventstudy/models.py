"""Expected-return models, written as linear regressions on dated regressors.

Every model here has the form

.. math:: R_{it} - o_t = x_t' b_i + e_{it}, \\qquad e_{it} \\sim (0, \\sigma_i^2)\\ \\text{i.i.d.}

where :math:`o_t` is a known offset and :math:`x_t` a row of regressors that depend on the
date only. The expected return is :math:`o_t + x_t' \\hat b_i`. A model describes itself as a
:class:`Design` over the trading calendar; the estimation code gathers the rows it needs for
each (event, firm) pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from eventstudy.panel import ReturnsPanel


@dataclass(frozen=True)
class Design:
    """A model's regression design over the trading calendar.

    Attributes
    ----------
    offset
        (T,) known part of the expected return, subtracted before the regression.
    regressors
        (T, k) regressors; may contain NaN where unavailable.
    names
        The k parameter names, in column order.
    """

    offset: np.ndarray
    regressors: np.ndarray
    names: tuple[str, ...]


class ExpectedReturnModel(Protocol):
    """What the estimation step needs from a model."""

    name: str

    def design(self, panel: ReturnsPanel) -> Design:  # pragma: no cover - protocol
        ...

    def describe(self) -> str:  # pragma: no cover - protocol
        ...


@dataclass(frozen=True)
class MarketModel:
    """The market model :math:`R_{it} = \\alpha_i + \\beta_i R_{mt} + e_{it}` (Sharpe 1963).

    Estimated by OLS over the estimation window (MacKinlay 1997, "Event Studies in Economics
    and Finance", J. Economic Literature 35(1); Campbell, Lo & MacKinlay 1997, ch. 4).
    Assumes jointly normal, i.i.d. returns over the estimation and event windows.
    """

    market: str = "SPY"
    name: str = "market"

    def design(self, panel: ReturnsPanel) -> Design:
        market = panel.returns_of(self.market)
        regressors = np.column_stack([np.ones_like(market), market])
        return Design(np.zeros_like(market), regressors, ("alpha", "beta"))

    def describe(self) -> str:
        return f"market model, OLS of the firm's return on {self.market}'s return with intercept"


@dataclass(frozen=True)
class ConstantMeanModel:
    """The constant-mean-return model :math:`R_{it} = \\mu_i + e_{it}` (Brown & Warner 1980).

    :math:`\\hat\\mu_i` is the estimation-window mean (OLS on a constant).
    """

    name: str = "constant_mean"

    def design(self, panel: ReturnsPanel) -> Design:
        ones = np.ones(len(panel.calendar))
        return Design(np.zeros_like(ones), ones[:, None], ("mean",))

    def describe(self) -> str:
        return "constant-mean-return model (estimation-window mean)"


@dataclass(frozen=True)
class MarketAdjustedModel:
    """The market-adjusted model :math:`AR_{it} = R_{it} - R_{mt}` (Brown & Warner 1980).

    No parameters are estimated (k = 0): :math:`\\alpha_i = 0, \\beta_i = 1` are imposed, and
    :math:`\\sigma_i^2` is the mean squared estimation-window abnormal return, ``SSR / M``.
    """

    market: str = "SPY"
    name: str = "market_adjusted"

    def design(self, panel: ReturnsPanel) -> Design:
        market = panel.returns_of(self.market)
        return Design(market, np.empty((len(market), 0)), ())

    def describe(self) -> str:
        return f"market-adjusted returns, firm return minus {self.market}'s return"
