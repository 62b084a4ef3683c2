"""A param that each run must give (Prefect's `Parameter("day", required=True)`): a `null`
default that `params_schema` refuses. A run that does not give it is told the param is not
given and how to give it, not that `None is not of type 'string'`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli

STEPS = "def load(day, table):\n    return [day, table]\n"

# `day` must be given; `table` too, and only some values will do.
CONFIG = """\
name: report
params:
  day: null
  table: {name: null}
params_schema:
  properties:
    day: {type: string, format: date}
    table: {properties: {name: {enum: [sales, stock]}}}
steps:
  load: {run: rsteps.load, inputs: {day: "${params.day}", table: "${params.table.name}"}}
"""
CONFIG_JSON = """\
{"name": "report",
 "params": {"day": null, "table": {"name": null}},
 "params_schema": {"properties": {"day": {"type": "string", "format": "date"},
                                  "table": {"properties": {"name": {"enum": ["sales", "stock"]}}}}},
 "steps": {"load": {"run": "rsteps.load",
                    "inputs": {"day": "${params.day}", "table": "${params.table.name}"}}}}
"""

DAY = "param `day` is not given: its default is null, which params_schema refuses"
DAY_HINT = "give it a value: `--param day=VALUE` or a params file"
TABLE = "param `table.name` is not given: its default is null, which params_schema refuses"


@pytest.fixture(params=["pipeline.yaml", "pipeline.json"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    (tmp_path / "rsteps.py").write_text(STEPS)
    path = tmp_path / request.param
    path.write_text(CONFIG if path.suffix == ".yaml" else CONFIG_JSON)
    return path


@pytest.mark.parametrize("command", ["run", "validate", "status"])
def test_a_null_default_the_schema_refuses_is_a_param_not_given(config: Path, command: str) -> None:
    result = CliRunner().invoke(cli, [command, str(config)])
    assert result.exit_code == 2, result.output
    assert DAY in result.stderr
    assert "(None is not of type 'string')" in result.stderr
    assert DAY_HINT in result.stderr
    assert TABLE in result.stderr
    assert "--param table.name=VALUE" in result.stderr
    assert "= None fails" not in result.stderr


def test_the_api_says_how_to_give_it_in_python(config: Path) -> None:
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config)
    day = next(p for p in raised.value.problems if p.path == "params.day")
    assert day.message.startswith(DAY)
    assert day.hint is not None
    assert "`params={'day': ...}` in Python" in day.hint


def test_once_given_the_run_goes_on_and_a_wrong_value_is_still_shown(config: Path) -> None:
    ok = CliRunner().invoke(
        cli,
        ["run", str(config), "-q", "--param", 'day="2024-01-31"', "--param", "table.name=sales"],
    )
    assert ok.exit_code == 0, ok.output
    wrong = CliRunner().invoke(
        cli, ["run", str(config), "--param", 'day="2024-01-31"', "--param", "table.name=x"]
    )
    assert wrong.exit_code == 2
    assert "param `table.name` = 'x' fails params_schema" in wrong.stderr
