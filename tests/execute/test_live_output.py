"""What a step prints on the `processes` and `dask` executors is said as it comes: on the
console, to subscribers and in the history (`pipeflow logs --follow`), not only once the step
has ended. Each line is said once, in order with the step's retries, whether the step ends,
fails, dies with its worker or is stopped by Ctrl-C.

Each step here waits for a file that the test writes once it has seen the step's first line:
were lines said only at the step's end, the step would give up waiting (and say so)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pipeflow
from pipeflow.history import open_history
from pipeflow.model.events import Event, StepOutput, StepRetrying
from tests.conftest import ProjectFactory

WAIT = 30  # seconds a step waits for the test's file before it gives up

STEPS = f"""
import logging
import os
import time
from pathlib import Path


def _wait(name):
    flag = Path(name)
    waited = 0.0
    while not flag.exists():
        if waited > {WAIT}:
            print("gave up waiting for", name)
            return False
        time.sleep(0.05)
        waited += 0.05
    return True


def patient(name="go"):
    print("ready", flush=True)
    logging.getLogger("steps").info("logged while waiting")
    _wait(name)
    print("after")
    return 1


def item(n):
    print("item", n, "ready")
    _wait(f"go-{{n}}")
    return n


def flaky(name="go"):
    Path("tries").write_text(Path("tries").read_text() + "x" if Path("tries").exists() else "x")
    tries = len(Path("tries").read_text())
    print("try", tries)
    if tries == 1:
        _wait(name)
        raise RuntimeError("first try fails")
    return tries


def dies():
    print("before death", flush=True)
    _wait("go")
    os.kill(os.getpid(), 9)
"""

EXECUTORS = {
    "processes": "{type: processes, workers: 2}",
    "dask": "{type: dask, workers: 2, threads_per_worker: 1}",
}
CONFIG = """
name: live
results: {persist: false}
executor: %s
steps:
  %s
"""


def _run(config: Path, seen: list[Event], trigger: dict[str, str]) -> pipeflow.Run | None:
    """Run the pipeline, writing each file of `trigger` once a line with its key is said."""

    def listen(event: Event) -> None:
        seen.append(event)
        if isinstance(event, StepOutput):
            for text, name in trigger.items():
                if text in event.text:
                    (config.parent / name).touch()

    pipeline = pipeflow.load(config)
    try:
        return pipeline.run(subscribers=[listen])
    except pipeflow.PipeflowError:
        return None


def _lines(seen: list[Event]) -> list[tuple[str, str]]:
    return [(e.step, e.text) for e in seen if isinstance(e, StepOutput)]


def _logged(folder: Path) -> list[tuple[str, str]]:
    """The lines the history holds of the one run of `live`; none while its run is not yet
    recorded (the database is created, with its tables, before the run's first commit)."""
    with open_history(folder) as history:
        runs = history.runs(pipeline="live")
        assert len(runs) <= 1, runs
        return [(line.step, line.text) for run in runs for line in history.logs(run.id)]


@pytest.mark.parametrize("executor", sorted(EXECUTORS))
def test_a_steps_lines_are_said_as_they_come(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, executor: str
) -> None:
    config = make_project(CONFIG % (EXECUTORS[executor], "a: {run: lsteps.patient}"), lsteps=STEPS)
    monkeypatch.chdir(config.parent)
    seen: list[Event] = []
    run = _run(config, seen, {"ready": "go"})
    assert run is not None
    assert run.ok, run.outcomes
    expected = [("a", "ready"), ("a", "logged while waiting"), ("a", "after")]
    assert _lines(seen) == expected
    assert _logged(config.parent) == expected


@pytest.mark.parametrize("executor", sorted(EXECUTORS))
def test_each_items_lines_are_said_as_they_come(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, executor: str
) -> None:
    config = make_project(
        CONFIG % (EXECUTORS[executor], "a: {run: lsteps.item, foreach: [1, 2, 3], as: n}"),
        lsteps=STEPS,
    )
    monkeypatch.chdir(config.parent)
    seen: list[Event] = []
    run = _run(config, seen, {f"item {n} ready": f"go-{n}" for n in (1, 2, 3)})
    assert run is not None
    assert run.ok, run.outcomes
    assert sorted(_lines(seen)) == [("a", f"item {n} ready") for n in (1, 2, 3)]
    assert run.output("a") == [1, 2, 3]


@pytest.mark.parametrize("executor", sorted(EXECUTORS))
def test_a_retry_comes_after_the_lines_of_the_attempt_before(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, executor: str
) -> None:
    config = make_project(
        CONFIG % (EXECUTORS[executor], "a: {run: lsteps.flaky, retries: 1, retry_delay: 0s}"),
        lsteps=STEPS,
    )
    monkeypatch.chdir(config.parent)
    seen: list[Event] = []
    run = _run(config, seen, {"try 1": "go"})
    assert run is not None
    assert run.ok, run.outcomes
    said = [
        ("out", e.text) if isinstance(e, StepOutput) else ("retry", e.attempt)
        for e in seen
        if isinstance(e, StepOutput | StepRetrying)
    ]
    assert said == [("out", "try 1"), ("retry", 2), ("out", "try 2")]


def test_a_line_before_the_worker_dies_is_said_once(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_project(CONFIG % (EXECUTORS["processes"], "a: {run: lsteps.dies}"), lsteps=STEPS)
    monkeypatch.chdir(config.parent)
    seen: list[Event] = []
    run = _run(config, seen, {"before death": "go"})
    assert run is not None
    assert not run.ok
    assert "died" in str(run.outcomes["a"].error)
    assert _lines(seen) == [("a", "before death")]
    assert _logged(config.parent) == [("a", "before death")]


@pytest.mark.parametrize("executor", sorted(EXECUTORS))
def test_the_console_and_a_ctrl_c_say_each_line_once(
    make_project: ProjectFactory, executor: str
) -> None:
    """On the command line: the line is on the console while the step waits; Ctrl-C then
    stops the run, which keeps the line once."""
    config = make_project(
        CONFIG % (EXECUTORS[executor], "a: {run: lsteps.patient, inputs: {name: never}}"),
        lsteps=STEPS,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config), "--log-format", "plain"],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        seen = ""
        while "a | logged while waiting" not in seen:
            line = process.stdout.readline()
            assert line, seen
            assert "gave up" not in line, seen
            seen += line
        os.killpg(process.pid, signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    output = seen + rest
    assert process.returncode == 130, output
    assert output.count("a | ready") == 1, output
    assert _logged(config.parent) == [("a", "ready"), ("a", "logged while waiting")]


def test_the_history_has_a_running_steps_lines_and_keeps_them_past_a_kill(
    make_project: ProjectFactory,
) -> None:
    """`pipeflow logs --follow` reads the history: it has the step's lines while the step
    still runs, and keeps them when the run's process is then killed (SIGKILL)."""
    config = make_project(
        CONFIG % (EXECUTORS["processes"], "a: {run: lsteps.patient, inputs: {name: never}}"),
        lsteps=STEPS,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config), "--log-format", "plain"],
        cwd=config.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        logged: list[tuple[str, str]] = []
        for _ in range(600):  # until the history has both lines, or the step gives up
            if (config.parent / ".pipeflow" / "runs.db").exists():
                logged = _logged(config.parent)
            if len(logged) == 2 or process.poll() is not None:
                break
            time.sleep(0.1)
        assert process.poll() is None, "the run ended before its lines were recorded"
        assert logged == [("a", "ready"), ("a", "logged while waiting")]
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert _logged(config.parent) == [("a", "ready"), ("a", "logged while waiting")]
    with open_history(config.parent) as history:
        [run] = history.runs(pipeline="live")
    assert run.state == "lost"
