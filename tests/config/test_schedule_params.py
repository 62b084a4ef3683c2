"""A schedule's `params` are checked as the runs it starts get them: names, types, schema.

Every channel that validates a config (validate, schedule, run, serve, `pipeflow.load`)
reports each bad schedule param at the schedule, in YAML and in TOML, exit code 2.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError

STEPS = """
def show(x):
    print(x)
"""

YAML = """
name: sp
params:
  ratio: 0.2
  model: {depth: 3}
params_schema:
  properties:
    ratio: {type: number, exclusiveMaximum: 1}
steps:
  s: {run: spsteps.show, inputs: {x: "${params.ratio}"}, cache: false}
schedules:
  - interval: 1h
    params: {ratio: 1.5}
  - interval: 1h
    params: {ratio: high}
  - interval: 1h
    params: {model: {dept: 4}}
  - interval: 1h
    params: {ratio: 0.5, model: {depth: 4}}
"""

TOML = """
name = "sp"
[params]
ratio = 0.2
model = {depth = 3}
[params_schema.properties.ratio]
type = "number"
exclusiveMaximum = 1
[steps.s]
run = "spsteps.show"
inputs = {x = "${params.ratio}"}
cache = false
[[schedules]]
interval = "1h"
params = {ratio = 1.5}
[[schedules]]
interval = "1h"
params = {ratio = "high"}
[[schedules]]
interval = "1h"
params = {model = {dept = 4}}
[[schedules]]
interval = "1h"
params = {ratio = 0.5, model = {depth = 4}}
"""

# (path, line in YAML, line in TOML, what the message says)
EXPECTED = [
    ("schedules[0].params.ratio", 13, 15, "param `ratio` = 1.5 fails params_schema"),
    (
        "schedules[1].params.ratio",
        15,
        18,
        "param `ratio` is a number (0.2) in the defaults; got a string ('high')",
    ),
    ("schedules[2].params.model.dept", 17, 21, "unknown param `model.dept`"),
]


@pytest.fixture(params=["yaml", "toml"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    (tmp_path / "spsteps.py").write_text(textwrap.dedent(STEPS))
    path = tmp_path / f"sp.{request.param}"
    path.write_text(YAML if request.param == "yaml" else TOML)
    return path


def pipeflow_cli(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_reported_at_the_schedules(config: Path, output: str) -> None:
    toml = config.suffix == ".toml"
    for path, yaml_line, toml_line, message in EXPECTED:
        line = toml_line if toml else yaml_line
        found = re.search(rf"{config.name}:{line}:\d+: error at `{re.escape(path)}`: (.*)", output)
        assert found, f"{path} (line {line}) not reported:\n{output}"
        assert message in found.group(1), output
    assert "schedules[3]" not in output  # a schedule whose params are right
    assert "--param" not in output  # nobody gave one


@pytest.mark.parametrize(
    "command",
    [["validate"], ["schedule", "--next", "1"], ["run"], ["serve"]],
    ids=["validate", "schedule", "run", "serve"],
)
def test_each_command_reports_bad_schedule_params_at_the_schedule(
    config: Path, command: list[str]
) -> None:
    result = pipeflow_cli(config, command[0], config.name, *command[1:])
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert_reported_at_the_schedules(config, output)
    assert "3 problems found; nothing was run." in output
    assert "firing" not in output  # serve refused to start


def test_the_api_reports_bad_schedule_params_at_the_schedule(config: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    paths = {problem.path for problem in raised.value.problems}
    assert paths == {path for path, *_ in EXPECTED}
    assert_reported_at_the_schedules(config, raised.value.format())


GOOD = """
name: sp
params: {ratio: 0.2, label: base}
steps:
  s: {run: spsteps.show, inputs: {x: "${params.ratio}"}, cache: false}
schedules:
  - interval: 1h
  - interval: 1h
    params: {ratio: 0.7}
"""


def test_a_run_as_a_schedule_takes_its_params_under_the_command_lines(tmp_path: Path) -> None:
    (tmp_path / "spsteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "sp.yaml"
    config.write_text(GOOD)
    assert pipeflow.load(config, schedule=2).params == {"ratio": 0.7, "label": "base"}
    over = pipeflow.load(config, schedule=2, param_options=["ratio=0.1"])
    assert over.params == {"ratio": 0.1, "label": "base"}
    assert pipeflow.load(config, schedule=1).params == {"ratio": 0.2, "label": "base"}
    result = pipeflow_cli(config, "run", config.name, "--schedule", "3")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "the config has no schedule 3 (it has 2)" in result.stdout + result.stderr
    ran = pipeflow_cli(config, "run", config.name, "--schedule", "2")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "0.7" in ran.stdout
