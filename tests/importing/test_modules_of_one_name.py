"""A sub-pipeline whose own step module has the name of a module of the pipeline that runs it
(`flows/steps.py` beside `flows/data.yaml`, and `steps.py` at the root) cannot have both: a
run imports one module of each name, the parent's. The refusal says so, naming both files and
what to do (rename one), instead of telling the user to move the config or the module beside
it, where it already is. In YAML and TOML, at `validate`, at `run` and from `pipeflow.load`,
for a child below the parent's folder and one beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from tests.system import pipeflow_in

CHILD_YAML = """\
name: data
steps:
  load: {run: MOD.load}
outputs: {value: "${steps.load}"}
"""
CHILD_TOML = """\
name = "data"
[steps.load]
run = "MOD.load"
[outputs]
value = "${steps.load}"
"""
PARENT_YAML = """\
name: parent
results: {root: out}
steps:
  data: {pipeline: CHILD}
  double: {run: MOD.double, inputs: {x: "${steps.data.value}"}}
"""
PARENT_TOML = """\
name = "parent"
results = {root = "out"}
[steps.data]
pipeline = "CHILD"
[steps.double]
run = "MOD.double"
inputs = {x = "${steps.data.value}"}
"""
PARENT_STEPS = "def double(x):\n    return 2 * x\n"
CHILD_STEPS = "def load():\n    return 1\n"


def _project(root: Path, module: str, ext: str, child_folder: str) -> tuple[Path, Path, Path]:
    """(parent config, parent's module, child's module); the child in `child_folder`,
    relative to the parent's folder `root/project`."""
    project = root / "project"
    child_dir = (project / child_folder).resolve()
    child_dir.mkdir(parents=True, exist_ok=True)
    project.mkdir(parents=True, exist_ok=True)
    (project / f"{module}.py").write_text(PARENT_STEPS, encoding="utf-8")
    (child_dir / f"{module}.py").write_text(CHILD_STEPS, encoding="utf-8")
    child = (CHILD_YAML if ext == "yaml" else CHILD_TOML).replace("MOD", module)
    (child_dir / f"data.{ext}").write_text(child, encoding="utf-8")
    parent = (PARENT_YAML if ext == "yaml" else PARENT_TOML).replace("MOD", module)
    parent = parent.replace("CHILD", f"{child_folder}/data.{ext}")
    config = project / f"pipeline.{ext}"
    config.write_text(parent, encoding="utf-8")
    return config, project / f"{module}.py", child_dir / f"{module}.py"


def _said(text: str, module: str, parents: Path, childs: Path) -> None:
    assert f"`{module}.load` names {parents.resolve()}" in text, text
    assert f"not {childs.resolve()} beside this config" in text, text
    assert "a run imports one module of each name" in text, text
    assert f"rename one of the two `{module}` modules" in text, text
    assert "move the config" not in text, text


@pytest.mark.parametrize("child_folder", ["flows", "../elsewhere"])
@pytest.mark.parametrize("ext", ["yaml", "toml"])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_child_module_named_as_a_parent_module_is_told_to_be_renamed(
    tmp_path: Path, ext: str, command: str, child_folder: str
) -> None:
    config, parents, childs = _project(tmp_path, "steps", ext, child_folder)
    done = pipeflow_in(config.parent, command, config.name)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"data.{ext}:" in done.stderr
    _said(done.stderr, "steps", parents, childs)
    assert not (config.parent / "out").exists()  # nothing ran


@pytest.mark.parametrize("child_folder", ["flows", "../elsewhere"])
def test_the_api_says_the_same(tmp_path: Path, child_folder: str) -> None:
    module = f"clash_{tmp_path.name.replace('-', '_')}"  # a name no other test imported
    config, parents, childs = _project(tmp_path, module, "yaml", child_folder)
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    _said(str(raised.value), module, parents, childs)
