"""What a step's key was computed from, checked again before its result is stored.

A key stands for the code and the local files it was computed from. When one of them changes
while the step runs (an edit, another run of the same pipeline writing the file the step
reads), the step may have used either version, and storing its value under the key would
serve it to every later run with the files as they were. So the step fails instead, naming
the file, and stores nothing; the next run computes its key afresh.

The check costs one `stat` per file and folder the key was computed from, none re-hashed:
a file counts as changed when its size, modification time, ctime or inode differ from those
it had when it was hashed (`FileStamp`, taken by `cache/files.py`). A folder's own stamp
changes when a file is added to or removed from it. Object-store inputs are not checked:
their fingerprint is a listing's size and ETag, which would cost a request per object.

A file the step opens for writing itself (a path input it writes without declaring it in
`writes:`) is its own output, not a change by someone else: `writing` notes, through an audit
hook, the files the calling thread opens for writing while the step runs (Python's `open` and
`os.open`; a library writing from C is not seen).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from pipeflow.cache.source import Source, first_changed

# A local file or folder a key was computed from: (path, size, mtime_ns, ctime_ns, inode) as
# it was hashed (followed through symlinks, as it was read).
FileStamp = tuple[str, int, int, int, int]


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_writing = threading.local()
_hooked: list[bool] = []
_hook_lock = threading.Lock()


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event != "open":
        return
    written: set[str] | None = getattr(_writing, "paths", None)
    if written is None or len(args) < 3:
        return
    path, mode, flags = args[0], args[1], args[2]
    if isinstance(mode, str):
        writes = any(letter in mode for letter in "wax+")
    else:
        writes = isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
    if writes and isinstance(path, str | bytes | os.PathLike):
        written.add(os.path.abspath(os.fsdecode(path)))


@contextmanager
def writing() -> Iterator[set[str]]:
    """The files the calling thread opens for writing while the block runs (absolute)."""
    with _hook_lock:
        if not _hooked:
            sys.addaudithook(_audit)
            _hooked.append(True)
    outer = getattr(_writing, "paths", None)
    written: set[str] = set()
    _writing.paths = written
    try:
        yield written
    finally:
        _writing.paths = outer


def stamp_of(path: str, status: os.stat_result) -> FileStamp:
    return (path, status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


def first_changed_file(stamps: Iterable[FileStamp], own: Iterable[str] = ()) -> str | None:
    """The path of the first file or folder that is no longer as it was hashed, or None;
    `own`: files the step wrote itself (and the folders they are in)."""
    mine = set(own)
    mine |= {os.path.dirname(path) for path in mine}
    for path, *stamp in stamps:
        if path in mine:
            continue
        try:
            status = os.stat(path)
        except OSError:
            return path
        if stamp_of(path, status)[1:] != tuple(stamp):
            return path
    return None


class SourceChanged(Exception):
    """A source file of the step's code changed after its key was computed from it."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path} changed while the run went on, after this step's cache key was computed "
            "from it: the step may have run either version of the code, so its result is not "
            "stored; run again"
        )


class InputChanged(Exception):
    """A local file the step's key was computed from changed while the step ran; `store`:
    the local results store it is, holds or lies in (steps store results there)."""

    def __init__(self, path: str, store: str | None = None, *, inside: bool = False) -> None:
        if store is not None and inside:  # a target in the store (its folder or file)
            super().__init__(
                f"{path} changed while the step ran, after its cache key was computed from "
                f"it: it lies in the results store {store}, where steps store their "
                "`result.target`, and another run of the pipeline (with other params, say) "
                "or a step this one does not wait for stored there meanwhile. The step may "
                "have read either version, so its result is not stored; run again (one run "
                "at a time)"
            )
            return
        if store is not None:
            super().__init__(
                f"{path} changed while the step ran, after its cache key was computed from "
                f"it: it holds the results store {store}, where steps store their "
                "`result.target`, and a step that reads the store or a folder around it "
                "waits only for those whose place there is known before the run. The step "
                "may have read either version, so its result is not stored: give it `after:` "
                "the steps whose results it reads, or read only the folders it needs"
            )
            return
        super().__init__(
            f"{path} changed while the step ran, after its cache key was computed from it "
            "(another run or program wrote it): the step may have read either version, so "
            "its result is not stored; run again (a file the step writes itself belongs in its "
            "`writes:`)"
        )


def changed_since(
    sources: Iterable[Source],
    stamps: Iterable[FileStamp],
    project_dir: str,
    own: set[str],
    stores: Iterable[str] = (),
) -> Exception | None:
    """Why the result of a step whose key was computed from `sources` (code) and `stamps`
    (files) must not be stored, or None when they are all as they were; `own`: the files
    the step wrote itself (`writing`); `stores`: the local results stores of the run."""
    changed = first_changed(sources)
    if changed is not None:
        return SourceChanged(shown(changed, project_dir))
    changed = first_changed_file(stamps, own)
    if changed is None:
        return None
    store = next((s for s in stores if _under(s, changed) or _under(changed, s)), None)
    return InputChanged(
        shown(changed, project_dir),
        shown(store, project_dir) if store is not None else None,
        inside=store is not None and not _under(store, changed),
    )


def _under(path: str, folder: str) -> bool:
    folder = folder.rstrip(os.sep)
    return path == folder or path.startswith(folder + os.sep)


def shown(path: str, project_dir: str) -> str:
    """A file as the user knows it: relative to the project folder when inside it."""
    if not project_dir:
        return path
    try:
        relative = os.path.relpath(path, project_dir)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative
