"""Putting a stored result's files back: blobs copied, checked, to where a manifest says they were.

Into the workspace (files and folders, local or URLs) or into the store (a target payload a
later run overwrote). What lands in the workspace is the content the manifest recorded, or the
restore fails (and the step runs again):

1. A blob of a local store is copied and hashed in the same pass (one read), and the copy is
   kept only when size and sha256 match; on other stores `open_verified` checks it.
2. Hashing is most of a local restore's cost, so a blob this machine already found whole is
   not read again while its size, modification time and ctime are unchanged (`FileCopy.checked`,
   remembered by the client): any write, rename or `utime` through the filesystem sets a
   file's ctime to the present, and nothing can set it back. It is then copied by the kernel
   (`copy_file_range`, a reflink where the filesystem has them), and its stamp is read again
   after the copy: a blob changed meanwhile is copied again, hashing. A stamp is only
   remembered once it is a few seconds old, so a change within the timestamps' granularity of
   the check cannot pass for the checked bytes.
3. A blob that does not match its checksum is removed as it is found (it can serve no
   manifest), so the step that runs again instead stores it whole and the next run restores.
4. Files are restored 8 at a time: hashing and copying release the GIL.
5. Each file is copied to a hidden temporary beside it (`paths.temporary_name`) and moved into
   place whole. A restore killed mid-copy (SIGKILL, the OOM killer, a power cut) cannot
   remove its temporary, and gc never touches the workspace: the next restore of that file,
   or the next run of its step (`execute/clearing.py`), removes the temporaries of its name
   left in its folder that no process holds locked (a restore holds its temporary locked
   while it writes it; a killed process holds nothing).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import IO

from pipeflow.errors import StorageError
from pipeflow.storage.blobs import (
    RAW,
    Checked,
    FileCopy,
    FileHash,
    LocalFile,
    Restoration,
    blob_record,
    discard_damaged,
    discarding,
    local_root,
)
from pipeflow.storage.escapes import check_inside
from pipeflow.storage.manifest import PartRecord
from pipeflow.storage.paths import temporary_name, temporary_of
from pipeflow.storage.remote import open_url
from pipeflow.storage.store import ResultStore

_CHUNK = 1024 * 1024
_BUFFER = 4 * 1024 * 1024  # per file copied and hashed
_PARALLEL = 8  # files restored at once
_SETTLED_NS = 2_000_000_000  # how old a checked blob's ctime must be to be remembered


def restore(store: ResultStore, restoration: Restoration) -> list[FileHash]:
    """Put a result's files back: blobs copied (and checked) to their places, stale files of
    restored folders removed, target payloads rewritten. The hash of each local file written,
    and of each blob checked on the way, for the caller to remember. StorageError, before
    anything is deleted or written, when a destination leads out of the project folder
    through a symbolic link."""
    check_inside(_places(restoration), restoration.project)
    remove_leftovers(copy.destination for copy in restoration.copies)
    for stale in restoration.removals:
        _remove(stale)
    for folder in restoration.folders:
        os.makedirs(folder, exist_ok=True)
    root = local_root(store)
    with ThreadPoolExecutor(_PARALLEL) as pool:
        written = list(pool.map(lambda copy: _copy(store, root, copy), restoration.copies))
    for part in restoration.parts:
        _restore_payload(store, part)
    return [found for hashes in written for found in hashes]


def remove_leftovers(paths: Iterable[str]) -> None:
    """Remove the temporaries an earlier restore of the local files `paths`, killed as it
    copied, left in their folders: a hidden `.NAME.tmp-UUID` of one of their names that no
    process holds locked (a restore going on now, another run's, holds its own: `_locked`).
    One listing per folder; a file of the user's is never one of these."""
    restored: dict[str, set[str]] = {}
    for path in paths:
        if "://" not in path:
            folder, name = os.path.split(path)
            restored.setdefault(folder, set()).add(name)
    for folder, names in restored.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # not there yet: nothing left in it
        for entry in entries:
            started = temporary_of(entry.name)
            if started is not None and any(name.startswith(started) for name in names):
                with suppress(OSError):  # held by a restore going on, or gone meanwhile
                    _remove_unheld(entry.path)


def _remove_unheld(path: str) -> None:
    """Remove the regular file `path` unless a process holds it locked (OSError then)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.remove(path)
    finally:
        os.close(descriptor)


def _locked(path: Path) -> int:
    """Create the temporary `path` and lock it for as long as the descriptor returned is open:
    the process dies, the lock goes, and the next restore of the file removes what is left."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    return descriptor


def _places(restoration: Restoration) -> list[str]:
    """The local folders a restoration deletes or writes in: each file's folder (a file that
    is itself a link is replaced or removed, never followed), and each folder it makes."""
    files = [*restoration.removals, *restoration.copies]
    places = [os.path.dirname(file.destination) for file in files if "://" not in file.destination]
    return list(dict.fromkeys(places + list(restoration.folders)))


def _copy(store: ResultStore, root: str | None, copy: FileCopy) -> list[FileHash]:
    record = blob_record(copy.entry)
    if "://" in copy.destination:
        filesystem, path = open_url(copy.destination, copy.storage_options)
        with (
            discarding(store, record),
            store.open_verified(record) as source,
            filesystem.open(path, "wb") as target,
        ):
            shutil.copyfileobj(source, target, _CHUNK)
        return []
    destination = Path(copy.destination)
    if destination.is_dir():
        shutil.rmtree(destination)  # a folder where the version had a file
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(temporary_name(destination.name))
    hashes: list[FileHash] = []
    held = _locked(temporary)
    try:
        if root is not None:
            blob = os.path.join(root, record.path)
            whole, checked = _copy_checked(blob, str(temporary), record, copy.checked)
            if not whole:
                discard_damaged(store, record.path)
                raise StorageError(
                    f"the stored copy {store.location(record.path)} is damaged (it does not "
                    f"match its checksum); {copy.destination} cannot be restored from it"
                )
            if checked is not None:
                hashes.append(checked)
        else:
            with (
                discarding(store, record),
                store.open_verified(record) as source,
                open(temporary, "wb") as target,
            ):
                shutil.copyfileobj(source, target, _CHUNK)
        os.replace(temporary, destination)
    except BaseException:
        with suppress(OSError):
            os.remove(temporary)
        raise
    finally:
        os.close(held)
    status = destination.stat()
    hashes.append(
        FileHash(
            str(destination),
            status.st_size,
            status.st_mtime_ns,
            copy.entry.hex,
            status.st_ctime_ns,
        )
    )
    return hashes


def _copy_checked(
    blob: str, target: str, record: PartRecord, checked: Checked | None
) -> tuple[bool, FileHash | None]:
    """Copy a local blob to `target`, its bytes checked against `record`: whether they
    match, and the blob's hash with its stamp when it was read and is to be remembered."""
    with open(blob, "rb", buffering=0) as reader, open(target, "wb", buffering=0) as writer:
        before = _stamp(os.fstat(reader.fileno()))
        if checked is not None and before == checked:
            _copy_range(reader, writer)
            if _stamp(os.fstat(reader.fileno())) == checked:
                return True, None
            reader.seek(0)  # changed while it was copied: copy it again, reading it
            writer.seek(0)
            writer.truncate()
        size, checksum = _copy_hashing(reader, writer)
        status = os.fstat(reader.fileno())
    if (size, checksum) != (record.size, record.checksum):
        return False, None
    settled = time.time_ns() - status.st_ctime_ns > _SETTLED_NS
    if _stamp(status) != before or not settled:
        return True, None  # whole, but not to be remembered as such
    hex_digits = checksum.removeprefix("sha256:")
    return True, FileHash(blob, size, status.st_mtime_ns, hex_digits, status.st_ctime_ns)


def _stamp(status: os.stat_result) -> Checked:
    return status.st_size, status.st_mtime_ns, status.st_ctime_ns


def _copy_range(reader: IO[bytes], writer: IO[bytes]) -> None:
    """Copy in the kernel (a reflink where the filesystem can), else through a buffer."""
    source, target = reader.fileno(), writer.fileno()
    try:
        while os.copy_file_range(source, target, _BUFFER * 16):
            pass
    except (AttributeError, OSError):  # no copy_file_range here, or not across these files
        reader.seek(0)
        writer.seek(0)
        writer.truncate()
        shutil.copyfileobj(reader, writer, _BUFFER)


def _copy_hashing(reader: IO[bytes], writer: IO[bytes]) -> tuple[int, str]:
    """Copy a local file, hashing it on the way: one read of the blob."""
    hasher = hashlib.sha256()
    buffer = bytearray(_BUFFER)
    view = memoryview(buffer)
    size = 0
    while count := reader.readinto(buffer):  # type: ignore[attr-defined]
        hasher.update(view[:count])
        writer.write(view[:count])
        size += count
    return size, f"sha256:{hasher.hexdigest()}"


def _remove(stale: FileCopy) -> None:
    if "://" in stale.destination:
        filesystem, path = open_url(stale.destination, stale.storage_options)
        with suppress(FileNotFoundError):
            filesystem.rm_file(path)
        return
    with suppress(FileNotFoundError):
        os.remove(stale.destination)


def _restore_payload(store: ResultStore, part: PartRecord) -> None:
    """Rewrite a target payload from its blob (same bytes: its record stays valid)."""
    assert part.blob is not None
    blob = PartRecord(path=part.blob, format=RAW.name, size=part.size, checksum=part.checksum)
    with tempfile.TemporaryDirectory(prefix="pipeflow-restore-") as folder:
        local = os.path.join(folder, "payload")
        with (
            discarding(store, blob),
            store.open_verified(blob) as source,
            open(local, "wb") as copy,
        ):
            shutil.copyfileobj(source, copy, _CHUNK)
        store.write(part.path, LocalFile(local), format=RAW)
