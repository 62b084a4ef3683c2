"""Programs from the operating system that some tests drive: Chromium, zsh, fish, bash, GNU
date and its zone data. They are not pip packages, so `pip install -e '.[dev]'` cannot bring
them; `.ci/run` installs them with apt, and README.md says how to.

Outside CI, a test whose program is missing is skipped, and the reason names the Debian package
that provides it. In CI (`CI=true`), the same test fails instead: CI installs every one of
them, so a skip there would count a test that never ran as passing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

import pytest

# program -> the Debian/Ubuntu package that provides it, and what the tests need it for
PROGRAMS = {
    "chromium": ("chromium", "the UI's browser tests (Playwright drives the system's Chromium)"),
    "zsh": ("zsh", "loading the zsh completion script"),
    "fish": ("fish", "loading the fish completion script"),
    "bash": ("bash", "loading the bash completion script and running exported shell code"),
    "date": ("coreutils", "the GitHub Actions export's time-zone guard (GNU date)"),
    "unshare": ("util-linux", "Dask workers that cannot see the project folder"),
    "mount": ("mount", "Dask workers that cannot see the project folder (a tmpfs over it)"),
}
APT_PACKAGES = sorted({package for package, _ in PROGRAMS.values()})


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing(what: str, package: str) -> NoReturn:
    """Skip (outside CI) or fail (in CI) because `what` is not installed."""
    install = f"`sudo apt-get install -y {package}` (Debian/Ubuntu; `bash .ci/run` does it)"
    if in_ci():
        pytest.fail(f"{what} is missing in CI: .ci/run must install it: {install}", pytrace=False)
    pytest.skip(f"{what} is not installed: {install}")


def program(name: str) -> str:
    """The path of a system program a test needs, or skip/fail naming its apt package."""
    package, why = PROGRAMS[name]
    found = shutil.which(name)
    if found is None:
        missing(f"`{name}` (needed for {why})", package)
    return found


def zone_data(zone: str = "Europe/Berlin") -> None:
    """GNU date knows `zone` (the system's tz database, package tzdata), or skip/fail."""
    date = program("date")
    offset = subprocess.run(
        [date, "+%z"],
        env={**os.environ, "TZ": zone},
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    # Without zone data, date falls back to UTC for an unknown TZ.
    if zone != "UTC" and offset in {"+0000", ""}:
        missing(f"the system's time-zone data for {zone} (read by `date`)", "tzdata")


def pipeflow_in(
    folder: Path,
    *arguments: str,
    timeout: float = 120,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`pipeflow ARGUMENTS` run in `folder` as a user runs it: a process of its own, this
    interpreter's pipeflow, its output captured as text; `env`: variables added to this
    process's environment for it."""
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *arguments],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )
