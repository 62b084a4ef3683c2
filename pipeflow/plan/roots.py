"""Where a config's results root is, as a store URL (config checks and the planner both ask)."""

from __future__ import annotations

import os
from typing import Any

from pipeflow.storage.failures import BUCKETED


def store_url(root: Any, base_dir: str) -> str:
    """A results root as a store URL: a local path normalised (`out//x/` is `out/x`), a
    relative one resolved against `base_dir`; an object store's URL tidied (`tidy_bucket_url`)."""
    text = str(root)
    if "://" in text:
        return tidy_bucket_url(text)
    return os.path.normpath(os.path.join(base_dir, text))  # an absolute `text` stays itself


def tidy_bucket_url(url: str) -> str:
    """An S3 or GCS URL without empty or `.` segments in its path, nor a trailing slash:
    `s3://bucket//x/./y/` is `s3://bucket/x/y`. A reference that came out empty
    (`s3://bucket/${env.TEAM:-}/x`) must name the same store as the URL without it: s3fs
    writes `bucket//x` under the key `/x` but lists `x`, so its results were never found.
    Any other URL is returned as it is."""
    protocol, found, rest = url.partition("://")
    bucket, _, path = rest.partition("/")
    if not found or protocol.lower() not in BUCKETED or not bucket:
        return url  # no bucket: `open_filesystem` says so
    segments = [bucket, *(segment for segment in path.split("/") if segment not in ("", "."))]
    return f"{protocol}://{'/'.join(segments)}"


def same_kind(url: str, other: str) -> bool:
    """Whether two store URLs are stores of one kind (`s3://a/x` and `s3://b/y`, two local
    folders): the options to reach one (an endpoint, a profile) are meant for the other too."""
    return _protocols(url) == _protocols(other)


def _protocols(url: str) -> tuple[str, ...]:
    """`simplecache::s3://b/x` -> ("simplecache", "s3"); a local path -> ("file",)."""
    if "://" not in url:
        return ("file",)
    chain = url.partition("://")[0].lower().split("::")
    return tuple("file" if protocol == "local" else protocol for protocol in chain)
