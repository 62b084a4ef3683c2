"""Restoring blobs of a local store: each copy checked, a blob found whole not read again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipeflow.errors import StorageError
from pipeflow.storage import ResultStore
from pipeflow.storage.blobs import FileCopy, FileHash, Restoration, WriteSpec, snapshot
from pipeflow.storage.restoring import restore


def stored(tmp_path: Path) -> tuple[ResultStore, FileCopy, Path]:
    """A store holding the blob of one written file, the copy that puts it back, its blob."""
    written = tmp_path / "work" / "out.bin"
    written.parent.mkdir()
    written.write_bytes(os.urandom(3 * 1024 * 1024 + 5))
    store = ResultStore(str(tmp_path / "store"))
    files, _ = snapshot([WriteSpec("work/out.bin", str(written))], store)
    entry = files["work/out.bin"].entries[""]
    blob = tmp_path / "store" / ".pipeflow" / "files" / "sha256" / entry.hex[:2] / entry.hex[2:]
    assert blob.read_bytes() == written.read_bytes()
    written.unlink()
    return store, FileCopy(entry, str(written)), blob


def settle(blob: Path) -> None:
    """Wait until the blob's ctime is old enough to be remembered (2 s, restoring.py)."""
    time.sleep(max(0.0, 2.2 - (time.time() - blob.stat().st_ctime)))


def test_a_blob_read_once_is_remembered_then_copied_without_reading(tmp_path: Path) -> None:
    store, copy, blob = stored(tmp_path)
    destination = Path(copy.destination)
    first = restore(store, Restoration(copies=(copy,)))
    # Just written: whole, but too fresh to be remembered as such.
    assert [found.path for found in first] == [copy.destination]
    assert destination.read_bytes() == blob.read_bytes()

    settle(blob)
    destination.unlink()
    second = restore(store, Restoration(copies=(copy,)))
    status = blob.stat()
    assert (
        FileHash(str(blob), status.st_size, status.st_mtime_ns, copy.entry.hex, status.st_ctime_ns)
        in second
    )
    assert destination.read_bytes() == blob.read_bytes()

    destination.unlink()
    checked = (status.st_size, status.st_mtime_ns, status.st_ctime_ns)
    third = restore(
        store, Restoration(copies=(FileCopy(copy.entry, str(destination), None, checked),))
    )
    assert [found.path for found in third] == [copy.destination]  # the blob was not read
    assert destination.read_bytes() == blob.read_bytes()
    assert third[0].sha256 == copy.entry.hex


@pytest.mark.parametrize("known", [False, True], ids=["unchecked", "checked-before"])
def test_a_damaged_blob_fails_the_restore_and_leaves_nothing(tmp_path: Path, known: bool) -> None:
    store, copy, blob = stored(tmp_path)
    status = blob.stat()
    checked = (status.st_size, status.st_mtime_ns, status.st_ctime_ns) if known else None
    damaged = bytearray(blob.read_bytes())
    damaged[1000] ^= 0xFF
    blob.write_bytes(damaged)
    os.utime(blob, ns=(status.st_atime_ns, status.st_mtime_ns))  # only its ctime tells
    with pytest.raises(StorageError, match="is damaged"):
        restore(
            store, Restoration(copies=(FileCopy(copy.entry, copy.destination, checked=checked),))
        )
    assert os.listdir(Path(copy.destination).parent) == []
