"""The readable summary, ``report.md``, rendered from the study's output frames alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def _money(value: float) -> str:
    if pd.isna(value):
        return "—"
    for scale, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(value) >= scale:
            return f"${value / scale:+,.1f}{unit}".replace("$+", "+$").replace("$-", "−$")
    return f"${value:+,.0f}".replace("$+", "+$").replace("$-", "−$")


def _deal(value: float) -> str:
    return "undisclosed" if pd.isna(value) else _money(value).lstrip("+")


def _pct(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:+.2%}"


def _num(value: float, pattern: str = "{:+.2f}") -> str:
    return "—" if pd.isna(value) else pattern.format(value)


def _table(header: list[str], rows: list[list[str]], align: str | None = None) -> list[str]:
    align = align or "l" * len(header)
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def render_markdown(events: pd.DataFrame, car: pd.DataFrame, manifest: Mapping[str, Any]) -> str:
    """Render ``report.md``.

    Parameters
    ----------
    events
        The events frame (``events.parquet``).
    car
        Per-window results (``car.parquet``).
    manifest
        The run's manifest (configuration, versions, input hashes).
    """
    config = manifest["config"]
    model = manifest.get("model", {}).get("description", config["model"])
    lines = [f"# Event study: {config['name']}", ""]
    lines += [
        f"{events['event_id'].nunique()} announcements, {len(events)} (event, party) rows. "
        f"Expected returns: {model}. Figures are in US dollars; t statistics are Student-t.",
        "",
        "## Calendar",
        "",
    ]
    first = car.drop_duplicates(["event_id", "ticker"]).set_index(["event_id", "ticker"])
    rows = []
    for event_id, group in events.groupby("event_id", sort=False):
        head = group.iloc[0]
        parties = ", ".join(f"{r.ticker} ({r.role})" for r in group.itertuples())
        day0 = first.loc[(event_id, head.ticker)]
        rows.append(
            [
                f"`{event_id}`",
                head.announced.date().isoformat(),
                head.timing,
                "—"
                if pd.isna(day0.day0)
                else pd.Timestamp(day0.day0).date().isoformat()
                + (f" ({day0.day0_shift})" if day0.day0_shift else ""),
                parties,
                _deal(head.deal_usd),
                head.group,
                head.headline,
            ]
        )
    lines += _table(["event", "announced", "timing", "day 0", "parties", "deal", "group", "headline"], rows)

    day0 = car[car["window"] == "[0,0]"].set_index(["event_id", "ticker"])
    around = car[car["window"] == "[-1,+1]"].set_index(["event_id", "ticker"])
    if not day0.empty and not around.empty:
        joined = around.join(day0[["car", "t", "abnormal_value_usd", "value_to_deal"]], rsuffix="_0")
        joined = joined.sort_values("abnormal_value_usd", ascending=False, na_position="last")
        lines += [
            "",
            "## Abnormal returns and dollar value, by party",
            "",
            "Sorted by the abnormal dollar value over [-1,+1]. AR(0) is the day-0 abnormal return.",
            "",
        ]
        rows = [
            [
                f"`{e}`",
                t,
                r.role,
                _pct(r.car_0),
                _num(r.t_0),
                _pct(r.car),
                _num(r.t),
                _num(r.p, "{:.3f}"),
                _money(r.mcap_prev_usd).lstrip("+"),
                _money(r.abnormal_value_usd_0),
                _money(r.abnormal_value_usd),
                r.outcome,
            ]
            for (e, t), r in joined.iterrows()
        ]
        lines += _table(
            [
                "event",
                "ticker",
                "role",
                "AR(0)",
                "t",
                "CAR[-1,+1]",
                "t",
                "p",
                "market cap τ=-2",
                "value [0,0]",
                "value [-1,+1]",
                "outcome",
            ],
            rows,
            "lllrrrrrrrrl",
        )
        with_deal = joined[joined["deal_usd"].notna()]
        lines += [
            "",
            "## Value created per deal dollar",
            "",
            "Abnormal dollar value divided by the disclosed deal size.",
            "",
        ]
        rows = [
            [
                f"`{e}`",
                t,
                _deal(r.deal_usd),
                _money(r.abnormal_value_usd_0),
                _num(r.value_to_deal_0, "{:+.3f}"),
                _money(r.abnormal_value_usd),
                _num(r.value_to_deal, "{:+.3f}"),
            ]
            for (e, t), r in with_deal.sort_values(
                "value_to_deal", ascending=False, na_position="last"
            ).iterrows()
        ]
        lines += _table(
            [
                "event",
                "ticker",
                "deal",
                "value [0,0]",
                "per $ [0,0]",
                "value [-1,+1]",
                "per $ [-1,+1]",
            ],
            rows,
            "lllrrrr",
        )

    lines += ["", "## Every window", ""]
    rows = [
        [
            f"`{r.event_id}`",
            r.ticker,
            r.window,
            _pct(r.car),
            _pct(r.car_se).lstrip("+"),
            _num(r.t),
            _num(r.p, "{:.3f}"),
            _money(r.abnormal_value_usd),
            r.outcome,
        ]
        for r in car.itertuples()
    ]
    lines += _table(
        ["event", "ticker", "window", "CAR", "s.e.", "t", "p", "value", "outcome"],
        rows,
        "lllrrrrrl",
    )

    notes = car.loc[car["note"] != "", ["event_id", "ticker", "note", "outcome"]].drop_duplicates(
        ["event_id", "ticker", "note"]
    )
    if not notes.empty:
        lines += ["", "## Notes", ""]
        lines += [f"- `{r.event_id}` {r.ticker} ({r.outcome}): {r.note}" for r in notes.itertuples()]

    lines += ["", "## Methods", "", *_methods(manifest)]
    return "\n".join(lines) + "\n"


def _methods(manifest: Mapping[str, Any]) -> list[str]:
    config = manifest["config"]
    est = config["estimation_window"]
    windows = ", ".join(f"[{a:+d},{b:+d}]".replace("+0", "0") for a, b in config["event_windows"])
    prices = manifest["inputs"]["prices"]
    sources = sorted({p["provenance"].get("source", "?") for p in prices.values()})
    return [
        "- **Returns**: simple daily returns of Yahoo `Adj Close` (split- and dividend-adjusted) between "
        "consecutive sessions of the market proxy's calendar; a missing price gives a missing return, "
        "never a multi-day return.",
        f"- **Market proxy and calendar**: `{config['market']}`; its trading dates define trading days.",
        "- **Day 0**: the announcement date when it is a trading day and timing is pre-market, intraday or "
        "unknown; otherwise (after the close, weekend, holiday) the next session. Every shift is in `day0_shift`.",
        f"- **Model**: {manifest.get('model', {}).get('description', config['model'])}, estimated by OLS "
        f"over τ ∈ [{est[0]}, {est[1]}] ({est[1] - est[0] + 1} trading days) relative to day 0; at least "
        f"{config['min_estimation_obs']} valid returns are required, otherwise the row is reported as "
        "`insufficient_estimation`.",
        f"- **Windows**: CAR over {windows}; CAR = Σ AR.",
        "- **Inference**: Var(CAR) = σ²(L + s'(X'X)⁻¹s), the prediction-error-corrected variance of "
        "Campbell, Lo & MacKinlay (1997, ch. 4) with σ² = SSR/(M−k); t = CAR/s.e., Student-t with M−k "
        "degrees of freedom, two-sided p.",
        "- **Market value**: Close on τ−1 × the latest shares-outstanding figure with as-of date on or before "
        "τ−1. Abnormal dollar value = Σ_τ AR_τ × MarketCap_{τ−1}; value per deal dollar = that value ÷ "
        "deal size. Missing shares or undisclosed deals leave these empty with a note; nothing is imputed.",
        f"- **Data**: price sources {', '.join(sources)}; every input's hash is in `manifest.json`.",
        "- **Software**: " + ", ".join(f"{k} {v}" for k, v in sorted(manifest["versions"].items())) + ".",
    ]


def count_outcomes(car: pd.DataFrame) -> dict[str, int]:
    """Rows per outcome over all windows (for logs)."""
    values, counts = np.unique(car["outcome"].to_numpy(str), return_counts=True)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))
