"""The results of a study, complete: per-pair tables, statistics, CAAR bands, backtest.

:class:`StudyResults` is what :func:`eventstudy.study.run_study` returns and what
:func:`eventstudy.output.load.load_study` rebuilds from an output folder. Its tables are exactly
the exported files:

==============  ==========================  =================================================
attribute       file                        one row per
==============  ==========================  =================================================
``events``      ``events.parquet``          (event, party or peer)
``ar``          ``ar.parquet``              (event, ticker, relative day)
``car``         ``car.parquet``             (event, ticker, window)
``stats``       ``stats.parquet``           (group, window, statistic)
``caar``        ``caar.parquet``            (group, relative day)
``backtest``    ``trades``/``backtest``/    see :class:`eventstudy.backtest.BacktestResults`
                ``drift.parquet``
==============  ==========================  =================================================

Tables of the optional methods, None unless the config asks for them (:data:`OPTIONAL_TABLES`):

================  ==========================  ================================================
attribute         file                        one row per
================  ==========================  ================================================
``crosssection``  ``crosssection.parquet``    (regression, term, covariance type)
``garch``         ``garch.parquet``           (event, ticker, relative day), ``variance`` set
``volume``        ``volume.parquet``          (event, ticker, relative day), ``volume`` set
``volume_stats``  ``volume_stats.parquet``    (group, window, statistic) of abnormal volume
================  ==========================  ================================================

``summary()`` returns a :class:`~eventstudy.summary.Summary` (``as_text()``, ``as_html()``,
``as_latex()``; a notebook shows its HTML), ``to_frame()`` the per-window table. The ``plot_*``
methods return matplotlib :class:`~matplotlib.figure.Figure` objects drawn by the report's own
figure functions (:mod:`eventstudy.report.figures`, :mod:`eventstudy.report.flows`), imported
when a method is called: importing this module loads no matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.columns import CAVEATED_TOTAL, has_share_caveat
from eventstudy.config import StudyConfig, main_window, window_days, window_label
from eventstudy.inference import STATISTICS
from eventstudy.inference.bootstrap import CAAR_BAND
from eventstudy.multiple_testing import P_FAMILY
from eventstudy.peers import PEER_ROLE
from eventstudy.summary import Summary
from eventstudy.text import counted, listing, number
from eventstudy.timeline.confounders import UNCONFOUNDED_SUFFIX, not_known_clean

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.backtest.engine import BacktestResults
    from eventstudy.estimate import PairEstimates
    from eventstudy.models import ExpectedReturnModel

OPTIONAL_TABLES: dict[str, str] = {
    "crosssection": "crosssection.parquet",
    "garch": "garch.parquet",
    "volume": "volume.parquet",
    "volume_stats": "volume_stats.parquet",
}
"""Attribute of :class:`StudyResults` -> file of each optional method's table."""

OBJECT_MODEL = "passed_as_object"
"""Key of a model record (:attr:`StudyResults.model`, ``manifest.json``'s ``model``) set to true
for a model object that no config builds (:func:`eventstudy.study.recorded_model`): the config's
``model`` is not the model that ran, and ``eventstudy verify`` cannot re-run it."""


@dataclass(repr=False)
class StudyResults:
    """The complete results of one study.

    Attributes
    ----------
    config
        The configuration (its ``backtest`` is the rule of :attr:`backtest`).
    model
        The expected-return model's record (``name``, ``description``, ``estimator``,
        ``parameters``, ``settings``, and :data:`OBJECT_MODEL` for a model object that the config
        does not name; what ``manifest.json`` holds under ``model``).
    events, ar, car, stats, caar
        The exported tables (see the module docstring).
    backtest
        The backtest of the listed parties, or None without a ``[backtest]`` rule.
    peers
        The peer tickers the events were extended with.
    provenance
        ``inputs`` (the events file's and every cached input's SHA-256 and provenance) and
        ``validation`` (the price checks' findings), as ``manifest.json`` records them.
    estimates
        The per-pair arrays of the estimation (the returns panel, the fit, the abnormal
        returns), or None for results loaded from a folder.
    crosssection, garch, volume, volume_stats
        The optional methods' tables (see the module docstring), or None.
    caar_band
        The method of :attr:`caar`'s band (:data:`eventstudy.inference.bootstrap.CAAR_BAND`), or
        None for a folder written before it was recorded (the plain percentile band), which
        :func:`~eventstudy.output.load.load_study` and a save keep as they were.
    p_family
        The family of :attr:`stats`' adjusted p-values (:data:`eventstudy.multiple_testing.P_FAMILY`:
        each statistic's windows in a group), or None for a folder written before it was recorded
        (every window and statistic of a group), kept as :attr:`caar_band` is.
    """

    config: StudyConfig
    model: dict[str, Any]
    events: pd.DataFrame
    ar: pd.DataFrame
    car: pd.DataFrame
    stats: pd.DataFrame
    caar: pd.DataFrame
    backtest: BacktestResults | None = None
    peers: tuple[str, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict)
    estimates: PairEstimates | None = None
    model_object: ExpectedReturnModel | None = None
    crosssection: pd.DataFrame | None = None
    garch: pd.DataFrame | None = None
    volume: pd.DataFrame | None = None
    volume_stats: pd.DataFrame | None = None
    caar_band: str | None = CAAR_BAND
    p_family: str | None = P_FAMILY

    def __post_init__(self) -> None:
        # The events file's line numbers (for the errors of a run) are in no exported file: the
        # tables are the files' (a run's events had the column, the same study loaded did not).
        if "source_row" in self.events.columns:
            self.events = self.events.drop(columns=["source_row"])

    def optional_tables(self) -> dict[str, pd.DataFrame]:
        """File name -> table of every optional method that ran (:data:`OPTIONAL_TABLES`)."""
        out = {}
        for attribute, file in OPTIONAL_TABLES.items():
            table = getattr(self, attribute)
            if table is not None:
                out[file] = table
        return out

    def __repr__(self) -> str:
        parties = int((self.events["role"] != PEER_ROLE).sum())
        peers = len(self.events) - parties
        windows = ", ".join(window_label(w) for w in self.config.event_windows)
        extra = f" + {peers} peer rows" if peers else ""
        backtest = ", with backtest" if self.backtest is not None else ""
        events = self.events["event_id"].nunique()
        rows = f"{counted(events, 'event')}, {counted(parties, 'party row')}{extra}"
        model = self.model.get("name", "?")
        return f"<StudyResults {self.config.name!r}: {model} model, {rows}, windows {windows}{backtest}>"

    def to_frame(self) -> pd.DataFrame:
        """The per-window results (``car.parquet``), a copy."""
        return self.car.copy()

    def summary(self, window: str | Sequence[int] | None = None) -> Summary:
        """The study at a glance for one window: the cross-event tests per group and every
        (event, party) row, largest dollar value first.

        ``window`` is any spelling of a configured event window (:func:`resolve_window`):
        ``"[-1,+1]"``, the TOML spelling ``"[-1,1]"``, ``"-1,1"`` or ``(-1, 1)``; by default
        the window the report leads with (:func:`~eventstudy.config.main_window`).

        Raises
        ------
        ValueError
            If ``window`` is not one of the study's windows (the message names them).
        """
        label = self._window_label(window)
        changed = "(the table was changed after the run: run the study or load_study the folder again)"
        for name, columns in SUMMARY_READS.items():
            table = getattr(self, name)
            framed = isinstance(table, pd.DataFrame)
            if not framed or not table.index.is_unique or not table.columns.is_unique:  # two runs
                # concatenated (an InvalidIndexError), a column concatenated back in (a broadcast error)
                repeats = "index repeats" if framed and not table.index.is_unique else "columns repeat"
                what = f"a DataFrame whose {repeats}" if framed else type(table).__name__
                raise ValueError(f"results.{name} is {what}, which summary() cannot read {changed}")
            missing = [column for column in columns if column not in table.columns]
            if missing:  # a table edited in the notebook: a KeyError from deep in pandas
                read = f"has no column {missing[0]!r}, which summary() reads"
                raise ValueError(f"results.{name} {read} {changed}")
        parties = self.car[(self.car["window"] == label) & (self.car["role"] != PEER_ROLE)]
        if parties.empty:  # an empty table and "Outcomes of the (event, party) rows: ."
            raise ValueError(f"results.car has no (event, party) row over {label} for summary() {changed}")
        if "confounded" in parties:  # read of the window's peer rows too (the groups' totals)
            flags = self.car.loc[self.car["window"] == label, "confounded"]
            try:
                not_known_clean(flags)
            except (TypeError, ValueError):  # "no" for False: a TypeError from deep in pandas
                raise ValueError(
                    f"results.car's column 'confounded' holds values other than True, False or missing over "
                    f"{label} {changed}"
                ) from None
        info = (
            ("Model", str(self.model.get("description", self.model.get("name", "?")))),
            ("Estimation window", self.config.estimation_label()),
            ("Event window", label),
            ("Rows", f"{int((self.events['role'] != PEER_ROLE).sum())} (event, party), "
                     f"{int((self.events['role'] == PEER_ROLE).sum())} (event, peer)"),
        )
        listed = f"CAR over {label} by (event, party), largest dollar value first"
        if len(parties) > SUMMARY_PAIRS:  # 10,000 events gave 10,000 lines
            listed = (
                f"CAR over {label}: the {SUMMARY_PAIRS} of {len(parties):,} (event, party) rows of largest "
                "|dollar value| (then |t|), largest dollar value first (results.car holds every row)"
            )
        groups = self._group_table(label)
        tables = (
            (
                f"Cross-event tests over {label} (two-sided p in parentheses, each unadjusted: stats's "
                "p_bh and p_holm adjust it for the windows tested)",
                groups,
            ),
            (listed, self._pair_table(parties)),
        )
        twins = groups[groups["group"].str.endswith(UNCONFOUNDED_SUFFIX)] if len(groups) else groups
        blank_twin = bool((twins.drop(columns=["group", "n"], errors="ignore") == "").any(axis=None))
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(parties["outcome"].value_counts().items()))
        left_out: tuple[str, ...] = ()
        if self.config.exclude_confounded and "confounded" in parties:
            ok = parties[parties["outcome"] == "ok"]  # a failed pair is in no test anyway
            flagged = ok.loc[not_known_clean(ok["confounded"])]
            if len(flagged):  # "ok" rows the tests leave out: n is smaller than the ok rows
                pairs = zip(flagged["event_id"], flagged["ticker"], strict=True)
                named = ", ".join(f"{event} {ticker}" for event, ticker in pairs)
                verb = "holds" if len(flagged) == 1 else "hold"
                left_out = (
                    f"exclude_confounded: {len(flagged)} of the ok rows {verb} other news over {label} (or "
                    f"{'was' if len(flagged) == 1 else 'were'} not screened for earnings) and "
                    f"{'is' if len(flagged) == 1 else 'are'} left out of the tests: {named}.",
                )
        none_ok = (
            # every group n = 0 and blank, with no word why but the outcome counts (a notebook user)
            ("No (event, party) row has an abnormal return: the parties' groups have no test (n = 0); "
             "results.car's outcome and note columns say why for each row.",)
            if len(parties) and not (parties["outcome"] == "ok").any()
            else ()
        )
        notes = (
            f"Outcomes of the (event, party) rows: {outcomes}.",
            *none_ok,
            *left_out,
            *(
                ("A blank cell of an '(unconfounded)' group is a test it does not compute (it computes the "
                 "headline tests and the value created only: eventstudy.aggregate.UNCONFOUNDED_STATISTICS).",)
                if blank_twin
                else ()
            ),
            *self._p_sources(groups),
            *(
                (f"{CAVEATED_TOTAL}: the total counts an (event, party) row whose market value rests on a "
                 "share count the config's [[shares.caveats]] flags (its flags say 'shares caveat').",)
                if groups.map(lambda text: str(text).endswith(f" {CAVEATED_TOTAL}")).any(axis=None)
                else ()
            ),
            "flags: news, other news in the window (car's confounders name it; "
            + (
                "exclude_confounded leaves the row out of the tests"
                if self.config.exclude_confounded
                else "the '(unconfounded)' groups leave the row out"
            )
            + "); unscreened, not screened for earnings; τ-1 carries (or another day), the day other than "
            "day 0 that carries the window's CAR (dominant_tau). results.car's note column holds each "
            "row's notes (share counts, deal size).",
            "; ".join(
                legend
                for column, legend in SUMMARY_LEGENDS.items()
                if column == "t of a row" or column in groups.columns
            )
            + ".",
        )
        return Summary(f"Event study: {self.config.name}", info, tables, notes)

    @staticmethod
    def _p_sources(groups: pd.DataFrame) -> tuple[str, ...]:
        """Notes naming the test whose p a column's parentheses hold when it is another's
        (:attr:`~eventstudy.inference.Statistic.p_from`: a total's p is its test's)."""
        titles = {_column_title(name): name for name in STATISTICS}
        notes = []
        for column in groups.columns:
            name = titles.get(column)
            source = STATISTICS[name].p_from if name is not None and name != "caar" else None
            if source:
                notes.append(f"The p of {column} is that of {source}.")
        return tuple(notes)

    def _window_label(self, window: str | Sequence[int] | None) -> str:
        """The ``car.parquet`` label of ``window``; by default the report's main window
        (:func:`~eventstudy.config.main_window`)."""
        windows = self.config.event_windows
        if window is None:
            return main_window([window_label(w) for w in windows])
        return resolve_window(window, windows)

    @property
    def n_params(self) -> int:
        """k, the number of estimated parameters of the expected-return model (the bands' and
        intervals' degrees of freedom are M - k)."""
        return len(self.model.get("parameters", ()))

    def plot_car(self, event_id: str | None = None, window: str | Sequence[int] | None = None) -> Figure:
        """One event's CAR path of each listed party with its 95% band, one panel per party.

        Parameters
        ----------
        event_id
            The event drawn; may be left out when the study has a single event.
        window
            The event window shaded in every panel, in any spelling :meth:`summary` accepts
            (default as there).

        Returns
        -------
        matplotlib.figure.Figure
            :func:`eventstudy.report.figures.car_figure` of :attr:`ar` and :attr:`car` (the
            report's per-event figure).

        Raises
        ------
        ValueError
            If ``event_id`` is not an event of the study, or is left out when there are several
            (the message names them).
        """
        from eventstudy.report.figures import car_figure

        events = list(dict.fromkeys(self.events["event_id"].astype(str)))
        if event_id is None and len(events) == 1:
            event_id = events[0]
        if event_id not in events:
            named = "no event_id given" if event_id is None else f"event {event_id!r} is not in the study"
            raise ValueError(f"{named}; events: {listing(events, limit=10)}")
        return car_figure(
            self.ar, self.car, event_id, n_params=self.n_params, window=self._window_label(window)
        )

    def plot_caar(self, group: str | Sequence[str] | None = None) -> Figure:
        """The CAAR path of each group with its bootstrap band (:attr:`caar`), one panel per group.

        Parameters
        ----------
        group
            A group, or several in the order drawn (default: every group of :attr:`caar`).

        Returns
        -------
        matplotlib.figure.Figure
            :func:`eventstudy.report.figures.caar_figure` of :attr:`caar`.

        Raises
        ------
        ValueError
            If a group is not in :attr:`caar` (the message names the groups).
        TypeError
            If ``group`` is neither a name nor a list of names.
        """
        from eventstudy.report.figures import caar_figure

        expanded = self.caar_band == CAAR_BAND  # a loaded folder's plain band is said so
        if group is None:
            return caar_figure(self.caar, expanded=expanded)
        if not isinstance(group, str | Sequence) or not all(isinstance(g, str) for g in group):
            kind = type(group).__name__  # plot_caar(5): "'int' object is not iterable"
            raise TypeError(f"group must be a group's name or a list of names, not {kind}")
        chosen = [group] if isinstance(group, str) else list(group)
        if not chosen:  # it drew "No group has an estimated CAR"
            raise ValueError("give a group, a list of groups, or None for every group")
        known = list(dict.fromkeys(self.caar["group"].astype(str)))
        unknown = [g for g in chosen if g not in known]
        if unknown:
            groups = listing(known, limit=10)
            raise ValueError(f"group {unknown[0]!r} is not in the study's CAAR; groups: {groups}")
        return caar_figure(self.caar, groups=chosen, expanded=expanded)

    def plot_value_vs_deal(self, window: str | Sequence[int] | None = None) -> Figure:
        """Each (event, party)'s abnormal dollar value per deal dollar with its 95% interval, and
        each group's ``value_per_deal_dollar`` (:attr:`stats`).

        ``window`` is any spelling :meth:`summary` accepts (default as there). Returns
        :func:`eventstudy.report.figures.value_per_deal_figure` of :attr:`car` and
        :attr:`stats`, the report's figure. Raises ValueError for a window not in the study.
        """
        from eventstudy.report.figures import value_per_deal_figure

        label = self._window_label(window)
        return value_per_deal_figure(self.car, label, stats=self.stats, n_params=self.n_params)

    def plot_flows(self, window: str | Sequence[int] | None = None) -> Figure:
        """Who pays whom: the config's ``[[flows]]`` edges as a directed graph, each labelled with
        its deal and its parties' abnormal dollar values over ``window``.

        ``window`` is any spelling :meth:`summary` accepts (default as there). Returns
        :func:`eventstudy.report.flows.flows_figure` of
        :func:`~eventstudy.report.flows.deal_flows`; without edges (or none of whose events is
        in the study) the figure says so. Raises ValueError for a window not in the study.
        """
        from eventstudy.report.flows import deal_flows, flows_figure

        label = self._window_label(window)
        return flows_figure(deal_flows(self.car, self.config.flows, label))

    def _group_table(self, label: str) -> pd.DataFrame:
        from eventstudy.aggregate import caveated_totals

        stats = self.stats[self.stats["window"] == label]
        rows_of_window = self.car[self.car["window"] == label]
        caveated = caveated_totals(rows_of_window, excluded=self.config.exclude_confounded)
        wanted = GROUP_COLUMNS
        rows = []
        for group, part in stats.groupby("group", sort=False):
            columns = part[["value", "p", "n"]].to_numpy(dtype=float, na_value=np.nan)
            numbers = dict(zip(part["statistic"], columns, strict=True))  # statistic -> (value, p, n)
            row: dict[str, str] = {"group": str(group)}
            tests = [name for name in numbers if name in STATISTICS]  # not the counts and totals
            # the pairs tested: caar's n, else the first test's (statistics may leave caar out)
            n = numbers["caar"][2] if "caar" in numbers else numbers[tests[0]][2] if tests else np.nan
            row["n"] = "" if np.isnan(n) else str(int(n))
            # a study's own choice of statistics: each test it chose; else the tests it leads with
            shown = tests if self.config.statistics is not None else [t for t in wanted if t in numbers]
            for name in shown:
                unit = STATISTICS[name].unit
                title = _column_title(name)
                value, p, m = numbers[name]
                row[title] = _unit_cell(value, unit) + ("" if name == "caar" else _p(p))
                fewer = np.isfinite(value) and m < n and name not in NOT_PAIR_COUNTS
                if fewer:  # a total over the pairs with a value (23 of 25: two without a share count)
                    row[title] += f" [n={int(m)}]"
                if name in caveated.get(str(group), ()) and np.isfinite(value):  # as the report marks it
                    row[title] += f" {CAVEATED_TOTAL}"
            rows.append(row)
        return pd.DataFrame(rows).fillna("")  # a group without a test's row: blank, not NaN

    @staticmethod
    def _pair_table(parties: pd.DataFrame) -> pd.DataFrame:
        """The (event, party) rows of one window, largest dollar value first; of more than
        :data:`SUMMARY_PAIRS`, those of largest |dollar value| (then |t|)."""
        rows = parties
        if len(rows) > SUMMARY_PAIRS:
            size = rows[["abnormal_value_usd", "t"]].apply(pd.to_numeric, errors="coerce").abs()
            largest = size.sort_values(["abnormal_value_usd", "t"], ascending=False, na_position="last")
            rows = rows.loc[largest.index[:SUMMARY_PAIRS]]
        rows = rows.sort_values("abnormal_value_usd", ascending=False, na_position="last", kind="stable")
        return pd.DataFrame(
            {
                "event": rows["event_id"].astype(str).to_numpy(),
                "ticker": rows["ticker"].astype(str).to_numpy(),
                "CAR": [_cell(v, "+.2%") for v in rows["car"]],
                "t": [_cell(v, "+.2f") for v in rows["t"]],
                "p": [_cell(v, ".3f") for v in rows["p"]],
                "value $B": [_cell(v, "+,.1f", shift=-9) for v in rows["abnormal_value_usd"]],
                "per deal $": [_cell(v, "+.3f") for v in rows["value_to_deal"]],
                "flags": _flags(rows),
                "outcome": rows["outcome"].astype(str).to_numpy(),
            }
        )


GROUP_COLUMNS: dict[str, str] = {
    "caar": "CAAR",
    "cross_sectional_t": "t (cross-section)",
    "bmp_t": "BMP t",
    "kp_adjusted_bmp_t": "KP-BMP t",
    "dollar_abnormal_value": "value $B",
}
"""The tests :meth:`StudyResults.summary` leads with per group (when the study chose none), and
their column titles."""

SUMMARY_LEGENDS: dict[str, str] = {
    "t of a row": "t of a row: car / car_se, Student-t with M-k degrees of freedom (CLM 1997)",
    "t (cross-section)": "t (cross-section): the mean CAR over its cross-sectional standard error, t(N-1)",
    "BMP t": "BMP: Boehmer, Musumeci & Poulsen (1991)",
    "KP-BMP t": "KP-BMP: Kolari & Pynnonen (2010) adjustment for cross-correlation",
}
"""The summary's legend of its t's, each said when its column is shown."""

SUMMARY_READS: dict[str, tuple[str, ...]] = {
    "events": ("role",),
    "car": (
        "event_id", "ticker", "role", "window", "outcome", "car", "t", "p", "abnormal_value_usd",
        "value_to_deal",
    ),
    "stats": ("group", "window", "statistic", "value", "p", "n"),
}  # fmt: skip
"""The columns of each results table :meth:`StudyResults.summary` reads (others it reads when
present: ``note``, ``confounded``, ``dominant_tau``)."""

SUMMARY_PAIRS = 40
"""Most (event, party) rows :meth:`StudyResults.summary` lists (the table ``car`` holds them all)."""


NOT_PAIR_COUNTS = frozenset({"dollar_shared_days_usd"})
"""Statistics whose ``n`` in stats.parquet counts something else than pairs (ticker-days): their
summary cell is not tagged with it (:meth:`StudyResults._group_table`)."""


def _column_title(name: str) -> str:
    """The summary's column title of the statistic ``name``: :data:`GROUP_COLUMNS`' title, else the
    name (with ``$B`` for dollars, shown in billions)."""
    return GROUP_COLUMNS.get(name, f"{name} $B" if STATISTICS[name].unit == "usd" else name)


def _flags(rows: pd.DataFrame) -> list[str]:
    """Per row, ``news`` when its window holds other news (``confounded``), ``unscreened`` when it
    was not screened for earnings (``confounded`` missing), ``τ-1 carries`` when a day other
    than day 0 carries its CAR (``dominant_tau``) and ``shares caveat`` when its market value
    rests on a count of the config's ``[[shares.caveats]]`` (``note``, as the report flags it);
    "" for a table without those columns."""
    out = []
    confounded = rows["confounded"] if "confounded" in rows else pd.Series(False, index=rows.index)
    dominant = rows["dominant_tau"] if "dominant_tau" in rows else pd.Series(pd.NA, index=rows.index)
    notes = rows["note"] if "note" in rows else pd.Series("", index=rows.index)
    for flag, tau, note in zip(confounded, dominant, notes, strict=True):
        parts = ["unscreened" if pd.isna(flag) else "news" if flag else ""]
        if not pd.isna(tau):
            parts.append(f"τ{int(tau):+d} carries" if int(tau) else "τ0 carries")
        if has_share_caveat(note):
            parts.append("shares caveat")
        out.append(" ".join(part for part in parts if part))
    return out


def _unit_cell(value: Any, unit: str) -> str:
    """A summary cell of a statistic's value in its :attr:`~eventstudy.inference.Statistic.unit`:
    a t with sign and two decimals, a fraction in percent, dollars in billions, a ratio with three
    decimals, a count or a rank sum whole with thousands separators (two decimals when not
    whole, as ties give halves; "1.23457e+06" and 1.5 shown as 2 were the report's first try);
    rounded as the report rounds (:func:`eventstudy.text.fixed`)."""
    if value is None or pd.isna(value):
        return ""
    if unit in ("count", "rank_sum"):
        return _cell(value, ",.0f" if float(value).is_integer() else ",.2f")
    if unit == "fraction":
        return _cell(value, "+.2%")
    if unit == "usd":
        return _cell(value, "+,.1f", shift=-9)
    return _cell(value, "+.3f" if unit in ("ratio", "usd/usd") else "+.2f")


def _cell(value: Any, spec: str, *, shift: int = 0) -> str:
    """``value`` by ``spec`` as the report rounds it (:func:`eventstudy.text.number`), blank when
    there is none."""
    return "" if value is None or pd.isna(value) else number(value, spec, shift=shift)


def _p(p: Any) -> str:
    return "" if p is None or pd.isna(p) else f" ({_cell(p, '.3f')})"


def resolve_window(window: str | Sequence[int], available: Sequence[tuple[int, int]]) -> str:
    """The ``car.parquet`` label (``"[-1,+1]"``) of ``window`` written in any spelling.

    Accepts the label itself, the TOML spelling ``"[-1,1]"``, ``"-1,1"``, ``"(-1, +1)"`` with
    any spaces, or a pair of integers ``(-1, 1)``.

    Raises
    ------
    ValueError
        If ``window`` cannot be read as two relative days, or is not one of ``available``; the
        message names the available windows.
    """
    labels = ", ".join(window_label(w) for w in available)
    days = window_days(window)
    if days is None:
        raise ValueError(f"window {window!r} is not two relative days like '[-1,+1]'; windows: {labels}")
    if days not in {tuple(w) for w in available}:
        raise ValueError(f"window {window_label(days)} is not one of the study's windows: {labels}")
    return window_label(days)
