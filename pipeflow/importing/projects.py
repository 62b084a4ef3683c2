"""The project folders step modules import from: put on sys.path, their old modules forgotten."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path


def use_project(project_dir: str) -> None:
    """Put a project folder first on sys.path, forgetting modules imported by earlier loads.

    Two projects may both have a `steps` package (tests copy the example around), and a
    project's code may have changed since it was imported: step modules are imported afresh.
    """
    project_dir = str(Path(project_dir).resolve())
    local = _top_level_names(project_dir) - {"pipeflow"}
    for name in [n for n in sys.modules if n.split(".")[0] in local]:
        # Also the project's own modules: a long-lived process (tests, `serve`, the UI) must
        # run the code as it is now, the code the cache keys were computed from.
        del sys.modules[name]
    if project_dir in sys.path:
        sys.path.remove(project_dir)
    sys.path.insert(0, project_dir)
    _PROJECTS[:] = [project_dir]
    importlib.invalidate_caches()


_PROJECTS: list[str] = []  # the folder `use_project` put first, then those `add_project` added


def add_project(project_dir: str) -> None:
    """Put a sub-pipeline's project folder on sys.path after the folders already there.

    The main project's folder stays first: a module name both projects have is the main
    project's module (keep step module names apart across the projects).
    """
    project_dir = str(Path(project_dir).resolve())
    if project_dir in _PROJECTS:
        return
    earlier = set().union(*(_top_level_names(folder) for folder in _PROJECTS))
    local = _top_level_names(project_dir) - earlier - {"pipeflow"}
    for name in [n for n in sys.modules if n.split(".")[0] in local]:
        del sys.modules[name]
    if project_dir in sys.path:
        sys.path.remove(project_dir)
    last = max((sys.path.index(p) for p in _PROJECTS if p in sys.path), default=-1)
    sys.path.insert(last + 1, project_dir)
    _PROJECTS.append(project_dir)
    importlib.invalidate_caches()


def _top_level_names(folder: str) -> set[str]:
    """Names importable from the folder: its .py files and its sub-folders."""
    names: set[str] = set()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return names
    for entry in entries:
        if entry.name.endswith(".py"):
            names.add(entry.name[:-3])
        elif entry.is_dir() and entry.name.isidentifier():
            names.add(entry.name)
    return names
