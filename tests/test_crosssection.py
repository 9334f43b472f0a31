"""Cross-sectional regressions: statsmodels' formula OLS/WLS as the oracle (1e-10) for every
covariance type, Patell-type weights, the config's [[crosssection]] tables and formulas that
must not run code."""

from __future__ import annotations

import dataclasses
import os
import re
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import statsmodels.formula.api as smf
from _cr2_dense import dense_cr2
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eventstudy.config import FlowEdge, StudyConfig, load_config
from eventstudy.crosssection.flows import check_flow_parties, flow_sides
from eventstudy.crosssection.regression import (
    COV_TYPES,
    UNCENTRED_NOTE,
    cross_sectional_regressions,
    fit_cross_section,
    regression_rows,
)
from eventstudy.crosssection.rules import FORMULA_COLUMNS, MAX_TERMS, CrossSectionSpec, formula_problem
from eventstudy.data.events import read_events
from eventstudy.errors import InputError
from eventstudy.tables import CAR_COLUMNS

TOL = 1e-10


def test_formula_columns_are_car_parquet_timing_and_flow_side() -> None:
    assert (*CAR_COLUMNS, "confounded", "timing", "flow_side") == FORMULA_COLUMNS
    # the screen's other columns are refused by name, not called missing from car.parquet
    for column in ("confounders", "dominant_tau", "dominant_date"):
        problem = formula_problem(f"car ~ {column}")
        assert problem is not None and "use confounded" in problem and "not a column" not in problem


def car_rows(seed: int = 0, n: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A car.parquet-like table (one window) with known relations, and its events."""
    rng = np.random.default_rng(seed)
    deal = np.exp(rng.uniform(20, 27, n))
    deal[rng.random(n) < 0.15] = np.nan
    role = rng.choice(["supplier", "buyer", "investor"], n)
    mcap = np.exp(rng.uniform(24, 29, n))
    car_se = rng.uniform(0.01, 0.05, n)
    car = 0.002 * np.log(np.nan_to_num(deal, nan=1e10)) + np.where(role == "buyer", -0.01, 0.0)
    car = car + car_se * rng.normal(size=n)
    event = [f"e{i // 3}" for i in range(n)]
    frame = pd.DataFrame(
        {
            "event_id": event,
            "ticker": [f"T{i % 7}" for i in range(n)],
            "role": role,
            "group": "g",
            "window": "[-1,+1]",
            "outcome": ["ok"] * (n - 2) + ["incomplete_event_window"] * 2,
            "car": car,
            "car_se": car_se,
            "mcap_prev_usd": mcap,
            "abnormal_value_usd": car * mcap,
            "deal_usd": deal,
            "value_to_deal": car * mcap / deal,
        }
    )
    events = frame.loc[:, ["event_id", "ticker", "role"]].assign(timing=rng.choice(["pre", "post"], n))
    return frame, events


def test_a_formula_without_regressors_is_a_note_not_a_crash() -> None:
    car, events = car_rows(n=12)
    rows = regression_rows(car, events, CrossSectionSpec("r", "car ~ 1", (-1, 1)))
    for formula in ("car ~ 0", "car ~ -1"):  # once statsmodels' ValueError through the command line
        out = fit_cross_section(rows, CrossSectionSpec("r", formula, (-1, 1)))
        assert len(out) == 1 and out["note"].iloc[0].startswith("not estimable: the formula has no regressor")


def test_a_stateful_transform_is_taken_over_the_complete_rows() -> None:
    """center(deal_usd) with a blank deal took its mean over a NaN: every row was NaN, and the
    regression was a note of 0 rows. The mean is the complete rows' (statsmodels on the
    centred column as the oracle)."""
    car, events = car_rows(seed=4)
    spec = CrossSectionSpec("r", "car ~ center(np.log(deal_usd)) + C(role)", (-1, 1))
    rows = regression_rows(car, events, spec)
    assert rows["deal_usd"].isna().any()
    out = fit_cross_section(rows, spec).query("cov_type == 'HC1'").set_index("term")
    complete = rows.dropna(subset=["deal_usd", "car"])
    centred = "car ~ I(np.log(deal_usd) - np.log(deal_usd).mean()) + C(role)"
    oracle = smf.ols(centred, complete).fit(cov_type="HC1")
    assert out["n"].iloc[0] == len(complete) and out["note"].iloc[0] == ""
    coef = out.loc["center(np.log(deal_usd))", "coef"]
    np.testing.assert_allclose(coef, oracle.params.iloc[-1], rtol=1e-10)
    np.testing.assert_allclose(out.loc["Intercept", "coef"], oracle.params["Intercept"], rtol=1e-10)


def test_a_stateful_transform_of_a_function_is_taken_over_the_rows_where_it_is_finite() -> None:
    """center(np.log(value_to_deal)) with a negative value on some rows took patsy's mean over a
    NaN: every row was NaN and the regression a note of 0 rows. The rows np.log leaves without a
    number are dropped first (statsmodels on the centred column of the others as the oracle)."""
    car, events = car_rows(seed=5)
    spec = CrossSectionSpec("r", "car ~ center(np.log(value_to_deal))", (-1, 1))
    rows = regression_rows(car, events, spec)
    positive = rows[rows["value_to_deal"] > 0]
    assert 10 < len(positive) < rows["value_to_deal"].notna().sum()
    out = fit_cross_section(rows, spec).query("cov_type == 'nonrobust'").set_index("term")
    oracle = smf.ols("car ~ I(np.log(value_to_deal) - np.log(value_to_deal).mean())", positive).fit()
    assert (out["n"].iloc[0], out["n_dropped"].iloc[0]) == (len(positive), len(rows) - len(positive))
    np.testing.assert_allclose(out["coef"].to_numpy(), oracle.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(out["se"].to_numpy(), oracle.bse.to_numpy(), rtol=1e-10)
    # a function of a transform drops the rows it leaves without a number; a transform's options pass
    logged = fit_cross_section(rows, CrossSectionSpec("r", "car ~ np.log(center(mcap_prev_usd))", (-1, 1)))
    with np.errstate(invalid="ignore"):
        centred = np.log(rows["mcap_prev_usd"] - rows["mcap_prev_usd"].mean())
    assert logged["n"].iloc[0] == np.isfinite(centred).sum() and logged["note"].iloc[0] == ""
    options = CrossSectionSpec("r", "car ~ standardize(mcap_prev_usd, 0)", (-1, 1))  # center=0
    assert fit_cross_section(rows, options)["n"].iloc[0] == len(rows)
    # standardize of a constant has no number on any row: said so, not "0 rows for 2 parameters"
    constant_spec = CrossSectionSpec("r", "car ~ standardize(tau_start)", (-1, 1))
    constant = fit_cross_section(rows.assign(tau_start=-1), constant_spec)
    assert len(constant) == 1 and "standardize of a variable that takes one value" in constant["note"].item()


def test_confounded_windows_leave_the_regressions_with_exclude_confounded() -> None:
    """exclude_confounded = true left the confounded windows out of stats.parquet but not out of
    the regressions; the windows not known clean (confounded, or missing: not screened) leave it
    now, and ``confounded`` (1, 0) may be a regressor."""
    car, events = car_rows(seed=6)
    flags = np.resize(np.array([True, False, False, None], dtype=object), len(car))
    car = car.assign(confounded=pd.array(flags, dtype="boolean"))
    spec = CrossSectionSpec("r", "car ~ np.log(deal_usd)", (-1, 1))
    kept = regression_rows(car, events, spec)
    clean = regression_rows(car, events, spec, exclude_confounded=True)
    ok = car[car["outcome"] == "ok"]
    assert len(kept) == len(ok)
    assert len(clean) == int((ok["confounded"] == False).sum())  # noqa: E712 (NA is not False)
    assert (clean["confounded"] == 0.0).all()
    out = fit_cross_section(clean, spec).query("cov_type == 'nonrobust'").set_index("term")
    oracle = smf.ols("car ~ np.log(deal_usd)", clean.dropna(subset=["deal_usd"])).fit()
    np.testing.assert_allclose(out["coef"].to_numpy(), oracle.params.to_numpy(), rtol=1e-10)
    whole = cross_sectional_regressions(car, events, [spec], exclude_confounded=True)
    assert whole.query("cov_type == 'nonrobust'")["n"].iloc[0] == oracle.nobs
    left_out = len(kept) - len(clean)  # said on every row: a sample restriction, not n_dropped
    said = f"{left_out} confounded or unscreened window(s) left out (exclude_confounded)"
    few = few_clusters(whole)
    with_few = f"{few}; {said}" if few else said
    assert (whole["note"] == np.where(whole["cov_type"] == "cluster", with_few, said)).all()
    plain = cross_sectional_regressions(car, events, [spec])
    assert (plain["note"] == np.where(plain["cov_type"] == "cluster", few_clusters(plain), "")).all()
    # as a regressor: the unscreened rows (missing) are dropped, the others are 1 or 0
    control = CrossSectionSpec("r", "car ~ np.log(deal_usd) + confounded", (-1, 1))
    fitted = fit_cross_section(kept, control).query("cov_type == 'HC1'").set_index("term")
    known = kept.dropna(subset=["deal_usd", "confounded"])
    assert set(known["confounded"]) == {0.0, 1.0}
    reference = smf.ols("car ~ np.log(deal_usd) + confounded", known).fit(cov_type="HC1")
    np.testing.assert_allclose(fitted["coef"].to_numpy(), reference.params.to_numpy(), rtol=1e-10)
    assert fitted["n"].iloc[0] == len(known)


def test_weights_that_are_not_positive_finite_numbers_leave_the_sample() -> None:
    """An s.e. of 1e-200 gave an infinite weight and numpy's LinAlgError; one of 1e200 a weight
    of 0 counted in n and the degrees of freedom. Both leave the sample as an s.e. of 0 does."""
    car, events = car_rows(seed=7, n=30)
    spec = CrossSectionSpec("r", "car ~ np.log(mcap_prev_usd)", (-1, 1), weights="patell")
    rows = regression_rows(car, events, spec)
    bad = rows.copy()
    bad.loc[[0, 1, 2], "car_se"] = [1e200, 0.0, 1e80]  # a weight of 0, none, 1e-164 of the largest
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fit_cross_section(bad, spec).query("cov_type == 'nonrobust'").set_index("term")
    rest = rows.iloc[3:]
    oracle = smf.wls("car ~ np.log(mcap_prev_usd)", rest, weights=1.0 / rest["car_se"] ** 2).fit()
    assert (out["n"].iloc[0], out["n_dropped"].iloc[0], out["df"].iloc[0]) == (len(rest), 3, len(rest) - 2)
    np.testing.assert_allclose(out["coef"].to_numpy(), oracle.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(out["se"].to_numpy(), oracle.bse.to_numpy(), rtol=1e-10)
    # the most precise rows decide a WLS: 18 with an s.e. 1e76 times smaller than the other 20's
    # are the fit (1/se^2 with an s.e. of 1e-154 once overflowed X'WX), the 20 count for nothing
    precise = rows.iloc[:18].index
    tiny = rows.assign(car_se=rows["car_se"].where(~rows.index.isin(precise), rows["car_se"] * 1e-76))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted = fit_cross_section(tiny, spec).query("cov_type == 'nonrobust'").set_index("term")
    part = rows.loc[precise]
    alone = smf.wls("car ~ np.log(mcap_prev_usd)", part, weights=1 / part["car_se"] ** 2).fit()
    np.testing.assert_allclose(fitted["coef"].to_numpy(), alone.params.to_numpy(), rtol=1e-10)
    assert fitted["n"].iloc[0] == 18


def test_rows_a_function_gives_no_finite_number_are_dropped_without_a_warning() -> None:
    """np.log of a CAR <= 0 and np.exp past the largest double leave those rows out (counted as
    dropped), as a missing value does; neither warns (both once leaked a RuntimeWarning, and an
    infinite regressor reached the fit)."""
    car, events = car_rows(seed=3, n=40)
    rows = regression_rows(car, events, CrossSectionSpec("r", "car ~ 1", (-1, 1)))
    positive = rows["car"].to_numpy() > 0
    assert 5 < positive.sum() < len(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fit_cross_section(rows, CrossSectionSpec("r", "np.log(car) ~ 1", (-1, 1)))
        huge = rows.assign(mcap_prev_usd=1e300)
        far = fit_cross_section(huge, CrossSectionSpec("r", "car ~ np.exp(mcap_prev_usd)", (-1, 1)))
    mean = out[(out["cov_type"] == "nonrobust") & (out["term"] == "Intercept")]
    assert mean["coef"].item() == pytest.approx(np.log(rows["car"].to_numpy()[positive]).mean(), rel=1e-12)
    assert (mean["n"].item(), mean["n_dropped"].item()) == (positive.sum(), len(rows) - positive.sum())
    assert len(far) == 1 and far["note"].item() == "not estimable: 0 rows for 2 parameters"
    one = fit_cross_section(rows.iloc[:1], CrossSectionSpec("r", "car ~ 1", (-1, 1)))  # a one-event study
    assert one["note"].tolist() == ["not estimable: 1 row for 1 parameter"]  # said "1 parameters"


def few_clusters(out: pd.DataFrame) -> str:
    """The note of every cluster row of ``out`` (one regression): its G when below 20, else none."""
    out = out.reset_index() if "cov_type" not in out.columns else out
    [g] = out.loc[np.asarray(out["cov_type"] == "cluster"), "clusters"].unique()
    assert g >= 2
    words = "over-rejects with few clusters (Cameron & Miller 2015)"
    return f"only {g} clusters of event_id: CRV1 with t({g - 1}) {words}" if g < 20 else ""


@pytest.mark.parametrize(
    ("formula", "weights"),
    [
        ("car ~ np.log(deal_usd) + C(role)", "none"),
        ("value_to_deal ~ np.log(deal_usd)", "patell"),
        ("car ~ C(role) + C(timing)", "patell"),
        ("abnormal_value_usd ~ np.log(mcap_prev_usd)", "none"),
    ],
)
def test_every_covariance_type_matches_statsmodels_formula_api(formula: str, weights: str) -> None:
    car, events = car_rows()
    spec = CrossSectionSpec("r", formula, (-1, 1), weights=weights)
    rows = regression_rows(car, events, spec)
    assert len(rows) == 58  # outcome ok only
    out = fit_cross_section(rows, spec)
    assert set(out["cov_type"]) == set(COV_TYPES)
    assert (out["note"] == np.where(out["cov_type"] == "cluster", few_clusters(out), "")).all()
    data = rows.copy()
    dependent = formula.split("~")[0].strip()
    se = data["car_se"].to_numpy()
    if dependent == "abnormal_value_usd":
        se = se * data["mcap_prev_usd"].to_numpy()
    elif dependent == "value_to_deal":
        se = se * data["mcap_prev_usd"].to_numpy() / data["deal_usd"].to_numpy()
    data["w"] = 1.0 / se**2 if weights == "patell" else 1.0
    model = smf.wls(formula, data, weights=data["w"])
    used = model.data.row_labels
    groups = pd.factorize(data.loc[used, "event_id"])[0]
    # CR2 (Bell & McCaffrey), which statsmodels has not: the dense formulas on its whitened design
    wls = model.fit()
    covariance, degrees = dense_cr2(model.wexog, wls.wresid, groups)
    part = out[out["cov_type"] == "CR2"].set_index("term").loc[list(wls.params.index)]
    np.testing.assert_allclose(part["se"], np.sqrt(np.diag(covariance)), rtol=TOL)
    np.testing.assert_allclose(part["df"], degrees, rtol=TOL)
    t = wls.params.to_numpy() / np.sqrt(np.diag(covariance))
    np.testing.assert_allclose(part["p"], 2 * scipy.stats.t.sf(np.abs(t), degrees), rtol=TOL, atol=1e-15)
    assert (part["clusters"] == len(np.unique(groups))).all() and (degrees < len(np.unique(groups)) - 1).all()
    for cov_type in (name for name in COV_TYPES if name != "CR2"):
        kwargs = {"groups": groups} if cov_type == "cluster" else None
        fit = model.fit(cov_type=cov_type, cov_kwds=kwargs, use_t=True)
        part = out[out["cov_type"] == cov_type].set_index("term")
        oracle = (("coef", fit.params), ("se", fit.bse), ("t", fit.tvalues), ("p", fit.pvalues))
        for term in fit.params.index:
            for ours, theirs in oracle:
                assert abs(part.at[term, ours] - theirs[term]) <= TOL * max(1.0, abs(theirs[term])), (
                    cov_type, term, ours,
                )  # fmt: skip
        assert part["n"].iloc[0] == fit.nobs
        assert part["n_dropped"].iloc[0] == 58 - fit.nobs
        expected_df = fit.df_resid_inference if cov_type == "cluster" else fit.df_resid
        assert part["df"].iloc[0] == expected_df


def test_rows_follow_sample_and_window() -> None:
    car, events = car_rows()
    car.loc[:5, "role"] = "peer"
    peers = regression_rows(car, events, CrossSectionSpec("p", "car ~ 1", (-1, 1), sample="peers"))
    assert len(peers) == 6 and set(peers["role"]) == {"peer"}
    everything = regression_rows(car, events, CrossSectionSpec("a", "car ~ 1", (-1, 1), sample="all"))
    assert len(everything) == 58
    other = regression_rows(car, events, CrossSectionSpec("w", "car ~ 1", (0, 0)))
    assert other.empty
    out = fit_cross_section(other, CrossSectionSpec("w", "car ~ 1", (0, 0)))
    assert len(out) == 1 and "not estimable" in out["note"].iloc[0]


def test_unestimable_regressions_say_why() -> None:
    car, events = car_rows(n=12)
    rows = regression_rows(car, events, CrossSectionSpec("r", "car ~ C(ticker)", (-1, 1)))
    out = fit_cross_section(rows, CrossSectionSpec("r", "car ~ C(ticker) + C(event_id)", (-1, 1)))
    assert len(out) == 1 and out["note"].iloc[0].startswith("not estimable")
    one = fit_cross_section(rows, CrossSectionSpec("r", "car ~ 1", (-1, 1), cluster="group"))
    clustered = one[one["cov_type"] == "cluster"]
    assert clustered["se"].isna().all() and "fewer than two clusters" in clustered["note"].iloc[0]
    # the fit's R-squared stands on those rows (it is no property of the covariance: it was NaN)
    sized = fit_cross_section(rows, CrossSectionSpec("r", "car ~ C(role)", (-1, 1), cluster="group"))
    by_type = sized.groupby("cov_type")["r_squared"].first()
    ols = smf.ols("car ~ C(role)", data=rows).fit()
    assert by_type.to_dict() == pytest.approx(dict.fromkeys(by_type.index, ols.rsquared), rel=1e-12)
    # ... and so do the rows of a term absent from the sample (C(group): one level), and the mean
    # alone explains nothing (its R-squared was -2.2e-16)
    absent = fit_cross_section(rows, CrossSectionSpec("r", "car ~ C(role) + C(group)", (-1, 1)))
    assert absent["r_squared"].to_numpy() == pytest.approx(np.full(len(absent), ols.rsquared), rel=1e-12)
    assert (one["r_squared"] == 0.0).all()
    empty = cross_sectional_regressions(car, events, ())
    assert empty.empty and empty["coef"].dtype == "float64"


@pytest.mark.parametrize(
    "formula",
    [
        "car ~ __import__('os').system('echo x')",
        "car ~ open('x')",
        "car ~ np.load('x')",
        "car ~ deal_usd.__class__",
        "car ~ [deal_usd]",
        "car deal_usd",
        "car ~ deal_usd ~ role",
        "~ deal_usd",
        "car ~ lambda_",
        "car ~ C(role, Treatment('__x'))",
        "car ~ (deal_usd",
        "car ~ x" + " + x" * 200,
        "car ~ I(9**9**9)",  # patsy computed the integer and the run hung
        "car ~ I(deal_usd**11)",
        "car ~ I(deal_usd**beta)",
        # A chain in brackets: 9**(9**9) hung the run; ((10**10)**10)**10 crashed it (OverflowError).
        "car ~ I(((((((((9**9)**9)**9)**9)**9)**9)**9)**9)**9)",
        "car ~ I(((10**10)**10)**10)",
        "car ~ I((deal_usd**2)**6)",  # degree 12
        # patsy reads '2 sigma' as the exponent: the check raised ValueError (int of NaN), which the
        # config reader turned into a field named 'crosssection[0].cannot convert float NaN...'
        "car ~ beta ** 2 sigma",
        "car ~ beta**2 1",
        # Text in Python's arithmetic: each text repeated 99,999,999 times took 24 GB (an audit)
        "car ~ I(role * 99999999)",
        "car ~ I(ticker * 300000)",  # a 42 MB report of megabyte-long term names
        "I(role * 99999999) ~ car",
        "car ~ I('ab' * 10**9)",
        # quoted text inside Treatment was code in an f-string (it wrote a file), or an operand
        # ('x' * 10**10 took a GB and wrote a 100 MB note) (review of 097b614)
        "car ~ C(role, Treatment(f'{open(\"pwn\", \"w\").write(\"hi\")}'))",
        "car ~ C(role, Treatment(f'{9**9**9}'))",
        "car ~ C(role, Treatment('x' * 10**10))",
        "car ~ C(role, Sum('ab' * 9**10))",
        "car ~ I(Treatment('ab' * 10**10))",
        "car ~ C(role, Treatment(b'x'))",
        # C() inside a call is a category no bound counted: I(C(car)):I(C(beta)):I(C(sigma)) built
        # a 4 GB design (review of 71177c7)
        "car ~ I(C(car)):I(C(beta)):I(C(sigma))",
        "car ~ np.log(C(car))",
        "car ~ np.log(role)",
        "car ~ C(role * 2)",
        # patsy's algebra read as arithmetic, fitted without a word (an audit): a square that is
        # the variable itself, a ratio that is nesting, a difference that drops the variable
        "car ~ deal_usd ** 2",
        "car ~ I(deal_usd**2)**6",
        "car ~ mcap_prev_usd / deal_usd",
        "car ~ mcap_prev_usd - deal_usd",
        "car ~ I(((deal_usd**3 + 1)**2 + 1)**2)",  # degree 12 through sums
        # More than one dependent column: the fit took the first alone (car), without a word.
        "car + value_to_deal ~ np.log(deal_usd)",
        "C(role) ~ car",
        "car:beta ~ deal_usd",
        "car ~ ",  # no regressor: patsy fitted the mean alone and the run said 'could not be evaluated'
        # Two operands side by side: patsy took 'beta sigma' for one Python expression, and the
        # whole study was computed before a SyntaxError traceback (a referee)
        "car ~ beta sigma",
        "car ~ 2 beta",
        "car ~ C(role) beta",
        "car ~ beta C(role)",
        "car ~ np.log(deal_usd) np.log(beta)",
        "car beta ~ sigma",
        "car ~ beta\tsigma",
        "car ~ I(beta)(sigma)",
        "car ~ beta(sigma)",
        # Functions not called, keywords as variables, numbers patsy cannot read: notes such as
        # "Number of rows mismatch" or "name 'reference' is not defined" (a referee)
        "car ~ np",
        "car ~ np.log",
        "car ~ I",
        "car ~ C",
        "car ~ center",
        "car ~ reference",
        "car ~ omit",
        "car ~ I(beta, omit='x')",
        "car ~ I(beta=1)",
        "car ~ beta + 0x10",
        "car ~ I(beta * 0x10)",
        "car ~ np.log(deal_usd) + 1e400",
        "car ~ I(beta * 1e400)",
        "car ~ beta + 2",
        "car ~ beta - 1.0",
        "car ~ np.log(beta, beta)",  # numpy's second argument is out=
        "car ~ I(beta, sigma)",
        # C's second argument not a coding: the run ended with patsy's IndexError; a coding out of
        # C left an object's memory address in the note, so verify found the folder DIFFERENT; '%'
        # made patsy's tokenizer assert; numbers and signs that patsy's algebra reads otherwise
        # than the text (a re-attack of b079683)
        "car ~ C(role, beta)",
        "car ~ C(role, 1)",
        "car ~ C(role, np.log(beta))",
        "car ~ C(role, center(beta))",
        "car ~ C(role, Treatment(), 1)",
        "car ~ C(role, Treatment('a', 'b'))",
        "car ~ Treatment(beta)",
        "car ~ Sum(beta)",
        "car ~ Treatment(reference='buyer')",
        "car ~ I(Treatment(1))",
        "car ~ %",
        "car ~ beta + %",
        "car ~ beta %",
        "car ~ % : beta",
        "car ~ beta + -1",
        "car ~ beta - -1",
        "car ~ beta+(-1)",
        "car ~ beta * 0",
        "car ~ 0 * beta",
        "car ~ (beta + 0):sigma",
        "car ~ (beta + sigma)**0",
        "car ~ (beta + sigma)**2.0",
        "car ~ (beta+sigma)**1e1",
        "0 ~ beta",
        "I(1) ~ beta",
        "car ~ I(2)",
        "car ~ beta + I(1)",
        "car ~ np.log(2)",
        "car ~ beta > 1",
        # comparisons: a missing value compared False (I(np.log(car) > -3) kept the rows np.log
        # drops, as zeros), booleans added as OR; 14 of them chained by ':' hung the run (a re-attack)
        "car ~ I(deal_usd > 1e10)",
        "car ~ I(np.log(car) > -3)",
        "car ~ I((beta > 1) + (sigma > 0.02))",
        "car ~ I(1 < beta < 2)",
        "car ~ " + ":".join(f"np.log(beta + {k})" for k in range(9)),  # nine factors in one term
        "car ~ (beta + sigma + car_se + n_est + tau_start)**5:np.log(deal_usd):np.exp(car):np.abs(t):role",
        "car ~ -beta",
        "car ~ -np.log(sigma)",
        # a date inside a function is a category no bound counted (474,552 columns of 25 rows), and
        # spaces the tokenizer cannot read hid behind the skip of its own space (a third re-attack)
        "car ~ I(day0):I((day0)):I(shares_as_of)",
        "car ~ C(I(day0))",
        "car ~ I(day0 - shares_as_of)",
        "car ~ beta\u00a0+ sigma",
        "car ~ I(beta\u00a0* 2)",
        "car ~ I(beta\x0b* 2)",
        "car ~ I(beta *\u2003sigma)",
        "car ~ beta, sigma",
        "car ~ (beta, sigma)",
    ],
)
def test_formulas_that_could_run_code_or_are_malformed_are_refused(formula: str) -> None:
    assert formula_problem(formula) is not None
    with pytest.raises(ValueError, match="formula"):
        CrossSectionSpec("r", formula, (-1, 1))


@pytest.mark.parametrize(
    ("formula", "said"),
    [
        ("car ~ beta sigma", "'beta sigma': two operands side by side need an operator between them"),
        ("car ~ np.log(deal_usd) np.log(beta)", "') np': two operands side by side need an operator"),
        ("car ~ np.log", "np.log is a function: call it, as np.log(x)"),
        ("car ~ center", "center is a function: call it, as center(x)"),
        ("car ~ beta(sigma)", "beta is no function: only C, I, Treatment, Sum, center, standardize"),
        ("car ~ reference", "reference is a keyword of Treatment(...), as Treatment(reference='level')"),
        ("car ~ C(role, Sum(reference='buyer'))", "reference is a keyword of Treatment(...)"),
        ("car ~ I(beta=1)", "'=' only gives a keyword"),
        ("car ~ beta + 2", "'2': outside a function's brackets a number is 0 or 1 alone as a term"),
        ("car ~ C(role, beta)", "C(...)'s second argument is a coding, Treatment or Sum, not 'beta'"),
        ("car ~ Treatment(beta)", "Treatment codes a category as C's second argument alone"),
        ("car ~ beta + I(1)", "I(...) names no column: a constant is no regressor"),
        ("I(1) ~ beta", "the left of '~' names no column"),
        ("0 ~ beta", "the left of '~' names no column"),
        ("car ~ beta + -1", "a sign - outside I(...) is patsy's term algebra"),
        ("car ~ (beta + sigma)**2.0", "outside I(...) '**' is patsy's interaction degree"),
        ("car ~ beta + %", "'%' is Python's remainder, inside I(...) only"),
        ("car ~ I(deal_usd > 1e10)", "'>': comparisons are not allowed (a missing value compares False"),
        ("car ~ np.log(role)", "'role' is text: a term as role or C(role), never an argument of np.log(...)"),
        ("car ~ I(beta ! = 1)", "'!' is not allowed in a formula"),
        ("car ~ I(abs(beta))", "'abs' is not a column of car.parquet or an allowed function (numpy's is"),
        ("car ~ " + ":".join(f"np.log(beta + {k})" for k in range(9)), "a term of the regressors may"),
        ("car ~ -beta", "a sign - outside I(...) is patsy's term algebra"),
        ("car ~ C(role, Treatment(), 1)", "C(...) takes at most 2 arguments"),
        ("car ~ I(beta * 1e400)", "'1e400' is not a finite decimal number"),
        ("car ~ np.log(beta, beta)", "np.log(...) takes one argument"),
    ],
)
def test_a_malformed_formula_is_refused_in_words_that_say_where(formula: str, said: str) -> None:
    problem = formula_problem(formula)
    assert problem is not None and problem.startswith(said), problem


def test_a_formula_of_two_operands_side_by_side_stops_the_config_not_the_run(tmp_path) -> None:
    """'car ~ beta sigma' passed the config's check; the study was computed, then a SyntaxError
    traceback (exit 1, no output) when the regression parsed its factors (a referee)."""
    from eventstudy.crosssection.rules import parse_crosssection_tables

    entries = [{"name": "r", "formula": "car ~ beta", "window": [-1, 1]}]
    entries.append({"name": "s", "formula": "car ~ beta sigma", "window": [-1, 1]})
    with pytest.raises(InputError) as caught:
        parse_crosssection_tables(entries, tmp_path / "study.toml")
    assert caught.value.field == "crosssection[1].formula"
    assert "side by side" in caught.value.message


def test_r_squared_without_a_constant_is_the_uncentred_one_and_says_so() -> None:
    """'I(car + 1) ~ beta - 1' reported r_squared 0.905 beside 0.068 with an intercept, and nothing
    said it was 1 - RSS/sum(y^2) (a referee). A design of categories spans a constant: centred,
    no note."""
    car, events = car_rows(seed=3)
    car = car.assign(beta=np.random.default_rng(3).normal(1.0, 0.3, len(car)))
    rows = regression_rows(car, events, CrossSectionSpec("r", "car ~ 1", (-1, 1)))
    used = rows[rows["outcome"] == "ok"]
    out = fit_cross_section(rows, CrossSectionSpec("r", "I(car + 1) ~ beta - 1", (-1, 1)))
    y, x = used["car"].to_numpy() + 1, used["beta"].to_numpy()
    b = (x @ y) / (x @ x)
    uncentred = 1 - np.sum((y - b * x) ** 2) / np.sum(y**2)
    assert out["r_squared"].iloc[0] == pytest.approx(uncentred, rel=1e-12)
    assert uncentred > 0.9
    assert (out["note"] == UNCENTRED_NOTE).all()
    centred = fit_cross_section(rows, CrossSectionSpec("r", "I(car + 1) ~ beta", (-1, 1)))
    assert centred["r_squared"].iloc[0] == pytest.approx(smf.ols("I(car + 1) ~ beta", used).fit().rsquared)
    assert not centred["note"].str.contains("uncentred").any()
    cells = fit_cross_section(rows, CrossSectionSpec("r", "car ~ 0 + C(role)", (-1, 1)))
    assert cells["r_squared"].iloc[0] == pytest.approx(smf.ols("car ~ C(role)", used).fit().rsquared)
    assert not cells["note"].str.contains("uncentred").any()


@pytest.mark.parametrize("name", ["_x_.-y", "-r", ".", "r" * 65, "r/s", ""])
def test_a_regression_name_error_states_the_rule_it_breaks(name: str) -> None:
    """'_x_.-y' was 'not an identifier (letters, digits, . _ -)', which it is made of (a finder)."""
    with pytest.raises(ValueError, match=r"^name: ") as caught:
        CrossSectionSpec(name, "car ~ beta", (-1, 1))
    assert str(caught.value).endswith(
        "is not a name (letters, digits and . _ -, starting with a letter or digit, at most 64 characters)"
    )
    CrossSectionSpec("r" * 64, "car ~ beta", (-1, 1))


def test_a_regressor_of_one_value_is_named() -> None:
    """'car ~ tau_start' said "collinear regressors (rank < 2 parameters)" without naming the
    variable that takes one value (a referee)."""
    car, events = car_rows(seed=4)
    car = car.assign(tau_start=-1.0, beta=np.random.default_rng(4).normal(1.0, 0.3, len(car)))
    rows = regression_rows(car, events, CrossSectionSpec("r", "car ~ 1", (-1, 1)))
    out = fit_cross_section(rows, CrossSectionSpec("r", "car ~ tau_start + np.log(mcap_prev_usd)", (-1, 1)))
    assert out["note"].tolist() == [
        "not estimable: collinear regressors (rank < 3 parameters): tau_start takes one value in the "
        "sample, as the intercept does"
    ]
    zero = fit_cross_section(rows.assign(sigma=0.0), CrossSectionSpec("r", "car ~ sigma", (-1, 1)))
    assert zero["note"].item().endswith("(rank < 2 parameters): sigma is 0 on every row of the sample")
    alone = fit_cross_section(rows, CrossSectionSpec("r", "car ~ I(beta * 0) - 1", (-1, 1)))
    assert alone["note"].item().endswith("(rank < 1 parameters): I(beta * 0) is 0 on every row of the sample")
    # combinations no row has: named as such, at most five (the note was 499 characters; a re-attack)
    cells = rows.assign(flow_side=np.where(rows["role"] == "buyer", "payer", "payee"))
    empty = fit_cross_section(cells, CrossSectionSpec("r", "car ~ role:flow_side", (-1, 1)))
    assert empty["note"].item() == (
        "not estimable: collinear regressors (rank < 6 parameters): role[T.investor]:flow_side[payer], "
        "role[T.supplier]:flow_side[payer] are 0 on every row of the sample"
    )
    names = ("beta", "sigma", "car_se", "mcap_prev_usd", "tau_start", "car")
    six = " + ".join(f"I({name} * 0)" for name in names)
    many = fit_cross_section(rows.assign(sigma=0.5), CrossSectionSpec("r", f"car ~ {six}", (-1, 1)))
    assert many["note"].item().endswith(
        ": I(beta * 0), I(sigma * 0), I(car_se * 0), I(mcap_prev_usd * 0), I(tau_start * 0) and 1 more are 0 "
        "on every row of the sample"
    )
    both = CrossSectionSpec("r", "car ~ tau_start + I(tau_start * 2) - 1", (-1, 1))
    out = fit_cross_section(rows, both)
    assert out["note"].item().endswith(": tau_start, I(tau_start * 2) take one value in the sample")
    mixed = fit_cross_section(rows, CrossSectionSpec("r", "car ~ beta + I(beta * 2)", (-1, 1)))
    assert mixed["note"].item() == "not estimable: collinear regressors (rank < 3 parameters)"


def test_a_design_that_restates_the_intercept_explains_nothing() -> None:
    """'car ~ tau_start - 1' is the mean alone: r_squared 0, not -2.2e-16 (a re-attack)."""
    car, events = car_rows(seed=6)
    rows = regression_rows(car.assign(tau_start=-1.0), events, CrossSectionSpec("r", "car ~ 1", (-1, 1)))
    for weights in ("none", "patell"):
        out = fit_cross_section(rows, CrossSectionSpec("r", "car ~ tau_start - 1", (-1, 1), weights=weights))
        assert (out["r_squared"] == 0.0).all() and not out["note"].str.contains("uncentred").any()


@pytest.mark.parametrize(
    ("formula", "said"),
    [
        ("car ~ C(role, beta)", "formula could not be evaluated: tuple index out of range"),
        ("car ~ Treatment(beta)", "formula could not be evaluated: Error converting data to categorical"),
    ],
)
def test_what_passes_the_check_is_a_note_without_an_address(formula: str, said: str) -> None:
    """The fallbacks behind formula_problem: patsy's IndexError of C(role, beta) ended the run
    with a traceback; a coding out of C left '<... object at 0x7fc9...>' in the note, another
    on every run, so verify found the folder DIFFERENT (a re-attack)."""
    car, events = car_rows(seed=7)
    spec = CrossSectionSpec("r", "car ~ beta", (-1, 1))
    object.__setattr__(spec, "formula", formula)
    rows = regression_rows(car.assign(beta=np.arange(len(car), dtype=float)), events, spec)
    note = fit_cross_section(rows, spec)["note"].item()
    assert note.startswith(said) and " at 0x" not in note, note


def test_a_factor_that_is_no_python_is_a_note_if_it_passes_the_check() -> None:
    """The fallback behind formula_problem: a SyntaxError of patsy's factor code ended the run
    with a traceback after the whole study was computed."""
    car, events = car_rows(seed=5)
    spec = CrossSectionSpec("r", "car ~ beta", (-1, 1))
    object.__setattr__(spec, "formula", "car ~ beta sigma")
    rows = regression_rows(car.assign(beta=1.0, sigma=2.0), events, spec)
    out = fit_cross_section(rows, spec)
    assert len(out) == 1 and out["note"].item().startswith("formula could not be evaluated: invalid syntax")


def test_the_column_bound_reads_a_category_of_a_function_with_options() -> None:
    """C(standardize(beta, ddof=1)): a pattern stopped at its first ',' and the bound took the
    term for 0 columns, so C(...):C(...):C(...) of 153 rows built 3.6 million columns (a re-attack)."""
    from eventstudy.crosssection.regression import columns_at_least

    car, events = car_rows(seed=8)
    car = car.assign(beta=np.arange(len(car), dtype=float))
    rows = regression_rows(car, events, CrossSectionSpec("r", "car ~ 1", (-1, 1)))
    levels = rows["beta"].nunique()
    for formula in ("car ~ C(standardize(beta, ddof=1)):C(car_se)", "car ~ C(beta):C(car_se)"):
        assert columns_at_least(formula, rows) >= (levels - 1) * (rows["car_se"].nunique() - 1), formula


def test_a_design_of_more_columns_than_rows_is_a_note_before_it_is_built() -> None:
    """C(event_id):C(ticker) passes every check of the formula's text, and its columns are the
    products of the two columns' levels: 300 events and 300 tickers made patsy build a 300 x
    90,000 design (216 MB; 1.9 GB at 600 tickers) that no regression can estimate (review of
    5cdac65). The columns are counted from the levels first."""
    import tracemalloc

    car, events = car_rows(n=302)
    car = car.assign(event_id=[f"e{i}" for i in range(302)], ticker=[f"T{i}" for i in range(302)])
    events = events.assign(event_id=car["event_id"], ticker=car["ticker"])
    spec = CrossSectionSpec("r", "car ~ C(event_id):C(ticker)", (-1, 1))
    rows = regression_rows(car, events, spec)
    tracemalloc.start()
    out = fit_cross_section(rows, spec)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(out) == 1 and out["coef"].isna().all()
    assert out["note"].iloc[0] == "not estimable: 300 rows for at least 89402 parameters"  # 299^2 + 1
    assert peak < 50e6, peak  # the design alone would be 216 MB
    # Three numeric columns as categories: 300^3 columns, which patsy named one by one before
    # its own count could be read (an audit: 5.4 GB, then 'split the events file')
    for formula in (
        "car ~ C(car):C(mcap_prev_usd):C(car_se)",
        # a function inside C() has the levels of its values: the bound once counted it as none,
        # and patsy built 3.6 million columns in 10 s and 1.3 GB (review of 097b614)
        "car ~ C(np.abs(car)):C(np.abs(mcap_prev_usd)):C(np.sqrt(car_se))",
    ):
        spec = CrossSectionSpec("r", formula, (-1, 1))
        tracemalloc.start()
        out = fit_cross_section(regression_rows(car, events, spec), spec)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert out["note"].tolist() == [f"not estimable: 300 rows for at least {299**3 + 1} parameters"]
        assert peak < 50e6, (formula, peak)
    # as many columns as rows is found after the build, as before; fewer are fitted
    spec = CrossSectionSpec("r", "car ~ C(event_id)", (-1, 1))
    square = fit_cross_section(regression_rows(car.iloc[:40], events.iloc[:40], spec), spec)
    assert square["note"].tolist() == ["not estimable: 40 rows for 40 parameters"]
    car, events = car_rows(n=40)  # three rows an event
    fitted = fit_cross_section(regression_rows(car, events, spec), spec)
    assert (fitted["note"].fillna("") == "").any() and np.isfinite(fitted["coef"]).all()


def test_the_column_bound_is_at_most_patsys_count() -> None:
    """columns_at_least may end a fit only where patsy would make more columns than rows: on
    these designs it is at most patsy's own count."""
    import patsy

    from eventstudy.crosssection.regression import columns_at_least

    car, events = car_rows(n=60)
    rows = regression_rows(car, events, CrossSectionSpec("r", "car ~ 1", (-1, 1))).dropna(subset=["deal_usd"])
    for formula in (
        "car ~ C(role)",
        "car ~ role + ticker",
        "car ~ C(role):C(ticker) - 1",
        "car ~ C(role) * C(ticker)",
        "car ~ C(event_id, Treatment('e1')):car_se + np.log(deal_usd)",
        "car ~ (C(role) + car_se + ticker)**2",
        "car ~ 0 + C(role):C(ticker):C(event_id)",
        "car ~ C(np.log(deal_usd) > 22):C(role) + np.sqrt(car_se)",
        "car ~ C(np.abs(car_se)) + car_se:C(ticker, Treatment('T1'))",
    ):
        least = columns_at_least(formula, rows)
        exact = patsy.dmatrices(formula, rows, return_type="dataframe")[1].shape[1]
        assert 0 < least <= exact, (formula, least, exact)
    assert columns_at_least("car ~ C(role) * C(ticker)", rows) == 1 + 2 + 6 + 2 * 6  # 3 roles, 7 tickers


def test_integer_columns_enter_as_floats_so_powers_do_not_wrap_around() -> None:
    """n_est is int64 in car.parquet: I(n_est ** 8) wrapped around (250^8 > 2^63) to negative
    numbers, and the fit reported a coefficient of the wrong sign without a word (an audit)."""
    car, events = car_rows(n=60)
    car["n_est"] = np.arange(200, 260, dtype=np.int64)
    car["car"] = 1e-21 * car["n_est"].astype(float) ** 8 + 0.001 * np.sin(np.arange(60))
    spec = CrossSectionSpec("r", "car ~ I(n_est ** 8)", (-1, 1))
    rows = regression_rows(car, events, spec)
    assert rows["n_est"].dtype == np.float64
    out = fit_cross_section(rows, spec).set_index(["term", "cov_type"])
    oracle = smf.ols("car ~ I(n_est ** 8 / 1e19)", rows).fit()  # scaled: statsmodels' pinv of 1e19
    coef = out.loc[("I(n_est ** 8)", "nonrobust"), "coef"]
    assert coef == pytest.approx(oracle.params.iloc[1] / 1e19, rel=1e-9)
    assert coef == pytest.approx(1e-21, rel=0.01)


def test_a_formula_python_cannot_evaluate_or_of_several_dependents_is_a_note() -> None:
    """What formula_problem cannot see from the text: a text column on the left (one column per
    level: the fit regressed the first level's dummy) and an integer too large for a float
    (OverflowError escaped with a traceback). Each regression says why it has no numbers."""
    car, events = car_rows(n=12)
    rows = regression_rows(car, events, CrossSectionSpec("r", "car ~ 1", (-1, 1)))
    text = fit_cross_section(rows, CrossSectionSpec("r", "role ~ car", (-1, 1)))
    assert len(text) == 1 and text["coef"].isna().all()
    assert text["note"].iloc[0].startswith("not estimable: the dependent variable gives")
    assert text["note"].iloc[0].endswith("columns, not one")
    big = "car ~ I(beta * 99999999999999999999999999999999999999**10)"
    huge = fit_cross_section(rows, CrossSectionSpec("r", big, (-1, 1)))
    assert len(huge) == 1 and huge["note"].iloc[0].startswith("formula could not be evaluated")


@pytest.mark.parametrize(
    "formula", ["car ~ np.log(deal_usd)", "value_to_deal ~ C(role, Treatment('supplier'))", "car ~ deal_usd"]
)
def test_a_variable_no_row_has_is_named(formula: str) -> None:
    """Every deal undisclosed: the report's notes were patsy's "negative dimensions are not
    allowed" and "specified level 'supplier' not found" (a finder): the variable is named."""
    car, events = car_rows(n=12)
    car = car.assign(deal_usd=np.nan, value_to_deal=np.nan)
    rows = regression_rows(car, events, CrossSectionSpec("r", "car ~ 1", (-1, 1)))
    out = fit_cross_section(rows, CrossSectionSpec("r", formula, (-1, 1)))
    blank = "value_to_deal" if formula.startswith("value_to_deal") else "deal_usd"
    assert len(out) == 1 and out["coef"].isna().all()
    assert out["note"].iloc[0] == f"not estimable: no row of the sample has a value of {blank}"


def test_an_empty_sample_is_said_by_its_count_of_rows() -> None:
    """With every pair failed, the check of variables no row has named every variable of the
    formula ("no row of the sample has a value of car, deal_usd")."""
    car, events = car_rows(n=12)
    rows = regression_rows(car, events, CrossSectionSpec("r", "car ~ 1", (-1, 1))).iloc[:0]
    out = fit_cross_section(rows, CrossSectionSpec("r", "car ~ np.log(deal_usd)", (-1, 1)))
    assert out["note"].iloc[0] == "not estimable: 0 rows for 2 parameters"
    # a category of no row: patsy's "negative dimensions are not allowed" (a finder)
    for formula in ("car ~ C(role)", "car ~ C(role, Treatment('none'))"):
        out = fit_cross_section(rows, CrossSectionSpec("r", formula, (-1, 1)))
        assert out["note"].tolist() == ["not estimable: 0 rows in the sample"], formula
    one = regression_rows(car, events, CrossSectionSpec("r", "car ~ 1", (-1, 1))).iloc[:1]
    out = fit_cross_section(one, CrossSectionSpec("r", "car ~ np.log(deal_usd)", (-1, 1)))
    assert out["note"].iloc[0] == "not estimable: 1 row for 2 parameters"


COVARIATES = [
    *("beta", "sigma", "car_se", "deal_usd", "mcap_prev_usd", "np.log(deal_usd)", "np.sqrt(deal_usd)"),
    *("np.abs(beta)", "np.exp(beta)", "np.log1p(deal_usd)"),
]


def test_allowed_formulas() -> None:
    for formula in (
        "value_to_deal ~ np.log(deal_usd) + C(role)",
        "car ~ C(role, Treatment(reference='supplier')) * np.sqrt(mcap_prev_usd)",
        "car ~ I(deal_usd / 1e9) - 1",
        "car ~ center(beta) + standardize(sigma)",
        "car ~ I(deal_usd**2) + I(sigma**0.5) + (C(role) + beta)**2",
        "np.log(car + 1) ~ I((deal_usd / 1e9)**2)",
        "I(car * 100) ~ deal_usd",
        # A power inside a power's base, of degree 10 or less in all (the first check of brackets
        # refused these, which had always fitted).
        "car ~ (C(role) + I((deal_usd / 1e9)**2))**2",
        "car ~ I(((deal_usd / 1e9)**2 + 1)**0.5)",
        "car ~ I((deal_usd**2)**5)",
        # patsy's interaction power of a term holding a power is no power of a power (review of
        # ec90293): I(deal_usd**6) stays degree 6 in its interactions with C(role)
        "car ~ (C(role) + I(deal_usd**6))**2",
        "car ~ (beta + sigma + np.log(deal_usd) + C(role))**4",  # 15 terms
        # Text as a category, and a level's name inside Treatment
        "car ~ role + C(ticker, Treatment('NVDA')) + C(role):beta",
        # patsy's '-' of a term another term keeps a variable of
        "car ~ (beta + sigma)**2 - beta:sigma",
        "car ~ beta * sigma - sigma",
        # patsy's 1 is its own token, not a NUMBER: these were refused as powers of no number
        "car ~ (beta + sigma)**1",
        "car ~ beta + I(sigma**2)**1",
        "car ~ C(role, Sum(omit='buyer')) + C(group, Treatment(reference='g'))",
        "car ~ standardize(beta, center=0) + standardize(sigma, 0) + center(np.log(deal_usd))",
        "car ~ I(beta * 1e9) + I(sigma * 2.5e-3) + I(deal_usd / 1_000) + I(beta * .5)",
        # codings as patsy documents them (b079683 refused the bare ones), threshold dummies,
        # signs inside I(), the intercept removed either way
        "car ~ C(role, Sum) + C(group, Treatment) + C(ticker, Treatment(reference='NVDA'))",
        "car ~ C(n_est, Treatment(250)) + C(role, Sum(omit='buyer'))",
        "car ~ -1 + beta",
        "car ~ 0 + beta + I(-sigma) + I(beta * -1)",
        "car ~ beta - 1",
        "car ~ standardize(beta, 1, 1) + standardize(sigma, center=0, rescale=1, ddof=1)",
        "car ~ standardize(beta, rescale=False) + standardize(sigma, center=True, rescale=True, ddof=1)",
        "car ~ day0 + C(shares_as_of)",
        "car ~ C(role):C(group):beta:sigma:car_se:tau_start:n_est:np.log(deal_usd)",  # 8 factors
        "I(-car) ~ beta",
        "car ~ (beta + sigma)**2 + 1",
        # all pairs of ten covariates (56 terms) and the triples of seven (64): the first bound,
        # n + n^2 + ... + n^p, refused them (review of 5cdac65)
        "car ~ (" + " + ".join(COVARIATES) + ")**2",
        "car ~ (" + " + ".join(COVARIATES[:7]) + ")**3",
    ):
        assert formula_problem(formula) is None, formula


FACTORS = [f"I(deal_usd**{k})" for k in range(1, 10)] + ["beta", "sigma", "car_se", "np.log(deal_usd)"]


@pytest.mark.parametrize(
    "formula",
    [
        # 13 factors to the 10th power: patsy expanded 8,000 interaction terms in minutes and GBs
        # (18 to the 10th: 154 s, 1.6 GB, before the fit) (review of ec90293)
        "car ~ (" + " + ".join(FACTORS) + ")**10",
        "car ~ " + " * ".join(FACTORS[:8]),  # 255 terms
        "car ~ (" + " + ".join(FACTORS[:7]) + ")**2:(" + " + ".join(FACTORS[7:]) + ") - 1",  # 28 x 6
    ],
)
def test_formulas_whose_terms_patsy_would_multiply_past_the_limit_are_refused(formula: str) -> None:
    problem = formula_problem(formula)
    assert problem is not None and f"a formula has at most {MAX_TERMS} terms" in problem


def test_the_term_bound_is_at_least_patsys_count() -> None:
    """The bound may refuse a formula of at most 100 terms only where it cannot see their overlap;
    on these it is patsy's own count or above it, never below."""
    from patsy import ModelDesc
    from patsy.parse_formula import parse_formula

    from eventstudy.crosssection.rules import _term_bound

    for formula in (
        "car ~ (" + " + ".join(COVARIATES) + ")**2",
        "car ~ (" + " + ".join(COVARIATES[:7]) + ")**3",
        "car ~ (beta + sigma)**2 * (car_se + deal_usd)",
        "car ~ (beta + sigma + car_se)**3:(deal_usd + beta) - 1",
        "car ~ beta:(sigma + car_se) + (C(role) + beta)**2",
        "car ~ 0 + " + " * ".join(COVARIATES[:5]),
    ):
        bound, _ = _term_bound(parse_formula(formula).args[-1])
        assert bound + 1 >= len(ModelDesc.from_formula(formula).rhs_termlist), formula  # + the intercept
    exact = "car ~ (" + " + ".join(COVARIATES) + ")**2"
    assert _term_bound(parse_formula(exact).args[-1])[0] == 10 + 45  # patsy's 56 less the intercept


def write_config(path, body: str):
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_config_tables_round_trip_and_errors_name_the_key(tmp_path) -> None:
    base = """
    [study]
    event_windows = [[0, 0], [-1, 1]]

    [[crosssection]]
    name = "vpd"
    formula = "value_to_deal ~ np.log(deal_usd) + C(role)"
    window = [-1, 1]
    weights = "patell"
    """
    config = load_config(write_config(tmp_path / "ok.toml", base))
    assert config.crosssection == (
        CrossSectionSpec("vpd", "value_to_deal ~ np.log(deal_usd) + C(role)", (-1, 1), weights="patell"),
    )
    assert StudyConfig.from_dict(config.to_dict()) == config
    cases = {
        "window = [-1, 1]": ("window = [-5, 5]", "crosssection[0].window"),
        'weights = "patell"': ('weights = "huber"', "crosssection[0].weights"),
        'name = "vpd"': ('name = "a b"', "crosssection[0].name"),
        'formula = "value_to_deal ~ np.log(deal_usd) + C(role)"': (
            'formula = "car ~ os.system(1)"', "crosssection[0].formula",
        ),
    }  # fmt: skip
    for old, (new, field) in cases.items():
        path = write_config(tmp_path / "bad.toml", base.replace(old, new))
        with pytest.raises(InputError) as error:
            load_config(path)
        assert error.value.field == field, (new, str(error.value))
    extra = write_config(tmp_path / "extra.toml", base + '    colour = "red"\n')
    with pytest.raises(InputError) as error:
        load_config(extra)
    assert error.value.field == "crosssection[0].colour"
    twice = write_config(tmp_path / "twice.toml", base + base.split("\n", 4)[4].replace("[[", "\n    [[", 1))
    with pytest.raises(InputError, match="twice"):
        load_config(twice)
    unweighted = write_config(tmp_path / "w.toml", base.replace("value_to_deal ~", "np.log(car) ~"))
    with pytest.raises(InputError) as error:
        load_config(unweighted)
    assert error.value.field == "crosssection[0].weights"


# -- flow_side: the side of the deal flow, derived from the config's [[flows]] ---------------------
FLOWS_CONFIG = """
[study]
event_windows = [[0, 0], [-1, 1]]

[[flows]]                # e1: A pays B
event_id = "e1"
payer = "A Co"
payee = "B Co"
tickers = ["AAA", "BBB"]
payer_ticker = "AAA"
payee_ticker = "BBB"

[[flows]]                # e2: C invests in D, D commits to C: C is on both sides
event_id = "e2"
payer = "C Co"
payee = "D Co"
payer_ticker = "CCC"

[[flows]]
event_id = "e2"
payer = "D Co"
payee = "C Co"
tickers = ["CCC"]
payee_ticker = "CCC"

[[flows]]                # e3: E is on the edge, but on which side is not said
event_id = "e3"
payer = "E Co"
payee = "F Co"
tickers = ["EEE"]

[[crosssection]]
name = "side"
formula = "car ~ np.log(deal_usd) + C(flow_side, Treatment('none'))"
window = [-1, 1]
"""


def flow_rows() -> pd.DataFrame:
    """car.parquet-like rows of four events: every flow side, a party outside the payment, an
    event without flows, a party listed on an edge without a side, and a peer."""
    keys = [
        ("e1", "AAA", "buyer"),  # payer
        ("e1", "BBB", "supplier"),  # payee
        ("e1", "ZZZ", "rival"),  # a party outside the payment
        ("e2", "CCC", "partner"),  # both
        ("e2", "DDD", "partner"),  # named on no side
        ("e3", "EEE", "supplier"),  # listed on the edge, side not said: missing
        ("e4", "AAA", "partner"),  # an event without flows
        ("e1", "CCC", "peer"),  # a peer is never a party of the deal
    ]
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(keys, columns=["event_id", "ticker", "role"])
    n = len(frame)
    return frame.assign(
        group="g", window="[-1,+1]", outcome="ok", car=rng.normal(0, 0.03, n), car_se=0.02,
        mcap_prev_usd=1e11, abnormal_value_usd=np.nan, deal_usd=np.exp(rng.uniform(20, 25, n)),
        value_to_deal=np.nan,
    )  # fmt: skip


def test_flow_side_of_every_kind_of_party_from_a_small_config(tmp_path) -> None:
    config = load_config(write_config(tmp_path / "flows.toml", FLOWS_CONFIG))
    assert config.flows[0] == FlowEdge("e1", "A Co", "B Co", ("AAA", "BBB"), "AAA", "BBB")
    assert config.flows[1].tickers == ("CCC",)  # without tickers, the side's ticker labels the edge
    sides = flow_sides(flow_rows(), config.flows)
    assert sides.tolist() == ["payer", "payee", "none", "both", "none", None, "none", "none"]
    # The manifest's record of the config reads back to the same edges (sides included).
    assert StudyConfig.from_dict(config.to_dict()) == config
    assert config.to_dict()["flows"][3] == {
        "event_id": "e3", "payer": "E Co", "payee": "F Co", "tickers": ["EEE"],
    }  # fmt: skip


def test_flow_side_regression_is_statsmodels_on_the_sides_written_by_hand(tmp_path) -> None:
    config = load_config(write_config(tmp_path / "flows.toml", FLOWS_CONFIG))
    spec = config.crosssection[0]
    base = flow_rows()
    # Enough rows to estimate: the eight rows four times over, with their own CARs.
    car = pd.concat([base.assign(car=base["car"] + 0.01 * k) for k in range(4)], ignore_index=True)
    car["car"] += np.random.default_rng(9).normal(0, 0.01, len(car))
    events = car.loc[:, ["event_id", "ticker", "role"]].drop_duplicates()
    rows = regression_rows(car, events, spec, config.flows)
    assert len(rows) == 28  # the peer rows are not in the parties' sample
    out = cross_sectional_regressions(car, events, config.crosssection, config.flows)
    by_hand = {"AAA": "payer", "BBB": "payee", "ZZZ": "none", "CCC": "both", "DDD": "none"}
    data = car[car["role"] != "peer"].copy()
    data["side"] = [
        "none" if e == "e4" else by_hand.get(t) for e, t in zip(data["event_id"], data["ticker"], strict=True)
    ]
    data = data[data["side"].notna()]  # EEE's side is not said: the row is left out
    fit = smf.ols("car ~ np.log(deal_usd) + C(side, Treatment('none'))", data).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(data["event_id"])[0]}, use_t=True
    )
    clustered = out[out["cov_type"] == "cluster"].reset_index(drop=True)
    assert clustered["n"].iloc[0] == fit.nobs == 24 and clustered["n_dropped"].iloc[0] == 4
    assert len(clustered) == len(fit.params) == 5  # intercept, log deal, both, payee, payer
    np.testing.assert_allclose(clustered["coef"].to_numpy(), fit.params.to_numpy(), rtol=TOL, atol=TOL)
    assert [t.rsplit("[T.", 1)[-1].rstrip("]") for t in clustered["term"][1:4]] == ["both", "payee", "payer"]
    # Each side is one event's (its four copies): one cluster alone determines its dummy, whose
    # residuals then carry none of its error, so it has no cluster s.e. (statsmodels gives one).
    assert clustered["se"][1:4].isna().all() and clustered["note"][1:4].str.contains("alone determines").all()
    kept = [0, 4]  # the intercept and the deal size: statsmodels' numbers
    for ours, theirs in (("se", fit.bse), ("p", fit.pvalues)):
        ours_kept, theirs_kept = clustered[ours].to_numpy()[kept], theirs.to_numpy()[kept]
        np.testing.assert_allclose(ours_kept, theirs_kept, rtol=TOL, atol=TOL)
    # Without the flows every row is "none": no side term can be estimated.
    alone = cross_sectional_regressions(car, events, config.crosssection)
    assert not alone["term"].str.contains("payer").any()


def test_flow_side_needs_sides_in_the_config(tmp_path) -> None:
    no_sides = re.sub(r"(?m)^pay(er|ee)_ticker = .*\n", "", FLOWS_CONFIG)
    assert "_ticker" not in no_sides
    with pytest.raises(InputError) as error:
        load_config(write_config(tmp_path / "no_sides.toml", no_sides))
    assert error.value.field == "crosssection[0].formula" and "payer_ticker" in str(error.value)


@pytest.mark.parametrize("weights", ["none", "patell"])
def test_hc3_beside_a_category_of_one_row_is_hc3_without_that_row(weights: str) -> None:
    """The only row of a category has leverage 1: its dummy's HC3 is undefined (NaN, noted),
    and every other term's HC3 is statsmodels' HC3 of the regression without that row, where
    statsmodels itself divides by rounding noise."""
    car, events = car_rows(seed=4)
    car.loc[7, "role"] = "partner"
    spec = CrossSectionSpec("r", "car ~ np.log(deal_usd) + C(role)", (-1, 1), weights=weights)
    rows = regression_rows(car, events, spec)
    out = fit_cross_section(rows, spec).set_index(["cov_type", "term"])
    single = "C(role)[T.partner]"
    assert np.isnan(out.loc[("HC3", single), ["se", "t", "p"]].astype(float)).all()
    assert out.at[("HC3", single), "note"] == (
        "HC3 undefined: 1 row(s) of leverage 1 determine this term (their residual is 0)"
    )
    # HC1 and the cluster s.e. of that term hold no error of it either (its residual is 0)
    assert "leverage 1" in out.at[("HC1", single), "note"] and np.isnan(out.at[("HC1", single), "se"])
    assert "alone determines" in out.at[("cluster", single), "note"]
    assert np.isnan(out.at[("cluster", single), "se"])
    assert out.at[("nonrobust", single), "note"] == ""
    others = out.drop(index=single, level="term")
    assert (others["note"] == "").all() and np.isfinite(others["se"]).all()
    kept = rows[rows["role"] != "partner"]
    weight = 1.0 / kept["car_se"] ** 2 if weights == "patell" else np.ones(len(kept))
    without = smf.wls(spec.formula, kept, weights=weight).fit(cov_type="HC3", use_t=True)
    hc3 = out.loc["HC3"]
    for term in without.params.index:
        for ours, theirs in (("coef", without.params), ("se", without.bse), ("p", without.pvalues)):
            assert abs(hc3.at[term, ours] - theirs[term]) <= TOL * max(1.0, abs(theirs[term])), (term, ours)
    assert hc3.at["Intercept", "df"] == without.df_resid


def test_hc3_leaves_out_exactly_the_terms_that_rows_of_leverage_one_determine() -> None:
    """Timing follows the role except on one row, which alone separates them (as NVDA's Azure
    deal does in the launch study): the terms whose coefficients move with that row's outcome
    have no HC3 s.e.; the others' HC3 depends neither on that outcome nor on the row order."""
    car, events = car_rows(seed=5)
    events["timing"] = np.where(events["role"] == "buyer", "pre", "post")
    lone = int(np.flatnonzero(events["role"] == "supplier")[0])
    events.loc[lone, "timing"] = "pre"
    spec = CrossSectionSpec("r", "car ~ np.log(deal_usd) + C(role) + C(timing)", (-1, 1))
    rows = regression_rows(car, events, spec)
    out = fit_cross_section(rows, spec)
    hc3 = out[out["cov_type"] == "HC3"].set_index("term")
    undefined = set(hc3.index[hc3["se"].isna()])
    moved = rows.copy()
    row = moved["ticker"].eq(car.at[lone, "ticker"]) & moved["event_id"].eq(car.at[lone, "event_id"])
    moved.loc[row, "car"] += 1.0
    refit = fit_cross_section(moved, spec)
    hc3_moved = refit[refit["cov_type"] == "HC3"].set_index("term")
    changed = set(hc3.index[~np.isclose(hc3["coef"], hc3_moved["coef"], rtol=1e-9, atol=1e-12)])
    assert undefined == changed and 0 < len(undefined) < len(hc3)
    defined = sorted(set(hc3.index) - undefined)
    np.testing.assert_allclose(hc3_moved.loc[defined, "se"], hc3.loc[defined, "se"], rtol=1e-9)
    shuffled = fit_cross_section(rows.sample(frac=1.0, random_state=1).reset_index(drop=True), spec)
    hc3_shuffled = shuffled[shuffled["cov_type"] == "HC3"].set_index("term")
    np.testing.assert_allclose(hc3_shuffled.loc[defined, "se"], hc3.loc[defined, "se"], rtol=1e-9)
    assert hc3_shuffled.loc[sorted(undefined), "se"].isna().all()


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
    seed=st.integers(0, 2**16),
    weights=st.sampled_from(["none", "patell"]),
)
def test_hc3_of_random_small_designs_is_noted_or_free_of_the_leverage_one_rows(
    sizes: list[int], seed: int, weights: str
) -> None:
    """Categories of one to four rows: every s.e. is finite or NaN with a note, and a finite HC3
    does not move when the outcomes of the rows of leverage 1 do (they are not in it)."""
    rng = np.random.default_rng(seed)
    n = sum(sizes) + 3
    car, events = car_rows(seed=seed % 97, n=n + 2)
    car = car.iloc[:n].assign(outcome="ok")
    car["role"] = [f"r{k}" for k, size in enumerate(sizes) for _ in range(size)] + ["r0"] * 3
    car["deal_usd"] = np.exp(rng.uniform(20, 27, n))
    spec = CrossSectionSpec("r", "car ~ np.log(deal_usd) + C(role)", (-1, 1), weights=weights)
    rows = regression_rows(car, events.iloc[:n], spec)
    out = fit_cross_section(rows, spec)
    if out["note"].str.startswith(("not estimable", "formula")).any():
        return
    assert (np.isfinite(out["se"]) | (out["note"] != "")).all()
    lone = rows["role"].map(rows["role"].value_counts()) == 1  # alone in its category: leverage 1
    moved = rows.assign(car=rows["car"] + np.where(lone, 0.5, 0.0))
    again = fit_cross_section(moved, spec)
    hc3, hc3_again = (frame[frame["cov_type"] == "HC3"].reset_index(drop=True) for frame in (out, again))
    finite = np.isfinite(hc3["se"])
    np.testing.assert_allclose(hc3_again["se"][finite], hc3["se"][finite], rtol=1e-7)
    assert hc3_again["se"][~finite].isna().all()
    assert (hc3["note"][~finite].str.startswith("HC3 undefined")).all()
    assert finite.sum() < len(hc3) or not lone.any()


NUMERIC = ["car", "car_se", "deal_usd", "mcap_prev_usd", "abnormal_value_usd", "value_to_deal"]
TERMS = st.sampled_from(
    [
        *NUMERIC,
        *(f"np.{f}({c})" for f in ("log", "log1p", "sqrt", "exp", "abs") for c in NUMERIC),
        *("C(role)", "C(ticker)", "C(event_id)", "C(timing)", "C(role, Treatment('buyer'))"),
        *("C(role, Treatment('none'))", "I(car ** 2)", "I(car / deal_usd)", "I(1 / car)", "0", "1", "-1"),
        *("car:C(role)", "center(car)", "standardize(deal_usd)", "C(group)"),
    ]
)


@settings(max_examples=int(os.environ.get("EVENTSTUDY_FUZZ_EXAMPLES", "150")), deadline=None)
@given(
    dependent=st.sampled_from([*NUMERIC, "np.log(car)", "np.exp(deal_usd)", "I(car * 100)"]),
    terms=st.lists(TERMS, max_size=4),
    weights=st.sampled_from(["none", "patell"]),
    seed=st.integers(0, 50),
    n=st.integers(0, 30),
)
def test_any_formula_the_grammar_accepts_gives_a_table_or_a_note(dependent, terms, weights, seed, n) -> None:
    """Whatever a config's formula does within the grammar (functions of 0 or of huge numbers,
    no regressor, categories of one row, more parameters than rows): a table whose every
    coefficient row is finite or noted, never an exception, never a warning."""
    formula = f"{dependent} ~ {' + '.join(terms) or '1'}".replace("+ -1", "- 1").replace("~ -1", "~ 0")
    assert formula_problem(formula) is None, formula
    car, events = car_rows(seed=seed, n=max(n, 3))
    car = car.iloc[:n]
    try:
        spec = CrossSectionSpec("r", formula, (-1, 1), weights=weights)
    except ValueError:  # a config error (patell weights of a dependent without s.e.), one line
        assume(False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fit_cross_section(regression_rows(car, events, spec), spec)
    used = out["n"] + out["n_dropped"]
    assert len(out) >= 1 and (used == used.iloc[0]).all()
    estimated = out["note"].fillna("") == ""
    assert np.isfinite(out.loc[estimated, "coef"]).all(), formula


ROOT = Path(__file__).resolve().parents[1]


def test_an_edge_listing_a_ticker_that_is_not_a_party_of_its_event_is_refused() -> None:
    """A misspelt ticker in [[flows]] once left its party on no side of the flow (flow_side
    'none') and out of the edge's values, with no word in the report."""
    events = pd.DataFrame({"event_id": ["e1", "e1", "e2"], "ticker": ["ORCL", "NVDA", "AMD"]})
    fine = (FlowEdge("e1", "OpenAI", "Oracle", ("ORCL",), None, "ORCL"), FlowEdge("e9", "A", "B", ("XYZ",)))
    check_flow_parties(events, fine, "events.csv")  # e9 is not in this study: allowed (the report lists it)
    near = (FlowEdge("oracle-openai-30b", "OpenAI", "Oracle"),)
    with pytest.raises(InputError, match="they have 'oracle-openai-300b' \\(a misspelling\\?\\)") as caught:
        check_flow_parties(events.assign(event_id="oracle-openai-300b"), near, "events.csv")
    assert caught.value.field == "flows[0].event_id"
    cased = (FlowEdge("E1", "OpenAI", "Oracle"),)  # ratio 0.5, not near; the same id in another case
    with pytest.raises(InputError, match="they have 'e1' \\(a misspelling\\?\\)") as caught:
        check_flow_parties(events, cased, "events.csv")
    assert caught.value.field == "flows[0].event_id"
    for spelt in ("oracle_openai_300b", "Oracle.OpenAI.300B", "oracle-openai300b"):  # ratio 0.89-0.94
        with pytest.raises(InputError, match="they have 'oracle-openai-300b' \\(a misspelling\\?\\)"):
            check_flow_parties(events.assign(event_id="oracle-openai-300b"), (FlowEdge(spelt, "A", "B"),), "")
    typo = (*fine, FlowEdge("e2", "AMD", "OpenAI", ("AMDD",), "AMDD"))
    with pytest.raises(InputError) as caught:
        check_flow_parties(events, typo, "events.csv")
    assert (caught.value.path, caught.value.field) == ("events.csv", "flows[2].tickers")
    assert "'AMDD' for event 'e2', which is not one of its parties (AMD)" in caught.value.message


def test_run_study_refuses_a_flow_ticker_outside_its_event(launch_cache) -> None:
    from eventstudy.study import run_study

    config = load_config(ROOT / "launch.toml")
    first = config.flows[0]
    misspelt = dataclasses.replace(first, tickers=("ORLC",), payee_ticker="ORLC", payer_ticker=None)
    config = dataclasses.replace(config, flows=(misspelt, *config.flows[1:]), backtest=None, peers=())
    with pytest.raises(InputError, match=r"flows\[0\]\.tickers") as caught:
        run_study(ROOT / "events.csv", launch_cache, config)
    # the settings changed in Python since the file was read, not events.csv
    said = f"the study's settings (read from {ROOT / 'launch.toml'}, then changed in Python)"
    assert caught.value.path == said
    built = dataclasses.replace(config, source=None)  # a config built in Python has no file
    assert built == config and "source" not in config.to_dict()
    with pytest.raises(InputError, match=r"flows\[0\]\.tickers") as caught:
        run_study(ROOT / "events.csv", launch_cache, built)
    assert caught.value.path == "the study's settings (no config file)"


def test_the_cli_names_the_config_file_of_a_flow_ticker_outside_its_event(tmp_path, capsys) -> None:
    """'events.csv, field flows[0].tickers' named a file without that key (an earlier review)."""
    from eventstudy.cli import main

    config = tmp_path / "study.toml"
    config.write_text((ROOT / "launch.toml").read_text(encoding="utf-8").replace('"ORCL"', '"ORCX"'))
    args = ["run", "--config", str(config), "--events", str(ROOT / "events.csv"), "--offline"]
    assert main([*args, "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{config}, field 'flows[0].tickers'" in err
    assert not (tmp_path / "out").exists()


def test_a_share_caveat_of_a_ticker_in_another_case_is_refused(launch_cache) -> None:
    """``ticker = "intc"`` in [[shares.caveats]] attached to no row of INTC's, silently: the
    launch's note that Intel's count leaves out ~433M shares vanished from the report."""
    from eventstudy.study import run_study

    config = load_config(ROOT / "launch.toml")
    [caveat] = [c for c in config.share_caveats if c.ticker == "INTC"]
    lower = dataclasses.replace(caveat, ticker="intc")
    config = dataclasses.replace(config, share_caveats=(lower,), backtest=None, peers=())
    with pytest.raises(InputError) as caught:
        run_study(ROOT / "events.csv", launch_cache, config)
    # the caveat was changed in Python, not read from the file
    said = f"the study's settings (read from {ROOT / 'launch.toml'}, then changed in Python)"
    assert (caught.value.path, caught.value.field) == (said, "shares.caveats[0].ticker")
    assert "names 'intc', which differs from the study's ticker 'INTC' only in case" in caught.value.message
    # A ticker that is only a peer: its peer rows lost the caveat the same way.
    peers_only = dataclasses.replace(config, peers=("INTC",), flows=(), crosssection=())
    events = read_events(ROOT / "events.csv")
    with pytest.raises(InputError, match="'intc', which differs from the study's ticker 'INTC'"):
        run_study(events[events["ticker"] != "INTC"], launch_cache, peers_only)


def _fit(car: pd.DataFrame, events: pd.DataFrame, formula: str, **options: str) -> pd.DataFrame:
    spec = CrossSectionSpec("r", formula, (-1, 1), **options)  # type: ignore[arg-type]
    return fit_cross_section(regression_rows(car, events, spec), spec)


def test_a_term_one_cluster_determines_has_no_cluster_se() -> None:
    """A dummy of one announcement (the launch's shock group is the DeepSeek sell-off alone) is
    fitted exactly by that cluster's rows: its CRV1 s.e. held none of its error (1e-17 without an
    intercept, t -5.7e15), and a null simulation rejected 49% at 5%."""
    car, events = car_rows(seed=11, n=30)
    car["group"] = np.where(car["event_id"] == "e3", "shock", "deal")
    out = _fit(car, events, "car ~ C(group) - 1").set_index(["cov_type", "term"])
    shock = out.loc[("cluster", "C(group)[shock]")]
    assert np.isnan(shock["se"]) and np.isnan(shock["p"]) and "one event_id alone determines" in shock["note"]
    assert np.isfinite(out.loc[("cluster", "C(group)[deal]"), "se"])
    assert np.isfinite(out.loc[("HC1", "C(group)[shock]"), "se"])  # three rows: no leverage 1
    assert np.isnan(out.loc[("CR2", "C(group)[shock]"), ["se", "df"]]).all()  # Bell & McCaffrey's neither
    said = out.loc[("CR2", "C(group)[shock]"), "note"]
    assert said.startswith("CR2 undefined: one event_id alone determines")
    fewer = _fit(car[car["event_id"].isin(["e0", "e1"])], events, "car ~ np.log(mcap_prev_usd) + car_se")
    notes = fewer.loc[fewer["cov_type"] == "cluster", "note"]
    expected = "2 clusters for 3 parameters: the cluster covariance has rank at most 1"
    assert notes.str.startswith(expected).all()
    # as many clusters as parameters: the scores sum to 0, so rank G - 1 too (a referee: unsaid)
    three = car[car["event_id"].isin(["e0", "e1", "e2"])]
    equal = _fit(three, events, "car ~ np.log(mcap_prev_usd) + car_se")
    notes = equal.loc[equal["cov_type"] == "cluster", "note"]
    expected = "3 clusters for 3 parameters: the cluster covariance has rank at most 2"
    assert notes.str.startswith(expected).all()


def test_a_slope_few_clusters_fit_says_its_degrees_of_freedom() -> None:
    """car ~ np.log(deal_usd) * C(timing) of the launch: three intraday announcements, one deal size
    each, fit the baseline's intercept and slope, whose error is one sum of residuals. CRV1 gave an
    s.e. 130 times HC1's and p = 2e-18 with t(9) (a referee). The CR2 rows have Bell & McCaffrey's
    1 degree of freedom; the CRV1 rows say so."""
    car, events = car_rows(seed=21, n=30)
    event = car["event_id"].str[1:].astype(int)
    car["deal_usd"] = np.exp(20 + event.to_numpy() % 7)  # one size an announcement
    timing = dict(zip([f"e{i}" for i in range(10)], ["intraday"] * 3 + ["post"] * 7, strict=True))
    events["timing"] = events["event_id"].map(timing)
    out = _fit(car, events, "car ~ np.log(deal_usd) * C(timing)").set_index(["cov_type", "term"])
    cr2, crv1 = out.xs("CR2"), out.xs("cluster")
    baseline = ["Intercept", "np.log(deal_usd)"]  # the intraday level's: three clusters, two parameters
    np.testing.assert_allclose(cr2.loc[baseline, "df"], 1.0, rtol=1e-6)
    assert (cr2["df"] < 9).all() and (cr2.drop(baseline)["df"] > 1.01).all()
    rests = r"rests on [01]\.\d\d degrees of freedom \(Bell & McCaffrey\), not CRV1's 9"
    said = crv1["note"].str.contains(rests)
    assert said.eq(cr2["df"] < 2).all() and said[baseline].all()
    assert (crv1["df"] == 9).all() and (cr2["clusters"] == 10).all()


def test_hc3_leverages_come_from_a_qr_and_are_right_with_extreme_weights() -> None:
    """A Patell weight a million times the others puts a row near leverage 1 (1 - h = 2e-8):
    statsmodels' x'(X'WX)^-1 x gave 7.6e-6 and an HC3 t of 3.66 for an exact 1.52. A near-copy
    of a regressor (log d and log(d + 1), condition number 1e12) is refused as collinear."""
    car, events = car_rows(seed=12, n=40)
    car.loc[3, "car_se"] = 1e-6
    out = _fit(car, events, "car ~ np.log(mcap_prev_usd)", weights="patell").set_index(["cov_type", "term"])
    rows = regression_rows(car, events, CrossSectionSpec("r", "car ~ 1", (-1, 1)))
    w = 1.0 / rows["car_se"].to_numpy() ** 2
    x = np.sqrt(w)[:, None] * np.column_stack([np.ones(len(rows)), np.log(rows["mcap_prev_usd"])])
    y = np.sqrt(w) * rows["car"].to_numpy()
    q, r = np.linalg.qr(x)  # the weighted design's projection, with no inverse of X'WX formed
    e = y - q @ (q.T @ y)
    h = (q**2).sum(axis=1)
    bread = np.linalg.solve(r, q.T)
    cov = bread @ np.diag((e / (1 - h)) ** 2) @ bread.T
    assert 1e-8 < 1 - h.max() < 1e-6
    np.testing.assert_allclose(out.loc["HC3", "se"].to_numpy(), np.sqrt(np.diag(cov)), rtol=1e-5)
    near = _fit(car[car["deal_usd"].notna()], events, "car ~ np.log(deal_usd) + np.log(I(deal_usd + 1))")
    assert len(near) == 1 and near["note"].iloc[0].startswith("not estimable: collinear regressors")


def test_units_do_not_make_a_design_collinear() -> None:
    """deal_usd in dollars and its square were refused as collinear (the rank tolerance was set
    by the largest column); in billions the same model fitted. Both fit now, with the same t."""
    car, events = car_rows(seed=13, n=40)
    dollars = _fit(car, events, "car ~ deal_usd + I(deal_usd**2)").set_index(["cov_type", "term"])
    billions = _fit(car.assign(deal_usd=car["deal_usd"] / 1e9), events, "car ~ deal_usd + I(deal_usd**2)")
    billions = billions.set_index(["cov_type", "term"])
    cluster = dollars.index.get_level_values("cov_type") == "cluster"
    assert (dollars["note"] == np.where(cluster, few_clusters(dollars), "")).all()
    np.testing.assert_allclose(dollars["t"], billions["t"], rtol=1e-8)
    slope = ("nonrobust", "deal_usd")
    np.testing.assert_allclose(dollars.loc[slope, "coef"] * 1e9, billions.loc[slope, "coef"], rtol=1e-8)


def test_what_cannot_be_estimated_is_said() -> None:
    car, events = car_rows(seed=14, n=30)
    one_role = _fit(car.assign(role="buyer"), events, "car ~ C(role) + np.log(mcap_prev_usd)")
    lost = one_role[one_role["term"] == "C(role)"]
    assert len(lost) == len(COV_TYPES) == 5
    assert lost["note"].str.contains("C(role) has one level in the sample", regex=False).all()
    flat = _fit(car.assign(car=0.05), events, "car ~ np.log(mcap_prev_usd)")
    assert len(flat) == 1 and flat["note"].iloc[0] == "not estimable: car takes one value in the sample"
    exact = _fit(car.assign(car=0.01 * np.log(car["mcap_prev_usd"])), events, "car ~ np.log(mcap_prev_usd)")
    assert exact["se"].isna().all() and exact["note"].str.contains("rounding noise").all()
    doubled = pd.concat([car, car])  # repeated index labels: a frame of concatenated tables
    formula = "car ~ np.log(mcap_prev_usd)"
    assert (_fit(doubled, events, formula)["n"] == 2 * _fit(car, events, formula)["n"]).all()


def test_the_text_columns_are_the_text_columns_of_car_parquet() -> None:
    """The formula rules keep text out of arithmetic by this list (columns.CAR_TEXT_COLUMNS)."""
    from eventstudy.columns import CAR_TEXT_COLUMNS

    car = pd.read_parquet(ROOT / "reports" / "ai-deal-wave-2025" / "car.parquet", columns=list(CAR_COLUMNS))
    text = [c for c in CAR_COLUMNS if pd.api.types.is_string_dtype(car[c]) or car[c].dtype == object]
    assert text == list(CAR_TEXT_COLUMNS)
