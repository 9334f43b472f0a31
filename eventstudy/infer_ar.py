"""Inference on pre-computed abnormal returns: :func:`infer` (``eventstudy.infer``, ``eventstudy infer``).

Reads an AR (or CAR) panel and, optionally, the estimation residuals of its pairs
(:mod:`eventstudy.data.abnormal_panel`), builds the :class:`~eventstudy.inference.EventPanel`
they make (:mod:`eventstudy.precomputed`) and runs every statistic of the registry
:data:`eventstudy.inference.STATISTICS` on it -- the statistics registered later (a user's, or
a new release's) included -- reporting those the panel cannot supply as not computable, with
what they need. Daily or monthly: τ counts the panel's own periods.

Example::

    from eventstudy import infer

    results = infer("ar.csv", units="percent", windows=[(0, 0), (-1, 1)])
    results.stats                     # group, window, statistic, value, p, n, reference
    results = infer("ar.csv", units="decimal", estimation="residuals.csv", n_params=2)
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.config import window_days, window_label
from eventstudy.errors import InputError, ParameterError
from eventstudy.summary import LaidOutSummary

if TYPE_CHECKING:
    from eventstudy.data.abnormal_panel import AbnormalPanelFile
    from eventstudy.inference.panel import EventPanel
    from eventstudy.precomputed import PanelPairs

__all__ = ["InferenceResults", "infer"]

FIRM_CLUSTERED = ("cluster_firm_t", "cluster_two_way_t")
"""The statistics that cluster by firm (a long panel's id)."""
WIDE_FIRM_NOTE = (
    "a wide panel's columns are pairs, not firms: the firm clusters (cluster_firm_t, "
    "cluster_two_way_t) have one pair each; a long panel's id column names the firm"
)

STUDENT_T_VARIANCE: tuple[str, ...] = (
    "patell_z",
    "kp_adjusted_patell_z",
    "abnormal_volatility",
    "volatility_t",
)
"""The statistics that scale a standardized AR by its Student-t variance (M - k)/(M - k - 2), and
so leave out the pairs with M - k <= 2 (named in a note)."""


@dataclass
class InferenceResults:
    """The cross-event statistics of a pre-computed abnormal-return panel.

    Attributes
    ----------
    stats
        One row per (group, window, statistic): ``group, window, statistic, value, p, n,
        reference`` (the layout of a study's ``stats.parquet``). A statistic the panel cannot
        supply has NaN value and p, n = 0 and a reference saying what it needs.
    pairs
        The panel's (event, id) pairs: ``event_id, id, group``.
    layout
        ``ar``, ``wide`` or ``car``.
    sources
        What was read: the panels' paths, layouts, rows and ignored columns, the units, k.
    notes
        Sentences a reader needs (what the panel lacks, the variance used).
    """

    stats: pd.DataFrame
    pairs: pd.DataFrame
    layout: str
    sources: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def computable(self) -> list[str]:
        """The statistics computed (not reported as not computable), in registry order."""
        return computed_statistics(self.stats)

    def to_frame(self) -> pd.DataFrame:
        """The statistics (:attr:`stats`), a copy."""
        return self.stats.copy()

    def summary(self) -> LaidOutSummary:
        """The statistics (value, p, n) per group and window, and the notes: fixed-width text
        (what ``eventstudy infer`` prints), HTML in a notebook, ``.as_latex()``."""
        title = f"{len(self.pairs)} pair{'' if len(self.pairs) == 1 else 's'} ({self.layout} panel)"
        lines = [title]
        info: tuple[tuple[str, str], ...] = ()
        if "units" in self.sources:  # a percent panel's caar of 0.02 is 2%, not 0.02%
            units = f"caar is a fraction (0.02 = 2%); the panel was read in {self.sources['units']}"
            lines.append(f"values: {units}")
            info = (("Values", units),)
        tables = []
        for (group, window), part in self.stats.groupby(["group", "window"], sort=False):
            lines.append(f"\n{group} {window}")
            rows = []
            columns = part[["statistic", "value", "p", "n", "reference"]]
            for statistic, value, p_value, n, reference in columns.itertuples(index=False, name=None):
                if np.isnan(value) and n == 0 and reference.startswith("not computable"):
                    needs = f"not computable: {reference.split(': ', 1)[-1]}"
                    lines.append(f"  {statistic:<26} {needs}")
                    rows.append([statistic, needs, "", ""])
                    continue
                p = "" if np.isnan(p_value) else f"p = {p_value:.4g}"
                shown = _value_text(value)
                lines.append(f"  {statistic:<26} {shown:>14}  {p:<14} n = {n}")
                rows.append([statistic, shown, p.removeprefix("p = "), str(n)])
            tables.append((f"{group} {window}", pd.DataFrame(rows, columns=["statistic", "value", "p", "n"])))
        lines += [f"\nnote: {note}" for note in self.notes]
        return LaidOutSummary(title, info, tuple(tables), tuple(self.notes), text="\n".join(lines))

    def __repr__(self) -> str:
        return (
            f"<InferenceResults: {len(self.pairs)} pairs, {self.layout} panel, "
            f"{len(self.computable)} statistics computable>"
        )


def _value_text(value: float) -> str:
    """A statistic's value in six significant digits; a whole number (Wilcoxon's W, a count) in
    full (W = 1027667 read 1.02767e+06)."""
    if np.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value)}"
    return f"{value:.6g}"


def computed_statistics(stats: pd.DataFrame) -> list[str]:
    """The statistics of ``stats`` that were computed (not reported as not computable), in order."""
    from eventstudy.inference.battery import NOT_COMPUTABLE

    rows = stats[~stats["reference"].str.startswith(NOT_COMPUTABLE)]
    return list(dict.fromkeys(rows["statistic"]))


def _check_bootstrap(draws: object, seed: object) -> None:
    """Refuse a bootstrap option numpy would reject deep inside, or silently truncate, naming it."""
    if isinstance(draws, bool) or not isinstance(draws, numbers.Integral) or int(draws) < 1:
        raise ValueError(f"bootstrap_draws must be a positive whole number, not {draws!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise ValueError(f"seed must be a non-negative whole number, not {seed!r}")


def infer(
    ar: str | Path | pd.DataFrame,
    *,
    units: str | None,
    windows: Sequence[tuple[int, int]] | None = None,
    estimation: str | Path | pd.DataFrame | None = None,
    n_params: int | None = None,
    statistics: Sequence[str] | None = None,
    bootstrap_draws: int = 999,
    seed: int = 0,
) -> InferenceResults:
    """Run the cross-event statistics on a pre-computed AR (or CAR) panel.

    Parameters
    ----------
    ar
        The panel: a CSV or parquet file, or a frame with the same columns
        (:mod:`eventstudy.data.abnormal_panel`; a study's ``ar.parquet`` is one).
    units
        ``decimal`` or ``percent``, for every panel given (required: never guessed).
    windows
        Event windows ``(start, end)`` in the panel's τ (AR layouts; default: the whole span of
        τ). A CAR panel's windows are its own.
    estimation
        The estimation-window residuals of the same pairs (AR layouts only), or None.
    n_params
        k of the model behind the residuals (required with ``estimation``).
    statistics
        Names of :data:`eventstudy.inference.STATISTICS` to compute (default: all).
    bootstrap_draws, seed
        The bootstrap's resamples and ``numpy.random.default_rng`` seed.

    Raises
    ------
    InputError
        Naming the file, row and field of bad input; a :class:`~eventstudy.errors.ParameterError`
        (an ``InputError``) names the parameter at fault (``windows``, ``n_params``,
        ``statistics``, ``estimation``; ``eventstudy infer`` names its flag instead).
    TypeError
        For ``windows`` that is one window or a text, not a list of windows.
    """
    from eventstudy.data.abnormal_panel import frame_name, read_abnormal_panel, unit_doubts
    from eventstudy.precomputed import (
        PanelMismatchError,
        annotate_sigma_rows,
        ar_event_panel,
        car_event_panels,
        needs_estimation,
        panel_statistics,
    )

    _check_statistics(statistics)
    _check_bootstrap(bootstrap_draws, seed)
    _check_windows(windows)
    where = frame_name(False) if isinstance(ar, pd.DataFrame) else str(ar)
    panel_file = read_abnormal_panel(ar, units=units)
    sources: dict[str, Any] = {"ar": panel_file.describe(), "units": units}
    if panel_file.layout == "car":
        if estimation is not None:
            why = f"applies to AR panels: {where} is a CAR panel, which has no event days to match them to"
            raise ParameterError("estimation", why)
        if windows is not None:
            why = f"only for AR panels: {where} is a CAR panel, whose windows are its own"
            raise ParameterError("windows", why)
        if n_params is not None:  # it was ignored, whatever its value (a finder)
            raise ParameterError("n_params", "applies to estimation residuals, and a CAR panel has none")
        frames = []
        pairs_all = []
        equal: list[str] = []
        for label, panel, pairs in car_event_panels(panel_file.frame):
            frames.append(
                panel_statistics(
                    panel,
                    pairs,
                    [(0, 0)],
                    labels=[label],
                    statistics=statistics,
                    bootstrap_draws=bootstrap_draws,
                    seed=seed,
                )
            )
            pairs_all.append(pairs.frame())
            equal += _equal_cars(panel, pairs, [(0, 0)], frames[-1], labels=[label])
        pairs_frame = pd.concat(pairs_all, ignore_index=True).drop_duplicates(ignore_index=True)
        car_notes = (
            "a CAR panel holds one number per pair and window: only the statistics of the CARs alone apply",
            *unread_columns(panel_file, None),
            *unit_doubts(panel_file, units=units),
            *equal,
        )
        return InferenceResults(pd.concat(frames, ignore_index=True), pairs_frame, "car", sources, car_notes)

    estimation_file = None
    if estimation is not None:
        if n_params is None:
            raise ParameterError(
                "n_params",
                "give the number of parameters of the model behind the estimation residuals "
                "(2 for the market model, 1 for constant mean, 0 for market-adjusted or raw returns)",
            )
        if (
            isinstance(n_params, bool)
            or not isinstance(n_params, int | np.integer)
            or not 0 <= n_params <= 20
        ):
            raise ParameterError("n_params", f"{n_params!r} is not a whole number of parameters from 0 to 20")
        estimation_file = read_abnormal_panel(estimation, units=units, estimation=True)
        sources["estimation"] = {**estimation_file.describe(), "n_params": int(n_params)}
    elif n_params is not None:
        raise ParameterError("n_params", "applies to estimation residuals, and none is given")
    try:
        panel, pairs = ar_event_panel(
            panel_file.frame,
            None if estimation_file is None else estimation_file.frame,
            n_params=n_params,
        )
    except PanelMismatchError as exc:
        assert estimation_file is not None  # only an estimation panel mismatches
        row, field_name = None, exc.column
        if exc.position is not None:
            row, field_name = estimation_file.cell(exc.position, exc.column)
        raise InputError(estimation_file.path, str(exc), row=row, field=field_name) from None
    except ValueError as exc:  # the AR panel's (the estimation panel's are PanelMismatchErrors)
        raise InputError(where, str(exc)) from None
    taus = panel.event_tau
    chosen = [(int(taus[0]), int(taus[-1]))] if windows is None else [_two_days(w) for w in windows]
    if not chosen:
        raise ParameterError("windows", "give at least one window (or none, for the panel's whole span)")
    repeated = next((w for k, w in enumerate(chosen) if w in chosen[:k]), None)
    if repeated is not None:  # its rows would be in the table twice
        raise ParameterError("windows", f"[{repeated[0]}, {repeated[1]}] is given twice")
    for start, end in chosen:
        if start > end:  # "[1, -1] is not a window of the panel's tau -3..3" named no cause
            raise ParameterError("windows", f"[{start}, {end}] runs backwards: give its first day first")
        if start not in set(taus.tolist()) or end not in set(taus.tolist()):
            raise ParameterError(
                "windows",
                f"[{start}, {end}] is not a window of the panel's tau {int(taus[0])}..{int(taus[-1])}",
            )
    stats = panel_statistics(
        panel, pairs, chosen, statistics=statistics, bootstrap_draws=bootstrap_draws, seed=seed
    )
    notes = unread_columns(panel_file, estimation_file)
    notes += unit_doubts(panel_file, estimation_file, units=units)
    notes += [f"the panel lacks {what}" for what in _lacking(panel.missing_inputs)]
    notes += _incomplete_windows(panel, pairs, chosen)
    notes += _equal_cars(panel, pairs, chosen, stats)
    if panel_file.layout == "wide" and set(FIRM_CLUSTERED) & set(stats["statistic"]):
        notes.append(WIDE_FIRM_NOTE)
    if estimation_file is not None and n_params is not None:  # n_params is given with the residuals
        from eventstudy.precomputed import SIGMA_NOTE, pair_text

        stats = annotate_sigma_rows(
            stats, needs_estimation(panel, chosen[0], statistics=statistics), int(n_params)
        )
        notes.append(SIGMA_NOTE.format(k=int(n_params)))
        lost = np.flatnonzero(~(np.isfinite(panel.sigma) & (panel.sigma > 0)))
        if lost.size:  # as a study leaves out a pair it could not estimate
            first = pair_text((pairs.event_id[lost[0]], pairs.id[lost[0]]))
            notes.append(
                f"{lost.size} of {len(panel.sigma)} pairs have no estimation s.d. (fewer residuals than "
                f"{int(n_params)} + 1, or all 0), first {first}: they are in no statistic, as a study "
                "leaves out a pair it could not estimate"
            )
        few = np.flatnonzero(np.isfinite(panel.sigma) & (panel.sigma > 0) & ~(panel.dof > 2))
        computed = computed_statistics(stats)
        leaving = [name for name in STUDENT_T_VARIANCE if name in computed]
        if few.size and leaving:
            first = pair_text((pairs.event_id[few[0]], pairs.id[few[0]]))  # patell_z was NaN, n = 0, unsaid
            notes.append(
                f"{few.size} of {len(panel.sigma)} pairs have M - k <= 2 (M estimation residuals, k = "
                f"{int(n_params)}), first {first}: {', '.join(leaving)} "
                f"{'leaves' if len(leaving) == 1 else 'leave'} them out, as the variance "
                "(M - k)/(M - k - 2) of a standardized AR needs M - k > 2"
            )
    return InferenceResults(stats, pairs.frame(), panel_file.layout, sources, tuple(notes))


def _incomplete_windows(
    panel: EventPanel, pairs: PanelPairs, windows: Sequence[tuple[int, int]]
) -> list[str]:
    """A note per window some pairs lack an abnormal return in (a blank cell, or a tau the panel
    has for other pairs only): its statistics leave them out, as a study's row of outcome
    ``incomplete_event_window`` is (its n said fewer pairs, and no note said why)."""
    from eventstudy.precomputed import pair_text

    notes = []
    taus = panel.event_tau
    for start, end in windows:
        days = (taus >= start) & (taus <= end)
        gaps = ~np.isfinite(panel.ar_event[:, days])
        short = np.flatnonzero(gaps.any(axis=1))
        if short.size:
            first = short[0]
            tau = int(taus[days][np.argmax(gaps[first])])
            notes.append(
                f"{short.size} of {gaps.shape[0]} pairs {'lacks' if short.size == 1 else 'lack'} an "
                "abnormal return on a day of "
                f"{window_label((start, end))} (first {pair_text((pairs.event_id[first], pairs.id[first]))} "
                f"at tau {tau:+d}): that window's statistics leave them out"
            )
    return notes


def unread_columns(*files: AbnormalPanelFile | None) -> list[str]:
    """A note per long panel naming its columns that were not read: a misnamed ``groups`` put
    every pair in ``all``, a ``car`` beside ``ar`` was passed over, both unsaid (a finder)."""
    from eventstudy.data.abnormal_panel import read_columns

    return [
        f"{file.path}: columns not read: {', '.join(map(repr, file.ignored))} "
        f"(read: {', '.join(read_columns(file.layout))})"
        for file in files
        if file is not None and file.ignored
    ]


def _equal_cars(
    panel: EventPanel,
    pairs: PanelPairs,
    windows: Sequence[tuple[int, int]],
    stats: pd.DataFrame,
    labels: Sequence[str] | None = None,
) -> list[str]:
    """A note per group and window (labelled ``labels``, default the windows') whose CARs are
    all equal to rounding (zero :func:`~eventstudy.inference.result.spread`: stale prices give
    ARs of 0), naming the statistics that came out NaN there: they showed ``nan, n = 3`` with no
    reason (a finder)."""
    from eventstudy.inference.result import spread

    notes = []
    taus = panel.event_tau
    undefined = stats[stats["value"].isna() & (stats["n"] > 0)]
    for (start, end), label in zip(windows, labels or [window_label(w) for w in windows], strict=True):
        days = (taus >= start) & (taus <= end)
        cars = panel.ar_event[:, days].sum(axis=1)  # NaN for a pair lacking a day: left out
        for group, mask in pairs.groups():
            values = cars[mask & np.isfinite(cars)]
            nan_rows = undefined[(undefined["group"] == group) & (undefined["window"] == label)]
            if values.size > 1 and spread(values) == 0 and len(nan_rows):
                notes.append(
                    f"the {values.size} CARs of {group} {label} are all equal (no spread), so a t that "
                    f"divides by their spread is undefined; nan here: {', '.join(nan_rows['statistic'])}"
                )
    return notes


def _two_days(window: object) -> tuple[int, int]:
    days = window_days(window)
    if days is None:
        raise ParameterError("windows", f"{window!r} is not two whole relative days like [-1,+1]")
    return days


def _check_windows(windows: object) -> None:
    """Refuse one window, or a text, where a list of windows belongs: ``"[-1,1]"`` was read as
    the windows '[', '-', ... and ``(-1, 1)`` as the windows -1 and 1."""
    days = list(windows) if isinstance(windows, tuple | list) and len(windows) == 2 else []
    if isinstance(windows, str) or (days and all(isinstance(day, numbers.Integral) for day in days)):
        raise TypeError(f"windows must be a list of windows, e.g. [(-1, 1)], not {windows!r}")


def _lacking(missing: frozenset[str]) -> list[str]:
    from eventstudy.inference.panel import PANEL_INPUTS

    return [PANEL_INPUTS[name] for name in PANEL_INPUTS if name in missing]


def _check_statistics(statistics: Sequence[str] | None) -> None:
    if statistics is None:
        return
    if isinstance(statistics, str):  # its letters are no statistics
        problem = f"give a list of statistic names, e.g. [{statistics!r}], not one text"
        raise ParameterError("statistics", problem)
    if not statistics:  # returned an empty table (a finder)
        raise ParameterError("statistics", "give at least one statistic name (or none: every statistic)")
    from eventstudy.inference import STATISTICS

    for i, name in enumerate(statistics):
        if name not in STATISTICS:
            raise ParameterError("statistics", f"{name!r} is not one of {', '.join(STATISTICS)}")
        if name in statistics[:i]:  # as a config's statistics key refuses it
            raise ParameterError("statistics", f"{name!r} is listed twice")
