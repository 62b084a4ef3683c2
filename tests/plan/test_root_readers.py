"""A step that reads the results root itself, or a folder around it, runs after the steps that
store a `result.target` there (SPEC 12: a step that reads what another writes depends on it).

Before, only a read inside the root (the target, a glob, a subfolder) waited: a reader of
`data/processed/` (the root) or of `data/` ran beside the writers on a parallel executor, saw the
root as the previous run had left it, and ran again on the next run. Where the writer itself
needs the reader (a step reading all of `data/` upstream of one storing in `data/processed`),
waiting would be a cycle: that reader keeps going first, as before, and is no cycle error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.calls import calls
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address  # noqa: F401  (a fixture executor_spec uses)
from tests.executors import EXECUTORS, executor_spec
from tests.system import pipeflow_in

STEPS = """
import time
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def value(n):
    note("value")
    time.sleep(0.5)  # the readers would be done long before, if they did not wait
    return {"n": n}


def names(folder):
    note("names")
    return sorted(
        path.relative_to(folder).as_posix()
        for path in Path(folder).rglob("*.json")
        if ".pipeflow" not in path.parts
    )
"""

YAML = """\
name: rootreaders
params: {{n: 1}}
results: {{root: data/processed}}
executor: {executor}
steps:
  value:
    run: rootsteps.value
    inputs: {{n: "${{params.n}}"}}
    result: {{target: "made/{{step}}.json"}}
  root:
    run: rootsteps.names
    inputs: {{folder: data/processed/}}
  around:
    run: rootsteps.names
    inputs: {{folder: data/}}
"""

TOML = """\
name = "rootreaders"
executor = {executor}

[params]
n = 1

[results]
root = "data/processed"

[steps.value]
run = "rootsteps.value"
inputs = {{n = "${{params.n}}"}}
result = {{target = "made/{{step}}.json"}}

[steps.root]
run = "rootsteps.names"
inputs = {{folder = "data/processed/"}}

[steps.around]
run = "rootsteps.names"
inputs = {{folder = "data/"}}
"""


def project(
    make_project: ProjectFactory, spelling: str, executor: str, request: pytest.FixtureRequest
) -> Path:
    spec = executor_spec(executor, request)
    if spelling == "toml":  # `{type: dask, address: "tcp://..."}` -> `{type = "dask", ...}`
        spec = re.sub(r"type: (\w+)", r'type = "\1"', spec).replace(": ", " = ")
        return make_project(TOML.format(executor=spec), name="pipeline.toml", rootsteps=STEPS)
    return make_project(YAML.format(executor=spec), rootsteps=STEPS)


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_reader_of_the_root_or_around_it_waits_for_its_targets(
    make_project: ProjectFactory, spelling: str, executor: str, request: pytest.FixtureRequest
) -> None:
    config = project(make_project, spelling, executor, request)
    folder = config.parent
    graph = pipeflow.load(config).graph
    assert "value" in graph.upstream["root"]
    assert "value" in graph.upstream["around"]

    first = pipeflow.load(config).run()
    assert first.ok, first.outcomes
    assert first.output("root") == ["made/value.json"]
    assert first.output("around") == ["processed/made/value.json"]
    calls(folder)
    again = pipeflow.load(config).run()  # nothing changed: nothing runs
    assert {o.state for o in again.outcomes.values()} == {StepState.CACHED}, again.outcomes
    assert calls(folder) == []


def test_the_command_line_draws_and_keeps_the_order(
    make_project: ProjectFactory, request: pytest.FixtureRequest
) -> None:
    config = project(make_project, "yaml", "threads", request)
    graph = pipeflow_in(config.parent, "graph", config.name, "--format", "ascii")
    assert graph.returncode == 0, graph.stderr
    assert graph.stdout.splitlines() == [
        "value",
        "  root    <- value (files)",
        "  around  <- value (files)",
    ]
    for _ in range(2):
        ran = pipeflow_in(config.parent, "run", config.name)
        assert ran.returncode == 0, ran.stderr
    assert "3 cached" in ran.stdout


def test_a_reader_the_writer_needs_still_goes_first(make_project: ProjectFactory) -> None:
    """`load` reads all of `data/`, and `value` (storing in `data/processed`) takes its value:
    ordering `load` after `value` would be a cycle, so it is not, and the config loads."""
    config = make_project(
        "name: around\nresults: {root: data/processed}\nexecutor: {type: threads}\nsteps:\n"
        "  load: {run: rootsteps.names, inputs: {folder: data/}}\n"
        '  value: {run: rootsteps.value, inputs: {n: "${steps.load}"}, '
        "result: {target: value.json}}\n",
        rootsteps=STEPS,
    )
    (config.parent / "data" / "raw").mkdir(parents=True)
    (config.parent / "data" / "raw" / "rows.json").write_text("[1]")
    loaded = pipeflow.load(config)
    assert loaded.graph.upstream["load"] == ()
    run = loaded.run()
    assert run.ok, run.outcomes
    assert run.output("load") == ["raw/rows.json"]
