"""Reading a user's CSV as text cells (:func:`eventstudy.data.tabular.read_text_table`): the same
records, cells and row numbers as Python's ``csv`` module over ``io.StringIO(text,
newline="")`` (the oracle), whatever the line ends, quoting and blank lines; and a large file
read without holding copies of its text."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.data.tabular import read_text_table
from eventstudy.errors import InputError


def oracle(text: str) -> tuple[list[str], list[list[str]], list[int]] | str:
    """Header, stripped cells and line numbers of the non-blank records, or the error's kind."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader)]
        rows, lines = [], []
        last = reader.line_num
        for fields in reader:
            first, last = last + 1, reader.line_num  # a record's row is its first line
            if not fields or all(not value.strip() for value in fields):
                continue
            if len(fields) != len(header):
                return f"row {first}"
            rows.append([value.strip() for value in fields])
            lines.append(first)
    except csv.Error:
        return f"row {reader.line_num}"
    return header, rows, lines


CELL = st.text(alphabet=st.sampled_from(list('ab1 ,"\r\n\t\u2028\x85\x0b\x0c')), max_size=6)
END = st.sampled_from(["\n", "\r\n", "\r"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(CELL, min_size=2, max_size=2), min_size=1, max_size=6), END, st.booleans())
def test_cells_and_rows_are_the_csv_modules(tmp_path_factory, rows, end, quote) -> None:
    lines = ["a,b"]
    for row in rows:
        cells = [f'"{c.replace(chr(34), chr(34) * 2)}"' if quote else c for c in row]
        lines.append(",".join(cells))
    text = end.join(lines) + end
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    path.write_bytes(text.encode("utf-8"))
    expected = oracle(text)
    try:
        table = read_text_table(path)
    except InputError as exc:
        refusal = str(exc)
    else:
        refusal = ""
    if refusal:  # the oracle's error row, or a header without rows
        if isinstance(expected, str):  # the same row: ", row 1" is not ", row 12"
            assert re.search(rf", {expected}\b", refusal), (refusal, expected)
        else:
            assert not expected[1], refusal
        return
    assert not isinstance(expected, str), (expected, table)
    header, cells, numbers = expected
    assert list(table.header) == header
    assert table.cells.tolist() == cells
    assert [table.row_of(i) for i in range(len(cells))] == numbers


READ_BIG = r"""
import resource, sys
from pathlib import Path
from eventstudy.data.tabular import read_text_table
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
table = read_text_table(Path(sys.argv[1]))
print(table.cells.shape[0], (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""


def test_a_large_csv_is_read_without_copies_of_its_text(tmp_path: Path) -> None:
    """600,000 rows (16 MB): the cells' strings and their (R, C) array are what must be held
    (the peak grew by about 40 bytes a cell over the interpreter's); the text in a line buffer (4
    bytes a character), a list per row and a fixed-width copy of every cell once made it 220."""
    rng = np.random.default_rng(0)
    n = 600_000
    path = tmp_path / "big.csv"
    values = rng.normal(size=n)
    body = "\n".join(f"ID{i % 997:04d},2024-01-{1 + i % 28:02d},{x:.6f}" for i, x in enumerate(values))
    path.write_text("id,date,ret\n" + body + "\n")
    command = [sys.executable, "-c", READ_BIG, str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    rows, grown_mb = done.stdout.split()
    assert int(rows) == n
    per_cell = float(grown_mb) * 2**20 / (3 * n)
    assert per_cell < 110, f"{per_cell:.0f} bytes a cell"


def test_a_categorical_parquet_column_is_read_as_its_text(tmp_path: Path) -> None:
    """pandas writes a categorical column as a dictionary array; it was refused as "column type
    dictionary<values=string, ...> is not a date, number or text". Its values are read as the
    plain column's, dates and numbers included."""
    frame = pd.DataFrame(
        {
            "id": ["AAA", "AAA", "BBB"],
            "date": ["2025-01-02", "2025-01-03", "2025-01-02"],
            "ret": [0.01, -0.02, 0.003],
        }
    )
    plain, categorical = tmp_path / "plain.parquet", tmp_path / "categorical.parquet"
    frame.to_parquet(plain, index=False)
    frame.assign(
        id=frame["id"].astype("category"),
        date=pd.to_datetime(frame["date"]).astype("category"),
        ret=frame["ret"].astype("category"),
    ).to_parquet(categorical, index=False)
    assert pq.read_schema(categorical).field("id").type.value_type == pa.string()  # a dictionary
    expected = read_text_table(plain).cells
    np.testing.assert_array_equal(read_text_table(categorical).cells, expected)
    assert expected[2].tolist() == ["BBB", "2025-01-02", "0.003"]


def test_a_decimal_parquet_column_is_read_as_its_digits(tmp_path: Path) -> None:
    """A decimal128 column (a database's NUMERIC export) was refused as "not a date, number or
    text"; its exact digits are read as a CSV file's text is, to the same float."""
    import decimal

    values = [decimal.Decimal("0.012300000000000000000"), decimal.Decimal("-0.1"), None]
    table = pa.table({"id": ["A", "A", "A"], "date": ["2025-01-02", "2025-01-03", "2025-01-06"]})
    table = table.append_column("ret", pa.array(values, type=pa.decimal128(21, 21 - 1)))
    path = tmp_path / "returns.parquet"
    pq.write_table(table, path)
    cells = read_text_table(path).column("ret")
    assert [float(cell) if cell else None for cell in cells] == [0.0123, -0.1, None]
    assert cells[0] == "0.01230000000000000000"


def test_a_column_of_another_type_is_refused_only_when_it_is_read(tmp_path: Path) -> None:
    """A parquet AR panel with a column of lists beside its id, tau and ar (a notes column the
    panel's writer kept) was refused, though no reader asks for it; read, it is named."""
    from eventstudy import infer
    from eventstudy.errors import InputError

    path = tmp_path / "ar.parquet"
    frame = pd.DataFrame({"id": ["A", "B"], "tau": [0, 0], "ar": [0.01, 0.03], "tags": [["x"], ["y", "z"]]})
    frame.to_parquet(path)
    table = read_text_table(path)
    assert table.column("ar").tolist() == ["0.01", "0.03"]
    with pytest.raises(InputError) as caught:
        table.column("tags")
    assert (caught.value.row, caught.value.field) == (2, "tags")
    assert caught.value.message.startswith("column type list<element: string> is not a date, number or text")
    result = infer(path, units="decimal", statistics=["caar"], windows=[(0, 0)])
    assert result.stats["value"].tolist() == [pytest.approx(0.02)]
    wide = tmp_path / "wide.parquet"
    pd.DataFrame({"tau": [0, 1], "A": [0.01, 0.02], "B": [["x"], ["y"]]}).to_parquet(wide)
    with pytest.raises(InputError) as caught:  # a wide panel's every other column is a pair's
        infer(wide, units="decimal")
    assert (caught.value.row, caught.value.field) == (2, "B")
