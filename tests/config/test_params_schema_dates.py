"""A date, time or datetime param is checked against `params_schema` as its ISO text, the JSON
form every channel shows it in, so `{type: string, format: date}` describes it, and `format`
is checked (`2024-02-30` is no date). Before, the date object met no JSON Schema type:
"datetime.date(2024, 1, 1) is not of type 'string'", whatever the schema said. Each channel:
the config's defaults (YAML, TOML), a schedule's params, a params file, `--param`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from tests.conftest import ProjectFactory

STEPS = "def one():\n    return 1\n"
SCHEMA_YAML = """
params_schema:
  properties:
    d: {type: string, format: date}
    days: {type: array, items: {type: string, format: date}}
    at: {type: string}
    when: {type: string}
steps:
  a: {run: datesteps.one}
"""
YAML = (
    "name: ds\nparams:\n  d: 2024-01-01\n  days: [2024-01-02, 2024-01-03]\n"
    "  at: '07:30:00'\n  when: 2024-01-01T10:00:00Z\n" + SCHEMA_YAML
)
TOML = """
name = "ds"
[params]
d = 2024-01-01
days = [2024-01-02, 2024-01-03]
at = 07:30:00
when = 2024-01-01T10:00:00Z
[params_schema.properties]
d = {type = "string", format = "date"}
days = {type = "array", items = {type = "string", format = "date"}}
at = {type = "string"}
when = {type = "string"}
[steps.a]
run = "datesteps.one"
"""


def _validate(config: Path, *arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(config), *arguments])
    return result.exit_code, result.output


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_date_params_meet_a_string_date_schema(make_project: ProjectFactory, kind: str) -> None:
    config = make_project(YAML if kind == "yaml" else TOML, name=f"p.{kind}", datesteps=STEPS)
    code, output = _validate(config)
    assert (code, output.endswith(f"p.{kind}: pipeline `ds` is valid (1 step)\n")) == (0, True)
    over = config.parent / "over.yaml"
    over.write_text("d: 2024-03-01\ndays: [2024-03-02]\n")
    code, output = _validate(config, "--param-file", str(over), "--param", "d=2024-04-01")
    assert code == 0, output


def test_a_schedule_s_date_params_meet_the_schema(make_project: ProjectFactory) -> None:
    config = make_project(
        YAML + "schedules:\n  - interval: 1h\n    params: {d: 2024-05-01, days: [2024-05-02]}\n",
        datesteps=STEPS,
    )
    code, output = _validate(config)
    assert code == 0, output


def test_format_date_is_checked(make_project: ProjectFactory) -> None:
    text = YAML.replace("  d: 2024-01-01\n", "  d: '2024-02-30'\n")
    config = make_project(text, datesteps=STEPS)
    code, output = _validate(config)
    assert code == 2, output
    assert "param `d` = '2024-02-30' fails params_schema: '2024-02-30' is not a 'date'" in output


def test_a_date_failing_the_schema_is_shown_as_iso_text(make_project: ProjectFactory) -> None:
    config = make_project(
        YAML.replace("d: {type: string, format: date}", "d: {type: string, pattern: '^2023'}"),
        datesteps=STEPS,
    )
    code, output = _validate(config)
    assert code == 2, output
    assert "param `d` = '2024-01-01' fails params_schema" in output
    assert "datetime" not in output
