"""Explicit conventions (issue 14): day-0 policy, missing-data policy, estimation window over all
data with a gap, simple or log returns, a raw-returns model.

Each is checked against a hand computation on a small synthetic study (known prices) or on the
launch data, and through the command line where a convention turns bad input into an error.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _returns_panels import launch_series, write_long
from _small_study import make_cache
from scipy import stats

from eventstudy import load_config, load_study, run_study
from eventstudy.cli import main
from eventstudy.config import StudyConfig
from eventstudy.data.importer import import_paths
from eventstudy.data.store import PriceStore
from eventstudy.errors import InputError
from eventstudy.timeline.calendar import align_days_zero

ROOT = Path(__file__).resolve().parents[1]
HEADER = "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """The small synthetic cache with one weekday (2025-01-20) removed from every symbol: a holiday
    (removed from SPY alone it is a gap in SPY's data, which the other symbols' prices show)."""
    root = tmp_path_factory.mktemp("small")
    store = make_cache(root)
    for symbol in store.symbols("prices"):
        frame = store.read_prices(symbol)
        holiday = frame[frame["date"] != pd.Timestamp("2025-01-20")]
        store.write_prices(symbol, holiday, {"source": "synthetic", "symbol": symbol})
    return root


def config(**changes) -> StudyConfig:
    base = StudyConfig(
        name="conv",
        estimation_window=(-150, -11),
        min_estimation_obs=60,
        event_windows=((0, 0), (-1, 1), (-3, 3)),
    )
    return dataclasses.replace(base, **changes)


# -- day 0 ----------------------------------------------------------------------------------------
def test_the_day0_rules_on_a_calendar_with_a_holiday() -> None:
    calendar = pd.DatetimeIndex(pd.bdate_range("2025-01-02", "2025-01-31").drop(pd.Timestamp("2025-01-20")))
    announced = pd.Series(pd.to_datetime(["2025-01-18", "2025-01-20", "2025-01-17", "2025-01-21"]))
    timing = pd.Series(["pre", "pre", "post", "pre"])  # Saturday, holiday, Friday after the close, a session

    def days(rule: str, shift: int | None = None) -> list[str]:
        zeros = align_days_zero(calendar, announced, timing, rule=rule, max_shift=shift)
        return [
            str(pd.Timestamp(d).date()) if not pd.isna(d) else o
            for d, o in zip(zeros.date, zeros.outcome, strict=True)
        ]

    assert days("next") == ["2025-01-21", "2025-01-21", "2025-01-21", "2025-01-21"]
    assert days("previous") == ["2025-01-17", "2025-01-17", "2025-01-21", "2025-01-21"]  # post: next, always
    assert days("skip") == ["day0_not_a_session", "day0_not_a_session", "2025-01-21", "2025-01-21"]
    assert days("error") == days("skip")
    assert days("next", 1) == ["day0_shift_too_large", "2025-01-21", "day0_shift_too_large", "2025-01-21"]
    assert days("previous", 1) == ["2025-01-17", "day0_shift_too_large", "day0_shift_too_large", "2025-01-21"]
    shifts = align_days_zero(calendar, announced, timing, rule="previous").shift.tolist()
    assert shifts[:3] == [
        "announced on a Saturday: previous session",
        "market holiday: previous session",
        "post-close announcement: next session",
    ]


def test_day0_rules_in_a_study(small, tmp_path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(HEADER + "a,2025-01-20,pre,AAA,s,,g,h\nb,2025-01-15,pre,BBB,s,,g,h\n")
    skipped = run_study(events, small, config(day0_rule="skip")).car
    assert set(skipped.loc[skipped["event_id"] == "a", "outcome"]) == {"day0_not_a_session"}
    assert (
        "market holiday: no day 0 (skip): the announcement date is not a session" in skipped["note"].iloc[0]
    )
    previous = run_study(events, small, config(day0_rule="previous")).car
    assert previous["day0"].iloc[0] == pd.Timestamp("2025-01-17")
    limited = run_study(events, small, config(day0_max_shift=0)).car
    assert set(limited.loc[limited["event_id"] == "a", "outcome"]) == {"day0_shift_too_large"}
    # the stats count only the rows with a day 0
    stats = run_study(events, small, config(day0_rule="skip")).stats
    assert stats.loc[(stats["statistic"] == "caar") & (stats["group"] == "all"), "n"].tolist() == [1, 1, 1]


def test_day0_rule_error_names_the_row(small, tmp_path, capsys) -> None:
    events = tmp_path / "events.csv"
    events.write_text(HEADER + "b,2025-01-15,pre,BBB,s,,g,h\na,2025-01-18,pre,AAA,s,,g,h\n")
    toml = tmp_path / "study.toml"
    toml.write_text(
        '[study]\nname = "x"\nday0_rule = "error"\nestimation_window = [-150, -11]\nmin_estimation_obs = 60\n'
    )
    out = tmp_path / "out"
    args = ["run", "--events", str(events), "--config", str(toml), "--offline", "--cache", str(small)]
    assert main([*args, "--out", str(out)]) == 2
    err = one_line(capsys)
    assert f"{events}, row 3, field 'announced': 2025-01-18 is not a session of the calendar (SPY)" in err
    assert not out.exists()


# -- missing returns ------------------------------------------------------------------------------
def test_missing_returns_window_or_drop_event(launch_cache, tmp_path) -> None:
    calendar, series = launch_series(launch_cache)
    returns = series["NVDA"][0].copy()
    returns[list(calendar).index(pd.Timestamp("2025-09-24"))] = np.nan  # tau = +2 of 2025-09-22
    path = write_long(
        tmp_path / "r.csv", calendar, {"SPY": series["SPY"], "NVDA": (returns, series["NVDA"][1])}
    )
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [], returns=[path], units="decimal")
    events = tmp_path / "events.csv"
    events.write_text(HEADER + "a,2025-09-22,intraday,NVDA,s,,g,h\n")
    base = dataclasses.replace(load_config(ROOT / "launch.toml"), backtest=None, peers=())
    run = run_study(events, cache, base)
    kept = run.car.set_index("window")["outcome"].to_dict()
    assert kept == {"[0,0]": "ok", "[-1,+1]": "ok", "[0,+1]": "ok", "[-5,+5]": "incomplete_event_window"}
    # ar.parquet's running CAR from tau = -5 is missing from tau = +2 on, and so is its s.e.
    daily = run.ar.set_index("tau")
    assert daily.loc[2:, "car"].isna().all() and daily.loc[2:, "car_se"].isna().all()
    assert daily.loc[:1, "car_se"].notna().all() and daily.drop(index=2)["ar_se"].notna().all()
    assert np.isnan(daily.loc[2, "ar"]) and np.isnan(daily.loc[2, "ar_se"])  # a missing AR has no s.e.
    dropped = run_study(events, cache, dataclasses.replace(base, missing_returns="drop_event"))
    assert set(dropped.car["outcome"]) == {"incomplete_event_window"}
    assert "no abnormal return on tau=+2 of the event span [-5,+5]" in dropped.car["note"].iloc[0]
    assert dropped.car["car"].isna().all()
    assert (dropped.stats.loc[dropped.stats["statistic"] == "caar", "n"] == 0).all()
    assert dropped.ar["ar_se"].isna().all()  # left out of every tau


# -- estimation window over all data, with a gap ---------------------------------------------------
def test_estimation_over_all_data_up_to_tau(small, tmp_path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(HEADER + "a,2025-01-15,pre,AAA,s,,g,h\nb,2025-02-20,post,CCC,s,,g,h\n")
    every = run_study(events, small, config(estimation_window=("all", -11))).car
    spy = PriceStore(small).read_prices("SPY")
    calendar = pd.DatetimeIndex(spy["date"])
    for row in every.groupby("event_id").first().itertuples():
        day0 = calendar.get_loc(row.day0)
        assert row.n_est == day0 - 11  # every session from the second (the first has no return) to tau -11
        fixed = run_study(events, small, config(estimation_window=(-day0, -11))).car
        mine = fixed[fixed["event_id"] == row.Index].iloc[0]
        assert mine.n_est == row.n_est  # the same sample; sums over more empty columns differ in the last bit
        np.testing.assert_allclose(
            [mine.alpha, mine.beta, mine.car], [row.alpha, row.beta, row.car], rtol=1e-12
        )
    gap = run_study(events, small, config(estimation_window="all", estimation_gap=7)).car
    same = run_study(events, small, config(estimation_window=("all", -11))).car  # span starts at -3: -3-7-1
    pd.testing.assert_frame_equal(gap, same)
    assert "valid estimation returns in [all,-11]" not in every["note"].str.cat()


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ('estimation_window = ["all", "x"]', "study.estimation_window", "the end must be a whole number"),
        ('estimation_window = ["all", -2521]', "study.estimation_window", "the end lies beyond 2520 trading"),
        ('estimation_window = "al"', "study.estimation_window", 'or ["all", end], or "all"'),
        ("estimation_gap = 3", "study.estimation_gap", 'applies to estimation_window = "all"'),
        ('estimation_window = "all"\nestimation_gap = -1', "study.estimation_gap", "is not a whole number"),
        (
            'estimation_window = ["all", 0]',
            "study.estimation_window",
            "must end before the first event-window",
        ),
        ('day0_rule = "prev"', "study.day0_rule", "'prev' is not one of next, previous, error, skip"),
        ("day0_max_shift = 1.5", "study.day0_max_shift", "is not a number of calendar days"),
        ('returns = "LOG"', "study.returns", "'LOG' is not one of simple, log"),
        ('missing_returns = "drop"', "study.missing_returns", "not one of window, drop_event"),
    ],
)
def test_bad_convention_values_name_the_key(tmp_path, line, field, words) -> None:
    path = tmp_path / "study.toml"
    path.write_text(f"[study]\n{line}\n")
    with pytest.raises(InputError) as caught:
        load_config(path)
    assert caught.value.field == field and words in caught.value.message


def test_new_keys_round_trip_through_the_manifest_record() -> None:
    changed = config(
        estimation_window="all",
        estimation_gap=4,
        returns="log",
        day0_rule="previous",
        day0_max_shift=3,
        missing_returns="drop_event",
        model="raw",
    )
    assert StudyConfig.from_dict(changed.to_dict()) == changed
    assert "day0_rule" not in config().to_dict()  # defaults of the new keys are not recorded


# -- simple or log returns --------------------------------------------------------------------------
def test_log_returns_from_prices_and_from_returns(launch_cache, tmp_path) -> None:
    base = dataclasses.replace(load_config(ROOT / "launch.toml"), backtest=None, peers=(), returns="log")
    logged = run_study(ROOT / "events.csv", launch_cache, base)
    adj = PriceStore(launch_cache).read_prices("NVDA")["adj_close"].to_numpy()
    nvda = logged.estimates.panel.returns_of("NVDA")
    np.testing.assert_array_equal(nvda[1:], np.log(adj[1:] / adj[:-1]))
    # A simple-returns panel in a log study: converted by log1p, equal to the price path to 1e-15.
    calendar, series = launch_series(launch_cache)
    path = write_long(tmp_path / "r.csv", calendar, series)
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [], returns=[path], units="decimal")
    converted = run_study(ROOT / "events.csv", cache, base)
    np.testing.assert_allclose(converted.car["car"], logged.car["car"], rtol=1e-12, atol=1e-15)
    # Log returns imported as such are used as they are.
    logs = {s: (np.log1p(r), v) for s, (r, v) in series.items()}
    path = write_long(tmp_path / "log.csv", calendar, logs)
    cache = tmp_path / "log-cache"
    import_paths(PriceStore(cache), [], returns=[path], units="decimal", definition="log")
    direct = run_study(ROOT / "events.csv", cache, base)
    np.testing.assert_array_equal(direct.estimates.panel.returns_of("NVDA"), logs["NVDA"][0])
    simple = run_study(ROOT / "events.csv", cache, dataclasses.replace(base, returns="simple"))
    np.testing.assert_allclose(simple.estimates.panel.returns_of("NVDA"), series["NVDA"][0], rtol=1e-14)


def test_a_simple_return_of_minus_100_percent_has_no_log_return(tmp_path) -> None:
    from eventstudy.timeline.returns import ReturnSeries, returns_on_calendar

    path = tmp_path / "r.csv"
    path.write_text("id,date,ret\nA,2024-01-02,-100\nA,2024-01-03,5\n")  # -100% is a possible loss
    import_paths(PriceStore(tmp_path / "c"), [], returns=[path], units="percent")
    frame = PriceStore(tmp_path / "c").read_returns_table("A").frame
    calendar = pd.DatetimeIndex(frame["date"])
    simple, _, _ = returns_on_calendar(ReturnSeries(frame), calendar, "simple")
    assert simple.tolist() == [-1.0, 0.05]
    logged, _, _ = returns_on_calendar(ReturnSeries(frame), calendar, "log")
    assert np.isnan(logged[0]) and logged[1] == np.log1p(0.05)  # -inf is not a return: missing


def test_a_return_of_minus_100_percent_is_withheld_in_log_and_simple_studies(launch_cache, tmp_path) -> None:
    """A simple return of -100% has no log return: a log study dropped the day without a word
    (n_est 250 -> 249, and on day 0 the note said "no return" of a day the file has), then
    refused the series. Followed by more returns it is no asset's history: both studies now
    withhold it as absurd (``absurd_ret``) before any conversion, and say so in the notes."""
    calendar, series = launch_series(launch_cache)
    returns, values = series["INTC"]
    returns = returns.copy()
    day = calendar.get_loc(pd.Timestamp("2025-05-01"))
    returns[day] = -1.0
    path = write_long(tmp_path / "r.csv", calendar, {**series, "INTC": (returns, values)})
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [], returns=[path], units="decimal")
    base = dataclasses.replace(load_config(ROOT / "launch.toml"), backtest=None, peers=(), returns="log")
    studies = {
        name: run_study(ROOT / "events.csv", cache, dataclasses.replace(base, returns=name))
        for name in ("log", "simple")
    }
    for name, study in studies.items():
        assert np.isnan(study.estimates.panel.returns_of("INTC")[day]), name
        car = study.car[study.car["ticker"] == "INTC"]
        assert (car["n_est"] == 249).all(), name
        said = "estimation window: 1 return(s) left out around the absurd return of 2025-05-01"
        assert car["note"].str.contains(said, regex=False).all(), name


def test_a_delisting_return_of_minus_100_percent_is_kept_and_a_log_study_refuses_it(
    launch_cache, tmp_path
) -> None:
    """-100% as a series' last return (a delisting's) is a real outcome: kept (``extreme_ret``)
    by a simple study; it has no log return, so a log study refuses the series in one line
    instead of dropping the day without a word."""
    calendar, series = launch_series(launch_cache)
    returns, values = series["INTC"]
    returns = returns.copy()
    returns[-1] = -1.0
    path = write_long(tmp_path / "r.csv", calendar, {**series, "INTC": (returns, values)})
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [], returns=[path], units="decimal")
    base = dataclasses.replace(load_config(ROOT / "launch.toml"), backtest=None, peers=(), returns="log")
    with pytest.raises(InputError) as caught:
        run_study(ROOT / "events.csv", cache, base)
    # returns = "log" was set in Python, not read from the file
    said = f"the study's settings (read from {ROOT / 'launch.toml'}, then changed in Python)"
    assert caught.value.field == "study.returns" and str(caught.value).startswith(said)
    assert f"INTC's return of -100% on {calendar[-1]:%Y-%m-%d} has no log return" in caught.value.message
    simple = run_study(ROOT / "events.csv", cache, dataclasses.replace(base, returns="simple"))
    assert simple.estimates.panel.returns_of("INTC")[-1] == -1.0


# -- raw returns ------------------------------------------------------------------------------------
def test_the_raw_returns_model(small, tmp_path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(HEADER + "a,2025-01-15,pre,AAA,s,,g,h\n")
    results = run_study(events, small, config(model="raw"))
    ar = results.ar
    np.testing.assert_array_equal(ar["ar"], ar["ret"])
    assert (ar["expected_ret"] == 0).all()
    row = results.car.set_index("window").loc["[-1,+1]"]
    panel = results.estimates.panel
    day0 = panel.calendar.get_loc(row.day0)
    r = panel.returns_of("AAA")[day0 - 150 : day0 - 10]
    sigma = np.sqrt(np.nansum(r**2) / np.isfinite(r).sum())
    np.testing.assert_allclose(row.sigma, sigma, rtol=1e-12)
    car = panel.returns_of("AAA")[day0 - 1 : day0 + 2].sum()
    np.testing.assert_allclose(row.car, car, rtol=1e-12)
    t = car / (sigma * np.sqrt(3))
    np.testing.assert_allclose([row.t, row.p], [t, 2 * stats.t.sf(abs(t), row.n_est)], rtol=1e-10)
    assert results.model["name"] == "raw" and np.isnan(row.alpha) and np.isnan(row.beta)


@pytest.mark.parametrize(
    ("window", "label"),
    [
        ('["all", -11]', "[all,-11]"),
        ('"all"\nestimation_gap = 7', "[all,-11]"),
        ("[-150, -11]", "[-150,-11]"),
    ],
)
def test_a_run_states_its_conventions_in_the_report(small, tmp_path, window, label) -> None:
    """Through the command line (report included): an estimation window over all data used to crash
    the report's methods and the summary; the methods state the rules the run used."""
    events = tmp_path / "events.csv"
    events.write_text(HEADER + "a,2025-01-20,pre,AAA,s,,g,h\nb,2025-01-15,pre,BBB,s,,g,h\n")
    toml = tmp_path / "study.toml"
    toml.write_text(
        f'[study]\nname = "conv"\nestimation_window = {window}\nmin_estimation_obs = 60\n'
        "event_windows = [[0, 0], [-1, 1], [-3, 3]]\n"
        'returns = "log"\nday0_rule = "previous"\nday0_max_shift = 3\nmissing_returns = "drop_event"\n'
    )
    out = tmp_path / "out"
    args = ["run", "--events", str(events), "--config", str(toml), "--offline", "--cache", str(small)]
    assert main([*args, "--out", str(out)]) == 0
    report = (out / "report.md").read_text()
    assert "- Returns: log daily returns of Yahoo Adj Close between consecutive sessions" in report
    assert (
        "after the close, the next session; on a weekend or holiday, the last session before the date "
        "(day0_rule = previous); a day 0 more than 3 calendar day(s) away is not used" in report
    )
    over = (
        "τ ∈ [-150, -11] (140 trading days)"
        if label == "[-150,-11]"
        else "every session of the data up to τ = -11"
    )
    assert f"estimated over {over}" in report
    assert "leaves the row out of every window and τ (missing_returns = drop_event)." in report
    loaded = load_study(out)
    assert f"Estimation window: {label}" in loaded.summary("[0,0]").as_text().replace("  ", " ")
    car = loaded.car.set_index(["event_id", "window"])
    assert car.loc[("a", "[0,0]"), "day0"] == pd.Timestamp("2025-01-17")  # the holiday's previous session
