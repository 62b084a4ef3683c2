"""Byte streams measured on the way through: the size and sha256 of what is written or read."""

from __future__ import annotations

import hashlib
import io
import queue
import sys
import threading
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

_CHUNK = 1024 * 1024


def content_checksum(data: bytes) -> str:
    """The checksum a manifest records for `data`: "sha256:<hex>"."""
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


class HashingWriter(io.RawIOBase):
    """Passes bytes through to a file while counting them and computing their sha256.

    The first bytes are hashed as they pass. Past `INLINE` bytes (a large payload: a parquet
    frame, a blob), the hashing moves to a thread of its own, fed in order through a short
    queue, so that it runs beside the serialisation instead of after it (hashlib and file
    writes release the GIL): the checksum of a large payload then costs little wall time, and
    the payload is never read back. Use it as a context manager, or `close()` it: that ends
    the thread, and `checksum` waits for it.
    """

    INLINE = 4 * 1024 * 1024

    def __init__(self, file: IO[bytes]) -> None:
        super().__init__()
        self._file = file
        self._hash = hashlib.sha256()
        self.size = 0
        self._queue: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None
        self._digest: str | None = None

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer, /) -> int:
        view = memoryview(data).cast("B")
        written = self._file.write(view)
        # Hash what the file took, not what was offered, should it ever take less.
        if self._queue is None and self.size + written <= self.INLINE:
            self._hash.update(view[:written])
        else:
            if self._queue is None:
                self._start()
            # A `bytes` object cannot change once handed over (pyarrow hands those); any
            # other buffer could be reused by the caller, so the thread gets a copy.
            whole = isinstance(data, bytes) and written == len(data)
            self._put(data if whole else bytes(view[:written]))  # type: ignore[arg-type]
        self.size += written
        return written

    def tell(self) -> int:
        return self.size

    @property
    def checksum(self) -> str:
        if self._digest is None:
            self._finish()
            self._digest = f"sha256:{self._hash.hexdigest()}"
        return self._digest

    def close(self) -> None:
        self._finish()
        super().close()

    def _start(self) -> None:
        self._queue = queue.Queue(maxsize=_QUEUED)
        self._thread = threading.Thread(
            target=_hash_queued, args=(self._hash, self._queue), name="pipeflow-sha256"
        )
        self._thread.daemon = True
        self._thread.start()

    def _put(self, chunk: bytes) -> None:
        assert self._queue is not None
        self._queue.put(chunk)

    def _finish(self) -> None:
        if self._thread is not None:
            assert self._queue is not None
            self._queue.put(None)
            self._thread.join()
            self._thread = None


# At most this many chunks wait for the hashing thread (pyarrow writes pages of up to about
# 1 MiB), so a writer faster than sha256 waits instead of piling up memory.
_QUEUED = 16


def _hash_queued(hasher: Any, chunks: queue.Queue[bytes | None]) -> None:
    while (chunk := chunks.get()) is not None:
        hasher.update(chunk)


class Follower:
    """Size and sha256 of a local file taken while another writer writes it, front to back.

    A thread reads the file as it grows and hashes what it reads; `finish()`, once the writer
    is done, reads the rest. A byte a reader can see in a regular file is one the writer has
    copied in whole (Linux grows a file's size only after a page's bytes are in it), so the
    digest is that of the finished file, provided the writer never goes back over what it
    wrote (pyarrow's parquet writer and `shutil.copyfile` do not): the caller checks the size.
    """

    def __init__(self, path: str) -> None:
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 (closed by the thread)
        self._hash = hashlib.sha256()
        self.size = 0
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._follow, name="pipeflow-sha256")
        self._thread.daemon = True
        self._thread.start()

    def finish(self) -> tuple[int, str]:
        """(size, "sha256:<hex>") of the whole file, once its writer has finished."""
        self._done.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.size, f"sha256:{self._hash.hexdigest()}"

    def _follow(self) -> None:
        buffer = bytearray(_CHUNK)
        view = memoryview(buffer)
        try:
            with self._file:
                while True:
                    finished = self._done.is_set()  # before reading: then EOF is the end
                    count = self._file.readinto(buffer)
                    if count:
                        self._hash.update(view[:count])
                        self.size += count
                    elif finished:
                        return
                    else:
                        self._done.wait(0.002)
        except BaseException as error:  # reported by `finish`
            self._error = error


def digest(
    source: IO[bytes], *, limit: int | None = None, copy: IO[bytes] | None = None
) -> tuple[int, str]:
    """Size and sha256 of `source`, read to its end but never more than `limit + 1` bytes (a
    payload grown out of all proportion is not downloaded in full just to be refused), each
    chunk also written to `copy` when given."""
    hasher = hashlib.sha256()
    size = 0
    most = sys.maxsize if limit is None else limit
    while size <= most:
        chunk = source.read(min(_CHUNK, most + 1 - size))
        if not chunk:
            break
        hasher.update(chunk)
        size += len(chunk)
        if copy is not None:
            copy.write(chunk)
    return size, f"sha256:{hasher.hexdigest()}"
