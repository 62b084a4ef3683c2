"""`timeout` on `processes` when the step catches the interruption: the attempt fails all
the same, what it returns late is dropped, and a step that goes on is ended with its worker."""

from __future__ import annotations

import time
from pathlib import Path

import pipeflow
from pipeflow.model.events import Event, StepRetrying
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory

STEPS = """
import time
from pathlib import Path


def late_once(marker: str) -> str:
    path = Path(marker)
    first = not path.exists()
    path.write_text("called")
    if not first:
        return "in time"
    try:
        time.sleep(5)
    except BaseException:  # the timeout's interruption, swallowed: it returns late
        time.sleep(0.5)
    return "late"


def stubborn(marker: str) -> str:
    try:
        time.sleep(6)
    except BaseException:  # every interruption swallowed
        time.sleep(6)
    Path(marker).write_text("finished")
    return "survived"


def quick() -> int:
    return 1
"""


def _project(make_project: ProjectFactory, function: str, marker: Path, more: str = "") -> Path:
    """One worker; step `s` runs `function` with a 500 ms timeout and one retry."""
    return make_project(
        "name: t\n"
        "executor: {type: processes, workers: 1}\n"
        "results: {root: out}\n"
        "steps:\n"
        f'  s: {{run: tsteps.{function}, inputs: {{marker: "{marker}"}}, timeout: 500ms, '
        "retries: 1, retry_delay: 0s}\n" + more,
        tsteps=STEPS,
    )


def test_a_value_returned_after_the_timeout_is_dropped_and_the_step_retried(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = _project(make_project, "late_once", tmp_path / "called")
    events: list[Event] = []
    run = pipeflow.load(config).run(subscribers=[events.append])
    assert run.state("s") is StepState.DONE, run.outcomes["s"]
    assert run.outcomes["s"].attempts == 2
    assert run.output("s") == "in time"
    [retrying] = [event for event in events if isinstance(event, StepRetrying)]
    assert "timeout" in retrying.error


def test_a_step_that_goes_on_after_its_timeout_is_ended_with_its_worker(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    marker = tmp_path / "finished"
    config = _project(make_project, "stubborn", marker, "  after: {run: tsteps.quick}\n")
    began = time.monotonic()
    run = pipeflow.load(config).run(keep_going=True)
    assert time.monotonic() - began < 12  # an attempt not ended would take 12s alone
    assert run.state("s") is StepState.FAILED
    assert run.outcomes["s"].attempts == 2  # retried on a new worker (stuck_retries)
    error = run.outcomes["s"].error or ""
    assert error.startswith("TimeoutError: step `s` did not finish within its timeout")
    assert "worker process was ended" in error
    assert run.state("after") is StepState.DONE  # on a new worker
    assert not marker.exists()
    assert [d.action.value for d in pipeflow.load(config).plan() if d.step == "s"] == ["run"]
