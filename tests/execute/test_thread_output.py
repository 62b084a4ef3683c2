"""What threads a step starts print and log is the step's output on `sequential` and `threads`,
as on `processes`: on the console (prefixed with the step's name), in the history (`pipeflow
logs`) and in `--log-format json`. That covers a `threading.Thread` the step starts, a thread
such a thread starts, a `ThreadPoolExecutor` made in the step, and a call the step submits to a
pool made before it (at import). A thread still going after its step ended is no step's: its
print goes to the console unprefixed, and its log record to stderr as Python shows it.

Before, on `sequential` and `threads`, the prints of such threads came out without the step's
name and were not kept, and their log records were shown nowhere at all (pipeflow's handler on
the root logger took them and dropped them, so Python's last-resort handler never ran)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

STEPS = """
import concurrent.futures
import logging
import threading

log = logging.getLogger("threadsteps")
SHARED = concurrent.futures.ThreadPoolExecutor(1)  # made at import, before any step runs
go_on = threading.Event()
said = threading.Event()


def say(step, how):
    print(f"{step} printed from {how}")
    log.warning(f"{step} logged from {how}")


def spawned():
    thread = threading.Thread(target=say, args=("spawned", "a thread"))
    thread.start()
    thread.join()
    return 1


def nested():
    def outer():
        inner = threading.Thread(target=say, args=("nested", "a thread's thread"))
        inner.start()
        inner.join()

    thread = threading.Thread(target=outer)
    thread.start()
    thread.join()
    return 1


def pooled():
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(say, ["pooled", "pooled"], ["its pool 1", "its pool 2"]))
    return 1


def shared():
    SHARED.submit(say, "shared", "a pool made at import").result()
    return 1


def shared_again():  # the pool's one thread was started before this step, by another
    SHARED.submit(say, "shared_again", "a pool made at import").result()
    return 1


def leaver():
    def late():
        go_on.wait(30)
        print("a print after its step ended")
        log.warning("a warning after its step ended")
        said.set()

    threading.Thread(target=late, daemon=True).start()
    return 1


def waiter():
    go_on.set()
    said.wait(30)
    return 1
"""

SAID = [
    ("spawned", "a thread"),
    ("nested", "a thread's thread"),
    ("pooled", "its pool 1"),
    ("pooled", "its pool 2"),
    ("shared", "a pool made at import"),
    ("shared_again", "a pool made at import"),
]
LATE = ["a print after its step ended", "a warning after its step ended"]


def _pipeflow(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *arguments],
        cwd=folder,
        env={**os.environ, "PIPEFLOW_HOME": str(folder / "home")},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _expected(step: str, how: str) -> list[tuple[str, str, str]]:
    return [
        (step, "stdout", f"{step} printed from {how}"),
        (step, "log", f"WARNING: {step} logged from {how}"),
    ]


@pytest.mark.parametrize("executor", ["sequential", "threads"])
def test_what_a_step_s_threads_print_and_log_is_the_step_s_output(
    tmp_path: Path, executor: str
) -> None:
    (tmp_path / "threadsteps.py").write_text(STEPS)
    steps = ["spawned", "nested", "pooled", "shared", "leaver"]
    lines = [f"  {step}: {{run: threadsteps.{step}, cache: false}}" for step in steps]
    lines.append("  shared_again: {run: threadsteps.shared_again, cache: false, after: [shared]}")
    lines.append("  waiter: {run: threadsteps.waiter, cache: false, after: [leaver]}")
    (tmp_path / "pipeline.yaml").write_text(
        textwrap.dedent(
            f"""\
            name: threaded
            executor: {{type: {executor}}}
            results: {{root: out}}
            steps:
            """
        )
        + "\n".join(lines)
        + "\n"
    )
    expected = [line for step, how in SAID for line in _expected(step, how)]

    run = _pipeflow(tmp_path, "run", "pipeline.yaml", "--log-format", "plain")
    shown = run.stdout + run.stderr
    assert run.returncode == 0, shown
    printed = run.stdout.splitlines()
    for step, _, text in expected:
        assert f"{step} | {text}" in printed, shown
    # No step's: on the console as it is, the log record as Python's last resort shows it.
    assert LATE[0] in printed, shown
    assert LATE[1] in run.stderr.splitlines(), shown
    assert not any(late in line and " | " in line for late in LATE for line in printed), shown

    runs = _pipeflow(tmp_path, "runs", "--last", "1")
    run_id = runs.stdout.splitlines()[1].split()[0]
    logs = _pipeflow(tmp_path, "logs", run_id)
    assert logs.returncode == 0, logs.stdout + logs.stderr
    logged = logs.stdout.splitlines()
    for step, _, text in expected:
        assert f"{step} | {text}" in logged, logs.stdout
    assert not any(late in line for late in LATE for line in logged), logs.stdout

    events = _pipeflow(tmp_path, "run", "pipeline.yaml", "--log-format", "json")
    assert events.returncode == 0, events.stdout + events.stderr
    parsed = [json.loads(line) for line in events.stdout.splitlines()]  # stdout: JSON alone
    output = [
        (event["step"], event["stream"], event["text"])
        for event in parsed
        if event["event"] == "StepOutput"
    ]
    assert sorted(output) == sorted(expected), output
    assert LATE[1] in events.stderr.splitlines(), events.stderr


def test_a_line_of_no_step_s_is_passed_on_whole_though_another_thread_writes_between() -> None:
    """`print` writes a line's text and its end apart: a thread still going after its step
    ended printed "a print after its step ended", the run showed "shared: done" from the
    engine's thread in between, and the console read "a print after its step endedshared:
    done in 0.01s" (seen on the threads executor under load)."""
    from pipeflow.execute.capture import _Router

    original = io.StringIO()
    router = _Router(original, "stdout")
    between, ended = threading.Event(), threading.Event()

    def late() -> None:
        router.write("a print after its step ended")
        between.set()
        ended.wait(10)
        router.write("\n")
        router.write("and one it flushed")
        router.flush()  # a thread's own flush passes on what it wrote
        router.write("and one it left")

    thread = threading.Thread(target=late)
    thread.start()
    between.wait(10)
    router.write("shared: done in 0.01s\n")  # the engine's thread, between the two writes
    ended.set()
    thread.join()
    router.release()  # the end of the runs: what a thread left goes too

    assert original.getvalue() == (
        "shared: done in 0.01s\na print after its step ended\nand one it flushedand one it left"
    )
