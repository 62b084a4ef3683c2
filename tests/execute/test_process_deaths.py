"""A `processes` worker that dies: only the step it ran fails, the others run again."""

from __future__ import annotations

from pathlib import Path

import pipeflow
from pipeflow.model.events import Event, StepRetrying
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory

STEPS = """
import os
import signal
import time
from pathlib import Path


def die(marker: str) -> None:
    # Once `v1` runs in the other worker: its worker must not be blamed for this death.
    deadline = time.monotonic() + 20
    while not Path(marker + ".started").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(os.getpid(), signal.SIGKILL)


def slow(i: int, marker: str) -> int:
    # Not `marker` itself: an input naming a file counts its content in the step's key.
    Path(marker + ".started").write_text("started")
    time.sleep(1)
    return i


def inc(x: int) -> int:
    return x + 1


def leave(code: int) -> None:
    os._exit(code)
"""


def test_a_dead_worker_fails_its_own_step_only_and_the_others_run_again(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    """`s` kills its worker while `v1` runs in the other one and `v2` waits for a worker:
    the pool breaks under all three, but only `s` fails; `v1` and `v2` run again on a new
    pool (not as a retry of theirs), `w` after `v1`, and a re-run takes them from the cache."""
    marker = tmp_path / "v1"
    config = make_project(
        f"""
        name: k
        executor: {{type: processes, workers: 2}}
        results: {{root: out}}
        steps:
          s: {{run: dsteps.die, inputs: {{marker: "{marker}"}}}}
          v1: {{run: dsteps.slow, inputs: {{i: 1, marker: "{marker}"}}}}
          v2: {{run: dsteps.slow, inputs: {{i: 2, marker: "{tmp_path / "v2"}"}}}}
          w: {{run: dsteps.inc, inputs: {{x: "${{steps.v1}}"}}}}
        """,
        dsteps=STEPS,
    )
    events: list[Event] = []
    run = pipeflow.load(config).run(keep_going=True, subscribers=[events.append])
    for name in ("v1", "v2", "w"):
        assert run.state(name) is StepState.DONE, run.outcomes[name]
        assert run.outcomes[name].attempts == 1
    assert run.state("s") is StepState.FAILED
    error = run.outcomes["s"].error or ""
    assert "the worker process running `s` died" in error
    assert "SIGKILL" in error
    assert run.outcomes["s"].reason == "its worker died"
    assert run.output("w") == 2
    assert not [event for event in events if isinstance(event, StepRetrying)]

    again = pipeflow.load(config).run(keep_going=True)
    assert again.state("s") is StepState.FAILED
    assert [again.state(name) for name in ("v1", "v2", "w")] == [StepState.CACHED] * 3


def test_a_worker_that_exits_fails_its_step_with_the_exit_code(
    make_project: ProjectFactory,
) -> None:
    config = make_project(
        """
        name: k
        executor: {type: processes, workers: 1}
        results: {persist: false}
        steps:
          bye: {run: dsteps.leave, inputs: {code: 7}}
        """,
        dsteps=STEPS,
    )
    run = pipeflow.load(config).run()
    assert run.state("bye") is StepState.FAILED
    error = run.outcomes["bye"].error or ""
    assert "the worker process running `bye` died" in error
    assert "exited with code 7" in error
