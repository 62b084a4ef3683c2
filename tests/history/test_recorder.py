"""Recording runs from their events and reading them back: runs, steps, logs, limits, pruning
and schema upgrades."""

from __future__ import annotations

import os
import sqlite3
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeflow.history import (
    SCHEMA_VERSION,
    HistoryError,
    Recorder,
    UnknownRun,
    UnknownStep,
    connect,
    database_path,
    open_history,
    schema_version,
    truncation_marker,
)
from pipeflow.model.events import RunFinished, RunStarted, StepFinished, StepOutput, StepStarted
from pipeflow.model.run import Action, Decision, StepOutcome, StepState
from tests.history.synthetic import T0, record, run_events

RUN = "20260301-120000-a1b2c3"


def test_a_run_is_recorded_and_read_back(tmp_path: Path) -> None:
    config = tmp_path / "pipeline.yaml"
    config.write_text("name: demo\n")
    recorder = Recorder(tmp_path, trigger="schedule", config_path=config, config_hash="sha256:1")
    record(recorder, run_events(RUN, params={"count": 3, "token": "***"}, fail=True))

    assert database_path(tmp_path) == tmp_path / ".pipeflow" / "runs.db"
    assert database_path(tmp_path).exists()
    with open_history(tmp_path) as history:
        [listed] = history.runs()
        assert (listed.id, listed.pipeline, listed.state, listed.trigger) == (
            RUN,
            "demo",
            "failed",
            "schedule",
        )
        assert (listed.done, listed.cached, listed.failed) == (1, 1, 1)
        assert listed.started == T0
        assert listed.started.utcoffset() == timedelta(hours=1)
        assert listed.duration == 1.5
        assert listed.finished is not None
        assert listed.config_path == str(config.resolve())
        assert listed.config_hash == "sha256:1"
        assert listed.params == {"count": 3, "token": "***"}

        run = history.run(RUN[:17])  # a unique prefix is enough
        assert run.id == RUN
        load, train, report = run.steps  # in plan order
        assert (load.step, load.state, load.attempts, load.duration) == ("load", "done", 1, 0.5)
        assert load.reason == "no stored result"
        assert load.locations == ("out/load.json",)
        assert not load.cached
        assert (train.state, train.cached, train.locations) == ("cached", True, ("out/train.pkl",))
        assert (report.state, report.attempts, report.error) == (
            "failed",
            2,
            "ValueError: bad values",
        )
        assert report.traceback is not None
        assert "Traceback" in report.traceback

        lines = history.logs(RUN)
        assert [(x.step, x.stream, x.line, x.text) for x in lines] == [
            ("load", "stdout", 1, "loading 0"),
            ("load", "stdout", 2, "loading 1"),
            ("load", "log", 3, "INFO-level progress"),
            ("report", "stderr", 1, "flaky network"),
        ]
        assert all(line.run_id == RUN for line in lines)
        assert lines[0].time.tzinfo is not None
        assert [x.text for x in history.logs(RUN, step="report")] == ["flaky network"]


def test_steps_show_their_state_while_the_run_goes_on(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path)
    events = list(run_events(RUN))
    record(recorder, events[:2])  # RunStarted, StepStarted(load)
    assert recorder.flush(10)
    with open_history(home=tmp_path) as history:
        run = history.run(RUN)
        assert run.state == "running"
        assert run.finished is None
        assert run.duration is None
        assert [(s.step, s.state) for s in run.steps] == [
            ("load", "running"),
            ("train", "pending"),
            ("report", "pending"),
        ]
        assert run.steps[1].reason == "up to date"
    record(recorder, events[2:])
    with open_history(home=tmp_path) as history:
        assert history.run(RUN).state == "succeeded"


def test_runs_are_listed_newest_first_and_filtered(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path)
    # 10:00+02:00 is earlier than 09:30+00:00, although its text sorts after it.
    plus2 = datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    utc = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    record(recorder, run_events("r-early", started=plus2, pipeline="etl"))
    record(recorder, run_events("r-late", started=utc, pipeline="etl", fail=True))
    record(recorder, run_events("r-other", started=utc - timedelta(days=1), pipeline="iris"))
    with open_history(home=tmp_path) as history:
        assert [r.id for r in history.runs()] == ["r-late", "r-early", "r-other"]
        assert [r.id for r in history.runs(pipeline="etl")] == ["r-late", "r-early"]
        assert [r.id for r in history.runs(state="succeeded")] == ["r-early", "r-other"]
        assert [r.id for r in history.runs(last=2)] == ["r-late", "r-early"]
        assert [r.id for r in history.runs(pipeline="iris", state="failed")] == []
        assert history.runs()[0].steps == ()  # listing does not load the steps


def test_runs_page_by_page_with_counts_and_pipelines(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path)
    for index in range(7):
        name = "etl" if index % 2 else "iris"
        started = T0 + timedelta(minutes=index)
        record(recorder, run_events(f"r{index}", pipeline=name, started=started, lines=0))
    with open_history(home=tmp_path) as history:
        assert [r.id for r in history.runs(last=3, offset=2)] == ["r4", "r3", "r2"]
        assert [r.id for r in history.runs(offset=5)] == ["r1", "r0"]
        assert [r.id for r in history.runs(pipeline="etl", last=2, offset=1)] == ["r3", "r1"]
        assert history.count() == 7
        assert history.count(pipeline="etl") == 3
        assert history.count(pipeline="etl", state="failed") == 0
        assert history.pipelines() == {"etl": None, "iris": None}
    with open_history(home=tmp_path / "none") as missing:
        assert missing.count() == 0
        assert missing.pipelines() == {}


def test_unknown_and_ambiguous_ids(tmp_path: Path) -> None:
    with open_history(home=tmp_path) as empty:
        assert empty.runs() == []
        with pytest.raises(UnknownRun, match="nothing is recorded"):
            empty.run("x")
    assert not (tmp_path / "runs.db").exists()  # reading creates nothing

    recorder = Recorder(home=tmp_path)
    record(recorder, run_events("20260301-120000-aaaaaa"))
    record(recorder, run_events("20260301-120000-aaaaab"))
    with open_history(home=tmp_path) as history:
        with pytest.raises(UnknownRun, match="matches several runs") as ambiguous:
            history.run("20260301")
        assert "give more of the id" in str(ambiguous.value)
        with pytest.raises(KeyError) as missing:  # UnknownRun is a KeyError
            history.run("20260301-120000-aaaaac")
        assert "did you mean `20260301-120000-aaaaa" in str(missing.value)
        assert isinstance(missing.value, UnknownRun)
        assert missing.value.exit_code == 2
        with pytest.raises(UnknownStep, match="no step `laod`") as step:
            history.logs("20260301-120000-aaaaaa", step="laod")
        assert "did you mean `load`?" in str(step.value)


def test_an_interrupted_run_and_a_run_that_never_finished(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path)
    events = list(run_events("r-1"))
    *head, finished = events
    record(recorder, head)
    assert isinstance(finished, RunFinished)
    recorder(RunFinished("r-1", "demo", False, 0.7, finished.outcomes, interrupted=True))
    # A second run never finishes (its process is stopped): close() marks it interrupted.
    recorder(RunStarted("r-2", "demo", T0 + timedelta(minutes=1), {}, ()))
    recorder(StepStarted("r-2", "load", 1))
    recorder.close()  # what the caller's `finally` does
    recorder.close()  # twice is harmless
    with open_history(home=tmp_path) as history:
        assert history.run("r-1").state == "interrupted"
        r2 = history.run("r-2")
        assert r2.state == "interrupted"
        assert r2.finished is not None


def test_events_of_other_runs_are_ignored_and_a_recorder_is_reusable(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path)
    recorder(StepOutput("nobody", "x", "stdout", "before any run"))
    events = list(run_events("r-1"))
    recorder(events[0])
    recorder(StepOutput("someone-else", "load", "stdout", "not ours"))
    record(recorder, events[1:])
    record(recorder, run_events("r-2", started=T0 + timedelta(hours=1)))
    with open_history(home=tmp_path) as history:
        assert [r.id for r in history.runs()] == ["r-2", "r-1"]
        assert "not ours" not in [x.text for x in history.logs("r-1")]


def test_output_past_the_limit_is_counted_not_stored(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path, max_output=100)
    plan = (Decision("s", Action.RUN, "no stored result"),)
    recorder(RunStarted(RUN, "demo", T0, {}, plan))
    recorder(StepStarted(RUN, "s", 1))
    for index in range(10):  # 10 lines of 20 bytes (19 characters and a newline)
        recorder(StepOutput(RUN, "s", "stdout", f"{index:02d}" + "x" * 17))
    recorder(StepOutput(RUN, "s", "stderr", "stderr has its own budget"))
    recorder(StepOutput(RUN, "s", "stdout", "é" * 10))  # counted in bytes: 21
    outcome = StepOutcome("s", StepState.DONE, "no stored result", 1.0, 1)
    recorder(StepFinished(RUN, outcome))
    recorder(StepOutput(RUN, "s", "stdout", "late line"))  # after the marker: another marker
    recorder(RunFinished(RUN, "demo", True, 1.0, (outcome,)))

    with open_history(home=tmp_path) as history:
        stdout = [x.text for x in history.logs(RUN) if x.stream == "stdout"]
        stderr = [x.text for x in history.logs(RUN) if x.stream == "stderr"]
    assert stdout[:5] == [f"{i:02d}" + "x" * 17 for i in range(5)]  # 5 x 20 = 100 bytes
    assert stdout[5:] == [truncation_marker(5 * 20 + 21), truncation_marker(10)]
    assert stdout[5] == "[... output truncated: 121 more bytes not recorded ...]"
    assert stderr == ["stderr has its own budget"]


def test_a_line_past_the_limit_is_counted_whole_never_cut(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path, max_output=11)
    events = list(run_events(RUN, lines=0))
    recorder(events[0])
    recorder(StepOutput(RUN, "load", "stdout", "abcdefghijklmnopqrstuvwxyz"))
    record(recorder, events[1:])
    with open_history(home=tmp_path) as history:
        texts = [x.text for x in history.logs(RUN, step="load") if x.stream == "stdout"]
    assert texts == [truncation_marker(27)]


def test_a_step_printing_100_mb_keeps_memory_bounded(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path, max_output=1_000_000)
    events = list(run_events(RUN, lines=0))
    recorder(events[0])
    line = "y" * 9_999  # 10,000 bytes with its newline; the same object each time
    count = 10_000  # 100 MB in all
    tracemalloc.start()
    try:
        for _ in range(count):
            recorder(StepOutput(RUN, "load", "stdout", line))
        record(recorder, events[1:])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000, f"peak {peak} bytes while recording 100 MB of output"
    with open_history(home=tmp_path) as history:
        stdout = [x.text for x in history.logs(RUN, step="load") if x.stream == "stdout"]
    assert len(stdout) == 100 + 1
    assert sum(len(text) + 1 for text in stdout[:-1]) == 1_000_000
    assert stdout[-1] == truncation_marker((count - 100) * 10_000)
    assert database_path(home=tmp_path).stat().st_size < 5_000_000


def test_prune_keeps_the_newest_runs(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path)
    for index in range(5):
        record(recorder, run_events(f"r-{index}", started=T0 + timedelta(minutes=index)))
    with open_history(home=tmp_path) as history:
        assert history.prune(2) == 3
        assert [r.id for r in history.runs()] == ["r-4", "r-3"]
        assert history.prune(2) == 0
        assert history.prune(0, vacuum=True) == 2
        assert history.runs() == []
        with pytest.raises(ValueError, match="0 or more"):
            history.prune(-1)
    conn = sqlite3.connect(database_path(home=tmp_path))
    assert conn.execute("SELECT count(*) FROM steps").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM logs").fetchone() == (0,)
    conn.close()


def test_a_version_1_history_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    old = connect(path, target=1)  # the schema as the first release wrote it
    assert schema_version(old) == 1
    old.execute(
        "INSERT INTO runs (id, pipeline, params, trigger, state, started, finished, duration) "
        "VALUES ('old-1', 'demo', '{\"n\": 1}', 'manual', 'succeeded', "
        "'2026-03-01T10:00:00.250000+02:00', '2026-03-01T10:00:05+02:00', 5.0)"
    )
    old.execute(
        "INSERT INTO runs (id, pipeline, trigger, state, started) "
        "VALUES ('old-2', 'demo', 'ci', 'failed', '2026-03-01T09:30:00+00:00')"
    )
    old.execute(
        "INSERT INTO steps (run_id, step, state, attempts, duration) "
        "VALUES ('old-1', 'load', 'done', 1, 0.5)"
    )
    old.execute(
        "INSERT INTO logs (run_id, step, stream, line, time, text) "
        "VALUES ('old-1', 'load', 'stdout', 1, 0, 'hello')"
    )
    old.close()

    with open_history(home=tmp_path) as history:  # opening upgrades it
        # Sorted by the instant, not the text: 10:00+02:00 is before 09:30+00:00.
        assert [r.id for r in history.runs()] == ["old-2", "old-1"]
        run = history.run("old-1")
        assert run.params == {"n": 1}
        assert [(s.step, s.state) for s in run.steps] == [("load", "done")]
        assert [x.text for x in history.logs("old-1")] == ["hello"]
    conn = sqlite3.connect(path)
    assert schema_version(conn) == SCHEMA_VERSION == 6
    # Version 3 remembers each run's recording process; old runs have none and stay as they are.
    assert conn.execute("SELECT owner FROM runs WHERE id = 'old-1'").fetchone() == (None,)
    started_at = conn.execute("SELECT started_at FROM runs WHERE id = 'old-1'").fetchone()[0]
    assert started_at == pytest.approx(
        datetime(2026, 3, 1, 8, 0, 0, 250000, tzinfo=timezone.utc).timestamp(), abs=1e-3
    )
    indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"runs_started", "runs_pipeline", "logs_run_step"} <= indexes
    conn.close()

    # And the upgraded file records new runs.
    record(Recorder(home=tmp_path), run_events("new-1", started=T0 + timedelta(days=1)))
    with open_history(home=tmp_path) as history:
        assert history.runs()[0].id == "new-1"
    conn = sqlite3.connect(path)
    owner = conn.execute("SELECT owner FROM runs WHERE id = 'new-1'").fetchone()[0]
    conn.close()
    assert owner.split(" ")[1] == str(os.getpid())


def test_a_version_3_history_is_upgraded_to_keep_the_error_of_each_attempt(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.db"
    old = connect(path, target=3)  # before each attempt's error was kept
    old.execute(
        "INSERT INTO runs (id, pipeline, trigger, state, started, started_at) "
        "VALUES ('old-1', 'demo', 'manual', 'failed', '2026-03-01T10:00:00+00:00', 0)"
    )
    old.execute(
        "INSERT INTO steps (run_id, step, state, attempts, error) "
        "VALUES ('old-1', 'report', 'failed', 2, 'ValueError: bad values')"
    )
    old.close()
    with open_history(home=tmp_path) as history:  # opening upgrades it
        (step,) = history.run("old-1").steps
        assert (step.attempts, step.error, step.failed_attempts) == (
            2,
            "ValueError: bad values",
            (),  # not recorded then
        )
    conn = sqlite3.connect(path)
    assert schema_version(conn) == SCHEMA_VERSION == 6
    conn.close()

    # The upgraded file keeps the error of each attempt that was retried.
    record(Recorder(home=tmp_path), run_events("new-1", fail=True))
    with open_history(home=tmp_path) as history:
        steps = {step.step: step for step in history.run("new-1").steps}
        assert [(a.attempt, a.error) for a in steps["report"].failed_attempts] == [
            (1, "ConnectionError: timed out")
        ]
        assert steps["load"].failed_attempts == ()
        assert history.prune(0) == 2
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM attempts").fetchone() == (0,)  # pruned too
    conn.close()


def test_a_history_from_a_newer_pipeflow_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    connect(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(HistoryError, match="newer pipeflow"):
        open_history(home=tmp_path)


def test_pipeflow_home_wins_over_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPEFLOW_HOME", str(tmp_path / "home"))
    assert database_path(tmp_path / "project") == tmp_path / "home" / "runs.db"
    assert database_path(tmp_path, home=tmp_path / "x") == tmp_path / "x" / "runs.db"
    record(Recorder(tmp_path / "project"), run_events(RUN))
    assert (tmp_path / "home" / "runs.db").exists()
    assert not (tmp_path / "project").exists()


def test_a_bad_trigger_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="manual, schedule, ci"):
        Recorder(tmp_path, trigger="cron")


def test_prune_never_deletes_a_run_still_going(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path)
    record(recorder, run_events("done-1", started=T0))
    going = list(run_events("going", started=T0 - timedelta(days=1)))  # oldest, yet running
    record(recorder, going[:3])
    assert recorder.flush(10)
    with open_history(home=tmp_path) as history:
        assert history.prune(0) == 1
        assert [(r.id, r.state) for r in history.runs()] == [("going", "running")]
    record(recorder, going[3:])  # and it goes on being recorded
    with open_history(home=tmp_path) as history:
        assert history.run("going").state == "succeeded"
        assert len(history.logs("going")) == 4


def test_prune_by_age(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path)
    now = datetime.now(timezone.utc)
    for index, age in enumerate([timedelta(days=40), timedelta(days=10), timedelta(hours=1)]):
        record(recorder, run_events(f"r-{index}", started=now - age))
    with open_history(home=tmp_path) as history:
        assert history.prune(older_than=timedelta(days=30)) == 1
        assert [r.id for r in history.runs()] == ["r-2", "r-1"]
        # Both limits: the newest N are kept, and so is anything younger than the age.
        assert history.prune(0, older_than=timedelta(days=1)) == 1
        assert [r.id for r in history.runs()] == ["r-2"]
        with pytest.raises(ValueError, match="keep or older_than"):
            history.prune()


def test_each_step_row_keeps_its_own_locations(tmp_path: Path) -> None:
    # The recorder encodes a row's locations only when they differ from the row before (most
    # steps of a run share its journal): each row must still hold its own.
    wanted = [("j.log",), ("j.log",), ("b/x.json", "b/y.json"), (), ("j.log",), ("j.log",)]
    names = [f"s{index}" for index in range(len(wanted))]
    plan = tuple(Decision(name, Action.CACHED, "up to date") for name in names)
    outcomes = tuple(
        StepOutcome(name, StepState.CACHED, "up to date", locations=locations)
        for name, locations in zip(names, wanted, strict=True)
    )
    recorder = Recorder(home=tmp_path)
    recorder(RunStarted(RUN, "demo", T0, {}, plan))
    for outcome in outcomes:
        recorder(StepFinished(RUN, outcome))
    recorder(RunFinished(RUN, "demo", True, 1.0, outcomes))
    with open_history(home=tmp_path) as history:
        assert [step.locations for step in history.run(RUN).steps] == wanted


def test_a_version_4_history_is_upgraded_to_keep_why_each_step_ran(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    old = connect(path, target=4)  # before why a failed step ran was kept
    old.execute(
        "INSERT INTO runs (id, pipeline, trigger, state, started, started_at) "
        "VALUES ('old-1', 'demo', 'manual', 'failed', '2026-03-01T10:00:00+00:00', 0)"
    )
    old.execute(
        "INSERT INTO steps (run_id, step, state, reason, attempts, error) "
        "VALUES ('old-1', 'report', 'failed', 'raised an error', 1, 'ValueError: bad')"
    )
    old.close()
    with open_history(home=tmp_path) as history:  # opening upgrades it
        (step,) = history.run("old-1").steps
        assert (step.reason, step.ran_because) == ("raised an error", "")  # not recorded then
    record(Recorder(home=tmp_path), run_events("new-1", fail=True))
    with open_history(home=tmp_path) as history:
        report = {step.step: step for step in history.run("new-1").steps}["report"]
        assert (report.reason, report.ran_because) == ("raised an error", "`load` runs first")


def test_a_version_5_history_is_upgraded_to_keep_the_schedule_of_each_run(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.db"
    old = connect(path, target=5)  # before the schedule that fired a run was kept
    old.execute(
        "INSERT INTO runs (id, pipeline, trigger, state, started, started_at) "
        "VALUES ('old-1', 'demo', 'schedule', 'succeeded', '2026-03-01T10:00:00+00:00', 0)"
    )
    old.close()
    with open_history(home=tmp_path) as history:  # opening upgrades it
        assert history.run("old-1").schedule is None  # not recorded then
    conn = sqlite3.connect(path)
    assert schema_version(conn) == SCHEMA_VERSION == 6
    conn.close()
    record(Recorder(home=tmp_path, schedule="1 (every 1h)"), run_events("new-1"))
    with open_history(home=tmp_path) as history:
        assert history.run("new-1").schedule == "1 (every 1h)"
