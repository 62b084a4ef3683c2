"""A file of the user's where a result needs a folder (a file `t` beside a target `t/x.txt`, a
file named `.pipeflow` in the results root): the step fails naming that file and what to do.
Before, the message named a hidden temporary file and said to "check that the results store
is reachable and its storage options are right"."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow

STEPS = """
def big() -> str:
    return "x" * 300_000  # a payload file


def small() -> int:
    return 1  # a record of the run's journal


def text() -> str:
    return "hello"
"""

CASES = {
    # step line, the file in the way (relative to the results root)
    "target": ('text: {run: wsteps.text, result: {target: "t/text.txt"}}', "t"),
    "target, deeper": ('text: {run: wsteps.text, result: {target: "t/u/text.txt"}}', "t"),
    "payload": ("big: {run: wsteps.big}", ".pipeflow"),
    "journal": ("small: {run: wsteps.small}", ".pipeflow"),
}


@pytest.mark.parametrize("executor", ["sequential", "processes"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_file_where_a_folder_is_needed_is_named(tmp_path: Path, case: str, executor: str) -> None:
    line, blocking = CASES[case]
    (tmp_path / "wsteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.yaml"
    config.write_text(f"name: inway\nresults: {{root: out}}\nsteps:\n  {line}\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / blocking).write_text("the user's")
    run = pipeflow.load(config).run(executor=executor)
    assert not run.ok
    error = next(outcome.error for outcome in run.outcomes.values() if outcome.error)
    assert error is not None
    assert f"{tmp_path / 'out' / blocking} is a file, where a folder is needed" in error, error
    assert ".tmp-" not in error
    assert "reachable" not in error
    assert (tmp_path / "out" / blocking).read_text() == "the user's"
