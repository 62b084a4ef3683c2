"""A Ctrl-C or SIGTERM that the system gives to another thread of the process than the main
one (any thread that does not block it may take a signal sent to the process) stops the run
at once, on every executor whose steps run off the main thread. Python runs the handler on
the main thread only once that thread runs again: the run's wait for the next step to end
woke for nothing else, so the run went on until a step ended (a training step: hours)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address
from tests.executors import executor_spec

__all__ = ["dask_address"]  # a fixture

SCRIPT = """
import signal, sys, threading, time
import pipeflow

helper = threading.Thread(target=time.sleep, args=(300,), daemon=True)
helper.start()  # a thread that may take the signal: this one blocks it from here on
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
try:
    pipeflow.load(sys.argv[1]).run(history=False)
except pipeflow.Interrupted:
    print("interrupted", flush=True)
    sys.exit(130)
print("not interrupted", flush=True)
"""

CONFIG = """
name: taken
executor: EXECUTOR
results: {persist: false}
steps:
  slow: {run: takensteps.slow}
"""

STEPS = """
import time
from pathlib import Path


def slow():
    Path(__file__).with_name("started").write_text("")
    time.sleep(120)
    return 1
"""


@pytest.mark.parametrize("executor", ["threads", "processes", "dask"])
def test_a_signal_another_thread_took_stops_the_run(
    executor: str, make_project: ProjectFactory, request: pytest.FixtureRequest
) -> None:
    spec = executor_spec(executor, request)
    config = make_project(CONFIG.replace("EXECUTOR", spec), takensteps=STEPS)
    (config.parent / "run_it.py").write_text(SCRIPT)
    process = subprocess.Popen(
        [sys.executable, "run_it.py", str(config)],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        started = config.parent / "started"
        deadline = time.monotonic() + 120
        while not started.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert started.exists(), process.communicate(timeout=30)[0]
        process.send_signal(signal.SIGTERM)
        # The step sleeps 120 s: a run that waited for it to end would time out here.
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, output
    assert "interrupted" in output, output
