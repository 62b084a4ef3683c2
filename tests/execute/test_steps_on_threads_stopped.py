"""Ctrl-C and SIGTERM stop the steps that run on threads of the run's process (the `threads`
executor's, and the thread a step with a `timeout` is called on, on `threads` and
`sequential`) as a timeout stops them: at their next bytecode, and a retry's delay at once.
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


def blocked(name):
    Path(__file__).with_name(name + ".started").write_text("")
    time.sleep(120)  # one call in C: no bytecode runs until it returns
    Path(__file__).with_name(name + ".ended").write_text("")
    return name


def failing(name):
    Path(__file__).with_name(name + ".started").write_text("")
    raise ValueError("again")
"""

LOOPS = """
name: stop
executor: {type: EXECUTOR}
results: {root: out}
steps:
  one: {run: threadsteps.loop, inputs: {name: one}TIMEOUT}
  two: {run: threadsteps.loop, inputs: {name: two}TIMEOUT}
"""

RETRIES = """
name: stop
executor: {type: EXECUTOR}
results: {root: out}
steps:
  one: {run: threadsteps.failing, inputs: {name: one}, retries: 3, retry_delay: 20sTIMEOUT}
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


@pytest.mark.parametrize("number", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize(("executor", "timeout"), PLACES)
def test_a_step_blocked_in_a_call_in_c_does_not_hold_the_process_back(
    make_project: ProjectFactory, executor: str, timeout: str, number: signal.Signals
) -> None:
    """Such a call cannot be stopped on a thread, and it is left running; before, on the
    `threads` executor, the process said the run was interrupted and then waited at its exit
    for the call to return (its thread was the pool's, which Python joins at exit)."""
    text = LOOPS.replace("EXECUTOR", executor).replace("TIMEOUT", timeout)
    config = make_project(
        text.replace("threadsteps.loop", "threadsteps.blocked"), threadsteps=STEPS
    )
    code, output, took = _stopped(config, number)
    assert code == 130, output
    assert took < 30, f"the run took {took:.1f}s to end after {number.name}:\n{output}"
    assert "one: FAILED: interrupted" in output, output
    assert not list(config.parent.glob("*.ended")), "a step went on after the signal"


@pytest.mark.parametrize("number", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize(("executor", "timeout"), [*PLACES, ("sequential", "")])
def test_a_signal_ends_a_retry_delay_at_once(
    make_project: ProjectFactory, executor: str, timeout: str, number: signal.Signals
) -> None:
    text = RETRIES.replace("EXECUTOR", executor).replace("TIMEOUT", timeout)
    config = make_project(text, threadsteps=STEPS)
    code, output, took = _stopped(config, number)
    assert code == 130, output
    assert took < 8, f"the run took {took:.1f}s to end after {number.name}:\n{output}"
    assert re.search(r"one: FAILED( after \d+ attempts)?: interrupted", output), output


QUICK = """
import time


def add(x):
    return x + 1


def spin(x):
    end = time.monotonic() + 5
    while time.monotonic() < end:  # pure Python: a stop lands at once
        pass
    return x
"""

CHAIN = """
name: profiled
executor: {type: EXECUTOR}
results: {root: out}
steps:
  a: {run: quicksteps.add, inputs: {x: 1}TIMEOUT}
  b: {run: quicksteps.add, inputs: {x: "${steps.a}"}, retries: 1TIMEOUT}
"""

SPIN = """
name: profiled
executor: {type: EXECUTOR}
results: {root: out}
steps:
  late: {run: quicksteps.spin, inputs: {x: 1}, timeout: 0.5s, retries: 1, retry_delay: 0s}
"""


@pytest.mark.parametrize(("executor", "timeout"), [*PLACES, ("sequential", "")])
def test_a_run_under_a_profiler_ends(
    make_project: ProjectFactory, executor: str, timeout: str
) -> None:
    """What lets a signal stop a step adds nothing to a run's normal path that a profiler
    (or debugger) trips on: a run under cProfile, as `%prun` in a notebook, ends."""
    config = make_project(
        CHAIN.replace("EXECUTOR", executor).replace("TIMEOUT", timeout), quicksteps=QUICK
    )
    done = _profiled(config)
    # `python -m cProfile` exits 0 whatever the run's exit code: its summary tells
    assert re.search(r"succeeded in .*: 2 done", done.stdout), done.stdout + done.stderr
    assert (config.parent / "run.prof").stat().st_size > 0


@pytest.mark.parametrize("executor", ["sequential", "threads"])
def test_a_timeout_under_a_profiler_stops_the_step(
    make_project: ProjectFactory, executor: str
) -> None:
    """A step stopped by its timeout, under a profiler, is stopped and retried, and the run
    ends (a stop that has landed is not cleared again)."""
    config = make_project(SPIN.replace("EXECUTOR", executor), quicksteps=QUICK)
    done = _profiled(config)
    assert "failed in" in done.stdout, done.stdout + done.stderr
    assert "did not finish within its timeout of 0.50s" in done.stdout + done.stderr
    assert "late: FAILED after 2 attempts" in done.stdout, done.stdout  # retried (-q: no notice)


def _profiled(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            "run.prof",
            "-m",
            "pipeflow",
            "run",
            "-q",
            str(config),
        ],
        cwd=config.parent,
        env={**os.environ, "PIPEFLOW_HOME": str(config.parent / "home")},
        capture_output=True,
        text=True,
        timeout=90,
    )
