"""Importing a step's module and loading its callable, on the worker and at validation.

An error raised while a step module is imported (a module-level `raise`, an `import` of a
missing package, a NameError) is reported with the user's file and line, and chained, so a
traceback shows the user's code rather than pipeflow's. `load_callable` applies the allow rule
again before it returns anything: the worker never calls what validation would refuse, even
when a config reaches it without validation. What it loaded is remembered per path, project
and allow list, and given again only while the module in `sys.modules` and every object on the
way to the callable are the very ones checked (a `foreach` of a million items loads once).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import threading
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeflow.importing.allow import Rule
from pipeflow.importing.paths import ImportProblem
from pipeflow.importing.projects import imported_before, remember_imported
from pipeflow.records import record


@record
class _Checked:
    """A callable the rule let through, and what it was reached through."""

    module: str
    attributes: tuple[str, ...]
    chain: tuple[Any, ...]  # the module object, then each object the walk reached


_CHECKED: dict[tuple[str, str, tuple[str, ...]], _Checked] = {}
# One import through pipeflow at a time in a process: steps on threads import their modules
# at once after a run forgot the project's (`refresh_projects`), and what pipeflow does
# around an import (the bytecode switch, remembering the files) is not made for two at once.
_IMPORTING = threading.RLock()


def load_callable(
    dotted: str, *, project_dir: str, allow_imports: tuple[str, ...] = ()
) -> Callable[..., Any]:
    """The callable a `run:` path names, if the allow rule lets the config name it."""
    memo = (dotted, project_dir, tuple(allow_imports))
    checked = _CHECKED.get(memo)
    if checked is not None and _unchanged(checked):
        function: Callable[..., Any] = checked.chain[-1]
        return function
    rule = _rule(project_dir, tuple(allow_imports))
    grant = rule.decide(dotted)  # refuses before importing anything refused
    module = import_module(grant.module, project_dir=rule.project_dir)
    function = rule.walk(module, grant)
    chain = _chain(module, grant.attributes)
    if chain is not None and chain[-1] is function and sys.modules.get(grant.module) is module:
        _CHECKED[memo] = _Checked(grant.module, grant.attributes, chain)
    return function


def _chain(module: types.ModuleType, attributes: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The module and each object its attributes lead to; None when one is missing."""
    objects: list[Any] = [module]
    for attribute in attributes:
        try:
            objects.append(getattr(objects[-1], attribute))
        except AttributeError:
            return None
    return tuple(objects)


def _unchanged(checked: _Checked) -> bool:
    module = sys.modules.get(checked.module)
    if module is not checked.chain[0]:
        return False
    now = _chain(module, checked.attributes)
    return now is not None and all(a is b for a, b in zip(now, checked.chain, strict=True))


@functools.lru_cache(maxsize=32)
def _rule(project_dir: str, allow_imports: tuple[str, ...]) -> Rule:
    """One Rule per project and allow list in a process: the rule itself is applied on every
    call, but which modules are project modules (found on disk, ~1 ms a step) is looked up
    once. Each run's worker is a fresh process or the run's own (`serve` and the UI start
    runs as processes), and the config was validated against the same files first."""
    return Rule(project_dir, allow_imports)


def import_module(
    name: str, *, project_dir: Path | None, write_bytecode: bool = True
) -> types.ModuleType:
    """Import a module; an error while importing it becomes an ImportProblem that names the
    file and line where it happened (the user's, when the traceback passes through the
    project), chained to the original error."""
    with _IMPORTING:
        return _import_module(name, project_dir=project_dir, write_bytecode=write_bytecode)


def _import_module(
    name: str, *, project_dir: Path | None, write_bytecode: bool
) -> types.ModuleType:
    writing_bytecode = sys.dont_write_bytecode
    if not write_bytecode:
        sys.dont_write_bytecode = True
    try:
        module = importlib.import_module(name)
    except (Exception, SystemExit) as error:  # a module may even call sys.exit()
        where = _where(error, project_dir)
        again = ""
        if imported_before(name):
            # Imported again because its project's files changed (a notebook): some modules
            # cannot be imported twice, and the old code must not run for the new code's key.
            again = (
                f"; `{name}` was imported in this Python process before its project's code "
                "changed: if it imports cleanly in a new process, restart the interpreter (a "
                "notebook's kernel) and run again"
            )
        raise ImportProblem(
            f"importing `{name}` failed: {_describe(error)}"
            + (f" (at {where})" if where else "")
            + again,
            _hint(error, where),
        ) from error
    finally:
        sys.dont_write_bytecode = writing_bytecode
    remember_imported()  # the files it was imported from, to notice when they change
    return module


def _describe(error: BaseException) -> str:
    if isinstance(error, SyntaxError) and error.msg:
        return f"{type(error).__name__}: {error.msg}"
    return f"{type(error).__name__}: {error}"


def _hint(error: BaseException, where: str | None) -> str:
    at = f" at {where}" if where else ""
    if isinstance(error, ModuleNotFoundError) and error.name:
        return f"install the package that provides `{error.name}`, or fix the import{at}"
    return f"fix the error{at}" if at else "fix the error in that module"


def _where(error: BaseException, project_dir: Path | None) -> str | None:
    """`file:line` where an import failed: the innermost frame in the project, else the
    innermost frame outside the import machinery."""
    if isinstance(error, SyntaxError) and error.filename and error.lineno:
        return f"{_shown(error.filename, project_dir)}:{error.lineno}"
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not _machinery(frame.filename)
    ]
    if project_dir is not None:
        own = [f for f in frames if _under(f.filename, project_dir)]
        frames = own or frames
    if not frames:
        return None
    frame = frames[-1]
    return f"{_shown(frame.filename, project_dir)}:{frame.lineno}"


_HERE = os.path.dirname(os.path.abspath(__file__))
_IMPORTLIB = os.path.dirname(os.path.abspath(importlib.__file__ or ""))


def _machinery(filename: str) -> bool:
    return filename.startswith("<frozen ") or os.path.dirname(os.path.abspath(filename)) in (
        _HERE,
        _IMPORTLIB,
    )


def _under(filename: str, folder: Path) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(folder)
    except OSError:
        return False


def _shown(filename: str, project_dir: Path | None) -> str:
    """A file as the user knows it: relative to the project folder when inside it."""
    if project_dir is not None and _under(filename, project_dir):
        return Path(filename).resolve().relative_to(project_dir).as_posix()
    return filename
