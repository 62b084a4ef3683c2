"""The code package and data files a remote cluster gets (`pipeflow/execute/shipping.py`),
against a results store in a local folder: packing, sending once, unpacking on a worker."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from pipeflow.execute.shipping import Packer, Project, Shipment, pack, unpack
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
    assert copy.is_relative_to(tmp_path / "worker" / "files")
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
