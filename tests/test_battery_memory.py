"""The battery's window-independent parts cost a few copies of the residuals, not a dozen (#16).

Each pair's sign, rank and GRANK scores depend on its own row, so ``PanelParts`` builds them a
block of pairs at a time, and the battery sums every window's rank, sign and GRANK statistics
block by block without keeping the scores; it runs one statistic over every window at a time
and frees each part after the last statistic that declares it. These tests check that blocks
give the whole panel's arrays exactly and its statistics to the last bits of a sum, that the
parts are freed (no reference cycle keeps them), and the allocated peak (``tracemalloc``: a
deterministic count of numpy's buffers, not a time).
"""

from __future__ import annotations

import dataclasses
import gc
import sys
import tracemalloc
import weakref
from pathlib import Path

import numpy as np
import pytest

from eventstudy.aggregate import event_panel
from eventstudy.blocks import row_blocks
from eventstudy.config import StudyConfig
from eventstudy.estimate import estimate
from eventstudy.inference import battery, correlation, register_statistic, run_battery_windows
from eventstudy.inference.battery import PanelParts, usable_pairs
from eventstudy.inference.nonparametric import sign_scores, sort_rows
from eventstudy.inference.panel import EventPanel
from eventstudy.models import MarketModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synthetic

WINDOWS = ((0, 0), (-1, 1), (-5, 5), (-10, 10))


def synthetic_panel(n_pairs: int) -> EventPanel:
    """W1's synthetic study at 100 tickers x 1,500 days, as the battery's event panel."""
    panel = synthetic.make_panel(100, 1500, seed=1)
    events = synthetic.make_events(n_pairs, 100, 1500, seed=2)
    config = StudyConfig(
        market=synthetic.MARKET, estimation_window=(-260, -11), event_windows=WINDOWS, min_estimation_obs=100
    )
    return event_panel(estimate(events, panel, MarketModel(synthetic.MARKET), config))


@pytest.fixture(scope="module")
def awkward_panel() -> EventPanel:
    """600 pairs with missing days, ties, signed zeros and a pair without residuals."""
    panel = synthetic_panel(600)
    rng = np.random.default_rng(16)
    estimation = panel.ar_estimation.copy()
    estimation[rng.random(estimation.shape) < 0.03] = np.nan
    estimation[1] = np.round(estimation[1], 3)  # many ties
    estimation[2, :4] = [0.0, -0.0, 0.0, -0.0]
    estimation[3] = np.nan
    return dataclasses.replace(panel, ar_estimation=estimation)


@pytest.mark.parametrize("rows_per_block", [1, 7, 250])
def test_scores_built_in_blocks_are_the_whole_panels(
    awkward_panel: EventPanel, rows_per_block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = PanelParts(awkward_panel)._scores  # 600 pairs of 271 days: one block
    days = awkward_panel.ar_estimation.shape[1] + awkward_panel.ar_event.shape[1]
    monkeypatch.setattr(battery, "_SCORE_BLOCK_VALUES", rows_per_block * days)
    blocked = PanelParts(awkward_panel)._scores
    for one, other in zip(whole, blocked, strict=True):
        for name in (*one.ROW_FIELDS, *one.COLUMN_FIELDS):
            a, b = getattr(one, name), getattr(other, name)
            assert (a is None) == (b is None), name
            if a is not None:
                assert a.dtype == b.dtype and a.shape == b.shape, name
                np.testing.assert_array_equal(a, b, err_msg=name)  # NaN where NaN
    signs = whole[0]
    assert signs.centred.dtype == np.int8 and set(np.unique(signs.centred)) <= {-1, 0, 1}


def test_statistics_summed_block_by_block_are_the_whole_panels(
    awkward_panel: EventPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = run_battery_windows(awkward_panel, WINDOWS, bootstrap_draws=49, seed=3)  # one block
    days = awkward_panel.ar_estimation.shape[1] + awkward_panel.ar_event.shape[1]
    monkeypatch.setattr(battery, "_SCORE_BLOCK_VALUES", 7 * days)  # 86 blocks
    blocked = run_battery_windows(awkward_panel, WINDOWS, bootstrap_draws=49, seed=3)
    summed = {"corrado_rank_z", "grank_t"}  # sums of non-integers, added in another order
    checked = set()
    for rows, other_rows in zip(whole, blocked, strict=True):
        for one, other in zip(rows, other_rows, strict=True):
            assert (one.statistic, one.n, one.reference) == (other.statistic, other.n, other.reference)
            if one.statistic in summed:
                np.testing.assert_allclose(other.value, one.value, rtol=1e-12)
                np.testing.assert_allclose(other.p, one.p, rtol=1e-11)
                checked.add(one.statistic)
            else:  # the sign test's sums are integers: the same in any order
                np.testing.assert_array_equal([other.value, other.p], [one.value, one.p])  # NaN = NaN
    assert checked == summed


def test_one_byte_signs_give_the_float_signs_sums() -> None:
    rng = np.random.default_rng(8)
    combined = rng.normal(0.0, 0.02, (300, 271))
    combined[rng.random(combined.shape) < 0.05] = np.nan
    combined[0] = np.nan
    combined[1] = np.round(combined[1], 2)
    full = sign_scores(combined)  # float scores, not overwritten
    compact = sign_scores(combined, sort_rows(combined), overwrite=True)
    assert full.centred.dtype == np.float64 and compact.centred.dtype == np.int8
    columns = np.zeros(271, dtype=bool)
    columns[-21:] = True
    for _ in range(5):
        rows = rng.random(300) < 0.7
        want, got = full.sums(rows, columns), compact.sums(rows, columns)
        np.testing.assert_array_equal(want.score_sum, got.score_sum)
        assert full.z(rows, columns) == compact.z(rows, columns)


def test_parts_are_freed_without_the_garbage_collector() -> None:
    panel = synthetic_panel(400)
    usable = [usable_pairs(panel, a, b) for a, b in WINDOWS]
    parts = PanelParts(panel, [(usable[k], panel.window_mask(a, b)) for k, (a, b) in enumerate(WINDOWS)])
    enabled = gc.isenabled()
    gc.disable()
    try:
        assert len(parts.rbars) == len(WINDOWS)  # builds the r̄ residuals and their tiles
        held = [weakref.ref(parts.correlation), weakref.ref(parts._scores[2])]
        parts.release("correlation")
        parts.release("scores")
        # The tiles referred back to their residuals: a cycle kept both until a collection.
        assert [ref() for ref in held] == [None, None]
    finally:
        if enabled:
            gc.enable()


def test_a_statistic_declaring_an_unknown_part_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown part 'ranks'"):
        register_statistic("never_registered", parts=("ranks",))(lambda sample: None)  # type: ignore[arg-type,return-value]
    assert "never_registered" not in battery.STATISTICS


def test_the_battery_peaks_at_a_few_copies_of_the_residuals() -> None:
    panel = synthetic_panel(6000)
    combined = panel.ar_estimation.nbytes + panel.ar_event.nbytes  # one copy of the residuals
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        run_battery_windows(panel, WINDOWS, bootstrap_draws=99, seed=0)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    # 1.22 copies here; 1.35 with a zero-filled copy of the estimation residuals for the
    # crude-dependence and Lamb sums, 1.7 also with the r̄ part's own renumbered copy of the
    # calendar days, 2.6 also with its own standardised copy of the residuals, 3.3 also with
    # those days in int64 and its squares summed in one temporary. With the scores kept for
    # every window: 5.4; before the blocks and the releases: 11.7 (every part at once, the
    # whole combined sample sorted at once, the r̄ residuals kept by a reference cycle).
    assert peak < 1.5 * combined, peak / combined


@pytest.mark.parametrize("block_values", [1, 7, 250, 1 << 17])
def test_rbar_part_by_blocks_of_rows_equals_the_whole_array_formula(monkeypatch, block_values: int) -> None:
    """The r̄ part sums each row by blocks of rows and computes the standardised residuals when
    a tile asks (no (N, L1) copy): bit for bit the whole-array computation written out here,
    with missing days, a constant row and a row with too few days."""
    rng = np.random.default_rng(5)
    e = rng.normal(size=(300, 257)) * rng.uniform(0.001, 10.0, (300, 1))
    e[rng.random(e.shape) < 0.1] = np.nan
    e[3] = 0.25  # constant: not usable
    e[4, 2:] = np.nan  # two residuals: not usable
    days = np.arange(257)[None, :] + rng.integers(0, 40, (300, 1))
    monkeypatch.setattr(correlation, "_BLOCK_VALUES", block_values)
    parts = correlation.CalendarResiduals(e, days)
    valid = np.isfinite(e)
    count = valid.sum(axis=1)
    u = np.where(valid, e, 0.0)
    raw = np.square(u).sum(axis=1)
    u -= (u.sum(axis=1) / count)[:, None]
    u[~valid] = 0.0
    ss = np.square(u).sum(axis=1)
    usable = (count >= 3) & (ss > correlation._ZERO_VARIANCE * raw)
    u /= np.where(usable, np.sqrt(ss / count), 1.0)[:, None]
    u[~usable] = 0.0
    np.testing.assert_array_equal(parts.usable, usable)
    assert not usable[[3, 4]].any() and usable.sum() == 298
    rows = np.array([5, 0, 299, 3, 5])
    np.testing.assert_array_equal(parts.values_of(rows), u[rows])
    assert not np.shares_memory(parts.values_of(rows), e)


def test_rbar_calendar_days_are_int32_and_give_the_same_correlations() -> None:
    panel = synthetic_panel(400)
    parts = correlation.CalendarResiduals(panel.ar_estimation, panel.estimation_day)
    assert parts.days.dtype == np.int32 and panel.estimation_day.dtype == np.int32  # a study's
    # The part renumbers the days a block at a time when asked: it keeps the panel's days.
    assert parts._calendar_day is panel.estimation_day and parts._ranked_days is None
    far = panel.estimation_day.astype(np.int64) + 2**40  # int64 days that do not fit int32
    shifted = correlation.CalendarResiduals(panel.ar_estimation, far)
    rows = [np.ones(400, dtype=bool)]
    assert parts.rbars(rows, [panel.event_day]) == shifted.rbars(rows, [panel.event_day + 2**40])
    np.testing.assert_array_equal(parts.days, shifted.days)


@pytest.mark.parametrize("block_values", [1, 250, 3000, 1 << 17])
def test_estimation_sums_by_blocks_equal_one_einsum_over_every_row(monkeypatch, block_values: int) -> None:
    """crude_dependence_t and Lamb's z read the estimation-window sums of a window's pairs;
    the parts form them a block of rows at a time (no zero-filled (N, L1) copy), each block's
    einsum continuing from the sums before it: bit for bit one einsum over every row, with
    missing residuals and any subset of rows."""
    panel = synthetic_panel(700)
    rng = np.random.default_rng(9)
    est = panel.ar_estimation.copy()
    est[rng.random(est.shape) < 0.05] = np.nan
    panel = dataclasses.replace(panel, ar_estimation=est)
    rows = rng.random(700) < 0.8
    monkeypatch.setattr(battery, "_SCORE_BLOCK_VALUES", block_values)
    sums, counts = PanelParts(panel).estimation_column_sums(rows)
    valid = np.isfinite(est)
    np.testing.assert_array_equal(sums, np.einsum("i,it->t", rows.astype(float), np.where(valid, est, 0.0)))
    np.testing.assert_array_equal(counts, valid[rows].sum(axis=0))
    assert counts.min() < rows.sum()  # some days miss residuals of some chosen rows


@pytest.mark.parametrize("block_values", [250, 1 << 17])
def test_each_windows_estimation_aar_is_its_own_from_one_pass(monkeypatch, block_values: int) -> None:
    """The windows' estimation-window AARs are made in one pass over the residuals; each is
    still bit for bit one einsum over its own rows (windows with other, equal or no rows, and a
    row set that is no window's), and a later change to a caller's rows changes nothing."""
    panel = synthetic_panel(700)
    rng = np.random.default_rng(10)
    est = panel.ar_estimation.copy()
    est[rng.random(est.shape) < 0.05] = np.nan
    panel = dataclasses.replace(panel, ar_estimation=est)
    monkeypatch.setattr(battery, "_SCORE_BLOCK_VALUES", block_values)
    sets = [rng.random(700) < share for share in (0.9, 0.5, 0.0)]
    sets.insert(2, sets[0].copy())
    mask = np.ones(panel.ar_event.shape[1], dtype=bool)
    parts = PanelParts(panel, [(rows, mask) for rows in sets])
    other = rng.random(700) < 0.3
    valid = np.isfinite(est)
    for rows in [*sets, other, ~other, sets[1]]:
        asked = rows.copy()
        aar = parts.aar_estimation(asked)
        asked[:] = ~asked  # the caller's array changes afterwards
        sums = np.einsum("i,it->t", rows.astype(float), np.where(valid, est, 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            np.testing.assert_array_equal(aar, sums / valid[rows].sum(axis=0))
    assert not parts.aar_estimation(sets[1]).flags.writeable


def test_row_blocks_cover_every_row_once_within_the_budget() -> None:
    """The blocks every bounded-memory loop walks: consecutive, covering, at least one row each."""
    assert row_blocks(10, 3, 7) == [slice(0, 2), slice(2, 4), slice(4, 6), slice(6, 8), slice(8, 10)]
    assert row_blocks(5, 1000, 7) == [slice(i, i + 1) for i in range(5)]  # a row over the budget
    assert row_blocks(4, 0, 100) == [slice(0, 4)]
    assert row_blocks(0, 250, 1 << 17) == [slice(0, 0)]  # no rows: one empty block
