"""`pipeflow serve` whose stdout is a pipe the reader closes (`pipeflow serve cfg | head -1`):
it stops as on SIGTERM (no new runs, the run in progress finishes, exit 0), with no traceback."""

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
    with open("started.txt", "a") as file:
        file.write("run\\n")
    time.sleep(seconds)
    print("worked", seconds, flush=True)
    with open("finished.txt", "a") as file:
        file.write("run\\n")
    return seconds
"""


def project(folder: Path, seconds: float) -> Path:
    (folder / "pipesteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: piped
            params: {{seconds: {seconds}}}
            results: {{persist: false}}
            steps:
              work: {{run: pipesteps.work, inputs: {{seconds: "${{params.seconds}}"}}}}
            schedules:
              - interval: 1s
            """
        )
    )
    return config


def serve_into(config: Path, write_end: int) -> subprocess.Popen[bytes]:
    with (config.parent / "serve.err").open("wb") as errors:
        return subprocess.Popen(
            [sys.executable, "-m", "pipeflow", "serve", str(config)],
            cwd=config.parent,
            stdout=write_end,
            stderr=errors,
            start_new_session=True,
        )


def wait(process: subprocess.Popen[bytes]) -> int:
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise AssertionError("serve went on after its stdout was closed") from None


def check_stopped_cleanly(folder: Path, code: int) -> str:
    errors = (folder / "serve.err").read_text()
    assert code == 0, errors
    assert "Traceback" not in errors
    assert "Exception" not in errors
    assert "stdout was closed; no new runs will start" in errors
    assert errors.rstrip().endswith("stopped")
    return errors


def test_a_reader_that_goes_away_mid_run_stops_serve_and_the_run_finishes(
    tmp_path: Path,
) -> None:
    config = project(tmp_path, seconds=3)
    reader, writer = os.pipe()
    process = serve_into(config, writer)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        seen = b""
        while b"firing" not in seen:  # `head`: read until the run has started, then go away
            chunk = pipe.read1(4096)
            assert chunk, "serve ended before firing"
            seen += chunk
    code = wait(process)
    check_stopped_cleanly(tmp_path, code)
    # The run in progress finished, and none started after it.
    assert (tmp_path / "finished.txt").read_text() == "run\n"
    assert (tmp_path / "started.txt").read_text() == "run\n"
    with open_history(tmp_path) as history:
        runs = history.runs(pipeline="piped")
    assert [run.state for run in runs if run.state != "skipped"] == ["succeeded"]


def test_a_reader_gone_before_serve_writes_stops_it_before_any_run(tmp_path: Path) -> None:
    config = project(tmp_path, seconds=0.1)
    reader, writer = os.pipe()
    os.close(reader)  # `pipeflow serve cfg | true`
    process = serve_into(config, writer)
    os.close(writer)
    started = time.monotonic()
    code = wait(process)
    assert time.monotonic() - started < 30
    check_stopped_cleanly(tmp_path, code)
