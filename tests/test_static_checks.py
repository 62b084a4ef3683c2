"""The static checks, run by the test command so that CI enforces them: ruff (lint and format),
mypy --strict on the package, and the import contracts of ARCHITECTURE.md (lint-imports).

Each runs as the developer runs it: the venv's own executable, from the repository root, with
the settings in pyproject.toml. `pytest -m "not static"` leaves them out while you work.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.static

CHECKS = {
    "ruff check": ["ruff", "check", "."],
    "ruff format": ["ruff", "format", "--check", "."],
    "mypy": ["mypy", "--strict"],  # the files (pipeflow/) come from pyproject.toml
    "lint-imports": ["lint-imports"],
}


def run_check(command: list[str]) -> subprocess.CompletedProcess[str]:
    executable = BIN / command[0]
    assert executable.exists(), (
        f"{executable} is missing: install the dev extra (`pip install -e '.[dev]'`)"
    )
    return subprocess.run(
        [str(executable), *command[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


@pytest.mark.parametrize("name", list(CHECKS))
def test_the_static_check_passes(name: str) -> None:
    done = run_check(CHECKS[name])
    assert done.returncode == 0, (
        f"`{' '.join(CHECKS[name])}` failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    )


@pytest.mark.parametrize(
    ("command", "source"),
    [
        (["ruff", "check", "--no-cache"], "import os\n"),  # an unused import
        (["ruff", "format", "--check", "--no-cache"], "x = {  'a':1 }\n"),
        (["mypy", "--strict", "--no-incremental"], "def f(x):\n    return x\n"),  # untyped
    ],
    ids=["ruff check", "ruff format", "mypy"],
)
def test_a_check_fails_on_code_that_breaks_its_rule(
    tmp_path: Path, command: list[str], source: str
) -> None:
    """The control: the same executables refuse bad code, so a pass above means something."""
    bad = tmp_path / "bad.py"
    bad.write_text(source, encoding="utf-8")
    done = run_check([*command, str(bad)])
    assert done.returncode != 0, done.stdout + done.stderr
