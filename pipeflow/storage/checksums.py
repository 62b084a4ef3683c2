"""Byte streams measured on the way through: the size and sha256 of what is written or read."""

from __future__ import annotations

import hashlib
import io
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

_CHUNK = 1024 * 1024


class HashingWriter(io.RawIOBase):
    """Passes bytes through to a file while counting them and computing their sha256."""

    def __init__(self, file: IO[bytes]) -> None:
        super().__init__()
        self._file = file
        self._hash = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer, /) -> int:
        view = memoryview(data).cast("B")
        written = self._file.write(view)
        # Hash what the file took, not what was offered, should it ever take less.
        self._hash.update(view[:written])
        self.size += written
        return written

    def tell(self) -> int:
        return self.size

    @property
    def checksum(self) -> str:
        return f"sha256:{self._hash.hexdigest()}"


def digest(source: IO[bytes], *, limit: int, copy: IO[bytes] | None = None) -> tuple[int, str]:
    """Size and sha256 of `source`, read to its end but never more than `limit + 1` bytes,
    so a payload grown out of all proportion is not downloaded in full just to be refused."""
    hasher = hashlib.sha256()
    size = 0
    while size <= limit:
        chunk = source.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            break
        hasher.update(chunk)
        size += len(chunk)
        if copy is not None:
            copy.write(chunk)
    return size, f"sha256:{hasher.hexdigest()}"
