"""A step outside the selection whose `when` is known false before the run is `skipped
(`when` is false)`, as in a run of the whole pipeline, and a selected step that needs its
value is skipped with it.

Before, `--only c` where `c` takes the value of `b`, and `b`'s `when` is false, was refused:
"`c` needs the result of `b`, which is not selected and has no up-to-date stored result;
run `b` first". Running `b` first skips it (its `when` is false), so the user went round in
circles; and where `b` had a stored result from a run when its `when` was true, `c` ran on
it, though the whole pipeline would skip both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.run import Action, StepState

STEPS = """
def flag(enabled: bool) -> bool:
    return enabled


def b() -> str:
    return "b ran"


def c(x: str) -> str:
    return x
"""

YAML = """
name: gated
params: {enabled: false, publish: true}
results: {root: out}
steps:
  flag: {run: gsteps.flag, inputs: {enabled: "${params.enabled}"}}
  b: {run: gsteps.b, when: "${steps.flag}"}
  c: {run: gsteps.c, inputs: {x: "${steps.b}"}}
  d: {run: gsteps.b, when: "${params.publish}"}
  e: {run: gsteps.c, inputs: {x: "${steps.d}"}}
"""
TOML = """
name = "gated"
[params]
enabled = false
publish = true
[results]
root = "out"
[steps.flag]
run = "gsteps.flag"
inputs = {enabled = "${params.enabled}"}
[steps.b]
run = "gsteps.b"
when = "${steps.flag}"
[steps.c]
run = "gsteps.c"
inputs = {x = "${steps.b}"}
[steps.d]
run = "gsteps.b"
when = "${params.publish}"
[steps.e]
run = "gsteps.c"
inputs = {x = "${steps.d}"}
"""


@pytest.fixture(params=["yaml", "toml"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    (tmp_path / "gsteps.py").write_text(STEPS, encoding="utf-8")
    path = tmp_path / f"pipeline.{request.param}"
    path.write_text(YAML if request.param == "yaml" else TOML, encoding="utf-8")
    return path


def test_a_step_after_an_unselected_false_when_is_skipped(config: Path) -> None:
    pipe = pipeflow.load(config)
    assert pipe.run().ok  # `flag` stored (false), `b` and `c` skipped
    for method in (pipe.plan, pipe.status):
        decisions = {d.step: d for d in method(only="c")}
        assert decisions["b"].action is Action.SKIPPED
        assert decisions["b"].reason == "`when` is false"
        assert decisions["c"].action is Action.SKIPPED
        assert decisions["c"].reason == "needs `b`, which is skipped"
    run = pipe.run(only="c")
    assert run.ok
    assert run.state("c") is StepState.SKIPPED
    for command in (["run"], ["run", "--dry-run"], ["status"]):
        result = CliRunner().invoke(cli, [*command, str(config), "--only", "c"])
        assert result.exit_code == 0, result.output
        assert "has no up-to-date stored result" not in result.output


def test_a_stored_result_of_a_step_whose_when_is_now_false_is_not_used(config: Path) -> None:
    assert pipeflow.load(config).run().ok  # `d` and `e` run and are stored: publish is true
    pipe = pipeflow.load(config, params={"publish": False})
    for method in (pipe.plan, pipe.status):
        decisions = {d.step: d for d in method(only="e")}
        assert decisions["d"].action is Action.SKIPPED, decisions["d"]
        assert decisions["d"].reason == "`when` is false"
        assert decisions["e"].action is Action.SKIPPED, decisions["e"]
    run = pipe.run(only="e")
    assert run.state("d") is StepState.SKIPPED
    assert run.state("e") is StepState.SKIPPED  # as a run of the whole pipeline says
    assert pipe.run().state("e") is StepState.SKIPPED
    result = CliRunner().invoke(
        cli, ["status", str(config), "--only", "e", "--param", "publish=false"]
    )
    assert result.exit_code == 0, result.output
    assert "d     skipped  `when` is false" in result.output, result.output
