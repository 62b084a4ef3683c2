"""What an attempt of a step wrote into its local declared writes, told from what was there.

Before a step's first attempt, on the machine where it runs (after the clean-up of
`clearing.py`), the files and folders its local declared writes hold are noted (`present`):
what the step finds there is not its output (put there by hand, or read by it). Then:

- after an attempt that fails (before a retry, and after the last one), and after a call
  that returned but whose step fails all the same (a declared write missing, parts that do not
  match `outputs:`), every file and folder the attempt added is removed (`clear_attempt`), so
  that the next attempt, and the next run, start from what was there, and no half-written
  file is stored with another version; a file that was there stays, even one the attempt
  changed;
- after a step that succeeds, each file that was there and is unchanged (size and
  modification time) is marked `kept` in its manifest (`mark_kept`): it is stored and restored
  with the version, but `clearing.py` never removes it as the step's output.

A URL write is noted by the objects under it (one listing), and what a failed attempt added
there is deleted the same way; one whose listing failed before the attempt is left alone
(nothing tells what the attempt added). `mark_kept` looks at local writes only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import replace

from pipeflow.storage.blobs import WriteSpec
from pipeflow.storage.escapes import escape
from pipeflow.storage.remote import open_url
from pipeflow.storage.written import WrittenFiles

# path -> (size, mtime_ns) of a file; None: a folder, or an object under a URL write
Present = dict[str, tuple[int, int] | None]
_UNLISTED = "\0unlisted"  # after a URL write's location: its objects could not be listed


def present(writes: Sequence[WriteSpec]) -> Present:
    """The files and folders of the `writes` as they are now (the objects of a URL's)."""
    found: Present = {}
    for write in writes:
        if "://" in write.location:
            try:
                found.update(dict.fromkeys(_objects(write)))
            except Exception:  # unreachable now: the step will say so, if it needs it
                found[write.location + _UNLISTED] = None
            continue
        if os.path.isfile(write.location):
            found[write.location] = _stamp(write.location)
        elif os.path.isdir(write.location):
            for folder, folders, names in os.walk(write.location):
                found[folder] = None
                found.update({os.path.join(folder, name): None for name in folders})
                for name in names:
                    path = os.path.join(folder, name)
                    found[path] = _stamp(path)
    return found


def clear_attempt(writes: Sequence[WriteSpec], before: Present, project: str = "") -> None:
    """Remove what a failed attempt added to the `writes` (see the module's docstring); a
    write the step made lead out of `project` through a symbolic link is left as it is:
    nothing is removed through it (`storage/escapes.py`)."""
    for write in writes:
        if escape(write.location, project) is not None:
            continue
        if "://" in write.location:
            if write.location + _UNLISTED not in before:
                with suppress(Exception):  # a store that fails now: nothing more to do
                    _clear_objects(write, before)
            continue
        root = write.location
        if os.path.isfile(root) or os.path.islink(root):
            if root not in before:
                with suppress(OSError):
                    os.remove(root)
            continue
        if not os.path.isdir(root):
            continue
        for folder, folders, names in os.walk(root, topdown=False):
            for name in names:
                path = os.path.join(folder, name)
                if path not in before:
                    with suppress(OSError):
                        os.remove(path)
            for name in folders:
                path = os.path.join(folder, name)
                if path not in before and not os.path.islink(path):
                    with suppress(OSError):
                        os.rmdir(path)  # only when it is empty now
        if root not in before:
            with suppress(OSError):
                os.rmdir(root)


def mark_kept(
    files: Mapping[str, WrittenFiles], writes: Sequence[WriteSpec], before: Present
) -> dict[str, WrittenFiles]:
    """`files` (a snapshot of `writes`) with each entry that was there unchanged marked kept."""
    if not before:
        return dict(files)
    places = {write.label: write.location for write in writes if "://" not in write.location}
    marked: dict[str, WrittenFiles] = {}
    for label, written in files.items():
        base = places.get(label)
        if base is None:
            marked[label] = written
            continue
        entries = {}
        for name, entry in written.entries.items():
            path = os.path.join(base, name) if name else base
            stamp = before.get(path)
            unchanged = stamp is not None and _stamp(path) == stamp
            entries[name] = replace(entry, kept=True) if unchanged else entry
        marked[label] = WrittenFiles(written.kind, entries)
    return marked


def _objects(write: WriteSpec) -> list[str]:
    """The URLs of the objects under a URL write (itself, when it is one)."""
    filesystem, path = open_url(write.location, write.storage_options)
    scheme = write.location.split("://", 1)[0] + "://"
    try:
        names = filesystem.find(path)
    except FileNotFoundError:
        return []
    return [scheme + name.lstrip("/") for name in names]


def _clear_objects(write: WriteSpec, before: Present) -> None:
    added = [url for url in _objects(write) if url not in before]
    if added:
        filesystem, _ = open_url(write.location, write.storage_options)
        filesystem.rm(added)


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns
