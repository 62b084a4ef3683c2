"""`pipeflow runs` (and the UI's list of runs, and `history.runs()` in Python) count the steps
a run did not run, beside those done, cached and failed. Before, a run that could not start
(its Dask scheduler down) read `0 0 0`, and a run whose first step failed did not say that
the steps after it never ran: the counts did not add up to the run's steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeflow.history import open_history
from tests.conftest import ProjectFactory
from tests.servers import closed_port
from tests.system import pipeflow_in

STEPS = """
def first():
    raise ValueError("no data")


def then(x):
    return x
"""

CONFIG = """
name: counted
executor: EXECUTOR
steps:
  first: {run: csteps.first}
  second: {run: csteps.then, inputs: {x: "${steps.first}"}}
  third: {run: csteps.then, inputs: {x: "${steps.second}"}}
"""

HEADER = ["ID", "PIPELINE", "STATE", "TRIGGER", "STARTED", "DURATION", "DONE", "CACHED"]
HEADER += ["FAILED", "NOT", "RUN"]


def _row(folder: Path) -> list[str]:
    listed = pipeflow_in(folder, "runs")
    assert listed.returncode == 0, listed.stderr
    header, row, *_ = listed.stdout.splitlines()
    assert header.split() == HEADER
    return row.split()


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_the_steps_after_a_failure_are_counted_not_run(
    make_project: ProjectFactory, executor: str
) -> None:
    config = make_project(CONFIG.replace("EXECUTOR", f"{{type: {executor}}}"), csteps=STEPS)
    run = pipeflow_in(config.parent, "run", config.name)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 2 not run" in run.stdout + run.stderr
    assert _row(config.parent)[-4:] == ["0", "0", "1", "2"]
    with open_history(config.parent) as history:
        [record] = history.runs(pipeline="counted")
    assert (record.done, record.cached, record.failed, record.not_run) == (0, 0, 1, 2)


def test_a_run_that_could_not_start_counts_every_step_not_run(
    make_project: ProjectFactory,
) -> None:
    executor = (
        f"{{type: dask, address: 'tcp://127.0.0.1:{closed_port()}', shared_filesystem: true}}"
    )
    config = make_project(CONFIG.replace("EXECUTOR", executor), csteps=STEPS)
    run = pipeflow_in(config.parent, "run", config.name)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "no Dask scheduler answers" in run.stderr
    row = _row(config.parent)
    assert row[2] == "failed"
    assert row[-4:] == ["0", "0", "0", "3"]
