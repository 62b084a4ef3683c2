"""A param whose default reads an environment variable that is not set is a problem only
when the run takes that default: a `--param`, a params file, `params=` in Python, a
schedule's params or a parent's `params:` that gives the param replaces the default, and the
variable is not needed (a CI job that passes `--param api_url=...` need not also set
`API_URL`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli

STEPS = "def show(url, table):\n    print('url', url)\n    return [url, table]\n"

YAML = """\
name: envs
params:
  api_url: ${env.ENV_UNDER_TEST_URL}
  db: {table: "${env.ENV_UNDER_TEST_TABLE}"}
steps:
  show: {run: esteps.show, inputs: {url: "${params.api_url}", table: "${params.db.table}"}}
schedules:
  - interval: 1h
    params: {api_url: "https://scheduled.example", db: {table: nightly}}
"""
TOML = """\
name = "envs"
[params]
api_url = "${env.ENV_UNDER_TEST_URL}"
db = { table = "${env.ENV_UNDER_TEST_TABLE}" }
[steps.show]
run = "esteps.show"
inputs = { url = "${params.api_url}", table = "${params.db.table}" }
[[schedules]]
interval = "1h"
params = { api_url = "https://scheduled.example", db = { table = "nightly" } }
"""
URL_UNSET = "environment variable `ENV_UNDER_TEST_URL` is not set (param `api_url`)"
TABLE_UNSET = "environment variable `ENV_UNDER_TEST_TABLE` is not set (param `db.table`)"


@pytest.fixture(params=["pipeline.yaml", "pipeline.toml"])
def config(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ENV_UNDER_TEST_URL", raising=False)
    monkeypatch.delenv("ENV_UNDER_TEST_TABLE", raising=False)
    (tmp_path / "esteps.py").write_text(STEPS)
    path = tmp_path / request.param
    path.write_text(YAML if path.suffix == ".yaml" else TOML)
    (tmp_path / "given.json").write_text('{"api_url": "https://file.example"}')
    return path


def test_the_default_taken_needs_its_variable(config: Path) -> None:
    result = CliRunner().invoke(cli, ["run", str(config)])
    assert result.exit_code == 2, result.output
    assert URL_UNSET in result.stderr
    assert TABLE_UNSET in result.stderr
    with pytest.raises(pipeflow.ConfigError, match="ENV_UNDER_TEST_URL"):
        pipeflow.load(config)


@pytest.mark.parametrize(
    "given",
    [
        ["--param", "api_url=https://given.example"],
        ["--param-file", "given.json"],
    ],
    ids=["param", "param-file"],
)
def test_a_param_given_on_the_command_line_needs_no_variable(
    config: Path, given: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(config.parent)
    for command in (["run", "-q"], ["validate"], ["status"]):
        result = CliRunner().invoke(
            cli, [command[0], config.name, *given, "--param", "db.table=t", *command[1:]]
        )
        assert result.exit_code == 0, result.output
        assert "not set" not in result.output
    # The other param still takes its default: its variable is needed.
    result = CliRunner().invoke(cli, ["run", config.name, *given])
    assert result.exit_code == 2, result.output
    assert TABLE_UNSET in result.stderr
    assert URL_UNSET not in result.stderr


def test_params_given_in_python_or_by_a_schedule_need_no_variable(config: Path) -> None:
    given = {"api_url": "https://python.example", "db": {"table": "t"}}
    run = pipeflow.load(config, params=given).run()
    assert run.ok
    assert run.output("show") == ["https://python.example", "t"]
    scheduled = pipeflow.load(config, schedule=1).run()
    assert scheduled.output("show") == ["https://scheduled.example", "nightly"]
    result = CliRunner().invoke(cli, ["run", str(config), "--schedule", "1", "-q"])
    assert result.exit_code == 0, result.output


def test_a_given_param_of_the_environment_is_still_masked(config: Path) -> None:
    """Its default read the environment: pipeflow records it as *** even when replaced, as
    it always has."""
    given = {"api_url": "https://given.example/x", "db": {"table": "t"}}
    run = pipeflow.load(config, params=given).run()
    assert run.ok
    result = CliRunner().invoke(cli, ["runs", str(config), "show", run.id])
    assert result.exit_code == 0, result.output
    assert 'api_url: "***"' in result.output
    assert "https://given.example/x" not in result.output


def test_a_parent_that_gives_a_sub_pipeline_the_param_needs_no_variable(
    config: Path,
) -> None:
    parent = config.parent / "parent.yaml"
    parent.write_text(
        "name: parent\nsteps:\n  child:\n"
        f"    pipeline: {config.name}\n"
        "    params: {api_url: 'https://parent.example', db: {table: p}}\n"
    )
    run = pipeflow.load(parent).run()
    assert run.ok
    assert run.output("child/show") == ["https://parent.example", "p"]
    half = config.parent / "half.yaml"
    half.write_text(
        f"name: half\nsteps:\n  child:\n    pipeline: {config.name}\n"
        "    params: {api_url: 'https://parent.example'}\n"
    )
    with pytest.raises(pipeflow.ConfigError, match="ENV_UNDER_TEST_TABLE"):
        pipeflow.load(half)
