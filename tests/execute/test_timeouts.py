"""Timeouts with retries: no two attempts of one step ever run at once, on any executor.

Each attempt of the step below takes a lock file in the test's folder (and records its
start and end); a second attempt that finds the lock taken marks an overlap. The dask
executor runs the same checks in tests/execute/test_dask.py.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory

STEPS = """
import os
import time
from pathlib import Path


def guarded(folder: str, seconds: float, blocking: bool = False) -> str:
    root = Path(folder)
    try:
        handle = os.open(root / "lock", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        (root / "overlap").write_text("two attempts at once")
        raise
    os.close(handle)
    (root / f"start-{time.time_ns()}").touch()
    try:
        if blocking:
            time.sleep(seconds)  # one call that Python cannot interrupt off the main thread
        else:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                time.sleep(0.01)
    finally:
        (root / f"end-{time.time_ns()}").touch()
        os.unlink(root / "lock")
    return "done"
"""


def attempts_in(folder: Path) -> list[tuple[int, int]]:
    """The (start, end) of each attempt that ended, in order; fails on an overlap."""
    assert not (folder / "overlap").exists(), "two attempts of one step ran at once"
    starts = sorted(int(p.name.split("-")[1]) for p in folder.glob("start-*"))
    ends = sorted(int(p.name.split("-")[1]) for p in folder.glob("end-*"))
    spans = list(zip(starts, ends, strict=False))
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end, "an attempt started before the previous one ended"
    return spans


def project(make_project: ProjectFactory, folder: Path, executor: str, **step: object) -> Path:
    inputs = {"folder": str(folder), "seconds": step.pop("seconds", 5)}
    inputs.update(step.pop("inputs", {}))  # type: ignore[call-overload]
    return make_project(
        f"""
        name: timed
        executor: {{type: {executor}, workers: 2}}
        results: {{persist: false}}
        steps:
          slow:
            run: tsteps.guarded
            inputs: {inputs!r}
            retries: 2
            retry_delay: 0s
            timeout: 1s
        """,
        tsteps=STEPS,
    )


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_timed_out_attempt_is_stopped_before_the_retry_starts(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    folder = tmp_path / "marks"
    folder.mkdir()
    config = project(make_project, folder, executor)
    run = pipeflow.load(config).run()
    outcome = run.outcomes["slow"]
    assert outcome.state is StepState.FAILED
    assert outcome.attempts == 3
    assert "TimeoutError: step `slow` did not finish within its timeout" in (outcome.error or "")
    assert outcome.reason == "timed out"  # not "raised an error", in the history too
    time.sleep(0.5)  # had an attempt been left running, it would still hold the lock
    assert len(attempts_in(folder)) == 3
    assert not (folder / "lock").exists()


def test_an_attempt_that_cannot_be_stopped_is_not_retried(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    """On `threads` (and on `sequential` run from a thread other than the main one,
    test_sequential_timeouts.py), a call blocked in C cannot be stopped."""
    folder = tmp_path / "marks"
    folder.mkdir()
    config = project(make_project, folder, "threads", seconds=6, inputs={"blocking": True})
    started = time.monotonic()
    run = pipeflow.load(config).run()
    outcome = run.outcomes["slow"]
    assert outcome.state is StepState.FAILED
    assert outcome.attempts == 1
    error = outcome.error or ""
    assert "not retried" in error
    assert "`processes`" in error
    assert outcome.reason == "timed out"
    assert time.monotonic() - started < 5.5  # given up on after a short grace
    # Its call ends 6 s after the attempt began (on a loaded machine, a while after `run()`).
    [began] = [int(p.name.split("-")[1]) / 1e9 for p in folder.glob("start-*")]
    time.sleep(max(0.0, began + 6 - time.time()))
    while not list(folder.glob("end-*")) and time.time() < began + 60:
        time.sleep(0.05)
    assert len(attempts_in(folder)) == 1  # one attempt only, which ended by itself


@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_a_call_on_a_main_thread_is_stopped_even_when_blocked(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    folder = tmp_path / "marks"
    folder.mkdir()
    config = project(make_project, folder, executor, inputs={"blocking": True})
    run = pipeflow.load(config).run()
    assert run.outcomes["slow"].attempts == 3
    assert len(attempts_in(folder)) == 3


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_each_attempt_has_the_whole_timeout(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    """A retry after a timeout is timed too (the processes executor once timed only the first)."""
    folder = tmp_path / "marks"
    folder.mkdir()
    config = project(make_project, folder, executor, seconds=4)
    started = time.monotonic()
    run = pipeflow.load(config).run()
    assert run.outcomes["slow"].attempts == 3
    assert run.state("slow") is StepState.FAILED
    assert time.monotonic() - started < 9  # three stopped attempts, not 1 + 4 + 4 seconds
