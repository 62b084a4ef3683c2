"""The history's writer rests after a commit: steps finishing in quick succession share one,
yet a flush, the end of the run and a finished step's row are never held back for long."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.history import Recorder, open_history, writer
from tests.history.synthetic import record, run_events

STEPS = 200

SLEEPY = """\
import time


def first():
    return 0


def step(x):
    time.sleep(0.0005)  # lets go of the interpreter, as a stored result's write does
    return x + 1
"""


def chain(folder: Path) -> Path:
    (folder / "sleepy.py").write_text(SLEEPY, encoding="utf-8")
    lines = ["name: paced", "results: {persist: false}", "steps:", "  s0: {run: sleepy.first}"]
    lines += [
        f'  s{i}: {{run: sleepy.step, inputs: {{x: "${{steps.s{i - 1}}}"}}}}'
        for i in range(1, STEPS)
    ]
    config = folder / "pipeline.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


@pytest.fixture
def commits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows each commit of the history's writer held."""
    sizes: list[int] = []
    original = writer.Writer._write

    def counted(self: writer.Writer, conn: Any, ops: list[writer.Op]) -> None:
        sizes.append(len(ops))
        original(self, conn, ops)

    monkeypatch.setattr(writer.Writer, "_write", counted)
    return sizes


def test_steps_finishing_in_quick_succession_share_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, commits: list[int]
) -> None:
    monkeypatch.setenv("PIPEFLOW_HOME", str(tmp_path / "home"))
    run = pipeflow.load(chain(tmp_path)).run()
    assert run.ok
    # Without the rest, the writer committed once per finished step here (each step lets go
    # of the interpreter): about STEPS commits. With it, one per PACE of the run's time.
    assert len(commits) <= STEPS // 5, commits
    with open_history(home=tmp_path / "home") as history:
        recorded = history.run(run.id)
        assert recorded.state == "succeeded"
        assert [step.state for step in recorded.steps] == ["done"] * STEPS


def test_a_flush_cuts_the_rest_short(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "PACE", 30.0)  # a rest no test could wait out
    recorder = Recorder(home=tmp_path)
    events = list(run_events("20260101-000000-pace01"))
    record(recorder, events[:2])  # RunStarted, StepStarted: a commit, then the rest
    assert recorder.flush(10)
    record(recorder, events[2:3])
    started = time.monotonic()
    assert recorder.flush(10)  # queued behind the rest: the flush ends it
    record(recorder, events[3:])  # ... and the end of the run too
    assert time.monotonic() - started < 10
    with open_history(home=tmp_path) as history:
        assert history.run("20260101-000000-pace01").state == "succeeded"


def test_a_finished_step_shows_within_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "PACE", 0.2)
    recorder = Recorder(home=tmp_path, flush_interval=60.0)  # only the rest and wakes count
    run_id = "20260101-000000-pace02"
    events = list(run_events(run_id))
    record(recorder, events[:2])
    assert recorder.flush(10)
    record(recorder, events[2:6])  # `load` printed and finished: no flush, no end of the run
    deadline = time.monotonic() + 10
    states: list[str] = []
    while time.monotonic() < deadline:
        with open_history(home=tmp_path) as history:
            states = [step.state for step in history.run(run_id).steps]
        if states[0] == "done":
            break
        time.sleep(0.05)
    assert states[0] == "done"
    record(recorder, events[6:])


def test_the_end_of_a_run_writes_only_the_outcomes_not_written_as_they_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from pipeflow.history import statements
    from pipeflow.model.events import RunFinished
    from pipeflow.model.run import StepOutcome, StepState

    run_id = "20260101-000000-pace03"
    *events, finished = list(run_events(run_id))
    assert isinstance(finished, RunFinished)
    load, train, report = finished.outcomes
    changed = replace(report, reason="told otherwise at the end")
    never = StepOutcome("extra", StepState.SKIPPED, "`when` is false")
    finished = replace(finished, outcomes=(load, replace(train), changed, never))
    upserts: list[str] = []
    original = writer.Writer.add

    def noted(self: writer.Writer, op: writer.Op, *, urgent: bool = False, **more: Any) -> None:
        if isinstance(op, tuple) and op[0] == statements.UPSERT_STEP:
            upserts.append(op[1][1])
        original(self, op, urgent=urgent, **more)

    monkeypatch.setattr(writer.Writer, "add", noted)
    recorder = Recorder(home=tmp_path)
    record(recorder, events)
    assert upserts == ["load", "train", "report"]  # as each finished
    record(recorder, [finished])
    assert upserts[3:] == ["report", "extra"]  # `train` is equal, not the same object: kept
    with open_history(home=tmp_path) as history:
        steps = {step.step: step for step in history.run(run_id).steps}
    assert steps["report"].reason == "told otherwise at the end"
    assert steps["extra"].state == "skipped"
    assert steps["load"].state == "done"
    assert steps["train"].state == "cached"
