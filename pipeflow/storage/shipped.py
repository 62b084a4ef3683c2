"""Local files sent to workers that share no filesystem with the client, through the store.

A file goes into the store's blob area (`.pipeflow/files/sha256/...`, see `blobs.py`) under
its checksum, once: a blob the store has already is not sent again, so an unchanged file (a
data file, a code package) costs one existence check per run. A worker copies it out again to
a local folder named by that checksum, read only through the checksum, written atomically;
a blob found damaged then is removed (`blobs.discarding`), so the next run sends it again.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from pipeflow.storage.blobs import RAW, LocalFile, blob_path, blob_record, discarding
from pipeflow.storage.checksums import digest
from pipeflow.storage.store import ResultStore
from pipeflow.storage.written import FileEntry

_CHUNK = 1024 * 1024


def file_entry(path: str | Path) -> FileEntry:
    """The size and checksum of a local file."""
    with open(path, "rb") as handle:
        return FileEntry(*digest(handle))


def send(
    store: ResultStore, path: str | Path, entry: FileEntry | None = None
) -> tuple[FileEntry, int]:
    """Put a local file in the store's blobs unless it is there; (its entry, bytes sent)."""
    entry = entry or file_entry(path)
    where = blob_path(entry.checksum)
    if store.exists(where):
        return entry, 0
    record = store.write(where, LocalFile(str(path)), format=RAW, internal=True)
    if record.checksum != entry.checksum:
        store.delete(where)
        raise OSError(f"{path} changed while pipeflow was sending it; run again")
    return entry, entry.size


def receive(store: ResultStore, entry: FileEntry, target: Path) -> Path:
    """The blob of `entry` copied to `target` (left alone when it is there already)."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".receiving-")
    try:
        record = blob_record(entry)
        with (
            os.fdopen(handle, "wb") as out,
            discarding(store, record),  # a damaged blob is sent again by the next run
            store.open_verified(record) as source,
        ):
            while chunk := source.read(_CHUNK):
                out.write(chunk)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target
