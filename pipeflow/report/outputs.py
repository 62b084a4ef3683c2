"""The files and folders that options name as outputs: checked before any work starts, and
written whole.

`run --json/--junit`, `graph -o`, `schedule --export -o` and `init DIR` write where the user
says: a path that cannot be written is a usage error (exit 2) at once, not a traceback after
the whole run. Nothing is created by the check: write access to a folder is probed with an
unnamed temporary file, which leaves nothing behind.

A regular file is replaced whole (a temporary file beside it, then a rename), through a
symbolic link to it, which stays a link. What is not a regular file (`/dev/stdout`, a named
pipe, `>(jq .)`'s `/dev/fd/63`, a terminal) is written in place: replacing it would put a plain
file where the device or pipe was, and opening it to check it would hang on a pipe with no
reader or end the reader's input early. A write that fails (a full disk) is an
`OutputError` naming the path, never a traceback.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pipeflow.errors import PipeflowError, UsageError
from pipeflow.storage.paths import unreadable


class OutputError(PipeflowError):
    """A file an option names (`--json`, `--junit`, `-o`) could not be written."""


def check_output_file(
    path: str | os.PathLike[str] | None,
    option: str,
    *,
    config: str | os.PathLike[str] | None = None,
) -> None:
    """Raise UsageError unless `path` (or `-`, stdout) can be written as a file, and is not
    `config`, the config the command reads (`--json pipeline.yaml` would replace it)."""
    if path is None or os.fspath(path) == "-":
        return
    target = Path(path)
    shown = f"{option} {os.fspath(path)}"
    _look_up(target, shown)
    if config is not None and _same_file(target, Path(config)):
        raise UsageError(
            f"{shown}: that is the config `{os.fspath(config)}`; writing there would replace it",
            hint="give another file name",
        )
    if target.is_dir():
        raise UsageError(f"{shown}: that is a folder", hint="give a file name inside it")
    if target.exists() and not target.is_file():  # a device or a pipe: not opened now
        if not os.access(target, os.W_OK):
            raise UsageError(
                f"{shown}: cannot write to it (permission denied)",
                hint="choose another path, or fix its permissions",
            )
        return
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
    """Write `content` to `path`, making its missing folders: a regular file is replaced
    whole through a temporary file beside it, never left half-written; a device or a pipe is
    written in place. OutputError when it cannot be written."""
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    target = Path(path)
    try:
        if target.exists() and not target.is_file():
            with target.open("wb") as stream:
                stream.write(data)
            return
        target = Path(os.path.realpath(target))  # through a link: the link stays
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        try:
            partial.write_bytes(data)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
    except OSError as error:
        raise OutputError(f"cannot write {os.fspath(path)} ({_reason(error)})") from None


def check_output_folder(path: str | os.PathLike[str], option: str) -> None:
    """Raise UsageError unless `path` is a folder that exists or can be created, writable."""
    target = Path(path)
    shown = f"{option} {os.fspath(path)}".strip()
    _look_up(target, shown)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{shown}: that is a file, not a folder", hint="give a folder")
    if target.is_dir():
        _probe(target, shown)
        return
    _check_folder_for(target, shown)


def _look_up(target: Path, shown: str) -> None:
    """UsageError when the disk cannot even look `target` up (a name longer than it takes)."""
    why = unreadable(target)
    if why is not None:
        raise UsageError(f"{shown}: {why.lower()}", hint="choose a shorter name")


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


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.samefile(other)
    except OSError:  # one of them does not exist (yet)
        return os.path.realpath(one) == os.path.realpath(other)


def _reason(error: OSError) -> str:
    return (error.strerror or str(error)).lower()
