"""Relative result paths: normalise them and refuse any that could leave the results root;
file names as long as a disk takes them, and the temporary names written beside them."""

from __future__ import annotations

import re
import uuid
from os import PathLike
from pathlib import Path

# `s3:`, `file:`, `C:`: a leading scheme or drive letter would point outside the results root.
_SCHEME_OR_DRIVE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_CONTROL = re.compile("[\x00-\x1f]")


def relative_path(path: str, *, folder: bool = False) -> str:
    """`path` as a clean relative POSIX path, or ValueError saying why it is not one.

    `./` and doubled slashes collapse; `..`, absolute paths, URLs, drive letters and backslashes
    are refused, so nothing built from a template or a param can escape the results root.
    With `folder=True` the empty path (the root itself) and a trailing `/` are allowed.
    """
    if "\\" in path:
        raise ValueError(f"{path!r} contains a backslash; use `/` to separate folders")
    if _CONTROL.search(path):
        raise ValueError(f"{path!r} contains a control character")
    if path.startswith("/"):
        raise ValueError(f"{path!r} is absolute; results paths are relative to the results root")
    if "://" in path or _SCHEME_OR_DRIVE.match(path):
        raise ValueError(
            f"{path!r} looks like a URL or a drive; results paths are relative to the results root"
        )
    segments = path.split("/")
    if ".." in segments:
        raise ValueError(f"{path!r} contains `..`, which could leave the results root")
    if not folder and path and segments[-1] in ("", "."):
        raise ValueError(f"{path!r} names a folder, not a file")
    kept = [segment for segment in segments if segment not in ("", ".")]
    if not kept and not folder:
        raise ValueError(f"{path!r} is empty once `./` segments are removed")
    return "/".join(kept)


# What to do about a NUL character in a path (the OS refuses it in every file name).
NUL_HINT = "remove it: a `\\0` or `\\u0000` escape in the config, or in a param, puts it there"


def nul_problem(text: str) -> str | None:
    """Why `text`, a path or root the config names, cannot be one: it holds a NUL character."""
    return f"{text!r} contains a NUL character, which no path may hold" if "\x00" in text else None


def unreadable(path: str | PathLike[str]) -> str | None:
    """Why the disk cannot even look `path` up (a name longer than it takes: "File name too
    long"), or None: a path that is missing, or is there, can be looked up."""
    try:
        Path(path).is_dir()
    except OSError as error:
        return error.strerror or str(error)
    return None


MOST_NAME_BYTES = 255  # the longest file or folder name (NAME_MAX) of Linux and macOS disks
_TEMPORARY = ".tmp-"  # then 32 hex digits


def name_bytes(name: str) -> int:
    """The length of a file name on disk, in bytes (UTF-8; a name that is not, as it was read)."""
    return len(name.encode("utf-8", "surrogateescape"))


def too_long(path: str) -> str | None:
    """The first file or folder name of a relative POSIX path longer than a disk takes."""
    return next((part for part in path.split("/") if name_bytes(part) > MOST_NAME_BYTES), None)


def temporary_name(name: str) -> str:
    """A new hidden name beside the file `name` to write it under before it is moved into
    place: `.NAME.tmp-UUID`, with NAME cut so that the whole stays a name the disk takes (a
    file name of 250 bytes is legal; its temporary must be too)."""
    suffix = f"{_TEMPORARY}{uuid.uuid4().hex}"
    room = MOST_NAME_BYTES - 1 - len(suffix)
    kept = name.encode("utf-8", "surrogateescape")[:room].decode("utf-8", "ignore")
    return f".{kept}{suffix}"


_TEMPORARY_NAME = re.compile(r"\.(?P<name>.+)\.tmp-[0-9a-f]{32}", re.DOTALL)


def temporary_of(name: str) -> str | None:
    """The (start of the) name of the file that `temporary_name` made the file name `name`
    for, or None when `name` is none of its temporaries."""
    found = _TEMPORARY_NAME.fullmatch(name)
    return found.group("name") if found else None
