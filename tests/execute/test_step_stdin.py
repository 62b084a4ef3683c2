"""A step that reads standard input (`input()`, `sys.stdin.read()`, a loop over `sys.stdin`,
`sys.stdin.buffer`) finds it ended, on every executor, as a worker process does: it never
waits on the stdin of the `pipeflow` process, which in CI may be a pipe that never ends, and
on a terminal would wait for an answer to a prompt its captured output does not show."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address  # noqa: F401  (a fixture)
from tests.executors import EXECUTORS, executor_spec

STEPS = """
import sys


def ask():
    return input("name? ")


def read_all():
    return sys.stdin.read()


def lines():
    return [line for line in sys.stdin]


def raw():
    return sys.stdin.buffer.read()
"""

CONFIG = """
name: stdin
executor: {executor}
steps:
  ask: {{run: readers.ask, cache: false}}
  read_all: {{run: readers.read_all, cache: false}}
  lines: {{run: readers.lines, cache: false}}
  raw: {{run: readers.raw, cache: false}}
"""


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_step_reading_stdin_finds_it_ended(
    make_project: ProjectFactory, request: pytest.FixtureRequest, executor: str
) -> None:
    config = make_project(CONFIG.format(executor=executor_spec(executor, request)), readers=STEPS)
    folder = config.parent
    output = folder / "output.txt"
    with output.open("w") as sink:
        # stdin: a pipe this test keeps open, as a CI runner may.
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeflow", "run", config.name, "--keep-going"],
            cwd=folder,
            stdin=subprocess.PIPE,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"the run waited on stdin:\n{output.read_text()}")
        finally:
            assert process.stdin is not None
            process.stdin.close()

    shown = output.read_text()
    assert code == 1, shown
    assert "ask: FAILED" in shown
    assert "EOFError" in shown
    assert "read_all: done" in shown
    assert "lines: done" in shown
    assert "raw: done" in shown
    assert _stored(folder, "read_all") == ""
    assert _stored(folder, "lines") == []
    assert _stored(folder, "raw") == b""


def _stored(folder: Path, step: str) -> object:
    import pipeflow

    return pipeflow.load(folder / "pipeline.yaml").result(step).load()


TERMINAL_STEPS = """
def ask():
    return input("name? ")
"""


@pytest.mark.parametrize("executor", ["sequential", "threads"])
def test_a_terminal_stays_a_steps_to_read(make_project: ProjectFactory, executor: str) -> None:
    """On a terminal, a step on the run's own process reads it: an answer typed at `input()`,
    and `breakpoint()`'s debugger, which reads its commands there."""
    config = make_project(
        f"name: tty\nexecutor: {{type: {executor}}}\nsteps:\n  ask: {{run: ttysteps.ask}}\n",
        ttysteps=TERMINAL_STEPS,
    )
    main, side = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", config.name, "-q", "--json", "report.json"],
        cwd=config.parent,
        stdin=side,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(side)
    try:
        os.write(main, b"typed answer\n")
        assert process.wait(timeout=120) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    assert pipeflow.load(config).result("ask").load() == "typed answer"
