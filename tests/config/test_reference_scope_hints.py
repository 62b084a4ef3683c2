"""A reference without its scope (`${load}` for `${steps.load}`) is told which one it meant.

A newcomer from Kedro or Prefect, or one who wrote a Dagster or GitHub Actions expression,
writes `${load}` or `${threshold}` for a step's value or a param: "unknown reference" with
the list of scopes made them guess which. When the name is a step, a param or both of the
config, the hint is the reference written out, wherever the reference stands: a whole
value, inside a text, a part of a step's value, `when:`, `reads:`, `writes:`, YAML or TOML.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from tests.conftest import ProjectFactory

STEPS = """
def load():
    return {"rows": 1}


def use(value):
    return value
"""

YAML = """
name: scopes
params: {{threshold: 1, both: 2}}
steps:
  load: {{run: steps.load}}
  both: {{run: steps.load}}
  use:
    run: steps.use
    {field}
"""

TOML = """
name = "scopes"
params = {{threshold = 1, both = 2}}
[steps.load]
run = "steps.load"
[steps.both]
run = "steps.load"
[steps.use]
run = "steps.use"
{field}
"""

PLACES = {
    "whole input": ("inputs: {{value: '{ref}'}}", "inputs = {{value = '{ref}'}}"),
    "inside a text": ("inputs: {{value: 'x-{ref}'}}", "inputs = {{value = 'x-{ref}'}}"),
    "when": ("inputs: {{value: 1}}\n    when: '{ref}'", "inputs = {{value = 1}}\nwhen = '{ref}'"),
    "reads": (
        "inputs: {{value: 1}}\n    reads: ['data/{ref}.csv']",
        "inputs = {{value = 1}}\nreads = ['data/{ref}.csv']",
    ),
    "writes": (
        "inputs: {{value: 1}}\n    writes: ['out/{ref}.csv']",
        "inputs = {{value = 1}}\nwrites = ['out/{ref}.csv']",
    ),
}

MEANT = {
    "${load}": "did you mean `${steps.load}`, the value of step `load`?",
    "${load.rows}": "did you mean `${steps.load.rows}`, the value of step `load`?",
    "${threshold}": "did you mean `${params.threshold}`, the param `threshold`?",
    "${both}": "did you mean `${steps.both}`, the value of step `both`, or "
    "`${params.both}`, the param `both`?",
}


CASES = [
    (ref, place)
    for ref in sorted(MEANT)
    for place in sorted(PLACES)
    if not (place in ("reads", "writes") and ref == "${load.rows}")  # a part is no path
]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("ref", "place"), CASES)
def test_a_reference_without_its_scope_is_told_the_one_it_meant(
    make_project: ProjectFactory, kind: str, place: str, ref: str
) -> None:
    yaml_field, toml_field = PLACES[place]
    field = (yaml_field if kind == "yaml" else toml_field).format(ref=ref)
    text = (YAML if kind == "yaml" else TOML).format(field=field)
    config = make_project(text, name=f"pipeline.{kind}", steps=STEPS)
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 2, result.output
    assert f"unknown reference `{ref}`" in result.output
    assert MEANT[ref] in " ".join(result.output.split()), result.output


def test_a_name_that_is_no_step_nor_param_is_told_the_scopes(
    make_project: ProjectFactory,
) -> None:
    text = YAML.format(field="inputs: {value: '${nothing}'}")
    config = make_project(text, steps=STEPS)
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 2, result.output
    assert "a reference starts with `params.`" in result.output
