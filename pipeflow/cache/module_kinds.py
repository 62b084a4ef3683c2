"""What kind of module an import is, for code fingerprints: the standard library (does not
count), a third-party distribution installed in site-packages (counts by its version), the
project's own, or source outside it that no installer copied (a folder on PYTHONPATH, a
checkout installed with `pip install -e`): those two count by their source. Found without
importing it and remembered per top-level name.
"""

from __future__ import annotations

import functools
import importlib.machinery
import os
import sys
from pathlib import Path

from pipeflow.cache.distributions import distribution_of, owning, version_of
from pipeflow.importing.locate import find_in, is_project_file, spec_file
from pipeflow.importing.locate import find_spec as find_spec_without_importing


class ModuleKinds:
    """The kind, place and owner of the modules one project's code imports."""

    def __init__(self, project_dir: Path, first: tuple[Path, ...] = ()) -> None:
        self.project_dir = project_dir
        # The folders of the pipelines that run this one as a sub-pipeline: first on sys.path
        # in their runs, so a module they have is the one imported; their code is project code.
        self.first = first
        self._kinds: dict[str, str] = {}  # top-level module name -> what `classify` found
        self._owners: dict[str, str] = {}  # third-party import name -> its distribution
        self._stdlib = _stdlib_prefixes()  # computed once per process

    def find_spec(self, name: str) -> importlib.machinery.ModuleSpec | None:
        """Find a module in this project's folder first, whatever sys.path holds now.

        Another pipeline's config may be read from inside a run (`pipeflow.read`); its
        `steps` package must not be mistaken for the running project's.
        """
        parts = name.split(".")
        for folder in (*self.first, self.project_dir):
            locations: list[str] = [str(folder)]
            spec: importlib.machinery.ModuleSpec | None = None
            for index in range(len(parts)):
                package = spec
                spec = find_in(".".join(parts[: index + 1]), locations)
                if spec is None:
                    if package is not None and package.origin is not None:
                        # A regular package of the project: what it lacks is nowhere else (an
                        # attribute, `from pkg.mod import name`). A namespace package may have
                        # portions elsewhere: looked for below.
                        return None
                    break
                locations = list(spec.submodule_search_locations or [])
            if spec is not None:
                return spec
        # Found without importing: not even a package above the module runs (a config that
        # reached the run unvalidated may name one that must never be imported).
        return find_spec_without_importing(name)

    def classify(self, top: str) -> str:
        """stdlib, third-party, project or source: found once per top-level name."""
        kind = self._kinds.get(top)
        if kind is None:
            kind = self._kinds[top] = self._find_kind(top)
        return kind

    def _find_kind(self, top: str) -> str:
        if top in sys.builtin_module_names:
            return "stdlib"
        if top in sys.stdlib_module_names:
            # The project folder comes first on sys.path: its `statistics.py` is what a step
            # imports, unless the interpreter has the module built in (frozen).
            frozen = importlib.machinery.FrozenImporter.find_spec(top) is not None
            return "project" if not frozen and self._in_project(top) else "stdlib"
        spec = self.find_spec(top)
        origin = spec.origin if spec is not None else None
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        where = origin if origin not in (None, "built-in", "frozen") else None
        where = where or (locations[0] if locations else None)
        if where is None:
            return "stdlib"
        path = Path(where).resolve()
        if "site-packages" in path.parts or "dist-packages" in path.parts:
            return "third-party"
        if any(str(path).startswith(prefix) for prefix in self._stdlib):
            return "stdlib"
        if any(is_project_file(str(path), folder) for folder in (*self.first, self.project_dir)):
            return "project"
        if top == "pipeflow":
            return "third-party"  # by its version, installed or not (`distribution_of`)
        if _installed_beside(path, top):
            return "third-party"  # an installer put it there (`pip install --target DIR`)
        # Neither installed nor the project's: source the user may be editing, which its
        # distribution's version (if it has one) does not follow.
        return "source"

    def _in_project(self, top: str) -> bool:
        """Whether the project's folders hold a module or package named `top`."""
        for folder in (*self.first, self.project_dir):
            spec = find_in(top, [str(folder)])
            where = spec_file(spec) if spec is not None else None
            if where is not None and is_project_file(str(Path(where).resolve()), folder):
                return True
        return False

    def installed(self, top: str) -> str:
        """Where a package is installed, and the size and time of its file there."""
        spec = self.find_spec(top)
        where = spec_file(spec) if spec is not None else None
        try:
            status = os.stat(where) if where is not None else None
        except OSError:
            status = None
        if status is None:
            return "missing"
        return f"{where}:{status.st_size}:{status.st_mtime_ns}"

    def opaque(self, module: str) -> str:
        top = module.split(".")[0]
        if self.classify(top) == "third-party":
            return f"{module} {version_of(self.owner(module))}"
        return module

    def owner(self, name: str) -> str:
        """The distribution a third-party import comes from: the one that provides its
        top-level name, or, when that is a namespace package several distributions share
        (`google`), the one whose files hold the first regular package or module on the way
        down (`google.cloud.storage` -> google-cloud-storage)."""
        owner = self._owners.get(name)
        if owner is None:
            owner = self._owners[name] = self._find_owner(name)
        return owner

    def _find_owner(self, name: str) -> str:
        parts = name.split(".")
        top = self.find_spec(parts[0])
        if top is None or top.origin is not None or len(parts) == 1:
            return distribution_of(parts[0])
        for depth in range(2, len(parts) + 1):
            spec = self.find_spec(".".join(parts[:depth]))
            if spec is None:
                break
            if spec.origin is not None and spec.origin not in ("built-in", "frozen"):
                above = (
                    parts[:depth]
                    if spec.submodule_search_locations is not None
                    else parts[: depth - 1]
                )
                relative = "/".join([*above, Path(spec.origin).name])  # as a wheel's RECORD has it
                return owning(relative) or distribution_of(parts[0])
        return distribution_of(parts[0])


@functools.cache
def _stdlib_prefixes() -> tuple[str, ...]:
    """Where the standard library lives; asked once per process (sysconfig is slow to load)."""
    import sysconfig

    paths = sysconfig.get_paths()
    return tuple(
        str(Path(paths[key]).resolve()) for key in ("stdlib", "platstdlib") if key in paths
    )


def _installed_beside(path: Path, top: str) -> bool:
    """Whether an installer put the module `top` (found at `path`) in its folder: a
    distribution's `.dist-info` beside it names it, as `pip install --target DIR` leaves it.
    Not an `.egg-info`, which a source checkout installed with `pip install -e` (the old way)
    has beside its package: that is source its user edits."""
    folder = path.parent.parent if path.name == "__init__.py" else path.parent
    if path.is_dir():
        folder = path.parent
    try:
        entries = os.listdir(folder)
    except OSError:
        return False
    wanted = top.lower()
    for entry in entries:
        if not entry.endswith(".dist-info"):
            continue
        if entry.split("-")[0].replace(".", "_").lower() == wanted:
            return True
        try:
            tops = (folder / entry / "top_level.txt").read_text(encoding="utf-8").split()
        except (OSError, UnicodeDecodeError):
            continue
        if top in tops:
            return True
    return False
