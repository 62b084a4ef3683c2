"""A step Ctrl-C stops was called: every channel that reports a run (the --json and --junit
reports, `pipeflow runs show`, the UI's run page) says so, with its attempt and how long it
ran, on every executor that stops a run (docs/ci.md: `attempts` is 0 only when it was not)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from starlette.testclient import TestClient

from pipeflow.ui.app import Settings, create_app
from tests.conftest import ProjectFactory
from tests.interrupting import interrupted

CONFIG = """
name: stop
executor: {type: EXECUTOR}
defaults: {retries: RETRIES}
steps:
  slow: {run: stopsteps.slow}
  after: {run: stopsteps.slow, after: [slow]}
"""

STEPS = """
import time
from pathlib import Path


def slow():
    attempt = Path(__file__).with_name("attempt")
    calls = int(attempt.read_text()) + 1 if attempt.exists() else 1
    attempt.write_text(str(calls))
    if calls < CALLS:
        raise ConnectionError("flaky")  # retried at once: the next attempt is the slow one
    Path(__file__).with_name("slow.started").write_text("")
    time.sleep(8)  # a thread's call ends in its own time: not much longer than the test
    return 1
"""

SETTLE = 1.5  # seconds the step runs before Ctrl-C


@pytest.mark.parametrize(
    ("executor", "calls"),
    [
        ("sequential", 1),
        ("threads", 1),
        ("processes", 1),
        pytest.param("dask", 1, marks=pytest.mark.slow),  # a local cluster, for the run
        # A retry is counted as it happens when the step runs in this process.
        ("sequential", 2),
        ("threads", 2),
    ],
)
def test_an_interrupted_step_has_its_attempts_and_duration_on_every_channel(
    make_project: ProjectFactory, tmp_path: Path, executor: str, calls: int
) -> None:
    config = make_project(
        CONFIG.replace("EXECUTOR", executor).replace("RETRIES", str(calls - 1)),
        stopsteps=STEPS.replace("CALLS", str(calls)),
    )
    home = tmp_path / "home"
    env = {**os.environ, "PIPEFLOW_HOME": str(home)}
    report, junit = tmp_path / "report.json", tmp_path / "report.xml"
    command = [sys.executable, "-m", "pipeflow", "run", str(config)]
    code, output = interrupted(
        [*command, "--json", str(report), "--junit", str(junit)],
        cwd=config.parent,
        env=env,
        marker="slow: started",
        file=config.parent / "slow.started",
        settle=SETTLE,
    )
    assert code == 130, output
    document = json.loads(report.read_text())
    steps = {step["name"]: step for step in document["steps"]}
    assert steps["slow"]["state"] == "failed", steps
    assert steps["slow"]["attempts"] == calls, steps
    assert SETTLE <= steps["slow"]["duration"] < 60, steps
    assert steps["after"]["attempts"] == 0, steps  # never called
    assert steps["after"]["duration"] == 0.0, steps

    cases = {case.get("name"): case for case in ElementTree.parse(junit).iter("testcase")}
    assert SETTLE <= float(cases["slow"].get("time", "0")) < 60

    shown = subprocess.run(
        [sys.executable, "-m", "pipeflow", "runs", "show", document["run_id"]],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    row = next(line.split() for line in shown.splitlines() if line.split()[:1] == ["slow"])
    attempts = f"{calls} attempt" + ("s" if calls > 1 else "")
    assert " ".join(row[3:5]) == attempts, shown
    assert re.fullmatch(r"[\d.]+m?s", row[2]), shown  # a duration, not '-'

    with TestClient(
        create_app(Settings(configs={}, home=home)), base_url="http://127.0.0.1:8080"
    ) as client:
        page = client.get(f"/runs/{document['run_id']}").text
    cells = re.search(
        r'data-step="slow".*?data-role="duration">([\d.]+)s</td>\s*<td>(\d+)</td>', page, re.S
    )
    assert cells is not None, page
    assert float(cells.group(1)) >= SETTLE, cells.groups()
    assert cells.group(2) == str(calls), cells.groups()
