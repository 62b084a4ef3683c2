"""A step on `processes` whose attempt goes on after its timeout (it catches the timeout's
interruption) has its worker process ended, and keeps its `retries`: its next attempt starts
on a new worker once that one is gone, so two attempts never run at once.

Each attempt records its process; an attempt that finds the process of the one before it still
alive marks an overlap.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.events import Event, StepOutput, StepRetrying
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory
from tests.interrupting import interrupted
from tests.system import pipeflow_in

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


def stubborn(marks: str, stuck: int) -> int:
    root = Path(marks.removeprefix("marks in "))  # not a path input: it changes as it runs
    pids = sorted(root.glob("attempt-*"), key=lambda path: int(path.name.split("-")[1]))
    if pids and alive(int(pids[-1].read_text())):
        (root / "overlap").write_text(pids[-1].read_text())
    attempt = len(pids) + 1
    (root / f"attempt-{attempt}").write_text(str(os.getpid()))
    print(f"attempt {attempt} begins", flush=True)
    if attempt <= stuck:
        try:
            time.sleep(60)
        except BaseException:  # the timeout's interruption, swallowed: it goes on
            time.sleep(60)
    return attempt
"""

YAML = """
name: stuck
executor: {{type: processes, workers: {workers}}}
results: {{persist: false}}
steps:
  slow:
    run: psteps.stubborn
    inputs: {{marks: "marks in {folder}", stuck: {stuck}}}
    retries: 2
    retry_delay: {delay}
    timeout: {timeout}
"""

TOML = """
name = "stuck"
executor = {{type = "processes", workers = {workers}}}
results = {{persist = false}}

[steps.slow]
run = "psteps.stubborn"
inputs = {{marks = "marks in {folder}", stuck = {stuck}}}
retries = 2
retry_delay = "{delay}"
timeout = "{timeout}"
"""


def project(
    make_project: ProjectFactory,
    folder: Path,
    *,
    stuck: int,
    syntax: str = "yaml",
    workers: int = 1,
    delay: str = "0s",
    timeout: str = "500ms",
) -> Path:
    folder.mkdir()
    text = (YAML if syntax == "yaml" else TOML).format(
        workers=workers, folder=folder, stuck=stuck, delay=delay, timeout=timeout
    )
    return make_project(text, name=f"pipeline.{syntax}", psteps=STEPS)


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
@pytest.mark.parametrize("workers", [1, 2])
def test_an_attempt_that_goes_on_after_its_timeout_is_retried_on_a_new_worker(
    make_project: ProjectFactory, tmp_path: Path, syntax: str, workers: int
) -> None:
    folder = tmp_path / "marks"
    config = project(make_project, folder, stuck=2, syntax=syntax, workers=workers)
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
        assert "did not finish within its timeout of 0.50s" in event.error, event
        assert "worker process was ended" in event.error, event
        assert "not retried" not in event.error, event
    lines = [event.text for event in events if isinstance(event, StepOutput)]
    assert lines == [f"attempt {n} begins" for n in (1, 2, 3)], lines


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
def test_the_last_attempt_that_goes_on_fails_the_step(
    make_project: ProjectFactory, tmp_path: Path, syntax: str
) -> None:
    folder = tmp_path / "marks"
    config = project(make_project, folder, stuck=3, syntax=syntax)
    result = pipeflow_in(config.parent, "run", config.name, timeout=180)
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert "slow: attempt 1 failed" in text, text
    assert "slow: attempt 2 failed" in text, text
    assert "worker process was ended" in text, text
    assert "not retried" not in text, text
    assert len(list(folder.glob("attempt-*"))) == 3, text
    assert not (folder / "overlap").exists(), text


def test_ctrl_c_during_the_delay_before_the_next_attempt(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "marks"
    # A delay no longer than the timeout, as a config allows: Ctrl-C comes as it begins.
    config = project(make_project, folder, stuck=3, delay="20s", timeout="20s")
    started = time.monotonic()
    code, output = interrupted(
        [sys.executable, "-m", "pipeflow", "run", config.name, "--json", "r.json"],
        cwd=config.parent,
        marker="retrying in",
        settle=0.5,
    )
    assert code == 130, output
    assert time.monotonic() - started < 40, output  # the delay was not waited out
    assert len(list(folder.glob("attempt-*"))) == 1, output
    (step,) = json.loads((config.parent / "r.json").read_text())["steps"]
    assert step["attempts"] == 1, step
    assert step["reason"] == "interrupted", step
