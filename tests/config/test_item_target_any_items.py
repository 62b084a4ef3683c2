"""A `foreach` step's target must name the item (`{item}`, the `as:` name) or `{key}`,
whatever its items are: a literal list, a param, an environment variable or another step's
value. Validation found it only for items known before the run; for a step's value the
mistake passed `validate` and every run failed at that step ("both store their result at")."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
def names():
    return ["a", "b"]


def count(name):
    return len(name)
"""
ITEMS = {
    "literal": ("[a, b]", '["a", "b"]'),
    "param": ('"${params.names}"', '"${params.names}"'),
    "environment": ('"${env.NAMES}"', '"${env.NAMES}"'),
    "step": ('"${steps.names}"', '"${steps.names}"'),
}


def _config(make_project: ProjectFactory, items: str, spelling: str) -> Path:
    yaml_items, toml_items = ITEMS[items]
    if spelling == "yaml":
        text = f"""
        name: counted
        params: {{names: [a, b]}}
        steps:
          names: {{run: itemsteps.names}}
          count: {{run: itemsteps.count, foreach: {yaml_items}, as: name,
                  result: {{target: "counts/all.json"}}}}
        """
    else:
        text = f"""
        name = "counted"
        params = {{names = ["a", "b"]}}
        [steps.names]
        run = "itemsteps.names"
        [steps.count]
        run = "itemsteps.count"
        foreach = {toml_items}
        as = "name"
        result = {{target = "counts/all.json"}}
        """
    return make_project(text, name=f"pipeline.{spelling}", itemsteps=STEPS)


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("items", list(ITEMS))
def test_a_foreach_target_without_the_item_is_refused_at_validation(
    make_project: ProjectFactory, items: str, spelling: str
) -> None:
    config = _config(make_project, items, spelling)
    problem = "its target needs `{key}`, or the item: `{name}`"
    validated = pipeflow_in(config.parent, "validate", config.name, env={"NAMES": "[a]"})
    assert validated.returncode == 2, validated.stdout + validated.stderr
    assert problem in validated.stderr
    assert "count.result.target" in validated.stderr
    with pytest.raises(pipeflow.ConfigError) as caught:
        pipeflow.load(config)
    assert problem in str(caught.value)
    ran = pipeflow_in(config.parent, "run", config.name)
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert not (config.parent / "calls.log").exists()
