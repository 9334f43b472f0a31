"""Paper-style tables: one per group, one row per event window, the tests a referee asks for.

Each row holds the window's CAAR, the median CAR, the share of positive CARs and N, then five
test statistics with significance stars (:data:`eventstudy.report.fmt.STARS_NOTE`):

============  ===================================================  ==============================
column        statistic (``stats.parquet``)                        reference
============  ===================================================  ==============================
CS t          ``cross_sectional_t``                                Brown & Warner (1985)
BMP t         ``bmp_t``                                            Boehmer, Musumeci & Poulsen (1991)
KP-BMP t      ``kp_adjusted_bmp_t``                                Kolari & Pynnönen (2010)
Gen. sign z   ``generalized_sign_z``                               Cowan (1992)
GRANK t       ``grank_t``                                          Kolari & Pynnönen (2011)
============  ===================================================  ==============================

CAAR, N and the tests are ``stats.parquet`` rows (nothing is recomputed). The median and the
share of positive CARs, which the battery does not hold, are taken from ``car.parquet`` over
exactly the rows the statistics use: the group's rows with outcome ``ok`` and a CAR (and,
when confounded rows are left out, without them); N is the ``caar`` row's n, which counts the
same rows. The tables are written as ``tables.md`` and ``tables.tex`` (booktabs) into the
output folder, ready to paste into a paper.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.report import fmt
from eventstudy.report.flags import confounded
from eventstudy.timeline.confounders import UNCONFOUNDED_SUFFIX

TESTS: tuple[tuple[str, str, str], ...] = (
    ("cross_sectional_t", "CS t", "cross-sectional t (Brown & Warner 1985)"),
    ("bmp_t", "BMP t", "standardized cross-sectional t (Boehmer, Musumeci & Poulsen 1991)"),
    ("kp_adjusted_bmp_t", "KP-BMP t", "BMP t adjusted for cross-correlation (Kolari & Pynnönen 2010)"),
    ("generalized_sign_z", "Gen. sign z", "generalized sign test (Cowan 1992)"),
    ("grank_t", "GRANK t", "generalized rank test (Kolari & Pynnönen 2011)"),
)
"""(statistic, column header, what it is) of the test columns, in order."""
COLUMNS: tuple[str, ...] = ("Window", "CAAR", "Median", "% positive", "N", *(h for _, h, _ in TESTS))
ROBUST_TEST = "kp_adjusted_bmp_t"
"""The test the report leads with (see the README: which test to read when)."""


def legend() -> str:
    """The footnote under every paper table."""
    tests = "; ".join(f"{header}: {what}" for _, header, what in TESTS)
    return (
        "CAAR: mean CAR; Median and % positive: of the same CARs (car.parquet); N: (event, firm) pairs. "
        f"{tests}. {fmt.STARS_NOTE}."
    )


@dataclass(frozen=True)
class PaperTable:
    """One group's table: ``rows`` has one row per window (see :func:`paper_rows`)."""

    group: str
    rows: pd.DataFrame


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
        keep &= ~confounded(car)
    return car[keep]


def paper_rows(
    stats: pd.DataFrame,
    car: pd.DataFrame,
    group: str,
    windows: Sequence[str],
    *,
    drop_confounded: bool = False,
) -> pd.DataFrame:
    """One row per window of ``group``: ``window, caar, median, positive, n`` and, per test of
    :data:`TESTS`, ``<statistic>`` and ``<statistic>_p`` (NaN where stats.parquet has none)."""
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
        for statistic, _, _ in TESTS:
            hit = found.get((window, statistic))
            row[statistic] = hit.value if hit is not None else np.nan
            row[f"{statistic}_p"] = hit.p if hit is not None else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def paper_tables(
    stats: pd.DataFrame, car: pd.DataFrame, windows: Sequence[str], *, drop_confounded: bool = False
) -> list[PaperTable]:
    """Every group of ``stats.parquet`` that has a ``caar`` row, in the table's order."""
    groups = list(dict.fromkeys(stats.loc[stats["statistic"] == "caar", "group"]))
    return [
        PaperTable(g, paper_rows(stats, car, g, windows, drop_confounded=drop_confounded)) for g in groups
    ]


def cells(row: pd.Series | object) -> list[str]:
    """The formatted cells of one window row (in :data:`COLUMNS` order)."""
    get = row.__getitem__ if isinstance(row, pd.Series) else lambda k: getattr(row, k)
    out = [
        str(get("window")),
        fmt.percent(get("caar")),
        fmt.percent(get("median")),
        fmt.percent(get("positive"), digits=0, signed=False),
        fmt.count(get("n")),
    ]
    out += [fmt.starred(get(s), get(f"{s}_p")) for s, _, _ in TESTS]
    return out


def to_markdown(tables: Sequence[PaperTable], title: str) -> str:
    """``tables.md``: a heading per group, a pipe table and the legend."""
    lines = [f"# {fmt.md(title)}", ""]
    for table in tables:
        lines += [f"## {fmt.md(table.group)}", ""]
        lines.append("| " + " | ".join(COLUMNS) + " |")
        lines.append("|---|" + "---:|" * (len(COLUMNS) - 1))
        for row in table.rows.itertuples(index=False):
            lines.append("| " + " | ".join(fmt.md(c) for c in cells(row)) + " |")
        lines.append("")
    lines += [fmt.md(legend()), ""]
    return "\n".join(lines)


_LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\textasciitilde{}",
    "τ": r"$\tau$",
    "—": "---",
    "ö": r"\"{o}",
}


def latex_escape(text: object) -> str:
    """``text`` as LaTeX text: the ten special characters escaped, one line."""
    return "".join(_LATEX.get(c, c) for c in fmt.plain(text))


def _latex_cell(text: str) -> str:
    """A numeric cell: stars as a superscript, the sign kept in text mode."""
    core = text.rstrip("*")
    marks = text[len(core) :]
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
    header = " & ".join(latex_escape(c) for c in COLUMNS) + r" \\"
    for i, table in enumerate(tables):
        lines += [
            r"\begin{table}[htbp]",
            r"\centering",
            rf"\caption{{Cumulative abnormal returns: {latex_escape(table.group)}}}",
            rf"\label{{tab:eventstudy-{i + 1}}}",
            r"\begin{tabular}{l" + "r" * (len(COLUMNS) - 1) + "}",
            r"\toprule",
            header,
            r"\midrule",
        ]
        for row in table.rows.itertuples(index=False):
            values = cells(row)
            lines.append(
                " & ".join([latex_escape(values[0]), *(_latex_cell(v) for v in values[1:])]) + r" \\"
            )
        lines += [
            r"\bottomrule",
            r"\end{tabular}",
            rf"\par\smallskip\footnotesize {latex_escape(legend())}",
            r"\end{table}",
            "",
        ]
    return "\n".join(lines)
