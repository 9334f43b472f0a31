"""Load an output folder back as :class:`~eventstudy.results.StudyResults` (the inverse of saving)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.config import StudyConfig
from eventstudy.errors import InputError, as_path
from eventstudy.output.folder import FILES_KEY, edited_tables, output_folder, regular_file, standing_in
from eventstudy.output.manifest import DATA_SUFFIXES, MODEL_SETTINGS
from eventstudy.output.verify import UNREADABLE_PARQUET, read_manifest_file
from eventstudy.results import OPTIONAL_TABLES, StudyResults
from eventstudy.text import shell_path

if TYPE_CHECKING:
    from eventstudy.backtest.engine import BacktestResults


TABLE_FILES: dict[str, str] = {
    "events": "events.parquet",
    "ar": "ar.parquet",
    "car": "car.parquet",
    "stats": "stats.parquet",
    "caar": "caar.parquet",
}
"""The :class:`StudyResults` tables and the files that hold them."""


def load_study(folder: str | Path) -> StudyResults:
    """Rebuild the results of an output folder of ``eventstudy run`` from its files alone.

    The tables are the folder's parquet files as they are; the configuration, model record,
    peers and input record come from ``manifest.json``; the backtest (when the folder has one)
    from ``trades``, ``backtest`` and ``drift.parquet``. The estimation arrays are not saved,
    so ``estimates`` is None. ``provenance["loaded_from"]`` records the folder and the run that
    computed the results (its command, commit and versions), which :func:`save_study` keeps, with
    what was changed between the load and the save (``changed_in_python``).

    Raises
    ------
    InputError
        Naming the first missing or unreadable file, or a table or the manifest changed since
        the run wrote them (their SHA-256 differs from the manifest's record).
    """
    folder = output_folder(as_path(folder, "folder"))
    manifest_path = folder / "manifest.json"
    standing = standing_in(manifest_path)  # a link was read as the folder's own (another run's)
    if standing is not None:
        said = f"'manifest.json' is {standing}, not the file the run wrote: a load reads a run's record as "
        raise InputError(str(folder), said + "it wrote it (re-run the study into a new folder)")
    manifest = read_manifest_file(regular_file(manifest_path, "manifest"))  # the shapes verify reads
    edited = edited_tables(folder, manifest)
    if edited:  # an edited table was loaded as the run's, and save_study sealed it as its own
        verify = f"eventstudy verify {shell_path(folder)}"  # a folder "my run" typed as two arguments
        raise InputError(
            str(folder),
            f"{edited}; a load reads a run's tables as it wrote them ({verify} says what differs; re-run "
            "the study to change its results)",
        )
    config = StudyConfig.from_dict(manifest["config"], str(manifest_path))
    tables: dict[str, Any] = {name: _read_table(folder / file) for name, file in TABLE_FILES.items()}
    for name, file in OPTIONAL_TABLES.items():  # the optional methods' tables, where they ran
        if regular_file(folder / file, "table").exists():
            tables[name] = _read_table(folder / file)
    backtest = _load_backtest(folder, config, manifest)
    model = manifest.get("model", {"name": config.model})  # a table: read_manifest_file checked
    return StudyResults(
        config=config,
        model={key: value for key, value in model.items() if key not in MODEL_SETTINGS},
        backtest=backtest,
        peers=tuple(manifest.get("peers", ())),
        provenance={
            **{key: manifest[key] for key in ("inputs", "validation", "cache") if key in manifest},
            "loaded_from": _computed_by(folder, manifest),
            **_as_loaded(manifest),
        },
        caar_band=manifest.get("caar_band"),  # None: written before, its band the plain one
        p_family=manifest.get("p_family"),  # None: written before, adjusted over a group's every test
        **tables,
    )


RUN_RECORD: tuple[str, ...] = ("command", "git_commit", "git_dirty", "versions")
"""What a manifest records of the run that computed its results (kept by a re-save)."""


def _computed_by(folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Where results are loaded from (``folder``) and the run that computed them: the folder the
    run's output was first loaded from (``first_loaded_from``) and its manifest's command, commit
    and versions; for a folder saved from loaded results, the record it kept of that run (and of
    what was changed since)."""
    kept = manifest.get("loaded_from")
    if isinstance(kept, dict):  # read_manifest_file checked its shape
        first = kept.get("first_loaded_from", kept.get("folder"))
        return {**kept, "folder": str(folder), "first_loaded_from": first}
    run = {key: manifest[key] for key in RUN_RECORD if key in manifest}
    return {"folder": str(folder), "first_loaded_from": str(folder), **run}


def _as_loaded(manifest: dict[str, Any]) -> dict[str, Any]:
    """What a re-save compares to tell what was changed in Python (no table is hashed here: the
    manifest records its files): the recorded SHA-256 of the folder's data files, and its settings."""
    files = manifest.get(FILES_KEY)
    settings = {key: manifest[key] for key in ("config", "model", "peers") if key in manifest}
    if not isinstance(files, dict):  # no record to compare with
        return {"loaded_settings": settings}
    data = {str(k): v for k, v in files.items() if str(k).endswith(DATA_SUFFIXES)}
    return {"loaded_files": data, "loaded_settings": settings}


def _read_table(path: Path) -> pd.DataFrame:
    try:
        # Absolute: pandas would expand a leading '~' of a folder the system takes literally.
        return pd.read_parquet(regular_file(path, "table").absolute())
    except FileNotFoundError:
        raise InputError(str(path), "missing: not a complete output folder of `eventstudy run`") from None
    except UNREADABLE_PARQUET as exc:
        raise InputError(str(path), f"not a readable parquet file ({exc})") from None


def _load_backtest(folder: Path, config: StudyConfig, manifest: dict[str, Any]) -> BacktestResults | None:
    if config.backtest is None or not regular_file(folder / "trades.parquet", "table").exists():
        return None
    from eventstudy.backtest.engine import BOOTSTRAP_DRAWS, BOOTSTRAP_SEED, BacktestResults, other_benchmarks
    from eventstudy.backtest.report import read_backtest_metadata
    from eventstudy.backtest.tables import summary_table

    trades = _read_table(folder / "trades.parquet")
    calendar_time = folder / "calendar_time.parquet"
    curve = _read_table(folder / "backtest.parquet")
    # The drift's observations are not saved: its benchmarks as recorded (an older folder's: those
    # of its trades, as `eventstudy report` reads them).
    recorded = read_backtest_metadata(folder)
    benchmarks = recorded.get("drift_benchmarks", other_benchmarks(trades, config.market))
    return BacktestResults(
        config=config.backtest,
        market=config.market,
        study_name=config.name,
        trades=trades,
        curve=curve,
        drift=_read_table(folder / "drift.parquet"),
        drift_observations=pd.DataFrame(),
        summary_table=summary_table(trades, curve, draws=BOOTSTRAP_DRAWS, seed=BOOTSTRAP_SEED),
        calendar_time=_read_table(calendar_time) if regular_file(calendar_time, "table").exists() else None,
        recorded_drift_benchmarks={str(k): int(v) for k, v in dict(benchmarks).items()},
    )
