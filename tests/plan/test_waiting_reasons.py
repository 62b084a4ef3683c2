"""A step after a step that runs says its own change when it has one: "param seed changed (42
-> 2024)", not "`split_data` runs first", which hid that it would run whatever its upstream
gives (docs/params.md's `status` example). Without a change of its own, it waits as before."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli

STEPS = """
def make(seed):
    return [seed, 1, 2]


def fit(data, seed):
    return sum(data) + seed


def report(model):
    return f"model {model}"
"""

CONFIG = """
name: waits
params: {seed: 42, other: 1}
steps:
  make: {run: wsteps.make, inputs: {seed: "${params.seed}"}}
  fit: {run: wsteps.fit, inputs: {data: "${steps.make}", seed: "${params.seed}"}}
  report: {run: wsteps.report, inputs: {model: "${steps.fit}"}}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "wsteps.py").write_text(textwrap.dedent(STEPS))
    path = tmp_path / "pipeline.yaml"
    path.write_text(textwrap.dedent(CONFIG))
    assert pipeflow.load(path).run().ok
    return path


def test_a_step_waiting_for_another_says_its_own_param_change(config: Path) -> None:
    said = "param seed changed (42 -> 2024)"

    reasons = {d.step: d.reason for d in pipeflow.load(config, params={"seed": 2024}).status()}

    assert reasons == {"make": said, "fit": said, "report": "`fit` runs first"}
    # Every channel: `status`, `status --json`, `run --dry-run`, a refused `--frozen` run.
    options = [str(config), "--param", "seed=2024"]
    shown = CliRunner().invoke(cli, ["status", *options])
    lines = shown.output.splitlines()
    assert any(line.split()[:2] == ["fit", "run"] and said in line for line in lines), lines
    rows = json.loads(CliRunner().invoke(cli, ["status", "--json", *options]).output)["steps"]
    assert {row["step"]: row["reason"] for row in rows}["fit"] == said
    planned = CliRunner().invoke(cli, ["run", "--dry-run", *options])
    assert any(said in line for line in planned.output.splitlines() if "fit" in line), (
        planned.output
    )
    refused = CliRunner().invoke(cli, ["run", "--frozen", *options])
    assert refused.exit_code == 3
    assert f"fit: {said}" in refused.output


def test_without_a_change_of_its_own_it_waits(config: Path) -> None:
    (config.parent / "wsteps.py").write_text(
        textwrap.dedent(STEPS).replace("[seed, 1, 2]", "[seed, 1, 3]")
    )

    reasons = {d.step: d.reason for d in pipeflow.load(config).status()}

    assert reasons["fit"] == "`make` runs first"
    # A param it does not consume is no change of its own.
    reasons = {d.step: d.reason for d in pipeflow.load(config, params={"other": 5}).status()}
    assert reasons["fit"] == "`make` runs first"


def test_a_param_from_the_environment_is_no_change_it_can_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "wsteps.py").write_text(textwrap.dedent(STEPS))
    path = tmp_path / "pipeline.yaml"
    path.write_text(textwrap.dedent(CONFIG).replace("seed: 42", 'seed: "${env.SEED}"'))
    monkeypatch.setenv("SEED", "424242")
    assert pipeflow.load(path).run().ok
    monkeypatch.setenv("SEED", "535353")

    reasons = {d.step: d.reason for d in pipeflow.load(path).status()}

    assert reasons["fit"] == "`make` runs first"
    assert "424242" not in str(reasons)
    assert "535353" not in str(reasons)
