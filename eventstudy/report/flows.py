"""The "money loop": who pays whom in the OpenAI-compute deals, and the value each created.

A :class:`LoopEdge` says that in one announcement ``payer`` commits money to ``payee`` and which
listed parties' abnormal dollar values annotate the edge. :func:`money_loop` joins the edges to
the study's per-window results (``car.parquet``) and adds them up:

.. math::

    D = \\sum_{e \\in E,\\ \\text{deal disclosed}} \\text{deal}_e, \\qquad
    V = \\sum_{e \\in E} \\sum_{i \\in \\text{parties}(e)} \\text{AV}_{ie}(w),

where :math:`\\text{AV}_{ie}(w) = \\sum_{\\tau \\in w} AR_{i\\tau} \\cdot MV_{i,\\tau-1}` is the
abnormal dollar value of party *i* over window *w* (see :mod:`eventstudy.valuation`). Each event
counts once in :math:`D`; missing values (undisclosed deals, rows without a market value) are
left out of the sums and counted, never imputed; a sum with no known term is missing (NaN),
not zero. The parties of a loop event that do not
annotate an edge (a rival, a partner) are summed separately as ``other_value_usd``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class LoopEdge:
    """One payment commitment: ``payer`` -> ``payee`` in ``event_id``.

    ``tickers`` are the listed parties whose abnormal dollar value annotates the edge.
    """

    event_id: str
    payer: str
    payee: str
    tickers: tuple[str, ...]


LAUNCH_LOOP: tuple[LoopEdge, ...] = (
    LoopEdge("oracle-openai-300b", "OpenAI", "Oracle", ("ORCL",)),
    LoopEdge("oracle-gb200-order", "Oracle", "Nvidia", ("NVDA", "ORCL")),
    LoopEdge("nvidia-openai-100b", "Nvidia", "OpenAI", ("NVDA",)),
    LoopEdge("amd-openai-6gw", "OpenAI", "AMD", ("AMD",)),
    LoopEdge("broadcom-openai-10gw", "OpenAI", "Broadcom", ("AVGO",)),
    LoopEdge("coreweave-openai-6.5b", "OpenAI", "CoreWeave", ("CRWV",)),
    LoopEdge("amazon-openai-38b", "OpenAI", "AWS", ("AMZN",)),
    LoopEdge("microsoft-openai-recap", "OpenAI", "Azure", ("MSFT",)),
)
"""The 2025 OpenAI compute loop of the launch study (``events.csv``): OpenAI pays Oracle, Oracle
pays Nvidia, Nvidia invests in OpenAI, and OpenAI pays AMD, Broadcom, CoreWeave, AWS and Azure.
The Stargate joint-venture pledge is not a payment between two parties and is not an edge."""


@dataclass(frozen=True)
class LoopFlow:
    """One edge joined to the results: deal size and each annotating party's value."""

    event_id: str
    payer: str
    payee: str
    deal_usd: float
    values: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class MoneyLoop:
    """The loop's edges with their values, and the totals.

    Attributes
    ----------
    window
        The CAR window of the abnormal dollar values (e.g. ``"[-1,+1]"``).
    flows
        The edges whose event is in the study, in :data:`LAUNCH_LOOP` order.
    deal_usd
        D: disclosed deal dollars, each event once (NaN when every deal is undisclosed).
    undisclosed_deals
        Edges whose deal size is undisclosed (left out of D).
    value_usd
        V: abnormal dollar value of the annotating parties (NaN when none is known).
    missing_values
        Annotating (event, party) rows without a dollar value (left out of V).
    other_value_usd
        Abnormal dollar value of the loop events' other parties (rivals, partners); 0 when there
        are none, NaN when none of theirs is known.
    """

    window: str
    flows: tuple[LoopFlow, ...]
    deal_usd: float
    undisclosed_deals: int
    value_usd: float
    missing_values: int
    other_value_usd: float

    def to_frame(self) -> pd.DataFrame:
        """One row per (edge, annotating party)."""
        return pd.DataFrame.from_records(
            [
                {
                    "event_id": f.event_id,
                    "payer": f.payer,
                    "payee": f.payee,
                    "deal_usd": f.deal_usd,
                    "ticker": ticker,
                    "abnormal_value_usd": value,
                }
                for f in self.flows
                for ticker, value in f.values
            ],
            columns=["event_id", "payer", "payee", "deal_usd", "ticker", "abnormal_value_usd"],
        )


def money_loop(car: pd.DataFrame, window: str, edges: tuple[LoopEdge, ...] = LAUNCH_LOOP) -> MoneyLoop | None:
    """Join ``edges`` to the per-window results and total the deal and market-value dollars.

    Parameters
    ----------
    car
        Per-window results (``car.parquet``): ``event_id``, ``ticker``, ``role``, ``window``,
        ``deal_usd``, ``abnormal_value_usd``.
    window
        The window whose abnormal dollar values are used.
    edges
        The loop's edges.

    Returns
    -------
    MoneyLoop or None
        None when no edge's event is in ``car``.
    """
    rows = car[(car["window"] == window) & (car["role"] != "peer")]
    by_pair = rows.set_index(["event_id", "ticker"])
    flows = []
    for edge in edges:
        event = rows[rows["event_id"] == edge.event_id]
        if event.empty:
            continue
        values = tuple(
            (t, float(by_pair.loc[(edge.event_id, t), "abnormal_value_usd"]))
            for t in edge.tickers
            if (edge.event_id, t) in by_pair.index
        )
        flows.append(
            LoopFlow(edge.event_id, edge.payer, edge.payee, float(event["deal_usd"].iloc[0]), values)
        )
    if not flows:
        return None
    deals = np.array([f.deal_usd for f in flows])
    values = np.array([v for f in flows for _, v in f.values], dtype=float)
    annotated = {(f.event_id, t) for f in flows for t, _ in f.values}
    in_loop = rows[rows["event_id"].isin({f.event_id for f in flows})]
    others = np.array(
        [
            v
            for e, t, v in zip(
                in_loop["event_id"], in_loop["ticker"], in_loop["abnormal_value_usd"], strict=True
            )
            if (e, t) not in annotated
        ],
        dtype=float,
    )
    return MoneyLoop(
        window=window,
        flows=tuple(flows),
        deal_usd=_known_sum(deals),
        undisclosed_deals=int(np.isnan(deals).sum()),
        value_usd=_known_sum(values),
        missing_values=int(np.isnan(values).sum()),
        other_value_usd=_known_sum(others) if others.size else 0.0,
    )


def _known_sum(values: np.ndarray) -> float:
    """The sum of the non-missing ``values``; NaN when there is none."""
    known = values[~np.isnan(values)]
    return float(known.sum()) if known.size else float("nan")
