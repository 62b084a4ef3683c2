"""Putting a stored result's files back: blobs copied, checked, to where a manifest says they were.

Into the workspace (files and folders, local or URLs) or into the store (a target payload a
later run overwrote). A blob is only ever restored through its checksum: what lands in the
workspace is the content the manifest recorded, or the restore fails (and the step runs again).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path

from pipeflow.errors import StorageError
from pipeflow.storage.blobs import RAW, FileCopy, LocalFile, Restoration, blob_record
from pipeflow.storage.manifest import PartRecord
from pipeflow.storage.remote import open_url
from pipeflow.storage.store import ResultStore

_CHUNK = 1024 * 1024
_PARALLEL = 8  # files restored at once


def restore(store: ResultStore, restoration: Restoration) -> list[tuple[str, int, int, str]]:
    """Put a result's files back: blobs copied (and checked) to their places, stale files of
    restored folders removed, target payloads rewritten. The (path, size, mtime_ns, sha256)
    of each local file written, for the caller to remember."""
    for stale in restoration.removals:
        _remove(stale)
    for folder in restoration.folders:
        os.makedirs(folder, exist_ok=True)
    with ThreadPoolExecutor(_PARALLEL) as pool:
        written = list(pool.map(lambda copy: _copy(store, copy), restoration.copies))
    for part in restoration.parts:
        _restore_payload(store, part)
    return [entry for entry in written if entry is not None]


def _copy(store: ResultStore, copy: FileCopy) -> tuple[str, int, int, str] | None:
    record = blob_record(copy.entry)
    if "://" in copy.destination:
        filesystem, path = open_url(copy.destination, copy.storage_options)
        with store.open_verified(record) as source, filesystem.open(path, "wb") as target:
            shutil.copyfileobj(source, target, _CHUNK)
        return None
    destination = Path(copy.destination)
    if destination.is_dir():
        shutil.rmtree(destination)  # a folder where the version had a file
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(f".{destination.name}.tmp-{uuid.uuid4().hex}")
    try:
        local = _local_blob(store, record)
        if local is not None:
            size, checksum = _copy_hashing(local, temporary)
            if (size, checksum) != (record.size, record.checksum):
                raise StorageError(
                    f"the stored copy {store.location(record.path)} is damaged (it does not "
                    f"match its checksum); {copy.destination} cannot be restored from it"
                )
        else:
            with store.open_verified(record) as source, open(temporary, "wb") as target:
                shutil.copyfileobj(source, target, _CHUNK)
        os.replace(temporary, destination)
    except BaseException:
        with suppress(OSError):
            os.remove(temporary)
        raise
    return str(destination), record.size, destination.stat().st_mtime_ns, copy.entry.hex


def _copy_hashing(source: Path, target: Path) -> tuple[int, str]:
    """Copy a local file, hashing it on the way: one read of the blob."""
    hasher = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(_CHUNK):
            hasher.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return size, f"sha256:{hasher.hexdigest()}"


def _local_blob(store: ResultStore, record: PartRecord) -> Path | None:
    root = local_root(store)
    return Path(root, record.path) if root is not None else None


def local_root(store: ResultStore) -> str | None:
    """The folder of a store on this machine's disk, or None for any other store."""
    url = store.url
    if url.startswith("file://"):
        return url[len("file://") :]
    return None if "://" in url else url


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
        with store.open_verified(blob) as source, open(local, "wb") as copy:
            shutil.copyfileobj(source, copy, _CHUNK)
        store.write(part.path, LocalFile(local), format=RAW)
