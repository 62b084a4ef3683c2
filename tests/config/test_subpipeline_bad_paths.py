"""A sub-pipeline step whose `pipeline:` path the disk cannot look up (a name longer than it
takes), and a parent param that is itself a mistake (`${params.nope}` in a default) passed to a
sub-pipeline, are problems of the config (exit 2, at their lines). Before, `validate` ended in
an OSError ("File name too long") or a KeyError traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from tests.config.test_subpipelines import CHILD, PARENT, STEPS
from tests.system import pipeflow_in


def _project(tmp_path: Path, parent: str) -> Path:
    (tmp_path / "mysteps.py").write_text(STEPS, encoding="utf-8")
    (tmp_path / "child.yaml").write_text(CHILD, encoding="utf-8")
    config = tmp_path / "parent.yaml"
    config.write_text(parent, encoding="utf-8")
    return config


@pytest.mark.parametrize("name", ["a" * 300, "a" * 300 + ".yaml"])
def test_a_sub_pipeline_path_too_long_for_the_disk_is_a_problem_at_its_line(
    tmp_path: Path, name: str
) -> None:
    config = _project(tmp_path, PARENT.replace("pipeline: child.yaml", f"pipeline: {name}"))
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    (problem,) = raised.value.problems
    assert problem.path == "steps.prep.pipeline"
    assert "cannot be read" in problem.message
    assert "File name too long" in problem.message
    done = pipeflow_in(tmp_path, "validate", config.name)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr


def test_a_mistaken_parent_param_passed_down_is_reported_once(tmp_path: Path) -> None:
    config = _project(
        tmp_path, PARENT.replace("params: {size: 10}", 'params: {size: "${params.nope}"}')
    )
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    paths = [problem.path for problem in raised.value.problems]
    assert paths == ["params.size"], raised.value.format()
    done = pipeflow_in(tmp_path, "validate", config.name)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
