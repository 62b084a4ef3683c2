"""`pipeflow run` stopped by a signal other than Ctrl-C: SIGTERM (`docker stop`, systemd, a
cancelled CI job) stops the run as Ctrl-C does (exit 130, the history says interrupted) on
every executor; after SIGKILL (the OOM killer), which no handler sees, the processes it
started end by themselves. Either way nothing it started lives on holding its stdout, so a
caller reading the output to the end (`communicate()`, `| tee`) gets it."""

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
name: stop
executor: EXECUTOR
results: {root: out}
steps:
  one: {run: stopsteps.slow, inputs: {name: one}}
  two: {run: stopsteps.slow, inputs: {name: two}}
  after: {run: stopsteps.slow, inputs: {name: after}, after: [one, two]}
"""

STEPS = """
import time
from pathlib import Path


def slow(name):
    Path(__file__).with_name(name + ".started").write_text("")
    time.sleep(6)  # a thread's call ends in its own time: not much longer than the test
    return name
"""

EXECUTORS = {
    "sequential": "{type: sequential}",
    "threads": "{type: threads, workers: 2}",
    "processes": "{type: processes, workers: 2}",
    "dask": "{type: dask, workers: 2}",  # a local cluster, started for the run
}


def _session(leader: int) -> list[int]:
    """The processes of the session `leader` started (the run's, and all it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == leader and fields[0] not in ("Z", "X"):
                found.append(int(entry.name))
    return found


def _start(config: Path, home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        env={**os.environ, "PIPEFLOW_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _stop(
    process: subprocess.Popen[str], started: Path, number: signal.Signals, *, group: bool = False
) -> str:
    """Send `number` to the run's process alone (or its whole process `group`) once `started`
    exists; what it printed, read to the end (its stdout closed by every process holding it)
    within 20 s."""
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the step did not start"
        time.sleep(0.5)
        (os.killpg if group else os.kill)(process.pid, number)
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            alive = _session(process.pid)
            pytest.fail(f"the run's output never ended after {number.name}: {alive} hold it")
        deadline = time.monotonic() + 20
        while _session(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _session(process.pid), f"still running after {number.name}"
        return output
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # what the test did not stop
        process.communicate()


def _history(home: Path) -> str:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", "runs", "--last", "1"],
        env={**os.environ, "PIPEFLOW_HOME": str(home)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize(
    "executor",
    [pytest.param(e, marks=pytest.mark.slow) if e == "dask" else e for e in EXECUTORS],
)
def test_sigterm_stops_a_run_as_ctrl_c_does(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    config = make_project(CONFIG.replace("EXECUTOR", EXECUTORS[executor]), stopsteps=STEPS)
    home = tmp_path / "home"
    process = _start(config, home)
    output = _stop(process, config.parent / "one.started", signal.SIGTERM)
    assert process.returncode == 130, output
    assert "was interrupted; re-run to resume" in output, output
    assert "one: FAILED: interrupted" in output, output
    assert "after: not run (the run was interrupted)" in output, output
    assert "Traceback" not in output, output
    assert "interrupted" in _history(home)


def test_after_sigkill_the_processes_of_a_run_end_by_themselves(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    """Its forkserver, resource tracker and workers: the workers see the run's process end,
    and the other two end once the workers have."""
    config = make_project(CONFIG.replace("EXECUTOR", EXECUTORS["processes"]), stopsteps=STEPS)
    process = _start(config, tmp_path / "home")
    _stop(process, config.parent / "one.started", signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("executor", ["processes", pytest.param("dask", marks=pytest.mark.slow)])
def test_sigterm_to_the_whole_process_group_stops_a_run_cleanly(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    """As systemd sends it: the workers (and a pool's forkserver, a local Dask cluster's
    nannies) get it too, and end. No new pool can start then: the run says it was
    interrupted, with no traceback of a pool's thread, and does not say that a Dask worker
    died and its step starts again elsewhere (it was stopped with the run)."""
    config = make_project(CONFIG.replace("EXECUTOR", EXECUTORS[executor]), stopsteps=STEPS)
    home = tmp_path / "home"
    process = _start(config, home)
    output = _stop(process, config.parent / "one.started", signal.SIGTERM, group=True)
    assert process.returncode == 130, output
    assert "was interrupted; re-run to resume" in output, output
    assert "after: not run" in output, output
    assert "Traceback" not in output, output
    assert "starts again on another worker" not in output, output
    assert "interrupted" in _history(home)


PROGRAM_STEPS = """
import subprocess
from pathlib import Path


def program(name):
    Path(__file__).with_name(name + ".started").write_text("")
    subprocess.run(["sleep", "60"], check=True)  # the step's work, in a program it waits for
    return name


def waited(name):
    Path(__file__).with_name(name + ".started").write_text("")
    subprocess.Popen(["sleep", "60"]).wait()  # no `subprocess.run` to kill it when stopped
    return name


def detached(name):
    subprocess.Popen(["sleep", "60"])  # started, not waited for
    Path(__file__).with_name(name + ".started").write_text("")
    while True:
        pass  # pure Python: the stop lands at once
"""


# Each executor, and each way a step waits for its program (or does not).
PROGRAM_CASES = [
    pytest.param(executor, function, marks=[pytest.mark.slow] if executor == "dask" else [])
    for executor in EXECUTORS
    for function in ("program", "waited", "detached")
]


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize(("executor", "function"), PROGRAM_CASES)
def test_a_signal_to_the_run_alone_ends_the_programs_its_steps_started(
    make_project: ProjectFactory,
    tmp_path: Path,
    executor: str,
    number: signal.Signals,
    function: str,
) -> None:
    """`kill PID`, not a terminal's Ctrl-C to the whole group: the run stops the programs its
    steps started too (waited for or not), which otherwise live on holding its stdout
    (`pipeflow run | tail` waited for them)."""
    config = make_project(
        CONFIG.replace("EXECUTOR", EXECUTORS[executor]).replace(
            "stopsteps.slow", f"psteps.{function}"
        ),
        psteps=PROGRAM_STEPS,
    )
    process = _start(config, tmp_path / "home")
    output = _stop(process, config.parent / "one.started", number)  # all ended, output read
    assert process.returncode == 130, output
    assert "one: FAILED: interrupted" in output, output
