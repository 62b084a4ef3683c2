"""A step's `running` row that still waits for its commit when the step finishes is not written:
the step's final row says all it says. The history ends the same either way, and a step that
is still running when its row is committed shows as running."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pipeflow.history import Recorder, open_history, statements, writer
from pipeflow.model.events import Event, StepFinished, StepRetrying, StepStarted
from tests.conftest import ProjectFactory
from tests.history.synthetic import db_path, record, run_events


def _tables(home: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the history holds about runs, steps and logs, in a stable order."""
    conn = sqlite3.connect(db_path(home))
    try:
        return {
            "runs": conn.execute(
                "SELECT id, pipeline, state, duration FROM runs ORDER BY id"
            ).fetchall(),
            "steps": conn.execute("SELECT * FROM steps ORDER BY run_id, step").fetchall(),
            "logs": conn.execute(
                "SELECT run_id, step, stream, line, text FROM logs ORDER BY run_id, step, line"
            ).fetchall(),
        }
    finally:
        conn.close()


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The (statement, step) of every step row the writer committed."""
    rows: list[tuple[str, str]] = []
    original = writer.Writer._write

    def noted(self: writer.Writer, conn: Any, ops: list[Any]) -> None:
        for op in ops:
            if isinstance(op, tuple) and op[0] in (statements.STEP_RUNNING, statements.UPSERT_STEP):
                rows.append(("running" if op[0] == statements.STEP_RUNNING else "row", op[1][1]))
        original(self, conn, ops)

    monkeypatch.setattr(writer.Writer, "_write", noted)
    return rows


@pytest.fixture
def recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """A recorder whose writer commits only when flushed and at the end of a run."""
    monkeypatch.setattr(writer, "PACE", 30.0)  # a rest no test could wait out
    return Recorder(home=tmp_path, flush_interval=60.0)


def _without_replacing(monkeypatch: pytest.MonkeyPatch) -> None:
    original = writer.Writer.add

    def add(self: writer.Writer, op: writer.Op, *, urgent: bool = False, **_: Any) -> None:
        original(self, op, urgent=urgent)

    monkeypatch.setattr(writer.Writer, "add", add)


@pytest.mark.parametrize("fail", [False, True], ids=["succeeded", "failed"])
@pytest.mark.parametrize("flushes", ["never", "after-every-event"])
def test_the_history_ends_the_same_with_or_without_replacing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: bool, flushes: str
) -> None:
    monkeypatch.setattr(writer, "PACE", 30.0)  # nothing committed but by a flush or the end
    homes = {}
    for label in ("replacing", "not replacing"):
        home = homes[label] = tmp_path / label
        with monkeypatch.context() as patch:
            if label == "not replacing":
                _without_replacing(patch)
            recorder = Recorder(home=home, flush_interval=60.0)
            for event in run_events("20260101-000000-repl01", fail=fail, lines=3):
                record(recorder, [event])
                if flushes == "after-every-event":
                    recorder.flush(10)
    replaced, kept = _tables(homes["replacing"]), _tables(homes["not replacing"])
    assert replaced["steps"]
    assert replaced["logs"]
    assert replaced == kept


def test_a_running_row_still_queued_is_not_written(
    tmp_path: Path, recorder: Recorder, written: list[tuple[str, str]]
) -> None:
    events = list(run_events("20260101-000000-repl02"))
    record(recorder, events[:1])  # RunStarted: the pending rows, committed at once
    assert recorder.flush(10)
    assert written == [("row", "load"), ("row", "train"), ("row", "report")]
    del written[:]
    record(recorder, events[1:])  # the rest of the run, committed at its end
    # `report` started, retried and finished: the retry's `running` row replaced the first
    # attempt's, and the final row replaced the retry's.
    assert ("row", "load") in written
    assert ("row", "report") in written
    assert ("running", "load") not in written
    assert ("running", "report") not in written
    with open_history(home=tmp_path) as history:
        steps = {step.step: step for step in history.run("20260101-000000-repl02").steps}
    assert steps["load"].state == "done"
    assert steps["report"].attempts == 2


def test_a_step_still_running_at_a_commit_shows_as_running(
    tmp_path: Path, recorder: Recorder, written: list[tuple[str, str]]
) -> None:
    run_id = "20260101-000000-repl03"
    events: list[Event] = list(run_events(run_id))
    started = next(i for i, e in enumerate(events) if isinstance(e, StepStarted))
    record(recorder, events[: started + 1])
    assert recorder.flush(10)  # committed while `load` runs
    with open_history(home=tmp_path) as history:
        assert history.run(run_id).steps[0].state == "running"
    record(recorder, events[started + 1 :])
    assert ("running", "load") in written  # committed before `load` finished: written
    with open_history(home=tmp_path) as history:
        assert history.run(run_id).steps[0].state == "done"


def test_only_a_row_about_the_same_step_is_replaced(
    tmp_path: Path, recorder: Recorder, written: list[tuple[str, str]]
) -> None:
    """`load` finishing replaces nothing of `report`, and `report`'s rows replace nothing of
    `load`'s: only rows about the same step replace one another."""
    run_id = "20260101-000000-repl04"
    events = list(run_events(run_id))
    record(recorder, events[:1])
    assert recorder.flush(10)
    del written[:]
    ordered = [e for e in events[1:] if isinstance(e, StepStarted | StepRetrying)]
    ordered += [e for e in events[1:] if not isinstance(e, StepStarted | StepRetrying)]
    # Every start and retry first, then the rest: `load` finishes after `report` started.
    load_done = next(
        i for i, e in enumerate(ordered) if isinstance(e, StepFinished) and e.outcome.step == "load"
    )
    record(recorder, ordered[: load_done + 1])
    assert recorder.flush(10)
    with open_history(home=tmp_path) as history:
        states = {step.step: step.state for step in history.run(run_id).steps}
    # `load`'s final row replaced its own `running` row, not `report`'s.
    assert states == {"load": "done", "train": "pending", "report": "running"}
    assert written.count(("running", "report")) == 1  # the retry's; it replaced the first's
    assert ("running", "load") not in written
    record(recorder, ordered[load_done + 1 :])
    with open_history(home=tmp_path) as history:
        states = {step.step: step.state for step in history.run(run_id).steps}
        attempts = {step.step: step.attempts for step in history.run(run_id).steps}
    assert states == {"load": "done", "train": "cached", "report": "done"}
    assert attempts["report"] == 2


FAN_STEPS = """
import time
from pathlib import Path


def source():
    time.sleep(0.3)  # the run's first commit is made meanwhile
    return 1


def add(x, n):
    return x + n


def flaky(x, marker):
    tries = Path(marker)
    tries.write_text(tries.read_text() + "x" if tries.exists() else "x")
    if len(tries.read_text()) == 1:
        raise RuntimeError("first attempt fails")
    return x
"""


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_real_run_writes_no_running_row_its_final_row_replaced(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_project: ProjectFactory,
    executor: str,
) -> None:
    """Every executor: steps that start while the writer rests show only their final rows, and
    the history ends as the run did (states, attempts, order)."""
    import pipeflow

    monkeypatch.setattr(writer, "PACE", 30.0)  # after the run's first commit, only its end
    monkeypatch.setenv("PIPEFLOW_HOME", str(tmp_path / "home"))
    commits: list[list[tuple[str, str]]] = []
    original = writer.Writer._write

    def noted(self: writer.Writer, conn: Any, ops: list[Any]) -> None:
        step_rows = (statements.STEP_RUNNING, statements.UPSERT_STEP)
        rows = [op for op in ops if isinstance(op, tuple) and op[0] in step_rows]
        commits.append(
            [("running" if op[0] == statements.STEP_RUNNING else "row", op[1][1]) for op in rows]
        )
        original(self, conn, ops)

    monkeypatch.setattr(writer.Writer, "_write", noted)
    adds = "\n".join(
        f'  add{i}: {{run: fansteps.add, inputs: {{x: "${{steps.source}}", n: {i}}}}}'
        for i in range(6)
    )
    config = make_project(
        f"""
name: fan
executor: {{type: {executor}, workers: 2}}
results: {{persist: false}}
steps:
  source: {{run: fansteps.source}}
{adds}
  flaky:
    run: fansteps.flaky
    inputs: {{x: "${{steps.add0}}", marker: "{tmp_path / "tries"}"}}
    retries: 1
    retry_delay: 0s
""",
        fansteps=FAN_STEPS,
    )
    run = pipeflow.load(config).run()
    assert run.ok
    later = commits[1:]
    # The first commit is made while `source` runs; every other step starts after it, so its
    # `running` row waited for the end of the run with its final row, and was replaced.
    assert [row for commit in later for row in commit if row[0] == "running"] == []
    finished = {step for commit in later for kind, step in commit if kind == "row"}
    assert finished >= {"flaky", *(f"add{i}" for i in range(6))}
    with open_history(home=tmp_path / "home") as history:
        steps = history.run(run.id).steps
    assert {step.step: step.state for step in steps} == dict.fromkeys(
        ["source", "flaky", *(f"add{i}" for i in range(6))], "done"
    )
    assert [step.step for step in steps][:2] == ["source", "add0"]  # the plan's order kept
    assert {step.step: step.attempts for step in steps}["flaky"] == 2
