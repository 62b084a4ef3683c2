"""`pipeflow logs --step STEP` takes the name of a step that runs a sub-pipeline as all of its
steps, as `--only` and `after:` do, in the history's API, `logs --follow` and the UI's logs.
Before, `logs --step data` said "run ... has no step `data`" and suggested one of its steps."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.history import UnknownStep, open_history
from tests.conftest import ProjectFactory

PARENT = """
name: parent
results: {root: out}
steps:
  data: {pipeline: child.yaml}
  other: {run: talk.say, inputs: {what: other}}
"""

CHILD = """
name: child
results: {root: out}
steps:
  load: {run: talk.say, inputs: {what: load}}
  split: {run: talk.say, inputs: {what: split}, after: [load]}
"""

TALK = """
def say(what):
    print("said by", what)
    return what
"""


@pytest.fixture
def project(make_project: ProjectFactory, tmp_path: Path) -> Path:
    make_project(CHILD, name="child.yaml")
    config = make_project(PARENT, talk=TALK)
    assert pipeflow.load(config).run().ok
    return tmp_path


def test_logs_of_a_sub_pipeline_step_are_its_steps_lines(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    shown = CliRunner().invoke(cli, ["logs", "--step", "data"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines() == ["data/load | said by load", "data/split | said by split"]
    followed = CliRunner().invoke(cli, ["logs", "--step", "data", "--follow"])
    assert followed.output == shown.output
    one = CliRunner().invoke(cli, ["logs", "--step", "data/split"])
    assert one.output.splitlines() == ["data/split | said by split"]


def test_the_history_reads_a_sub_pipeline_step_as_its_steps(project: Path) -> None:
    with open_history(project) as history:
        run = history.runs()[0].id
        assert [line.step for line in history.logs(run, "data")] == ["data/load", "data/split"]
        assert [line.step for line in history.follow(run, "data")] == ["data/load", "data/split"]
        with pytest.raises(UnknownStep, match="did you mean `data`"):
            history.logs(run, "dta")
        with pytest.raises(UnknownStep):
            history.logs(run, "dat")  # a start of a name is not the name
