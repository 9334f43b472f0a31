"""The backtest section of the report (markdown) and the equity-curve figure (a matplotlib Figure).

Both are rendered from the backtest's output frames alone (user text -- roles, groups, notes --
escaped with :func:`eventstudy.report.fmt.md`; empty tables replaced by a sentence saying why), so
:func:`render_backtest_markdown` can rebuild the section from an output folder
(``trades.parquet``, ``backtest.parquet``, ``drift.parquet``) for another report to include.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from eventstudy.backtest.engine import listed_benchmarks, other_benchmarks
from eventstudy.backtest.rules import BacktestConfig
from eventstudy.backtest.tables import no_trade_notes, one_cluster_notes, summary_table
from eventstudy.report import fmt

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METADATA_KEY = "eventstudy.backtest"
FIGURE_NAME = "figures/equity_curve.png"
FIGURE_SIZE_INCHES = (9.0, 4.8)


def plot_equity_curve(curve: pd.DataFrame, market: str = "SPY", *, title: str | None = None) -> Figure:
    """The equity curves of every holding period and of the market.

    Parameters
    ----------
    curve
        ``backtest.parquet``: ``holding_days``, ``date``, ``strategy_equity``, ``market_equity``.
    market
        The benchmark's symbol (legend).
    title
        Figure title (default: "Announcement strategy vs the market").

    Returns
    -------
    matplotlib.figure.Figure
        :data:`FIGURE_SIZE_INCHES`, the report's style (:func:`eventstudy.report.figures.style`);
        :func:`eventstudy.report.figures.png_bytes` turns it into the PNG file, byte for byte the
        same for the same curve. The market line is the one of the longest curve. Without any
        curve the figure says so in one sentence.
    """
    from eventstudy.report.figures import new_figure, style

    with style():
        figure = new_figure(*FIGURE_SIZE_INCHES)
        axes = figure.add_subplot(1, 1, 1)
        longest = None
        for k, path in curve.groupby("holding_days", sort=True):
            axes.step(
                path["date"],
                path["strategy_equity"],
                where="post",
                linewidth=1.1,
                label=f"strategy, hold {k}d",
            )
            if longest is None or len(path) > len(longest):
                longest = path
        if longest is not None:
            axes.plot(
                longest["date"],
                longest["market_equity"],
                color="black",
                linewidth=0.9,
                linestyle="--",
                label=f"{market} buy and hold",
            )
            axes.legend(loc="best", fontsize=7, frameon=False)
        if longest is None or not np.isfinite(curve["strategy_equity"].to_numpy(dtype=float)).any():
            axes.text(
                0.5,
                0.5,
                "No position was held, so there is no equity curve (the backtest's summary says why).",
                ha="center",
                va="center",
                transform=axes.transAxes,
                color="#555555",
                wrap=True,
            )
        axes.axhline(1.0, color="grey", linewidth=0.6)
        axes.set_ylabel("equity (start = 1)")
        axes.set_title(title or "Announcement strategy vs the market", fontsize=9)
        figure.autofmt_xdate()
        figure.tight_layout()
        return figure


def render_backtest_markdown(out_dir: str | Path, *, link_figure: bool = True, heading_level: int = 2) -> str:
    """The backtest section rendered from the files in ``out_dir`` alone.

    Reads ``trades.parquet``, ``backtest.parquet`` and ``drift.parquet`` (written by
    ``eventstudy backtest``); links ``figures/equity_curve.png`` when it exists and
    ``link_figure`` is true (pass False when the caller shows the figure itself).
    ``heading_level`` 2 starts the section with ``##``.

    Raises
    ------
    FileNotFoundError
        When one of the three files is missing (no backtest was run into ``out_dir``).
    """
    out_dir = Path(out_dir)
    trades = pd.read_parquet(out_dir / "trades.parquet")
    curve = pd.read_parquet(out_dir / "backtest.parquet")
    drift = pd.read_parquet(out_dir / "drift.parquet")
    metadata = read_backtest_metadata(out_dir)
    figure = FIGURE_NAME if link_figure and (out_dir / FIGURE_NAME).is_file() else None
    return render_backtest_section(trades, curve, drift, metadata, figure=figure, heading_level=heading_level)


def read_backtest_metadata(out_dir: Path) -> dict[str, Any]:
    """What ``trades.parquet`` of ``out_dir`` records about its backtest (:data:`METADATA_KEY`)."""
    # Absolute: pyarrow would expand a leading '~' of a folder the system takes literally.
    metadata = pq.read_schema((Path(out_dir) / "trades.parquet").absolute()).metadata or {}
    return dict(json.loads(metadata[METADATA_KEY.encode()]))


def render_backtest_section(
    trades: pd.DataFrame,
    curve: pd.DataFrame,
    drift: pd.DataFrame,
    metadata: Mapping[str, Any],
    *,
    figure: str | None = FIGURE_NAME,
    heading_level: int = 2,
) -> str:
    """Markdown of the backtest: rule, summary per holding period, figure, drift, trades, method.

    Parameters
    ----------
    trades, curve, drift
        The frames of ``trades.parquet``, ``backtest.parquet`` and ``drift.parquet``.
    metadata
        :meth:`eventstudy.backtest.engine.BacktestResults.metadata` (stored in ``trades.parquet``).
    figure
        Relative path of the equity-curve PNG to link, or None.
    heading_level
        Level of the section heading (2 gives ``##``).
    """
    rule = BacktestConfig.from_dict(metadata["rule"])
    market = str(metadata["market"])
    boot = metadata.get("bootstrap", {})
    h = "#" * heading_level
    traded = _benchmarks(market, other_benchmarks(trades, market))
    lines = [
        f"{h} Backtest: could anyone have traded these announcements?",
        "",
        f"Rule: {rule.describe(fmt.md)}. Benchmark: {traded} bought and held over the same days. "
        "Net abnormal return = side × BHAR − costs (both sides). Computed from `trades.parquet`, "
        "`backtest.parquet` and `drift.parquet`.",
        "",
        *_summary_lines(trades, curve, market, boot),
    ]
    if figure:
        lines += ["", f"![Equity curves of the strategy and of {fmt.md(market)}]({figure})"]
    drifted = _benchmarks(market, metadata.get("drift_benchmarks", other_benchmarks(trades, market)))
    lines += ["", f"{h}# Post-announcement drift", "", *_drift_lines(drift, drifted)]
    lines += ["", f"{h}# Trades", "", *_trade_lines(trades)]
    lines += ["", f"{h}# Backtest method", "", *_method(rule, market, boot, traded)]
    return "\n".join(lines) + "\n"


def _benchmarks(market: str, others: Mapping[str, int]) -> str:
    """``market``, and the other benchmarks that rows of events.csv name in their ``market``
    column, with how many (event, party) rows each (``others``)."""
    if not others:
        return fmt.md(market)
    listed = listed_benchmarks(others, fmt.md)
    return f"{fmt.md(market)}, or the row's own `market` in the events file ({listed})"


def _trades_cells(summary: pd.DataFrame) -> list[str]:
    """Per row ``10 (10/0)``, and ``of 25 planned`` when some planned trades were not made (their
    exit after the data's end, say): the row's statistics are those of the trades made alone."""
    counts = summary[["n_trades", "n_long", "n_short", "n_not_traded"]].to_numpy(np.int64)
    return [
        f"{made} ({long}/{short})" + (f" of {made + not_made} planned" if not_made else "")
        for made, long, short, not_made in counts.tolist()
    ]


def _summary_lines(
    trades: pd.DataFrame, curve: pd.DataFrame, market: str, boot: Mapping[str, Any]
) -> list[str]:
    """The summary: the trades' statistics and the equity curves', one row per holding period
    (or why there is none)."""
    summary = summary_table(trades, curve, draws=int(boot.get("draws", 1000)), seed=int(boot.get("seed", 0)))
    rows = [
        [
            str(r.holding_days),
            trades,
            _pct(r.mean_net_ret),
            _pct(r.mean_net_abnormal_ret),
            _num(r.t),
            _num(r.t_sa),
            fmt.probability(r.p_sa),
            fmt.probability(r.p_boot),
            str(r.n_clusters),
            _num(r.t_cluster),
            fmt.probability(r.p_cluster),
            _pct(r.hit_rate, 0, signed=False),
            _pct(r.share_beating_market, 0, signed=False),
        ]
        for r, trades in zip(summary.itertuples(index=False), _trades_cells(summary), strict=True)
    ]
    lines = []
    for k, path in curve.groupby("holding_days", sort=True):
        ruined = path.loc[path["strategy_equity"] <= 0.0]
        if len(ruined):
            first = ruined.iloc[0]
            lines += [
                f"Holding {k} days, the strategy lost all its capital on {_date(first['date'])} (a day's "
                f"return of {_pct(first['strategy_ret'], 1)}): its equity stays at 0 after that day.",
                "",
            ]
    for note in no_trade_notes(summary, trades, curve):  # an empty summary: why there is no trade
        lines += [note, ""]
    for note in one_cluster_notes(summary):  # the drift's rule: one cluster shares its days' news
        lines += [note, ""]
    header = [
        "hold (days)",
        "trades (long/short)",
        "mean net return",
        "mean net abnormal",
        "t",
        "t_sa",
        "p (t_sa)",
        "p (bootstrap)",
        "clusters",
        "t (clustered)",
        "p (clustered)",
        "hit rate (net > 0)",
        "beat benchmark (net abnormal > 0)",
    ]
    lines += _table(header, rows, "rrrrrrrrrrrrr")
    return lines + _curve_lines(summary, market) if rows else lines


def _curve_lines(summary: pd.DataFrame, market: str) -> list[str]:
    """The equity curves' risk and return per holding period: the strategy's, the market's on the
    strategy's days only (the same exposure in time), the market's held every day."""
    rows = []
    for r in summary[summary["start"].notna()].itertuples(index=False):  # a period with a curve
        matched = (r.matched_market_sharpe, r.matched_market_max_drawdown, r.matched_market_total_return)
        portfolios = (
            ("strategy", r.share_days_invested, (r.sharpe, r.max_drawdown, r.total_return)),
            (f"{fmt.md(market)} on the strategy's days", r.share_days_invested, matched),
            (f"{fmt.md(market)} held", 1.0, (r.market_sharpe, r.market_max_drawdown, r.market_total_return)),
        )
        period = f"{_date(r.start)} – {_date(r.end)}"
        rows += [
            [
                str(r.holding_days),
                name,
                _pct(invested, 0, signed=False),
                _num(sharpe),
                _pct(worst, 1, signed=False),
                _pct(total, 1),
                period,
            ]
            for name, invested, (sharpe, worst, total) in portfolios
        ]
    header = ["hold (days)", "portfolio", "days invested", "Sharpe", "max drawdown", "total return", "period"]
    return ["", *_table(header, rows, "rlrrrrl")] if rows else []


def _drift_lines(drift: pd.DataFrame, benchmark: str) -> list[str]:
    """The post-announcement drift table (or why there is none)."""
    sessions = (
        "t (clustered) clusters the standard error by chains of rows that share a day of returns (those "
        "bought at one session, chained with every row whose [+1,+k] overlaps one of theirs: clusters), so "
        "they may be correlated in any way; with few clusters it still over-rejects (far less than t), the "
        "more so when one cluster holds most rows, and has little power (with 2, its t has one degree of "
        "freedom: read its p, not its size). A group whose rows form one cluster (days: the sessions bought "
        "at) has no test."
        if "t_cluster" in drift.columns
        else "a group whose rows are all bought at one session (days: the sessions bought at) has no test, "
        "and one of few sessions overstates (this folder's drift.parquet, an older version's, has no "
        "clustered test)."
        if "n_days" in drift.columns
        else "they overstate (this folder's drift.parquet, an older version's, does not count the sessions "
        "and has no clustered test)."
    )
    lines = [
        "Mean buy-and-hold abnormal return over [+1,+k] of every (event, party), bought at the close "
        f"of day 0, against {benchmark} over the same days, whatever the rule trades. Each (event, party) "
        "is one observation, also when the same ticker's windows overlap across events; the tests take "
        "them for independent, which parties bought at one close, sharing every later day's news, are "
        f"not: {sessions}",
        "",
    ]
    rows = [
        [
            fmt.md(r.group),
            fmt.md(r.window),
            str(r.n),
            str(getattr(r, "n_days", "—")),  # a folder written before n_days
            _pct(r.mean_bhar),
            _pct(r.median_bhar),
            _num(r.t),
            fmt.probability(r.p),
            _num(r.t_sa),
            fmt.probability(r.p_sa),
            fmt.probability(r.p_boot),
            str(getattr(r, "n_clusters", "—")),  # a folder written before the clustered t
            _num(getattr(r, "t_cluster", np.nan)),
            fmt.probability(getattr(r, "p_cluster", np.nan)),
            _pct(r.share_positive, 0, signed=False),
        ]
        for r in drift.itertuples(index=False)
    ]
    if not len(drift) or not (drift["n"] > 0).any():
        lines += [
            "No (event, party) has a buy-and-hold abnormal return after day 0 (no price on the needed "
            "days), so there is no drift to report.",
            "",
        ]
    header = [
        "group",
        "window",
        "n",
        "days",
        "mean BHAR",
        "median",
        "t",
        "p",
        "t_sa",
        "p (t_sa)",
        "p (bootstrap)",
        "clusters",
        "t (clustered)",
        "p (clustered)",
        "positive",
    ]
    return lines + _table(header, rows, "llrrrrrrrrrrrrr")


def _trade_lines(trades: pd.DataFrame) -> list[str]:
    """Every (event, party) the rule trades with its net return per holding period, and the
    trades that could not be made."""
    lines = ["Net return (side × raw return − costs) for each holding period.", ""]
    ok = trades[trades["outcome"] == "ok"]
    holds = list(dict.fromkeys(trades["holding_days"]))
    keys = ["event_id", "ticker"]
    first = trades.drop_duplicates(keys).set_index(keys)
    net = ok.pivot_table(index=keys, columns="holding_days", values="net_ret", sort=False)
    rows = []
    for key, r in first.iterrows():
        event_id, ticker = cast(tuple[str, str], key)  # pandas-stubs: a row key is any Hashable
        traded = key in net.index
        cells = [_pct(net.loc[(event_id, ticker), k]) if traded and k in net.columns else "—" for k in holds]
        rows.append(
            [
                f"`{fmt.plain(event_id)}`",
                fmt.md(ticker),
                fmt.md(r.role),
                fmt.md(r.side),
                _date(r.entry_date),
                fmt.fixed(r.entry_price, 2) if not fmt.is_missing(r.entry_price) else fmt.MISSING,
                *cells,
            ]
        )
    if first.empty:
        lines += ["No (event, party) has a role the rule trades, so there are no trades.", ""]
    lines += _table(
        ["event", "ticker", "role", "side", "entry date", "entry price", *[f"net {k}d" for k in holds]],
        rows,
        "llllrr" + "r" * len(holds),
    )
    missing = trades.loc[trades["outcome"] != "ok", ["holding_days", "event_id", "ticker", "outcome", "note"]]
    if not missing.empty:
        lines += ["", "Trades left out of the statistics (not made, or without a k-day return):", ""]
        lines += [
            f"- hold {r.holding_days}d, `{fmt.plain(r.event_id)}` {fmt.md(r.ticker)}: {fmt.md(r.outcome)} "
            f"({fmt.md(r.note)})"
            for r in missing.itertuples(index=False)
        ]
    return lines


def _method(rule: BacktestConfig, market: str, boot: Mapping[str, Any], benchmark: str) -> list[str]:
    entry = (
        "at the close of day 0 (`Close`)"
        if rule.entry == "close_day0"
        else "at the open of day +1 (`Open`; on the adjusted scale `Open × Adj Close / Close` of that day)"
    )
    weights = (
        "equal weights across the positions open each day"
        if rule.weighting == "equal"
        else "weights proportional to each party's market value at the close before its entry "
        "(`Close` × the latest share count dated on or before that close, as in the study)"
    )
    shown = fmt.md(market)  # a symbol may hold '_' (A._B_.C read as emphasis; a re-attack)
    return [
        "- **Entry and exit**: day 0 as in the study (market proxy's calendar; after-close, weekend and "
        "holiday announcements move to the next session; a close entry also moves weekend and holiday "
        "announcements under `day0_rule = \"previous\"` and announcements of unknown timing to the "
        f"session after the announcement: no trade enters before its announcement). Enter {entry}; exit "
        "at the close of day +k.",
        "- **Returns**: total returns from `Adj Close`; raw return R = Π(1 + r) over the held days; "
        "BHAR = Π(1 + R_i) − Π(1 + R_m) over exactly the same interval (Barber & Lyon 1997), R_m the "
        f"return of the benchmark, {benchmark}; a party that is its own benchmark is not traded. "
        "Shorts earn −R.",
        f"- **Costs**: {rule.cost_bps:g} bps per side on the entry notional, so each trade loses "
        f"{2 * rule.cost_bps:g} bps; in the equity curve {rule.cost_bps:g} bps of the position's weight "
        "on its first and on its last day. Rebalancing between open positions is not charged.",
        f"- **Equity curve**: a calendar-time portfolio with {weights}, set at the previous close among "
        "the positions held that day; long and short both count toward a gross exposure of 1; cash earns 0 "
        f"on days with no open position. {shown} is bought and held from the close of the first day 0; "
        f"{shown} on the strategy's days is {shown} held only on the sessions the strategy holds a "
        "position, close to close"
        + (
            " (an open entry's first session included, whose night the strategy did not hold)"
            if rule.entry != "close_day0"
            else ""
        )
        + " and long whatever the positions' sides, in cash earning 0 on the others: matched in days "
        "invested, not in beta or volatility (a few stocks move more than the market): the Sharpe ratios "
        "compare exposures alike in time only, and the drawdowns and total returns are not comparable in "
        "risk. The trade statistics weight each trade alike, the curve each session's open positions alike: "
        "many trades on one session (the parties of one announcement) weigh as that one session in the "
        "curve, so the mean trade and the curve's total return can differ in sign. Days invested = share "
        "of the curve's sessions with a position held.",
        "- **Statistics**: t = mean/(s/√n); skewness-adjusted t_sa = √n(S + γ̂S²/3 + γ̂/(6n)), S = mean/s, "
        "γ̂ = Σ(x − mean)³/(n s³) (Lyon, Barber & Tsai 1999), not given where γ̂S ≤ −1.5 (there it "
        "decreases in the mean and takes the opposite sign: Hall 1992); both against Student's t with n − 1 "
        f"degrees of freedom; bootstrap p: {boot.get('draws', 1000)} resamples of ⌊n/4⌋ trades (none below "
        f"n = 12), centred at the sample mean, seed {boot.get('seed', 0)} (Lyon, Barber & Tsai 1999); its "
        f"Monte-Carlo s.e. is 2√(q(1 − q)/B), q the smaller tail's share, up to "
        f"{1 / np.sqrt(int(boot.get('draws', 1000))):.2g} with B = {boot.get('draws', 1000)}, and resamples "
        "of a few trades take few values: read its first digit. Hit "
        "rate = share of trades with a positive net return; beat the benchmark = share with a positive net "
        "abnormal return, the quantity the t's test. Sharpe = √252 × mean/sd of daily returns, zero "
        "risk-free rate, over the curve's whole span including idle days. Max drawdown = min over t of "
        "equity / running peak − 1.",
        "- **Independence**: t, t_sa and their p's take each trade and each (event, party) for one "
        "independent observation; same-day parties of one announcement and overlapping holds of the "
        "same ticker are not independent, so those p-values are optimistic. t (clustered) = mean / its "
        "standard error clustered by chains of holds that share a day of returns (CRV1: G/(G − 1) n⁻² "
        "Σ_g (Σ_{i∈g} e_i)², against Student's t with G − 1 degrees of freedom, G clusters; Cameron, "
        "Gelbach & Miller 2011): the holds bought at one session form one cluster, chained with every hold "
        "that shares a day with one of theirs, so they may be correlated in any way; clusters are taken for "
        "independent (holds of one ticker in clusters apart are); with few clusters the test still "
        "over-rejects, the more so when one holds most rows, and has little power (Cameron & Miller 2015; "
        "MacKinnon & Webb 2017). Holds that form one cluster get no test at all: no t, t_sa or p.",
        "- **No look-ahead**: entry date, entry price, side and weight use nothing after the entry; "
        "a test perturbs every later price and checks the trade decisions do not change. A trade entered "
        "without an exit price (past the end of the data, a delisting, a gap) has no k-day return: it is "
        "listed below and left out of the trade statistics, which therefore count survivors only, but "
        "the equity curve and the calendar-time portfolio hold it up to its last price (a missing price "
        "closes it at the one before), so no day of the curve depends on a later price.",
    ]


def _pct(value: Any, digits: int = 2, *, signed: bool = True) -> str:
    return fmt.percent(value, digits=digits, signed=signed)


def _num(value: Any) -> str:
    """A t statistic or a Sharpe ratio: signed, two decimals (:func:`fmt.tstat`)."""
    return fmt.tstat(value)


def _date(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _table(header: list[str], rows: list[list[str]], align: str) -> list[str]:
    """A markdown table of cells that are already markdown (user text through :func:`fmt.md`);
    nothing when there are no rows (the caller says why)."""
    if not rows:
        return []
    marks = {"l": "---", "r": "---:"}
    lines = [
        "| " + " | ".join(fmt.md(h) for h in header) + " |",
        "|" + "|".join(marks[a] for a in align) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines
