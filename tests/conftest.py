"""Shared fixtures: the real data in ../shared/data, imported into a temporary cache."""

from __future__ import annotations

import os
from pathlib import Path

import hypothesis
import pytest

from eventstudy.data.importer import import_paths
from eventstudy.data.store import PriceStore

# Property tests: random by default; in CI (CI set) derandomized and without the example
# database, so a run is reproducible. Example counts are set per test (kept small).
hypothesis.settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    hypothesis.settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the project root (skips when it is absent)."""
    if not (SHARED_DATA / "prices").is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def launch_cache(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache seeded from ../shared/data prices, shares and earnings dates (read-only for tests)."""
    root = tmp_path_factory.mktemp("launch-cache")
    import_paths(PriceStore(root), [shared_data / "prices", shared_data / "shares", shared_data / "earnings"])
    return root
