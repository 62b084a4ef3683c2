"""What a step on a `processes` worker printed and logged before Ctrl-C stopped it, or before
its worker died (`os._exit`), is recorded (SPEC 8) as on the other executors: on the console,
in the history (`pipeflow logs`) and the JUnit report, and on `processes` what it wrote below
`sys.stdout` too (`os.write(1, ...)`, a child process: what a C library prints before it
crashes); on a Dask worker, before Ctrl-C. Before, it came only with the step's result, which
such a worker never sends."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address
from tests.interrupting import interrupted
from tests.system import pipeflow_in

__all__ = ["dask_address"]

CONFIG = """
name: said
executor: {type: processes, workers: 1}
results: {root: out}
steps:
  talk: {run: saidsteps.STEP}
"""

STEPS = """
import logging
import os
import time
from pathlib import Path


def below():
    os.write(1, b"raw before the end\\n")
    os.write(2, b"raw error before the end\\n")


def talk():
    print("hello before the end", flush=True)
    logging.getLogger("said").warning("logged before the end")
    below()
    Path(__file__).with_name("talked").write_text("")
    time.sleep(60)
    return 1


def leave():
    print("hello before the end", flush=True)
    logging.getLogger("said").warning("logged before the end")
    below()
    os._exit(3)


def leave_later():
    # On Dask: print, then die a moment later (out of memory, say); the next attempt, on
    # another worker, ends well when `once` is there.
    once = Path(__file__).with_name("once")
    if once.exists():
        print("the attempt after the death", flush=True)
        return 1
    print("hello before the end", flush=True)
    logging.getLogger("said").warning("logged before the end")
    if Path(__file__).with_name("die-once").exists():
        once.write_text("")
    time.sleep(1)
    os._exit(3)
"""


def _recorded(config: Path, output: str, *, below: bool = True) -> None:
    """`below`: also what the step wrote below `sys.stdout` (a `processes` worker's)."""
    said = ["hello before the end", "logged before the end"]
    if below:
        said += ["raw before the end", "raw error before the end"]
    for line in said:
        assert line in output, output
    junit = (config.parent / "junit.xml").read_text()
    assert "hello before the end" in junit, junit
    assert below == ("raw before the end" in junit), junit
    logs = subprocess.run(
        [sys.executable, "-m", "pipeflow", "logs", _run_id(output)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    for line in said:
        assert line in logs.stdout, logs.stdout + logs.stderr


@pytest.mark.parametrize("executor", ["processes", "dask", "dask-address"])
def test_output_before_ctrl_c_is_kept(
    make_project: ProjectFactory, executor: str, request: pytest.FixtureRequest
) -> None:
    kind = "type: dask" if executor.startswith("dask") else f"type: {executor}"
    if executor == "dask-address":  # a cluster apart, which the terminal's Ctrl-C misses
        address = request.getfixturevalue("dask_address")
        kind = f"type: dask, address: '{address}', shared_filesystem: true"
    config = make_project(
        CONFIG.replace("STEP", "talk").replace("type: processes, workers: 1", kind),
        saidsteps=STEPS,
    )
    code, output = interrupted(
        [sys.executable, "-m", "pipeflow", "run", str(config), "--junit", "junit.xml"],
        cwd=config.parent,
        marker="talk: started",
        file=config.parent / "talked",
    )
    assert code == 130, output
    assert "died" not in output, output  # Ctrl-C is the run's to handle, not its workers'
    _recorded(config, output, below=executor == "processes")  # on Dask: the worker's own


def test_output_before_a_worker_dies_is_kept(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG.replace("STEP", "leave"), saidsteps=STEPS)
    run = pipeflow_in(config.parent, "run", str(config), "--junit", "junit.xml")
    assert "WorkerDied" in run.stdout + run.stderr, run.stdout + run.stderr
    _recorded(config, run.stdout + run.stderr)


def _run_id(output: str) -> str:
    found = re.search(r"^run (\S+) of pipeline", output, re.MULTILINE)
    assert found is not None, output
    return found.group(1)


@pytest.mark.parametrize("dies", ["once", "every time"])
def test_output_before_a_dask_worker_dies_is_kept(
    make_project: ProjectFactory, dask_address: str, dies: str
) -> None:
    """What a step printed and logged on a Dask worker that died under it is kept: with the
    output of the attempt that ran it again elsewhere, or with the step's failure once Dask
    gave up on it. (What a step prints in the instant before its worker dies may be lost.)"""
    kind = f"type: dask, address: '{dask_address}', shared_filesystem: true"
    config = make_project(
        CONFIG.replace("STEP", "leave_later").replace("type: processes, workers: 1", kind),
        saidsteps=STEPS,
    )
    if dies == "once":
        (config.parent / "die-once").write_text("")
    run = pipeflow_in(config.parent, "run", str(config), "--junit", "junit.xml", timeout=180)
    output = run.stdout + run.stderr
    assert "died" in output, output
    if dies == "once":
        assert run.returncode == 0, output
        assert "the attempt after the death" in output, output
    else:
        assert run.returncode == 1, output
        assert "KilledWorker" in output or "more than Dask allows" in output, output
    _recorded(config, output, below=False)
