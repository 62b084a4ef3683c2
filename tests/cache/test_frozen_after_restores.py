"""`--frozen` counts a restore as current, and so the steps that only wait for one.

A step reading a `result.target` that must be put back (deleted from a local root, say) is
decided once the restore is done: before the run it reads "`value` is restored first", a
`run` decision. `--frozen` refused the run over it (exit 3, nothing restored), so CI could
never pass again without a run that was not frozen, though after the restore every step is
cached. Now `--frozen` restores and lets such a step be decided then; one that would really
run is still refused (exit 3), then. Through the API and the command line (`run --frozen`,
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
    assert decisions["read"].action is Action.RUN  # decided after the restore

    run = pipeflow.load(config).run(frozen=True)
    assert run.ok, run.outcomes
    assert {o.state for o in run.outcomes.values()} == {StepState.CACHED}
    assert calls(folder) == []
    assert (folder / "out" / "v.json").is_file()


def test_frozen_still_refuses_a_reader_that_would_run(
    make_project: ProjectFactory, request: pytest.FixtureRequest
) -> None:
    """The target restored is not the one the reader's stored result was made from: the
    reader would run, and `--frozen` refuses it once the restore is done (exit 3)."""
    config = project(make_project, "yaml", "sequential", request)
    folder = config.parent
    assert pipeflow.load(config, params={"n": 2}).run().ok  # `read` stored for n=2 only
    source = (folder / "frozensteps.py").read_text()
    (folder / "frozensteps.py").write_text(source.replace('["n"]', '["n"] + 0'))  # `read` edited
    (folder / "out" / "v.json").unlink()
    calls(folder)

    with pytest.raises(pipeflow.StaleResults) as refused:
        pipeflow.load(config, params={"n": 2}).run(frozen=True)
    assert "1 step(s) of `frozen` would run:\n  read: " in str(refused.value)
    assert calls(folder) == []
    ran = pipeflow_in(folder, "run", config.name, "--param", "n=2", "--frozen")
    assert ran.returncode == 3, ran.stdout + ran.stderr
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
    assert "3 cached" in ran.stdout
    assert calls(folder) == []
