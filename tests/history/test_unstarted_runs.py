"""A run that could not start (its Dask cluster does not answer, its store cannot be reached as
it plans) is recorded as a failed run whose steps did not run, with why; a config's problems
(exit 2) and `--frozen`'s stale steps (exit 3) are checks that ran nothing, and are not runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.history import RunRecord, open_history
from tests.conftest import ProjectFactory
from tests.servers import closed_port

STEPS = """
def make() -> int:
    return 1


def double(value: int) -> int:
    return 2 * value
"""

CONFIG = """
name: unstarted
{results}
{executor}
steps:
  make: {{run: ssteps.make}}
  double:
    run: ssteps.double
    inputs: {{value: "${{steps.make}}"}}
"""

DASK = "executor: {{type: dask, address: 'tcp://127.0.0.1:{port}'}}"
# A store whose endpoint refuses connections: planning cannot read what is stored there.
S3 = """
results:
  root: s3://bucket/results
  storage_options:
    key: "${{env.UNSTARTED_KEY}}"
    secret: not-a-secret
    client_kwargs: {{endpoint_url: "http://127.0.0.1:{port}/${{env.UNSTARTED_KEY}}"}}
    config_kwargs: {{connect_timeout: 1, retries: {{max_attempts: 1}}}}
"""
KEY = "s3cr3t-key-0123456789"


def project(make_project: ProjectFactory, *, where: str) -> Path:
    port = closed_port()
    if where == "dask":
        text = CONFIG.format(results="results: {persist: false}", executor=DASK.format(port=port))
    else:
        text = CONFIG.format(results=S3.format(port=port), executor="")
    return make_project(text, ssteps=STEPS)


def recorded(folder: Path) -> RunRecord:
    with open_history(folder) as history:
        [run] = history.runs(pipeline="unstarted")
        return history.run(run.id)


def check_recorded(run: RunRecord, *, trigger: str, why: str) -> None:
    assert run.state == "failed"
    assert run.trigger == trigger
    assert run.finished is not None
    assert run.duration is not None
    assert [(s.step, s.state) for s in run.steps] == [("make", "not run"), ("double", "not run")]
    first, then = run.steps
    assert first.reason.startswith("the run could not start: "), first.reason
    assert why in first.reason
    assert KEY not in first.reason
    assert then.reason == "the run could not start (why: see `make`)"


@pytest.mark.parametrize("where", ["dask", "store"])
def test_the_command_line_records_a_run_that_could_not_start(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.setenv("UNSTARTED_KEY", KEY)
    monkeypatch.delenv("CI", raising=False)  # a run in CI is recorded as `ci`
    config = project(make_project, where=where)
    result = CliRunner().invoke(cli, ["run", str(config), "--log-format", "plain"])
    assert result.exit_code == 1, result.output
    why = "no Dask scheduler answers" if where == "dask" else "cannot be reached"
    assert why in result.stderr
    run = recorded(config.parent)
    check_recorded(run, trigger="manual", why=why)
    # `runs` lists it and `runs show` says why its steps did not run.
    listed = CliRunner().invoke(cli, ["runs", "--home", str(config.parent / ".pipeflow")])
    assert listed.exit_code == 0, listed.output
    assert re.search(rf"{run.id}\s+unstarted\s+failed\s+manual", listed.output), listed.output
    shown = CliRunner().invoke(
        cli, ["runs", "show", run.id, "--home", str(config.parent / ".pipeflow")]
    )
    assert shown.exit_code == 0, shown.output
    assert "the run could not start" in shown.output
    assert why in shown.output
    assert KEY not in shown.output


@pytest.mark.parametrize("where", ["dask", "store"])
def test_the_api_records_a_run_that_could_not_start(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.setenv("UNSTARTED_KEY", KEY)
    config = project(make_project, where=where)
    with pytest.raises(pipeflow.PipeflowError):
        pipeflow.load(config).run(trigger="ci")
    why = "no Dask scheduler answers" if where == "dask" else "cannot be reached"
    check_recorded(recorded(config.parent), trigger="ci", why=why)


def test_without_history_nothing_is_recorded(make_project: ProjectFactory) -> None:
    config = project(make_project, where="dask")
    with pytest.raises(pipeflow.PipeflowError):
        pipeflow.load(config).run(history=False)
    assert not (config.parent / ".pipeflow" / "runs.db").exists()


def test_checks_that_ran_nothing_are_not_runs(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG.format(results="", executor=""), ssteps=STEPS)
    # A mistake in an option: exit 2, as for a config's problems.
    refused = CliRunner().invoke(cli, ["run", str(config), "--results", "s3x://bucket/x"])
    assert refused.exit_code == 2, refused.output
    # `--frozen` with steps to run: exit 3.
    frozen = CliRunner().invoke(cli, ["run", str(config), "--frozen"])
    assert frozen.exit_code == 3, frozen.output
    database = config.parent / ".pipeflow" / "runs.db"
    if database.exists():
        with open_history(config.parent) as history:
            assert history.runs(pipeline="unstarted") == []
