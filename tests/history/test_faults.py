"""History under stress: concurrent runs, a locked database, damaged and foreign files, folders
that cannot be written, and real runs. None of it may fail a run."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from pipeflow.history import HistoryError, HistoryWarning, Recorder, open_history
from pipeflow.model.events import RunFinished, StepOutput
from tests.conftest import ProjectFactory
from tests.history.synthetic import db_path, hold_lock, record, record_in_process, run_events

RUN = "20260301-120000-a1b2c3"
SPAWN = multiprocessing.get_context("spawn")  # no fork of a process that runs threads


def recorded_with_warnings(recorder: Recorder, run_id: str = RUN) -> list[str]:
    """Record a synthetic run; the HistoryWarnings it gave (and no exception)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record(recorder, run_events(run_id, lines=20))
    assert all(issubclass(w.category, HistoryWarning) for w in caught), [
        str(w.message) for w in caught
    ]
    return [str(w.message) for w in caught]


@pytest.mark.slow
def test_twenty_processes_recording_at_once_all_end_up_in_the_history(tmp_path: Path) -> None:
    go = SPAWN.Event()
    workers = [
        SPAWN.Process(target=record_in_process, args=(str(tmp_path), index, go))
        for index in range(20)
    ]
    for worker in workers:
        worker.start()
    go.set()  # all at once, on a database none of them has created yet
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0] * 20
    with open_history(home=tmp_path) as history:
        runs = history.runs()
        assert len(runs) == 20
        assert {r.state for r in runs} == {"succeeded"}
        assert {r.trigger for r in runs} == {"ci"}
        for run in runs:
            assert len(history.run(run.id).steps) == 3
            assert len(history.logs(run.id)) == 50 + 2
    mode = sqlite3.connect(db_path(tmp_path)).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


@pytest.mark.slow
def test_a_locked_database_makes_the_recorder_wait_not_fail(tmp_path: Path) -> None:
    open_history(home=tmp_path).close()  # nothing yet: reading creates nothing
    record(Recorder(home=tmp_path), run_events("first"))  # the database exists
    locked = SPAWN.Event()
    holder = SPAWN.Process(target=hold_lock, args=(str(db_path(tmp_path)), 2.0, locked))
    holder.start()
    try:
        assert locked.wait(30)
        events = list(run_events(RUN, lines=200))
        *during, finished = events
        recorder = Recorder(home=tmp_path)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no HistoryWarning
            started = time.monotonic()
            record(recorder, during)
            assert time.monotonic() - started < 1.0  # the run itself is not held up
            recorder(finished)  # the end of the run waits for the lock
            waited = time.monotonic() - started
    finally:
        holder.join(30)
    assert holder.exitcode == 0
    assert waited > 1.0
    with open_history(home=tmp_path) as history:
        assert history.run(RUN).state == "succeeded"
        assert len(history.logs(RUN)) == 200 + 2


@pytest.mark.slow
def test_a_database_locked_beyond_the_timeout_gives_one_warning(tmp_path: Path) -> None:
    record(Recorder(home=tmp_path), run_events("first"))
    locked = SPAWN.Event()
    holder = SPAWN.Process(target=hold_lock, args=(str(db_path(tmp_path)), 2.0, locked))
    holder.start()
    try:
        assert locked.wait(30)
        recorder = Recorder(home=tmp_path, timeout=0.2, flush_interval=0.05)
        messages = recorded_with_warnings(recorder)
    finally:
        holder.join(30)
    assert len(messages) == 1
    assert "database is locked" in messages[0]
    assert f"could not record run {RUN}" in messages[0]
    assert "the run continues" in messages[0]
    assert recorder.last_error is not None
    # The next run records normally again.
    assert recorded_with_warnings(Recorder(home=tmp_path), "next") == []


def test_a_corrupt_database_gives_one_warning_and_is_left_untouched(tmp_path: Path) -> None:
    garbage = os.urandom(64 * 1024)
    db_path(tmp_path).write_bytes(garbage)
    messages = recorded_with_warnings(Recorder(home=tmp_path))
    assert len(messages) == 1
    assert "file is not a database" in messages[0]
    assert str(db_path(tmp_path)) in messages[0]
    assert "the run continues" in messages[0]
    assert db_path(tmp_path).read_bytes() == garbage
    with pytest.raises(HistoryError, match="file is not a database"):
        open_history(home=tmp_path)


def test_another_applications_database_gives_one_warning(tmp_path: Path) -> None:
    conn = sqlite3.connect(db_path(tmp_path))
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (9.5)")
    conn.commit()
    conn.close()
    messages = recorded_with_warnings(Recorder(home=tmp_path))
    assert len(messages) == 1
    assert "is not a pipeflow history" in messages[0]
    assert "invoices" in messages[0]
    conn = sqlite3.connect(db_path(tmp_path))
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
    assert tables == ["invoices"]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    conn.close()
    with pytest.raises(HistoryError, match="not a pipeflow history"):
        open_history(home=tmp_path)


def test_a_foreign_meta_table_is_not_mistaken_for_ours(tmp_path: Path) -> None:
    conn = sqlite3.connect(db_path(tmp_path))
    conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('application', 'other')")
    conn.commit()
    conn.close()
    assert len(recorded_with_warnings(Recorder(home=tmp_path))) == 1


def test_a_folder_that_cannot_be_created_gives_one_warning(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the history folder should be")
    messages = recorded_with_warnings(Recorder(home=blocker / "history"))
    assert len(messages) == 1
    assert "the run continues" in messages[0]


def test_a_broken_recorder_never_fails_the_run(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path)
    events = list(run_events(RUN))
    recorder(events[0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        recorder(StepOutput(RUN, "load", "stdout", None))  # type: ignore[arg-type]
        record(recorder, events[1:])
    assert len(caught) == 1
    assert issubclass(caught[0].category, HistoryWarning)
    assert isinstance(events[-1], RunFinished)


STEPS = """
import logging

def numbers(count: int) -> list:
    print("making", count)
    logging.getLogger("steps").info("made %d numbers", count)
    return list(range(count))

def total(values: list) -> int:
    print("summing")
    return sum(values)
"""

CONFIG = """
name: demo
params: {count: 3}
results: {root: out}
executor: {type: EXECUTOR}
steps:
  numbers: {run: mysteps.numbers, inputs: {count: "${params.count}"}, result: {target: n.json}}
  total: {run: mysteps.total, inputs: {values: "${steps.numbers}"}, result: {target: t.json}}
"""


@pytest.mark.parametrize("executor", ["sequential", "threads"])
def test_a_real_run_is_recorded(make_project: ProjectFactory, executor: str) -> None:
    from pipeflow.api import load

    config = make_project(CONFIG.replace("EXECUTOR", executor), mysteps=STEPS)
    recorder = Recorder(config.parent, config_path=config, config_hash="h")
    try:
        run = load(config).run(subscribers=[recorder])
    finally:
        recorder.close()
    assert run.ok
    with open_history(config.parent) as history:
        [listed] = history.runs(config=config)
        assert listed.id == run.id
        assert (listed.state, listed.done) == ("succeeded", 2)
        recorded = history.run(run.id)
        assert [(s.step, s.state) for s in recorded.steps] == [
            ("numbers", "done"),
            ("total", "done"),
        ]
        assert recorded.steps[0].locations
        texts = [(x.step, x.stream, x.text) for x in history.logs(run.id)]
        assert ("numbers", "stdout", "making 3") in texts
        assert ("numbers", "log", "made 3 numbers") in texts
        assert ("total", "stdout", "summing") in texts


@pytest.mark.parametrize("executor", ["sequential", "threads"])
def test_a_real_run_with_a_corrupt_history_succeeds_with_one_warning(
    make_project: ProjectFactory, executor: str
) -> None:
    from pipeflow.api import load

    config = make_project(CONFIG.replace("EXECUTOR", executor), mysteps=STEPS)
    (config.parent / ".pipeflow").mkdir()
    (config.parent / ".pipeflow" / "runs.db").write_bytes(b"\x00garbage" * 1000)
    pipeline = load(config)
    with pytest.warns(HistoryWarning, match="the run continues") as caught:
        run = pipeline.run()  # every run records itself beside its config
    assert run.ok
    assert len([w for w in caught if issubclass(w.category, HistoryWarning)]) == 1


_HALF_A_RUN = """
import sys, time
from pipeflow.history import Recorder
from tests.history.synthetic import run_events
recorder = Recorder(home=sys.argv[1], flush_interval=0.05)
for event in list(run_events("20260301-120000-dead01"))[:4]:  # started, `load` printing
    recorder(event)
assert recorder.flush(10)
print("recorded", flush=True)
time.sleep(600)
"""


def _half_a_run(home: Path) -> subprocess.Popen[str]:
    """A process that recorded a run as running in `home`'s history, and waits."""
    process = subprocess.Popen(
        [sys.executable, "-c", _HALF_A_RUN, str(home)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "recorded"
    except BaseException:
        process.kill()
        process.communicate(timeout=10)
        raise
    return process


def test_a_run_whose_process_was_killed_reads_as_lost_not_running(tmp_path: Path) -> None:
    """A SIGKILLed run cannot mark itself finished: readers see its process is gone."""
    process = _half_a_run(tmp_path)
    try:
        with open_history(home=tmp_path) as history:
            assert history.run("20260301-120000-dead01").state == "running"  # still alive
        process.kill()
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
    with open_history(home=tmp_path) as history:
        run = history.run("20260301-120000-dead01")
        assert run.state == "lost"
        assert {s.step: s.state for s in run.steps} == {
            "load": "failed",  # it was running when its process died
            "train": "not run",
            "report": "not run",
        }
        load = run.steps[0]
        assert "the run's process ended" in (load.error or "")
        # Not run because the run died, as an interrupted run's steps say why they did not
        # run; before, they kept the reason they were planned to run for.
        assert {s.step: s.reason for s in run.steps[1:]} == {
            "train": "the run's process ended before this step started",
            "report": "the run's process ended before this step started",
        }
        assert [r.id for r in history.runs(state="lost")] == ["20260301-120000-dead01"]
        assert history.runs(state="running") == []
        started = time.monotonic()
        lines = [line.text for line in history.follow("20260301-120000-dead01")]
        assert lines == ["loading 0", "loading 1"]  # what it printed, then no waiting
        assert time.monotonic() - started < 5
    result = CliRunner().invoke(cli, ["runs", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "lost" in result.output


def damaged_histories(folder: Path) -> Iterator[Path]:
    """A history file of random bytes, then one cut in half (a disk that filled up)."""
    path = db_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(64 * 1024))
    yield path
    path.unlink()
    record(Recorder(home=folder), run_events("20260301-120000-aaaaaa"))
    with open_history(home=folder):
        pass
    whole = path.read_bytes()
    for extra in (path.with_name("runs.db-wal"), path.with_name("runs.db-shm")):
        extra.unlink(missing_ok=True)
    path.write_bytes(whole[: len(whole) // 2])
    yield path


def test_a_damaged_history_says_what_to_do_on_every_command(tmp_path: Path) -> None:
    for path in damaged_histories(tmp_path):
        for command in (["runs"], ["runs", "show"], ["logs"], ["logs", "--follow"]):
            result = CliRunner().invoke(cli, [*command, "--home", str(tmp_path)])
            assert result.exit_code == 1, (command, result.output)
            assert str(path) in result.output
            assert "move it away (or point PIPEFLOW_HOME elsewhere)" in result.output
            assert "Traceback" not in result.output
        messages = recorded_with_warnings(Recorder(home=tmp_path))
        assert len(messages) == 1
        assert "move it away (or point PIPEFLOW_HOME elsewhere)" in messages[0]
        assert "the run continues" in messages[0]


def test_a_killed_run_its_parent_has_not_reaped_yet_reads_as_lost(tmp_path: Path) -> None:
    """A process killed while its parent does not wait for it (a container whose first
    process does not reap, a script that started the run and went on) stays a zombie: it
    records nothing more, so `runs` says `lost` and `logs --follow` ends, not waits forever."""
    process = _half_a_run(tmp_path)
    try:
        os.kill(process.pid, signal.SIGKILL)  # and no wait(): a zombie until reaped below
        deadline = time.monotonic() + 30
        while _state_of(process.pid) != "Z":
            assert time.monotonic() < deadline, "the killed process did not become a zombie"
            time.sleep(0.05)
        runs = CliRunner().invoke(cli, ["runs", "--home", str(tmp_path)])
        assert runs.exit_code == 0, runs.output
        assert re.search(r"20260301-120000-dead01\s+demo\s+lost", runs.output), runs.output
        follow = subprocess.run(
            [sys.executable, "-m", "pipeflow", "logs", "--follow", "--home", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert follow.returncode == 0, follow.stderr
        assert follow.stdout.splitlines() == ["load | loading 0", "load | loading 1"]
        assert (
            "run 20260301-120000-dead01 is lost: its process ended before the run did"
            in follow.stderr
        )
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def _state_of(pid: int) -> str:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]
