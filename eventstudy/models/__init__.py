"""Expected-return models, written as regressions on dated regressors.

Models (``StudyConfig.model``; the registry :data:`MODELS` lists them):

==================  =============================================================  ======
name                regression                                                     k
==================  =============================================================  ======
constant_mean       :math:`R = \\mu + e`                                              1
market_adjusted     :math:`R - R_m = e`                                              0
raw                 :math:`R = e` (no benchmark)                                     0
market              :math:`R = \\alpha + \\beta R_m + e` (OLS)                          2
scholes_williams    market model, Scholes & Williams (1977) estimator                2
dimson              :math:`R = \\alpha + \\sum_{j=-l}^{l} \\beta_j R_{m,t+j} + e` (OLS)       2l+2
sector              :math:`R = \\alpha + \\beta R_m + \\gamma R_s + e` (OLS)                3
ff3 / carhart4/ff5  :math:`R - RF = \\alpha + b'f + e` on French's daily factors (OLS)  4/5/6
user_factors        :math:`R - RF = \\alpha + b'f + e` on the user's factors (OLS)      1+F
==================  =============================================================  ======

For every OLS model the CAR test uses the exact prediction-error covariance
:math:`V = \\sigma^2(I + X^*(X'X)^{-1}X^{*\\prime})` of Campbell, Lo & MacKinlay (1997, ch. 4)
with :math:`M - k` degrees of freedom (:mod:`eventstudy.abnormal`), so the correction and the
degrees of freedom follow the model's parameter count k. See :mod:`eventstudy.models.base` for
the interface and how to add a model.
"""

from __future__ import annotations

# The import order is the registration order, i.e. the order of MODELS.
# isort: off
from eventstudy.models.base import (
    MODELS,
    DataNeeds,
    Design,
    ExpectedReturnModel,
    ModelFit,
    ols_model_fit,
    register_model,
    shifted,
)
from eventstudy.models.market import (
    ConstantMeanModel,
    MarketAdjustedModel,
    MarketModel,
    RawReturnsModel,
    SectorModel,
)
from eventstudy.models.thin_trading import DimsonModel, ScholesWilliamsModel, fit_scholes_williams_batch
from eventstudy.models.factor import (
    Carhart4Model,
    FactorModel,
    FamaFrench3Model,
    FamaFrench5Model,
    UserFactorModel,
)

# isort: on

__all__ = [
    "MODELS",
    "Carhart4Model",
    "ConstantMeanModel",
    "DataNeeds",
    "Design",
    "DimsonModel",
    "ExpectedReturnModel",
    "FactorModel",
    "FamaFrench3Model",
    "FamaFrench5Model",
    "MarketAdjustedModel",
    "MarketModel",
    "ModelFit",
    "RawReturnsModel",
    "ScholesWilliamsModel",
    "SectorModel",
    "UserFactorModel",
    "fit_scholes_williams_batch",
    "model_names",
    "ols_model_fit",
    "register_model",
    "shifted",
]


def model_names() -> tuple[str, ...]:
    """The registered model names, in registration order."""
    return tuple(MODELS)
