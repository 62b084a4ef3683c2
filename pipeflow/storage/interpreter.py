"""Where no write may land: the Python installation and the folders Python imports from.

A file written there runs as code: a `.pth` file in a site folder at every start of Python,
a module that shadows another on `sys.path` when it is imported. A results root or target a
config names (`${env.VIRTUAL_ENV}/lib/python3.11/site-packages` + `zz.pth`) may not lead
there. The places: `sys.prefix`, `sys.base_prefix`, `sys.exec_prefix` (and base), every path
`sysconfig` gives (stdlib, purelib, platlib, scripts, data...), the site and user site folders,
the other entries of `sys.path`, and, for any Python, a `site-packages` or `dist-packages`
folder and a virtual environment (a folder with `pyvenv.cfg`). A prefix or `sys.path` entry
that holds the results root (`/usr` above a project in `/usr/src/app`; a project folder on
`sys.path`, with its own `.venv` inside) does not make every write under the root a problem:
only the places within it count, and the modules Python would import from it
(`module_place`): a `.py` file, bytecode, an extension module, anything in `__pycache__`. The
project's folder is such an entry during every run (`importing.projects.use_project` puts it
first on `sys.path`): a target `steps.py` there would be run by the next run.
"""

from __future__ import annotations

import functools
import importlib.machinery
import os
import sys


@functools.cache
def installation() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The real paths of the Python installation's folders: (the prefixes, which may hold a
    project; the folders Python imports or runs from, which never do)."""
    import site
    import sysconfig

    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    imports: set[str] = set()
    for base in list(prefixes):
        bases = {"base": base, "platbase": base, "installed_base": base, "installed_platbase": base}
        paths = sysconfig.get_paths(vars=bases)
        prefixes.add(paths.get("data", base))
        imports.update(value for key, value in paths.items() if key != "data")
    imports.update(value for key, value in sysconfig.get_paths().items() if key != "data")
    imports.update(site.getsitepackages())
    if isinstance(site.getusersitepackages(), str):
        imports.add(site.getusersitepackages())
    if isinstance(site.getuserbase(), str):
        prefixes.add(site.getuserbase())

    def real(places: set[str]) -> tuple[str, ...]:
        return tuple(sorted({os.path.realpath(place) for place in places if place}))

    return real(prefixes), real(imports)


@functools.lru_cache(maxsize=16)
def _path_entries(path: tuple[str, ...]) -> tuple[str, ...]:
    """The real paths of `sys.path`'s folders (a project adds its own)."""
    return tuple(os.path.realpath(entry) for entry in path if entry and os.path.isabs(entry))


@functools.lru_cache(maxsize=1024)
def _environment_of(folder: str, top: str) -> str | None:
    """The virtual environment (a folder with `pyvenv.cfg`: any Python's, not only this
    one's, as the CI job's may be another) holding `folder`, looked for up to `top`."""
    if os.path.isfile(os.path.join(folder, "pyvenv.cfg")):
        return folder
    parent = os.path.dirname(folder)
    if folder == top or parent == folder:
        return None
    return _environment_of(parent, top)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def python_place(real: str, real_root: str) -> str | None:
    """The folder of a Python installation or of `sys.path` that the real path `real`
    (written under the real root `real_root`) lies in; None when it lies in none."""
    entries = _path_entries(tuple(sys.path))
    found = _root_place(real_root, entries)
    if found is not None or real == real_root:
        return found
    if not _inside(real, real_root):
        return _place(real, real_root, entries, os.sep)
    relative = real[len(real_root) :]
    if "-packages" in relative:
        for part in relative.split(os.sep):
            if part in ("site-packages", "dist-packages"):
                return real[: real.index(part) + len(part)]
    for place in _places_within(real_root, entries):
        if _inside(real, place):
            return place
    return _environment_of(os.path.dirname(real), real_root)


@functools.lru_cache(maxsize=64)
def _root_place(real_root: str, entries: tuple[str, ...]) -> str | None:
    return _place(real_root, real_root, entries, os.sep)


@functools.lru_cache(maxsize=64)
def _places_within(real_root: str, entries: tuple[str, ...]) -> tuple[str, ...]:
    prefixes, imports = installation()
    return tuple(
        place
        for place in (*prefixes, *imports, *entries)
        if place != real_root and _inside(place, real_root)
    )


def _place(real: str, real_root: str, entries: tuple[str, ...], top: str) -> str | None:
    if any(part in ("site-packages", "dist-packages") for part in real.split(os.sep)):
        return real[: real.index("-packages") + len("-packages")]
    venv = _environment_of(os.path.dirname(real) if real != real_root else real, top)
    if venv is not None:
        return venv
    prefixes, imports = installation()
    for place in imports:
        if _inside(real, place):
            return place
    for place in prefixes:
        if _inside(real, place) and not (_inside(real_root, place) and real_root != place):
            return place
    for entry in entries:
        if _inside(real, entry) and not _inside(real_root, entry):
            return entry
    return None


def python_place_message(shown: str, place: str) -> str:
    return (
        f"{shown} would land in {place}, a folder of the Python installation or of its import "
        "path, where Python runs what it finds (a `.pth` file at every start, a module when it "
        "is imported). Point `results.root` (or a step's `result.root`, its `target`, or "
        "`--results`) at a folder of the project or a data folder outside Python's."
    )


# What Python imports from a folder of `sys.path` (and from the folders below it, as packages
# or namespace packages): compared case-folded, as a case-insensitive disk would find them.
_MODULE_SUFFIXES = tuple(suffix.casefold() for suffix in importlib.machinery.all_suffixes())
_BYTECODE_FOLDER = "__pycache__"


def module_place(real: str, real_root: str) -> str | None:
    """The `sys.path` folder in which the real path `real` (written under the real root
    `real_root`) would be a module Python imports (`steps.py`, `pkg/mod.py`, bytecode, an
    extension module, anything in `__pycache__`); None when it would be none."""
    name = os.path.basename(real).casefold()
    for entry in _path_entries(tuple(sys.path)):
        if not _inside(real, entry) or real == entry:
            continue
        parts = real[len(entry) :].split(os.sep)
        if name.endswith(_MODULE_SUFFIXES) or any(
            part.casefold() == _BYTECODE_FOLDER for part in parts
        ):
            return entry
    return None


def module_place_message(shown: str, place: str) -> str:
    return (
        f"{shown} would be a Python module in {place}, a folder Python imports from (pipeflow "
        "puts the project's folder on `sys.path` for every run): the next run that imports it "
        "would run what the step stored there as code. Give the `target` another extension "
        "(`.txt`, `.json`), or put the results root outside the folders Python imports from."
    )
