"""`pipeflow runs --json` and `pipeflow runs show --json`: the history for programs, in the
shapes of the run's JSON report (`run_id`, `state`, `summary`, each step's `name`, `state`,
`reason`, `attempts`, `error`...), from a real run that retried, failed and used a secret."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
import os
from pathlib import Path

def load(token):
    return [1, 2, 3]

def flaky(rows):
    marker = Path("tried")
    if not marker.exists():
        marker.write_text("once")
        raise ConnectionError("timed out")
    return sum(rows)

def report(total):
    raise ValueError(f"bad values: {total}")
"""

CONFIG = """
name: jsondemo
params: {count: 3, token: "${env.JSONDEMO_TOKEN}"}
steps:
  load: {run: jsteps.load, inputs: {token: "${params.token}"}}
  flaky: {run: jsteps.flaky, inputs: {rows: "${steps.load}"}, retries: 1}
  report: {run: jsteps.report, inputs: {total: "${steps.flaky}"}}
"""

SECRET = "s3cr3t-json-value"
ENV = {"JSONDEMO_TOKEN": SECRET}


@pytest.fixture
def project(make_project: ProjectFactory) -> Path:
    """Two runs: the first fails at `report` (after `flaky` passed on its second attempt), the
    second takes `load` and `flaky` from the cache and fails again."""
    config = make_project(CONFIG, jsteps=STEPS)
    for _ in range(2):
        failed = pipeflow_in(config.parent, "run", config.name, "-q", env=ENV)
        assert failed.returncode == 1, failed.stderr
    return config


def _json(project: Path, *args: str) -> Any:
    done = pipeflow_in(project.parent, *args, env=ENV)
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout
    return json.loads(done.stdout)


def test_runs_json_lists_each_run_newest_first(project: Path) -> None:
    runs = _json(project, "runs", "--json")
    assert [run["state"] for run in runs] == ["failed", "failed"]
    newest, first = runs
    assert newest["started"] >= first["started"]
    assert newest["pipeline"] == "jsondemo"
    # As the run was started: a CI job's environment (CI=true) makes it `ci`.
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    assert newest["trigger"] == ("ci" if in_ci else "manual")
    assert newest["config"] == str(project.resolve())
    assert newest["params"] == {"count": 3, "token": "***"}
    assert first["summary"] == {"done": 2, "failed": 1}
    assert newest["summary"] == {"cached": 2, "failed": 1}
    assert isinstance(newest["duration"], float)
    assert newest["finished"] is not None
    assert "steps" not in newest  # `runs show ID --json` has them


def test_runs_json_takes_the_filters_and_the_config(project: Path) -> None:
    assert len(_json(project, "runs", project.name, "--json", "--last", "1")) == 1
    assert _json(project, "runs", "--json", "--state", "succeeded") == []
    assert _json(project, "runs", "--json", "--pipeline", "other") == []


def test_runs_show_json_has_each_step_as_the_run_report_does(project: Path) -> None:
    runs = _json(project, "runs", "--json")
    first_id = runs[-1]["run_id"]
    run = _json(project, "runs", "show", first_id[:17], "--json")
    assert run["run_id"] == first_id
    assert run["params"] == {"count": 3, "token": "***"}
    steps = {step["name"]: step for step in run["steps"]}
    assert list(steps) == ["load", "flaky", "report"]
    assert steps["load"]["state"] == "done"
    assert steps["load"]["cached"] is False
    assert steps["load"]["locations"]
    assert steps["flaky"]["attempts"] == 2
    assert steps["flaky"]["failed_attempts"] == [
        {"attempt": 1, "error": "ConnectionError: timed out"}
    ]
    report = steps["report"]
    assert report["state"] == "failed"
    assert report["error"]["message"] == "ValueError: bad values: 6"
    assert 'raise ValueError(f"bad values: {total}")' in report["error"]["traceback"]
    assert isinstance(report["duration"], float)
    assert steps["load"]["error"] is None
    latest = _json(project, "runs", "show", "--json")  # the default: the latest run
    assert latest["run_id"] == runs[0]["run_id"]
    assert {s["name"]: s["state"] for s in latest["steps"]} == {
        "load": "cached",
        "flaky": "cached",
        "report": "failed",
    }
    assert latest["steps"][0]["cached"] is True


def test_runs_show_json_of_an_unknown_run_is_a_usage_error_with_nothing_on_stdout(
    project: Path,
) -> None:
    done = pipeflow_in(project.parent, "runs", "show", "nosuchrun", "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "nosuchrun" in done.stderr


def test_runs_json_of_an_empty_history_is_an_empty_list(tmp_path: Path) -> None:
    done = pipeflow_in(tmp_path, "runs", "--json", "--home", str(tmp_path / "empty"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
