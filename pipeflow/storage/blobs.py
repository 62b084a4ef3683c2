"""Content-addressed copies of what steps wrote, kept in the results store: every version stays.

Layout, under the results store's root (local, S3, GCS alike):

    .pipeflow/files/sha256/<first 2 hex digits>/<other 62 hex digits>

One object per distinct content: a file written twice, by two steps or two runs, is stored
once (a blob already there is not written again). A blob is written like any payload
(`ResultStore.write`: a temporary file and a rename locally, one PUT on an object store), so
it is whole or absent, and it is only ever read through its checksum (`open_verified`).
A blob that does not match its checksum when read (damaged in the store: its name says what
it must hold, so it is useless to every manifest) is removed by the reader that found it
(`discard_damaged`), so the step that runs again in its place stores it anew.
Manifests name the blobs they need: each entry of their `files` (see `written.py`) by its
checksum, and each target payload by its `blob` path. `pipeflow gc` may delete a blob that
no kept manifest names.

`snapshot` runs on the worker right after a step: every declared write must exist (a folder
if declared with a trailing `/`), each file is hashed and its blob stored. `restoring.py`
puts blobs back where a manifest says they were.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from pipeflow.errors import StorageError
from pipeflow.records import record
from pipeflow.storage.checksums import digest
from pipeflow.storage.escapes import escape, escape_message
from pipeflow.storage.failures import spool_failed
from pipeflow.storage.formats import Format, unsuitable_value_error
from pipeflow.storage.manifest import PartRecord
from pipeflow.storage.refusals import CorruptResult
from pipeflow.storage.remote import open_url, url_stamp
from pipeflow.storage.store import ResultStore
from pipeflow.storage.written import FILE, FOLDER, FileEntry, WrittenFiles

BLOBS = ".pipeflow/files/sha256"
_CHUNK = 1024 * 1024
_PARALLEL = 8  # files hashed, stored or restored at once


class WriteError(Exception):
    """A declared write is missing after its step ran, or is not what was declared."""


@record
class WriteSpec:
    """One declared write of a task, as plain data that crosses to a worker."""

    label: str  # as the config names it, references filled in: the manifest's key
    location: str  # an absolute local path, or a URL
    folder: bool = False  # declared with a trailing `/`: must be a folder
    storage_options: Mapping[str, Any] | None = None  # for a URL


class FileHash(NamedTuple):
    """A local file's sha256 taken on a worker, for the client to remember (so it is not
    taken again while the file keeps its size and modification time)."""

    path: str
    size: int
    mtime_ns: int
    sha256: str  # hex digits
    # Its ctime when it was read: any write, rename or `utime` through the filesystem changes
    # a file's ctime, and nothing can set it back. A hash without one is taken again.
    ctime_ns: int | None = None


Checked = tuple[int, int, int]  # a blob's (size, mtime_ns, ctime_ns) when last found whole


@record
class FileCopy:
    """A blob to put at a place of the workspace."""

    entry: FileEntry
    destination: str  # an absolute local path, or a URL
    storage_options: Mapping[str, Any] | None = None
    # The blob as this machine last found it matching its checksum (local stores only): if
    # it is still so, it is copied without being read again.
    checked: Checked | None = None


@record
class Restoration:
    """What restoring one step's result takes: blobs to copy, stale files to remove."""

    copies: tuple[FileCopy, ...] = ()
    removals: tuple[FileCopy, ...] = ()  # files of a restored folder its version lacks
    folders: tuple[str, ...] = ()  # local folders to create (a restored empty folder)
    parts: tuple[PartRecord, ...] = ()  # target payloads to put back from their blobs
    # The project folder: nothing is deleted or written in it through a symbolic link that
    # leads out of it (`escapes.py`); "" where the destinations were not named by a config.
    project: str = ""

    def __bool__(self) -> bool:
        return bool(self.copies or self.removals or self.folders or self.parts)


def blob_path(checksum: str) -> str:
    """Where the blob of a `sha256:<hex>` checksum lives in the store."""
    hex_digits = checksum.removeprefix("sha256:")
    return f"{BLOBS}/{hex_digits[:2]}/{hex_digits[2:]}"


def local_root(store: ResultStore) -> str | None:
    """The folder of a store on this machine's disk, or None for any other store."""
    url = store.url
    if url.startswith("file://"):
        return url[len("file://") :]
    return None if "://" in url else url


def blob_record(entry: FileEntry) -> PartRecord:
    return PartRecord(
        path=blob_path(entry.checksum), format=RAW.name, size=entry.size, checksum=entry.checksum
    )


# -- storing --------------------------------------------------------------------------------


def snapshot(
    writes: Sequence[WriteSpec], store: ResultStore | None, project: str = ""
) -> tuple[dict[str, WrittenFiles], list[FileHash]]:
    """What each declared write holds, its blobs stored in `store` (None: only checked);
    with the (path, size, mtime_ns, sha256) of each local file hashed, for the caller to
    remember. WriteError for a write that is missing or of the wrong kind, or that the step
    made lead out of `project` through a symbolic link (stored, it could never be cleared
    or restored: every later run would be refused)."""
    for write in writes:
        real = escape(write.location, project)
        if real is not None:
            raise WriteError(f"declared write {escape_message(write.label, real)}")
    found: dict[str, WrittenFiles] = {}
    hashes: list[FileHash] = []
    for write in writes:
        if "://" in write.location:
            found[write.label] = _snapshot_url(write, store)
        else:
            written, seen = _snapshot_local(write, store)
            found[write.label] = written
            hashes += seen
    return found, hashes


def _snapshot_local(
    write: WriteSpec, store: ResultStore | None
) -> tuple[WrittenFiles, list[FileHash]]:
    path = Path(write.location)
    if not path.exists():
        raise WriteError(
            f"declared write {write.label} was not written (nothing at {path}); the step "
            "must create every path its `writes:` lists"
        )
    if write.folder and not path.is_dir():
        raise WriteError(f"declared write {write.label} is a file, not a folder")
    empty: tuple[str, ...] = ()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        names = [p.relative_to(path).as_posix() for p in files]
        kind = FOLDER
        empty = empty_folders(path)
    else:
        files, names, kind = [path], [""], FILE
    with ThreadPoolExecutor(_PARALLEL) as pool:
        measured = list(pool.map(lambda file: _store_local(file, store), files))
    entries = {name: entry for name, (entry, _, _) in zip(names, measured, strict=True)}
    seen = [
        FileHash(str(file), entry.size, mtime, entry.hex, ctime)
        for file, (entry, mtime, ctime) in zip(files, measured, strict=True)
    ]
    return WrittenFiles(kind, entries, empty), seen


def empty_folders(path: Path, skip: Callable[[str], bool] = lambda _: False) -> tuple[str, ...]:
    """The folders inside `path` with nothing in them (POSIX, relative), but those `skip`
    names (given their full path)."""
    found = []
    for root, folders, names in os.walk(path):
        folders[:] = [f for f in folders if not skip(os.path.join(root, f))]
        if not folders and not names and root != str(path):
            found.append(Path(root).relative_to(path).as_posix())
    return tuple(sorted(found))


def _store_local(file: Path, store: ResultStore | None) -> tuple[FileEntry, int, int]:
    """The file's entry, stored as a blob, with its mtime and ctime as it was read."""
    status = file.stat()
    with file.open("rb") as handle:
        size, checksum = digest(handle)
    entry = FileEntry(size, checksum)
    if store is not None:
        _put(store, entry, LocalFile(str(file)), str(file))
    return entry, status.st_mtime_ns, status.st_ctime_ns


def _snapshot_url(write: WriteSpec, store: ResultStore | None) -> WrittenFiles:
    try:
        filesystem, path = open_url(write.location, write.storage_options)
        info = filesystem.info(path)
        if info.get("type") == "directory":
            listing = filesystem.find(path, detail=True)
        elif write.folder:
            raise WriteError(f"declared write {write.label} is a file, not a folder")
    except FileNotFoundError:
        raise WriteError(
            f"declared write {write.label} was not written (nothing at {write.location}); the "
            "step must create every path its `writes:` lists"
        ) from None
    except (WriteError, StorageError):
        raise
    except Exception as error:
        raise StorageError(
            f"cannot read the declared write {write.location}: {type(error).__name__}: {error}"
        ) from error
    if info.get("type") != "directory":
        return WrittenFiles(FILE, {"": _store_object(filesystem, path, info, store)})
    root = path.rstrip("/") + "/"
    objects = [
        (name[len(root) :], name, details)
        for name, details in sorted(listing.items())
        if name.startswith(root) and details.get("type", "file") != "directory"
    ]
    with ThreadPoolExecutor(_PARALLEL) as pool:
        entries = list(pool.map(lambda o: _store_object(filesystem, o[1], o[2], store), objects))
    return WrittenFiles(FOLDER, {o[0]: e for o, e in zip(objects, entries, strict=True)})


def _store_object(
    filesystem: Any, path: str, info: Mapping[str, Any], store: ResultStore | None
) -> FileEntry:
    """Hash an object while downloading it once to a local spool, and store its blob."""
    with tempfile.TemporaryDirectory(prefix="pipeflow-write-") as folder:
        local = os.path.join(folder, "object")
        with filesystem.open(path, "rb") as source, open(local, "wb") as spool:
            size, checksum = digest(source, copy=spool)
        entry = FileEntry(size, checksum, url_stamp(info))
        if store is not None:
            _put(store, entry, LocalFile(local), path)
    return entry


def _put(store: ResultStore, entry: FileEntry, source: LocalFile, shown: str) -> None:
    """Store one blob, unless the store has it already."""
    path = blob_path(entry.checksum)
    if store.exists(path):
        return
    record = store.write(path, source, format=RAW, internal=True)
    if record.checksum != entry.checksum:
        store.delete(path)
        raise WriteError(f"{shown} changed while pipeflow was storing it; run the step again")


@record
class LocalFile:
    """A local file whose bytes are a blob's content (the value `RAW` writes)."""

    path: str


class _Raw:
    """The bytes of a file, as they are: the `Format` a blob is written in."""

    name = "raw"
    extension = ""
    executes_code = False

    def accepts(self, value: Any) -> bool:
        return isinstance(value, LocalFile)

    def write(self, value: Any, file: BinaryIO) -> None:
        with open(value.path, "rb") as source:
            shutil.copyfileobj(source, file, _CHUNK)

    def write_path(self, value: Any, path: str) -> None:
        shutil.copyfile(value.path, path)

    def read(self, file: BinaryIO) -> Any:
        return file.read()


RAW = _Raw()


def write_kept(store: ResultStore, path: str, value: Any, format: Format) -> PartRecord:
    """Write `value` at the target `path` and keep a copy of it as a blob (a later run may
    overwrite the target): the record, naming its blob.

    The value is serialised once, to a file on this machine, and both the target and the blob
    are written from that file. Neither is ever read back from the target: another run writing
    the same target at once may have replaced it already (there the last complete write wins),
    and this run's blob and manifest must still be its own."""
    if not format.accepts(value):
        raise unsuitable_value_error(format, value)
    with tempfile.TemporaryDirectory(prefix="pipeflow-target-") as folder:
        local = os.path.join(folder, "payload")
        try:
            _serialise(format, value, local)
            with open(local, "rb") as handle:
                entry = FileEntry(*digest(handle))
        except OSError as error:
            raise spool_failed(store.location(path), error) from error
        record = store.write(path, LocalFile(local), format=_Serialised(format))
        _put(store, entry, LocalFile(local), store.location(path))
    if record.checksum != entry.checksum:  # the spool is this run's alone: never expected
        raise StorageError(
            f"{store.location(path)} was not written as serialised (its checksum differs); "
            "run the step again"
        )
    return replace(record, blob=blob_path(entry.checksum))  # its signature, if any, stays valid


def _serialise(format: Format, value: Any, local: str) -> None:
    write_path = getattr(format, "write_path", None)
    if write_path is not None:
        write_path(value, local)  # a native writer to a path (pyarrow) beats Python's
        return
    with open(local, "wb") as file:
        format.write(value, file)


class _Serialised:
    """A value already serialised in `format` to a local file (a `LocalFile`): its bytes are
    written as they are, under the format's name (and signed when it runs code)."""

    def __init__(self, format: Format) -> None:
        self.name = format.name
        self.extension = format.extension
        self.executes_code = format.executes_code

    def accepts(self, value: Any) -> bool:
        return isinstance(value, LocalFile)

    def write(self, value: Any, file: BinaryIO) -> None:
        RAW.write(value, file)

    def write_path(self, value: Any, path: str) -> None:
        RAW.write_path(value, path)

    def read(self, file: BinaryIO) -> Any:
        raise NotImplementedError("only written: read through the format it names")


def discard_damaged(store: ResultStore, path: str) -> None:
    """Remove a blob found not to match its checksum. No manifest can use it (its name is the
    checksum of what it must hold), and while it stays, storing that content again would
    skip it; removed, the step run again in its place writes it whole."""
    with suppress(StorageError):  # the error that found it damaged is what the user sees
        store.delete(path)


@contextmanager
def discarding(store: ResultStore, blob: PartRecord) -> Iterator[None]:
    """Around a read of a blob through its checksum: one found damaged is removed
    (`discard_damaged`) before the error goes on."""
    try:
        yield
    except CorruptResult:
        discard_damaged(store, blob.path)
        raise


def missing_blobs(store: ResultStore, entries: Iterable[FileEntry]) -> Iterator[FileEntry]:
    """The entries whose blob is not in the store."""
    for entry in entries:
        if not store.exists(blob_path(entry.checksum)):
            yield entry
