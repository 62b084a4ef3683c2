"""Ctrl-C and SIGTERM stop the steps that run on threads of the run's process (the `threads`
executor's, and the thread a step with a `timeout` is called on, on `threads` and
`sequential`) as a timeout stops them: at their next bytecode.
What such a step would have done after the signal never happens, and the run exits 130
without waiting for it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ProjectFactory

STEPS = """
import time
from pathlib import Path


def loop(name):
    Path(__file__).with_name(name + ".started").write_text("")
    for _ in range(150):  # 15 s of Python with short sleeps: stoppable at each
        time.sleep(0.1)
    Path(__file__).with_name(name + ".ended").write_text("")
    return name
"""

LOOPS = """
name: stop
executor: {type: EXECUTOR}
results: {root: out}
steps:
  one: {run: threadsteps.loop, inputs: {name: one}TIMEOUT}
  two: {run: threadsteps.loop, inputs: {name: two}TIMEOUT}
"""

SIGNALS = [signal.SIGINT, signal.SIGTERM]
# (executor, the step's timeout): where a step's call runs on a thread of the run's process
PLACES = [("threads", ""), ("threads", ", timeout: 60s"), ("sequential", ", timeout: 60s")]


def _stopped(config: Path, number: signal.Signals) -> tuple[int, str, float]:
    """Run `config`, send `number` to the run's process once its step started; its exit
    code, output and how long it took to end after the signal."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        env={**os.environ, "PIPEFLOW_HOME": str(config.parent / "home")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        started = config.parent / "one.started"
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the step did not start"
        time.sleep(1.0)
        os.kill(process.pid, number)
        sent = time.monotonic()
        output, _ = process.communicate(timeout=60)
        return process.returncode, output, time.monotonic() - sent
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


@pytest.mark.parametrize("number", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize(("executor", "timeout"), PLACES)
def test_a_signal_stops_a_running_step_on_a_thread(
    make_project: ProjectFactory, executor: str, timeout: str, number: signal.Signals
) -> None:
    text = LOOPS.replace("EXECUTOR", executor).replace("TIMEOUT", timeout)
    config = make_project(text, threadsteps=STEPS)
    code, output, took = _stopped(config, number)
    assert code == 130, output
    assert took < 8, f"the run took {took:.1f}s to end after {number.name}:\n{output}"
    assert re.search(r"one: FAILED( after \d+ attempts)?: interrupted", output), output
    assert not list(config.parent.glob("*.ended")), "a step went on after the signal"
