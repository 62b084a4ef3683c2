"""A run that could not start (its Dask cluster does not answer, its store cannot be reached as
it plans) is recorded as a failed run whose steps did not run, with why; a config's problems
(exit 2) and `--frozen`'s stale steps (exit 3) are checks that ran nothing, and are not runs."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.history import RunRecord, open_history
from pipeflow.model.events import Event, RunFinished, RunStarted
from pipeflow.report.live import LiveReporter
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


@pytest.mark.parametrize("where", ["dask", "store"])
def test_every_channel_names_the_recorded_run_that_could_not_start(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The console, JSON lines and both CI reports give the id the history holds it under."""
    monkeypatch.setenv("UNSTARTED_KEY", KEY)
    config = project(make_project, where=where)
    why = "no Dask scheduler answers" if where == "dask" else "cannot be reached"
    report, junit = config.parent / "report.json", config.parent / "junit.xml"
    lines = CliRunner().invoke(
        cli,
        ["run", str(config), "--log-format", "json", "--json", str(report), "--junit", str(junit)],
    )
    plain = CliRunner().invoke(cli, ["run", str(config), "--log-format", "plain"])
    with open_history(config.parent) as history:
        first, second = reversed(history.runs(pipeline="unstarted"))
    # JSON lines: the run's start and end, as for any run.
    assert lines.exit_code == 1, lines.output
    events = [json.loads(line) for line in lines.stdout.splitlines() if line.startswith("{")]
    assert [(e["event"], e["run_id"]) for e in events] == [
        ("RunStarted", first.id),
        ("RunFinished", first.id),
    ]
    assert events[1]["ok"] is False
    assert why in lines.stderr
    assert why in events[1]["outcomes"][0]["reason"]
    assert KEY not in lines.output
    # The reports: `error` with why, and the run's id and masked params.
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["state"] == "error"
    assert document["run_id"] == first.id
    assert why in document["message"]
    assert document["steps"] == []
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("id") == first.id
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["pipeflow.run_id"] == first.id
    assert KEY not in report.read_text(encoding="utf-8") + junit.read_text(encoding="utf-8")
    # The console: the run's id before why it could not start.
    assert plain.exit_code == 1, plain.output
    assert f"run {second.id} failed" in plain.stdout
    assert why in plain.stderr
    assert KEY not in plain.output


def test_the_api_tells_its_subscribers_of_a_run_that_could_not_start(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = project(make_project, where="dask")
    heard: list[Event] = []
    report = tmp_path / "api-report.json"
    with pytest.raises(pipeflow.PipeflowError, match="no Dask scheduler answers"):
        pipeflow.load(config).run(subscribers=[heard.append], json=report)
    run = recorded(config.parent)
    assert [type(event).__name__ for event in heard] == ["RunStarted", "RunFinished"]
    started, finished = heard
    assert isinstance(started, RunStarted)
    assert isinstance(finished, RunFinished)
    assert started.run_id == finished.run_id == run.id
    assert not finished.ok
    assert [(o.step, o.state.value) for o in finished.outcomes] == [
        ("make", "not run"),
        ("double", "not run"),
    ]
    document = json.loads(report.read_text(encoding="utf-8"))
    assert (document["state"], document["run_id"]) == ("error", run.id)


def test_the_terminal_shows_each_step_of_a_run_that_could_not_start_as_not_run(
    make_project: ProjectFactory,
) -> None:
    config = project(make_project, where="dask")
    screen = io.StringIO()
    with pytest.raises(pipeflow.PipeflowError, match="no Dask scheduler answers"):
        pipeflow.load(config).run(subscribers=[LiveReporter(screen, force_terminal=True)])
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", screen.getvalue())
    final = text[text.rindex("step") :]  # the table printed at the end of the run
    assert "waiting" not in final, final
    assert re.search(r"make\s+│\s+\S+ not run\s+│\s+│\s+the run could not start", final), final
    assert re.search(r"double\s+│\s+\S+ not run", final), final
    assert "failed in" in final
