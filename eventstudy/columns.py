"""The columns of ``car.parquet``, in one dependency-free place.

:mod:`eventstudy.tables` builds the table with them and :mod:`eventstudy.crosssection.rules`
(imported by the config) lets a formula use them, without importing numpy or pandas.
"""

from __future__ import annotations

CAR_COLUMNS: tuple[str, ...] = (
    "event_id",
    "ticker",
    "role",
    "group",
    "window",
    "tau_start",
    "tau_end",
    "day0",
    "day0_shift",
    "n_est",
    "alpha",
    "beta",
    "sigma",
    "car",
    "car_se",
    "t",
    "p",
    "mcap_prev_usd",
    "shares_as_of",
    "abnormal_value_usd",
    "deal_usd",
    "value_to_deal",
    "outcome",
    "note",
    "shares_outstanding",
    "shares_filing",
    "dollar_sd_basis",
    "model",
    "params",
    "overlap",
)
"""Columns of ``car.parquet``. ``alpha``/``beta`` are the model's intercept and market beta
where it has them (constant mean: ``alpha`` is the mean; Dimson: ``beta`` is the sum of the
slopes; Scholes-Williams: the SW beta; factor models: the ``Mkt-RF`` loading; sector model: the
market loading given the sector return). ``model`` is the model name, ``params`` a JSON object
of every fitted parameter by name (``null`` where not estimable), ``overlap`` the other events
of the same ticker inside the estimation window or overlapping the event window (see
:mod:`eventstudy.timeline.overlap`), ``dollar_sd_basis`` how the dollar test measures the s.d.
of the row's ``abnormal_value_usd`` (:func:`eventstudy.tables.dollar_sd_basis`; empty where
there is no dollar value)."""

CAR_TEXT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "ticker",
    "role",
    "group",
    "window",
    "day0_shift",
    "outcome",
    "note",
    "shares_filing",
    "dollar_sd_basis",
    "model",
    "params",
    "overlap",
)
"""The columns of ``car.parquet`` that hold text."""


MARKET_PROXY_OUTCOME = "market_proxy"
"""``car.parquet``'s (and ``trades.parquet``'s) outcome of a party that is the model's market
proxy itself (SPY listed as a party of a study on SPY): its abnormal return against itself is zero
by construction, so the row is in no statistic, no value total and no screen."""

WITHHELD_HINT = "withheld as a data error: eventstudy validate says"
"""Said of a price a row lacks (``car.parquet``'s and ``trades.parquet``'s notes) beside "missing":
the price checks (:mod:`eventstudy.data.screening`) may have withheld it."""

CAVEATED_TOTAL = "§"
"""The mark of a group total that counts a row whose dollar value rests on a ``[[shares.caveats]]``
count (:func:`eventstudy.aggregate.caveated_totals`): in the report's group table and
``results.summary()``."""
SHARES_CAVEAT = "shares caveat: "
"""The start of the note part a config's ``[[shares.caveats]]`` puts on the rows whose market value
rests on the caveated count (its ``note`` follows); the report and the summary flag such rows."""


def has_share_caveat(note: object) -> bool:
    """Whether a row's ``note`` holds a part starting :data:`SHARES_CAVEAT`."""
    return isinstance(note, str) and any(part.startswith(SHARES_CAVEAT) for part in note.split("; "))

STATISTIC_UNITS: frozenset[str] = frozenset({"t", "fraction", "usd", "usd/usd", "ratio", "count", "rank_sum"})
"""The units a statistic's value may have (:attr:`eventstudy.inference.Statistic.unit`; units of
:mod:`eventstudy.output.schema`, plus ``rank_sum``, a sum of ranks): how the report shows it."""
