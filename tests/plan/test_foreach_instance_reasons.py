"""Two instances of one sub-pipeline store under its step names; a `foreach` step of one that
runs says what changed since the result its own instance stored (of those as far from today's),
as a plain step does. Before, it compared with the step's newest result, often the other
instance's: `c1/m` said "param k changed (10 -> 3)" though c1's k was always 3 (10 was c2's)."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow

STEPS = """
def mul(x, k):
    return x * k


def add(a, b):
    return a + b
"""

CHILD = """
name: child
params: {k: 2, xs: [1, 2]}
steps:
  m: {run: instancesteps.mul, foreach: "${params.xs}", as: x, inputs: {k: "${params.k}"}}
  s: {run: instancesteps.add, inputs: {a: 1, b: "${params.k}"}}
"""

PARENT = """
name: parent
params: {xs: [1, 2, 3], k: 3, k2: 10}
steps:
  c1: {pipeline: child.yaml, params: {k: "${params.k}", xs: "${params.xs}"}}
  c2: {pipeline: child.yaml, params: {k: "${params.k2}"}}
"""

# Whichever instance stored last, one of the two instances is told about the other's result.
CHANGES = {
    "c1's list": (
        {"xs": [1, 2, 3, 4]},
        {
            "c1/m": "1 of 4 items have no stored result "
            "(param xs changed ([1, 2, 3] -> [1, 2, 3, 4]))"
        },
    ),
    "c1's k": (
        {"k": 4},
        {
            "c1/m": "3 of 3 items have no stored result (param k changed (3 -> 4))",
            "c1/s": "param k changed (3 -> 4)",
        },
    ),
    "c2's k": (
        {"k2": 11},
        {
            "c2/m": "2 of 2 items have no stored result (param k changed (10 -> 11))",
            "c2/s": "param k changed (10 -> 11)",
        },
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_foreach_step_of_an_instance_compares_with_its_own_instance(
    tmp_path: Path, change: str
) -> None:
    (tmp_path / "instancesteps.py").write_text(STEPS)
    (tmp_path / "child.yaml").write_text(CHILD)
    config = tmp_path / "parent.yaml"
    config.write_text(PARENT)
    assert pipeflow.load(config).run(history=False).ok
    params, expected = CHANGES[change]
    reasons = {d.step: d.reason for d in pipeflow.load(config, params=params).status()}
    assert {name: reasons[name] for name in expected} == expected
