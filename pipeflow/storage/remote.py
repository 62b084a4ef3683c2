"""Fingerprints of files that step inputs name by URL (`s3://bucket/raw.csv`): ETag or checksum."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeflow.errors import StorageError
from pipeflow.storage.filesystems import url_to_fs
from pipeflow.storage.written import FileEntry, folder_fingerprint

_NO_CHECKSUM = "sha256:" + "0" * 64  # a folder fingerprint of objects goes by their stamps

# Asking an http(s) URL for its metadata would call someone's API: such inputs do not count.
_SKIPPED_PROTOCOLS = ("http", "https", "ftp")


def fingerprint_url(url: str, storage_options: Mapping[str, Any] | None = None) -> str | None:
    """`size:etag` (or size and modification time) of the object a URL names, a digest of
    those of every object under it for a folder (a prefix); None if nothing is there."""
    protocol = url.split("://", 1)[0].lower()
    if protocol in _SKIPPED_PROTOCOLS or not protocol.isidentifier():
        return None
    from fsspec.registry import known_implementations

    if protocol not in known_implementations:
        return None
    try:
        filesystem, path = open_url(url, storage_options)
    except (ImportError, ValueError, TypeError):
        return None  # no implementation installed: the step will say so when it reads the URL
    try:
        info = filesystem.info(path)
        if info.get("type") == "directory":
            # A folder (a prefix of an object store): what is in it, from one listing.
            found = filesystem.find(path, detail=True)
    except FileNotFoundError:
        return None
    except Exception as error:
        raise _metadata_error(url, error) from error
    if info.get("type") != "directory":
        return f"{info.get('size')}:{url_stamp(info)}"
    root = path.rstrip("/") + "/"
    entries = [
        (name[len(root) :], FileEntry(int(entry.get("size") or 0), _NO_CHECKSUM, url_stamp(entry)))
        for name, entry in found.items()
        if name.startswith(root) and entry.get("type", "file") != "directory"
    ]
    return folder_fingerprint(entries, remote=True)


def open_url(url: str, storage_options: Mapping[str, Any] | None = None) -> tuple[Any, str]:
    """The fsspec filesystem and path of a URL, never answering from a remembered listing:
    a step may have written the object a moment ago."""
    options = dict(storage_options or {})
    options.setdefault("use_listings_cache", False)
    return url_to_fs(url, options)


def glob_url(pattern: str, storage_options: Mapping[str, Any] | None = None) -> list[str]:
    """The URLs of the objects a glob URL (`s3://bucket/raw/*.csv`) matches, sorted."""
    protocol = pattern.split("://", 1)[0]
    try:
        filesystem, path = open_url(pattern, storage_options)
        found = filesystem.glob(path)
    except FileNotFoundError:
        return []
    except Exception as error:
        raise _metadata_error(pattern, error) from error
    return sorted(f"{protocol}://{name}" for name in found)


def list_url(
    url: str, storage_options: Mapping[str, Any] | None = None
) -> dict[str, tuple[int, str]] | None:
    """What a URL holds now: {"": (size, stamp)} for an object, {relative name: (size,
    stamp)} for a folder (a prefix); None when nothing is there."""
    filesystem, path = open_url(url, storage_options)
    try:
        info = filesystem.info(path)
    except FileNotFoundError:
        return None
    if info.get("type") != "directory":
        return {"": (int(info.get("size") or 0), url_stamp(info))}
    root = path.rstrip("/") + "/"
    return {
        name[len(root) :]: (int(entry.get("size") or 0), url_stamp(entry))
        for name, entry in filesystem.find(path, detail=True).items()
        if name.startswith(root) and entry.get("type", "file") != "directory"
    }


def url_stamp(info: Mapping[str, Any]) -> str:
    """What tells one version of an object from another in fsspec's `info`: its ETag or
    checksum, else its modification time."""
    for field in ("ETag", "etag", "md5Hash", "crc32c", "checksum"):
        if info.get(field):
            return str(info[field]).strip(chr(34))
    changed = (
        info.get("mtime") or info.get("LastModified") or info.get("updated") or info.get("created")
    )
    return str(changed)


def _metadata_error(url: str, error: Exception) -> StorageError:
    return StorageError(
        f"cannot read the metadata of the input {url}: {type(error).__name__}: {error}. "
        "Check that the store is reachable and the credentials are set."
    )
