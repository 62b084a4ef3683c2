"""`pipeflow run` whose stdout is a pipe the reader closes (`pipeflow run cfg | head -1`).

The run is the job, its display only a view of it: once the reader has gone, the run goes on
unseen, and the command exits with the run's own code (0, or 1 for a failed step), without a
traceback and without "subscriber ... raised BrokenPipeError" warnings. `run --dry-run`
exits 0, as `status` does. Before, the run went on but warned twice on stderr, and
`--dry-run` exited 1 ("a step failed") with nothing said.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pipeflow

STEPS = """
import time
from pathlib import Path

def wait() -> int:
    # Until the test has closed the pipe: what the run shows after that meets a closed pipe.
    deadline = time.monotonic() + 60
    while not Path("closed.flag").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    print("after the reader left")
    return 1

def after(value: int) -> int:
    print("still printing")
    return value + 1

def broken(value: int) -> int:
    raise ValueError("broken on purpose")
"""

CONFIG = """
name: piped
results: {root: out}
steps:
  wait: {run: piped_steps.wait}
  after: {run: piped_steps.after, inputs: {value: "${steps.wait}"}}
"""

FAILING = (
    CONFIG
    + """
  broken: {run: piped_steps.broken, inputs: {value: "${steps.after}"}}
"""
)

# Spellings of a run that write to stdout as it goes.
FLAGS = {
    "plain": [],
    "-v": ["-v"],
    "-q": ["-q"],
    "--log-format json": ["--log-format", "json"],
    "--json -": ["--json", "-"],
}


def project(folder: Path, config: str) -> Path:
    (folder / "piped_steps.py").write_text(textwrap.dedent(STEPS))
    path = folder / "pipeline.yaml"
    path.write_text(textwrap.dedent(config))
    return path


def run_until_the_reader_leaves(folder: Path, *arguments: str) -> tuple[int, str]:
    """Start `pipeflow ARGUMENTS`, read one line of its stdout (or none, for a document that
    comes whole at the end), close the pipe, then let its step go on."""
    with subprocess.Popen(
        [sys.executable, "-m", "pipeflow", *arguments],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        if "-" not in arguments and "-q" not in arguments:  # else it writes only at the end
            process.stdout.readline()
        process.stdout.close()
        (folder / "closed.flag").write_text("")
        errors = process.stderr.read().decode("utf-8", "replace")
        return process.wait(timeout=120), errors


@pytest.mark.parametrize("flags", FLAGS)
def test_a_run_goes_on_when_its_reader_leaves(tmp_path: Path, flags: str) -> None:
    config = project(tmp_path, CONFIG)
    code, errors = run_until_the_reader_leaves(tmp_path, "run", "pipeline.yaml", *FLAGS[flags])
    assert "Traceback" not in errors
    assert "raised" not in errors
    assert code == 0, errors
    assert pipeflow.load(config).result("after").load() == 2


@pytest.mark.parametrize("flags", FLAGS)
def test_a_failed_run_whose_reader_left_still_exits_1(tmp_path: Path, flags: str) -> None:
    project(tmp_path, FAILING)
    code, errors = run_until_the_reader_leaves(tmp_path, "run", "pipeline.yaml", *FLAGS[flags])
    assert "Traceback (most recent call last):\n  File" not in errors.replace("    ", "")
    assert "subscriber" not in errors
    assert code == 1, errors
    assert "pipeline `piped` failed: step `broken` failed" in errors


def test_a_dry_run_whose_reader_leaves_exits_0(tmp_path: Path) -> None:
    steps = "\n".join(
        f"  step_{n}: {{run: piped_steps.after, inputs: {{value: {n}}}}}" for n in range(3000)
    )
    (tmp_path / "closed.flag").write_text("")
    project(tmp_path, f"name: piped\nresults: {{root: out}}\nsteps:\n{steps}\n")
    code, errors = run_until_the_reader_leaves(tmp_path, "run", "pipeline.yaml", "--dry-run")
    assert "Traceback" not in errors
    assert code == 0, errors
