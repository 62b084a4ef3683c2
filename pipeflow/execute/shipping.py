"""The project's code and data files, sent with a run to workers that share no filesystem.

On the client (`Packer`):

1. Code: per project folder (the main config's, and each sub-pipeline's in another folder),
   the project modules its steps import — the files their code fingerprints count
   (`CodeFingerprinter.project_files`), so what travels is what the cache key knows, with
   the data files of their packages (`package_data`: a step opens them beside its code) — and
   the source the fingerprints count that is imported from another folder on sys.path (a
   `src/` folder, a folder on PYTHONPATH, a `pip install -e` checkout outside the project:
   `rooted_files`, also by its name below that folder, so that the worker imports it from
   the package before any copy of its own) are packed into a zip that depends on their
   names and bytes only (sorted, fixed times), and sent to the results store's blobs under
   the zip's sha256. A blob the store has is not sent again: a second run of unchanged code
   sends nothing.
2. Files: every absolute path to a local file or folder in a task's inputs (the context made
   the path inputs that name project files absolute, globs too; a `file://` URL counts as
   its path), what an absolute glob among
   them matches, and every local file or folder its `reads:` names (globs expanded), is sent
   the same way, each file once per content (a file
   is hashed again only when its size or modification time changed). What the task writes is
   never sent: it is the step's output.
3. Back: the files a step wrote on a worker come back as blobs of the store, listed in its
   result (`TaskResult.written`); `bring_back` copies them into the client's workspace where
   the step declared them (`writes:`), as a restore does, before the step counts as finished,
   so what reads them next (fingerprints, the next step's shipment) finds them here.

The worker's side is `landing.py`.
"""

from __future__ import annotations

import glob
import io
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from pipeflow.cache.code import CodeFingerprinter
from pipeflow.errors import ConfigError, Problem
from pipeflow.execute.remotes import fill_strings
from pipeflow.execute.task import Task, TaskResult
from pipeflow.model.locations import is_pattern
from pipeflow.storage.blobs import FileCopy, Restoration, empty_folders
from pipeflow.storage.boundaries import RESERVED
from pipeflow.storage.restoring import restore
from pipeflow.storage.shipped import file_entry, send
from pipeflow.storage.store import ResultStore
from pipeflow.storage.written import FILE, FOLDER, FileEntry, WrittenFiles

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
    # client path of a file or folder -> its content (a file: one entry named "")
    files: Mapping[str, WrittenFiles] = field(default_factory=dict)
    # project folder -> the files of its package from another folder on sys.path (`src/`,
    # PYTHONPATH), by their names in the package -> their client paths: what a worker's
    # tracebacks name them as (`landing.client_words`)
    outside: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


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
        self.outside: dict[str, dict[str, str]] = {}
        self.versions: dict[str, str] = {}  # distribution -> version the steps import here
        self._files: dict[str, tuple[tuple[int, int, int], FileEntry]] = {}
        self._code: dict[str, set[Path]] = {}  # project folder -> the files its steps import
        # project folder -> the source its steps import from another sys.path folder (`src/`,
        # a folder on PYTHONPATH), by its name below that folder
        self._rooted: dict[str, dict[str, Path]] = {}
        by_folder: dict[str, set[str]] = {}
        for function, folder in project.steps:
            if function:
                by_folder.setdefault(folder, set()).add(function)
        for folder, functions in sorted(by_folder.items()):
            fingerprinter = CodeFingerprinter(folder)
            files = self._code.setdefault(folder, set())
            rooted = self._rooted.setdefault(folder, {})
            for function in sorted(functions):
                files.update(fingerprinter.project_files(function))
                rooted.update(fingerprinter.rooted_files(function))
                self.versions.update(fingerprinter.package_versions(function))
            top = Path(folder).resolve()
            files.update(package_data({f.relative_to(top).as_posix(): f for f in files}).values())
            rooted.update(package_data(rooted))

    def send_code(self) -> None:
        """Pack each project folder's code and send what the store does not have."""
        for folder, files in self._code.items():
            data = pack(Path(folder).resolve(), files, self._rooted.get(folder, {}))
            with tempfile.TemporaryDirectory(prefix="pipeflow-package-") as temporary:
                path = Path(temporary) / "code.zip"
                path.write_bytes(data)
                entry, sent = send(self.store, path)
            self.sent += sent
            self.packages[folder] = entry
            top = Path(folder).resolve()
            own = {Path(file).resolve().relative_to(top).as_posix() for file in files}
            rooted = self._rooted.get(folder, {})
            self.outside[folder] = {
                name: str(path) for name, path in rooted.items() if name not in own
            }
            logger.info(
                "code package %s of %s: %s",
                entry.checksum,
                folder,
                f"sent ({sent} bytes)" if sent else "in the store already, not sent",
            )

    def shipment(self, task: Task) -> Shipment:
        """The packages and files a task needs on a worker (its local files sent now)."""
        files: dict[str, WrittenFiles] = {}
        written = [
            write.location.rstrip("/") for write in task.writes if "://" not in write.location
        ]

        def note(text: str) -> str:
            if text.startswith("file:///"):  # a local file as a URL travels as its path does
                note(text.removeprefix("file://"))
            # A path the step writes is its output, not a file to hand it a copy of.
            elif os.path.isabs(text) and not _inside(text, written) and text not in files:
                found = self._path(text.rstrip("/") or "/", written)
                if found is not None:
                    files[text.rstrip("/") or "/"] = found
                elif is_pattern(text):  # a glob input: what it matches travels
                    for path in sorted(glob.glob(text, recursive=True)):
                        note(path)
            return text

        fill_strings(dict(task.inputs), note)
        for read in task.reads:
            for path in sorted(glob.glob(read, recursive=True)) if is_pattern(read) else [read]:
                note(path)
        return Shipment(store=self.store, packages=self.packages, files=files, outside=self.outside)

    def _path(self, path: str, written: list[str]) -> WrittenFiles | None:
        """A local file's or folder's content, its files sent; None for anything else."""
        if os.path.isfile(path):
            return WrittenFiles(FILE, {"": self._file(path)})
        if not os.path.isdir(path):
            return None
        entries: dict[str, FileEntry] = {}

        def left_out(folder: str) -> bool:  # what the step writes, and pipeflow's own files
            return os.path.basename(folder) == RESERVED or _inside(folder, written)

        for root, folders, names in os.walk(path):
            folders[:] = [f for f in folders if not left_out(os.path.join(root, f))]
            for name in names:
                file = os.path.join(root, name)
                if not _inside(file, written) and os.path.isfile(file):
                    entries[os.path.relpath(file, path).replace(os.sep, "/")] = self._file(file)
        empty = empty_folders(Path(path), left_out)
        return WrittenFiles(FOLDER, dict(sorted(entries.items())), empty)

    def _file(self, path: str) -> FileEntry:
        status = os.stat(path)
        stamp = (status.st_size, status.st_mtime_ns, status.st_ctime_ns)  # `cp -p` sets the ctime
        known = self._files.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        entry, sent = send(self.store, path, file_entry(path))
        self.sent += sent
        self._files[path] = (stamp, entry)
        return entry


_CODE = (".py", ".pyc", ".pyo")  # a package's modules travel only when a step imports them


def package_data(code: Mapping[str, Path]) -> dict[str, Path]:
    """The data files of the packages that hold the modules `code` names (by their names in
    the package: `pkg/sub/steps.py`), by theirs: every file in such a package's folder, and
    in its folders that are no package of their own (`pkg/sub/table.json`,
    `pkg/templates/report.html`), but modules, bytecode, hidden files and symbolic links.
    A step opens them next to its code (`Path(__file__).parent`) or with
    `importlib.resources`, so they go where its modules go. A module at the top of a
    folder on sys.path (the project's own folder) has no package: nothing beside it goes."""
    found: dict[str, Path] = {}
    folders = {
        PurePosixPath(name).parent: Path(file).parent
        for name, file in code.items()
        if PurePosixPath(name).parent != PurePosixPath(".")
        and (Path(file).parent / "__init__.py").is_file()
    }
    for package, folder in sorted(folders.items()):
        for root, inner, names in os.walk(folder):
            inner[:] = [
                name
                for name in inner
                if not name.startswith(".")
                and name != "__pycache__"
                and not os.path.isfile(os.path.join(root, name, "__init__.py"))
            ]
            for name in names:
                file = Path(root, name)
                if name.startswith(".") or file.suffix in _CODE or file.is_symlink():
                    continue
                if file.is_file():
                    found[(package / file.relative_to(folder)).as_posix()] = file
    return found


def _inside(path: str, places: list[str]) -> bool:
    return any(path == place or path.startswith(place + "/") for place in places)


def bring_back(task: Task, result: TaskResult, store: ResultStore) -> TaskResult:
    """The files a step wrote on a worker (`result.written`), copied from their blobs to where
    the step declared them on this machine, checked as a restore checks them; the result with
    the hashes of what was copied (the run remembers them) and nothing left to bring."""
    if not result.written:
        return result
    places = {write.label: write.location for write in task.writes}
    copies: list[FileCopy] = []
    removals: list[FileCopy] = []
    folders: list[str] = []
    for label, files in result.written.items():
        base = places[label].rstrip("/")
        if files.kind == FILE:
            copies.append(FileCopy(files.entries[""], base))
            continue
        if os.path.isfile(base):  # a file where the step now writes a folder
            removals.append(FileCopy(FileEntry(0, ""), base))
        # A file the folder holds here that the new version lacks stays: what its stored
        # versions wrote was removed before the step ran (`clearing.py`), so the store has
        # no copy of what is left (put there by hand), which the worker never saw.
        copies += [FileCopy(entry, f"{base}/{name}") for name, entry in files.entries.items()]
        folders += [base, *(f"{base}/{name}" for name in files.empty)]
    try:
        hashes = restore(
            store,
            Restoration(tuple(copies), tuple(removals), tuple(folders), project=task.project_dir),
        )
    except Exception as error:
        return replace(
            result,
            value=None,
            written={},
            error=(
                f"{type(error).__name__}: what step `{task.step}` wrote on the Dask worker "
                f"could not be copied back from the results store: {error}"
            ),
        )
    return replace(result, hashes=tuple(hashes), written={})


def pack(folder: Path, files: Iterable[Path], rooted: Mapping[str, Path] | None = None) -> bytes:
    """A zip of the files, by their paths relative to `folder`, and of the `rooted` files by
    the names it gives them, below their own folders on sys.path (the project's file wins a
    name both have: the project folder comes first on sys.path): the same bytes for the same
    names and contents, whenever and wherever it is made."""
    import zipfile  # code is shipped to a cluster's workers only: not on every run's path

    named = {name: Path(file) for name, file in (rooted or {}).items()}
    named.update({Path(f).resolve().relative_to(folder).as_posix(): Path(f) for f in files})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, file in sorted(named.items()):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.read_bytes())
    return buffer.getvalue()
