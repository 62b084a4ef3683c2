"""ResultStore: results under one fsspec root URL, written atomically and read only when whole.

How it keeps SPEC section 5's promise that a half-written result never passes for a whole one:

1. Every path handed to the store is relative and checked (`paths.relative_path`), so nothing the
   store does reaches outside its root.
2. A write publishes complete bytes or nothing, and measures them on the way (size and sha256):
   - on the local filesystem the value streams into `<dir>/.<name>.tmp-<uuid>` and `os.replace`
     moves it into place, which is atomic;
   - anywhere else (object stores, where a move is a copy) the value is first serialised into a
     local spool and then uploaded to the final key in one go. Streaming straight to the key would
     leave a partial object when serialisation fails halfway (fsspec's memory filesystem commits at
     open, and buffered files commit whatever they hold when closed), and would destroy the
     previous result at that key for nothing; a single PUT of finished bytes does neither.
   Whatever fails, no temporary file stays behind, and the exception is re-raised as it was.
3. Callers write the manifest last; it is what commits a result. A missing or broken manifest
   means "no result", with a ResultWarning for the broken one.
4. A read hashes the bytes before any format sees them, and refuses (CorruptResult) bytes whose
   size or checksum differ from the record: a tampered pickle is never unpickled. A remote read
   takes one version of the object: a manifest comes in one request; a payload comes in several
   that s3fs ties to one ETag, and the read starts again if the object is replaced meanwhile.
5. Errors of the filesystem become StorageError naming the store and the path, and saying what
   to do: an unreachable endpoint, missing credentials, access denied, a missing bucket and a
   missing file each have their own message. Unlike fsspec's `exists()`, nothing here turns a
   credentials error into "file missing", nor a missing bucket into "no result": the first
   "missing" answer of an object store is checked against its bucket (once per store).
6. Object stores answer the same as a local folder: a missing prefix lists as empty, a missing
   key is "missing", and listings are never served from fsspec's listing cache (another writer
   may have changed the store since). A dead endpoint fails in seconds: S3 stores get short
   connect timeouts and few retries (`config_kwargs`, under the user's own), and a GCS store
   first checks that its endpoint accepts connections, since gcsfs retries a refused connection
   for about 30 s and has no per-filesystem setting for it.
7. `stamps()` gives every file's size and stamp (S3 ETag, GCS md5, local mtime) from one
   listing, and `write()` records the stamp an object store gives the payload just written, so
   a later listing tells whether a payload was replaced without reading it. The sha256 stays the
   authority: a payload is only ever loaded once its bytes match it.

The filesystem is opened on first use and a store pickles as its URL and storage options only,
so it can be sent to worker processes, which open their own connection.
"""

from __future__ import annotations

import copy
import os
import posixpath
import shutil
import socket
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from types import MappingProxyType
from typing import IO, Any, BinaryIO, cast
from urllib.parse import urlsplit, urlunsplit

from pipeflow.errors import PipeflowError, PipeflowWarning, StorageError
from pipeflow.storage.checksums import HashingWriter, digest
from pipeflow.storage.formats import Format, get_format, unsuitable_value_error
from pipeflow.storage.manifest import Manifest, PartRecord
from pipeflow.storage.paths import relative_path

# Values up to this size are spooled in memory before an upload; larger ones go to a local file.
_SPOOL_IN_MEMORY = 32 * 1024 * 1024
_CHUNK = 1024 * 1024  # for copying to an upload

# Which extra provides the fsspec implementation of a protocol, for the install hint.
_EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs"}

_S3 = frozenset({"s3", "s3a"})
_GCS = frozenset({"gs", "gcs"})
# Object stores whose root starts with a bucket.
_BUCKETED = _S3 | _GCS


def _s3_config() -> dict[str, Any]:
    """pipeflow's defaults under the user's `config_kwargs` of an S3 store (theirs win key by
    key): botocore's own (60 s connect timeout, retries on top of s3fs's) take minutes to give
    up on a dead endpoint. A new dict each time: botocore rewrites the `retries` it is given."""
    return {"connect_timeout": 5, "retries": {"max_attempts": 2}}


# How long a GCS store waits for its endpoint to accept a connection before giving up.
_CONNECT_TIMEOUT = 5.0
# How often a read starts again when the object is replaced while it is being read.
_READ_ATTEMPTS = 4

# Exception classes, by name so that no client library is imported here, that mean: the
# endpoint cannot be reached; the object was replaced while being read; no credentials.
_UNREACHABLE = frozenset(
    {
        "EndpointConnectionError",  # botocore
        "ConnectTimeoutError",  # botocore
        "ProxyConnectionError",  # botocore
        "ClientConnectorError",  # aiohttp, and its DNS and certificate variants
        "ConnectionTimeoutError",  # aiohttp
        "ConnectionRefusedError",
        "gaierror",  # name resolution
    }
)
_REPLACED = frozenset({"FileExpired"})  # s3fs: the object changed between two reads of a file
_NO_CREDENTIALS = frozenset(
    {
        "NoCredentialsError",  # botocore
        "PartialCredentialsError",  # botocore
        "CredentialRetrievalError",  # botocore
        "DefaultCredentialsError",  # google-auth
    }
)


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


class ResultWarning(PipeflowWarning):
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
        self._bucket_seen = False  # the bucket was found to exist

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
        self._bucket_seen = False

    def location(self, path: str) -> str:
        """The full URL or path of `path`, for people to read."""
        base = _redact(self._url).rstrip("/")
        return f"{base}/{path}" if path else base

    def write(self, path: str, value: Any, *, format: Format) -> PartRecord:
        """Store `value` at `path` in `format`, atomically; the record says what was written,
        and on an object store carries the stamp (ETag, md5) the store gave the new object."""
        if not format.accepts(value):
            raise unsuitable_value_error(format, value)
        write_path = getattr(format, "write_path", None)
        size, checksum, stamp = self._publish(
            path,
            lambda file: format.write(value, file),
            stamp=True,
            # A native writer to a local path (pyarrow) beats streaming through Python.
            produce_path=(lambda target: write_path(value, target)) if write_path else None,
        )
        # The record keeps the normalised path, so equal results always have equal records.
        relative = self._relative(path)
        return PartRecord(
            path=relative, format=format.name, size=size, checksum=checksum, stamp=stamp
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
        filesystem = self._open()
        full = self._full(record.path)
        with self._errors("check", record.path):
            try:
                size, checksum = self._digest(filesystem, full, limit=record.size)
            except FileNotFoundError:
                self._check_bucket("check", record.path)
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
                # One request for the whole file: one version of it, even while it is replaced.
                # `start=0` keeps s3fs from asking for the size first (a second request).
                data = filesystem.cat_file(full, start=0)
            except FileNotFoundError:
                self._check_bucket("read the manifest", path)
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
                self._check_bucket("check", path)
                return False
        return True

    def delete(self, path: str) -> None:
        """Remove the file at `path`, or the folder and all under it; missing is not an error."""
        filesystem = self._open()
        full = self._full(path)
        with self._errors("delete", path):
            try:
                filesystem.rm(full, recursive=True)
            except FileNotFoundError:
                self._check_bucket("delete", path)

    def list(self, prefix: str) -> list[str]:
        """Every file under the folder `prefix` ("" for all), sorted, relative to the root."""
        filesystem = self._open()
        full = self._full(prefix, folder=True)
        with self._errors("list", prefix):
            try:
                found = filesystem.find(full)
            except FileNotFoundError:
                self._check_bucket("list", prefix)
                return []
        root = self._root
        return sorted(name[len(root) :] for name in found if name.startswith(root))

    def stamps(self, prefix: str = "") -> dict[str, tuple[int, str | None]]:
        """Every file under the folder `prefix` ("" for all): its path relative to the root ->
        (size, stamp), from one listing. The stamp is the object's ETag (S3), md5 (GCS) or
        modification time (local), so a replaced payload shows without being read; None where
        the filesystem gives none (memory://)."""
        filesystem = self._open()
        full = self._full(prefix, folder=True)
        with self._errors("list", prefix):
            try:
                found = filesystem.find(full, detail=True)
            except FileNotFoundError:
                self._check_bucket("list", prefix)
                return {}
        root = self._root
        stamps: dict[str, tuple[int, str | None]] = {}
        for name, info in sorted(found.items()):
            if name.startswith(root) and info.get("type", "file") != "directory":
                stamps[name[len(root) :]] = (int(info.get("size") or 0), _stamp(info))
        return stamps

    # -- the filesystem ------------------------------------------------------------------------

    def _open(self) -> Any:
        """The fsspec filesystem, opened on first use."""
        if self._filesystem is not None:
            return self._filesystem
        import fsspec.core
        from fsspec.implementations.local import LocalFileSystem

        protocol = self._protocol()
        try:
            filesystem, root = fsspec.core.url_to_fs(self._url, **self._open_options(protocol))
        except ImportError as error:
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
        if protocol in _GCS:
            self._check_reachable(filesystem)
        # Set last: another thread that sees the filesystem also sees the root.
        self._filesystem = filesystem
        return filesystem

    def _protocol(self) -> str:
        return self._url.split("://", 1)[0].lower() if "://" in self._url else "file"

    def _open_options(self, protocol: str) -> dict[str, Any]:
        """The storage options fsspec gets: the user's, over pipeflow's defaults for the
        protocol. `storage_options` (and so what a store pickles as) stays the user's."""
        options = dict(self._storage_options)
        if protocol in _BUCKETED:
            # Another writer (a worker, a CI job) may change the store at any time: listings and
            # `info` must ask the server, never a listing remembered from earlier.
            options.setdefault("use_listings_cache", False)
        if protocol in _S3:
            config = copy.deepcopy(dict(options.get("config_kwargs") or {}))
            options["config_kwargs"] = {**_s3_config(), **config}
        return options

    def _endpoint(self) -> str:
        """The server the store talks to, for messages: `endpoint_url` or the service's own."""
        options = self._storage_options
        client_kwargs = options.get("client_kwargs") or {}
        endpoint = options.get("endpoint_url") or client_kwargs.get("endpoint_url")
        if not endpoint:
            endpoint = getattr(self._filesystem, "_location", None)  # gcsfs
        if isinstance(endpoint, str) and endpoint:
            return _redact(endpoint)
        return "its default endpoint"

    def _check_reachable(self, filesystem: Any) -> None:
        """Fail in seconds when a GCS endpoint refuses connections (gcsfs would retry ~30 s)."""
        location = getattr(filesystem, "_location", None)
        if not isinstance(location, str) or self._storage_options.get("session_kwargs"):
            return  # an unknown gcsfs, or a proxy or connector of the user's: let gcsfs try
        parts = urlsplit(location)
        if not parts.hostname:
            return
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            socket.create_connection((parts.hostname, port), timeout=_CONNECT_TIMEOUT).close()
        except OSError as error:
            raise self._unreachable(f"open {_redact(self._url)}", error) from error

    def _bucket(self) -> str | None:
        """The bucket of an object store's root, else None."""
        if self._protocol() not in _BUCKETED:
            return None
        return self._root.split("/", 1)[0] or None

    def _check_bucket(self, action: str, path: str) -> None:
        """After an object store answered "missing": StorageError if its bucket is what is
        missing. Asks at most once per store that finds its bucket; cannot tell -> no error."""
        bucket = self._bucket()
        if bucket is None or self._bucket_seen:
            return
        try:
            self._filesystem.info(bucket)
        except FileNotFoundError:
            raise self._missing_bucket(action, path, bucket) from None
        except Exception:
            return  # no permission to look at the bucket itself, say: the path was missing
        self._bucket_seen = True

    def _missing_bucket(self, action: str, path: str, bucket: str) -> StorageError:
        scheme = self._protocol()
        create = (
            f"`aws s3 mb s3://{bucket}`"
            if scheme in _S3
            else f"`gcloud storage buckets create gs://{bucket}`"
        )
        return StorageError(
            f"cannot {action} {self.location(path)}: the bucket {bucket!r} of the results store "
            f"{_redact(self._url)} does not exist (at {self._endpoint()}). Create it ({create}) "
            "or fix `results.root`."
        )

    def _unreachable(self, what: str, error: BaseException) -> StorageError:
        return StorageError(
            f"cannot {what}: the results store {_redact(self._url)} cannot be reached at "
            f"{self._endpoint()} ({type(error).__name__}: {error}). Check the endpoint "
            "(`endpoint_url` in `results.storage_options`), that the service is up, and that "
            "this machine can reach it."
        )

    def _no_credentials(self, what: str, error: BaseException) -> StorageError:
        scheme = self._protocol()
        if scheme in _S3:
            how = (
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the "
                "environment, or `key` and `secret` in `results.storage_options`; for a public "
                "bucket, set `anon: true` there"
            )
        elif scheme in _GCS:
            how = (
                "set GOOGLE_APPLICATION_CREDENTIALS, run `gcloud auth application-default "
                "login`, or set `token` in `results.storage_options` (`anon` for a public bucket)"
            )
        else:
            how = "set them in `results.storage_options`"
        return StorageError(
            f"cannot {what}: no credentials were found for the results store "
            f"{_redact(self._url)} ({type(error).__name__}: {error}). To give some, {how}."
        )

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
        kind = _kind(error)
        if kind == "unreachable":
            return self._unreachable(f"{action} {where}", error)
        if kind == "credentials":
            return self._no_credentials(f"{action} {where}", error)
        if kind == "replaced":
            return StorageError(
                f"cannot {action} {where}: it was replaced again and again while it was being "
                "read: another run is writing it. Try again once that run has finished."
            )
        if isinstance(error, FileNotFoundError):
            bucket = self._bucket()
            if bucket is not None and not self._bucket_seen:
                try:
                    self._check_bucket(action, path)
                except StorageError as missing:
                    return missing
            return StorageError(
                f"cannot {action} {where}: it does not exist. A result whose payload is gone "
                "must be rebuilt: re-run the step."
            )
        if kind == "denied":
            advice = (
                " (for S3: s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on the "
                "bucket)"
                if self._protocol() in _S3
                else ""
            )
            return StorageError(
                f"cannot {action} {where}: access denied ({error}). The results store "
                f"{_redact(self._url)} refused the credentials in use, or they may not {action} "
                f"there: check the credentials, and that their permissions allow it{advice}."
            )
        return StorageError(
            f"cannot {action} {where}: {type(error).__name__}: {error}. Check that the results "
            "store is reachable and its storage options are right."
        )

    # -- writing -------------------------------------------------------------------------------

    def _publish(
        self,
        path: str,
        produce: Callable[[BinaryIO], object],
        *,
        stamp: bool = False,
        produce_path: Callable[[str], object] | None = None,
    ) -> tuple[int, str, str | None]:
        """Write what `produce` writes to `path`, all or nothing; its size and checksum, and
        with `stamp` on an object store the stamp the store gives the new object (else None).
        On a local disk `produce_path`, when given, writes the file by its path instead."""
        self._open()
        final = self._full(path)
        if self._local:
            size, checksum = self._publish_local(path, final, produce, produce_path)
            return size, checksum, None
        size, checksum = self._publish_remote(path, final, produce)
        return size, checksum, self._stamp_written(final, size) if stamp else None

    def _stamp_written(self, final: str, size: int) -> str | None:
        """The stamp of the object just uploaded to `final`: one `info` call. None when it
        cannot be had, or the object there is not the one written (another writer's)."""
        try:
            info = self._filesystem.info(final)
        except Exception:
            return None  # the payload is written; a stamp only saves work later
        if info.get("size") != size:
            return None
        return _stamp(info)

    def _publish_local(
        self,
        path: str,
        final: str,
        produce: Callable[[BinaryIO], object],
        produce_path: Callable[[str], object] | None = None,
    ) -> tuple[int, str]:
        folder, name = posixpath.split(final)
        temporary = f"{folder}/.{name}.tmp-{uuid.uuid4().hex}"
        try:
            os.makedirs(folder, exist_ok=True)
            if produce_path is not None:
                produce_path(temporary)
                with open(temporary, "rb") as written:
                    size, checksum = digest(written, limit=os.path.getsize(temporary))
            else:
                with open(temporary, "wb") as handle:
                    writer = HashingWriter(handle)
                    produce(cast(BinaryIO, writer))
                size, checksum = writer.size, writer.checksum
            # No fsync: after a power cut a payload may be short or empty under its final
            # name, but every read checks size and checksum against the manifest first, so
            # it counts as missing and is rebuilt. Syncing each result would cost more than
            # the serialisation itself on large values.
            os.replace(temporary, final)
        except BaseException as error:
            # BaseException: a Ctrl-C halfway must not leave a temporary file behind either.
            with suppress(OSError):
                os.remove(temporary)
            if isinstance(error, OSError):
                raise self._failure("write", path, error) from error
            raise
        return size, checksum

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
                except BaseException as error:
                    # Some filesystems commit a partial object when an upload breaks off;
                    # better no object than a wrong one (the manifest would refuse it anyway).
                    # Not when the server was never reached or refused the write: then there
                    # is nothing to remove, and asking again would only add to the wait.
                    if _kind(error) is None:
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
                file: IO[bytes]
                if self._local:
                    # Hash and load through one open file: a swap between the two cannot slip in.
                    file = stack.enter_context(filesystem.open(full, "rb"))
                    size, checksum = digest(file, limit=record.size)
                else:
                    # Download once into a local spool, hash on the way, load from the spool.
                    file = stack.enter_context(
                        tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)
                    )
                    size, checksum = self._digest(filesystem, full, limit=record.size, copy=file)
                file.seek(0)
            location = self.location(record.path)
            if size != record.size:
                actual = f"more than {record.size} bytes" if size > record.size else f"{size} bytes"
                raise CorruptResult(location, expected=f"{record.size} bytes", actual=actual)
            if checksum != record.checksum:
                raise CorruptResult(location, expected=record.checksum, actual=checksum)
            yield file

    def _digest(
        self, filesystem: Any, full: str, *, limit: int, copy: IO[bytes] | None = None
    ) -> tuple[int, str]:
        """`digest` of the file at `full` (copied to `copy`), all from one version of it.

        A file is read in several requests; s3fs notices when the object changed in between
        (another writer replaced it) and refuses to go on, and then the read starts again, so
        a result being replaced is read whole, old or new, or refused after a few tries."""
        for attempt in range(1, _READ_ATTEMPTS + 1):
            if copy is not None:
                copy.seek(0)
                copy.truncate()
            try:
                with filesystem.open(full, "rb") as source:
                    return digest(source, limit=limit, copy=copy)
            except OSError as error:
                if attempt == _READ_ATTEMPTS or _kind(error) != "replaced":
                    raise
        raise AssertionError("unreachable")  # pragma: no cover


def _stamp(info: Mapping[str, Any]) -> str | None:
    """What tells one version of a file from another in fsspec's `info`: the ETag of S3, the
    md5 (else crc32c, else etag) of GCS, or else the modification time; None if none."""
    for key, label in (("ETag", "etag"), ("md5Hash", "md5"), ("crc32c", "crc32c")):
        value = info.get(key)
        if value:
            return f"{label}:{str(value).strip(chr(34))}"
    value = info.get("etag")
    if value:
        return f"etag:{str(value).strip(chr(34))}"
    mtime = info.get("mtime_ns") or info.get("mtime")
    if mtime is not None and mtime != "":
        return f"mtime:{mtime}"
    return None


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and what it came from (its cause or context), each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _kind(error: BaseException) -> str | None:
    """What went wrong, when `error` or what caused it says: "unreachable", "credentials",
    "replaced" or "denied"; else None. Goes by class names, so no client library is imported."""
    for cause in _causes(error):
        names = {kind.__name__ for kind in type(cause).__mro__}
        if names & _UNREACHABLE:
            return "unreachable"
        if names & _NO_CREDENTIALS:
            return "credentials"
        if names & _REPLACED:
            return "replaced"
        if isinstance(cause, PermissionError) or getattr(cause, "code", None) in (401, 403):
            return "denied"
        if isinstance(cause, OSError) and str(cause).startswith("Forbidden"):  # gcsfs's 403
            return "denied"
    return None
