"""`--only`, `--from`, `--until` and `--force` take the name of a step that runs a sub-pipeline
as all of its steps, as `after:` does. Before, `--only one` was refused ("pipeline `p` has no
step `one`; its steps are `one/prep`, `one/read`")."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.errors import ConfigError, PipeflowError
from pipeflow.model.run import Action

CHILD = """
name: child
params: {k: 1}
steps:
  prep: {run: selsteps.value, inputs: {k: "${params.k}"}}
  read: {run: selsteps.value, inputs: {k: "${steps.prep}"}}
outputs: {value: "${steps.read}"}
"""

PARENT = """
name: parent
steps:
  first: {run: selsteps.value, inputs: {k: 0}}
  one: {pipeline: child.yaml, params: {k: 2}}
  two: {pipeline: child.yaml, params: {k: 3}}
  last: {run: selsteps.value, inputs: {k: "${steps.one.value}"}}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "selsteps.py").write_text("def value(k):\n    return k\n")
    (tmp_path / "child.yaml").write_text(textwrap.dedent(CHILD))
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(PARENT))
    assert pipeflow.load(tmp_path / "pipeline.yaml").run().ok
    return tmp_path / "pipeline.yaml"


def running(config: Path, **options: Any) -> set[str]:
    decisions = pipeflow.load(config).plan(**options)
    return {d.step for d in decisions if d.action is Action.RUN}


def selected(config: Path, **options: Any) -> set[str]:
    decisions = pipeflow.load(config).plan(**options)
    return {d.step for d in decisions if d.action is not Action.SKIPPED}


OPTIONS = {
    "only": ({"only": "one", "force": True}, {"one/prep", "one/read"}),
    "from": ({"start": "one", "force": True}, {"one/prep", "one/read", "last"}),
    "until": ({"until": "one", "force": True}, {"one/prep", "one/read"}),
    "force": ({"force": "one"}, {"one/prep", "one/read", "last"}),
    "force two of them": (
        {"force": ["one", "two"]},
        {"one/prep", "one/read", "two/prep", "two/read", "last"},
    ),
}


@pytest.mark.parametrize("option", OPTIONS)
def test_a_sub_pipeline_s_name_selects_its_steps(config: Path, option: str) -> None:
    options, expected = OPTIONS[option]
    assert running(config, **options) == expected


def test_a_run_with_only_a_sub_pipeline_runs_its_steps(config: Path) -> None:
    run = pipeflow.load(config).run(only="two", force=True)
    assert run.ok
    ran = {name for name, outcome in run.outcomes.items() if outcome.state.value == "done"}
    assert ran == {"two/prep", "two/read"}


@pytest.mark.parametrize("method", ["accept", "result"])
def test_one_step_commands_still_want_a_step(config: Path, method: str) -> None:
    with pytest.raises((ConfigError, PipeflowError)) as raised:
        getattr(pipeflow.load(config), method)("one")
    assert "its steps are `one/prep`, `one/read`" in str(raised.value)


def test_an_unknown_name_is_still_refused(config: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config).plan(only="three")
    assert "pipeline `parent` has no step `three`" in str(raised.value)
