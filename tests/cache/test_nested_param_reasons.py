"""A step that takes a whole mapping param says which of its keys changed.

Kedro-style projects pass a step one mapping of options (`parameters: ${params.model_options}`)
that holds many keys. Before, a change of one key was said with both whole mappings, old and
new ("param model_options changed ({'features': [...], 'random_state': 3, ...} -> {...})"), a
line that grows with every key and leaves the reader to find the difference. Now each key that
changed is named by its dotted path, as `--param` names it: "param model_options.random_state
changed (3 -> 4)"; a key that appeared "is new", one that went "was removed". The same in
`status`, `run --dry-run` and `--frozen`, from YAML and TOML, params given in Python, in a
params file or with `--param`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
def split(parameters, data):
    return {"size": parameters["model"]["test_size"], "n": len(data)}
"""

YAML = """
name: nested
params:
  options:
    model: {test_size: 0.2, random_state: 3, features: [a, b]}
    note: first
results: {root: out}
steps:
  split: {run: steps.split, inputs: {parameters: "${params.options}", data: [1, 2]}}
"""

TOML = """
name = "nested"
[params.options]
note = "first"
[params.options.model]
test_size = 0.2
random_state = 3
features = ["a", "b"]
[results]
root = "out"
[steps.split]
run = "steps.split"
inputs = { parameters = "${params.options}", data = [1, 2] }
"""

SPELLINGS = {"yaml": ("pipeline.yaml", YAML), "toml": ("pipeline.toml", TOML)}


@pytest.fixture(params=sorted(SPELLINGS))
def config(request: pytest.FixtureRequest, make_project: ProjectFactory) -> Path:
    name, text = SPELLINGS[request.param]
    path = make_project(text, name=name, steps=STEPS)
    assert pipeflow.load(path).run().ok
    return path


def reason(config: Path, **params: object) -> str:
    pipe = pipeflow.load(config, params=params, allow_extra_params=True)
    return {d.step: d.reason for d in pipe.status()}["split"]


def test_one_changed_key_is_named_by_its_path(config: Path) -> None:
    why = reason(config, **{"options.model.random_state": 4})
    assert why == "param options.model.random_state changed (3 -> 4)"


def test_each_changed_key_is_named_and_unchanged_ones_are_not(config: Path) -> None:
    why = reason(config, options={"note": "second", "model": {"features": ["a"]}})
    assert why == (
        "param options.model.features changed (['a', 'b'] -> ['a']); "
        "param options.note changed ('first' -> 'second')"
    )


def test_a_key_added_or_removed_is_said_so(config: Path) -> None:
    assert reason(config, **{"options.model.max_depth": 5}) == (
        "param options.model.max_depth is new"
    )
    text = config.read_text()
    removed = text.replace("note: first", "").replace('note = "first"', "")
    assert removed != text
    config.write_text(removed)
    assert reason(config) == "param options.note was removed"


def test_a_mapping_that_replaces_a_value_is_said_whole(config: Path) -> None:
    """Where a key's value changes kind in the config (a text becomes a mapping), there are
    no keys to compare: the value is said whole, old and new."""
    text = config.read_text()
    edited = text.replace("note: first", "note: {text: x}")
    edited = edited.replace('note = "first"', 'note = { text = "x" }')
    assert edited != text
    config.write_text(edited)
    assert reason(config) == "param options.note changed ('first' -> {'text': 'x'})"


@pytest.mark.parametrize("spelling", ["--param", "--param-file"])
def test_the_command_line_says_the_changed_key(config: Path, spelling: str) -> None:
    if spelling == "--param":
        given = ["--param", "options.model.test_size=0.3"]
    else:
        (config.parent / "local.json").write_text(
            json.dumps({"options": {"model": {"test_size": 0.3}}})
        )
        given = ["--param-file", "local.json"]
    said = "param options.model.test_size changed (0.2 -> 0.3)"
    status = pipeflow_in(config.parent, "status", config.name, *given)
    assert status.returncode == 0, status.stderr
    assert said in status.stdout
    assert "'features'" not in status.stdout  # the keys that did not change are not said
    frozen = pipeflow_in(config.parent, "run", config.name, "--frozen", *given)
    assert frozen.returncode == 3, frozen.stderr
    assert f"split: {said}" in frozen.stderr + frozen.stdout


def test_a_key_beside_a_secret_is_named_and_the_secret_is_not_shown(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_project(
        """
        name: secretive
        params:
          db: {host: h1, password: "${env.NESTED_REASON_SECRET}"}
        results: {root: out}
        steps:
          connect: {run: steps.connect, inputs: {db: "${params.db}"}}
        """,
        steps="def connect(db):\n    return sorted(db)\n",
    )
    monkeypatch.setenv("NESTED_REASON_SECRET", "first-Secret-41")
    assert pipeflow.load(config).run().ok
    why = {d.step: d.reason for d in pipeflow.load(config, params={"db.host": "h2"}).status()}
    assert why["connect"] == "param db.host changed ('h1' -> 'h2')"
