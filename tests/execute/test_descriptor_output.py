"""What a step writes below Python's `sys.stdout` on the processes executor: a child process it
starts (`subprocess.run(["dvc", ...])`), `os.write(1, ...)`, a C library's printf. Each line
comes back as the step's output, on its stream, and is kept in the history (`pipeflow logs`).
Before, it went to the worker's terminal unattributed, and the history had none of it."""

from __future__ import annotations

from pathlib import Path

import pipeflow
from pipeflow.history import open_history
from pipeflow.model.events import Event, StepOutput
from tests.conftest import ProjectFactory

STEPS = """
import os
import subprocess
import sys


def shell():
    print("from python")
    subprocess.run([sys.executable, "-c", "print('from a child')"], check=True)
    subprocess.run(
        [sys.executable, "-c", "import sys; sys.stderr.write('child error line' + chr(10))"],
        check=True,
    )
    os.write(1, b"raw on one\\n")
    os.write(2, b"raw on two\\n")
    return 1


def after(x):
    print("after ran")
    return x
"""


def test_a_child_process_and_raw_writes_are_the_step_s_output(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(
        """
        name: fds
        executor: {type: processes, workers: 1}
        results: {root: out}
        steps:
          shell: {run: fdsteps.shell}
          after: {run: fdsteps.after, inputs: {x: "${steps.shell}"}}
        """,
        fdsteps=STEPS,
    )
    events: list[Event] = []
    run = pipeflow.load(config).run(subscribers=[events.append])
    assert run.ok, run.outcomes
    lines = [(e.step, e.stream, e.text) for e in events if isinstance(e, StepOutput)]
    for line in [
        ("shell", "stdout", "from python"),
        ("shell", "stdout", "from a child"),
        ("shell", "stderr", "child error line"),
        ("shell", "stdout", "raw on one"),
        ("shell", "stderr", "raw on two"),
        ("after", "stdout", "after ran"),
    ]:
        assert line in lines, lines
    assert len(lines) == 6, lines  # each once, none given to the next step
    with open_history(tmp_path) as history:
        [record] = history.runs(pipeline="fds")
        logged = {(line.stream, line.text) for line in history.logs(record.id, step="shell")}
    assert ("stdout", "from a child") in logged
    assert ("stderr", "raw on two") in logged


BYTES_STEPS = """
import os


def raw():
    os.write(1, b"name caf\\xe9.csv\\n")  # Latin-1 bytes, as a C program or `ls` may write them
    os.write(2, b"bad \\xff\\xfe end\\n")
    print("from python caf" + "\\udce9" + ".csv")  # Python's own spelling of the same bytes
    return 1
"""


def test_bytes_that_are_no_utf8_are_escaped_as_python_s_own_output_is(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    """Not replaced by U+FFFD, which loses which bytes they were: `\\udce9`, as for text that
    Python itself holds with such bytes (the history's rule for what UTF-8 cannot encode)."""
    config = make_project(
        """
        name: rawbytes
        executor: {type: processes, workers: 1}
        results: {persist: false}
        steps:
          raw: {run: bytesteps.raw}
        """,
        bytesteps=BYTES_STEPS,
    )
    events: list[Event] = []
    report = tmp_path / "report.json"
    run = pipeflow.load(config).run(subscribers=[events.append], json=report)
    assert run.ok, run.outcomes
    lines = {(e.stream, e.text) for e in events if isinstance(e, StepOutput)}
    assert ("stdout", "name caf\\udce9.csv") in lines, lines
    assert ("stderr", "bad \\udcff\\udcfe end") in lines, lines
    assert ("stdout", "from python caf\\udce9.csv") in lines, lines
    with open_history(tmp_path) as history:
        [record] = history.runs(pipeline="rawbytes")
        logged = {(line.stream, line.text) for line in history.logs(record.id)}
    assert logged == lines
    assert "\ufffd" not in report.read_text(encoding="utf-8")
