"""Paper-style tables: one per group, one row per event window, the tests a referee asks for.

Each row holds the window's CAAR, the median CAR, the share of positive CARs and N, then five
test statistics (or, when the study chooses its ``statistics``, the chosen tests: the five it
chose in this order, then its other tests under their own names) with significance stars from
their own p-values (:data:`eventstudy.report.fmt.STARS_NOTE`) and a dagger where the test stays
significant at 5% after the Benjamini-Hochberg adjustment for multiple testing
(:func:`eventstudy.report.fmt.bh_note`):

============  ===================================================  ==============================
column        statistic (``stats.parquet``)                        reference
============  ===================================================  ==============================
CS t          ``cross_sectional_t``                                Brown & Warner (1985)
BMP t         ``bmp_t``                                            Boehmer, Musumeci & Poulsen (1991)
KP-BMP t      ``kp_adjusted_bmp_t``                                Kolari & Pynnönen (2010)
Gen. sign z   ``generalized_sign_z``                               Cowan (1992)
GRANK t       ``grank_t``                                          Kolari & Pynnönen (2011)
============  ===================================================  ==============================

**Stars and daggers.** A group's table reports five tests over several windows, and
``stats.parquet`` holds some twenty tests per window: read one at a time, a few are significant
by chance. The stars keep the convention a reader compares with other papers (the test's own p);
the dagger marks the cells whose Benjamini-Hochberg adjusted p-value (``p_bh``, Benjamini &
Hochberg 1995: the false discovery rate over the test's windows in the group,
:mod:`eventstudy.multiple_testing`) is below 5%. Each table says how many tests its families
hold (a folder written before the family was recorded: every window and statistic of the
group). Folders written before ``p_bh`` existed get no daggers and no dagger note.

CAAR, N and the tests are ``stats.parquet`` rows (nothing is recomputed). The median and the
share of positive CARs, which the battery does not hold, are taken from ``car.parquet`` over
exactly the rows the statistics use: the group's rows with outcome ``ok`` and a CAR (and,
when confounded rows are left out, without them); N is the ``caar`` row's n, which counts the
same rows. The tables are written as ``tables.md`` and ``tables.tex`` (booktabs) into the
output folder, ready to paste into a paper.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.aggregate import statistic_unit
from eventstudy.inference import STATISTICS
from eventstudy.inference.nonparametric import GRANK_FEW_PAIRS, GRANK_NULL_SIZE
from eventstudy.multiple_testing import p_sources, repeated_p, row_p_sources
from eventstudy.report import fmt
from eventstudy.report.flags import known_clean
from eventstudy.text import latex
from eventstudy.timeline.confounders import UNCONFOUNDED_SUFFIX

TESTS: tuple[tuple[str, str, str], ...] = (
    ("cross_sectional_t", "CS t", "cross-sectional t (Brown & Warner 1985)"),
    ("bmp_t", "BMP t", "standardized cross-sectional t (Boehmer, Musumeci & Poulsen 1991)"),
    ("kp_adjusted_bmp_t", "KP-BMP t", "BMP t adjusted for cross-correlation (Kolari & Pynnönen 2010)"),
    ("generalized_sign_z", "Gen. sign z", "generalized sign test (Cowan 1992)"),
    ("grank_t", "GRANK t", "generalized rank test (Kolari & Pynnönen 2011)"),
)
"""(statistic, column header, what it is) of the test columns, in order."""
Test = tuple[str, str, str]
"""(statistic, column header, what it is) of one test column."""
FIXED_COLUMNS: tuple[str, ...] = ("Window", "CAAR", "Median", "% positive", "N")


def columns(tests: Sequence[Test] = TESTS) -> tuple[str, ...]:
    """The column headers of a table showing ``tests``."""
    return (*FIXED_COLUMNS, *(header for _, header, _ in tests))


ROBUST_TEST = "kp_adjusted_bmp_t"
"""The test the report leads with (see the README: which test to read when)."""


def legend(tests: Sequence[Test] = TESTS, *, adjusted: bool = True, per_statistic: bool = True) -> str:
    """The footnote under every paper table showing ``tests`` (``adjusted``: the tables carry BH
    daggers, adjusted over each statistic's windows when ``per_statistic``; without a test, no
    stars either)."""
    text = "CAAR: mean CAR; Median and % positive: of the same CARs (car.parquet); N: (event, firm) pairs."
    if not tests:
        return text
    named = "; ".join(f"{header}: {what}" for _, header, what in tests)
    return f"{text} {named}. {fmt.STARS_NOTE}" + (f"; {fmt.bh_note(per_statistic)}." if adjusted else ".")


def value_key(statistic: str) -> str:
    """The column of :func:`paper_rows` holding ``statistic``'s value (``p:``/``q:`` its p and
    BH-adjusted p): a name of its own, which no statistic's name (an identifier) can take."""
    return f"value:{statistic}"


@dataclass(frozen=True)
class PaperTable:
    """One group's table: ``rows`` has one row per window (see :func:`paper_rows`); ``family``
    the number of tests over which the group's ``p_bh`` is adjusted (0 without ``p_bh``): each
    statistic's windows (``per_statistic``) or, in a folder written before, all its tests."""

    group: str
    rows: pd.DataFrame
    family: int = 0
    tests: tuple[Test, ...] = TESTS
    units: Mapping[str, str] = field(default_factory=dict)
    per_statistic: bool = True
    smallest_family: int = 0

    @property
    def columns(self) -> tuple[str, ...]:
        """The table's column headers."""
        return columns(self.tests)

    def cells(self) -> list[list[str]]:
        """The formatted cells of each window row (:func:`cells`)."""
        return [cells(row, self.tests, self.units) for row in self.rows.to_dict("records")]

    @property
    def family_note(self) -> str:
        """``BH family: each test over its m windows`` (``m1 to m2`` where the tests have p's in
        different windows; ``each test alone`` with one window; from a folder written before,
        ``m tests, every window and test of the group``; empty without adjusted p-values)."""
        if not self.family:
            return ""
        if not self.per_statistic:
            return f"BH family: {fmt.counted(self.family, 'test')}, every window and test of the group"
        if self.family == 1:
            return "BH family: each test alone (one window: † is p < 0.05)"
        smallest = self.smallest_family or self.family
        sizes = f"{smallest} to {self.family}" if smallest < self.family else str(self.family)
        return f"BH family: each test over its {sizes} windows"

    @property
    def grank_note(self) -> str:
        """That GRANK over-rejects, when a row with a GRANK t has fewer pairs than
        :data:`~eventstudy.inference.nonparametric.GRANK_FEW_PAIRS`."""
        if value_key("grank_t") not in self.rows:
            return ""
        shown = self.rows[np.isfinite(pd.to_numeric(self.rows[value_key("grank_t")], errors="coerce"))]
        if not (shown["n"] < GRANK_FEW_PAIRS).any():
            return ""
        measured = [f"{share:.1%} of {pairs}" for pairs, share in GRANK_NULL_SIZE]
        sizes = ", ".join(measured[:-1]) + " and " + measured[-1]
        return (
            f"GRANK over-rejects with fewer than {GRANK_FEW_PAIRS} pairs: under the null a nominal 5% "
            f"test rejects {sizes} pairs, so its stars here overstate"
        )

    @property
    def note(self) -> str:
        """The notes under this table (BH family, GRANK's small sample), "" for none."""
        return "; ".join(n for n in (self.family_note, self.grank_note) if n)


def bh_families(
    stats: pd.DataFrame, group: str, p_from: Mapping[str, str] | None = None, *, per_statistic: bool = True
) -> tuple[int, ...]:
    """The sizes of ``group``'s Benjamini-Hochberg families, smallest first: its rows of
    ``stats.parquet`` with an adjusted p (``p_bh``) that do not repeat another row's p
    (:func:`eventstudy.multiple_testing.row_p_sources`, with the manifest's ``p_from``), of each
    statistic (``per_statistic``, :data:`~eventstudy.multiple_testing.P_FAMILY`: at most the
    number of windows; fewer where a test has no p in some window) or all in one (a folder written
    before); none without ``p_bh``."""
    if "p_bh" not in stats.columns:
        return ()
    adjusted = np.isfinite(pd.to_numeric(stats["p_bh"], errors="coerce")).to_numpy(bool)
    member = (stats["group"] == group).to_numpy(bool)
    names = stats["statistic"].astype(str).to_numpy(object)
    tests = names[member & adjusted & (row_p_sources(stats, p_from) == names)]
    if not per_statistic:
        return (len(tests),) if len(tests) else ()
    return tuple(sorted(pd.Series(tests).value_counts().tolist()))


def bh_family(
    stats: pd.DataFrame, group: str, p_from: Mapping[str, str] | None = None, *, per_statistic: bool = True
) -> int:
    """The size of ``group``'s largest Benjamini-Hochberg family (:func:`bh_families`), 0 without
    ``p_bh``."""
    return max(bh_families(stats, group, p_from, per_statistic=per_statistic), default=0)


def sample_rows(car: pd.DataFrame, group: str, *, drop_confounded: bool = False) -> pd.DataFrame:
    """The ``car.parquet`` rows a group's statistics use: its pairs with outcome ``ok`` and a CAR.

    ``group`` is an events-file group, ``all`` (every listed party), ``peers``, or one of those
    with the unconfounded suffix (:data:`~eventstudy.timeline.confounders.UNCONFOUNDED_SUFFIX`).
    """
    base = group.removesuffix(UNCONFOUNDED_SUFFIX)
    drop = drop_confounded or group.endswith(UNCONFOUNDED_SUFFIX)
    is_peer = car["role"] == "peer"
    if base == "peers":
        member = is_peer
    elif base == "all":
        member = ~is_peer
    else:
        member = ~is_peer & (car["group"] == base)
    known = np.isfinite(pd.to_numeric(car["car"], errors="coerce").to_numpy(float))
    keep = member & (car["outcome"] == "ok") & known
    if drop:
        keep &= known_clean(car)
    return car[keep]


EARLIER_P_FROM: dict[str, tuple[str, ...]] = {"dollar_abnormal_value": ("dollar_z",)}
"""The sources of a registered statistic's p in older versions (``dollar_abnormal_value``
repeated ``dollar_z``'s until ``kp_adjusted_dollar_t`` took its place), for their folders, whose
manifests may not record ``p_from``."""


def recorded_p_sources(stats: pd.DataFrame, recorded: Mapping[str, Any] | None) -> dict[str, str]:
    """The entries of a manifest's ``p_from`` the report uses: of a statistic this process has
    not registered (the registry's own say for the others, unless the table lacks the source the
    registry names: then the record's or an :data:`EARLIER_P_FROM` one), naming a statistic that
    repeats no other's p, whose p each of its rows with a p repeats (same group and window; a row
    without a p, a statistic that gives none on few pairs, contradicts nothing). A record edited
    and sealed again made ``caar`` a test, or two tests repeat each other, and changed the
    tables' BH counts; a folder of an older version counted its dollar value as a test."""
    used = {}
    keys = ["group", "window", "statistic"]
    p = stats.set_index(keys)["p"] if set(keys) <= set(stats.columns) else pd.Series(dtype=float)
    recorded = {k: v for k, v in (recorded or {}).items() if isinstance(k, str) and isinstance(v, str)}
    registered = p_sources(STATISTICS)
    repeating = {*recorded, *registered}  # a source repeats no other's p
    present = set(stats["statistic"].astype(str)) if "statistic" in stats.columns else set()

    def repeats(name: str, source: str) -> bool:
        rows = stats[stats["statistic"] == name]
        sources = [(g, w, source) for g, w in zip(rows["group"], rows["window"], strict=True)]
        if rows.empty or not all(key in p.index for key in sources):
            return False
        own, theirs = rows["p"].to_numpy(float), p.loc[sources].to_numpy(float)
        given = np.isfinite(own)
        return own.shape == theirs.shape and given.any() and np.array_equal(own[given], theirs[given])

    for name in dict.fromkeys([*recorded, *EARLIER_P_FROM]):
        if name in STATISTICS and (registered.get(name) in present or name not in registered):
            continue  # the registry's own say
        candidates = (recorded[name],) if name in recorded else EARLIER_P_FROM.get(name, ())
        source = next((c for c in candidates if c != name and c not in repeating and repeats(name, c)), None)
        if source is not None:
            used[name] = source
    return used


def shown_tests(
    stats: pd.DataFrame, chosen: Sequence[str] | None = None, p_from: Mapping[str, str] | None = None
) -> tuple[Test, ...]:
    """The test columns of a study's tables: :data:`TESTS`, or for a study that chose its
    ``statistics`` (``chosen``) those of :data:`TESTS` it chose, then its other chosen tests in
    its order, each headed by its name and told by its ``reference`` in ``stats``.

    A chosen statistic is a test when a row of ``stats`` has a p-value of its own: ``caar`` and
    rows repeating another's p (a registered ``p_from``, e.g. ``dollar_abnormal_value``, or one the
    manifest records, ``p_from``) are not, nor are descriptive rows (no p).
    """
    if chosen is None:
        return TESTS
    standard = tuple(test for test in TESTS if test[0] in chosen)
    known = {name for name, _, _ in standard} | {"caar"}
    extra: list[Test] = []
    for name in chosen:
        rows = stats[stats["statistic"] == name]
        if name in known or rows.empty or repeated_p(pd.Series([name]), p_from).iloc[0] != name:
            continue
        if np.isfinite(pd.to_numeric(rows["p"], errors="coerce")).any():
            told = rows["reference"].map(fmt.plain).drop_duplicates() if "reference" in rows else ()
            taken = {h.casefold() for h in (*FIXED_COLUMNS, *(h for _, h, _ in (*TESTS, *extra)))}
            header = f"{name} (test)" if name.casefold() in taken else name  # a statistic named N
            extra.append((name, header, " / ".join(told) or name))  # wilcoxon_w's: exact p, or not
    return standard + tuple(extra)


def paper_rows(
    stats: pd.DataFrame,
    car: pd.DataFrame,
    group: str,
    windows: Sequence[str],
    *,
    drop_confounded: bool = False,
    tests: Sequence[Test] = TESTS,
) -> pd.DataFrame:
    """One row per window of ``group``: ``window, caar, median, positive, n`` and, per test of
    ``tests``, its value, p and BH-adjusted p in the columns ``value:<statistic>``,
    ``p:<statistic>`` and ``q:<statistic>`` (:func:`value_key`; NaN where stats.parquet has
    none)."""
    rows = []
    part = stats[stats["group"] == group]
    found: dict[tuple[object, object], Any] = {
        (r.window, r.statistic): r for r in part.itertuples(index=False)
    }
    sample = sample_rows(car, group, drop_confounded=drop_confounded)
    for window in windows:
        cars = pd.to_numeric(sample.loc[sample["window"] == window, "car"], errors="coerce").to_numpy(float)
        caar = found.get((window, "caar"))
        row = {
            "window": window,
            "caar": caar.value if caar is not None else np.nan,
            "median": float(np.median(cars)) if cars.size else np.nan,
            "positive": float(np.mean(cars > 0)) if cars.size else np.nan,
            "n": int(caar.n) if caar is not None else int(cars.size),
            "n_car": int(cars.size),
        }
        for statistic, _, _ in tests:
            hit = found.get((window, statistic))
            row[value_key(statistic)] = hit.value if hit is not None else np.nan
            row[f"p:{statistic}"] = hit.p if hit is not None else np.nan
            row[f"q:{statistic}"] = getattr(hit, "p_bh", np.nan) if hit is not None else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def paper_tables(
    stats: pd.DataFrame,
    car: pd.DataFrame,
    windows: Sequence[str],
    *,
    drop_confounded: bool = False,
    chosen: Sequence[str] | None = None,
    p_from: Mapping[str, Any] | None = None,
    units: Mapping[str, Any] | None = None,
    per_statistic: bool = True,
) -> list[PaperTable]:
    """Every group of ``stats.parquet`` with a statistic of the table (``caar`` or one of the
    tests of :func:`shown_tests`, given the study's ``chosen`` statistics), in the table's order:
    a study's ``statistics`` may leave out ``caar``, whose column is then empty; a group without
    any of them has no table. A group's table has a column for each of those tests it has a row
    of (an unconfounded twin group computes some of them only). ``p_from``: the manifest's record
    of the statistics repeating another's p (:func:`recorded_p_sources`); ``units``: its record of
    the statistics' units (:func:`~eventstudy.aggregate.statistic_unit`); ``per_statistic``:
    whether ``p_bh`` is adjusted over each statistic's windows (the manifest's ``p_family``,
    :data:`~eventstudy.multiple_testing.P_FAMILY`) or, in a folder written before, over the
    group's every test."""
    p_from = recorded_p_sources(stats, p_from)
    tests = shown_tests(stats, chosen, p_from)
    unit_of = {name: statistic_unit(name, units) for name, _, _ in tests}
    shown = stats["statistic"].isin(["caar", *(name for name, _, _ in tests)])
    groups = list(dict.fromkeys(stats.loc[shown, "group"]))
    tables = []
    for g in groups:
        computed = set(stats.loc[stats["group"] == g, "statistic"])
        own = tuple(test for test in tests if test[0] in computed)
        rows = paper_rows(stats, car, g, windows, drop_confounded=drop_confounded, tests=own)
        # each shown test's family (shock's clustered t's, not in its table, have 3 windows: the
        # caption said "3 to 4" over five tests of 4); a folder written before: the group's one
        scope = stats[stats["statistic"].isin([name for name, _, _ in own])] if per_statistic else stats
        sizes = bh_families(scope, g, p_from, per_statistic=per_statistic) or (0,)
        tables.append(PaperTable(g, rows, sizes[-1], own, unit_of, per_statistic, sizes[0]))
    return tables


def table_tests(tables: Sequence[PaperTable]) -> tuple[Test, ...]:
    """The tests some table shows, in their order (none without a table)."""
    return tuple(dict.fromkeys(test for table in tables for test in table.tests))


def adjusted(tables: Sequence[PaperTable]) -> bool:
    """True when the tables carry Benjamini-Hochberg daggers (their stats have ``p_bh``)."""
    return any(table.family for table in tables)


def per_statistic(tables: Sequence[PaperTable]) -> bool:
    """True unless the tables' p_bh were adjusted over the group's every test (an older folder)."""
    return all(table.per_statistic for table in tables)


def cells(
    row: Mapping[Any, Any], tests: Sequence[Test] = TESTS, units: Mapping[str, str] | None = None
) -> list[str]:
    """The formatted cells of one window row of :func:`paper_rows` (in the order of
    :func:`columns` of ``tests``), each test's value in its unit (``units``, default ``t``)."""
    out = [
        str(row["window"]),
        fmt.percent(row["caar"]),
        fmt.percent(row["median"]),
        fmt.percent(row["positive"], digits=0, signed=False),
        fmt.count(row["n"]),
    ]
    unit = units or {}
    for s, _, _ in tests:
        out.append(fmt.starred(row[value_key(s)], row[f"p:{s}"], row[f"q:{s}"], unit=unit.get(s, "t")))
    return out


def to_markdown(tables: Sequence[PaperTable], title: str) -> str:
    """``tables.md``: a heading per group, a pipe table and the legend."""
    lines = [f"# {fmt.md(title)}", ""]
    for table in tables:
        lines += [f"## {fmt.md(table.group)}", ""]
        lines.append("| " + " | ".join(fmt.md(c) for c in table.columns) + " |")
        lines.append("|---|" + "---:|" * (len(table.columns) - 1))
        for values in table.cells():
            lines.append("| " + " | ".join(fmt.md(c) for c in values) + " |")
        lines.append("")
        if table.note:
            lines += [f"{fmt.md(table.note)}.", ""]
    note = legend(table_tests(tables), adjusted=adjusted(tables), per_statistic=per_statistic(tables))
    lines += [fmt.md(note), ""]
    return "\n".join(lines)


def latex_escape(text: object) -> str:
    """``text`` as LaTeX text, one line (:func:`eventstudy.text.latex`; a missing value is
    empty)."""
    return latex(fmt.plain(text))


def _latex_cell(text: str) -> str:
    """A numeric cell: stars and the BH dagger as a superscript, the sign kept in text mode."""
    core = text.rstrip("*" + fmt.BH_MARK)
    marks = text[len(core) :].replace(fmt.BH_MARK, r"\dagger")
    core = latex_escape(core)
    return f"{core}$^{{{marks}}}$" if marks else core


def to_latex(tables: Sequence[PaperTable], title: str) -> str:
    """``tables.tex``: one booktabs ``table`` per group (needs ``\\usepackage{booktabs}``)."""
    lines = [
        f"% {latex_escape(title)}: cross-event tests, written by eventstudy from stats.parquet and "
        "car.parquet.",
        "% Requires \\usepackage{booktabs}.",
        "",
    ]
    for i, table in enumerate(tables):
        header = " & ".join(latex_escape(c) for c in table.columns) + r" \\"
        lines += [
            r"\begin{table}[htbp]",
            r"\centering",
            rf"\caption{{Cumulative abnormal returns: {latex_escape(table.group)}}}",
            rf"\label{{tab:eventstudy-{i + 1}}}",
            r"\begin{tabular}{l" + "r" * (len(table.columns) - 1) + "}",
            r"\toprule",
            header,
            r"\midrule",
        ]
        for values in table.cells():
            lines.append(
                " & ".join([latex_escape(values[0]), *(_latex_cell(v) for v in values[1:])]) + r" \\"
            )
        note = latex_escape(legend(table.tests, adjusted=adjusted(tables), per_statistic=table.per_statistic))
        if table.note:
            note += f" {latex_escape(table.note)}."
        lines += [
            r"\bottomrule",
            r"\end{tabular}",
            rf"\par\smallskip\footnotesize {note}",
            r"\end{table}",
            "",
        ]
    return "\n".join(lines)
