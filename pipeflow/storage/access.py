"""One store's root: its filesystem, opened on first use; paths checked against its bounds;
filesystem failures turned into StorageError naming the store and the path.

`ResultStore` reads and writes through one of these. Unlike fsspec's `exists()`, nothing here
turns a credentials error into "file missing", nor a missing bucket into "no result": the first
"missing" answer of an object store is checked against its bucket (once per store).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pipeflow.errors import PipeflowError, StorageError
from pipeflow.storage import failures
from pipeflow.storage.boundaries import (
    RESERVED,
    BoundaryError,
    check_local,
    check_relative,
    check_root,
    resolve_local,
)
from pipeflow.storage.failures import BUCKETED, redact
from pipeflow.storage.filesystems import endpoint, open_filesystem, protocol_of
from pipeflow.storage.paths import relative_path


class StoreAccess:
    """The filesystem, paths and errors of one store root (a local path or an fsspec URL)."""

    def __init__(
        self, url: str, storage_options: Mapping[str, Any], protected: tuple[str, ...] = ()
    ) -> None:
        self.url = url
        self.storage_options = storage_options  # may hold credentials: never log them
        self.protected = protected  # the configs of the run, which no write may replace
        self.filesystem: Any = None
        self.root = ""  # the filesystem's form of the root, ending with "/"
        self.local = False
        self._bucket_seen = False  # the bucket was found to exist
        self._base: str | None = None  # the URL as messages show it
        self._real_root: str | None = None  # a local root with its links resolved, once
        # Folders of the local reserved area found to be real folders (`boundaries.py`).
        self._known: set[str] = set()

    def location(self, path: str) -> str:
        """The full URL or path of `path`, for people to read."""
        base = self._base
        if base is None:  # redacted once: every stored step's locations are shown
            base = self._base = redact(self.url).rstrip("/")
        return f"{base}/{path}" if path else base

    def open(self) -> Any:
        """The fsspec filesystem, opened on first use."""
        if self.filesystem is not None:
            return self.filesystem
        opened = open_filesystem(self.url, self.storage_options)
        self.root = opened.root
        self.local = opened.local
        # Set last: another thread that sees the filesystem also sees the root.
        self.filesystem = opened.filesystem
        return opened.filesystem

    def protocol(self) -> str:
        return protocol_of(self.url)

    def endpoint(self) -> str:
        return endpoint(self.storage_options, self.filesystem)

    def bucket(self) -> str | None:
        """The bucket of an object store's root, else None."""
        if self.protocol() not in BUCKETED:
            return None
        return self.root.split("/", 1)[0] or None

    def check_bucket(self, action: str, path: str) -> None:
        """After an object store answered "missing": StorageError if its bucket is what is
        missing. Asks at most once per store that finds its bucket; cannot tell -> no error."""
        bucket = self.bucket()
        if bucket is None or self._bucket_seen:
            return
        try:
            self.filesystem.info(bucket)
        except FileNotFoundError:
            raise failures.missing_bucket(
                self.url,
                self.protocol(),
                self.endpoint(),
                what=f"{action} {self.location(path)}",
                bucket=bucket,
            ) from None
        except Exception:
            return  # no permission to look at the bucket itself, say: the path was missing
        self._bucket_seen = True

    def relative(self, path: str, *, folder: bool = False) -> str:
        try:
            return relative_path(path, folder=folder)
        except ValueError as error:
            raise StorageError(
                f"invalid path in the results store {redact(self.url)}: {error}"
            ) from error

    def full(self, path: str, *, folder: bool = False, action: str = "read") -> str:
        """The filesystem's path of `path`; on the local disk, only where it really leads
        (links resolved) is inside the real root, else StorageError."""
        self.open()
        relative = self.relative(path, folder=folder)
        if self.local:
            try:
                resolve_local(
                    self.root,
                    relative,
                    action=action,
                    real_root=self.real_root(),
                    known=self._known_for(relative),
                )
            except BoundaryError as error:
                raise StorageError(f"refusing to {action} {self.location(path)}: {error}") from None
        return f"{self.root}{relative}"

    def writable(self, path: str, *, internal: bool) -> str:
        """`full` for a write, which must also keep out of pipeflow's reserved areas."""
        self.open()
        relative = self.relative(path)
        try:
            if self.local:
                check_local(
                    self.root,
                    relative,
                    internal=internal,
                    real_root=self.real_root(),
                    known=self._known_for(relative) if internal else None,
                    protected=self.protected,
                )
            else:
                check_root(self.root)
                check_relative(relative, internal=internal)
        except BoundaryError as error:
            raise StorageError(f"refusing to write {self.location(path)}: {error}") from None
        return f"{self.root}{relative}"

    def _known_for(self, relative: str) -> set[str] | None:
        """The folders found real so far, for a path in the reserved area (where only pipeflow
        writes); None for any other path, which is judged anew every time."""
        return self._known if relative.startswith(f"{RESERVED}/") else None

    def real_root(self) -> str:
        """A local root with its links resolved, asked of the filesystem once per store: only
        what lies below it is resolved on each read and write (`boundaries.py`)."""
        if self._real_root is None:
            self._real_root = os.path.realpath(self.root)
        return self._real_root

    @contextmanager
    def errors(self, action: str, path: str) -> Iterator[None]:
        """Filesystem and network failures as StorageError naming the store and the path."""
        try:
            yield
        except PipeflowError:
            raise
        except Exception as error:
            raise self.failure(action, path, error) from error

    def failure(self, action: str, path: str, error: Exception) -> StorageError:
        where = self.location(path)
        what = f"{action} {where}"
        kind = failures.kind(error)
        if kind == "unreachable":
            return failures.unreachable(self.url, self.endpoint(), what, error)
        if kind == "credentials":
            return failures.no_credentials(self.url, self.protocol(), what, error)
        if kind == "replaced":
            return failures.replaced(what)
        if isinstance(error, FileNotFoundError):
            bucket = self.bucket()
            if bucket is not None and not self._bucket_seen:
                try:
                    self.check_bucket(action, path)
                except StorageError as missing:
                    return missing
            return failures.missing(what)
        if kind == "denied":
            return failures.denied(
                self.url, self.protocol(), action=action, where=where, error=error
            )
        return failures.other(what, error)
