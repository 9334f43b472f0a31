"""Cross-sectional regressions of CARs, dollar values or value per deal dollar on characteristics.

For the rows i of one window (one row per (event, party), outcome ``ok``) and a formula
:math:`y_i = x_i'b + u_i` built by patsy from ``car.parquet``'s columns, :func:`fit_cross_section`
estimates b by OLS, or by WLS with Patell-type weights :math:`w_i = 1/se_i^2` where
:math:`se_i` is the estimation-window standard error of :math:`y_i` (``car_se`` for the CAR;
``car_se`` × market value for the dollar value; that over the deal size for the value per deal
dollar), as Eventus offers ("weighted by the inverse of the variance of the abnormal return",
the weighting behind the Patell test; Patell 1976). Rows with a missing variable are dropped
(``n_dropped`` counts them). The coefficients' standard errors, each a row of the output:

* ``nonrobust``: :math:`\\hat\\sigma^2 (X'WX)^{-1}`, t(n - k);
* ``HC1``: White's (1980) sandwich with the n/(n - k) correction (MacKinnon & White 1985), t(n - k);
* ``HC3``: the jackknife-like :math:`\\hat u_i^2/(1 - h_{ii})^2` sandwich, better in small
  samples (MacKinnon & White 1985; Long & Ervin 2000), t(n - k). A row with leverage
  :math:`h_{ii} = 1` (e.g. the only row of a category) is fitted exactly: its residual is 0 and
  its term :math:`0/0` is undefined. Its influence :math:`(X'WX)^{-1}x_i w_i` is zero on the terms
  it does not determine, whose HC3 variance therefore does not contain it (:func:`hc3_covariance`);
  the terms it determines have no HC3 standard error (NaN, with a note). In floating point
  :math:`1 - h_{ii}` of such a row is rounding noise (any value below :data:`LEVERAGE_ONE` is
  read as 0), by which the plain formula would divide: every term's HC3 would be noise that
  depends on the machine;
* ``cluster``: CRV1 by the spec's ``cluster`` column (default ``event_id``: the parties of one
  announcement share its news), correction G/(G - 1)·(n - 1)/(n - k), t(G - 1) (Cameron,
  Gelbach & Miller 2008; Cameron & Miller 2015). A term that one cluster alone determines (a
  dummy of one announcement: :func:`single_cluster_terms`) is fitted exactly by that cluster, whose
  residuals then carry none of its error: no cluster s.e. (NaN, noted). With no more clusters
  than parameters the covariance has rank at most G - 1 (the scores sum to 0), which a note says;
  with fewer than :data:`FEW_CLUSTERS` a note says that CRV1 over-rejects with few clusters, and a
  term whose CR2 degrees of freedom are below :data:`FEW_DEGREES` says them;
* ``CR2``: Bell & McCaffrey's (2002) bias-reduced covariance by the same clusters, with each
  term's Satterthwaite degrees of freedom under independent errors of one variance (Imbens &
  Kolesár 2016; :mod:`~eventstudy.crosssection.small_sample`), p from t(ν): near the nominal size
  with few or unbalanced clusters, where CRV1's t(G - 1) over-rejects (a slope three of ten
  clusters fit: ν = 1, CRV1 rejected a true null 58% of the time at 5%, CR2 5.7%,
  ``tests/test_small_sample.py``). No s.e. for a term one
  cluster alone determines, as for CRV1.

Each but CR2 is statsmodels' ``OLS``/``WLS(...).fit(cov_type=..., use_t=True)`` on the design's columns
scaled to a largest value of 1 (coefficients and s.e. scaled back; t and p do not depend on
units); the rows are its numbers (``tests/test_crosssection.py`` re-fits them), except: HC3,
whose leverages come from a QR of the weighted design (statsmodels' :math:`x_i'(X'WX)^{-1}x_i`
loses every digit when that matrix is ill-conditioned) and which drops rows of leverage 1; a
term that a leverage-1 row determines, which has no HC1 s.e. either (the row's residual is 0, so
its own error is not in it); a cluster-determined term (above); and an exact fit, whose
residuals are rounding noise: no s.e. at all. A regression is refused (one row with a note) when
the dependent variable takes one value, or when the design, columns scaled to unit norm, has a
singular value below :data:`RANK_TOLERANCE` of the largest (collinear regressors, whatever their
units); a term with no column in the sample (a category of one level) gets rows saying so.
``r_squared`` is statsmodels' ``rsquared``: :math:`1 - RSS/TSS` about the mean when the design
spans a constant (an intercept, or categories whose dummies sum to one), and the uncentred
:math:`1 - RSS/\\sum_i y_i^2` when it does not, as R's ``lm`` and Stata report it, with a note
(:data:`UNCENTRED_NOTE`); under Patell weights both of the weighted data.
Assumptions: the regressors are exogenous characteristics (deal size, role) fixed before the
announcement; the cross-sectional errors are independent across clusters (``nonrobust``,
``HC*``: across rows); a CAR's estimation error is part of :math:`u_i` (so ``nonrobust`` assumes
it equal across rows; the WLS weights model it).

References
----------
Bell, R. M., & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear regression
with multi-stage samples. *Survey Methodology*, 28(2), 169-181.
Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements for
inference with clustered errors. *Review of Economics and Statistics*, 90(3), 414-427.
Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
*Journal of Human Resources*, 50(2), 317-372.
Imbens, G. W., & Kolesár, M. (2016). Robust standard errors in small samples: some practical
advice. *Review of Economics and Statistics*, 98(4), 701-712.
Long, J. S., & Ervin, L. H. (2000). Using heteroscedasticity consistent standard errors in the
linear regression model. *The American Statistician*, 54(3), 217-224.
MacKinnon, J. G., & White, H. (1985). Some heteroskedasticity-consistent covariance matrix
estimators with improved finite sample properties. *Journal of Econometrics*, 29(3), 305-325.
Patell, J. M. (1976). Corporate forecasts of earnings per share and stock price behavior.
*Journal of Accounting Research*, 14(2), 246-276.
White, H. (1980). A heteroskedasticity-consistent covariance matrix estimator and a direct test
for heteroskedasticity. *Econometrica*, 48(4), 817-838.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.crosssection.flows import flow_sides
from eventstudy.crosssection.rules import CrossSectionSpec
from eventstudy.crosssection.small_sample import cr2_covariance
from eventstudy.inference.cluster import cluster_codes
from eventstudy.inference.result import SPREAD_TOLERANCE, spread, standard_error_is_noise
from eventstudy.timeline.confounders import not_known_clean
from eventstudy.timeline.ranges import join_parts

if TYPE_CHECKING:
    from eventstudy.config import FlowEdge

COV_TYPES: tuple[str, ...] = ("nonrobust", "HC1", "HC3", "cluster", "CR2")
CLUSTERED: tuple[str, ...] = ("cluster", "CR2")
"""The covariance types by the spec's ``cluster`` column."""
FEW_DEGREES = 2.0
"""Bell-McCaffrey degrees of freedom below which a term's CRV1 row says CRV1's t(G - 1) is not
its distribution (the error of a slope three clusters fit rests on one)."""
RANK_TOLERANCE = 1e-10
"""A singular value below this fraction of the largest, of a design with unit-norm columns, is a
lost dimension (the rank tests: collinear regressors, a term one cluster determines)."""
FEW_CLUSTERS = 20
"""Clusters below which every ``cluster`` row says the count: CRV1 with t(G - 1) still
over-rejects with few clusters, the more so when they are unbalanced ("few may range from less
than 20 to less than 50 clusters in the balanced case", Cameron & Miller 2015, section VI; a
referee: the launch's ten announcements gave t(9) without a word)."""
FEW_CLUSTERS_NOTE = "over-rejects with few clusters"
"""The words of that note that say why (verify tells an older folder's missing note by them)."""
LEVERAGE_ONE = 1e-8
"""A row whose :math:`1 - h_{ii}` is below this has a leverage of 1 (exact arithmetic gives 0;
rounding leaves about :math:`10^{-15}`); an influence below this fraction of a term's largest is
zero."""
CROSSSECTION_COLUMNS: tuple[str, ...] = (
    "regression",
    "formula",
    "window",
    "sample",
    "weights",
    "term",
    "cov_type",
    "coef",
    "se",
    "t",
    "p",
    "df",
    "n",
    "n_dropped",
    "clusters",
    "r_squared",
    "note",
)
PEER_ROLE = "peer"
WEIGHT_RANGE = 1e150
"""Largest ratio of the largest Patell-type weight to a row's (an s.e. 1e75 times the smallest):
beyond it the row counts for nothing in the fit (and its weight underflows)."""


def _window_label(window: tuple[int, int]) -> str:
    def signed(day: int) -> str:
        return f"{day:+d}" if day else "0"

    return f"[{signed(window[0])},{signed(window[1])}]"


def regression_rows(
    car: pd.DataFrame,
    events: pd.DataFrame,
    spec: CrossSectionSpec,
    flows: Sequence[FlowEdge] = (),
    *,
    exclude_confounded: bool = False,
) -> pd.DataFrame:
    """The rows of ``car.parquet`` a regression uses: its window, its sample, outcome ``ok``,
    with the event's ``timing`` joined (by event, ticker and role) and the party's
    ``flow_side`` derived from the study's ``[[flows]]`` edges ``flows``
    (:func:`eventstudy.crosssection.flows.flow_sides`). With ``exclude_confounded`` the windows
    a clean sample leaves out (confounded or not screened:
    :func:`eventstudy.timeline.confounders.not_known_clean`) are not in the sample, as they are not
    in the study's statistics; ``confounded`` is a number (1, 0, missing where not screened), so a
    formula may hold it."""
    rows = sample_start(car, _window_label(spec.window), spec.sample)
    if "confounded" in rows.columns:
        rows = rows.assign(
            confounded=rows["confounded"].astype("Float64").to_numpy(float, na_value=np.nan)
        )
    if "timing" in events.columns:
        timing = events.loc[:, ["event_id", "ticker", "role", "timing"]].drop_duplicates(
            ["event_id", "ticker", "role"]
        )
        rows = rows.merge(timing, on=["event_id", "ticker", "role"], how="left")
    rows = rows.reset_index(drop=True)
    rows["flow_side"] = flow_sides(rows, flows)
    # Integer columns as floats: in int64, I(n_est ** 8) wrapped around to negative numbers and
    # was fitted without a word (an audit).
    integers = [c for c in rows.columns if pd.api.types.is_integer_dtype(rows[c])]
    rows[integers] = rows[integers].astype("float64")
    return without_confounded(rows) if exclude_confounded else rows


def sample_start(car: pd.DataFrame, window: str, sample: str) -> pd.DataFrame:
    """The rows of ``car.parquet`` a regression over ``window`` (its label, ``"[-1,+1]"``) and
    ``sample`` (``parties``, ``peers`` or ``all``) starts from: outcome ``ok``."""
    rows = car[(car["window"] == window) & (car["outcome"] == "ok")]
    is_peer = rows["role"] == PEER_ROLE
    return rows[~is_peer] if sample == "parties" else rows[is_peer] if sample == "peers" else rows


def without_confounded(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (of :func:`regression_rows`) without the windows a clean sample leaves out, those
    confounded or not screened (:func:`eventstudy.timeline.confounders.not_known_clean`)."""
    if "confounded" not in rows.columns:
        return rows
    return rows[~not_known_clean(rows["confounded"])].reset_index(drop=True)


def _dependent_se(rows: pd.DataFrame, dependent: str) -> np.ndarray:
    """(n,) the estimation-window s.e. of the dependent variable (Patell-type weights)."""
    se = rows["car_se"].to_numpy(float)
    if dependent == "abnormal_value_usd":
        return se * rows["mcap_prev_usd"].to_numpy(float)
    if dependent == "value_to_deal":
        return se * rows["mcap_prev_usd"].to_numpy(float) / rows["deal_usd"].to_numpy(float)
    return se


def _design(formula: str, data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """patsy's (y, X) of ``formula`` on ``data`` with only numpy in scope; rows with a missing
    value dropped, and so rows where the formula's functions give no finite number (``np.log``
    of 0 or of a negative number, ``np.exp`` beyond the largest double): counted as dropped,
    never regressed on, and no floating-point warning raised. Also the formula's terms that have
    no column on those rows (a category of one level there)."""
    import patsy

    scope = patsy.EvalEnvironment([{"np": np}])

    def design(
        rows: pd.DataFrame, env: patsy.EvalEnvironment = scope
    ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
        with np.errstate(all="ignore"):
            # The columns first, from the factors' values and levels, then the matrices only when
            # fewer columns than rows: C(event_id):C(ticker) of 300 events and 600 tickers is
            # 180,000 columns (1.9 GB) that no regression could estimate.
            least = columns_at_least(formula, rows)
            if least > max(len(rows), EXACT_COUNT_LIMIT):  # patsy would make (and name) each first
                raise TooManyParametersError(least, len(rows), exact=False)
            infos = patsy.incr_dbuilders(formula, lambda: iter([rows]), eval_env=env, NA_action="drop")
            if len(infos[1].column_names) > len(rows):
                raise TooManyParametersError(len(infos[1].column_names), len(rows))
            y, x = patsy.build_design_matrices(infos, rows, NA_action="drop", return_type="dataframe")
        if not y.shape[1]:
            raise patsy.PatsyError("model is missing required outcome variables")  # as dmatrices says
        finite = np.isfinite(y.to_numpy(float)).all(axis=1) & np.isfinite(x.to_numpy(float)).all(axis=1)
        slices = x.design_info.term_name_slices
        absent = [name for name, part in slices.items() if part.start == part.stop and name != "Intercept"]
        return y[finite], x[finite], absent

    # The complete rows first, each judged on its own values: rows missing a variable the formula
    # names leave before patsy sees them, and the stateful transforms (center, standardize) are
    # the identity in this pass, since over a NaN of one row (a missing value, np.log of a
    # negative number) their mean would be NaN on every row.
    named = formula_variables(formula, data.columns)
    rowwise = patsy.EvalEnvironment([{"np": np, "center": _identity, "standardize": _identity}])
    y, _, _ = design(data.loc[data[named].notna().all(axis=1)] if named else data, rowwise)
    # Then on the complete rows only, with the transforms taken over them (and so that a category
    # whose rows all lack a variable has no (all-zero) dummy column).
    # (A function of a transform, np.log(center(x)), may still leave rows without a number: dropped.)
    complete = y.index
    y, x, absent = design(data.loc[complete])
    if len(complete) and not len(y):  # the transform itself gave no number: standardize of a constant
        raise ValueError(
            f"no row of the {len(complete)} complete rows has a finite value "
            "(standardize of a variable that takes one value?)"
        )
    return y, x, absent


class TooManyParametersError(ValueError):
    """A design of more columns than rows (``exact``: that many; else at least), found before it
    is built."""

    def __init__(self, columns: int, rows: int, *, exact: bool = True) -> None:
        self.columns, self.rows, self.exact = columns, rows, exact
        super().__init__(self.describe())

    def describe(self) -> str:
        rows = f"{self.rows} row{'' if self.rows == 1 else 's'}"  # "1 row for 1 parameter" (car ~ 1)
        parameters = f"{self.columns} parameter{'' if self.columns == 1 else 's'}"
        return f"{rows} for {'' if self.exact else 'at least '}{parameters}"


EXACT_COUNT_LIMIT = 10_000
"""Designs of at most this many columns are counted by patsy (exactly, and cheaply); above it a
lower bound (:func:`columns_at_least`) of more columns than rows ends the fit first."""


def columns_at_least(formula: str, rows: pd.DataFrame) -> int:
    """A lower bound on the columns of ``formula``'s design on ``rows``, from its terms alone:
    patsy codes a categorical factor of L levels by L or L - 1 columns in each term it is in,
    any other factor (a number: text is no operand, :func:`~eventstudy.crosssection.rules.formula_problem`)
    by one, and makes a term's columns the products of its factors'. ``C(car):C(beta):C(sigma)``
    of 153 rows is at least 152^3 = 3.5 million columns, which patsy made, and named, before any
    check (an audit: 5.4 GB); so is ``C(np.abs(car)):...``, whose levels are its values'."""
    import patsy

    at_least = 0
    for term in patsy.ModelDesc.from_formula(formula).rhs_termlist:
        product = 1
        for factor in term.factors:
            code = factor.name()
            category = _category_argument(code)
            if category is not None:
                product *= max(_levels(category, rows) - 1, 0)
            elif code in rows.columns and not pd.api.types.is_numeric_dtype(rows[code]):
                product *= max(int(rows[code].nunique()) - 1, 0)
        at_least += product
    return at_least


def _category_argument(code: str) -> str | None:
    """The first argument of a factor ``C(x, ...)`` (brackets counted: the first ',' of
    ``C(standardize(beta, ddof=1))`` is inside its argument, where a pattern stopped and the
    bound took the whole term for 0 columns; a re-attack); None for another factor."""
    if not (code.startswith("C(") and code.endswith(")")):
        return None
    depth = 0
    for position, character in enumerate(code[2:-1], start=2):
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(character, 0)
        if depth < 0:  # C(a)(b): the first bracket closes before the end
            return None
        if character == "," and depth == 0:
            return code[2:position].strip()
    return code[2:-1].strip() if depth == 0 else None


def _levels(code: str, rows: pd.DataFrame) -> int:
    """The distinct values of the expression ``code`` (a column, or a function of columns) on
    ``rows``: patsy's levels of ``C(code)`` (of a categorical value, its columns without an
    intercept); 2 when it cannot be evaluated (a neutral one column for the bound: the fit says
    why; 0 would have taken its whole term for none)."""
    import patsy

    if code in rows.columns:
        return int(rows[code].nunique())
    try:
        with np.errstate(all="ignore"):
            scope = patsy.EvalEnvironment([{"np": np}])
            values = patsy.dmatrix(f"0 + I({code})", rows, scope, NA_action="drop", return_type="dataframe")
    except (patsy.PatsyError, ValueError, TypeError, KeyError, ArithmeticError):
        return 2
    return int(values.iloc[:, 0].nunique()) if values.shape[1] == 1 else int(values.shape[1])


def _identity(values: object, *args: object, **kwargs: object) -> object:
    """``center`` and ``standardize`` in the row-wise pass: the values (any option ignored)."""
    return values


def formula_variables(formula: str, columns: pd.Index) -> list[str]:
    """The columns of ``columns`` that ``formula``'s factors name (each factor's code parsed as a
    Python expression: ``center(deal_usd)`` names ``deal_usd``, ``C(role)`` names ``role``)."""
    import ast

    import patsy

    description = patsy.ModelDesc.from_formula(formula)
    names: set[str] = set()
    for term in [*description.lhs_termlist, *description.rhs_termlist]:
        for factor in term.factors:
            tree = ast.parse(factor.name(), mode="eval")
            names.update(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))
    return [column for column in columns if column in names]


def _empty(spec: CrossSectionSpec, n: int, dropped: int, note: str) -> pd.DataFrame:
    row = {
        "regression": spec.name,
        "formula": spec.formula,
        "window": _window_label(spec.window),
        "sample": spec.sample,
        "weights": spec.weights,
        "term": "",
        "cov_type": "",
        "coef": np.nan,
        "se": np.nan,
        "t": np.nan,
        "p": np.nan,
        "df": np.nan,
        "n": n,
        "n_dropped": dropped,
        "clusters": 0,
        "r_squared": np.nan,
        "note": note,
    }
    return _typed(pd.DataFrame([row]))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.loc[:, list(CROSSSECTION_COLUMNS)]
    return frame.astype({"n": "int64", "n_dropped": "int64", "clusters": "int64"})


def leverage_one(
    wexog: np.ndarray, pinv_wexog: np.ndarray, normalized_cov: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The leverages, the rows with a leverage of 1 and the terms those rows determine.

    Parameters
    ----------
    wexog
        (n, k) the whitened design :math:`W^{1/2}X`.
    pinv_wexog
        (k, n) its pseudo-inverse :math:`(X'WX)^{-1}X'W^{1/2}`: column i is row i's influence on
        the coefficients.
    normalized_cov
        (k, k) :math:`(X'WX)^{-1}`.

    Returns
    -------
    leverage, rows, terms
        (n,) :math:`h_{ii} = w_i x_i'(X'WX)^{-1}x_i`; (n,) bool, :math:`1 - h_{ii}` below
        :data:`LEVERAGE_ONE`; (k,) bool, the terms on which such a row's influence is not zero
        (above :data:`LEVERAGE_ONE` times the term's largest influence).

    Notes
    -----
    :math:`h_{ii} = 1` exactly when the design without row i has lost a dimension: row i alone
    identifies the direction :math:`c_i = (X'WX)^{-1}x_i w_i^{1/2}` of the coefficients, and
    only the terms with :math:`c_{ij} \\neq 0` depend on :math:`y_i` (Belsley, Kuh & Welsch 1980,
    ch. 2). ``wexog`` is statsmodels' ``model.wexog``; ``normalized_cov`` is not used (kept for
    the callers' signature).
    """
    # h_ii = the squared norm of row i of Q (W^(1/2)X = QR): accurate however ill-conditioned X'WX
    # is (statsmodels' cov_HC3 forms x_i'(X'WX)^-1 x_i, which a condition number of 1e12 turns
    # into leverages of -1e7, or 1 - h = 7.6e-6 for a true 2.1e-8).
    q = np.linalg.qr(wexog, mode="reduced")[0]
    leverage = np.einsum("ij,ij->i", q, q)
    rows = 1.0 - leverage < LEVERAGE_ONE
    influence = np.abs(pinv_wexog)
    largest = influence.max(axis=1, keepdims=True)
    terms = (influence[:, rows] > LEVERAGE_ONE * largest).any(axis=1)
    return leverage, rows, terms


def single_cluster_terms(wexog: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, int]:
    r"""The terms that one cluster alone determines, and how many clusters determine one.

    Parameters
    ----------
    wexog
        (n, k) the whitened design.
    codes
        (n,) the cluster of each row.

    Returns
    -------
    terms, clusters
        (k,) bool, the coefficients no longer identified without some cluster's rows (the
        design's other rows span no direction that moves them); the number of such clusters.

    Notes
    -----
    CRV1 sums each cluster's score :math:`X_g'\hat u_g`. A term that only cluster g identifies
    (a dummy of one announcement, the ``shock`` group of the DeepSeek sell-off) is fitted
    exactly by that cluster's rows, so the cluster's residuals sum to zero in its direction and
    its CRV1 variance holds no error of it: 1e-17 in floating point (a t of -5.7e15), or the
    intercept's. Such a term has no cluster standard error, as a leverage-1 row's term has no
    HC3 one. One QR of the design without each cluster, columns scaled to unit norm, and the SVD
    of its (k x k) R: O(G n k²) time, O(n k) memory.
    """
    k = wexog.shape[1]
    norms = np.linalg.norm(wexog, axis=0)
    x = wexog / np.where(norms > 0, norms, 1.0)
    terms = np.zeros(k, dtype=bool)
    clusters = 0
    for code in np.unique(codes):
        rest = x[codes != code]
        if rest.shape[0] == 0:
            continue
        # the null space of the other rows from the (k x k) R of their QR: no (n x n) U
        r = np.linalg.qr(rest, mode="r")
        _, singular, vt = np.linalg.svd(r, full_matrices=True)
        rank = _rank(singular)
        if rank < k:
            hit = (np.abs(vt[rank:]) > LEVERAGE_ONE).any(axis=0)
            if hit.any():
                terms |= hit
                clusters += 1
    return terms, clusters


def _rank(singular: np.ndarray) -> int:
    """The rank of a design with unit-norm columns from its singular values (largest first)."""
    if not singular.size or not singular[0] > 0:
        return 0
    return int((singular > RANK_TOLERANCE * singular[0]).sum())


def hc3_covariance(
    pinv_wexog: np.ndarray, wresid: np.ndarray, leverage: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """MacKinnon & White's (1985) HC3 covariance, without the rows of leverage 1.

    .. math::

        V = (X'WX)^{-1} X'W^{1/2}\\,\\mathrm{diag}\\big(\\hat e_i^2/(1 - h_{ii})^2\\big)\\,
        W^{1/2}X (X'WX)^{-1}

    with :math:`\\hat e_i` the whitened residual and the term of each row in ``rows`` (leverage 1,
    :func:`leverage_one`) set to 0.

    Parameters
    ----------
    pinv_wexog
        (k, n) :math:`(X'WX)^{-1}X'W^{1/2}`.
    wresid
        (n,) the whitened residuals.
    leverage
        (n,) :math:`h_{ii}`.
    rows
        (n,) bool, the rows with a leverage of 1.

    Returns
    -------
    numpy.ndarray
        (k, k) the covariance. It is statsmodels' ``cov_HC3`` (same operations) without rows of
        leverage 1. With them, the entries of the terms those rows determine are not defined
        (their true term is 0/0) and the caller discards them; every other entry is exact,
        because those rows' influence on it is 0.

    References
    ----------
    MacKinnon, J. G., & White, H. (1985). *Journal of Econometrics*, 29(3), 305-325.
    Long, J. S., & Ervin, L. H. (2000). *The American Statistician*, 54(3), 217-224.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = (wresid / (1 - leverage)) ** 2
    scale[rows] = 0.0
    return np.dot(pinv_wexog, scale[:, None] * pinv_wexog.T)


def _leverage_note(cov_type: str, rows: int) -> str:
    return f"{cov_type} undefined: {rows} row(s) of leverage 1 determine this term (their residual is 0)"


def _absent_terms(spec: CrossSectionSpec, missing: list[str], n: int, dropped: int) -> pd.DataFrame:
    """A row for each term of the formula that has no column in the sample (a category with one
    level there, ``C(role)`` of the peers alone): asked for, not estimable, and said so."""
    frames = [
        _empty(spec, n, dropped, f"not estimable: {name} has one level in the sample (no contrast)").assign(
            term=name, cov_type=cov_type
        )
        for name in missing
        for cov_type in COV_TYPES
    ]
    return pd.concat(frames, ignore_index=True) if frames else _empty(spec, n, dropped, "").iloc[:0]


def _blank_variables(formula: str, data: pd.DataFrame) -> list[str]:
    """The columns of ``data`` the formula names whose every value is missing (e.g. ``deal_usd``
    when no deal is disclosed): patsy drops every row and fails with its own words."""
    if data.empty:  # no row at all: said by the count of rows, not by every column
        return []
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula))
    return [str(c) for c in data.columns if c in names and data[c].isna().all()]


FIT_ERRORS: tuple[type[BaseException], ...] = (
    ValueError, TypeError, LookupError, ArithmeticError, MemoryError, SyntaxError, AssertionError
)  # fmt: skip
"""What a regression's design may raise, besides patsy's ``PatsyError``, that is the regression's
note, not the run's end (``formula_problem`` refuses what it can see first)."""

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
"""An object's memory address in an error's words (``<... Treatment object at 0x7fc9...>``),
which would make the note, and so the folder, differ from run to run."""


MAX_NAMED = 5
"""The most columns a collinear regression's note names (then "and N more")."""


def _collinear_note(x: pd.DataFrame) -> str:
    """The note of a design of lower rank than its columns: which columns are 0 on every row of
    the sample (a combination of categories no row has, ``role:flow_side``), and, when two or
    more columns take one value each, which (``tau_start`` beside the intercept)."""
    values = x.to_numpy(float)
    with np.errstate(all="ignore"):
        zero = [str(name) for name, column in zip(x.columns, values.T, strict=True) if not np.any(column)]
        constant = [
            str(name)
            for name, column in zip(x.columns, values.T, strict=True)
            if str(name) not in zero and spread(column) == 0
        ]
    said = []
    if zero:
        said.append(f"{_listed(zero)} {'is' if len(zero) == 1 else 'are'} 0 on every row of the sample")
    named = [name for name in constant if name != "Intercept"]
    if len(constant) >= 2 and named:
        beside = ", as the intercept does" if "Intercept" in constant else ""
        verb = "takes" if len(named) == 1 else "take"
        said.append(f"{_listed(named)} {verb} one value in the sample{beside}")
    return f"not estimable: collinear regressors (rank < {x.shape[1]} parameters)" + "".join(
        f": {part}" if k == 0 else f"; {part}" for k, part in enumerate(said)
    )


def _listed(names: list[str]) -> str:
    """At most :data:`MAX_NAMED` names, then how many more."""
    shown = ", ".join(names[:MAX_NAMED])
    return shown if len(names) <= MAX_NAMED else f"{shown} and {len(names) - MAX_NAMED} more"


def fit_cross_section(rows: pd.DataFrame, spec: CrossSectionSpec) -> pd.DataFrame:
    """One regression: a row per (term, covariance type) (:data:`CROSSSECTION_COLUMNS`).

    Parameters
    ----------
    rows
        The regression's rows (:func:`regression_rows`).
    spec
        The regression.

    Returns
    -------
    pandas.DataFrame
        ``coef``, ``se``, ``t``, ``p`` and ``df`` of every term under ``nonrobust``, ``HC1``,
        ``HC3`` and ``cluster`` standard errors; ``n`` rows used and ``n_dropped`` rows of the
        sample with a missing variable (or, for WLS, no standard error); ``clusters`` the number
        of clusters. A regression that cannot be estimated (too few rows, collinear regressors,
        a formula naming a missing level) is one row with a ``note`` saying why.

    Notes
    -----
    OLS :math:`\\hat b = (X'X)^{-1}X'y`; WLS :math:`\\hat b = (X'WX)^{-1}X'Wy`,
    :math:`W = \\mathrm{diag}(1/se_i^2)`. Covariances as in the module docstring.
    """
    import patsy
    import scipy.stats
    from statsmodels.regression.linear_model import WLS  # not statsmodels.api: 0.2 s of imports less

    total = len(rows)
    data = rows.reset_index(drop=True)  # its own index: a frame of concatenated tables repeats labels
    if spec.weights == "patell":
        with np.errstate(all="ignore"):
            data["_se"] = _dependent_se(data, spec.dependent)
        data = data[np.isfinite(data["_se"]) & (data["_se"] > 0)]
        # WLS does not depend on the weights' scale: (smallest s.e. / s.e.)^2 <= 1 cannot overflow
        # (1 / 1e-154^2 did X'WX); a row whose weight is below 1/WEIGHT_RANGE of the largest (an
        # s.e. 1e75 times the smallest) counts for nothing in the fit and leaves, as a missing s.e.
        with np.errstate(all="ignore"):
            data["_weight"] = (data["_se"].min() / data["_se"]) ** 2 if len(data) else data["_se"]
        data = data[data["_weight"] >= 1 / WEIGHT_RANGE]
    blank = _blank_variables(spec.formula, data)
    if blank:  # every row would drop as missing: patsy's "negative dimensions are not allowed"
        why = f"not estimable: no row of the sample has a value of {', '.join(blank)}"
        return _empty(spec, 0, total, why)
    try:
        y, x, absent = _design(spec.formula, data)
    except TooManyParametersError as exc:
        return _empty(spec, exc.rows, total - exc.rows, f"not estimable: {exc.describe()}")
    except (patsy.PatsyError, *FIT_ERRORS) as exc:
        # ArithmeticError: an integer too large for a float (I(99999999999999999999**10)); a
        # MemoryError of a design the bounds could not see is this regression's, not the run's; a
        # SyntaxError of a factor that is no Python, which formula_problem refuses first
        if data.empty:  # C(role) of no row: patsy's "negative dimensions are not allowed" (a finder)
            return _empty(spec, 0, total, "not estimable: 0 rows in the sample")
        message = _ADDRESS.sub("", str(exc).splitlines()[0]) if str(exc) else type(exc).__name__
        return _empty(spec, 0, total, f"formula could not be evaluated: {message}")
    if y.shape[1] != 1:  # formula_problem refuses what it can see; a text column gives one per level
        why = f"not estimable: the dependent variable gives {y.shape[1]} columns, not one"
        return _empty(spec, 0, total, why)
    used = data.loc[y.index]
    n, k = x.shape
    dropped = total - n
    if k == 0:
        return _empty(spec, n, dropped, "not estimable: the formula has no regressor (~ 1 is the mean alone)")
    if n <= k:
        return _empty(spec, n, dropped, f"not estimable: {TooManyParametersError(k, n).describe()}")
    weights = used["_weight"].to_numpy(float) if spec.weights == "patell" else np.ones(n)
    if spread(y.iloc[:, 0].to_numpy(float)) == 0:
        return _empty(spec, n, dropped, f"not estimable: {spec.dependent} takes one value in the sample")
    # The rank of the weighted design statsmodels fits, its columns scaled to unit norm (a deal
    # size in dollars and its square are not collinear: the raw matrix_rank tolerance, set by the
    # largest column, said so), so a design of full rank here is of full rank there: no
    # SingularMatrixWarning, no arbitrary b.
    scale = np.abs(x.to_numpy(float)).max(axis=0)  # the largest |value| of each column: no overflow
    if not (scale > 0).all():
        return _empty(spec, n, dropped, _collinear_note(x))
    weighted = np.sqrt(weights)[:, None] * (x.to_numpy(float) / scale)
    unit = weighted / np.linalg.norm(weighted, axis=0)
    if _rank(np.linalg.svd(unit, compute_uv=False)) < k:
        return _empty(spec, n, dropped, _collinear_note(x))
    groups = cluster_codes(used[spec.cluster].astype(str).to_numpy(object))
    n_clusters = int(np.unique(groups).size)
    # Fitted on columns scaled to a largest |value| of 1 (statsmodels' own rank test then agrees
    # with the one above; t and p do not depend on the columns' units), coefficients and s.e.
    # scaled back.
    model = WLS(y.iloc[:, 0].to_numpy(float), x.to_numpy(float) / scale, weights=weights)
    base = model.fit()
    leverage, one_rows, determined = leverage_one(model.wexog, model.pinv_wexog, base.normalized_cov_params)
    by_one_cluster, n_determining = single_cluster_terms(model.wexog, groups)
    # residuals that are rounding noise of the dependent variable: every s.e. would be noise too
    exact_fit = bool(np.sum(base.wresid**2) <= SPREAD_TOLERANCE**2 * np.sum(model.wendog**2))
    y_size = float(np.abs(model.wendog).max())
    # the fit's R-squared, whatever the covariance; the mean alone (~ 1, or ~ tau_start - 1)
    # explains nothing by definition, where the sums leave +-2e-16
    r2 = 0.0 if k == 1 and spread(x.iloc[:, 0].to_numpy(float)) == 0 else float(base.rsquared)
    uncentred = "" if base.k_constant else UNCENTRED_NOTE
    frames = [_absent_terms(spec, absent, n, dropped).assign(r_squared=r2)]
    small_sample_cov, small_sample_df = np.full((k, k), np.nan), np.full(k, np.nan)
    if n_clusters >= 2:
        with np.errstate(all="ignore"):
            small_sample_cov, small_sample_df = cr2_covariance(model.wexog, base.wresid, groups)
    for cov_type in COV_TYPES:
        note = np.full(k, "", dtype=object)
        df: float | np.ndarray
        if cov_type in CLUSTERED and n_clusters < 2:
            se = t = p = np.full(k, np.nan)
            params = base.params / scale
            df = np.nan
            note[:] = f"fewer than two clusters of {spec.cluster}"
        else:
            kwargs = {"groups": groups} if cov_type == "cluster" else None
            with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
                warnings.simplefilter("always")
                # CR2: the plain fit's coefficients (its s.e. and degrees of freedom below)
                fit = base if cov_type == "CR2" else model.fit(cov_type=cov_type, cov_kwds=kwargs, use_t=True)
                params, se, t, p = fit.params, fit.bse, fit.tvalues, fit.pvalues
                df = float(fit.df_resid_inference if cov_type == "cluster" else fit.df_resid)
                if cov_type == "HC3":  # with the leverages of a QR, not statsmodels' (see leverage_one)
                    covariance = hc3_covariance(model.pinv_wexog, base.wresid, leverage, one_rows)
                    se = np.sqrt(np.diag(covariance))
                if cov_type == "CR2":  # Bell & McCaffrey's, with each term's degrees of freedom
                    se, df = np.sqrt(np.diag(small_sample_cov)), small_sample_df
            # rounding noise, judged where the columns' largest values are 1: against the
            # coefficient or the dependent variable's size
            pairs = zip(np.asarray(se).tolist(), np.asarray(params).tolist(), strict=True)
            noise = np.array([standard_error_is_noise(e, c, y_size) for e, c in pairs], dtype=bool)
            params, se = np.asarray(params) / scale, np.asarray(se) / scale
            undefined = np.zeros(k, dtype=bool)
            if one_rows.any() and cov_type in ("HC1", "HC3"):
                undefined |= determined
                note[determined] = _leverage_note(cov_type, int(one_rows.sum()))
            if cov_type in CLUSTERED:
                undefined |= by_one_cluster
                note[by_one_cluster] = (
                    f"{cov_type} undefined: one {spec.cluster} alone determines this term "
                    f"({n_determining} such cluster(s)): its residuals carry no error of it"
                )
            if cov_type == "cluster" and n_clusters <= k:  # the scores sum to 0: rank G - 1 at most
                note[~by_one_cluster] = (
                    f"{n_clusters} clusters for {k} parameters: the cluster covariance has rank "
                    f"at most {n_clusters - 1}"
                )
            exact = (noise | exact_fit) & np.isfinite(se) & ~undefined
            note[exact] = f"{cov_type} undefined: the s.e. is rounding noise (an exact fit)"
            if caught or not np.all(np.isfinite(se)):
                bad = ~np.isfinite(se) & ~undefined
                note[bad] = f"{cov_type} undefined: its variance is not finite"
                undefined |= bad
            undefined |= exact
            se = np.where(undefined, np.nan, se)
            if cov_type == "CR2":  # a term's own degrees of freedom: none without its s.e.
                df = np.where(undefined, np.nan, df)
            if cov_type == "cluster" and n_clusters < FEW_CLUSTERS:
                few_clusters = (
                    f"only {n_clusters} clusters of {spec.cluster}: CRV1 with t({n_clusters - 1}) "
                    f"{FEW_CLUSTERS_NOTE} (Cameron & Miller 2015)"
                )
                note[(note == "") & ~undefined] = few_clusters
            if cov_type == "cluster":
                few = ~undefined & (small_sample_df < FEW_DEGREES)
                floors = np.floor(small_sample_df[few] * 100) / 100  # 1.99, never a 2.0 below 2
                rests = np.full(k, "", dtype=object)
                rests[few] = [
                    f"its error rests on {degrees:.2f} degrees of freedom (Bell & McCaffrey), not CRV1's "
                    f"{n_clusters - 1}: read the CR2 row"
                    for degrees in floors
                ]
                note = join_parts(note, rests)
            with np.errstate(all="ignore"):
                t = params / se
                p = 2.0 * scipy.stats.t.sf(np.abs(t), df)
        frames.append(
            pd.DataFrame(
                {
                    "regression": spec.name,
                    "formula": spec.formula,
                    "window": _window_label(spec.window),
                    "sample": spec.sample,
                    "weights": spec.weights,
                    "term": list(x.columns),
                    "cov_type": cov_type,
                    "coef": params,
                    "se": se,
                    "t": t,
                    "p": p,
                    "df": df,
                    "n": n,
                    "n_dropped": dropped,
                    "clusters": n_clusters if cov_type in CLUSTERED else 0,
                    "r_squared": r2,
                    "note": note,
                }
            )
        )
    table = _typed(pd.concat(frames, ignore_index=True))
    if uncentred:  # said on every row, as a sample restriction is
        table["note"] = np.where(table["note"] == "", uncentred, table["note"] + "; " + uncentred)
    return table


UNCENTRED_NOTE = "r_squared uncentred, 1 - RSS/sum(y^2): the design holds no constant"
"""The note of a regression whose design spans no constant (``car ~ beta - 1``): its
``r_squared`` is statsmodels', R's ``lm`` and Stata's uncentred one, which is not comparable with
a centred R-squared (0.905 for ``I(car + 1) ~ beta - 1`` where ``I(car + 1) ~ beta`` has 0.068)."""


def cross_sectional_regressions(
    car: pd.DataFrame,
    events: pd.DataFrame,
    specs: Sequence[CrossSectionSpec],
    flows: Sequence[FlowEdge] = (),
    *,
    exclude_confounded: bool = False,
) -> pd.DataFrame:
    """Every regression of ``specs`` on the study's ``car.parquet`` rows (``crosssection.parquet``),
    ``flow_side`` derived from the study's ``[[flows]]`` edges ``flows``; with
    ``exclude_confounded``, without the confounded or unscreened windows (:func:`regression_rows`).

    Empty (with the columns) without regressions.
    """
    frames = []
    for spec in specs:
        sample = regression_rows(car, events, spec, flows)
        rows = without_confounded(sample) if exclude_confounded else sample
        table = fit_cross_section(rows, spec)
        left_out = len(sample) - len(rows)
        if left_out:  # a sample restriction, not n_dropped: said on every row of the regression
            said = f"{left_out} confounded or unscreened window(s) left out (exclude_confounded)"
            table["note"] = np.where(table["note"] == "", said, table["note"] + "; " + said)
        frames.append(table)
    if not frames:
        columns = {name: pd.Series(dtype=_EMPTY_DTYPES.get(name, "str")) for name in CROSSSECTION_COLUMNS}
        return pd.DataFrame(columns)
    return pd.concat(frames, ignore_index=True)


_EMPTY_DTYPES: dict[str, str] = {
    **dict.fromkeys(("coef", "se", "t", "p", "df", "r_squared"), "float64"),
    **dict.fromkeys(("n", "n_dropped", "clusters"), "int64"),
}
