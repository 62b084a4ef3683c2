"""`${steps.NAME.PART}` of a step that returned no dict says so, not "no key PART".

docs/config.md: a part is one of NAME's `outputs:`, or a key of the dict it returned. A step
that returns a DataFrame (which has a column `a`), a list or a number has no such key: the
step that names `${steps.NAME.a}` (as an input or in `when:`) fails saying what NAME returned,
that it is not a dict, and what to write instead, on every executor. A dict without the key
still says which keys it has.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.execute.conftest import dask_address
from tests.executors import executor_spec
from tests.system import pipeflow_in

__all__ = ["dask_address"]

STEPS = """
import pandas as pd


def frame():
    return pd.DataFrame({"a": [1, 2]})


def listed():
    return [1, 2]


def mapping():
    return {"b": 1, "c": 2}


def show(value):
    return repr(value)
"""

CONFIG = """
name: parts
results: {root: out}
executor: EXECUTOR
steps:
  frame: {run: partsteps.frame}
  listed: {run: partsteps.listed}
  mapping: {run: partsteps.mapping}
  of_frame: {run: partsteps.show, inputs: {value: "${steps.frame.a}"}}
  of_list: {run: partsteps.show, inputs: {value: "${steps.listed.a}"}}
  gated: {run: partsteps.show, inputs: {value: 1}, when: "${steps.frame.a}"}
  of_mapping: {run: partsteps.show, inputs: {value: "${steps.mapping.a}"}}
"""


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes", "dask"])
def test_a_part_of_a_value_that_is_no_dict_is_refused_saying_so(
    tmp_path: Path, executor: str, request: pytest.FixtureRequest
) -> None:
    spec = executor_spec(executor, request)
    (tmp_path / "partsteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(CONFIG.replace("EXECUTOR", spec)))
    result = pipeflow_in(tmp_path, "run", "pipeline.yaml", "--keep-going")
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    for step, kind in [
        ("of_frame", "a DataFrame"),
        ("gated", "a DataFrame"),
        ("of_list", "a list"),
    ]:
        line = next(line for line in out.splitlines() if line.startswith(f"{step}: FAILED"))
        assert f"returned {kind}, not a dict" in line, line
        assert "no key" not in line, line
        source = "frame" if kind == "a DataFrame" else "listed"
        assert f"`${{steps.{source}}}`" in line, line  # what to write instead
    line = next(line for line in out.splitlines() if line.startswith("of_mapping: FAILED"))
    assert "a dict with no key `a`" in line, line
    assert "`b`, `c`" in line, line
