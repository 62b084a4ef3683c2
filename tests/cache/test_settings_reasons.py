"""A step whose result settings changed says which one: its target, its format, its outputs.

A user reorganising where results go (Kedro's catalog paths, a model moved from `.pkl` to
`.joblib`) saw the step run again with "its result settings changed" and nothing more: the
key holds the settings as one digest. The stored result's manifest names its parts and each
part's path and format, so the reason now names the setting: "its result target changed
(stored at models/fit.pkl; the target is now models/v2/{step}.pkl)", "its result format
changed (json -> pickle)", "its outputs changed (['a', 'b'] -> ['a', 'b', 'c'])", "it now has
a result target (...)". The same
in YAML and TOML, for a step and for a `foreach` step's items, in Python and on the command line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
def fit(seed):
    return {"a": seed, "b": [seed, 2], "c": "x"}


def each(item):
    return {"item": item}
"""

YAML = """
name: settings
params: {seed: 1}
results: {root: out}
steps:
  fit: {run: steps.fit, inputs: {seed: "${params.seed}"}, RESULT}
  each: {run: steps.each, foreach: [p, q], ITEMS}
"""

TOML = """
name = "settings"
params = { seed = 1 }
[results]
root = "out"
[steps.fit]
run = "steps.fit"
inputs = { seed = "${params.seed}" }
RESULT
[steps.each]
run = "steps.each"
foreach = ["p", "q"]
ITEMS
"""


def _target(template: str) -> tuple[str, str]:
    return f'result: {{target: "{template}"}}', f'result = {{ target = "{template}" }}'


def _format(name: str) -> tuple[str, str]:
    return f"result: {{format: {name}}}", f'result = {{ format = "{name}" }}'


def _outputs(*names: str) -> tuple[str, str]:
    quoted = ", ".join(f'"{name}"' for name in names)
    return f"outputs: [{', '.join(names)}]", f"outputs = [{quoted}]"


# name -> (the setting in YAML, the same in TOML)
SETTINGS: dict[str, tuple[str, str]] = {
    "json target": _target("models/{step}.json"),
    "moved target": _target("models/v2/{step}.json"),
    "pickle target": _target("models/{step}.pickle"),
    "json format": _format("json"),
    "pickle format": _format("pickle"),
    "no target": ("cache: true", "cache = true"),
    "outputs a b": _outputs("a", "b"),
    "outputs a b c": _outputs("a", "b", "c"),
    "item target": _target("each/{item}.json"),
    "moved item target": _target("items/{item}.json"),
}

Configure = Callable[..., Path]


@pytest.fixture(params=["yaml", "toml"])
def configure(request: pytest.FixtureRequest, make_project: ProjectFactory) -> Configure:
    """Write the config with the settings named (`fit`'s, then `each`'s); its path."""
    spelling = 0 if request.param == "yaml" else 1
    text = YAML if spelling == 0 else TOML

    def write(fit: str, each: str = "no target") -> Path:
        config = text.replace("RESULT", SETTINGS[fit][spelling])
        config = config.replace("ITEMS", SETTINGS[each][spelling])
        return make_project(config, name=f"pipeline.{request.param}", steps=STEPS)

    return write


def reasons(config: Path) -> dict[str, str]:
    return {d.step: d.reason for d in pipeflow.load(config).status()}


@pytest.mark.parametrize(
    ("before", "after", "said"),
    [
        (
            "json target",
            "moved target",
            "its result target changed (stored at models/fit.json; the target is now "
            "models/v2/{step}.json)",
        ),
        (
            "json target",
            "no target",
            "it no longer has a result target (it was stored at models/fit.json)",
        ),
        ("no target", "json target", "it now has a result target (models/{step}.json)"),
        (
            "json target",
            "pickle target",
            "its result target changed (stored at models/fit.json; the target is now "
            "models/{step}.pickle); "
            "its result format changed (json -> pickle)",
        ),
        ("json format", "pickle format", "its result format changed (json -> pickle)"),
        ("no target", "outputs a b", "it now has `outputs: ['a', 'b']`"),
        ("outputs a b", "outputs a b c", "its outputs changed (['a', 'b'] -> ['a', 'b', 'c'])"),
        ("outputs a b", "no target", "it no longer has `outputs:` (it had ['a', 'b'])"),
    ],
)
def test_the_setting_that_changed_is_named(
    configure: Configure, before: str, after: str, said: str
) -> None:
    assert pipeflow.load(configure(before)).run().ok
    assert reasons(configure(after))["fit"] == said


def test_a_foreach_steps_items_name_the_setting(configure: Configure) -> None:
    assert pipeflow.load(configure("no target", "item target")).run().ok
    why = reasons(configure("no target", "moved item target"))["each"]
    # compared with the closest stored item, whichever of the two that is
    assert re.fullmatch(
        r"2 of 2 items have no stored result "
        r"\(its result target changed \(stored at each/[pq]\.json; "
        r"the target is now items/\{item\}\.json\)\)",
        why,
    ), why


def test_the_command_line_names_the_setting(configure: Configure) -> None:
    config = configure("json format")
    assert pipeflow.load(config).run().ok
    config = configure("pickle format")
    for command in (["status", config.name], ["run", config.name, "--dry-run"]):
        shown = pipeflow_in(config.parent, *command)
        assert shown.returncode == 0, shown.stderr
        assert "its result format changed (json -> pickle)" in shown.stdout
