"""Cross-event statistics of a study: the rows of ``stats.parquet``.

Builds an :class:`~eventstudy.inference.EventPanel` from a study's per-pair estimation results
and runs :func:`~eventstudy.inference.run_battery` for every (group, window): each group label
of the events file, ``all`` (every listed party), and ``peers`` (spillover rows with role
``peer``, if any, kept apart so they never mix with the deal parties).

The totals of ``stats.parquet`` and what each covers (``reference`` says it on every row):

* ``dollar_abnormal_value`` — every (event, party) row of the group with a dollar value for
  the window (the sum of ``car.parquet``'s ``abnormal_value_usd`` over those rows), deal or
  no deal; p of ``kp_adjusted_dollar_t``; n rows; ``dollar_fallback_sd_rows`` of them use σ ×
  market value;
* ``total_abnormal_value_usd``, ``total_deal_usd``, ``value_per_deal_dollar`` — only events
  with a disclosed deal whose listed parties all have a dollar value (the market proxy as a
  party needs none: zero by construction), each deal counted once;
  n events; never for ``peers``;
* ``degenerate_estimation_rows``, ``market_proxy_rows`` — rows excluded from every statistic;
* ``confounded_rows`` — rows whose window holds other news (``car.parquet``'s ``confounded``:
  an earnings release, another event of the ticker, a news-file line), left out of every
  statistic with ``exclude_confounded = true``; ``unscreened_rows`` — rows whose window holds
  no other news the study knows of but lies outside the ticker's earnings calendar
  (``confounded`` missing, :func:`~eventstudy.timeline.confounders.earnings_screened`), left
  out alike: they are not known to be clean; ``dominant_day_rows`` — rows one day other than
  day 0 dominates (a warning, never excluded).

Without ``exclude_confounded``, a study with confounded or unscreened rows also gets, for every
group ``g``, the group ``g (unconfounded)``: the same statistics of
:data:`UNCONFOUNDED_STATISTICS` and the value-per-deal rows, computed without the confounded and
unscreened rows of each window (an event whose listed parties include such a row leaves the
value per deal dollar of that window), so a report can show its headline numbers with and
without them.

``p_bh`` and ``p_holm`` adjust every p-value of a group for its statistic's family of tests over
the windows (:mod:`eventstudy.multiple_testing`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypedDict

import numpy as np
import pandas as pd

from eventstudy.columns import MARKET_PROXY_OUTCOME, STATISTIC_UNITS, has_share_caveat
from eventstudy.config import window_label
from eventstudy.estimate import PairEstimates
from eventstudy.inference import (
    STATISTICS,
    EventPanel,
    PanelParts,
    caar_band,
    path_bands,
    results_to_rows,
    run_battery_windows,
)
from eventstudy.inference.dollar import shared_day_excess
from eventstudy.multiple_testing import adjusted_p_values
from eventstudy.timeline.confounders import not_known_clean, unconfounded_group

STATS_COLUMNS: tuple[str, ...] = (
    "group", "window", "statistic", "value", "p", "n", "reference", "p_bh", "p_holm"
)
UNCONFOUNDED_STATISTICS: tuple[str, ...] = (
    "caar",
    "cross_sectional_t",
    "bmp_t",
    "kp_adjusted_bmp_t",
    "kp_average_correlation",  # the r̄ of the twin's adjusted tests: they can be re-derived
    "generalized_sign_z",
    "grank_t",
    "dollar_abnormal_value",
    "kp_adjusted_dollar_t",
    "dollar_z",
    "dollar_fallback_sd_rows",
    "dollar_shared_days_usd",
)
"""The statistics of a group's twin without its confounded rows: the report's headline test,
its paper-table tests and the value created (with the count of its rows whose dollar-AR s.d. is
the fallback, which dollar_z's reference names, and what a sum of its rows counts twice)."""


class PairTables(Protocol):
    """What the stats and CAAR tables read of a study's pairs besides their
    :class:`EventPanel`: :class:`~eventstudy.estimate.PairEstimates` in memory, the gathered
    tables of a partitioned study (:mod:`eventstudy.distributed`)."""

    @property
    def events(self) -> pd.DataFrame: ...

    @property
    def car(self) -> pd.DataFrame: ...

    @property
    def event_taus(self) -> np.ndarray: ...


PartsOf = Callable[[str, tuple[tuple[int, int], ...], EventPanel, np.ndarray], PanelParts]
"""``parts(label, windows, panel, rows)``: the battery's window-independent parts of the pairs
``rows`` ((P,) bool of the study's pairs; ``panel`` is their subset) of the group ``label`` for
``windows`` (a partitioned study's merged sums, :class:`~eventstudy.inference.partial.MergedParts`)."""


def groups(events: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """(label, (P,) bool rows) of every group: the events file's groups of listed parties in file
    order, ``all`` listed parties, and ``peers`` when there are peer rows."""
    return group_rows(events, group_labels(events))


def group_labels(events: pd.DataFrame) -> list[str]:
    """The labels of :func:`groups`, in their order."""
    is_peer = (events["role"] == "peer").to_numpy()
    labels = [str(label) for label in pd.unique(events.loc[~is_peer, "group"])]
    return [*labels, "all", *(["peers"] if is_peer.any() else [])]


def group_rows(events: pd.DataFrame, labels: Sequence[str]) -> list[tuple[str, np.ndarray]]:
    """(label, (P,) bool rows) of the groups ``labels`` (of :func:`group_labels`) in ``events``,
    which may be any subset of a study's rows (a partition's)."""
    is_peer = (events["role"] == "peer").to_numpy()
    group = events["group"].astype(str).to_numpy(object)
    out = []
    for label in labels:
        if label == "all":
            rows = ~is_peer
        elif label == "peers":
            rows = is_peer
        else:
            rows = (group == label) & ~is_peer
        out.append((label, rows))
    return out


def event_panel(results: PairEstimates, conditional_variance: np.ndarray | None = None) -> EventPanel:
    """The study's pairs as an :class:`EventPanel` (market values from the share counts of
    :func:`~eventstudy.estimate.estimate`; the GARCH event-window variances of
    :mod:`eventstudy.variance` when the study has a variance model)."""
    fit = results.fit
    n_pairs = len(results.events)
    return EventPanel(
        ar_estimation=fit.residuals,
        ar_event=results.abnormal,
        event_tau=results.event_taus,
        estimation_day=results.estimation_days,
        event_day=results.event_days,
        sigma=np.where(results.pair_outcome == "ok", fit.sigma, np.nan),  # excluded pairs: none
        n_estimation=fit.n_obs,
        n_params=np.full(n_pairs, fit.n_params),
        xtx_inv=fit.xtx_inv,
        x_event=results.x_event,
        firm=results.events["ticker"].to_numpy(object),
        market_value_event=results.market_value_prev,
        conditional_variance=conditional_variance,
        dollar_variance=results.dollar_variance,
        dollar_days=results.dollar_days,
    )


def cross_event_statistics(
    results: PairTables,
    panel: EventPanel,
    windows: Sequence[tuple[int, int]],
    *,
    statistics: Sequence[str] | None = None,
    bootstrap_draws: int = 999,
    seed: int = 0,
    exclude_confounded: bool = False,
    parts: PartsOf | None = None,
) -> pd.DataFrame:
    """The battery's statistics for every (group, window), as ``stats.parquet`` rows.

    ``panel`` is :func:`event_panel` of ``results`` (built once and shared with
    :func:`caar_bands`). Per (group, window) the rows are the battery (the ``statistics`` of
    :data:`eventstudy.inference.STATISTICS`, all by default), the counts of the group's rows excluded before
    any statistic (:data:`EXCLUSION_ROWS`), the confounder counts (:func:`confounder_rows`) and,
    for the groups of listed parties (never ``peers``), the value-per-deal rows of
    :func:`value_per_deal_rows`. ``exclude_confounded`` leaves every confounded (pair, window) out of
    the statistics; otherwise, when some row is confounded, each group's twin without them
    follows (see the module docstring).

    The bootstrap uses ``numpy.random.default_rng(seed)``, so the table is reproducible.
    ``parts`` gives the battery's window-independent parts of each run (:data:`PartsOf`;
    default: computed from ``panel``).
    """
    events = results.events
    car = results.car
    rows_of_pair = np.repeat(np.arange(len(events)), len(windows))
    if len(car) != rows_of_pair.size or not np.array_equal(
        car["event_id"].to_numpy(object), events["event_id"].to_numpy(object)[rows_of_pair]
    ):
        raise ValueError("results.car is not the study's per-window table (one row per pair and window)")
    options: _BootstrapOptions = {"bootstrap_draws": bootstrap_draws, "seed": seed}
    window_labels = [window_label(w) for w in windows]
    batteries = group_batteries(
        events, car, panel, windows, statistics, options, exclude_confounded=exclude_confounded, parts=parts
    )
    if not car.index.equals(pd.RangeIndex(len(car))):
        car = car.reset_index(drop=True)  # row k is pair k // len(windows), window k % len(windows)
    shared = _SharedDays(panel, dict(zip(window_labels, windows, strict=True)), len(windows))
    rows: list[dict[str, object]] = []
    twins: list[dict[str, object]] = []
    for label, mask in groups(events):
        group_car = car[mask[rows_of_pair]]
        battery, twin_battery = batteries[label]
        rows += battery
        rows += exclusion_rows(group_car, label)
        rows += confounder_rows(group_car, label, excluded=exclude_confounded)
        if label != "peers":
            rows += value_per_deal_rows(
                without_confounded(group_car) if exclude_confounded else group_car, label, window_labels,
                shared_days=shared,
            )
        if twin_battery is not None:
            twins += twin_battery
            if label != "peers":
                twin_car = without_confounded(group_car)
                twins += value_per_deal_rows(
                    twin_car, unconfounded_group(label), window_labels, shared_days=shared
                )
    frame = pd.DataFrame(rows + twins)
    frame["n"] = frame["n"].astype("int64")
    return adjusted_p_values(frame).loc[:, list(STATS_COLUMNS)]


def battery_members(
    events: pd.DataFrame,
    car: pd.DataFrame,
    labels: Sequence[str],
    windows: Sequence[tuple[int, int]],
    *,
    exclude_confounded: bool = False,
) -> dict[tuple[str, tuple[int, int]], np.ndarray]:
    """Per (group, window), the (P,) bool pairs of ``events`` that :func:`cross_event_statistics`
    runs the battery on: the group's rows, less the window's confounded rows with
    ``exclude_confounded``; and, for a screened ``car`` without it, each group's twin
    (:func:`~eventstudy.timeline.confounders.unconfounded_group`) without them. ``events`` may be
    any subset of a study's rows (a partition's) with its ``car`` rows; ``labels`` are the
    study's (:func:`group_labels`)."""
    confounded = confounded_matrix(car, len(events), len(windows))
    twins = "confounded" in car.columns and not exclude_confounded
    out: dict[tuple[str, tuple[int, int]], np.ndarray] = {}
    for label, mask in group_rows(events, labels):
        for w, window in enumerate(windows):
            clean = mask & ~confounded[:, w]
            out[(label, window)] = clean if exclude_confounded else mask
            if twins:
                out[(unconfounded_group(label), window)] = clean
    return out


def _with_car(car: pd.DataFrame, shape: tuple[int, int]) -> np.ndarray:
    """(P, W) the rows of ``car`` with a CAR (outcome ``ok``): those the statistics take."""
    return (car["outcome"].to_numpy() == "ok").reshape(shape) if "outcome" in car else np.ones(shape, bool)


def confounded_matrix(car: pd.DataFrame, n_pairs: int, n_windows: int) -> np.ndarray:
    """(P, W) the windows a clean sample leaves out: ``car.parquet``'s ``confounded`` True (other
    news) or missing (not screened for earnings); False without the column."""
    if "confounded" not in car.columns:
        return np.zeros((n_pairs, n_windows), dtype=bool)
    return not_known_clean(car["confounded"]).reshape(n_pairs, n_windows)


class _BootstrapOptions(TypedDict):
    bootstrap_draws: int
    seed: int


Rows = list[dict[str, object]]


def group_batteries(
    events: pd.DataFrame,
    car: pd.DataFrame,
    panel: EventPanel,
    windows: Sequence[tuple[int, int]],
    statistics: Sequence[str] | None,
    options: _BootstrapOptions,
    *,
    exclude_confounded: bool = False,
    parts: PartsOf | None = None,
) -> dict[str, tuple[Rows, Rows | None]]:
    """Per group of ``events``, the battery's rows for every window and those of its twin without
    the confounded (or unscreened) rows of ``car`` (None unless some row is, and not
    ``exclude_confounded``; the twin runs the :data:`UNCONFOUNDED_STATISTICS` among
    ``statistics``, possibly none). ``exclude_confounded`` leaves those rows out of the group's own battery.
    The returns' statistics and the abnormal volume's (:mod:`eventstudy.volume`) both run on
    these samples, with ``panel`` the returns' or the volume's panel of the same pairs."""
    confounded = confounded_matrix(car, len(events), len(windows))
    # A flagged row without a CAR is in no statistic: a twin of the group would be the group again,
    # printed as if something had been left out (a finder).
    with_twins = bool((confounded & _with_car(car, confounded.shape)).any()) and not exclude_confounded
    chosen = [s for s in UNCONFOUNDED_STATISTICS if statistics is None or s in statistics]
    drop = confounded if exclude_confounded else None
    out: dict[str, tuple[Rows, Rows | None]] = {}
    for label, mask in groups(events):
        rows = _battery_rows(panel, mask, windows, drop, label, statistics, options, parts)
        twins: Rows | None = None
        if with_twins:
            twin = unconfounded_group(label)
            twins = _battery_rows(panel, mask, windows, confounded, twin, chosen, options, parts)
        out[label] = (rows, twins)
    return out


def _battery_rows(
    panel: EventPanel,
    mask: np.ndarray,
    windows: Sequence[tuple[int, int]],
    drop: np.ndarray | None,
    label: str,
    statistics: Sequence[str] | None,
    options: _BootstrapOptions,
    parts: PartsOf | None = None,
) -> list[dict[str, object]]:
    """The battery of the pairs ``mask`` for every window, leaving out the pairs ``drop[:, w]``
    of each window w (None: none). Windows without a dropped pair share one run; ``parts``
    gives each run's window-independent parts (:data:`PartsOf`; default: from ``panel``)."""
    results: dict[int, list] = {}
    dropped = np.zeros((len(mask), len(windows)), dtype=bool) if drop is None else drop & mask[:, None]
    clean = [w for w in range(len(windows)) if not dropped[:, w].any()]

    def run(rows: np.ndarray, chosen: list[int]) -> list[list]:
        subset = panel.subset(np.flatnonzero(rows))
        run_windows = tuple(windows[w] for w in chosen)
        given = None if parts is None else parts(label, run_windows, subset, rows)
        return run_battery_windows(subset, list(run_windows), statistics=statistics, parts=given, **options)

    if clean:
        results.update(zip(clean, run(mask, clean), strict=True))
    for w in range(len(windows)):
        if w not in results:
            results[w] = run(mask & ~dropped[:, w], [w])[0]
    rows: list[dict[str, object]] = []
    for w, window in enumerate(windows):
        rows += results_to_rows(results[w], group=label, window=window_label(window))
    return rows


def without_confounded(car: pd.DataFrame) -> pd.DataFrame:
    """``car`` (one group's rows) without the (event, window) rows of any event that has a
    confounded (or unscreened) row in that window."""
    if "confounded" not in car.columns:
        return car
    flagged = not_known_clean(car["confounded"])
    hit = car.loc[flagged, ["event_id", "window"]].drop_duplicates()
    if hit.empty:
        return car
    keys = pd.MultiIndex.from_frame(car[["event_id", "window"]])
    return car[~keys.isin(pd.MultiIndex.from_frame(hit))]


CONFOUNDER_ROWS: dict[str, str] = {
    "confounded_rows": (
        "(event, party) rows with a CAR whose window holds other news (car.parquet confounded: an "
        "earnings release, another event of the ticker or a news-file line; McWilliams & Siegel 1997)"
    ),
    "unscreened_rows": (
        "(event, party) rows with a CAR whose window holds no other news the study knows of but lies "
        "outside the ticker's earnings calendar (car.parquet confounded missing: a date of the window "
        "more than 60 days from every listed release, or no calendar)"
    ),
    "dominant_day_rows": (
        "(event, party) rows with a CAR that one day other than day 0 carries (car.parquet "
        "dominant_tau); a warning, never excluded"
    ),
}


def confounder_rows(car: pd.DataFrame, group: str, *, excluded: bool) -> list[dict[str, object]]:
    """Per window of ``car`` (one group's rows): the number of its rows with a CAR (outcome
    ``ok``, the rows the statistics take) that are confounded, unscreened, or that one other day
    dominates (value and n; p NaN); nothing when ``car`` was not screened. A row without a CAR was
    counted "kept in the statistics", in none of them (a finder)."""
    if "confounded" not in car.columns:
        return []
    windows = car["window"].unique()
    if "outcome" in car.columns:
        car = car[car["outcome"] == "ok"]
    fate = (
        "; excluded from every statistic (exclude_confounded = true)"
        if excluded
        else f"; kept in the statistics, left out of the group {unconfounded_group(group)!r}"
    )
    rows: list[dict[str, object]] = []
    for window in windows:
        part = car[car["window"] == window]
        counts = {
            "confounded_rows": int(part["confounded"].fillna(False).astype(bool).sum()),
            "unscreened_rows": int(part["confounded"].isna().sum()),
            "dominant_day_rows": int(part["dominant_tau"].notna().sum()),
        }
        for statistic, count in counts.items():
            reference = CONFOUNDER_ROWS[statistic] + (fate if statistic != "dominant_day_rows" else "")
            rows.append(
                {
                    "group": group,
                    "window": window,
                    "statistic": statistic,
                    "value": float(count),
                    "p": float("nan"),
                    "n": count,
                    "reference": reference,
                }
            )
    return rows


EXCLUSION_ROWS: dict[str, str] = {
    "degenerate_estimation_rows": "degenerate_estimation",
    "market_proxy_rows": MARKET_PROXY_OUTCOME,
}
"""Statistic name -> ``car.parquet`` outcome of rows excluded from every statistic that the
table counts per (group, window): estimation residuals that vanish
(:func:`eventstudy.models.ols.degenerate_fits`) and the model's proxy series listed as a party
(:func:`eventstudy.study.market_proxies`)."""
VOLUME_EXCLUSION_ROWS: dict[str, str] = {
    **EXCLUSION_ROWS,
    "no_volume_rows": "no_volume",
    "no_share_counts_rows": "no_share_counts",
}
"""The same for ``volume_stats.parquet`` and ``volume.parquet``'s outcomes, with the pairs the
volume study has no volume of (the ticker or the market trades none: an index as the market) or,
for turnover, no share counts of (:func:`eventstudy.volume.abnormal_volume`): a study of an index
market was all NaN with n = 0, no row saying why."""


def exclusion_rows(
    car: pd.DataFrame, group: str, counted: Mapping[str, str] = EXCLUSION_ROWS
) -> list[dict[str, object]]:
    """Per window of ``car`` (one group's rows) and statistic of ``counted`` (name -> outcome):
    the number of the group's (event, party) rows with that outcome (value and n; p NaN)."""
    rows: list[dict[str, object]] = []
    for window, part in car.groupby("window", sort=False):
        for statistic, outcome in counted.items():
            count = int((part["outcome"] == outcome).sum())
            rows.append(
                {
                    "group": group,
                    "window": window,
                    "statistic": statistic,
                    "value": float(count),
                    "p": float("nan"),
                    "n": count,
                    "reference": f"(event, party) rows with outcome {outcome}, excluded from every statistic",
                }
            )
    return rows


CAAR_COLUMNS: tuple[str, ...] = (
    "group", "tau", "caar", "lower", "upper", "n", "draws", "level",
    "classic_lower", "classic_upper", "median", "wilcoxon_lower", "wilcoxon_upper", "wilcoxon_coverage",
)


def caar_bands(
    results: PairTables,
    panel: EventPanel,
    *,
    draws: int = 999,
    seed: int = 0,
    level: float = 0.95,
    exclude_confounded: bool = False,
) -> pd.DataFrame:
    """The CAAR path of every group over the event span with its bootstrap band (``caar.parquet``).

    :math:`CAAR_\\tau = N^{-1}\\sum_i CAR_i(\\tau_1, \\tau)` from the span's first day, and the
    pointwise expanded percentile band of resampled paths (events resampled with replacement, B =
    ``draws``, ``numpy.random.default_rng(seed)``; Efron & Tibshirani 1993, ch. 13; Hesterberg
    2015; none with too few pairs), from
    :func:`eventstudy.inference.caar_band`. Pairs with a missing day in the span are left out
    (``n`` counts the others). With ``exclude_confounded`` a pair confounded in any window
    leaves every path (the path crosses all the windows). Deterministic given ``seed``. The same
    paths also get the classic t band of the mean and the sample median with its Wilcoxon
    (Walsh-average) band at ``level`` (:func:`eventstudy.inference.path_bands`; R eventstudies'
    ``inference.classic`` and ``inference.wilcox``).
    """
    first, last = int(results.event_taus[0]), int(results.event_taus[-1])
    n_pairs = len(results.events)
    keep = np.ones(n_pairs, dtype=bool)
    if exclude_confounded:
        keep &= ~confounded_matrix(results.car, n_pairs, len(results.car) // max(n_pairs, 1)).any(axis=1)
    frames = []
    for label, mask in groups(results.events):
        group = panel.subset(np.flatnonzero(mask & keep))
        band = caar_band(group, first, last, draws=draws, seed=seed, level=level)
        classic, wilcoxon = path_bands(group, first, last, level=level)
        frames.append(
            pd.DataFrame(
                {
                    "group": label,
                    "tau": np.arange(first, last + 1, dtype=np.int64),
                    "caar": band.caar,
                    "lower": band.lower,
                    "upper": band.upper,
                    "n": np.int64(band.n),
                    "draws": np.int64(band.draws),
                    "level": band.level,
                    "classic_lower": classic.lower,
                    "classic_upper": classic.upper,
                    "median": wilcoxon.centre,
                    "wilcoxon_lower": wilcoxon.lower,
                    "wilcoxon_upper": wilcoxon.upper,
                    "wilcoxon_coverage": wilcoxon.coverage,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).loc[:, list(CAAR_COLUMNS)]


VALUE_PER_DEAL_REFERENCES: dict[str, str] = {
    "total_abnormal_value_usd": (
        "sum of abnormal_value_usd over the window of the listed parties (no peers) of the group's "
        "events with a disclosed deal_usd whose listed parties all have a dollar value, a (ticker, day) "
        "in the windows of several of those rows counted once (dollar_shared_days_usd); n = those "
        "events; Malatesta (1983)"
    ),
    "total_deal_usd": (
        "sum of deal_usd over the same events, each deal counted once however many of its parties "
        "are listed; events without a deal size (undisclosed, or no deal) are not counted"
    ),
    "value_per_deal_dollar": "total_abnormal_value_usd / total_deal_usd over the same events",
}
COUNT_ROWS: frozenset[str] = frozenset({*CONFOUNDER_ROWS, *EXCLUSION_ROWS, *VALUE_PER_DEAL_REFERENCES})
"""The rows of ``stats.parquet`` that count or sum rows of ``car.parquet``: no statistic of the
registry (:data:`eventstudy.inference.STATISTICS`)."""

ROW_UNITS: dict[str, str] = {
    **dict.fromkeys([*CONFOUNDER_ROWS, *VOLUME_EXCLUSION_ROWS], "count"),
    "total_abnormal_value_usd": "usd",
    "total_deal_usd": "usd",
    "value_per_deal_dollar": "usd/usd",
}
"""The unit of each row of :data:`COUNT_ROWS` (units of :mod:`eventstudy.output.schema`)."""


def statistic_unit(statistic: str, recorded: Mapping[str, Any] | None = None) -> str:
    """The unit of a ``stats.parquet`` row's value: the registered statistic's
    (:attr:`eventstudy.inference.Statistic.unit`), else the one a folder's manifest records
    (``recorded``, :func:`statistic_units`: a statistic a notebook registered), a count or sum
    row's (:data:`ROW_UNITS`), and ``t`` for a name none of them knows."""
    if statistic in STATISTICS:
        return STATISTICS[statistic].unit
    unit = (recorded or {}).get(statistic)
    if isinstance(unit, str) and unit in STATISTIC_UNITS:
        return unit
    return ROW_UNITS.get(statistic, "t")


def statistic_units(names: Iterable[str]) -> dict[str, str]:
    """The registered unit of each of ``names`` that is not ``t`` (a folder's manifest records
    them, as it records ``p_from``)."""
    known = (STATISTICS[name] for name in names if name in STATISTICS)
    return {statistic.name: statistic.unit for statistic in known if statistic.unit != "t"}


class SharedDays(Protocol):
    """What a sum of some ``car.parquet`` rows' ``abnormal_value_usd`` of one window counts beyond
    once on (ticker, day)s in several of those rows' windows (:func:`_SharedDays.__call__`)."""

    def __call__(self, rows: pd.DataFrame, window: str) -> float: ...


class _SharedDays:
    """:class:`SharedDays` of a study's rows (``car`` row k is pair k // ``n_windows``), from the
    panel's tickers, event-window days, abnormal returns and market values
    (:func:`~eventstudy.inference.dollar.shared_day_excess`)."""

    def __init__(self, panel: EventPanel, windows: dict[str, tuple[int, int]], n_windows: int) -> None:
        self.panel, self.windows, self.n_windows = panel, windows, n_windows

    def __call__(self, rows: pd.DataFrame, window: str) -> float:
        panel = self.panel
        if panel.market_value_event is None or len(rows) < 2:
            return 0.0
        pairs = rows.index.to_numpy() // self.n_windows
        columns = panel.window_mask(*self.windows[window])
        dollars = panel.ar_event[pairs][:, columns] * panel.market_value_event[pairs][:, columns]
        excess, _, _ = shared_day_excess(
            panel.firm[pairs], panel.event_day[pairs][:, columns], dollars, np.zeros_like(dollars)
        )
        return excess


def value_per_deal_rows(
    car: pd.DataFrame,
    group: str,
    windows: Sequence[str] | None = None,
    *,
    shared_days: SharedDays | None = None,
) -> list[dict[str, object]]:
    """Aggregate dollar value per deal dollar of a group's listed parties, per window.

    .. math:: \\text{value per deal dollar} = \\frac{\\sum_e \\sum_{i \\in e} \\Delta V_{i} - S}{\\sum_e D_e}

    over the events e with a disclosed deal size :math:`D_e` whose listed parties i all have an
    abnormal dollar value (outcome ``ok`` and a market value; a party that is the market proxy,
    outcome ``market_proxy``, has none and needs none: its abnormal return against itself is zero);
    each deal is counted once however many of its parties are listed. :math:`S` is what the sum
    counts beyond once on a (ticker, day) in the windows of several of those rows (two deals of
    one firm a few sessions apart: the day is one change of the firm's value, its dollar abnormal
    return the mean of the rows' estimates; :mod:`eventstudy.inference.dollar`), given by
    ``shared_days`` (None: 0). Peers
    (role ``peer``) never enter: a ``peers`` group gets no such rows from
    :func:`cross_event_statistics`, and peer rows are dropped here. ``p`` is NaN:
    these are descriptive (the battery's ``dollar_abnormal_value`` tests the value of every row
    with a dollar value, deal or not). Each row's ``reference`` says what it covers
    (:data:`VALUE_PER_DEAL_REFERENCES`). ``windows`` (default: those of ``car``) each get their
    rows, with n = 0 and NaN totals and ratio where no event qualifies (a group without a
    disclosed deal, every row of the window left out as confounded).
    """
    rows: list[dict[str, object]] = []
    labels = list(dict.fromkeys(car["window"])) if windows is None else list(windows)
    by_window = dict(tuple(car.groupby("window", sort=False)))
    for window in labels:
        part = by_window.get(window, car.iloc[:0])
        part = part[_deal_parties(part)]
        event_values, event_deals, counted = _complete_deals(part)
        # No qualifying event: NaN totals, not a sum of nothing (the shock group's "$0" beside its
        # dollar_abnormal_value of -$825B in the launch study read as a measured zero).
        total_value = float(event_values.sum()) if len(event_values) else float("nan")
        total_deal = float(event_deals.sum()) if len(event_values) else float("nan")
        if shared_days is not None and counted.sum() > 1:
            total_value -= shared_days(part[counted], window)
        ratio = total_value / total_deal if total_deal > 0 else float("nan")
        for statistic, value in (
            ("total_abnormal_value_usd", total_value),
            ("total_deal_usd", total_deal),
            ("value_per_deal_dollar", ratio),
        ):
            rows.append(
                {
                    "group": group,
                    "window": window,
                    "statistic": statistic,
                    "value": value,
                    "p": float("nan"),
                    "n": len(event_values),
                    "reference": VALUE_PER_DEAL_REFERENCES[statistic],
                }
            )
    return rows


def _is_market_proxy(car: pd.DataFrame) -> np.ndarray:
    """Rows of a party that is the market proxy itself (outcome ``market_proxy``): its abnormal
    return against itself is zero by construction, so it adds nothing to its event's value and
    does not keep the event's other parties out of the totals."""
    if "outcome" not in car.columns:
        return np.zeros(len(car), dtype=bool)
    return (car["outcome"] == MARKET_PROXY_OUTCOME).to_numpy()


def caveated_totals(rows: pd.DataFrame, *, excluded: bool = False) -> dict[str, set[str]]:
    """Per stats.parquet group (``all``, the event groups, ``peers`` and their unconfounded
    twins), the dollar statistics whose total counts one of ``rows`` (car.parquet's rows of one
    window) that has a dollar value resting on a ``[[shares.caveats]]`` count: the rows named a
    caveat, the totals did not (a finder). The members are the statistics' own: the group's rows
    (less the confounded ones with ``excluded``, the config's ``exclude_confounded``) for
    ``dollar_abnormal_value``, the twin's its clean rows; for ``value_per_deal_dollar`` the rows
    of the complete deals of the group's rows, or of those left by
    :func:`~eventstudy.aggregate.without_confounded` (a caveated row of an event dropped as
    confounded was marked: a re-attack)."""
    notes = rows["note"] if "note" in rows else pd.Series([None] * len(rows), index=rows.index)
    caveated = notes.map(has_share_caveat).to_numpy(bool) & rows["abnormal_value_usd"].notna().to_numpy()
    if not caveated.any():
        return {}
    screened = "confounded" in rows  # an older folder's rows were not screened
    clean = ~not_known_clean(rows["confounded"]) if screened else np.ones(len(rows), bool)
    out: dict[str, set[str]] = {}
    for label, mask in group_rows(rows, group_labels(rows)):
        samples = [(label, excluded)]
        if screened and not excluded:  # the twin, as aggregate.battery_members makes it
            samples.append((unconfounded_group(label), True))
        for name, clean_only in samples:
            members = mask & clean if clean_only else mask
            named = {"dollar_abnormal_value"} if (members & caveated).any() else set()
            if label != "peers":  # peers have no value per deal dollar (value_per_deal_rows)
                part = without_confounded(rows[mask]) if clean_only else rows[mask]
                counted = np.zeros(len(rows), dtype=bool)
                counted[rows.index.get_indexer(part.index)] = deal_rows(part)
                if (counted & caveated).any():
                    named.add("value_per_deal_dollar")
            if named:
                out[name] = named
    return out


def deal_rows(part: pd.DataFrame) -> np.ndarray:
    """(rows,) bool: the rows of ``part`` (a group's rows of one window, as
    :func:`value_per_deal_rows` takes them) that its value per deal dollar counts, those of the
    events with a deal size whose parties all have a dollar value."""
    parties = _deal_parties(part)
    counted = np.zeros(len(part), dtype=bool)
    counted[parties] = _complete_deals(part[parties])[2]
    return counted


def _deal_parties(part: pd.DataFrame) -> np.ndarray:
    """The rows of ``part`` a deal's value sums: its listed parties, less the market proxy's."""
    return (part["role"] != "peer").to_numpy() & ~_is_market_proxy(part)


def _complete_deals(part: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each event's summed abnormal value and its deal size (events in order of their first row),
    for the events whose parties all have a value and whose deal size is known, and the (rows,)
    bool of those events' rows.

    An event's value is the sum of its parties' values in row order, NaN when one is NaN; its deal
    the first non-missing ``deal_usd``. This is ``groupby("event_id").agg(value=sum with
    min_count=len, deal="first").dropna()`` to the bit, without pandas' per-group aggregation
    machinery (a third of a launch study's statistics time).
    """
    codes, _ = pd.factorize(part["event_id"], sort=False)
    keep = codes >= 0  # a missing event_id is no event (groupby drops it)
    if not keep.any():
        return np.empty(0), np.empty(0), np.zeros(len(part), dtype=bool)
    order = np.argsort(codes[keep], kind="stable")  # rows grouped by event, row order kept in each
    sorted_codes = codes[keep][order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    values = np.split(part["abnormal_value_usd"].to_numpy(dtype=float)[keep][order], starts[1:])
    deals = np.split(part["deal_usd"].to_numpy(dtype=float)[keep][order], starts[1:])
    value = np.array([chunk.sum() for chunk in values])  # NaN when one party's value is NaN
    known = [chunk[~np.isnan(chunk)] for chunk in deals]
    deal = np.array([chunk[0] if len(chunk) else np.nan for chunk in known])
    complete = ~np.isnan(value) & ~np.isnan(deal)
    rows = np.zeros(len(part), dtype=bool)
    rows[np.flatnonzero(keep)[order]] = np.repeat(complete, np.diff(np.r_[starts, sorted_codes.size]))
    return value[complete], deal[complete], rows
