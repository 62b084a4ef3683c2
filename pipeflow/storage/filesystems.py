"""Opening a store's fsspec filesystem: pipeflow's defaults per protocol, and object stamps.

Object stores answer like a local folder only with a few defaults under the user's own options:
listings are never served from fsspec's listing cache (another writer may have changed the store
since), S3 gets short connect timeouts and few retries, and a GCS endpoint is first checked to
accept connections, since gcsfs retries a refused connection for about 30 s and has no
per-filesystem setting for it. A GCS-compatible server (an emulator) gets gcsfs's plain
filesystem, not the one that asks Google's gRPC API about each bucket.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime, timezone
from typing import Any, cast
from urllib.parse import urlsplit

from pipeflow.errors import StorageError
from pipeflow.records import record
from pipeflow.storage import failures
from pipeflow.storage.failures import BUCKETED, GCS, S3, redact
from pipeflow.storage.localfiles import LocalFiles, is_plain_local, local_path

# Which extra provides the fsspec implementation of a protocol, for the install hint.
_EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs"}

# How long a GCS store waits for its endpoint to accept a connection before giving up.
CONNECT_TIMEOUT = 5.0


def _s3_config() -> dict[str, Any]:
    """pipeflow's defaults under the user's `config_kwargs` of an S3 store (theirs win key by
    key): botocore's own (60 s connect timeout, retries on top of s3fs's) take minutes to give
    up on a dead endpoint. A new dict each time: botocore rewrites the `retries` it is given."""
    return {"connect_timeout": 5, "retries": {"max_attempts": 2}}


@record
class Opened:
    """An open filesystem, the filesystem's form of the root (ending with "/"), and whether it
    is the local disk."""

    filesystem: Any
    root: str
    local: bool


def protocol_of(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else "file"


def open_filesystem(url: str, storage_options: Mapping[str, Any]) -> Opened:
    """The fsspec filesystem of `url`; StorageError with an install hint or what to check.
    A plain local path without storage options gets `LocalFiles` instead, which answers as
    fsspec's local filesystem would without importing fsspec (`localfiles.py`)."""
    if not storage_options and is_plain_local(url):
        root = local_path(url)
        return Opened(LocalFiles(), root if root.endswith("/") else f"{root}/", True)
    from fsspec.implementations.local import LocalFileSystem

    protocol = protocol_of(url)
    try:
        filesystem, root = url_to_fs(url, open_options(protocol, storage_options))
    except ImportError as error:
        extra = _EXTRAS.get(protocol)
        install = f"pip install 'pipeflow-runner[{extra}]'"
        if not extra:
            install = f"install the fsspec {protocol} package"
        raise StorageError(
            f"the results store {redact(url)} needs a package that is not installed "
            f"({error}): {install}"
        ) from error
    except Exception as error:
        raise StorageError(
            f"cannot open the results store {redact(url)}: {type(error).__name__}: "
            f"{error}. Check `results.root` and `results.storage_options`."
        ) from error
    root = root or filesystem.root_marker
    root = root if root.endswith("/") or not root else f"{root}/"
    if protocol in GCS:
        _check_reachable(url, filesystem, storage_options)
    return Opened(filesystem, root, isinstance(filesystem, LocalFileSystem))


def url_to_fs(url: str, options: Mapping[str, Any]) -> tuple[Any, str]:
    """fsspec's filesystem of `url` and its path there. A GCS-compatible server of the user's
    (`endpoint_url`, or STORAGE_EMULATOR_HOST) gets gcsfs's plain filesystem: gcsfs's default
    one asks each bucket's storage layout over gRPC, which only Google answers, and waits 60 s
    for it at every operation."""
    import fsspec.core

    if protocol_of(url) not in GCS or not _elsewhere_than_google(options):
        return cast(tuple[Any, str], fsspec.core.url_to_fs(url, **options))
    from gcsfs.core import GCSFileSystem

    filesystem = GCSFileSystem(**{**GCSFileSystem._get_kwargs_from_urls(url), **options})
    return filesystem, filesystem._strip_protocol(url)


def _elsewhere_than_google(options: Mapping[str, Any]) -> bool:
    found = options.get("endpoint_url") or os.environ.get("STORAGE_EMULATOR_HOST")
    if not isinstance(found, str) or not found:
        return False
    host = urlsplit(found if "://" in found else f"http://{found}").hostname or ""
    return not host.endswith("googleapis.com")


def open_options(protocol: str, storage_options: Mapping[str, Any]) -> dict[str, Any]:
    """The storage options fsspec gets: the user's, over pipeflow's defaults for the
    protocol. What a store pickles as stays the user's own options."""
    options = dict(storage_options)
    if protocol in BUCKETED:
        # Another writer (a worker, a CI job) may change the store at any time: listings and
        # `info` must ask the server, never a listing remembered from earlier.
        options.setdefault("use_listings_cache", False)
    if protocol in S3:
        config = copy.deepcopy(dict(options.get("config_kwargs") or {}))
        options["config_kwargs"] = {**_s3_config(), **config}
    return options


def endpoint(storage_options: Mapping[str, Any], filesystem: Any) -> str:
    """The server a store talks to, for messages: `endpoint_url` or the service's own."""
    client_kwargs = storage_options.get("client_kwargs") or {}
    found = storage_options.get("endpoint_url") or client_kwargs.get("endpoint_url")
    if not found:
        found = getattr(filesystem, "_location", None)  # gcsfs
    if isinstance(found, str) and found:
        return redact(found)
    return "its default endpoint"


def _check_reachable(url: str, filesystem: Any, storage_options: Mapping[str, Any]) -> None:
    """Fail in seconds when a GCS endpoint refuses connections (gcsfs would retry ~30 s)."""
    location = getattr(filesystem, "_location", None)
    if not isinstance(location, str) or storage_options.get("session_kwargs"):
        return  # an unknown gcsfs, or a proxy or connector of the user's: let gcsfs try
    parts = urlsplit(location)
    if not parts.hostname:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        import socket  # only to probe an endpoint

        socket.create_connection((parts.hostname, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as error:
        raise failures.unreachable(
            url, endpoint(storage_options, filesystem), f"open {redact(url)}", error
        ) from error


def object_stamp(info: Mapping[str, Any]) -> str | None:
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


def object_modified(info: Mapping[str, Any]) -> datetime | None:
    """When an object was last written, from fsspec's `info`: S3's LastModified, GCS's
    `mtime`, a local file's mtime, memory's `created`; None when the filesystem gives none."""
    for key in ("LastModified", "mtime", "last_modified", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, timezone.utc)
        if isinstance(value, str) and value:
            try:
                found = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return found if found.tzinfo is not None else found.replace(tzinfo=timezone.utc)
    return None


S3_DELETES = 1000  # keys S3 deletes in one request at most


def delete_many(filesystem: Any, protocol: str, fulls: list[str]) -> None:
    """Delete the objects at `fulls` (bucket/key), many a request; a key already gone is no
    error. On S3 each answer is read for the keys it refused (a refusal comes inside a
    successful answer, which s3fs's own bulk delete passes over): the first raises
    (PermissionError for a denied one). On GCS gcsfs raises whatever is not "not found"."""
    if protocol not in S3:
        with suppress(FileNotFoundError):  # every one was gone already
            filesystem.rm(fulls)
        return
    by_bucket: dict[str, list[str]] = {}
    for full in fulls:
        bucket, _, key = full.partition("/")
        by_bucket.setdefault(bucket, []).append(key)
    for bucket, keys in by_bucket.items():
        for start in range(0, len(keys), S3_DELETES):
            chunk = keys[start : start + S3_DELETES]
            objects = [{"Key": key} for key in chunk]
            answer = filesystem.call_s3(
                "delete_objects", Bucket=bucket, Delete={"Objects": objects, "Quiet": True}
            )
            filesystem.invalidate_cache(bucket)  # some were deleted, even if others were refused
            for refused in answer.get("Errors", []):
                code, message = refused.get("Code", ""), refused.get("Message", "")
                if code == "NoSuchKey":
                    continue
                where = f"{bucket}/{refused.get('Key', '')}"
                if code == "AccessDenied":
                    raise PermissionError(f"{where}: {code}: {message}")
                raise OSError(f"{where}: {code}: {message}")
