"""Factor models on excess returns: Fama-French (1993, 2015), Carhart (1997), user factors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from eventstudy.factors import FactorTable
from eventstudy.models.base import DataNeeds, Design, ExpectedReturnModel, register_model

if TYPE_CHECKING:
    from eventstudy.config import StudyConfig
    from eventstudy.timeline.returns import ReturnsPanel

FF3_FILE = "F-F_Research_Data_Factors_daily"
MOMENTUM_FILE = "F-F_Momentum_Factor_daily"
FF5_FILE = "F-F_Research_Data_5_Factors_2x3_daily"
MARKET_FACTOR = "Mkt-RF"


@dataclass(frozen=True, eq=False)
class FactorModel(ExpectedReturnModel):
    """A factor model on excess returns: :math:`R_{it} - RF_t = \\alpha_i + b_i' f_t + e_{it}`.

    OLS over the estimation window with an intercept, the regressand the firm's simple return
    minus the risk-free rate (the offset), the regressors the factor returns (all in decimal
    units; French's percent files are divided by 100 on import). The expected return is
    :math:`RF_\\tau + \\hat\\alpha_i + \\hat b_i' f_\\tau`. Models: Fama & French (1993, J.
    Financial Economics 33, 3-56) ``ff3`` (Mkt-RF, SMB, HML); Carhart (1997, J. Finance
    52(1), 57-82) ``carhart4`` (+ Mom); Fama & French (2015, J. Financial Economics 116, 1-22)
    ``ff5`` (+ RMW, CMA); or any ``user_factors`` table (offset = its ``RF`` column if any,
    else 0). A day without a value of a factor (or RF) is a missing row, never filled.

    ``beta`` is the loading on ``Mkt-RF`` (the market factor; NaN for a user table without
    such a column); ``alpha`` the intercept (a daily excess-return alpha). k = 1 + number of
    factors, df = M - k.

    Attributes
    ----------
    tables
        The factor tables; each factor and RF is read from the table that holds it.
    factors
        The factor columns used as regressors, in order.
    rf
        The risk-free-rate column used as the offset, or None (offset 0).
    label
        The label used in descriptions.
    """

    tables: tuple[FactorTable, ...]
    factors: tuple[str, ...]
    rf: str | None = "RF"
    label: str = "factor model"
    _where: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    name: ClassVar[str] = "factors"
    beta_name: ClassVar[str | None] = MARKET_FACTOR

    def __post_init__(self) -> None:
        where: dict[str, int] = {}
        for index, table in enumerate(self.tables):
            for column in table.columns:
                where.setdefault(column, index)
        needed = [*self.factors, *([self.rf] if self.rf else [])]
        missing = [c for c in needed if c not in where]
        if missing:
            names = ", ".join(t.name for t in self.tables)
            raise ValueError(f"factor table {names} has no column {missing[0]!r}")
        self._where.update(where)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ("alpha", *self.factors)

    @property
    def offset_name(self) -> str:
        return self.rf or "offset"

    def _values(self, panel: ReturnsPanel, column: str) -> np.ndarray:
        return self.tables[self._where[column]].on_calendar(panel.calendar, [column])[:, 0]

    def design(self, panel: ReturnsPanel) -> Design:
        ones = np.ones(len(panel.calendar))
        offset = self._values(panel, self.rf) if self.rf else np.zeros_like(ones)
        columns = [self._values(panel, c) for c in self.factors]
        return Design(offset, np.column_stack([ones, *columns]), self.parameter_names)

    def describe(self) -> str:
        source = ", ".join(t.name for t in self.tables)
        excess = f"the firm's return minus {self.rf}" if self.rf else "the firm's return"
        return f"{self.label}: OLS of {excess} on {', '.join(self.factors)} with intercept ({source})"

    def settings(self) -> dict[str, Any]:
        return {"factors": list(self.factors), "risk_free": self.rf}

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "factor_data": {table.name: table.describe() for table in self.tables}}


class _FrenchModel(FactorModel):
    """A Ken French factor model: its files and factor columns are fixed by the class."""

    files: ClassVar[tuple[str, ...]] = ()
    columns: ClassVar[tuple[str, ...]] = ()
    title: ClassVar[str] = ""

    @classmethod
    def on(cls, tables: tuple[FactorTable, ...]) -> FactorModel:
        """The model on French's ``tables`` (decimal units; RF is the offset)."""
        return cls(tables, cls.columns, "RF", cls.title)

    @classmethod
    def needs(cls, config: StudyConfig) -> DataNeeds:
        return DataNeeds(french=cls.files)

    @classmethod
    def from_config(cls, config: StudyConfig, factors: Mapping[str, FactorTable]) -> FactorModel:
        return cls.on(tuple(factors[name] for name in cls.files))


@register_model
class FamaFrench3Model(_FrenchModel):
    """Fama & French (1993, J. Financial Economics 33, 3-56): Mkt-RF, SMB, HML."""

    name = "ff3"
    files = (FF3_FILE,)
    columns = ("Mkt-RF", "SMB", "HML")
    title = "Fama-French (1993) three-factor model"


@register_model
class Carhart4Model(_FrenchModel):
    """Carhart (1997, J. Finance 52(1), 57-82): Fama-French three factors + Mom (its own file)."""

    name = "carhart4"
    files = (FF3_FILE, MOMENTUM_FILE)
    columns = ("Mkt-RF", "SMB", "HML", "Mom")
    title = "Carhart (1997) four-factor model"


@register_model
class FamaFrench5Model(_FrenchModel):
    """Fama & French (2015, J. Financial Economics 116, 1-22): + RMW, CMA."""

    name = "ff5"
    files = (FF5_FILE,)
    columns = ("Mkt-RF", "SMB", "HML", "RMW", "CMA")
    title = "Fama-French (2015) five-factor model"


@register_model
class UserFactorModel(FactorModel):
    """A factor model on every column of the user's table (``RF``, when present, is the offset)."""

    name = "user_factors"
    options = ("factors_file",)

    @classmethod
    def on(cls, table: FactorTable) -> UserFactorModel:
        """The model on every factor column of ``table``."""
        rf = "RF" if "RF" in table.columns else None
        return cls((table,), tuple(c for c in table.columns if c != "RF"), rf, "user factor model")

    @classmethod
    def needs(cls, config: StudyConfig) -> DataNeeds:
        return DataNeeds(factors_file=config.factors_file)

    @classmethod
    def from_config(cls, config: StudyConfig, factors: Mapping[str, FactorTable]) -> UserFactorModel:
        # The user's table by its name (the file's name): ``factors`` also holds the French
        # files of the backtest's calendar-time regressions.
        if config.factors_file is None:
            raise ValueError("model 'user_factors' needs a factors_file")
        return cls.on(factors[Path(config.factors_file).name])
