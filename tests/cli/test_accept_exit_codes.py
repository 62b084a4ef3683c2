"""`pipeflow accept CONFIG STEP` exits as `pipeflow result` does (SPEC section 9): 3 when there
is no stored result it may stamp and a run is what makes one (never run, params or inputs
changed, what it takes from other steps not current), 2 when the step can have nothing to
accept (its result is never stored, or it has `cache: false`). Before, all of these exited 1,
which means a step failed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli

STEPS = """
def value(n: int = 2) -> int:
    return n


def double(x: int) -> int:
    return x * 2


def square(x: int) -> int:
    return x * x
"""

CONFIG = """
name: accepting
params: {n: 2, xs: [1, 2]}
results: {root: out}
steps:
  plain: {run: acodes.value, inputs: {n: "${params.n}"}}
  after: {run: acodes.double, inputs: {x: "${steps.plain}"}}
  fresh: {run: acodes.value, cache: false}
  unstored: {run: acodes.value, result: false}
  behind: {run: acodes.double, inputs: {x: "${steps.unstored}"}}
  items: {run: acodes.square, foreach: "${params.xs}", as: x}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "acodes.py").write_text(textwrap.dedent(STEPS))
    path = tmp_path / "pipeline.yaml"
    path.write_text(textwrap.dedent(CONFIG))
    return path


# A run would make what there is to accept: exit 3, `pipeflow.NoCurrentResult`.
NEEDS_A_RUN = {
    "never run": ("plain", (), False),
    "a param changed": ("plain", ("--param", "n=3"), True),
    "what it takes is not current": ("after", ("--param", "n=3"), True),
    "after a step whose result is never stored": ("behind", (), True),
    "foreach, no item computed from today's inputs": ("items", ("--param", "xs=[5, 6]"), True),
}


@pytest.mark.parametrize("case", sorted(NEEDS_A_RUN))
def test_nothing_to_accept_until_a_run_exits_3(config: Path, case: str) -> None:
    step, options, ran = NEEDS_A_RUN[case]
    if ran:
        assert pipeflow.load(config).run().ok
    shown = CliRunner().invoke(cli, ["accept", str(config), step, *options])
    assert shown.exit_code == 3, shown.output
    assert "Traceback" not in shown.output
    pipeline = pipeflow.load(config, param_options=list(options[1::2]))
    with pytest.raises(pipeflow.NoCurrentResult):
        pipeline.accept(step)


@pytest.mark.parametrize("step", ["unstored", "fresh"])
def test_a_step_with_nothing_ever_to_accept_exits_2(config: Path, step: str) -> None:
    assert pipeflow.load(config).run().ok
    shown = CliRunner().invoke(cli, ["accept", str(config), step])
    assert shown.exit_code == 2, shown.output
    assert "Traceback" not in shown.output
    assert "nothing was changed" in shown.stderr
    with pytest.raises(pipeflow.UsageError):
        pipeflow.load(config).accept(step)
