"""`pipeflow accept STEP` of a step keyed by the value of a step that runs every time.

A step whose result is never stored (`result: false`), or a `pipeflow.read` step, gives its
value only by running, and `accept` runs no step: accepting a step after one was refused with
"the results it takes from `load` are not up to date; run or accept those first", though no
result of `load` can ever be run into the store or accepted. It now says which step that is,
why it runs every time, and what to do. YAML and TOML, the command line and the API.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import PipeflowError
from tests.system import pipeflow_in

STEPS = """
def load(n):
    return list(range(n))


def total(xs):
    return sum(xs)
"""

CONFIGS = {
    "pipeline.yaml": """
        name: acc
        results: {root: out}
        steps:
          load: {run: accsteps.load, inputs: {n: 3}, result: false}
          raw: {run: pipeflow.read, inputs: {path: n.json}}
          total: {run: accsteps.total, inputs: {xs: "${steps.load}"}}
          again: {run: accsteps.total, inputs: {xs: "${steps.raw}"}}
        """,
    "pipeline.toml": """
        name = "acc"
        results = {root = "out"}
        [steps.load]
        run = "accsteps.load"
        inputs = {n = 3}
        result = false
        [steps.raw]
        run = "pipeflow.read"
        inputs = {path = "n.json"}
        [steps.total]
        run = "accsteps.total"
        inputs = {xs = "${steps.load}"}
        [steps.again]
        run = "accsteps.total"
        inputs = {xs = "${steps.raw}"}
        """,
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_accept_says_which_step_runs_every_time_and_what_to_do(tmp_path: Path, name: str) -> None:
    (tmp_path / "accsteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "n.json").write_text("[1, 2]")
    config = tmp_path / name
    config.write_text(textwrap.dedent(CONFIGS[name]))
    assert pipeflow.load(config).run(history=False).ok
    module = tmp_path / "accsteps.py"
    module.write_text(module.read_text().replace("return sum(xs)", "return sum(xs) + 0"))

    for step, before, why in (
        ("total", "load", "its result is never stored (`result: false`)"),
        ("again", "raw", "it reads a result or file that may have changed"),
    ):
        with pytest.raises(PipeflowError) as refused:
            pipeflow.load(config).accept(step)
        message = str(refused.value)
        assert "run or accept those first" not in message, message
        assert f"`{before}`" in message, message
        assert why in message, message
        assert "run the pipeline" in message, message
        shown = pipeflow_in(tmp_path, "accept", config.name, step)
        assert shown.returncode == 3, shown.stdout + shown.stderr
        assert f"`{before}`" in shown.stderr, shown.stderr
        assert "run or accept those first" not in shown.stderr
