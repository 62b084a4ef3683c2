"""On GitHub Actions, a failed step is also an `::error` annotation at the line of the step's
own code that raised, as a config problem is at its line: before, a run's failures showed in
the job's log alone, not on the file in the pull request's diff."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
import helpers


def load() -> int:
    return 1


def explode(value: int) -> int:
    return helpers.divide(value, 0)
"""
HELPERS = """
def divide(a: int, b: int) -> float:
    return a / b
"""
YAML = """
name: annotated
results: {root: out}
executor: {type: EXECUTOR}
steps:
  load: {run: failsteps.load}
  explode: {run: failsteps.explode, inputs: {value: "${steps.load}"}}
"""
TOML = """
name = "annotated"
results = {root = "out"}
executor = {type = "EXECUTOR"}
[steps.load]
run = "failsteps.load"
[steps.explode]
run = "failsteps.explode"
inputs = {value = "${steps.load}"}
"""
ANNOTATION = (
    "::error file=helpers.py,line=3,title=pipeflow step `explode` failed"
    "::ZeroDivisionError: division by zero"
)


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_failed_step_is_annotated_at_the_line_that_raised(
    make_project: ProjectFactory, spelling: str, executor: str
) -> None:
    config = make_project(
        (YAML if spelling == "yaml" else TOML).replace("EXECUTOR", executor),
        name=f"pipeline.{spelling}",
        failsteps=STEPS,
        helpers=HELPERS,
    )
    ran = pipeflow_in(config.parent, "run", config.name, env={"GITHUB_ACTIONS": "true"})
    assert ran.returncode == 1, ran.stdout + ran.stderr
    said = ran.stdout + ran.stderr
    assert [line for line in said.splitlines() if line.startswith("::error")] == [ANNOTATION]
    # Off GitHub, no workflow command.
    ran = pipeflow_in(config.parent, "run", config.name, env={"GITHUB_ACTIONS": ""})
    assert ran.returncode == 1
    assert "::error" not in ran.stdout + ran.stderr


HANG = """
import time
from pathlib import Path


def hang(marker: str) -> int:
    Path(marker).write_text("started")
    time.sleep(60)
    return 1
"""


def test_a_step_ctrl_c_stopped_is_not_annotated(make_project: ProjectFactory) -> None:
    config = make_project(
        'name: stopped\nsteps:\n  hang: {run: hangsteps.hang, inputs: {marker: "MARK"}}\n',
        hangsteps=HANG,
    )
    marker = config.parent / "started"
    config.write_text(config.read_text().replace("MARK", str(marker)))
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", config.name],
        cwd=config.parent,
        env={**os.environ, "GITHUB_ACTIONS": "true"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 130, output
    assert "::error" not in output
