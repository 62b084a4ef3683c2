"""Ctrl-C or SIGTERM while a step's value comes back from a `processes` worker (SPEC 6): the
run stops and exits 130, even when its worker is ended in the middle of sending the value
(the pool's reader then waits for bytes that never come)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import ProjectFactory

CONFIG = """
name: back
executor: {type: processes, workers: 1}
results: {root: out}
steps:
  big: {run: backsteps.big, inputs: {signal: SIGNAL}}
"""

# The value's pickling starts a thread that waits until the worker has begun writing it to
# the run (its bytes written grow), then sends the signal to the run (the leader of its
# session) and stops the worker there: the run ends it in the middle of the value, every time.
STEPS = """
import os
import signal as signals
import threading
import time


def _written():
    with open("/proc/self/io") as io:
        return int(next(line for line in io if line.startswith("wchar")).split()[1])


def _press(number):
    before = _written()
    while _written() < before + (1 << 20):
        time.sleep(0.001)
    os.kill(os.getsid(0), number)
    os.kill(os.getpid(), signals.SIGSTOP)


class Big(bytes):
    def __reduce__(self):
        threading.Thread(target=_press, args=(self.number,), daemon=True).start()
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
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
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
    assert process.returncode == 130, output
    assert "big: FAILED: interrupted" in output, output
    assert "was interrupted; re-run to resume" in output, output
    assert "Traceback" not in output, output
