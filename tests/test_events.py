"""The events file: the launch calendar reads as written; each kind of bad input is named."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from eventstudy.errors import InputError
from eventstudy.events import COLUMNS, read_events

ROOT = Path(__file__).resolve().parents[1]

HEADER = ",".join(COLUMNS)
GOOD = "oracle-openai-300b,2025-09-09,post,ORCL,supplier,300e9,openai-compute,Oracle FQ1"


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "events.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_launch_calendar() -> None:
    events = read_events(ROOT / "events.csv")
    assert len(events) == 25
    assert events["event_id"].nunique() == 13
    oracle = events[events["event_id"] == "oracle-openai-300b"].iloc[0]
    assert oracle["deal_usd"] == 300e9
    assert oracle["timing"] == "post"
    assert str(oracle["announced"].date()) == "2025-09-09"
    assert oracle["source_row"] == 12
    assert events.loc[events["event_id"] == "deepseek-r1", "deal_usd"].isna().all()
    assert set(events["group"]) == {"openai-compute", "shock", "other"}


@pytest.mark.parametrize(
    ("lines", "row", "field", "text"),
    [
        ((HEADER + ",extra", GOOD + ",x"), 1, "extra", "unknown column"),
        ((HEADER.replace(",headline", ""), GOOD.rsplit(",", 1)[0]), 1, "headline", "missing"),
        ((HEADER, GOOD.replace("2025-09-09", "09/09/2025")), 2, "announced", "YYYY-MM-DD"),
        ((HEADER, GOOD.replace("2025-09-09", "2025-02-30")), 2, "announced", "not a valid calendar date"),
        ((HEADER, GOOD.replace(",post,", ",after-close,")), 2, "timing", "not one of"),
        ((HEADER, GOOD, GOOD), 3, "ticker", "duplicate (event_id, ticker)"),
        ((HEADER, GOOD.replace("300e9", "-5e9")), 2, "deal_usd", "must be positive"),
        ((HEADER, GOOD.replace("300e9", "lots")), 2, "deal_usd", "not a number"),
        ((HEADER, GOOD.replace("300e9", "inf")), 2, "deal_usd", "not a number of US dollars"),
        ((HEADER, GOOD.replace(",ORCL,", ",orcl,")), 2, "ticker", "did you mean 'ORCL'"),
        (
            (HEADER, GOOD, GOOD.replace(",ORCL,", ",NVDA,").replace("2025-09-09", "2025-09-10")),
            3,
            "announced",
            "has announced",
        ),
    ],
)
def test_bad_events_name_file_row_and_field(tmp_path: Path, lines, row, field, text) -> None:
    path = write(tmp_path, *lines)
    with pytest.raises(InputError) as caught:
        read_events(path)
    error = caught.value
    assert (error.path, error.row, error.field) == (str(path), row, field)
    assert text in str(error)
    assert str(error).startswith(f"{path}, row {row}, field {field!r}: ")


@pytest.mark.parametrize(
    ("content", "text"),
    [(b"", "the file is empty"), ((HEADER + "\n").encode(), "no events"), (b"\xff\xfe\x00junk", "UTF-8")],
)
def test_empty_and_binary_files(tmp_path: Path, content: bytes, text: str) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=text):
        read_events(path)


def test_blank_deal_is_missing_not_zero(tmp_path: Path) -> None:
    events = read_events(write(tmp_path, HEADER, GOOD.replace("300e9", "")))
    assert math.isnan(events["deal_usd"].iloc[0])


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{HEADER}\n{GOOD}\n".encode())
    assert read_events(path)["ticker"].tolist() == ["ORCL"]
