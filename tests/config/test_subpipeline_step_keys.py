"""A `pipeline:` step uses `pipeline`, `params`, `after`, `tags` and `description`; every other
step key would be silently ignored there, so validation refuses it, at the key, before any step
runs (SPEC 3), in YAML and in TOML."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

CHILD = """
name: child
steps:
  s: {run: st.add, inputs: {a: 1, b: 2}}
outputs: {s: "${steps.s}"}
"""

# Each key a step may have that a sub-pipeline step does not honour, with a value of its type,
# and what the hint tells to do instead.
ON_THE_CHILD = "set it on the sub-pipeline's steps"
IN_ITS_DEFAULTS = "or under `defaults:` in its config"
PARAMS = "pass values to the sub-pipeline with `params:`"
REFUSED: dict[str, tuple[object, str]] = {
    "inputs": ({"a": 1}, PARAMS),
    "foreach": ([1, 2], PARAMS),
    "as": ("x", PARAMS),
    "when": (True, PARAMS),
    "outputs": (["a"], "top-level `outputs:`"),
    "retries": (2, IN_ITS_DEFAULTS),
    "retry_delay": ("1s", IN_ITS_DEFAULTS),
    "retry_backoff": (2, IN_ITS_DEFAULTS),
    "timeout": ("1s", IN_ITS_DEFAULTS),
    "cache": (False, IN_ITS_DEFAULTS),
    "result": ({"target": "x.json"}, ON_THE_CHILD),
    "code_version": ("v2", ON_THE_CHILD),
    "reads": (["in.txt"], ON_THE_CHILD),
    "writes": (["out.txt"], ON_THE_CHILD),
}


def toml_value(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def parent(language: str, extra: dict[str, object]) -> str:
    if language == "yaml":
        keys = "".join(f"    {key}: {json.dumps(value)}\n" for key, value in extra.items())
        return f"name: parent\nsteps:\n  c:\n    pipeline: child.yaml\n{keys}"
    keys = "".join(f"{key} = {toml_value(value)}\n" for key, value in extra.items())
    return f'name = "parent"\n[steps.c]\npipeline = "child.yaml"\n{keys}'


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "st.py").write_text("def add(a, b):\n    return a + b\n")
    (tmp_path / "child.yaml").write_text(CHILD)
    return tmp_path


@pytest.mark.parametrize("language", ["yaml", "toml"])
@pytest.mark.parametrize("key", sorted(REFUSED))
def test_a_step_key_a_sub_pipeline_step_ignores_is_refused_at_it(
    folder: Path, language: str, key: str
) -> None:
    value, hint = REFUSED[key]
    extra = {"foreach": [1, 2], key: value} if key == "as" else {key: value}
    config = folder / f"parent.{language}"
    config.write_text(parent(language, extra))
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    found = [p for p in raised.value.problems if p.path == f"steps.c.{key}"]
    assert len(found) == 1, [p.format() for p in raised.value.problems]
    line = (5 if language == "yaml" else 4) + list(extra).index(key)
    assert found[0].line == line
    assert f"`{key}` is not used on a sub-pipeline step" in found[0].message
    assert hint in (found[0].hint or "")


@pytest.mark.parametrize("language", ["yaml", "toml"])
def test_the_keys_a_sub_pipeline_step_uses_are_accepted(folder: Path, language: str) -> None:
    extra = {"params": {}, "after": ["first"], "tags": ["t"], "description": "the child"}
    text = parent(language, extra)
    first = "  first: {run: st.add, inputs: {a: 1, b: 1}}\n"
    if language == "yaml":
        text = text.replace("steps:\n", "steps:\n" + first)
    else:
        text += '[steps.first]\nrun = "st.add"\ninputs = {a = 1, b = 1}\n'
    config = folder / f"parent.{language}"
    config.write_text(text)
    assert pipeflow.load(config).steps == ["first", "c/s"]


def test_the_parents_defaults_do_not_count_as_the_steps_own(folder: Path) -> None:
    config = folder / "parent.yaml"
    config.write_text(
        "name: parent\ndefaults: {retries: 2, timeout: 5s, cache: false}\n"
        "steps:\n  c: {pipeline: child.yaml}\n"
    )
    assert pipeflow.load(config).steps == ["c/s"]


def test_validate_exits_2_before_any_step_runs(folder: Path) -> None:
    (folder / "parent.yaml").write_text(
        "name: parent\nsteps:\n  c: {pipeline: child.yaml, retries: 2, timeout: 1s}\n"
    )
    for command in ("validate", "run"):
        done = subprocess.run(
            [sys.executable, "-m", "pipeflow", command, "parent.yaml"],
            cwd=folder,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 2, done.stdout + done.stderr
        assert "parent.yaml:3:29: error at `steps.c.retries`" in done.stderr
        assert "`timeout` is not used on a sub-pipeline step" in done.stderr
        assert not (folder / "data").exists()


@pytest.mark.parametrize("language", ["yaml", "toml"])
@pytest.mark.parametrize("key", sorted(REFUSED))
def test_the_childs_own_problems_are_reported_beside_an_ignored_key(
    folder: Path, language: str, key: str
) -> None:
    """SPEC 3, every problem at once: a key the sub-pipeline step ignores stopped the child
    from being read, so its own mistakes showed only after that key was removed."""
    (folder / "child.yaml").write_text(CHILD.replace("a: 1, b: 2", "a: 1, b: 2, c: 3"))
    value, _ = REFUSED[key]
    extra = {"foreach": [1, 2], key: value} if key == "as" else {key: value}
    config = folder / f"parent.{language}"
    config.write_text(parent(language, extra))
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    found = {(Path(p.file or "").name, p.path) for p in raised.value.problems}
    assert (config.name, f"steps.c.{key}") in found, found
    assert ("child.yaml", "steps.s.inputs.c") in found, found
    result = subprocess.run(
        [sys.executable, "-m", "pipeflow", "validate", config.name],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "child.yaml:4:" in result.stderr, result.stderr
    assert "unknown input `c`" in result.stderr, result.stderr
