"""A study's estimation days are a DayGrid: the (pairs x days) calendar positions made a block of
rows at a time when read, never held whole (#16). Every read must give what the array of
:func:`relative_day_index` gives, and Kolari-Pynnönen's r̄ part built on the grid must be the one
built on that array, bit for bit."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.daygrid import DayGrid, relative_day_index
from eventstudy.inference import correlation
from eventstudy.inference.panel import EventPanel


def _positions_by_definition(day0: np.ndarray, taus: np.ndarray, n_days: int) -> np.ndarray:
    """``day0 + tau`` in int64, -1 off the calendar or without a day 0: the definition, elementwise."""
    positions = day0[:, None].astype(np.int64) + taus[None, :].astype(np.int64)
    return np.where((positions < 0) | (positions >= n_days) | (day0[:, None] < 0), -1, positions)


@st.composite
def grids(draw: st.DrawFn) -> tuple[DayGrid, np.ndarray]:
    """A grid with days 0 anywhere on (and off) a short calendar, and its array."""
    n_days = draw(st.integers(1, 60))
    day0 = draw(st.lists(st.integers(-1, n_days + 5), max_size=25))
    first = draw(st.integers(-40, 5))
    taus = np.arange(first, first + draw(st.integers(0, 12)))
    dtype = draw(st.sampled_from([np.int32, np.int64]))
    day0_index = np.array(day0, dtype=np.int64)
    expected = _positions_by_definition(day0_index, taus, n_days).astype(dtype)
    return DayGrid(day0_index, taus, n_days, dtype), expected


@settings(max_examples=300, deadline=None)
@given(grids(), st.data())
def test_every_read_of_a_grid_is_the_arrays(
    grid_and_array: tuple[DayGrid, np.ndarray], data: st.DataObject
) -> None:
    grid, expected = grid_and_array
    n_rows = len(expected)

    def same(got: np.ndarray, want: np.ndarray) -> None:
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)

    assert grid.shape == expected.shape and grid.dtype == expected.dtype and grid.size == expected.size
    same(relative_day_index(grid.day_zero_index, grid.taus, grid.n_days, grid.dtype), expected)
    same(relative_day_index(grid.day_zero_index, grid.taus, grid.n_days), expected.astype(np.int64))
    same(np.asarray(grid), expected)
    same(grid.astype(np.int64), expected.astype(np.int64))
    same(grid.ravel(), expected.ravel())
    start, stop = data.draw(st.integers(-30, 30)), data.draw(st.integers(-30, 30))
    same(grid[start:stop], expected[start:stop])
    same(grid[::-2], expected[::-2])
    picked = data.draw(st.lists(st.integers(-n_rows, n_rows - 1), max_size=8)) if n_rows else []
    rows = np.array(picked, dtype=int)
    same(grid[rows], expected[rows])
    same(grid.rows(rows)[:], expected[rows])
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows)), dtype=bool)
    same(grid[mask], expected[mask])
    if n_rows:
        row = data.draw(st.integers(-n_rows, n_rows - 1))
        same(grid[row], expected[row])
    if expected.size:
        assert grid.min() == expected.min() and grid.max() == expected.max()
        cells = expected > expected.min()  # a 2-D mask: the whole array is made first
        same(grid[cells], expected[cells])
        same(grid[:, -1], expected[:, -1])
        same(grid[rows, 0] if rows.size else expected[rows, 0], expected[rows, 0])
    else:
        with pytest.raises(ValueError, match="zero-size"):
            grid.min()
    same(grid - 1, expected - 1)
    same(np.where(grid >= 1, grid - 1, -1), np.where(expected >= 1, expected - 1, -1))
    same(np.asarray(pickle.loads(pickle.dumps(grid))), expected)


def test_a_grid_refuses_what_it_cannot_hold() -> None:
    with pytest.raises(ValueError, match="integer"):
        DayGrid(np.zeros(2), np.arange(3), 10, np.float64)
    with pytest.raises(ValueError, match="int16 cannot hold"):
        DayGrid(np.zeros(2), np.arange(3), 40_000, np.int16)
    with pytest.raises(ValueError, match="without a copy"):
        np.asarray(DayGrid(np.zeros(2), np.arange(3), 10), copy=False)


def _study_like(seed: int, n_pairs: int, n_days: int, taus: np.ndarray) -> tuple[np.ndarray, DayGrid]:
    """Residuals of pairs whose windows reach past both ends of the calendar (NaN there, as a
    study's), with holes, rows without residuals and pairs without a day 0."""
    rng = np.random.default_rng(seed)
    day0 = rng.integers(-5, n_days + 5, n_pairs)
    day0[rng.random(n_pairs) < 0.05] = -1
    grid = DayGrid(day0, taus, n_days, np.int32)
    residuals = rng.standard_normal(grid.shape)
    residuals[np.asarray(grid) < 0] = np.nan
    residuals[rng.random(grid.shape) < 0.1] = np.nan
    residuals[rng.random(n_pairs) < 0.05] = np.nan
    return residuals, grid


@pytest.mark.parametrize("block_values", [1, 37, 1 << 18])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_rbar_part_of_a_grid_is_the_part_of_its_array(
    monkeypatch: pytest.MonkeyPatch, block_values: int, seed: int
) -> None:
    """The hulls, holes, classes and day numbers, and r̄ of every window, from a grid read a
    block of rows at a time (down to one row) and from the whole array."""
    taus = np.arange(-30, -4)
    residuals, grid = _study_like(seed, 300, 120, taus)
    whole = correlation.CalendarResiduals(residuals, np.asarray(grid))
    monkeypatch.setattr(correlation, "_BLOCK_VALUES", block_values)
    monkeypatch.setattr("eventstudy.daygrid._BLOCK_VALUES", block_values)
    read = correlation.CalendarResiduals(residuals, grid)
    assert read._calendar_day is grid  # kept, not made whole
    for name in ("first", "last", "hole_pointer", "hole_day", "estimation_class", "valid", "count", "usable"):
        np.testing.assert_array_equal(getattr(read, name), getattr(whole, name), err_msg=name)
    assert (read._day_offset, read._day_type) == (whole._day_offset, whole._day_type)
    np.testing.assert_array_equal(read.days, whole.days)
    assert read.hole_day.size > 0  # the holes were found
    event = DayGrid(grid.day_zero_index, np.arange(-3, 4), 120)
    rows = [np.ones(300, dtype=bool), np.random.default_rng(seed).random(300) < 0.5]
    windows = [np.asarray(event), np.asarray(event)[:, 2:5]]
    assert read.rbars(rows, windows) == whole.rbars(rows, windows)


def test_a_panel_keeps_a_grid_through_its_subsets() -> None:
    residuals, grid = _study_like(4, 50, 80, np.arange(-20, -2))
    n = len(grid)
    panel = EventPanel(
        ar_estimation=residuals,
        ar_event=np.zeros((n, 3)),
        event_tau=np.arange(3),
        estimation_day=grid,
        event_day=np.zeros((n, 3), dtype=np.int64),
        sigma=np.ones(n),
        n_estimation=np.full(n, 18),
        n_params=np.zeros(n, dtype=int),
        xtx_inv=np.zeros((n, 0, 0)),
        x_event=np.zeros((n, 3, 0)),
        firm=np.array([f"F{i % 7}" for i in range(n)], dtype=object),
    )
    assert panel.estimation_day is grid
    rows = np.array([3, 1, 40])
    part = panel.subset(rows)
    assert isinstance(part.estimation_day, DayGrid)
    np.testing.assert_array_equal(np.asarray(part.estimation_day), np.asarray(grid)[rows])
    with pytest.raises(ValueError, match="estimation_day has shape"):
        EventPanel(**{**panel.__dict__, "estimation_day": grid.rows(slice(1, None))})


def test_a_grid_reads_like_its_array_where_a_notebook_would() -> None:
    grid = DayGrid(np.array([4, -1, 9]), np.arange(-2, 2), 10, np.int32)
    expected = _positions_by_definition(np.array([4, -1, 9]), np.arange(-2, 2), 10).astype(np.int32)
    np.testing.assert_array_equal(grid.ravel(), expected.ravel())
    assert grid.tolist() == expected.tolist() and grid.T.shape == (4, 3)
    assert grid.astype(np.int64).dtype == np.int64
    assert "3 pairs x 4 days" in repr(grid)
    with pytest.raises(AttributeError):
        grid.no_such_attribute  # noqa: B018


def test_a_study_and_its_rbar_part_hold_no_pairs_by_days_array_of_their_own() -> None:
    """The estimation days stay a grid from ``estimate`` to the r̄ part, and the part keeps no
    (pairs x estimation days) array beyond the residuals it was given."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import synthetic

    from eventstudy.aggregate import event_panel
    from eventstudy.config import StudyConfig
    from eventstudy.estimate import estimate
    from eventstudy.models import MarketModel

    panel = synthetic.make_panel(40, 700, seed=1)
    events = synthetic.make_events(300, 40, 700, seed=2)
    config = StudyConfig(market=synthetic.MARKET, estimation_window=(-260, -11), min_estimation_obs=100)
    results = estimate(events, panel, MarketModel(synthetic.MARKET), config)
    grid = results.estimation_days
    assert isinstance(grid, DayGrid) and grid.shape == results.fit.residuals.shape
    # Day 0 from the event days (an array of their own), then each estimation tau from it.
    day0 = results.event_days[:, results.event_taus == 0][:, 0]
    expected = day0[:, None] + grid.taus[None, :]
    expected[(day0[:, None] < 0) | (expected < 0) | (expected >= len(panel.calendar))] = -1
    assert (day0 >= 0).all()  # (the property test above covers windows off the calendar)
    np.testing.assert_array_equal(np.asarray(grid), expected)
    study_panel = event_panel(results)
    assert study_panel.estimation_day is grid
    parts = correlation.CalendarResiduals(study_panel.ar_estimation, study_panel.estimation_day)
    held = [v for v in vars(parts).values() if isinstance(v, np.ndarray) and v.shape == grid.shape]
    assert [id(v) for v in held] == [id(study_panel.ar_estimation)], [v.dtype for v in held]
    assert [k for k, v in vars(results).items() if isinstance(v, np.ndarray) and v.shape == grid.shape] == []
