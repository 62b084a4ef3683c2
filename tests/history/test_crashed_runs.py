"""A run whose process dies in its first step (a crash in C code, the OOM killer, os._exit) is
in the history, as `lost`.

The run's first rows were committed by the history's writer thread a moment after the run
began; a step that crashed the process at once came first, and the run was never recorded:
`pipeflow runs` and the UI did not know it had happened.
"""

from __future__ import annotations

import signal

import pytest

from pipeflow.history import open_history
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
import ctypes
import os
import signal


def segfault() -> int:
    print("about to crash")
    return ctypes.string_at(0)[0]  # reads address 0: SIGSEGV


def killed() -> int:
    print("about to be killed")
    os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer does
    return 1


def exits() -> int:
    os._exit(3)
"""
YAML = """
name: crashing
results: {persist: false}
executor: {type: EXECUTOR}
steps:
  first: {run: crashsteps.HOW}
  after: {run: crashsteps.exits, after: [first]}
"""
TOML = """
name = "crashing"
results = {persist = false}
executor = {type = "EXECUTOR"}
[steps.first]
run = "crashsteps.HOW"
[steps.after]
run = "crashsteps.exits"
after = ["first"]
"""


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("executor", ["sequential", "threads"])  # steps in the run's process
@pytest.mark.parametrize(
    ("how", "code"), [("segfault", -signal.SIGSEGV), ("killed", -signal.SIGKILL), ("exits", 3)]
)
def test_a_run_that_crashes_in_its_first_step_is_recorded_lost(
    make_project: ProjectFactory, spelling: str, executor: str, how: str, code: int
) -> None:
    text = (YAML if spelling == "yaml" else TOML).replace("EXECUTOR", executor)
    config = make_project(text.replace("HOW", how), name=f"pipeline.{spelling}", crashsteps=STEPS)
    ran = pipeflow_in(config.parent, "run", config.name)
    assert ran.returncode == code, ran.stdout + ran.stderr
    with open_history(config.parent) as history:
        runs = history.runs(pipeline="crashing")
        assert len(runs) == 1, ran.stdout + ran.stderr
        [run] = runs
        assert run.state == "lost"
        steps = {step.step: step.state for step in history.run(run.id).steps}
    # The step that ran may have been recorded as running (`failed` once lost) or not yet
    # (`not run`); none is left pending or running.
    assert steps["first"] in ("failed", "not run"), steps
    assert steps["after"] == "not run", steps
