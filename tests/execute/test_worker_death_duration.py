"""A step whose worker process died, or was ended after ignoring its timeout, ran until its
end was known: docs/ci.md's `duration` ("seconds, over all attempts") says so on every
channel, not 0."""

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
name: deaths
results: {root: out}
executor: {type: processes}
steps:
  s: {run: deathsteps.STEP, timeout: 1s}
"""

STEPS = """
import os
import time


def immortal():  # ignores its timeout's interruption: ended with its worker after 1 + 2 s
    start = time.time()
    while time.time() - start < 30:
        try:
            while time.time() - start < 30:
                time.sleep(0.01)
        except BaseException:
            pass


def dies():
    time.sleep(0.6)
    os._exit(7)
"""


@pytest.mark.parametrize(("step", "least"), [("immortal", 2.5), ("dies", 0.5)])
def test_a_step_whose_worker_ended_ran_until_then(
    make_project: ProjectFactory, step: str, least: float
) -> None:
    config = make_project(CONFIG.replace("STEP", step), deathsteps=STEPS)
    folder = config.parent
    run = ["run", str(config), "--json", "r.json", "--junit", "r.xml"]
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", *run], cwd=folder, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((folder / "r.json").read_text())
    (said,) = report["steps"]
    assert said["state"] == "failed", said
    assert least <= said["duration"] <= report["duration"], report
    junit = (folder / "r.xml").read_text()
    time = re.search(r'<testcase[^>]*name="s" time="([0-9.]+)"', junit)
    assert time is not None, junit
    assert float(time.group(1)) >= least, junit
    assert shown_seconds(folder, report["run_id"], "s") >= least

    result = pipeflow.load(config).run(force=True)
    assert result.outcomes["s"].duration >= least, result.outcomes["s"]
