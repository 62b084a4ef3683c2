"""A required argument no input gives is told how to give it in the config's own syntax:
`x: ...` under `inputs` in YAML, `x = ...` in TOML. Before, a TOML config was told the YAML
spelling."""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = "def f(rows, scale=1):\n    return rows * scale\n"
CONFIGS = {
    "yaml": "name: p\nsteps:\n  a: {run: hsteps.f, inputs: {scale: 2}}\n",
    "toml": 'name = "p"\n[steps.a]\nrun = "hsteps.f"\ninputs = {scale = 2}\n',
}
HINTS = {"yaml": "add `rows: ...` under `inputs`", "toml": "add `rows = ...` to `inputs`"}


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_missing_input_is_told_in_the_configs_syntax(
    make_project: ProjectFactory, kind: str
) -> None:
    config = make_project(CONFIGS[kind], name=f"pipeline.{kind}", hsteps=STEPS)
    ran = pipeflow_in(config.parent, "validate", str(config))
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert "missing input `rows`" in ran.stderr, ran.stderr
    assert HINTS[kind] in ran.stderr, ran.stderr
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config)
    assert [problem.hint for problem in raised.value.problems] == [HINTS[kind]]
