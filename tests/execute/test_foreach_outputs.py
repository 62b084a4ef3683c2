"""A `foreach` step with `outputs:`: each item's result is split into the named parts; the
step's value is the list of the items' parts, and `${steps.NAME.PART}` the list of each item's
PART.

Before, a cached item was read back as None (the read did not know the step's outputs), so the
steps after it got `[None, None, ...]` and stored results made from it; and a reference to a
part raised a TypeError out of the engine. Checked on every executor, stored and not, with the
items run, read from the cache, and known only during the run.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from tests.servers import ObjectStore

STEPS = """
def two(x: int) -> dict:
    return {"a": x, "b": 10 * x}


def pair(x: int) -> tuple:
    return x, -x


def items() -> list:
    return [1, 2, 3]


def take(x):
    return x
"""

CONFIG = """
name: fe
executor: EXECUTOR
results: RESULTS
params:
  items: [1, 2, 3]
steps:
  listed: {run: fe_steps.items}
  sq: {run: fe_steps.two, foreach: "${params.items}", as: x, outputs: [a, b]}
  tup: {run: fe_steps.pair, foreach: "${params.items}", as: x, outputs: [pos, neg]}
  late: {run: fe_steps.two, foreach: "${steps.listed}", as: x, outputs: [a, b]}
  whole: {run: fe_steps.take, inputs: {x: "${steps.sq}"}}
  bs: {run: fe_steps.take, inputs: {x: "${steps.sq.b}"}}
  negs: {run: fe_steps.take, inputs: {x: "${steps.tup.neg}"}}
  text: {run: fe_steps.take, inputs: {x: "b=${steps.sq.b}"}}
  late_as: {run: fe_steps.take, inputs: {x: "${steps.late.a}"}}
"""
MORE = """
  whole_again: {run: fe_steps.take, inputs: {x: "${steps.sq}"}}
  bs_again: {run: fe_steps.take, inputs: {x: "${steps.sq.b}"}}
  negs_again: {run: fe_steps.take, inputs: {x: "${steps.tup.neg}"}}
  late_again: {run: fe_steps.take, inputs: {x: "${steps.late}"}}
"""
WHOLE = [{"a": 1, "b": 10}, {"a": 2, "b": 20}, {"a": 3, "b": 30}]
EXPECTED = {
    "sq": WHOLE,
    "tup": [{"pos": 1, "neg": -1}, {"pos": 2, "neg": -2}, {"pos": 3, "neg": -3}],
    "late": WHOLE,
    "whole": WHOLE,
    "bs": [10, 20, 30],
    "negs": [-1, -2, -3],
    "text": "b=[10, 20, 30]",
    "late_as": [1, 2, 3],
}
EXPECTED_MORE = {
    **EXPECTED,
    "whole_again": WHOLE,
    "bs_again": [10, 20, 30],
    "negs_again": [-1, -2, -3],
    "late_again": WHOLE,
}


@pytest.fixture(autouse=True)
def _fresh_step_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "fe_steps", raising=False)


def _project(tmp_path: Path, executor: str, persist: bool, results: str = "") -> Path:
    """The project; `results`: the YAML mapping of `results:` (default: a folder)."""
    (tmp_path / "fe_steps.py").write_text(textwrap.dedent(STEPS), encoding="utf-8")
    config = tmp_path / "pipeline.yaml"
    results = results or f"{{root: out, persist: {str(persist).lower()}}}"
    config.write_text(CONFIG.replace("EXECUTOR", executor).replace("RESULTS", results))
    return config


def _outputs(run: Any, expected: dict[str, Any]) -> dict[str, Any]:
    assert run.ok, run.outcomes
    return {name: run.output(name) for name in expected}


def _check_runs(config: Path, persist: bool) -> None:
    first = pipeflow.load(config).run(history=False)
    assert _outputs(first, EXPECTED) == EXPECTED
    assert first.output("sq", "b") == [10, 20, 30]
    assert first.output("tup", "pos") == [1, 2, 3]
    # New steps reading the items: from the store when they are stored.
    config.write_text(config.read_text(encoding="utf-8") + MORE, encoding="utf-8")
    second = pipeflow.load(config).run(history=False)
    assert _outputs(second, EXPECTED_MORE) == EXPECTED_MORE
    if persist:
        assert second.state("sq") == "cached"
        assert second.state("tup") == "cached"
        assert second.state("late") == "cached"
    third = pipeflow.load(config).run(history=False)
    assert _outputs(third, EXPECTED_MORE) == EXPECTED_MORE
    assert third.output("sq", "a") == [1, 2, 3]


@pytest.mark.parametrize("persist", [True, False])
@pytest.mark.parametrize(
    "executor",
    ["{type: sequential}", "{type: threads, workers: 2}", "{type: processes, workers: 2}"],
)
def test_a_foreach_steps_parts_are_lists_of_the_items_parts(
    tmp_path: Path, executor: str, persist: bool
) -> None:
    _check_runs(_project(tmp_path, executor, persist), persist)


@pytest.mark.slow
def test_on_a_dask_cluster_too(tmp_path: Path, dask_address: str) -> None:
    executor = f"{{type: dask, address: '{dask_address}', shared_filesystem: true}}"
    _check_runs(_project(tmp_path, executor, True), True)


@pytest.mark.parametrize("server", ["s3_server", "gcs_server"])
def test_on_an_object_store_too(
    tmp_path: Path, server: str, request: pytest.FixtureRequest
) -> None:
    """Each item is then its manifest, its parts inside it: read back from the store."""
    store: ObjectStore = request.getfixturevalue(server)
    results = (
        f"{{root: {json.dumps(store.unique_url('fe'))}, "
        f"storage_options: {json.dumps(dict(store.storage_options))}}}"
    )
    _check_runs(_project(tmp_path, "{type: threads, workers: 2}", True, results), True)
