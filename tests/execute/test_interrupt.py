"""Ctrl-C during a run (SPEC 6): exit 130, the steps after the one it stopped say the run was
interrupted (not that a step failed), and a re-run resumes from what finished, on every
local executor."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.interrupting import interrupted

CONFIG = """
name: stop
executor: {type: EXECUTOR}
steps:
  first: {run: stopsteps.first}
  slow: {run: stopsteps.slow, inputs: {value: "${steps.first}"}}
  after: {run: stopsteps.first, after: [slow]}
  last: {run: stopsteps.first, after: [after]}
"""

STEPS = """
import subprocess
from pathlib import Path


def first():
    return 1


def slow(value):
    marker = Path(__file__).with_name("child.pid")
    if marker.exists():  # the run that resumes
        return value + 1
    print("sleeping", flush=True)
    child = subprocess.Popen(["sleep", "30"])
    marker.write_text(str(child.pid))
    child.wait()
    return value + 1
"""


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_an_interrupted_run_says_so_and_resumes(
    make_project: ProjectFactory, executor: str
) -> None:
    config = make_project(CONFIG.replace("EXECUTOR", executor), stopsteps=STEPS)
    code, output = interrupted(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        marker="slow: started",  # on `processes` its prints come when it ends
        file=config.parent / "child.pid",  # its child runs
        settle=0.2,
    )
    assert code == 130, output
    assert "after: not run (the run was interrupted)" in output, output
    assert "last: not run (the run was interrupted)" in output, output
    assert "stopped after" not in output, output
    # The workers leave Ctrl-C to the run, which stops them: none prints a traceback.
    assert "Traceback" not in output, output
    assert "ForkServerProcess" not in output, output
    assert "was interrupted; re-run to resume" in output, output

    # A program the step started got Ctrl-C too, and stopped: on `processes` as well, where
    # the worker leaves Ctrl-C to the run (an ignored SIGINT would be passed on to it).
    pid = int((config.parent / "child.pid").read_text())
    assert _ended(pid), f"the step's child process {pid} still runs after Ctrl-C"

    again = pipeflow.load(config).run()
    assert again.ok
    assert again.state("first").value == "cached"
    # Its child ended with Ctrl-C, so `slow` may have returned as the run stopped: the store
    # and what the run said agree either way (done: taken from the cache; interrupted: run).
    said_done = "slow: done" in output
    assert again.state("slow").value == ("cached" if said_done else "done"), output
    assert again.output("last") == 1


THREAD_STEPS = """
import time
from pathlib import Path


def first():
    return 1


def slow(value):
    Path(__file__).with_name("slow.started").write_text("")
    time.sleep(3)  # a thread: Ctrl-C does not reach it, it ends in its own time
    return value + 1
"""


def test_a_step_left_running_on_a_thread_stores_nothing_after_ctrl_c(
    make_project: ProjectFactory,
) -> None:
    """The threads executor cannot stop a call: what it returns after Ctrl-C is dropped, so
    the step the run reported interrupted runs again, rather than coming from the cache."""
    config = make_project(CONFIG.replace("EXECUTOR", "threads"), stopsteps=THREAD_STEPS)
    code, output = interrupted(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        marker="slow: started",
        file=config.parent / "slow.started",
        settle=0.2,
    )
    assert code == 130, output
    assert "slow: FAILED: interrupted" in output, output
    again = pipeflow.load(config).run()
    assert again.ok
    assert again.state("first").value == "cached"
    assert again.state("slow").value == "done", again.outcomes


def _ended(pid: int) -> bool:
    """Whether process `pid` is gone (or a zombie) within 5 seconds."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False
