"""``eventstudy cache import --returns`` on random and hostile panels, as whole command-line runs.

Each example writes a returns panel (long, CRSP or wide layout; CSV or parquet) made valid and
then edited the way a hurried or hostile user edits a table (:mod:`_hostile`), and imports it
into a cache that already holds a series. The promise: exit 0, and every cell of the file is
stored as its number divided by the declared unit (a blank or ``NaN`` as missing), dates
ascending; or exit 2 with one line and the cache byte for byte as it was. Never a traceback,
never a warning.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from _hostile import corrupt, fuzz_examples, number_text, run_cli, snapshot, succeeded, whole_runs
from hypothesis import event, given
from hypothesis import strategies as st

from eventstudy.data.store import PriceStore

EXAMPLES = fuzz_examples(ci=150, local=60)

CLEAN_IDS = ["AAA", "HDFC.Bank", "RELIANCE.NS", "^NSEI", "BRK-B", "E.1"]
CLEAN_PERMNOS = ["10107", "84398", "14593"]
HOSTILE_IDS = st.sampled_from(
    [
        *("aaa", "AAA", "HDFC.BANK", "../x", "a/b", "", " ", "é", "A B", "CON", "nul", ".", "..", "-x"),
        *("10107.0", "-5", "1e20", "9007199254740993", "0", "nan", "x" * 40),
    ]
)
HOSTILE_NUMBERS = st.sampled_from(
    [
        *("", "NaN", "NA", "null", ".", "inf", "-inf", "1e308", "-1e308", "1e-320", "x", "1,5", "0x10"),
        *("-100", "-100.0001", "-1", "-1.5", "9900", "9900.01", "99", "99.5", "-745", "-746", "+1", " 2 "),
        *("-44", "-99", "A", "E", "-0"),
    ]
)
HOSTILE_DATES = st.sampled_from(
    ["", "2024-02-30", "2024-13-01", "20240105", "2024/01/05", "05/01/2024", "x", "1900-01-01", "9999-12-31"]
)
DAYS = pd.bdate_range("2024-01-01", periods=30)
SEED_SERIES = "id,date,ret\nKEEP,2024-01-02,1\nKEEP,2024-01-03,-2\n"


def _cells(column: str) -> st.SearchStrategy[str]:
    if column.lower() == "date":
        return HOSTILE_DATES
    if column.lower() in ("id", "permno"):
        return HOSTILE_IDS
    return HOSTILE_NUMBERS


@st.composite
def panels(draw: st.DrawFn) -> tuple[str, pd.DataFrame]:
    """(layout, table): a valid returns panel, then up to 3 hostile edits."""
    layout = draw(st.sampled_from(["long", "crsp", "wide"]))
    clean = st.sampled_from(CLEAN_PERMNOS if layout == "crsp" else CLEAN_IDS)
    ids = draw(st.lists(clean, min_size=1, max_size=3, unique=True))
    days = DAYS[draw(st.integers(0, 10)) :][: draw(st.integers(1, 12))]
    compact = draw(st.booleans())  # YYYYMMDD, as CRSP writes dates
    dates = [d.strftime("%Y%m%d" if compact else "%Y-%m-%d") for d in days]
    if layout == "wide":
        frame = pd.DataFrame({"date": dates}, dtype=object)
        for name in ids:
            frame[name] = [number_text(draw, -5, 5) for _ in dates]
    else:
        rows = []
        for name in ids:
            for date in dates:
                key = "permno" if layout == "crsp" else "id"
                row = {key: name, "date": date, "ret": number_text(draw, -5, 5)}
                if layout == "long" and draw(st.integers(0, 3)) == 0:
                    row["market_cap"] = number_text(draw, 0, 1e12)
                if layout == "crsp":
                    row["shrout"], row["prc"] = number_text(draw, 0, 1e7), number_text(draw, -500, 500)
                rows.append(row)
        frame = pd.DataFrame(rows, dtype=object)
        if "market_cap" in frame:
            frame["market_cap"] = frame["market_cap"].fillna("")
    if layout == "crsp" and draw(st.booleans()):
        frame = frame.rename(columns=str.upper)  # as WRDS exports it
    return layout, corrupt(draw, frame, _cells, HOSTILE_IDS)


MISSING = {"", "NA", "NaN", "nan", "null", "."}  # the module docstring's spellings of a missing return
CRSP_CODES = {-44.0, -55.0, -66.0, -77.0, -88.0, -99.0}
CRSP_LETTERS = {"A", "B", "C", "D", "E"}


def _crsp_missing(text: str) -> bool:
    """A missing-return code of CRSP's daily file: a letter A-E or a number -44 ... -99."""
    if text in CRSP_LETTERS:
        return True
    try:
        return float(text) in CRSP_CODES
    except ValueError:
        return False


def _expected(layout: str, frame: pd.DataFrame, divisor: float) -> dict[str, dict[str, float]]:
    """{id: {YYYY-MM-DD: return in decimal}} read from the table independently of the library:
    ``float(cell) / divisor``, NaN for a missing spelling (and CRSP's codes in a CRSP file), a
    PERMNO as its whole number. Raises ValueError for a cell this reading does not know."""
    out: dict[str, dict[str, float]] = {}
    if layout == "wide":
        long = frame.melt(id_vars=frame.columns[0], var_name="id", value_name="ret")
        long.columns = ["date", "id", "ret"]
    else:
        long = frame.rename(columns=str.lower).rename(columns={"permno": "id"})[["id", "date", "ret"]]
    for name, date, cell in long.itertuples(index=False):
        text = str(cell).strip()
        missing = text in MISSING or (layout == "crsp" and _crsp_missing(text))
        key = str(int(float(name))) if layout == "crsp" else str(name)
        day = pd.Timestamp(str(date)).strftime("%Y-%m-%d")
        out.setdefault(key, {})[day] = math.nan if missing else float(text) / divisor
    return out


@whole_runs(EXAMPLES)
@given(
    table=panels(),
    fmt=st.sampled_from(["csv", "csv", "parquet"]),
    units=st.sampled_from(["decimal", "percent", "percent", None]),
    definition=st.sampled_from([None, None, "simple", "log"]),
)
def test_a_returns_import_stores_every_cell_exactly_or_refuses_in_one_line(
    tmp_path_factory: pytest.TempPathFactory,
    table: tuple[str, pd.DataFrame],
    fmt: str,
    units: str | None,
    definition: str | None,
) -> None:
    layout, frame = table
    folder = tmp_path_factory.mktemp("returns")
    seed = folder / "seed.csv"
    seed.write_text(SEED_SERIES)
    cache = folder / "cache"
    seeded = run_cli(["cache", "import", "--returns", str(seed), "--units", "percent", "--cache", str(cache)])
    assert seeded[0] == 0
    before = snapshot(cache)
    if fmt == "parquet" and frame.columns.is_unique:
        path = folder / "panel.parquet"
        frame.astype(str).to_parquet(path, index=False)
    else:
        path = folder / "panel.csv"
        frame.to_csv(path, index=False)
    args = ["cache", "import", "--returns", str(path), "--cache", str(cache)]
    args += ["--units", units] if units else []
    args += ["--definition", definition] if definition else []
    status, _, stderr, caught = run_cli(args)
    context = f"eventstudy {' '.join(args)}\n{path.name} ({layout}):\n{frame.to_csv(index=False)}"
    event(f"{layout}: exit {status}")
    if not succeeded(status, stderr, caught, "cache", context):
        assert snapshot(cache) == before, context  # nothing written, nothing removed
        return
    store = PriceStore(cache)
    assert store.read_returns_table("KEEP").frame["ret"].tolist() == [0.01, -0.02], context
    divisor = 100.0 if units == "percent" else 1.0
    try:
        expected = _expected(layout, frame, divisor)
    except (ValueError, KeyError):  # an edit this reading does not know (e.g. a renamed column)
        event("accepted, not re-read")
        return
    for name in expected:
        stored = store.read_returns_table(name).frame
        dates = stored["date"].dt.strftime("%Y-%m-%d").tolist()
        assert dates == sorted(dates), context
        got = dict(zip(dates, stored["ret"].tolist(), strict=True))
        assert set(got) == set(expected[name]), context
        for day, value in expected[name].items():
            same = (math.isnan(value) and math.isnan(got[day])) or got[day] == value
            assert same, f"{name} {day}: stored {got[day]!r}, the file says {value!r}\n{context}"
