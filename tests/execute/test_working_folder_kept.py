"""A step that changes the working folder (`os.chdir`) changes it for itself only.

The steps of a run share their process's working folder, and the next step's relative paths
(`open("data/x.txt")`, a path input) resolve against it: a step that moved it (a library
changing into its cache, a step `os.chdir`-ing to run a tool) made every later step on that
process read and write elsewhere, and a step after it failed with "no such file" on
`sequential`, or only on the worker that ran the first one. The folder is put back as each
call returns, whether it returned or raised, timed or not, on every executor; and
an API caller's own working folder is the same after the run as before it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.executors import EXECUTORS

STEPS = """
import os


def move(to, fail):
    found = os.getcwd()
    marker = os.path.join(found, "failed-once")
    os.chdir(to)
    if fail and not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("moved, then failed")
    return found, os.getpid()


def read(after):
    with open("data/x.txt", encoding="utf-8") as file:
        return file.read(), os.getcwd(), os.getpid()
"""


def executor_config(executor: str) -> str:
    # One worker: the step after the one that moved runs on its process.
    if executor == "dask":
        return "{type: dask, workers: 1}"
    if executor == "sequential":
        return "{type: sequential}"
    return f"{{type: {executor}, workers: 1}}"


def config_text(executor: str, elsewhere: Path, *, fail: bool, timeout: bool) -> str:
    timed = "\n    timeout: 30s" if timeout else ""
    return f"""
name: folder
executor: {executor_config(executor)}
results: {{root: out}}
steps:
  move:
    run: steps.move
    inputs: {{to: "{elsewhere}", fail: {str(fail).lower()}}}
    retries: 1
    result: false{timed}
  read:
    run: steps.read
    inputs: {{after: 1}}
    after: [move]
    result: false{timed}
"""


@pytest.mark.parametrize("timeout", [False, True], ids=["untimed", "timed"])
@pytest.mark.parametrize("fail", [False, True], ids=["returned", "retried"])
@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_step_moving_the_working_folder_moves_no_later_step(
    make_project: ProjectFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    executor: str,
    fail: bool,
    timeout: bool,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = make_project(config_text(executor, elsewhere, fail=fail, timeout=timeout), steps=STEPS)
    folder = config.parent
    (folder / "data").mkdir()
    (folder / "data/x.txt").write_text("here", encoding="utf-8")
    monkeypatch.chdir(folder)
    run = pipeflow.load(config).run(history=False)
    assert os.getcwd() == str(folder)
    assert run.ok, {name: o.error for name, o in run.outcomes.items() if o.error}
    assert run.outcomes["move"].attempts == (2 if fail else 1)
    found, moved_in = run.output("move")
    assert found == str(folder)  # a retry starts where the failed attempt started
    text, where, read_in = run.output("read")
    assert (text, where) == ("here", str(folder))
    assert read_in == moved_in  # the same process, moved back
