"""`--frozen` and a stored step that takes the value of a step whose result is never stored.

A `result: false` step's value is known only by running it, and the stored step after it is
keyed on that value: every frozen run refused the pipeline ("`load` runs first", exit 3),
however current its stored results. Such a step computes a value nothing keeps, so a frozen
run now runs it (as it reads again in a `pipeflow.read` step), then decides the steps that
take its value: cached, the run passes; changed, they are refused (exit 3), never run. A
`result: false` step that no stored step waits for is still not run. Through the API and the
command line (`run --frozen`, `run --frozen --dry-run`), on every executor, YAML and TOML.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action, StepState
from tests.calls import calls
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address  # noqa: F401  (a fixture executor_spec uses)
from tests.executors import EXECUTORS, executor_spec
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def load(path):
    note("load")
    return Path(path).read_text().split()


def clean(words):
    note("clean")
    return [word.lower() for word in words]


def count(words):
    note("count")
    return len(words)


def notify(n):
    note("notify")
"""

# `load` and `clean` store nothing, `count` is stored, `notify` (stores nothing) follows it.
YAML = """\
name: unstored
results: {{root: out}}
executor: {executor}
steps:
  load: {{run: usteps.load, inputs: {{path: words.txt}}, result: false}}
  clean: {{run: usteps.clean, inputs: {{words: "${{steps.load}}"}}, result: false}}
  count: {{run: usteps.count, inputs: {{words: "${{steps.clean}}"}}}}
  notify: {{run: usteps.notify, inputs: {{n: "${{steps.count}}"}}, result: false}}
"""

TOML = """\
name = "unstored"
executor = {executor}

[results]
root = "out"

[steps.load]
run = "usteps.load"
inputs = {{path = "words.txt"}}
result = false

[steps.clean]
run = "usteps.clean"
inputs = {{words = "${{steps.load}}"}}
result = false

[steps.count]
run = "usteps.count"
inputs = {{words = "${{steps.clean}}"}}

[steps.notify]
run = "usteps.notify"
inputs = {{n = "${{steps.count}}"}}
result = false
"""


def project(
    make_project: ProjectFactory, spelling: str, executor: str, request: pytest.FixtureRequest
) -> Path:
    spec = executor_spec(executor, request)
    if spelling == "toml":  # `{type: dask, address: "tcp://..."}` -> `{type = "dask", ...}`
        spec = re.sub(r"type: (\w+)", r'type = "\1"', spec).replace(": ", " = ")
        config = make_project(TOML.format(executor=spec), name="pipeline.toml", usteps=STEPS)
    else:
        config = make_project(YAML.format(executor=spec), usteps=STEPS)
    (config.parent / "words.txt").write_text("A b C\n", encoding="utf-8")
    assert pipeflow.load(config).run(history=False).ok
    assert calls(config.parent) == ["clean", "count", "load", "notify"]
    return config


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("executor", EXECUTORS)
def test_frozen_runs_the_unstored_steps_a_stored_one_waits_for_and_passes(
    make_project: ProjectFactory, spelling: str, executor: str, request: pytest.FixtureRequest
) -> None:
    config = project(make_project, spelling, executor, request)
    folder = config.parent
    plan = {d.step: d for d in pipeflow.load(config).plan(frozen=True)}
    assert plan["load"].action is Action.RUN
    assert plan["load"].deferred
    assert plan["count"].deferred, plan["count"]
    assert plan["notify"].action is Action.SKIPPED

    run = pipeflow.load(config).run(frozen=True, history=False)
    assert run.ok, run.outcomes
    assert run.state("count") is StepState.CACHED
    assert run.state("notify") is StepState.SKIPPED
    assert calls(folder) == ["clean", "load"]  # never `count`, nor the last step

    ran = pipeflow_in(folder, "run", config.name, "--frozen")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert calls(folder) == ["clean", "load"]
    dry = pipeflow_in(folder, "run", config.name, "--frozen", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert calls(folder) == []


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
def test_frozen_refuses_a_stored_step_whose_unstored_input_changed(
    make_project: ProjectFactory, spelling: str, request: pytest.FixtureRequest
) -> None:
    config = project(make_project, spelling, "sequential", request)
    folder = config.parent
    (folder / "words.txt").write_text("A b C d\n", encoding="utf-8")

    with pytest.raises(pipeflow.StaleResults) as refused:
        pipeflow.load(config).run(frozen=True, history=False)
    assert "1 step(s) of `unstored` would run:\n  count: " in str(refused.value)
    assert calls(folder) == ["clean", "load"]  # what `count` takes was computed, never `count`

    ran = pipeflow_in(folder, "run", config.name, "--frozen")
    assert ran.returncode == 3, ran.stdout + ran.stderr
    assert "count" in ran.stdout + ran.stderr
    assert calls(folder) == ["clean", "load"]
    assert pipeflow.load(config).run(history=False).ok  # a plain run brings it up to date
    assert "count" in calls(folder)


def test_frozen_refuses_a_stored_step_that_changed_itself(
    make_project: ProjectFactory, request: pytest.FixtureRequest
) -> None:
    """`count` was edited: decided once `clean` is known, it is refused, never run."""
    config = project(make_project, "yaml", "sequential", request)
    folder = config.parent
    module = folder / "usteps.py"
    module.write_text(module.read_text().replace("len(words)", "len(words) + 0"))
    with pytest.raises(pipeflow.StaleResults, match="count"):
        pipeflow.load(config).run(frozen=True, history=False)
    assert calls(folder) == ["clean", "load"]


CHAIN = """\
name: chain
results: {root: out}
steps:
  words: {run: usteps.load, inputs: {path: words.txt}}
  clean: {run: usteps.clean, inputs: {words: "${steps.words}"}, result: false}
  count: {run: usteps.count, inputs: {words: "${steps.clean}"}}
"""


def test_a_refusal_before_the_run_lists_what_follows_the_unstored_step(
    make_project: ProjectFactory,
) -> None:
    """`words` (stored) is stale before the run: the refusal lists every step the run would
    run, `count` after the unstored `clean` included, as it did before `clean` was run."""
    config = make_project(CHAIN, usteps=STEPS)
    (config.parent / "words.txt").write_text("A b C\n", encoding="utf-8")
    assert pipeflow.load(config).run(history=False).ok
    calls(config.parent)
    module = config.parent / "usteps.py"
    module.write_text(module.read_text().replace(".split()", ".split(None)"))
    with pytest.raises(pipeflow.StaleResults) as refused:
        pipeflow.load(config).run(frozen=True, history=False)
    assert "3 step(s) of `chain` would run" in str(refused.value), str(refused.value)
    assert "count: `clean` runs first" in str(refused.value)
    assert calls(config.parent) == []
