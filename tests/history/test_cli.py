"""`pipeflow runs`, `runs show`, `runs prune` and `logs` through click's CliRunner."""

from __future__ import annotations

import platform
import re
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from pipeflow.history import RUN_STATES, Recorder, open_history
from pipeflow.history.skipped import record_failed_fire, record_skipped_fire
from pipeflow.model.events import RunFinished
from tests.history.synthetic import T0, record, run_events

OK = "20260301-120000-aaaaaa"
BAD = "20260301-130000-bbbbbb"


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A history with two runs of `demo` (one failed) and one of `iris`."""
    recorder = Recorder(home=tmp_path, config_path=tmp_path / "pipeline.yaml")
    record(recorder, run_events(OK, params={"count": 3, "api_key": "***"}))
    record(recorder, run_events(BAD, started=T0 + timedelta(hours=1), fail=True))
    iris = Recorder(home=tmp_path, trigger="ci")
    record(
        iris, run_events("20260301-110000-cccccc", pipeline="iris", started=T0 - timedelta(hours=1))
    )
    return tmp_path


def test_runs_lists_newest_first(home: Path) -> None:
    code, output = invoke("runs", "--home", str(home))
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].split() == [
        "ID",
        "PIPELINE",
        "STATE",
        "TRIGGER",
        "STARTED",
        "DURATION",
        "DONE",
        "CACHED",
        "FAILED",
        "NOT",
        "RUN",
    ]
    assert lines[1].split() == [
        BAD,
        "demo",
        "failed",
        "manual",
        "2026-03-01T13:00:00+01:00",
        "1.50s",
        "1",
        "1",
        "1",
        "0",
    ]
    assert lines[2].split()[:4] == [OK, "demo", "succeeded", "manual"]
    assert lines[2].split()[-4:] == ["2", "1", "0", "0"]
    assert lines[3].split()[:4] == ["20260301-110000-cccccc", "iris", "succeeded", "ci"]


def test_runs_filters(home: Path) -> None:
    code, output = invoke("runs", "--home", str(home), "--pipeline", "demo", "--state", "failed")
    assert code == 0, output
    assert [line.split()[0] for line in output.splitlines()[1:]] == [BAD]
    code, output = invoke("runs", "--last", "1", "--home", str(home))
    assert [line.split()[0] for line in output.splitlines()[1:]] == [BAD]
    code, output = invoke("runs", "--home", str(home), "--pipeline", "nope")
    assert code == 0
    assert "no run of pipeline `nope` is recorded in" in output
    code, output = invoke("runs", "--home", str(home), "--state", "sleeping")
    assert code == 2
    assert "sleeping" in output


def test_every_state_the_listing_shows_is_a_state_to_filter_by(home: Path) -> None:
    # An overlapping fire of `pipeflow serve` is recorded as a `skipped` run, as serve does it.
    skipped = record_skipped_fire(
        None, pipeline="demo", when=T0 + timedelta(hours=2), reason="overlap", home=home
    )
    code, output = invoke("runs", "--home", str(home))
    assert code == 0, output
    assert re.search(rf"^{skipped}\s+demo\s+skipped\s+schedule", output, re.MULTILINE)
    code, output = invoke("runs", "--home", str(home), "--state", "skipped")
    assert code == 0, output
    assert [line.split()[0] for line in output.splitlines()[1:]] == [skipped]
    for state in RUN_STATES:  # every state a run is recorded in
        code, output = invoke("runs", "--home", str(home), "--state", state)
        assert code == 0, output


def test_runs_of_a_config_use_its_folder(tmp_path: Path) -> None:
    config = tmp_path / "pipeline.yaml"
    config.write_text("name: demo\n")
    other = tmp_path / "other.yaml"
    other.write_text("name: other\n")
    record(Recorder(tmp_path, config_path=config), run_events(OK))
    record(Recorder(tmp_path, config_path=other), run_events(BAD, pipeline="other"))
    code, output = invoke("runs", str(config))
    assert code == 0, output
    assert [line.split()[0] for line in output.splitlines()[1:]] == [OK]
    code, output = invoke("runs", str(tmp_path))  # a folder: every run recorded there
    assert [line.split()[0] for line in output.splitlines()[1:]] == [BAD, OK]
    code, output = invoke("runs", str(config), "show", OK[:-2])  # CONFIG then a subcommand
    assert code == 0, output
    assert f"run       {OK}" in output
    code, output = invoke("runs", str(tmp_path / "missing.yaml"))
    assert code == 2
    assert "no such config or folder" in output


def test_runs_of_a_config_with_none_say_so_not_that_the_history_is_empty(
    tmp_path: Path,
) -> None:
    config = tmp_path / "pipeline.yaml"
    config.write_text("name: demo\n")
    other = tmp_path / "other.yaml"
    other.write_text("name: other\n")
    record(Recorder(tmp_path, config_path=other), run_events(BAD, pipeline="other"))
    database = tmp_path / ".pipeflow" / "runs.db"
    code, output = invoke("runs", str(config))
    assert code == 0, output
    assert output == (
        f"no run of {config} is recorded in {database}; it holds runs of other configs "
        f"(`pipeflow runs {tmp_path}` lists them)\n"
    )
    code, output = invoke("runs", str(config), "--state", "failed", "--pipeline", "demo")
    assert output.startswith(
        f"no run of pipeline `demo` of {config} in state `failed` is recorded in {database}"
    )
    record(Recorder(tmp_path, config_path=config), run_events(OK))  # succeeded
    code, output = invoke("runs", str(config), "--state", "failed")
    assert output == f"no run of {config} in state `failed` is recorded in {database}\n"


def test_runs_of_a_config_show_takes_the_latest_run_of_that_config(tmp_path: Path) -> None:
    config = tmp_path / "pipeline.yaml"
    config.write_text("name: demo\n")
    other = tmp_path / "other.yaml"
    other.write_text("name: other\n")
    record(Recorder(tmp_path, config_path=config), run_events(OK))
    later = T0 + timedelta(hours=1)
    record(Recorder(tmp_path, config_path=other), run_events(BAD, pipeline="other", started=later))
    code, output = invoke("runs", str(config), "show")
    assert code == 0, output
    assert f"run       {OK}" in output  # not BAD, the latest run of another config
    code, output = invoke("runs", str(other), "show", "latest")
    assert f"run       {BAD}" in output
    code, output = invoke("runs", str(tmp_path), "show")  # a folder: every run there
    assert f"run       {BAD}" in output
    code, output = invoke("runs", str(config), "show", BAD[:-2])  # an id is taken as given
    assert f"run       {BAD}" in output
    third = tmp_path / "third.yaml"
    third.write_text("name: third\n")
    code, output = invoke("runs", str(third), "show")
    assert code == 2, output
    assert f"no run of {third} is recorded in {tmp_path / '.pipeflow' / 'runs.db'}" in output


def test_the_database_is_found_by_option_then_environment_then_here(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = invoke("runs", env={"PIPEFLOW_HOME": str(home)})
    assert code == 0, output
    assert OK in output
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    code, output = invoke("runs")
    assert code == 0, output
    assert f"no runs recorded in {here / '.pipeflow' / 'runs.db'}" in output
    assert not (here / ".pipeflow").exists()  # reading creates nothing
    record(Recorder(), run_events(OK))  # the current folder
    code, output = invoke("runs")
    assert OK in output
    code, output = invoke("runs", "--home", str(here / "empty"), env={"PIPEFLOW_HOME": str(home)})
    assert "no runs recorded in" in output  # --home wins over $PIPEFLOW_HOME


def test_runs_show(home: Path) -> None:
    code, output = invoke("runs", "show", BAD, "--home", str(home))
    assert code == 0, output
    assert f"run       {BAD}" in output
    assert "state     failed" in output
    assert "started   2026-03-01T13:00:00+01:00" in output
    assert "duration  1.50s" in output
    assert re.search(r"load\s+done\s+0\.50s\s+1 attempt\s+no stored result", output)
    assert re.search(r"train\s+cached\s+-\s+cache hit\s+up to date", output)
    assert re.search(r"report\s+failed\s+0\.25s\s+2 attempts\s+raised an error", output)
    assert "stored out/load.json" in output
    assert "error: ValueError: bad values" in output
    assert "Traceback" not in output
    code, output = invoke("runs", "--home", str(home), "show", BAD, "--traceback")
    assert "Traceback (most recent call last)" in output
    code, output = invoke("runs", "show", OK[:-1], "--home", str(home))
    assert "params" in output
    assert '  api_key: "***"' in output
    assert "  count: 3" in output


def test_runs_show_unknown_and_ambiguous(home: Path) -> None:
    code, output = invoke("runs", "show", "20260301-120000-aaaaab", "--home", str(home))
    assert code == 2
    assert "no run `20260301-120000-aaaaab`" in output
    assert f"did you mean `{OK}`?" in output
    code, output = invoke("runs", "show", "2026", "--home", str(home))
    assert code == 2
    assert "matches several runs" in output


def test_logs(home: Path) -> None:
    code, output = invoke("logs", OK, "--home", str(home))
    assert code == 0, output
    assert output.splitlines() == [
        "load | loading 0",
        "load | loading 1",
        "load | INFO-level progress",
        "report | flaky network",
    ]
    code, output = invoke("logs", OK, "--step", "report", "--home", str(home))
    assert output.splitlines() == ["report | flaky network"]
    code, output = invoke("logs", OK, "--step", "reprot", "--home", str(home))
    assert code == 2
    assert "did you mean `report`?" in output
    code, output = invoke("logs", "nope", "--home", str(home))
    assert code == 2


def test_logs_of_a_step_or_run_that_printed_nothing_says_so(home: Path) -> None:
    result = CliRunner().invoke(cli, ["logs", OK, "--step", "train", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # nothing to pipe on
    assert result.stderr == f"run {OK}: step `train` printed or logged nothing\n"


def test_logs_follow_a_run_until_it_finishes(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path, flush_interval=0.05)
    events = list(run_events(OK, lines=5))
    recorder(events[0])
    assert recorder.flush(10)  # the run exists before `logs --follow` starts

    def feed() -> None:
        for event in events[1:]:
            time.sleep(0.05)
            recorder(event)

    feeder = threading.Thread(target=feed)
    started = time.monotonic()
    feeder.start()
    try:
        code, output = invoke("logs", OK, "--follow", "--home", str(tmp_path))
    finally:
        feeder.join(30)
    assert code == 0, output
    assert output.splitlines() == [
        *(f"load | loading {index}" for index in range(5)),
        "load | INFO-level progress",
        "report | flaky network",
    ]
    assert time.monotonic() - started >= 0.05 * (len(events) - 1)  # it did wait for the end
    with open_history(home=tmp_path) as history:
        assert history.run(OK).state == "succeeded"
    code, output = invoke("logs", OK, "-f", "--home", str(tmp_path))  # finished: prints, ends
    assert code == 0
    assert len(output.splitlines()) == 7


def test_runs_prune(home: Path) -> None:
    code, output = invoke("runs", "prune", "--keep", "1", "--home", str(home))
    assert code == 0, output
    assert "deleted 2 runs" in output
    assert "kept the newest 1" in output
    code, output = invoke("runs", "--home", str(home))
    assert [line.split()[0] for line in output.splitlines()[1:]] == [BAD]
    code, output = invoke("runs", "prune", "--home", str(home))
    assert code == 2
    assert "--keep" in output


def test_runs_help_shows_config_and_subcommands() -> None:
    code, output = invoke("runs", "--help")
    assert code == 0
    assert "Usage: cli runs [OPTIONS] [CONFIG] [COMMAND [ARGS]...]" in output
    assert "show" in output
    assert "prune" in output
    assert "PIPEFLOW_HOME" in output


def test_runs_prune_older_than(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path)
    now = datetime.now(timezone.utc)
    record(recorder, run_events("old", started=now - timedelta(days=45)))
    record(recorder, run_events("new", started=now - timedelta(minutes=5)))
    code, output = invoke("runs", "prune", "--older-than", "30d", "--home", str(tmp_path))
    assert code == 0, output
    assert "deleted 1 run" in output
    assert "older than 30d" in output
    code, output = invoke("runs", "--home", str(tmp_path))
    assert "new" in output
    assert "old " not in output
    code, output = invoke("runs", "prune", "--home", str(tmp_path))
    assert code == 2
    assert "--keep" in output
    assert "--older-than" in output
    code, output = invoke("runs", "prune", "--older-than", "soon", "--home", str(tmp_path))
    assert code == 2
    assert "soon" in output
    for age in ("99999999999d", "999999999999999999h"):  # longer than a timedelta holds
        code, output = invoke("runs", "prune", "--older-than", age, "--home", str(tmp_path))
        assert code == 2, output
        assert f"--older-than: `{age}` is too long an age" in output
        assert "nothing was deleted" in output


def test_logs_of_a_run_whose_steps_printed_nothing_says_so(tmp_path: Path) -> None:
    (tmp_path / "quietsteps.py").write_text("def one():\n    return 1\n")
    config = tmp_path / "pipeline.yaml"
    config.write_text("name: quiet\nsteps:\n  one: {run: quietsteps.one}\n")
    home = tmp_path / "home"
    code, output = invoke("run", str(config), "-q", env={"PIPEFLOW_HOME": str(home)})
    assert code == 0, output
    with open_history(home=home) as history:
        (record,) = history.runs()
    result = CliRunner().invoke(cli, ["logs", record.id, "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"run {record.id}: no step printed or logged anything\n"


@pytest.mark.parametrize("follow", [["-f"], []])
def test_logs_of_a_fire_that_started_no_run_say_why(tmp_path: Path, follow: list[str]) -> None:
    """A fire `serve` skipped, or whose run could not start, ran no step: `logs` says that,
    not that its steps printed nothing, nor that `runs show` says which step failed."""
    skipped = record_skipped_fire(
        tmp_path,
        pipeline="demo",
        when=T0,
        reason="the previous run of this schedule is still going",
    )
    refused = record_failed_fire(
        tmp_path, pipeline="demo", when=T0, reason="pipeline.yaml:3:5: error: ..."
    )
    assert skipped is not None
    assert refused is not None
    home = str(tmp_path / ".pipeflow")
    result = CliRunner().invoke(cli, ["logs", skipped, *follow, "--home", home])
    assert result.exit_code == 0, result.output
    assert (result.stdout, result.stderr) == (
        "",
        f"run {skipped} ran no step: `pipeflow serve` skipped this fire (the previous run of "
        "this schedule is still going)\n",
    )
    result = CliRunner().invoke(cli, ["logs", refused, *follow, "--home", home])
    assert result.exit_code == 0, result.output
    assert (result.stdout, result.stderr) == (
        "",
        f"run {refused} ran no step: it could not start (`pipeflow runs show {refused}` "
        "says why)\n",
    )


@pytest.mark.parametrize("count", [2**63 - 1, 2**63, 10**30])
def test_counts_past_what_sqlite_holds_mean_every_run(home: Path, count: int) -> None:
    """`--last N` and `--keep N` past SQLite's largest integer are all runs, not a traceback;
    so are the counts the Python API takes."""
    code, output = invoke("runs", "--last", str(count), "--home", str(home))
    assert code == 0, output
    assert len(output.splitlines()) == 4  # the header and the three runs
    code, output = invoke("runs", "prune", "--keep", str(count), "--home", str(home))
    assert code == 0, output
    assert output.startswith("deleted 0 runs from ")
    with open_history(home=home) as history:
        assert len(history.runs(last=count)) == 3
        assert history.runs(offset=count) == []
        assert history.logs(OK, skip=count) == []
        assert history.prune(count) == 0
        assert len(history.runs()) == 3


# Each call counts itself in a file, so a retry in another process counts on.
FLAKY_STEPS = """
from pathlib import Path

def flaky(counter: str, succeed_on: int, label: str) -> int:
    path = Path(counter)
    attempt = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(attempt))
    if attempt < succeed_on:
        raise RuntimeError(f"{label} fail {attempt}")
    return attempt
"""


@pytest.mark.parametrize(
    "executor", ["sequential", "threads", "processes", pytest.param("dask", marks=pytest.mark.slow)]
)
def test_runs_show_lists_each_attempt_with_its_error(tmp_path: Path, executor: str) -> None:
    (tmp_path / "flakysteps.py").write_text(FLAKY_STEPS)
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        f"""name: retrying
defaults: {{retry_delay: 0s}}
steps:
  flaky:
    run: flakysteps.flaky
    retries: 2
    inputs: {{counter: "{tmp_path / "flaky.count"}", succeed_on: 3, label: flaky}}
  broken:
    run: flakysteps.flaky
    retries: 1
    inputs: {{counter: "{tmp_path / "broken.count"}", succeed_on: 9, label: broken}}
"""
    )
    home = tmp_path / "home"
    arguments = ["run", str(config), "--executor", executor, "--workers", "1", "--keep-going"]
    code, output = invoke(*arguments, env={"PIPEFLOW_HOME": str(home)})
    assert code == 1, output
    with open_history(home=home) as history:
        (run,) = history.runs()
    code, output = invoke("runs", "show", run.id, "--home", str(home))
    assert code == 0, output
    lines = [line.strip() for line in output.splitlines()]
    # Succeeded on its third attempt: the two that failed, one line each.
    flaky = lines.index(next(line for line in lines if line.startswith("flaky ")))
    assert re.match(r"flaky\s+done\s+\S+\s+3 attempts", lines[flaky])
    assert lines[flaky + 1 : flaky + 3] == [
        "attempt 1 failed: RuntimeError: flaky fail 1",
        "attempt 2 failed: RuntimeError: flaky fail 2",
    ]
    # Failed twice: the first attempt's error, then the last one's, as before.
    broken = lines.index(next(line for line in lines if line.startswith("broken ")))
    assert re.match(r"broken\s+failed\s+\S+\s+2 attempts", lines[broken])
    assert lines[broken + 1 : broken + 4] == [
        "ran because: no stored result yet",  # as the plan said, beside how it failed
        "attempt 1 failed: RuntimeError: broken fail 1",
        "error: RuntimeError: broken fail 2",
    ]


@pytest.mark.parametrize("follow", [["--follow"], []])
@pytest.mark.parametrize("step", [[], ["--step", "report"], ["--step", "load"]])
def test_logs_say_how_a_run_that_did_not_succeed_ended(
    home: Path, follow: list[str], step: list[str]
) -> None:
    """The lines stop; what became of the run is said on stderr, with or without --follow,
    whichever step's lines are shown (a succeeded run ends silently)."""
    result = CliRunner().invoke(cli, ["logs", BAD, *follow, *step, "--home", str(home)])
    assert result.exit_code == 0, result.output
    said = f"run {BAD} failed (`pipeflow runs show {BAD}` says which step, and why)"
    assert said in result.stderr, result.stderr
    assert said not in result.stdout
    quiet = CliRunner().invoke(cli, ["logs", OK, *follow, *step, "--home", str(home)])
    assert quiet.exit_code == 0
    assert "succeeded" not in quiet.stderr
    assert f"run {OK}" not in quiet.stderr


def test_logs_of_a_run_still_going_say_so_and_how_to_follow_it(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path)
    run = "20260301-140000-dddddd"
    events = list(run_events(run))
    record(recorder, events[:4])  # started, `load` printing
    assert recorder.flush(10)
    try:
        result = CliRunner().invoke(cli, ["logs", run, "--home", str(tmp_path)])
        assert result.exit_code == 0, result.output
        assert "load | loading 0" in result.stdout
        assert result.stderr == (
            f"run {run} is still running; `pipeflow logs {run} --follow` prints its lines "
            "as they come\n"
        )
    finally:
        record(recorder, events[4:])


def test_logs_say_a_run_was_lost_without_follow(tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path)
    run = "20260301-140000-eeeeee"
    record(recorder, list(run_events(run))[:4])
    assert recorder.flush(10)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    gone = f"{platform.node()} {ended.pid}"
    conn = sqlite3.connect(tmp_path / "runs.db")
    with conn:  # its owner: a process of this host that has ended
        conn.execute("UPDATE runs SET owner = ? WHERE id = ?", (gone, run))
    conn.close()
    result = CliRunner().invoke(cli, ["logs", run, "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"run {run} is lost: its process ended before the run did" in result.stderr
    recorder.close()


@pytest.mark.parametrize("follow", [["-f"], []])
def test_logs_say_a_run_was_interrupted(tmp_path: Path, follow: list[str]) -> None:
    recorder = Recorder(home=tmp_path)
    run = "20260301-140000-cccccc"
    events = list(run_events(run))
    end = events[-1]
    assert isinstance(end, RunFinished)
    record(recorder, [*events[:-1], replace(end, ok=False, interrupted=True)])
    recorder.close()
    result = CliRunner().invoke(cli, ["logs", run, *follow, "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"run {run} was interrupted (Ctrl-C or SIGTERM); a new run resumes it" in result.stderr
