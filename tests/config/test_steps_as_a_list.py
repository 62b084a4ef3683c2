"""Steps written as a list of named nodes, as Kedro and many CI tools write them
(`steps: [{name: load, run: ...}]`, `[[steps]]` with `name = "load"` in TOML), are refused
with the spelling pipeflow reads, made from the user's own first step: "name each step by its
key: `load: {run: steps.io.load}` under `steps:`". Before, the hint was "write `key: value`
entries here, not `- item` entries". YAML and TOML, `validate` and `pipeflow.load`."""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

YAML = "name: p\nsteps:\n  - name: load\n    run: steps.io.load\n  - name: train\n    run: x.y\n"
TOML = (
    "name = 'p'\n[[steps]]\nname = 'load'\nrun = 'steps.io.load'\n"
    "[[steps]]\nname = 'train'\nrun = 'x.y'\n"
)
HINTS = {
    "yaml": "name each step by its key: `load: {run: steps.io.load}` under `steps:`",
    "toml": 'name each step by its key: `[steps.load]` with `run = "steps.io.load"`',
}


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_list_of_named_steps_is_refused_with_the_keyed_spelling(
    make_project: ProjectFactory, kind: str
) -> None:
    config = make_project(YAML if kind == "yaml" else TOML, name=f"pipeline.{kind}")
    result = pipeflow_in(config.parent, "validate", config.name)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error at `steps`: expected a mapping for `steps`, got a list" in result.stderr
    assert HINTS[kind] in result.stderr, result.stderr
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config)
    assert HINTS[kind] in str(raised.value)
