"""A step whose one output is named `value` (`outputs: [value]`, the name pipeflow gives the
single value of a step without `outputs:`) reads the same on every path: its value is the
dict `{"value": ...}` and its part `value` is what the step put there, whether it ran or came
from the cache, through `${steps.m}`, `${steps.m.value}`, `when:`, `Pipeline.result` and
`pipeflow result`, for a plain step and for a `foreach` step's items."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli.main import cli
from tests.conftest import ProjectFactory

STEPS = """
def make():
    return {"value": 5}


def item(x):
    return {"value": x * 10}


def show(x):
    return repr(x)
"""

CONFIG = """
name: named
results: {root: out}
steps:
  m: {run: vsteps.make, outputs: [value]}
  each: {run: vsteps.item, foreach: [1, 2], as: x, outputs: [value]}
  whole: {run: vsteps.show, inputs: {x: "${steps.m}"}}
  part: {run: vsteps.show, inputs: {x: "${steps.m.value}"}}
  items: {run: vsteps.show, inputs: {x: "${steps.each}"}}
  item_parts: {run: vsteps.show, inputs: {x: "${steps.each.value}"}}
  gated: {run: vsteps.show, inputs: {x: 1}, when: "${steps.m.value}"}
"""

EXPECTED = {
    "whole": "{'value': 5}",
    "part": "5",
    "items": "[{'value': 10}, {'value': 20}]",
    "item_parts": "[10, 20]",
    "gated": "1",
}


@pytest.mark.parametrize("cached", [False, True], ids=["ran", "from-the-cache"])
def test_an_output_named_value_reads_the_same_everywhere(
    make_project: ProjectFactory, cached: bool
) -> None:
    config = make_project(CONFIG, vsteps=STEPS)
    first = pipeflow.load(config).run(history=False)
    assert first.ok, first.outcomes
    if cached:  # the readers run again, the producers come from the cache
        readers = list(EXPECTED)
        run = pipeflow.load(config).run(history=False, force=readers)
        assert run.ok, run.outcomes
        assert run.outcomes["m"].state.value == "cached"
    pipe = pipeflow.load(config)
    for reader, shown in EXPECTED.items():
        assert pipe.result(reader).load() == shown, reader
    assert pipe.result("m").load() == {"value": 5}
    assert pipe.result("m").load("value") == 5
    assert pipe.result("each").load() == [{"value": 10}, {"value": 20}]
    assert pipe.result("each").load("value") == [10, 20]
    shown = CliRunner().invoke(cli, ["result", str(config), "m", "--show"])
    assert shown.exit_code == 0, shown.output
    assert "{'value': 5}" in shown.output or '"value": 5' in shown.output, shown.output
