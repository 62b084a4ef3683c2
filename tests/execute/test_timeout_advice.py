"""What a timed-out step's failure advises depends on the executor it ran on.

A step blocked in `time.sleep` past its timeout, with a retry left: on `threads` its thread
cannot be stopped, and the message advises the executors that stop such work; on `sequential`
(the run's main thread) and `processes` the call is interrupted in place; on `dask` the
worker is restarted (and the step retried). No executor's message (its first line, or the
exception text under it) advises using itself.
"""

from __future__ import annotations

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory

STEPS = """
import time


def sleepy():
    time.sleep(6)  # one call that Python cannot interrupt off the main thread
    return 1
"""

ADVICE = "use one of them"


def _failure_text(make_project: ProjectFactory, executor: str) -> tuple[str, str]:
    """The error and traceback of the timed-out step, run on `executor`."""
    config = make_project(
        f"""
        name: advised
        executor: {executor}
        results: {{persist: false}}
        steps:
          sleepy: {{run: tsteps.sleepy, timeout: 1s, retries: 1, retry_delay: 0s}}
        """,
        tsteps=STEPS,
    )
    outcome = pipeflow.load(config).run().outcomes["sleepy"]
    assert outcome.state is StepState.FAILED, outcome
    assert "did not finish within its timeout" in (outcome.error or ""), outcome
    return outcome.error or "", outcome.traceback or ""


def _advises_itself(kind: str, text: str) -> bool:
    return ADVICE in text and f"`{kind}`" in text


def test_a_step_on_threads_is_advised_the_executors_that_stop_it(
    make_project: ProjectFactory,
) -> None:
    kind = "threads"
    error, traceback = _failure_text(make_project, f"{{type: {kind}, workers: 2}}")
    assert "not retried" in error
    for text in (error, traceback):
        assert ADVICE in text, text
        assert "`processes` and `dask`" in text, text
        assert not _advises_itself(kind, text), text


@pytest.mark.parametrize("executor", ["{type: sequential}", "{type: processes, workers: 1}"])
def test_a_step_on_a_main_thread_is_stopped_without_advice(
    make_project: ProjectFactory, executor: str
) -> None:
    error, traceback = _failure_text(make_project, executor)
    assert "it was stopped" in error
    for text in (error, traceback):
        assert ADVICE not in text, text


@pytest.mark.slow
def test_a_step_on_dask_is_told_its_worker_restarts_not_to_use_dask(
    make_project: ProjectFactory, dask_address: str
) -> None:
    pytest.importorskip("distributed")
    error, traceback = _failure_text(
        make_project, f'{{type: dask, address: "{dask_address}", shared_filesystem: true}}'
    )
    # Retried once the worker is gone (test_dask_stuck_retries.py): its last attempt failed.
    assert "not retried" not in error
    assert "is restarted to stop it" in error
    assert traceback, "the exception text is shown under the first line"
    for text in (error, traceback):
        assert ADVICE not in text, text
        assert not _advises_itself("dask", text), text
