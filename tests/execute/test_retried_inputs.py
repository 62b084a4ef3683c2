"""A retried step gets its inputs as they were made, whatever its failed attempt did to them.

Each step below changes every input it takes in place, then fails on its first call: the
attempt that succeeds must see the values unchanged, on every executor (on `processes` the
task's inputs were pickled once to the worker, and every attempt runs there), with and without
a `timeout` (the attempt then runs under its watch), for a step's value, a param, a literal
of the config and a `foreach` item.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address
from tests.executors import executor_spec

__all__ = ["dask_address"]

CONFIG = """
name: retried
params: {settings: {sizes: [1, 2]}}
results: {root: out}
executor: EXECUTOR
defaults: {retries: 1, retry_delay: 0s, timeout: TIMEOUT}
steps:
  make: {run: retrysteps.make}
  from_step: {run: retrysteps.spoil, inputs: {tag: step, value: "${steps.make}"}}
  from_param: {run: retrysteps.spoil, inputs: {tag: param, value: "${params.settings}"}}
  from_literal: {run: retrysteps.spoil, inputs: {tag: literal, value: {sizes: [1, 2]}}}
  from_item:
    run: retrysteps.spoil
    foreach: [{sizes: [1, 2]}, {sizes: [1, 2]}]
    as: value
    inputs: {tag: item}
"""

STEPS = """
import uuid
from pathlib import Path


def make():
    return {"sizes": [1, 2]}


def spoil(tag, value):
    seen = repr(value)
    value["sizes"].append(99)
    value["added"] = True
    Path(__file__).with_name(f"calls.{tag}.{uuid.uuid4().hex}").write_text(seen)
    failed = Path(__file__).with_name(f"failed.{tag}")
    if not failed.exists():
        failed.write_text("")
        raise RuntimeError(f"the first attempt of {tag} fails")
    return seen
"""

UNCHANGED = repr({"sizes": [1, 2]})


@pytest.mark.parametrize("timeout", ["null", "30s"], ids=["no-timeout", "timeout"])
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes", "dask"])
def test_a_retried_step_gets_its_inputs_as_they_were_made(
    make_project: ProjectFactory, executor: str, timeout: str, request: pytest.FixtureRequest
) -> None:
    spec = executor_spec(executor, request)
    text = CONFIG.replace("EXECUTOR", spec).replace("TIMEOUT", timeout)
    config = make_project(text, retrysteps=STEPS)

    run = pipeflow.load(config).run()

    steps = ("from_step", "from_param", "from_literal", "from_item")
    assert {step: run.state(step) for step in steps} == dict.fromkeys(steps, StepState.DONE)
    seen = {path.name: path.read_text() for path in Path(config.parent).glob("calls.*")}
    assert seen == dict.fromkeys(seen, UNCHANGED), seen  # every call, the failed ones too
    assert run.output("from_step") == UNCHANGED
    assert run.output("from_param") == UNCHANGED
    assert run.output("from_literal") == UNCHANGED
    assert run.output("from_item") == [UNCHANGED, UNCHANGED]
    assert run.output("make") == {"sizes": [1, 2]}
