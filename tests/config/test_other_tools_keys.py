"""A step key as another tool spells it is told the pipeflow key it means, in YAML and TOML.

A user coming from Prefect, Airflow, GitHub Actions, docker-compose or DVC writes the
function's arguments as `args:`, `kwargs:`, `parameters:` or `with:`, the order as
`depends_on:` or `needs:`, and DVC's `deps:`/`outs:`/`cmd:`; the hint was the closest
spelling among pipeflow's keys ("did you mean `tags`?" for `args`, "`writes`?" for `with`,
"`reads`?" for `needs`), which sent them the wrong way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.system import pipeflow_in

STEPS = "def load(path):\n    return path\n\n\ndef first():\n    return 1\n"

# (the key as written, its value in YAML, in TOML, the start of the hint)
CASES = [
    ("args", "{path: a.csv}", '{path = "a.csv"}', "`args` is `inputs` here"),
    ("kwargs", "{path: a.csv}", '{path = "a.csv"}', "`kwargs` is `inputs` here"),
    ("parameters", "{path: a.csv}", '{path = "a.csv"}', "`parameters` is `inputs` here"),
    ("with", "{path: a.csv}", '{path = "a.csv"}', "`with` is `inputs` here"),
    ("depends_on", "[first]", '["first"]', "`depends_on` is `after` here"),
    ("needs", "[first]", '["first"]', "`needs` is `after` here"),
    ("deps", "[a.csv]", '["a.csv"]', "the files a step reads go under `reads`"),
    ("outs", "[out]", '["out"]', "the files a step writes go under `writes`"),
    ("if", "true", "true", "`if` is `when` here"),
    # Prefect 1's task settings
    ("upstream_tasks", "[first]", '["first"]', "`upstream_tasks` is `after` here"),
    ("nout", "2", "2", "`nout` is `outputs` here"),
    ("log_stdout", "true", "true", "what a step prints is always shown after its name"),
    ("checkpoint", "false", "false", "every step's value is stored unless the step says"),
    ("cache_for", "1h", '"1h"', "a step is taken from the cache for as long as its code"),
    ("cache_validator", "x", '"x"', "a step is taken from the cache for as long as its code"),
]


def _config(kind: str, key: str, yaml_value: str, toml_value: str) -> str:
    if kind == "toml":
        return (
            'name = "tools"\n[steps.first]\nrun = "tsteps.first"\n'
            f'[steps.load]\nrun = "tsteps.load"\ninputs = {{path = "a.csv"}}\n'
            f"{key} = {toml_value}\n"
        )
    return (
        "name: tools\nsteps:\n  first: {run: tsteps.first}\n"
        f"  load:\n    run: tsteps.load\n    inputs: {{path: a.csv}}\n    {key}: {yaml_value}\n"
    )


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(
    ("key", "yaml_value", "toml_value", "hint"), CASES, ids=[case[0] for case in CASES]
)
def test_a_key_of_another_tool_is_told_the_key_it_means(
    tmp_path: Path, kind: str, key: str, yaml_value: str, toml_value: str, hint: str
) -> None:
    (tmp_path / "tsteps.py").write_text(STEPS)
    name = f"pipeline.{kind}"
    (tmp_path / name).write_text(_config(kind, key, yaml_value, toml_value))
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(tmp_path / name)
    (problem,) = raised.value.problems
    assert problem.path == f"steps.load.{key}"
    assert problem.message == f"unknown key `{key}` in step `load`"
    assert problem.hint is not None
    assert problem.hint.startswith(hint), problem.hint
    assert "did you mean" not in problem.hint
    example = "inputs = {" if kind == "toml" else "inputs: {"
    if "`inputs`" in hint:
        assert example in problem.hint, problem.hint
    if key == "checkpoint":  # the spelling of the config's language
        assert ("`result = false`" if kind == "toml" else "`result: false`") in problem.hint
        assert ("`checkpoint = false`" if kind == "toml" else "`checkpoint: false`") in (
            problem.hint
        )
    if key.startswith("cache_"):
        assert ("`cache = false`" if kind == "toml" else "`cache: false`") in problem.hint
    result = pipeflow_in(tmp_path, "validate", name)
    assert result.returncode == 2, result.stderr
    assert hint in result.stderr, result.stderr


def test_a_close_spelling_of_a_pipeflow_key_is_still_suggested(tmp_path: Path) -> None:
    (tmp_path / "tsteps.py").write_text(STEPS)
    (tmp_path / "pipeline.yaml").write_text(_config("yaml", "retrys", "1", "1"))
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(tmp_path / "pipeline.yaml")
    (problem,) = raised.value.problems
    assert problem.hint == "did you mean `retries`?"


# (the top-level key as written, its value in YAML, in TOML, the start of the hint)
TOP = [
    ("stages", "{}", "{}", "`stages` is `steps` here"),
    ("jobs", "{}", "{}", "`jobs` is `steps` here"),
    ("tasks", "{}", "{}", "`tasks` is `steps` here"),
    ("vars", "{a: 1}", "{a = 1}", "`vars` is `params` here"),
    ("include", "[other.yaml]", '["other.yaml"]', "pipeflow includes no file"),
    ("extends", "base.yaml", '"base.yaml"', "pipeflow includes no file"),
]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("key", "yaml_value", "toml_value", "hint"), TOP, ids=[t[0] for t in TOP])
def test_a_top_level_key_of_another_tool_is_told_the_key_it_means(
    tmp_path: Path, kind: str, key: str, yaml_value: str, toml_value: str, hint: str
) -> None:
    (tmp_path / "tsteps.py").write_text(STEPS)
    name = f"pipeline.{kind}"
    if kind == "toml":
        text = f'name = "tools"\n{key} = {toml_value}\n[steps.first]\nrun = "tsteps.first"\n'
    else:
        text = f"name: tools\n{key}: {yaml_value}\nsteps:\n  first: {{run: tsteps.first}}\n"
    (tmp_path / name).write_text(text)
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(tmp_path / name)
    (problem,) = raised.value.problems
    assert problem.path == key
    assert problem.hint is not None
    assert problem.hint.startswith(hint), problem.hint
