"""A config in a subfolder that names the project's step modules above it (`conf/pipeline.yaml`
or a sub-pipeline `flows/data.yaml` naming `steps.etl.load`, with `steps/` at the root) is
refused, as SPEC 10 says: a config runs modules under its own folder. The refusal says where
the module is and what to move, at `validate`, at `run` and from `pipeflow.load`, in YAML and
TOML; a module elsewhere keeps the plain refusal. Where the folder above is not on the path
at all, "no module named" says where a module of that name is."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from tests.system import pipeflow_in

STEPS = "def load():\n    return 1\n\n\ndef double(x):\n    return 2 * x\n"

SUB_YAML = """\
name: data
steps:
  load: {run: PKG.etl.load}
outputs: {value: "${steps.load}"}
"""
SUB_TOML = """\
name = "data"
[steps.load]
run = "PKG.etl.load"
[outputs]
value = "${steps.load}"
"""
PARENT_YAML = """\
name: parent
results: {root: out}
steps:
  data: {pipeline: flows/data.EXT}
  double: {run: PKG.etl.double, inputs: {x: "${steps.data.value}"}}
"""
PARENT_TOML = """\
name = "parent"
results = {root = "out"}
[steps.data]
pipeline = "flows/data.EXT"
[steps.double]
run = "PKG.etl.double"
inputs = {x = "${steps.data.value}"}
"""
CONF_YAML = """\
name: conf
results: {root: out}
steps:
  load: {run: PKG.etl.load}
"""
CONF_TOML = """\
name = "conf"
results = {root = "out"}
[steps.load]
run = "PKG.etl.load"
"""


def _project(root: Path, package: str) -> Path:
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text("", encoding="utf-8")
    (root / package / "etl.py").write_text(STEPS, encoding="utf-8")
    return root


def _write(path: Path, text: str, package: str, ext: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace("PKG", package).replace("EXT", ext), encoding="utf-8")
    return path


def _said_above(text: str, package: str, root: Path, folder: Path) -> None:
    assert f"`{package}.etl.load` is outside the project" in text
    assert f"`{package}` is in {root.resolve()}, a folder above this config's" in text
    assert f"({folder.resolve()})" in text
    assert f"move the config to {root.resolve()}" in text
    assert f"list `{package}` under this config's `allow_imports:`" in text


@pytest.mark.parametrize("ext", ["yaml", "toml"])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_sub_pipeline_below_the_steps_is_told_to_move(
    tmp_path: Path, ext: str, command: str
) -> None:
    root = _project(tmp_path, "steps")
    _write(root / "flows" / f"data.{ext}", SUB_YAML if ext == "yaml" else SUB_TOML, "steps", ext)
    parent = PARENT_YAML if ext == "yaml" else PARENT_TOML
    _write(root / f"pipeline.{ext}", parent, "steps", ext)
    done = pipeflow_in(root, command, f"pipeline.{ext}")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"flows/data.{ext}:" in done.stderr
    _said_above(done.stderr, "steps", root, root / "flows")
    assert not (root / "out").exists()  # nothing ran


@pytest.mark.parametrize("ext", ["yaml", "toml"])
def test_a_config_in_a_subfolder_is_told_to_move(tmp_path: Path, ext: str) -> None:
    root = _project(tmp_path, "steps")
    _write(
        root / "conf" / f"pipeline.{ext}", CONF_YAML if ext == "yaml" else CONF_TOML, "steps", ext
    )
    done = pipeflow_in(root, "validate", f"conf/pipeline.{ext}")  # `-m`: the root is on the path
    assert done.returncode == 2, done.stdout + done.stderr
    _said_above(done.stderr, "steps", root, root / "conf")


def test_the_api_says_the_same(tmp_path: Path) -> None:
    package = f"above_{tmp_path.name.replace('-', '_')}"  # a name no other test imported
    root = _project(tmp_path, package)
    _write(root / "flows" / "data.yaml", SUB_YAML, package, "yaml")
    config = _write(root / "pipeline.yaml", PARENT_YAML, package, "yaml")
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    _said_above(str(raised.value), package, root, root / "flows")


def test_a_module_not_above_the_config_keeps_the_plain_refusal(tmp_path: Path) -> None:
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            name: plain
            steps:
              shell: {run: os.system, inputs: {command: "true"}}
            """
        ),
        encoding="utf-8",
    )
    done = pipeflow_in(tmp_path, "validate", "pipeline.yaml")
    assert done.returncode == 2
    assert "`os.system` is outside the project: only modules under the config's folder" in (
        done.stderr
    )
    assert "a folder above" not in done.stderr


@pytest.mark.parametrize("ext", ["yaml", "toml"])
def test_a_module_only_above_and_not_importable_is_named_with_its_folder(
    tmp_path: Path, ext: str
) -> None:
    """Run from the config's own folder, the root is not on the path: no module of that
    name can be imported, and the hint says where one is."""
    package = f"far_{tmp_path.name.replace('-', '_')}"
    root = _project(tmp_path, package)
    conf = _write(
        root / "conf" / f"pipeline.{ext}", CONF_YAML if ext == "yaml" else CONF_TOML, package, ext
    )
    done = pipeflow_in(conf.parent, "validate", conf.name)
    assert done.returncode == 2, done.stdout + done.stderr
    said = f"`{package}` is in {root.resolve()}, a folder above this config's"
    assert f"no module named `{package}`" in done.stderr
    assert said in done.stderr
    assert "move the config there" in done.stderr
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(conf)
    assert said in str(raised.value)


def test_a_module_nowhere_keeps_the_spelling_hint(tmp_path: Path) -> None:
    _write(tmp_path / "conf" / "pipeline.yaml", CONF_YAML, "nowhere_to_be_found", "yaml")
    done = pipeflow_in(tmp_path / "conf", "validate", "pipeline.yaml")
    assert done.returncode == 2
    assert "no module named `nowhere_to_be_found`" in done.stderr
    assert "check the spelling" in done.stderr
