"""A step stopped by its `timeout` says where it was stopped: the traceback of its failure
shows the step's own frames at that moment (the function it was in and the line), not
pipeflow's, on every local executor: on a process's main thread (sequential, processes) the
timer interrupts the call where it is; on a thread (threads, and a Dask worker's) the place is
read off the thread before it is asked to stop, also when it cannot be stopped."""

from __future__ import annotations

import sys

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory

STEPS = """
import time


def wait_here(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.01)  # the line a stop lands on


def slow(seconds: float) -> str:
    wait_here(seconds)
    return "done"


def blocked(seconds: float) -> str:
    time.sleep(seconds)  # one call a thread cannot be stopped in
    return "done"
"""


@pytest.fixture(autouse=True)
def _fresh_step_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "tsteps", raising=False)


@pytest.mark.parametrize(
    "executor",
    ["{type: sequential}", "{type: threads, workers: 2}", "{type: processes, workers: 1}"],
)
@pytest.mark.parametrize(("function", "line"), [("slow", "time.sleep(0.01)"), ("blocked", "")])
def test_a_timed_out_step_shows_where_it_was_stopped(
    make_project: ProjectFactory, executor: str, function: str, line: str
) -> None:
    config = make_project(
        f"""
        name: timed
        executor: {executor}
        results: {{persist: false}}
        steps:
          late: {{run: tsteps.{function}, inputs: {{seconds: 3}}, timeout: 0.5s}}
        """,
        tsteps=STEPS,
    )
    run = pipeflow.load(config).run(history=False)
    outcome = run.outcomes["late"]
    assert outcome.state is StepState.FAILED
    assert "did not finish within its timeout" in (outcome.error or "")
    shown = outcome.traceback or ""
    assert "/pipeflow/" not in shown, shown
    assert f", in {function}\n" in shown, shown
    if function == "slow":
        assert "in wait_here\n" in shown, shown
        assert line in shown, shown
    else:
        assert "time.sleep(seconds)" in shown, shown
    assert shown.splitlines()[-1].startswith("TimeoutError: step `late` did not finish"), shown


@pytest.mark.slow
def test_on_a_dask_worker_too(make_project: ProjectFactory, dask_address: str) -> None:
    config = make_project(
        f"""
        name: timed
        executor: {{type: dask, address: "{dask_address}", shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          late: {{run: tsteps.slow, inputs: {{seconds: 3}}, timeout: 0.5s}}
        """,
        tsteps=STEPS,
    )
    outcome = pipeflow.load(config).run(history=False).outcomes["late"]
    assert outcome.state is StepState.FAILED
    shown = outcome.traceback or ""
    assert "/pipeflow/" not in shown, shown
    assert "in wait_here\n" in shown, shown
    assert "time.sleep(0.01)" in shown, shown
