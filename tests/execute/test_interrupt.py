"""Ctrl-C during a run (SPEC 6): exit 130, the steps after the one it stopped say the run was
interrupted (not that a step failed), and a re-run resumes from what finished, on every
local executor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import pipeflow
from tests.conftest import ProjectFactory

CONFIG = """
name: stop
executor: {type: EXECUTOR}
steps:
  first: {run: stopsteps.first}
  slow: {run: stopsteps.slow, inputs: {value: "${steps.first}"}}
  after: {run: stopsteps.first, after: [slow]}
  last: {run: stopsteps.first, after: [after]}
"""

STEPS = """
import time


def first():
    return 1


def slow(value):
    print("sleeping", flush=True)
    time.sleep(2)
    return value + 1
"""


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_an_interrupted_run_says_so_and_resumes(
    make_project: ProjectFactory, executor: str
) -> None:
    config = make_project(CONFIG.replace("EXECUTOR", executor), stopsteps=STEPS)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    seen = []
    deadline = time.monotonic() + 60
    for line in process.stdout:
        seen.append(line)
        if "sleeping" in line or time.monotonic() > deadline:
            break
    os.killpg(process.pid, signal.SIGINT)
    try:
        rest, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("pipeflow did not stop after Ctrl-C")
    output = "".join(seen) + rest
    assert process.returncode == 130, output
    assert "after: not run (the run was interrupted)" in output, output
    assert "last: not run (the run was interrupted)" in output, output
    assert "stopped after" not in output, output
    assert "was interrupted; re-run to resume" in output, output

    again = pipeflow.load(config).run()
    assert again.ok
    assert again.state("first").value == "cached"
    assert again.output("last") == 1
