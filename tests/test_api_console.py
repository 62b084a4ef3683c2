"""`Pipeline.run(console=True)` shows the run as `pipeflow run` does, in a notebook or a
script: each step's start and end, what each step prints and logs after its name, the
summary. Without it `run()` prints nothing, as before; a step's output is in the history and
the events either way. Before, a notebook user who called `run()` saw nothing of the run, and
what a step printed went nowhere they could see, unless they wrote a subscriber."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address
from tests.executors import EXECUTORS, executor_spec

__all__ = ["dask_address"]  # a fixture

CONFIG = """
name: shown
executor: EXECUTOR
results: {root: out}
steps:
  load: {run: shownsteps.load}
  each: {run: shownsteps.double, foreach: "${steps.load}"}
"""

STEPS = """
import logging


def load():
    print("loading the data")
    logging.getLogger("shown").warning("3 rows only")
    return [1, 2, 3]


def double(item):
    return 2 * item
"""


@pytest.fixture
def config(make_project: ProjectFactory) -> Path:
    return make_project(CONFIG.replace("EXECUTOR", "{type: sequential}"), shownsteps=STEPS)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_console_true_shows_the_run_on_stdout(
    executor: str,
    make_project: ProjectFactory,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = executor_spec(executor, request)
    config = make_project(CONFIG.replace("EXECUTOR", spec), shownsteps=STEPS)
    run = pipeflow.load(config).run(console=True)
    assert run.ok
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith(f"run {run.id} of pipeline `shown`: 2 steps"), out
    assert "load | loading the data" in lines, out
    assert "load | WARNING: 3 rows only" in lines, out
    assert any(line.startswith("each: done in ") for line in lines), out
    assert lines[-1].startswith(f"run {run.id} succeeded in "), out
    again = pipeflow.load(config).run(console=True)
    assert f"load: cached (stored by run {run.id})" in capsys.readouterr().out
    assert again.ok


def test_console_takes_a_stream(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shown = io.StringIO()
    run = pipeflow.load(config).run(console=shown)
    assert run.ok
    assert "load | loading the data" in shown.getvalue()
    assert capsys.readouterr().out == ""


def test_without_console_run_prints_nothing(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert pipeflow.load(config).run().ok
    assert pipeflow.load(config).run(console=False).ok
    said = capsys.readouterr()
    assert (said.out, said.err) == ("", "")


@pytest.mark.parametrize("wrong", ["yes", 1, None])
def test_console_takes_true_false_or_a_stream(config: Path, wrong: object) -> None:
    with pytest.raises(TypeError, match="`console` takes True, False or a text stream"):
        pipeflow.load(config).run(console=wrong)  # type: ignore[arg-type]
