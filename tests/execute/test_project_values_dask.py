"""Values of the project's own classes between steps on a Dask cluster whose scheduler and
workers have no project code (SPEC section 14: the same config runs on a laptop and there).

Before, a dataclass `train` returned failed `predict` with Dask's "Error during
deserialization of the task graph" (the scheduler: "No module named ..."), stored or not, and
when `train` came from the cache. Now the values a task takes, and those a worker keeps, cross
the cluster as bytes only the worker (once the project's code is on its path) and the client
read. A value that still cannot be read on a worker fails its step with a message that names
the step, the input and the class.

The cluster is `test_remote_cluster`'s: a real scheduler and two workers that cannot see the
project folder, results on moto's S3 server.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.execute.test_remote_cluster import Remote, processes, remote

__all__ = ["processes", "remote"]

pytestmark = pytest.mark.slow

STEPS = """
from dataclasses import dataclass, field


@dataclass
class Model:
    w: float
    padding: list = field(default_factory=list)


def train(size):
    # `size` 20000 pickles past 64 KiB: the value stays on its worker (sent worker to worker)
    return Model(w=2.0, padding=[0.5] * size)


def predict(model):
    return Model(w=model.w * 3)


def models(count, size):
    return [Model(w=float(index), padding=[0.5] * size) for index in range(count)]


def score(model):
    return model.w + 1


def total(scores):
    return sum(scores)


def use(thing):
    return repr(thing)
"""


CONFIG = """\
name: dclass
{results}
executor: {{type: dask, address: "{address}"}}
params: {{size: {size}, thing: null}}
steps:
  train:
    run: dclass_steps.train
    inputs: {{size: "${{params.size}}"}}{unstored}
  predict:
    run: dclass_steps.predict
    inputs: {{model: "${{steps.train}}"}}{unstored}
  models:
    run: dclass_steps.models
    inputs: {{count: 3, size: "${{params.size}}"}}{unstored}
  score:
    run: dclass_steps.score
    foreach: "${{steps.models}}"
    as: model{unstored}
  total:
    run: dclass_steps.total
    inputs: {{scores: "${{steps.score}}"}}
"""


def _project(remote: Remote, *, stored: bool, size: int) -> Path:
    """`stored`: every value in the store (from there when asked), else none of them."""
    folder = remote.project("dclass")
    (folder / "dclass_steps.py").write_text(STEPS)
    config = folder / "pipeline.yaml"
    config.write_text(
        CONFIG.format(
            results=remote.results(),
            address=remote.address,
            size=size,
            unstored="" if stored else "\n    result: false",
        )
    )
    return config


@pytest.fixture(autouse=True)
def _fresh_step_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "dclass_steps", raising=False)


def _checked(run: pipeflow.Run) -> None:
    assert run.ok, {name: outcome.error for name, outcome in run.outcomes.items()}
    predicted = run.output("predict")
    assert type(predicted).__name__ == "Model"
    assert predicted.w == 6.0
    assert [model.w for model in run.output("models")] == [0.0, 1.0, 2.0]
    assert run.output("score") == [1.0, 2.0, 3.0]
    assert run.output("total") == 6.0


@pytest.mark.parametrize("size", [0, 20000], ids=["small", "kept-on-its-worker"])
@pytest.mark.parametrize("stored", [True, False], ids=["stored", "unstored"])
def test_a_project_class_value_passes_between_steps_on_a_remote_cluster(
    remote: Remote, stored: bool, size: int
) -> None:
    """A dataclass to the next step, and a list of them to a `foreach`, then to the client."""
    config = _project(remote, stored=stored, size=size)
    _checked(pipeflow.load(config).run(history=False))


@pytest.mark.parametrize("size", [0, 20000], ids=["small", "kept-on-its-worker"])
def test_a_project_class_value_from_the_cache_passes_to_the_next_step(
    remote: Remote, size: int
) -> None:
    config = _project(remote, stored=True, size=size)
    first = pipeflow.load(config).run(history=False)
    _checked(first)
    again = pipeflow.load(config).run(history=False, force=["predict", "score"])
    _checked(again)
    states = {name: outcome.state for name, outcome in again.outcomes.items()}
    assert states["train"] == states["models"] == StepState.CACHED
    assert states["predict"] == StepState.DONE


CLIENT_ONLY = """
class Secretive:
    def __repr__(self):
        return "Secretive()"
"""


def test_a_value_whose_class_the_workers_cannot_import_names_the_step_and_class(
    remote: Remote, tmp_path: Path
) -> None:
    """A param of a class only the client can import (from a folder not in the project)."""
    elsewhere = tmp_path / "client_only"
    elsewhere.mkdir()
    (elsewhere / "client_only_things.py").write_text(CLIENT_ONLY)
    sys.path.insert(0, str(elsewhere))
    try:
        import client_only_things  # type: ignore[import-not-found]

        config = _project(remote, stored=True, size=0)
        with config.open("a") as text:
            text.write('  use: {run: dclass_steps.use, inputs: {thing: "${params.thing}"}}\n')
        run = pipeflow.load(config).run(
            {"thing": client_only_things.Secretive()}, history=False, only="use"
        )
    finally:
        sys.modules.pop("client_only_things", None)
    error = run.outcomes["use"].error or ""
    assert not run.ok
    assert error.startswith("TypeError: step `use` cannot run on the Dask worker "), error
    assert "its input `thing` holds a `client_only_things.Secretive`" in error, error
    assert "No module named 'client_only_things'" in error, error
    assert "define the class in a module of the project that a step imports" in error
