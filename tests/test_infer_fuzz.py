"""``eventstudy infer`` on random and hostile panels, as whole command-line runs (hypothesis).

Each example writes an abnormal-return panel (long AR, wide or CAR layout; CSV or parquet),
optionally an estimation panel, and runs ``eventstudy infer`` in-process. The promise for any
input: exit 0 with a complete table, or exit 2 with one line ``eventstudy: error: ...`` that
names a file or an option; never a traceback, never a warning escaping to the user, and on exit
2 nothing written. The cells are drawn from what a hurried or hostile user gives: blanks,
``NaN`` text, huge and tiny numbers, ids that differ only in case, PERMNOs past any integer
type, path-like names, duplicated rows and columns.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _hostile import corrupt, fuzz_examples, number_text, run_cli, succeeded, whole_runs
from hypothesis import event, given, settings
from hypothesis import strategies as st

from eventstudy import infer
from eventstudy.errors import InputError

EXAMPLES = fuzz_examples(ci=200, local=100)
COLUMNS = ["group", "window", "statistic", "value", "p", "n", "reference"]

IDS = st.sampled_from(
    [
        *("A", "a", "B", "NVDA", "HDFC.Bank", "HDFC.BANK", "^GSPC", "BRK-B", "../x", "a/b", "", " ", "é"),
        *("A B", "10107", "10107.0", "84398", "-5", "1e20", "100000000000000000000", "2e20", "0", "nan"),
        *("9007199254740993", "9007199254740992", "1.5", "10107.5"),
    ]
)
NUMBERS = st.sampled_from(
    [
        *("0.01", "-0.02", "0", "1", "-1", "", "NaN", "nan", "inf", "-inf", "1e308", "1e-320", "x", "1,5"),
        *("99.99", "-100", "10000", "100", "3", " 0.5 ", "0x10", "+1", "1e3"),
    ]
)
TAUS = st.sampled_from(["-2", "-1", "0", "1", "2", "0.5", "", "x", "1e9", "-0", "100001", "3"])
DATES = st.sampled_from(["2024-01-02", "2024-01-03", "2024-01-04", "2024-02-30", "", "20240105", "x"])
LABELS = st.sampled_from(["", "e1", "e2", "E1", "g", "a b", "../g", "[0,0]", "[-1,+1]"])


CLEAN_IDS = ["A", "B", "NVDA", "HDFC.Bank", "^GSPC", "BRK-B", "10107", "84398", "E.1"]
CLEAN_PERMNOS = ["10107", "84398", "14593", "10104", "86580"]


@st.composite
def long_ar(draw: st.DrawFn) -> pd.DataFrame:
    """A valid long panel (pairs x a tau range, some cells missing), then up to 3 hostile edits."""
    id_column = draw(st.sampled_from(["id", "ticker", "permno", "PERMNO", "Id"]))
    ids = st.sampled_from(CLEAN_IDS)
    if id_column.lower() == "permno":  # PERMNOs, now and then one past any integer type
        ids = st.sampled_from(CLEAN_PERMNOS) | st.sampled_from(["1e20", "2e20", "9007199254740993"])
    pairs = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    first = draw(st.integers(-12, 0))
    taus = range(first, first + draw(st.integers(1, 12)))
    events = draw(st.booleans())
    rows = []
    for k, pair in enumerate(pairs):
        for day, tau in enumerate(taus):
            row = {id_column: pair, "tau": str(tau), "ar": number_text(draw, -0.2, 0.2)}
            if events:
                row["event_id"] = f"e{k % 2}"
                row["date"] = str(np.datetime64("2024-01-02") + 20 * k + day)
                row["group"] = "g" if k % 3 else "h"
            if draw(st.integers(0, 9)) == 0:
                row["ar"] = ""
            rows.append(row)
    return corrupt(draw, pd.DataFrame(rows, dtype=object), _hostile_cells, IDS)


@st.composite
def wide(draw: st.DrawFn) -> pd.DataFrame:
    """A valid wide panel (tau and one column per pair), then up to 3 hostile edits."""
    pairs = draw(st.lists(st.sampled_from(CLEAN_IDS), min_size=1, max_size=5, unique=True))
    first = draw(st.integers(-12, 0))
    taus = range(first, first + draw(st.integers(1, 12)))
    frame = pd.DataFrame({"tau": [str(t) for t in taus]}, dtype=object)
    for pair in pairs:
        frame[pair] = [number_text(draw, -0.2, 0.2) for _ in taus]
    return corrupt(draw, frame, _hostile_cells, IDS)


@st.composite
def long_car(draw: st.DrawFn) -> pd.DataFrame:
    """A valid CAR panel (one CAR per pair and window), then up to 3 hostile edits."""
    pairs = draw(st.lists(st.sampled_from(CLEAN_IDS), min_size=1, max_size=8, unique=True))
    windows = draw(st.sampled_from([None, "window", "taus"]))
    rows = []
    for pair in pairs:
        for start, end in [(0, 0), (-1, 1)] if windows else [(0, 0)]:
            row = {"id": pair, "car": number_text(draw, -0.2, 0.2)}
            if windows == "window":
                row["window"] = f"[{start},{end:+d}]" if end else "[0,0]"
            elif windows == "taus":
                row["tau_start"], row["tau_end"] = str(start), str(end)
            rows.append(row)
    return corrupt(draw, pd.DataFrame(rows, dtype=object), _hostile_cells, IDS)


def _hostile_cells(column: str) -> st.SearchStrategy[str]:
    if column.startswith("tau"):
        return TAUS
    if column.lower() in ("id", "ticker", "permno"):
        return IDS
    if column == "date":
        return DATES
    return LABELS if column in ("event_id", "group", "window") else NUMBERS


def _residuals_of(panel: pd.DataFrame, draw: st.DrawFn) -> pd.DataFrame:
    """Estimation residuals of the panel's pairs (long: its id column, event_id and date kept;
    wide: its pair columns), at taus before the panel's, with a few cells missing."""
    taus = range(-60, -20)
    if "tau" in panel.columns and not any(c in panel.columns for c in ("ar", "car")):  # wide
        frame = pd.DataFrame({"tau": [str(t) for t in taus]}, dtype=object)
        for pair in panel.columns[1:]:
            frame.insert(len(frame.columns), pair, [number_text(draw, -0.2, 0.2) for _ in taus], True)
        return frame
    keys = [c for c in dict.fromkeys(panel.columns) if c.lower() in ("id", "ticker", "permno", "event_id")]
    if not panel.columns.is_unique:  # the run refuses the panel; any residuals will do
        keys = []
    rows = []
    for key, part in panel.groupby(keys, sort=False) if keys else []:
        key = key if isinstance(key, tuple) else (key,)
        for day, tau in enumerate(taus):
            row = dict(zip(keys, key, strict=True))
            missing = draw(st.integers(0, 19)) == 0
            row["tau"], row["ar"] = str(tau), "" if missing else number_text(draw, -0.2, 0.2)
            if "date" in part.columns:
                row["date"] = str(np.datetime64("2023-06-01") + day)
            rows.append(row)
    return pd.DataFrame(rows, dtype=object)


def _write(frame: pd.DataFrame, path: Path, fmt: str) -> Path:
    if fmt == "parquet" and frame.columns.is_unique:
        path = path.with_suffix(".parquet")
        frame.astype(str).to_parquet(path, index=False)
    else:
        path = path.with_suffix(".csv")
        frame.to_csv(path, index=False)
    return path


@whole_runs(EXAMPLES)
@given(
    panel=st.one_of(long_ar(), wide(), long_car()),
    estimation_kind=st.sampled_from([None, "of the pairs", "of the pairs", "other"]),
    other=st.one_of(long_ar(), wide()),
    data=st.data(),
    fmt=st.sampled_from(["csv", "parquet"]),
    units=st.sampled_from(["decimal", "decimal", "percent", "percent", "decimal", None]),
    windows=st.one_of(
        st.just([]),
        st.just([]),
        st.lists(st.sampled_from(["[0,0]", "[-1,+1]", "0,2", "[2,1]", "[x]", "[-5,5]"]), max_size=2),
    ),
    n_params=st.sampled_from([None, "0", "1", "2", "2", "2", "-1", "300"]),
    out_suffix=st.sampled_from([".csv", ".parquet", ".csv", ".parquet", ".csv", ".txt"]),
)
def test_infer_on_any_panel_exits_0_with_a_table_or_2_with_one_line(
    tmp_path_factory: pytest.TempPathFactory,
    panel: pd.DataFrame,
    estimation_kind: str | None,
    other: pd.DataFrame,
    data: st.DataObject,
    fmt: str,
    units: str | None,
    windows: list[str],
    n_params: str | None,
    out_suffix: str,
) -> None:
    folder = tmp_path_factory.mktemp("infer")
    ar = _write(panel, folder / "ar", fmt)
    args = ["infer", "--ar", str(ar)]
    if units:
        args += ["--units", units]
    if estimation_kind is not None:
        estimation = other if estimation_kind == "other" else _residuals_of(panel, data.draw)
        args += ["--estimation", str(_write(estimation, folder / "est", fmt))]
    if n_params is not None:
        args += ["--n-params", n_params]
    args += [f"--window={window}" for window in windows]
    out = folder / f"stats{out_suffix}"
    args += ["--out", str(out)]
    inputs = sorted(p.name for p in folder.iterdir())
    status, stdout, stderr, caught = run_cli(args)
    context = f"eventstudy {' '.join(args)}\n{ar.name}:\n{panel.to_csv(index=False)}"
    event(f"exit {status}" + (f", residuals {estimation_kind}" if estimation_kind else ""))
    assert "Traceback" not in stdout, context
    if not succeeded(status, stderr, caught, "infer", context):
        assert sorted(p.name for p in folder.iterdir()) == inputs, context  # nothing written
        return
    table = pd.read_parquet(out) if out.suffix == ".parquet" else pd.read_csv(out, encoding="utf-8-sig")
    assert list(table.columns) == COLUMNS, context
    assert len(table) > 0, context
    finite = np.isfinite(table["p"].to_numpy(dtype=float))
    assert ((table["p"][finite] >= 0) & (table["p"][finite] <= 1)).all(), context
    assert sorted(p.name for p in folder.iterdir()) == sorted([*inputs, out.name]), context


def infer_refusal(source: object, units: str) -> str:
    with pytest.raises(InputError) as caught:
        infer(source, units=units)
    return str(caught.value).split(": ", 1)[1]


@settings(max_examples=max(10, EXAMPLES // 4), deadline=None)
@given(
    values=st.lists(st.floats() | st.floats(-0.3, 0.3), min_size=4, max_size=24),  # NaN, inf too
    pairs=st.integers(1, 4),
    units=st.sampled_from(["decimal", "percent"]),
)
def test_a_frame_gives_what_its_csv_file_gives(
    tmp_path_factory: pytest.TempPathFactory, values: list[float], pairs: int, units: str
) -> None:
    """infer(frame) and infer(the frame's CSV or parquet file) agree: the same statistics to the
    bit, or the same refusal (an inf once passed as missing in a frame, refused in a file). A
    whole float is quoted as the parquet file's ('101'; the CSV file's text is '101.0')."""
    n = len(values) // pairs * pairs
    frame = pd.DataFrame(
        {
            "id": np.repeat([f"P{k}" for k in range(pairs)], n // pairs),
            "tau": np.tile(np.arange(n // pairs) - 1, pairs),
            "ar": np.array(values[:n], dtype=float),
        }
    )
    folder = tmp_path_factory.mktemp("frame")
    frame.to_csv(folder / "ar.csv", index=False)  # floats as Python's shortest exact text, NaN blank
    frame.to_parquet(folder / "ar.parquet", index=False)

    def outcome(source: object) -> object:
        try:
            return infer(source, units=units).stats
        except InputError as exc:  # the value quoted as each source writes it ('101.0', '1e+10')
            return (exc.row, exc.field, re.sub(r"^'[^']*'", "'…'", exc.message))

    from_frame = outcome(frame)
    for from_file in (outcome(folder / "ar.csv"), outcome(folder / "ar.parquet")):
        if isinstance(from_frame, pd.DataFrame) and isinstance(from_file, pd.DataFrame):
            pd.testing.assert_frame_equal(from_frame, from_file)
        else:
            assert from_frame == from_file, (from_frame, from_file)
    if not isinstance(from_frame, pd.DataFrame):  # quoted as the parquet file's cell, exactly
        assert infer_refusal(frame, units) == infer_refusal(folder / "ar.parquet", units)
