"""Why a step runs when a value from the environment changed: the reason names what the
changed input takes from there (a param whose default is `${env.X}`, or `${env.X}` itself),
never the value, on every channel that says why (`status`, `--dry-run`, the run's output,
the plan in Python). Before, it said only "input x changed", naming nothing the user set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

CONFIG = """
name: env
params:
  region: ${env.PF_REGION}
  size: 3
steps:
  by_param: {run: envsteps.show, inputs: {x: "${params.region}"}}
  in_text: {run: envsteps.show, inputs: {x: "zone-${params.region}-${params.size}"}}
  direct: {run: envsteps.show, inputs: {x: "${env.PF_REGION}"}}
  plain: {run: envsteps.show, inputs: {x: "${params.size}"}}
  each: {run: envsteps.pair, foreach: [1, 2], as: n, inputs: {x: "${params.region}"}}
"""
TOML = """
name = "env"
[params]
region = "${env.PF_REGION}"
size = 3
[steps.by_param]
run = "envsteps.show"
inputs = {x = "${params.region}"}
[steps.in_text]
run = "envsteps.show"
inputs = {x = "zone-${params.region}-${params.size}"}
[steps.direct]
run = "envsteps.show"
inputs = {x = "${env.PF_REGION}"}
[steps.plain]
run = "envsteps.show"
inputs = {x = "${params.size}"}
[steps.each]
run = "envsteps.pair"
foreach = [1, 2]
as = "n"
inputs = {x = "${params.region}"}
"""
STEPS = "def show(x):\n    return x\n\n\ndef pair(x, n):\n    return [x, n]\n"
EXPECTED = {
    "by_param": "input x changed (it takes param region, whose value is not shown)",
    "in_text": "input x changed (it takes param region, whose value is not shown)",
    "direct": "input x changed (it takes ${env.PF_REGION}, whose value is not shown)",
    # A `foreach` step: said for its first item without a result.
    "each": "2 of 2 items have no stored result (input x changed (it takes param region, "
    "whose value is not shown))",
}


@pytest.fixture(params=["yaml", "toml"])
def config(request: pytest.FixtureRequest, make_project: ProjectFactory) -> Path:
    text = CONFIG if request.param == "yaml" else TOML
    name = f"pipeline.{request.param}"
    return make_project(text, name=name, envsteps=STEPS)


def test_each_channel_names_what_the_input_takes_from_the_environment(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PF_REGION", "secret-eu-west")
    assert pipeflow.load(config).run(history=False).ok
    monkeypatch.setenv("PF_REGION", "secret-us-east")
    plan = {d.step: d.reason for d in pipeflow.load(config).plan()}
    assert plan == {**EXPECTED, "plain": plan["plain"]}
    assert plan["plain"].startswith("stored by run")
    env = {**os.environ, "PF_REGION": "secret-us-east"}
    for command in (
        ["status", config.name],
        ["run", config.name, "--dry-run"],
        ["run", config.name],
    ):
        done = pipeflow_in(config.parent, *command, env=env)
        assert done.returncode == 0, done.stderr
        expected = EXPECTED
        if command == ["run", config.name]:  # said in the history (a `foreach` step: its items)
            done = pipeflow_in(config.parent, "runs", "show", env=env)
            expected = {step: reason for step, reason in EXPECTED.items() if step != "each"}
        for step, reason in expected.items():
            assert reason in done.stdout, (command, step, done.stdout)
        assert "secret-" not in done.stdout + done.stderr
