"""A step's code edited while the run goes on, after the step's key was computed from it.

The step may then run either version of the code (the one imported before the edit, or the
edited one, imported by a thread or a worker process that starts later): its result is not
stored under the key of the code as it was, where a later run with that code would be served
the edited code's value. The step fails, naming the file; the next run runs it again."""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory

EDITOR = """
from pathlib import Path

def edit(module: str, old: str, new: str) -> int:
    path = Path(__file__).with_name(f"{module}.py")  # a module name: no path input to hash
    text = path.read_text()
    path.write_text(text.replace(old, new))
    return 1
"""

EDITED = """
import helper

def g(x: int) -> str:
    return "v1" + helper.SUFFIX
"""

HELPER = 'SUFFIX = "-a"\n'

CONFIG = """
name: edited
results: {root: out}
executor: {type: %s}
steps:
  s1: {run: editor.edit, inputs: {module: %s, old: '%s', new: '%s'}}
  s2: {run: edited.g, inputs: {x: "${steps.s1}"}}
"""

EDITS = {  # the step's own module, and a module it imports
    "own": ("edited", '"v1"', '"v2"', "v2-a"),
    "imported": ("helper", '"-a"', '"-b"', "v1-b"),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_step_whose_code_changed_during_the_run_stores_nothing(
    make_project: ProjectFactory, executor: str, edit: str
) -> None:
    module, old, new, edited_value = EDITS[edit]
    config = make_project(
        CONFIG % (executor, module, old, new), editor=EDITOR, edited=EDITED, helper=HELPER
    )
    source = config.parent / f"{module}.py"
    run = pipeflow.load(config).run()
    assert not run.ok
    assert run.state("s2").value == "failed"
    error = run.outcomes["s2"].error or ""
    assert f"{module}.py changed while the run went on" in error, error
    assert "run again" in error
    rerun = pipeflow.load(config).run()  # the edited code, now fingerprinted
    assert rerun.ok, rerun.outcomes
    assert rerun.output("s2") == edited_value
    source.write_text(source.read_text().replace(new, old))  # the code as it was
    back = pipeflow.load(config).run()
    assert back.ok, back.outcomes
    assert back.output("s2") == "v1-a"
