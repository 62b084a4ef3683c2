"""A `foreach` step Ctrl-C stops says how many times its function was called over its items
(docs/ci.md): the items that ended, and those its workers had begun as the run stopped, not
those still waiting for a worker. Before, it said 1 attempt whatever its items had done."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import ProjectFactory
from tests.interrupting import interrupted

CONFIG = """
name: fan
executor: EXECUTOR
steps:
  each: {run: fansteps.each, foreach: [0, 1, 2, 3, 4, 5, 6, 7], as: n}
"""

STEPS = """
import time
from pathlib import Path

HERE = Path(__file__).parent


def each(n):
    if n < 2:
        return n  # the first two end at once
    (HERE / f"began-{n}").write_text("")
    if len(list(HERE.glob("began-*"))) >= BUSY:
        (HERE / "all.began").write_text("")
    time.sleep(5)  # a thread's call ends in its own time: not much longer than the test
    return n
"""


@pytest.mark.parametrize(
    ("executor", "busy"),
    [
        ("{type: sequential}", 1),
        ("{type: threads, workers: 2}", 2),
        ("{type: processes, workers: 2}", 2),
        pytest.param("{type: dask, workers: 2, threads_per_worker: 1}", 2, marks=pytest.mark.slow),
    ],
)
def test_a_stopped_foreach_step_counts_the_calls_of_its_items(
    make_project: ProjectFactory, tmp_path: Path, executor: str, busy: int
) -> None:
    config = make_project(
        CONFIG.replace("EXECUTOR", executor), fansteps=STEPS.replace("BUSY", str(busy))
    )
    report = tmp_path / "report.json"
    code, output = interrupted(
        [sys.executable, "-m", "pipeflow", "run", str(config), "--json", str(report)],
        cwd=config.parent,
        marker="each: started",
        file=config.parent / "all.began",
        settle=0.5,
    )
    assert code == 130, output
    [step] = json.loads(report.read_text())["steps"]
    assert step["state"] == "failed", step
    assert step["attempts"] == 2 + busy, step  # the two that ended, and those begun
    assert len(list(config.parent.glob("began-*"))) == busy  # no other item began
