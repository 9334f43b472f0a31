"""Adjusted p-values of a statistics table: Benjamini-Hochberg and Holm per group and statistic.

The family of a statistic in a group is its rows over the windows: each with a finite p-value,
once per test (:data:`P_FAMILY`). A row that repeats another row's
p-value (``caar`` repeats ``cross_sectional_t``'s, ``dollar_abnormal_value``
``kp_adjusted_dollar_t``'s,
``abnormal_volatility`` ``volatility_t``'s;
:attr:`eventstudy.inference.Statistic.p_from`) is not a second test: it gets the adjusted p of
the row it repeats. Descriptive rows (p NaN) stay NaN. The formulas are in
:mod:`eventstudy.inference.multiple`.

Why per group and statistic: a group is one research question (the parties of one kind of deal,
the peers), asked of several windows; a reader who looks at every window should control the
error rate over them. The statistics of one window are not more questions but other tests of
the same one (CAAR = 0), whose choice is made by their assumptions (the report recommends one),
not by their p. A family over every statistic (as this package's folders had before
:data:`P_FAMILY` was recorded) let the tests that ignore event-induced variance or
cross-correlation, whose p's were 1e-27 for the launch's openai-compute group, lower every other
test's adjusted p (a referee). A dagger from a test's own family says nothing of the test's size
(GRANK with few pairs over-rejects in every window alike). Across groups the questions differ, and
the table says which group a row belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from eventstudy.inference import STATISTICS
from eventstudy.inference.multiple import benjamini_hochberg, holm

ADJUSTED_COLUMNS: tuple[str, ...] = ("p_bh", "p_holm")

P_FAMILY = "statistic_windows"
"""The family of :func:`adjusted_p_values`, which a folder's manifest records (``p_family``): a
statistic's windows in one group. A folder without the record was adjusted over the group's every
window and statistic."""


def p_sources(names: Iterable[str]) -> dict[str, str]:
    """The registered ``p_from`` of each of ``names`` that repeats another statistic's p (a
    folder's manifest records them: the command line's report knows no statistic a notebook
    registered, and showed such a row as a test of its own)."""
    registered = {name: STATISTICS[name].p_from for name in names if name in STATISTICS}
    return {name: source for name, source in registered.items() if source is not None}


def repeated_p(names: pd.Series, recorded: Mapping[str, str] | None = None) -> pd.Series:
    """Per row: the statistic whose p-value the row repeats, or the row's own name (the registry's
    ``p_from``, and those ``recorded`` by a folder's manifest, :func:`p_sources`)."""
    sources = {**p_sources(STATISTICS), **(recorded or {})}
    return names.map(lambda name: sources.get(name, name))


def row_p_sources(stats: pd.DataFrame, recorded: Mapping[str, str] | None = None) -> np.ndarray:
    """(rows,) the statistic whose p each row of ``stats`` repeats (:func:`repeated_p`), where
    the table has that statistic's row of the same group and window; else the row's own name: a
    row whose source the table lacks (a study's statistics may leave out ``cross_sectional_t``
    or ``kp_adjusted_dollar_t``) is a test of its own."""
    names = stats["statistic"].astype(str).to_numpy(object)
    source = repeated_p(stats["statistic"].astype(str), recorded).to_numpy(object)
    groups = stats["group"].astype(str).to_numpy(object)
    windows = stats["window"].astype(str).to_numpy(object)
    keys = set(zip(groups, windows, names, strict=True))
    present = [(g, w, s) in keys for g, w, s in zip(groups, windows, source, strict=True)]
    return np.where(present, source, names)


def adjusted_p_values(stats: pd.DataFrame) -> pd.DataFrame:
    """``stats`` with ``p_bh`` and ``p_holm`` appended: per group and statistic, over its windows.

    Parameters
    ----------
    stats
        Rows with ``group``, ``window``, ``statistic`` and ``p`` (``stats.parquet``).

    Returns
    -------
    pandas.DataFrame
        A copy with the two columns (NaN where ``p`` is NaN).

    Notes
    -----
    Family of statistic s in group g: the rows of g and s with a finite p, over the windows,
    when s repeats no other row's p (a row of a statistic that repeats one absent from the
    table counts as a test of its own); m is their number, at most the number of windows.
    Holm (1979) controls the family-wise error rate under any dependence; Benjamini & Hochberg
    (1995) the false discovery rate under positive dependence.
    """
    out = stats.copy()
    bh = np.full(len(out), np.nan)
    holm_p = np.full(len(out), np.nan)
    if len(out):
        names = out["statistic"].astype(str).to_numpy(object)
        source = row_p_sources(out)
        p = out["p"].to_numpy(float)
        groups = out["group"].astype(str).to_numpy(object)
        windows = out["window"].astype(str).to_numpy(object)
        is_test = (source == names) & np.isfinite(p)
        for group, statistic in dict.fromkeys(zip(groups[is_test], names[is_test], strict=True)):
            tests = np.flatnonzero((groups == group) & (names == statistic) & is_test)
            bh[tests] = benjamini_hochberg(p[tests])
            holm_p[tests] = holm(p[tests])
        # A repeating row takes the adjusted p of the row it repeats (same group and window).
        position = {key: i for i, key in enumerate(zip(groups, windows, names, strict=True)) if is_test[i]}
        for i in np.flatnonzero((source != names) & np.isfinite(p)):
            j = position.get((groups[i], windows[i], source[i]))
            if j is not None:
                bh[i], holm_p[i] = bh[j], holm_p[j]
    out["p_bh"] = bh
    out["p_holm"] = holm_p
    return out
