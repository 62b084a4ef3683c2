"""A step that takes some of another step's named outputs (`${steps.split.train}`) is keyed by
those outputs' data alone: when the upstream step runs again and only another output changes
(`test`), it stays cached, on every executor and in both config languages; a step that takes
the changed output, or the whole value, runs, saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.calls import calls
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address  # noqa: F401  (a fixture)
from tests.executors import EXECUTORS, executor_spec
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path


def _note(name):
    with open(Path(__file__).with_name("calls.log"), "a") as log:
        log.write(name + "\\n")


def split(n):
    _note("split")
    return {"train": [1, 2], "test": [n, 3]}


def pair(n):
    _note("pair")
    return [1, 2], n


def use(v, name):
    _note(name)
    return v
"""

YAML = """
name: parts
executor: {executor}
params: {{n: 1}}
steps:
  split: {{run: psteps.split, inputs: {{n: "${{params.n}}"}}, outputs: [train, test]}}
  pair: {{run: psteps.pair, inputs: {{n: "${{params.n}}"}}, outputs: [left, right]}}
  train: {{run: psteps.use, inputs: {{v: "${{steps.split.train}}", name: train}}}}
  test: {{run: psteps.use, inputs: {{v: "${{steps.split.test}}", name: test}}}}
  whole: {{run: psteps.use, inputs: {{v: "${{steps.split}}", name: whole}}}}
  left: {{run: psteps.use, inputs: {{v: "${{steps.pair.left}}", name: left}}}}
  right: {{run: psteps.use, inputs: {{v: "${{steps.pair.right}}", name: right}}}}
"""

TOML = """
name = "parts"
executor = {executor}

[params]
n = 1

[steps.split]
run = "psteps.split"
inputs = {{n = "${{params.n}}"}}
outputs = ["train", "test"]

[steps.pair]
run = "psteps.pair"
inputs = {{n = "${{params.n}}"}}
outputs = ["left", "right"]

[steps.train]
run = "psteps.use"
inputs = {{v = "${{steps.split.train}}", name = "train"}}

[steps.test]
run = "psteps.use"
inputs = {{v = "${{steps.split.test}}", name = "test"}}

[steps.whole]
run = "psteps.use"
inputs = {{v = "${{steps.split}}", name = "whole"}}

[steps.left]
run = "psteps.use"
inputs = {{v = "${{steps.pair.left}}", name = "left"}}

[steps.right]
run = "psteps.use"
inputs = {{v = "${{steps.pair.right}}", name = "right"}}
"""


def _project(
    make_project: ProjectFactory, language: str, executor: str, request: pytest.FixtureRequest
) -> Path:
    if language == "yaml":
        spec = executor_spec(executor, request)
        return make_project(YAML.format(executor=spec), psteps=STEPS)
    spec = f'{{type = "{executor}"}}'
    if executor == "dask":
        address = request.getfixturevalue("dask_address")
        spec = f'{{type = "dask", address = "{address}", shared_filesystem = true}}'
    return make_project(TOML.format(executor=spec), name="pipeline.toml", psteps=STEPS)


@pytest.mark.parametrize("language", ["yaml", "toml"])
@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_step_taking_unchanged_outputs_stays_cached(
    make_project: ProjectFactory,
    request: pytest.FixtureRequest,
    language: str,
    executor: str,
) -> None:
    config = _project(make_project, language, executor, request)
    folder = config.parent
    assert pipeflow.load(config).run(history=False).ok
    calls(folder)

    run = pipeflow.load(config).run({"n": 5}, history=False)

    assert run.ok, run.outcomes
    assert calls(folder) == ["pair", "right", "split", "test", "whole"]
    assert run.state("train") is StepState.CACHED
    assert run.state("left") is StepState.CACHED
    assert run.output("train") == [1, 2]
    assert run.output("test") == [5, 3]
    reasons = {name: outcome.reason for name, outcome in run.outcomes.items()}
    assert reasons["test"] == "the result of `split` changed"
    assert reasons["whole"] == "the result of `split` changed"
    assert reasons["right"] == "the result of `pair` changed"

    # Nothing changed since: nothing runs.
    again = pipeflow.load(config).run({"n": 5}, history=False)
    assert again.ok
    assert calls(folder) == []


@pytest.mark.parametrize("language", ["yaml", "toml"])
def test_the_command_line_keeps_a_step_taking_unchanged_outputs(
    make_project: ProjectFactory, request: pytest.FixtureRequest, language: str
) -> None:
    config = _project(make_project, language, "sequential", request)
    folder = config.parent
    assert pipeflow_in(folder, "run", config.name).returncode == 0
    calls(folder)

    ran = pipeflow_in(folder, "run", config.name, "--param", "n=5")

    assert ran.returncode == 0, ran.stderr
    assert calls(folder) == ["pair", "right", "split", "test", "whole"]
    assert "train: cached" in ran.stdout
    assert "left: cached" in ran.stdout
    status = pipeflow_in(folder, "status", config.name, "--param", "n=5")
    assert status.returncode == 0, status.stderr
    assert all(line.split()[1] == "cached" for line in status.stdout.splitlines())
