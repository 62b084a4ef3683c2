"""Ctrl-C or SIGTERM while a step's value comes back from a `processes` worker (SPEC 6): the
run stops and exits 130, even when its worker is ended in the middle of sending the value
(the pool's reader then waits for bytes that never come); the worker had stored the result
whole before sending it, so the run says the step done, as the store does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ProjectFactory

CONFIG = """
name: back
executor: {type: processes, workers: 1}
results: {root: out}
steps:
  big: {run: backsteps.big, inputs: {signal: SIGNAL}}
"""

# The value's pickling to be sent back starts a thread that waits until the worker is in the
# middle of writing it to the run (waiting for the pipe to have room), then sends the signal to
# the run (the leader of its session) and stops the worker there: the run ends it mid-value.
STEPS = """
import os
import signal as signals
import threading
import time
import traceback


def _press(number, writer):
    # Once the worker's main thread waits in a write to the pipe (full: the value is half
    # sent), at most 30 s.
    wchan = f"/proc/self/task/{writer}/wchan"
    deadline, found = time.monotonic() + 30, "never"
    while time.monotonic() < deadline:
        with open(wchan) as state:
            if "pipe_write" in state.read():
                found = "half-sent"
                break
        time.sleep(0.0002)
    with open(os.path.join(os.path.dirname(__file__), "pressed"), "w") as pressed:
        pressed.write(found)
    os.kill(os.getsid(0), number)
    os.kill(os.getpid(), signals.SIGSTOP)


class Big(bytes):
    def __reduce__(self):
        # Pickled to be stored first, then to be sent back, by the pool's queue.
        if any(frame.filename.endswith("queues.py") for frame in traceback.extract_stack()):
            writer = threading.main_thread().native_id
            threading.Thread(target=_press, args=(self.number, writer), daemon=True).start()
        return (bytes, (bytes(self),))


def big(signal):
    value = Big(b"x" * (64 << 20))
    value.number = getattr(signals, signal)
    return value
"""


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_signal_while_a_value_comes_back_stops_the_run(
    make_project: ProjectFactory, name: str
) -> None:
    config = make_project(CONFIG.replace("SIGNAL", name), backsteps=STEPS)
    output = _stopped(config, name)
    assert "was interrupted; re-run to resume" in output, output
    assert "Traceback" not in output, output


def test_a_step_stored_as_the_run_stopped_is_reported_done(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG.replace("SIGNAL", "SIGINT"), backsteps=STEPS)
    output = _stopped(config, "SIGINT", "--json", "report.json")
    report = json.loads((config.parent / "report.json").read_text())
    (big,) = report["steps"]
    assert big["state"] == "done", (big, output)
    assert big["locations"], big
    assert "big: done" in output, output
    again = subprocess.run(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert f"big: cached (stored by run {report['run_id']})" in again.stdout, again.stdout


def _stopped(config: Path, name: str, *options: str) -> str:
    """What `pipeflow run` printed, stopped by the signal `name` as `big`'s value comes back."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config), *options],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"the run did not stop after {name} as its value came back:\n{output}")
    assert (config.parent / "pressed").read_text() == "half-sent", output
    assert process.returncode == 130, output
    return output
