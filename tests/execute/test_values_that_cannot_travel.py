"""A value that cannot be pickled (a lambda, a function defined inside another, a lock, an open
file) can neither come back from a worker process nor be stored. The failure names the step
and says what to do instead. Before, the processes executor gave pickle's bare words
("TypeError: cannot pickle '_thread.lock' object", no step, no advice), and storing one
advised "Set another `format:` ... (pickle holds any importable object)", which no format
could follow."""

from __future__ import annotations

import sys

import pytest

import pipeflow
from tests.conftest import ProjectFactory

STEPS = """
import threading


def function():
    return lambda x: x + 1


def inner():
    def add(x):
        return x + 1

    return add


def lock():
    return threading.Lock()
"""

KINDS = ["function", "inner", "lock"]


@pytest.fixture(autouse=True)
def _fresh_step_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "travel", raising=False)


def _config(executor: str, persist: bool) -> str:
    steps = "\n".join(f"  {kind}: {{run: travel.{kind}}}" for kind in KINDS)
    return (
        f"name: travel\nexecutor: {{type: {executor}}}\n"
        f"results: {{persist: {str(persist).lower()}}}\nsteps:\n{steps}\n"
    )


def test_a_value_that_cannot_come_back_from_a_worker_process_says_so(
    make_project: ProjectFactory,
) -> None:
    config = make_project(_config("processes", persist=False), travel=STEPS)
    run = pipeflow.load(config).run(keep_going=True)
    for kind in KINDS:
        error = run.outcomes[kind].error or ""
        assert f"step `{kind}` returned a value that cannot be sent back from its worker " in (
            error
        ), error
        assert "pickle" in error, error  # pickle's own words say what it could not hold
        assert "use the threads executor for this pipeline, or return plain data" in error


@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_a_value_no_format_can_store_says_what_would_do(
    make_project: ProjectFactory, executor: str
) -> None:
    config = make_project(_config(executor, persist=True), travel=STEPS)
    run = pipeflow.load(config).run(keep_going=True)
    for kind in KINDS:
        error = run.outcomes[kind].error or ""
        assert "the pickle format could not hold this" in error, error
        assert "Set another `format:`" not in error, error
        assert "`result: false`" in error, error
        assert "define it at the top level of a module" in error, error
