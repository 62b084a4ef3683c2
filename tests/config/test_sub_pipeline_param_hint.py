"""A param given for a step that runs a sub-pipeline (`--param sub.n=3`, as Prefect 1's
`StartFlowRun(parameters=...)` set a child flow's parameter) is told how a sub-pipeline gets
its params: from its step's `params:`, which may pass on a param of the parent. Before, the
hint was to declare `sub` under `params:` or pass --allow-extra-params, which runs the child
with its own default all the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli

STEPS = "def make(n):\n    return list(range(n))\n"
CHILD = (
    "name: child\nparams: {n: 5}\nsteps:\n  make: {run: csteps.make, inputs: {n: '${params.n}'}}\n"
)
PARENT_YAML = "name: parent\nsteps:\n  sub: {pipeline: child.yaml}\n"
PARENT_TOML = 'name = "parent"\n[steps.sub]\npipeline = "child.yaml"\n'
SAID = "`sub` is a step that runs the sub-pipeline child.yaml: its params come from the step's"


@pytest.fixture(params=["parent.yaml", "parent.toml"])
def parent(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    (tmp_path / "csteps.py").write_text(STEPS)
    (tmp_path / "child.yaml").write_text(CHILD)
    path = tmp_path / request.param
    path.write_text(PARENT_YAML if path.suffix == ".yaml" else PARENT_TOML)
    (tmp_path / "given.json").write_text('{"sub": {"n": 3}}')
    return path


@pytest.mark.parametrize(
    "given", [["--param", "sub.n=3"], ["--param-file", "given.json"]], ids=["param", "file"]
)
def test_a_param_for_a_sub_pipeline_step_is_told_how_to_pass_it(
    parent: Path, given: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(parent.parent)
    result = CliRunner().invoke(cli, ["run", parent.name, *given])
    assert result.exit_code == 2, result.output
    assert "unknown param `sub`" in result.stderr
    assert SAID in result.stderr, result.stderr
    example = (
        '`params = { NAME = "${params.NAME}" }`'
        if parent.suffix == ".toml"
        else '`params: {NAME: "${params.NAME}"}`'
    )
    assert example in result.stderr, result.stderr
    assert "--allow-extra-params" not in result.stderr


def test_in_python_too(parent: Path) -> None:
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(parent, params={"sub": {"n": 3}})
    (problem,) = raised.value.problems
    assert problem.hint is not None
    assert problem.hint.startswith(SAID)


def test_another_unknown_param_keeps_its_hint(parent: Path) -> None:
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(parent, params={"other": 3})
    (problem,) = raised.value.problems
    assert problem.hint is not None
    assert "sub-pipeline" not in problem.hint
