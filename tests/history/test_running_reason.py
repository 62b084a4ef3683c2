"""A step the history shows running says why it runs, as decided when it started.

The plan decides a step after one that runs only once that step has finished ("`fast` runs
first" until then). Before, the history kept that provisional reason until the step ended: a
`runs show` while it ran, and for ever once the run was lost (killed), said "`fast` runs first"
of a step that had been decided again and was running. Its row now takes the reason it was
started with.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeflow.history import open_history

STEPS = """
import time
from pathlib import Path


def fast(x):
    return x


def slow(v, token):
    Path(__file__).with_name("slow.started").write_text("yes")
    time.sleep(120)
    return v
"""
YAML = """
name: reasons
params: {token: abc}
results: {root: out}
executor: {type: EXECUTOR}
steps:
  fast: {run: reasonsteps.fast, inputs: {x: 1}}
  slow: {run: reasonsteps.slow, inputs: {v: "${steps.fast}", token: "${params.token}"}}
"""
TOML = """
name = "reasons"
params = {token = "abc"}
[results]
root = "out"
[executor]
type = "EXECUTOR"
[steps.fast]
run = "reasonsteps.fast"
inputs = {x = 1}
[steps.slow]
run = "reasonsteps.slow"
inputs = {v = "${steps.fast}", token = "${params.token}"}
"""


def _slow_reason(folder: Path) -> tuple[str, str, str]:
    with open_history(folder) as history:
        run = history.runs(last=1)[0]
        step = next(s for s in history.run(run.id).steps if s.step == "slow")
        return run.state, step.state, step.reason


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_running_step_and_a_lost_runs_step_say_why_they_ran(
    tmp_path: Path, spelling: str, executor: str
) -> None:
    (tmp_path / "reasonsteps.py").write_text(STEPS, encoding="utf-8")
    config = tmp_path / f"pipeline.{spelling}"
    config.write_text((YAML if spelling == "yaml" else TOML).replace("EXECUTOR", executor))
    command = [sys.executable, "-m", "pipeflow", "run", config.name, "-q"]
    process = subprocess.Popen(command, cwd=tmp_path, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "slow.started").exists():
            assert process.poll() is None, "the run ended early"
            assert time.monotonic() < deadline, "the slow step never started"
            time.sleep(0.05)
        time.sleep(1)  # the history's writer commits within half a second
        assert _slow_reason(tmp_path) == ("running", "running", "no stored result yet")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    assert _slow_reason(tmp_path) == ("lost", "failed", "no stored result yet")
