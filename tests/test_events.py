"""The events file: the launch calendar reads as written; each kind of bad input is named."""

from __future__ import annotations

import dataclasses
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.config import load_config
from eventstudy.data.events import (
    COLUMNS,
    MAX_DEAL_USD,
    MAX_EVENT_ID_LENGTH,
    MIN_DEAL_USD,
    _parse_deal,
    events_from_frame,
    read_events,
)
from eventstudy.errors import InputError

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
        ((HEADER, GOOD.replace(",ORCL,", ",OR CL,")), 2, "ticker", "'OR CL' is not a ticker symbol"),
        ((HEADER, GOOD.replace(",ORCL,", "," + "A" * 300 + ",")), 2, "ticker", "longer than 32 characters"),
        ((HEADER, GOOD.replace("300e9", '"1,5"')), 2, "deal_usd", "'1,5' is not a number of US dollars"),
        ((HEADER, GOOD.replace("300e9", "1e-300")), 2, "deal_usd", "outside the accepted deal sizes, 1 to"),
        ((HEADER, GOOD.replace("300e9", "2e14")), 2, "deal_usd", "not thousands or millions"),
        # The study's own labels: a group 'peers' or 'all' merged the listed parties silently into
        # the built-in groups (a shock group named 'peers' lost its five parties under --no-peers).
        ((HEADER, GOOD.replace(",openai-compute,", ",peers,")), 2, "group", "'peers' is the group of the"),
        ((HEADER, GOOD.replace(",openai-compute,", ",all,")), 2, "group", "'all' is the group of every"),
        ((HEADER, GOOD.replace(",supplier,", ",peer,")), 2, "role", "'peer' is the role of the ecosystem"),
        # in another case too: 'ALL' stood beside the study's 'all' as a group of its own (an audit)
        ((HEADER, GOOD.replace(",openai-compute,", ",ALL,")), 2, "group", "'all' is the group of every"),
        ((HEADER, GOOD.replace(",supplier,", ",Peer,")), 2, "role", "'peer' is the role of the ecosystem"),
        ((HEADER, GOOD.replace(",openai-compute,", "," + "g" * 101 + ",")), 2, "group", "longer than 100"),
        (
            (HEADER, GOOD, GOOD.replace(",ORCL,", ",NVDA,").replace("2025-09-09", "2025-09-10")),
            3,
            "announced",
            "has announced",
        ),
        # One deal per event: two sizes made the group's value per deal dollar depend on the rows'
        # order (7.08 against 10.12), and a blank beside a size counted its party's value anyway.
        (
            (HEADER, GOOD, GOOD.replace(",ORCL,", ",NVDA,").replace("300e9", "30e9")),
            3,
            "deal_usd",
            "has deal_usd 30000000000 here but 300000000000 on row 2 (one deal size per event",
        ),
        ((HEADER, GOOD, GOOD.replace(",ORCL,", ",NVDA,").replace("300e9", "")), 3, "deal_usd", "blank here"),
        ((HEADER, GOOD.replace("300e9", ""), GOOD.replace(",ORCL,", ",NVDA,")), 3, "deal_usd", "blank on"),
        # Two events whose ids differ only in case wrote figures/car_ev.png and car_EV.png: one
        # file on macOS or Windows (an audit)
        (
            (HEADER, GOOD, GOOD.replace("oracle-openai-300b", "Oracle-OpenAI-300B")),
            3,
            "event_id",
            "event ids Oracle-OpenAI-300B and oracle-openai-300b (row 2) differ only in case",
        ),
        # A role or group spelt in another case on another row: a backtest's short 'rival' traded
        # the 'Rival' of the next event long, and 'Openai-compute' was a group of its own (a finder)
        (
            (HEADER, GOOD, GOOD.replace(",ORCL,", ",NVDA,").replace(",supplier,", ",Supplier,")),
            3,
            "role",
            "role 'Supplier' and 'supplier' (row 2) differ only in case: the study would take them as two "
            "roles",
        ),
        (
            (
                HEADER,
                GOOD,
                GOOD.replace("oracle-openai-300b", "nvda").replace(",openai-compute,", ",OpenAI-Compute,"),
            ),
            3,
            "group",
            "group 'OpenAI-Compute' and 'openai-compute' (row 2) differ only in case",
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


@pytest.mark.parametrize(
    ("fill", "text"),
    [
        (lambda n: bytes(n), "row 1: contains a NUL byte"),  # /dev/zero
        (lambda n: bytes(range(256)) * (n // 256), "row 2: not UTF-8 text (byte 0x80"),  # /dev/urandom
        (lambda n: (HEADER + "\n" + GOOD + "\n").encode() + bytes(n), "row 3: contains a NUL byte"),
    ],
)
def test_a_file_that_is_not_text_is_refused_at_its_first_megabyte(tmp_path: Path, monkeypatch, fill, text):
    """``--events /dev/zero`` once hung: the size check counted line breaks until it had seen as
    many as the memory allows (a stream of NULs has none), and the reader then read the whole
    file before decoding it. Each now stops at the first MiB that is not text."""
    path = tmp_path / "events.csv"
    path.write_bytes(fill(8 << 20))
    read = []
    real_open = Path.open

    def counted_open(self, mode="r", *args, **kwargs):
        handle = real_open(self, mode, *args, **kwargs)
        if self == path:
            real_read = handle.read
            handle = _Counted(handle, real_read, read)
        return handle

    monkeypatch.setattr(Path, "open", counted_open)
    with pytest.raises(InputError) as caught:
        read_events(path)
    assert str(caught.value).startswith(f"{path}, {text}"), caught.value
    assert 0 < sum(read) <= 2 * (1 << 20)  # one MiB for the size check, one for the reader


class _Counted:
    """A binary file whose reads add their byte counts to ``read``."""

    def __init__(self, handle, real_read, read: list[int]) -> None:
        self.handle, self.real_read, self.read_counts = handle, real_read, read

    def read(self, size: int = -1) -> bytes:
        block = self.real_read(size)
        self.read_counts.append(len(block))
        return block

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()


def test_blank_deal_is_missing_not_zero(tmp_path: Path) -> None:
    events = read_events(write(tmp_path, HEADER, GOOD.replace("300e9", "")))
    assert math.isnan(events["deal_usd"].iloc[0])


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{HEADER}\n{GOOD}\n".encode())
    assert read_events(path)["ticker"].tolist() == ["ORCL"]


@pytest.mark.parametrize(("separator", "named"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_saved_with_other_separators_says_so(tmp_path: Path, separator: str, named: str) -> None:
    """Excel in a comma-decimal locale saves ';'-separated 'CSV': the header read as one unknown
    column named by the whole line; the returns import said it needed a date column."""
    from eventstudy.data.importer import import_paths
    from eventstudy.data.store import PriceStore

    events = write(tmp_path, HEADER.replace(",", separator), GOOD.replace(",", separator))
    returns = tmp_path / "returns.csv"
    returns.write_text(f"id{separator}date{separator}ret\nAAA{separator}2025-01-02{separator}0.01\n")
    store = PriceStore(tmp_path / "cache")
    for read in (lambda: read_events(events), lambda: import_paths(store, [returns])):
        with pytest.raises(InputError) as caught:
            read()
        assert caught.value.row == 1 and caught.value.field is None
        assert caught.value.message.startswith(f"its columns are separated by {named}, not commas: save it")
    assert not (tmp_path / "cache").exists() or store.symbols("returns") == []
    semicolon_in_a_cell = write(tmp_path, HEADER, GOOD.replace("Oracle FQ1", "Oracle; FQ1"))
    assert read_events(semicolon_in_a_cell)["headline"].tolist() == ["Oracle; FQ1"]


@pytest.mark.parametrize("hint", ["sep=,", "sep=;", "SEP=|"])
def test_excels_separator_line_is_named(tmp_path: Path, hint: str) -> None:
    """Excel's "sep=," line before the header: "row 2: expected 2 fields, found 8" (the events),
    "row 2: expected 2 fields, found 3" (a panel), or for "sep=;" "separated by semicolons"."""
    from eventstudy import infer

    events = write(tmp_path, hint, HEADER, GOOD)
    panel = tmp_path / "ar.csv"
    panel.write_text(f"{hint}\nid,tau,ar\nA,0,0.01\n")
    for read in (lambda: read_events(events), lambda: infer(panel, units="decimal")):
        with pytest.raises(InputError) as caught:
            read()
        assert caught.value.row == 1
        said = f"its first line {hint!r} is Excel's separator hint, not the header: delete that line"
        assert caught.value.message == said


# -- deal_usd: the grammar and the bounds, over random text ------------------------------------------
def parse(text: str) -> float:
    return _parse_deal(text, lambda field, message: InputError("events.csv", message, row=2, field=field))


PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
GROUPED = re.compile(r"[+-]?\d{1,3}((,\d{3})+|(_\d{3})+)(\.\d+)?", re.ASCII)
deal_texts = st.one_of(
    st.text(alphabet="0123456789.,_eE+- ", max_size=16),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(0, 10**16).map(lambda n: f"{n:,}"),
    st.integers(0, 10**16).map(lambda n: f"{n:_}"),
)


@settings(max_examples=500, deadline=None)
@given(deal_texts)
def test_a_deal_is_a_documented_number_in_bounds_or_an_error_naming_the_field(text: str) -> None:
    grammatical = PLAIN.fullmatch(text) is not None or GROUPED.fullmatch(text) is not None
    try:
        value = parse(text)
    except InputError as exc:
        error = exc
    else:
        error = None
    if error is not None:
        assert error.field == "deal_usd" and error.row == 2 and "\n" not in str(error)
        if grammatical:  # a number, but not a deal size: out of bounds or not positive
            number = float(text.replace(",", "").replace("_", ""))
            assert not MIN_DEAL_USD <= number <= MAX_DEAL_USD
        return
    if text in ("", "-", "—"):
        assert math.isnan(value)
        return
    assert grammatical and MIN_DEAL_USD <= value <= MAX_DEAL_USD
    assert value == float(text.replace(",", "").replace("_", ""))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**14))
def test_grouped_dollars_read_exactly(dollars: int) -> None:
    assert parse(f"{dollars:,}") == parse(f"{dollars:_}") == parse(str(dollars)) == float(dollars)


@pytest.mark.parametrize("deal", ['"1,5"', "1e-300", "0.5", "1e15"])
def test_bad_deals_through_the_cli(tmp_path: Path, capsys, deal: str) -> None:
    from eventstudy.cli import main

    events, out = write(tmp_path, HEADER, GOOD.replace("300e9", deal)), tmp_path / "out"
    status = main(["run", "--events", str(events), "--offline", "--cache", str(tmp_path), "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1, err
    assert err.startswith(f"eventstudy: error: {events}, row 2, field 'deal_usd': ")
    assert not out.exists()


# -- an events frame built in a notebook is checked as its file would be --------------------------------
def test_a_frame_read_from_a_file_passes_unchanged() -> None:
    read = read_events(ROOT / "events.csv")
    pd.testing.assert_frame_equal(events_from_frame(read, ROOT / "events.csv"), read)


@pytest.mark.parametrize(
    ("edit", "row", "field", "words"),
    [
        (lambda f: f.drop(columns="role"), 1, "role", "required column is missing"),
        (lambda f: f.iloc[:0], None, None, "no events"),
        (lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True), 27, "ticker", "duplicate (event_id"),
        (lambda f: f.assign(ticker=[None, *f["ticker"].iloc[1:]]), 2, "ticker", "is not a ticker symbol"),
        (lambda f: f.assign(deal_usd=-5.0), 2, "deal_usd", "must be positive"),
        (lambda f: f.assign(announced=pd.Timestamp("2200-01-02")), 2, "announced", "outside the supported"),
        (lambda f: f.assign(timing="later"), 2, "timing", "is not one of pre"),
        (
            lambda f: f.assign(deal_usd=[*f["deal_usd"].iloc[:-1], 1e9]),
            26,
            "deal_usd",
            "1000000000 here but 30000000000 on row 25",
        ),
    ],
)
def test_a_bad_frame_is_refused_as_its_file_would_be(edit, row, field, words) -> None:
    """run_study once took a frame as it was: a duplicated row was a second pair in every
    statistic, a frame without source_row a KeyError, an empty frame a pandas ValueError."""
    frame = edit(read_events(ROOT / "events.csv").drop(columns="source_row"))
    with pytest.raises(InputError) as caught:
        events_from_frame(frame)
    assert (caught.value.path, caught.value.row, caught.value.field) == ("events", row, field)
    assert words in caught.value.message


def test_a_frame_with_rows_of_the_peers_role_is_refused_as_the_file_would_be() -> None:
    """A frame's role 'peer' was accepted: listed parties given that role left their groups and
    formed a 'peers' group that kept their deal, where the same rows in a file were refused (an
    audit). Peers are added by the study (peers=...), never given; add_peers' rows carry no deal."""
    from eventstudy.peers import add_peers

    events = read_events(ROOT / "events.csv")
    with_peers = add_peers(events, ("AMD",))
    assert with_peers.loc[with_peers["role"] == "peer", "deal_usd"].isna().all()
    frame = events.drop(columns="source_row")
    frame.loc[frame["event_id"] == "nvidia-intel-5b", "role"] = "peer"
    first = int((frame["role"] == "peer").to_numpy().nonzero()[0][0])
    for bad in (frame, with_peers.drop(columns="source_row")):
        with pytest.raises(InputError) as caught:
            events_from_frame(bad)
        assert caught.value.field == "role"
        assert "'peer' is the role of the ecosystem peers" in caught.value.message
    assert caught.value.row is not None
    with pytest.raises(InputError) as caught:
        events_from_frame(frame)
    assert caught.value.row == first + 2


def test_a_frames_moments_are_new_york_dates_or_refused() -> None:
    """Tz-aware announcements were cut to their clock date in their own zone: the same instants
    in Tokyo and in New York gave day 0s a session apart (ORCL's day-0 CAR +35.4% or +0.8%), and
    a time of day vanished (an audit). A moment is taken in New York time; one that is not a New
    York midnight is refused, naming its row."""
    read = read_events(ROOT / "events.csv")
    frame = read.drop(columns="source_row")
    new_york = frame.assign(announced=frame["announced"].dt.tz_localize("America/New_York"))
    utc = new_york.assign(announced=new_york["announced"].dt.tz_convert("UTC"))  # the same instants
    pd.testing.assert_frame_equal(events_from_frame(utc), read)
    tokyo = frame.assign(announced=frame["announced"].dt.tz_localize("Asia/Tokyo"))
    with pytest.raises(InputError) as caught:
        events_from_frame(tokyo)
    assert (caught.value.row, caught.value.field) == (2, "announced")
    assert "in New York time is a moment, not a date" in caught.value.message
    timed = frame.assign(announced=frame["announced"] + pd.Timedelta(hours=23, minutes=59))
    with pytest.raises(InputError, match="23:59:00 is a moment, not a date"):
        events_from_frame(timed)
    # the same in an object column (mixed zones), and pyarrow's date32, which crashed (review)
    mixed = frame["announced"].astype(object)
    mixed.iloc[1] = pd.Timestamp(frame["announced"].iloc[1]).tz_localize("Asia/Tokyo")
    with pytest.raises(InputError) as caught:
        events_from_frame(frame.assign(announced=mixed))
    assert (caught.value.row, caught.value.field) == (3, "announced")
    moments = frame["announced"].astype(object)
    moments.iloc[4] = moments.iloc[4].to_pydatetime().replace(hour=15)
    with pytest.raises(InputError, match="15:00:00 is a moment") as caught:
        events_from_frame(frame.assign(announced=moments))
    assert caught.value.row == 6
    arrow = frame.assign(announced=frame["announced"].dt.date.astype("date32[pyarrow]"))
    pd.testing.assert_frame_equal(events_from_frame(arrow), read)
    # pyarrow timestamps were refused as text ('... 00:00:00-05:00 is not a date'), NaT in an
    # object column crashed (AttributeError), float32 deals came back at their shortest text (then
    # were taken as their value, which the frame's to_csv file did not hold: now refused)
    for arrow_type in ("timestamp[ns][pyarrow]", "timestamp[ns, tz=America/New_York][pyarrow]"):
        zone = "America/New_York" if "tz=" in arrow_type else None
        stamps = frame["announced"].dt.tz_localize(zone).astype(arrow_type)
        pd.testing.assert_frame_equal(events_from_frame(frame.assign(announced=stamps)), read)
    missing = frame["announced"].astype(object)
    missing.iloc[2] = pd.NaT
    with pytest.raises(InputError) as caught:
        events_from_frame(frame.assign(announced=missing))
    assert (caught.value.row, caught.value.field) == (4, "announced")
    deals = frame["deal_usd"].to_numpy(float)
    changed = np.flatnonzero(np.isfinite(deals) & (deals.astype(np.float32).astype(float) != deals))
    with pytest.raises(InputError, match=r"in float32 is .*: give deal_usd as float64") as caught:
        events_from_frame(frame.assign(deal_usd=frame["deal_usd"].astype("float32")))
    assert (caught.value.row, caught.value.field) == (int(changed[0]) + 2, "deal_usd")


@pytest.mark.parametrize(
    ("dtype", "deal", "refused"),
    [
        ("float32", 3e11, True),
        ("Float32", 3e11, True),  # pandas' nullable float32: the same 299,999,985,664
        ("float16", 3.14, True),  # 3.140625, written as 3.14
        ("float[pyarrow]", 3e11, True),  # to_csv writes its float64 value, 299999985664.0
        ("halffloat[pyarrow]", 3.14, True),
        ("Sparse[float32]", 3e11, True),
        ("double[pyarrow]", 3e11, False),
        ("float32", 1e9, False),  # exact in float32
        ("Float32", 1e9, False),
    ],
)
def test_a_narrow_float_deal_is_refused_where_its_file_holds_another_number(dtype, deal, refused) -> None:
    """A float32 check let a nullable Float32 or a float16 deal through, changed without a word
    (a finder): every float type is checked against the text ``to_csv`` writes of it."""
    header = "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
    frame = pd.read_csv(io.StringIO(header + f"a,2025-01-15,pre,AAA,s,{deal!r},g,h\n"))
    narrow = frame.assign(deal_usd=frame["deal_usd"].astype(dtype))
    if refused:
        with pytest.raises(InputError, match="give deal_usd as float64") as caught:
            events_from_frame(narrow)
        assert (caught.value.row, caught.value.field) == (2, "deal_usd")
        return
    expected = float(narrow["deal_usd"].to_numpy(dtype="float64")[0])
    assert events_from_frame(narrow)["deal_usd"].tolist() == [expected]


def test_a_frames_rows_are_counted_by_record_whatever_its_text_holds() -> None:
    """A headline with line breaks moved the error's row: the frame's 6th row was 'row 25'."""
    frame = read_events(ROOT / "events.csv").drop(columns="source_row")
    frame["headline"] = "first line\nsecond line\nthird"
    frame.loc[5, "ticker"] = "NV DA"
    with pytest.raises(InputError) as caught:
        events_from_frame(frame)
    assert (caught.value.row, caught.value.field) == (7, "ticker")
    assert events_from_frame(frame.drop(index=5))["source_row"].tolist()[:6] == [2, 3, 4, 5, 6, 7]
    frame = frame.drop(index=5)
    frame["headline"] = "Oracle\rOpenAI"  # a bare carriage return split the row (review)
    assert (events_from_frame(frame)["headline"] == "Oracle\rOpenAI").all()


def test_a_runs_own_events_run_again_without_their_peer_rows_as_the_error_says(launch_cache) -> None:
    """results.events keeps the peer rows the study added. Letting them through by source_row 0
    ran once only (the rerun renumbers them), ignored peers=... (the old rows stayed), and let a
    hand-made peer with source_row 0 pass (review). The frame is refused like the file, and the
    error says how to run it again; so run, the results are the first run's."""
    from eventstudy.study import run_study

    config = dataclasses.replace(load_config(ROOT / "launch.toml"), backtest=None, crosssection=())
    first = run_study(ROOT / "events.csv", launch_cache, config)
    with pytest.raises(InputError) as caught:
        run_study(first.events, launch_cache, config)
    assert "run them again as events[events['role'] != 'peer'], with peers=..." in caught.value.message
    again = run_study(first.events[first.events["role"] != "peer"], launch_cache, config)
    pd.testing.assert_frame_equal(again.car, first.car)
    handmade = read_events(ROOT / "events.csv").assign(source_row=0)
    handmade.loc[0, "role"] = "peer"
    with pytest.raises(InputError, match="'peer' is the role of the ecosystem peers"):
        events_from_frame(handmade)
def test_a_notebooks_frame_reads_like_the_file() -> None:
    """Dates as text or with a time zone, deal sizes as text, a categorical column and a column
    of the notebook's own give the file's events."""
    read = read_events(ROOT / "events.csv")
    frame = read.drop(columns="source_row").assign(
        announced=read["announced"].dt.tz_localize("America/New_York"),
        deal_usd=read["deal_usd"].astype(str),
        ticker=read["ticker"].astype("category"),
        my_note="x",
    )
    pd.testing.assert_frame_equal(events_from_frame(frame), read)
    as_text = read.drop(columns="source_row").assign(announced=read["announced"].dt.strftime("%Y-%m-%d"))
    pd.testing.assert_frame_equal(events_from_frame(as_text), read)


def test_run_study_checks_a_frame_before_anything_is_computed(launch_cache) -> None:
    from eventstudy.study import run_study

    read = read_events(ROOT / "events.csv")
    twice = pd.concat([read, read.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match=r"events, row 27, field 'ticker': duplicate \(event_id, ticker\)"):
        run_study(twice, launch_cache)


@pytest.mark.parametrize("field", ["event_id", "announced", "timing", "role", "group", "headline"])
def test_a_long_bad_value_is_cut_in_the_error_line(tmp_path: Path, field: str) -> None:
    """A 5,000-character timing was echoed whole in the one error line."""
    long = "p" * 4999 + "!"
    row = dict(zip(COLUMNS, GOOD.split(","), strict=True))
    other = {**row, "ticker": "NVDA", field: long}  # the headline errs as a second row's disagreement
    lines = [HEADER, ",".join(row.values()), ",".join(other.values())]
    with pytest.raises(InputError) as caught:
        read_events(write(tmp_path, *lines))
    assert caught.value.field == field and caught.value.row in (2, 3)
    assert "(5000 characters)" in str(caught.value) and len(str(caught.value)) < 400


def test_a_long_valid_event_id_is_cut_in_the_error_line(tmp_path: Path) -> None:
    """A 5,000-character event id, then valid, was echoed whole in the disagreement and duplicate
    lines; the longest valid id (MAX_EVENT_ID_LENGTH) is cut there too."""
    assert MAX_EVENT_ID_LENGTH == 100
    row = GOOD.replace("oracle-openai-300b", "e" * 100)
    for second in (row.replace("2025-09-09", "2025-09-10").replace(",ORCL,", ",NVDA,"), row):
        with pytest.raises(InputError) as caught:
            read_events(write(tmp_path, HEADER, row, second))
        assert caught.value.row == 3 and "(100 characters)" in str(caught.value)
        assert len(str(caught.value)) < 300


def test_an_event_id_too_long_for_its_figure_file_is_refused_on_its_row(tmp_path: Path, capsys) -> None:
    """An id of 240 characters passed, the whole study ran, and the run failed writing
    figures/car_<id>.png (a file name of more than 255 bytes), naming a temporary file, not the
    events file, and leaving the new output folder's parents behind."""
    from eventstudy.cli import main

    long_id = GOOD.replace("oracle-openai-300b", "e" * 101).replace(",ORCL,", ",NVDA,")
    path = write(tmp_path, HEADER, GOOD, long_id)
    with pytest.raises(InputError, match=r"has 101 characters, more than 100 \(it names") as caught:
        read_events(path)
    assert (caught.value.path, caught.value.row, caught.value.field) == (str(path), 3, "event_id")
    out = tmp_path / "new" / "sub" / "out"
    status = main(["run", "--events", str(path), "--offline", "--cache", str(tmp_path), "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and err == f"eventstudy: error: {caught.value}\n"
    assert not (tmp_path / "new").exists()
    read_events(write(tmp_path, HEADER, GOOD.replace("oracle-openai-300b", "e" * 100)))  # the longest


def test_a_compressed_file_or_workbook_is_named_as_such(tmp_path: Path) -> None:
    """A gzipped CSV (events.csv.gz), a zip or an Excel workbook was 'not UTF-8 text (byte 0x8b:
    Latin-1 or Windows-1252?)' (a finder): re-saving it as UTF-8 is not the way out."""
    import bz2
    import gzip
    import zipfile

    from eventstudy.data.tabular import read_text_table

    text = f"{HEADER}\n{GOOD}".encode()
    gz, bz, zipped = tmp_path / "events.csv.gz", tmp_path / "events.csv.bz2", tmp_path / "events.xlsx"
    gz.write_bytes(gzip.compress(text))
    bz.write_bytes(bz2.compress(text))
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("xl/workbook.xml", text)
    for path, said in (
        (gz, "a gzip-compressed file, not text: decompress it first (gunzip)"),
        (bz, "a bzip2-compressed file, not text: decompress it first (bunzip2)"),
        (zipped, "a zip archive (an Excel .xlsx workbook?), not text: unzip it, or save the sheet as CSV "
         "(UTF-8)"),
    ):
        for read in (read_events, read_text_table):
            with pytest.raises(InputError) as caught:
                read(path)
            assert str(caught.value) == f"{path}, row 1: {said}"


def test_every_reader_names_a_compressed_file(tmp_path: Path, shared_data: Path) -> None:
    """A re-attack: a gzipped config was 'not UTF-8 text (line 1); re-save the file as UTF-8', a
    gzipped Ken French file 'a row after the blank line 1001', an xz earnings file's binary
    header quoted back, and a gzipped parquet file 'not a readable parquet file (ArrowInvalid)'."""
    import gzip
    import lzma

    from eventstudy.config import load_config
    from eventstudy.data.importer import import_paths
    from eventstudy.data.store import PriceStore
    from eventstudy.data.tabular import read_text_table

    gunzip = "a gzip-compressed file, not text: decompress it first (gunzip)"
    config = tmp_path / "study.toml"
    config.write_bytes(gzip.compress(b'[study]\nmodel = "market"\n'))
    with pytest.raises(InputError) as caught:
        load_config(config)
    assert str(caught.value) == f"{config}: {gunzip}"
    french = tmp_path / "F-F_Research_Data_Factors_daily.csv"
    french.write_bytes(gzip.compress((shared_data / "factors" / french.name).read_bytes()))
    dates = tmp_path / "earnings_dates.csv"  # xz stores a small file as is: its header survives
    dates.write_bytes(lzma.compress(b"ticker,announced,timing\nNVDA,2024-02-02,post\n"))
    store = PriceStore(tmp_path / "cache")
    unxz = "an xz-compressed file, not text: decompress it first (unxz)"
    for path, said in ((french, gunzip), (dates, unxz)):
        with pytest.raises(InputError) as caught:
            import_paths(store, [path])
        assert str(caught.value) == f"{path}, row 1: {said}"
    frame = pd.DataFrame({"id": ["A"], "tau": [0], "ar": [0.01]})
    packed = tmp_path / "ar.parquet"
    packed.write_bytes(gzip.compress(frame.to_parquet()))
    with pytest.raises(InputError) as caught:
        read_text_table(packed)
    said = "not a readable parquet file: a gzip-compressed file; decompress it first (gunzip)"  # not "text"
    assert str(caught.value) == f"{packed}: {said}"
    assert not (tmp_path / "cache").exists() or store.files() == []


def test_a_utf16_file_and_digits_of_other_scripts_are_named_as_such(tmp_path: Path) -> None:
    """A UTF-16 file (Excel's "Unicode text") was called 'Latin-1 or Windows-1252?'; full-width
    digits matched the date pattern and were then 'not a valid calendar date'."""
    from eventstudy.data.tabular import read_text_table

    text = f"{HEADER}\ne1,２０２５-09-10,pre,ORCL,x,1,g,h\n"
    wide = tmp_path / "events.csv"
    wide.write_text(text, encoding="utf-8")
    fullwidth = r"row 2, field 'announced': '２０２５-09-10' is not a date in the form"
    with pytest.raises(InputError, match=fullwidth):
        read_events(wide)
    utf16 = tmp_path / "u16.csv"
    utf16.write_text(text, encoding="utf-16")
    for read in (read_events, read_text_table):
        with pytest.raises(InputError, match=r"u16.csv, row 1: UTF-16 text, not UTF-8; re-save the file"):
            read(utf16)
    # a parquet file (a run's events.parquet) was "not UTF-8 text (byte 0xb0: Latin-1 ...?)"
    frame = read_events(write(tmp_path, HEADER, GOOD))
    for name in ("events.parquet", "events.csv"):  # named either way: its first bytes say parquet
        frame.to_parquet(tmp_path / name)
        with pytest.raises(InputError, match=rf"{name}: is a parquet file \(or begins as one\); an events"):
            read_events(tmp_path / name)
    cut = tmp_path / "events.parquet"  # cut short: still a parquet file, not "not UTF-8 text"
    cut.write_bytes(cut.read_bytes()[:200])
    with pytest.raises(InputError, match=r"is a parquet file \(or begins as one\)"):
        read_events(cut)
    # a CSV whose first column is named PAR1_ref, or a file of the text PAR1PAR1, is no parquet file
    with pytest.raises(InputError, match=r"row 1, field 'PAR1_ref': unknown column"):
        read_events(write(tmp_path, f"PAR1_ref,{HEADER}", f"x,{GOOD}PAR1"))
    with pytest.raises(InputError, match=r"field 'PAR1PAR1': unknown column"):
        read_events(write(tmp_path, "PAR1PAR1"))
