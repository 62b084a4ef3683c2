"""`pipeflow serve` as a user runs it: a real process, the real clock, signals."""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipeflow.history import open_history

STEPS = """
import time

def work(seconds: float) -> float:
    time.sleep(seconds)
    print("worked", seconds)
    return seconds
"""


def project(folder: Path, seconds: float, interval: str = "1s") -> Path:
    (folder / "servesteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: served
            params: {{seconds: {seconds}}}
            results: {{persist: false}}
            steps:
              work: {{run: servesteps.work, inputs: {{seconds: "${{params.seconds}}"}}}}
            schedules:
              - interval: {interval}
            """
        )
    )
    return config


def start(config: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "serve", str(config)],
        cwd=config.parent,
        env=None if env is None else {**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def read_until(process: subprocess.Popen[str], text: str) -> str:
    """What serve printed until a line with `text` (all it printed, should it end first)."""
    assert process.stdout is not None
    seen = ""
    while text not in seen:
        line = process.stdout.readline()
        assert line, seen
        seen += line
    return seen


def stop(process: subprocess.Popen[str], sig: signal.Signals = signal.SIGTERM) -> str:
    os.killpg(process.pid, sig)
    output, _ = process.communicate(timeout=60)
    return output


def test_serve_records_each_scheduled_run_and_stops_cleanly(tmp_path: Path) -> None:
    config = project(tmp_path, 0.1)
    process = start(config)
    time.sleep(5.5)
    output = stop(process)
    assert process.returncode == 0, output
    assert "firing" in output
    assert "received SIGTERM" in output
    assert output.rstrip().endswith("stopped")
    with open_history(tmp_path) as history:
        runs = history.runs(pipeline="served")
    # Each run is a process of its own, which takes a second or so to start on a busy
    # machine: a fire during it is skipped (and recorded so).
    done = [run for run in runs if run.state != "skipped"]
    assert 2 <= len(done) <= 7, output
    assert {run.trigger for run in runs} == {"schedule"}
    assert {run.state for run in done} == {"succeeded"}
    assert len({run.id for run in runs}) == len(runs)


def test_serve_names_the_run_each_fire_started(tmp_path: Path) -> None:
    """Each `run ... succeeded` / `run ... failed` line of serve's log names the run's id, so
    `pipeflow runs show ID` finds it among the runs of every pipeline it serves."""
    (tmp_path / "good").mkdir()
    good = project(tmp_path / "good", 0.1)
    bad_folder = tmp_path / "bad"
    bad_folder.mkdir()
    bad = project(bad_folder, 0.1)
    bad.write_text(bad.read_text().replace("served", "broken").replace("0.1", "-1"))
    (bad_folder / "servesteps.py").write_text("def work(seconds):\n    raise ValueError(seconds)\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "serve", str(good), str(bad)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    time.sleep(4.5)
    output = stop(process)
    assert process.returncode == 0, output
    said = {
        name: re.findall(rf"serve \| \S+ {name} schedule 1 \(every 1s\): run (\S+) (\w+)", output)
        for name in ("served", "broken")
    }
    for name, folder, state in (
        ("served", good.parent, "succeeded"),
        ("broken", bad_folder, "failed"),
    ):
        assert said[name], output
        with open_history(folder) as history:
            recorded = {run.id: run.state for run in history.runs(pipeline=name)}
        for run_id, outcome in said[name]:
            assert (outcome, recorded[run_id]) == (state, state), output


def test_an_overlapping_fire_is_recorded_as_skipped(tmp_path: Path) -> None:
    config = project(tmp_path, 1.6)
    process = start(config)
    time.sleep(4.0)
    output = stop(process)
    assert process.returncode == 0, output
    with open_history(tmp_path) as history:
        runs = history.runs(pipeline="served")
    states = [run.state for run in runs]
    assert "skipped" in states, output
    assert "succeeded" in states  # SIGTERM let the last run finish


def test_a_second_serve_refuses_and_a_killed_one_restarts_without_a_burst(
    tmp_path: Path,
) -> None:
    config = project(tmp_path, 0.1, interval="1h")
    first = start(config)
    time.sleep(2.0)
    second = subprocess.run(
        [sys.executable, "-m", "pipeflow", "serve", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert second.returncode == 2
    assert "already served" in second.stderr
    stop(first, signal.SIGKILL)
    restarted = start(config)  # the lock went with the killed process
    time.sleep(2.5)
    output = stop(restarted)
    assert restarted.returncode == 0, output
    with open_history(tmp_path) as history:
        runs = history.runs(pipeline="served")
    # One run at each start (an interval without `start` fires when serve starts), no burst.
    assert len(runs) == 2, output


HANG = """
import itertools
import os
import time
from pathlib import Path

def hang(marker: str) -> None:
    Path(marker + ".part").write_text(str(os.getpid()))  # renamed whole: never read empty
    os.replace(marker + ".part", marker)
    while True:  # a step that never ends by itself
        time.sleep(0.5)
"""


def hung_project(folder: Path) -> Path:
    (folder / "hangsteps.py").write_text(textwrap.dedent(HANG))
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: hung
            results: {{persist: false}}
            steps:
              hang: {{run: hangsteps.hang, inputs: {{marker: "{folder / "pid"}"}}}}
            schedules:
              - interval: 1h
            """
        )
    )
    return config


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (signal.SIGTERM, signal.SIGTERM),
        (signal.SIGINT, signal.SIGINT),
        (signal.SIGTERM, signal.SIGINT),
    ],
)
def test_a_second_signal_stops_a_hung_run_and_fails_its_step(
    tmp_path: Path, first: signal.Signals, second: signal.Signals
) -> None:
    config = hung_project(tmp_path)
    process = start(config)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "pid").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        step_pid = int((tmp_path / "pid").read_text())
        os.killpg(process.pid, first)
        time.sleep(1.5)
        assert process.poll() is None  # the first signal lets the run in progress finish
        os.killpg(process.pid, second)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 130, output
    assert "no new runs will start" in output
    assert "Traceback" not in output
    deadline = time.monotonic() + 10
    while alive(step_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(step_pid), "the hung step still runs"
    with open_history(tmp_path) as history:
        [run] = history.runs(pipeline="hung")
        assert run.state in ("failed", "interrupted"), run
        [step] = [s for s in history.run(run.id).steps if s.step == "hang"]
    assert step.state == "failed"


def test_no_run_starts_once_serve_said_none_would(tmp_path: Path) -> None:
    config = project(tmp_path, 0.05, interval="1s")
    for pause in (0.0, 0.5, 1.25):
        process = start(config)
        seen = read_until(process, "serving")  # its signal handlers are in place from here on
        time.sleep(pause)
        output = seen + stop(process)
        assert process.returncode == 0, output
        said = output.index("no new runs will start")
        assert "firing" not in output[said:], output


KINDS = """
def report(kind: str) -> str:
    print("report kind:", kind)
    return kind
"""


def test_two_schedules_that_fire_at_once_both_run(tmp_path: Path) -> None:
    (tmp_path / "kindsteps.py").write_text(textwrap.dedent(KINDS))
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            """
            name: kinds
            params: {kind: quick}
            results: {persist: false}
            steps:
              report: {run: kindsteps.report, inputs: {kind: "${params.kind}"}, cache: false}
            schedules:
              - interval: 2s
                start: "2026-01-01T00:00:00Z"
              - interval: 4s
                start: "2026-01-01T00:00:00Z"
                params: {kind: full}
            """
        )
    )
    process = start(config)
    time.sleep(8.5)  # fires together at least twice
    output = stop(process)
    assert process.returncode == 0, output
    with open_history(tmp_path) as history:
        runs = history.runs(pipeline="kinds")
    done = [run for run in runs if run.state != "skipped"]
    assert {run.state for run in done} == {"succeeded"}, output
    assert {run.params["kind"] for run in done} == {"quick", "full"}, output
    # A fire is skipped only for its own schedule's run, never for the other one's.
    for run in runs:
        if run.state == "skipped":
            assert run.params["skipped"] != "the previous run of this pipeline is still going"
    assert "report kind: full" in output


RATIO = """
name: ratios
params: {{ratio: 0.2}}
params_schema: {{properties: {{ratio: {{type: number, exclusiveMaximum: 1}}}}}}
results: {{persist: false}}
steps:
  show: {{run: kindsteps.report, inputs: {{kind: "${{params.ratio}}"}}, cache: false}}
schedules:
  - interval: 1h
  - interval: 1s
    params: {{ratio: {ratio}}}
"""


def test_a_fire_that_cannot_start_names_its_schedule_and_is_recorded(tmp_path: Path) -> None:
    (tmp_path / "kindsteps.py").write_text(textwrap.dedent(KINDS))
    config = tmp_path / "pipeline.yaml"
    config.write_text(RATIO.format(ratio=0.5))
    process = start(config)
    seen = read_until(process, "serving ratios schedule 2")
    # The config changes while serve runs: the schedule's params no longer fit the schema.
    config.write_text(RATIO.format(ratio=1.5))
    time.sleep(4.5)
    output = seen + stop(process)
    assert process.returncode == 0, output
    problem = "pipeline.yaml:11:21: error at `schedules[1].params.ratio`: param `ratio` = 1.5"
    assert problem in output, output
    assert "--param" not in output
    assert "ratios schedule 2 (every 1s): the run could not start" in output, output
    with open_history(tmp_path) as history:
        runs = history.runs(pipeline="ratios")
    failed = [run for run in runs if run.state == "failed"]
    assert failed, output
    reasons = set()
    for run in failed:
        assert run.trigger == "schedule"
        assert "the run could not start" in run.params["not started"]
        # Why, as the run said it: `pipeflow runs` shows it long after serve's log is gone.
        assert problem in run.params["not started"], run.params
        reasons.add(run.params["not started"].split(":")[0])
    # Any run reads the whole config: schedule 1's (if it fired after the change) fails too.
    assert "schedule 2 (every 1s)" in reasons
    assert reasons <= {"schedule 1 (every 1h)", "schedule 2 (every 1s)"}


SECRET_RATIO = """
name: secret
params: {{token: "${{env.SERVE_TOKEN}}"}}
params_schema: {{properties: {{token: {{maxLength: {most}}}}}}}
results: {{persist: false}}
steps:
  show: {{run: kindsteps.report, inputs: {{kind: "${{params.token}}"}}, cache: false}}
schedules:
  - interval: 1s
"""


def test_why_a_fire_could_not_start_is_recorded_without_its_secrets(tmp_path: Path) -> None:
    """The run's problems go to the history as it printed them: a value from the environment
    masked (`***`), in the history as on the console."""
    (tmp_path / "kindsteps.py").write_text(textwrap.dedent(KINDS))
    config = tmp_path / "pipeline.yaml"
    config.write_text(SECRET_RATIO.format(most=100))
    process = start(config, env={"SERVE_TOKEN": "hunter2-hunter2"})
    seen = read_until(process, "serving secret schedule 1")
    config.write_text(SECRET_RATIO.format(most=3))  # the token no longer fits
    time.sleep(3.5)
    output = seen + stop(process)
    assert "hunter2" not in output, output
    assert "the run could not start" in output, output
    with open_history(tmp_path) as history:
        failed = [run for run in history.runs(pipeline="secret") if run.state == "failed"]
    assert failed, output
    for run in failed:
        said = run.params["not started"]
        assert "hunter2" not in said, said
        assert "params.token" in said or "param `token`" in said, said
        assert "***" in said, said


SPANS = """
import itertools
import os
import time
from pathlib import Path

def work(seconds: float) -> float:
    spans = Path(__file__).with_name("spans.txt")
    with spans.open("a") as log:
        log.write(f"start {os.getpid()} {time.time()}\\n")
    time.sleep(seconds)
    with spans.open("a") as log:
        log.write(f"end {os.getpid()} {time.time()}\\n")
    return seconds
"""


def spans(folder: Path) -> list[tuple[float, float]]:
    """When each run's step started and ended, from the lines it wrote (inf: still going)."""
    starts: dict[str, float] = {}
    ends: dict[str, float] = {}
    path = folder / "spans.txt"
    for line in path.read_text().splitlines() if path.exists() else []:
        kind, pid, moment = line.split()
        (starts if kind == "start" else ends)[pid] = float(moment)
    return sorted((start, ends.get(pid, float("inf"))) for pid, start in starts.items())


def test_a_run_an_earlier_serve_started_still_keeps_the_pipeline_from_running_twice(
    tmp_path: Path,
) -> None:
    """SPEC 7: never two runs of one pipeline at once, also when `serve` was killed with
    `kill -9` while its run went on (each run is a process of its own) and then restarted."""
    config = project(tmp_path, 6.0)
    (tmp_path / "servesteps.py").write_text(textwrap.dedent(SPANS))
    first = start(config)
    deadline = time.monotonic() + 30
    while not spans(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert spans(tmp_path), "the first run did not start"
    os.kill(first.pid, signal.SIGKILL)  # serve alone: its run goes on, in its own session
    first.wait(timeout=60)  # not its output: the run goes on writing there
    restarted = start(config)
    time.sleep(3.5)  # fires every second while the first run still goes
    output = stop(restarted)  # lets a run it started finish
    deadline = time.monotonic() + 30
    while any(end == float("inf") for _, end in spans(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    found = spans(tmp_path)
    assert all(end < float("inf") for _, end in found), found
    for (_, end), (start_next, _) in itertools.pairwise(found):
        assert start_next >= end, f"two runs at once: {found}\n{output}"
    with open_history(tmp_path) as history:
        skipped = [run for run in history.runs(pipeline="served") if run.state == "skipped"]
    assert skipped, output
    assert "still going" in output, output
    assert first.stdout is not None
    first.stdout.close()
