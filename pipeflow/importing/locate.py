"""Finding a module's file without importing anything, and telling project files apart.

`importlib.util.find_spec("a.b")` imports the package `a` to read its `__path__`: looking up a
name that a config will be refused would already run the refused package's code (`this.sub`
prints the Zen of Python). Here only a top-level name goes through the import system's
finders, which look but never execute; the rest of a dotted name is looked up in the
package's folders with `PathFinder`, as the import system would, without running any
`__init__.py`.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

ModuleSpec = importlib.machinery.ModuleSpec


def top_level_spec(name: str) -> ModuleSpec | None:
    """The spec of a top-level module, found without importing it (None when there is none)."""
    if "." in name:
        raise ValueError(f"not a top-level module name: {name}")
    loaded = sys.modules.get(name)
    if loaded is not None:
        return getattr(loaded, "__spec__", None)
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def find_spec(
    name: str, *, keep: Callable[[str], bool] = lambda location: True
) -> ModuleSpec | None:
    """The spec of a module, dotted or not, found without importing it or its packages.

    `keep` filters the folders a package's submodules are searched in (the project's only,
    for a namespace package whose other portions are installed elsewhere).
    """
    parts = name.split(".")
    spec = top_level_spec(parts[0])
    for index in range(1, len(parts)):
        if spec is None:
            return None
        locations = [str(place) for place in spec.submodule_search_locations or [] if keep(place)]
        if not locations:
            return None  # not a package: it has no submodules
        spec = find_in(".".join(parts[: index + 1]), locations)
    return spec


def find_in(name: str, locations: list[str]) -> ModuleSpec | None:
    """The spec of the dotted `name` among a package's `locations`, as `PathFinder` finds it.

    For a namespace package (a folder without `__init__.py`) inside another one, `PathFinder`
    asks `sys.modules` for the package above, which is not there when nothing was imported
    (`steps/sub/mod.py`, `google.cloud`): its portions are then the folders of that name,
    which is what `PathFinder` would have listed.
    """
    try:
        return importlib.machinery.PathFinder.find_spec(name, locations)
    except KeyError:
        last = name.rpartition(".")[2]
        portions = [str(Path(place, last)) for place in locations if Path(place, last).is_dir()]
        if not portions:
            return None
        spec = ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = portions
        return spec


def spec_file(spec: ModuleSpec) -> str | None:
    """The file (or, for a namespace package, the first folder) a spec stands for."""
    if spec.origin and spec.origin not in ("built-in", "frozen", "namespace"):
        return spec.origin
    locations = list(spec.submodule_search_locations or [])
    return str(locations[0]) if locations else None


def is_project_file(origin: str, project_dir: Path) -> bool:
    """Whether `origin` is under `project_dir` (already resolved), and not an installed file."""
    path = Path(origin).resolve()
    if "site-packages" in path.parts or "dist-packages" in path.parts:
        return False
    return path.is_relative_to(project_dir)
