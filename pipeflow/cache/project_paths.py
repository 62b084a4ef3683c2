"""Which strings of a step's inputs name files of the project: existing paths and globs."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from pipeflow.model.locations import is_pattern, looks_like_path

__all__ = ["local_glob", "local_path"]


def local_glob(text: str, project_dir: str) -> str | None:
    """A relative glob (`data/*.csv`) anchored in the project when it matches a file or
    folder there, so that the step finds what its key counted; else None."""
    if not is_pattern(text) or not looks_like_path(text) or os.path.isabs(text):
        return None
    anchored = os.path.join(project_dir, text)
    return anchored if next(glob.iglob(anchored, recursive=True), None) is not None else None


def local_path(text: str, project_dir: str) -> Path | None:
    """The existing file or folder a string names, relative paths against the project.

    Only strings that look like paths count (a separator, or a name with an extension), so
    a label such as `data` is not taken for the folder of that name.
    """
    if not looks_like_path(text):
        return None
    candidate = Path(text)
    if not candidate.is_absolute():
        candidate = Path(project_dir) / candidate
    try:
        return candidate if candidate.exists() else None
    except OSError:
        return None
