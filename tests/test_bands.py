"""CAR-path bands: R eventstudies' published inference.classic and inference.wilcox values, the
signed-rank distribution and Walsh-average order statistics by brute force, and the per-row
intervals of ar.parquet."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from eventstudy.inference import EventPanel, path_bands
from eventstudy.inference.bands import (
    EXACT_LIMIT,
    MATERIALISE_LIMIT,
    _kth_sum,
    classic_band,
    signed_rank_cdf,
    walsh_order_statistics,
    wilcoxon_band,
    wilcoxon_coverage,
    wilcoxon_depth,
)

# R eventstudies 1.2.x, tests/testthat/test_functionality_inference.R: three stocks' prices,
# log returns, events ITC 2004-01-02, Reliance 2004-01-08, TCS 2004-01-14 (the other three of
# its list fail), window [-1, +1], remap.cumsum (first day set to 0).
# fmt: off
R_PRICES = np.array(
    [
        33.16, 34.0967, 35.3683, 34.46, 34.17, 35.89, 36.19, 37.1317, 36.7033, 37.7933, 37.8533,
        285.325, 292.6, 290.025, 286.2, 290.075, 295.05, 289.325, 285.625, 293.7, 298.5, 289.05,
        704.5438, 708.35, 735.835, 710.625, 711.65, 731.012, 727.575, 715.0187, 724.2, 713.1875, 695.1812,
    ]
).reshape(3, 11).T
# fmt: on
R_CLASSIC = {  # rows tau = -1, 0, +1: 2.5%, Mean, 97.5%
    "lower": [np.nan, -0.0459535096314264, -0.125491237730001],
    "centre": [0.0, 0.00984612009294346, 0.00699588521385023],
    "upper": [np.nan, 0.0656457498173133, 0.139483008157702],
}
R_WILCOX = {  # 2.5%, Median, 97.5%
    "lower": [0.0, -0.0153232381366424, -0.0408950663236913],
    "centre": [0.0, 0.0170053232695686, -0.00258888649946787],
    "upper": [0.0, 0.0278562751459042, 0.0644716084647099],
}


def r_event_paths() -> np.ndarray:
    """(3, 3) eventstudies' remapped event-time frame, events as rows: phys2eventtime puts day 0
    on the last date on or before the event (returns from 2004-01-02: ITC row 0, Reliance row 4,
    TCS row 8), window(-1, +1), then remap.cumsum sets day -1 to 0 and cumulates."""
    returns = np.diff(np.log(R_PRICES), axis=0)
    rows = []
    for column, day0 in ((0, 0), (1, 4), (2, 8)):
        rows.append([0.0, returns[day0, column], returns[day0, column] + returns[day0 + 1, column]])
    return np.array(rows)


def test_reproduces_r_eventstudies_classic_band() -> None:
    band = classic_band(r_event_paths(), level=0.95)
    for key, expected in R_CLASSIC.items():
        np.testing.assert_allclose(getattr(band, key), expected, rtol=1e-12, atol=1e-15)


def test_reproduces_r_eventstudies_wilcoxon_band() -> None:
    band = wilcoxon_band(r_event_paths(), level=0.975, decimals=4)
    for key, expected in R_WILCOX.items():
        np.testing.assert_allclose(getattr(band, key), expected, rtol=1e-12, atol=1e-15)


def _brute_cdf(n: int) -> np.ndarray:
    """P(W+ <= k) by enumerating all 2^n sign patterns."""
    totals = np.zeros(n * (n + 1) // 2 + 1)
    ranks = np.arange(1, n + 1)
    for signs in itertools.product((0, 1), repeat=n):
        totals[int(np.dot(signs, ranks))] += 1
    return np.cumsum(totals) / 2**n


@pytest.mark.parametrize("n", [1, 2, 5, 10, 12])
def test_signed_rank_distribution_by_enumeration(n: int) -> None:
    np.testing.assert_allclose(signed_rank_cdf(n), _brute_cdf(n), rtol=1e-14)


def test_depth_against_the_textbook_critical_values() -> None:
    """Critical values of the signed-rank table: n = 10, P(W+ <= 8) = 25/1024 (95%) and
    P(W+ <= 3) = 5/1024 (99%); n = 20: 52 (95%)."""
    assert wilcoxon_depth(10, 0.95) == 8
    assert signed_rank_cdf(10)[8] == 25 / 1024
    assert wilcoxon_depth(10, 0.99) == 3
    assert signed_rank_cdf(10)[3] == 5 / 1024
    assert wilcoxon_depth(20, 0.95) == 52
    cdf = signed_rank_cdf(30)
    coverage = 1 - 2 * cdf
    d = wilcoxon_depth(30, 0.975)
    assert coverage[d] >= 0.975 > coverage[d + 1]
    assert wilcoxon_depth(3, 0.95) == 0
    # R's rounding to 4 decimals: n = 64, d = 706 covers 0.974974, which rounds to 0.975.
    assert 1 - 2 * signed_rank_cdf(64)[706] < 0.975
    assert wilcoxon_depth(64, 0.975) == 705
    assert wilcoxon_depth(64, 0.975, decimals=4) == 706
    # The normal approximation above the exact limit agrees with the exact depth to within one.
    approximate = stats.norm.ppf(0.025) * np.sqrt(900 * 901 * 1801 / 24) + 900 * 901 / 4
    assert abs(wilcoxon_depth(900, 0.95) - approximate) <= 2


@pytest.mark.parametrize("decimals", [None, 4, 2])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.975, 0.999])
def test_depth_above_the_exact_limit_is_the_count_of_every_qualifying_depth(level, decimals) -> None:
    """Above EXACT_LIMIT d* comes from bisection: it equals counting every qualifying d of the
    normal approximation (the previous computation, which held m/2 depths: 800 MB for 20,000
    events, 5 GB of a 20,000-pair study's CAAR bands)."""
    for n in (EXACT_LIMIT + 1, EXACT_LIMIT + 7, 1500, 2999):
        m = n * (n + 1) // 2
        depths = np.arange(1, m // 2 + 1)
        cdf = stats.norm.cdf((depths + 0.5 - m / 2.0) / np.sqrt(n * (n + 1) * (2 * n + 1) / 24.0))
        coverage = 1.0 - 2.0 * cdf
        if decimals is not None:
            coverage = np.round(coverage, decimals)
        assert wilcoxon_depth(n, level, decimals=decimals) == np.count_nonzero(coverage >= level), n


def test_depth_of_many_events_takes_no_memory_of_their_pairs() -> None:
    """tracemalloc's peak (bytes, not time) for n = 50,000 events stays below 1 MB."""
    import tracemalloc

    tracemalloc.start()
    try:
        depth = wilcoxon_depth(50_000, 0.95)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    m = 50_000 * 50_001 // 2
    approximate = stats.norm.ppf(0.025) * np.sqrt(50_000 * 50_001 * 100_001 / 24) + m / 2
    assert abs(depth - approximate) <= 1 and peak < 1 << 20, (depth, approximate, peak)


def test_walsh_order_statistics_by_brute_force_including_the_bisection_path() -> None:
    rng = np.random.default_rng(3)
    for x in (rng.normal(size=40), np.round(rng.normal(size=60), 1), rng.standard_t(2, size=200)):
        walsh = np.sort([(a + b) / 2 for i, a in enumerate(x) for b in x[i:]])
        ranks = (1, 5, len(walsh) // 2, len(walsh))
        assert walsh_order_statistics(x, ranks) == tuple(walsh[r - 1] for r in ranks)
        xs = np.sort(x)
        for r in ranks:  # the path used above MATERIALISE_LIMIT, checked on small samples
            assert _kth_sum(xs, r) / 2 == walsh[r - 1]
    big = rng.normal(size=MATERIALISE_LIMIT + 1)
    lo, hi = walsh_order_statistics(big, (10, 4_000_000))
    assert lo < np.median(big) < hi


def test_the_bisection_path_finds_a_walsh_average_tied_at_the_minimum() -> None:
    # 500 equal lowest CARs beyond MATERIALISE_LIMIT: ranks 2..125,250 are all the minimum sum,
    # and the bisection (started at the minimum, assumed below rank k) returned the next float up.
    x = np.concatenate([np.full(500, -0.01), np.linspace(0.001, 0.05, 201)])
    assert x.size > MATERIALISE_LIMIT
    xs = np.sort(x)
    rows, cols = np.triu_indices(x.size)
    walsh = np.sort(xs[rows] + xs[cols]) / 2
    ranks = (1, 2, 1000, 125_250, 125_251, 200_000)
    assert walsh_order_statistics(x, ranks) == tuple(walsh[r - 1] for r in ranks)
    assert walsh[1] == -0.01 and walsh[125_250] > -0.01  # the ties end where the test says


@pytest.mark.parametrize("n", [2, 3, 5, 6, 9, 12])
def test_the_wilcoxon_band_states_its_exact_coverage(n: int) -> None:
    """With 5 or fewer events no interval reaches 95%: the band is the range of the values, which
    covers 1 - 2^(1-n) (93.75% for 5, 50% for 2), and caar.parquet labelled it 0.95. The band
    now carries its exact coverage, by enumeration of the 2^n sign patterns."""
    x = np.random.default_rng(n).normal(size=(n, 1))
    band = wilcoxon_band(x, level=0.95)
    d = wilcoxon_depth(n, 0.95)
    expected = 1 - 2 * _brute_cdf(n)[d]
    assert band.coverage is not None and band.coverage[0] == pytest.approx(expected, abs=1e-15)
    assert wilcoxon_coverage(n, d) == pytest.approx(expected, abs=1e-15)
    if n <= 5:
        assert d == 0 and expected == 1 - 2.0 ** (1 - n) < 0.95
        assert (band.lower[0], band.upper[0]) == (x.min(), x.max())
    else:
        assert expected >= 0.95 > 1 - 2 * _brute_cdf(n)[d + 1]


def test_wilcoxon_band_is_the_interval_inverting_the_signed_rank_test() -> None:
    """A centre outside the band is rejected by the exact signed-rank test at 5%; the median of
    the band's data is inside."""
    rng = np.random.default_rng(5)
    x = rng.normal(0.01, 0.02, 25)
    band = wilcoxon_band(x[:, None], level=0.95)
    lower, upper = band.lower[0], band.upper[0]
    assert lower < np.median(x) < upper
    for centre in (lower - 1e-9, upper + 1e-9):
        assert stats.wilcoxon(x - centre, method="exact").pvalue < 0.05
    for centre in (lower + 1e-9, upper - 1e-9):
        assert stats.wilcoxon(x - centre, method="exact").pvalue >= 0.05


def test_bands_skip_missing_cells_and_refuse_bad_levels() -> None:
    paths = np.array([[0.01, np.nan], [0.03, 0.02], [0.02, 0.04], [np.nan, np.nan]])
    classic = classic_band(paths)
    assert classic.n.tolist() == [3, 2]
    np.testing.assert_allclose(classic.centre, [0.02, 0.03])
    half = stats.t.ppf(0.975, 2) * 0.01 / np.sqrt(3)
    np.testing.assert_allclose([classic.lower[0], classic.upper[0]], [0.02 - half, 0.02 + half], rtol=1e-12)
    empty = wilcoxon_band(np.full((2, 1), np.nan))
    assert np.isnan(empty.centre[0]) and empty.n[0] == 0
    with pytest.raises(ValueError, match="level"):
        classic_band(paths, level=1.5)


def test_path_bands_use_the_usable_pairs_of_the_span() -> None:
    rng = np.random.default_rng(9)
    n, taus = 30, np.arange(-2, 3)
    ar = rng.normal(0, 0.02, (n, taus.size))
    ar[0, 1] = np.nan
    panel = EventPanel(
        ar_estimation=rng.normal(0, 0.02, (n, 50)), ar_event=ar, event_tau=taus,
        estimation_day=np.tile(np.arange(50), (n, 1)), event_day=np.tile(np.arange(60, 65), (n, 1)),
        sigma=np.full(n, 0.02), n_estimation=np.full(n, 50), n_params=np.ones(n),
        xtx_inv=np.full((n, 1, 1), 0.02), x_event=np.ones((n, taus.size, 1)),
        firm=np.array([f"F{i}" for i in range(n)], dtype=object),
    )  # fmt: skip
    classic, wilcoxon = path_bands(panel, -2, 2)
    paths = np.cumsum(ar[1:], axis=1)
    np.testing.assert_allclose(classic.centre, paths.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(wilcoxon.centre, np.median(paths, axis=0), rtol=1e-12)
    assert set(classic.n.tolist()) == {29}


def test_ar_parquet_rows_carry_their_t_intervals(tmp_path) -> None:
    """ar_lower/ar_upper = ar -/+ t(0.975, M - k) ar_se and car_lower/car_upper with car_se, per
    row (M from car.parquet's n_est, k = 2 for the market model); no interval without a fit."""
    from _small_study import make_cache, make_study

    from eventstudy import load_config, run_study

    make_cache(tmp_path / "cache")
    events, config = make_study(tmp_path)
    results = run_study(events, tmp_path / "cache", load_config(config))
    ar = results.ar.merge(
        results.car.drop_duplicates(["event_id", "ticker"])[["event_id", "ticker", "n_est"]],
        on=["event_id", "ticker"],
    )
    q = stats.t.ppf(0.975, ar["n_est"].to_numpy() - 2)
    for value, se in (("ar", "ar_se"), ("car", "car_se")):
        np.testing.assert_allclose(ar[f"{value}_lower"], ar[value] - q * ar[se], rtol=1e-12)
        np.testing.assert_allclose(ar[f"{value}_upper"], ar[value] + q * ar[se], rtol=1e-12)
    assert ar["car_lower"].notna().all() and (ar["car_lower"] < ar["car_upper"]).all()
    caar = results.caar[results.caar["group"] == "all"]
    paths = results.ar.pivot_table(index=["event_id", "ticker"], columns="tau", values="car").to_numpy()
    np.testing.assert_allclose(caar["median"], np.median(paths, axis=0), rtol=1e-12)
    np.testing.assert_allclose(caar["classic_lower"], classic_band(paths).lower, rtol=1e-12)
