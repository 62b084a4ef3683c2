"""A folder path input holding symlinked subfolders: their files count in its fingerprint,
as symlinked files do; a link back to an ancestor is walked once, not forever."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory

STEPS = """
import os

def total(src):
    found = {}
    for root, dirs, files in os.walk(src, followlinks=True):
        dirs[:] = [d for d in dirs if d != "loop"]
        for name in files:
            path = os.path.join(root, name)
            with open(path) as handle:
                found[os.path.relpath(path, src)] = handle.read().strip()
    return found
"""

CONFIG = """
name: folder
results: {root: out}
executor: {type: %s}
steps:
  total: {run: steps.total, inputs: {src: data/raw/}}
"""

EDITS = {  # what changes under the symlinked subfolder
    "a file edited": lambda archive: (archive / "old.csv").write_text("99"),
    "a file added": lambda archive: (archive / "new.csv").write_text("5"),
    "a file in its subfolder edited": lambda archive: (archive / "sub" / "s.csv").write_text("7"),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_a_file_under_a_symlinked_subfolder_counts(
    make_project: ProjectFactory, tmp_path_factory: pytest.TempPathFactory, executor: str, edit: str
) -> None:
    config = make_project(CONFIG % executor, steps=STEPS)
    raw = config.parent / "data" / "raw"
    raw.mkdir(parents=True)
    (raw / "jan.csv").write_text("1")
    archive = tmp_path_factory.mktemp("archive")  # outside the project
    (archive / "sub").mkdir()
    (archive / "old.csv").write_text("10")
    (archive / "sub" / "s.csv").write_text("3")
    os.symlink(archive, raw / "archive")
    os.symlink("..", raw / "loop")  # a link to an ancestor: walked once
    first = pipeflow.load(config).run()
    assert first.ok, first.outcomes
    assert first.output("total")["archive/old.csv"] == "10"
    EDITS[edit](Path(archive))
    second = pipeflow.load(config).run()
    assert second.state("total").value == "done", second.outcomes
    assert second.output("total") == {
        **first.output("total"),
        **{os.path.relpath(p, raw): p.read_text() for p in (raw / "archive").rglob("*.csv")},
    }
    third = pipeflow.load(config).run()
    assert third.state("total").value == "cached"
