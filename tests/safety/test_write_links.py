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
from tests.execute.conftest import dask_address
from tests.executors import executor_spec

__all__ = ["dask_address"]

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


MAKERS = """
import os
import shutil
from pathlib import Path


TARGET = Path(__file__).parent.parent  # the test's folder, out of the project


def make_link(link, to, out):
    '''Make `link` a symbolic link to `to` (out of the project), then write `out`.'''
    shutil.rmtree(link, ignore_errors=True)  # the folder pipeflow made for the write
    Path(link).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(TARGET / to, link)
    if out != link:
        Path(out).write_text("1")
    return 1
"""

# (declared write, the link the step makes, what it leads to, the file it writes)
MADE = [
    ("data/out", "data/out", "outside/precious.txt", "data/out"),
    ("data/out/", "data/out", "outside", "data/out"),
    ("data/out/model.txt", "data/out", "outside", "data/out/model.txt"),
]


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes", "dask"])
@pytest.mark.parametrize(("write", "link", "to", "out"), MADE)
def test_a_link_out_that_the_step_makes_fails_it_at_once(
    tmp_path: Path,
    request: pytest.FixtureRequest,
    write: str,
    link: str,
    to: str,
    out: str,
    executor: str,
) -> None:
    """A step that makes its declared write (or a folder it lies in) a link out of the
    project: before, the step succeeded and its result was stored, and only the next run
    was refused (by `validate`, exit 2). The step fails now, saying why, as a write that is
    missing does, and nothing is stored; nothing is removed through the link (a failed
    attempt's files are, elsewhere), which stays for the user to replace."""
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (outside / "precious.txt").write_text("not pipeflow's")
    (project / "makers.py").write_text(textwrap.dedent(MAKERS))
    (project / "pipeline.yaml").write_text(
        "name: links\nresults: {root: store}\n"
        f"executor: {executor_spec(executor, request)}\nsteps:\n"
        f"  a: {{run: makers.make_link, inputs: {{link: {link}, to: {to},"
        f" out: {out}}}, writes: [{write}]}}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", "run", "pipeline.yaml"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    shown = done.stdout + done.stderr
    assert done.returncode == 1, shown
    assert "a: FAILED" in shown, shown
    assert f"declared write {write} leads out of the project folder" in shown, shown
    assert not (project / "store" / ".pipeflow" / "manifests" / "links").exists()
    assert os.path.islink(project / link)
    if out != link:
        assert (outside / "model.txt").read_text() == "1"  # the step wrote it there itself
        (outside / "model.txt").unlink()
    _outside_untouched(tmp_path)


FAILING = """
import os
import shutil
from pathlib import Path

TARGET = Path(__file__).parent.parent / "outside"


def link_and_fail(link, out):
    shutil.rmtree(link, ignore_errors=True)
    os.symlink(TARGET, link)
    Path(out, "half-written.txt").write_text("1")
    raise ValueError("the step fails after making the link")
"""


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_failed_attempt_removes_nothing_through_a_link_it_made(
    tmp_path: Path, executor: str
) -> None:
    """What a failed attempt added to its writes is removed; before, that removal walked
    through a link out of the project that the step had made, and deleted the files it
    found there (those that were there before included)."""
    project, outside = tmp_path / "project", tmp_path / "outside"
    (project / "data").mkdir(parents=True)
    (outside / "deep").mkdir(parents=True)
    (outside / "precious.txt").write_text("not pipeflow's")
    (outside / "deep" / "precious.txt").write_text("not pipeflow's")
    (project / "failing.py").write_text(textwrap.dedent(FAILING))
    (project / "pipeline.yaml").write_text(
        f"name: links\nresults: {{root: store}}\nexecutor: {{type: {executor}}}\nsteps:\n"
        "  a: {run: failing.link_and_fail, inputs: {link: data/out, out: data/out/deep},"
        " writes: [data/out/deep/]}\n"
    )
    run = pipeflow.load(project / "pipeline.yaml").run()
    assert run.outcomes["a"].state is StepState.FAILED
    assert "the step fails after making the link" in (run.outcomes["a"].error or "")
    assert (outside / "deep" / "precious.txt").read_text() == "not pipeflow's"
    assert (outside / "deep" / "half-written.txt").exists()  # the step's, left through the link
