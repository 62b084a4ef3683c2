"""Steps a failed or interrupted run never reached: one that the run would not have run in any
case (not selected, or taken from the cache) is reported as what it is, on every executor,
not as `not run`.

Before, the sequential executor (which reaches a step only after the ones before it) reported
them `not run (the run stopped after `boom` failed)`, where the other executors, which start
every ready step at once, said `skipped (not selected)` and `cached`: the same run read as if
steps that are up to date, or outside the selection, had to run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address
from tests.executors import EXECUTORS, executor_spec
from tests.system import pipeflow_in

__all__ = ["dask_address"]

STEPS = """
def boom() -> int:
    raise RuntimeError("fails at once")


def value(number: int) -> int:
    return number
"""

# In the order the sequential executor reaches them: `boom` first.
CONFIG = """
name: unreached
executor: {executor}
results: {{root: out}}
steps:
  boom: {{run: usteps.boom}}
  kept: {{run: usteps.value, inputs: {{number: 1}}}}
  items: {{run: usteps.value, foreach: [1, 2], as: number}}
  other: {{run: usteps.value, inputs: {{number: 2}}}}
  after_boom: {{run: usteps.value, inputs: {{number: 3}}, after: [boom]}}
"""


def stored_then_failed(
    make_project: ProjectFactory, request: pytest.FixtureRequest, executor: str
) -> Path:
    """The project, once `kept` and `items` are stored."""
    config = make_project(CONFIG.format(executor=executor_spec(executor, request)), usteps=STEPS)
    assert pipeflow.load(config).run(only=["kept", "items"]).ok
    return config


@pytest.mark.parametrize("executor", EXECUTORS)
def test_steps_outside_the_selection_or_cached_are_said_so_after_a_failure(
    make_project: ProjectFactory, request: pytest.FixtureRequest, executor: str
) -> None:
    config = stored_then_failed(make_project, request, executor)
    run = pipeflow.load(config).run(only="boom")
    states = {name: (o.state, o.reason) for name, o in run.outcomes.items()}
    assert states["boom"][0] is StepState.FAILED
    assert states["kept"][0] is StepState.CACHED, states
    assert states["items"][0] is StepState.CACHED, states
    assert states["other"] == (StepState.SKIPPED, "not selected"), states
    assert states["after_boom"] == (StepState.SKIPPED, "not selected"), states


@pytest.mark.parametrize("executor", ["sequential", "threads"])
def test_the_summary_counts_them_as_what_they_are(
    make_project: ProjectFactory, request: pytest.FixtureRequest, executor: str
) -> None:
    config = stored_then_failed(make_project, request, executor)
    done = pipeflow_in(config.parent, "run", config.name, "--only", "boom")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "not run" not in done.stdout, done.stdout
    assert "kept: cached (stored by run" in done.stdout
    assert "other: skipped (not selected)" in done.stdout
    assert done.stdout.strip().splitlines()[-1].endswith(": 1 failed, 2 cached, 2 skipped")


def test_a_step_that_would_have_run_is_still_not_run(make_project: ProjectFactory) -> None:
    """The sequential executor never reaches `other`, which has no stored result: not run."""
    config = make_project(CONFIG.format(executor="{type: sequential}"), usteps=STEPS)
    run = pipeflow.load(config).run()
    assert run.outcomes["other"].state is StepState.NOT_RUN
    assert run.outcomes["other"].reason == "the run stopped after `boom` failed"
    assert run.outcomes["after_boom"].state is StepState.NOT_RUN
