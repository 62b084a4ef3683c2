"""A `foreach` step with retries: its `attempts` are its function's calls over all its items
(docs/ci.md), and each retried attempt's line names its item (docs/history.md), on every
executor and every channel."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address
from tests.executors import executor_spec

__all__ = ["dask_address"]

CONFIG = """
name: fea
results: {root: out}
executor: EXECUTOR
steps:
  f: {run: flakysteps.flaky, foreach: [a, b, c], as: tag, retries: 2, retry_delay: 0.1s}
"""

STEPS = """
from pathlib import Path


def flaky(tag):  # each item fails on its first call
    calls = Path(__file__).with_name(f"calls.{tag}")
    first = not calls.exists()
    with calls.open("a") as file:
        file.write("called\\n")
    if first:
        raise ValueError(f"item {tag} failed")
    return tag
"""


def _calls(folder: Path) -> int:
    return sum(len(path.read_text().splitlines()) for path in folder.glob("calls.*"))


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes", "dask"])
def test_a_foreach_step_counts_every_call_and_names_each_retried_item(
    make_project: ProjectFactory, executor: str, request: pytest.FixtureRequest
) -> None:
    spec = executor_spec(executor, request)
    config = make_project(CONFIG.replace("EXECUTOR", spec), flakysteps=STEPS)
    folder = config.parent
    run = ["run", str(config), "--log-format", "plain", "--json", "r.json", "--junit", "r.xml"]
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", *run], cwd=folder, capture_output=True, text=True
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert _calls(folder) == 6, output
    for index, tag in enumerate("abc"):
        said = f"item {index + 1} of 3 ('{tag}'): ValueError: item {tag} failed"
        assert output.count(f"attempt 1 failed ({said})") == 1, output
    report = json.loads((folder / "r.json").read_text())
    (step,) = report["steps"]
    assert step["attempts"] == 6, report
    shown = subprocess.run(
        [sys.executable, "-m", "pipeflow", "runs", "show", report["run_id"]],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "6 attempts" in shown, shown
    for index, tag in enumerate("abc"):
        said = f"item {index + 1} of 3 ('{tag}'): ValueError: item {tag} failed"
        assert shown.count(f"attempt 1 failed: {said}") == 1, shown

    for path in folder.glob("calls.*"):
        path.unlink()
    result = pipeflow.load(config).run(force=True)
    assert result.outcomes["f"].attempts == 6, result.outcomes["f"]
    again = pipeflow.load(config).run()  # every item from the cache: none called
    assert again.outcomes["f"].attempts == 0, again.outcomes["f"]
