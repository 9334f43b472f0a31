"""``eventstudy verify``: an untouched folder is identical; a changed table or input is named."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _launch_run import copy_output
from _report_checks import older_copy, resealed
from _small_study import make_cache, make_study, run_args

import eventstudy
from eventstudy.cli import main
from eventstudy.config import load_config
from eventstudy.data.store import PriceStore
from eventstudy.errors import InputError
from eventstudy.output.export import write_parquet
from eventstudy.output.schema import SCHEMAS
from eventstudy.output.verify import ROUNDED, compare_inputs, compare_tables, config_from_manifest

ROOT = Path(__file__).resolve().parents[1]


def test_config_round_trips_through_the_manifest() -> None:
    config = load_config(ROOT / "launch.toml")
    assert config_from_manifest(json.loads(json.dumps(config.to_dict()))) == config


def test_unknown_config_key_is_named() -> None:
    with pytest.raises(InputError, match=r"config\.colour"):
        config_from_manifest({"name": "x", "colour": "blue"})


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("backtest", "x", "'x' is not a backtest setting"),
        ("backtest", {"entry": 5}, "{'entry': 5} is not a backtest setting"),
        ("share_caveats", [{"x": 1}], "is not a share_caveats setting"),
        ("statistics", 5, "5 is not a statistics setting"),
        ("crosssection", ["a"], "is not a crosssection setting"),
        ("event_windows", [], "give at least one window"),
        ("market", 5, "5 is not a ticker symbol"),
    ],
)
def test_a_bad_recorded_setting_names_its_key_not_pythons_error(key, value, said) -> None:
    """A manifest whose config held ``backtest = "x"`` was refused as "field 'config': invalid
    configuration (string indices must be integers, not 'str')": Python's words, no key."""
    recorded = load_config(ROOT / "launch.toml").to_dict()
    with pytest.raises(InputError) as caught:
        config_from_manifest({**recorded, key: value})
    assert caught.value.field == f"config.{key}"
    assert said in caught.value.message and "indices" not in caught.value.message


def test_compare_tables_of_nullable_columns_with_missing_cells() -> None:
    """car.parquet's confounded (nullable boolean, <NA> where no earnings screen ran) differing
    after an <NA> cell ended verify in 'boolean value of NA is ambiguous' (exit 1 as a
    difference is)."""
    flags = pd.DataFrame({"confounded": pd.array([None, True, False], dtype="boolean")})
    changed = flags.assign(confounded=pd.array([None, True, True], dtype="boolean"))
    difference = compare_tables("car", flags, changed)
    assert difference is not None and list(difference.columns) == ["confounded"]
    assert compare_tables("car", flags, flags.copy()) is None
    unscreened = flags.assign(confounded=pd.array([True, True, False], dtype="boolean"))
    assert list(compare_tables("car", flags, unscreened).columns) == ["confounded"]  # NA -> True
    names = pd.DataFrame({"note": pd.array([None, "a"], dtype="string")})
    renamed = names.assign(note=pd.array([None, "b"], dtype="string"))
    assert list(compare_tables("t", names, renamed).columns) == ["note"]


def test_compare_tables_names_columns_and_largest_difference() -> None:
    old = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": ["x", "y", "z"], "c": [1, 2, 3]})
    assert compare_tables("t", old, old.copy()) is None  # NaN equals NaN
    new = old.assign(a=[1.0, np.nan, 3.5], b=["x", "y", "Z"])
    difference = compare_tables("t", old, new)
    assert difference.columns.keys() == {"a", "b"}
    assert difference.columns["a"] == pytest.approx(0.5)
    assert "a (max abs diff 0.5)" in difference.describe()
    assert np.isinf(compare_tables("t", old, old.assign(a=[1.0, 2.0, 3.0])).columns["a"])
    assert "columns differ" in compare_tables("t", old, old.drop(columns="c")).problem


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([2.5, 1.0], [2.5, np.inf]),
        ([2.5, np.inf], [2.5, 1.0]),
        ([np.inf, 1.0], [-np.inf, 1.0]),
        ([1.0], [np.inf]),
    ],
    ids=["finite to inf", "inf to finite", "inf to -inf", "every value"],
)
def test_a_value_turning_infinite_is_a_difference_not_rounding(before, after) -> None:
    """The rounding tolerance is relative to the larger value, which is infinite: a CAR made +inf
    verified as 'identical' with the note 'values equal to floating-point rounding'."""
    difference = compare_tables("car", pd.DataFrame({"car": before}), pd.DataFrame({"car": after}))
    assert difference is not None and difference.problem == "values differ"
    assert np.isinf(difference.columns["car"])
    # said so, not 'max abs diff inf' (a band gone missing in 11 rows read as an infinite move)
    assert difference.describe() == (
        "car: values differ: car (a value missing or infinite, or a difference beyond the float range)"
    )


def test_a_statistic_is_rounding_only_against_values_of_its_own_kind() -> None:
    """stats.parquet's ``value`` column holds t statistics beside dollar totals of 1.4e12: the
    near-zero tolerance, a thousandth of the column's largest value times 1e-9, let a t statistic
    move from -0.09 to -0.5, and a count of rows from 3 to 3.9, verify as 'identical'."""
    kinds = ["corrado_rank_z", "dominant_day_rows", "dollar_abnormal_value", "corrado_rank_z", "caar"]
    values = [-0.0858, 3.0, 1.37e12, 1e-17, 0.065]
    old = pd.DataFrame({"group": ["all", "all", "all", "ai", "ai"], "statistic": kinds, "value": values})
    for row, changed in ((0, -0.5), (1, 3.9), (4, 0.06538)):
        new = old.copy()
        new.loc[row, "value"] = changed
        difference = compare_tables("stats.parquet", old, new)
        assert difference is not None and difference.problem == "values differ", (row, changed)
    rounding = old.copy()
    rounding.loc[3, "value"] = -3e-17  # near 0 against its kind's largest, 0.0858
    rounding.loc[2, "value"] = np.nextafter(1.37e12, 0)
    assert compare_tables("stats.parquet", old, rounding).problem == ROUNDED


def test_values_equal_to_rounding_are_a_note_and_anything_larger_a_difference() -> None:
    """Another CPU rounds the same computation differently (the launch study's statistics moved
    by up to 4e-16 between two machines): the same to rounding is not a difference, and a
    change a millionth of the value is."""
    old = pd.DataFrame({"t": [2.5, -1.25, 3.0], "near_zero": [1e-17, 0.4, -0.2], "n": [3, 4, 5]})
    ulps = old.assign(t=np.nextafter(old["t"], np.inf), near_zero=[-3e-17, 0.4, -0.2])
    rounded = compare_tables("t", old, ulps)
    assert rounded is not None and rounded.problem == ROUNDED
    assert rounded.columns == {"t": pytest.approx(4.5e-16), "near_zero": pytest.approx(4e-17)}
    for changed in (
        old.assign(t=old["t"] * (1 + 1e-6)),
        old.assign(near_zero=[1e-9, 0.4, -0.2]),  # 2.5e-9 of the column's largest value
        old.assign(n=[3, 4, 6]),

        old.assign(t=[2.5, np.nan, 3.0]),
    ):
        difference = compare_tables("t", old, changed)
        assert difference is not None and difference.problem == "values differ", changed
    big = old.assign(n=[3_000_000_000_000, 4, 5])  # a count differs by 1 in 3e12: not rounding
    one_more = compare_tables("t", big, big.assign(n=[3_000_000_000_001, 4, 5]))
    assert one_more is not None and one_more.problem == "values differ"


def test_compare_inputs_ignores_provenance() -> None:
    old = {
        "events": {"sha256": "a" * 64},
        "prices": {"SPY": {"content_sha256": "b" * 64, "provenance": {"x": 1}}},
    }
    same = json.loads(json.dumps(old))
    same["prices"]["SPY"]["provenance"] = {"x": 2}
    assert compare_inputs(old, same) == []
    changed = json.loads(json.dumps(old))
    changed["prices"]["SPY"]["content_sha256"] = "c" * 64
    assert compare_inputs(old, changed) == ["prices.SPY.content_sha256: bbbbbbbbbbbb -> cccccccccccc"]
    # A manifest of before the factor tables were inputs: their record (the re-run's) is not
    # a difference (the model's record holds their content hashes); once recorded, it is.
    factors = {"factors": {"F": {"content_sha256": "d" * 64, "provenance": {}}}}
    assert compare_inputs(old, {**same, **factors}) == []
    assert compare_inputs({**old, **factors}, same) == ["factors.F.content_sha256: dddddddddddd -> absent"]


@pytest.fixture
def folder(launch_cache, tmp_path) -> Path:
    return copy_output(str(launch_cache), tmp_path / "study")


def test_verify_untouched_folder_is_identical(folder, capsys) -> None:
    assert main(["verify", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "identical" in out and "DIFFERENT" not in out


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PriceStore]:
    """The small synthetic study's output folder and its cache (read-only for the tests)."""
    root = tmp_path_factory.mktemp("small-run")
    events, config = make_study(root / "study")
    cache = make_cache(root / "cache")
    out = root / "out"
    assert main(run_args(events, config, cache.root, out)) == 0
    return out, cache


def test_a_manifest_or_table_that_is_a_pipe_is_one_line_never_a_hang(small_run, tmp_path, capsys) -> None:
    """verify and load_study read manifest.json without asking what it was: a named pipe in its
    place hung both forever (an audit), as one in a table's place hung load_study."""
    from eventstudy import load_study

    for name in ("manifest.json", "car.parquet"):
        folder = tmp_path / name.split(".")[0]
        shutil.copytree(small_run[0], folder)
        (folder / name).unlink()
        os.mkfifo(folder / name)
        with pytest.raises(InputError) as caught:
            load_study(folder)
        if name == "car.parquet":
            assert caught.value.path == str(folder / name) and "not a regular file" in caught.value.message
        else:  # said as what stands there, by verify too (exit 1, as for a link there: a re-attack)
            assert caught.value.message.startswith("'manifest.json' is a pipe or device, not the file")
            capsys.readouterr()
            assert main(["verify", str(folder)]) == 1
            lines = capsys.readouterr().out.splitlines()[1:]
            assert lines == ["  folder manifest.json: a pipe or device, not the file the run wrote"]


def test_verify_names_a_deleted_table_once(small_run, tmp_path, capsys) -> None:
    """car.parquet deleted was said twice: 'folder car.parquet: missing' and 'file car.parquet:
    missing in the folder' (a finder)."""
    folder = tmp_path / "study"
    shutil.copytree(small_run[0], folder)
    (folder / "car.parquet").unlink()
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "DIFFERENT" in out and out.count("car.parquet") == 1 and "folder car.parquet: missing" in out
    # a re-attack: a folder, or a link to nothing, in the table's place was said twice or three times
    (folder / "car.parquet").mkdir()
    (folder / "car.parquet" / "part-0.parquet").write_bytes(b"PAR1")
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out  # said once, as what stands there (was 'car.parquet/...' and 'missing')
    assert out.count("car.parquet") == 1 and "folder car.parquet: a folder, not the file the run wrote" in out
    shutil.rmtree(folder / "car.parquet")
    (folder / "car.parquet").symlink_to(tmp_path / "nowhere.parquet")
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert out.count("car.parquet") == 1 and "a link" in out


@pytest.mark.parametrize("stands", ["link to another run's figures", "file"])
def test_verify_names_a_replaced_figures_folder_once(small_run, tmp_path, capsys, stands: str) -> None:
    """figures/ replaced by a link to another run's figures printed 13 lines: 'figures: not written
    by the run', each PNG 'missing', then each PNG's 'bytes differ' (a review)."""
    folder = tmp_path / "study"
    shutil.copytree(small_run[0], folder)
    other = tmp_path / "other-figures"
    shutil.copytree(folder / "figures", other)
    for png in other.iterdir():
        png.write_bytes(png.read_bytes() + b"x")
    shutil.rmtree(folder / "figures")
    if stands == "file":
        (folder / "figures").write_text("mine")
    else:
        (folder / "figures").symlink_to(other)
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if "figures" in line]
    what = "a file" if stands == "file" else "a link"
    assert lines == [f"  folder figures: {what}, not the folder the run wrote"]


def test_verify_names_a_changed_value(small_run, tmp_path, capsys) -> None:
    folder = tmp_path / "study"
    shutil.copytree(small_run[0], folder)
    car = pd.read_parquet(folder / "car.parquet")
    car.loc[5, "car"] += 0.001
    write_parquet(car, folder / "car.parquet", docs=SCHEMAS["car.parquet"])
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "DIFFERENT" in out
    assert "folder car.parquet: changed since the run of manifest.json wrote it" in out
    line = next(x for x in out.splitlines() if x.startswith("  file   car.parquet"))
    assert "values differ: car (max abs diff 0.001)" in line
    assert "ar.parquet" not in out.replace("car.parquet", "")


def test_a_rounding_difference_is_blamed_on_another_machine_only_when_one_is_recorded(
    small_run, tmp_path, monkeypatch, capsys
) -> None:
    """A CAR edited by one unit in the last place and the manifest resealed verified with the
    note '(another CPU, BLAS or library version)' on the machine, versions and commit of the run."""
    from _report_checks import resealed

    from eventstudy.output import manifest as manifests

    folder = tmp_path / "study"
    shutil.copytree(small_run[0], folder)
    table = pq.read_table(folder / "car.parquet")
    car = table.to_pandas()
    car.loc[5, "car"] = np.nextafter(car.loc[5, "car"], np.inf)
    edited = pa.Table.from_pandas(car, schema=table.schema, preserve_index=False)
    pq.write_table(edited, folder / "car.parquet")
    resealed(folder)
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "car.parquet: values equal to floating-point rounding: car" in out
    assert "(no recorded version, BLAS, system or commit differs: " in out and "another CPU" not in out
    manifest = json.loads((folder / "manifest.json").read_text())
    for name in ("report.md", "report.html"):  # as written at another commit
        page = (folder / name).read_text(encoding="utf-8")
        (folder / name).write_text(page.replace(manifest["git_commit"], "0" * 40), encoding="utf-8")
    manifest["git_commit"] = "0" * 40
    (folder / "manifest.json").write_text(json.dumps(manifest))
    resealed(folder)
    assert main(["verify", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "(another commit of eventstudy)" in out and f"project commit: {'0' * 40} -> " in out
    monkeypatch.setattr(manifests, "_blas", lambda: "mkl 2024.1 (SkylakeX)")
    assert main(["verify", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "(another CPU, BLAS or library version)" in out and "version of blas: " in out


@pytest.mark.parametrize("damage", ["truncated", "fifo", "dev-zero", "link-to-a-copy"])
def test_a_damaged_or_replaced_file_is_named_never_hangs_or_crashes(
    small_run, tmp_path, capsys, damage
) -> None:
    """A truncated parquet file (an interrupted copy) crashed verify with pyarrow's traceback; a
    pipe or a link to /dev/zero in a recorded file's place hung it forever; a link to an outside
    copy of the same bytes verified identical, though run and report refuse such a folder."""
    folder = tmp_path / "study"
    shutil.copytree(small_run[0], folder)
    name = "car.parquet" if damage in ("truncated", "link-to-a-copy") else "tables.md"
    target = folder / name
    if damage == "truncated":
        target.write_bytes(target.read_bytes()[:1000])
    else:
        copy = tmp_path / "elsewhere"
        shutil.copy(target, copy)
        target.unlink()
        if damage == "fifo":
            os.mkfifo(target)
        else:
            target.symlink_to("/dev/zero" if damage == "dev-zero" else copy)
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert "DIFFERENT" in out and "Traceback" not in err
    expected = {
        "truncated": "car.parquet: changed since the run of manifest.json wrote it",
        "fifo": "tables.md: a link, pipe or device, not the file the run wrote",
        "dev-zero": "tables.md: a link, pipe or device, not the file the run wrote",
        "link-to-a-copy": "car.parquet: a link, pipe or device, not the file the run wrote",
    }[damage]
    assert expected in out
    if damage == "truncated":
        assert "car.parquet: not a readable parquet file (damaged or truncated)" in out


def test_a_parquet_file_whose_column_contradicts_its_pandas_metadata_is_a_difference(
    small_run, tmp_path, capsys
) -> None:
    """car.parquet with its boolean ``confounded`` column rewritten as text, the file's own
    metadata (pandas' included) kept: verify printed "changed since the run" and then died in
    pandas' TypeError (a finder), exit 1 with a traceback; load_study too."""
    folder = tmp_path / "study"
    shutil.copytree(small_run[0], folder)
    table = pq.read_table(folder / "car.parquet")
    index = table.schema.get_field_index("confounded")
    text = pa.array([str(v) for v in table.column("confounded").to_pylist()], pa.string())
    table = table.set_column(index, pa.field("confounded", pa.string()), text)
    pq.write_table(table.replace_schema_metadata(table.schema.metadata), folder / "car.parquet")
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "car.parquet: not a readable parquet file" in out, (out, err)
    resealed(folder)  # the file's hash recorded again: a load reads it
    with pytest.raises(InputError, match=r"car\.parquet.*not a readable parquet file"):
        eventstudy.load_study(folder)


@pytest.mark.parametrize("damage", ["index-missing", "interval-type", "unknown-zone", "range-overflow"])
def test_a_parquet_file_whose_pandas_metadata_pandas_cannot_follow_is_a_difference(
    small_run, tmp_path, capsys, damage
) -> None:
    """The pandas metadata of car.parquet edited (an index column that is not there, a text
    column said to be intervals, a time zone no database has): verify ended in pandas' or
    pytz's KeyError or AttributeError with a traceback (a finder), and so did report."""
    folder = tmp_path / "study"
    shutil.copytree(small_run[0], folder)
    table = pq.read_table(folder / "car.parquet")
    meta = json.loads(table.schema.metadata[b"pandas"])
    changes = {
        "index-missing": ("", {}),
        "range-overflow": ("", {}),
        "interval-type": ("ticker", {"numpy_type": "interval[int64, right]"}),
        "unknown-zone": (
            "day0",
            {
                "pandas_type": "datetimetz",
                "numpy_type": "datetime64[ns]",
                "metadata": {"timezone": "Mars/Olympus"},
            },
        ),
    }
    name, change = changes[damage]
    if damage == "index-missing":
        meta["index_columns"] = ["__index_level_0__"]
    if damage == "range-overflow":  # OverflowError: Python int too large to convert to C ssize_t
        meta["index_columns"] = [{"kind": "range", "name": None, "start": 0, "stop": 10**30, "step": 1}]
    for column in meta["columns"]:
        if column["name"] == name:
            column.update(change)
    metadata = {**table.schema.metadata, b"pandas": json.dumps(meta).encode()}
    pq.write_table(table.replace_schema_metadata(metadata), folder / "car.parquet")
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "car.parquet: not a readable parquet file" in out, (out, err)
    resealed(folder)
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "car.parquet" in err and "not a readable parquet file" in err, err


def test_a_manifest_of_the_older_layout_with_the_backtest_beside_the_config_verifies(
    small_run, tmp_path, capsys
) -> None:
    """Manifests of 3982b89..8d91b4c kept the backtest rule at the top level (config.backtest
    null) and lack the settings added since (read as their defaults); the record comparison
    called them DIFFERENT."""
    folder = tmp_path / "study"
    shutil.copytree(small_run[0], folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["config"]["backtest"] is not None
    manifest["backtest"], manifest["config"]["backtest"] = manifest["config"]["backtest"], None
    for key in ("variance", "exclude_confounded"):  # settings 8d91b4c did not record
        del manifest["config"][key]
    for key in ("calendar_time", "calendar_time_frequency"):
        del manifest["backtest"][key]
    del manifest["manifest_sha256"]  # nor did they seal the manifest
    del manifest["inputs"]["events"]["content_sha256"]  # nor hash the events' content
    assert manifest.pop("p_from")["caar"] == "cross_sectional_t"  # nor which rows repeat a p
    for key in ("units", "caar_band", "p_family"):  # nor the statistics' units, the band, the family
        manifest.pop(key, None)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 0, capsys.readouterr().out


def test_an_older_folders_adjusted_p_values_are_explained(small_run, tmp_path, capsys) -> None:
    """A folder written before p_family, adjusted over the group's every window and test, was
    reported with 'p_bh (max abs diff 0.791)' and no cause (a referee)."""
    unchanged = older_copy(small_run[0], tmp_path / "unchanged", "p_family")  # same p's, older captions
    assert main(["report", str(unchanged)]) == 0
    capsys.readouterr()
    assert main(["verify", str(unchanged)]) == 1
    out = capsys.readouterr().out.replace("\n  ", " ")
    assert "the report's multiple-testing captions: p_bh and p_holm of this folder were adjusted" in out, out
    folder = tmp_path / "study"
    shutil.copytree(small_run[0], folder)
    path = folder / "stats.parquet"
    table = pq.read_table(path)
    frame = table.to_pandas()
    frame["p_bh"] = frame["p_bh"] / 2  # another family's adjusted p's
    edited = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(edited.replace_schema_metadata(table.schema.metadata), path)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({k: v for k, v in manifest.items() if k != "p_family"}))
    resealed(folder)
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "stats.parquet: values differ: p_bh" in out
    assert (
        "stats.parquet: p_bh and p_holm of this folder were adjusted over each group's every window and test "
        "(its manifest records no p_family: an older version's); this version adjusts over each statistic's "
        "windows in its group (statistic_windows)"
    ) in out.replace("\n  ", " "), out
    resealed_with_family = json.loads((folder / "manifest.json").read_text())
    resealed_with_family["p_family"] = "statistic_windows"
    (folder / "manifest.json").write_text(json.dumps(resealed_with_family))
    resealed(folder)
    assert main(["verify", str(folder)]) == 1
    assert "an older version's" not in capsys.readouterr().out  # an edit of this version's folder


def test_an_older_folders_totals_over_no_event_are_explained(folder, capsys) -> None:
    """A folder written before the value-per-deal totals over no qualifying event were NaN held
    $0 there (the launch's shock group): verify said 'values differ: value', not why (a finder)."""
    path = folder / "stats.parquet"
    table = pq.read_table(path)
    frame = table.to_pandas()
    empty = frame["statistic"].isin(["total_abnormal_value_usd", "total_deal_usd"]) & (frame["n"] == 0)
    assert empty.sum() == 22 and frame.loc[empty, "value"].isna().all()  # the launch's, this version's
    frame.loc[empty, "value"] = 0.0  # as an older version wrote them
    edited = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(edited.replace_schema_metadata(table.schema.metadata), path)
    resealed(folder)  # as this commit wrote it: an edit, not an older version's (a re-attack)
    assert main(["verify", str(folder)]) == 1
    assert "an older version's" not in capsys.readouterr().out
    resealed(folder, git_commit="0" * 40)  # another commit wrote it
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out.replace("\n  ", " ")
    assert "stats.parquet: values differ: value" in out
    assert (
        "stats.parquet: 22 rows of total_abnormal_value_usd and total_deal_usd over no event with a "
        "disclosed deal (n = 0) are 0 in this folder (an older version's); this version writes NaN"
    ) in out, out


def test_an_older_folders_missing_few_cluster_notes_are_explained(folder, capsys) -> None:
    """A folder written before cluster rows with fewer than 20 clusters carried a note holds none
    there: verify said 'values differ: note', not why (the session's own known gap)."""
    path = folder / "crosssection.parquet"
    table = pq.read_table(path)
    frame = table.to_pandas()
    few = frame["note"].str.contains("over-rejects with few clusters", regex=False)
    assert few.sum() > 0 and (frame.loc[few, "cov_type"] == "cluster").all()  # the launch's 10 clusters
    noted = frame.loc[few, "note"].copy()
    frame.loc[few, "note"] = ""  # as an older version wrote them
    edited = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(edited.replace_schema_metadata(table.schema.metadata), path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["git_commit"] = "0" * 40  # another commit wrote it, sealed; the table then edited
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    assert main(["verify", str(folder)]) == 1
    assert "an older version's" not in capsys.readouterr().out  # 'changed since the run wrote it'
    resealed(folder, git_commit="0" * 40)
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out.replace("\n  ", " ")
    assert "crosssection.parquet: values differ: note" in out
    assert (
        f"crosssection.parquet: {int(few.sum())} cluster rows with fewer than 20 clusters have no note in "
        "this folder (an older version's); this version notes that CRV1 over-rejects with few clusters"
    ) in out, out
    frame.loc[few, "note"] = noted
    frame.loc[few.idxmax(), "note"] = ""  # an edit of another kind, not explained so
    frame.loc[frame.index[~few][0], "note"] = "my own words"
    edited = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(edited.replace_schema_metadata(table.schema.metadata), path)
    resealed(folder, git_commit="0" * 40)
    assert main(["verify", str(folder)]) == 1
    assert "an older version's" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "edit", ["model", "validation", "units", "p_from", "units_record", "caar_band", "line_break", "new_key"]
)
def test_what_the_manifest_and_the_schema_claim_is_verified_too(small_run, tmp_path, capsys, edit) -> None:
    """A manifest claiming another model, or cleared validation issues, and a car.parquet whose
    schema said percent instead of fraction (its hash updated) all verified identical."""
    folder = tmp_path / "study"
    shutil.copytree(small_run[0], folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    if edit == "model":
        manifest["model"]["name"] = "ff3"
    elif edit == "validation":
        manifest["validation"] = {}
    elif edit == "p_from":  # a record claiming caar a test of its own
        del manifest["p_from"]["caar"]
    elif edit == "units_record":  # the report would show W as a count
        manifest["units"]["wilcoxon_w"] = "count"
    elif edit == "caar_band":
        manifest["caar_band"] = "bca"
    elif edit == "line_break":  # a key that would break the one-line message
        manifest["model"]["evil\nkey"] = 1
    elif edit == "new_key":  # a record the re-run has not: "absent", not None
        manifest["zzz"] = {"1": None}
    else:
        path = folder / "car.parquet"
        table = pq.read_table(path)
        metadata = dict(table.schema.metadata)
        schema = metadata[b"eventstudy.schema"].decode()
        assert '"unit": "fraction"' in schema
        metadata[b"eventstudy.schema"] = schema.replace('"unit": "fraction"', '"unit": "percent"').encode()
        pq.write_table(table.replace_schema_metadata(metadata), path)
        manifest["files"]["car.parquet"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    expected = {
        "model": "manifest.json: records 'model' other than the re-run's",
        "validation": "manifest.json: records 'validation' other than the re-run's",
        "units": "car.parquet: schema metadata differs: eventstudy.schema",
        "p_from": "manifest.json: records 'p_from' other than the re-run's: caar absent (the re-run: ",
        # the entry that differs is named, not only the record (a finder had to diff the files)
        "units_record": "'units' other than the re-run's: wilcoxon_w 'count' (the re-run: 'rank_sum')",
        "caar_band": "records 'caar_band' other than the re-run's: 'bca' (the re-run: 'expanded_percentile')",
        "line_break": "records 'model' other than the re-run's: 'evil\\nkey' 1 (the re-run: absent)\n",
        "new_key": "records 'zzz' other than the re-run's: {'1': None} (the re-run: absent)",
    }[edit]
    assert "DIFFERENT" in out and expected in out, out


@pytest.mark.parametrize(
    ("edit", "field", "words"),
    [
        (lambda m: m["inputs"].update(events={"path": 5}), "inputs.events.path", "has no events file path"),
        # A study run from a DataFrame by a version that recorded nothing of its events.
        (lambda m: m["inputs"].update(events={}), "inputs.events", "DataFrame by an older version"),
        (lambda m: m.update(inputs=[]), "inputs", "is not a record of the inputs"),
        (lambda m: m.update(config=None), "config", "is not a table of settings"),
        (lambda m: m.update(formats="csv"), "formats", "is not a list of format names"),
        (lambda m: m.update(formats=["xlsx"]), "formats", "names an unknown format 'xlsx'"),
        (lambda m: m.update(peers=5), "peers", "is not a list of symbols"),
        # These named "peers" as the file and the ticker as the field.
        (lambda m: m.update(peers=["../etc"]), "peers", "'../etc' is not a ticker symbol"),
        (lambda m: m.update(peers=["AMD", "amd"]), "peers", "amd and AMD differ only in case"),
        (lambda m: m.update(peers=["SPY"]), "peers", "SPY is the model's proxy series, no peer"),
        # A name an older version accepted read as a damaged manifest.
        (
            lambda m: m["config"].update(flows=[{"event_id": "x", "payer": "A  B", "payee": "C"}]),
            "config.flows[0].payer",
            "no invisible characters (edited, or written by an older version of eventstudy that accepted it",
        ),
        (lambda m: m.update(versions=[1]), "versions", "is not a table of versions"),
        (lambda m: m.update(cache="memory://x"), "cache", "is a URL, which only a run on Dask reads"),
    ],
)
def test_a_hand_edited_manifest_is_one_line_and_exit_2(
    small_run, tmp_path, capsys, edit, field, words
) -> None:
    """Each of these raised a KeyError, TypeError, ValueError or AttributeError traceback."""
    folder = tmp_path / "study"
    shutil.copytree(small_run[0], folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    edit(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    args = ["verify", str(folder)] + ([] if field == "cache" else ["--cache", str(small_run[1].root)])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"manifest.json, field {field!r}: " in err and words in err, err


def test_a_recorded_name_outside_the_folder_is_never_opened(small_run, tmp_path, capsys) -> None:
    """A files record naming /elsewhere/x.parquet (or ../x.parquet) made verify parse that file."""
    folder = tmp_path / "study"
    shutil.copytree(small_run[0], folder)
    outside = tmp_path / "outside.parquet"
    outside.write_text("not parquet")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][str(outside)] = "0" * 64
    manifest["files"]["../outside.parquet"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    assert main(["verify", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert f"{outside}: not a name eventstudy writes" in out and "Traceback" not in err
    assert "../outside.parquet: not a name eventstudy writes" in out


def test_a_cache_with_the_same_content_and_other_provenance_verifies_identical(
    small_run, tmp_path, capsys
) -> None:
    # A fresh clone imports the same files at another time and from another path: the values
    # are the same, only the provenance records differ, and the report prints them.
    out, original = small_run
    assert "synthetic" in (out / "report.md").read_text(encoding="utf-8")
    again = PriceStore(tmp_path / "again")
    for symbol in original.price_symbols():
        again.write_prices(symbol, original.read_prices(symbol), {"source": "re-imported", "symbol": symbol})
    for symbol in original.symbols("shares"):
        again.write_shares(symbol, original.read_shares(symbol), {"source": "re-imported", "symbol": symbol})
    capsys.readouterr()
    assert main(["verify", str(out), "--cache", str(again.root)]) == 0
    text = capsys.readouterr().out
    assert "identical" in text and "DIFFERENT" not in text
    assert "note   inputs: the same content as recorded, other provenance" in text
    # A changed value is a changed input. This one is the last price, after every event window
    # and holding period: it changes no table, and the other inputs keep their recorded
    # provenance; the changed file's own provenance is the cache's, so the report shows it.
    prices = again.read_prices("AAA")
    prices.loc[prices.index[-1], "adj_close"] *= 1.01
    again.write_prices("AAA", prices, original.provenance(original.price_path("AAA")))
    assert main(["verify", str(out), "--cache", str(again.root)]) == 1
    text = capsys.readouterr().out
    assert "input  prices.AAA.content_sha256" in text and "other provenance" in text
    assert "file " not in text and "folder " not in text
    again.write_prices("AAA", prices, {"source": "re-imported", "symbol": "AAA"})
    assert main(["verify", str(out), "--cache", str(again.root)]) == 1
    text = capsys.readouterr().out
    assert "input  prices.AAA.content_sha256" in text and "file   report.md: text differs" in text


def test_relative_paths_of_a_run_are_named_when_verify_runs_elsewhere(tmp_path, monkeypatch, capsys) -> None:
    # The manifest records paths as the run was given them: relative ones hold only there.
    make_study(tmp_path / "study")
    make_cache(tmp_path / "cache")
    monkeypatch.chdir(tmp_path)
    relative = run_args(Path("study/events.csv"), Path("study/small.toml"), Path("cache"), Path("out"))
    assert main(relative) == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    assert main(["verify", "../out"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "eventstudy: error: ../out/manifest.json, field 'inputs.events.path': the events file "
        f"'study/events.csv' of the run is not found from {elsewhere} (a relative path holds where "
        "the study ran): run verify there, or give --events\n"
    )
    assert main(["verify", "../out", "--events", "../study/events.csv"]) == 2
    err = capsys.readouterr().err
    assert "field 'cache': the cache 'cache' of the run is not found" in err and "give --cache" in err
    assert err.count("\n") == 1
    assert main(["verify", "../out", "--events", "../study/events.csv", "--cache", "../cache"]) == 0
    assert "identical" in capsys.readouterr().out
    assert sorted(p.name for p in elsewhere.iterdir()) == []  # nothing written where it ran
    # A news file named relative to where the study ran: said as the events file is, not as a
    # bad config value ("study.news_file: news.csv is not a file").
    config = tmp_path / "study" / "small.toml"
    news = 'model = "market"\nnews_file = "news.csv"'
    config.write_text(config.read_text().replace('model = "market"', news))
    (tmp_path / "news.csv").write_text("ticker,date,headline\nAAA,2024-06-03,other news\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main([*relative[:-1], "news_out"]) == 0
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    assert main(["verify", "../news_out", "--events", "../study/events.csv", "--cache", "../cache"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "eventstudy: error: ../news_out/manifest.json, field 'config.news_file': the news file 'news.csv' "
        f"of the run is not found from {elsewhere} (a relative path holds where the study ran): run "
        "verify there\n"
    )
    # Where the recorded path is a folder (or a pipe), it is not 'not found': it is not a file.
    (elsewhere / "study" / "events.csv").mkdir(parents=True)
    assert main(["verify", "../out"]) == 2
    err = capsys.readouterr().err
    assert "'study/events.csv' of the run is not a regular file; give --events FILE" in err
    shutil.rmtree(elsewhere / "study")


def test_verify_bad_folder_exits_2(tmp_path, capsys) -> None:
    assert main(["verify", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "manifest.json" in err[0]


# -- studies run from Python: an events frame, a model object ---------------------------------


@pytest.fixture(scope="module")
def two_events(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    """Two events of the launch calendar as a frame, and the same rows as a file."""
    events = pd.read_csv(ROOT / "events.csv")
    frame = events[events.event_id.isin(["deepseek-r1", "oracle-openai-300b"])].reset_index(drop=True)
    path = tmp_path_factory.mktemp("two-events") / "e2.csv"
    frame.to_csv(path, index=False)
    return frame, path


def one_line_error(call) -> InputError:
    with pytest.raises(InputError) as caught:
        call()
    assert "\n" not in str(caught.value)
    return caught.value


def test_the_documented_file_of_a_frames_events_verifies_with_zoned_dates_and_float32_is_refused(
    two_events, launch_cache, tmp_path
) -> None:
    """(A finder.) ``announced`` as New York midnights with a time zone ran, but the recipe's
    ``frame.to_csv(FILE, index=False)`` wrote ``2025-09-09 00:00:00-04:00``, which the events
    reader refuses: the recipe (README, verify's message) now writes dates as dates. A float32
    ``deal_usd`` was taken as its value (3e11 is 299,999,985,664 in float32) without a word,
    and ``to_csv`` wrote it as ``3e+11``, other events than the run's: refused, naming row and
    field; a float32 that holds its shortest text exactly (1e9) is that number."""
    from eventstudy import run_study, save_study
    from eventstudy.output.verify import verify

    frame, _ = two_events
    from eventstudy import write_events

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "`eventstudy.write_events(frame, FILE)`" in readme
    zoned = frame.assign(announced=pd.to_datetime(frame["announced"]).dt.tz_localize("America/New_York"))
    out = save_study(run_study(zoned, launch_cache), tmp_path / "out")
    error = one_line_error(lambda: verify(out))
    assert "eventstudy.write_events(frame, FILE)" in error.message
    import pyarrow as pa

    arrow = pd.ArrowDtype(pa.timestamp("ns", tz="America/New_York"))  # to_csv ignores date_format for it
    chicago = zoned["announced"].dt.tz_convert("America/Chicago")  # 23:00 the day before
    given = {
        "zoned": zoned,
        "arrow": zoned.assign(announced=zoned["announced"].astype(arrow)),
        "chicago": zoned.assign(announced=chicago),
        "dates": zoned.assign(announced=zoned["announced"].dt.date),
    }
    for name, events in given.items():
        assert verify(out, events=write_events(events, tmp_path / f"{name}.csv")).identical, name
    mine = tmp_path / "zoned.csv"
    before = mine.read_bytes()
    with pytest.raises(InputError, match="never replaced"):
        write_events(zoned, mine)
    assert mine.read_bytes() == before
    # Failures are one line and leave nothing: a long name, a full disk, the tool's own folder
    # (a finder: raw OSErrors, a half-written temporary file, a notes.csv written into an
    # output folder that the next run then refused); the file has the umask's usual mode.
    with pytest.raises(InputError, match="File name too long"):
        write_events(zoned, tmp_path / ("x" * 300 + ".csv"))
    with pytest.raises(InputError, match="output folder"):
        write_events(zoned, out / "notes.csv")
    with pytest.raises(InputError, match=r"\.csv"):
        write_events(zoned, tmp_path / "events.txt")
    bad = pd.Series(["bad \udcff"] * len(zoned), index=zoned.index, dtype=object)
    with pytest.raises(InputError, match="not UTF-8 text"):  # a lone surrogate: was a UnicodeEncodeError
        write_events(zoned.assign(headline=bad), tmp_path / "surrogate.csv")
    with pytest.raises(InputError, match="not UTF-8 text"):  # and in run_study
        run_study(zoned.assign(headline=bad), launch_cache)

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Path, "write_text", full)
        with pytest.raises(InputError, match="No space left on device"):
            write_events(zoned, tmp_path / "full.csv")
    assert not any(".tmp" in p.name or p.name == "full.csv" for p in tmp_path.iterdir())
    umask = os.umask(0o022)
    os.umask(umask)
    assert (tmp_path / "zoned.csv").stat().st_mode & 0o777 == 0o666 & ~umask

    row = int(np.flatnonzero(frame["deal_usd"].notna())[0]) + 2  # the header is row 1
    single = frame.assign(deal_usd=frame["deal_usd"].astype("float32"))
    error = one_line_error(lambda: run_study(single, launch_cache))
    assert (error.row, error.field) == (row, "deal_usd")
    assert "3e+11 in float32 is 299,999,985,664" in error.message and "float64" in error.message
    exact = frame.assign(deal_usd=frame["deal_usd"].where(frame["deal_usd"].isna(), 1e9))
    from eventstudy.data.events import events_from_frame

    narrow = exact.assign(deal_usd=exact["deal_usd"].astype("float32"))
    pd.testing.assert_frame_equal(events_from_frame(narrow), events_from_frame(exact))


def test_a_study_run_from_a_frame_records_its_events_and_verifies_with_their_file(
    two_events, launch_cache, tmp_path, capsys
) -> None:
    """A frame's study was refused as a manifest without an events path "(was the manifest
    edited?)", with or without --events: its events are now recorded by the hash of their
    validated values, which the file --events names must match."""
    from eventstudy import run_study, save_study
    from eventstudy.data.events import events_sha256, read_events
    from eventstudy.output.verify import verify

    frame, path = two_events
    out = save_study(run_study(frame, launch_cache), tmp_path / "out")
    recorded = json.loads((out / "manifest.json").read_text())["inputs"]["events"]
    assert recorded == {"content_sha256": events_sha256(read_events(path))}

    error = one_line_error(lambda: verify(out))
    assert error.field == "inputs.events" and "run from a DataFrame" in error.message
    assert "--events FILE" in error.message and "edited" not in error.message
    result = verify(out, events=path)
    assert result.identical, result.summary()
    assert main(["verify", str(out), "--events", str(path)]) == 0
    assert "identical" in capsys.readouterr().out
    assert main(["verify", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--events FILE" in err and "Traceback" not in err

    other = tmp_path / "other.csv"
    frame.assign(deal_usd=frame["deal_usd"] * 2).to_csv(other, index=False)
    error = one_line_error(lambda: verify(out, events=other))
    assert error.path == str(other) and "other events than the study" in error.message
    assert main(["verify", str(out), "--events", str(other)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_model_object_the_config_would_build_is_recorded_in_the_config_and_verifies(
    two_events, launch_cache, tmp_path
) -> None:
    """``model=ConstantMeanModel()`` left the config's model at "market": the manifest contradicted
    itself and verify re-ran the market model, calling every table different."""
    from eventstudy import run_study, save_study
    from eventstudy.config import StudyConfig
    from eventstudy.models import ConstantMeanModel, MarketModel
    from eventstudy.output.verify import verify

    _, path = two_events
    for model, name in ((ConstantMeanModel(), "constant_mean"), (MarketModel("SPY"), "market")):
        results = run_study(path, launch_cache, StudyConfig(), model=model)
        assert results.config.model == results.model["name"] == name
        out = save_study(results, tmp_path / name)
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["config"]["model"] == manifest["model"]["name"] == name
        assert "passed_as_object" not in manifest["model"]
        result = verify(out)
        assert result.identical, result.summary()


def test_a_model_object_the_config_cannot_build_is_recorded_as_such_and_not_verified(
    two_events, launch_cache, tmp_path, capsys
) -> None:
    """``MarketModel(market="QQQ")`` beside a config on SPY (and a model of the user's, which no
    config can name) cannot be re-run from the manifest: one line says so, naming the model,
    instead of every table reported as different."""
    from eventstudy import load_study, run_study, save_study
    from eventstudy.config import StudyConfig
    from eventstudy.models import MarketModel
    from eventstudy.output.verify import verify

    class Mine(MarketModel):
        name = "mine"

    _, path = two_events
    for model in (MarketModel(market="QQQ"), Mine("SPY")):
        results = run_study(path, launch_cache, StudyConfig(), model=model)
        assert results.model["passed_as_object"] is True and results.config.model == "market"
        out = save_study(results, tmp_path / model.name)
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["model"]["passed_as_object"] is True
        error = one_line_error(lambda out=out: verify(out))
        assert error.field == "model" and "passed as an object" in error.message
        assert model.describe() in error.message
        assert main(["verify", str(out)]) == 2
        assert capsys.readouterr().err.count("\n") == 1
        # Saved again from its folder, the study keeps the record.
        again = save_study(load_study(out), tmp_path / f"{model.name}-again")
        assert json.loads((again / "manifest.json").read_text())["model"]["passed_as_object"] is True


def test_an_older_manifest_whose_model_is_not_its_configs_is_different_with_a_note(
    small_run, tmp_path, capsys
) -> None:
    """A manifest written before a model object was recorded as one (or an edited one) names
    another model than its config: different, with a note saying why, never a claim that it was
    an object."""
    folder = tmp_path / "older"
    shutil.copytree(small_run[0], folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["model"]["name"] = "constant_mean"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "records 'model' other than the re-run's" in out
    assert "note   the manifest's model 'constant_mean' is not its config's 'market'" in out


@pytest.mark.parametrize(
    ("argv0", "program"),
    [
        (str(Path(eventstudy.__file__).parent / "__main__.py"), "eventstudy"),
        ("/venv/bin/eventstudy", "eventstudy"),
    ],
)
def test_the_recorded_command_is_one_a_user_can_type(monkeypatch, argv0, program) -> None:
    """`python -m eventstudy run ...` was recorded (and shown in the report) as `__main__.py run ...`."""
    from eventstudy.output.manifest import command_line

    monkeypatch.setattr("sys.argv", [argv0, "run", "--config", "launch.toml"])
    assert command_line() == [program, "run", "--config", "launch.toml"]


@pytest.mark.parametrize(
    ("argv0", "program"),
    [("/venv/lib/python3.11/site-packages/ipykernel/__main__.py", "__main__.py"), ("", "python")],
)
def test_another_packages_main_is_not_eventstudy(monkeypatch, argv0, program) -> None:
    """Any __main__.py was taken for eventstudy's: `python -m ipykernel -f ~/.../kernel.json` was
    published as "Command: eventstudy -f /home/alice/...", and `python -m mypkg --token s3cr3t`
    as "eventstudy --token s3cr3t". An interactive session (argv[0] '') is 'python'."""
    from eventstudy.output.manifest import command_line

    monkeypatch.setattr("sys.argv", [argv0, "-f", "/home/alice/kernel.json"])
    assert command_line() == [program]


def test_a_study_run_from_python_records_no_command(monkeypatch) -> None:
    """From a notebook the report's "Command:" was the kernel's arguments, a user's home folder and
    a session file in them (ipykernel_launcher.py -f /home/alice/.local/share/jupyter/...)."""
    from eventstudy.output.manifest import command_line
    from eventstudy.report.about import _command_text

    kernel = "/home/alice/.local/share/jupyter/runtime/kernel-3f1c9a2e.json"
    monkeypatch.setattr("sys.argv", ["/venv/lib/ipykernel_launcher.py", "-f", kernel])
    assert command_line() == ["ipykernel_launcher.py"]
    assert _command_text(command_line()) == "Command: none (run from Python, in ` ipykernel_launcher.py `)"
    # an older folder's record of the kernel's arguments is not shown as a command either
    assert "alice" not in _command_text(["ipykernel_launcher.py", "-f", kernel])
    assert _command_text(["eventstudy", "run"]) == "Command: ` eventstudy run `"


def test_a_study_from_a_machine_with_another_blas_verifies_with_a_note_naming_it(
    small_run, monkeypatch, capsys
) -> None:
    """Another CPU kernel of OpenBLAS moved the cross-sectional statistics by 1e-14, and verify
    blamed 'another CPU, BLAS or library version' that nothing recorded: the manifest records the
    BLAS (build and kernel), the system and processor, Pillow's zlib, and verify names a change."""
    from eventstudy.output import manifest as manifests

    recorded = json.loads((small_run[0] / "manifest.json").read_text())["versions"]
    assert {"blas", "zlib", "platform", "pillow", "arch", "networkx"} <= set(recorded)
    assert "numpy: openblas " in recorded["blas"]  # numpy's wheels bundle OpenBLAS
    monkeypatch.setattr(manifests, "_blas", lambda: "mkl 2024.1 (SkylakeX)")  # verified elsewhere
    capsys.readouterr()
    assert main(["verify", str(small_run[0])]) == 0
    assert f"version of blas: {recorded['blas']} -> mkl 2024.1 (SkylakeX)" in capsys.readouterr().out


def test_text_differing_only_in_line_endings_is_said_so(tmp_path) -> None:
    """A report checked out with CRLF line ends was said to differ 'from line 78' of a 77-line
    file whose every line is equal."""
    from eventstudy.output.verify import compare_files

    text = "".join(f"line {k}\n" for k in range(77))
    (tmp_path / "old.md").write_bytes(text.replace("\n", "\r\n").encode())
    (tmp_path / "new.md").write_bytes(text.encode())
    difference = compare_files("report.md", tmp_path / "old.md", tmp_path / "new.md")
    assert difference is not None and difference.problem == "the same text with other line endings"
    (tmp_path / "new.md").write_bytes(text.replace("line 40", "line 40!").encode())
    assert compare_files("report.md", tmp_path / "old.md", tmp_path / "new.md").problem == (
        "text differs from line 41"
    )


def test_the_same_events_saved_with_other_bytes_verify_identical_and_other_events_do_not(
    small_run, tmp_path, capsys
) -> None:
    """The events file was compared by the hash of its bytes: the same events saved by an editor
    with CRLF line endings and a byte-order mark verified DIFFERENT. The manifest records the
    hash of the validated events beside the file's, and verify compares that."""
    from eventstudy.data.events import events_sha256, read_events

    out, _ = small_run
    recorded = json.loads((out / "manifest.json").read_text())["inputs"]["events"]
    original = Path(recorded["path"])
    assert recorded["content_sha256"] == events_sha256(read_events(original))
    assert recorded["sha256"] == hashlib.sha256(original.read_bytes()).hexdigest()

    text = original.read_text(encoding="utf-8")
    resaved = tmp_path / "resaved.csv"
    resaved.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    capsys.readouterr()
    assert main(["verify", str(out), "--events", str(resaved)]) == 0
    printed = capsys.readouterr().out
    assert "identical" in printed and "DIFFERENT" not in printed
    assert "events file: other bytes than recorded" in printed and "the same events" in printed

    edited = tmp_path / "edited.csv"  # without its last party: other events
    edited.write_text("".join(text.splitlines(keepends=True)[:-1]))
    capsys.readouterr()
    assert main(["verify", str(out), "--events", str(edited)]) == 1
    printed = capsys.readouterr().out
    assert "events.content_sha256" in printed and "events.sha256" not in printed


def test_factor_tables_are_inputs_of_the_manifest_and_their_provenance_is_a_note(tmp_path, capsys) -> None:
    """A finder's ff3 study re-imported the same factor file from another folder: verify said
    "records 'model' other than the re-run's" (the model's factor_data held the provenance), and
    a restated factor was named by no input line (the manifest's inputs held no factor table)."""
    from _synthetic_study import CALENDAR, write_inputs

    files = write_inputs(tmp_path / "inputs")
    cache = tmp_path / "cache"
    assert main(["cache", "import", str(files["prices"]), str(files["shares"]), str(files["factors"]),
                 "--cache", str(cache)]) == 0  # fmt: skip
    events = tmp_path / "events.csv"
    day = CALENDAR[280].date().isoformat()
    events.write_text(
        f"event_id,announced,timing,ticker,role,deal_usd,group,headline\ne1,{day},pre,AAA,buyer,1e9,g,h\n"
        f"e2,{day},pre,BBB,seller,1e9,g,h\n",
        encoding="utf-8",
    )
    config = tmp_path / "study.toml"
    config.write_text('[study]\nname = "f"\nmarket = "SMH"\nmodel = "ff3"\n', encoding="utf-8")
    out = tmp_path / "out"
    run = ["run", "--events", str(events), "--config", str(config), "--cache", str(cache), "--offline"]
    assert main([*run, "--out", str(out), "--no-peers"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    record = manifest["inputs"]["factors"]["F-F_Research_Data_Factors_daily"]
    assert record["content_sha256"] == manifest["model"]["factor_data"]["F-F_Research_Data_Factors_daily"][
        "content_sha256"
    ]
    moved = tmp_path / "elsewhere"
    shutil.copytree(files["factors"], moved)
    assert main(["cache", "import", str(moved), "--cache", str(cache)]) == 0
    capsys.readouterr()
    assert main(["verify", str(out), "--cache", str(cache)]) == 0
    text = capsys.readouterr().out
    assert "identical" in text and "other provenance" in text
    ff3 = moved / "F-F_Research_Data_Factors_daily.csv"
    lines = ff3.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith(CALENDAR[100].strftime("%Y%m%d")))
    cells = lines[row].split(",")
    cells[2] = f"{float(cells[2]) + 1.0:8.2f}"  # SMB restated on an estimation day
    lines[row] = ",".join(cells)
    ff3.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["cache", "import", str(ff3), "--cache", str(cache)]) == 0
    capsys.readouterr()
    assert main(["verify", str(out), "--cache", str(cache)]) == 1
    text = capsys.readouterr().out
    assert "input  factors.F-F_Research_Data_Factors_daily.content_sha256" in text


@pytest.mark.parametrize("model", ["market_adjusted", "raw"])
def test_a_study_of_a_model_without_parameters_is_written_and_verified(
    model: str, tmp_path: Path, capsys
) -> None:
    """A finder's run with ``--model market_adjusted`` (k = 0) exited 2 on its own manifest
    (``estimation.n_params`` "is not a number of parameters (was the manifest edited?)"): the
    report is rendered from the files written, and the check allowed k from 1. The report's
    bands use M - 0 degrees of freedom; a negative k is still refused."""
    make_cache(tmp_path / "cache")
    events, config = make_study(tmp_path)
    out = tmp_path / "out"
    assert main([*run_args(events, config, tmp_path / "cache", out), "--model", model]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["estimation"] == {"n_params": 0} and manifest["model"]["name"] == model
    assert "k = 0" in (out / "report.md").read_text()
    assert main(["verify", str(out)]) == 0
    manifest["estimation"]["n_params"] = -1
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert main(["verify", str(out)]) == 2
    assert "field 'estimation.n_params': is not a number of parameters" in capsys.readouterr().err


def test_a_folder_saved_without_its_report_verifies_and_gets_one_from_report(
    two_events, launch_cache, tmp_path, capsys
) -> None:
    """``save_study(..., report=False)`` wrote a folder verify always called DIFFERENT, every report
    file and figure "missing in the folder": the manifest records that the report was left out;
    ``eventstudy report`` then renders it and the folder verifies with it."""
    from eventstudy import run_study, save_study
    from eventstudy.output.verify import verify

    _, path = two_events
    out = save_study(run_study(path, launch_cache), tmp_path / "out", report=False)
    assert not (out / "report.md").exists()
    assert json.loads((out / "manifest.json").read_text())["report"] is False
    result = verify(out)
    assert result.identical, result.summary()
    assert main(["report", str(out)]) == 0
    capsys.readouterr()
    assert (out / "report.md").exists() and "report" not in json.loads((out / "manifest.json").read_text())
    assert main(["verify", str(out)]) == 0
    assert "identical" in capsys.readouterr().out
    with_report = save_study(run_study(path, launch_cache), tmp_path / "with")
    assert "report" not in json.loads((with_report / "manifest.json").read_text())  # as every run's
