"""ResultStore: results under one fsspec root URL, written atomically and read only when whole.

How it keeps SPEC section 5's promise that a half-written result never passes for a whole one:

1. Every path handed to the store is relative and checked (`paths.relative_path`), so nothing the
   store does reaches outside its root.
2. A write publishes complete bytes or nothing, and measures them on the way (size and sha256):
   - on the local filesystem the value streams into `<dir>/.<name>.tmp-<uuid>`, is fsynced, and
     `os.replace` moves it into place, which is atomic;
   - anywhere else (object stores, where a move is a copy) the value is first serialised into a
     local spool and then uploaded to the final key in one go. Streaming straight to the key would
     leave a partial object when serialisation fails halfway (fsspec's memory filesystem commits at
     open, and buffered files commit whatever they hold when closed), and would destroy the
     previous result at that key for nothing; a single PUT of finished bytes does neither.
   Whatever fails, no temporary file stays behind, and the exception is re-raised as it was.
3. Callers write the manifest last; it is what commits a result. A missing or broken manifest
   means "no result", with a ResultWarning for the broken one.
4. A read hashes the bytes before any format sees them, and refuses (CorruptResult) bytes whose
   size or checksum differ from the record: a tampered pickle is never unpickled.
5. Errors of the filesystem (missing file, permissions, network) become StorageError naming the
   store and the path; unlike fsspec's `exists()`, nothing here turns a credentials error into
   "file missing".

The filesystem is opened on first use and a store pickles as its URL and storage options only,
so it can be sent to worker processes, which open their own connection.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from types import MappingProxyType
from typing import IO, Any, BinaryIO, cast
from urllib.parse import urlsplit, urlunsplit

from pipeflow.errors import PipeflowError, StorageError
from pipeflow.storage.checksums import HashingWriter, digest
from pipeflow.storage.formats import Format, get_format, unsuitable_value_error
from pipeflow.storage.manifest import Manifest, PartRecord
from pipeflow.storage.paths import relative_path

# Values up to this size are spooled in memory before an upload; larger ones go to a local file.
_SPOOL_IN_MEMORY = 32 * 1024 * 1024
_CHUNK = 1024 * 1024  # for copying to an upload

# Which extra provides the fsspec implementation of a protocol, for the install hint.
_EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs"}


class CorruptResult(StorageError):
    """A stored payload's bytes differ from what its manifest recorded; it was not loaded."""

    def __init__(self, location: str, *, expected: str, actual: str) -> None:
        self.location = location
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"the result at {location} does not match its manifest (expected {expected}, "
            f"found {actual}), so it was not loaded. It was changed or damaged after it was "
            "written: re-run the step (`--force STEP`) to rebuild it."
        )


class ResultWarning(UserWarning):
    """A stored result was ignored (for instance its manifest is broken) and will be rebuilt."""


def _redact(url: str) -> str:
    """`url` with any password replaced, so that messages never show credentials."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


class ResultStore:
    """Stored results under one root: a local path or any fsspec URL (s3://, gs://, memory://)."""

    def __init__(self, url: str, storage_options: Mapping[str, Any] | None = None) -> None:
        self._url = url
        self._storage_options: dict[str, Any] = dict(storage_options or {})
        self._filesystem: Any = None
        self._root = ""  # the filesystem's form of the root, ending with "/"
        self._local = False

    @property
    def url(self) -> str:
        return self._url

    @property
    def storage_options(self) -> Mapping[str, Any]:
        """The options given to fsspec; may hold credentials, so never log them."""
        return MappingProxyType(self._storage_options)

    def __repr__(self) -> str:
        # Storage options are left out: they may hold credentials.
        return f"ResultStore({_redact(self._url)!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self._url, "storage_options": self._storage_options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._url = state["url"]
        self._storage_options = dict(state["storage_options"])
        self._filesystem = None
        self._root = ""
        self._local = False

    def location(self, path: str) -> str:
        """The full URL or path of `path`, for people to read."""
        base = _redact(self._url).rstrip("/")
        return f"{base}/{path}" if path else base

    def write(self, path: str, value: Any, *, format: Format) -> PartRecord:
        """Store `value` at `path` in `format`, atomically; the record says what was written."""
        if not format.accepts(value):
            raise unsuitable_value_error(format, value)
        size, checksum = self._publish(path, lambda file: format.write(value, file))
        # The record keeps the normalised path, so equal results always have equal records.
        relative = self._relative(path)
        return PartRecord(path=relative, format=format.name, size=size, checksum=checksum)

    def read(self, record: PartRecord) -> Any:
        """The value `record` describes; CorruptResult when its bytes are not the recorded ones."""
        try:
            format = get_format(record.format)
        except ValueError as error:
            raise StorageError(
                f"the result at {self.location(record.path)} is in a format this pipeflow does "
                f"not know: {error}"
            ) from error
        with self._verified(record) as file:
            try:
                return format.read(cast(BinaryIO, file))
            except PipeflowError:
                raise
            except Exception as error:
                raise StorageError(
                    f"cannot load the {format.name} result at {self.location(record.path)}: "
                    f"{type(error).__name__}: {error}. If the code that made it changed (a class "
                    "moved or renamed), re-run the step to rebuild it."
                ) from error

    def verify(self, record: PartRecord) -> bool:
        """Whether the payload exists with the recorded size and checksum."""
        filesystem = self._open()
        full = self._full(record.path)
        with self._errors("check", record.path):
            try:
                size = filesystem.info(full).get("size")
                if size is not None and size != record.size:
                    return False
                with filesystem.open(full, "rb") as source:
                    size, checksum = digest(source, limit=record.size)
            except FileNotFoundError:
                return False
        return size == record.size and checksum == record.checksum

    def write_manifest(self, path: str, manifest: Manifest) -> None:
        """Store `manifest` at `path`, atomically; callers write it after every part."""
        data = manifest.to_json()
        self._publish(path, lambda file: file.write(data))

    def read_manifest(self, path: str) -> Manifest | None:
        """The manifest at `path`; None when missing or broken (and then a ResultWarning)."""
        filesystem = self._open()
        full = self._full(path)
        with self._errors("read the manifest", path):
            try:
                with filesystem.open(full, "rb") as file:
                    data = file.read()
            except FileNotFoundError:
                return None
        try:
            return Manifest.from_json(data)
        except ValueError as error:
            warnings.warn(
                f"ignoring the broken manifest at {self.location(path)}: {error}. "
                "Its result counts as missing and will be rebuilt.",
                ResultWarning,
                stacklevel=2,
            )
            return None

    def exists(self, path: str) -> bool:
        """Whether a file or folder exists at `path`; errors other than "missing" are raised."""
        filesystem = self._open()
        full = self._full(path)
        with self._errors("check", path):
            try:
                filesystem.info(full)
            except FileNotFoundError:
                return False
        return True

    def delete(self, path: str) -> None:
        """Remove the file at `path`, or the folder and all under it; missing is not an error."""
        filesystem = self._open()
        full = self._full(path)
        with self._errors("delete", path), suppress(FileNotFoundError):
            filesystem.rm(full, recursive=True)

    def list(self, prefix: str) -> list[str]:
        """Every file under the folder `prefix` ("" for all), sorted, relative to the root."""
        filesystem = self._open()
        full = self._full(prefix, folder=True)
        with self._errors("list", prefix):
            try:
                found = filesystem.find(full)
            except FileNotFoundError:
                return []
        root = self._root
        return sorted(name[len(root) :] for name in found if name.startswith(root))

    # -- the filesystem ------------------------------------------------------------------------

    def _open(self) -> Any:
        """The fsspec filesystem, opened on first use."""
        if self._filesystem is not None:
            return self._filesystem
        import fsspec.core
        from fsspec.implementations.local import LocalFileSystem

        try:
            filesystem, root = fsspec.core.url_to_fs(self._url, **self._storage_options)
        except ImportError as error:
            protocol = self._url.split("://", 1)[0] if "://" in self._url else "file"
            extra = _EXTRAS.get(protocol)
            install = (
                f"pip install 'pipeflow[{extra}]'"
                if extra
                else f"install the fsspec {protocol} package"
            )
            raise StorageError(
                f"the results store {_redact(self._url)} needs a package that is not installed "
                f"({error}): {install}"
            ) from error
        except Exception as error:
            raise StorageError(
                f"cannot open the results store {_redact(self._url)}: {type(error).__name__}: "
                f"{error}. Check `results.root` and `results.storage_options`."
            ) from error
        root = root or filesystem.root_marker
        self._root = root if root.endswith("/") or not root else f"{root}/"
        self._local = isinstance(filesystem, LocalFileSystem)
        # Set last: another thread that sees the filesystem also sees the root.
        self._filesystem = filesystem
        return filesystem

    def _relative(self, path: str, *, folder: bool = False) -> str:
        try:
            return relative_path(path, folder=folder)
        except ValueError as error:
            raise StorageError(
                f"invalid path in the results store {_redact(self._url)}: {error}"
            ) from error

    def _full(self, path: str, *, folder: bool = False) -> str:
        self._open()
        return f"{self._root}{self._relative(path, folder=folder)}"

    @contextmanager
    def _errors(self, action: str, path: str) -> Iterator[None]:
        """Filesystem and network failures as StorageError naming the store and the path."""
        try:
            yield
        except PipeflowError:
            raise
        except Exception as error:
            raise self._failure(action, path, error) from error

    def _failure(self, action: str, path: str, error: Exception) -> StorageError:
        where = self.location(path)
        if isinstance(error, FileNotFoundError):
            return StorageError(
                f"cannot {action} {where}: it does not exist. A result whose payload is gone "
                "must be rebuilt: re-run the step."
            )
        if isinstance(error, PermissionError):
            return StorageError(
                f"cannot {action} {where}: permission denied ({error}). Check the credentials "
                "and permissions for the results store."
            )
        return StorageError(
            f"cannot {action} {where}: {type(error).__name__}: {error}. Check that the results "
            "store is reachable and its storage options are right."
        )

    # -- writing -------------------------------------------------------------------------------

    def _publish(self, path: str, produce: Callable[[BinaryIO], object]) -> tuple[int, str]:
        """Write what `produce` writes to `path`, all or nothing; its size and checksum."""
        self._open()
        final = self._full(path)
        if self._local:
            return self._publish_local(path, final, produce)
        return self._publish_remote(path, final, produce)

    def _publish_local(
        self, path: str, final: str, produce: Callable[[BinaryIO], object]
    ) -> tuple[int, str]:
        folder, name = posixpath.split(final)
        temporary = f"{folder}/.{name}.tmp-{uuid.uuid4().hex}"
        try:
            os.makedirs(folder, exist_ok=True)
            with open(temporary, "wb") as handle:
                writer = HashingWriter(handle)
                produce(cast(BinaryIO, writer))
                handle.flush()
                # On disk before the rename, or a power cut could publish an empty file.
                os.fsync(handle.fileno())
            os.replace(temporary, final)
        except BaseException as error:
            # BaseException: a Ctrl-C halfway must not leave a temporary file behind either.
            with suppress(OSError):
                os.remove(temporary)
            if isinstance(error, OSError):
                raise self._failure("write", path, error) from error
            raise
        return writer.size, writer.checksum

    def _publish_remote(
        self, path: str, final: str, produce: Callable[[BinaryIO], object]
    ) -> tuple[int, str]:
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
            writer = HashingWriter(spool)
            try:
                produce(cast(BinaryIO, writer))
            except OSError as error:
                # The spool is local: its disk is full or unwritable.
                raise StorageError(
                    f"cannot prepare {self.location(path)} for upload: {error}. Check the space "
                    f"in the temporary folder ({tempfile.gettempdir()})."
                ) from error
            spool.seek(0)
            with self._errors("write", path):
                try:
                    self._upload(spool, final)
                except BaseException:
                    # Some filesystems commit a partial object when an upload breaks off;
                    # better no object than a wrong one (the manifest would refuse it anyway).
                    with suppress(Exception):
                        self._filesystem.rm_file(final)
                    raise
        return writer.size, writer.checksum

    def _upload(self, spool: IO[bytes], final: str) -> None:
        filesystem = self._filesystem
        try:
            remote = filesystem.open(final, "wb")
        except FileNotFoundError:
            # Filesystems with real folders (sftp, smb) need the parent; object stores do not.
            filesystem.makedirs(posixpath.dirname(final), exist_ok=True)
            remote = filesystem.open(final, "wb")
        with remote:
            shutil.copyfileobj(spool, remote, _CHUNK)

    # -- reading -------------------------------------------------------------------------------

    @contextmanager
    def _verified(self, record: PartRecord) -> Iterator[IO[bytes]]:
        """The payload's bytes, from the start, once their size and checksum match `record`."""
        filesystem = self._open()
        full = self._full(record.path)
        with ExitStack() as stack:
            with self._errors("read", record.path):
                source: IO[bytes] = stack.enter_context(filesystem.open(full, "rb"))
                if self._local:
                    # Hash and load through one open file: a swap between the two cannot slip in.
                    file = source
                    size, checksum = digest(source, limit=record.size)
                else:
                    # Download once into a local spool, hash on the way, load from the spool.
                    file = stack.enter_context(
                        tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)
                    )
                    size, checksum = digest(source, limit=record.size, copy=file)
                file.seek(0)
            location = self.location(record.path)
            if size != record.size:
                actual = f"more than {record.size} bytes" if size > record.size else f"{size} bytes"
                raise CorruptResult(location, expected=f"{record.size} bytes", actual=actual)
            if checksum != record.checksum:
                raise CorruptResult(location, expected=record.checksum, actual=checksum)
            yield file
