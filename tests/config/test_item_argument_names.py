"""A `foreach` item that no argument of the function takes is one problem, at `as:` (or at
`foreach:`, without `as:`), saying that the item goes by that name and which `as:` fits.

Before, `foreach: [1, 2]` without `as:` on `def square(i)` gave two problems at `inputs` (a
key the step does not even have): "unknown input `item`", an input the user never wrote,
and "missing input `i`", though the item was meant for it; a misspelt `as: ii` said "did you
mean `i`?" about an input `ii` that no `inputs:` holds. YAML and TOML, `validate`, `run` and
`pipeflow.load` say the same.
"""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
def square(i):
    return i * i


def scale(factor, value):
    return factor * value


def anything(**kwargs):
    return kwargs
"""

# (id, function, `as:` or None, inputs, the `as:` the hint gives)
CASES = [
    ("no-as", "square", None, {}, "i"),
    ("misspelt-as", "square", "ii", {}, "i"),
    ("other-argument-given", "scale", None, {"factor": 2}, "value"),
    ("unrelated-as", "scale", "x", {"factor": 2}, "value"),
]


def _config(kind: str, function: str, item: str | None, inputs: dict[str, int]) -> str:
    if kind == "toml":
        text = f'name = "items"\n[steps.each]\nrun = "isteps.{function}"\nforeach = [1, 2]\n'
        if item:
            text += f'as = "{item}"\n'
        if inputs:
            text += "inputs = {" + ", ".join(f"{k} = {v}" for k, v in inputs.items()) + "}\n"
        return text
    text = f"name: items\nsteps:\n  each:\n    run: isteps.{function}\n    foreach: [1, 2]\n"
    if item:
        text += f"    as: {item}\n"
    if inputs:
        text += "    inputs: {" + ", ".join(f"{k}: {v}" for k, v in inputs.items()) + "}\n"
    return text


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(
    ("function", "item", "inputs", "fits"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_an_item_no_argument_takes_is_one_problem_with_the_as_that_fits(
    make_project: ProjectFactory,
    kind: str,
    function: str,
    item: str | None,
    inputs: dict[str, int],
    fits: str,
) -> None:
    name = f"pipeline.{kind}"
    config = make_project(_config(kind, function, item, inputs), name=name, isteps=STEPS)
    where = "as" if item else "foreach"
    line = (5 if kind == "toml" else 6) if item else 4 if kind == "toml" else 5
    for command in ("validate", "run"):
        result = pipeflow_in(config.parent, command, name)
        assert result.returncode == 2, result.stderr
        assert "1 problem found" in result.stderr, result.stderr
        assert f"{name}:{line}:" in result.stderr, result.stderr
        assert f"error at `steps.each.{where}`" in result.stderr, result.stderr
        assert f"the `foreach` item goes to the function as `{item or 'item'}`" in result.stderr
        assert f"hint: name the item `{fits}`" in result.stderr, result.stderr
        assert "missing input" not in result.stderr, result.stderr
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config)
    (problem,) = raised.value.problems
    assert problem.path == f"steps.each.{where}"
    assert problem.line == line


@pytest.mark.parametrize(
    ("function", "item", "inputs"),
    [("square", "i", {}), ("scale", "value", {"factor": 2}), ("anything", None, {})],
)
def test_an_item_an_argument_takes_runs(
    make_project: ProjectFactory, function: str, item: str | None, inputs: dict[str, int]
) -> None:
    config = make_project(_config("yaml", function, item, inputs), isteps=STEPS)
    run = pipeflow.load(config).run(history=False)
    assert run.ok, run.outcomes
