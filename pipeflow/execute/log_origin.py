"""Which log records a step's work makes are its output: its own, and a library's only as
Python would show them without pipeflow.

To show what steps log at INFO, a capturing run lowers the root logger to INFO while it runs
(Python's default is WARNING). That lets every library's INFO records through too: botocore's
"Found credentials in environment variables." each time a step's results store opens an S3
client, gcsfs's and fsspec's chatter. A record of an installed package or of the standard
library, below the level the root logger had before it was lowered, is therefore not a step's
output unless a logger on its way to the root has a level set (the user asked for it:
`logging.getLogger("botocore").setLevel(logging.INFO)`). A record of any other logger (the
root logger, `__main__`, a project module's, a name of the user's own) is the step's.
"""

from __future__ import annotations

import contextlib
import logging
import site
import sys
import sysconfig
from functools import cache
from pathlib import Path

from pipeflow.importing.locate import top_level_spec


def is_step_output(record: logging.LogRecord, lowered_from: int | None) -> bool:
    """Whether a record logged by a step's work is shown as its output. `lowered_from` is the
    root logger's level before the run lowered it to INFO, None when it was not lowered."""
    if lowered_from is None or record.levelno >= lowered_from:
        return True  # the root logger's own level lets it through
    node: logging.Logger | None = logging.getLogger(record.name)
    while node is not None and node.parent is not None:  # up to the root, not including it
        if node.level != logging.NOTSET:
            return True  # a level set for it or a package above it
        node = node.parent
    return not is_library(record.name)


def is_library(logger_name: str) -> bool:
    """Whether a logger belongs to an installed package or the standard library: its top
    name is a module (imported or not; nothing is imported to tell) whose files are under
    site-packages or the standard library."""
    if logger_name in ("root", "__main__"):
        return False
    top = logger_name.split(".")[0]
    module = sys.modules.get(top)
    if module is not None:
        file = getattr(module, "__file__", None)
        locations = tuple(getattr(module, "__path__", ()))
    else:  # named after a package not imported (yet): found as the import system would
        spec = top_level_spec(top) if top.isidentifier() else None
        if spec is None:
            return False  # a name of the user's own, not a module
        file = spec.origin if spec.has_location else None
        locations = tuple(spec.submodule_search_locations or ())
        if file is None and not locations:
            return spec.origin in ("built-in", "frozen")
    return _installed(top, file, locations)


@cache
def _installed(top: str, file: str | None, locations: tuple[str, ...]) -> bool:
    del top  # in the cache key only
    places = [file] if file else list(locations)
    if not places:
        return True  # a module built into the interpreter
    return any(_under_installed(Path(place)) for place in places)


def _under_installed(path: Path) -> bool:
    try:
        resolved = path.resolve()
    except OSError:
        return False
    return any(resolved.is_relative_to(folder) for folder in _installed_folders())


@cache
def _installed_folders() -> tuple[Path, ...]:
    paths = sysconfig.get_paths()
    found = [paths.get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")]
    with contextlib.suppress(AttributeError):  # an old virtualenv's `site` has none
        found += site.getsitepackages()
    found.append(site.getusersitepackages())
    folders = []
    for folder in found:
        if folder:
            try:
                folders.append(Path(folder).resolve())
            except OSError:
                continue
    return tuple(dict.fromkeys(folders))
