"""Benjamini-Hochberg and Holm adjusted p-values against statsmodels' multipletests, and the
families of stats.parquet (per group and statistic, over its windows, each test once)."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from eventstudy.inference.multiple import adjust, benjamini_hochberg, holm
from eventstudy.multiple_testing import adjusted_p_values
from eventstudy.report.tables import bh_family


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=40))
def test_adjustments_match_statsmodels(p: list[float]) -> None:
    values = np.array(p)
    # statsmodels' Holm branch calls gc.collect(): with the suite's heap that is 0.1-0.8 s per
    # example, most of this test's time. The oracle's arithmetic does not depend on it.
    with mock.patch("gc.collect", return_value=0):
        oracle_holm = multipletests(values, method="holm")[1]
    np.testing.assert_allclose(holm(values), oracle_holm, rtol=1e-12, atol=0)
    np.testing.assert_allclose(
        benjamini_hochberg(values), multipletests(values, method="fdr_bh")[1], rtol=1e-12, atol=1e-15
    )


def test_closed_form_and_nan_entries() -> None:
    """p = (0.01, 0.04, 0.03, NaN): m = 3; Holm 0.03, 0.06, 0.06; BH 0.03, 0.04, 0.04."""
    p = np.array([0.01, 0.04, 0.03, np.nan])
    np.testing.assert_allclose(holm(p)[:3], [0.03, 0.06, 0.06], rtol=1e-15)
    np.testing.assert_allclose(benjamini_hochberg(p)[:3], [0.03, 0.04, 0.04], rtol=1e-15)
    assert np.isnan(holm(p)[3]) and np.isnan(benjamini_hochberg(p)[3])
    assert np.isnan(holm(np.array([np.nan]))).all()
    with pytest.raises(ValueError, match="method"):
        adjust(p, "bonferroni-ish")


def test_stats_families_are_per_group_and_statistic_and_count_each_test_once() -> None:
    rows = []
    for group, ps in (("a", [0.01, 0.02, 0.20]), ("b", [0.04, 0.5, 0.001])):
        for window, p in zip(("[0,0]", "[-1,+1]"), (ps[:2], ps[1:]), strict=True):
            rows += [
                {"group": group, "window": window, "statistic": "caar", "p": p[0]},
                {"group": group, "window": window, "statistic": "cross_sectional_t", "p": p[0]},
                {"group": group, "window": window, "statistic": "patell_z", "p": p[1]},
                {"group": group, "window": window, "statistic": "kp_average_correlation", "p": np.nan},
            ]
    frame = pd.DataFrame(rows)
    out = adjusted_p_values(frame)
    for group in ("a", "b"):
        part = out[out["group"] == group]
        for statistic in ("cross_sectional_t", "patell_z"):
            tests = part[part["statistic"] == statistic]
            assert len(tests) == 2  # its two windows; caar repeats cross_sectional_t: no third
            expected_holm = multipletests(tests["p"].to_numpy(), method="holm")[1]
            expected_bh = multipletests(tests["p"].to_numpy(), method="fdr_bh")[1]
            np.testing.assert_allclose(tests["p_holm"].to_numpy(), expected_holm, rtol=1e-12)
            np.testing.assert_allclose(tests["p_bh"].to_numpy(), expected_bh, rtol=1e-12)
        for window in ("[0,0]", "[-1,+1]"):
            row = part[part["window"] == window].set_index("statistic")
            assert row.at["caar", "p_holm"] == row.at["cross_sectional_t", "p_holm"]
            assert row.at["caar", "p_bh"] == row.at["cross_sectional_t", "p_bh"]
            assert np.isnan(row.at["kp_average_correlation", "p_bh"])
    assert list(out.columns[:4]) == list(frame.columns)
    assert len(adjusted_p_values(frame.iloc[:0])) == 0


def test_a_row_whose_p_source_the_table_lacks_is_a_test_of_its_own() -> None:
    """statistics = [dollar_abnormal_value, dollar_z] (a list written before
    kp_adjusted_dollar_t existed): the value carries that test's p, but with its row absent the
    value was taken for a repeat of nothing: p_bh NaN and one test fewer in the family."""
    frame = pd.DataFrame(
        {
            "group": "g",
            "window": ["[0,0]", "[0,0]", "[0,0]", "[-1,+1]"],
            "statistic": ["dollar_abnormal_value", "dollar_z", "caar", "caar"],
            "p": [0.02, 0.001, 0.04, 0.3],
        }
    )
    out = adjusted_p_values(frame)
    np.testing.assert_allclose(out["p_bh"], [0.02, 0.001, 0.08, 0.3], rtol=1e-12)  # caar: 0.04 x 2 / 1
    np.testing.assert_allclose(out["p_holm"], [0.02, 0.001, 0.08, 0.3], rtol=1e-12)
    assert bh_family(out, "g") == 2  # the report's "BH family: each test over up to 2 windows"


def test_a_test_with_tiny_p_values_does_not_lower_another_tests_adjusted_p() -> None:
    """The launch's openai-compute family held every statistic: Patell's z, which ignores
    event-induced variance, had p = 1e-27, and its p's lowered the BH q of GRANK and the sign test
    below 5% (a referee). A statistic's family is its own windows."""
    windows = ["[0,0]", "[-1,+1]", "[0,+1]", "[-5,+5]"]
    grank = [0.04, 0.011, 0.02, 0.2]
    frame = pd.DataFrame(
        {
            "group": "g",
            "window": windows * 2,
            "statistic": ["grank_t"] * 4 + ["patell_z"] * 4,
            "p": [*grank, 1e-27, 1e-14, 1e-16, 0.008],
        }
    )
    alone = adjusted_p_values(frame.iloc[:4])
    together = adjusted_p_values(frame).iloc[:4]
    np.testing.assert_array_equal(together["p_bh"], alone["p_bh"])
    np.testing.assert_allclose(alone["p_bh"], multipletests(grank, method="fdr_bh")[1], rtol=1e-12)
    pooled = multipletests(frame["p"], method="fdr_bh")[1][:4]
    assert pooled[0] < 0.05 < together["p_bh"].iloc[0]  # pooled, [0,0]'s p of 0.04 had a dagger
