"""Finding a module's file without importing anything, and telling project files apart.

`importlib.util.find_spec("a.b")` imports the package `a` to read its `__path__`: looking up a
name that a config will be refused would already run the refused package's code (`this.sub`
prints the Zen of Python). Here only a top-level name goes through the import system's
finders, which look but never execute; the rest of a dotted name is looked up in the
package's folders with `PathFinder`, as the import system would, without running any
`__init__.py`.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import os
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
    """Whether `origin` is project code: under `project_dir` (already resolved), and not an
    installed file — not in a `site-packages`, not in the interpreter's standard library or
    its other import folders (a conda env or a venv inside the project, a copied Python),
    and not a module a distribution installed beside it (`pip install -t .`: a `*.dist-info`
    whose RECORD lists it)."""
    path = Path(origin).resolve()
    if "site-packages" in path.parts or "dist-packages" in path.parts:
        return False
    if not path.is_relative_to(project_dir):
        return False
    if any(path.is_relative_to(place) for place in interpreter_paths()):
        return False
    return not installed_here(path, project_dir)


@functools.cache
def interpreter_paths() -> tuple[Path, ...]:
    """The folders this Python imports its own and installed modules from (resolved):
    sysconfig's stdlib, platstdlib, purelib and platlib, for its prefix and its base prefix,
    every site-packages and the user site."""
    import site
    import sysconfig

    places: set[Path] = set()
    keys = ("stdlib", "platstdlib", "purelib", "platlib")
    for base in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        paths = sysconfig.get_paths(vars={"base": base, "platbase": base, "installed_base": base})
        places.update(Path(paths[key]) for key in keys if key in paths)
    places.update(Path(path) for path in site.getsitepackages())
    user = site.getusersitepackages()
    if isinstance(user, str):
        places.add(Path(user))
    return tuple(sorted({place.resolve() for place in places}))


def installed_here(path: Path, project_dir: Path) -> bool:
    """Whether a folder on the way from `project_dir` to `path` holds a distribution's
    `*.dist-info` (or an installed `*.egg-info`) that lists the module or package there."""
    folder = project_dir
    for part in path.relative_to(project_dir).parts:
        names = _installed_names(str(folder))
        stem = part.removesuffix(".py") if part.endswith(".py") else part
        if part in names or stem in names:
            return True
        folder = folder / part
        if not folder.is_dir():
            break
    return False


def _installed_names(folder: str) -> frozenset[str]:
    """The top-level files and folders the distributions installed in `folder` own."""
    try:
        stamp = os.stat(folder).st_mtime_ns
    except OSError:
        return frozenset()
    return _installed_names_at(folder, stamp)


@functools.lru_cache(maxsize=1024)
def _installed_names_at(folder: str, stamp: int) -> frozenset[str]:
    names: set[str] = set()
    try:
        entries = [entry for entry in os.scandir(folder) if entry.is_dir()]
    except OSError:
        return frozenset()
    for entry in entries:
        listings: tuple[str, ...] = ()
        if entry.name.endswith(".dist-info"):
            listings = ("RECORD", "top_level.txt")
        elif entry.name.endswith(".egg-info") and os.path.exists(
            os.path.join(entry.path, "installed-files.txt")  # a source tree's egg-info has none
        ):
            listings = ("top_level.txt",)
        for listing in listings:
            try:
                with open(os.path.join(entry.path, listing), encoding="utf-8") as file:
                    lines = file.read().splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            for line in lines:
                entry_path = line.split(",")[0].strip().removeprefix("./")
                first = entry_path.split("/")[0]
                if first and first != ".." and not first.endswith((".dist-info", ".egg-info")):
                    names.add(first.removesuffix(".py"))
                    names.add(first)
    return frozenset(names)
