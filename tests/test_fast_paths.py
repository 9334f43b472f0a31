"""The fast paths behind W1 (issue 6) give exactly the numbers of the straightforward code.

Each test computes a quantity two ways, the optimised function and a plain reference (scipy,
``numpy.einsum``, fancy indexing, a Python loop), on data built to hit the edge cases: ties,
-0.0, NaN, infinities, near-ties one unit in the last place apart, empty rows.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from eventstudy.abnormal import prediction_error_t, quadratic_forms
from eventstudy.blocks import mask_as_slice
from eventstudy.estimate import _by_column, _gather_pairs, _used_columns
from eventstudy.inference.battery import _sar_ranks
from eventstudy.inference.bootstrap import bootstrap_t_test, bootstrap_t_tests
from eventstudy.inference.dollar import dollar_residual_variance
from eventstudy.inference.nonparametric import (
    DayScores,
    GrankSample,
    row_medians,
    row_ranks,
    sign_scores,
    sort_rows,
)
from eventstudy.tables import params_json
from eventstudy.valuation import ShareCountTable, shares_on


def _awkward(rng: np.random.Generator, n: int = 60, length: int = 40) -> np.ndarray:
    """Rows with ties, signed zeros, NaN, infinities and neighbours one ulp apart."""
    x = rng.normal(0.0, 0.02, (n, length))
    x[rng.random(x.shape) < 0.05] = np.nan
    x[0] = np.nan  # an empty row
    x[1] = np.round(x[1], 2)  # many ties
    x[2, :5] = [0.0, -0.0, 0.0, -0.0, 1.0]
    x[3, :4] = [np.inf, -np.inf, np.inf, 0.5]
    x[4, 1] = np.nextafter(x[4, 0], np.inf)  # near-ties
    x[5, 1] = np.nextafter(x[5, 0], -np.inf)
    x[6, :] = 7.0  # one value repeated
    x[7, 2] = np.nextafter(x[7, 3], np.inf) if np.isfinite(x[7, 3]) else 0.0
    return x


def _argsort_ranks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reference: scipy's average ranks, NaN omitted; argsort order; counts."""
    ranks = stats.rankdata(values, axis=1, nan_policy="omit")
    ordered = np.take_along_axis(values, np.argsort(values, axis=1), axis=1)
    return ranks, ordered, np.isfinite(values).sum(axis=1) + np.isinf(values).sum(axis=1)


@pytest.mark.parametrize("length", [1, 2, 40, 271, 600])
def test_sort_rows_equals_scipy_rankdata(length: int) -> None:
    if length < 8:
        x = np.random.default_rng(1).normal(size=(30, length))
        x[0, 0] = np.nan
        x[1, -1] = x[1, 0]
    else:
        x = _awkward(np.random.default_rng(length), length=length)
    ranks, ordered, count = row_ranks(x)
    want_ranks, want_ordered, want_count = _argsort_ranks(x)
    np.testing.assert_array_equal(ranks, want_ranks)  # NaN where NaN, exact averages
    np.testing.assert_array_equal(ordered, want_ordered)
    np.testing.assert_array_equal(count, want_count)
    sorted_rows = sort_rows(x)
    n_rows, n_cols = x.shape
    columns = sorted_rows.flat - (np.arange(n_rows) * n_cols)[:, None]
    assert np.all((columns >= 0) & (columns < n_cols))
    np.testing.assert_array_equal(np.sort(columns, axis=1), np.broadcast_to(np.arange(n_cols), x.shape))


def test_medians_equal_nanmedian() -> None:
    x = _awkward(np.random.default_rng(3))
    x[3, :4] = 0.1  # no infinities: nanmedian of an inf and -inf pair is NaN
    sorted_rows = sort_rows(x)
    _, ordered, count = row_ranks(x)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        want = np.nan_to_num(np.nanmedian(x, axis=1), nan=0.0)
    np.testing.assert_array_equal(sorted_rows.medians(x), want)
    np.testing.assert_array_equal(row_medians(ordered, count), want)


def test_sar_ranks_from_the_combined_order_equal_a_direct_sort() -> None:
    rng = np.random.default_rng(4)
    est = _awkward(rng, length=50)
    est[3, :4] = rng.normal(size=4)
    combined = np.concatenate([est, rng.normal(0, 0.02, (est.shape[0], 9))], axis=1)
    sigma = rng.uniform(0.5, 2.0, est.shape[0])
    sigma[8], sigma[9], sigma[10] = 0.0, np.nan, 1e20
    # Two neighbours that become equal (subnormal) once divided: a tie made by the division.
    est[10, :2] = [1e-300, np.nextafter(1e-300, 1.0)]
    combined[10, :2] = est[10, :2]
    with np.errstate(invalid="ignore", divide="ignore"):
        sar = est / sigma[:, None]
    assert sar[10, 0] == sar[10, 1]
    derived = _sar_ranks(sort_rows(combined), sar, sigma)
    direct = sort_rows(sar)
    np.testing.assert_array_equal(derived.ranks, direct.ranks)
    np.testing.assert_array_equal(derived.count, direct.count)
    np.testing.assert_array_equal(derived.ranks, stats.rankdata(sar, axis=1, nan_policy="omit"))


def test_grank_bisection_counts_equal_direct_comparisons() -> None:
    rng = np.random.default_rng(13)
    sar = _awkward(rng, length=30)
    star = rng.normal(0.0, 0.02, sar.shape[0])
    values, counts = np.unique(sar[1][np.isfinite(sar[1])], return_counts=True)
    star[1] = values[np.argmax(counts)]  # the most repeated SAR of a row with many ties
    star[2], star[3], star[4], star[6] = 0.0, np.nan, sar[4, 0], 7.0
    star[5] = -np.inf
    above, tied = GrankSample(sar.copy())._placed(star)
    known = ~np.isnan(star)
    np.testing.assert_array_equal(above, np.where(known, np.count_nonzero(sar > star[:, None], axis=1), 0))
    np.testing.assert_array_equal(tied, np.where(known, np.count_nonzero(sar == star[:, None], axis=1), 0))
    assert tied[1] > 1 and tied[2] == 4 and tied[6] == sar.shape[1]


def test_day_scores_overwrite_gives_the_same_centred_scores() -> None:
    x = _awkward(np.random.default_rng(5))
    kept = sign_scores(x)
    in_place = sign_scores(x, overwrite=True)
    np.testing.assert_array_equal(kept.centred, in_place.centred)
    scores = np.random.default_rng(6).uniform(size=(20, 7))
    scores[0, 0] = np.nan
    plain = DayScores(scores, np.full(20, 0.5))
    reused = DayScores(scores.copy(), np.full(20, 0.5), overwrite=True)
    np.testing.assert_array_equal(plain.centred, reused.centred)
    rows, window = np.ones(20, bool), np.arange(7) < 2
    assert plain.z(rows, window) == reused.z(rows, window)
    with pytest.raises(ValueError, match="pooled"):
        reused.z(rows, window, centering="pooled")


@pytest.mark.parametrize("block", [1, 40, 1 << 15])
@pytest.mark.parametrize("k", [0, 1, 2, 3, 5, 8])
def test_quadratic_forms_equal_einsum_bit_for_bit(k: int, block: int, monkeypatch) -> None:
    """Whatever the block of result values computed at a time (one, parts of a pair, pairs)."""
    import eventstudy.abnormal as abnormal

    monkeypatch.setattr(abnormal, "_QUADRATIC_BLOCK", block)
    rng = np.random.default_rng(k)
    v = rng.normal(size=(50, 21, k)).cumsum(axis=1)
    m = rng.normal(size=(50, k, k))
    m = m + m.transpose(0, 2, 1)
    if k:
        v[0, 0] = -0.0
        m[1] = 0.0
        v[2, 3, 0] = np.nan
    np.testing.assert_array_equal(quadratic_forms(v, m), np.einsum("plk,pkj,plj->pl", v, m, v))
    s = v[:, 5]
    np.testing.assert_array_equal(quadratic_forms(s, m), np.einsum("pk,pkj,pj->p", s, m, s))


def test_prediction_error_t_equals_scipy_t_sf_for_every_alternative() -> None:
    car = np.array([0.01, -0.02, np.nan, 0.0, 0.03, 0.05])
    variance = np.array([1e-4, 4e-4, 1e-4, 1e-4, 0.0, 1e-4])
    dof = np.array([248, 100, 248, 0, 248, -1])
    with np.errstate(divide="ignore", invalid="ignore"):
        want_t = car / np.sqrt(np.where(variance > 0, variance, np.nan))  # no variance: no t
    df = np.where(dof > 0, dof, np.nan)
    wants = {
        "two-sided": 2.0 * stats.t.sf(np.abs(want_t), df),
        "greater": stats.t.sf(want_t, df),
        "less": stats.t.cdf(want_t, df),
    }
    for alternative, want_p in wants.items():
        t, p = prediction_error_t(car, variance, dof, alternative=alternative)
        np.testing.assert_array_equal(t, want_t)
        np.testing.assert_allclose(p, want_p, rtol=1e-14, atol=0)


def test_bootstrap_of_complete_columns_equals_the_one_column_test() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_t(4, (300, 3)) * 0.02 + [0.0, 0.004, -0.003]
    everyone = np.ones(x.shape, dtype=bool)
    together = bootstrap_t_tests(x, everyone, draws=499, seed=11)
    for w in range(3):
        assert together[w] == bootstrap_t_test(x[:, w], draws=499, seed=11)
        # A column's result does not depend on the other columns.
        assert bootstrap_t_tests(x[:, [w]], everyone[:, [w]], draws=499, seed=11)[0] == together[w]


@pytest.mark.parametrize(
    # one chunk of draws; 16 a chunk and a last 12; few pairs, where a count off by one shows
    ("n", "mean"), [(40, 0.002), (5000, 0.0003), (12, 0.004)]
)
def test_bootstrap_of_partial_columns_follows_its_formula(n: int, mean: float) -> None:
    rng = np.random.default_rng(8)
    draws, seed = 60, 3
    x = rng.normal(mean, 0.02, (n, 2))  # |t| about 1 at n = 5000: many draws on either side
    usable = np.ones((n, 2), dtype=bool)
    usable[rng.random(n) < 0.3, 1] = False
    x[~usable[:, 1] & (rng.random(n) < 0.5), 1] = np.nan  # unusable values may be anything
    got = bootstrap_t_tests(x, usable, draws=draws, seed=seed)
    # The draws are positions into each column's usable values, sorted (a column's unusable
    # pairs are drawn no more: a row left out of every statistic moved the p's).
    for w, result in enumerate(got):
        values = np.sort(x[usable[:, w], w])
        m = values.size
        index = np.random.default_rng(seed).integers(0, m, size=(draws, m), dtype=np.int64)
        t_obs = values.mean() * np.sqrt(values.size) / values.std(ddof=1)
        extreme = 0
        for draw in index:
            drawn = values[draw]
            t_star = (drawn.mean() - values.mean()) * np.sqrt(drawn.size) / drawn.std(ddof=1)
            extreme += abs(t_star) >= abs(t_obs)
        assert result.n == values.size
        assert result.value == pytest.approx(t_obs, rel=1e-12)
        assert result.p == pytest.approx((1 + extreme) / (draws + 1))


def test_a_pair_usable_for_no_column_changes_no_bootstrap_p() -> None:
    """A row left out of every statistic (SPY listed beside its own market: outcome
    market_proxy) moved the run's bootstrap p from 0.026 to 0.044 while every other statistic
    stayed: its index was drawn like a pair's, changing the stream and each resample's size.
    The p is that of the usable pairs alone (what `infer` of the ok rows gives)."""
    rng = np.random.default_rng(12)
    x = rng.normal(0.01, 0.02, (7, 2))
    usable = np.ones(x.shape, dtype=bool)
    usable[2, 1] = False  # usable for one column: a pair of the sample
    alone = bootstrap_t_tests(x, usable, draws=999, seed=0)
    excluded = np.vstack([x, [[np.nan, np.nan], [0.5, -0.5]]])
    with_excluded = np.vstack([usable, [[False, False], [False, False]]])
    assert bootstrap_t_tests(excluded, with_excluded, draws=999, seed=0) == alone
    assert alone[0] == bootstrap_t_test(x[:, 0], draws=999, seed=0)


def test_dollar_variance_in_place_equals_the_copy() -> None:
    d = _awkward(np.random.default_rng(9)) * 1e9
    d[3, :4] = 1.0
    want = dollar_residual_variance(d.copy())
    got = dollar_residual_variance(d.copy(), overwrite=True)
    np.testing.assert_array_equal(want[0], got[0])
    np.testing.assert_array_equal(want[1], got[1])
    for row, variance, m in zip(d, got[0], got[1], strict=True):
        if m >= 2:  # the only variances the dollar test uses
            assert variance == pytest.approx(np.var(row[np.isfinite(row)], ddof=1), rel=1e-12)


def test_gather_pairs_equals_fancy_indexing() -> None:
    """_by_column copies only the columns the pairs use (each followed by a NaN day) and
    _gather_pairs reads them as fancy indexing of the NaN-padded panel does."""
    rng = np.random.default_rng(10)
    values = rng.normal(size=(30, 6))
    padded = np.vstack([values, np.full((1, 6), np.nan)])
    days = rng.integers(-1, 30, size=(12, 5))
    columns = rng.choice([0, 2, 5], size=12)
    columns[0] = 0
    days[0, 0] = -1  # column 0, no day: wraps to the very last (NaN) element
    used, local = _used_columns(columns)
    np.testing.assert_array_equal(used, [0, 2, 5])
    by_column = _by_column(values, used)
    assert by_column.shape == (3, 31) and by_column.flags.c_contiguous
    np.testing.assert_array_equal(_gather_pairs(by_column, days, local), padded[days, columns[:, None]])


def test_params_json_is_json_dumps() -> None:
    alpha = np.array([0.00012, np.nan, -1.5e-7, np.inf, 0.1 + 0.2])
    params = {"alpha": alpha, "beta%": np.array([1.73, 2.0, np.nan, 0.0, -0.0])}
    want = [
        json.dumps({k: (None if not np.isfinite(v[i]) else float(v[i])) for k, v in params.items()})
        for i in range(5)
    ]
    assert params_json(params, 5) == want
    assert params_json({}, 2) == ["{}", "{}"]


def _shares() -> dict[str, pd.DataFrame]:
    return {
        "AAA": pd.DataFrame(
            {
                "as_of": pd.to_datetime(["2024-01-03", "2024-01-05", "2024-01-05"]),
                "shares_outstanding": [1e9, 1.1e9, 1.2e9],
                "filing": ["10-K", "10-Q", "10-Q/A"],
            }
        ),
        "BBB": pd.DataFrame(
            {"as_of": pd.to_datetime(["2024-01-08"]), "shares_outstanding": [5e8], "filing": ["8-K"]}
        ),
        "EMPTY": pd.DataFrame({"as_of": pd.to_datetime([]), "shares_outstanding": [], "filing": []}),
    }


def test_share_table_lookups_equal_shares_on() -> None:
    calendar = pd.bdate_range("2024-01-02", periods=8).to_numpy("datetime64[ns]")
    shares = _shares()
    table = ShareCountTable.build(shares, calendar)
    tickers = np.array(["AAA", "BBB", "EMPTY", "ZZZ", "AAA"], dtype=object)
    days = np.array([[-1, 0, 1, 2, 3, 7]] * 5)
    counts = table.counts(tickers, days)
    lookup = table.lookup(tickers, days)
    for p, ticker in enumerate(tickers):
        frame = shares.get(ticker, shares["EMPTY"])
        dates = np.where(days[p] >= 0, calendar[days[p]], np.datetime64("NaT"))
        want = shares_on(frame, dates)
        np.testing.assert_array_equal(counts[p], want.shares)
        np.testing.assert_array_equal(lookup.shares[p], want.shares)
        np.testing.assert_array_equal(lookup.as_of[p], want.as_of)
        np.testing.assert_array_equal(lookup.filing[p], want.filing)
    by_day = table.counts_by_day(np.array(["BBB", "ZZZ", "AAA"], dtype=object))
    np.testing.assert_array_equal(
        by_day, table.counts(np.array(["BBB", "ZZZ", "AAA"]), np.tile(np.arange(8), (3, 1)))
    )
    # Without any figure at all, every lookup is empty.
    none = ShareCountTable.build({"EMPTY": shares["EMPTY"]}, calendar)
    assert np.isnan(none.counts(tickers, days)).all()


def test_a_filing_text_is_one_line_of_plain_text() -> None:
    """A shares file's ESC, BEL and newline in `filing` went into car.parquet's and car.csv's
    shares_filing as they were (a re-attack of the confounders' fix)."""
    from eventstudy.tables import ShareFigures

    calendar = pd.bdate_range("2024-01-02", periods=8).to_numpy("datetime64[ns]")
    filing = "10-Q\x1b[31m RED\x07\nline2"
    dated = pd.to_datetime(["2024-01-02"])
    frame = pd.DataFrame({"as_of": dated, "shares_outstanding": [1e9], "filing": [filing]})
    table = ShareCountTable.build({"AAA": frame}, calendar)
    rows = table.rows(np.array(["AAA", "ZZZ"], dtype=object), np.array([[3], [3]]))
    figures = ShareFigures.of(table, rows, table.at(rows))
    assert figures.filing_text.tolist() == [["10-Q[31m RED line2"], [""]]


def test_event_panel_market_values_equal_close_times_shares_on() -> None:
    """MV_{i,s-1} = close on the session before estimation day s x the shares then in effect."""
    from eventstudy.aggregate import event_panel
    from eventstudy.config import StudyConfig
    from eventstudy.estimate import estimate
    from eventstudy.models import MarketModel
    from eventstudy.timeline.returns import ReturnsPanel

    rng = np.random.default_rng(12)
    n_days, tickers = 160, ["AAA", "BBB", "CCC"]
    calendar = pd.bdate_range("2024-01-01", periods=n_days, name="date")
    close = 50 * np.cumprod(1 + rng.normal(0, 0.02, (n_days, 4)), axis=0)
    close[rng.random(close.shape) < 0.03] = np.nan
    returns = np.vstack([np.full((1, 4), np.nan), close[1:] / close[:-1] - 1])
    panel = ReturnsPanel(calendar, ("MKT", *tickers), returns, close)
    day0 = np.array([70, 100, 159, 60, 5])  # the last two start before the calendar
    events = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(5)],
            "announced": calendar[day0],
            "timing": "pre",
            "ticker": ["AAA", "BBB", "CCC", "AAA", "BBB"],
            "role": "party",
            "deal_usd": 1e9,
            "group": "g",
            "headline": "h",
            "source_row": np.arange(2, 7),
        }
    )
    shares = {
        "AAA": pd.DataFrame(
            {"as_of": [calendar[0], calendar[90]], "shares_outstanding": [1e9, 1.2e9], "filing": ["a", "b"]}
        ),
        "CCC": pd.DataFrame({"as_of": [calendar[30]], "shares_outstanding": [3e8], "filing": ["c"]}),
    }
    config = StudyConfig(
        market="MKT", estimation_window=(-80, -6), event_windows=((0, 0), (-2, 2)), min_estimation_obs=20
    )
    results = estimate(events, panel, MarketModel("MKT"), config, shares=shares)
    cross = event_panel(results)
    est_days = results.estimation_days
    prev = np.where(est_days >= 1, est_days - 1, -1)
    padded = np.vstack([close, np.full((1, 4), np.nan)])
    columns = np.array([panel.column(t) for t in events["ticker"]])
    table = ShareCountTable.build(shares, calendar.to_numpy("datetime64[ns]"))
    want = padded[prev, columns[:, None]] * table.counts(events["ticker"].to_numpy(object), prev)
    # The panel carries the dollar residuals' variance and count per pair, computed by blocks
    # of pairs from these market values: exactly the whole-array computation.
    variance, days = dollar_residual_variance(results.fit.residuals * want)
    np.testing.assert_array_equal(cross.dollar_variance, variance)
    np.testing.assert_array_equal(cross.dollar_days, days)
    assert cross.market_value_estimation is None
    assert np.isfinite(want).any() and np.isnan(want).any() and np.isfinite(variance).any()


def test_battery_bootstrap_on_a_second_thread_gives_the_same_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    import eventstudy.inference.battery as battery
    from eventstudy.inference import EventPanel, run_battery_windows

    rng = np.random.default_rng(14)
    n, l1, taus = 80, 60, np.arange(-2, 3)
    est = rng.normal(0, 0.02, (n, l1))
    evt = rng.normal(0.002, 0.02, (n, taus.size))
    evt[rng.random(evt.shape) < 0.05] = np.nan  # some windows lose pairs
    x_event = np.stack([np.ones((n, taus.size)), rng.normal(0, 0.01, (n, taus.size))], axis=-1)
    panel = EventPanel(
        ar_estimation=est,
        ar_event=evt,
        event_tau=taus,
        estimation_day=np.arange(l1)[None, :] + rng.integers(0, 30, n)[:, None],
        event_day=np.arange(l1, l1 + taus.size)[None, :] + np.zeros((n, 1), dtype=int),
        sigma=est.std(axis=1, ddof=2),
        n_estimation=np.full(n, l1),
        n_params=np.full(n, 2),
        xtx_inv=np.tile(np.eye(2) / l1, (n, 1, 1)),
        x_event=x_event,
        firm=np.array([f"F{i % 20}" for i in range(n)], dtype=object),
    )
    windows = [(0, 0), (-1, 1), (-2, 2)]

    def rows() -> list[dict[str, object]]:
        batteries = run_battery_windows(panel, windows, bootstrap_draws=199, seed=5)
        return [r.as_row() for battery_rows in batteries for r in battery_rows]

    monkeypatch.setattr(battery, "_BACKGROUND_DRAWS", 1)
    threaded = rows()
    monkeypatch.setattr(battery, "_BACKGROUND_DRAWS", 10**12)
    serial = rows()
    pd.testing.assert_frame_equal(pd.DataFrame(threaded), pd.DataFrame(serial))
    boots = [r for r in threaded if r["statistic"] == "bootstrap_t"]
    assert boots[-1]["n"] < n  # the widest window leaves pairs out


@st.composite
def _share_files(draw):
    """Share-count files of a few tickers: as-of dates before, inside and after an 8-session
    calendar, on weekends between sessions, repeated, and missing; some tickers without rows;
    counts whose changes are split ratios (x2, x10, /20), near them (x1.97, x10.4), fractional
    ones (x1.5: a 3-for-2 split or a share issue) or none (x1.02, /1.5)."""
    start = np.datetime64("2024-01-01")
    files = {}
    counts = st.sampled_from([1e8, 2e8, 1.02e8, 1.5e8, 1.97e8, 1e9, 1.04e9, 5e6])
    for ticker in ("AAA", "BBB", "CCC"):
        n = draw(st.integers(0, 6))
        offsets = draw(st.lists(st.integers(-5, 20), min_size=n, max_size=n))
        dates = [start + np.timedelta64(o, "D") for o in offsets]
        if n and draw(st.booleans()):
            dates[draw(st.integers(0, n - 1))] = np.datetime64("NaT")
        files[ticker] = pd.DataFrame(
            {
                "as_of": pd.to_datetime(np.array(dates, dtype="datetime64[ns]")),
                "shares_outstanding": np.array(draw(st.lists(counts, min_size=n, max_size=n)), dtype=float),
                "filing": [f"{ticker}-{i}" for i in range(n)],
            }
        )
    return files


@settings(max_examples=200, deadline=None)
@given(_share_files(), st.integers(0, 2**32 - 1), st.integers(1, 40))
def test_share_table_is_shares_on_for_any_files(files, seed, block_values) -> None:
    """Every lookup of the share table, by pair and day and by ticker and day, is what
    ``shares_on`` gives from the ticker's file: the latest figure dated on or before the day, the
    later file row of equal dates, none before the first figure, on day -1 or for a ticker
    without a file; pairs looked up a block at a time (down to one pair) or all at once."""
    from eventstudy import valuation

    calendar = pd.bdate_range("2024-01-02", periods=8).to_numpy("datetime64[ns]")
    table = ShareCountTable.build(files, calendar)
    rng = np.random.default_rng(seed)
    tickers = rng.choice(np.array(["AAA", "BBB", "CCC", "ZZZ"], dtype=object), size=6)
    days = rng.integers(-1, len(calendar), size=(6, 5))
    whole = table.rows(tickers, days)
    saved, valuation._ROWS_BLOCK_VALUES = valuation._ROWS_BLOCK_VALUES, block_values
    try:
        lookup = table.lookup(tickers, days)
        np.testing.assert_array_equal(table.rows(tickers, days), whole)
    finally:
        valuation._ROWS_BLOCK_VALUES = saved
    empty = files["AAA"].iloc[:0]
    for p, ticker in enumerate(tickers):
        dates = np.where(days[p] >= 0, calendar[np.maximum(days[p], 0)], np.datetime64("NaT"))
        want = shares_on(files.get(ticker, empty), dates)
        np.testing.assert_array_equal(lookup.shares[p], want.shares)
        np.testing.assert_array_equal(lookup.as_of[p], want.as_of)
        np.testing.assert_array_equal(lookup.filing[p], want.filing)
    by_day = table.counts_by_day(tickers)
    every_day = np.tile(np.arange(len(calendar)), (len(tickers), 1))
    for p, ticker in enumerate(tickers):
        frame = files.get(ticker, empty)
        want = shares_on(frame, calendar)
        # a figure followed by a change of the ticker's counts by a split ratio gives no count
        reversed_ = _reverses_a_split(frame)
        pre_split = [
            _before_split(frame, a, f) or (reversed_ and not np.isnat(a))
            for a, f in zip(want.as_of, want.filing, strict=True)
        ]
        np.testing.assert_array_equal(by_day[p], np.where(pre_split, np.nan, want.shares))
    counts = table.counts(tickers, every_day)
    np.testing.assert_array_equal(by_day, np.where(np.isnan(by_day), np.nan, counts))


def _reverses_a_split(frame: pd.DataFrame) -> bool:
    """Whether the counts of ``frame`` reverse a split (n then 1/n, or 1/n then n, split ratios
    as in :func:`_before_split`) within 365 days and do not come back by the next split ratio: a
    loop from the definition of :func:`eventstudy.valuation.reversed_splits`."""
    ordered = frame.dropna(subset=["as_of"]).sort_values("as_of", kind="stable").reset_index(drop=True)
    counts, dates = ordered["shares_outstanding"].tolist(), ordered["as_of"].tolist()
    legs = []  # (position, split ratio, date) of each change by a split ratio
    for i in range(1, len(counts)):
        ratio = counts[i] / counts[i - 1]
        size = max(ratio, 1 / ratio)
        n = round(size)
        if 2 <= n <= 100 and abs(size / n - 1) <= 0.03:
            legs.append((i, n if ratio >= 1 else 1 / n, dates[i]))
    closing = None
    for j in range(len(legs) - 1):
        (k, first, day_k), (m, second, day_m) = legs[j], legs[j + 1]
        if abs(first * second - 1) > 1e-9 or (day_m - day_k).days > 365 or k == closing:
            continue
        closing = m
        if j + 2 < len(legs) and abs(second * legs[j + 2][1] - 1) <= 1e-9:
            continue  # the counts come back
        return True
    return False


def _before_split(frame: pd.DataFrame, as_of: np.datetime64, filing: str) -> bool:
    """Whether the figure (as_of, filing) of ``frame`` is followed, in as-of order, by changes of
    the counts whose split ratios (n or 1/n within 3%, n <= 100) do not cancel, or by unclear
    changes (a rise within 3% of a fractional split ratio, or a change by more than 1.2 either
    way that is no split ratio) whose product is not within 0.5% of 1: a loop from the
    definition."""
    if np.isnat(as_of):
        return False
    ordered = frame.dropna(subset=["as_of"]).sort_values("as_of", kind="stable").reset_index(drop=True)
    same = (ordered["as_of"].to_numpy("datetime64[ns]") == as_of) & (ordered["filing"] == filing)
    start = int(np.flatnonzero(same)[-1])
    factor = unclear = 1.0
    counts = ordered["shares_outstanding"].tolist()
    for previous, current in zip(counts[start:], counts[start + 1 :], strict=False):
        ratio = current / previous
        size = max(ratio, 1 / ratio)
        n = round(size)
        split = 2 <= n <= 100 and abs(size / n - 1) <= 0.03
        if split:
            factor *= n if ratio >= 1 else 1 / n
        if any(abs(ratio / s - 1) <= 0.03 for s in (5 / 4, 4 / 3, 3 / 2, 5 / 3, 7 / 4, 5 / 2, 7 / 2)) or (
            size > 1.2 and not split
        ):
            unclear *= ratio
    return not np.isclose(factor, 1.0) or abs(unclear - 1.0) > 0.005


def test_bootstrap_draw_counts_equal_bincount_even_past_255() -> None:
    """A resample's one-byte counters are bincount's counts; an item drawn 256 times or more
    (the counter wraps) is caught by the total and counted again."""
    from eventstudy.inference.bootstrap import _draw_counts

    rng = np.random.default_rng(12)
    for index in (
        rng.integers(0, 1000, 1000),
        np.zeros(300, dtype=np.int64),  # one item 300 times: wraps to 44
        np.r_[np.zeros(256, dtype=np.int64), np.arange(1, 44)],  # exactly 256: wraps to 0
    ):
        tally = np.empty(index.size, dtype=np.uint8)
        np.testing.assert_array_equal(_draw_counts(index, tally), np.bincount(index, minlength=index.size))


@pytest.mark.parametrize("block_values", [1, 7, 1 << 18])
def test_panel_columns_copied_by_blocks_are_the_columns(monkeypatch, block_values: int) -> None:
    """``_by_column`` copies the events' panel columns a few at a time: each symbol's days
    consecutive, then the NaN that calendar position -1 reads, whatever the block."""
    from eventstudy import estimate as estimate_module

    rng = np.random.default_rng(5)
    values = rng.standard_normal((9, 13))
    values[rng.random(values.shape) < 0.2] = np.nan
    columns = np.array([12, 0, 4, 5, 11])
    monkeypatch.setattr(estimate_module, "_BLOCK_VALUES", block_values)
    out = estimate_module._by_column(values, columns)
    assert out.flags.c_contiguous and out.shape == (5, 10)
    np.testing.assert_array_equal(out[:, :-1], values[:, columns].T)
    assert np.isnan(out[:, -1]).all()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.booleans(), max_size=30))
def test_mask_as_slice_selects_the_masks_columns_as_a_view_when_consecutive(bits: list[bool]) -> None:
    mask = np.array(bits, dtype=bool)
    values = np.arange(3 * mask.size, dtype=float).reshape(3, mask.size)
    index = mask_as_slice(mask)
    np.testing.assert_array_equal(values[:, index], values[:, mask])
    columns = np.flatnonzero(mask)
    consecutive = columns.size > 0 and columns[-1] - columns[0] + 1 == columns.size
    assert isinstance(index, slice) == consecutive
    assert np.shares_memory(values[:, index], values) == consecutive


def test_a_window_sum_is_the_same_additions_for_any_number_of_pairs() -> None:
    """numpy's sum over axis 1 adds day by day or pairwise depending on the array's shape: a pair's
    CAR differed in its last bit between the whole study and a Dask partition of it."""
    from eventstudy.abnormal import window_sum

    rng = np.random.default_rng(11)
    abnormal = rng.standard_t(3, size=(4_000, 21)) * 0.02
    abnormal[5, 3] = np.nan
    in_window = np.ones(21, dtype=bool)
    in_window[[0, 20]] = False
    whole = window_sum(abnormal, in_window)
    by_pair = np.array([window_sum(abnormal[k : k + 1], in_window)[0] for k in range(abnormal.shape[0])])
    day_by_day = [float(np.float64(sum(row[in_window].tolist()))) for row in abnormal]  # Python's left fold
    np.testing.assert_array_equal(whole, by_pair)
    np.testing.assert_array_equal(whole, day_by_day)
    assert np.isnan(whole[5])
    regressors = rng.normal(size=(300, 21, 2))
    np.testing.assert_array_equal(
        window_sum(regressors, in_window)[7], window_sum(regressors[7:8], in_window)[0]
    )
