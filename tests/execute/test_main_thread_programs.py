"""On the sequential executor each step's call is wrapped so that Ctrl-C or SIGTERM kills
the programs the run's steps started (tests/execute/test_stopped_by_signals.py). What the
main thread had started before the run is read from `/proc` once per run, not once per step:
per step it cost a fifth of a trivial step's time (found by benchmarks/stored.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.execute import programs
from tests.conftest import ProjectFactory

STEPS = "def one():\n    return 1\n\n\ndef inc(x):\n    return x + 1\n"


def test_the_programs_before_the_run_are_read_once_per_run(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = ["name: chain", "results: {persist: false}", "steps:", "  s0: {run: csteps.one}"]
    lines += [
        f"  s{i}: {{run: csteps.inc, inputs: {{x: '${{steps.s{i - 1}}}'}}}}" for i in range(1, 30)
    ]
    config: Path = make_project("\n".join(lines) + "\n", csteps=STEPS)
    reads: list[int] = []
    real = programs.children_of

    def counted(thread: int) -> list[int]:
        reads.append(thread)
        return real(thread)

    monkeypatch.setattr(programs, "children_of", counted)
    pipe = pipeflow.load(config)
    for _ in range(2):
        run = pipe.run(history=False)
        assert run.ok
        assert run.output("s29") == 30
    assert len(reads) == 2  # one per run
