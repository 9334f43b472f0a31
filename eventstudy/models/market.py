"""Market-based models: the market model, constant mean, market-adjusted, market + sector.

=================  ================================================================  ===
name               regression                                                        k
=================  ================================================================  ===
market             :math:`R = \\alpha + \\beta R_m + e` (OLS)                            2
constant_mean      :math:`R = \\mu + e`                                                1
market_adjusted    :math:`R - R_m = e`                                                 0
raw                :math:`R = e` (no benchmark)                                        0
sector             :math:`R = \\alpha + \\beta R_m + \\gamma R_s + e` (OLS)               3
=================  ================================================================  ===
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from eventstudy.models.base import DataNeeds, Design, ExpectedReturnModel, register_model

if TYPE_CHECKING:
    from eventstudy.config import StudyConfig
    from eventstudy.models.factor import FactorTable
    from eventstudy.timeline.returns import ReturnsPanel


@register_model
@dataclass(frozen=True)
class MarketModel(ExpectedReturnModel):
    """The market model :math:`R_{it} = \\alpha_i + \\beta_i R_{mt} + e_{it}` (Sharpe 1963).

    Estimated by OLS over the estimation window (MacKinlay 1997, "Event Studies in Economics
    and Finance", J. Economic Literature 35(1); Campbell, Lo & MacKinlay 1997, ch. 4).
    Assumes jointly normal, i.i.d. returns over the estimation and event windows.
    """

    market: str = "SPY"
    benchmark_field = "market"
    name = "market"

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ("alpha", "beta")

    @property
    def symbols(self) -> tuple[str, ...]:
        return (self.market,)

    def design(self, panel: ReturnsPanel) -> Design:
        market = panel.returns_of(self.market)
        regressors = np.column_stack([np.ones_like(market), market])
        return Design(np.zeros_like(market), regressors, self.parameter_names)

    def describe(self) -> str:
        return f"market model, OLS of the firm's return on {self.market}'s return with intercept"

    def settings(self) -> dict[str, Any]:
        return {"market": self.market}

    @classmethod
    def from_config(cls, config: StudyConfig, factors: Mapping[str, FactorTable]) -> MarketModel:
        return cls(config.market)


@register_model
@dataclass(frozen=True)
class ConstantMeanModel(ExpectedReturnModel):
    """The constant-mean-return model :math:`R_{it} = \\mu_i + e_{it}` (Brown & Warner 1980).

    :math:`\\hat\\mu_i` is the estimation-window mean (OLS on a constant); it is reported in
    the ``alpha`` column.
    """

    name = "constant_mean"
    beta_name = None

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ("mean",)

    def design(self, panel: ReturnsPanel) -> Design:
        ones = np.ones(len(panel.calendar))
        return Design(np.zeros_like(ones), ones[:, None], self.parameter_names)

    def describe(self) -> str:
        return "constant-mean-return model (estimation-window mean)"

    @classmethod
    def from_config(cls, config: StudyConfig, factors: Mapping[str, FactorTable]) -> ConstantMeanModel:
        return cls()


@register_model
@dataclass(frozen=True)
class MarketAdjustedModel(ExpectedReturnModel):
    """The market-adjusted model :math:`AR_{it} = R_{it} - R_{mt}` (Brown & Warner 1980).

    No parameters are estimated (k = 0): :math:`\\alpha_i = 0, \\beta_i = 1` are imposed (the
    ``alpha``/``beta`` columns stay empty), and :math:`\\sigma_i^2` is the mean squared
    estimation-window abnormal return, ``SSR / M``, on M degrees of freedom: this package's
    convention (with nothing estimated, the abnormal return's mean is 0 under the null), not
    Brown & Warner's, whose tests centre the estimation-period abnormal returns (divisor M - 1).
    """

    market: str = "SPY"
    benchmark_field = "market"
    name = "market_adjusted"
    estimator = "none (alpha = 0, beta = 1 imposed)"
    beta_name = None

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ()

    @property
    def symbols(self) -> tuple[str, ...]:
        return (self.market,)

    def design(self, panel: ReturnsPanel) -> Design:
        market = panel.returns_of(self.market)
        return Design(market, np.empty((len(market), 0)), ())

    def describe(self) -> str:
        return f"market-adjusted returns, firm return minus {self.market}'s return"

    def settings(self) -> dict[str, Any]:
        return {"market": self.market}

    @classmethod
    def from_config(cls, config: StudyConfig, factors: Mapping[str, FactorTable]) -> MarketAdjustedModel:
        return cls(config.market)


@register_model
@dataclass(frozen=True)
class RawReturnsModel(ExpectedReturnModel):
    """Raw returns: no benchmark, :math:`AR_{it} = R_{it}` (expected return 0).

    The R package eventstudies' ``type = "None"``: the abnormal return is the return itself, for
    studies whose returns are already net of a benchmark (excess or market-adjusted returns
    brought as a returns panel) or that want the raw reaction. No parameters are estimated
    (k = 0); :math:`\\hat\\sigma_i^2 = SSR/M` is the mean squared estimation-window return, so
    the per-pair CAR test is :math:`CAR_i / (\\hat\\sigma_i\\sqrt{L})` with M degrees of freedom
    (the convention of :class:`MarketAdjustedModel`: with nothing estimated, the mean is 0 under
    the null; Brown & Warner's tests centre instead, divisor M - 1). The market proxy still
    defines the trading calendar and fills ``market_ret``, but enters no expected return.
    """

    name = "raw"
    estimator = "none (expected return 0)"
    beta_name = None

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ()

    def design(self, panel: ReturnsPanel) -> Design:
        n_days = len(panel.calendar)
        return Design(np.zeros(n_days), np.empty((n_days, 0)), ())

    def describe(self) -> str:
        return "raw returns, no benchmark (abnormal return = return)"

    @classmethod
    def needs(cls, config: StudyConfig) -> DataNeeds:
        return DataNeeds()

    @classmethod
    def from_config(cls, config: StudyConfig, factors: Mapping[str, FactorTable]) -> RawReturnsModel:
        return cls()


@register_model
@dataclass(frozen=True)
class SectorModel(ExpectedReturnModel):
    """Two-factor market + sector model.

    .. math:: R_{it} = \\alpha_i + \\beta_i R_{mt} + \\gamma_i R_{st} + e_{it}

    OLS with the market proxy (e.g. SPY) and a sector proxy (e.g. SMH, semiconductors) as
    regressors, so that a deal's abnormal return is measured net of the sector's move that day
    (an industry-index model; Sharpe 1963's single index extended with an industry index, see
    e.g. MacKinlay 1997, sec. 4.2 on multifactor models). ``beta`` is the market loading
    holding the sector return fixed; ``beta_sector`` the sector loading. Because the two
    proxies are correlated, ``beta`` alone is not comparable with the one-factor market beta.
    k = 3, df = M - 3.
    """

    market: str = "SPY"
    benchmark_field = "market"
    sector: str = "SMH"
    name = "sector"
    options = ("sector",)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ("alpha", "beta", "beta_sector")

    @property
    def symbols(self) -> tuple[str, ...]:
        return (self.market, self.sector)

    def design(self, panel: ReturnsPanel) -> Design:
        market = panel.returns_of(self.market)
        sector = panel.returns_of(self.sector)
        regressors = np.column_stack([np.ones_like(market), market, sector])
        return Design(np.zeros_like(market), regressors, self.parameter_names)

    def describe(self) -> str:
        return (
            f"market + sector model, OLS of the firm's return on {self.market}'s and {self.sector}'s "
            "returns with intercept"
        )

    def settings(self) -> dict[str, Any]:
        return {"market": self.market, "sector": self.sector}

    @classmethod
    def needs(cls, config: StudyConfig) -> DataNeeds:
        return DataNeeds(symbols=(config.market, config.sector))

    @classmethod
    def from_config(cls, config: StudyConfig, factors: Mapping[str, FactorTable]) -> SectorModel:
        return cls(config.market, config.sector)
