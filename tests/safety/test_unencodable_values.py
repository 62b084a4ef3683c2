"""A step's value holding a name that is not UTF-8 (`os.listdir` on a Latin-1 `café.txt` gives
`caf\\udce9.txt`): stored in a format that holds it exactly (JSON cannot), never an internal
UnicodeEncodeError, and read back as it was returned."""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory

STEPS = """
NAME = b"caf\\xe9.txt".decode("utf-8", "surrogateescape")

def listed():
    return [NAME, "plain"]

def keyed():
    return {NAME: 1}

def bare():
    return NAME
"""

CONFIG = """
name: names
results: {root: out}
executor: {type: %s}
steps:
  s: {run: steps.%s}
"""

EXPECTED = {
    "bare": "caf\udce9.txt",
    "listed": ["caf\udce9.txt", "plain"],
    "keyed": {"caf\udce9.txt": 1},
}


@pytest.mark.parametrize("shape", sorted(EXPECTED))
@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_a_value_with_a_non_utf8_name_is_stored_exactly(
    make_project: ProjectFactory, executor: str, shape: str
) -> None:
    config = make_project(CONFIG % (executor, shape), steps=STEPS)
    first = pipeflow.load(config).run()
    assert first.ok, first.outcomes
    assert first.output("s") == EXPECTED[shape]
    again = pipeflow.load(config).run()
    assert again.state("s").value == "cached"
    assert again.output("s") == EXPECTED[shape]
