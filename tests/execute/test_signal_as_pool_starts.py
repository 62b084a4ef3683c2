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


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_signal_as_the_pool_starts_prints_nothing_more(
    make_project: ProjectFactory, name: str
) -> None:
    config = make_project(CONFIG, earlysteps=STEPS)
    for _ in range(6):  # the pool's start is short: pressed as its server has just started
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
        os.kill(process.pid, getattr(signal, name))
        try:
            output, _ = process.communicate(timeout=60)  # until all it started have ended
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            pytest.fail(f"the run did not stop after {name}:\n{output}")
        assert process.returncode == 130, output
        assert "Traceback" not in output, output
        assert "Error" not in output, output


def test_ctrl_c_at_every_process_as_the_pool_starts_is_an_interruption(
    make_project: ProjectFactory,
) -> None:
    """A terminal's Ctrl-C reaches every process of its foreground group: the pool's fork
    server while it imports what it preloads, and workers still starting. The run stops
    (exit 130, or 0 when it had ended) with nothing more: never "Aborted!" (exit 1) because
    the server died before it started a worker, nor a worker's traceback."""
    config = make_project(CONFIG, earlysteps=STEPS)
    for pause in (0.0, 0.0, 0.01, 0.03, 0.06, 0.1, 0.2, 0.4):
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
        time.sleep(pause)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            pytest.fail(f"the run did not stop after Ctrl-C:\n{output}")
        assert process.returncode in (0, 130), (pause, output)
        assert "Traceback" not in output, (pause, output)
        assert "Aborted" not in output, (pause, output)
