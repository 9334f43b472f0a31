"""What ``eventstudy verify`` says about a difference is what differs (a tester's findings).

Rows in another order are named as such, not as every value changed; a JSON column of numbers
gets the same rounding tolerance as a float column; an input is compared by its values, its
provenance (source file hash, import time, path) is a note; a changed validation names its
tickers and findings; a cache given as a file is one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _small_study import make_cache, make_study, run_args

from eventstudy.cli import main
from eventstudy.data.store import PriceStore
from eventstudy.output.verify import (
    REORDERED,
    ROUNDED,
    compare_inputs,
    compare_records,
    compare_tables,
)


def car_table() -> pd.DataFrame:
    """Rows of a car.parquet: keyed by event_id, ticker and window, with a JSON params column."""
    rng = np.random.default_rng(3)
    rows = []
    for event in ("a", "b", "c"):
        for ticker in ("X", "Y"):
            for window in ("[0,0]", "[-1,+1]"):
                alpha, beta = rng.normal(0, 1e-3), rng.normal(1, 0.3)
                rows.append(
                    {
                        "event_id": event,
                        "ticker": ticker,
                        "window": window,
                        "n_est": 200,
                        "alpha": alpha,
                        "beta": beta,
                        "car": rng.normal(0, 0.02),
                        "params": json.dumps({"alpha": alpha, "beta": beta}),
                    }
                )
    return pd.DataFrame(rows)


def test_rows_in_another_order_are_named_as_such_and_matched_by_their_keys() -> None:
    old = car_table()
    reversed_rows = old.iloc[::-1].reset_index(drop=True)
    same = compare_tables("car.parquet", old, reversed_rows)
    assert same is not None and same.problem == REORDERED and same.columns == {}
    assert same.describe() == f"car.parquet: {REORDERED}"
    # A value that changed too is reported as usual, on the rows matched by their keys.
    changed = reversed_rows.copy()
    changed.loc[0, "car"] += 0.001
    difference = compare_tables("car.parquet", old, changed)
    assert difference is not None
    moved = "rows in another order; values differ"
    assert difference.problem == f"{moved} (rows matched by event_id, ticker, window)"
    assert difference.columns == {"car": pytest.approx(0.001)}
    # Two rows' tickers swapped are not "the same rows in another order" (a finder)
    swapped = old.copy()
    swapped.loc[[0, 2], "ticker"] = swapped.loc[[2, 0], "ticker"].to_numpy()  # a X [0,0], a Y [0,0]
    assert swapped.loc[0, "ticker"] != old.loc[0, "ticker"]
    difference = compare_tables("car.parquet", old, swapped)
    assert difference is not None and not difference.problem.startswith(REORDERED)
    assert difference.problem.startswith(moved) and "car" in difference.columns
    # Rows that are not the same set stay a difference of values by position.
    other = reversed_rows.assign(window=reversed_rows["window"].str.replace("[0,0]", "[0,1]"))
    assert compare_tables("car.parquet", old, other).problem == "values differ"


def test_a_json_column_of_numbers_is_compared_to_rounding() -> None:
    old = car_table()
    alpha = old["alpha"] + 4e-18
    params = [json.dumps({"alpha": a, "beta": b}) for a, b in zip(alpha, old["beta"], strict=True)]
    rounded = old.assign(alpha=alpha, params=params)
    difference = compare_tables("car.parquet", old, rounded)
    assert difference is not None and difference.problem == ROUNDED
    assert set(difference.columns) == {"alpha", "params"}
    # A real change of a fitted parameter is named with its size, and the columns equal to
    # rounding are named too.
    beta = old["beta"].copy()
    beta.iloc[2] += 0.01
    changed = rounded.assign(
        beta=beta, params=[json.dumps({"alpha": a, "beta": b}) for a, b in zip(alpha, beta, strict=True)]
    )
    difference = compare_tables("car.parquet", old, changed)
    assert difference is not None and difference.problem == "values differ"
    assert difference.columns == {"beta": pytest.approx(0.01), "params": pytest.approx(0.01)}
    assert "equal to floating-point rounding: alpha" in difference.describe()
    # Another structure (a parameter more, a null) is a difference without a size.
    more = old.assign(params=old["params"].str.replace("}", ', "gamma": 1.0}'))
    assert np.isnan(compare_tables("car.parquet", old, more).columns["params"])
    # Text that is not JSON is compared exactly, as before.
    text = old.assign(window=old["window"].str.replace("[0,0]", "[0, 0]"))
    written_otherwise = compare_tables("t", old, text)
    assert written_otherwise.problem == "values differ" and written_otherwise.columns.keys() == {"window"}


def test_inputs_are_compared_by_their_content_hashes_only() -> None:
    old = {
        "events": {"path": "events.csv", "sha256": "a" * 64},
        "prices": {
            "NVDA": {
                "content_sha256": "b" * 64,
                "provenance": {"source_sha256": "c" * 64, "imported_at": "x"},
            }
        },
    }
    crlf = json.loads(json.dumps(old))
    crlf["prices"]["NVDA"]["provenance"] = {"source_sha256": "d" * 64, "imported_at": "y"}
    assert compare_inputs(old, crlf) == []
    crlf["events"]["sha256"] = "e" * 64
    assert compare_inputs(old, crlf) == ["events.sha256: aaaaaaaaaaaa -> eeeeeeeeeeee"]


def test_a_changed_validation_names_its_tickers_and_findings() -> None:
    def issue(ticker: str, detail: str = "rows cover 2023..2025") -> dict[str, object]:
        return {"ticker": ticker, "kind": "partial_history", "detail": detail, "action": "report"}

    old = {"config": {}, "validation": {"clean": ["A", "B"], "issues": {"CRWV": [issue("CRWV")]}}}
    new = {
        "config": {},
        "validation": {
            "clean": [],
            "issues": {
                "CRWV": [issue("CRWV", "rows cover 2023..2026")],
                **{t: [issue(t)] for t in ("A", "B", "C", "D", "E")},
            },
        },
    }
    (difference,) = compare_records(old, new)
    text = difference.describe()
    assert text.startswith("manifest.json: records 'validation' other than the re-run's: ")
    shown = ("A partial_history (only now)", "B partial_history (only now)", "C partial_history (only now)")
    assert text.endswith(": " + ", ".join(shown) + " and 3 more")
    crwv = {**new["validation"], "issues": {"CRWV": new["validation"]["issues"]["CRWV"]}}
    assert compare_records(old, {**new, "validation": crwv})[0].describe().endswith(
        ": CRWV partial_history (changed)"
    )
    policy = {"config": {}, "validation": {**new["validation"], "thresholds": {"x": 2}}}
    assert "thresholds" in compare_records(new, policy)[0].describe()


@pytest.fixture
def study(tmp_path: Path) -> tuple[Path, Path, PriceStore]:
    """The small study run into ``out``: its events file, output folder and cache (a private copy)."""
    events, config = make_study(tmp_path / "study")
    cache = make_cache(tmp_path / "cache")
    out = tmp_path / "out"
    assert main(run_args(events, config, cache.root, out)) == 0
    return events, out, cache


def test_verify_says_the_events_rows_are_in_another_order(study, capsys) -> None:
    events, out, _ = study
    lines = events.read_text(encoding="utf-8").splitlines()
    events.write_text("\n".join([lines[0], *lines[:0:-1]]) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", str(out)]) == 1
    text = capsys.readouterr().out
    assert "inf" not in text and "values differ" not in text
    lines = {line.split(":")[0]: line for line in text.splitlines()}
    for table in ("events", "ar", "car", "stats", "caar", "drift", "trades"):
        line = lines[f"  file   {table}.parquet"]
        # one line: the reason, and columns whose sums, taken in another order, round otherwise
        assert line.startswith(f"  file   {table}.parquet: {REORDERED} (the events file's row order changed)")
        assert line.count(":") == 1 or "; equal to floating-point rounding: " in line, line
    assert "input  events.content_sha256:" in text and "(the same events in another row order)" in text


def test_events_in_another_order_are_not_said_to_be_the_same_events_in_other_bytes(study, capsys) -> None:
    """With the cache imported again (other provenance), a note said the reordered events file
    held "the same events (line endings, a byte-order mark, quoting or blank lines)" (a finder)."""
    events, out, cache = study
    record = cache.provenance(cache.price_path("AAA"))
    moved = {**record, "imported_at": "2030-01-01T00:00:00+00:00"}
    cache.write_prices("AAA", cache.read_prices("AAA"), moved)
    lines = events.read_text(encoding="utf-8").splitlines()
    events.write_text("\n".join([lines[0], *lines[:0:-1]]) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", str(out)]) == 1
    text = capsys.readouterr().out
    assert "(the same events in another row order)" in text
    assert "inputs: the same content as recorded, other provenance" in text  # the notes were made
    assert "line endings" not in text


def test_an_input_with_the_same_values_from_another_file_is_a_note(study, capsys) -> None:
    """A price file saved with CRLF line ends, or a shares file of which another ticker's count
    changed, imports the same values under another source file hash: not a changed input."""
    _, out, cache = study
    record = cache.provenance(cache.price_path("AAA"))
    cache.write_prices("AAA", cache.read_prices("AAA"), {**record, "source_sha256": "f" * 64})
    capsys.readouterr()
    assert main(["verify", str(out)]) == 0
    text = capsys.readouterr().out
    assert "identical" in text and "  input  " not in text
    note = "note   inputs: the same content as recorded, other provenance (source_sha256) of prices.AAA"
    assert note in text


def test_a_price_file_scaled_by_a_constant_changes_no_table(study, capsys) -> None:
    """Adjusted closes all scaled by 0.995 give the same returns to rounding: the changed input is
    named, the tables are a note."""
    _, out, cache = study
    prices = cache.read_prices("AAA")
    prices["adj_close"] *= 0.995
    cache.write_prices("AAA", prices, cache.provenance(cache.price_path("AAA")))
    capsys.readouterr()
    assert main(["verify", str(out)]) == 1
    text = capsys.readouterr().out
    assert "input  prices.AAA.content_sha256" in text
    assert "file " not in text and "folder " not in text


def test_a_cache_that_is_a_file_is_one_line(study, capsys) -> None:
    events, out, _ = study
    capsys.readouterr()
    assert main(["verify", str(out), "--cache", str(events)]) == 2
    err = capsys.readouterr().err
    problem = "is a file, not a cache folder (give --cache the cache's folder)"
    assert err == f"eventstudy: error: {events}: {problem}\n"


def test_a_column_of_another_type_is_named_with_both_types() -> None:
    """A column whose type alone changed (an int count saved back as float, a text column as
    categories) was reported as "values differ" with no size, pointing the user at values that
    are the same numbers."""
    old = car_table()
    floated = old.assign(n_est=old["n_est"].astype("float64"))
    difference = compare_tables("car.parquet", old, floated)
    assert difference is not None
    assert difference.problem == "column types differ (n_est int64 -> float64; every value is the same)"
    assert difference.columns == {}
    flags = old.assign(flag=[False, True] * 6)  # a bool False that became missing is a change
    missing = flags.assign(flag=pd.array([pd.NA, True] * 6, dtype="boolean"))
    difference = compare_tables("car.parquet", flags, missing)
    assert difference.problem == "column types differ (flag bool -> boolean); values differ"
    assert list(difference.columns) == ["flag"]
    changed = floated.assign(car=old["car"] + 0.5)
    difference = compare_tables("car.parquet", old, changed)
    assert difference.problem == "column types differ (n_est int64 -> float64); values differ"
    assert difference.columns == {"car": pytest.approx(0.5)}


def test_a_table_with_other_columns_or_rows_still_names_the_values_both_have_that_changed() -> None:
    """An upgrade that added a column (caar.parquet's wilcoxon_coverage) or rows (stats.parquet)
    was reported by that alone: 'columns differ' and 'shape (830, 9) -> (916, 9)' hid CAAR bands
    changed in every row and dollar totals that changed sign."""
    old = car_table()
    new = old.assign(car=old["car"] + np.r_[0.25, np.zeros(11)], coverage=0.95)
    difference = compare_tables("car.parquet", old, new)
    assert difference.problem == (
        "columns differ (only now: ['coverage']); in the columns both have: values differ"
    )
    assert difference.columns == {"car": pytest.approx(0.25)}
    same = compare_tables("car.parquet", old, old.assign(coverage=0.95))
    assert same.problem.endswith("; the columns both have are the same") and same.columns == {}
    extra = pd.concat([old, old.iloc[[0]].assign(event_id="d")], ignore_index=True)
    extra.loc[3, "beta"] += 1.0
    difference = compare_tables("car.parquet", old.iloc[1:], extra.iloc[::-1].reset_index(drop=True))
    assert difference.problem == (
        "shape (11, 8) -> (13, 8) (0 rows only before, 2 only now; matched by event_id, ticker, window); "
        "in the rows both have: values differ"
    )
    assert difference.columns == {"beta": pytest.approx(1.0)}
    added = compare_tables("car.parquet", old, pd.concat([old, old.iloc[[0]].assign(event_id="d")]))
    assert added.problem == (
        "shape (12, 8) -> (13, 8) (0 rows only before, 1 only now; matched by event_id, ticker, window); "
        "the rows both have are the same"
    )


def test_tables_an_edit_or_another_version_reshaped_are_compared_without_a_crash() -> None:
    """A re-attack: list cells in a retyped column raised 'truth value of an array is ambiguous';
    duplicate column names doubled the frame on every recursion until memory ran out; a key
    column written as float (or datetime64[us]) brought back the bare shape line; no row in
    common was called 'the rows both have are the same'."""
    old = car_table()
    listed = old.assign(n_est=[[200, 0]] * 6 + [200] * 6)
    difference = compare_tables("car.parquet", old, listed)
    assert difference.problem == "column types differ (n_est int64 -> object); values differ"
    assert list(difference.columns) == ["n_est"]
    one = old.assign(n_est=[[200]] + [200] * 11)  # 200 against [200] is not the same value
    assert "values differ" in compare_tables("car.parquet", old, one).problem
    doubled = pd.DataFrame([[1, 2]], columns=["a", "a"])
    assert compare_tables("x.parquet", doubled, pd.DataFrame([[1, 2]], columns=["a", "b"])).problem == (
        "columns differ (only now: ['b'])"
    )
    days = pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06"])
    curve = pd.DataFrame({"holding_days": [1, 1, 1], "date": days, "strategy_ret": [0.01, 0.02, 0.03]})
    other = curve.assign(date=days.astype("datetime64[us]"), holding_days=1.0).iloc[1:].copy()
    other.loc[2, "strategy_ret"] = 0.5
    difference = compare_tables("backtest.parquet", curve, other)
    assert difference.problem.startswith("shape (3, 3) -> (2, 3) (1 rows only before, 0 only now; matched by")
    assert "column types differ (holding_days int64 -> float64" in difference.problem
    assert difference.columns == {"strategy_ret": pytest.approx(0.47)}
    none = compare_tables("car.parquet", old, old.assign(event_id="z").iloc[:4]).problem
    assert none.endswith("(12 rows only before, 4 only now; no row in common by event_id, ticker, window)")
    assert compare_tables("car.parquet", old, old[old.columns[::-1]]).problem.startswith(
        "columns in another order; the columns both have are the same"
    )


@pytest.mark.parametrize("command", ["report", "verify"])
def test_a_file_or_nothing_given_as_the_output_folder_is_named_as_such(
    tmp_path: Path, capsys, command: str
) -> None:
    """`report FILE` said "FILE/events.parquet: missing", `verify FILE` "cannot read the manifest
    (Not a directory)" (a finder): the path itself is named, as a file or as nothing there; the
    Python API's load_study says the same."""
    from eventstudy import load_study
    from eventstudy.errors import InputError

    given = tmp_path / "notes.txt"
    given.write_text("mine\n", encoding="utf-8")
    assert main([command, str(given)]) == 2
    err = capsys.readouterr().err
    assert err == f"eventstudy: error: {given}: is a file, not an output folder of `eventstudy run`\n"
    assert given.read_text(encoding="utf-8") == "mine\n" and sorted(tmp_path.iterdir()) == [given]
    assert main([command, str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.endswith("nothing: no such output folder of `eventstudy run`\n")
    with pytest.raises(InputError, match="is a file, not an output folder"):
        load_study(given)
