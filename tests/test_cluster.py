"""Cluster-robust tests of the mean AR/CAR against statsmodels' cluster-robust OLS (1e-10), and
the long-horizon test of Dutta, Knif, Kolari & Pynnönen (2018) in closed form."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.inference import EventPanel, run_battery
from eventstudy.inference.cluster import (
    _firm_day_bases,
    cluster_codes,
    cluster_robust_mean,
    long_horizon_cluster_test,
    panel_observations,
    window_cluster_test,
)

TOL = 1e-10


def _oracle(y: np.ndarray, groups: np.ndarray):
    """statsmodels OLS of y on a constant with CRV1 clusters (one- or two-way)."""
    model = sm.OLS(y, np.ones((y.size, 1)))
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOL * max(1.0, abs(b))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_way_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 200
    groups = rng.integers(0, 17, n)
    y = rng.normal(0.01, 0.03, n) + 0.02 * rng.normal(size=17)[groups]
    ours = cluster_robust_mean(y, groups)
    fit = _oracle(y, groups)
    assert _close(ours.mean, fit.params[0])
    assert _close(ours.se, fit.bse[0])
    assert _close(ours.t, fit.tvalues[0])
    assert ours.df == fit.df_resid_inference == 16
    assert _close(ours.p, fit.pvalues[0])
    assert ours.clusters == (17,)


@pytest.mark.parametrize("seed", [0, 3])
def test_two_way_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    firm = rng.integers(0, 25, n)
    date = rng.integers(0, 12, n)
    y = rng.normal(size=n) + rng.normal(size=25)[firm] + rng.normal(size=12)[date]
    ours = cluster_robust_mean(y, np.column_stack([firm, date]))
    fit = _oracle(y, np.column_stack([firm, date]))
    assert _close(ours.se, fit.bse[0])
    assert _close(ours.t, fit.tvalues[0])
    assert ours.df == fit.df_resid_inference == 11
    assert _close(ours.p, fit.pvalues[0])
    assert ours.clusters == (25, 12)


def test_labels_of_any_type_and_nan_rows() -> None:
    """String labels give the integer codes' numbers; NaN observations are dropped with their
    labels (statsmodels on the complete rows)."""
    y = np.array([0.1, -0.2, np.nan, 0.4, 0.05, 0.3, -0.1])
    labels = np.array(["NVDA", "ORCL", "ORCL", "NVDA", "MSFT", "MSFT", "ORCL"], dtype=object)
    ours = cluster_robust_mean(y, labels)
    keep = np.isfinite(y)
    fit = _oracle(y[keep], cluster_codes(labels[keep]))
    assert _close(ours.se, fit.bse[0])
    assert ours.n == 6


def test_one_cluster_is_nan_and_closed_form_two_clusters() -> None:
    """G = 1 has no cluster variance; with G = 2 the variance is 2 * n^-2 * (S1^2 + S2^2)."""
    assert np.isnan(cluster_robust_mean(np.array([1.0, 2.0, 3.0]), np.zeros(3)).t)
    y = np.array([1.0, 2.0, 4.0, 7.0])
    groups = np.array([0, 0, 1, 1])
    e = y - y.mean()  # -2.5, -1.5, 0.5, 3.5: sums -4 and 4
    expected = 2.0 * ((e[:2].sum()) ** 2 + (e[2:].sum()) ** 2) / 16.0
    assert _close(cluster_robust_mean(y, groups).se ** 2, expected)
    assert expected == 4.0


def _panel(rng: np.random.Generator, n_pairs: int, firms: int, days: int) -> EventPanel:
    taus = np.arange(-2, 3)
    ar_event = rng.normal(0.0, 0.02, (n_pairs, taus.size))
    start = rng.integers(0, days, n_pairs)
    return EventPanel(
        ar_estimation=rng.normal(0.0, 0.02, (n_pairs, 60)),
        ar_event=ar_event,
        event_tau=taus,
        estimation_day=start[:, None] - 80 + np.arange(60)[None, :],
        event_day=start[:, None] + np.arange(taus.size)[None, :],
        sigma=np.full(n_pairs, 0.02),
        n_estimation=np.full(n_pairs, 60),
        n_params=np.full(n_pairs, 1),
        xtx_inv=np.full((n_pairs, 1, 1), 1 / 60),
        x_event=np.ones((n_pairs, taus.size, 1)),
        firm=np.array([f"F{i % firms}" for i in range(n_pairs)], dtype=object),
    )


def test_window_statistics_match_statsmodels_on_the_ar_panel_and_the_car_regression() -> None:
    """The registered rows: firm clustering equals the CAR regression with firm clusters; date
    and two-way clustering equal statsmodels on the (pair, day) panel of L x AR; a one-day
    window's date clustering equals the CAR regression with day-0 date clusters."""
    rng = np.random.default_rng(7)
    panel = _panel(rng, 120, 30, 25)
    rows = {r.statistic: r for r in run_battery(panel, -1, 1, statistics=[
        "cluster_firm_t", "cluster_date_t", "cluster_two_way_t", "caar"])}
    mask = panel.window_mask(-1, 1)
    cars = panel.car(-1, 1)
    firm_codes = cluster_codes(panel.firm)
    car_fit = _oracle(cars, firm_codes)
    assert _close(rows["cluster_firm_t"].value, car_fit.tvalues[0])
    assert _close(rows["cluster_firm_t"].p, car_fit.pvalues[0])
    y, labels = panel_observations(panel.ar_event, panel.firm, panel.event_day, mask)
    assert _close(y.mean(), rows["caar"].value)
    for name, groups in (("cluster_date_t", labels[:, 1]), ("cluster_two_way_t", labels)):
        fit = _oracle(y, groups)
        assert _close(rows[name].value, fit.tvalues[0]), name
        assert _close(rows[name].p, fit.pvalues[0]), name
        assert rows[name].n == 120
    day0 = window_cluster_test(panel.ar_event, panel.firm, panel.event_day, panel.window_mask(0, 0), "date")
    fit = _oracle(panel.car(0, 0), panel.event_day[:, 2])
    assert _close(day0.value, fit.tvalues[0])


def test_window_statistics_use_only_usable_pairs() -> None:
    """A pair with a missing day in the window is left out of the cluster rows (n counts pairs)."""
    rng = np.random.default_rng(8)
    panel = _panel(rng, 40, 10, 8)
    ar = panel.ar_event.copy()
    ar[0, 2] = np.nan
    broken = EventPanel(**{**panel.__dict__, "ar_event": ar})
    row = {r.statistic: r for r in run_battery(broken, -1, 1, statistics=["cluster_firm_t"])}
    assert row["cluster_firm_t"].n == 39
    keep = np.arange(40) != 0
    fit = _oracle(broken.car(-1, 1)[keep], cluster_codes(broken.firm[keep]))
    assert _close(row["cluster_firm_t"].value, fit.tvalues[0])


def test_unknown_clustering_is_refused() -> None:
    with pytest.raises(ValueError, match="clustering"):
        window_cluster_test(
            np.zeros((2, 1)), np.array(["a", "b"]), np.zeros((2, 1), int), np.ones(1, bool), "industry"
        )


# -- Dutta, Knif, Kolari & Pynnönen (2018) ----------------------------------------------------------


def test_long_horizon_standardisations_in_closed_form() -> None:
    """Two events over four months of log returns: ASR and SAR by hand."""
    r = np.array([[0.02, -0.01, 0.03, 0.00], [0.05, 0.01, np.nan, -0.02]])
    c = np.array([[0.01, 0.00, 0.01, -0.01], [0.02, 0.02, 0.01, -0.01]])
    month = np.array([[202501, 202502, 202503, 202504], [202502, 202503, 202504, 202505]])
    asr = long_horizon_cluster_test(r, c, month, log_returns=True, standardization="asr")
    # Event 1: sd over four months; event 2: over the three months where both exist.
    e2 = np.array([0.05, 0.01, -0.02])
    c2 = np.array([0.02, 0.02, -0.01])
    expected_row2 = e2 / e2.std(ddof=1) - c2 / c2.std(ddof=1)
    np.testing.assert_allclose(asr.standardized[1, [0, 1, 3]], expected_row2, rtol=1e-14)
    assert np.isnan(asr.standardized[1, 2])
    expected_row1 = r[0] / r[0].std(ddof=1) - c[0] / c[0].std(ddof=1)
    np.testing.assert_allclose(asr.standardized[0], expected_row1, rtol=1e-14)
    sar = long_horizon_cluster_test(r, c, month, log_returns=True, standardization="sar")
    d1 = r[0] - c[0]
    np.testing.assert_allclose(sar.standardized[0], d1 / d1.std(ddof=1), rtol=1e-14)
    pooled = np.concatenate([expected_row1, expected_row2])
    assert _close(asr.nonclustered.mean, pooled.mean())
    assert _close(asr.nonclustered.se, pooled.std(ddof=1) / np.sqrt(7))
    assert asr.nonclustered.df == 6


def test_long_horizon_clusters_match_statsmodels_and_simple_returns_are_logged() -> None:
    rng = np.random.default_rng(11)
    n, t = 60, 36
    start = rng.integers(0, 40, n)
    month = start[:, None] + np.arange(t)[None, :]
    common = rng.normal(0, 0.04, 80)
    simple = np.exp(0.005 + common[month] + rng.normal(0, 0.08, (n, t))) - 1
    bench = np.exp(0.004 + common[month] + rng.normal(0, 0.03, (n, t))) - 1
    simple[rng.random((n, t)) < 0.05] = np.nan
    firm = np.array([f"F{i % 20}" for i in range(n)], dtype=object)
    test = long_horizon_cluster_test(simple, bench, month, firm)
    logged = long_horizon_cluster_test(np.log1p(simple), np.log1p(bench), month, firm, log_returns=True)
    np.testing.assert_array_equal(test.standardized, logged.standardized)
    y = test.standardized.reshape(-1)
    keep = np.isfinite(y)
    fit = _oracle(y[keep], month.reshape(-1)[keep])
    assert _close(test.month.t, fit.tvalues[0])
    assert test.month.df == fit.df_resid_inference
    rows = np.repeat(np.arange(n), t)[keep]
    fit_firm = _oracle(y[keep], cluster_codes(firm[rows]))
    assert test.firm is not None and _close(test.firm.t, fit_firm.tvalues[0])
    both = np.column_stack([month.reshape(-1)[keep], cluster_codes(firm[rows])])
    assert test.two_way is not None and _close(test.two_way.t, _oracle(y[keep], both).tvalues[0])
    ols = sm.OLS(y[keep], np.ones((keep.sum(), 1))).fit()
    assert _close(test.nonclustered.t, ols.tvalues[0])


def test_long_horizon_refuses_bad_shapes() -> None:
    with pytest.raises(ValueError, match="one shape"):
        long_horizon_cluster_test(np.zeros((2, 3)), np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="standardization"):
        long_horizon_cluster_test(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3)), standardization="x")


@st.composite
def _pairs_of_days(draw):
    """Pairs' firms and (N, L) days: overlapping windows of one firm, days clipped to a short
    calendar (repeated days in a row), or any integers."""
    n = draw(st.integers(1, 60))
    length = draw(st.integers(1, 12))
    firm = np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)))
    kind = draw(st.sampled_from(["windows", "clipped", "any"]))
    starts = np.array(draw(st.lists(st.integers(-20, 80), min_size=n, max_size=n)))
    day = starts[:, None] + np.arange(length)
    if kind == "clipped":
        day = np.clip(day, 0, 30)
    elif kind == "any":
        day = np.array(draw(st.lists(st.integers(-40, 40), min_size=n * length, max_size=n * length)))
        day = day.reshape(n, length)
    return firm, day


@settings(max_examples=300, deadline=None)
@given(_pairs_of_days(), st.integers(0, 2**32 - 1))
def test_two_way_keys_from_the_pairs_are_the_firm_day_intersection(pairs, seed) -> None:
    """The (firm, day) keys built from the pairs are equal exactly when firm and day are, ordered
    as (firm, day) are, and span no more values than the pairs' day ranges; the two-way test on
    them is bit for bit the generic two-way mean, which sorts the observations."""
    firm, day = pairs
    bases = _firm_day_bases(firm, day.min(axis=1), day.max(axis=1))
    assert bases is not None
    keys = (bases[:, None] + day).reshape(-1)
    lexical = np.repeat(firm, day.shape[1]) * 1000 + day.reshape(-1)  # days within ±100
    assert np.array_equal(cluster_codes(keys), cluster_codes(lexical))
    assert keys.min() == 0
    assert keys.max() < (day.max(axis=1) - day.min(axis=1) + 1).sum()
    rng = np.random.default_rng(seed)
    ar = rng.standard_normal(day.shape)
    mask = np.ones(day.shape[1], dtype=bool)
    row = window_cluster_test(ar, firm, day, mask, "two_way")
    y, labels = panel_observations(ar, firm, day, mask)
    generic = cluster_robust_mean(y, labels)
    assert (row.value == generic.t) or (np.isnan(row.value) and np.isnan(generic.t))
    assert (row.p == generic.p) or (np.isnan(row.p) and np.isnan(generic.p))


def test_two_way_days_too_far_apart_for_int64_keys_use_the_sort() -> None:
    """Days whose spread times the firms would overflow int64 keys: the observations are sorted
    instead, with the same numbers as the (n, 2) labels' two-way mean."""
    rng = np.random.default_rng(11)
    firm = np.array([0, 1, 1, 2, 0, 2])
    day = np.array([[0, 1], [5, 6], [6, 7], [2**61, 2**61 + 1], [1, 2], [3, 4]])
    assert _firm_day_bases(firm, day.min(axis=1), day.max(axis=1)) is None
    ar = rng.standard_normal(day.shape)
    mask = np.ones(2, dtype=bool)
    row = window_cluster_test(ar, firm, day, mask, "two_way")
    y, labels = panel_observations(ar, firm, day, mask)
    generic = cluster_robust_mean(y, labels)
    assert np.isfinite(row.value) and (row.value, row.p) == (generic.t, generic.p)


@settings(max_examples=300, deadline=None)
@given(
    _pairs_of_days(),
    st.sampled_from(["firm", "date", "two_way"]),
    st.integers(1, 40),
    st.sampled_from(["int", "wide", "dates"]),
    st.integers(0, 2**32 - 1),
)
def test_window_test_by_blocks_of_usable_pairs_is_the_generic_mean(
    pairs, clustering, block, labels, seed
) -> None:
    """The window test reads only the usable pairs, a block at a time (here blocks of ``block``
    observations, down to one pair), and gives bit for bit :func:`cluster_robust_mean` of the
    usable pairs' (pair, day) observations with their labels: with missing ARs in the window,
    columns outside it, days spread too wide for bins (``wide``) or given as dates, and pairs
    left out."""
    from unittest import mock

    from eventstudy.inference import cluster

    firm, day = pairs
    rng = np.random.default_rng(seed)
    n, width = day.shape
    mask = rng.random(width) < 0.7
    usable = rng.random(n) < 0.8
    ar = rng.standard_normal(day.shape)
    ar[rng.random(day.shape) < 0.05] = np.nan
    labelled = day  # the dates of ``dates`` are in the order of these days: the same clusters
    if labels == "wide":
        day = labelled = day * 2**40
    elif labels == "dates":
        labelled = np.datetime64("2025-01-01") + day.astype("timedelta64[D]")
    with mock.patch.object(cluster, "_BLOCK_OBSERVATIONS", block):
        row = window_cluster_test(ar, firm, labelled, mask, clustering, usable=usable)
    y, both = panel_observations(ar[usable], firm[usable], day[usable], mask)
    if clustering == "firm":
        both = both[:, 0]
    elif clustering == "date":
        both = both[:, 1]
    generic = cluster_robust_mean(y, both)
    assert row.n == usable.sum()
    assert (row.value == generic.t) or (np.isnan(row.value) and np.isnan(generic.t))
    assert (row.p == generic.p) or (np.isnan(row.p) and np.isnan(generic.p))
