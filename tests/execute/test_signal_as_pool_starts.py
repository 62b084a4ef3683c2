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
