"""Before a step runs, what earlier versions of it left in its declared writes is removed.

A step's declared writes are its output (SPEC 12): whatever they hold once it has run is
stored as its new version and is what their readers see. A file an earlier run left there (a
model named by the param's other value, a part the input no longer makes, the lines a step
appending to its log wrote last time) would be stored with the new version and read as if
this run had written it. DVC and Snakemake remove a stage's outputs before it runs; here what
is removed is only what the results store holds a copy of, so nothing is lost (an earlier
version comes back from the store, restored, when its inputs do):

- each file of a declared write (the file itself, or every file under the folder; under a URL,
  each object, read to be hashed) that one of this step's own stored versions wrote at that
  very path, with that very content (path and checksum from its manifests, whose lists are
  signed: `storage/signing.py`), is removed, and the empty folders that leaves below the
  declared one, and the declared one too unless its trailing `/` says it is a folder (a
  version of the step may write a file there where another wrote a folder);
- a file no version of this step wrote there (put there by hand, `models/.gitkeep`, or
  written by a step that stores nothing) stays, and is stored with the new version as
  before, even when some step once stored the same bytes elsewhere;
- so does any file the step is given as a path input inside a declared folder (`base:
  models/base.txt` beside `writes: [models/]`) or names in `reads:`: it is read, not written;
- a restore of those files killed as it copied left its temporary beside one: it goes too,
  unless a process holds it locked (`storage/restoring.py`);
- the folder each local declared write goes into is made, as Snakemake does (and removed
  at the end of the run if it is still empty: the step failed before writing there).

It runs in the engine's process as a task is made (the files are final then: every step the
step waits for has finished), for each item of a `foreach` with the item's own writes.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any

from pipeflow.cache.files import FileFingerprints
from pipeflow.cache.owned import Owned
from pipeflow.errors import StorageError
from pipeflow.model.locations import Location
from pipeflow.storage.checksums import digest
from pipeflow.storage.escapes import check_inside
from pipeflow.storage.remote import open_url
from pipeflow.storage.restoring import remove_leftovers

_PARALLEL = 8  # objects hashed at once


def prepare_writes(
    writes: Sequence[Location],
    owned: Owned | None,
    hashes: FileFingerprints | None,
    kept: Iterable[str],
    options: Callable[[str], Mapping[str, Any]],
    project: str = "",
) -> list[Path]:
    """Make the folders `writes` go into, and remove what of them the step's stored
    versions wrote (`owned`, from `cache/owned.py`; None: nothing; see the module's docstring);
    `kept`: paths, URLs and globs (absolute) never removed; `options`: the storage options of
    a URL. The folders made, deepest first (`remove_empty`). StorageError, before anything
    is made or removed, when a write inside `project` leads out of it through a symbolic
    link (the step would write there)."""
    check_inside([write.key for write in writes if not write.remote], project)
    if owned and any(not write.remote for write in writes):
        remove_leftovers(owned)  # what a restore of them, killed as it copied, left
    keep = [text.rstrip("/") for text in kept]
    made: list[Path] = []
    for write in writes:
        if write.remote:
            if owned:
                _clear_url(write, owned, keep, options(write.key))
            continue
        parent = Path(write.key).parent
        missing = [parent, *parent.parents]
        missing = missing[: next(i for i, p in enumerate(missing) if p.exists())]
        _make_folder(write, parent, missing, project)
        made += missing
        if owned:
            _clear_local(write, owned, hashes, keep)
    return made


def _make_folder(write: Location, parent: Path, missing: Sequence[Path], project: str) -> None:
    """Make the folder `write` goes into; StorageError when it cannot be (a file stands
    where a folder on the way must be, a folder the OS refuses to make)."""
    found = missing[-1].parent if missing else parent  # the nearest path that exists
    if found.exists() and not found.is_dir():
        shown = os.path.relpath(found, project) if project else str(found)
        if shown.startswith(".."):
            shown = str(found)
        raise StorageError(
            f"declared write {write.text} cannot be written: {shown} is a file, where the "
            "folder the step writes into must be; remove or move it, or declare another path"
        )
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(
            f"declared write {write.text} cannot be written: the folder it goes into "
            f"({parent}) cannot be made: {error.strerror or error}"
        ) from None


def remove_empty(made: Iterable[Path]) -> None:
    """Remove the folders `prepare_writes` made that are still empty once the run is over
    (its step failed before writing, or ran where the files are not: a Dask worker that
    shares no filesystem with this machine), deepest first."""
    for folder in sorted(set(made), key=lambda path: len(path.parts), reverse=True):
        with suppress(OSError):
            folder.rmdir()  # only when it is empty


def _kept(path: str, keep: Sequence[str]) -> bool:
    for text in keep:
        if any(wildcard in text for wildcard in "*?["):
            if fnmatch.fnmatch(path, text):
                return True
        elif path == text or path.startswith(text + "/"):
            return True
    return False


def _clear_local(
    write: Location, owned: Owned, hashes: FileFingerprints | None, keep: Sequence[str]
) -> None:
    root = Path(write.key)
    if root.is_file():
        _remove_if_stored(root, owned, hashes, keep)
        return
    if not root.is_dir():
        return
    for folder, folders, names in os.walk(root, topdown=False):
        for name in names:
            _remove_if_stored(Path(folder, name), owned, hashes, keep)
        for name in folders:
            inner = Path(folder, name)
            if not inner.is_symlink() and not _kept(inner.as_posix(), keep):
                with suppress(OSError):
                    inner.rmdir()  # only when it is empty now
    if not write.folder and not root.is_symlink() and not _kept(root.as_posix(), keep):
        # Not declared a folder: the step may write a file there this time.
        with suppress(OSError):
            root.rmdir()  # only when it is empty now


def _remove_if_stored(
    path: Path, owned: Owned, hashes: FileFingerprints | None, keep: Sequence[str]
) -> None:
    checksums = owned.get(path.as_posix())
    if not checksums or _kept(path.as_posix(), keep) or not path.is_file():
        return
    if hashes is not None:
        found = hashes.checksum(path)
        if found is None:
            return
        checksum = found[1]
    else:
        with path.open("rb") as handle:
            checksum = digest(handle)[1]
    if checksum in checksums:
        path.unlink(missing_ok=True)


def _clear_url(
    write: Location, owned: Owned, keep: Sequence[str], options: Mapping[str, Any]
) -> None:
    filesystem, path = open_url(write.key, options)
    try:
        info = filesystem.info(path)
    except FileNotFoundError:
        return
    if info.get("type") == "directory":
        root = path.rstrip("/") + "/"
        names = [
            name
            for name, details in filesystem.find(path, detail=True).items()
            if name.startswith(root) and details.get("type", "file") != "directory"
        ]
    else:
        names = [path]
    scheme = write.key.split("://", 1)[0] + "://"

    def clear(name: str) -> None:
        checksums = owned.get(scheme + name.lstrip("/"))
        if not checksums or _kept(scheme + name.lstrip("/"), keep):
            return
        with filesystem.open(name, "rb") as handle:
            checksum = digest(handle)[1]
        if checksum in checksums:
            filesystem.rm(name)

    with ThreadPoolExecutor(_PARALLEL) as pool:
        list(pool.map(clear, names))
