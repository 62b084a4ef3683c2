"""Where a step's result is stored is said once per file, in every channel: `runs show`, the
JSON and JUnit reports, `-v` and the history. Small results share their run's journal file:
before, a `foreach` step of 3,000 items had 3,000 identical "stored .../journal/...log" lines
in `runs show` and the JUnit report, and a step of four small parts four; and a `foreach`
step taken from the cache, whose value no step needed, named none of its files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.history import open_history
from tests.conftest import ProjectFactory
from tests.executors import EXECUTORS, executor_spec

CONFIG = """
name: many
executor: EXECUTOR
results: {root: out}
steps:
  sq: {run: many_steps.square, foreach: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], as: x}
  parts: {run: many_steps.parts, outputs: [a, b, c, d]}
"""

STEPS = """
def square(x):
    return x * x


def parts():
    return {"a": 1, "b": 2, "c": 3, "d": 4}
"""


def distinct(places: list[str]) -> bool:
    return len(places) == len(set(places))


def stored_lines(text: str) -> dict[str, list[str]]:
    """The "stored ..." lines of a text, by the step whose line came last before them."""
    found: dict[str, list[str]] = {}
    step = ""
    for line in text.splitlines():
        words = line.strip().split()
        if words and words[0] == "stored":
            found.setdefault(step, []).append(line.strip())
        elif words and words[0].rstrip(":") in ("sq", "parts"):
            step = words[0].rstrip(":")
    return found


@pytest.mark.parametrize("executor", EXECUTORS)
def test_each_file_that_holds_a_result_is_said_once(
    make_project: ProjectFactory,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    executor: str,
) -> None:
    config = make_project(
        CONFIG.replace("EXECUTOR", executor_spec(executor, request)), many_steps=STEPS
    )
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    for _ in range(2):  # run, then every step from the cache
        ran = CliRunner().invoke(
            cli, ["run", str(config), "-v", "--json", str(report), "--junit", str(junit)]
        )
        assert ran.exit_code == 0, ran.output

        steps = {step["name"]: step for step in json.loads(report.read_text())["steps"]}
        assert all(distinct(steps[name]["locations"]) for name in ("sq", "parts")), steps
        assert steps["parts"]["locations"], steps
        assert steps["sq"]["locations"], steps  # cached too: its items' files
        assert all(map(distinct, stored_lines(ran.output).values())), ran.output
        assert junit.read_text().count("stored: ") == sum(
            len(s["locations"]) for s in steps.values()
        )
        with open_history(tmp_path) as history:
            record = history.run(history.runs()[0].id)
        assert all(distinct(list(step.locations)) for step in record.steps), record.steps
        shown = CliRunner().invoke(cli, ["runs", "show", "--home", str(tmp_path / ".pipeflow")])
        assert sorted(stored_lines(shown.output)) == ["parts", "sq"], shown.output
        assert all(map(distinct, stored_lines(shown.output).values())), shown.output
    run = pipeflow.load(config).run()
    assert run.output("sq") == [x * x for x in range(1, 13)]
