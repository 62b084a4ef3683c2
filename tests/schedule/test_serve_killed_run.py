"""A scheduled run whose process is killed (the OOM killer, `kill -9`, a crash in C code) is
said as such in serve's log: it read "run ended with exit code -9"."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from pipeflow.history import open_history
from tests.schedule.test_serve_cli import hung_project, read_until, start, stop


@pytest.mark.parametrize("kill", [signal.SIGKILL, signal.SIGSEGV])
def test_a_killed_scheduled_run_is_said_killed(tmp_path: Path, kill: signal.Signals) -> None:
    config = hung_project(tmp_path)
    process = start(config)
    said = ""
    try:
        marker = config.parent / "pid"
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        run_pid = int(marker.read_text())  # the run's own process: the step runs on it
        said = read_until(process, "hang: started")
        os.kill(run_pid, kill)
    finally:  # serve logs how the run ended before it stops
        said += stop(process)
    assert process.returncode == 0, said
    line = next((line for line in said.splitlines() if "killed by" in line), said)
    assert f"hung schedule 1 (every 1h): the run's process was killed by {kill.name}" in line
    assert "exit code -" not in said
    assert "not by serve" in line, line
    with open_history(config.parent) as history:
        (run,) = [run for run in history.runs() if run.state != "skipped"]
    assert run.state == "lost"  # the history, read, has it so
    assert f"the next run resumes from the steps run {run.id} stored" in line, line
