"""A local results store's files through `os` directly: what ResultStore asks of fsspec's
`LocalFileSystem`, answered the same way, without importing fsspec or going through its layers.

Importing fsspec and opening its local filesystem costs a CLI run some 40 ms, and each call
through it normalises the path again; a local store's hot path (one listing, a manifest read per
cached step, a payload and a manifest written per stored step) needs none of that. Only the
operations the store uses are here (`info`, `find`, `ls`, `cat_file`, `open`, `rm`, `rm_file`,
`makedirs`), each giving what fsspec's gives for the same call: the same names, the same info
fields, the same answer for a missing path, a folder, a symbolic link (tests/storage run each
operation through both and compare). A local root with storage options, or any other URL,
still opens through fsspec (`filesystems.py`).
"""

from __future__ import annotations

import os
import shutil
import stat
from typing import IO, Any

ROOT_MARKER = "/"


def is_plain_local(url: str) -> bool:
    """Whether `url` is a local path (or a `file://` URL) that fsspec would open as its local
    filesystem with nothing in between: no other protocol, no chained `::` URL."""
    if "::" in url:
        return False
    if url.startswith("file://"):
        return True
    return "://" not in url and not url.startswith(("file:", "local:"))


def local_path(url: str) -> str:
    """The absolute POSIX form fsspec gives a local path or `file://` URL (`make_path_posix`:
    joined to the working folder, `~` expanded, nothing else normalised), no trailing "/"."""
    path = url.removeprefix("file://")
    if path.startswith("/"):
        pass
    elif path.startswith("~"):
        path = os.path.expanduser(path)
    else:
        if path.startswith("./"):
            path = path[2:]
        elif path == ".":
            path = ""
        path = f"{os.getcwd()}/{path}"
    return path.rstrip("/") or ROOT_MARKER


class LocalFiles:
    """The local disk, for a ResultStore: paths are absolute POSIX paths, as `StoreAccess.full`
    makes them (a trailing "/" is dropped, as fsspec drops it)."""

    root_marker = ROOT_MARKER
    protocol = ("file", "local")

    def info(self, path: str) -> dict[str, Any]:
        """fsspec's `info`: FileNotFoundError when missing; a link is followed for its type and
        size, and says where it points."""
        path = _clean(path)
        found = os.stat(path, follow_symlinks=False)
        link = stat.S_ISLNK(found.st_mode)
        if link:
            found = os.stat(path, follow_symlinks=True)
        return _info(path, found, _kind(found.st_mode), found.st_size, link)

    def find(self, path: str, *, detail: bool = False) -> Any:
        """Every file below the folder `path` (not the folders; a link to a folder is listed,
        not entered), sorted by name: names, or name -> info with `detail`. A missing path
        lists as empty; a file lists as itself."""
        path = _clean(path)
        found: dict[str, dict[str, Any]] = {}
        try:
            top = self.info(path)
        except OSError:
            return {} if detail else []
        if top["type"] != "directory":
            found[path] = top
        else:
            self._walk(path, found)
        names = sorted(found)
        return {name: found[name] for name in names} if detail else names

    def _walk(self, folder: str, found: dict[str, dict[str, Any]]) -> None:
        folders: list[str] = []
        try:
            entries = os.scandir(folder)
        except OSError:
            return  # as fsspec's walk: a folder that cannot be listed is left out
        with entries:
            for entry in entries:
                try:
                    info = _entry_info(entry)
                except FileNotFoundError:
                    continue  # removed while listed
                if info["type"] == "directory":
                    folders.append(info["name"])
                else:
                    found[info["name"]] = info
        for below in folders:
            self._walk(below, found)

    def ls(self, path: str, detail: bool = False) -> list[Any]:
        """The entries directly in the folder `path` (a file: itself), in the disk's order:
        names, or infos with `detail`. FileNotFoundError when missing."""
        path = _clean(path)
        top = self.info(path)
        if top["type"] != "directory":
            return [top if detail else top["name"]]
        found: list[Any] = []
        with os.scandir(path) as entries:
            for entry in entries:
                try:
                    info = _entry_info(entry)
                except FileNotFoundError:
                    continue  # removed while listed
                found.append(info if detail else info["name"])
        return found

    def cat_file(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        """The whole file (from `start`, up to `end`)."""
        with open(_clean(path), "rb") as file:
            if start:
                file.seek(start)
            return file.read() if end is None else file.read(max(0, end - (start or 0)))

    def open(self, path: str, mode: str = "rb") -> IO[bytes]:
        if mode not in ("rb", "wb"):
            raise ValueError(f"unsupported mode {mode!r}")
        return open(_clean(path), mode)

    def rm(self, path: str, recursive: bool = False) -> None:
        """Remove a file, or with `recursive` a folder and all under it (a link to a folder is
        removed as a link)."""
        path = _clean(path)
        if os.path.isdir(path) and not os.path.islink(path):
            if not recursive:
                raise ValueError("Cannot delete directory, set recursive=True")
            if os.path.abspath(path) == os.getcwd():
                raise ValueError("Cannot delete current working directory")
            shutil.rmtree(path)
        else:
            os.remove(path)

    def rm_file(self, path: str) -> None:
        os.remove(_clean(path))

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        os.makedirs(_clean(path), exist_ok=exist_ok)


def _clean(path: str) -> str:
    return path.rstrip("/") or ROOT_MARKER


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "directory"
    return "file" if stat.S_ISREG(mode) else "other"


def _entry_info(entry: os.DirEntry[str]) -> dict[str, Any]:
    """fsspec's info of a folder entry: its type as the entry itself is (a link is "other"),
    the size of what a link points to (0 when it points nowhere)."""
    found = entry.stat(follow_symlinks=False)
    link = entry.is_symlink()
    if entry.is_dir(follow_symlinks=False):
        kind = "directory"
    elif entry.is_file(follow_symlinks=False):
        kind = "file"
    else:
        kind = "other"
    size = found.st_size
    if link:
        try:
            size = entry.stat(follow_symlinks=True).st_size
        except OSError:
            size = 0
    return _info(entry.path, found, kind, size, link)


def _info(path: str, found: os.stat_result, kind: str, size: int, link: bool) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": path,
        "size": size,
        "type": kind,
        "created": getattr(found, "st_birthtime", found.st_ctime),
        "islink": link,
        "mode": found.st_mode,
        "uid": found.st_uid,
        "gid": found.st_gid,
        "mtime": found.st_mtime,
        "ino": found.st_ino,
        "nlink": found.st_nlink,
    }
    if link:
        info["destination"] = os.readlink(path)
    return info
