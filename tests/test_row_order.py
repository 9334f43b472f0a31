"""The order of the rows of events.csv changes no number.

A study is a set of (event, party) rows; the order a user happens to keep them in is not part
of it. The bootstraps used to draw positions into the pairs in file order, so the same events
sorted another way gave other p-values and bands (shuffling the launch's rows moved
``bootstrap_t``'s p by up to 0.045, the CAAR band by up to 0.009 and the drift's ``p_boot`` by
up to 0.14). They now draw into the pairs sorted by their values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from eventstudy import load_config, run_study, save_study
from eventstudy.backtest.statistics import bootstrap_skewness_adjusted_p, skewness_adjusted_t
from eventstudy.inference.bootstrap import bootstrap_caar_band, bootstrap_t_test, bootstrap_t_tests

ROOT = Path(__file__).resolve().parents[1]


@st.composite
def pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, W) values with ties, NaNs and unusable cells, their usable mask and a permutation."""
    n = draw(st.integers(2, 40))
    w = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    values = np.round(rng.standard_t(3, (n, w)) * 0.02, draw(st.sampled_from([2, 3, 12])))  # ties
    values[rng.random((n, w)) < 0.1] = np.nan
    usable = rng.random((n, w)) > 0.15
    return values, usable, rng.permutation(n)


@settings(max_examples=60, deadline=None)
@given(pairs(), st.sampled_from(["two-sided", "greater", "less"]))
def test_bootstrap_t_depends_on_each_columns_values_only(case, alternative) -> None:
    values, usable, order = case

    def rows(values: np.ndarray, usable: np.ndarray) -> list[dict[str, object]]:
        results = bootstrap_t_tests(values, usable, draws=97, seed=4, alternative=alternative)
        return [r.as_row() for r in results]

    results = rows(values, usable)
    np.testing.assert_equal(rows(values[order], usable[order]), results)
    complete = usable & np.isfinite(values)
    for w, result in enumerate(results):
        # nor on the other columns: alone, or as the one-column test of its values
        np.testing.assert_equal(rows(values[:, [w]], usable[:, [w]]), [result])
        if complete[:, w].all():
            alone = bootstrap_t_test(values[order, w], draws=97, seed=4, alternative=alternative)
            np.testing.assert_equal(alone.as_row(), result)


@pytest.mark.parametrize("seed", [250, 561, 678])
def test_a_resample_mean_equal_to_the_samples_is_a_tie_whatever_the_other_columns(seed: int) -> None:
    """Values on a 0.01 grid: a resample mean equal to the sample's left a difference of 1e-18
    whose sign depended on how many columns the matrix product summed, so a column's p moved by
    one draw beside other columns (a random run of the property above found it)."""
    rng = np.random.default_rng(seed)
    n, w = rng.integers(2, 41), rng.integers(2, 5)
    values = np.round(rng.standard_t(3, (n, w)) * 0.02, 2)
    values[rng.random((n, w)) < 0.1] = np.nan
    usable = rng.random((n, w)) > 0.1
    for alternative in ("two-sided", "greater", "less"):
        together = bootstrap_t_tests(values, usable, draws=97, seed=4, alternative=alternative)
        for c in range(w):
            column = values[:, [c]], usable[:, [c]]
            alone = bootstrap_t_tests(*column, draws=97, seed=4, alternative=alternative)
            assert alone == [together[c]], (alternative, c)


@settings(max_examples=40, deadline=None)
@given(pairs())
def test_caar_band_depends_on_the_set_of_paths_only(case) -> None:
    values, _, order = case
    path = np.nancumsum(values, axis=1)
    path[np.isnan(values[:, 0])] = np.nan  # some pairs without a complete path
    band = bootstrap_caar_band(path, draws=97, seed=2)
    again = bootstrap_caar_band(path[order], draws=97, seed=2)
    for field in ("lower", "upper"):
        np.testing.assert_array_equal(getattr(again, field), getattr(band, field))
    np.testing.assert_allclose(again.caar, band.caar, rtol=1e-12, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(st.integers(12, 60), st.integers(0, 2**32 - 1))
@example(12, 17184981)
def test_lbt_bootstrap_p_depends_on_the_set_of_returns_only(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(0.0, 0.6, n) - 1.1
    t_sa = skewness_adjusted_t(x)
    p = bootstrap_skewness_adjusted_p(x, t_sa, draws=200, seed=1)
    # NaN (t_sa on the quadratic's decreasing branch, e.g. n = 12, seed = 17184981) equals NaN here
    np.testing.assert_equal(bootstrap_skewness_adjusted_p(x[rng.permutation(n)], t_sa, draws=200, seed=1), p)


def test_a_band_of_paths_without_days_is_empty() -> None:
    band = bootstrap_caar_band(np.zeros((3, 0)), draws=9)
    assert band.caar.shape == (0,) and band.n == 3


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` in the order of its identifying columns (every column of text, integers,
    dates or flags), which must identify its rows."""
    def scalar(v: object) -> bool:
        return v is None or v is pd.NA or isinstance(v, (str, int, bool, np.integer, np.bool_, pd.Timestamp))

    keys = [c for c in frame.columns if frame[c].dtype.kind != "f" and frame[c].map(scalar).all()]
    assert not frame.duplicated(keys).any(), keys
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def test_the_launch_study_in_another_row_order_writes_the_same_tables(
    launch_cache: Path, tmp_path: Path
) -> None:
    """Peers, the volume tests, the cross-sections and the backtest included: every table of
    the two runs holds the same rows with the same numbers (rounding of sums taken in another
    order aside: 1e-9 of the value, as ``verify``)."""
    events = pd.read_csv(ROOT / "events.csv", dtype=str, keep_default_na=False)
    shuffled = events.sample(frac=1.0, random_state=7).reset_index(drop=True)
    assert not shuffled.equals(events)
    config = load_config(ROOT / "launch.toml")
    folders = []
    for name, frame in (("file", events), ("shuffled", shuffled)):
        path = tmp_path / f"{name}.csv"
        frame.to_csv(path, index=False)
        results = run_study(path, launch_cache, config)
        folders.append(save_study(results, tmp_path / name, report=False))
    tables = sorted(p.name for p in folders[0].glob("*.parquet"))
    assert {"stats.parquet", "caar.parquet", "drift.parquet", "backtest.parquet"} <= set(tables)
    assert tables == sorted(p.name for p in folders[1].glob("*.parquet"))
    for table in tables:
        one, other = (_sorted(pd.read_parquet(folder / table)) for folder in folders)
        pd.testing.assert_frame_equal(one, other, check_exact=False, rtol=1e-9, atol=1e-15, obj=table)
    # The comparison covers resampled numbers: bootstrap p-values, bands, the drift's p_boot.
    stats = pd.read_parquet(folders[0] / "stats.parquet")
    assert stats.loc[stats["statistic"] == "bootstrap_t", "p"].between(0.001, 1).all()
    caar = pd.read_parquet(folders[0] / "caar.parquet")
    banded = caar[caar["n"] >= 6]  # fewer pairs have no band
    assert ((banded["upper"] - banded["lower"]) > 1e-3).all() and banded["group"].nunique() >= 3
    assert pd.read_parquet(folders[0] / "drift.parquet")["p_boot"].notna().sum() >= 4
