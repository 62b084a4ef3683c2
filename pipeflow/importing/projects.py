"""The project folders step modules import from: put on sys.path, their old modules forgotten.

A long-lived process (a notebook, `serve`) keeps a step module in `sys.modules` after a run.
If the user then edits it, the next run's code fingerprint (read from source) sees the edit,
so the step runs: it must run the edited code, not the function imported before, or the old
code's value would be stored under the new code's key and served to every later run. So each
run starts with `refresh_projects()`:

1. each project module imported so far (a `.py` file under a folder `use_project` or
   `add_project` put on the path; never an installed package, never pipeflow) is remembered
   with the size, mtime and ctime its file had when pipeflow first saw it imported
   (`import_module` calls `remember_imported()` after each import);
2. if a file differs now (or, for a module imported without pipeflow seeing it, such as a
   step's own `import` inside its function, was written since pipeflow last looked), every
   project module is forgotten, so the run imports them afresh, each in the order its
   imports need, and none imported before can hold on to an old one;
3. with no edit nothing is forgotten: a stat per project module is all it costs.

Source outside the project that no installer copied (a library on PYTHONPATH, a checkout
installed with `pip install -e`) counts in code fingerprints by its source too
(`cache/module_kinds.py`), so its modules are watched the same way: when one of its files
changed, its package is forgotten with the project's modules (which may hold its objects);
another such package, unchanged, is kept.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import time
from pathlib import Path

from pipeflow.importing.locate import interpreter_paths
from pipeflow.importing.shadows import keep_standard


def use_project(project_dir: str) -> None:
    """Put a project folder first on sys.path, forgetting modules imported by earlier loads.

    Two projects may both have a `steps` package (tests copy the example around), and a
    project's code may have changed since it was imported: step modules are imported afresh.
    """
    project_dir = str(Path(project_dir).resolve())
    local = _top_level_names(project_dir) - {"pipeflow"}
    for name in [
        n for n in list(sys.modules) if n.split(".")[0] in local and _forgettable(n, project_dir)
    ]:
        # Also the project's own modules: a long-lived process (tests, `serve`, the UI) must
        # run the code as it is now, the code the cache keys were computed from.
        del sys.modules[name]
        _STAMPS.pop(name, None)
    _looked[:] = [time.time_ns(), -1]  # what is imported from now on is the files as now
    _SWEPT_MEMO[0] = None
    if project_dir in sys.path:
        sys.path.remove(project_dir)
    keep_standard(project_dir)  # before the folder is on the path
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
    for name in [
        n for n in list(sys.modules) if n.split(".")[0] in local and _forgettable(n, project_dir)
    ]:
        del sys.modules[name]
        _STAMPS.pop(name, None)
    _looked[:] = [time.time_ns(), -1]  # what is imported from now on is the files as now
    _SWEPT_MEMO[0] = None
    if project_dir in sys.path:
        sys.path.remove(project_dir)
    keep_standard(project_dir)  # before the folder is on the path
    last = max((sys.path.index(p) for p in _PROJECTS if p in sys.path), default=-1)
    sys.path.insert(last + 1, project_dir)
    _PROJECTS.append(project_dir)
    importlib.invalidate_caches()


def _forgettable(name: str, project_dir: str) -> bool:
    """Whether a module named like a file of the project is forgotten as the project is
    used: a project's module is, but not Python's own or an installed one (`json`, `re`,
    `typing`, `numpy`) that a project file happens to be named like (`json.py`). Pipeflow
    and the libraries loaded with it use that module: imported again from the project's
    file, it would stand in for it, and they would fail far from the cause ("module 'json'
    has no attribute 'dumps'"). A step's `import json` gets Python's module then."""
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    if not isinstance(file, str):
        origin = getattr(getattr(module, "__spec__", None), "origin", None)
        return origin not in ("built-in", "frozen")  # else a namespace package: a folder
    return file.startswith(project_dir + os.sep) or not file.startswith(_installed_folders())


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


# -- modules whose files changed since they were imported -------------------------------------

Stamp = tuple[int, int, int]  # a file's mtime_ns, size and ctime_ns

_STAMPS: dict[str, tuple[int, str, Stamp | None]] = {}  # module -> (id of it, file, stamp)
_FORGOTTEN: set[str] = set()  # modules forgotten because a file of their project changed
_looked = [0, -1]  # when sys.modules was last swept (time_ns), and how many modules it held
_SLACK_NS = 50_000_000  # a file's mtime may lag the clock by a scheduler tick or two


def remember_imported() -> None:
    """Remember the file of each project module imported since the last look."""
    if len(sys.modules) == _looked[1]:
        return  # nothing imported since: a step module already loaded, the common case
    for name, module, file in _project_modules():
        known = _STAMPS.get(name)
        if known is None or known[0] != id(module):
            _STAMPS[name] = (id(module), file, _stamp(file))
    _looked[:] = [time.time_ns(), len(sys.modules)]


def refresh_projects() -> list[str]:
    """Forget every project module when a file of one changed since it was imported; the
    modules whose files changed (none: nothing was forgotten)."""
    since = _looked[0] - _SLACK_NS
    changed = []
    found = _project_modules()
    for name, module, file in found:
        now = _stamp(file)
        known = _STAMPS.get(name)
        if known is None or known[0] != id(module):
            # Imported without pipeflow seeing it: changed if its file was written since.
            if now is None or max(now[0], now[2]) >= since:
                changed.append(name)
            else:
                _STAMPS[name] = (id(module), file, now)
        elif known[1:] != (file, now):
            changed.append(name)
    if changed:
        # The project's modules, and each outside package with a changed file.
        outside = {name.partition(".")[0] for name in changed if name in _OUTSIDE}
        for name, _, _ in found:
            if name not in _OUTSIDE or name.partition(".")[0] in outside:
                del sys.modules[name]
                _STAMPS.pop(name, None)
        importlib.invalidate_caches()
        _FORGOTTEN.update(changed)
        _SWEPT_MEMO[0] = None
    _looked[:] = [time.time_ns(), len(sys.modules)]
    return changed


def imported_before(name: str) -> bool:
    """Whether a module (or a package above it) was imported in this process before a file
    of its project changed: importing a module twice is what may fail."""
    parts = name.split(".")
    return any(".".join(parts[: i + 1]) in _FORGOTTEN for i in range(len(parts)))


def _project_modules() -> list[tuple[str, object, str]]:
    """(name, module, source file) of each module in sys.modules from a project folder, or
    from source outside it that no installer copied (those also in `_OUTSIDE`)."""
    if not _PROJECTS:
        return []
    memo = (len(sys.modules), tuple(_PROJECTS))
    if _SWEPT_MEMO[0] == memo:  # nothing imported or forgotten since: look the same ones up
        return [
            (name, module, file)
            for name, file in _SWEPT
            if (module := sys.modules.get(name)) is not None
        ]
    folders = tuple(folder + os.sep for folder in _PROJECTS)
    installed = _installed_folders()
    found: list[tuple[str, object, str]] = []
    _OUTSIDE.clear()
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if (
            not isinstance(file, str)
            or not file.endswith(".py")
            or name.partition(".")[0] == "pipeflow"
            or name in _RUNNING_SCRIPT
            or f"{os.sep}site-packages{os.sep}" in file  # a `.venv` inside the project
            or f"{os.sep}dist-packages{os.sep}" in file
        ):
            continue
        if file.startswith(folders):
            found.append((name, module, file))
        elif not file.startswith(installed):
            found.append((name, module, file))
            _OUTSIDE.add(name)
    _SWEPT_MEMO[0] = memo
    _SWEPT[:] = [(name, file) for name, _, file in found]
    return found


_OUTSIDE: set[str] = set()  # the modules of the last sweep from source outside the projects


@functools.cache
def _installed_folders() -> tuple[str, ...]:
    """The folders the interpreter imports its own and installed modules from, as written
    and resolved (a module's `__file__` may take either way); they stay as long as the
    process: asked for each module a sweep or a load looks at, found once."""
    import sysconfig

    places = {str(path) for path in interpreter_paths()}
    paths = sysconfig.get_paths()
    places.update(
        paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths
    )
    return tuple(sorted(place.rstrip(os.sep) + os.sep for place in places))


# The script that runs the pipeline (`python run.py` beside the config, `python -m runner`) is
# not a module a step imports: forgetting it would leave the process without `__main__`, which
# multiprocessing needs to start a worker.
_RUNNING_SCRIPT = frozenset({"__main__", "__mp_main__"})

# The last sweep of sys.modules (its length and the project folders), and what it found: a
# sweep of every module costs ~0.3 ms, a run without an edit only the stats of these. A
# module imported while another is dropped, outside pipeflow, could hide from it: pipeflow's
# own drops start a new sweep.
_SWEPT_MEMO: list[tuple[int, tuple[str, ...]] | None] = [None]
_SWEPT: list[tuple[str, str]] = []


def _stamp(file: str) -> Stamp | None:
    try:
        status = os.stat(file)
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size, status.st_ctime_ns)
