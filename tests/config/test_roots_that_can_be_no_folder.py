"""A local results root that can never be a folder (it is a file, or a path through one:
`/dev/null/x`, `data.csv/results`) is a validation error at its place (exit 2), before any
step runs, as SPEC 3 promises. Before, `validate` passed it, and `run` ran the first step
and then failed it with a StorageError (exit 1), its work lost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pipeflow
from tests.config.test_root_protocols import _toml, _yaml  # a config with a root, each
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path


def one():
    Path(__file__).with_name("ran").write_text("")
    return 1
"""


# (root of the pipeline, root of the step, where the problem is, the file in the way)
NO_FOLDER = [
    ("data.csv", None, "results.root", "data.csv"),
    ("data.csv/results", None, "results.root", "data.csv"),
    ("data.csv/deeper/results", None, "results.root", "data.csv"),
    ("/dev/null/results", None, "results.root", "/dev/null"),
    ("file://./data.csv/results", None, "results.root", "data.csv"),
    ("out", "data.csv/mine", "steps.a.result.root", "data.csv"),
]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize(("root", "step_root", "where", "file"), NO_FOLDER)
def test_a_root_that_can_be_no_folder_is_refused_at_its_place(
    make_project: ProjectFactory,
    kind: str,
    command: str,
    root: str,
    step_root: str | None,
    where: str,
    file: str,
) -> None:
    write = _yaml if kind == "yaml" else _toml
    config = make_project(write(root, step_root), name=f"pipeline.{kind}", psteps=STEPS)
    (config.parent / "data.csv").write_text("a,b\n1,2\n")
    ran = pipeflow_in(config.parent, command, str(config))
    output = ran.stdout + ran.stderr
    assert ran.returncode == 2, output
    assert where in output, output
    assert "can be no folder" in output, output
    assert f"{file} is a file" in output, output
    assert not (config.parent / "ran").exists()
    assert (config.parent / "data.csv").read_text() == "a,b\n1,2\n"


def test_a_root_given_to_the_run_that_can_be_no_folder_is_refused(
    make_project: ProjectFactory,
) -> None:
    config = make_project(_yaml("out", None), psteps=STEPS)
    (config.parent / "data.csv").write_text("a,b\n")
    ran = pipeflow_in(config.parent, "run", str(config), "--results", "data.csv/results")
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert "data.csv is a file" in ran.stderr, ran.stderr
    assert "--results data.csv/results" in ran.stderr, ran.stderr
    with pytest.raises(pipeflow.ConfigError, match=r"data\.csv is a file"):
        pipeflow.load(config).run(results=str(config.parent / "data.csv" / "results"))
    with pytest.raises(pipeflow.ConfigError, match=r"data\.csv is a file"):
        pipeflow.load(config, results=os.path.join(config.parent, "data.csv"))
    assert not (config.parent / "ran").exists()


def test_a_root_that_does_not_exist_yet_is_no_problem(make_project: ProjectFactory) -> None:
    config = make_project(_yaml("not/there/yet", None), psteps=STEPS)
    assert pipeflow.load(config).run().ok
    assert Path(config.parent, "not", "there", "yet").is_dir()
