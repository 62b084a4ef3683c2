"""pipeflow's own warnings on the command line: one clean `warning: ...` line on stderr, never
Python's `file.py:123: ResultWarning: ...` followed by the source line that raised it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import journals
from tests.conftest import REPO, ProjectFactory

CONFIG = """
name: warned
results: {root: out}
steps:
  numbers: {run: nsteps.numbers}
  total: {run: nsteps.total, inputs: {values: "${steps.numbers}"}}
"""

STEPS = """
def numbers() -> list:
    return [1, 2, 3]

def total(values: list) -> int:
    return sum(values)
"""


def pipeflow(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_clean(stderr: str, starts: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    warned = [line for line in lines if line.startswith("warning: ")]
    assert any(line.startswith(f"warning: {starts}") for line in warned), stderr
    assert "Warning:" not in stderr, stderr  # no `ResultWarning: ...` header
    assert "warnings.warn(" not in stderr, stderr  # no source line
    assert ".py:" not in stderr, stderr  # no file:line of pipeflow's code


def test_a_broken_stored_result_warns_in_one_clean_line(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, nsteps=STEPS)
    folder = config.parent
    first = pipeflow(folder, "run", "pipeline.yaml")
    assert first.returncode == 0, first.stderr
    # Small results: records of the run's journal, whose manifests are made no JSON.
    for step in ("numbers", "total"):
        journals.break_manifest(folder / "out", "warned", step)
    for command in (["status", "pipeline.yaml"], ["run", "pipeline.yaml"]):  # run rebuilds
        again = pipeflow(folder, *command)
        assert again.returncode == 0, again.stderr
        assert_clean(again.stderr, "ignoring the broken manifest")
        assert "warning:" not in again.stdout


def test_a_history_that_cannot_record_warns_in_one_clean_line(
    make_project: ProjectFactory,
) -> None:
    config = make_project(CONFIG, nsteps=STEPS)
    folder = config.parent
    (folder / ".pipeflow").mkdir()
    (folder / ".pipeflow" / "runs.db").write_bytes(b"\x00garbage" * 1000)
    result = pipeflow(folder, "run", "pipeline.yaml")
    assert result.returncode == 0, result.stderr
    assert_clean(result.stderr, "run history: could not record")
