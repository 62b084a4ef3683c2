"""On `sequential`, a step with a `timeout` runs on the run's main thread, as one without does,
and the timer interrupts it in place (as on a `processes` worker): a call blocked in
`time.sleep`, a socket read or `Popen.wait()` is stopped at its timeout and retried, the
programs it started are killed, and a step may set its own signal handlers. Run from another
thread (an API caller's), the call runs on a thread of its own, as on `threads`."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory

STEPS = """
import signal
import subprocess
import sys
import time
from pathlib import Path


def blocked(folder: str) -> str:
    marks = Path(folder)
    (marks / f"start-{time.time_ns()}").touch()
    time.sleep(6)  # interrupted in place on a main thread, never on another thread
    (marks / "woke").touch()
    return "done"


def own_handler() -> str:
    previous = signal.signal(signal.SIGUSR1, lambda *_: None)
    signal.signal(signal.SIGUSR1, previous)
    return "handled"


PROGRAMS = []  # kept: a Popen collected while its program runs warns


def waits_for_a_program(folder: str) -> str:
    program = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    PROGRAMS.append(program)
    (Path(folder) / "pid").write_text(str(program.pid))
    program.wait()
    return "done"


def quick() -> int:
    return 1
"""


def _project(make_project: ProjectFactory, executor: str, step: str) -> Path:
    return make_project(
        f"""
        name: timed
        executor: {executor}
        results: {{persist: false}}
        steps:
          {step}
          after: {{run: tsteps.quick}}
        """,
        tsteps=STEPS,
    )


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("executor", ["{type: sequential}", "{type: processes, workers: 1}"])
def test_a_blocked_call_is_stopped_and_retried(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    config = _project(
        make_project,
        executor,
        f"slow: {{run: tsteps.blocked, inputs: {{folder: '{tmp_path}'}}, timeout: 0.5s, "
        "retries: 1, retry_delay: 0s}",
    )
    started = time.monotonic()
    run = pipeflow.load(config).run(keep_going=True)
    outcome = run.outcomes["slow"]
    assert outcome.state is StepState.FAILED
    assert outcome.attempts == 2, outcome.error
    assert "it was stopped" in (outcome.error or ""), outcome.error
    assert "not retried" not in (outcome.error or "")
    assert run.outcomes["after"].state is StepState.DONE
    assert time.monotonic() - started < 6  # neither attempt slept its 6 s
    assert len(list(tmp_path.glob("start-*"))) == 2
    time.sleep(6.5)  # a call left running on a thread would wake by now
    assert not (tmp_path / "woke").exists(), "a timed-out call went on after its step failed"


@pytest.mark.parametrize("executor", ["{type: sequential}", "{type: processes, workers: 1}"])
def test_a_step_with_a_timeout_may_set_signal_handlers(
    make_project: ProjectFactory, executor: str
) -> None:
    config = _project(make_project, executor, "own: {run: tsteps.own_handler, timeout: 30s}")
    run = pipeflow.load(config).run()
    assert run.outcomes["own"].state is StepState.DONE, run.outcomes["own"].error
    assert run.output("own") == "handled"


@pytest.mark.parametrize("executor", ["{type: sequential}", "{type: processes, workers: 1}"])
def test_the_program_a_timed_out_step_waits_for_is_killed(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    config = _project(
        make_project,
        executor,
        f"waits: {{run: tsteps.waits_for_a_program, inputs: {{folder: '{tmp_path}'}}, "
        "timeout: 1s}",
    )
    run = pipeflow.load(config).run()
    assert run.outcomes["waits"].state is StepState.FAILED
    pid = int((tmp_path / "pid").read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid), "the program of a timed-out step still runs"


def test_run_from_another_thread_the_call_runs_on_its_own_thread(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = _project(
        make_project,
        "{type: sequential}",
        f"slow: {{run: tsteps.blocked, inputs: {{folder: '{tmp_path}'}}, timeout: 0.5s, "
        "retries: 1, retry_delay: 0s}",
    )
    runs: list[Any] = []
    caller = threading.Thread(target=lambda: runs.append(pipeflow.load(config).run()))
    caller.start()
    caller.join(60)
    outcome = runs[0].outcomes["slow"]
    assert outcome.attempts == 1
    assert "not retried" in (outcome.error or "")
    assert "`processes` and `dask`" in (outcome.error or "")
