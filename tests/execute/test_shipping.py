"""The code package and data files a remote cluster gets (`pipeflow/execute/shipping.py`),
against a results store in a local folder: packing, sending once, unpacking on a worker."""

from __future__ import annotations

import glob
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from pipeflow.execute.landing import unpack
from pipeflow.execute.shipping import Packer, Project, Shipment, pack
from pipeflow.execute.task import Task
from pipeflow.storage.blobs import WriteSpec
from pipeflow.storage.shipped import send
from pipeflow.storage.store import ResultStore


def project(folder: Path) -> Path:
    (folder / "pkg").mkdir(parents=True)
    (folder / "pkg" / "__init__.py").write_text("")
    (folder / "pkg" / "steps.py").write_text(
        "from pkg.helpers import twice\n\n\ndef run(path: str) -> int:\n"
        "    return twice(int(open(path).read()))\n"
    )
    (folder / "pkg" / "helpers.py").write_text("def twice(n: int) -> int:\n    return 2 * n\n")
    (folder / "pkg" / "unused.py").write_text("X = 1\n")
    (folder / "notes.txt").write_text("not code\n")
    (folder / "number.txt").write_text("21")
    return folder


def test_the_package_holds_what_the_step_imports_and_is_the_same_bytes_every_time(
    tmp_path: Path,
) -> None:
    folder = project(tmp_path / "p")
    packer = Packer(
        Project(ResultStore(str(tmp_path / "store")), (("pkg.steps.run", str(folder)),))
    )
    packer.send_code()
    entry = packer.packages[str(folder)]
    first = packer.sent
    assert first == entry.size > 0
    # Touching the files (times change, bytes do not) gives the same package: nothing sent.
    for file in (folder / "pkg").iterdir():
        os.utime(file, (1, 1))
    again = Packer(Project(ResultStore(str(tmp_path / "store")), (("pkg.steps.run", str(folder)),)))
    again.send_code()
    assert again.packages[str(folder)] == entry
    assert again.sent == 0


def test_a_worker_imports_from_its_own_copy_and_gets_local_files(tmp_path: Path) -> None:
    folder = project(tmp_path / "p")
    store = ResultStore(str(tmp_path / "store"))
    packer = Packer(Project(store, (("pkg.steps.run", str(folder)),)))
    packer.send_code()
    number = str(folder / "number.txt")
    task = Task(
        run_id="r",
        step="s",
        function="pkg.steps.run",
        inputs={"path": number},
        project_dir=str(folder),
    )
    shipment = packer.shipment(task)
    assert list(shipment.files) == [number]
    local = unpack(task, shipment, tmp_path / "worker")
    code = Path(local.project_dir)
    assert code.parent == tmp_path / "worker" / "code"
    names = {p.relative_to(code).as_posix() for p in code.rglob("*") if p.is_file()}
    assert names == {"pkg/__init__.py", "pkg/steps.py", "pkg/helpers.py"}
    copy = Path(local.inputs["path"])
    assert copy.read_text() == "21"
    assert copy.is_relative_to(tmp_path / "worker" / "work")
    assert copy.as_posix().endswith(str(folder / "number.txt"))
    # A second task needs nothing sent again.
    sent = packer.sent
    packer.shipment(task)
    assert packer.sent == sent


def test_a_path_the_step_writes_is_not_sent(tmp_path: Path) -> None:
    folder = project(tmp_path / "p")
    packer = Packer(Project(ResultStore(str(tmp_path / "store")), ()))
    out = folder / "out"
    out.mkdir()
    (out / "old.csv").write_text("old")
    task = Task(
        run_id="r",
        step="s",
        function="",
        project_dir=str(folder),
        inputs={"target": str(out / "old.csv"), "number": str(folder / "number.txt")},
        writes=(WriteSpec(label="out/", location=str(out) + "/", folder=True),),
    )
    assert list(packer.shipment(task).files) == [str(folder / "number.txt")]


def test_a_package_with_a_path_out_of_its_folder_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        opened.writestr("../escape.py", "X = 1\n")
    store = ResultStore(str(tmp_path / "store"))
    entry, _ = send(store, archive)
    task = Task(run_id="r", step="s", function="", inputs={}, project_dir="/client/project")
    shipment = Shipment(store=store, packages={"/client/project": entry})
    with pytest.raises(ValueError, match="holds a path out of it"):
        unpack(task, shipment, tmp_path / "worker")
    assert not (tmp_path / "worker" / "escape.py").exists()


def test_pack_names_files_relative_to_the_folder(tmp_path: Path) -> None:
    folder = project(tmp_path / "p")
    data = pack(folder, [folder / "pkg" / "steps.py"])
    assert data == pack(folder, [folder / "pkg" / "steps.py"])
    archive = tmp_path / "a.zip"
    archive.write_bytes(data)
    with zipfile.ZipFile(archive) as opened:
        assert opened.namelist() == ["pkg/steps.py"]


def _data(folder: Path) -> None:
    (folder / "data" / "raw" / "deep").mkdir(parents=True)
    (folder / "data" / "raw" / "a.csv").write_text("a")
    (folder / "data" / "raw" / "deep" / "b.csv").write_text("b")
    (folder / "data" / "raw" / "empty").mkdir()
    (folder / "params").mkdir()
    (folder / "params" / "train.yaml").write_text("seed: 1\n")
    (folder / "params" / "other.yaml").write_text("seed: 2\n")


@pytest.mark.parametrize(
    ("inputs", "reads"),
    [
        (lambda f: {"src": str(f / "data" / "raw")}, lambda f: ()),
        (lambda f: {"src": str(f / "data" / "raw") + "/"}, lambda f: ()),
        (lambda f: {"src": str(f / "data" / "raw" / "a.csv")}, lambda f: (str(f / "data/raw"),)),
        (lambda f: {"src": [str(f / "data" / "raw")]}, lambda f: ()),
    ],
    ids=["folder-input", "folder-input-slash", "file-in-a-read-folder", "folder-in-a-list"],
)
def test_folders_and_reads_arrive_in_the_tasks_workspace_at_their_client_paths(
    tmp_path: Path, inputs: Any, reads: Any
) -> None:
    folder = project(tmp_path / "p")
    _data(folder)
    store = ResultStore(str(tmp_path / "store"))
    packer = Packer(Project(store, ()))
    task = Task(
        run_id="r",
        step="s",
        function="",
        inputs=inputs(folder),
        project_dir=str(folder),
        reads=(*reads(folder), str(folder / "params" / "t*.yaml")),
    )
    shipment = packer.shipment(task)
    workspace = tmp_path / "worker" / "work" / "task-1"
    local = unpack(task, shipment, tmp_path / "worker", workspace)
    raw = workspace / str(folder / "data" / "raw").lstrip("/")
    assert (raw / "a.csv").read_text() == "a"
    assert (raw / "deep" / "b.csv").read_text() == "b"
    # A read glob brings what it matches, and nothing else.
    assert (workspace / str(folder / "params" / "train.yaml").lstrip("/")).exists()
    assert not (workspace / str(folder / "params" / "other.yaml").lstrip("/")).exists()

    # Every input naming a sent path names its copy; the copy is the task's own.
    def paths(value: Any) -> list[str]:
        return [value] if isinstance(value, str) else [p for v in value for p in paths(v)]

    given = paths(list(local.inputs.values()))
    assert given
    assert all(path.startswith(str(workspace) + str(folder)) for path in given)
    first = Path(given[0])
    (first / "a.csv" if first.is_dir() else first).write_text("changed by the step")
    other = tmp_path / "worker" / "work" / "task-2"
    unpack(task, shipment, tmp_path / "worker", other)
    assert (other / str(folder / "data" / "raw" / "a.csv").lstrip("/")).read_text() == "a"


def test_a_glob_input_brings_its_matches_and_names_them_in_the_workspace(tmp_path: Path) -> None:
    """A path input may be a glob (the context anchors a project glob): its matches travel,
    and the step gets the glob rewritten to the workspace, where it matches the same files."""
    folder = project(tmp_path / "p")
    _data(folder)
    packer = Packer(Project(ResultStore(str(tmp_path / "store")), ()))
    pattern = str(folder / "data" / "raw" / "**" / "*.csv")
    task = Task(
        run_id="r",
        step="s",
        function="",
        inputs={"pattern": pattern, "also": [str(folder / "params" / "t*.yaml")]},
        project_dir=str(folder),
    )
    shipment = packer.shipment(task)
    sent = ("data/raw/a.csv", "data/raw/deep/b.csv", "params/train.yaml")
    assert sorted(shipment.files) == sorted(str(folder / name) for name in sent)
    workspace = tmp_path / "worker" / "work" / "task-1"
    local = unpack(task, shipment, tmp_path / "worker", workspace)
    assert local.inputs["pattern"] == str(workspace) + pattern
    found = sorted(Path(p).read_text() for p in glob.glob(local.inputs["pattern"], recursive=True))
    assert found == ["a", "b"]
    assert [Path(p).name for p in glob.glob(local.inputs["also"][0])] == ["train.yaml"]


def test_files_inside_what_the_step_writes_are_not_sent_and_its_writes_come_back(
    tmp_path: Path,
) -> None:
    from pipeflow.execute.landing import collect
    from pipeflow.execute.shipping import bring_back
    from pipeflow.execute.task import TaskResult
    from pipeflow.storage.written import FILE, FOLDER

    folder = project(tmp_path / "p")
    _data(folder)
    (folder / "data" / "out").mkdir()
    (folder / "data" / "out" / "stale.txt").write_text("from an earlier run")
    store = ResultStore(str(tmp_path / "store"))
    packer = Packer(Project(store, ()))
    out, model = folder / "data" / "out", folder / "model.pkl"
    task = Task(
        run_id="r",
        step="s",
        function="",
        inputs={"data": str(folder / "data"), "out": str(out), "model": str(model)},
        project_dir=str(folder),
        writes=(
            WriteSpec(label="data/out/", location=str(out) + "/", folder=True),
            WriteSpec(label="model.pkl", location=str(model)),
        ),
    )
    shipment = packer.shipment(task)
    assert set(shipment.files) == {str(folder / "data")}
    assert "out/stale.txt" not in shipment.files[str(folder / "data")].entries
    workspace = tmp_path / "worker" / "work" / "t"
    local = unpack(task, shipment, tmp_path / "worker", workspace)
    assert local.writes[0].location == str(workspace) + str(out) + "/"
    assert local.inputs["model"] == str(workspace) + str(model)
    # The step, on the worker: writes its folder and its file where it is told.
    Path(local.inputs["out"]).mkdir()
    (Path(local.inputs["out"]) / "part.csv").write_text("new")
    Path(local.inputs["model"]).write_bytes(b"model")
    result = collect(task, local, TaskResult(step="s", value=1), store, workspace)
    assert not workspace.exists()
    assert result.written["data/out/"].kind == FOLDER
    assert result.written["model.pkl"].kind == FILE
    # Back on the client: the files as the step wrote them. The one that was there stays:
    # before a step runs, what its stored versions wrote is removed (`clearing.py`), so what
    # is left is a file the store has no copy of (put there by hand).
    back = bring_back(task, result, store)
    assert back.ok
    assert not back.written
    assert (out / "part.csv").read_text() == "new"
    assert (out / "stale.txt").read_text() == "from an earlier run"
    assert model.read_bytes() == b"model"
    assert {found.path for found in back.hashes} == {str(out / "part.csv"), str(model)}


WRITER = """
import os
from pathlib import Path


def write(out, folder, url):
    os.makedirs(folder, exist_ok=True)
    Path(out).write_text("w")
    return {
        "text": out,
        "list": [out, folder],
        "tuple": (url,),
        "path": Path(out),
        "other": "/elsewhere/x.txt",
        "number": 3,
    }
"""


def test_a_folder_a_write_goes_into_is_the_workspaces_and_returned_paths_are_the_clients(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the worker, a folder a declared write goes into is in the workspace even though the
    client does not have it (in every spelling); what the step returns names the client's
    paths again, whatever the shape of the value."""
    from pipeflow.execute.task import execute

    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "shipped_writer.py").write_text(WRITER)
    store = ResultStore(str(tmp_path / "store"))
    packer = Packer(Project(store, (("shipped_writer.write", str(folder)),)))
    packer.send_code()
    out_dir = folder / "data" / "out"  # not on the client
    out = out_dir / "a.txt"
    task = Task(
        run_id="r",
        step="s",
        function="shipped_writer.write",
        inputs={"out": str(out), "folder": f"{out_dir}/", "url": f"file://{folder}/data"},
        project_dir=str(folder),
        writes=(WriteSpec(label="data/out/a.txt", location=str(out)),),
    )
    landed = unpack(task, packer.shipment(task), tmp_path / "worker")
    workspace = Path(landed.workspace)
    assert landed.inputs == {
        "out": f"{workspace}{out}",
        "folder": f"{workspace}{out_dir}/",
        "url": f"file://{workspace}{folder}/data",
    }
    monkeypatch.syspath_prepend(landed.project_dir)  # as the worker does (`enter_project`)
    monkeypatch.delitem(sys.modules, "shipped_writer", raising=False)
    result = execute(landed)
    assert result.ok, result.error
    assert (Path(f"{workspace}{out}")).read_text() == "w"
    assert result.value == {
        "text": str(out),
        "list": [str(out), f"{out_dir}/"],
        "tuple": (f"file://{folder}/data",),
        "path": out,
        "other": "/elsewhere/x.txt",
        "number": 3,
    }
    assert not (folder / "data").exists()  # nothing made on the client's side


def test_the_data_files_of_the_packages_travel_with_their_modules(tmp_path: Path) -> None:
    """What a step opens beside its code (`Path(__file__).parent`, `importlib.resources`):
    its package's files and folders that are no package, not modules it does not import,
    bytecode, hidden files, another package's files or the files beside a top-level module."""
    folder = project(tmp_path / "p")
    (folder / "pkg" / "table.json").write_text("{}")
    (folder / "pkg" / "templates" / "deep").mkdir(parents=True)
    (folder / "pkg" / "templates" / "deep" / "t.html").write_text("<p>")
    (folder / "pkg" / ".secret").write_text("hidden")
    (folder / "pkg" / "__pycache__").mkdir()
    (folder / "pkg" / "__pycache__" / "steps.cpython-311.pyc").write_bytes(b"\0")
    (folder / "pkg" / "other").mkdir()
    (folder / "pkg" / "other" / "__init__.py").write_text("")
    (folder / "pkg" / "other" / "data.csv").write_text("a\n")
    (folder / "top.py").write_text("def run() -> int:\n    return 1\n")
    steps = (("pkg.steps.run", str(folder)), ("top.run", str(folder)))
    store = ResultStore(str(tmp_path / "store"))
    packer = Packer(Project(store, steps))
    packer.send_code()
    task = Task(run_id="r", step="s", function="pkg.steps.run", inputs={}, project_dir=str(folder))
    code = Path(unpack(task, packer.shipment(task), tmp_path / "worker").project_dir)
    names = {p.relative_to(code).as_posix() for p in code.rglob("*") if p.is_file()}
    assert names == {
        "pkg/__init__.py",
        "pkg/steps.py",
        "pkg/helpers.py",
        "pkg/table.json",
        "pkg/templates/deep/t.html",
        "top.py",
    }

    # An edited data file is a new package: the worker gets it, not the copy it has.
    (folder / "pkg" / "table.json").write_text('{"edited": true}')
    again = Packer(Project(store, steps))
    again.send_code()
    assert again.packages[str(folder)] != packer.packages[str(folder)]
    code = Path(unpack(task, again.shipment(task), tmp_path / "worker").project_dir)
    assert (code / "pkg" / "table.json").read_text() == '{"edited": true}'
