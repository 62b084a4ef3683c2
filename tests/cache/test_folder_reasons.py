"""A step that reads a folder says the folder changed, not a file of that name.

DVC-style steps read whole folders (`src: data/prepared`, `reads: [data/extra/]`). After a
file in one was edited, added or removed, the step ran again with "input file data/prepared
changed"; it now says "input folder data/prepared changed". From YAML and TOML, in Python and
on the command line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path


def size(src):
    return sum(len(path.read_text()) for path in sorted(Path(src).iterdir()))


def extra():
    return 1
"""

YAML = """
name: folders
results: {root: out}
steps:
  size: {run: steps.size, inputs: {src: data/prepared}}
  extra: {run: steps.extra, reads: [data/extra/]}
"""

TOML = """
name = "folders"
[results]
root = "out"
[steps.size]
run = "steps.size"
inputs = { src = "data/prepared" }
[steps.extra]
run = "steps.extra"
reads = ["data/extra/"]
"""


@pytest.fixture(params=["yaml", "toml"])
def config(request: pytest.FixtureRequest, make_project: ProjectFactory) -> Path:
    text = YAML if request.param == "yaml" else TOML
    path = make_project(text, name=f"pipeline.{request.param}", steps=STEPS)
    for folder in ("prepared", "extra"):
        (path.parent / "data" / folder).mkdir(parents=True)
        (path.parent / "data" / folder / "a.csv").write_text("1")
    assert pipeflow.load(path).run().ok
    return path


@pytest.mark.parametrize("change", ["edited", "added", "removed"])
def test_a_folder_read_says_the_folder_changed(config: Path, change: str) -> None:
    for folder in ("prepared", "extra"):
        files = config.parent / "data" / folder
        if change == "edited":
            (files / "a.csv").write_text("22")
        elif change == "added":
            (files / "b.csv").write_text("2")
        else:
            (files / "a.csv").unlink()
    why = {d.step: d.reason for d in pipeflow.load(config).status()}
    assert why == {
        "size": "input folder data/prepared changed",
        "extra": "input folder data/extra/ changed",
    }
    status = pipeflow_in(config.parent, "status", config.name)
    assert status.returncode == 0, status.stderr
    assert "size   run      input folder data/prepared changed" in status.stdout
