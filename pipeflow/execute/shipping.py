"""The project's code and data files, sent with a run to workers that share no filesystem.

On the client (`Packer`):

1. Code: per project folder (the main config's, and each sub-pipeline's in another folder),
   the project modules its steps import — the files their code fingerprints count
   (`CodeFingerprinter.project_files`), so what travels is what the cache key knows — are
   packed into a zip that depends on their names and bytes only (sorted, fixed times), and
   sent to the results store's blobs under the zip's sha256. A blob the store has is not sent
   again: a second run of unchanged code sends nothing.
2. Files: every absolute path to a local file in a task's inputs (the context made the path
   inputs that name project files absolute) is sent the same way, once per content.

On the worker (`unpack`): each package is copied out to `<worker folder>/pipeflow/code/<sha256>`
(extracted beside it and renamed into place, so a folder there is whole), and the task then
imports from that folder instead of the client's project folder: two versions of a project,
or two projects, have two folders, and `use_project` forgets the modules of the one used
before. Each file is copied out to `<worker folder>/pipeflow/files/<sha256>/<its name>` and
the input rewritten to that path.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeflow.cache.code import CodeFingerprinter
from pipeflow.errors import ConfigError, Problem
from pipeflow.execute.task import Task, fill_strings
from pipeflow.storage.shipped import file_entry, receive, send
from pipeflow.storage.store import ResultStore
from pipeflow.storage.written import FileEntry

logger = logging.getLogger(__name__)

_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold: the same bytes every time


@dataclass(frozen=True)
class Project:
    """What the client knows of the run's code before it starts: the store that carries it,
    and each step's function with the project folder it imports from."""

    store: ResultStore | None
    steps: tuple[tuple[str, str], ...]  # (dotted path, project folder)


@dataclass(frozen=True)
class Shipment:
    """What a worker needs to run a task away from the client's files: plain data."""

    store: ResultStore
    packages: Mapping[str, FileEntry] = field(default_factory=dict)  # project folder -> zip
    files: Mapping[str, FileEntry] = field(default_factory=dict)  # client path -> its content


class Packer:
    """Packs and sends the run's code once, and each local file a task names once."""

    def __init__(self, project: Project) -> None:
        if project.store is None:
            raise ConfigError(
                [
                    Problem(
                        message=(
                            "a Dask cluster that shares no filesystem with this machine gets "
                            "the project's code through the results store, and this run "
                            "stores nothing (`results.persist: false`)"
                        ),
                        path="results.persist",
                        hint="store results, or set `executor.shared_filesystem: true`",
                    )
                ]
            )
        self.store = project.store
        self.sent = 0  # bytes sent to the store by this packer
        self.packages: dict[str, FileEntry] = {}
        self.versions: dict[str, str] = {}  # distribution -> version the steps import here
        self._files: dict[str, tuple[tuple[int, int], FileEntry]] = {}
        self._code: dict[str, set[Path]] = {}  # project folder -> the files its steps import
        by_folder: dict[str, set[str]] = {}
        for function, folder in project.steps:
            if function:
                by_folder.setdefault(folder, set()).add(function)
        for folder, functions in sorted(by_folder.items()):
            fingerprinter = CodeFingerprinter(folder)
            files = self._code.setdefault(folder, set())
            for function in sorted(functions):
                files.update(fingerprinter.project_files(function))
                self.versions.update(fingerprinter.package_versions(function))

    def send_code(self) -> None:
        """Pack each project folder's code and send what the store does not have."""
        for folder, files in self._code.items():
            data = pack(Path(folder).resolve(), files)
            with tempfile.TemporaryDirectory(prefix="pipeflow-package-") as temporary:
                path = Path(temporary) / "code.zip"
                path.write_bytes(data)
                entry, sent = send(self.store, path)
            self.sent += sent
            self.packages[folder] = entry
            logger.info(
                "code package %s of %s: %s",
                entry.checksum,
                folder,
                f"sent ({sent} bytes)" if sent else "in the store already, not sent",
            )

    def shipment(self, task: Task) -> Shipment:
        """The packages and files a task needs on a worker (its local files sent now)."""
        files: dict[str, FileEntry] = {}
        written = [write.location.rstrip("/") for write in task.writes]

        def note(text: str) -> str:
            # A path the step writes is its output, not a file to hand it a copy of.
            outside = not any(text == place or text.startswith(place + "/") for place in written)
            if os.path.isabs(text) and os.path.isfile(text) and outside:
                files[text] = self._file(text)
            return text

        fill_strings(dict(task.inputs), note)
        return Shipment(store=self.store, packages=self.packages, files=files)

    def _file(self, path: str) -> FileEntry:
        status = os.stat(path)
        stamp = (status.st_size, status.st_mtime_ns)
        known = self._files.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        entry, sent = send(self.store, path, file_entry(path))
        self.sent += sent
        self._files[path] = (stamp, entry)
        return entry


def pack(folder: Path, files: Iterable[Path]) -> bytes:
    """A zip of the files, by their paths relative to `folder`: the same bytes for the same
    names and contents, whenever and wherever it is made."""
    import zipfile  # code is shipped to a cluster's workers only: not on every run's path

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted({Path(f).resolve() for f in files}):
            info = zipfile.ZipInfo(file.relative_to(folder).as_posix(), date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.read_bytes())
    return buffer.getvalue()


# -- on the worker ----------------------------------------------------------------------------


def unpack(task: Task, shipment: Shipment, base: Path) -> Task:
    """The task as it runs here: importing from its unpacked package, its files local."""
    package = shipment.packages.get(task.project_dir)
    changes: dict[str, Any] = {}
    if package is not None:
        changes["project_dir"] = str(_code_folder(shipment.store, package, base))
    if shipment.files:
        local = {
            path: str(_local_file(shipment.store, entry, base, Path(path).name))
            for path, entry in shipment.files.items()
        }
        changes["inputs"] = fill_strings(dict(task.inputs), lambda text: local.get(text, text))
    return replace(task, **changes) if changes else task


def _code_folder(store: ResultStore, entry: FileEntry, base: Path) -> Path:
    digest = entry.checksum.removeprefix("sha256:")
    folder = base / "code" / digest
    if folder.is_dir():
        return folder
    archive = receive(store, entry, base / "code" / f"{digest}.zip")
    import zipfile

    staging = Path(tempfile.mkdtemp(prefix=f".{digest[:12]}-", dir=folder.parent))
    try:
        with zipfile.ZipFile(archive) as opened:
            for name in opened.namelist():
                if name.startswith("/") or ".." in Path(name).parts:
                    raise ValueError(f"the code package {digest} holds a path out of it: {name}")
            opened.extractall(staging)
        try:
            os.rename(staging, folder)
        except OSError:  # another task unpacked it first
            if not folder.is_dir():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return folder


def _local_file(store: ResultStore, entry: FileEntry, base: Path, name: str) -> Path:
    """The worker's copy of a file, read-only: every task given it shares it."""
    digest = entry.checksum.removeprefix("sha256:")
    copy = receive(store, entry, base / "files" / digest / name)
    copy.chmod(0o444)
    return copy
