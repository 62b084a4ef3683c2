"""The command line started with stdin, stdout or stderr closed (`pipeflow run cfg >&-`, a
cron job or a service manager with no terminal): it behaves as with /dev/null there.

Before, `run` with stdout closed ended in a traceback (`'NoneType' object has no attribute
'isatty'`) and exit 1 before any step ran; with `--log-format plain` it ran, but a step that
wrote to its stdout failed with "Bad file descriptor", and the descriptor left free could be
taken by the next file pipeflow opened (a result, the history), so that what a step wrote
below `sys.stdout` landed in that file.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address
from tests.executors import EXECUTORS, executor_spec

__all__ = ["dask_address"]

CONFIG = """
name: closed
results: {{root: out}}
executor: {executor}
steps:
  shout: {{run: loud.shout}}
  after: {{run: loud.after, inputs: {{value: "${{steps.shout}}"}}}}
"""

# What a step writes below Python: a child process on both descriptors, and raw writes.
LOUD = """
import os
import subprocess
import sys

def shout() -> int:
    both = "import sys; print('child out'); print('child err', file=sys.stderr)"
    subprocess.run([sys.executable, "-c", both], check=True)
    os.write(1, b"raw out\\n")
    os.write(2, b"raw err\\n")
    print("python out")
    return 41

def after(value: int) -> int:
    return value + 1
"""

DESCRIPTORS = {"stdin": 0, "stdout": 1, "stderr": 2}

# The spellings of a run that show it differently (each picks its stream in its own way).
RUNS: dict[str, list[str]] = {
    "run": [],
    "run --log-format plain": ["--log-format", "plain"],
    "run --log-format json": ["--log-format", "json"],
    "run -q": ["-q"],
    "run --json -": ["--json", "-"],
    "run --json FILE": ["--json", "report.json"],
}


def closing(descriptor: int) -> Callable[[], None]:
    def close() -> None:
        os.close(descriptor)

    return close


def pipeflow_closed(folder: Path, closed: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`pipeflow ARGUMENTS` in `folder` with the descriptor `closed` closed, the others
    captured (what the closed one would have carried is lost, as in a shell's `>&-`)."""
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *arguments],
        cwd=folder,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        preexec_fn=closing(DESCRIPTORS[closed]),
    )


def assert_ran(result: subprocess.CompletedProcess[str], folder: Path) -> None:
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 0, result.stderr + result.stdout
    history = sqlite3.connect(folder / ".pipeflow" / "runs.db")
    try:
        assert history.execute("pragma integrity_check").fetchall() == [("ok",)]
    finally:
        history.close()
    assert pipeflow.load(folder / "pipeline.yaml").result("after").load() == 42


@pytest.mark.parametrize("closed", DESCRIPTORS)
@pytest.mark.parametrize("spelling", RUNS)
def test_a_run_with_a_closed_standard_stream_runs_every_step(
    make_project: ProjectFactory, closed: str, spelling: str
) -> None:
    config = make_project(CONFIG.format(executor="{type: sequential}"), loud=LOUD)
    result = pipeflow_closed(config.parent, closed, "run", "pipeline.yaml", *RUNS[spelling])
    assert_ran(result, config.parent)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_steps_write_to_a_closed_stdout_on_every_executor(
    make_project: ProjectFactory, executor: str, request: pytest.FixtureRequest
) -> None:
    spec = executor_spec(executor, request)
    config = make_project(CONFIG.format(executor=spec), loud=LOUD)
    arguments = ["run", "pipeline.yaml", "--log-format", "plain"]
    result = pipeflow_closed(config.parent, "stdout", *arguments)
    assert_ran(result, config.parent)


@pytest.mark.parametrize("closed", DESCRIPTORS)
@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        (["validate", "pipeline.yaml"], 0),
        (["validate", "pipeline.yaml", "--format", "json"], 0),
        (["status", "pipeline.yaml", "--json"], 0),
        (["run", "pipeline.yaml", "--dry-run"], 0),
        (["graph", "pipeline.yaml"], 0),
        (["validate", "missing.yaml"], 2),
        (["run", "pipeline.yaml", "--param", "nope=1"], 2),
    ],
)
def test_other_commands_with_a_closed_standard_stream_keep_their_exit_code(
    make_project: ProjectFactory, closed: str, arguments: list[str], code: int
) -> None:
    config = make_project(CONFIG.format(executor="{type: sequential}"), loud=LOUD)
    result = pipeflow_closed(config.parent, closed, *arguments)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == code, result.stderr + result.stdout
