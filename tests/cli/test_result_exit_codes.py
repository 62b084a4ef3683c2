"""`pipeflow result CONFIG STEP` exits as SPEC section 9 reads: 3 when the step has no
up-to-date stored result and a run would make one (as `run --frozen` for stale steps), 2 when
the question cannot have an answer as asked (a step that never stores its result, a step
skipped under the params given), never 1, which means a step failed. Before, all of these
exited 1, so a script could not tell "run it first" from a broken store."""

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


def listed() -> list:
    return [1, 2]
"""

CONFIG = """
name: exits
params: {n: 2, enabled: true, xs: [1, 2]}
results: {root: out}
steps:
  plain: {run: codes.value, inputs: {n: "${params.n}"}}
  after: {run: codes.double, inputs: {x: "${steps.plain}"}}
  fresh: {run: codes.value, cache: false}
  unstored: {run: codes.value, result: false}
  behind: {run: codes.double, inputs: {x: "${steps.unstored}"}}
  gated: {run: codes.value, when: "${params.enabled}"}
  items: {run: codes.square, foreach: "${params.xs}", as: x}
  listed: {run: codes.listed}
  late: {run: codes.square, foreach: "${steps.listed}", as: x}
  fresh_items: {run: codes.square, foreach: [1, 2], as: x, cache: false}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "codes.py").write_text(textwrap.dedent(STEPS))
    path = tmp_path / "pipeline.yaml"
    path.write_text(textwrap.dedent(CONFIG))
    return path


# A run would make each of these: exit 3, `pipeflow.NoCurrentResult`.
NEEDS_A_RUN = {
    "never run": ("plain", ()),
    "never run, a step after": ("after", ()),
    "a param changed": ("plain", ("--param", "n=3")),
    "a param changed upstream": ("after", ("--param", "n=3")),
    "cache: false, never run": ("fresh", ()),
    "after a step whose result is never stored": ("behind", ()),
    "foreach, an item never run": ("items", ("--param", "xs=[1, 2, 3]")),
    "foreach over a step's value": ("late", ()),
    "foreach, cache: false, never run": ("fresh_items", ()),
}


# After a run, a `cache: false` step's latest stored result is shown (exit 0).
CASES = [
    (case, ran)
    for case in sorted(NEEDS_A_RUN)
    for ran in (False, True)
    if not (ran and "cache: false" in case)
]


@pytest.mark.parametrize(
    ("case", "ran"), CASES, ids=[f"{c}-{'after a run' if r else 'nothing run'}" for c, r in CASES]
)
def test_no_up_to_date_result_exits_3(config: Path, case: str, ran: bool) -> None:
    step, options = NEEDS_A_RUN[case]
    if ran:
        assert pipeflow.load(config).run().ok
        if case == "foreach over a step's value":  # its items are current after a run
            steps = config.parent / "codes.py"
            steps.write_text(steps.read_text().replace("return [1, 2]", "return [1, 2, 3]"))
        elif case in {"never run", "never run, a step after"}:
            options = ("--param", "n=5")  # what a run with other params would store
    shown = CliRunner().invoke(cli, ["result", str(config), step, *options])
    assert shown.exit_code == 3, shown.output
    assert "Traceback" not in shown.output
    params = dict(option.split("=", 1) for option in options[1::2])
    pipeline = pipeflow.load(config, param_options=[f"{k}={v}" for k, v in params.items()])
    with pytest.raises(pipeflow.NoCurrentResult) as raised:
        pipeline.result(step)
    assert raised.value.exit_code == 3
    assert str(raised.value) == shown.stderr.strip()


# The question has no answer as asked: exit 2.
CANNOT_HAVE_ONE = {
    "result: false": ("unstored", ()),
    "skipped under these params": ("gated", ("--param", "enabled=false")),
}


@pytest.mark.parametrize("case", sorted(CANNOT_HAVE_ONE))
def test_a_step_that_cannot_have_a_stored_result_as_asked_exits_2(config: Path, case: str) -> None:
    step, options = CANNOT_HAVE_ONE[case]
    assert pipeflow.load(config).run().ok
    shown = CliRunner().invoke(cli, ["result", str(config), step, *options])
    assert shown.exit_code == 2, shown.output
    assert "Traceback" not in shown.output
    with pytest.raises(pipeflow.UsageError):
        pipeflow.load(config, param_options=list(options[1::2])).result(step)


def test_an_up_to_date_result_still_exits_0(config: Path) -> None:
    assert pipeflow.load(config).run().ok
    for step in ("plain", "after", "fresh", "items", "late", "gated"):
        shown = CliRunner().invoke(cli, ["result", str(config), step])
        assert shown.exit_code == 0, (step, shown.output)
