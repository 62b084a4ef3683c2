"""Every command's output on a stdout that is not UTF-8: a Latin-1 or cp1252 pipe or file (a
Windows `pipeflow status cfg > plan.txt`), an ASCII terminal.

Descriptions, params, values and what steps print may hold any character. What the stdout's
encoding lacks is written as its escape (`\\u2713`), as Python's stderr shows it. Before,
`status`, `graph`, `run --dry-run`, `result --show` and others ended in a UnicodeEncodeError
traceback (exit 1) on the first such character.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ProjectFactory

CONFIG = """
name: marks
description: Désc — ✓
results: {root: out}
steps:
  tick:
    run: ticks.tick
    description: étape ✓ 😀
    inputs: {label: "${params.label}"}
params: {label: "coché ✓"}
schedules:
  - interval: 1h
    params: {label: "heure ✓"}
"""

TICKS = """
def tick(label: str) -> dict:
    print("fait ✓", label)
    return {"label": label}
"""

ENCODINGS = ("ascii", "latin-1", "cp1252")

# command -> (its arguments, its exit code, what its output must show, as the encoding can)
COMMANDS: dict[str, tuple[list[str], int, str]] = {
    "status": (["status", "pipeline.yaml"], 0, "étape ✓ 😀"),
    "run --dry-run": (["run", "pipeline.yaml", "--dry-run"], 0, "étape ✓ 😀"),
    "graph": (["graph", "pipeline.yaml"], 0, "étape ✓ 😀"),
    "graph mermaid": (["graph", "pipeline.yaml", "--format", "mermaid"], 0, "étape ✓ 😀"),
    "result --show": (["result", "pipeline.yaml", "tick", "--show"], 0, "coché ✓"),
    "runs show": (["runs", "show", "{run}"], 0, "succeeded"),  # params as JSON, in ASCII
    "logs": (["logs", "{run}"], 0, "fait ✓ coché ✓"),
    "schedule": (["schedule", "pipeline.yaml", "--next", "1"], 0, "heure ✓"),
    "validate refused": (["validate", "pipeline.yaml", "--param", "label=5"], 2, ""),
    "status --param": (["status", "pipeline.yaml", "--param", "label=été ✓"], 0, "été ✓"),
}


def pipeflow_encoded(
    folder: Path, encoding: str, *arguments: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *arguments],
        cwd=folder,
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": encoding},
    )


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_on_a_stdout_that_is_not_utf8(
    make_project: ProjectFactory, encoding: str, command: str
) -> None:
    config = make_project(CONFIG, ticks=TICKS)
    ran = pipeflow_encoded(config.parent, "utf-8", "run", "pipeline.yaml", "-q")
    assert ran.returncode == 0, ran.stderr.decode()
    run_id = ran.stdout.decode().split()[1]  # "run ID succeeded ..."
    arguments, code, shown = COMMANDS[command]
    arguments = [argument.replace("{run}", run_id) for argument in arguments]
    result = pipeflow_encoded(config.parent, encoding, *arguments)
    errors = result.stderr.decode(encoding, "replace")
    assert "Traceback" not in errors
    assert result.returncode == code, errors
    # As the encoding can show it; click writes UTF-8 to an ASCII stdout of its own accord.
    escaped = shown.encode(encoding, "backslashreplace").decode(encoding)
    output = result.stdout.decode("utf-8" if encoding == "ascii" else encoding)
    assert escaped in output or shown in output
