"""No result may overwrite a config of the pipeline that runs: its own, or a sub-pipeline's.

A target is a file under the results root; with `results: {root: .}` the config's folder is
that root, and a target `pipeline.yaml` replaced the config with a step's value, which the
next run (even `validate`) read as the pipeline. `writes:` refused the config already; a
result's target now is too, in every spelling: YAML and TOML, a literal target, one made of a
param, a step's own `result.root`, a root given with `--results`, a sub-pipeline's config
named by the pipeline that runs it (`validate` and `run`, exit 2), and a `foreach` item only
known during the run (the step fails, on every executor). The config is left as it was.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import pipeflow
from tests.execute.conftest import dask_address
from tests.executors import EXECUTORS, executor_spec
from tests.safety.test_module_targets import RUN_TIME, target_config
from tests.system import pipeflow_in

__all__ = ["dask_address"]

STEPS = """
def names():
    return ["pipeline"]


def text(name):
    return f"name: {name}-planted\\nsteps: {{}}\\n"
"""


def _config(project: Path, kind: str, root: str, own_root: str | None, target: str) -> Path:
    return target_config(project, kind, root, own_root, target, name=f"pipeline.{kind}")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "notes.txt").write_text("name: planted\nsteps: {}\n")
    (folder / "victim.py").write_text(STEPS)
    return folder


def _refused(result: subprocess.CompletedProcess[str], where: str) -> None:
    stdout, stderr = result.stdout, result.stderr
    assert result.returncode == 2, stdout + stderr
    assert "would overwrite the config" in stderr, stderr
    assert where in stderr, stderr


# (results root, step's result.root or None, target); KIND stands for the config's extension
CONFIG_TARGETS = [
    (".", None, "pipeline.KIND"),
    (".", None, "./pipeline.KIND"),
    (".", None, "{params.name}"),
    ("out", ".", "pipeline.KIND"),
    ("out", "..", "project/pipeline.KIND"),
]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("root", "own_root", "target"), CONFIG_TARGETS)
def test_a_target_that_is_the_config_is_refused(
    project: Path, kind: str, root: str, own_root: str | None, target: str
) -> None:
    if own_root == "..":
        root = "."  # the step's own root is the folder above: its target comes back in
    config = _config(project, kind, root, own_root, target.replace("KIND", kind))
    before = config.read_text()
    for command in ("validate", "run"):
        _refused(pipeflow_in(project, command, config.name), "steps.notes.result.target")
    assert config.read_text() == before


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_results_root_given_to_the_run_is_judged_too(project: Path, kind: str) -> None:
    config = _config(project, kind, "out", None, f"pipeline.{kind}")
    before = config.read_text()
    result = pipeflow_in(project, "run", config.name, "--results", ".")
    _refused(result, "steps.notes.result.target")
    with pytest.raises(pipeflow.ConfigError, match="would overwrite the config"):
        pipeflow.load(config).run(results=str(project))  # the API's spelling
    assert config.read_text() == before
    assert pipeflow_in(project, "run", config.name).returncode == 0  # under out/: stored
    assert (project / "out" / f"pipeline.{kind}").read_text() == "name: planted\nsteps: {}\n"


def test_a_sub_pipelines_config_is_refused_as_a_target(project: Path) -> None:
    """The parent's results root is the sub-pipeline's folder, where its config lies."""
    (project / "sub").mkdir()
    child = project / "sub" / "sub.yaml"
    child.write_text("name: sub\nsteps:\n  one: {run: pipeflow.read, inputs: {path: x.txt}}\n")
    config = project / "parent.yaml"
    config.write_text(
        "name: parent\nresults: {root: sub}\nsteps:\n  child: {pipeline: sub/sub.yaml}\n"
        "  notes:\n    run: pipeflow.read\n    inputs: {path: notes.txt, format: txt}\n"
        '    result: {target: "sub.yaml", format: txt}\n'
    )
    before = child.read_text()
    for command in ("validate", "run"):
        result = pipeflow_in(project, command, config.name)
        _refused(result, "steps.notes.result.target")
        assert f"the config {child}," in result.stderr
    assert child.read_text() == before


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_config_target_known_only_during_the_run_fails_its_step(
    project: Path, executor: str, request: pytest.FixtureRequest
) -> None:
    config = project / "pipeline.yaml"
    text = RUN_TIME.replace("EXECUTOR", executor_spec(executor, request)).replace("EXT", "yaml")
    config.write_text(text)
    result = pipeflow_in(project, "run", config.name)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "would overwrite the config" in result.stdout + result.stderr
    assert config.read_text() == text


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_other_targets_beside_the_config_are_stored(project: Path, kind: str) -> None:
    config = _config(project, kind, ".", None, f"pipeline.{kind}.txt")
    result = pipeflow_in(project, "run", config.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / f"pipeline.{kind}.txt").read_text() == "name: planted\nsteps: {}\n"
