"""The files and folders that options name as outputs: checked before any work starts, and
written whole.

`run --json/--junit`, `graph -o`, `schedule --export -o` and `init DIR` write where the user
says: a path that cannot be written is a usage error (exit 2) at once, not a traceback after
the whole run. Nothing is created by the check: write access to a folder is probed with an
unnamed temporary file, which leaves nothing behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pipeflow.errors import UsageError


def check_output_file(path: str | os.PathLike[str] | None, option: str) -> None:
    """Raise UsageError unless `path` (or `-`, stdout) can be written as a file."""
    if path is None or os.fspath(path) == "-":
        return
    target = Path(path)
    shown = f"{option} {os.fspath(path)}"
    if target.is_dir():
        raise UsageError(f"{shown}: that is a folder", hint="give a file name inside it")
    if target.exists():
        try:
            with target.open("ab"):  # appending nothing: the file stays as it is
                pass
        except OSError as error:
            raise UsageError(
                f"{shown}: cannot write to it ({_reason(error)})",
                hint="choose another path, or fix the file's permissions",
            ) from None
        return
    _check_folder_for(target, shown)


def write_output(path: str | os.PathLike[str], content: str | bytes) -> None:
    """Write `content` to `path`, making its missing folders, through a temporary file beside
    it: the file is replaced whole, never left half-written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    if isinstance(content, bytes):
        partial.write_bytes(content)
    else:
        partial.write_text(content, encoding="utf-8")
    partial.replace(target)


def check_output_folder(path: str | os.PathLike[str], option: str) -> None:
    """Raise UsageError unless `path` is a folder that exists or can be created, writable."""
    target = Path(path)
    shown = f"{option} {os.fspath(path)}".strip()
    if target.exists() and not target.is_dir():
        raise UsageError(f"{shown}: that is a file, not a folder", hint="give a folder")
    if target.is_dir():
        _probe(target, shown)
        return
    _check_folder_for(target, shown)


def _check_folder_for(target: Path, shown: str) -> None:
    """The nearest folder above `target` that exists must be a folder we can write in."""
    ancestor = target.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(
            f"{shown}: `{ancestor}` is a file, not a folder",
            hint="choose a path whose folders are folders",
        )
    _probe(ancestor, shown)


def _probe(folder: Path, shown: str) -> None:
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise UsageError(
            f"{shown}: cannot create files in `{folder}` ({_reason(error)})",
            hint="choose a folder you can write to",
        ) from None


def _reason(error: OSError) -> str:
    return (error.strerror or str(error)).lower()
