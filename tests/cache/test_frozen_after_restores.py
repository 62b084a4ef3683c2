"""`--frozen` counts a restore as current, and so the steps that only wait for one.

A step reading a `result.target` that must be put back (deleted from a local root, say) was
decided once the restore was done: before the run it read "`value` is restored first", a
`run` decision, and `--frozen` refused the run over it (exit 3, nothing restored), so CI
could never pass again without a run that was not frozen, though after the restore every
step is cached. Now a reader of the target file is keyed on it as the restore leaves it
(`cached` at once, in `status` too), and a reader of a folder holding it, still decided
after the restore, lets `--frozen` restore and decide it then; one that would really run is
still refused (exit 3), then. Through the API and the command line (`run --frozen`,
`run --dry-run --frozen`), on every executor, YAML and TOML.
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
import json
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def value(n):
    note("value")
    return {"n": n}


def read(path):
    note("read")
    return json.loads(Path(path).read_text())["n"]


def double(n):
    note("double")
    return 2 * n


def names(folder):
    note("names")
    return sorted(p.name for p in Path(folder).iterdir() if p.name != ".pipeflow")
"""

YAML = """\
name: frozen
params: {{n: 1}}
results: {{root: out}}
executor: {executor}
steps:
  value: {{run: frozensteps.value, inputs: {{n: "${{params.n}}"}}, result: {{target: v.json}}}}
  read: {{run: frozensteps.read, inputs: {{path: out/v.json}}}}
  double: {{run: frozensteps.double, inputs: {{n: "${{steps.read}}"}}}}
  names: {{run: frozensteps.names, inputs: {{folder: out/}}}}
"""

TOML = """\
name = "frozen"
executor = {executor}

[params]
n = 1

[results]
root = "out"

[steps.value]
run = "frozensteps.value"
inputs = {{n = "${{params.n}}"}}
result = {{target = "v.json"}}

[steps.read]
run = "frozensteps.read"
inputs = {{path = "out/v.json"}}

[steps.double]
run = "frozensteps.double"
inputs = {{n = "${{steps.read}}"}}

[steps.names]
run = "frozensteps.names"
inputs = {{folder = "out/"}}
"""


def project(
    make_project: ProjectFactory, spelling: str, executor: str, request: pytest.FixtureRequest
) -> Path:
    spec = executor_spec(executor, request)
    if spelling == "toml":  # `{type: dask, address: "tcp://..."}` -> `{type = "dask", ...}`
        spec = re.sub(r"type: (\w+)", r'type = "\1"', spec).replace(": ", " = ")
        return make_project(TOML.format(executor=spec), name="pipeline.toml", frozensteps=STEPS)
    return make_project(YAML.format(executor=spec), frozensteps=STEPS)


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("executor", EXECUTORS)
def test_frozen_restores_a_target_and_its_readers_stay_cached(
    make_project: ProjectFactory, spelling: str, executor: str, request: pytest.FixtureRequest
) -> None:
    config = project(make_project, spelling, executor, request)
    folder = config.parent
    assert pipeflow.load(config).run().ok
    calls(folder)
    (folder / "out" / "v.json").unlink()
    decisions = {d.step: d for d in pipeflow.load(config).status()}
    assert decisions["value"].action is Action.RESTORE
    # Its reader is keyed on the target as the restore leaves it: cached, and so what
    # follows it; the root's reader is decided after the restore.
    assert decisions["read"].action is Action.CACHED, decisions["read"]
    assert decisions["double"].action is Action.CACHED, decisions["double"]
    assert decisions["names"].action is Action.RUN
    assert decisions["names"].reason == "`value` is restored first"

    run = pipeflow.load(config).run(frozen=True)
    assert run.ok, run.outcomes
    assert {o.state for o in run.outcomes.values()} == {StepState.CACHED}
    assert calls(folder) == []
    assert (folder / "out" / "v.json").is_file()


def test_frozen_still_refuses_a_reader_that_would_run(
    make_project: ProjectFactory, request: pytest.FixtureRequest
) -> None:
    """The root's reader was edited: once the restore is done it would run, and `--frozen`
    refuses it then (exit 3), its code not run."""
    config = project(make_project, "yaml", "sequential", request)
    folder = config.parent
    assert pipeflow.load(config).run().ok
    source = (folder / "frozensteps.py").read_text()
    edited = source.replace('p.name != ".pipeflow"', '".pipeflow" != p.name')
    assert edited != source
    (folder / "frozensteps.py").write_text(edited)
    (folder / "out" / "v.json").unlink()
    calls(folder)

    with pytest.raises(pipeflow.StaleResults) as refused:
        pipeflow.load(config).run(frozen=True)
    assert "1 step(s) of `frozen` would run:\n  names: " in str(refused.value)
    assert calls(folder) == []
    (folder / "out" / "v.json").unlink()
    ran = pipeflow_in(folder, "run", config.name, "--frozen")
    assert ran.returncode == 3, ran.stdout + ran.stderr
    assert "names: " in ran.stdout + ran.stderr
    assert calls(folder) == []


def test_the_command_line_counts_it_current(
    make_project: ProjectFactory, request: pytest.FixtureRequest
) -> None:
    config = project(make_project, "yaml", "threads", request)
    folder = config.parent
    assert pipeflow_in(folder, "run", config.name).returncode == 0
    calls(folder)
    (folder / "out" / "v.json").unlink()

    dry = pipeflow_in(folder, "run", config.name, "--dry-run", "--frozen")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "`value` is restored first" in dry.stdout
    ran = pipeflow_in(folder, "run", config.name, "--frozen")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "4 cached" in ran.stdout
    assert calls(folder) == []
