"""Ctrl-C in tests: a command started in a session of its own, SIGINT sent to its process
group once it printed a given line (a shell started in the background ignores SIGINT, and
conftest.py undoes that for the processes tests start)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import pytest


def interrupted(
    command: list[str],
    *,
    cwd: Path,
    marker: str,
    env: Mapping[str, str] | None = None,
    settle: float = 0.0,
    file: Path | None = None,
    presses: int = 1,
    sent: int = signal.SIGINT,
) -> tuple[int, str]:
    """Run `command`, press Ctrl-C once a line holding `marker` is printed (or after 60 s),
    `file` exists (if given; at most 60 s) and `settle` seconds more have passed; its exit
    code and everything it printed. Fails the test when it does not stop within 60 s of
    Ctrl-C. `presses`: Ctrl-C pressed that many times, a twentieth of a second apart; `sent`:
    the signal it sends (SIGTERM: as `docker stop` or systemd stop a run)."""
    # Python's fault handler on: a process that does not stop is made to print where each
    # of its threads is (SIGABRT), for the failure to show.
    environment = {**(os.environ if env is None else env), "PYTHONFAULTHANDLER": "1"}
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    seen = []
    deadline = time.monotonic() + 60
    for line in process.stdout:
        seen.append(line)
        if marker in line or time.monotonic() > deadline:
            break
    while file is not None and not file.exists() and time.monotonic() < deadline + 60:
        time.sleep(0.05)
    time.sleep(settle)
    for press in range(presses):
        if press:
            time.sleep(0.05)
        os.killpg(process.pid, sent)
    try:
        rest, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGABRT)
        try:
            stacks, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            stacks = "(it printed nothing more)"
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"{command[2:4]} did not stop after Ctrl-C; where it was:\n{stacks}")
    return process.returncode, "".join(seen) + rest
