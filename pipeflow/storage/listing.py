"""Listing and deleting a store's files: the part of ResultStore that sees a store as a folder.

Object stores answer the same as a local folder: a missing prefix lists as empty, a missing key
is "missing", and listings are never served from fsspec's listing cache. Unlike fsspec's
`exists()`, nothing here turns a credentials error into "file missing", nor a missing bucket
into "no result": the first "missing" answer of an object store is checked against its bucket.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import datetime
from typing import Any

from pipeflow.storage.access import StoreAccess
from pipeflow.storage.failures import GCS, S3
from pipeflow.storage.filesystems import delete_many, object_modified, object_stamp
from pipeflow.storage.paths import temporary_of
from pipeflow.storage.ranges import ranged

_PARALLEL_DELETES = 8  # objects deleted at once by `delete_files`
_BULK = S3 | GCS  # stores that delete many objects in one request
_GLOB = set("*?[")  # characters fsspec's `rm` takes for a pattern


class StoreListing:
    """What a ResultStore can say about, and delete from, its files, by path."""

    _access: StoreAccess

    def exists(self, path: str) -> bool:
        """Whether a file or folder exists at `path`; errors other than "missing" are raised."""
        filesystem = self._access.open()
        full = self._access.full(path)
        with self._access.errors("check", path):
            try:
                filesystem.info(full)
            except FileNotFoundError:
                self._access.check_bucket("check", path)
                return False
        return True

    def delete(self, path: str) -> None:
        """Remove the file at `path`, or the folder and all under it; missing is not an error."""
        filesystem = self._access.open()
        full = self._access.full(path, action="delete")
        with self._access.errors("delete", path):
            try:
                filesystem.rm(full, recursive=True)
            except FileNotFoundError:
                self._access.check_bucket("delete", path)

    def list(self, prefix: str) -> list[str]:
        """Every file under the folder `prefix` ("" for all), sorted, relative to the root."""
        filesystem = self._access.open()
        full = self._access.full(prefix, folder=True)
        with self._access.errors("list", prefix):
            try:
                found = filesystem.find(full)
            except FileNotFoundError:
                self._access.check_bucket("list", prefix)
                return []
        root = self._access.root
        return sorted(name[len(root) :] for name in found if name.startswith(root))

    def stamps(
        self, prefix: str = "", *, splits: Sequence[str] = ()
    ) -> dict[str, tuple[int, str | None]]:
        """Every file under the folder `prefix` ("" for all): its path relative to the root ->
        (size, stamp), from one listing. The stamp is the object's ETag (S3), md5 (GCS) or
        modification time (local), so a replaced payload shows without being read; None where
        the filesystem gives none (memory://). On S3, `splits` (paths relative to the root,
        every 1,000th of an earlier listing, say) cut the listing into ranges listed at once
        (`ranges.py`): the same files, in fewer round trips one after another."""
        found = self._details(prefix, splits)
        return {path: (int(info.get("size") or 0), object_stamp(info)) for path, info in found}

    def modified(self, prefix: str = "") -> dict[str, tuple[int, datetime | None]]:
        """Every file under the folder `prefix`: its path -> (size, when it was last written,
        None where the filesystem does not say), from one listing (`pipeflow gc`)."""
        found = self._details(prefix)
        return {path: (int(info.get("size") or 0), object_modified(info)) for path, info in found}

    def temporaries(self, folder: str) -> dict[str, tuple[int, datetime | None]]:
        """The files directly in `folder` ("" for the root) that a write interrupted for
        good left (`paths.temporary_name`): path -> (size, when last written). One listing,
        not recursive; a missing folder has none."""
        filesystem = self._access.open()
        full = self._access.full(folder, folder=True)
        root = self._access.root
        with self._access.errors("list", folder):
            try:
                found = filesystem.ls(full, detail=True)
            except (FileNotFoundError, NotADirectoryError):
                return {}
        return {
            info["name"][len(root) :]: (int(info.get("size") or 0), object_modified(info))
            for info in found
            if info["name"].startswith(root)
            and info.get("type", "file") == "file"
            and temporary_of(posixpath.basename(info["name"])) is not None
        }

    def _details(
        self, prefix: str, splits: Sequence[str] = ()
    ) -> Sequence[tuple[str, Mapping[str, Any]]]:
        filesystem = self._access.open()
        full = self._access.full(prefix, folder=True)
        root = self._access.root
        with self._access.errors("list", prefix):
            try:
                found = ranged(filesystem, full, [root + split for split in splits])
                if found is None:
                    found = filesystem.find(full, detail=True)
            except FileNotFoundError:
                self._access.check_bucket("list", prefix)
                return []
        return [
            (name[len(root) :], info)
            for name, info in sorted(found.items())
            if name.startswith(root) and info.get("type", "file") != "directory"
        ]

    def delete_files(self, paths: Iterable[str]) -> None:
        """Remove each file of `paths` (several at once); one already gone is not an error.
        On S3 and GCS many go in one request (their bulk deletes: 1,000 and 100 a request)."""
        filesystem = self._access.open()
        wanted = list(paths)
        if len(wanted) > 1 and self._access.protocol() in _BULK:
            fulls = [self._access.full(path, action="delete") for path in wanted]
            if not any(_GLOB & set(full) for full in fulls):  # fsspec would expand those
                with self._access.errors("delete", wanted[0]):
                    delete_many(filesystem, self._access.protocol(), fulls)
                return

        def remove(path: str) -> None:
            full = self._access.full(path, action="delete")
            with self._access.errors("delete", path), suppress(FileNotFoundError):
                filesystem.rm_file(full)

        with ThreadPoolExecutor(_PARALLEL_DELETES) as pool:
            list(pool.map(remove, wanted))
