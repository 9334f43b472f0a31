"""Known-answer tests of :mod:`eventstudy.inference` against the R package estudy2.

The reference numbers are estudy2 0.10.0's output on its bundled COVID-19 example (7 US stocks
vs the S&P 500, market model estimated 2019-04-01..2020-03-13, event window 2020-03-16..20),
stored with their inputs in ``../shared/data/reference/estudy2_covid`` (README.md there). The
data stays there; it is never copied into this repository. Every statistic of the daily tables
(``parametric_tests.csv``, ``nonparametric_tests.csv``), of the CAR tables
(``car_parametric_tests.csv``, ``car_nonparametric_tests.csv``, ``car_tests_subwindows.csv``)
and of the ``variant_*`` tables is reproduced to 1e-6 relative (in practice ~1e-14).

How the inputs are built, and why (estudy2's conventions, documented in the data README and
read from the package source):

* Abnormal returns are those of ``market_model_returns_long.csv``; the test also re-fits the
  market model by OLS from ``input_log_returns.csv`` and checks alpha, beta, sigma and the
  abnormal returns.
* ``sigma`` is passed as the n-1 standard deviation of the estimation residuals
  (``sd_estimation_abnormal_ddof1``), not :math:`\\sqrt{SSR/(M-k)}`: estudy2's BW1980, Patell and
  BMP use ``sd()``. With an intercept the residuals have mean 0, so this is
  :math:`\\sqrt{SSR/(M-1)}`.
* Patell's forecast-error factor :math:`1 + x'(X'X)^{-1}x` is built from a ``xtx_inv`` that
  estudy2 implies: :math:`1 + 1/M_i + (R_{m\\tau} - \\bar R_m)^2/\\sum_s (R_{ms} - \\bar R_m)^2`
  with :math:`\\bar R_m` and the sum over **all** 240 estimation days of the index (including the
  days before the ZM and UBER IPOs), i.e. :math:`X'X = [[M, M\\bar R_m], [M\\bar R_m,
  SS + M\\bar R_m^2]]`. ``n_params = 2`` gives Patell's :math:`(M-2)/(M-4)`.
* BW1980 is :func:`portfolio_t` with ``variance = sigma**2`` (no forecast-error factor) and
  ``dof = M - 1`` (estudy2's critical values use t with mean(M) - 1 d.o.f.).
* Lamb's factor is :math:`1 + 1/\\bar M + (R_{m\\tau} - \\bar R_m)^2/SS` (estudy2's ``lamb``).
* The generalized sign test uses ``p_hat="pooled"`` (share of positive residuals over all
  firm-days), not Cowan's (1992) firm average.
* Rank and sign tests: estudy2 ranks each firm's estimation + event-window returns together,
  sums a day as ``rowMeans(x, na.rm = TRUE) * ncol(x)`` (``missing="rescale"``, which inflates
  the pre-IPO days of ZM/UBER by 7/5 or 7/6) and divides the sum of squares by the mean number
  of each firm's observations (``variance_divisor="mean_observations"``). ``rank_test`` uses raw
  ranks and means (Corrado 1989), ``modified_rank_test`` and ``corrado_sign_test`` scores
  divided by :math:`\\sqrt{n_t}` (Corrado & Zivney 1992). ``car_rank_test`` ranks estimation +
  CAR window only, takes plain day means and centres them by the mean of the firms' average
  ranks (``missing="sum", centering="pooled"``).
* estudy2's CAR tables report ``car_mean``, the **average** daily AAR over the window, not the
  CAAR (upstream issues irudnyts/estudy2 #12 and #16). Our CAAR is the sum; it is checked
  against the hand sum of the daily AARs and against ``car_mean * number_of_days``. The CAR
  statistics themselves are correct: ``car_brown_warner_1985`` = sum of daily BW1985
  statistics / sqrt(L) equals our :math:`CAAR/(S_{AAR}\\sqrt{L})` exactly, and ``car_lamb`` is
  the sum of daily Lamb z / sqrt(L), our :func:`lamb_z` of the window.

Where our textbook defaults differ from these conventions (used by :func:`run_battery`):
sigma with M - k, Patell on each firm's own estimation days, Cowan's firm-average p-hat,
uniform rank scores summed over the pairs present and divided by the number of days, firm
centring. ``test_textbook_battery_close_to_estudy2`` pins the size of those differences.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.inference import (
    EventPanel,
    bmp_t,
    corrado_rank_test,
    corrado_zivney_sign_test,
    cross_sectional_t,
    crude_dependence_t,
    event_ar_tests,
    event_car_tests,
    generalized_sign_test,
    lamb_z,
    patell_z,
    portfolio_t,
    run_battery,
    sign_test,
    wilcoxon_signed_rank_test,
)

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "reference"
COVID = REFERENCE / "estudy2_covid"
REL = 1e-6
ESTIMATION_END = pd.Timestamp("2020-03-13")
EVENT_START, EVENT_END = pd.Timestamp("2020-03-16"), pd.Timestamp("2020-03-20")
INDEX = "^GSPC"


@dataclass(frozen=True)
class Covid:
    """estudy2's COVID example as arrays (7 firms, 240 estimation days, 5 event days)."""

    securities: list[str]
    event_dates: pd.DatetimeIndex
    ar_estimation: np.ndarray
    ar_event: np.ndarray
    market_estimation: np.ndarray
    market_event: np.ndarray
    estimation_length: np.ndarray
    fit: pd.DataFrame
    returns: pd.DataFrame


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(COVID / name)


def _arrays(abnormal_long: pd.DataFrame, securities: list[str], dates: pd.DatetimeIndex):
    wide = abnormal_long.pivot(index="date", columns="security", values="abnormal")
    wide.index = pd.to_datetime(wide.index)
    wide = wide.reindex(index=dates, columns=securities)
    estimation = wide.index <= ESTIMATION_END
    event = (wide.index >= EVENT_START) & (wide.index <= EVENT_END)
    return wide.to_numpy()[estimation].T, wide.to_numpy()[event].T


@pytest.fixture(scope="module")
def covid() -> Covid:
    if not COVID.is_dir():
        pytest.skip(f"estudy2 reference data not found at {COVID} (../shared/data/reference)")
    returns = _read("input_log_returns.csv")
    returns["date"] = pd.to_datetime(returns["date"])
    returns = returns.set_index("date")
    fit = _read("market_model_fit.csv")
    securities = list(fit["security"])
    long = _read("market_model_returns_long.csv")
    ar_estimation, ar_event = _arrays(long, securities, returns.index)
    market = returns[INDEX].to_numpy()
    estimation = returns.index <= ESTIMATION_END
    event = (returns.index >= EVENT_START) & (returns.index <= EVENT_END)
    return Covid(
        securities=securities,
        event_dates=returns.index[event],
        ar_estimation=ar_estimation,
        ar_event=ar_event,
        market_estimation=market[estimation],
        market_event=market[event],
        estimation_length=fit["estimation_length"].to_numpy(dtype=float),
        fit=fit,
        returns=returns,
    )


def _estudy2_panel(data: Covid, ar_estimation: np.ndarray, ar_event: np.ndarray) -> EventPanel:
    """EventPanel with estudy2's sigma (n-1 SD) and its Patell forecast-error factor."""
    n, l1 = ar_estimation.shape
    l2 = ar_event.shape[1]
    m = data.estimation_length
    # estudy2's Patell factor 1 + 1/M_i + (Rm - mean)^2 / SS, mean and SS over all 240 index
    # days, written as x'(X'X)^{-1}x with X'X = [[M, M mean], [M mean, SS + M mean^2]].
    mean = data.market_estimation.mean()
    ss = np.sum((data.market_estimation - mean) ** 2)
    xtx = np.stack(
        [np.stack([m, m * mean], axis=-1), np.stack([m * mean, ss + m * mean**2], axis=-1)],
        axis=-2,
    )
    x_event = np.stack([np.ones(l2), data.market_event], axis=-1)
    return EventPanel(
        ar_estimation=ar_estimation,
        ar_event=ar_event,
        event_tau=np.arange(l2),
        estimation_day=np.broadcast_to(np.arange(l1), (n, l1)),
        event_day=np.broadcast_to(np.arange(l1, l1 + l2), (n, l2)),
        sigma=np.nanstd(ar_estimation, axis=1, ddof=1),
        n_estimation=m,
        n_params=np.full(n, 2),
        xtx_inv=np.linalg.inv(xtx),
        x_event=np.broadcast_to(x_event, (n, l2, 2)),
        firm=np.array(data.securities, dtype=object),
    )


@pytest.fixture(scope="module")
def panel(covid: Covid) -> EventPanel:
    return _estudy2_panel(covid, covid.ar_estimation, covid.ar_event)


def _ols_fits(data: Covid) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per firm: (coef, (X'X)^-1, residuals on the estimation days) from input_log_returns."""
    estimation = data.returns.index <= ESTIMATION_END
    market = data.returns[INDEX].to_numpy()[estimation]
    out = []
    for name in data.securities:
        y = data.returns[name].to_numpy()[estimation]
        use = np.isfinite(y) & np.isfinite(market)
        x = np.column_stack([np.ones(use.sum()), market[use]])
        coef, *_ = np.linalg.lstsq(x, y[use], rcond=None)
        resid = np.full(y.shape, np.nan)
        resid[use] = y[use] - x @ coef
        out.append((coef, np.linalg.inv(x.T @ x), resid))
    return out


def _textbook_panel(data: Covid) -> EventPanel:
    """The same data with our conventions: sigma = sqrt(SSR/(M-2)), each firm's own X'X."""
    fits = _ols_fits(data)
    n, l1 = data.ar_estimation.shape
    l2 = data.ar_event.shape[1]
    resid = np.stack([f[2] for f in fits])
    m = np.isfinite(resid).sum(axis=1)
    sigma = np.sqrt(np.nansum(resid**2, axis=1) / (m - 2))
    x_event = np.stack([np.ones(l2), data.market_event], axis=-1)
    return EventPanel(
        ar_estimation=resid,
        ar_event=data.ar_event,
        event_tau=np.arange(l2),
        estimation_day=np.broadcast_to(np.arange(l1), (n, l1)),
        event_day=np.broadcast_to(np.arange(l1, l1 + l2), (n, l2)),
        sigma=sigma,
        n_estimation=m,
        n_params=np.full(n, 2),
        xtx_inv=np.stack([f[1] for f in fits]),
        x_event=np.broadcast_to(x_event, (n, l2, 2)),
        firm=np.array(data.securities, dtype=object),
    )


def _stars(p: float) -> str:
    """estudy2's significance marks for a two-sided p-value."""
    return "***" if p <= 0.01 else "**" if p <= 0.05 else "*" if p <= 0.10 else ""


def _signif(value: object) -> str:
    return "" if pd.isna(value) else str(value)


def _day(index: int, length: int = 5) -> np.ndarray:
    mask = np.zeros(length, dtype=bool)
    mask[index] = True
    return mask


# --------------------------------------------------------------------------- inputs
def test_market_model_refit_matches_estudy2(covid: Covid) -> None:
    fits = _ols_fits(covid)
    alpha = np.array([f[0][0] for f in fits])
    beta = np.array([f[0][1] for f in fits])
    np.testing.assert_allclose(alpha, covid.fit["alpha"], rtol=1e-9)
    np.testing.assert_allclose(beta, covid.fit["beta"], rtol=1e-9)
    resid = np.stack([f[2] for f in fits])
    np.testing.assert_allclose(resid, covid.ar_estimation, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(np.isfinite(resid).sum(axis=1), covid.fit["estimation_length"])
    np.testing.assert_allclose(
        np.nanstd(resid, axis=1, ddof=1), covid.fit["sd_estimation_abnormal_ddof1"], rtol=1e-12
    )
    event = (covid.returns.index >= EVENT_START) & (covid.returns.index <= EVENT_END)
    observed = covid.returns[covid.securities].to_numpy()[event].T
    predicted = alpha[:, None] + beta[:, None] * covid.market_event[None, :]
    np.testing.assert_allclose(observed - predicted, covid.ar_event, rtol=0, atol=1e-15)


# --------------------------------------------------------------------------- daily tables
PARAMETRIC = ("bw_1980", "bw_1985", "t_test", "pt", "bh", "lmb")


def _daily_parametric(panel: EventPanel, data: Covid, name: str, day: int, *, sim: bool = True):
    car = panel.ar_event[:, day]
    aar_est = panel.aar_estimation()
    if name == "bw_1980":
        # Brown-Warner (1980) independence t: AAR / (sqrt(sum_i s_i^2) / N), s_i the n-1 SD.
        return portfolio_t(car, panel.sigma**2, data.estimation_length - 1)
    if name == "bw_1985":
        return crude_dependence_t(car, aar_est, 1)
    if name == "t_test":
        return cross_sectional_t(car)
    if name == "pt":
        return patell_z(panel.standardized_ar()[:, day], panel.dof)
    if name == "bh":
        return bmp_t(panel.standardized_ar()[:, day])
    assert sim
    mean = data.market_estimation.mean()
    ss = np.sum((data.market_estimation - mean) ** 2)
    factor = 1 + 1 / data.estimation_length.mean() + (data.market_event[day] - mean) ** 2 / ss
    return lamb_z(panel.ar_event[:, [day]], aar_est, np.array([factor]))


@pytest.mark.parametrize("name", PARAMETRIC)
def test_parametric_tests(covid: Covid, panel: EventPanel, name: str) -> None:
    table = _read("parametric_tests.csv")
    assert list(pd.to_datetime(table["date"])) == list(covid.event_dates)
    for day, row in table.iterrows():
        got = _daily_parametric(panel, covid, name, int(day))
        assert got.value == pytest.approx(row[f"{name}_stat"], rel=REL)
        assert got.n == 7
        if name != "bw_1985":  # estudy2 uses t(mean(M) - 1), we use t(T - 1) days: 234.6 vs 239
            assert _stars(got.p) == _signif(row[f"{name}_signif"])


def test_parametric_mean_and_percentage(covid: Covid, panel: EventPanel) -> None:
    table = _read("parametric_tests.csv")
    np.testing.assert_allclose(panel.aar_event(), table["mean"], rtol=1e-12)
    np.testing.assert_allclose(
        100 * np.isfinite(panel.ar_event).mean(axis=0), table["percentage"], rtol=0
    )


def _estudy2_rank(panel: EventPanel, day: int, *, modified: bool):
    return corrado_rank_test(
        panel.ar_estimation,
        panel.ar_event,
        _day(day),
        scores="uniform" if modified else "raw",
        day_scaling="sqrt" if modified else "mean",
        variance_divisor="mean_observations",
        missing="rescale",
    )


def _daily_nonparametric(panel: EventPanel, name: str, day: int):
    car = panel.ar_event[:, day]
    if name == "sign":
        return sign_test(car)
    if name == "gsign":
        return generalized_sign_test(car, panel.ar_estimation, p_hat="pooled")
    if name == "csign":
        return corrado_zivney_sign_test(
            panel.ar_estimation,
            panel.ar_event,
            _day(day),
            variance_divisor="mean_observations",
            missing="rescale",
        )
    if name == "rank":
        return _estudy2_rank(panel, day, modified=False)
    if name == "mrank":
        return _estudy2_rank(panel, day, modified=True)
    return wilcoxon_signed_rank_test(car)


NONPARAMETRIC = ("sign", "gsign", "csign", "rank", "mrank", "wlcx")


def _check_nonparametric(panel: EventPanel, table: pd.DataFrame, name: str) -> None:
    for day, row in table.iterrows():
        got = _daily_nonparametric(panel, name, int(day))
        assert got.value == pytest.approx(row[f"{name}_stat"], rel=REL)
        if name not in ("sign", "wlcx"):
            # Normal critical values in estudy2 and here; the sign test's p is exact
            # binomial here, Wilcoxon's stars in estudy2 use asymmetric qsignrank tails.
            assert _stars(got.p) == _signif(row[f"{name}_signif"])


@pytest.mark.parametrize("name", NONPARAMETRIC)
def test_nonparametric_tests(panel: EventPanel, name: str) -> None:
    _check_nonparametric(panel, _read("nonparametric_tests.csv"), name)


def test_wilcoxon_p_matches_scipy(panel: EventPanel) -> None:
    for day in range(5):
        got = wilcoxon_signed_rank_test(panel.ar_event[:, day])
        assert got.p == pytest.approx(stats.wilcoxon(panel.ar_event[:, day]).pvalue, rel=1e-12)


# --------------------------------------------------------------------------- CAR tables
def _car_tables() -> pd.DataFrame:
    frames = [
        _read("car_parametric_tests.csv"),
        _read("car_nonparametric_tests.csv"),
        _read("car_tests_subwindows.csv"),
    ]
    table = pd.concat(frames, ignore_index=True)
    for column in ("car_start", "car_end"):
        table[column] = pd.to_datetime(table[column])
    return table


def _window(covid: Covid, row: pd.Series) -> tuple[int, int]:
    dates = covid.event_dates
    taus = np.flatnonzero((dates >= row["car_start"]) & (dates <= row["car_end"]))
    return int(taus[0]), int(taus[-1])


def test_car_tables_cover_every_row(covid: Covid) -> None:  # covid: skips without the reference data
    table = _car_tables()
    assert len(table) == 15
    assert set(table["name"]) == {"car_lamb", "car_brown_warner_1985", "car_rank_test"}


@pytest.mark.parametrize("row", range(15))
def test_car_tests(covid: Covid, panel: EventPanel, row: int) -> None:
    spec = _car_tables().iloc[row]
    start, end = _window(covid, spec)
    length = end - start + 1
    assert length == spec["number_of_days"]
    assert spec["average_percentage"] == 100
    mask = panel.window_mask(start, end)
    car = panel.car(start, end)
    if spec["name"] == "car_brown_warner_1985":
        got = crude_dependence_t(car, panel.aar_estimation(), length)
    elif spec["name"] == "car_lamb":
        mean = covid.market_estimation.mean()
        ss = np.sum((covid.market_estimation - mean) ** 2)
        factor = (
            1 + 1 / covid.estimation_length.mean() + (covid.market_event[mask] - mean) ** 2 / ss
        )
        got = lamb_z(panel.ar_event[:, mask], panel.aar_estimation(), factor)
    else:
        # estudy2's car_rank_test ranks estimation window + CAR window only.
        got = corrado_rank_test(
            panel.ar_estimation,
            panel.ar_event[:, mask],
            scores="raw",
            day_scaling="mean",
            variance_divisor="mean_observations",
            missing="sum",
            centering="pooled",
        )
    assert got.value == pytest.approx(spec["statistic"], rel=REL)
    assert _stars(got.p) == _signif(spec["significance"])
    if spec["name"] != "car_rank_test":
        # CAAR is the SUM of the daily AARs (hand value); estudy2's car_mean is their MEAN
        # (irudnyts/estudy2 #12, #16), so CAAR = car_mean * number_of_days.
        caar = float(np.mean(car))
        assert caar == pytest.approx(float(panel.aar_event()[mask].sum()), rel=1e-12)
        assert caar == pytest.approx(spec["car_mean"] * spec["number_of_days"], rel=REL)


def test_car_brown_warner_is_sum_of_daily_over_sqrt_days(covid: Covid, panel: EventPanel) -> None:
    aar_est = panel.aar_estimation()
    daily = [crude_dependence_t(panel.ar_event[:, d], aar_est, 1).value for d in range(5)]
    window = crude_dependence_t(panel.car(0, 4), panel.aar_estimation(), 5).value
    assert window == pytest.approx(sum(daily) / np.sqrt(5), rel=1e-12)


# --------------------------------------------------------------------------- variants
@pytest.mark.parametrize("variant", ["mean_adj", "mrkt_adj"])
def test_variant_tables(covid: Covid, variant: str) -> None:
    long = _read(f"variant_{variant}_abnormal_long.csv")
    ar_estimation, ar_event = _arrays(long, covid.securities, covid.returns.index)
    # Constant-mean / market-adjusted models: only sigma (n-1 SD) and the ARs matter here.
    panel = _estudy2_panel(covid, ar_estimation, ar_event)
    lengths = long.groupby("security")["estimation_length"].first().reindex(covid.securities)
    np.testing.assert_array_equal(lengths.to_numpy(), covid.estimation_length)
    parametric = _read(f"variant_{variant}_parametric_tests.csv")
    np.testing.assert_allclose(panel.aar_event(), parametric["mean"], rtol=1e-12)
    for name in ("bw_1980", "bw_1985", "t_test"):
        for day, row in parametric.iterrows():
            got = _daily_parametric(panel, covid, name, int(day), sim=False)
            assert got.value == pytest.approx(row[f"{name}_stat"], rel=REL)
    nonparametric = _read(f"variant_{variant}_nonparametric_tests.csv")
    for name in NONPARAMETRIC:
        _check_nonparametric(panel, nonparametric, name)


# --------------------------------------------------------------------------- our conventions
def test_event_t_matches_statsmodels_prediction(covid: Covid) -> None:
    """Per-event AR and CAR t equal statsmodels' prediction-error t (CLM 1997, ch. 4)."""
    sm = pytest.importorskip("statsmodels.api")
    panel = _textbook_panel(covid)
    ar_t = event_ar_tests(panel)
    car_t = event_car_tests(panel, 0, 4)
    estimation = covid.returns.index <= ESTIMATION_END
    market = covid.returns[INDEX].to_numpy()[estimation]
    for i, name in enumerate(covid.securities):
        y = covid.returns[name].to_numpy()[estimation]
        use = np.isfinite(y)
        fit = sm.OLS(y[use], sm.add_constant(market[use])).fit()
        x_event = sm.add_constant(covid.market_event, has_constant="add")
        se_obs = fit.get_prediction(x_event).se_obs
        np.testing.assert_allclose(ar_t.value[i], covid.ar_event[i] / se_obs, rtol=1e-10)
        s = x_event.sum(axis=0)
        var_car = 5 * fit.scale + s @ fit.cov_params() @ s
        expected = covid.ar_event[i].sum() / np.sqrt(var_car)
        assert car_t.value[i] == pytest.approx(expected, rel=1e-10)
        assert car_t.dof[i] == fit.df_resid
        p_expected = 2 * stats.t.sf(abs(expected), fit.df_resid)
        assert car_t.p[i] == pytest.approx(p_expected, rel=1e-10)


def test_textbook_battery_close_to_estudy2(covid: Covid, panel: EventPanel) -> None:
    """Our defaults differ from estudy2's conventions only by small, explained amounts."""
    ours = {r.statistic: r for r in run_battery(_textbook_panel(covid), 3, 3, bootstrap_draws=99)}
    table = _read("parametric_tests.csv").iloc[3]
    # Same statistic, same inputs: identical.
    assert ours["cross_sectional_t"].value == pytest.approx(table["t_test_stat"], rel=1e-12)
    assert ours["crude_dependence_t"].value == pytest.approx(table["bw_1985_stat"], rel=1e-12)
    # sigma with M-2 instead of n-1 (factor sqrt((M-2)/(M-1)) ~ 0.998) and each firm's own
    # index mean: Patell and BMP move by well under 1%.
    assert ours["patell_z"].value == pytest.approx(table["pt_stat"], rel=5e-3)
    assert ours["bmp_t"].value == pytest.approx(table["bh_stat"], rel=5e-3)
    assert ours["patell_z"].value != pytest.approx(table["pt_stat"], rel=1e-6)
    nonparametric = _read("nonparametric_tests.csv").iloc[3]
    assert ours["sign_z"].value == pytest.approx(nonparametric["sign_stat"], rel=1e-12)
    # Firm-average p-hat (Cowan 1992) vs pooled p-hat (estudy2): within 0.1%.
    assert ours["generalized_sign_z"].value == pytest.approx(nonparametric["gsign_stat"], rel=1e-3)
    assert ours["wilcoxon_w"].value == nonparametric["wlcx_stat"]
