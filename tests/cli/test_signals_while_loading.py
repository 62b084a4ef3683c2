"""SIGTERM (`docker stop`, a cancelled CI job) or Ctrl-C while a command loads a config and
imports its steps' code (which may take seconds: torch, tensorflow) stops it as one while it
runs: exit 130, "interrupted", no traceback, nothing written. Before, SIGTERM then killed the
process (exit -15, no word), and one while pipeflow itself was being imported did too."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ProjectFactory

SLOW_IMPORT = """
import time
from pathlib import Path

Path(__file__).with_name("importing").write_text("")
time.sleep(20)


def f():
    return 1
"""


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_signal_while_the_steps_are_imported_stops_the_command(
    make_project: ProjectFactory, command: str, number: signal.Signals
) -> None:
    config = make_project(
        "name: slow\nresults: {root: out}\nsteps:\n  a: {run: heavy.f}\n", heavy=SLOW_IMPORT
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", command, config.name],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not (config.parent / "importing").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(number)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, (out, err)
    assert err.splitlines()[-1:] == ["interrupted"], err
    assert "Traceback" not in err
    assert not (config.parent / "out").exists()
