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
import sys
import time
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.events import Event, StepRetrying
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address
from tests.interrupting import interrupted
from tests.system import pipeflow_in

__all__ = ["dask_address"]

pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

STEPS = """
import os
import time
from pathlib import Path


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def blocked(marks: str, stuck: int, gil: bool = False) -> int:
    root = Path(marks.removeprefix("marks in "))  # not a path input: it changes as it runs
    pids = sorted(root.glob("attempt-*"), key=lambda path: int(path.name.split("-")[1]))
    if pids and alive(int(pids[-1].read_text())):
        (root / "overlap").write_text(pids[-1].read_text())
    attempt = len(pids) + 1
    (root / f"attempt-{attempt}").write_text(str(os.getpid()))
    print(f"attempt {attempt} begins")
    if attempt <= stuck and gil:
        sum(range(10**10))  # one C call that holds the GIL: its worker stops answering
    elif attempt <= stuck:
        time.sleep(60)  # one call no asynchronous exception interrupts
    return attempt
"""


def project(
    make_project: ProjectFactory, folder: Path, executor: str, stuck: int, gil: bool = False
) -> Path:
    return make_project(
        f"""
        name: stuck
        executor: {executor}
        results: {{persist: false}}
        steps:
          slow:
            run: bsteps.blocked
            inputs: {{marks: "marks in {folder}", stuck: {stuck}, gil: {str(gil).lower()}}}
            retries: 2
            retry_delay: 0s
            timeout: 1s
        """,
        bsteps=STEPS,
    )


OWN = "{type: dask, workers: 1}"


@pytest.fixture(params=["own", "address"])
def executor(request: pytest.FixtureRequest) -> str:
    if request.param == "own":
        return OWN
    address = request.getfixturevalue("dask_address")
    return f'{{type: dask, address: "{address}", shared_filesystem: true}}'


@pytest.mark.parametrize("gil", [False, True], ids=["blocked", "holding the GIL"])
def test_a_stuck_attempt_is_retried_once_its_worker_is_gone(
    make_project: ProjectFactory, tmp_path: Path, executor: str, gil: bool
) -> None:
    folder = tmp_path / "marks"
    folder.mkdir()
    config = project(make_project, folder, executor, stuck=2, gil=gil)
    events: list[Event] = []
    run = pipeflow.load(config).run(subscribers=[events.append], history=False)
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
        assert ("stopped answering" in event.error) is gil, event
        assert "not retried" not in event.error, event


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
