"""A `${params.*}` in a sub-pipeline step's `params:` that names no param is one problem, worded
as in `inputs`. Where the parent's param is a list (`${params.grid.5}`) or a scalar
(`${params.n.a}`), `validate` reported two problems at the one place: the right one ("param
`grid` is a list of 2 items, so it has no `5`") and "names no param `grid.5`: declare it
under `params:`", which sent the user to declare a param that exists. YAML and TOML,
`validate`, `run` and `pipeflow.load`."""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

CHILD = (
    "name: child\nparams: {k: 1}\nsteps:\n  s:\n    run: csteps.same\n"
    '    inputs: {v: "${params.k}"}\n'
)
STEPS = "def same(v):\n    return v\n"

YAML = (
    "name: p\nparams: {grid: [[1, 2], [3]], n: 1, m: {a: 1}}\nsteps:\n"
    "  c:\n    pipeline: child.yaml\n    params: {k: %s}\n"
)
TOML = (
    'name = "p"\n[params]\ngrid = [[1, 2], [3]]\nn = 1\nm = {a = 1}\n'
    '[steps.c]\npipeline = "child.yaml"\nparams = {k = %s}\n'
)

CASES = [
    ("${params.grid.5}", "param `grid` is a list of 2 items, so it has no `5`"),
    ("${params.grid.1.1}", "param `grid.1` is a list of 1 item, so it has no `1`"),
    ("${params.n.a}", "param `n` is an int (1), so it has no `a`"),
    ("x-${params.grid.7}", "param `grid` is a list of 2 items, so it has no `7`"),
    ("${params.m.b}", "`${params.m.b}` names no param `m.b`"),
]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("reference", "said"), CASES)
def test_one_problem_worded_as_in_inputs(
    make_project: ProjectFactory, kind: str, reference: str, said: str
) -> None:
    make_project(CHILD, name="child.yaml", csteps=STEPS)
    config = make_project(
        (YAML if kind == "yaml" else TOML) % f'"{reference}"', name=f"pipeline.{kind}"
    )
    for command in ("validate", "run"):
        result = pipeflow_in(config.parent, command, config.name)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "error at `steps.c.params.k`" in result.stderr
        assert said in result.stderr
        assert result.stderr.count("error at") == 1, result.stderr
        assert "1 problem found" in result.stderr
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config)
    assert len(raised.value.problems) == 1
    assert said in str(raised.value)
