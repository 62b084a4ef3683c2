"""Past the history's output cap, whole lines are counted, never one cut in two: what
`pipeflow logs` and the history's reader show are lines the step printed, then the marker
(docs/history.md)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from pipeflow.history import open_history
from tests.conftest import ProjectFactory

CONFIG = """
name: cap
results: {root: out}
executor: {type: EXECUTOR}
steps:
  fl: {run: floodsteps.flood}
"""

STEPS = """
import logging
import sys


def flood():  # lines of several lengths, past 1 MB on stdout, stderr and the log
    for i in range(50_000):
        text = f"line {i} " + "x" * (i % 37 + 1)
        print(text)
        print(text, file=sys.stderr)
        logging.getLogger("floodsteps").warning(text)
"""

PRINTED = re.compile(r"(WARNING: )?line (\d+) x*")


@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_lines_past_the_cap_are_counted_whole(make_project: ProjectFactory, executor: str) -> None:
    config = make_project(CONFIG.replace("EXECUTOR", executor), floodsteps=STEPS)
    folder = config.parent
    subprocess.run(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=folder,
        capture_output=True,
        check=True,
    )
    with open_history(home=folder / ".pipeflow") as history:
        (run,) = history.runs()
        logged = history.logs(run.id)
    for stream in ("stdout", "stderr", "log"):
        texts = [line.text for line in logged if line.stream == stream]
        assert texts[-1].startswith("[... output truncated: "), texts[-3:]
        for text in texts[:-1]:
            found = PRINTED.fullmatch(text)
            assert found is not None, f"{stream}: {text!r} was never printed"
            assert len(text) - len(found.group(1) or "") == len(f"line {found.group(2)} ") + (
                int(found.group(2)) % 37 + 1
            ), f"{stream}: {text!r} is cut"
    shown = subprocess.run(
        [sys.executable, "-m", "pipeflow", "logs", run.id],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in shown.splitlines():
        text = line.split(" | ", 1)[1]
        assert text.startswith("[... output truncated") or PRINTED.fullmatch(text), line
        if not text.startswith("[..."):
            found = PRINTED.fullmatch(text)
            assert found is not None
            number = int(found.group(2))
            assert text.endswith(" " + "x" * (number % 37 + 1)), line
