"""A `foreach` target naming a key the items lack (`{v.a}` over ints, `{v.b}` over mappings
without `b`) fails the step with a located message saying what the item is and what to do,
and none of pipeflow's frames, when the items are known only during the run; validation says
the same when they are known before. Before, the run printed frames of
pipeflow/storage/templates.py as if they were the step's code, and neither said the items were
ints."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.run import StepState

STEPS = """
def ints():
    return [0, 1]


def nested():
    return [{"a": 1}, {"a": 2}]


def echo(v):
    return v


def echo_item(item):
    return item
"""

# (items, `as:`/input, target) -> what the message says of the first item
CASES = {
    "a key of an int": ("ints", "as: v", "o/{v.a}.json", "`{v.a}` names key `a` of the item"),
    "a key of an int, as {item}": (
        "ints",
        "",
        "o/{item.a}.json",
        "`{item.a}` names key `a` of the item",
    ),
    "a key below an int": (
        "nested",
        "as: v",
        "o/{v.a.b}.json",
        "`{v.a.b}` names key `b` of item.a",
    ),
    "a key the mappings lack": ("nested", "as: v", "o/{v.b}.json", "unknown key of the item {v.b}"),
}
WHAT_IT_IS = {  # the item that fails first differs between executors
    "a key of an int": "but the item is an int (",
    "a key of an int, as {item}": "but the item is an int (",
    "a key below an int": "but item.a is an int (",
    "a key the mappings lack": "known under item: a",
}


def _config(tmp_path: Path, case: str, executor: str) -> Path:
    source, name, target, _ = CASES[case]
    (tmp_path / "keysteps.py").write_text(textwrap.dedent(STEPS))
    run = "keysteps.echo" if name else "keysteps.echo_item"
    item = f"{name}, " if name else ""
    config = tmp_path / "p.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: p
            executor: {{type: {executor}}}
            results: {{root: out}}
            steps:
              g: {{run: keysteps.{source}}}
              t: {{run: {run}, foreach: "${{steps.g}}", {item}result: {{target: "{target}"}}}}
            """
        )
    )
    return config


@pytest.mark.parametrize("executor", ["sequential", "processes"])
@pytest.mark.parametrize("case", CASES)
def test_a_missing_item_key_in_a_target_fails_the_step_cleanly(
    tmp_path: Path, case: str, executor: str
) -> None:
    run = pipeflow.load(_config(tmp_path, case, executor)).run(history=False)
    outcome = run.outcomes["t"]
    assert outcome.state is StepState.FAILED
    error = outcome.error or ""
    target, says = CASES[case][2], CASES[case][3]
    assert f"target `{target}` of step `t`" in error, error
    assert says in error, error
    assert WHAT_IT_IS[case] in error, error
    assert "name a key every item has" in error, error
    assert "pipeflow/" not in (outcome.traceback or ""), outcome.traceback


def test_the_cli_shows_no_pipeflow_frames(tmp_path: Path) -> None:
    config = _config(tmp_path, "a key of an int", "sequential")
    shown = subprocess.run(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 1, shown.stdout + shown.stderr
    output = shown.stdout + shown.stderr
    assert "but the item is an int (0), not a mapping" in output, output
    assert "templates.py" not in output, output
    assert "File " not in output, output


def test_validation_says_the_same_when_the_items_are_known(tmp_path: Path) -> None:
    (tmp_path / "keysteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "p.yaml"
    config.write_text(
        "name: p\nsteps:\n  t: {run: keysteps.echo, foreach: [0, 1], as: v, "
        'result: {target: "o/{v.a}.json"}}\n'
    )
    shown = CliRunner().invoke(cli, ["validate", str(config)])
    assert shown.exit_code == 2, shown.output
    assert "`{v.a}` names key `a` of the item, but the item is an int (0), not a mapping" in (
        shown.output
    )
