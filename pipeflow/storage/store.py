"""ResultStore: results under one fsspec root URL, written atomically and read only when whole.

How it keeps SPEC section 5's promise that a half-written result never passes for a whole one:

1. Every path handed to the store is relative and checked (`paths.relative_path`), so nothing the
   store does reaches outside its root.
2. A write publishes complete bytes or nothing, and measures them on the way (size and sha256):
   a temporary file and `os.replace` locally, a local spool and one upload elsewhere
   (`publish.py`).
3. Callers write the manifest last; it is what commits a result. A missing or broken manifest
   means "no result", with a ResultWarning for the broken one.
4. A read hashes the bytes before any format sees them, and refuses (CorruptResult) bytes whose
   size or checksum differ from the record: a tampered pickle is never unpickled. A remote read
   takes one version of the object: a manifest comes in one request; a payload comes in several
   that s3fs ties to one ETag, and the read starts again if the object is replaced meanwhile.
5. Errors of the filesystem become StorageError naming the store and the path, and saying what
   to do (`access.py`, `failures.py`): an unreachable endpoint, missing credentials, access
   denied, a missing bucket and a missing file each have their own message. Unlike fsspec's
   `exists()`, nothing here turns a credentials error into "file missing", nor a missing bucket
   into "no result": the first "missing" answer of an object store is checked against its
   bucket (once per store).
6. Object stores answer the same as a local folder: a missing prefix lists as empty, a missing
   key is "missing", and listings are never served from fsspec's listing cache; a dead endpoint
   fails in seconds (`filesystems.py`).
7. `stamps()` gives every file's size and stamp (S3 ETag, GCS md5, local mtime) from one
   listing, and `write()` records the stamp an object store gives the payload just written, so
   a later listing tells whether a payload was replaced without reading it. The sha256 stays the
   authority: a payload is only ever loaded once its bytes match it.

The filesystem is opened on first use and a store pickles as its URL and storage options only,
so it can be sent to worker processes, which open their own connection.
"""

from __future__ import annotations

import io
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from types import MappingProxyType
from typing import IO, Any, BinaryIO, cast

from pipeflow.errors import PipeflowError, StorageError
from pipeflow.storage.access import StoreAccess
from pipeflow.storage.checksums import content_checksum, digest
from pipeflow.storage.failures import redact
from pipeflow.storage.formats import Format, get_format, unsuitable_value_error
from pipeflow.storage.inline import inline_bytes
from pipeflow.storage.journal import settle
from pipeflow.storage.listing import StoreListing
from pipeflow.storage.manifest import Manifest, PartRecord
from pipeflow.storage.publish import (
    SPOOL_IN_MEMORY,
    Produce,
    digest_once,
    link_local,
    publish_local,
    publish_remote,
)
from pipeflow.storage.refusals import CorruptResult, ResultWarning, UntrustedResult
from pipeflow.storage.signing import KEY_ENV, sign, signature_problem, signing_key

# How often a read starts again when the object is replaced while it is being read.
_READ_ATTEMPTS = 4
_PARALLEL_READS = 32  # small files read at once by `read_many`


class ResultStore(StoreListing):
    """Stored results under one root: a local path or any fsspec URL (s3://, gs://, memory://)."""

    def __init__(
        self,
        url: str,
        storage_options: Mapping[str, Any] | None = None,
        *,
        protected: tuple[str, ...] = (),
    ) -> None:
        """`protected`: files no write may replace (the configs of the run that stores)."""
        self._url = url
        self._storage_options: dict[str, Any] = dict(storage_options or {})
        self._protected = protected
        self._access = StoreAccess(url, self._storage_options, protected)

    @property
    def url(self) -> str:
        return self._url

    @property
    def storage_options(self) -> Mapping[str, Any]:
        """The options given to fsspec; may hold credentials, so never log them."""
        return MappingProxyType(self._storage_options)

    def __repr__(self) -> str:
        # Storage options are left out: they may hold credentials.
        return f"ResultStore({redact(self._url)!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {
            "url": self._url,
            "storage_options": self._storage_options,
            "protected": self._protected,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._url = state["url"]
        self._storage_options = dict(state["storage_options"])
        self._protected = tuple(state.get("protected", ()))
        self._access = StoreAccess(self._url, self._storage_options, self._protected)

    def location(self, path: str) -> str:
        """The full URL or path of `path`, for people to read."""
        return self._access.location(path)

    def write(self, path: str, value: Any, *, format: Format, internal: bool = False) -> PartRecord:
        """Store `value` at `path` in `format`, atomically; the record says what was written,
        and on an object store carries the stamp (ETag, md5) the store gave the new object.

        A payload whose format runs code when loaded is signed (`signing.py`). Only pipeflow's
        own layout passes `internal`, which lets a path start with the reserved `.pipeflow/`;
        a target never can (`boundaries.py`)."""
        if not format.accepts(value):
            raise unsuitable_value_error(format, value)
        key = signing_key(create=True) if format.executes_code else None
        write_path = getattr(format, "write_path", None)
        size, checksum, stamp = self._publish(
            path,
            lambda file: format.write(value, file),
            stamp=True,
            internal=internal,
            # A native writer to a local path (pyarrow) beats streaming through Python.
            produce_path=(lambda target: write_path(value, target)) if write_path else None,
        )
        # The record keeps the normalised path, so equal results always have equal records.
        relative = self._access.relative(path)
        record = PartRecord(
            path=relative, format=format.name, size=size, checksum=checksum, stamp=stamp
        )
        return record if key is None else replace(record, signature=sign(record, key))

    def trust_problem(self, record: PartRecord) -> str | None:
        """Why the payload of `record` must not be loaded even when its bytes match (a format
        that runs code, without a valid signature), said after "it"; None when it may be."""
        try:
            format = get_format(record.format)
        except ValueError:
            return None  # `read` says the format is unknown
        if not format.executes_code:
            return None
        problem = signature_problem(record)
        if problem is None:
            return None
        return (
            f"is a {format.name} payload, which runs code when loaded, and {problem}. pipeflow "
            "loads one only when it was signed with this machine's key: if you trust whoever "
            f"wrote it, set {KEY_ENV} to the key they used; otherwise re-run the step to "
            "rebuild it"
        )

    def read(self, record: PartRecord) -> Any:
        """The value `record` describes; CorruptResult when its bytes are not the recorded ones."""
        try:
            format = get_format(record.format)
        except ValueError as error:
            raise StorageError(
                f"the result at {self.location(record.path)} is in a format this pipeflow does "
                f"not know: {error}"
            ) from error
        refused = self.trust_problem(record)
        if refused is not None:
            raise UntrustedResult(
                f"refusing to load the result at {self.location(record.path)}: it {refused}."
            )
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

    @contextmanager
    def open_verified(self, record: PartRecord) -> Iterator[IO[bytes]]:
        """The payload's bytes as a file, from the start, once they match `record`
        (CorruptResult otherwise): to copy a stored file somewhere as it is."""
        with self._verified(record) as file:
            yield file

    def verify(self, record: PartRecord) -> bool:
        """Whether the payload exists with the recorded size and checksum."""
        if record.offset is not None or record.inline is not None:
            data = self._small_payload(record)
            return data is not None and bytes_match(data, record)
        filesystem = self._access.open()
        full = self._access.full(record.path)
        with self._access.errors("check", record.path):
            try:
                size, checksum = digest_once(
                    filesystem, full, limit=record.size, attempts=_READ_ATTEMPTS
                )
            except FileNotFoundError:
                self._access.check_bucket("check", record.path)
                return False
        return size == record.size and checksum == record.checksum

    def write_manifest(self, path: str, manifest: Manifest, *, copies: Sequence[str] = ()) -> None:
        """Store `manifest` at `path`, then at each of `copies` (the `latest` copy), each
        atomically; callers write it after every part. On a local disk a copy is another name
        of the file at `path` (a hard link, made and swapped in one step): no second file."""
        data = manifest.to_json()
        source = self._access.writable(path, internal=True)
        self._publish(path, lambda file: file.write(data), internal=True, final=source)
        for copy in copies:
            if self._access.local:
                final = self._access.writable(copy, internal=True)
                try:
                    if link_local(source, final):
                        continue
                except OSError as error:
                    raise self._access.failure("write", copy, error) from error
            self._publish(copy, lambda file: file.write(data), internal=True)

    def read_manifest(self, path: str) -> Manifest | None:
        """The manifest at `path`; None when missing or broken (and then a ResultWarning)."""
        data = self.read_bytes(path, action="read the manifest")
        return None if data is None else self.parse_manifest(path, data)

    def parse_manifest(self, path: str, data: bytes) -> Manifest | None:
        """The manifest in `data`, read from `path`; None when broken (and a ResultWarning)."""
        try:
            return Manifest.from_json(data)
        except ValueError as error:
            warnings.warn(
                f"ignoring the broken manifest at {self.location(path)}: {error}. "
                "Its result counts as missing and will be rebuilt.",
                ResultWarning,
                stacklevel=3,
            )
            return None

    def write_bytes(self, path: str, data: bytes, *, internal: bool = False) -> None:
        """Store the small file `data` at `path`, atomically (pipeflow's own files)."""
        self._publish(path, lambda file: file.write(data), internal=internal)

    def read_bytes(self, path: str, *, action: str = "read") -> bytes | None:
        """The whole small file at `path`, of one version, in one request; None when missing."""
        filesystem = self._access.open()
        full = self._access.full(path)
        with self._access.errors(action, path):
            try:
                # One request for the whole file: one version of it, even while it is replaced.
                # `start=0` keeps s3fs from asking for the size first (a second request).
                return bytes(filesystem.cat_file(full, start=0))
            except FileNotFoundError:
                self._access.check_bucket(action, path)
                return None

    def read_range(self, path: str, offset: int, size: int) -> bytes | None:
        """At most `size` bytes of the file at `path` from `offset` (a payload in a journal,
        `journal.py`); None when the file is missing."""
        filesystem = self._access.open()
        full = self._access.full(path)
        with self._access.errors("read", path):
            try:
                return bytes(filesystem.cat_file(full, start=offset, end=offset + size))
            except FileNotFoundError:
                self._access.check_bucket("read", path)
                return None

    def _small_payload(self, record: PartRecord) -> bytes | None:
        """The bytes of a payload inside a journal (read) or its manifest (decoded)."""
        if record.inline is not None:
            return inline_bytes(record)
        assert record.offset is not None
        settle()  # a record this process still holds is written first (`journal.py`)
        return self.read_range(record.path, record.offset, record.size)

    def writable_path(self, path: str) -> str:
        """Where on this machine pipeflow may create its own file `path` (in the reserved
        area), checked against the store's boundaries: for a local store only."""
        full = self._access.writable(path, internal=True)  # opens the filesystem first
        if not self._access.local:
            raise StorageError(f"{self.location(path)} is not on this machine's disk")
        return full

    def read_many(self, paths: Iterable[str]) -> dict[str, bytes | None]:
        """`read_bytes` of each of `paths`, several requests at once: path -> bytes (None when
        missing)."""
        wanted = list(dict.fromkeys(paths))
        if len(wanted) < 2 or self._access.local:
            return {path: self.read_bytes(path) for path in wanted}
        with ThreadPoolExecutor(min(_PARALLEL_READS, len(wanted))) as pool:
            return dict(zip(wanted, pool.map(self.read_bytes, wanted), strict=True))

    def _open(self) -> Any:
        """The fsspec filesystem, opened on first use."""
        return self._access.open()

    # -- writing -------------------------------------------------------------------------------

    def _publish(
        self,
        path: str,
        produce: Produce,
        *,
        stamp: bool = False,
        internal: bool = False,
        produce_path: Callable[[str], object] | None = None,
        final: str | None = None,
    ) -> tuple[int, str, str | None]:
        """Write what `produce` writes to `path`, all or nothing; its size and checksum, and
        with `stamp` on an object store the stamp the store gives the new object (else None).
        On a local disk `produce_path`, when given, writes the file by its path instead.
        `final`: what `writable` just said of `path`, when the caller asked it."""
        if final is None:
            final = self._access.writable(path, internal=internal)
        if self._access.local:
            try:
                size, checksum = publish_local(final, produce, produce_path)
            except OSError as error:
                raise self._access.failure("write", path, error) from error
            return size, checksum, None
        return publish_remote(self._access, path, final, produce, stamp=stamp)

    # -- reading -------------------------------------------------------------------------------

    @contextmanager
    def _verified(self, record: PartRecord) -> Iterator[IO[bytes]]:
        """The payload's bytes, from the start, once their size and checksum match `record`."""
        if record.offset is not None or record.inline is not None:
            # A small payload inside a journal or its manifest: its bytes, checked, then loaded.
            data = self._small_payload(record)
            location = self.location(record.path)
            if data is None and record.inline is not None:
                raise CorruptResult(location, expected=record.checksum, actual="no base64")
            if data is None:
                raise StorageError(f"the result at {location} is missing")
            if len(data) != record.size:
                raise CorruptResult(
                    location, expected=f"{record.size} bytes", actual=f"{len(data)} bytes"
                )
            checksum = content_checksum(data)
            if checksum != record.checksum:
                raise CorruptResult(location, expected=record.checksum, actual=checksum)
            yield io.BytesIO(data)
            return
        filesystem = self._access.open()
        full = self._access.full(record.path)
        with ExitStack() as stack:
            with self._access.errors("read", record.path):
                file: IO[bytes]
                if self._access.local:
                    # Hash and load through one open file: a swap between the two cannot slip in.
                    file = stack.enter_context(filesystem.open(full, "rb"))
                    size, checksum = digest(file, limit=record.size)
                else:
                    # Download once into a local spool, hash on the way, load from the spool.
                    file = stack.enter_context(
                        tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
                    )
                    size, checksum = digest_once(
                        filesystem, full, limit=record.size, attempts=_READ_ATTEMPTS, copy=file
                    )
                file.seek(0)
            location = self.location(record.path)
            if size != record.size:
                actual = f"more than {record.size} bytes" if size > record.size else f"{size} bytes"
                raise CorruptResult(location, expected=f"{record.size} bytes", actual=actual)
            if checksum != record.checksum:
                raise CorruptResult(location, expected=record.checksum, actual=checksum)
            yield file


def bytes_match(data: bytes, record: PartRecord) -> bool:
    """Whether `data` are the bytes `record` describes (size and sha256)."""
    return len(data) == record.size and record.checksum == content_checksum(data)
