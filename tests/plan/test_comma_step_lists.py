"""Step names joined by commas (`--only a,b`, `only="a,b"`), as some tools take them, are told
that each step is given on its own.

Before, `--only load,train` said "pipeline has no step `load,train`" with "did you mean
`train`?", which sent the user to run one step of the two.
"""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

YAML = """
name: commas
steps:
  load: {run: csteps.f, inputs: {x: 1}}
  train: {run: csteps.f, inputs: {x: "${steps.load}"}}
"""
STEPS = "def f(x):\n    return x\n"
HINT = "commas do not split step names: give each step on its own, `--only load --only train`"


@pytest.mark.parametrize("option", ["--only", "--force", "--from", "--until"])
def test_a_comma_list_of_steps_on_the_command_line_is_told_to_give_each(
    make_project: ProjectFactory, option: str
) -> None:
    config = make_project(YAML, csteps=STEPS)
    for command in ("run", "status"):
        result = pipeflow_in(config.parent, command, config.name, option, "load,train")
        assert result.returncode == 2, result.stderr
        assert "has no step `load,train`" in result.stderr, result.stderr
        assert HINT in result.stderr, result.stderr
        assert "did you mean" not in result.stderr, result.stderr


@pytest.mark.parametrize("keyword", ["only", "force", "start", "until"])
def test_a_comma_list_of_steps_in_python_is_told_to_give_a_list(
    make_project: ProjectFactory, keyword: str
) -> None:
    config = make_project(YAML, csteps=STEPS)
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config).run(history=False, **{keyword: "load, train"})
    (problem,) = raised.value.problems
    assert problem.hint is not None
    assert "commas do not split step names" in problem.hint
    assert '(in Python, a list: `["load", "train"]`)' in problem.hint


TAGGED = """
name: commas
steps:
  load: {run: csteps.f, inputs: {x: 1}, tags: [prep]}
  train: {run: csteps.f, inputs: {x: "${steps.load}"}, tags: [model]}
"""


def test_a_comma_list_of_tags_is_told_to_give_each(make_project: ProjectFactory) -> None:
    config = make_project(TAGGED, csteps=STEPS)
    result = pipeflow_in(config.parent, "run", config.name, "--tag", "prep,model")
    assert result.returncode == 2, result.stderr
    assert (
        "commas do not split tags: give each tag on its own, `--tag prep --tag model`"
        in result.stderr
    ), result.stderr
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config).run(history=False, tags="prep,model")
    (problem,) = raised.value.problems
    assert problem.hint is not None
    assert '(in Python, a list: `["prep", "model"]`)' in problem.hint
