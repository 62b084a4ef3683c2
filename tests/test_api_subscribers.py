"""A subscriber passed to `Pipeline.run(subscribers=...)` watches a run; it never fails or
stops one. One that raises (a notification hook whose network is down) is reported as a
warning naming it and its error, hears of the next events all the same, and the run, its
result and its history go on as if it had not raised, on every local executor."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.api import SubscriberWarning
from pipeflow.history import open_history
from pipeflow.model.events import Event, RunFinished, StepFinished, StepOutput
from pipeflow.model.run import StepState
from tests.conftest import REPO, ProjectFactory

CONFIG = """
name: p
results: {root: out}
executor: {type: EXECUTOR, workers: 2}
steps:
  one: {run: m.one}
  two: {run: m.two, inputs: {x: "${steps.one}"}}
"""

STEPS = """
def one():
    print("one speaks")
    return 1

def two(x):
    print("two speaks")
    return x + 1
"""

EXECUTORS = ["sequential", "threads", "processes"]
NOTIFY = f"{__name__}.Notify"


class Notify:
    """A hook that fails on some events, and keeps every event it was given."""

    def __init__(self, fails: Any) -> None:
        self.fails = fails
        self.heard: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.heard.append(event)
        if self.fails(event):
            raise ConnectionError("slack unreachable")


def first_finished(event: Event) -> bool:
    return isinstance(event, StepFinished) and event.outcome.step == "one"


@pytest.fixture(autouse=True)
def _own_history(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPEFLOW_HOME", raising=False)


def run_with(config: Path, *subscribers: Any) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = pipeflow.load(config).run(subscribers=list(subscribers))
    said = [str(w.message) for w in caught if issubclass(w.category, SubscriberWarning)]
    return run, said


def check_recorded(folder: Path, state: str = "succeeded") -> None:
    with open_history(folder) as history:
        [record] = history.runs()
        assert record.state == state
        run = history.run(record.id)
        assert [(s.step, s.state) for s in run.steps] == [("one", "done"), ("two", "done")]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_subscriber_that_raises_neither_fails_nor_stops_the_run(
    make_project: ProjectFactory, executor: str
) -> None:
    config = make_project(CONFIG.replace("EXECUTOR", executor), m=STEPS)
    notify = Notify(first_finished)
    after = Notify(lambda event: False)  # listed after the failing one: hears everything too
    run, said = run_with(config, notify, after)
    assert run.ok
    assert run.state("one") is StepState.DONE
    assert run.output("two") == 2
    assert said == [
        f"subscriber `{NOTIFY}` raised ConnectionError: slack unreachable (on StepFinished of "
        "step `one`); the run goes on, and the subscriber still hears of its events"
    ]
    assert [type(e) for e in notify.heard] == [type(e) for e in after.heard]
    assert isinstance(notify.heard[-1], RunFinished)
    check_recorded(config.parent)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_subscriber_that_always_raises_is_reported_once_and_counted(
    make_project: ProjectFactory, executor: str
) -> None:
    config = make_project(CONFIG.replace("EXECUTOR", executor), m=STEPS)
    notify = Notify(lambda event: True)
    run, said = run_with(config, notify)
    assert run.ok
    assert len(notify.heard) == 8  # RunStarted, 2 x (started, output, finished), RunFinished
    assert said == [
        f"subscriber `{NOTIFY}` raised ConnectionError: slack unreachable (on RunStarted); "
        "the run goes on, and the subscriber still hears of its events",
        f"subscriber `{NOTIFY}` raised on all 8 events of run {run.id}",
    ]
    check_recorded(config.parent)


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_a_subscriber_raising_on_a_steps_output_is_reported_from_the_runs_thread(
    make_project: ProjectFactory, executor: str
) -> None:
    """Output comes from a step's thread: the warning waits for the thread that drives the run
    (a warning printed on a step's thread would be that step's output)."""
    config = make_project(CONFIG.replace("EXECUTOR", executor), m=STEPS)
    notify = Notify(lambda event: isinstance(event, StepOutput) and event.step == "two")
    run, said = run_with(config, notify)
    assert run.ok
    assert said == [
        f"subscriber `{NOTIFY}` raised ConnectionError: slack unreachable (on StepOutput of "
        "step `two`); the run goes on, and the subscriber still hears of its events"
    ]
    check_recorded(config.parent)


SCRIPT = """
import pipeflow
from pipeflow.model.events import StepFinished, StepOutput

def notify(event):  # e.g. a Slack hook that hits a network error
    if isinstance(event, EVENT) and STEP == "one":
        raise ConnectionError("slack unreachable")

if __name__ == "__main__":  # the processes executor's workers import this module
    run = pipeflow.load("pipeline.yaml").run(subscribers=[notify])
    print("ok" if run.ok else "failed", run.output("two"))
"""


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize(
    ("event", "step"), [("StepFinished", "event.outcome.step"), ("StepOutput", "event.step")]
)
def test_a_script_prints_the_warning_and_its_run_is_recorded(
    make_project: ProjectFactory, executor: str, event: str, step: str
) -> None:
    """The warning is shown on stderr (by the thread that drives the run: shown from a step's
    thread, it would be that step's output, sent back to the engine while it holds its lock)."""
    config = make_project(CONFIG.replace("EXECUTOR", executor), m=STEPS)
    script = SCRIPT.replace("EVENT", event).replace("STEP", step)
    (config.parent / "go.py").write_text(script, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "go.py"],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok 2"
    assert "Traceback" not in done.stderr
    assert "subscriber `__main__.notify` raised ConnectionError: slack unreachable" in done.stderr
    shown = subprocess.run(
        [sys.executable, "-m", "pipeflow", "runs"],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "succeeded" in shown, shown
    check_recorded(config.parent)
    logs = subprocess.run(
        [sys.executable, "-m", "pipeflow", "logs", shown.splitlines()[1].split()[0]],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert logs.splitlines() == ["one | one speaks", "two | two speaks"]
