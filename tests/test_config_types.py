"""Configs built in Python hold plain Python values, so that their manifest round-trips.

An adversarial pass over the Python API found ``StudyConfig``, ``BacktestConfig`` and
``ShareCaveat`` taking numpy scalars, lists and date-times that ``save_study`` then wrote wrongly
(``manifest.json`` is dumped with ``default=str``): ``event_windows=((np.int64(0), np.int64(0)),)``
was stored as ``[["0", "0"]]`` and the folder could not be loaded again; a caveat from a
``pd.Timestamp`` as ``"2025-01-02T00:00:00"``; a numpy ``cost_bps`` or a caveat from a ``str``
crashed ``save_study`` after the whole run; ``event_windows=[[0, 0]]`` made a config that could not
be hashed and did not equal its reloaded self. Each class now normalises what means the same
(numpy scalars, lists, a day at midnight) to plain Python values and refuses the rest, naming the
field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventstudy import load_study, run_study, save_study
from eventstudy.backtest.rules import BacktestConfig
from eventstudy.config import FlowEdge, ShareCaveat, StudyConfig
from eventstudy.crosssection import CrossSectionSpec
from eventstudy.output.folder import Guard

ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2025, 1, 2)
PLAIN = (int, float, str, bool, type(None), dt.date)


def assert_plain(value: Any, where: str = "config") -> None:
    """Every value inside ``value`` is a plain Python scalar, a date, a tuple or one of the dataclasses."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            assert_plain(getattr(value, item.name), f"{where}.{item.name}")
        return
    if type(value) is tuple:
        for i, item in enumerate(value):
            assert_plain(item, f"{where}[{i}]")
        return
    assert type(value) in PLAIN, f"{where} is {type(value).__name__}: {value!r}"
    assert type(value) is not dt.datetime, f"{where} is a datetime: {value!r}"


CAVEAT = ShareCaveat("ORCL", DAY, "a note")
EDGE = FlowEdge("oracle-openai-300b", "OpenAI", "Oracle", ("ORCL",))

STUDY_VARIANTS: list[tuple[str, Any, Any, dict[str, Any]]] = [
    # (field, as given, as plain Python, other fields it needs)
    ("name", np.str_("launch"), "launch", {}),
    ("market", np.str_("SPY"), "SPY", {}),
    ("estimation_window", (np.int64(-260), np.int64(-11)), (-260, -11), {}),
    ("estimation_window", [-260, -11], (-260, -11), {}),
    ("estimation_window", ["all", np.int32(-11)], ("all", -11), {}),
    ("estimation_window", np.str_("all"), "all", {}),
    ("min_estimation_obs", np.int64(50), 50, {}),
    ("min_estimation_obs", np.uint16(50), 50, {}),
    ("event_windows", ((np.int64(0), np.int64(0)),), ((0, 0),), {}),
    ("event_windows", [[0, 0], [-1, 1]], ((0, 0), (-1, 1)), {}),
    ("event_windows", [(np.int8(-1), np.int16(1)), [np.int64(0), 0]], ((-1, 1), (0, 0)), {}),
    ("dimson_lags", np.int64(2), 2, {}),
    ("estimation_gap", np.int64(2), 2, {"estimation_window": "all"}),
    ("day0_max_shift", np.int64(5), 5, {}),
    ("day0_max_shift", np.uint8(0), 0, {}),
    ("dominant_day_t", np.float32(3), 3.0, {}),
    ("dominant_day_t", 3, 3.0, {}),
    ("dominant_day_t", np.int64(3), 3.0, {}),
    ("dominant_day_share", np.float64(0.5), 0.5, {}),
    ("dominant_day_share", np.float32(0.25), 0.25, {}),
    ("dominant_day_share", 1, 1.0, {}),
    ("exclude_confounded", np.bool_(True), True, {}),
    ("exclude_overlapping_windows", np.bool_(False), False, {}),
    ("peers", ["AMD", np.str_("INTC")], ("AMD", "INTC"), {}),
    ("statistics", ["patell_z", np.str_("bmp_t")], ("patell_z", "bmp_t"), {}),
    ("share_caveats", [CAVEAT], (CAVEAT,), {}),
    ("flows", [EDGE], (EDGE,), {}),
    ("flows", [FlowEdge("oracle-openai-300b", "OpenAI", np.str_("Oracle"), ["ORCL"])], (EDGE,), {}),
    (
        "crosssection",
        [CrossSectionSpec("r", "car ~ 1", [np.int64(-1), 1])],
        (CrossSectionSpec("r", "car ~ 1", (-1, 1)),),
        {},
    ),
    ("backtest", BacktestConfig(holding_days=[1]), BacktestConfig(holding_days=(1,)), {}),
    ("returns", np.str_("log"), "log", {}),
    ("variance", np.str_("garch"), "garch", {}),
]

CAVEAT_VARIANTS: list[tuple[str, Any, Any]] = [
    ("ticker", np.str_("ORCL"), "ORCL"),
    ("start", pd.Timestamp("2025-01-02"), DAY),
    ("start", pd.Timestamp("2025-01-02", tz="America/New_York"), DAY),
    ("start", dt.datetime(2025, 1, 2), DAY),
    ("start", np.datetime64("2025-01-02"), DAY),
    ("start", np.datetime64("2025-01-02T00:00:00.000000000"), DAY),
    ("start", "2025-01-02", DAY),
    ("start", np.str_("2025-01-02"), DAY),
    ("note", np.str_("a note"), "a note"),
]

BACKTEST_VARIANTS: list[tuple[str, Any, Any]] = [
    ("entry", np.str_("open_day1"), "open_day1"),
    ("holding_days", (np.int64(1), np.int64(5)), (1, 5)),
    ("holding_days", [1, np.int32(5)], (1, 5)),
    ("drift_days", [np.uint16(10)], (10,)),
    ("cost_bps", np.float64(12.5), 12.5),
    ("cost_bps", np.float32(10), 10.0),
    ("cost_bps", np.int64(10), 10.0),
    ("cost_bps", 10, 10.0),
    (
        "positions",
        [["supplier", "long"], ("rival", np.str_("short"))],
        (("supplier", "long"), ("rival", "short")),
    ),
    ("calendar_time", ["capm", np.str_("ff3")], ("capm", "ff3")),
    ("calendar_time_frequency", np.str_("monthly"), "monthly"),
    ("default_side", np.str_("none"), "none"),
]


def assert_same(given_config: Any, plain: Any) -> None:
    assert given_config == plain
    assert hash(given_config) == hash(plain)
    assert_plain(given_config)
    assert repr(given_config) == repr(plain)  # the same types, not only equal values


@pytest.mark.parametrize(("key", "given_value", "plain_value", "others"), STUDY_VARIANTS)
def test_study_config_values_are_normalised_to_plain_python(key, given_value, plain_value, others) -> None:
    config = StudyConfig(**others, **{key: given_value})
    assert_same(config, StudyConfig(**others, **{key: plain_value}))
    record = json.loads(json.dumps(config.to_dict()))  # no default=str needed: no numpy value left
    assert StudyConfig.from_dict(record) == config


@pytest.mark.parametrize(("key", "given_value", "plain_value"), CAVEAT_VARIANTS)
def test_share_caveat_values_are_normalised_to_plain_python(key, given_value, plain_value) -> None:
    values = {"ticker": "ORCL", "start": DAY, "note": "a note"}
    caveat = ShareCaveat(**{**values, key: given_value})
    assert_same(caveat, ShareCaveat(**{**values, key: plain_value}))
    config = StudyConfig(share_caveats=(caveat,))
    assert StudyConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


@pytest.mark.parametrize(("key", "given_value", "plain_value"), BACKTEST_VARIANTS)
def test_backtest_config_values_are_normalised_to_plain_python(key, given_value, plain_value) -> None:
    rule = BacktestConfig(**{key: given_value})
    assert_same(rule, BacktestConfig(**{key: plain_value}))
    assert BacktestConfig.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


INT_TYPES = st.sampled_from([int, np.int8, np.int16, np.int32, np.int64, np.intp])
SEQUENCES = st.sampled_from([list, tuple])


@st.composite
def windows(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    starts = draw(st.lists(st.integers(-120, 0), min_size=1, max_size=6, unique=True))
    return tuple((start, start + draw(st.integers(0, 100))) for start in starts)


@given(windows(), st.data())
def test_event_windows_of_any_integer_type_and_sequence_equal_the_plain_ones(plain, data) -> None:
    outer = data.draw(SEQUENCES)
    given_windows = outer(
        data.draw(SEQUENCES)(data.draw(INT_TYPES)(day) for day in window) for window in plain
    )
    end = data.draw(INT_TYPES)(-121)  # every day fits an int8
    config = StudyConfig(event_windows=given_windows, estimation_window=data.draw(SEQUENCES)((-400, end)))
    assert_same(config, StudyConfig(event_windows=plain, estimation_window=(-400, -121)))


REFUSED_STUDY: list[tuple[str, Any, dict[str, Any]]] = [
    ("min_estimation_obs", True, {}),
    ("min_estimation_obs", np.bool_(True), {}),
    ("min_estimation_obs", 2.5, {}),
    ("min_estimation_obs", 100.0, {}),  # as the TOML loader: a whole number is written as one
    ("min_estimation_obs", np.float64(100), {}),
    ("min_estimation_obs", "100", {}),
    ("min_estimation_obs", object(), {}),
    ("dimson_lags", np.bool_(True), {}),
    ("event_windows", ((True, 1),), {}),
    ("event_windows", ((0, 2.5),), {}),
    ("event_windows", ((np.float64(0), 0),), {}),
    ("event_windows", [[0, object()]], {}),
    ("event_windows", object(), {}),
    ("estimation_window", (-260.5, -11), {}),
    ("estimation_window", ("all", np.bool_(False)), {}),
    ("estimation_window", object(), {}),
    ("estimation_gap", True, {"estimation_window": "all"}),
    ("estimation_gap", 2.5, {"estimation_window": "all"}),
    ("day0_max_shift", True, {}),
    ("day0_max_shift", 2.5, {}),
    ("day0_max_shift", object(), {}),
    ("dominant_day_t", True, {}),
    ("dominant_day_t", np.bool_(True), {}),
    ("dominant_day_t", "3", {}),
    ("dominant_day_t", 10**400, {}),
    ("dominant_day_t", object(), {}),
    ("dominant_day_share", np.float64("nan"), {}),
    ("exclude_confounded", 1, {}),
    ("exclude_confounded", object(), {}),
    ("peers", object(), {}),
    ("peers", [object()], {}),
    ("statistics", [object()], {}),
    ("share_caveats", [object()], {}),
    ("name", object(), {}),
    ("returns", object(), {}),
]


@pytest.mark.parametrize(("key", "value", "others"), REFUSED_STUDY)
def test_study_config_refuses_other_values_naming_the_field(key, value, others) -> None:
    with pytest.raises(ValueError, match=f"^{key}: ") as caught:
        StudyConfig(**others, **{key: value})
    assert "\n" not in str(caught.value)


REFUSED_CAVEAT: list[tuple[str, Any]] = [
    ("start", "2025-13-01"),
    ("start", "2025-01-02T00:00:00"),
    ("start", "yesterday"),
    ("start", "20250102"),
    ("start", pd.Timestamp("2025-01-02 09:30")),
    ("start", pd.Timestamp("2025-01-02 00:00:00.000000001")),
    ("start", dt.datetime(2025, 1, 2, 0, 0, 1)),
    ("start", np.datetime64("2025-01-02T09:30")),
    ("start", np.datetime64("2025-01-02T00:00:00.000000001")),
    ("start", np.datetime64("NaT")),
    ("start", pd.NaT),
    ("start", dt.date(1800, 1, 1)),
    ("start", True),
    ("start", 2.5),
    ("start", 20250102),
    ("start", object()),
    ("ticker", object()),
    ("ticker", "../x"),
    ("note", ""),
    ("note", "two\nlines"),
    ("note", 5),
    ("note", object()),
]


@pytest.mark.parametrize(("key", "value"), REFUSED_CAVEAT)
def test_share_caveat_refuses_other_values_naming_the_field(key, value) -> None:
    values = {"ticker": "ORCL", "start": DAY, "note": "a note", key: value}
    with pytest.raises(ValueError, match=f"^{key}: ") as caught:
        ShareCaveat(**values)
    assert "\n" not in str(caught.value)


REFUSED_BACKTEST: list[tuple[str, Any]] = [
    ("holding_days", (True,)),
    ("holding_days", (2.5,)),
    ("holding_days", (np.float64(1),)),
    ("holding_days", [object()]),
    ("holding_days", object()),
    ("drift_days", (np.bool_(True),)),
    ("cost_bps", True),
    ("cost_bps", np.bool_(True)),
    ("cost_bps", "10"),
    ("cost_bps", 10**400),
    ("cost_bps", object()),
    ("positions", object()),
    ("positions", (("supplier",),)),
    ("positions", ("supplier",)),
    (
        "positions",
        (("supplier", "long"), ("supplier", "short")),
    ),  # to_dict keeps one of them: refused, not silently the last
    ("calendar_time", ["capm", object()]),
    ("entry", object()),
    ("default_side", "sideways"),  # was named as the TOML key positions.default
]


@pytest.mark.parametrize(("key", "value"), REFUSED_BACKTEST)
def test_backtest_config_refuses_other_values_naming_the_field(key, value) -> None:
    with pytest.raises(ValueError, match=f"^{key}: ") as caught:
        BacktestConfig(**{key: value})
    assert "\n" not in str(caught.value)


@pytest.fixture(scope="module")
def two_events() -> pd.DataFrame:
    events = pd.read_csv(ROOT / "events.csv")
    return events[events.event_id.isin(["deepseek-r1", "oracle-openai-300b"])].reset_index(drop=True)


def numpy_config() -> tuple[StudyConfig, StudyConfig]:
    """A config of numpy scalars, lists and date-times, and the same config in plain Python."""
    given_config = StudyConfig(
        estimation_window=[np.int64(-200), np.int64(-11)],
        min_estimation_obs=np.int64(60),
        event_windows=[[np.int64(0), np.int64(0)], [-1, np.int32(1)]],
        day0_max_shift=np.int64(5),
        dominant_day_t=np.float32(3),
        dominant_day_share=np.float64(0.5),
        share_caveats=[
            ShareCaveat("ORCL", pd.Timestamp("2025-01-02"), "Timestamp start"),
            ShareCaveat(np.str_("NVDA"), np.datetime64("2025-01-02"), "datetime64 start"),
            ShareCaveat("AVGO", "2025-01-02", "text start"),
            ShareCaveat("MSFT", dt.datetime(2025, 1, 2), "datetime start"),
        ],
        backtest=BacktestConfig(
            holding_days=[np.int64(1), 5], drift_days=(np.int64(1),), cost_bps=np.int64(10)
        ),
    )
    plain = StudyConfig(
        estimation_window=(-200, -11),
        min_estimation_obs=60,
        event_windows=((0, 0), (-1, 1)),
        day0_max_shift=5,
        dominant_day_t=3.0,
        dominant_day_share=0.5,
        share_caveats=(
            ShareCaveat("ORCL", DAY, "Timestamp start"),
            ShareCaveat("NVDA", DAY, "datetime64 start"),
            ShareCaveat("AVGO", DAY, "text start"),
            ShareCaveat("MSFT", DAY, "datetime start"),
        ),
        backtest=BacktestConfig(holding_days=(1, 5), drift_days=(1,), cost_bps=10.0),
    )
    return given_config, plain


def test_a_numpy_config_round_trips_through_save_and_load_on_the_launch_data(
    two_events, launch_cache, tmp_path: Path
) -> None:
    given_config, plain = numpy_config()
    assert_same(given_config, plain)
    results = run_study(two_events, launch_cache, given_config)
    out = save_study(results, tmp_path / "out", guard=Guard(cwd=tmp_path))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"] == json.loads(json.dumps(plain.to_dict()))  # numbers as numbers, dates as days
    assert manifest["config"]["event_windows"] == [[0, 0], [-1, 1]]
    assert [c["from"] for c in manifest["config"]["share_caveats"]] == ["2025-01-02"] * 4
    assert manifest["config"]["backtest"]["cost_bps"] == 10.0
    loaded = load_study(out)
    assert loaded.config == results.config == plain
    assert hash(loaded.config) == hash(plain)
    assert_plain(loaded.config)


def test_a_list_config_round_trips_through_save_and_load_on_the_launch_data(
    two_events, launch_cache, tmp_path: Path
) -> None:
    config = StudyConfig(
        estimation_window=np.str_("all"),
        estimation_gap=np.int64(10),
        event_windows=[[0, 0], [0, 1]],
        peers=["AMD"],
    )
    results = run_study(two_events, launch_cache, config)
    out = save_study(results, tmp_path / "out", guard=Guard(cwd=tmp_path))
    loaded = load_study(out)
    assert loaded.config == results.config
    assert hash(loaded.config) == hash(results.config)
    assert loaded.config.event_windows == ((0, 0), (0, 1)) and loaded.config.estimation_gap == 10
