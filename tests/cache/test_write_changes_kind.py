"""A declared write that one version of a step makes a folder and another a file.

`writes: [out/data]` (no trailing `/`) lets the step decide: a folder of parts, or one file.
When a change of code or params turns one into the other, the clean-up before the step runs
removes what its stored versions wrote there, and then the folder itself once it is empty:
before, the empty folder stayed, and the step writing its file there failed with
IsADirectoryError. Going back restores each version where the other was.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory

STEPS = """
from pathlib import Path


def make(path, shape):
    out = Path(path)
    if shape == "folder":
        out.mkdir(parents=True, exist_ok=True)
        (out / "part.txt").write_text("a part")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("one file")
    return shape
"""

YAML = """
name: kinds
params: {shape: folder}
steps:
  make:
    run: kindsteps.make
    inputs: {path: out/data, shape: "${params.shape}"}
    writes: [out/data]
"""

TOML = """
name = "kinds"
[params]
shape = "folder"
[steps.make]
run = "kindsteps.make"
inputs = {path = "out/data", shape = "${params.shape}"}
writes = ["out/data"]
"""


def run(config: Path, executor: str, shape: str) -> pipeflow.Run:
    result = pipeflow.load(config, params={"shape": shape}).run(executor=executor)
    assert result.ok, {n: (o.state, o.error) for n, o in result.outcomes.items()}
    return result


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_folder_becomes_a_file_and_back(
    make_project: ProjectFactory, tmp_path: Path, executor: str, spelling: str
) -> None:
    config = make_project(
        YAML if spelling == "yaml" else TOML, name=f"pipeline.{spelling}", kindsteps=STEPS
    )
    data = tmp_path / "out" / "data"
    run(config, executor, "folder")
    assert (data / "part.txt").read_text() == "a part"
    run(config, executor, "file")
    assert data.read_text() == "one file"
    back = run(config, executor, "folder")  # the first version, restored where the file is
    assert back.state("make") is StepState.CACHED
    assert (data / "part.txt").read_text() == "a part"
    again = run(config, executor, "file")
    assert again.state("make") is StepState.CACHED
    assert data.read_text() == "one file"


def test_a_file_put_by_hand_in_the_folder_stays(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    """The folder is removed only when empty: a file the step's versions never wrote stays,
    and the step writing its file there fails, saying where."""
    config = make_project(YAML, kindsteps=STEPS)
    run(config, "sequential", "folder")
    data = tmp_path / "out" / "data"
    (data / "notes.md").write_text("mine")
    result = pipeflow.load(config, params={"shape": "file"}).run()
    assert result.state("make") is StepState.FAILED
    assert "IsADirectoryError" in (result.outcomes["make"].error or "")
    assert (data / "notes.md").read_text() == "mine"
    assert not (data / "part.txt").exists()  # the step's own part was removed, as before
