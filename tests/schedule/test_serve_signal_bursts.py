"""One SIGTERM delivered twice at once is one stop, not a stop and then an abort.

`timeout 60 pipeflow serve ...` sends SIGTERM to serve and then to its whole process group, so
serve receives it twice, a few microseconds apart; systemd and shells that signal a process
group can do the same. Before, the second copy, when it was not merged with the first by the
kernel, was taken as the "signal again" that stops the runs in progress: the run that SIGTERM
should have let finish was interrupted, and serve exited 130 instead of 0.
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
from tests.schedule.test_serve_cli import project, read_until, start


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (signal.SIGTERM, signal.SIGTERM),
        (signal.SIGINT, signal.SIGINT),
        (signal.SIGTERM, signal.SIGINT),
    ],
)
def test_a_signal_repeated_at_once_lets_the_run_in_progress_finish(
    tmp_path: Path, first: signal.Signals, second: signal.Signals
) -> None:
    config = project(tmp_path, 2.5, interval="1h")
    process = start(config)
    try:
        read_until(process, "work: started")
        os.kill(process.pid, first)
        time.sleep(0.1)  # delivered apart: the kernel does not merge them into one
        os.killpg(process.pid, second)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 0, output
    assert "stopping the runs in progress" not in output, output
    assert output.rstrip().endswith("stopped"), output
    with open_history(tmp_path) as history:
        [run] = history.runs(pipeline="served")
    assert run.state == "succeeded", output


def test_under_timeout_serve_lets_the_run_finish_and_exits_0(tmp_path: Path) -> None:
    """As a CI job bounds it: `timeout -s TERM N pipeflow serve CONFIG`."""
    config = project(tmp_path, 2.5, interval="1h")
    done = subprocess.run(
        ["timeout", "-s", "TERM", "3", sys.executable, "-m", "pipeflow", "serve", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert "stopping the runs in progress" not in done.stdout + done.stderr, done.stdout
    with open_history(tmp_path) as history:
        [run] = history.runs(pipeline="served")
    assert run.state == "succeeded", done.stdout + done.stderr
