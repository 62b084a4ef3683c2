"""`pipeflow serve` as a user runs it: a real process, the real clock, signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

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


def start(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "serve", str(config)],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[str], sig: signal.Signals = signal.SIGTERM) -> str:
    os.killpg(process.pid, sig)
    output, _ = process.communicate(timeout=60)
    return output


def test_serve_records_each_scheduled_run_and_stops_cleanly(tmp_path: Path) -> None:
    config = project(tmp_path, 0.1)
    process = start(config)
    time.sleep(4.5)
    output = stop(process)
    assert process.returncode == 0, output
    assert "firing" in output
    assert "received SIGTERM" in output
    assert output.rstrip().endswith("stopped")
    with open_history(tmp_path) as history:
        runs = history.runs(pipeline="served")
    assert 2 <= len(runs) <= 6, output
    assert {run.trigger for run in runs} == {"schedule"}
    assert {run.state for run in runs} == {"succeeded"}
    assert len({run.id for run in runs}) == len(runs)


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
