"""`serve` and `ui` take several configs: the same file given twice is named as such (not
"give each its own `name:`", which would not help), and two files naming one pipeline are
both named. Either way exit 2, before anything is served."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from tests.conftest import ProjectFactory

STEPS = "def one() -> int:\n    return 1\n"
CONFIG = """\
name: twice
steps:
  one: {run: twicesteps.one}
schedules:
  - interval: 1h
"""


@pytest.mark.parametrize("command", ["serve", "ui"])
def test_a_config_given_twice_is_named(
    make_project: ProjectFactory, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_project(CONFIG, twicesteps=STEPS)
    monkeypatch.chdir(config.parent)
    result = CliRunner().invoke(cli, [command, "pipeline.yaml", "./pipeline.yaml"])
    assert result.exit_code == 2, result.output
    assert "error: pipeline.yaml is given twice\n" in result.output
    assert "name:" not in result.output
    result = CliRunner().invoke(cli, [command, "pipeline.yaml", str(config)])
    assert result.exit_code == 2, result.output
    assert f"{config} is given twice (as `pipeline.yaml` and `{config}`)" in result.output


@pytest.mark.parametrize("command", ["serve", "ui"])
def test_two_configs_of_one_pipeline_are_both_named(
    make_project: ProjectFactory, command: str, tmp_path: Path
) -> None:
    first = make_project(CONFIG, twicesteps=STEPS)
    second = make_project(CONFIG, name="copy.yaml")
    result = CliRunner().invoke(cli, [command, str(first), str(second)])
    assert result.exit_code == 2, result.output
    assert f"`{first}` and `{second}` both name the pipeline `twice`" in result.output
    assert "give each its own `name:`" in result.output
