"""Ctrl-C pressed twice in quick succession (an impatient user, a terminal's repeat), or
SIGTERM sent twice (a supervisor that repeats it), stops the run as once does: its steps
stopped, the run's summary said, exit 130. Before, the second one cut the stop short:
pipeflow printed `interrupted`, then waited until every running step ended by itself (on
`threads`, `processes` and Dask), and stored their results."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address
from tests.interrupting import interrupted
from tests.system import pipeflow_in

__all__ = ["dask_address"]

CONFIG = """
name: twice
executor: {type: EXECUTOR, workers: 2}
steps:
  a: {run: twicesteps.slow, inputs: {name: a}}
  b: {run: twicesteps.slow, inputs: {name: b}}
  c: {run: twicesteps.slow, inputs: {name: c}, after: [a]}
"""

STEPS = """
import time
from pathlib import Path


def slow(name):
    Path(__file__).with_name(f"began-{name}").write_text("")
    time.sleep(20)
    Path(__file__).with_name(f"ended-{name}").write_text("")
    return name
"""


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes", "dask"])
def test_ctrl_c_twice_stops_the_run_and_says_so(
    make_project: ProjectFactory, executor: str, sent: int
) -> None:
    text = CONFIG.replace("EXECUTOR", executor)
    if executor == "sequential":  # one step at a time, on the run's own thread
        text = text.replace(", workers: 2", "")
    config = make_project(text, twicesteps=STEPS)
    code, output = interrupted(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        marker="started",
        file=config.parent / ("began-a" if executor == "sequential" else "began-b"),
        settle=0.2,
        presses=2,
        sent=sent,
    )
    assert code == 130, output
    assert "was interrupted; re-run to resume" in output, output
    assert "c: not run (the run was interrupted)" in output, output
    assert "Traceback" not in output, output
    # It stopped before its steps could end by themselves, and stored none of them.
    assert not list(config.parent.glob("ended-*")), output
    status = pipeflow_in(config.parent, "status", config.name)
    assert status.returncode == 0, status.stderr
    for step in "abc":
        assert f"\n{step}  run" in "\n" + status.stdout, status.stdout


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_signal_repeated_as_the_run_exits_does_not_change_its_exit_code(
    make_project: ProjectFactory, executor: str, sent: int
) -> None:
    """A supervisor that repeats SIGTERM until the process is gone (or Ctrl-C held down): one
    that comes as pipeflow exits, after it said the run was interrupted, leaves exit 130 and
    no traceback; before, one that came once Python had given signals their default action
    back ended the process by the signal (-15)."""
    text = CONFIG.replace("EXECUTOR", executor)
    if executor == "sequential":
        text = text.replace(", workers: 2", "")
    config = make_project(text, twicesteps=STEPS)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    try:
        deadline = time.monotonic() + 60
        while not (config.parent / "began-a").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(process.pid, sent)
        seen = []
        for line in process.stdout:
            seen.append(line)
            if "was interrupted" in line:
                break
        while process.poll() is None:  # again and again, until it has exited
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, sent)
            time.sleep(0.001)
        output = "".join(seen) + process.stdout.read()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
    assert process.returncode == 130, output
    assert "Traceback" not in output, output
