"""A timed-out step on a Dask worker that stops when asked (pure Python, which an asynchronous
exception stops at its next bytecode) fails without its worker being restarted, on its last
attempt as on any other: a restart would end every other task of that worker process (a step
of this run or another's, started again from scratch elsewhere) and drop the values it keeps.
Only a call that does not stop (blocked in C) costs its worker a restart.

The executor's own local cluster, one worker process with two threads, so the timed-out step
and its neighbour share that process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory

pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

STEPS = """
import os
import time
from pathlib import Path


def spin(marker: str) -> int:
    Path(marker).write_text(str(os.getpid()))
    count = 0
    while True:  # pure Python: stops at once when asked
        count += 1


def neighbour(seconds: float, marks: str) -> int:
    with open(marks, "a") as told:
        told.write(f"{os.getpid()}\\n")
    time.sleep(seconds)
    return os.getpid()
"""


@pytest.mark.parametrize("retries", [0, 1])
def test_a_step_that_stops_in_time_keeps_its_worker(
    make_project: ProjectFactory, tmp_path: Path, retries: int
) -> None:
    spun, marks = tmp_path / "spun", tmp_path / "marks"
    config = make_project(
        f"""
        name: stopping
        executor: {{type: dask, workers: 1, threads_per_worker: 2}}
        results: {{persist: false}}
        steps:
          spin:
            run: ssteps.spin
            inputs: {{marker: "{spun}"}}
            timeout: 1s
            retries: {retries}
            retry_delay: 0s
          neighbour: {{run: ssteps.neighbour, inputs: {{seconds: 4, marks: "{marks}"}}}}
        """,
        ssteps=STEPS,
    )
    run = pipeflow.load(config).run(keep_going=True, history=False)
    outcome = run.outcomes["spin"]
    assert outcome.state is StepState.FAILED, outcome
    assert outcome.attempts == retries + 1, outcome
    error = outcome.error or ""
    assert "did not finish within its timeout of 1.00s" in error, error
    assert "restarted" not in error, error
    # The neighbour ran once, to its end, in the worker process the step ran in.
    assert run.state("neighbour") is StepState.DONE, run.outcomes
    assert marks.read_text().split() == [spun.read_text()]
    assert run.output("neighbour") == int(spun.read_text())
