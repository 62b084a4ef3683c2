"""A callable whose parameters are positional-only (`math.sqrt(x, /)`, a `def g(x, /)` of the
project) cannot be given its inputs, which go by name. Its problems say so, and what to do
about a callable that is not the user's to edit: before, `inputs: {y: 1}` for `math.sqrt`
was hinted "the function takes no arguments" (it takes `x`), and a missing `x` was hinted
"remove the `/` after `x`", in a function the user cannot edit. YAML and TOML."""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = "def g(x, /):\n    return x\n"

YAML = "name: p\nallow_imports: [math]\nsteps:\n  a: {run: %s, inputs: {%s: 4}}\n"
TOML = "name = 'p'\nallow_imports = ['math']\n[steps.a]\nrun = '%s'\ninputs = {%s = 4}\n"


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("run", ["math.sqrt", "psteps.g"])
@pytest.mark.parametrize("given", ["x", "y"])
def test_positional_only_parameters_are_said_to_be_so(
    make_project: ProjectFactory, kind: str, run: str, given: str
) -> None:
    config = make_project(
        (YAML if kind == "yaml" else TOML) % (run, given), name=f"pipeline.{kind}", psteps=STEPS
    )
    result = pipeflow_in(config.parent, "validate", config.name)
    assert result.returncode == 2, result.stdout + result.stderr
    said = result.stderr
    assert "takes no arguments" not in said
    assert "call it from a function of your own" in said
    if given == "y":
        assert "it takes `x` by position only" in said
    with pytest.raises(pipeflow.ConfigError, match="function of your own"):
        pipeflow.load(config)
