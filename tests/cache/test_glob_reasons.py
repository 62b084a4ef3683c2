"""A step that reads a glob says the files matching it changed, not that a file named so did.

A step reading `raw/*.csv` (a path input, or `reads:`) ran again after a file was added,
removed or edited with "input file raw/*.csv changed", as if one file had that name. It now
says "input files matching raw/*.csv changed"; a plain path keeps "input file ... changed".
From YAML and TOML, in Python and on the command line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
import glob
from pathlib import Path


def total(pattern, config):
    return sum(int(Path(path).read_text()) for path in sorted(glob.glob(pattern))) + len(config)


def count():
    return len(glob.glob("raw/*.csv"))
"""

YAML = """
name: globbing
results: {root: out}
steps:
  total: {run: steps.total, inputs: {pattern: "raw/*.csv", config: settings.txt}}
  count: {run: steps.count, reads: ["raw/*.csv"]}
"""

TOML = """
name = "globbing"
[results]
root = "out"
[steps.total]
run = "steps.total"
inputs = { pattern = "raw/*.csv", config = "settings.txt" }
[steps.count]
run = "steps.count"
reads = ["raw/*.csv"]
"""


@pytest.fixture(params=["yaml", "toml"])
def config(request: pytest.FixtureRequest, make_project: ProjectFactory) -> Path:
    text = YAML if request.param == "yaml" else TOML
    path = make_project(text, name=f"pipeline.{request.param}", steps=STEPS)
    (path.parent / "raw").mkdir()
    (path.parent / "raw" / "a.csv").write_text("1")
    (path.parent / "settings.txt").write_text("x")
    assert pipeflow.load(path).run().ok
    return path


def reasons(config: Path) -> dict[str, str]:
    return {d.step: d.reason for d in pipeflow.load(config).status()}


@pytest.mark.parametrize("change", ["added", "edited"])
def test_a_glob_says_the_files_matching_it_changed(config: Path, change: str) -> None:
    if change == "added":
        (config.parent / "raw" / "b.csv").write_text("2")
    else:
        (config.parent / "raw" / "a.csv").write_text("5")
    said = "input files matching raw/*.csv changed"
    assert reasons(config) == {"total": said, "count": said}
    status = pipeflow_in(config.parent, "status", config.name)
    assert status.returncode == 0, status.stderr
    assert f"total  run      {said}" in status.stdout


def test_a_plain_path_still_says_input_file(config: Path) -> None:
    (config.parent / "settings.txt").write_text("xy")
    assert reasons(config)["total"] == "input file settings.txt changed"
