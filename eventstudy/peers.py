"""Spillover to peers: every event also measured on peers that are not its parties.

:func:`add_peers` appends to a validated events frame one row per (event, peer ticker not
already a party of that event) with role ``peer`` and no deal size, copying the event's
announcement date, timing, group and headline. The study then estimates those rows like any
other, so each peer gets its own abnormal returns, CARs and outcome; the report shows them as a
heat map of day-0 abnormal returns and keeps them out of every value-per-deal table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from eventstudy.errors import InputError
from eventstudy.symbols import list_problem

PEER_ROLE = "peer"


def parse_peers(text: str, *, source: str = "--peers") -> tuple[str, ...]:
    """Split a comma-separated ticker list, checking each ticker.

    Raises
    ------
    InputError
        Naming ``source`` and the offending entry: empty tickers, tickers outside the identifier
        grammar and repeated tickers are errors, not corrections.
    """
    names = [name.strip() for name in text.split(",")]
    if not any(names):
        raise InputError(source, "no tickers given (use --no-peers to turn peers off)")
    return check_peers(names, source=source)


def check_peers(names: Iterable[str], *, source: str) -> tuple[str, ...]:
    """The peer tickers ``names`` as a tuple, each checked (the rule of :func:`parse_peers`).

    Raises
    ------
    TypeError
        If ``names`` is a string (``"AMD"`` would be the peers A, M and D) or an entry is not one.
    InputError
        Naming ``source`` and the entry: a ticker outside the identifier grammar, or one listed
        twice or differing only in case from an earlier one (:func:`eventstudy.symbols.list_problem`,
        the rule of a config's ``peers``).
    """
    if isinstance(names, str | bytes):
        raise TypeError(f"peers must be a list of tickers, not a str ({names!r}): write peers=[{names!r}]")
    if isinstance(names, set | frozenset):  # no order: the rows and manifest would vary by run
        kind = type(names).__name__
        raise TypeError(f"peers must be a list of tickers, not a {kind} (its order changes between runs)")
    checked = tuple(names)
    for position, name in enumerate(checked, start=1):
        if not isinstance(name, str):
            raise TypeError(
                f"peers must be a list of tickers: entry {position} is {type(name).__name__}, not str"
            )
    problem = list_problem(checked)
    if problem:
        name = checked[problem[0]]
        field = name if len(name) <= 40 else name[:37] + "..."
        raise InputError(source, problem[1], field=field if field.strip() else f"entry {problem[0] + 1}")
    return tuple(str(name) for name in checked)  # numpy's str_ as str


def add_peers(events: pd.DataFrame, peers: Sequence[str]) -> pd.DataFrame:
    """``events`` with one ``peer`` row per (event, peer that is not a party of the event).

    Parameters
    ----------
    events
        Validated events (:func:`eventstudy.data.events.read_events`), one row per (event, party).
    peers
        Peer tickers, in the order their rows are wanted.

    Returns
    -------
    pandas.DataFrame
        The input rows unchanged and in order, followed by the peer rows grouped by event in
        order of first appearance, peers in the order given (a peer listed twice counts once).
        Peer rows have ``role`` ``"peer"``, ``deal_usd`` NaN, a blank ``market`` (the study's
        market, when the events have that column) and ``source_row`` 0 (they come from no line
        of the file).
    """
    peers = list(dict.fromkeys(peers))
    if not peers:
        return events.copy()
    rows = []
    for event_id, group in events.groupby("event_id", sort=False):
        parties = set(group["ticker"])
        head = group.iloc[0]
        for ticker in peers:
            if ticker in parties:
                continue
            rows.append(
                {
                    "event_id": event_id,
                    "announced": head["announced"],
                    "timing": head["timing"],
                    "ticker": ticker,
                    "role": PEER_ROLE,
                    "deal_usd": np.nan,
                    "group": head["group"],
                    "headline": head["headline"],
                    **({"market": ""} if "market" in events.columns else {}),  # the study's market
                    "source_row": 0,
                }
            )
    if not rows:
        return events.copy()
    added = pd.DataFrame.from_records(rows, columns=list(events.columns)).astype(events.dtypes.to_dict())
    return pd.concat([events, added], ignore_index=True)


def peer_tickers(events: pd.DataFrame) -> list[str]:
    """The tickers that appear as peers, in order of first appearance."""
    return list(dict.fromkeys(events.loc[events["role"] == PEER_ROLE, "ticker"]))
