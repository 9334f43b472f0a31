"""The backtest's aggregate tables, computed from its output frames alone.

* :func:`summary_table` -- one row per holding period from ``trades.parquet`` and
  ``backtest.parquet``;
* :func:`drift_table` -- the post-announcement drift, mean BHAR[+1,+k] per group, from the
  per-(event, party) BHARs.

Both only aggregate; the formulas are in :mod:`eventstudy.backtest.statistics`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import numpy as np
import pandas as pd

from eventstudy.backtest.statistics import (
    MeanInference,
    annualised_sharpe,
    compound,
    exposure_matched_returns,
    hit_rate,
    max_drawdown,
    mean_inference,
    overlap_clustered_mean,
)
from eventstudy.columns import MARKET_PROXY_OUTCOME
from eventstudy.text import listing

ALL_GROUPS = "all"
SUMMARY_COLUMNS: tuple[str, ...] = (
    "holding_days",
    "n_trades",
    "n_long",
    "n_short",
    "n_not_traded",
    "mean_ret",
    "mean_net_ret",
    "mean_bhar",
    "mean_net_abnormal_ret",
    "n_sessions",
    "sd",
    "skewness",
    "t",
    "p",
    "t_sa",
    "p_sa",
    "p_boot",
    "n_clusters",
    "t_cluster",
    "p_cluster",
    "hit_rate",
    "share_beating_market",
    "sharpe",
    "market_sharpe",
    "max_drawdown",
    "market_max_drawdown",
    "total_return",
    "market_total_return",
    "share_days_invested",
    "matched_market_sharpe",
    "matched_market_max_drawdown",
    "matched_market_total_return",
    "start",
    "end",
)
DRIFT_COLUMNS: tuple[str, ...] = (
    "group",
    "k",
    "window",
    "n",
    "n_days",
    "mean_bhar",
    "median_bhar",
    "sd",
    "skewness",
    "t",
    "p",
    "t_sa",
    "p_sa",
    "p_boot",
    "n_clusters",
    "t_cluster",
    "p_cluster",
    "share_positive",
)


def summary_table(
    trades: pd.DataFrame, curve: pd.DataFrame, *, draws: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """Per holding period: trade statistics and the equity curve's risk and return.

    Columns
    -------
    n_trades, n_long, n_short, n_not_traded
        Trades with outcome ``ok`` (by side), and planned trades that could not be made (a party
        that is its own benchmark, outcome ``market_proxy``, is never planned: its BHAR is 0).
    mean_ret, mean_bhar
        Mean raw return and BHAR of the traded stocks (unsigned, before costs).
    mean_net_ret, mean_net_abnormal_ret
        Mean of side x return - 2c and of side x BHAR - 2c.
    n_sessions
        Distinct sessions the trades are entered at.
    sd, skewness, t, p, t_sa, p_sa, p_boot
        Tests of a zero mean net abnormal return: conventional t, Lyon, Barber & Tsai (1999)
        skewness-adjusted t and its bootstrapped p (:func:`~.statistics.mean_inference`); NaN
        when the trades' holds form one cluster (:func:`_across_clusters`).
    n_clusters, t_cluster, p_cluster
        The chains of trades that share a day of returns (one session's, and those of sessions
        whose holds overlap), and the mean net abnormal return's t with a standard error clustered
        by them and its two-sided p (:func:`~.statistics.overlap_clustered_mean`).
    hit_rate, share_beating_market
        Fraction of trades with a positive net return / net abnormal return.
    sharpe, market_sharpe
        Annualised Sharpe ratio (252 days, zero risk-free rate) of the daily strategy and
        market returns over the curve's span (idle days count as zero-return days).
    max_drawdown, market_max_drawdown, total_return, market_total_return
        Of the equity curves.
    share_days_invested
        Share of the curve's sessions after its base on which the strategy holds a position (none
        after a ruin: :func:`~.statistics.compound`).
    matched_market_sharpe, matched_market_max_drawdown, matched_market_total_return
        The market held on those sessions only, in cash (earning 0) on the others
        (:func:`~.statistics.exposure_matched_returns`): the market with the strategy's exposure in
        time. The market held every day is invested on every session, an event-driven strategy on
        few; beside the matched market, the strategy's Sharpe, drawdown and total return compare
        like with like.
    start, end
        First (base) and last dates of the curve.
    """
    rows = []
    for k, group in trades.groupby("holding_days", sort=False):
        ok = group[group["outcome"] == "ok"]
        path = curve[curve["holding_days"] == k]
        sessions = ok["entry_date"].nunique()
        clustered = overlap_clustered_mean(
            ok["net_abnormal_ret"].to_numpy(float),
            ok["entry_date"].to_numpy(),
            ok["exit_date"].to_numpy(),
            entry_day_held=bool((ok["entry"] != "close").any()),  # bought at the open of entry_date
        )
        inference = mean_inference(ok["net_abnormal_ret"].to_numpy(float), draws=draws, seed=seed)
        inference = _across_clusters(inference, clustered.clusters)
        strategy_equity = path["strategy_equity"].to_numpy(float)
        market_equity = path["market_equity"].to_numpy(float)
        alive = np.concatenate([[True], strategy_equity[:-1] > 0.0])  # ruined: nothing left to hold
        holding = (path["n_open"].to_numpy(np.int64) > 0) & alive
        invested = holding[1:]  # the base row (the first close) earns nothing: not a session of the curve's
        matched_ret = exposure_matched_returns(path["market_ret"].to_numpy(float), holding)
        matched_equity, _ = compound(matched_ret)
        rows.append(
            {
                "holding_days": np.int64(cast(int, k)),  # pandas-stubs: a group key is any scalar
                "n_trades": np.int64(len(ok)),
                "n_long": np.int64((ok["side"] == "long").sum()),
                "n_short": np.int64((ok["side"] == "short").sum()),
                "n_not_traded": np.int64((group["outcome"] != MARKET_PROXY_OUTCOME).sum() - len(ok)),
                "mean_ret": _mean(ok["ret"]),
                "mean_net_ret": _mean(ok["net_ret"]),
                "mean_bhar": _mean(ok["bhar"]),
                "mean_net_abnormal_ret": inference.mean,
                "n_sessions": np.int64(sessions),
                "sd": inference.sd,
                "skewness": inference.skewness,
                "t": inference.t,
                "p": inference.p,
                "t_sa": inference.t_sa,
                "p_sa": inference.p_sa,
                "p_boot": inference.p_boot,
                "n_clusters": np.int64(sum(clustered.clusters)),
                "t_cluster": clustered.t,
                "p_cluster": clustered.p,
                "hit_rate": hit_rate(ok["net_ret"].to_numpy(float)),
                "share_beating_market": inference.share_positive,
                "sharpe": annualised_sharpe(path["strategy_ret"].to_numpy(float)),
                "market_sharpe": annualised_sharpe(path["market_ret"].to_numpy(float)),
                "max_drawdown": max_drawdown(strategy_equity),
                "market_max_drawdown": max_drawdown(market_equity),
                "total_return": strategy_equity[-1] - 1.0 if len(path) else np.nan,
                "market_total_return": market_equity[-1] - 1.0 if len(path) else np.nan,
                "share_days_invested": float(invested.mean()) if invested.size else np.nan,
                "matched_market_sharpe": annualised_sharpe(matched_ret),
                "matched_market_max_drawdown": max_drawdown(matched_equity),
                "matched_market_total_return": matched_equity[-1] - 1.0 if len(path) else np.nan,
                "start": path["date"].min(),
                "end": path["date"].max(),
            }
        )
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    frame["start"] = frame["start"].astype("datetime64[ns]")
    frame["end"] = frame["end"].astype("datetime64[ns]")
    return frame


def drift_table(observations: pd.DataFrame, *, draws: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Mean BHAR over [+1,+k] per group and over all (event, party) rows, with tests.

    Parameters
    ----------
    observations
        :func:`eventstudy.backtest.engine.post_announcement_bhar` (NaN BHARs are left out and
        ``n`` counts the rest).

    Every (event, party) row is one observation: two announcements of the same ticker whose
    windows overlap are counted as separate, and parties of one announcement share its
    market-wide news, so the tests' independence assumption is optimistic. ``n_days`` counts the
    sessions the rows are bought at (the day 0 of their trades,
    :func:`~eventstudy.backtest.engine.trade_days_zero`, the study's day 0 unless buying at its
    close could precede the news); ``t_cluster`` and ``p_cluster``
    (:func:`~.statistics.overlap_clustered_mean`) let the rows of one session, and chains of rows
    whose [+1,+k] overlap, be correlated in any way (``n_clusters`` chains). A group whose rows
    form one chain gets no test at all (:func:`_across_clusters`).
    """
    groups = [ALL_GROUPS, *dict.fromkeys(observations["group"])]
    rows = []
    for k in dict.fromkeys(observations["k"]):
        at_k = observations[observations["k"] == k]
        for name in groups:
            sample = at_k if name == ALL_GROUPS else at_k[at_k["group"] == name]
            days = sample.loc[np.isfinite(sample["bhar"].to_numpy(float)), "day0"].nunique()
            clustered = overlap_clustered_mean(
                sample["bhar"].to_numpy(float), sample["day0"].to_numpy(), sample["exit_date"].to_numpy()
            )
            result = mean_inference(sample["bhar"].to_numpy(float), draws=draws, seed=seed)
            result = _across_clusters(result, clustered.clusters)
            rows.append(
                {
                    "group": name,
                    "k": np.int64(k),
                    "window": f"[+1,+{k}]",
                    "n": np.int64(result.n),
                    "n_days": np.int64(days),
                    "mean_bhar": result.mean,
                    "median_bhar": result.median,
                    "sd": result.sd,
                    "skewness": result.skewness,
                    "t": result.t,
                    "p": result.p,
                    "t_sa": result.t_sa,
                    "p_sa": result.p_sa,
                    "p_boot": result.p_boot,
                    "n_clusters": np.int64(sum(clustered.clusters)),
                    "t_cluster": clustered.t,
                    "p_cluster": clustered.p,
                    "share_positive": result.share_positive,
                }
            )
    return pd.DataFrame(rows, columns=list(DRIFT_COLUMNS))


def _across_clusters(result: MeanInference, clusters: tuple[int, ...]) -> MeanInference:
    """``result``, or ``result`` without its tests (t, p, t_sa, p_sa, p_boot NaN) when its
    observations form fewer than two clusters (:func:`~.statistics.holding_clusters`): bought at
    one session, or at sessions whose holds chain by shared days, they are one cross-section over
    the same days, which the tests take for independent draws (a referee: the five parties of one
    shock day had a drift p of 0.031; the same five trades a t_sa p of 0.014; two sessions three
    days apart held 20 days rejected a true null 29% of the time at 5%). With two clusters or more
    the tests still take the observations for independent."""
    if sum(clusters) >= 2:
        return result
    return replace(result, t=np.nan, p=np.nan, t_sa=np.nan, p_sa=np.nan, p_boot=np.nan)


def _mean(values: pd.Series) -> float:
    array = values.to_numpy(float)
    return float(array.mean()) if array.size else float("nan")


def one_cluster_notes(summary: pd.DataFrame) -> tuple[str, ...]:
    """Why a holding period of :func:`summary_table` has no t or p: its trades form one cluster
    (:func:`_across_clusters`); said by backtest.md and the console alike."""
    alone = [str(k) for k in sorted(summary.loc[summary["n_clusters"] == 1, "holding_days"])]
    if not alone:
        return ()
    return (
        f"Holding {listing(alone)} days: the trades' holds form one cluster (bought at one session, or "
        "holding days chained by overlaps), so they share those days' news and are not independent "
        "observations: no t or p.",
    )


def no_trade_notes(summary: pd.DataFrame, trades: pd.DataFrame, curve: pd.DataFrame) -> tuple[str, ...]:
    """Why the summary has no trade (:func:`no_trade_reason`), or, when only some holding periods
    completed none, why those have none: their row showed a drawdown and total return of open
    positions without a word while another period had trades (a finder)."""
    if summary.empty or summary["n_trades"].sum() == 0:
        return (no_trade_reason(trades, curve),)
    reasons: dict[str, list[str]] = {}
    for k in summary.loc[summary["n_trades"] == 0, "holding_days"].tolist():
        mine = trades[trades["holding_days"] == k] if "holding_days" in trades else trades
        path = curve[curve["holding_days"] == k] if "holding_days" in curve else curve
        reason = no_trade_reason(mine, path)
        reasons.setdefault(reason[0].lower() + reason[1:], []).append(str(k))
    return tuple(f"Holding {listing(days)} days: {reason}" for reason, days in reasons.items())


def no_trade_reason(trades: pd.DataFrame, curve: pd.DataFrame) -> str:
    """Why the summary has no trade: the rule planned none, or none was completed. Positions
    entered but never sold (an exit past the data's end) still move the equity curve, so the
    summary's curve columns then say what they are (backtest.md said "no summary" above a row
    of a +29.8% total return)."""
    if trades.empty:
        return "The rule plans no trade (no (event, party) has a role it trades), so there is no summary."
    planned = trades[trades["outcome"] != MARKET_PROXY_OUTCOME] if "outcome" in trades else trades
    if planned.empty:  # a party that is its own benchmark is never planned (a finder's re-attack)
        return (
            "The rule plans no trade (each (event, party) it would trade is its own benchmark, whose BHAR "
            "is 0 by construction), so there is no summary."
        )
    held = "strategy_ret" in curve and bool((curve["strategy_ret"].fillna(0.0) != 0.0).any())
    if not held:  # the outcomes say why (a finder)
        counts = planned["outcome"].astype(str).value_counts(sort=False) if "outcome" in planned else None
        said = ", ".join(f"{name} {count}" for name, count in counts.items()) if counts is not None else ""
        return (
            f"No trade could be made (the planned trades' outcomes: {said or 'none'}; the trades table's "
            "notes say why), so there is no summary."
        )
    return (
        "No trade was completed (no planned trade has both an entry and an exit price in the data; see "
        "the trades table), so the trade statistics are empty; the Sharpe ratio, drawdown and total "
        "return below are those of positions entered and still open at the end of the data, before "
        "their exit costs."
    )
