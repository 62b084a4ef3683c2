"""A Dask step whose attempt outlives its timeout in a call Python cannot interrupt on a thread
(blocked in C: `time.sleep`, I/O, compiled code; or holding the GIL, so that its worker stops
answering) keeps its `retries`: the client restarts the
worker to stop that call, and only once the worker's process is gone does the next attempt
start (elsewhere, or on the worker the nanny starts), so two attempts never run at once.

Each attempt records its process; an attempt that finds the process of the one before it still
alive marks an overlap. Run on the executor's own local cluster and on a cluster at an address.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.events import Event, StepRetrying
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address
from tests.execute.test_remote_cluster import Processes, _client, processes
from tests.interrupting import interrupted
from tests.servers import free_port
from tests.system import pipeflow_in

__all__ = ["dask_address", "processes"]

pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

STEPS = """
import os
import subprocess
import time
from pathlib import Path


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def blocked(marks: str, stuck: int, gil: bool = False, program: bool = False) -> int:
    root = Path(marks.removeprefix("marks in "))  # not a path input: it changes as it runs
    pids = sorted(root.glob("attempt-*"), key=lambda path: int(path.name.split("-")[1]))
    for pid in [*pids[-1:], *root.glob(f"program-{len(pids)}")]:
        if alive(int(pid.read_text())):
            (root / "overlap").write_text(pid.read_text())
    attempt = len(pids) + 1
    (root / f"attempt-{attempt}").write_text(str(os.getpid()))
    print(f"attempt {attempt} begins")
    if attempt <= stuck and program:  # the attempt's work goes on in a program it waits for
        started = subprocess.Popen(["sleep", "60"])
        (root / f"program-{attempt}").write_text(str(started.pid))
        started.wait()
    elif attempt <= stuck and gil:
        sum(range(2 * 10**9))  # one C call that holds the GIL: its worker stops answering
    elif attempt <= stuck:
        time.sleep(60)  # one call no asynchronous exception interrupts
    return attempt
"""


def project(
    make_project: ProjectFactory, folder: Path, executor: str, stuck: int, how: str = "blocked"
) -> Path:
    gil, program = how == "holding the GIL", how == "waiting for a program"
    return make_project(
        f"""
        name: stuck
        executor: {executor}
        results: {{persist: false}}
        steps:
          slow:
            run: bsteps.blocked
            inputs:
              marks: "marks in {folder}"
              stuck: {stuck}
              gil: {str(gil).lower()}
              program: {str(program).lower()}
            retries: 2
            retry_delay: 0s
            timeout: 1s
        """,
        bsteps=STEPS,
    )


OWN = "{type: dask, workers: 1}"


def alive(pid: int) -> bool:
    """Whether the process runs (not a zombie), as the steps above check it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


@pytest.fixture(params=["own", "address"])
def executor(request: pytest.FixtureRequest) -> str:
    if request.param == "own":
        return OWN
    address = request.getfixturevalue("dask_address")
    return f'{{type: dask, address: "{address}", shared_filesystem: true}}'


@pytest.mark.parametrize("how", ["blocked", "holding the GIL", "waiting for a program"])
def test_a_stuck_attempt_is_retried_once_its_worker_is_gone(
    make_project: ProjectFactory, tmp_path: Path, executor: str, how: str
) -> None:
    folder = tmp_path / "marks"
    folder.mkdir()
    config = project(make_project, folder, executor, stuck=2, how=how)
    events: list[Event] = []
    try:
        run = pipeflow.load(config).run(subscribers=[events.append], history=False)
    finally:
        # The programs the stopped attempts started: ended with their worker.
        left = [int(p.read_text()) for p in folder.glob("program-*") if alive(int(p.read_text()))]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    assert not left, "a stopped attempt's program outlived its worker"
    outcome = run.outcomes["slow"]
    assert outcome.state is StepState.DONE, outcome
    assert outcome.attempts == 3, outcome
    assert run.output("slow") == 3
    assert not (folder / "overlap").exists(), "an attempt started beside the one before it"
    retries = [event for event in events if isinstance(event, StepRetrying)]
    assert [event.attempt for event in retries] == [2, 3], retries
    for event in retries:
        assert "did not finish within its timeout of 1.00s" in event.error, event
        assert "restarted to stop it" in event.error, event
        assert ("stopped answering" in event.error) is (how == "holding the GIL"), event
        assert "not retried" not in event.error, event
    assert len(list(folder.glob("program-*"))) == (2 if how == "waiting for a program" else 0)


def test_the_last_stuck_attempt_fails_the_step(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "marks"
    folder.mkdir()
    config = project(make_project, folder, OWN, stuck=3)
    result = pipeflow_in(config.parent, "run", config.name, timeout=180)
    assert result.returncode == 1, result.stdout + result.stderr
    text = result.stdout + result.stderr
    assert "slow: attempt 1 failed" in text, text
    assert "slow: attempt 2 failed" in text, text
    assert "did not finish within its timeout of 1.00s" in text, text
    assert "restarted to stop it" in text, text
    assert len(list(folder.glob("attempt-*"))) == 3
    assert not (folder / "overlap").exists()


@pytest.mark.parametrize("during", ["delay", "second attempt"])
def test_ctrl_c_while_a_stuck_step_waits_for_its_next_attempt(
    make_project: ProjectFactory, tmp_path: Path, during: str
) -> None:
    folder = tmp_path / "marks"
    folder.mkdir()
    config = project(make_project, folder, OWN, stuck=3)
    if during == "delay":  # as long as a config allows: no longer than the timeout
        text = config.read_text().replace("retry_delay: 0s", "retry_delay: 20s")
        config.write_text(text.replace("timeout: 1s", "timeout: 20s"))
    started = time.monotonic()
    code, output = interrupted(
        [sys.executable, "-m", "pipeflow", "run", config.name, "--json", "r.json"],
        cwd=config.parent,
        marker="retrying in",
        file=folder / "attempt-2" if during == "second attempt" else None,
        settle=0.5,
    )
    assert code == 130, output
    assert time.monotonic() - started < 40, output  # neither the delay nor the call waited out
    calls = 1 if during == "delay" else 2
    assert len(list(folder.glob("attempt-*"))) == calls, output
    (step,) = json.loads((config.parent / "r.json").read_text())["steps"]
    assert step["attempts"] == calls, step
    assert step["reason"] == "interrupted", step


def test_a_stuck_attempt_on_the_last_worker_without_a_nanny_fails_the_step(
    make_project: ProjectFactory, tmp_path: Path, processes: Processes
) -> None:
    """A worker started with `--no-nanny` is closed, not restarted, to stop the call: with no
    worker left for the next attempt, the step fails after a while (it waited forever)."""
    address = processes.scheduler(free_port())
    dask = str(Path(sys.executable).with_name("dask"))
    lone = [dask, "worker", address, "--no-nanny", "--nthreads", "1", "--no-dashboard"]
    processes._start(lone, "lone-worker")
    _client(address, 1, processes).close()
    folder = tmp_path / "marks"
    folder.mkdir()
    executor = f'{{type: dask, address: "{address}", shared_filesystem: true}}'
    config = project(make_project, folder, executor, stuck=1)
    started = time.monotonic()
    run = pipeflow.load(config).run(history=False)
    assert time.monotonic() - started < 90
    outcome = run.outcomes["slow"]
    assert outcome.state is StepState.FAILED, outcome
    assert outcome.attempts == 1, outcome
    assert "no Dask worker joined the cluster within 30s" in (outcome.error or ""), outcome
    assert len(list(folder.glob("attempt-*"))) == 1
