"""A file whose name is not UTF-8 (a Latin-1 `café.txt`) in what a step's key counts: a folder
path input, a glob, `reads:`. It is fingerprinted like any other (the name's bytes), never a
crash, and editing it re-runs the step."""

from __future__ import annotations

import os

import pytest

import pipeflow
from tests.conftest import ProjectFactory

STEPS = """
import os

def count(src=None):
    return len(os.listdir(os.path.join(os.path.dirname(__file__), "data", "in")))
"""

CONFIG = """
name: names
results: {root: out}
executor: {type: %s}
steps:
  count: %s
"""

CHANNELS = {
    "folder input": "{run: steps.count, inputs: {src: data/in/}}",
    "glob input": "{run: steps.count, inputs: {src: data/in/*.txt}}",
    "reads folder": "{run: steps.count, reads: [data/in/]}",
    "reads glob": "{run: steps.count, reads: ['data/in/*.txt']}",
}


@pytest.mark.parametrize("channel", sorted(CHANNELS))
@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_a_non_utf8_file_name_is_fingerprinted(
    make_project: ProjectFactory, executor: str, channel: str
) -> None:
    config = make_project(CONFIG % (executor, CHANNELS[channel]), steps=STEPS)
    folder = config.parent / "data" / "in"
    folder.mkdir(parents=True)
    name = os.path.join(os.fsencode(folder), b"caf\xe9.txt")
    with open(name, "wb") as handle:
        handle.write(b"x")
    first = pipeflow.load(config).run()
    assert first.ok, first.outcomes
    assert first.output("count") == 1
    assert pipeflow.load(config).run().state("count").value == "cached"
    with open(name, "wb") as handle:
        handle.write(b"edited")
    again = pipeflow.load(config).run()
    assert again.state("count").value == "done", again.outcomes
