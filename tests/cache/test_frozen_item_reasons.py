"""Why `--frozen` refuses an item of a `foreach` step decided during the run.

A stored `foreach` step over the value of a step a frozen run runs first (a `pipeflow.read`
step, or one whose result is never stored) is decided item by item once that value is known.
An item that would run was refused with the step's reason from before the run, "`src` runs
first", which says nothing about the item, and the item was named twice in the step's error
("item 3 of 3 (5): --frozen: `sq` would run: item 3 of 3 (5): `src` runs first"). Now the
reason is the item's own: it has no stored result, with what changed when something did; the
item is named once. YAML and TOML, on every executor.
"""

from __future__ import annotations

import re

import pytest

import pipeflow
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


def numbers(path):
    note("numbers")
    return json.loads(Path(path).read_text())


def square(x):
    note("square")
    return x * x
"""

YAML = """\
name: items
results: {{root: out}}
executor: {executor}
steps:
  src: {{run: isteps.numbers, inputs: {{path: numbers.json}}, result: false}}
  raw: {{run: pipeflow.read, inputs: {{path: numbers.json}}}}
  sq: {{run: isteps.square, foreach: "${{steps.src}}", as: x}}
  again: {{run: isteps.square, foreach: "${{steps.raw}}", as: x}}
"""

TOML = """\
name = "items"
executor = {executor}

[results]
root = "out"

[steps.src]
run = "isteps.numbers"
inputs = {{path = "numbers.json"}}
result = false

[steps.raw]
run = "pipeflow.read"
inputs = {{path = "numbers.json"}}

[steps.sq]
run = "isteps.square"
foreach = "${{steps.src}}"
as = "x"

[steps.again]
run = "isteps.square"
foreach = "${{steps.raw}}"
as = "x"
"""


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_refused_item_says_why_it_would_run(
    make_project: ProjectFactory, spelling: str, executor: str, request: pytest.FixtureRequest
) -> None:
    spec = executor_spec(executor, request)
    if spelling == "toml":  # `{type: dask, address: "tcp://..."}` -> `{type = "dask", ...}`
        spec = re.sub(r"type: (\w+)", r'type = "\1"', spec).replace(": ", " = ")
        config = make_project(TOML.format(executor=spec), name="pipeline.toml", isteps=STEPS)
    else:
        config = make_project(YAML.format(executor=spec), isteps=STEPS)
    folder = config.parent
    (folder / "numbers.json").write_text("[1, 2, 3]", encoding="utf-8")
    assert pipeflow.load(config).run(history=False).ok
    calls(folder)
    (folder / "numbers.json").write_text("[1, 2, 5]", encoding="utf-8")

    with pytest.raises(pipeflow.StaleResults) as refused:
        pipeflow.load(config).run(frozen=True, history=False, keep_going=True)
    message = str(refused.value)
    for step in ("sq", "again"):  # after the unstored step, and after the read
        assert f"{step}: item 3 of 3 (5): it has no stored result" in message, message
    assert "runs first" not in message, message
    assert "square" not in calls(folder)  # refused, never run
    ran = pipeflow_in(folder, "run", config.name, "--frozen", "--keep-going")
    assert ran.returncode == 3, ran.stdout + ran.stderr
    assert "sq: FAILED: item 3 of 3 (5): --frozen: `sq` would run: it has no" in ran.stdout
    assert "would run: item" not in ran.stdout + ran.stderr  # the item named once
    assert "square" not in calls(folder)
