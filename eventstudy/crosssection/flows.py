"""The side of the deal flow each (event, party) sits on: ``flow_side``, from ``[[flows]]``.

A study's ``[[flows]]`` edges say who pays whom in an announcement (``payer`` -> ``payee``)
and, with ``payer_ticker`` and ``payee_ticker``, which listed party is on each side of the
payment (:class:`eventstudy.config.FlowEdge`). For each (event, ticker) row of ``car.parquet``:

* ``payer``: an edge of the event has the ticker as its ``payer_ticker``, and none as its
  ``payee_ticker``;
* ``payee``: the other way round;
* ``both``: it pays in one edge of the event and is paid in another (a firm that invests in a
  customer which commits to buy from it);
* ``none``: no edge of the event involves the ticker -- a party of an announcement without a
  payment between two parties (a joint venture's partners), a party outside the payment (a
  rival, a partner of the payer), every peer;
* missing: an edge of the event lists the ticker among its ``tickers`` without saying on which
  side it is. A regression leaves such rows out (its ``n_dropped`` counts them) rather than
  guess.

The column is derived, never stored in ``car.parquet``:
:func:`eventstudy.crosssection.regression.regression_rows` adds it so that ``[[crosssection]]``
formulas can ask whether the market values a payer's side of a deal differently from a
payee's, e.g.
``value_to_deal ~ np.log(deal_usd) + C(flow_side, Treatment("none"))``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.errors import InputError

if TYPE_CHECKING:
    from eventstudy.config import FlowEdge

FLOW_SIDES: tuple[str, ...] = ("payer", "payee", "both", "none")
"""The values of ``flow_side`` (besides missing)."""


def flow_sides(rows: pd.DataFrame, edges: Sequence[FlowEdge]) -> pd.Series:
    """``flow_side`` of every row of ``rows`` (see the module docstring).

    Parameters
    ----------
    rows
        Rows with ``event_id`` and ``ticker`` (e.g. ``car.parquet``'s).
    edges
        The study's ``[[flows]]`` edges.

    Returns
    -------
    pandas.Series
        ``payer``, ``payee``, ``both``, ``none`` or None (missing), on ``rows``' index.
    """
    paying: set[tuple[str, str]] = set()
    paid: set[tuple[str, str]] = set()
    listed: set[tuple[str, str]] = set()
    for edge in edges:
        if edge.payer_ticker is not None:
            paying.add((edge.event_id, edge.payer_ticker))
        if edge.payee_ticker is not None:
            paid.add((edge.event_id, edge.payee_ticker))
        listed.update((edge.event_id, ticker) for ticker in edge.tickers)

    def side(key: tuple[str, str]) -> str | None:
        if key in paying:
            return "both" if key in paid else "payer"
        if key in paid:
            return "payee"
        return None if key in listed else "none"

    keys = zip(rows["event_id"].astype(str), rows["ticker"].astype(str), strict=True)
    return pd.Series([side(key) for key in keys], index=rows.index, dtype=object, name="flow_side")


def _spelling(event_id: str) -> str:
    """An event id without case and separators: ``oracle_openai_300b`` spells ``oracle-openai-300b``."""
    return re.sub(r"[-_.\s]", "", event_id.casefold())


def check_flow_parties(events: pd.DataFrame, edges: Sequence[FlowEdge], where: str) -> None:
    """Every ticker an edge lists for an event of ``events`` must be a party of that event: a
    misspelt ticker would otherwise put the party on no side of the flow (``flow_side``
    ``none``) and out of the edge's values, silently. So must its event, when the event id is a
    near spelling of one the events have (:func:`difflib.get_close_matches`, ratio 0.9, of the ids
    without case and the separators ``-_.``); an
    edge of another event is allowed (a config used for part of its events; the report lists
    it).

    Raises
    ------
    InputError
        Naming ``where`` (the config's file) and ``flows[i].tickers`` or ``flows[i].event_id``.
    """
    parties: dict[str, list[str]] = {}
    for event_id, ticker in zip(events["event_id"].astype(str), events["ticker"].astype(str), strict=True):
        parties.setdefault(event_id, []).append(ticker)
    known = {_spelling(event_id): event_id for event_id in reversed(parties)}  # ids are case-sensitive
    for i, edge in enumerate(edges):
        listed = parties.get(edge.event_id)
        if listed is None:
            near = [known[key] for key in difflib.get_close_matches(_spelling(edge.event_id), known, 1, 0.9)]
            if near:
                raise InputError(
                    where,
                    f"the config's [[flows]] edge {i} is of event {edge.event_id!r}, which the events do not "
                    f"have; they have {near[0]!r} (a misspelling?): correct the config or the events",
                    field=f"flows[{i}].event_id",
                )
            continue
        for ticker in edge.tickers:
            if ticker not in listed:
                raise InputError(
                    where,
                    f"the config's [[flows]] edge {i} lists {ticker!r} for event {edge.event_id!r}, which "
                    f"is not one of its parties ({', '.join(listed)}); correct the config or the events",
                    field=f"flows[{i}].tickers",
                )
