"""A step that waits for an upstream step which runs names its own param change only when there
is one since the stored result it is compared with: the newest made from today's params and
literals, and of those as far from today's, its own sub-pipeline instance's (docs/caching.md),
as a step that does not wait is. Before, it compared with its newest result: after runs with
`depth=3` then `depth=5`, a change upstream made `b` say "param depth changed (5 -> 3)" though
depth=3 has its own result; `one/train` said "param factor changed (4 -> 2)", `two`'s factor."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli

STEPS = """
def a(x):
    return x + 1


def b(v, depth):
    return v * depth
"""

CONFIG = """
name: reason
params: {x: 1, depth: 3}
results: {root: store}
steps:
  a: {run: rsteps.a, inputs: {x: "${params.x}"}}
  b: {run: rsteps.b, inputs: {v: "${steps.a}", depth: "${params.depth}"}}
"""

CHILD_STEPS = """
def src(x):
    return x


def train(v, factor):
    return v * factor
"""

CHILD = """
name: child
params: {factor: 1, x: 1}
results: {root: store}
steps:
  src: {run: csteps.src, inputs: {x: "${params.x}"}}
  train: {run: csteps.train, inputs: {v: "${steps.src}", factor: "${params.factor}"}}
"""

PARENT = """
name: parent
params: {x: 1}
results: {root: store}
steps:
  one: {pipeline: child.yaml, params: {factor: 2, x: "${params.x}"}}
  two: {pipeline: child.yaml, params: {factor: 4, x: "${params.x}"}}
"""


def shown_reasons(config: Path, *options: str) -> dict[str, str]:
    """The reasons of every channel that shows one, checked to agree: the API's `status`,
    `pipeflow status` and its `--json`, `run --dry-run`."""
    params = dict(option.split("=", 1) for option in options)
    api = {
        d.step: d.reason
        for d in pipeflow.load(config, params={k: int(v) for k, v in params.items()}).status()
    }
    args = [str(config), *(f"--param={option}" for option in options)]
    listed = json.loads(CliRunner().invoke(cli, ["status", "--json", *args]).output)["steps"]
    assert {row["step"]: row["reason"] for row in listed} == api
    text = CliRunner().invoke(cli, ["status", *args]).output
    dry = CliRunner().invoke(cli, ["run", "--dry-run", *args]).output
    for step, reason in api.items():
        assert any(line.split()[:1] == [step] and reason in line for line in text.splitlines())
        assert reason in dry, dry
    return api


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    (tmp_path / "rsteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    assert pipeflow.load(config).run().ok
    assert pipeflow.load(config, params={"depth": 5}).run().ok
    return config


def test_a_waiting_step_with_a_result_of_todays_params_names_no_param(plain: Path) -> None:
    why = shown_reasons(plain, "x=2")
    assert why == {"a": "param x changed (1 -> 2)", "b": "`a` runs first"}
    # Its newest result is depth=5's: with depth=5 today as well, nothing of its own changed.
    assert shown_reasons(plain, "x=2", "depth=5")["b"] == "`a` runs first"


def test_a_waiting_step_whose_param_changed_still_says_so(plain: Path) -> None:
    why = shown_reasons(plain, "x=2", "depth=7")
    assert why["b"] == "param depth changed (5 -> 7)"  # no result has 7: the newest


@pytest.fixture
def parent(tmp_path: Path) -> Path:
    (tmp_path / "csteps.py").write_text(textwrap.dedent(CHILD_STEPS))
    (tmp_path / "child.yaml").write_text(textwrap.dedent(CHILD))
    config = tmp_path / "parent.yaml"
    config.write_text(textwrap.dedent(PARENT))
    assert pipeflow.load(config).run().ok
    return config


def test_each_sub_pipeline_instance_compares_with_its_own_result(parent: Path) -> None:
    why = shown_reasons(parent, "x=2")
    assert why["one/train"] == "`one/src` runs first"
    assert why["two/train"] == "`two/src` runs first"


def test_result_gives_the_same_reason_after_the_child_ran_alone(parent: Path) -> None:
    """The sub-pipeline run on its own last (factor 1): `pipeflow result` of an instance's
    step, whose upstream step would run, says that, not "param factor changed (1 -> 2)"."""
    assert pipeflow.load(parent.parent / "child.yaml").run().ok

    for instance in ("one", "two"):
        shown = CliRunner().invoke(
            cli, ["result", str(parent), f"{instance}/train", "--param", "x=2"]
        )
        assert shown.exit_code == 3, shown.output
        assert f"(`{instance}/src` runs first)" in shown.output, shown.output
        assert "factor" not in shown.output
