"""Ken French factor files and user factor tables: parsing, caching, fetching (no network)."""

from __future__ import annotations

import email.message
import http.client
import io
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.config import StudyConfig
from eventstudy.data.factors import (
    FRENCH_URL,
    fetch_french,
    fetch_missing_french,
    is_french_file,
    parse_french_csv,
    parse_french_text,
    read_user_factors,
)
from eventstudy.data.importer import import_paths
from eventstudy.data.store import PriceStore
from eventstudy.errors import DataUnavailableError, InputError
from eventstudy.hashing import file_sha256
from eventstudy.models import MODELS, DataNeeds
from eventstudy.models.factor import FF3_FILE, FF5_FILE, MOMENTUM_FILE, Carhart4Model

ROOT = Path(__file__).resolve().parents[1]

# SHA-256 of the copies, from ../shared/data/factors/PROVENANCE.md.
SHA256 = {
    FF3_FILE: "c6c87de77162c620dc4b36fc3eca9debe2ccf5bf1562d4ad1a02d1985635842c",
    MOMENTUM_FILE: "bf19b050d9c92a54f71683981a0b89ee7c64d1cc7b5b4687b231783bba923b57",
    FF5_FILE: "422a8811b3aa50050dbb10dab1dc578ee5787caf98bfca084ea364eddeffd950",
}


@pytest.fixture(scope="module")
def factors_dir(shared_data: Path) -> Path:
    return shared_data / "factors"


@pytest.fixture(scope="module")
def ff3(factors_dir: Path):
    return parse_french_csv(factors_dir / f"{FF3_FILE}.csv")


def on(table, day: str) -> pd.Series:
    return table.frame.set_index("date").loc[pd.Timestamp(day)]


# -- the real files ------------------------------------------------------------------------------
def test_three_factor_file_event_day_values_in_decimals(ff3) -> None:
    # PROVENANCE.md: 2025-01-27 Mkt-RF -1.49, SMB -0.67, HML 2.50 (percent); 2025-10-13 1.64/0.61/-0.19.
    day = on(ff3, "2025-01-27")
    assert day["Mkt-RF"] == pytest.approx(-0.0149, abs=1e-15)
    assert day["SMB"] == pytest.approx(-0.0067, abs=1e-15)
    assert day["HML"] == pytest.approx(0.0250, abs=1e-15)
    assert day["RF"] == pytest.approx(0.0002, abs=1e-15)
    assert on(ff3, "2025-10-13")[["Mkt-RF", "SMB", "HML"]].tolist() == pytest.approx(
        [0.0164, 0.0061, -0.0019], abs=1e-15
    )


def test_three_factor_file_shape_range_and_provenance(ff3, factors_dir) -> None:
    assert ff3.name == FF3_FILE
    assert ff3.columns == ("Mkt-RF", "SMB", "HML", "RF")
    assert len(ff3.frame) == 26_233  # PROVENANCE.md: data rows
    assert ff3.frame["date"].iloc[0] == pd.Timestamp("1926-07-01")
    assert ff3.frame["date"].iloc[-1] == pd.Timestamp("2026-04-30")  # the copyright line is not a row
    assert ff3.provenance["crsp_vintage"] == "202604"
    assert ff3.provenance["source_sha256"] == SHA256[FF3_FILE]
    assert ff3.frame["date"].is_monotonic_increasing


def test_momentum_and_five_factor_files(factors_dir) -> None:
    mom = parse_french_csv(factors_dir / f"{MOMENTUM_FILE}.csv")
    assert mom.columns == ("Mom",)
    assert on(mom, "2025-01-27")["Mom"] == pytest.approx(-0.0328, abs=1e-15)  # PROVENANCE.md: -3.28
    assert on(mom, "2025-09-22")["Mom"] == pytest.approx(0.0012, abs=1e-15)
    ff5 = parse_french_csv(factors_dir / f"{FF5_FILE}.csv")
    assert ff5.columns == ("Mkt-RF", "SMB", "HML", "RMW", "CMA", "RF")
    assert len(ff5.frame) == 15_751
    assert (ff5.frame["date"].iloc[0], ff5.frame["date"].iloc[-1]) == (
        pd.Timestamp("1963-07-01"),
        pd.Timestamp("2026-01-30"),
    )
    assert ff5.provenance["crsp_vintage"] == "202601"


def test_factor_days_are_the_spy_trading_days(ff3, shared_data) -> None:
    # PROVENANCE.md: from 2023-01-03 to 2025-10-31 the factor days are exactly SPY's 711 days.
    spy = pd.read_csv(shared_data / "prices" / "SPY.csv", parse_dates=["Date"])["Date"]
    window = (ff3.frame["date"] >= "2023-01-03") & (ff3.frame["date"] <= "2025-10-31")
    spy_window = spy[(spy >= "2023-01-03") & (spy <= "2025-10-31")]
    assert window.sum() == 711
    assert ff3.frame.loc[window, "date"].tolist() == spy_window.tolist()


def test_french_files_of_each_model() -> None:
    config = StudyConfig()
    assert MODELS["ff3"].needs(config) == DataNeeds(french=(FF3_FILE,))
    assert MODELS["carhart4"].needs(config) == DataNeeds(french=(FF3_FILE, MOMENTUM_FILE))
    assert MODELS["ff5"].needs(config) == DataNeeds(french=(FF5_FILE,))
    assert MODELS["market"].needs(config) == DataNeeds(symbols=("SPY",))


# -- bad files ------------------------------------------------------------------------------------
def french_lines(factors_dir: Path) -> list[str]:
    return (factors_dir / f"{FF3_FILE}.csv").read_text().splitlines()[:40]


def header_line(lines: list[str]) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(","))


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda f: [f[0], "  -99.99", *f[2:]], "Mkt-RF", "-99.99 is French's missing-value code"),
        (lambda f: [f[0], f[1], "    -999", *f[3:]], "SMB", "-999 is French's missing-value code"),
        (lambda f: [f[0], f[1], f[2], "  n/a", f[4]], "HML", "'n/a' is not a number"),
        (lambda f: [f[0], f[1], "1e-400", *f[3:]], "SMB", "'1e-400' is too small for a float"),  # once 0
        (lambda f: ["192607", *f[1:]], "date", "'192607' is not a daily date YYYYMMDD"),
        (lambda f: ["19261345", *f[1:]], "date", "'19261345' is not a daily date YYYYMMDD"),
        (lambda f: ["99991231", *f[1:]], "date", "'99991231' is outside 1900..2199"),  # once a wrapped date
        (lambda f: ["18991231", *f[1:]], "date", "'18991231' is outside 1900..2199"),
        (lambda f: ["21500102", *f[1:]], "date", "'21500102' is after today"),
    ],
)
def test_bad_value_names_file_row_and_field(factors_dir, tmp_path, change, field, message) -> None:
    lines = french_lines(factors_dir)
    row = header_line(lines) + 5  # 0-based index of a data line
    lines[row] = ",".join(change(lines[row].split(",")))
    if field == "date":  # a later far date: the first bad row in file order is named
        lines[row + 2] = ",".join(["99991231", *lines[row + 2].split(",")[1:]])
    path = tmp_path / "F-F_bad.csv"
    path.write_text("\r\n".join(lines) + "\r\n")
    with pytest.raises(InputError) as caught:
        parse_french_csv(path)
    assert (caught.value.path, caught.value.row, caught.value.field) == (str(path), row + 1, field)
    assert message in caught.value.message


def test_wrong_field_count_and_order_and_header(factors_dir, tmp_path) -> None:
    lines = french_lines(factors_dir)
    row = header_line(lines) + 3
    short = [*lines]
    short[row] = short[row].rsplit(",", 1)[0]
    with pytest.raises(InputError, match=r"row \d+: 4 fields, expected 5") as caught:
        parse_french_text("\n".join(short), "x.csv")
    assert caught.value.row == row + 1
    swapped = [*lines]
    swapped[row], swapped[row + 1] = swapped[row + 1], swapped[row]
    with pytest.raises(InputError, match="date out of order") as caught:
        parse_french_text("\n".join(swapped), "x.csv")
    assert caught.value.row == row + 2
    with pytest.raises(InputError, match="no header line starting with ','"):
        parse_french_text("\n".join(line for line in lines if not line.startswith(",")), "x.csv")
    # a factor column named 'date' crashed with AttributeError (two date columns) (an audit)
    named = [*lines]
    named[header_line(lines)] = named[header_line(lines)].replace("SMB", "Date", 1)
    with pytest.raises(InputError, match="a factor column is named like the date") as caught:
        parse_french_text("\n".join(named), "x.csv")
    assert (caught.value.row, caught.value.field) == (header_line(lines) + 1, "Date")


def test_parser_stops_at_the_first_blank_line(factors_dir) -> None:
    lines = french_lines(factors_dir)
    closing = ["", "Copyright 2026 Eugene F. Fama, Kenneth R. French"]  # prose, even with a comma
    frame, vintage = parse_french_text("\n".join([*lines, *closing]), "x.csv")
    assert len(frame) == len(lines) - header_line(lines) - 1
    assert vintage == "202604"


@pytest.mark.parametrize(
    ("after", "offset"),
    [
        (["  Annual Factors: January-December ", ",Mkt-RF,SMB,HML,RF", "1927, 1, 2, 3, 4"], 2),
        (["20260501\t0.10\t0.20\t0.30\t0.01"], 1),  # tab-separated
        (["2026-05-01, 0.10, 0.20, 0.30, 0.01"], 1),  # ISO dates
        (["", "  20260501,0.10,0.20,0.30,0.01"], 2),
    ],
)
def test_a_row_of_any_format_after_the_tables_end_is_refused(factors_dir, after, offset) -> None:
    """Rows after the blank line that ends the table were left out with no word unless dated
    ``YYYYMMDD,`` (a finder: tab-separated or ISO-dated rows, a second table's header)."""
    lines = french_lines(factors_dir)
    with pytest.raises(InputError, match="a row after the blank line") as caught:
        parse_french_text("\n".join([*lines, "", *after]), "x.csv")
    assert caught.value.row == len(lines) + 1 + offset


def test_a_weekly_table_named_daily_is_refused(factors_dir) -> None:
    """A weekly French file renamed ``_daily`` was imported and joined to the days it dates."""
    lines = (factors_dir / f"{FF3_FILE}.csv").read_text().splitlines()
    first = header_line(lines) + 1
    weekly = [*lines[:first], *lines[-400:-3:5]]  # every fifth day of 2025-26 (1926 traded on Saturdays)
    with pytest.raises(InputError, match="7 days apart in the median: a weekly or monthly table") as caught:
        parse_french_text("\n".join(weekly), "x.csv")
    assert (caught.value.row, caught.value.field) == (first + 1, "date")
    # A few real daily rows around a closure are not judged (a finder: 2001-09-10, 09-17 and 09-18,
    # 4 days apart in the median, were refused); nor are fewer than 20 weekly ones.
    closure = [line for line in lines if line.startswith(("20010910,", "20010917,", "20010918,"))]
    assert len(parse_french_text("\n".join([*lines[:first], *closure]), "x.csv")[0]) == 3
    assert len(parse_french_text("\n".join(weekly[: first + 19]), "x.csv")[0]) == 19


def test_a_one_factor_file_closing_with_a_comma_in_its_prose_is_read(factors_dir) -> None:
    """A one-factor French file (Mom) whose copyright line held a comma was refused as having a
    row after its table (a finder): one comma is that file's field count."""
    text = (factors_dir / "F-F_Momentum_Factor_daily.csv").read_text()
    assert text.count("Fama and Kenneth") == 1
    frame, _ = parse_french_text(text.replace("Fama and Kenneth", "Fama, Kenneth"), "x.csv")
    assert len(frame) == len(parse_french_text(text, "x.csv")[0]) > 26000
    with pytest.raises(InputError, match="a row after the blank line"):  # a row dated otherwise
        parse_french_text(text + "\nMay 1 2026, 0.25\n", "x.csv")


def test_a_weekly_user_factor_table_is_refused(tmp_path) -> None:
    """The weekly check was the French parser's only: a user table of Fridays was fitted to
    daily returns with no word (a finder)."""
    fridays = pd.date_range("2024-01-05", periods=60, freq="W-FRI").strftime("%Y-%m-%d")
    table = pd.DataFrame({"date": fridays, "MKT": np.linspace(-0.02, 0.02, 60)})
    table.to_csv(tmp_path / "weekly.csv", index=False)
    with pytest.raises(InputError, match="7 days apart in the median") as caught:
        read_user_factors(tmp_path / "weekly.csv")
    assert (caught.value.row, caught.value.field) == (2, "date")
    table.assign(date=pd.to_datetime(fridays)).to_parquet(tmp_path / "weekly.parquet")
    with pytest.raises(InputError, match="7 days apart in the median"):
        read_user_factors(tmp_path / "weekly.parquet")
    days = pd.bdate_range("2024-01-01", periods=60).strftime("%Y-%m-%d")
    table.assign(date=days).to_csv(tmp_path / "daily.csv", index=False)
    assert len(read_user_factors(tmp_path / "daily.csv").frame) == 60


def test_a_blank_line_inside_the_table_is_refused_not_taken_for_its_end(factors_dir) -> None:
    """A blank line after row 13,000 of the daily file imported its first 12,999 days, exit 0 and
    no word (a finder): the rows after it are data, so the line is refused, naming the row."""
    lines = (factors_dir / f"{FF3_FILE}.csv").read_text().splitlines()
    first = header_line(lines) + 1
    cut = [*lines[: first + 13000], "", *lines[first + 13000 :]]
    ends = f"a row after the blank line {first + 13001} that ends the table"
    with pytest.raises(InputError, match=ends) as caught:
        parse_french_text("\n".join(cut), "x.csv")
    assert caught.value.row == first + 13002
    assert len(parse_french_text("\n".join(lines), "x.csv")[0]) > 26000  # the whole file as it is
    # rows counted as an editor counts them: a form feed (or Latin-1's 0x85) in the preamble moved
    # every row number by one (a finder)
    fed = [lines[0] + "\f", *lines[1:]]
    with pytest.raises(InputError, match=ends) as caught:
        parse_french_text("\n".join([*fed[: first + 13000], "", *fed[first + 13000 :]]), "x.csv")
    assert caught.value.row == first + 13002


def test_a_french_file_already_in_decimals_is_refused(factors_dir) -> None:
    """French's files are in percent; one already in decimals was divided by 100 again, its values
    100 times too small, with no word (a finder)."""
    lines = french_lines(factors_dir)
    first = header_line(lines) + 1
    body = [line for line in lines[first:] if line.strip() and line.strip()[0].isdigit()]
    decimal = [
        ",".join([cells[0], *(f"{float(c) / 100:.6f}" for c in cells[1:])])
        for cells in (line.split(",") for line in body)
    ]
    with pytest.raises(InputError, match="looks decimal already") as caught:
        parse_french_text("\n".join([*lines[:first], *decimal]), "x.csv")
    assert caught.value.row == first
    # a factor of zeros is not judged, and does not keep the others from being judged (a finder)
    zeroed = [",".join([*cells[:2], "0.000000", *cells[3:]]) for cells in (row.split(",") for row in decimal)]
    with pytest.raises(InputError, match="looks decimal already"):
        parse_french_text("\n".join([*lines[:first], *zeroed]), "x.csv")
    frame, _ = parse_french_text("\n".join(lines), "x.csv")  # the file as French writes it
    assert np.median(np.abs(frame["Mkt-RF"])) == pytest.approx(0.0056, abs=0.002)


def test_detection_by_name_or_preamble(factors_dir, shared_data, tmp_path) -> None:
    renamed = tmp_path / "my_factors.csv"
    renamed.write_bytes((factors_dir / f"{FF3_FILE}.csv").read_bytes())
    assert is_french_file(renamed)
    assert is_french_file(factors_dir / f"{MOMENTUM_FILE}.csv")
    assert not is_french_file(shared_data / "prices" / "SPY.csv")


# -- cache ----------------------------------------------------------------------------------------
def test_import_puts_french_files_in_the_factor_cache(factors_dir, ff3, tmp_path) -> None:
    store = PriceStore(tmp_path / "cache")
    imported = import_paths(store, [factors_dir])
    assert sorted((f.kind, f.symbols[0], f.rows) for f in imported) == [
        ("factors", MOMENTUM_FILE, 26_132),
        ("factors", FF5_FILE, 15_751),
        ("factors", FF3_FILE, 26_233),
    ]
    cached = store.read_factors(FF3_FILE)
    pd.testing.assert_frame_equal(cached, ff3.frame)
    provenance = store.provenance(store.factors_path(FF3_FILE))
    assert provenance["source"] == "ken-french-csv-import"
    assert provenance["source_sha256"] == SHA256[FF3_FILE]
    assert {p.name for p in (tmp_path / "cache").rglob("*")} >= {f"{FF5_FILE}.parquet"}
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_bad_french_file_imports_nothing(factors_dir, shared_data, tmp_path, capsys) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "SPY.csv").write_bytes((shared_data / "prices" / "SPY.csv").read_bytes())
    lines = french_lines(factors_dir)
    fields = lines[header_line(lines) + 2].split(",")
    lines[header_line(lines) + 2] = ",".join([fields[0], "  -99.99", *fields[2:]])
    (folder / f"{FF3_FILE}.csv").write_text("\n".join(lines) + "\n")
    cache = tmp_path / "cache"
    assert main(["cache", "import", str(folder), "--cache", str(cache)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"eventstudy: error: {folder / (FF3_FILE + '.csv')}, row {header_line(lines) + 3}, field 'Mkt-RF': "
        "-99.99 is French's missing-value code; the factor is missing that day (use a file or period "
        "without missing values)"
    ]
    assert not cache.exists() or not any(cache.rglob("*.parquet"))


def test_offline_run_without_cached_factors_says_how_to_import(launch_cache, tmp_path, capsys) -> None:
    args = ["run", "--events", str(ROOT / "events.csv"), "--config", str(ROOT / "launch.toml")]
    code = main(
        [*args, "--offline", "--cache", str(launch_cache), "--model", "ff3", "--out", str(tmp_path / "o")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert f"no cached factor file '{FF3_FILE}'" in err
    assert "eventstudy cache import" in err
    assert not (tmp_path / "o").exists()


# -- online (injected downloader) -----------------------------------------------------------------
def zipped(path: Path, member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, path.read_bytes())
    return buffer.getvalue()


def test_fetch_french_downloads_the_library_zip(factors_dir, ff3) -> None:
    payload = zipped(factors_dir / f"{FF3_FILE}.csv", f"{FF3_FILE}.CSV")
    urls: list[str] = []

    def download(url: str) -> bytes:
        urls.append(url)
        return payload

    table = fetch_french(FF3_FILE, download=download)
    assert urls == [
        "https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/F-F_Research_Data_Factors_daily_CSV.zip"
    ]
    pd.testing.assert_frame_equal(table.frame, ff3.frame)
    assert table.provenance["source"] == "ken-french-data-library"
    assert table.provenance["member"] == f"{FF3_FILE}.CSV"
    assert table.provenance["crsp_vintage"] == "202604"


def test_fetch_missing_french_caches_only_what_is_missing(factors_dir, tmp_path) -> None:
    store = PriceStore(tmp_path / "cache")
    import_paths(store, [factors_dir / f"{FF3_FILE}.csv"])
    served = {
        FRENCH_URL.format(name=MOMENTUM_FILE): zipped(factors_dir / f"{MOMENTUM_FILE}.csv", "m.CSV"),
    }
    fetched = fetch_missing_french(store, Carhart4Model.files, download=served.__getitem__)
    assert fetched == [MOMENTUM_FILE]
    assert store.read_factors(MOMENTUM_FILE)["Mom"].iloc[0] == pytest.approx(0.0054, abs=1e-15)
    assert store.provenance(store.factors_path(MOMENTUM_FILE))["source"] == "ken-french-data-library"


@pytest.mark.parametrize("entry", ["dangling link", "folder"])
def test_fetch_missing_french_never_replaces_a_users_entry(tmp_path, entry) -> None:
    """A link in factors/ to a drive not mounted (is_file() False) was replaced by the download."""
    from eventstudy.data.store import CacheCorruptError

    store = PriceStore(tmp_path / "cache")
    path = store.factors_path(MOMENTUM_FILE)
    path.parent.mkdir(parents=True)
    path.mkdir() if entry == "folder" else path.symlink_to(tmp_path / "unmounted" / "mom.parquet")
    with pytest.raises(CacheCorruptError, match="not a cache file"):
        fetch_missing_french(store, [MOMENTUM_FILE], download=pytest.fail)
    assert path.is_dir() if entry == "folder" else path.is_symlink()


def test_fetch_errors_are_data_unavailable() -> None:
    def offline(url: str) -> bytes:
        raise OSError("network is unreachable")

    with pytest.raises(
        DataUnavailableError, match=r"cannot download .*F-F_Research_Data_Factors_daily_CSV\.zip"
    ) as caught:
        fetch_french(FF3_FILE, download=offline)
    # the next step, as for prices: import the files and run offline
    assert str(caught.value).endswith("eventstudy cache import PATH, and work offline (run --offline)")
    with pytest.raises(DataUnavailableError, match="is not a zip file"):
        fetch_french(FF3_FILE, download=lambda url: b"<html>moved</html>")


@pytest.mark.parametrize(
    "fault",
    [
        http.client.IncompleteRead(b"PK\x03\x04", 5000),
        http.client.BadStatusLine(""),
        http.client.RemoteDisconnected(),  # an OSError too
    ],
    ids=["closed mid-body", "bad status line", "closed before answering"],
)
def test_a_connection_fault_of_the_http_client_is_retried_then_data_unavailable(fault: Exception) -> None:
    # http.client's faults are not OSErrors: a download cut mid-body ended the run with a traceback.
    calls, sleeps = [], []

    def faulty(url: str) -> bytes:
        calls.append(url)
        raise fault

    with pytest.raises(DataUnavailableError, match=r"cannot download .*Factors_daily_CSV\.zip"):
        fetch_french(FF3_FILE, download=faulty, sleep=sleeps.append)
    transient = type(fault) is not http.client.BadStatusLine  # its subclass RemoteDisconnected is
    assert (len(calls), sleeps) == ((4, [2.0, 4.0, 8.0]) if transient else (1, []))


def test_a_timeout_is_retried_and_a_later_answer_used(factors_dir, ff3) -> None:
    answers = [TimeoutError("timed out"), ConnectionResetError("reset")]
    answers.append(zipped(factors_dir / f"{FF3_FILE}.csv", f"{FF3_FILE}.CSV"))
    sleeps = []

    def flaky(url: str) -> bytes:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    table = fetch_french(FF3_FILE, download=flaky, sleep=sleeps.append)
    assert sleeps == [2.0, 4.0]
    pd.testing.assert_frame_equal(table.frame, ff3.frame)


@pytest.mark.parametrize("status", [404, 500, 503])
def test_an_unavailable_service_is_retried_and_a_missing_file_is_not(factors_dir, status: int) -> None:
    """urllib's HTTPError of a 503 (the library's server "try again later") failed at once, as a 404
    does; a 502/503/504 is retried like Yahoo's, a 404 or a 500 is not."""
    answers: list[object] = [urllib.error.HTTPError("u", status, "said", email.message.Message(), None)]
    answers.append(zipped(factors_dir / f"{FF3_FILE}.csv", f"{FF3_FILE}.CSV"))
    sleeps: list[float] = []

    def once_failing(url: str) -> bytes:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, bytes)
        return answer

    if status == 503:
        assert len(fetch_french(FF3_FILE, download=once_failing, sleep=sleeps.append).frame) > 0
        assert sleeps == [2.0]
    else:
        with pytest.raises(DataUnavailableError, match=f"HTTP Error {status}"):
            fetch_french(FF3_FILE, download=once_failing, sleep=sleeps.append)
        assert sleeps == []


# -- user factor tables ---------------------------------------------------------------------------
def user_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": ["2025-01-02", "2025-01-03", "2025-01-06"],
            "MKT": [0.01, -0.02, ""],
            "AI": [0.003, 0.004, 0.005],
            "RF": [0.0002, 0.0002, 0.0002],
        }
    )


def test_user_csv_and_parquet_tables(tmp_path) -> None:
    csv = tmp_path / "f.csv"
    user_frame().to_csv(csv, index=False)
    table = read_user_factors(csv)
    assert table.columns == ("MKT", "AI", "RF")
    assert table.frame["MKT"].iloc[1] == -0.02
    assert np.isnan(table.frame["MKT"].iloc[2])  # empty cell: missing, not filled
    assert table.provenance["source_sha256"] == file_sha256(csv)
    parquet = tmp_path / "f.parquet"
    frame = user_frame().assign(date=lambda f: pd.to_datetime(f["date"]), MKT=[0.01, -0.02, np.nan])
    frame.to_parquet(parquet)
    pd.testing.assert_frame_equal(read_user_factors(parquet).frame, table.frame)


@pytest.mark.parametrize(
    ("edit", "row", "field", "message"),
    [
        (lambda f: f.assign(AI=["0.1", "x", "0.2"]), 3, "AI", "'x' is not a number"),
        (lambda f: f.assign(AI=["0.1", "1e-400", "0.2"]), 3, "AI", "'1e-400' is too small for a float"),
        (lambda f: f.assign(AI=[0.3, 1.64, 0.2]), 3, "AI", "decimal (0.0164 = 1.64%), not percent"),
        (lambda f: f.assign(date=["2025-01-02", "2025-01-06", "2025-01-03"]), 4, "date", "date out of order"),
        (lambda f: f.assign(date=["2025-01-02", "20250103", "2025-01-06"]), 3, "date", "is not a date"),
        # 584 years of nanoseconds later: once wrapped round to 2024-01-02 00:25:26 and kept
        (lambda f: f.assign(date=["2025-01-02", "2025-01-03", "2608-07-23"]), 4, "date", "is outside 1900"),
        (lambda f: f.assign(date=["2025-01-02", "2025-01-03", "2150-07-23"]), 4, "date", "is after today"),
        # the first bad row in file order, whichever check finds it (the year check once came first)
        (lambda f: f.assign(date=["2025-01-02", "2150-07-23", "2608-07-23"]), 3, "date", "is after today"),
        (lambda f: f.rename(columns={"date": "day"}), 1, "date", "no 'date' column"),
        (lambda f: f.rename(columns={"AI": "alpha"}), 1, "alpha", "reserved"),
        # a column's name is in a row's note, whose parts are apart by '; ' (a reviewer)
        (lambda f: f.rename(columns={"AI": "F; one"}), 1, "F; one", "a semicolon"),
    ],
)
def test_bad_user_table_names_file_row_and_field(tmp_path, edit, row, field, message) -> None:
    path = tmp_path / "f.csv"
    edit(user_frame()).to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        read_user_factors(path)
    assert (caught.value.path, caught.value.row, caught.value.field) == (str(path), row, field)
    assert message in caught.value.message


@pytest.mark.parametrize("marker", ["NA", "N/A", "null", "NULL", "None", "."])
def test_a_factor_file_reads_its_date_and_missing_cells_as_a_returns_panel_does(tmp_path, marker) -> None:
    """'Date' was 'no date column' and N/A, NULL, None or '.' 'not a number' in a factor file,
    where a returns panel takes them (columns are looked up ignoring case)."""
    path = tmp_path / "f.csv"
    user_frame().rename(columns={"date": "Date"}).assign(MKT=[0.01, -0.02, marker]).to_csv(path, index=False)
    table = read_user_factors(path).frame
    assert table["date"].tolist() == list(pd.to_datetime(user_frame()["date"]))
    assert table["MKT"].iloc[:2].tolist() == [0.01, -0.02] and np.isnan(table["MKT"].iloc[2])
    twins = tmp_path / "twins.csv"
    user_frame().assign(DATE=user_frame()["date"]).to_csv(twins, index=False)
    with pytest.raises(InputError) as caught:
        read_user_factors(twins)
    assert (caught.value.row, caught.value.field) == (1, "DATE")
    assert "differ only in case" in caught.value.message


@pytest.mark.parametrize(
    ("percent", "field"),
    [(("SMB", "RF"), "SMB"), (("RF",), "RF"), (("RMW",), "RMW"), ((), None)],
    ids=["all", "RF alone", "a calm factor alone", "decimals"],
)
def test_a_calm_factor_and_rf_in_percent_are_refused(
    tmp_path, percent: tuple[str, ...], field: str | None
) -> None:
    """A factor whose |values| stay below 1 in percent (s.d. 0.2%) and RF at 0-0.017% a day were
    read as decimals without a word: RF of up to 1.7% a day moved every CAR (by 4.8 points over
    [-5,+5]). So was decimal factors' RF pasted in percent, and a calm factor (French's RMW of
    1989: a median |value| of exactly 0.10 in percent). The same file in decimals is read as given."""
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2024-01-02", periods=250)
    columns = {
        "SMB": rng.normal(0, 0.002, days.size).clip(-0.0095, 0.0095),
        "RMW": np.round(rng.normal(0, 0.0015, days.size), 4),
        "RF": np.linspace(0.0, 0.00017, days.size),
    }
    frame = pd.DataFrame({"date": days.strftime("%Y-%m-%d")})
    for name, values in columns.items():
        frame[name] = values * (100 if name in percent else 1)
    path = tmp_path / "f.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    if field is None:
        table = read_user_factors(path).frame
        np.testing.assert_array_equal(table["RF"].to_numpy(), columns["RF"])
        return
    if field == "RMW":  # alone in its file, at the bound
        frame[["date", "RMW"]].assign(RMW=0.1 * np.sign(frame["RMW"] + 1e-9)).to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        read_user_factors(path)
    values = pd.read_csv(path)[field]
    median = float(np.median(np.abs(values[values != 0])))
    assert (caught.value.path, caught.value.row, caught.value.field) == (str(path), None, field)
    assert caught.value.message.startswith(f"the median |value| of {field} is {median:.4g} (")
    assert "Factor values must be decimal" in caught.value.message or "not percent" in caught.value.message


def test_a_high_inflation_risk_free_rate_in_decimals_is_read(tmp_path) -> None:
    """Zimbabwe's 200% a year is 0.0074 a day: refused as percent by a bound on RF alone, with
    advice to divide it by 100. Its factors move more than that."""
    rng = np.random.default_rng(5)
    days = pd.bdate_range("2022-01-03", periods=250)
    frame = pd.DataFrame(
        {"date": days.strftime("%Y-%m-%d"), "MKT": rng.normal(0, 0.03, days.size), "RF": 0.007368}
    )
    path = tmp_path / "f.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    assert (read_user_factors(path).frame["RF"] == 0.007368).all()


def test_a_percent_factor_is_named_by_its_value_not_numpys_repr(tmp_path) -> None:
    """A parquet factor of 1.64 was named np.float64(1.64) in the error."""
    path = tmp_path / "f.parquet"
    frame = user_frame().assign(date=lambda f: pd.to_datetime(f["date"]), MKT=[0.01, -0.02, np.nan])
    frame.assign(AI=[0.3, 1.64, 0.2]).to_parquet(path)
    with pytest.raises(InputError) as caught:
        read_user_factors(path)
    assert caught.value.message.startswith("'1.64' is a daily return of 100% or more")


@pytest.mark.parametrize(
    ("name", "content", "field", "message"),
    [
        ("twin.csv", "date,MKT,MKT\n2025-01-02,0.01,0.02\n", "MKT", "the column name 'MKT' appears twice"),
        ("blank.csv", "date,MKT,\n2025-01-02,0.01,0.02\n", None, "a column has no name"),
        ("ints.parquet", pd.DataFrame({"date": [20250102], "MKT": [0.01]}), "date", "a number, not a date"),
        (
            "zoned.parquet",
            pd.DataFrame({"date": pd.to_datetime(["2025-01-02"]).tz_localize("UTC"), "MKT": [0.01]}),
            "date",
            "not times in a time zone",
        ),
    ],
)
def test_a_user_factor_file_pandas_would_misread_is_refused(tmp_path, name, content, field, message) -> None:
    """pandas renamed a twin column 'MKT.1' and a blank one 'Unnamed: 2' (both fitted as factors,
    every fit singular), and read an integer date 20250102 as nanoseconds after 1970."""
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content)
    else:
        content.to_parquet(path)
    with pytest.raises(InputError) as caught:
        read_user_factors(path)
    assert (caught.value.row, caught.value.field) == (2 if path.suffix == ".parquet" else 1, field)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "dates",
    [
        np.array(["2025-01-02", "2025-01-03", "9999-12-31"], dtype="datetime64[us]"),
        ["2025-01-02", "2025-01-03", "2608-07-23"],
    ],
)
def test_a_parquet_date_past_a_timestamp_is_refused_not_wrapped(tmp_path, dates) -> None:
    path = tmp_path / "f.parquet"
    user_frame().assign(date=dates, MKT=[0.01, -0.02, np.nan]).to_parquet(path)
    with pytest.raises(InputError, match=r"is outside 1900\.\.2199") as caught:
        read_user_factors(path)
    assert (caught.value.row, caught.value.field) == (4, "date")


def test_parquet_dates_are_read_as_a_csvs_text_or_refused_with_a_time_of_day(tmp_path) -> None:
    """A parquet factor file's text dates were parsed by pandas' guess ('05/01/2024', meant as
    5 January, became 1 May), and 16:00 timestamps loaded and then matched no session, so every
    factor value was missing (an audit)."""
    path = tmp_path / "f.parquet"
    for dates, words in (
        (["05/01/2024", "08/01/2024", "09/01/2024"], "'05/01/2024' is not a date YYYY-MM-DD"),
        (pd.to_datetime(["2024-01-02 16:00", "2024-01-03 16:00", "2024-01-04 16:00"]), "has a time of day"),
    ):
        user_frame().assign(date=dates, MKT=[0.01, -0.02, 0.0]).to_parquet(path)
        with pytest.raises(InputError) as caught:
            read_user_factors(path)
        assert (caught.value.row, caught.value.field) == (2, "date") and words in caught.value.message
    user_frame().assign(MKT=[0.01, -0.02, 0.0]).to_parquet(path)  # ISO text, as in a CSV
    assert read_user_factors(path).frame["date"].dt.day.tolist() == [2, 3, 6]


def test_a_bad_cell_after_blank_lines_is_named_by_its_line(tmp_path) -> None:
    """pandas' reader skipped the blank lines and the error counted records: 'abc' on line 6
    was reported on row 4."""
    path = tmp_path / "f.csv"
    path.write_text("date,MKT\n2025-01-02,0.01\n\n\n2025-01-03,0.02\n2025-01-06,abc\n")
    with pytest.raises(InputError) as caught:
        read_user_factors(path)
    assert (caught.value.row, caught.value.field) == (6, "MKT")
    path.write_text("date,MKT\n\n2025-01-03,0.02\n\n2025-01-02,0.01\n")
    with pytest.raises(InputError, match="date out of order") as caught:
        read_user_factors(path)
    assert caught.value.row == 5


@pytest.mark.parametrize("name", ["rf", "Rf"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_risk_free_column_not_spelt_rf_is_refused_not_fitted(tmp_path, name, suffix) -> None:
    """Only 'RF' is the offset: 'rf' was fitted as a factor without a word (the dependent
    variable then no longer the excess return; on 2023-25's near-constant rate every fit was
    singular)."""
    path = tmp_path / f"f{suffix}"
    frame = user_frame().rename(columns={"RF": name})
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.assign(date=pd.to_datetime(frame["date"]), MKT=[0.01, -0.02, np.nan]).to_parquet(path)
    with pytest.raises(InputError, match="is the column 'RF'; rename it") as caught:
        read_user_factors(path)
    assert (caught.value.path, caught.value.row, caught.value.field) == (str(path), 1, name)


def test_factor_columns_differing_only_in_case_are_refused_as_column_names(tmp_path) -> None:
    """'MKT' and 'mkt' (or 'RF' and 'rf') were refused with the cache's reason for identifiers
    (one file on a case-insensitive file system), which says nothing of a factor file."""
    path = tmp_path / "f.csv"
    path.write_text("date,MKT,mkt\n2025-01-02,0.01,0.02\n")
    with pytest.raises(InputError) as caught:
        read_user_factors(path)
    assert (caught.value.row, caught.value.field) == (1, "mkt")
    assert caught.value.message == (
        "'mkt' and 'MKT' differ only in case: column names are compared ignoring case"
    )


def test_a_factor_file_that_is_parquet_named_csv_says_so(tmp_path: Path) -> None:
    """A Ken French file that is parquet read its bytes as Latin-1 ("row 351: 1 fields, expected 2
    (date and ´àÂ)"), and a factors_file that is parquet named .csv was "not a readable CSV file
    (UnicodeDecodeError)" (a finder)."""
    french = tmp_path / "F-F_Research_Data_Factors_daily.csv"
    pd.DataFrame({"date": ["20240102"], "Mkt-RF": [0.1]}).to_parquet(french)
    with pytest.raises(InputError) as caught:
        parse_french_csv(french)
    assert caught.value.message == "a parquet file (it begins PAR1), not CSV text: export it as CSV"
    mine = tmp_path / "my_factors.csv"
    pd.DataFrame({"date": ["2024-01-02"], "rf": [0.0001]}).to_parquet(mine)
    with pytest.raises(InputError) as caught:
        read_user_factors(mine)
    assert (caught.value.path, caught.value.message) == (
        str(mine),
        "a parquet file (it begins PAR1), not CSV text: name it .parquet or .pq",
    )
