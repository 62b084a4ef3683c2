"""Relative result paths: normalise them and refuse any that could leave the results root."""

from __future__ import annotations

import re

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
