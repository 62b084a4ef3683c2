"""Where a store may write: inside its root, outside pipeflow's reserved areas (SPEC section 10).

A config names targets and results roots, so it must not be able to write what pipeflow itself
trusts: forged manifests and pickles under a store's `.pipeflow/` (which `pipeflow.read` would
load), the history database, the file-hashes cache, the signing key. The rules:

1. The reserved area of a store is its `.pipeflow/` folder. Only pipeflow's own writes go there
   (manifests, results without a target), naming it once, as their first folder. A target may
   not name a `.pipeflow` folder at any depth: below the root may sit another store's root.
2. A results root may not lie inside a `.pipeflow` folder (`results.root: .pipeflow` would put
   `runs.db` in reach of a target).
3. On the local disk, a path is judged where it really leads: symbolic links are resolved, a
   location outside the real root is refused (a link inside the root is never followed out of
   it, for writes and for reads), and the resolved location is judged again by rules 1 and 2,
   and must not be the history database of `$PIPEFLOW_HOME` or the signing key file.
   A store asks about the folders of its own reserved area once (`known`): one found to be a
   real folder, not a link, is not asked about again by the same store, only what lies below
   it (a result's own name is asked about at every write and read). Only pipeflow writes there,
   so nothing a config names can turn such a folder into a link; any other path is judged
   component by component at every write and read.

Folder names are compared as a case-insensitive filesystem would (and a little more): Unicode
NFKC, case-folded, trailing dots and spaces dropped (Windows drops them). So `.PIPEFLOW/` and
`.pipeflow./` are refused on every system, even where they would be distinct folders: a config
that works on Linux must not become an attack on a Mac. Windows 8.3 short names (`PIPEFL~1`) are
not recognised; pipeflow is not supported on Windows.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Iterable
from contextlib import suppress
from functools import lru_cache

from pipeflow.errors import StorageError
from pipeflow.storage.interpreter import (
    module_place,
    module_place_message,
    python_place,
    python_place_message,
)
from pipeflow.storage.paths import MOST_NAME_BYTES, name_bytes, too_long
from pipeflow.storage.signing import KEY_FILE, key_path

RESERVED = ".pipeflow"
HOME_ENV = "PIPEFLOW_HOME"
HISTORY_NAME = "runs.db"  # and its -wal, -shm and -journal companions


class BoundaryError(ValueError):
    """A path would write where a store must not; the message says where and what to do."""


@lru_cache(maxsize=4096)  # the same few folder names, over and over
def fold(name: str) -> str:
    """A folder or file name as a case-insensitive filesystem might compare it."""
    return unicodedata.normalize("NFKC", name).casefold().rstrip(". ")


def _is_reserved(segment: str) -> bool:
    return fold(segment) == RESERVED


def check_relative(path: str, *, internal: bool = False) -> None:
    """Rule 1 for a clean relative path: BoundaryError when it names a reserved folder where it
    may not. `internal` allows pipeflow's own writes, which start with `.pipeflow/`."""
    segments = path.split("/")
    if internal and segments[0] == RESERVED:
        segments = segments[1:]
    rest = "/".join(segments)
    if rest.isascii() and "pipeflow" not in rest.lower():
        return  # for ASCII, `fold` is `lower` and drops only dots and spaces: none can be
    reserved = [segment for segment in segments if _is_reserved(segment)]
    if reserved:
        raise BoundaryError(
            f"`{path}` lands in `.pipeflow/`{_spelled(reserved[0])}, the reserved area where "
            "pipeflow keeps its manifests, cached results and history; a target may not write "
            "there (names are compared without regard to case). Choose a target outside "
            "`.pipeflow/`."
        )


def check_root(root: str) -> None:
    """Rule 2: BoundaryError when a results root lies inside a `.pipeflow` folder."""
    inside = _reserved_segment(root)
    if inside is not None:
        raise BoundaryError(
            f"the results root {root} lies inside `.pipeflow/`{_spelled(inside)}, the folder "
            "where pipeflow keeps its manifests, caches and history. Point `results.root` "
            "(or a step's `result.root`, or `--results`) at another folder."
        )


def check_folder(root: str) -> None:
    """BoundaryError when the local results root `root` (a real path) can be no folder: it,
    or the nearest of its parents that exists, is a file (`/dev/null/x`, `data.csv/out`).
    Checked once, before a run: a root that does not exist yet is made by its first write."""
    there = root
    while not os.path.lexists(there) and os.path.dirname(there) != there:
        there = os.path.dirname(there)
    if os.path.lexists(there) and not os.path.isdir(there):
        raise BoundaryError(
            f"the results root {root} can be no folder: {there} is a file. Point "
            "`results.root` (or a step's `result.root`, or `--results`) at a folder."
        )


@lru_cache(maxsize=64)  # a store's root is checked at every write: the same few roots
def _reserved_segment(root: str) -> str | None:
    segments = root.replace("\\", "/").split("/")
    return next((segment for segment in segments if _is_reserved(segment)), None)


def _spelled(segment: str) -> str:
    return "" if segment == RESERVED else f" (spelled `{segment}`)"


def resolve_local(
    root: str,
    relative: str,
    *,
    action: str = "write",
    real_root: str | None = None,
    known: set[str] | None = None,
) -> str:
    """Where `relative` under the local folder `root` really leads, with every symbolic link
    resolved; BoundaryError when that is outside the real root. `real_root`, when the caller
    knows it, is `root` resolved; `known`, the folders below it already found to be real
    folders (rule 3), added to as more are found."""
    return _resolve_in(real_root or os.path.realpath(root), relative, action, known)


def _resolve_in(real_root: str, relative: str, action: str, known: set[str] | None) -> str:
    if not relative:
        return real_root
    real = _resolve_below(real_root, relative, known)
    if real == os.path.join(real_root, relative):
        return real  # no link on the way: inside
    if real != real_root and os.path.commonpath([real_root, real]) != real_root:
        raise BoundaryError(
            f"cannot {action} `{relative}`: it leads to {real}, outside the results store "
            f"{real_root} (a symbolic link inside the store points out of it). pipeflow does "
            "not follow links out of the results root: remove the link, or make the folder it "
            "points to the results root."
        )
    return real


def _resolve_below(real_root: str, relative: str, known: set[str] | None = None) -> str:
    """`os.path.realpath(real_root + "/" + relative)` for a clean relative path under a root
    that is already real, asking only about the components below the root (one `lstat` each,
    where realpath asks about every component from `/` again), and below the deepest of its
    folders in `known` (real folders found before; those found now are added); any link found
    hands the whole path to realpath."""
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return os.path.realpath(os.path.join(real_root, relative))
    start, current = _known_folder(real_root, relative, known)
    last = len(parts) - 1
    for index in range(start, len(parts)):
        # `os.path.join` of a folder without a trailing "/" (only "/" itself has one).
        current = f"{current.rstrip('/')}/{parts[index]}"
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            # Missing (as realpath, the rest is taken as written): nothing below can be a link.
            return os.path.join(current, *parts[index + 1 :])
        if stat.S_ISLNK(mode):
            return os.path.realpath(os.path.join(current, *parts[index + 1 :]))
        if known is not None and index < last and stat.S_ISDIR(mode):
            known.add("/".join(parts[: index + 1]))
    return current


def _known_folder(real_root: str, relative: str, known: set[str] | None) -> tuple[int, str]:
    """How many components of `relative` lie in its deepest folder in `known`, and that
    folder's real path (0 and the root when none is known)."""
    if known:
        folder = relative
        while (cut := folder.rfind("/")) > 0:
            folder = folder[:cut]
            if folder in known:
                return folder.count("/") + 1, os.path.join(real_root, folder)
    return 0, real_root


def check_local(
    root: str,
    relative: str,
    *,
    internal: bool = False,
    real_root: str | None = None,
    known: set[str] | None = None,
    protected: tuple[str, ...] = (),
) -> str:
    """Rules 1 to 3 for a write to `relative` under the local folder `root`; the real path to
    write to, or BoundaryError. `real_root`, when the caller knows it, is `root` resolved: the
    write must then go to the path returned, which was judged from it. `known`: as for
    `resolve_local`. `protected`: the config files of the run, which no write may replace."""
    if real_root is None:
        real_root = os.path.realpath(root)
    real = _resolve_in(real_root, relative, "write", known)
    check_root(real_root)
    if real == os.path.join(real_root, relative):
        inside = relative  # no link on the way
    else:
        inside = os.path.relpath(real, real_root).replace(os.sep, "/")
    check_relative(inside, internal=internal)
    long = too_long(relative)
    if long is not None:
        which = "" if long == relative else f" (`{_cut(long)}`)"
        raise BoundaryError(
            f"`{_cut(relative)}` has a file or folder name of {name_bytes(long)} bytes{which}, "
            f"longer than the {MOST_NAME_BYTES} a disk takes: shorten the `target` (or the "
            "param or `foreach` item it is made from)"
        )
    _check_protected(real, relative)
    if protected and not internal:
        _check_configs(real, relative, protected)
    place = python_place(real, real_root)
    if place is not None:
        raise BoundaryError(python_place_message(f"`{relative}`", place))
    if not internal:  # pipeflow's own files have no module's name, and are never imported
        place = module_place(real, real_root)
        if place is not None:
            raise BoundaryError(module_place_message(f"`{relative}`", place))
    return real


def _cut(text: str) -> str:
    """A long name as a message shows it."""
    return text if len(text) <= 60 else f"{text[:40]}...{text[-12:]}"


def protected_files() -> list[tuple[str, str]]:
    """(path, what it is) of the files outside any store that no write may replace; a name
    also covers its companions (`runs.db-wal`, `signing.key.tmp-...`)."""
    found: list[tuple[str, str]] = []
    with suppress(StorageError):  # no home folder: then there is no key file to protect
        found.append((str(key_path()), "signing key (it vouches for stored pickles)"))
    home = os.environ.get(HOME_ENV)
    if home:
        history = os.path.join(os.path.abspath(os.path.expanduser(home)), HISTORY_NAME)
        found.append((history, "history database ($PIPEFLOW_HOME)"))
    return found


# The names `protected_files` gives, as `fold` spells them: a write whose name starts with
# neither cannot replace a protected file, and is let through without finding where they are.
_PROTECTED_NAMES = (fold(KEY_FILE), fold(HISTORY_NAME))


def _check_protected(real: str, relative: str) -> None:
    written = fold(os.path.basename(real))
    if not written.startswith(_PROTECTED_NAMES):
        return
    for path, what in protected_files():
        folder, name = os.path.split(path)
        # The name first: it rules out nearly every write without asking the filesystem.
        if written.startswith(fold(name)) and _same_folder(os.path.dirname(real), folder):
            raise BoundaryError(
                f"`{relative}` would overwrite pipeflow's {what} at {path}. Choose another "
                "target or results root."
            )


def _check_configs(real: str, relative: str, configs: tuple[str, ...]) -> None:
    """BoundaryError when the write to the real path `real` would replace one of `configs`:
    the next run would read the step's value as the pipeline."""
    written = fold(os.path.basename(real))
    for config in configs:
        folder, name = os.path.split(config)
        if written == fold(name) and _same_folder(os.path.dirname(real), folder):
            raise BoundaryError(
                f"`{relative}` would overwrite the config {config}, which this run loaded: "
                "the next run would read the step's value as the pipeline. Choose another "
                "target or results root."
            )


def _same_folder(one: str, other: str) -> bool:
    def parts(path: str) -> Iterable[str]:
        return (fold(part) for part in os.path.realpath(path).split(os.sep))

    return list(parts(one)) == list(parts(other))
