"""Listing an S3 prefix in key ranges read at once.

One listing of an object store reads its keys a page (1,000) at a time, each page asked for
only once the one before has come back: 30,000 keys are 30 round trips in a row. Given split
keys (every 1,000th key of an earlier listing, say), the keys between two splits are listed on
their own with S3's `StartAfter`, every range at once, and joined in order.

Whatever the splits, the ranges cover every key exactly once: range i holds the keys after
split i-1 up to and including split i (the first from the start, the last to the end), so no
key can fall between two ranges or in two. Splits only decide how the work is shared out: out of
date ones (keys added or removed since) cost a second page in a range, never a key, and a key
written or removed while the ranges are listed is seen or not, as by one listing.

S3 only (through s3fs's own request method, its retries and errors included); another
filesystem, or a version-aware s3fs, lists as before (`ranged` answers None).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

PAGE = 1000  # keys in a page of an S3 listing (S3's own most)
PARALLEL_RANGES = 16  # ranges listed at once
MOST_RANGES = 1000  # more splits than this are thinned out: a listing is never many requests


def ranged(
    filesystem: Any, full: str, splits: Sequence[str], *, page: int | None = None
) -> dict[str, dict[str, Any]] | None:
    """Every object under `full` ("bucket/prefix/", the filesystem's form), listed in the
    ranges `splits` (full keys, in any order) make, `page` keys a request (`PAGE`): name ->
    info as s3fs's `find(detail=True)` gives it; None when the filesystem is not one this can
    list in ranges."""
    call = getattr(filesystem, "_call_s3", None)
    if call is None or getattr(filesystem, "version_aware", True) or not splits:
        return None
    import asyncio  # here: a local store never lists in ranges, and asyncio costs 14 ms

    from fsspec.asyn import sync

    bucket, _, prefix = full.partition("/")
    keys = sorted({split.partition("/")[2] for split in splits if split.startswith(full)})
    keys = keys[:: -(-len(keys) // MOST_RANGES) or 1]
    bounds: list[str | None] = [None, *keys, None]
    ranges = list(pairwise(bounds))

    async def listed() -> list[list[dict[str, Any]]]:
        gate = asyncio.Semaphore(PARALLEL_RANGES)

        async def one(after: str | None, last: str | None) -> list[dict[str, Any]]:
            async with gate:
                return await _range(filesystem, bucket, prefix, after, last, page or PAGE)

        return await asyncio.gather(*(one(after, last) for after, last in ranges))

    found: dict[str, dict[str, Any]] = {}
    for objects in sync(filesystem.loop, listed):
        for entry in objects:
            name = f"{bucket}/{entry['Key']}"
            found[name] = {
                **entry,
                "Key": name,
                "name": name,
                "size": entry.get("Size", 0),
                "type": "file",
            }
    return found


async def _range(
    filesystem: Any, bucket: str, prefix: str, after: str | None, last: str | None, page: int
) -> list[dict[str, Any]]:
    """The objects under `prefix` after the key `after` (from the start: None) up to and
    including `last` (to the end: None), page by page."""
    request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page}
    request.update(getattr(filesystem, "req_kw", None) or {})
    if after is not None:
        request["StartAfter"] = after
    objects: list[dict[str, Any]] = []
    while True:
        answer = await filesystem._call_s3("list_objects_v2", **request)
        contents = answer.get("Contents", [])
        objects += [entry for entry in contents if last is None or entry["Key"] <= last]
        if not answer.get("IsTruncated"):
            return objects
        if last is not None and contents and contents[-1]["Key"] >= last:
            return objects
        request["ContinuationToken"] = answer["NextContinuationToken"]
