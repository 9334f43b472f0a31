"""The package's layering: import-linter's contracts (pyproject.toml), a light command line,
and command-line modules that only parse and call."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "eventstudy" / "cli"
HEAVY = ("pandas", "scipy", "matplotlib", "pyarrow", "statsmodels")


def test_import_contracts_are_kept() -> None:
    script = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(script)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


COMMANDS = [None, "run", "report", "verify", "cache", "fetch", "validate", "backtest"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_loads_no_heavy_library(command: str | None) -> None:
    argv = ["--help"] if command is None else [command, "--help"]
    code = (
        "import sys\n"
        "from eventstudy.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_command_modules_import_only_the_standard_library_at_module_level() -> None:
    """The command modules, and the light modules they share with the API (errors, where a cache
    is), import the standard library only when loaded: pandas and numpy load when a handler runs."""
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    light = [CLI.parent / "errors.py", CLI.parent / "locations.py"]
    for path in [*sorted(CLI.glob("*.py")), *light]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only: handlers import the API when they run
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                inside = name.startswith(("eventstudy.cli", "eventstudy.errors", "eventstudy.locations"))
                assert top in allowed or inside, f"{path.name} imports {name} at module level"


def test_the_results_module_loads_no_matplotlib_until_a_plot_is_drawn() -> None:
    code = "import sys, eventstudy.results\nprint('matplotlib' in sys.modules)\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
