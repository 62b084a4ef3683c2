"""The failure policy on executors that run steps at once: everything that is ready when the
run starts is started before any result is handled, and after a failure nothing new starts.

The dask executor runs the same check in tests/execute/test_dask.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory

STEPS = """
from pathlib import Path


def fail() -> None:
    raise RuntimeError("fails at once")


def mark(path: str) -> str:
    Path(path).write_text("ran")
    return path
"""


def config_for(make_project: ProjectFactory, tmp_path: Path, executor: str) -> Path:
    return make_project(
        f"""
        name: ready
        executor: {{type: {executor}, workers: 4}}
        results: {{persist: false}}
        steps:
          boom: {{run: fsteps.fail}}
          other: {{run: fsteps.mark, inputs: {{path: "{tmp_path / "other"}"}}}}
          after: {{run: fsteps.mark, inputs: {{path: "{tmp_path / "after"}"}}, after: [boom]}}
        """,
        fsteps=STEPS,
    )


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_steps_ready_at_the_start_all_start_though_one_fails_at_once(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    config = config_for(make_project, tmp_path, executor)
    # Switch threads as often as possible, so that the failing step often ends before the
    # engine goes on to start the next one: the race this test is about.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(20):
            run_and_check(config, tmp_path)
    finally:
        sys.setswitchinterval(previous)


def run_and_check(config: Path, tmp_path: Path) -> None:
    run = pipeflow.load(config).run(history=False)
    assert run.state("boom") is StepState.FAILED
    assert run.state("other") is StepState.DONE, run.outcomes["other"]
    assert run.state("after") is StepState.NOT_RUN
    assert (tmp_path / "other").exists()
    (tmp_path / "other").unlink()


def test_sequential_starts_nothing_after_a_failure(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = config_for(make_project, tmp_path, "sequential")
    run = pipeflow.load(config).run(history=False)
    assert run.state("boom") is StepState.FAILED
    assert run.state("other") is StepState.NOT_RUN
    assert not (tmp_path / "other").exists()
