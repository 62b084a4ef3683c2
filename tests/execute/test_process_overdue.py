"""A step on `processes` still running past its timeout and the grace after it, whatever keeps
it there, is ended from outside: its pool ends its worker, with the programs the step started,
and the step keeps its `retries` (the next attempt on a new worker).

Two ways to be stuck: compiled code that holds the GIL and never returns to Python (the timer's
handler in the worker never runs), and Python code that catches the timer's interruption and
goes on. Each attempt records its process and, if it starts one, its program's.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.events import Event, StepRetrying
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
import itertools
import os
import subprocess
import time
from pathlib import Path


def hold(how: str) -> None:
    if how == "gil":  # a C loop that holds the GIL for 30s or more: no signal handler runs
        sum(itertools.repeat(1, 10**10))
    else:
        try:
            time.sleep(120)
        except BaseException:  # the timeout's interruption, swallowed: it goes on
            time.sleep(120)


def stuck(marks: str, stuck: int, how: str, program: bool) -> int:
    root = Path(marks.removeprefix("marks in "))  # not a path input: it changes as it runs
    attempt = len(list(root.glob("attempt-*"))) + 1
    (root / f"attempt-{attempt}").write_text(str(os.getpid()))
    if attempt <= stuck:
        if program:
            child = subprocess.Popen(["sleep", "120"])
            (root / f"program-{attempt}").write_text(str(child.pid))
        hold(how)
    return attempt
"""

YAML = """
name: overdue
executor: {{type: processes, workers: 1}}
results: {{persist: false}}
steps:
  slow:
    run: osteps.stuck
    inputs: {{marks: "marks in {folder}", stuck: {stuck}, how: {how}, program: {program}}}
    retries: 1
    retry_delay: 0s
    timeout: 500ms
"""

TOML = """
name = "overdue"
executor = {{type = "processes", workers = 1}}
results = {{persist = false}}

[steps.slow]
run = "osteps.stuck"
inputs = {{marks = "marks in {folder}", stuck = {stuck}, how = "{how}", program = {program}}}
retries = 1
retry_delay = "0s"
timeout = "500ms"
"""

HOW = ["gil", "catches"]


def project(
    make_project: ProjectFactory,
    folder: Path,
    *,
    stuck: int,
    how: str,
    syntax: str,
    program: bool = False,
) -> Path:
    folder.mkdir()
    text = (YAML if syntax == "yaml" else TOML).format(
        folder=folder, stuck=stuck, how=how, program=str(program).lower()
    )
    return make_project(text, name=f"pipeline.{syntax}", osteps=STEPS)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def programs_left(folder: Path) -> list[int]:
    """The programs the stuck attempts started that still run, a moment after the run."""
    pids = [int(path.read_text()) for path in folder.glob("program-*")]
    assert pids, "no attempt started its program"
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [pid for pid in pids if alive(pid)]


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
@pytest.mark.parametrize("how", HOW)
def test_a_stuck_attempt_is_ended_and_the_step_retried(
    make_project: ProjectFactory, tmp_path: Path, how: str, syntax: str
) -> None:
    folder = tmp_path / "marks"
    config = project(make_project, folder, stuck=1, how=how, syntax=syntax, program=True)
    events: list[Event] = []
    began = time.monotonic()
    run = pipeflow.load(config).run(subscribers=[events.append], history=False)
    assert time.monotonic() - began < 25  # a stuck attempt left alone runs 30s or more
    outcome = run.outcomes["slow"]
    assert outcome.state is StepState.DONE, outcome
    assert outcome.attempts == 2, outcome
    assert run.output("slow") == 2
    [retrying] = [event for event in events if isinstance(event, StepRetrying)]
    assert "did not finish within its timeout of 0.50s" in retrying.error, retrying
    assert "worker process was ended" in retrying.error, retrying
    assert programs_left(folder) == []


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
@pytest.mark.parametrize("how", HOW)
def test_a_last_attempt_stuck_fails_the_step_and_ends_its_programs(
    make_project: ProjectFactory, tmp_path: Path, how: str, syntax: str
) -> None:
    folder = tmp_path / "marks"
    config = project(make_project, folder, stuck=2, how=how, syntax=syntax, program=True)
    result = pipeflow_in(config.parent, "run", config.name, timeout=90)
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert "slow: attempt 1 failed" in text, text
    assert "worker process was ended" in text, text
    assert len(list(folder.glob("attempt-*"))) == 2, text
    assert programs_left(folder) == [], text


BESIDE_STEPS = """
import itertools
import time


def steady() -> str:
    time.sleep(3)
    return "steady"


def hog() -> None:
    sum(itertools.repeat(1, 10**10))  # 30s or more in C, holding the GIL
"""

BESIDE = {
    "yaml": (
        "name: beside\n"
        "executor: {type: processes, workers: 2}\n"
        "results: {persist: false}\n"
        "steps:\n"
        "  steady: {run: bsteps.steady}\n"
        "  hog: {run: bsteps.hog, timeout: 500ms, retries: 3, retry_delay: 0s}\n"
    ),
    "toml": (
        'name = "beside"\n'
        'executor = {type = "processes", workers = 2}\n'
        "results = {persist = false}\n"
        '[steps.steady]\nrun = "bsteps.steady"\n'
        '[steps.hog]\nrun = "bsteps.hog"\ntimeout = "500ms"\nretries = 3\nretry_delay = "0s"\n'
    ),
}


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
def test_a_step_beside_one_ended_for_its_timeout_does_not_fail_for_it(
    make_project: ProjectFactory, syntax: str
) -> None:
    """Each end of the stuck step's worker ends its pool's other worker too, and the step that
    ran there starts again on a new pool, as often as that happens: it is no death of its own
    (which fails a step after a few, "worker processes died N times")."""
    config = make_project(BESIDE[syntax], name=f"pipeline.{syntax}", bsteps=BESIDE_STEPS)
    run = pipeflow.load(config).run(keep_going=True, history=False)
    assert run.state("hog") is StepState.FAILED
    assert run.outcomes["hog"].attempts == 4
    assert run.state("steady") is StepState.DONE, run.outcomes["steady"]
    assert run.output("steady") == "steady"
