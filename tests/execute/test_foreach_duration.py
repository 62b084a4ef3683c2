"""A `foreach` step's duration is its own wall time, from its first item's start to its last
item's end (docs/executors.md: "a step's start and duration are its own"), not the sum of
its items' times: never more than the run's, on every channel."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.runs_shown import shown_seconds

CONFIG = """
name: fed
results: {root: out}
executor: EXECUTOR
steps:
  fe: {run: slowitems.item, foreach: [1, 2, 3, 4], as: i}
"""

STEPS = """
import time


def item(i):
    time.sleep(1)
    return i
"""


@pytest.mark.parametrize(
    "executor", ["{type: threads, workers: 4}", "{type: processes, workers: 2}"]
)
def test_a_foreach_step_lasts_no_longer_than_its_run(
    make_project: ProjectFactory, executor: str
) -> None:
    config = make_project(CONFIG.replace("EXECUTOR", executor), slowitems=STEPS)
    folder = config.parent
    run = ["run", str(config), "--log-format", "plain", "--json", "r.json", "--junit", "r.xml"]
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", *run], cwd=folder, capture_output=True, text=True
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    step = re.search(r"fe: done in ([0-9.]+)s", output)
    whole = re.search(r"succeeded in ([0-9.]+)s", output)
    assert step is not None, output
    assert whole is not None, output
    assert 1 <= float(step.group(1)) <= float(whole.group(1)), output

    report = json.loads((folder / "r.json").read_text())
    (said,) = report["steps"]
    assert 1 <= said["duration"] <= report["duration"], report
    junit = (folder / "r.xml").read_text()
    case = re.search(r'<testcase[^>]*name="fe" time="([0-9.]+)"', junit)
    suite = re.search(r'<testsuite [^>]*time="([0-9.]+)"', junit)
    assert case is not None, junit
    assert suite is not None, junit
    assert float(case.group(1)) <= float(suite.group(1)), junit
    assert shown_seconds(folder, report["run_id"], "fe") <= report["duration"] + 0.01

    result = pipeflow.load(config).run(force=True)
    assert 1 <= result.outcomes["fe"].duration <= result.result.duration, result.outcomes["fe"]
