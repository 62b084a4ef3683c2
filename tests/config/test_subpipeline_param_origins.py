"""A value that reaches a sub-pipeline through a param of its parent, and that the sub-pipeline
refuses, is reported at the parent's step `params:` and names where the value came from: a
`--param`, a params file, the params given to `load()`. Before, the message named only the
step's `params:`, where the config itself had nothing wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

CHILD = """\
name: child
params: {n: 3}
steps:
  b: {run: lab.b, inputs: {v: "${params.n}"}}
"""
PARENT = """\
name: parent
params: {any: null, cfg: {n: null}}
steps:
  sub:
    pipeline: child.yaml
    params: {n: "${params.any}"}
  deep:
    pipeline: child.yaml
    params: {n: "${params.cfg.n}"}
"""


@pytest.fixture
def config(make_project: ProjectFactory) -> Path:
    make_project(CHILD, name="child.yaml", lab="def b(v):\n    return v\n")
    (config := make_project(PARENT)).with_name("bad.json").write_text('{"cfg": {"n": "x"}}')
    return config


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        (["--param", "any=abc"], "`${params.any}`, from --param any=abc"),
        (["--param", "cfg.n=abc"], "`${params.cfg.n}`, from --param cfg.n=abc"),
        (["--param-file", "bad.json"], "`${params.cfg.n}`, from bad.json"),
    ],
)
@pytest.mark.parametrize("command", ["run", "validate"])
def test_the_cli_names_the_option_that_gave_the_refused_value(
    config: Path, command: str, given: list[str], origin: str
) -> None:
    done = pipeflow_in(config.parent, command, config.name, *given)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "param `n` is an int (3) in the defaults; got a string" in done.stderr
    assert f"(through {origin})" in done.stderr
    assert "pipeline.yaml:" in done.stderr  # at the step's `params:` in the parent
    assert not (config.parent / ".pipeflow" / "results").exists()


def test_the_api_names_the_params_passed_to_load(config: Path) -> None:
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config, params={"any": "abc"})
    [problem] = raised.value.problems
    assert "(through `${params.any}`, from the params passed to load())" in problem.format()


def test_a_default_of_the_parent_is_reported_as_before(config: Path) -> None:
    config.write_text(PARENT.replace("any: null", "any: abc"))
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config)
    [problem] = raised.value.problems
    assert "got a string ('abc')" in problem.format()
    assert "through" not in problem.format()
