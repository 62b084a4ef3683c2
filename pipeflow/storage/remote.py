"""Fingerprints of files that step inputs name by URL (`s3://bucket/raw.csv`): ETag or checksum."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeflow.errors import StorageError

# Asking an http(s) URL for its metadata would call someone's API: such inputs do not count.
_SKIPPED_PROTOCOLS = ("http", "https", "ftp")


def fingerprint_url(url: str, storage_options: Mapping[str, Any] | None = None) -> str | None:
    """`size:etag` (or size and modification time) of the object a URL names; None if none."""
    protocol = url.split("://", 1)[0].lower()
    if protocol in _SKIPPED_PROTOCOLS or not protocol.isidentifier():
        return None
    import fsspec.core
    from fsspec.registry import known_implementations

    if protocol not in known_implementations:
        return None
    try:
        filesystem, path = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
    except (ImportError, ValueError, TypeError):
        return None  # no implementation installed: the step will say so when it reads the URL
    try:
        info = filesystem.info(path)
    except FileNotFoundError:
        return None
    except Exception as error:
        raise StorageError(
            f"cannot read the metadata of the input {url}: {type(error).__name__}: {error}. "
            "Check that the store is reachable and the credentials are set."
        ) from error
    size = info.get("size")
    for field in ("ETag", "etag", "md5Hash", "crc32c", "checksum"):
        if info.get(field):
            return f"{size}:{str(info[field]).strip(chr(34))}"
    changed = (
        info.get("mtime") or info.get("LastModified") or info.get("updated") or info.get("created")
    )
    return f"{size}:{changed}"
