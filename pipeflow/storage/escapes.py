"""Paths of the project that lead out of it through a symbolic link: never deleted or written.

A step's declared writes inside the project folder are cleared before it runs and restored
from the store; a folder of them that is (or became: a link committed in a pull request) a
symbolic link to a folder elsewhere would have pipeflow delete and write files out there. So
before any delete or write in the workspace, the place is judged where it really leads: a
path spelled inside the project whose real location (links resolved, the part that does not
exist yet as spelled) is not inside the project's real folder is refused. A path spelled
outside the project (a write under a local results root) is not judged here.
"""

from __future__ import annotations

import os

from pipeflow.errors import StorageError


def escape(path: str, project: str) -> str | None:
    """Where `path` really leads when it is spelled inside `project` but leads out of it
    through a symbolic link; None otherwise (URLs included)."""
    if not project or "://" in path:
        return None
    spelled = os.path.abspath(path)
    base = os.path.abspath(project)
    if not _within(spelled, base):
        return None
    real = os.path.realpath(spelled)
    return None if _within(real, os.path.realpath(base)) else real


def escape_message(path: str, real: str) -> str:
    """Why pipeflow will not delete or write at `path`, and what to do."""
    return (
        f"{path} leads out of the project folder through a symbolic link (to {real}): "
        "pipeflow never deletes or writes files there. Replace the link with a folder of "
        "the project, or declare a write that is not a link"
    )


def check_inside(paths: list[str], project: str) -> None:
    """StorageError for the first of `paths` that leads out of `project` (see `escape`)."""
    for path in paths:
        real = escape(path, project)
        if real is not None:
            raise StorageError(escape_message(path, real))


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
