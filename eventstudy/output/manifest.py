"""``manifest.json``: what a run was, so that ``eventstudy verify`` can run it again.

The manifest records the configuration, the model, the peers, the package versions, the
project's git commit, the command line, and the provenance of every input (the events file's
SHA-256, every cached input's content hash and provenance, the price checks' findings) as
:func:`eventstudy.study.run_study` recorded them when it read each file, and for a study run
on Dask its ``engine`` (:mod:`eventstudy.distributed`: the partition size, the scheduler). The
output folder's file record (``files``) is added when the folder is published
(:mod:`eventstudy.output.folder`).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from eventstudy.aggregate import statistic_units
from eventstudy.multiple_testing import p_sources
from eventstudy.output.folder import PACKAGE
from eventstudy.results import StudyResults

PACKAGES: tuple[str, ...] = (
    PACKAGE,
    "arch",
    "jinja2",
    "matplotlib",
    "networkx",
    "numpy",
    "pandas",
    "pillow",
    "pyarrow",
    "scipy",
    "statsmodels",
    "yfinance",
)


ENGINE_PACKAGES: tuple[str, ...] = ("dask", "distributed")
"""Packages recorded besides :data:`PACKAGES` for a study run on Dask."""

MODEL_SETTINGS: tuple[str, ...] = ("exclude_overlapping_windows",)
"""Settings of the configuration the manifest's ``model`` record repeats beside the model's own
record (what the estimation used); :func:`eventstudy.output.load.load_study` leaves them out."""


def package_versions(extra: Sequence[str] = ()) -> dict[str, str]:
    """Versions of Python and of the packages the results depend on (and of ``extra``), and what
    else can change their last bits or a figure's bytes: the system and processor, the BLAS
    numpy runs (its build and the processor kernel it chose) and the zlib Pillow compresses the
    PNG files with. ``verify`` names every one that differs as a note."""
    out = {"python": platform.python_version(), "platform": f"{platform.system()} {platform.machine()}"}
    for name in (*PACKAGES, *extra):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    out["blas"] = _blas()
    out["zlib"] = _zlib()
    return out


def _blas() -> str:
    """The BLAS libraries numpy and scipy run, as threadpoolctl reports them, each named by the
    package that ships it (``numpy: openblas 0.3.31 (Haswell); scipy: openblas 0.3.30 (Haswell)``),
    in that order whatever order they were loaded in; ``unknown`` when none is found."""
    import scipy.linalg  # noqa: F401 - loads scipy's BLAS, which threadpoolctl lists once loaded
    from threadpoolctl import threadpool_info

    found = []
    for info in threadpool_info():
        if info.get("user_api") != "blas":
            continue
        folder = Path(str(info.get("filepath", ""))).parent.name  # numpy.libs, scipy.libs, lib
        owner = folder.removesuffix(".libs") if folder.endswith(".libs") else folder or "?"
        found.append(
            f"{owner}: {info.get('internal_api', '?')} {info.get('version', '?')} "
            f"({info.get('architecture', '?')})"
        )
    return "; ".join(sorted(found)) or "unknown"


def _zlib() -> str:
    """The zlib version Pillow writes PNG files with (its deflate decides a figure's bytes)."""
    from PIL import features

    return str(features.version_codec("zlib") or "unknown")


def git_state(folder: Path | None = None) -> dict[str, Any]:
    """The project's git commit and whether its checkout has uncommitted changes.

    ``folder`` defaults to the folder holding the ``eventstudy`` package. Outside a git
    checkout (an installed wheel) both are None.
    """
    folder = folder or Path(__file__).resolve().parents[1]

    # `git status` refreshes the index (taking index.lock) unless optional locks are off: a run
    # must never write into the checkout's .git, nor collide with the user's own git command.
    environment = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
                env=environment,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"git_commit": None, "git_dirty": None}
    status = git("status", "--porcelain")
    return {"git_commit": commit, "git_dirty": bool(status) if status is not None else None}


def command_line() -> list[str]:
    """The command that produced the outputs (program name without its folder; ``eventstudy`` for
    ``python -m eventstudy``, whose program is the package's ``__main__.py``: a command no one
    could type again). From Python, the program alone: its arguments are a script's or a notebook
    kernel's (``-f /home/alice/.local/share/jupyter/runtime/kernel-3f1c.json``, published in the
    report as the study's "command"), none of them the study's."""
    program = Path(sys.argv[0]).name
    own_main = Path(__file__).resolve().parents[1] / "__main__.py"  # `python -m eventstudy`'s program
    if program == "eventstudy" or (sys.argv[0] and Path(sys.argv[0]).resolve() == own_main):
        return ["eventstudy", *sys.argv[1:]]
    return [program or "python"]  # another package's __main__.py too (python -m ipykernel -f ...)


DATA_SUFFIXES: tuple[str, ...] = (".parquet",)
"""The files of an output folder that hold its tables (what a re-save of loaded results compares;
not the csv copies, which a re-save may leave out)."""


def _loaded_from(results: StudyResults, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """``results.provenance["loaded_from"]``, with ``changed_in_python`` listing the settings
    (``config``, ``model``, ``peers``) that differ from those loaded, and ``loaded_files`` (the
    loaded folder's data files' SHA-256) for :func:`eventstudy.output.export.note_changed_files`
    to compare the files written with (a re-saved report vouched for tables edited in Python, a
    finder)."""
    record = dict(results.provenance["loaded_from"])
    changed = set(record.get("changed_in_python", ()))
    for key, old in results.provenance.get("loaded_settings", {}).items():
        new = manifest.get(key)
        if isinstance(old, Mapping) and isinstance(new, Mapping):  # keys an older version lacked: left out
            new = {name: new.get(name) for name in old}
        if json.dumps(old, sort_keys=True, default=str) != json.dumps(new, sort_keys=True, default=str):
            changed.add(key)
    if changed:
        record["changed_in_python"] = sorted(changed)
    if "loaded_files" in results.provenance:
        record["loaded_files"] = dict(results.provenance["loaded_files"])
    return record


def build_manifest(
    results: StudyResults,
    *,
    formats: Sequence[str] = (),
    report: bool = True,
    presentation: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Configuration, model, peers, versions, input provenance, git commit and command line.

    The command, commit and versions are this process's, which saves the results; results
    loaded from an output folder (:func:`eventstudy.output.load.load_study`) also carry the
    record of the run that computed them, kept as ``loaded_from`` (a re-save of a loaded study
    was recorded as its script's work, a finder).

    Parameters
    ----------
    results
        The study's results (their ``provenance`` holds the inputs' record).
    formats
        The extra export formats written (``csv``).
    report
        Whether the report is rendered: False is recorded (``"report": false``) so that
        ``eventstudy verify`` re-runs the study without it.
    presentation
        Values that describe how a run was invoked rather than what it computed (``command``,
        ``git_commit``, ``git_dirty``, ``versions``, ``cache``, and ``events_path`` for the events
        file's recorded path), replacing this process's: ``eventstudy verify`` renders its
        re-run as the original run was rendered, so only computed differences show.
    """
    provenance = results.provenance
    manifest: dict[str, Any] = {
        "study": results.config.name,
        "config": results.config.to_dict(),
        "model": {**results.model, **{key: getattr(results.config, key) for key in MODEL_SETTINGS}},
        "estimation": {"n_params": len(results.model.get("parameters", ()))},
        "p_from": p_sources(dict.fromkeys(results.stats["statistic"].astype(str))),
        "units": statistic_units(dict.fromkeys(results.stats["statistic"].astype(str))),
        **({} if results.caar_band is None else {"caar_band": results.caar_band}),
        **({} if results.p_family is None else {"p_family": results.p_family}),
        "peers": list(results.peers),
        "formats": sorted(formats),
        "versions": package_versions(ENGINE_PACKAGES if "engine" in provenance else ()),
        "inputs": dict(provenance.get("inputs", {})),
        "validation": provenance.get("validation", {}),
        "cache": provenance.get("cache"),
        "command": command_line(),
        **git_state(),
    }
    if "loaded_from" in provenance:  # results loaded from a folder: the run that computed them
        manifest["loaded_from"] = _loaded_from(results, manifest)
    if not report:  # verify re-saves without it (every report file was "missing in the folder")
        manifest["report"] = False
    if "engine" in provenance:  # how the study was split; eventstudy verify re-runs it the same way
        manifest["engine"] = dict(provenance["engine"])
    shown = dict(presentation or {})
    if "events_path" in shown:
        recorded = manifest["inputs"].get("events", {})
        manifest["inputs"]["events"] = {**recorded, "path": shown.pop("events_path")}
    manifest.update(shown)
    return manifest
