"""`--schedule N`: a command takes the params of the config's schedule N (from 1) over the
defaults, as the run `pipeflow serve` starts for it does (SPEC 4: defaults < schedule params <
params files < `--param`). Every command that takes params has it: `run` (to run a scheduled
run by hand), `status` (what the next scheduled run would do, and why), `result`, `accept`,
`validate` and `gc`, and `pipeflow.load(schedule=N)` in Python."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from tests.conftest import ProjectFactory

CONFIG = """
name: nightly
params: {size: 1, label: default}
steps:
  grow: {run: growsteps.grow, inputs: {size: "${params.size}", label: "${params.label}"}}
schedules:
  - interval: 1h
  - cron: "0 6 * * *"
    timezone: Europe/Berlin
    params: {size: 5, label: nightly}
"""

STEPS = """
def grow(size, label):
    return f"{label}:{size}"
"""

COMMANDS = ["run", "validate", "status", "result", "accept", "gc"]


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture
def config(make_project: ProjectFactory) -> Path:
    return make_project(CONFIG, growsteps=STEPS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_that_takes_params_offers_it(command: str) -> None:
    code, output = invoke(command, "--help")
    assert code == 0, output
    assert "--schedule N" in output, output


def test_a_run_takes_the_schedules_params_under_the_others(config: Path) -> None:
    code, output = invoke("run", str(config), "--schedule", "2")
    assert code == 0, output
    run = pipeflow.load(config, schedule=2).run()
    assert run.state("grow").value == "cached"
    assert run.output("grow") == "nightly:5"
    # A params file and --param come after the schedule's params.
    given = config.parent / "given.json"
    given.write_text(json.dumps({"label": "file"}))
    code, output = invoke(
        "run", str(config), "--schedule", "2", "--param-file", str(given), "--param", "size=7"
    )
    assert code == 0, output
    assert pipeflow.load(config, schedule=2, param_files=[given], params={"size": 7}).run(
        frozen=True
    ).output("grow") == ("file:7")


def test_status_result_and_accept_see_the_scheduled_runs_results(config: Path) -> None:
    assert invoke("run", str(config), "--schedule", "2")[0] == 0
    code, output = invoke("status", str(config), "--schedule", "2")
    assert code == 0, output
    assert re.search(r"^grow\s+cached\b", output, re.MULTILINE), output
    code, output = invoke("status", str(config))
    assert "param size changed (5 -> 1)" in output, output
    code, output = invoke("result", str(config), "grow", "--schedule", "2", "--show")
    assert code == 0, output
    assert "nightly:5" in output, output
    code, output = invoke("result", str(config), "grow")
    assert code != 0
    code, output = invoke("accept", str(config), "grow", "--schedule", "2")
    assert code == 0, output
    code, output = invoke("gc", str(config), "--schedule", "2", "--dry-run")
    assert code == 0, output


@pytest.mark.parametrize("command", ["run", "validate", "status"])
def test_a_schedule_the_config_does_not_have_is_refused(config: Path, command: str) -> None:
    code, output = invoke(command, str(config), "--schedule", "3")
    assert code == 2, output
    assert "the config has no schedule 3 (it has 2)" in output, output
    assert "pipeflow schedule" in output, output  # where to see them
    assert not (config.parent / "results").exists()
    code, output = invoke(command, str(config), "--schedule", "0")
    assert code == 2, output
