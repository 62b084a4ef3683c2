"""A `when:` on a value whose truth Python will not tell (a DataFrame, an array of several items).

docs/config.md: a value is false when it is an empty collection. A DataFrame, a Series or a
numpy array is such a collection: empty (no rows, or no items) it is false, else true, though
`bool()` of one raises "The truth value ... is ambiguous". A value that has no size either
fails the gated step saying so (exit 1), never a traceback of pipeflow. The same when the
value is made during the run and when it is read from the store before it (a second run,
`status`), on every executor.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action, StepState
from tests.execute.conftest import dask_address
from tests.executors import executor_spec
from tests.system import pipeflow_in

__all__ = ["dask_address"]

STEPS = """
import numpy as np
import pandas as pd


class Undecided:
    def __bool__(self):
        raise TypeError("no truth here")

    def __reduce__(self):
        return (Undecided, ())


VALUES = {
    "frame": lambda: pd.DataFrame({"a": [1, 2]}),
    "empty_frame": lambda: pd.DataFrame({"a": []}),
    "series": lambda: pd.Series([0, 0]),
    "empty_series": lambda: pd.Series([], dtype="float64"),
    "array": lambda: np.array([0, 1]),
    "empty_array": lambda: np.array([]),
}


def make(kind):
    return VALUES[kind]()


def undecided():
    return Undecided()


def gated():
    return "ran"
"""

EXPECTED = {
    "frame": StepState.DONE,
    "empty_frame": StepState.SKIPPED,
    "series": StepState.DONE,
    "empty_series": StepState.SKIPPED,
    "array": StepState.DONE,
    "empty_array": StepState.SKIPPED,
}


def _config(folder: Path, executor: str) -> Path:
    steps = "".join(
        f"  {kind}: {{run: whensteps.make, inputs: {{kind: {kind}}}}}\n"
        f'  after_{kind}: {{run: whensteps.gated, when: "${{steps.{kind}}}"}}\n'
        for kind in EXPECTED
    )
    (folder / "whensteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(f"name: gates\nresults: {{root: out}}\nexecutor: {executor}\nsteps:\n{steps}")
    return config


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes", "dask"])
def test_a_collection_is_true_unless_empty(
    tmp_path: Path, executor: str, request: pytest.FixtureRequest
) -> None:
    spec = executor_spec(executor, request)
    config = _config(tmp_path, spec)
    first = pipeflow.load(config).run()
    assert first.ok, {name: outcome.error for name, outcome in first.outcomes.items()}
    assert {kind: first.state(f"after_{kind}") for kind in EXPECTED} == EXPECTED
    # Read back from the store before the run: the same decisions, in `status` too.
    status = {decision.step: decision.action for decision in pipeflow.load(config).status()}
    for kind, state in EXPECTED.items():
        skipped = state is StepState.SKIPPED
        assert (status[f"after_{kind}"] is Action.SKIPPED) is skipped, (kind, status)
    again = pipeflow.load(config).run()
    assert again.ok
    for kind, state in EXPECTED.items():
        expected = StepState.SKIPPED if state is StepState.SKIPPED else StepState.CACHED
        assert again.state(f"after_{kind}") is expected, kind


def test_a_value_with_no_truth_fails_the_gated_step_saying_so(tmp_path: Path) -> None:
    (tmp_path / "whensteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "pipeline.yaml").write_text(
        "name: gates\nresults: {root: out}\nsteps:\n"
        "  value: {run: whensteps.undecided}\n"
        '  gated: {run: whensteps.gated, when: "${steps.value}"}\n'
    )
    for _ in range(2):  # made during the run, then read from the store before it
        result = pipeflow_in(tmp_path, "run", "pipeline.yaml")
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        assert "gated: FAILED" in result.stdout, result.stdout
        assert "no truth here" in result.stdout, result.stdout
        assert "`when`" in result.stdout, result.stdout
