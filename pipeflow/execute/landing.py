"""A task arriving on a worker that shares no filesystem with the client (see `shipping.py`).

`unpack` gives the task as it runs here:

- Code: each package is copied out to `<base>/code/<sha256>` (extracted beside it and renamed
  into place, so a folder there is whole), and the task imports from that folder instead of
  the client's project folder: two versions of a project, or two projects, have two folders,
  and `use_project` forgets the modules of the one used before.
- Files: the task gets a workspace of its own, `<base>/work/<task>/`, in which every file
  and folder sent with it (path inputs, `reads:`) is copied at its client path (a file the
  client has at `/home/me/project/data/raw.csv` is at `<workspace>/home/me/project/data/
  raw.csv`), so paths inside a folder, and files next to each other, keep their relations.
  Each file is fetched from the store once per worker (`<base>/files/<sha256>`, read only)
  and copied from there for each task: a step that changes its input changes its own copy.
- Writes: each local path the step declares in `writes:` is moved into the workspace too
  (its parent folder made), and every path input naming a file sent, or a place written, is
  rewritten to its place in the workspace (a glob whose matches were sent, too; a `file://`
  URL as a URL of its copy; a folder a declared write goes into, whether the client has it
  or not).
- Back: a path into the workspace that the step returns (`remotes.client_paths`) is the
  client's path again before the value is stored or sent: what a reader, here or on the
  client, is given is the path the client knows (and ships again to the next worker).

- Words: what the worker says of the task (its error, its traceback, a retry's error) names
  the client's files too (`client_words`): a frame of the unpacked package is the client's
  file it was packed from, a path into the workspace the client path it stands for, so a
  failure reads as it would on any other executor.

After the step, `collect` lists what it wrote (from its manifest, whose files are blobs of
the store already; or stored now when the result is not kept), for the client to copy back
(`shipping.bring_back`), and removes the workspace.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeflow.execute.remotes import fill_strings
from pipeflow.execute.shipping import Shipment
from pipeflow.execute.task import Task, TaskResult
from pipeflow.model.locations import Location, is_pattern
from pipeflow.storage.blobs import WriteSpec, snapshot
from pipeflow.storage.shipped import receive
from pipeflow.storage.store import ResultStore
from pipeflow.storage.written import FILE, FileEntry


def unpack(
    task: Task,
    shipment: Shipment,
    base: Path,
    workspace: Path | None = None,
    arrived: Callable[[Task], Task] | None = None,
) -> Task:
    """The task as it runs here: importing from its unpacked package, its files local (in
    `workspace`, by default a new folder under `base/work`). `arrived` is given the task
    once it imports from its package, before its path inputs are rewritten (the dask worker
    opens its inputs there, which may need the project's classes)."""
    package = shipment.packages.get(task.project_dir)
    changes: dict[str, Any] = {}
    if package is not None:
        changes["project_dir"] = str(_code_folder(shipment.store, package, base))
        # The code that runs is the package's, not the client's files: none to check here.
        changes["sources"] = ()
        # Nor the client's files its key was computed from: another machine's, maybe.
        changes["stamps"] = ()
    if arrived is not None:
        task = arrived(replace(task, **changes))
        changes = {}
    local_writes = [w for w in task.writes if "://" not in w.location]
    if not shipment.files and not local_writes:
        return replace(task, **changes) if changes else task
    if workspace is None:
        (base / "work").mkdir(parents=True, exist_ok=True)
        workspace = Path(tempfile.mkdtemp(prefix="task-", dir=base / "work"))
    workspace.mkdir(parents=True, exist_ok=True)
    for path, content in shipment.files.items():
        place = here(workspace, path)
        if content.kind == FILE:
            _copy(shipment.store, content.entries[""], base, place)
            continue
        place.mkdir(parents=True, exist_ok=True)
        for name, entry in content.entries.items():
            _copy(shipment.store, entry, base, place / name)
        for name in content.empty:  # a folder the step may expect, though it holds nothing
            (place / name).mkdir(parents=True, exist_ok=True)
    writes = []
    for write in task.writes:
        if "://" not in write.location:
            place = here(workspace, write.location.rstrip("/"))
            place.parent.mkdir(parents=True, exist_ok=True)
            slash = "/" if write.location.endswith("/") else ""
            write = replace(write, location=f"{place}{slash}")
        writes.append(write)
    roots = sorted(
        {*shipment.files, *(w.location.rstrip("/") for w in local_writes)}, key=len, reverse=True
    )
    # A folder a declared write goes into is the step's to make here, though the client
    # does not have it (`outdir: data/out` beside `writes: [data/out/a.txt]`).
    written = [w.location.rstrip("/") for w in local_writes]

    def moved(text: str) -> str:
        if text.startswith("file:///"):  # a local file too, as a URL: its copy's URL
            path = text.removeprefix("file://")
            place = moved(path)
            return text if place == path else f"file://{place}"
        if not os.path.isabs(text):
            return text
        path = text.rstrip("/") or "/"
        if any(path == r or path.startswith(r + "/") for r in roots) or (
            path != "/" and any(w.startswith(path + "/") for w in written)
        ):
            return str(workspace) + text
        if is_pattern(text):  # a glob whose matches were sent: it matches their copies
            base = Location(text=text, key=text).prefix.rsplit("/", 1)[0] + "/"
            if any(root.startswith(base) for root in roots):
                return str(workspace) + text
        return text

    changes["inputs"] = fill_strings(dict(task.inputs), moved)
    changes["writes"] = tuple(writes)
    changes["workspace"] = str(workspace)
    changes["stamps"] = ()  # the copies here are not the files its key was computed from
    return replace(task, **changes)


def client_words(shipment: Shipment, base: Path, workspace: Path | None) -> Callable[[str], str]:
    """A text the worker says of a task with its paths as the client's (see the docstring)."""
    found: list[tuple[str, str]] = []
    for folder, entry in shipment.packages.items():
        code = f"{_code_path(base, entry)}/"
        for name, client in shipment.outside.get(folder, {}).items():
            found.append((code + name, client))
        found.append((code, folder.rstrip("/") + "/"))
    if workspace is not None:
        found.append((f"{workspace}/", "/"))
    # The longest first: a file of the package before the package's folder.
    replacements = sorted(found, key=lambda pair: len(pair[0]), reverse=True)

    def words(text: str) -> str:
        for old, new in replacements:
            text = text.replace(old, new)
        return text

    return words


def here(workspace: Path, path: str) -> Path:
    """Where a client path is in a task's workspace."""
    return Path(str(workspace) + "/" + path.lstrip("/"))


def collect(
    original: Task, landed: Task, result: TaskResult, store: ResultStore, workspace: Path
) -> TaskResult:
    """The result with what the step wrote locally (as blobs of `store`, for the client to
    bring back), and without the hashes of this worker's files; the workspace removed."""
    try:
        if not result.ok:
            return replace(result, hashes=())
        labels = {w.label for w in original.writes if "://" not in w.location}
        if not labels:
            return replace(result, hashes=())
        if result.manifest is not None:
            files = dict(result.manifest.files)
        else:  # not kept: its files are stored all the same, to travel back
            local: list[WriteSpec] = [w for w in landed.writes if w.label in labels]
            try:
                files, _ = snapshot(local, store)
            except Exception as error:
                return replace(result, value=None, error=f"{type(error).__name__}: {error}")
        written = {label: found for label, found in files.items() if label in labels}
        return replace(result, hashes=(), written=written)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def _copy(store: ResultStore, entry: FileEntry, base: Path, place: Path) -> None:
    """A task's own copy of a file, from the worker's copy of its blob (fetched once)."""
    cached = receive(store, entry, base / "files" / entry.hex)
    cached.chmod(0o444)
    place.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, place)


def _code_path(base: Path, entry: FileEntry) -> Path:
    return base / "code" / entry.checksum.removeprefix("sha256:")


def _code_folder(store: ResultStore, entry: FileEntry, base: Path) -> Path:
    digest = entry.checksum.removeprefix("sha256:")
    folder = _code_path(base, entry)  # as `client_words` finds its files in what is said
    if folder.is_dir():
        return folder
    archive = receive(store, entry, base / "code" / f"{digest}.zip")
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
