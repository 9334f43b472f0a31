"""The expected-return model interface and its registry.

Every model has the form

.. math:: R_{it} - o_t = x_t' b_i + e_{it}, \\qquad e_{it} \\sim (0, \\sigma_i^2)\\ \\text{i.i.d.}

where :math:`o_t` is a known offset (0, the market return, or the risk-free rate) and
:math:`x_t` a row of regressors that depend on the date only. The expected return is
:math:`o_t + x_t' \\hat b_i`. A model describes itself as a :class:`Design` over the trading
calendar; the estimation code gathers the rows it needs for each (event, firm) pair and calls
the model's :meth:`ExpectedReturnModel.fit` (OLS unless the model overrides it), which returns
a :class:`ModelFit`.

Adding a model is one subclass plus :func:`register_model`::

    @register_model
    class MyModel(ExpectedReturnModel):
        name = "mine"
        ...

after which ``model = "mine"`` works in a config (through :meth:`ExpectedReturnModel.from_config`)
and ``run_study(..., model=MyModel(...))`` works from Python, without editing the library.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from eventstudy.models.ols import BatchFit, fit_ols_batch

if TYPE_CHECKING:
    from eventstudy.config import StudyConfig
    from eventstudy.models.factor import FactorTable
    from eventstudy.timeline.returns import ReturnsPanel


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
    auxiliary
        (T, a) further dated series that the model's estimator uses on the estimation rows only
        (Scholes-Williams: the market return of the previous and the next day), or None.
    """

    offset: np.ndarray
    regressors: np.ndarray
    names: tuple[str, ...]
    auxiliary: np.ndarray | None = None


@dataclass(frozen=True)
class ModelFit:
    """A model fitted to P (event, firm) pairs.

    Attributes
    ----------
    batch
        Coefficients (in the order of ``Design.names``), the matrix :math:`A` with
        :math:`\\operatorname{Var}(\\hat b \\mid X) = \\sigma^2 A` (``xtx_inv``; :math:`(X'X)^{-1}`
        for OLS), :math:`\\hat\\sigma`, M, residuals and estimability.
    params
        The parameters to report, by name, (P,) each (the ``params`` column of ``car.parquet``).
    alpha, beta
        (P,) the intercept and the market beta where the model has them (NaN otherwise).
    refusal
        (P,) why a pair with enough estimation returns and varying regressors was not fitted,
        where the model refuses a fit of its own ("" elsewhere; None: never), e.g. the
        Scholes-Williams beta's denominator.
    """

    batch: BatchFit
    params: Mapping[str, np.ndarray]
    alpha: np.ndarray
    beta: np.ndarray
    refusal: np.ndarray | None = None


@dataclass(frozen=True)
class DataNeeds:
    """What a model named in a config needs from the data layer before it can be built.

    Attributes
    ----------
    symbols
        Price series besides the firms (the market proxy, a sector proxy).
    french
        Ken French daily files (by name) the model reads.
    factors_file
        A user factor file (CSV or parquet), or None.
    """

    symbols: tuple[str, ...] = ()
    french: tuple[str, ...] = ()
    factors_file: str | None = None


class ExpectedReturnModel(ABC):
    """An expected-return model: a design on the calendar and an estimator (OLS by default).

    Subclasses set :attr:`name` (the registry key, the ``model`` of a config), implement
    :attr:`parameter_names`, :meth:`design` and :meth:`describe`, and may override :meth:`fit`
    (a non-OLS estimator), :attr:`symbols` (price series the design reads), :meth:`settings`
    (recorded in ``manifest.json``) and, to be named in a config, :meth:`needs`,
    :meth:`from_config` and :attr:`options`.
    """

    name: ClassVar[str] = ""
    options: ClassVar[tuple[str, ...]] = ()
    """The ``[study]`` keys that only this model reads (``sector`` of the sector model): a config
    file giving one with another ``model`` is refused (:func:`eventstudy.config.load_config`),
    since the value would be recorded and never applied."""
    estimator: ClassVar[str] = "OLS"
    beta_name: ClassVar[str | None] = "beta"
    """The parameter reported in ``car.parquet``'s ``beta`` column (None: no market beta)."""
    benchmark_field: ClassVar[str | None] = None
    """The dataclass field holding the model's market benchmark (``"market"``), or None for a
    model without one; :meth:`with_market` replaces it for per-event benchmarks."""

    @property
    def benchmark(self) -> str | None:
        """The market benchmark the design reads (None: the model has none)."""
        return None if self.benchmark_field is None else str(getattr(self, self.benchmark_field))

    def with_market(self, market: str) -> ExpectedReturnModel:
        """This model on another market benchmark: a pair's own ``market`` of the events file.

        Raises
        ------
        ValueError
            When the model has no market benchmark (constant mean, raw returns, factor models).
        """
        if self.benchmark_field is None:
            raise ValueError(f"model {self.name!r} has no market benchmark to replace")
        # Models are dataclasses (the registry's contract), though the abstract base is not one.
        return dataclasses.replace(self, **{self.benchmark_field: market})  # type: ignore[type-var]

    def by_benchmark(self, benchmarks: np.ndarray) -> tuple[list[ExpectedReturnModel], np.ndarray]:
        """This model on each distinct benchmark of the pairs (sorted by name; itself for its own
        benchmark, :meth:`with_market` for the others) and (P,) each pair's position in that
        list: every pair's numbers are those of a study of its benchmark alone."""
        names, code = np.unique(np.asarray(benchmarks, dtype=str), return_inverse=True)
        models = [self if name == self.benchmark else self.with_market(name) for name in names.tolist()]
        return models, code.reshape(-1)

    @property
    @abstractmethod
    def parameter_names(self) -> tuple[str, ...]:
        """The k regression parameters, in the column order of :meth:`design`."""

    @property
    def symbols(self) -> tuple[str, ...]:
        """Price symbols the design reads besides the firms (default: none)."""
        return ()

    @property
    def offset_name(self) -> str:
        """What the design's offset is, as a note names it (default: "offset")."""
        return "offset"

    @abstractmethod
    def design(self, panel: ReturnsPanel) -> Design:
        """The offset, regressors and auxiliary series on ``panel``'s calendar."""

    @abstractmethod
    def describe(self) -> str:
        """One line saying what the model is, for reports and the manifest."""

    def settings(self) -> dict[str, Any]:
        """The model's options, for ``manifest.json``."""
        return {}

    def fit(self, y: np.ndarray, x: np.ndarray, auxiliary: np.ndarray, *, min_obs: int) -> ModelFit:
        """Fit every pair; OLS of ``y`` on ``x`` (:func:`ols_model_fit`) unless overridden.

        Parameters
        ----------
        y
            (P, L) dependent variable :math:`R - o` on the estimation rows, NaN where missing.
        x
            (P, L, k) regressors on the estimation rows.
        auxiliary
            (P, L, a) the design's auxiliary series on the estimation rows.
        min_obs
            Fewest valid rows for a pair to be estimated.
        """
        return ols_model_fit(self.parameter_names, y, x, min_obs=min_obs, beta_name=self.beta_name)

    def to_dict(self) -> dict[str, Any]:
        """The model's record for ``manifest.json``."""
        return {
            "name": self.name,
            "description": self.describe(),
            "estimator": self.estimator,
            "parameters": list(self.parameter_names),
            "settings": self.settings(),
        }

    @classmethod
    def needs(cls, config: StudyConfig) -> DataNeeds:
        """The data :meth:`from_config` needs (default: the market proxy's prices)."""
        return DataNeeds(symbols=(config.market,))

    @classmethod
    def from_config(cls, config: StudyConfig, factors: Mapping[str, FactorTable]) -> ExpectedReturnModel:
        """The model a study configuration names, given the factor tables of :meth:`needs`."""
        raise NotImplementedError(f"model {cls.name!r} cannot be built from a configuration")


M = TypeVar("M", bound=type[ExpectedReturnModel])

MODELS: dict[str, type[ExpectedReturnModel]] = {}
"""The registry: model name -> class, in registration order."""


def checked_design(model: ExpectedReturnModel, panel: ReturnsPanel) -> Design:
    """``model.design(panel)``, its shapes checked against the calendar and the parameters.

    Raises
    ------
    ValueError
        Naming the model, when the offset is not (T,), the regressors not (T, k) for its k
        ``parameter_names``, the design's names not those, or the auxiliary series not (T, a):
        a design one day short (the NaN days dropped) shifted every day's expected return onto
        the wrong session, every row 'ok'.
    """
    design = model.design(panel)
    n_days, k = len(panel.calendar), len(model.parameter_names)
    where = f"model {model.name!r}: design on the {n_days}-session calendar"
    if not isinstance(design, Design):
        raise ValueError(f"model {model.name!r}: design() gave {type(design).__name__}, not a Design")
    repeated = sorted({name for name in model.parameter_names if model.parameter_names.count(name) > 1})
    if repeated:  # ("alpha", "alpha") reported the beta as alpha, the intercept dropped
        raise ValueError(f"model {model.name!r}: parameter_names repeat {', '.join(map(repr, repeated))}")
    shapes: list[tuple[str, tuple[int, ...], tuple[int, ...], str]] = [
        ("offset has", np.shape(design.offset), (n_days,), f"({n_days},)"),
        ("regressors have", np.shape(design.regressors), (n_days, k), f"({n_days}, {k})"),
    ]
    if design.auxiliary is not None:
        shape = np.shape(design.auxiliary)
        a = (n_days, shape[-1]) if len(shape) == 2 else ()
        shapes.append(("auxiliary has", shape, a, f"({n_days}, a)"))
    for what, shape, expected, spelled in shapes:
        if shape != expected:
            raise ValueError(f"{where}: {what} shape {_spelled(shape)}, not {spelled}")
    arrays = {"offset": design.offset, "regressors": design.regressors, "auxiliary": design.auxiliary}
    for what, values in arrays.items():
        dtype = np.asarray(values).dtype if values is not None else np.dtype(float)
        if dtype.kind not in "fiub":  # text or objects: numpy's error from deep in the fit
            raise ValueError(f"{where}: {what} are of dtype {dtype}, not numbers")
    names, parameters = tuple(design.names), tuple(model.parameter_names)
    if names != parameters:
        raise ValueError(f"{where}: names {names} are not its parameter_names {parameters}")
    return design


def checked_fit(model: ExpectedReturnModel, fit: object, n_pairs: int, n_rows: int) -> ModelFit:
    """``fit``, the :class:`ModelFit` ``model.fit`` gave for ``n_pairs`` pairs of ``n_rows``
    estimation rows, its type and shapes checked.

    Raises
    ------
    ValueError
        Naming the model, when ``fit`` is not a :class:`ModelFit` of a :class:`BatchFit`, an array
        is not shaped for the pairs and the model's k parameters, ``estimable`` is not bool, a pair
        marked estimable has coefficients, sigma, xtx_inv or params that are not finite (or a
        negative sigma, an xtx_inv that is not symmetric, an n_obs other than its count of
        residuals), the params lack one of its parameter_names, or alpha or beta is not the
        parameter of that name: a model whose fit gave NaN coefficients had every row's outcome
        ``incomplete_event_window`` with a note blaming the market's data, one whose estimable
        were ints dropped pairs as degenerate, and a negative sigma, a wrong n_obs, a NaN
        xtx_inv or swapped alpha and beta changed every number with each row ``ok`` (a user's
        model, re-attacks).
    """
    where = f"model {model.name!r}: fit()"
    if not isinstance(fit, ModelFit) or not isinstance(fit.batch, BatchFit):
        raise ValueError(f"{where} gave {type(fit).__name__}, not a ModelFit of a BatchFit")
    k, batch = len(model.parameter_names), fit.batch
    shapes = {
        "coef": (batch.coef, (n_pairs, k)),
        "xtx_inv": (batch.xtx_inv, (n_pairs, k, k)),
        "sigma": (batch.sigma, (n_pairs,)),
        "n_obs": (batch.n_obs, (n_pairs,)),
        "residuals": (batch.residuals, (n_pairs, n_rows)),
        "estimable": (batch.estimable, (n_pairs,)),
        "alpha": (fit.alpha, (n_pairs,)),
        "beta": (fit.beta, (n_pairs,)),
        **{f"params[{name!r}]": (values, (n_pairs,)) for name, values in fit.params.items()},
    }
    for what, (values, expected) in shapes.items():
        if np.shape(values) != expected:
            shape = _spelled(np.shape(values))
            raise ValueError(f"{where}: {what} has shape {shape}, not {_spelled(expected)}")
    if np.asarray(batch.estimable).dtype != bool:  # ints: ~1 is -2, and pairs were dropped as degenerate
        raise ValueError(f"{where}: estimable is of dtype {np.asarray(batch.estimable).dtype}, not bool")
    estimable = np.asarray(batch.estimable)
    with np.errstate(invalid="ignore"):
        coef, cov = np.asarray(batch.coef, dtype=float), np.asarray(batch.xtx_inv, dtype=float)
        used = np.isfinite(np.asarray(batch.residuals, dtype=float)).sum(axis=1)
        sigma = np.asarray(batch.sigma, dtype=float)
        symmetric = np.isclose(cov, np.swapaxes(cov, 1, 2), rtol=1e-8, atol=0.0).all(axis=(1, 2))
        finite_params = np.ones(n_pairs, dtype=bool)
        for values in fit.params.values():
            finite_params &= np.isfinite(np.asarray(values, dtype=float))
        problems = {
            "no finite coefficients": ~np.isfinite(coef).all(axis=1),
            "a sigma that is not a finite number at least 0": ~(np.isfinite(sigma) & (sigma >= 0)),
            "an n_obs other than its count of residuals": np.asarray(batch.n_obs) != used,
            "an xtx_inv that is not finite and symmetric": ~(np.isfinite(cov).all(axis=(1, 2)) & symmetric),
            "params that are not finite": ~finite_params,
        }
    for what, wrong in problems.items():
        if (wrong & estimable).any():
            raise ValueError(
                f"{where} gave {what} for {int((wrong & estimable).sum())} of the {n_pairs} pairs it marks "
                "estimable (mark a pair it cannot fit estimable=False)"
            )
    missing = [name for name in model.parameter_names if name not in fit.params]
    if missing:
        raise ValueError(f"{where}: params lack {', '.join(map(repr, missing))} of its parameter_names")
    for column, names in (("alpha", ("alpha", "mean")), ("beta", (model.beta_name,))):
        reported = _pick(fit.params, names, n_pairs)
        if not np.array_equal(np.asarray(getattr(fit, column), dtype=float), reported, equal_nan=True):
            raise ValueError(f"{where}: {column} is not params[{names[0]!r}], as the car table reports it")
    return fit


def _spelled(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def register_model(cls: M) -> M:
    """Class decorator adding ``cls`` to :data:`MODELS` under ``cls.name``.

    A class of the same module and qualified name as the registered one replaces it (a notebook
    cell run again); any other under a registered name is refused.

    Raises
    ------
    ValueError
        When the name is empty or already registered to another class.
    """
    if not (isinstance(cls, type) and issubclass(cls, ExpectedReturnModel)):
        raise TypeError(f"register_model takes a subclass of ExpectedReturnModel, not {cls!r}")
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    known = MODELS.get(cls.name, cls)
    if (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ValueError(f"model name {cls.name!r} is already registered to {MODELS[cls.name].__name__}")
    MODELS[cls.name] = cls
    return cls


def ols_model_fit(
    names: tuple[str, ...], y: np.ndarray, x: np.ndarray, *, min_obs: int, beta_name: str | None = "beta"
) -> ModelFit:
    """OLS of ``y`` on ``x`` for every pair (:func:`~eventstudy.models.ols.fit_ols_batch`).

    The reported parameters are the coefficients by name; ``alpha`` is the coefficient named
    ``alpha`` (or ``mean``), ``beta`` the one named ``beta_name``.
    """
    batch = fit_ols_batch(y, x, min_obs=min_obs)
    params = {name: batch.coef[:, j] for j, name in enumerate(names)}
    return ModelFit(
        batch, params, _pick(params, ("alpha", "mean"), len(y)), _pick(params, (beta_name,), len(y))
    )


def _pick(params: Mapping[str, np.ndarray], wanted: tuple[str | None, ...], n: int) -> np.ndarray:
    for name in wanted:
        if name is not None and name in params:
            return params[name]
    return np.full(n, np.nan)


def shifted(series: np.ndarray, lag: int) -> np.ndarray:
    """``out[t] = series[t - lag]`` (lag > 0: the past; lag < 0: the future); NaN off the ends."""
    out = np.full(series.shape, np.nan)
    if lag > 0:
        out[lag:] = series[:-lag]
    elif lag < 0:
        out[:lag] = series[-lag:]
    else:
        out[:] = series
    return out
