"""The documented schema of the exported tables: each column's type, unit and meaning.

The same description is stored in every exported parquet file's schema metadata under the key
:data:`SCHEMA_KEY` (JSON, see :func:`schema_json`) and printed in the README. Units:

===============  ==============================================================
``text``         free text or an identifier
``date``         calendar date (stored as a timestamp at midnight, no time zone)
``days``         trading days (relative days τ, or counts of sessions)
``count``        a number of observations
``fraction``     a return as a decimal fraction: 0.01 is 1%
``fraction/day`` a daily rate as a decimal fraction (intercepts, residual s.d.)
``ratio``        a dimensionless coefficient (β)
``t``            a Student-t statistic
``probability``  a p-value in [0, 1]
``usd``          US dollars (not thousands, not millions)
``usd/usd``      US dollars per US dollar
``shares``       a number of shares
``json``         a JSON object as text
``bool``         true or false
``log``          a natural logarithm (of shares traded or of percent turnover)
===============  ==============================================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa

SCHEMA_KEY = "eventstudy.schema"


@dataclass(frozen=True)
class ColumnDoc:
    """Unit and meaning of one exported column."""

    unit: str
    description: str


_IDS = {
    "event_id": ColumnDoc("text", "announcement identifier from the events file"),
    "ticker": ColumnDoc("text", "listed party's symbol"),
    "role": ColumnDoc("text", "party's role in the deal; `peer` for ecosystem peers added with --peers"),
}

AR_SCHEMA: dict[str, ColumnDoc] = {
    **_IDS,
    "date": ColumnDoc("date", "trading day of relative day tau (missing past the data)"),
    "tau": ColumnDoc("days", "trading days relative to day 0"),
    "ret": ColumnDoc(
        "fraction",
        "return of the ticker from the previous session (Adj Close): simple, or log with returns = log",
    ),
    "market_ret": ColumnDoc("fraction", "return of the market proxy: simple, or log with returns = log"),
    "expected_ret": ColumnDoc("fraction", "expected return from the estimated model"),
    "ar": ColumnDoc(
        "fraction",
        "abnormal return: ret - expected_ret; missing for the market proxy listed as a party "
        "(outcome market_proxy, 0 by construction)",
    ),
    "car": ColumnDoc("fraction", "cumulative abnormal return from the first day of the event span to tau"),
    "car_se": ColumnDoc(
        "fraction",
        "standard error of car: sqrt(sigma^2 (L + s'(X'X)^-1 s)) over [span start, tau] "
        "(Campbell, Lo & MacKinlay 1997; W W' in place of (X'X)^-1 for a linear estimator W y other than "
        "OLS: Scholes-Williams); blank where car is",
    ),
    "ar_se": ColumnDoc(
        "fraction",
        "standard error of ar alone: sqrt(sigma^2 (1 + x'(X'X)^-1 x)) (Campbell, Lo & MacKinlay 1997; "
        "W W' in place of (X'X)^-1 for Scholes-Williams, as in car_se); blank where ar is",
    ),
    "ar_t": ColumnDoc("t", "ar / ar_se, Student-t with M-k degrees of freedom"),
    "ar_p": ColumnDoc("probability", "two-sided p-value of ar_t"),
    "ar_lower": ColumnDoc("fraction", "lower bound of the 95% interval of ar: ar - t(0.975, M-k) ar_se"),
    "ar_upper": ColumnDoc("fraction", "upper bound of the 95% interval of ar: ar + t(0.975, M-k) ar_se"),
    "car_lower": ColumnDoc("fraction", "lower bound of the 95% interval of car: car - t(0.975, M-k) car_se"),
    "car_upper": ColumnDoc("fraction", "upper bound of the 95% interval of car: car + t(0.975, M-k) car_se"),
}

CAR_SCHEMA: dict[str, ColumnDoc] = {
    **_IDS,
    "group": ColumnDoc("text", "aggregation label from the events file"),
    "window": ColumnDoc("text", "event window label, e.g. [-1,+1]"),
    "tau_start": ColumnDoc("days", "first relative day of the window"),
    "tau_end": ColumnDoc("days", "last relative day of the window"),
    "day0": ColumnDoc(
        "date",
        "day 0: the first session the announcement could move prices (day0_rule previous: the last "
        "session before an announcement dated on a weekend or holiday)",
    ),
    "day0_shift": ColumnDoc("text", "why day 0 differs from the announcement date (empty if it does not)"),
    "n_est": ColumnDoc("count", "valid returns in the estimation window (M)"),
    "alpha": ColumnDoc("fraction/day", "estimated intercept (or mean return)"),
    "beta": ColumnDoc("ratio", "estimated market beta"),
    "sigma": ColumnDoc("fraction/day", "residual standard deviation, SSR/(M-k) under the root"),
    "car": ColumnDoc("fraction", "cumulative abnormal return over the window"),
    "car_se": ColumnDoc("fraction", "prediction-error-corrected standard error of car (CLM 1997)"),
    "t": ColumnDoc("t", "car / car_se, Student-t with M-k degrees of freedom"),
    "p": ColumnDoc("probability", "two-sided p-value of t"),
    "mcap_prev_usd": ColumnDoc("usd", "market value on the session before the window's first day"),
    "shares_as_of": ColumnDoc("date", "as-of date of the share count used for that market value"),
    "abnormal_value_usd": ColumnDoc(
        "usd", "sum over the window of AR x market value of the previous session"
    ),
    "deal_usd": ColumnDoc("usd", "disclosed deal size (missing where undisclosed)"),
    "value_to_deal": ColumnDoc("usd/usd", "abnormal_value_usd / deal_usd"),
    "outcome": ColumnDoc("text", "ok, or why the row could not be estimated"),
    "note": ColumnDoc("text", "caveats attached to the row, separated by '; '"),
    "shares_outstanding": ColumnDoc("shares", "share count used for the market value"),
    "shares_filing": ColumnDoc("text", "the filing or source of that share count"),
    "dollar_sd_basis": ColumnDoc(
        "text",
        "s.d. of abnormal_value_usd in the dollar test: estimation_dollar_residuals (Saha & Ferrell "
        "2011: the estimation window's dollar residuals, market value on every day) or sigma_x_mcap_prev "
        "(sigma x market value of the previous session, when the estimation window lacks market "
        "values); empty without a dollar value",
    ),
    "model": ColumnDoc("text", "expected-return model name"),
    "params": ColumnDoc("json", "JSON object of every fitted parameter by name (null where not estimable)"),
    "overlap": ColumnDoc(
        "text",
        "other events of the same ticker inside the estimation window or overlapping the event span (the "
        "earliest window start to the latest window end, on every window's row)",
    ),
    "confounders": ColumnDoc(
        "text",
        "other news inside the window, '; '-separated, each with its day relative to day 0: earnings "
        "releases "
        "whose reaction session falls in it, other events of the ticker whose day 0 does, news-file lines "
        "(at most 5 named, then a count); empty when none",
    ),
    "confounded": ColumnDoc(
        "bool",
        "the window holds other news (confounders is not empty); null when it holds none the study knows of "
        "but a date of it is more than 60 days from every release in the ticker's earnings calendar (or the "
        "ticker has none, in a study with earnings dates): not screened for earnings; False for a row "
        "without a day 0 (no window, no CAR)",
    ),
    "dominant_tau": ColumnDoc(
        "days",
        "a day other than day 0 that carries the window's CAR (|AR t| >= dominant_day_t, AR/CAR >= "
        "dominant_day_share, |AR| > |AR(0)|); missing when none",
    ),
    "dominant_date": ColumnDoc("date", "the trading day of dominant_tau; missing when none"),
}

EVENTS_SCHEMA: dict[str, ColumnDoc] = {
    **_IDS,
    "announced": ColumnDoc("date", "announcement date (US/Eastern)"),
    "timing": ColumnDoc("text", "pre, intraday, post or unknown, relative to the session"),
    "deal_usd": CAR_SCHEMA["deal_usd"],
    "group": CAR_SCHEMA["group"],
    "headline": ColumnDoc("text", "free text from the events file"),
}

STATS_SCHEMA: dict[str, ColumnDoc] = {
    "group": ColumnDoc(
        "text",
        "group label of the events file, `all` (every listed party) or `peers`; `<group> (unconfounded)`: "
        "the same rows without the windows that hold other news",
    ),
    "window": CAR_SCHEMA["window"],
    "statistic": ColumnDoc("text", "statistic name (see eventstudy.inference.STATISTICS)"),
    "value": ColumnDoc("varies", "the statistic: fraction for caar, usd for dollar values, else unitless"),
    "p": ColumnDoc("probability", "p-value, two-sided by default (NaN for descriptive rows)"),
    "n": ColumnDoc(
        "count",
        "(event, party) pairs used; events for the value-per-deal rows; the rows counted for the "
        "*_rows statistics",
    ),
    "reference": ColumnDoc(
        "text",
        "the published formula the statistic implements and, for totals and counts, the rows it covers",
    ),
    "p_bh": ColumnDoc(
        "probability",
        "p adjusted by Benjamini & Hochberg (1995) over the family of the statistic in its group: its "
        "windows (manifest p_family; each test once: caar and dollar_abnormal_value repeat "
        "cross_sectional_t's and kp_adjusted_dollar_t's p and take their adjusted p); NaN for descriptive "
        "rows",
    ),
    "p_holm": ColumnDoc(
        "probability",
        "p adjusted by Holm (1979) over the same family (family-wise error rate under any dependence)",
    ),
}

CAAR_SCHEMA: dict[str, ColumnDoc] = {
    "group": ColumnDoc("text", "group label of the events file, `all` (every listed party) or `peers`"),
    "tau": ColumnDoc("days", "trading days relative to day 0"),
    "caar": ColumnDoc("fraction", "mean over the group's pairs of the CAR from the span's first day to tau"),
    "lower": ColumnDoc(
        "fraction",
        "lower bound of the pointwise bootstrap band ((event, party) pairs resampled): with the manifest's "
        "caar_band expanded_percentile Hesterberg's (2015) expanded percentile band, null with fewer "
        "pairs than such a band needs (6 at 95%); without it the plain percentile band",
    ),
    "upper": ColumnDoc("fraction", "upper bound of that band"),
    "n": ColumnDoc("count", "pairs with a complete path over the span"),
    "draws": ColumnDoc("count", "bootstrap resamples B (numpy default_rng, seed 0)"),
    "level": ColumnDoc(
        "probability", "nominal coverage of every band of the row (the Wilcoxon interval's exact one: "
        "wilcoxon_coverage)"
    ),
    "classic_lower": ColumnDoc(
        "fraction",
        "lower bound of the t interval of the mean CAR: caar - t(1-(1-level)/2, n-1) s/sqrt(n) over the same "
        "paths (R eventstudies' inference.classic); NaN with n < 2 or s = 0",
    ),
    "classic_upper": ColumnDoc("fraction", "upper bound of that t interval"),
    "median": ColumnDoc(
        "fraction", "median over the group's pairs of the CAR from the span's first day to tau"
    ),
    "wilcoxon_lower": ColumnDoc(
        "fraction",
        "lower bound of the Wilcoxon signed-rank (Walsh-average) interval of the centre at coverage >= level "
        "(R eventstudies' inference.wilcox uses coverage >= 0.975 under 2.5%/97.5% labels); the range of "
        "the values when too few pairs reach the level (its coverage: wilcoxon_coverage)",
    ),
    "wilcoxon_upper": ColumnDoc("fraction", "upper bound of that Wilcoxon interval"),
    "wilcoxon_coverage": ColumnDoc(
        "probability",
        "exact coverage 1 - 2 P(W+ <= d) of that interval: at least level, except the range of 5 or "
        "fewer pairs (1 - 2^(1-n): 0.9375 for 5, 0.5 for 2), which does not reach 0.95",
    ),
}

CROSSSECTION_SCHEMA: dict[str, ColumnDoc] = {
    "regression": ColumnDoc("text", "name of the [[crosssection]] table"),
    "formula": ColumnDoc("text", "the patsy formula, dependent ~ regressors, over car.parquet's columns"),
    "window": CAR_SCHEMA["window"],
    "sample": ColumnDoc("text", "parties (listed parties), peers, or all rows"),
    "weights": ColumnDoc(
        "text",
        "none (OLS) or patell (WLS, weight 1/se^2 of the dependent variable: car_se, car_se x "
        "mcap_prev_usd, or that / deal_usd)",
    ),
    "term": ColumnDoc(
        "text", "regressor (patsy's column name, e.g. Intercept, np.log(deal_usd), C(role)[T.x])"
    ),
    "cov_type": ColumnDoc(
        "text",
        "standard error: nonrobust, HC1 (White's 1980 HC0 x n/(n-k), MacKinnon & White 1985), HC3 "
        "(MacKinnon & White 1985), cluster (CRV1 by the table's cluster column, G/(G-1)(n-1)/(n-k)), or "
        "CR2 (Bell & McCaffrey 2002 by the same clusters, with each term's Satterthwaite degrees of "
        "freedom: Imbens & Kolesar 2016)",
    ),
    "coef": ColumnDoc(
        "varies", "estimated coefficient, in units of the dependent variable per regressor unit"
    ),
    "se": ColumnDoc(
        "varies",
        "standard error of coef under cov_type (NaN where it is not defined: HC3 of a term that "
        "rows of leverage 1 determine; the note says why)",
    ),
    "t": ColumnDoc("t", "coef / se"),
    "p": ColumnDoc("probability", "two-sided p-value, Student-t with df degrees of freedom"),
    "df": ColumnDoc(
        "count",
        "degrees of freedom: n - k, clusters - 1 for cov_type cluster, Bell & McCaffrey's (not a whole "
        "number) for CR2",
    ),
    "n": ColumnDoc("count", "rows used (outcome ok, every variable present)"),
    "n_dropped": ColumnDoc("count", "rows of the window and sample left out for a missing variable or s.e."),
    "clusters": ColumnDoc("count", "clusters of cov_type cluster (0 for the other rows)"),
    "r_squared": ColumnDoc(
        "ratio",
        "R-squared of the regression (statsmodels' rsquared): 1 - RSS/TSS about the mean when the design "
        "holds a constant (an intercept, or categories that span one), uncentred 1 - RSS/sum(y^2) when it "
        "does not (as R's lm and Stata; the note says so); with weights, that of the weighted data, not "
        "the unweighted fit's",
    ),
    "note": ColumnDoc(
        "text",
        "why a regression or standard error could not be estimated, or that rows of leverage 1 determine "
        "the term (their own errors are not in its s.e.); empty otherwise",
    ),
}

GARCH_SCHEMA: dict[str, ColumnDoc] = {
    **_IDS,
    "tau": AR_SCHEMA["tau"],
    "date": AR_SCHEMA["date"],
    "ar": AR_SCHEMA["ar"],
    "cond_sd": ColumnDoc(
        "fraction/day",
        "conditional s.d. sqrt(h) of the day's abnormal return: the variance model fitted to the estimation "
        "residuals, filtered through the residuals up to the day before (Savickas 2003)",
    ),
    "sar": ColumnDoc("ratio", "ar / cond_sd, the GARCH-standardised abnormal return"),
    "variance_model": ColumnDoc(
        "text",
        "garch (Bollerslev 1986), gjr (Glosten, Jagannathan & Runkle 1993) or egarch (Nelson 1991), "
        "fitted with arch",
    ),
    "omega": ColumnDoc(
        "varies", "constant of the variance equation (percent returns squared; log for egarch)"
    ),
    "alpha": ColumnDoc("ratio", "ARCH coefficient (egarch: on |z| - sqrt(2/pi))"),
    "gamma": ColumnDoc(
        "ratio", "asymmetry coefficient (gjr: on negative shocks; egarch: on z); NaN for garch"
    ),
    "beta": ColumnDoc("ratio", "GARCH coefficient (egarch: on log h)"),
    "persistence": ColumnDoc("ratio", "alpha + beta (garch), alpha + gamma/2 + beta (gjr), beta (egarch)"),
    "note": ColumnDoc(
        "text",
        "why the pair has no GARCH fit (empty when it has one); a fit at the stationarity bound "
        "(persistence 1) keeps its parameters, without cond_sd",
    ),
}

VOLUME_SCHEMA: dict[str, ColumnDoc] = {
    **_IDS,
    "group": CAR_SCHEMA["group"],
    "tau": AR_SCHEMA["tau"],
    "date": AR_SCHEMA["date"],
    "volume": ColumnDoc(
        "shares",
        "shares traded that day as cached (Yahoo's Volume; a 0 is missing to the model: missing_volume)",
    ),
    "log_volume": ColumnDoc(
        "log",
        'the volume measure V: ln(1 + volume) (volume = "log_volume") or ln(100 volume / shares '
        'outstanding + 0.000255) ("log_turnover", Campbell & Wasley 1996)',
    ),
    "market_log_volume": ColumnDoc("log", "ln(1 + the market proxy's volume), the volume model's regressor"),
    "expected_log_volume": ColumnDoc(
        "log", "alpha + beta x market_log_volume, OLS over the estimation window"
    ),
    "abnormal_volume": ColumnDoc("log", "log_volume - expected_log_volume (Campbell & Wasley 1996)"),
    "cumulative_abnormal_volume": ColumnDoc("log", "sum of abnormal_volume from the span's first day to tau"),
    "abnormal_volume_se": ColumnDoc(
        "log", "prediction-error s.e. of abnormal_volume: sigma sqrt(1 + x'(X'X)^-1 x) of the volume model"
    ),
    "n_est": ColumnDoc(
        "count",
        "estimation days of the volume model: the return model's days with both volumes above 0 (and, for "
        "log_turnover, a share count), fewer than car.parquet's n_est where they lack one",
    ),
    "outcome": ColumnDoc(
        "text",
        "ok, the return study's day-0 or market-proxy outcome, or its insufficient_estimation or "
        "singular_estimation (the volume model shares the return model's estimation days), no_volume "
        "(the ticker or the market is a returns series without volume, or an index whose volume is "
        "never above 0), no_share_counts (log_turnover: too few days with both volumes have a share "
        "count, none before a change of the counts they cannot tell from a split), or the volume "
        "model's own insufficient_estimation, singular_estimation or degenerate_estimation (e.g. a "
        "constant volume); "
        "missing_volume on a day of a pair with a volume model whose abnormal volume is missing (the "
        "ticker's or the market's volume is missing or 0 that day, or its share count, or the day is "
        "past the data: a window holding the day has no CAV)",
    ),
    "note": ColumnDoc(
        "text",
        "log_turnover: the config's [[shares.caveats]] notes ('shares caveat: ...', separated by '; ') "
        "of the share counts the row's turnover divides by (every day of a pair whose volume model "
        "used a day on or after the caveat's start, else the days from it on); empty otherwise",
    ),
}

VOLUME_STATS_SCHEMA: dict[str, ColumnDoc] = {
    **STATS_SCHEMA,
    "statistic": ColumnDoc(
        "text",
        "a statistic of the battery computed on the abnormal log volumes (caar: mean cumulative abnormal "
        "log volume; see eventstudy.volume.VOLUME_STATISTICS), or a count of excluded rows",
    ),
    "value": ColumnDoc("varies", "the statistic: log volume for caar, else unitless"),
    "n": ColumnDoc("count", "(event, party) pairs used; the rows counted for the *_rows statistics"),
    "p_bh": ColumnDoc(
        "probability",
        "p adjusted by Benjamini & Hochberg (1995) over the family of the statistic in its group: its "
        "windows (manifest p_family; each test once: caar repeats cross_sectional_t's p and takes its "
        "adjusted p); NaN for descriptive rows",
    ),
}

CALENDAR_TIME_SCHEMA: dict[str, ColumnDoc] = {
    "holding_days": ColumnDoc(
        "days", "holding period k of the backtest: each trade held on sessions d+1..d+k"
    ),
    "frequency": ColumnDoc("text", "daily, or monthly (days with a position compounded per calendar month)"),
    "model": ColumnDoc(
        "text", "capm (Mkt-RF), ff3 (+ SMB, HML; Fama & French 1993) or carhart4 (+ Mom; Carhart 1997)"
    ),
    "term": ColumnDoc("text", "alpha (the calendar-time abnormal return per period) or a factor loading"),
    "cov_type": ColumnDoc(
        "text", "nonrobust (OLS) or HC1 (White's 1980 HC0 x n/(n-k), MacKinnon & White 1985)"
    ),
    "coef": ColumnDoc(
        "varies",
        "estimate: alpha in fraction per day (per month), loadings as ratios; portfolio excess return = "
        "weighted sum of side x (R - RF) of the open positions, gross of costs (Jaffe 1974; Mandelker "
        "1974; Fama 1998; Mitchell & Stafford 2000)",
    ),
    "se": ColumnDoc("varies", "standard error of coef under cov_type"),
    "t": ColumnDoc("t", "coef / se, Student-t with n_periods - k d.o.f."),
    "p": ColumnDoc("probability", "two-sided p-value of t"),
    "n_periods": ColumnDoc("count", "days (months) with a position and every factor value"),
    "mean_positions": ColumnDoc("count", "mean number of open positions over the days used"),
    "r_squared": ColumnDoc("ratio", "R-squared of the regression"),
}

_HOLDING = ColumnDoc("days", "holding period k of the backtest: each trade held on sessions d+1..d+k")

TRADES_SCHEMA: dict[str, ColumnDoc] = {
    "holding_days": _HOLDING,
    **_IDS,
    "group": ColumnDoc("text", "group of the announcement from the events file"),
    "side": ColumnDoc("text", "long or short, from the party's role and the rule's positions"),
    "day0": ColumnDoc("date", "event day 0 of the trade (the study's rule; never before the announcement)"),
    "entry": ColumnDoc("text", "close (at Close of day 0) or open (at Open of day +1)"),
    "entry_date": ColumnDoc("date", "session of the entry"),
    "entry_price": ColumnDoc(
        "usd",
        "Close of day 0 or Open of day +1 (Yahoo's unadjusted price; ret is from Adj Close, so "
        "exit_price / entry_price - 1 differs from it by the dividends in between)",
    ),
    "exit_date": ColumnDoc("date", "session of the exit, day +k (NaT when the trade was not made)"),
    "exit_price": ColumnDoc("usd", "Close of day +k (unadjusted, as entry_price)"),
    "ret": ColumnDoc("fraction", "buy-and-hold total return from Adj Close, entry to exit (unsigned)"),
    "market_ret": ColumnDoc("fraction", "the benchmark's buy-and-hold return over the same interval"),
    "benchmark": ColumnDoc("text", "the trade's market benchmark (the events row's market, or the study's)"),
    "bhar": ColumnDoc("fraction", "ret - market_ret (Barber & Lyon 1997), unsigned, before costs"),
    "cost": ColumnDoc("fraction", "2c: cost_bps per side on the entry notional, both sides"),
    "net_ret": ColumnDoc("fraction", "side x ret - cost (side +1 long, -1 short)"),
    "net_abnormal_ret": ColumnDoc("fraction", "side x bhar - cost"),
    "mcap_prev_usd": ColumnDoc(
        "usd", "market value at the close before the entry session (Close x the share count dated then)"
    ),
    "weight_basis": ColumnDoc("varies", "the trade's weight basis in the curve: 1 (equal) or mcap_prev_usd"),
    "outcome": ColumnDoc(
        "text", "ok, or why no k-day return (e.g. exit_after_data, price_gap, market_proxy, no_entry_price)"
    ),
    "note": ColumnDoc("text", "why the outcome, and notes on the weight's share count"),
}

CURVE_SCHEMA: dict[str, ColumnDoc] = {
    "holding_days": _HOLDING,
    "date": ColumnDoc("date", "session of the curve"),
    "n_open": ColumnDoc("count", "positions held on the session"),
    "strategy_ret": ColumnDoc(
        "fraction", "the portfolio's return of the session, net of costs (0 with no position: cash)"
    ),
    "strategy_equity": ColumnDoc("ratio", "value of 1 invested at the start, compounded (0 once ruined)"),
    "strategy_drawdown": ColumnDoc("fraction", "strategy_equity / its running maximum - 1"),
    "market_ret": ColumnDoc("fraction", "the market proxy's return of the session"),
    "market_equity": ColumnDoc("ratio", "the market proxy bought and held from the close of the first day 0"),
    "market_drawdown": ColumnDoc("fraction", "market_equity / its running maximum - 1"),
}

DRIFT_SCHEMA: dict[str, ColumnDoc] = {
    "group": ColumnDoc("text", "group of the events, or all"),
    "k": ColumnDoc("days", "horizon: BHAR over sessions +1..+k, bought at the close of day 0"),
    "window": ColumnDoc("text", "[+1,+k]"),
    "n": ColumnDoc("count", "(event, party) rows with a BHAR (each row one observation)"),
    "n_days": ColumnDoc(
        "count",
        "distinct sessions those rows are bought at (day 0 of the trade, :func:`trade_days_zero`)",
    ),
    "mean_bhar": ColumnDoc("fraction", "mean buy-and-hold abnormal return (Barber & Lyon 1997)"),
    "median_bhar": ColumnDoc("fraction", "median BHAR"),
    "sd": ColumnDoc("fraction", "sample standard deviation of the BHARs (n - 1)"),
    "skewness": ColumnDoc("ratio", "skewness of the BHARs as Lyon, Barber & Tsai (1999) estimate it"),
    "t": ColumnDoc("t", "mean_bhar / (sd / sqrt(n)), Student-t with n - 1 d.o.f."),
    "p": ColumnDoc("probability", "two-sided p-value of t"),
    "t_sa": ColumnDoc(
        "t",
        "skewness-adjusted t (Lyon, Barber & Tsai 1999); NaN where skewness x S <= -1.5, where it "
        "decreases in the mean and takes the opposite sign",
    ),
    "p_sa": ColumnDoc("probability", "two-sided p-value of t_sa, Student-t with n - 1 d.o.f."),
    "p_boot": ColumnDoc(
        "probability", "two-sided p-value of t_sa from a seeded bootstrap (Lyon, Barber & Tsai 1999)"
    ),
    "n_clusters": ColumnDoc(
        "count",
        "chains of those rows that share a day of returns: rows bought at one session, chained with every "
        "row whose [+1,+k] overlaps one of theirs, are one cluster; with one, every test is NaN (rows "
        "that share their days share those days' news)",
    ),
    "t_cluster": ColumnDoc(
        "t",
        "mean_bhar / its CRV1 s.e. clustered by those chains (Cameron, Gelbach & Miller 2011): rows of "
        "one cluster may be correlated in any way; over-rejects with few clusters; NaN with one",
    ),
    "p_cluster": ColumnDoc(
        "probability", "two-sided p-value of t_cluster, Student-t with n_clusters - 1 d.o.f."
    ),
    "share_positive": ColumnDoc("fraction", "share of BHARs above 0"),
}

SCHEMAS: dict[str, dict[str, ColumnDoc]] = {
    "ar.parquet": AR_SCHEMA,
    "car.parquet": CAR_SCHEMA,
    "events.parquet": EVENTS_SCHEMA,
    "stats.parquet": STATS_SCHEMA,
    "caar.parquet": CAAR_SCHEMA,
    "crosssection.parquet": CROSSSECTION_SCHEMA,
    "garch.parquet": GARCH_SCHEMA,
    "volume.parquet": VOLUME_SCHEMA,
    "volume_stats.parquet": VOLUME_STATS_SCHEMA,
    "trades.parquet": TRADES_SCHEMA,
    "backtest.parquet": CURVE_SCHEMA,
    "drift.parquet": DRIFT_SCHEMA,
    "calendar_time.parquet": CALENDAR_TIME_SCHEMA,
}


def describe_table(table: pa.Table, docs: Mapping[str, ColumnDoc]) -> list[dict[str, str]]:
    """One record per column of ``table``: name, arrow type, unit and description.

    Columns missing from ``docs`` are listed with unit and description ``"undocumented"`` so
    the metadata never omits a column (the test suite checks that none is undocumented).
    """
    undocumented = ColumnDoc("undocumented", "undocumented")
    return [
        {
            "name": f.name,
            "type": str(f.type),
            "unit": docs.get(f.name, undocumented).unit,
            "description": docs.get(f.name, undocumented).description,
        }
        for f in table.schema
    ]


def schema_json(table: pa.Table, docs: Mapping[str, ColumnDoc]) -> str:
    """The JSON stored under :data:`SCHEMA_KEY`: ``{"columns": [...]}`` (keys sorted)."""
    return json.dumps({"columns": describe_table(table, docs)}, sort_keys=True, ensure_ascii=False)


def read_schema_units(metadata: Mapping[bytes, bytes] | None) -> dict[str, str]:
    """Column name -> unit from a parquet file's schema metadata (empty when absent)."""
    raw = (metadata or {}).get(SCHEMA_KEY.encode("utf-8"))
    if not raw:
        return {}
    return {c["name"]: c["unit"] for c in json.loads(raw)["columns"]}
