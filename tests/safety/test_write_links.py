"""A declared write of the project that leads out of it through a symbolic link: pipeflow
deletes and writes nothing out there (validate refuses it, a restore and the clean-up before
a step refuse it, the step fails saying why), whatever the spelling of the write, the kind of
link, or the executor."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import StorageError
from pipeflow.model.run import StepState
from pipeflow.storage.blobs import FileCopy, Restoration
from pipeflow.storage.restoring import restore
from pipeflow.storage.store import ResultStore
from pipeflow.storage.written import FileEntry

STEPS = """
from pathlib import Path


def folder(out):
    Path(out).mkdir(parents=True, exist_ok=True)
    Path(out, "f.txt").write_text("1")


def file(out):
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text("1")
"""

# (declared write, the input the step gets, its function, the link made, what it leads to)
SPELLINGS = [
    ("data/out/", "data/out", "folder", "data/out", "outside"),
    ("data/out", "data/out", "folder", "data/out", "outside"),
    ("data/out/model.txt", "data/out/model.txt", "file", "data/out", "outside"),
    ("data/out/model.txt", "data/out/model.txt", "file", "data", "outside"),
    ("data/out/deep/", "data/out/deep", "folder", "data/out", "outside"),
]


def _project(tmp_path: Path, write: str, path: str, function: str) -> Path:
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (outside / "precious.txt").write_text("not pipeflow's")
    (project / "linksteps.py").write_text(textwrap.dedent(STEPS))
    (project / "pipeline.yaml").write_text(
        "name: links\nresults: {root: out}\nsteps:\n"
        f"  a: {{run: linksteps.{function}, inputs: {{out: {path}}}, writes: [{write}]}}\n"
    )
    return project / "pipeline.yaml"


def _link(project: Path, link: str, target: Path, *, relative: bool) -> None:
    place = project / link
    if place.is_dir():
        for inner in sorted(place.rglob("*"), reverse=True):
            inner.unlink() if inner.is_file() else inner.rmdir()
        place.rmdir()
    place.parent.mkdir(parents=True, exist_ok=True)
    place.symlink_to(os.path.relpath(target, place.parent) if relative else target)


def _outside_untouched(tmp_path: Path) -> None:
    assert sorted(p.name for p in (tmp_path / "outside").iterdir()) == ["precious.txt"]
    assert (tmp_path / "outside" / "precious.txt").read_text() == "not pipeflow's"


@pytest.mark.parametrize("relative", [True, False], ids=["relative-link", "absolute-link"])
@pytest.mark.parametrize(("write", "path", "function", "link", "to"), SPELLINGS)
def test_validate_and_run_refuse_a_write_leading_out_of_the_project(
    tmp_path: Path, write: str, path: str, function: str, link: str, to: str, relative: bool
) -> None:
    config = _project(tmp_path, write, path, function)
    _link(config.parent, link, tmp_path / to, relative=relative)
    for command in ("validate", "run"):
        done = subprocess.run(
            [sys.executable, "-m", "pipeflow", command, str(config)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 2, done.stdout + done.stderr
        assert "leads out of the project folder through a symbolic link" in done.stderr
        assert f"`writes` names {write}," in done.stderr
    _outside_untouched(tmp_path)


def test_a_link_inside_the_project_is_allowed(tmp_path: Path) -> None:
    config = _project(tmp_path, "data/out/", "data/out", "folder")
    (config.parent / "elsewhere").mkdir()
    _link(config.parent, "data/out", config.parent / "elsewhere", relative=True)
    assert pipeflow.load(config).run().ok
    assert (config.parent / "elsewhere" / "f.txt").read_text() == "1"


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
@pytest.mark.parametrize(("write", "path", "function", "link", "to"), SPELLINGS)
def test_a_link_made_after_loading_fails_the_step_and_deletes_nothing(
    tmp_path: Path, write: str, path: str, function: str, link: str, to: str, executor: str
) -> None:
    """A stored version to restore (its files gone), then the write's folder becomes a link:
    neither the restore nor the clean-up before the step deletes or writes out there."""
    config = _project(tmp_path, write, path, function)
    loaded = pipeflow.load(config)
    assert loaded.run(executor=executor).ok
    _link(config.parent, link, tmp_path / to, relative=True)

    again = loaded.run(executor=executor)
    outcome = again.outcomes["a"]
    assert outcome.state is StepState.FAILED
    assert "leads out of the project folder through a symbolic link" in (outcome.error or "")
    _outside_untouched(tmp_path)
    status = {decision.step: decision.reason for decision in loaded.status()}
    assert "leads out of the project folder through a symbolic link" in status["a"]


def test_restore_refuses_every_destination_below_a_link_out(tmp_path: Path) -> None:
    """The last check, as a restore starts (a link made between planning and restoring):
    removals, copies and folders alike, nothing deleted or written."""
    project, outside = tmp_path / "project", tmp_path / "outside"
    (project / "data").mkdir(parents=True)
    outside.mkdir()
    (outside / "precious.txt").write_text("not pipeflow's")
    (project / "data" / "out").symlink_to(outside)
    store = ResultStore(str(project / "out"))
    entry = FileEntry(1, "sha256:" + "0" * 64)
    target = str(project / "data" / "out" / "precious.txt")
    for restoration in (
        Restoration(removals=(FileCopy(entry, target),), project=str(project)),
        Restoration(copies=(FileCopy(entry, target),), project=str(project)),
        Restoration(folders=(str(project / "data" / "out" / "new"),), project=str(project)),
    ):
        with pytest.raises(StorageError, match="leads out of the project folder"):
            restore(store, restoration)
    _outside_untouched(tmp_path)
