"""Ctrl-C or SIGTERM while the `processes` executor starts its pool (SPEC 6): the run stops
(exit 130) and nothing else is printed. A pool cut short was lost with workers still
starting, which printed the forkserver's traceback (`SemLock._rebuild`: FileNotFoundError)
once the run had removed their pool's semaphores."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ProjectFactory

CONFIG = """
name: early
executor: {type: processes, workers: 12}
results: {root: out}
steps:
  one: {run: earlysteps.one}
"""

STEPS = """
def one():
    return 1
"""


def _forkserver_of(leader: int) -> bool:
    """Whether the session `leader` started has a forkserver (its pool is starting)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (
                os.getsid(int(entry.name)) == leader
                and b"forkserver" in (entry / "cmdline").read_bytes()
            ):
                return True
    return False


def _run_as_the_pool_starts(config: Path) -> subprocess.Popen[str]:
    """`pipeflow run CONFIG` in a session of its own, once its pool's fork server has started."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not _forkserver_of(process.pid) and time.monotonic() < deadline:
        time.sleep(0.002)
    return process


def _output_once_stopped(process: subprocess.Popen[str], what: str) -> str:
    """What the run printed, once it and all it started have ended (at most 60 s)."""
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"the run did not stop after {what}:\n{output}")
    return output


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_signal_as_the_pool_starts_prints_nothing_more(
    make_project: ProjectFactory, name: str
) -> None:
    config = make_project(CONFIG, earlysteps=STEPS)
    for _ in range(6):  # the pool's start is short: pressed as its server has just started
        process = _run_as_the_pool_starts(config)
        os.kill(process.pid, getattr(signal, name))
        output = _output_once_stopped(process, name)
        assert process.returncode == 130, output
        assert "Traceback" not in output, output
        assert "Error" not in output, output


def test_ctrl_c_at_every_process_as_the_pool_starts_is_an_interruption(
    make_project: ProjectFactory,
) -> None:
    """A terminal's Ctrl-C reaches every process of its foreground group: the pool's fork
    server while it imports what it preloads, and workers still starting. The run stops as
    interrupted (exit 130) with nothing more: never "Aborted!" (exit 1) because the server
    died before it started a worker, nor a worker's traceback. (A run whose steps had ended
    exits 0, or 130, or dies of the signal as its process exits.)"""
    config = make_project(CONFIG, earlysteps=STEPS)
    for pause in (0.0, 0.0, 0.01, 0.03, 0.06, 0.1, 0.2, 0.4):
        process = _run_as_the_pool_starts(config)
        time.sleep(pause)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        output = _output_once_stopped(process, "Ctrl-C")
        if " succeeded in " in output:  # its steps had ended: Ctrl-C came as it was ending
            assert process.returncode in (0, 130, -signal.SIGINT), (pause, output)
        else:
            assert process.returncode == 130, (pause, output)
        assert "Traceback" not in output, (pause, output)
        assert "Aborted" not in output, (pause, output)
