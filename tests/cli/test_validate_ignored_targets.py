"""`pipeflow validate` warns of a step's `result.target` that is never written because the
config stores nothing (`results.persist: false`): the config is valid (exit 0), but the file
the target names never appears, which nothing said before. A step without a target, or a
config that stores its results, gets no warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.system import pipeflow_in

STEPS = "def one():\n    return 1\n"
YAML = """\
name: unstored
results: {persist: PERSIST}
steps:
  kept: {run: usteps.one, result: {target: "m/{step}.json"}}
  plain: {run: usteps.one}
"""
TOML = """\
name = "unstored"
results = {persist = PERSIST}
[steps.kept]
run = "usteps.one"
result = {target = "m/{step}.json"}
[steps.plain]
run = "usteps.one"
"""
WARNING = "step `kept` has `result.target: m/{step}.json`, but `results.persist: false`"


def _config(tmp_path: Path, kind: str, persist: bool) -> Path:
    (tmp_path / "usteps.py").write_text(STEPS, encoding="utf-8")
    text = (YAML if kind == "yaml" else TOML).replace("PERSIST", str(persist).lower())
    config = tmp_path / f"pipeline.{kind}"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_target_never_written_is_warned_of(tmp_path: Path, kind: str) -> None:
    config = _config(tmp_path, kind, persist=False)
    done = pipeflow_in(tmp_path, "validate", config.name)
    assert done.returncode == 0, done.stderr
    assert f"warning: {WARNING}" in done.stderr
    assert "`plain`" not in done.stderr
    shown = pipeflow_in(tmp_path, "validate", config.name, "--format", "json")
    assert shown.returncode == 0
    (warning,) = json.loads(shown.stdout)["warnings"]
    assert warning.startswith(WARNING)


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_stored_target_is_not_warned_of(tmp_path: Path, kind: str) -> None:
    config = _config(tmp_path, kind, persist=True)
    done = pipeflow_in(tmp_path, "validate", config.name)
    assert done.returncode == 0
    assert "warning" not in done.stderr
