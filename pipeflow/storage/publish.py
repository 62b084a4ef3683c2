"""Publishing bytes all or nothing: a temporary file and `os.replace` locally, one PUT elsewhere.

- On the local filesystem the value streams into `<dir>/.<name>.tmp-<uuid>` (`<name>` cut short
  when the name is long) and `os.replace`
  moves it into place, which is atomic.
- Anywhere else (object stores, where a move is a copy) the value is first serialised into a
  local spool and then uploaded to the final key in one go. Streaming straight to the key would
  leave a partial object when serialisation fails halfway (fsspec's memory filesystem commits at
  open, and buffered files commit whatever they hold when closed), and would destroy the
  previous result at that key for nothing; a single PUT of finished bytes does neither.

Whatever fails, no temporary file stays behind, and the exception is re-raised as it was. Both
measure the bytes on the way (size and sha256). A process ended by a signal it cannot unwind
from (a `processes` worker the run ends with SIGTERM on Ctrl-C) removes the temporaries it is
writing first (`remove_unfinished`, called by its handler).
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any, BinaryIO, cast

from pipeflow.storage.access import StoreAccess
from pipeflow.storage.checksums import Follower, HashingWriter, digest
from pipeflow.storage.failures import ATOMIC_UPLOADS, kind, spool_failed
from pipeflow.storage.filesystems import object_stamp
from pipeflow.storage.paths import temporary_name

# Values up to this size are spooled in memory before an upload; larger ones go to a local file.
SPOOL_IN_MEMORY = 32 * 1024 * 1024
_CHUNK = 1024 * 1024  # for copying to an upload
_CANCEL_WAIT = 5.0  # seconds at most to cancel an upload that broke off (`_abandon`)

Produce = Callable[[BinaryIO], object]

# The local temporaries this process is writing now (a set: its add and discard are atomic).
_UNFINISHED: set[str] = set()


def remove_unfinished() -> None:
    """Remove the temporaries this process is writing: it is about to end in the middle (a
    signal handler's last act), and what it wrote so far would stay behind, hidden, for good."""
    for path in list(_UNFINISHED):
        with suppress(OSError):
            os.remove(path)


def publish_local(
    final: str, produce: Produce, produce_path: Callable[[str], object] | None = None
) -> tuple[int, str]:
    """Write what `produce` writes (or, given, what `produce_path` writes to a path) to the
    local file `final`, all or nothing; its size and checksum, taken while it is written (on
    another thread, so that hashing runs beside the serialisation instead of after it).
    OSError as it was raised."""
    folder, name = posixpath.split(final)
    temporary = f"{folder}/{temporary_name(name)}"
    _UNFINISHED.add(temporary)
    try:
        if produce_path is not None:
            _create(temporary).close()  # there, for the follower to open
            follower = Follower(temporary)
            try:
                produce_path(temporary)
            finally:
                size, checksum = follower.finish()
            if size != os.path.getsize(temporary):  # the writer went back: hash it again
                with open(temporary, "rb") as written:
                    size, checksum = digest(written, limit=os.path.getsize(temporary))
        else:
            with _create(temporary) as handle, HashingWriter(handle) as writer:
                produce(cast(BinaryIO, writer))
            size, checksum = writer.size, writer.checksum
        # No fsync: after a power cut a payload may be short or empty under its final name,
        # but every read checks size and checksum against the manifest first, so it counts as
        # missing and is rebuilt. Syncing each result would cost more than the serialisation
        # itself on large values.
        os.replace(temporary, final)
    except BaseException:
        # BaseException: a Ctrl-C halfway must not leave a temporary file behind either.
        with suppress(OSError):
            os.remove(temporary)
        raise
    finally:
        _UNFINISHED.discard(temporary)
    return size, checksum


def _create(path: str) -> BinaryIO:
    """A new file at `path`, opened for writing; its folders are made only when missing (a
    results store's folders mostly exist: trying first saves a call per write)."""
    try:
        return open(path, "wb")
    except FileNotFoundError:
        os.makedirs(posixpath.dirname(path), exist_ok=True)
        return open(path, "wb")


def link_local(source: str, final: str) -> bool:
    """Make the local file `final` another name of the complete file `source` (a hard link),
    replacing what was at `final` in one step; False, with nothing changed, where the
    filesystem has no hard links (then the caller writes a copy)."""
    try:
        os.link(source, final)  # nothing there yet (a step's first result): one call
        return True
    except (FileExistsError, FileNotFoundError):
        pass  # something to replace, or a folder to make: below
    except OSError:
        return False  # EPERM, EXDEV, ENOTSUP...: no hard links here
    folder, name = posixpath.split(final)
    temporary = f"{folder}/{temporary_name(name)}"
    try:
        try:
            os.link(source, temporary)
        except FileNotFoundError:
            if not os.path.exists(source):
                raise
            os.makedirs(folder, exist_ok=True)
            os.link(source, temporary)
    except FileNotFoundError:
        raise
    except OSError:
        return False  # EPERM, EXDEV, ENOTSUP...: no hard links here
    try:
        os.replace(temporary, final)
    except BaseException:
        with suppress(OSError):
            os.remove(temporary)
        raise
    return True


@contextmanager
def spooled(produce: Produce) -> Iterator[tuple[IO[bytes], HashingWriter]]:
    """What `produce` writes, in a local spool rewound to its start, and the writer that
    measured it. OSError from `produce` means the spool's disk is full or unwritable."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        with HashingWriter(spool) as writer:
            produce(cast(BinaryIO, writer))
        spool.seek(0)
        yield cast(IO[bytes], spool), writer


def publish_remote(
    access: StoreAccess, path: str, final: str, produce: Produce, *, stamp: bool
) -> tuple[int, str, str | None]:
    """Write what `produce` writes to `path` (at `final`) in a store that is not the local
    disk: spooled, then uploaded in one go. Its size and checksum, and with `stamp` the stamp
    the store gives the new object (None when it cannot be had)."""
    try:
        with spooled(produce) as (spool, writer):
            with access.errors("write", path):
                try:
                    upload(access.filesystem, spool, final)
                except BaseException as error:
                    # Some filesystems (sftp, ftp, webdav) commit a partial object when an
                    # upload breaks off; better no object than a wrong one (the manifest
                    # would refuse it anyway). Not on an object store, which commits an
                    # object only when its upload completes: what is there is an earlier
                    # complete write (another run's `result.target`). Nor when the server
                    # was never reached or refused the write: then there is nothing to
                    # remove, and asking again would only add to the wait.
                    atomic = access.protocol() in ATOMIC_UPLOADS
                    if not atomic and kind(error) is None:
                        with suppress(Exception):
                            access.filesystem.rm_file(final)
                    raise
            size, checksum = writer.size, writer.checksum
    except OSError as error:
        # Upload errors became StorageError above: this is the local spool, full or unwritable.
        raise spool_failed(access.location(path), error) from error
    return size, checksum, _stamp_written(access, final, size) if stamp else None


def _stamp_written(access: StoreAccess, final: str, size: int) -> str | None:
    """The stamp of the object just uploaded to `final`: one `info` call. None when it cannot
    be had, or the object there is not the one written (another writer's)."""
    try:
        info = access.filesystem.info(final)
    except Exception:
        return None  # the payload is written; a stamp only saves work later
    if info.get("size") != size:
        return None
    return object_stamp(info)


def upload(filesystem: Any, spool: IO[bytes], final: str) -> None:
    """Copy the spool to `final` in one upload; nothing committed when it breaks off."""
    try:
        remote = filesystem.open(final, "wb")
    except FileNotFoundError:
        # Filesystems with real folders (sftp, smb) need the parent; object stores do not.
        filesystem.makedirs(posixpath.dirname(final), exist_ok=True)
        remote = filesystem.open(final, "wb")
    try:
        shutil.copyfileobj(spool, remote, _CHUNK)
        remote.close()  # sends what is left and commits the object
    except BaseException:
        _abandon(remote)
        raise


def _abandon(remote: Any) -> None:
    """Drop an upload that broke off (a Ctrl-C, a lost connection) without committing it.
    Closing would send the rest and commit the object: after a chunk cut off halfway, GCS
    refuses that ("Invalid Content-Range"), and that error would hide the Ctrl-C. Marked
    closed, an fsspec file commits nothing, not even from its `__del__`; its `discard`
    cancels the multipart (S3) or resumable (GCS) upload on the server, for at most
    `_CANCEL_WAIT` seconds: the user who pressed Ctrl-C is waiting."""
    with suppress(Exception):
        remote.closed = True

    def cancel() -> None:
        with suppress(Exception):
            remote.discard()

    canceller = threading.Thread(target=cancel, name="pipeflow-cancel-upload", daemon=True)
    canceller.start()
    canceller.join(_CANCEL_WAIT)


def digest_once(
    filesystem: Any, full: str, *, limit: int, attempts: int, copy: IO[bytes] | None = None
) -> tuple[int, str]:
    """`digest` of the file at `full` (copied to `copy`), all from one version of it.

    A file is read in several requests; s3fs notices when the object changed in between
    (another writer replaced it) and refuses to go on, and then the read starts again, so a
    result being replaced is read whole, old or new, or refused after a few tries."""
    for attempt in range(1, attempts + 1):
        if copy is not None:
            copy.seek(0)
            copy.truncate()
        try:
            with filesystem.open(full, "rb") as source:
                return digest(source, limit=limit, copy=copy)
        except OSError as error:
            if attempt == attempts or kind(error) != "replaced":
                raise
    raise AssertionError("unreachable")  # pragma: no cover
