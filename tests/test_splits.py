"""Share counts dated before a split are not multiplied by split-adjusted closes.

NVDA split 10-for-1 on 2024-06-10. Its 10-Q covers give 2,464 million shares as of 2024-05-17
and 24,530 million as of 2024-08-23; Yahoo's closes are adjusted for the split, so the May count
times the May close (about $95) would be a market value of $234B, a tenth of the $2.3T it was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _studies import run_rows

from eventstudy.backtest.rules import BacktestConfig
from eventstudy.data.importer import import_paths
from eventstudy.data.store import PriceStore
from eventstudy.results import StudyResults
from eventstudy.tables import ShareFigures, _change_notes
from eventstudy.valuation import (
    FRACTIONAL_SPLITS,
    SPLIT_TOLERANCE,
    ShareCountTable,
    change_text,
    factor_text,
    fractional_changes,
    split_ratio_text,
    split_ratios,
    unclear_changes,
)

SHARES_HEADER = "ticker,as_of,shares_outstanding,filing,source\n"
NVDA_COVERS = (
    "NVDA,2023-05-19,2470000000,10-Q cover,t\n"
    "NVDA,2024-05-17,2464000000,10-Q cover,t\n"
    "NVDA,2024-08-23,24530000000,10-Q cover,t\n"
)
AMD_THREE_FOR_TWO = (  # made up: AMD never split 3-for-2; its closes are only the prices' basis
    "AMD,2024-11-01,1000000000,10-Q cover,t\n"
    "AMD,2025-08-01,1500000000,10-Q cover,t\n"
)
ADJUSTED = (
    "NVDA,2023-05-19,24700000000,10-Q cover x 10 (split-adjusted),t\n"
    "NVDA,2024-05-17,24640000000,10-Q cover x 10 (split-adjusted),t\n"
    "NVDA,2024-08-23,24530000000,10-Q cover,t\n"
)


def test_split_ratios_in_closed_form() -> None:
    assert SPLIT_TOLERANCE == 0.03
    counts = np.array([2.464e9, 24.53e9, 24.4e9, 1.22e9, 2.4034e9, 2.2e9, 2.2e9 * 1.02])
    same = np.array([False, True, True, True, True, True, True])
    # 9.955 is a 10-for-1 split; 0.99 none; 1/20.0 a 1-for-20 reverse split; 1.97 a 2-for-1
    # (1.5% off); 0.915 and 1.02 none.
    np.testing.assert_allclose(split_ratios(counts, same), [1, 10, 1, 1 / 20, 2, 1, 1])
    assert split_ratios(np.array([1e9, 1.9e9]), np.array([False, True])).tolist() == [1, 1]  # 5% off 2
    assert split_ratios(np.array([1e9, 1e10]), np.array([False, False])).tolist() == [1, 1]  # two tickers
    # x200 is no split (LARGEST_SPLIT = 100; the cache refuses it as a unit slip)
    assert split_ratios(np.array([5e6, 1e9, 5e7]), np.array([False, True, True])).tolist() == [1, 1, 1 / 20]


def test_fractional_changes_in_closed_form() -> None:
    """A rise of the counts by 3/2 or 5/4 (3-for-2 and 5-for-4 splits, CRSP's most frequent after
    2-for-1, or share issues of 50% and 25%) is a fractional change, not a split; a rise of 40% or
    10%, or any fall, is neither; the nearest ratio is the one taken."""
    assert FRACTIONAL_SPLITS == (5 / 4, 4 / 3, 3 / 2, 5 / 3, 7 / 4, 5 / 2, 7 / 2)
    counts = np.array([1e9, 1.5e9, 1.497e9 * 1.5, 1.25 * 1.497e9 * 1.5, 1.4 * 1.25 * 1.497e9 * 1.5])
    same = np.array([False, True, True, True, True])
    np.testing.assert_allclose(fractional_changes(counts, same), [1, 3 / 2, 3 / 2, 5 / 4, 1])
    assert split_ratios(counts, same).tolist() == [1, 1, 1, 1, 1]
    # 1.5e9 -> 1e9 is a fall (no reverse fractional split); x1.7 is 2.0% from 5/3 and 2.9% from 7/4
    down = fractional_changes(np.array([1.5e9, 1e9, 1.7e9, 1.87e9]), np.array([False, True, True, True]))
    np.testing.assert_allclose(down, [1, 1, 5 / 3, 1])
    two_tickers = fractional_changes(np.array([1e9, 1.5e9]), np.array([False, False]))
    assert two_tickers.tolist() == [1, 1]
    assert [split_ratio_text(f) for f in (10, 1.5, 1 / 20, 2 / 3, np.round(4 / 3, 9), 15, 1 / 1500)] == [
        "10-for-1", "3-for-2", "1-for-20", "2-for-3", "4-for-3", "15-for-1", "1-for-1500",
    ]  # fmt: skip
    multipliers = [factor_text(f) for f in (10, 1.5, 1.25, np.round(4 / 3, 9), 0.1, 1 / 1500, 2 / 3)]
    assert multipliers == ["10", "1.5", "1.25", "4/3", "0.1", "1/1500", "2/3"]
    # A count before two rises carries their product: named as changes in all, not as one
    # '2-for-1', '16-for-9' or '5-for-2' split (review of the fractional-rise change; a finder)
    assert change_text(1.5).startswith("a rise of the counts by 1.5: a 3-for-2 split, or an issue")
    assert change_text(1.497).startswith("a rise of the counts by 1.497: a 3-for-2 split, or an issue")
    for product, text in ((1.5 * 4 / 3, "2"), (4 / 3 * 4 / 3, "16/9"), (1.5 * 5 / 3, "2.5")):
        said = f"2 changes of the counts after it, by {text} in all: splits, shares issued or bought back"
        assert change_text(product, 2).startswith(said)
        assert "-for-" not in change_text(product, 2)
    for one, text in ((2.08, "2.08"), (0.5123456, "0.5123"), (0.8, "0.8")):
        said = f"a change of the counts by {text} after it, by no split ratio: a split or reverse split"
        assert change_text(one).startswith(said)


def test_unclear_changes_in_closed_form() -> None:
    """A change by more than a fifth either way that is no split ratio may hide a split (x2.08:
    a 2-for-1 split and 4% more shares, which split_ratios' 3% does not take; x0.525: a 1-for-2
    reverse split and 5% more) as well as be shares issued: a finder had close x the count before
    it give half the market value without a note. A ratio near a fractional one stays the ratio
    the counts give (x1.49, not 3/2: a count back where it was cancels exactly); a split ratio,
    and a change of a fifth or less, are no unclear change."""
    counts = np.array([1e9, 2.08e9, 1.092e9, 1.62708e9, 3.25416e9, 3.873e9, 3.0984e9, 2.582e9])
    same = np.array([False, *[True] * 7])
    ratios = counts[1:] / counts[:-1]
    np.testing.assert_allclose(ratios, [2.08, 0.525, 1.49, 2.0, 1.1901689, 0.8, 0.8333333], rtol=1e-6)
    expected = [1, 2.08, 0.525, 1.49, 1, 1, 0.8, 1]  # x2 a split; x1.19 and x0.833 within a fifth
    np.testing.assert_allclose(unclear_changes(counts, same), expected, rtol=1e-9)
    assert unclear_changes(np.array([1e9, 3e9]), np.array([False, False])).tolist() == [1, 1]


@pytest.mark.parametrize(
    ("counts", "later"),
    [
        ([1e9, 1.21e9, 1.004e9], [1.0, 1.004 / 1.21, 1.0]),  # a rise and a fall by no split ratio, net +0.4%
        ([1e9, 1.3e9, 1e9], [1.0, 1 / 1.3, 1.0]),  # x1.3 near 4/3, and back: exactly 1
        ([1e9, 0.76e9, 1.003e9], [1.0, 1.003 / 0.76, 1.0]),  # a vendor's bad day, then back within 0.3%
        # A tender for 32% of the shares, then a 3-for-2 split: x0.68 x1.5 = 1.02 is no return
        # (3% cancelled it: the first count gave two thirds of the market value, a finder)
        ([1e8, 0.68e8, 1.02e8], [1.02, 1.5, 1.0]),
        ([1e9, 1.3e9, 1e9, 1.3e9, 1e9], [1.0, 1 / 1.3, 1.0, 1 / 1.3, 1.0]),  # a bad day, twice
        ([1e9, 1.5e9, 1e9 / 1.5], [1 / 1.5, 1 / 1.5 / 1.5, 1.0]),  # x1.5 then x1/2.25: no cancel
        ([1e9, 1.25e9, 1.29e9], [1.25, 1.0, 1.0]),  # x1.032 after it is no unclear change
    ],
)
def test_unclear_changes_that_cancel_leave_the_earlier_counts_alone(counts, later) -> None:
    """Counts that come back within 0.5% (CANCEL_TOLERANCE) withheld every earlier market value:
    the product of the changes was taken as cancelled only when exactly 1 (of ratios rounded to a
    split's: a bad day repeated left x1.026 each time), and a vendor's daily counts with one bad
    day (x0.76, then back) withheld 280 of 522 days (finders). The count between two changes
    still precedes one of them."""
    calendar = pd.bdate_range("2024-01-01", "2024-12-31").to_numpy("datetime64[ns]")
    frame = pd.DataFrame(
        {
            "as_of": pd.bdate_range("2024-02-01", periods=len(counts), freq="40B"),
            "shares_outstanding": counts,
            "filing": "x",
        }
    )
    table = ShareCountTable.build({"X": frame}, calendar)
    np.testing.assert_allclose(table.later_change, later, rtol=1e-6)


def test_a_count_before_several_changes_is_told_of_them_all() -> None:
    """A 3/2 rise, then a 5/3 one: the first count's note named one '5-for-2 split' and told to
    multiply it by 2.5 (5/3 of the truth when the first rise was the split; a finder)."""
    calendar = pd.bdate_range("2024-01-01", "2024-12-31").to_numpy("datetime64[ns]")
    dates = pd.to_datetime(["2024-02-01", "2024-05-01", "2024-08-01"])
    frame = pd.DataFrame({"as_of": dates, "shares_outstanding": [1e9, 1.5e9, 2.5e9], "filing": "x"})
    table = ShareCountTable.build({"X": frame}, calendar)
    np.testing.assert_allclose(table.later_change, [2.5, 5 / 3, 1.0])
    assert table.later_changes.tolist() == [2, 1, 0]
    rows = np.array([[0, 1]])
    figures = ShareFigures.of(table, rows, table.at(rows))
    note = _change_notes(np.array(["X"], dtype=object), figures, np.array([0]), slice(0, 2))[0]
    told = "shares: the count of X as of 2024-02-01 precedes 2 changes of the counts after it, by 2.5 in all:"
    assert note.startswith(told) and "-for-" not in note
    assert note.endswith("import split-adjusted counts (each count before the split times its ratio)")


def test_a_weight_scaled_for_a_split_in_the_closes_is_not_said_to_be_as_given() -> None:
    """A count before a split seen only in the closes (x2) and a rise of the counts by 1.5: the
    weight is the count times 2, and its note said 'the share count as given' (a finder)."""
    from eventstudy.backtest.engine import _later_counts_note

    changes = "x10 on 2024-08-23 and x0.1 on 2024-09-16"
    reversed_ = _later_counts_note("value weight", 2.0, 1.0, reversal=changes)
    assert reversed_.startswith("value weight: the share count times 2, though the counts change x10 on ")
    assert reversed_.count("value weight:") == 1  # it said "as given" and then "times 2" (a finder)
    note = _later_counts_note("value weight", 1.0, 1.5, 2.0)
    assert note.startswith("value weight: the share count times 2, the ratio of a 2-for-1 split seen in")
    assert "as given" not in note and "value weight: not scaled again for a rise of the counts by 1.5" in note


def test_a_count_before_a_split_has_no_market_value_and_cancelling_splits_do_not_matter() -> None:
    calendar = pd.bdate_range("2024-01-01", "2024-12-31").to_numpy("datetime64[ns]")
    frame = pd.DataFrame(
        {
            "as_of": pd.to_datetime(["2024-05-17", "2024-08-23", "2024-11-20"]),
            "shares_outstanding": [2.464e9, 24.53e9, 24.49e9],
            "filing": ["a", "b", "c"],
        }
    )
    calendar = pd.bdate_range("2021-01-01", "2024-12-31").to_numpy("datetime64[ns]")
    back = pd.DataFrame(
        {
            "as_of": pd.to_datetime(["2021-02-01", "2022-03-01", "2024-04-01"]),
            "shares_outstanding": [1e8, 1e9, 1e8],  # a 10-for-1 split, then a 1-for-10 reverse split
            "filing": ["x", "y", "z"],
        }
    )
    table = ShareCountTable.build({"NVDA": frame, "BACK": back}, calendar)
    np.testing.assert_allclose(table.later_split, [10, 1, 1, 1, 0.1, 1])  # tickers in the order given
    by_day = table.counts_by_day(["NVDA", "BACK"])
    dates = ("2024-06-03", "2024-09-03", "2023-03-06")
    day = {d: int(np.searchsorted(calendar, np.datetime64(d))) for d in dates}
    assert np.isnan(by_day[0, day["2024-06-03"]])  # the May count, before the split
    assert by_day[0, day["2024-09-03"]] == 24.53e9
    assert np.isnan(by_day[1, day["2023-03-06"]])  # between the split and the reverse split
    assert by_day[1, int(np.searchsorted(calendar, np.datetime64("2021-02-05")))] == 1e8  # they cancel
    assert by_day[1, -1] == 1e8
    # The figure itself is still the one reported (car.parquet's shares_outstanding).
    assert table.counts(np.array(["NVDA"], dtype=object), np.array([[day["2024-06-03"]]]))[0, 0] == 2.464e9


def test_a_split_reversed_within_a_year_withholds_every_count_it_could_misplace() -> None:
    """NVDA's pre-split cover, its post-split cover and a vendor's count still on the pre-split
    basis three weeks later (shares/PROVENANCE.md: vendors lag filings by up to a quarter) read
    as a 10-for-1 split and a 1-for-10 reverse split that cancel: the May and September counts
    were used as given, market values a tenth of the truth, without a note (a finder). The counts
    cannot tell that from a split and its reverse: every count whose basis depends on which it was
    gives no market value, and the rows say why."""
    calendar = pd.bdate_range("2024-01-01", "2024-12-31").to_numpy("datetime64[ns]")
    frame = pd.DataFrame(
        {
            "as_of": pd.to_datetime(["2024-02-01", "2024-05-17", "2024-08-23", "2024-09-16", "2024-11-20"]),
            "shares_outstanding": [2.46e9, 2.464e9, 24.53e9, 2.453e9, 24.49e9],
            "filing": ["a", "b", "c", "d", "e"],
        }
    )
    table = ShareCountTable.build({"NVDA": frame.iloc[:4]}, calendar)
    said = "x10 on 2024-08-23 and x0.1 on 2024-09-16"
    assert table.reversal.tolist() == [said] * 4
    by_day = table.counts_by_day(["NVDA"])[0]
    days = ("2024-03-01", "2024-09-03", "2024-10-01")
    on = {d: int(np.searchsorted(calendar, np.datetime64(d))) for d in days}
    assert np.isnan(by_day[[on[d] for d in days]]).all()
    assert np.isnan(table.on_price_basis).all()
    # the counts come back in November (x10 again): the later ratios put every count on its basis
    back = ShareCountTable.build({"NVDA": frame}, calendar)
    assert (back.reversal == "").all()
    np.testing.assert_allclose(back.on_price_basis, [24.6e9, 24.64e9, 24.53e9, 24.53e9, 24.49e9])
    # the same counts a year and more apart: a split and its reverse, which cancel
    dates = ["2022-02-01", "2022-05-17", "2022-08-23", "2023-09-16", "2024-11-20"]
    apart = frame.assign(as_of=pd.to_datetime(dates))
    assert (ShareCountTable.build({"NVDA": apart}, calendar).reversal == "").all()


def test_a_reversed_split_is_said_on_the_rows_it_withholds(shared_data, tmp_path) -> None:
    shares = tmp_path / "shares"
    shares.mkdir()
    (shares / "shares_outstanding.csv").write_text(
        SHARES_HEADER
        + "NVDA,2024-05-17,2464000000,10-Q cover,t\nNVDA,2024-08-23,24530000000,10-Q cover,t\n"
        + "NVDA,2024-09-16,2453000000,vendor snapshot,t\n"
    )
    cache = tmp_path / "cache"
    prices = [shared_data / "prices" / f"{symbol}.csv" for symbol in ("NVDA", "SPY")]
    import_paths(PriceStore(cache), [*prices, shares])
    rows = ["aug,2024-08-01,pre,NVDA,announcer,1e9,g,x", "oct,2024-10-01,pre,NVDA,announcer,1e9,g,y"]
    car = run_rows(cache, tmp_path, rows, volume=None).car.set_index(["event_id", "window"])
    for event in ("aug", "oct"):
        row = car.loc[(event, "[0,0]")]
        assert np.isnan(row["mcap_prev_usd"]) and np.isnan(row["abnormal_value_usd"]), event
        assert (
            "change x10 on 2024-08-23 and x0.1 on 2024-09-16: a split and its reverse within a year, or a "
            "count on the other basis (a vendor's lag)" in row["note"]
        ), row["note"]
    rule = BacktestConfig(holding_days=(1,), drift_days=(1,), weighting="value")
    trades = run_rows(cache, tmp_path, rows, volume=None, backtest=rule).backtest.trades.set_index("event_id")
    assert trades.loc["oct", "outcome"] == "ok"  # kept, as given: the trader did not know of the reversal
    assert "value weight: the share count as given, though the counts change x10 on 2024-08-23" in (
        trades.loc["oct", "note"]
    )


@pytest.fixture(scope="module")
def caches(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for name, rows in (("covers", NVDA_COVERS), ("adjusted", ADJUSTED), ("three-for-two", AMD_THREE_FOR_TWO)):
        folder = tmp_path_factory.mktemp(f"shares-{name}")
        (folder / "shares_outstanding.csv").write_text(SHARES_HEADER + rows)
        root = tmp_path_factory.mktemp(f"cache-{name}")
        import_paths(PriceStore(root), [shared_data / "prices", folder])
        out[name] = root
    return out


def run(cache: Path, tmp_path: Path, weighting: str = "equal") -> StudyResults:
    rows = [
        "nvda-may24,2024-05-23,pre,NVDA,announcer,1e9,g,x",
        "nvda-sep24,2024-09-05,pre,NVDA,announcer,1e9,g,y",
    ]
    rule = BacktestConfig(holding_days=(1,), drift_days=(1,), weighting=weighting)
    return run_rows(cache, tmp_path, rows, backtest=rule)


def test_a_study_across_nvidias_split(caches, tmp_path) -> None:
    covers = run(caches["covers"], tmp_path).car.set_index(["event_id", "window"])
    adjusted = run(caches["adjusted"], tmp_path).car.set_index(["event_id", "window"])
    before = covers.loc[("nvda-may24", "[-1,+1]")]
    assert before["shares_outstanding"] == 2.464e9  # the figure used is still reported
    assert np.isnan(before["mcap_prev_usd"]) and np.isnan(before["abnormal_value_usd"])
    assert np.isnan(before["value_to_deal"])
    assert "precedes a change of its later counts by a split ratio (10-for-1)" in before["note"]
    assert "each count before the split times 10" in before["note"]
    # With split-adjusted counts the same row has its value: about $2.3T before the window.
    fixed = adjusted.loc[("nvda-may24", "[-1,+1]")]
    assert 2.2e12 < fixed["mcap_prev_usd"] < 2.5e12
    assert fixed["abnormal_value_usd"] == pytest.approx(fixed["car"] * fixed["mcap_prev_usd"], rel=0.05)
    assert "split" not in fixed["note"]
    # After the split both files give the same value from the August count; the estimation window
    # of the September event holds pre-split days, so the dollar test falls back to sigma x MV.
    after = covers.loc[("nvda-sep24", "[0,0]")]
    assert after["mcap_prev_usd"] == adjusted.loc[("nvda-sep24", "[0,0]")]["mcap_prev_usd"]
    assert after["shares_outstanding"] == 24.53e9
    assert after["dollar_sd_basis"] == "sigma_x_mcap_prev"
    assert adjusted.loc[("nvda-sep24", "[0,0]")]["dollar_sd_basis"] == "estimation_dollar_residuals"


def test_value_weights_put_a_count_before_a_split_on_the_closes_basis(caches, tmp_path) -> None:
    """The backtest weighs by the market value the trader saw before the entry, so it keeps the
    trade (leaving it out would select trades on a later split) and multiplies the count by the
    later split ratio: the weight of the split-adjusted counts' run, to rounding of the covers."""
    covers = run(caches["covers"], tmp_path, weighting="value").backtest.trades.set_index("event_id")
    adjusted = run(caches["adjusted"], tmp_path, weighting="value").backtest.trades.set_index("event_id")
    may = covers.loc["nvda-may24"]
    assert may["outcome"] == "ok" and "the share count times 10" in may["note"]
    assert may["mcap_prev_usd"] == pytest.approx(adjusted.loc["nvda-may24", "mcap_prev_usd"], rel=1e-12)
    assert covers.loc["nvda-sep24", "note"] == "" and covers.loc["nvda-sep24", "mcap_prev_usd"] > 2e12


def test_turnover_puts_a_count_before_a_split_on_the_volumes_basis(caches, tmp_path) -> None:
    """Split-adjusted volume over the May count would be ten times the turnover until the counts
    change in August; scaled by the split ratio, the covers give the split-adjusted file's
    abnormal turnover exactly (2.464e9 x 10 = 24.64e9)."""
    rows = ["nvda-may24,2024-05-23,pre,NVDA,announcer,,g,x"]
    covers, adjusted = (
        run_rows(caches[n], tmp_path, rows, volume="log_turnover").volume for n in ("covers", "adjusted")
    )
    assert (covers["outcome"] == "ok").all()
    assert np.isfinite(covers["abnormal_volume"]).all()
    pd.testing.assert_frame_equal(covers, adjusted)


def test_an_old_count_is_noted_as_blind_to_later_splits(caches, tmp_path) -> None:
    """A split after a ticker's last count cannot be seen in the counts; a count more than 200
    days older than the window (two missed quarterly filings) says so on the row."""
    from eventstudy.tables import OLD_SHARE_COUNT_DAYS

    rows = ["recent,2024-09-05,pre,NVDA,announcer,,g,x", "old,2025-11-03,pre,NVDA,announcer,,g,y"]
    car = run_rows(caches["covers"], tmp_path, rows).car.set_index(["event_id", "window"])
    assert OLD_SHARE_COUNT_DAYS == 200
    # [0,0] of 2025-11-03: the session before is 2025-10-31, 434 days after the 2024-08-23 count.
    old = car.loc[("old", "[0,0]")]
    assert "shares: the count is 434 days older than the window (as of 2024-08-23)" in old["note"]
    assert old["mcap_prev_usd"] > 0  # noted, still computed
    assert "days older" not in car.loc[("recent", "[0,0]")]["note"]


def test_a_rise_by_three_halves_withholds_every_value_before_it(caches, tmp_path) -> None:
    """Counts of 1.0e9 then 1.5e9: a 3-for-2 split (the closes hold it, so close x 1.0e9 was two
    thirds of the market value) or an issue of 50% more shares (then it was the market value).
    Before, the change was taken for neither, and the market value, the dollar value and the
    value weight of the March 2025 event were a third too small after a split, without a note;
    taking it for a split would scale a share issue's weight by a ratio that never applied. So
    no value is computed from the earlier count, and each row says why."""
    rows = ["amd-mar25,2025-03-03,pre,AMD,announcer,1e9,g,x"]
    rule = BacktestConfig(holding_days=(1,), drift_days=(1,), weighting="value")
    results = run_rows(caches["three-for-two"], tmp_path, rows, backtest=rule)
    car = results.car.set_index("window").loc["[0,0]"]
    assert car["shares_outstanding"] == 1e9  # the figure used is still reported
    assert car[["mcap_prev_usd", "abnormal_value_usd", "value_to_deal"]].isna().all()
    assert (
        "shares: the count of AMD as of 2024-11-01 precedes a rise of the counts by 1.5: a 3-for-2 split, "
        "or an issue of shares, which the counts cannot tell apart;" in car["note"]
    )
    assert "import split-adjusted counts (each count before it times 1.5)" in car["note"]
    # The backtest never leaves a trade out for a later filing (tests/test_backtest_lookahead.py):
    # the count is used as given, and the note says what it may be.
    trade = results.backtest.trades.iloc[0]
    prices = pd.read_parquet(caches["three-for-two"] / "prices" / "AMD.parquet").set_index("date")
    close_before = prices.loc[pd.Timestamp("2025-02-28"), "close"]  # the session before the entry
    assert trade["outcome"] == "ok" and trade["mcap_prev_usd"] == close_before * 1e9
    assert trade["note"] == (
        "value weight: the share count as given, though it precedes a rise of the counts by 1.5: a 3-for-2 "
        "split, or an issue of shares, which the counts cannot tell apart (after a split it is 2/3 of the "
        "market value: the closes are split-adjusted)"
    )
    equal_rule = BacktestConfig(holding_days=(1,), drift_days=(1,))
    equal = run_rows(caches["three-for-two"], tmp_path, rows, backtest=equal_rule).backtest.trades.iloc[0]
    assert equal["outcome"] == "ok" and equal["mcap_prev_usd"] == trade["mcap_prev_usd"]
    assert equal["note"].startswith("market value: the share count as given, though it precedes a rise")
    after = run_rows(caches["three-for-two"], tmp_path, ["amd-sep25,2025-09-03,pre,AMD,announcer,1e9,g,x"])
    assert after.car.set_index("window").loc["[0,0]", "mcap_prev_usd"] > 0  # the later count: a value


def test_a_count_before_a_split_and_a_fractional_rise_names_both(shared_data, tmp_path) -> None:
    """Counts 1e9, 2e9, 3e9: the first precedes a 2-for-1 split and a rise by 3/2. The note
    named the split alone, so importing split-adjusted counts (x2) met the rise only then."""
    folder = tmp_path / "shares"
    folder.mkdir()
    (folder / "shares_outstanding.csv").write_text(
        SHARES_HEADER
        + "AMD,2023-11-01,1000000000,c,t\nAMD,2024-06-01,2000000000,c,t\nAMD,2024-11-01,3000000000,c,t\n"
    )
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [shared_data / "prices", folder])
    rows = ["amd-mar24,2024-03-01,pre,AMD,announcer,1e9,g,x"]
    rule = BacktestConfig(holding_days=(1,), drift_days=(1,), weighting="value")
    results = run_rows(cache, tmp_path, rows, backtest=rule)
    note = results.car.set_index("window").loc["[0,0]", "note"]
    assert "split ratio (2-for-1)" in note and "precedes a rise of the counts by 1.5" in note
    trade = results.backtest.trades.iloc[0]
    assert "the share count times 2, a later change" in trade["note"]
    assert trade["note"] == (  # one count, scaled once: "times 2" and "as given" contradicted
        "value weight: the share count times 2, a later change of the counts by a split ratio (2-for-1; "
        "the closes are split-adjusted); value weight: not scaled again for a rise of the counts by 1.5: "
        "a 3-for-2 split, or an issue of shares, which the counts cannot tell apart (after a split it is "
        "2/3 of the market value: the closes are split-adjusted)"
    )
