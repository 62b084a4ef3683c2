"""A step's written folder is restored as the step left it, empty folders inside it too (a
later step or a person may expect `out/logs/` to be there), on a local store and on S3: a
restore after `out/` was deleted, and one where only an empty folder is gone."""

from __future__ import annotations

import shutil
import uuid

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.servers import ObjectStore

STEPS = """
from pathlib import Path


def make(out: str) -> int:
    Path(out, "logs", "deep").mkdir(parents=True)
    Path(out, "cache").mkdir()
    Path(out, "result.txt").write_text("done")
    return 1
"""

CONFIG = """
name: empty
results: {root: ROOT}
steps:
  make: {run: esteps.make, inputs: {out: out}, writes: [out/]}
"""


@pytest.fixture(params=["local", "s3"])
def root(request: pytest.FixtureRequest) -> str:
    """The results store: a folder, or a bucket on moto's S3 server (the folder written
    stays local: only the stored copy is on S3)."""
    if request.param == "local":
        return "store"
    server: ObjectStore = request.getfixturevalue("s3_server")
    return f"{server.url}/{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("removed", ["out", "out/logs/deep", "out/cache"])
def test_empty_folders_are_restored(make_project: ProjectFactory, root: str, removed: str) -> None:
    config = make_project(CONFIG.replace("ROOT", root), esteps=STEPS)
    folder = config.parent
    first = pipeflow.load(config).run(history=False)
    assert first.ok, first.outcomes
    shutil.rmtree(folder / removed)
    again = pipeflow.load(config).run(history=False)
    assert again.ok, again.outcomes
    assert again.outcomes["make"].state.value == "cached", again.outcomes
    assert (folder / "out" / "result.txt").read_text() == "done"
    assert (folder / "out" / "logs" / "deep").is_dir()
    assert (folder / "out" / "cache").is_dir()
