"""Ctrl-C while a step waits out its `retry_delay`, or during the attempt after it: the step
says the attempts that were called (docs/ci.md: "how many times its function was called"),
each failed one with its error (docs/history.md), and `interrupted`, on every channel."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ProjectFactory
from tests.interrupting import interrupted

CONFIG = """
name: rdi
results: {root: out}
executor: {type: EXECUTOR}  # dask: a local cluster of its own, which Ctrl-C stops too
steps:
  f: {run: retrysteps.failing, retries: 3, retry_delay: DELAY}
"""

STEPS = """
import time
from pathlib import Path


def failing():
    calls = Path(__file__).with_name("calls")
    with calls.open("a") as file:
        file.write("called\\n")
    if len(calls.read_text().splitlines()) > 1:
        Path(__file__).with_name("second").write_text("")
        for _ in range(600):  # a thread's stop lands between two sleeps
            time.sleep(0.1)
    raise ValueError("nope")
"""


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes", "dask"])
@pytest.mark.parametrize("during", ["delay", "second attempt"])
def test_ctrl_c_says_the_attempts_that_ran(
    make_project: ProjectFactory, executor: str, during: str
) -> None:
    delay = "30s" if during == "delay" else "0.1s"
    config = make_project(
        CONFIG.replace("EXECUTOR", executor).replace("DELAY", delay), retrysteps=STEPS
    )
    folder = config.parent
    run = ["run", str(config), "--log-format", "plain", "--json", "r.json", "--junit", "r.xml"]
    code, output = interrupted(
        [sys.executable, "-m", "pipeflow", *run],
        cwd=folder,
        marker="retrying in",
        file=folder / "second" if during == "second attempt" else None,
        settle=0.5,
    )
    assert code == 130, output
    calls = len((folder / "calls").read_text().splitlines())
    assert calls == (1 if during == "delay" else 2), output
    said = f"{calls} attempt" + ("s" if calls > 1 else "")

    assert f"after {calls + 1} attempts" not in output, output
    assert f"FAILED after {said}" in output if calls > 1 else "FAILED: interrupted" in output
    assert "attempt 1 failed (ValueError: nope)" in output, output
    report = json.loads((folder / "r.json").read_text())
    (step,) = report["steps"]
    assert step["attempts"] == calls, report
    assert step["reason"] == "interrupted", report
    junit = (folder / "r.xml").read_text()
    assert f"{calls + 1} attempts" not in junit, junit
    shown = subprocess.run(
        [sys.executable, "-m", "pipeflow", "runs", "show", report["run_id"]],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert said in shown, shown
    assert f"{calls + 1} attempts" not in shown, shown
    assert "attempt 1 failed: ValueError: nope" in shown, shown
    assert "interrupted" in shown, shown
