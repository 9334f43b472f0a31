"""A statistic registered from a notebook: what it returns is checked and named as its own.

A finder registered the README's example under the name ``caar`` in the TestResult (the
registered name another): stats.parquet got two ``caar`` rows per (group, window), no row of the
user's statistic, and ``summary()`` showed the user's median as the study's CAAR. A statistic
returning None, a p of 1.7 or an array failed deep inside the battery or at save_study, never
naming the user's function; a name that is not text ran in the battery and broke the save.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from eventstudy.inference import STATISTICS, EventPanel, TestResult, register_statistic, run_battery_windows


def panel() -> EventPanel:
    rng = np.random.default_rng(3)
    n, taus = 20, np.arange(-1, 2)
    return EventPanel(
        ar_estimation=rng.normal(0, 0.02, (n, 50)), ar_event=rng.normal(0.01, 0.02, (n, taus.size)),
        event_tau=taus, estimation_day=np.tile(np.arange(50), (n, 1)),
        event_day=np.tile(np.arange(60, 63), (n, 1)), sigma=np.full(n, 0.02),
        n_estimation=np.full(n, 50), n_params=np.ones(n), xtx_inv=np.full((n, 1, 1), 0.02),
        x_event=np.ones((n, taus.size, 1)), firm=np.array([f"F{i}" for i in range(n)], dtype=object),
    )  # fmt: skip


@pytest.fixture
def registered() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        STATISTICS.pop(name, None)


def run(name: str) -> TestResult:
    (result,) = run_battery_windows(panel(), [(0, 0)], statistics=[name])[0]
    return result


@pytest.mark.parametrize(
    ("returned", "problem"),
    [
        (None, "returned NoneType, not a TestResult"),
        (1.5, "returned float, not a TestResult"),
        (TestResult("caar", 0.01, float("nan"), 20, "mine"), "returned a result named 'caar'"),
        (TestResult("mine_stat", 0.01, 1.7, 20, "mine"), "p = 1.7 is not a probability"),
        (TestResult("mine_stat", np.ones(3), 0.5, 20, "mine"), "value is not a number"),  # type: ignore[arg-type]
        (TestResult("mine_stat", "0.1", 0.5, 20, "mine"), "value is not a number"),  # type: ignore[arg-type]
        (TestResult("mine_stat", 0.1, 0.5, -1, "mine"), "n = -1 is not a count"),
        (TestResult("mine_stat", 0.1, 0.5, 2.5, "mine"), "n = 2.5 is not a count"),  # type: ignore[arg-type]
        (TestResult("mine_stat", 0.1, 0.5, 20, 5), "reference is not text"),  # type: ignore[arg-type]
    ],
)
def test_what_a_registered_statistic_returns_is_checked_naming_it(registered, returned, problem) -> None:
    register_statistic("mine_stat")(lambda sample: returned)
    registered.append("mine_stat")
    with pytest.raises(ValueError, match="statistic 'mine_stat'") as caught:
        run("mine_stat")
    assert problem in str(caught.value)


def test_a_good_result_is_kept_as_plain_python(registered) -> None:
    @register_statistic("median_test")
    def median(sample) -> TestResult:
        median = np.float32(np.median(sample.car))
        return TestResult("median_test", median, np.nan, np.int64(sample.n_pairs), "m")  # type: ignore[arg-type]

    registered.append("median_test")
    result = run("median_test")
    car = panel().ar_event[:, 1]
    assert result.value == pytest.approx(float(np.median(car)), rel=1e-6)
    assert type(result.value) is float and type(result.n) is int and result.n == 20
    assert np.isnan(result.p)


@pytest.mark.parametrize("name", [123, None, "", "a\nb", "two words", "../x"])
def test_a_name_that_is_not_an_identifier_is_refused(name) -> None:
    with pytest.raises(ValueError, match="statistic name"):
        register_statistic(name)  # type: ignore[arg-type]
    assert name not in STATISTICS


def test_a_notebook_cell_run_again_replaces_its_own_statistic_but_no_other(registered) -> None:
    """Re-running the cell that registers a statistic said 'already registered'; the second
    definition (the fixed one) is the one that runs. A builtin's name stays refused."""
    for value in (1.0, 2.0):

        @register_statistic("cell_stat")
        def cell(sample, value=value) -> TestResult:
            return TestResult("cell_stat", value, float("nan"), sample.n_pairs, "cell")

    registered.append("cell_stat")
    assert run("cell_stat").value == 2.0
    with pytest.raises(ValueError, match="'caar' is already registered"):
        register_statistic("caar")(cell)

    def other(sample) -> TestResult:
        return TestResult("cell_stat", 3.0, float("nan"), sample.n_pairs, "other")

    with pytest.raises(ValueError, match="'cell_stat' is already registered"):
        register_statistic("cell_stat")(other)
