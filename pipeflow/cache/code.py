"""Code fingerprints: what a step's function is made of, so a change to it re-runs the step.

A fingerprint is a mapping of parts to hashes, kept part by part so `status` can say which
part changed:

1. the function itself, as its AST without docstrings (comments and layout never count); a
   method or any member of a class, the whole top-level class that holds it;
2. the module-level functions, classes and constants of the same module that it uses,
   transitively (editing a helper it calls re-runs it; editing an unrelated function does not);
3. project-local modules it uses through imports, whole and transitively, since what a module
   exports can depend on all of it;
4. the versions of third-party distributions it imports (`scikit-learn 1.5.2`).

Standard-library modules do not count. Source is read and parsed, never imported, except for
callables that are not plain Python source (a builtin, a compiled function), whose identity and
package version stand in for their code.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path

from pipeflow.cache.bindings import star_imports
from pipeflow.cache.distributions import version_of
from pipeflow.cache.module_kinds import ModuleKinds
from pipeflow.cache.registries import registrations
from pipeflow.cache.source import (
    Source,
    SourceModule,
    analysed,
    find_definition,
    hash_text,
    module_digest,
    parse,
    top_level_cached,
)
from pipeflow.importing import split_path
from pipeflow.records import record

_BUILTINS = frozenset(dir(builtins))


@record
class CodeFingerprint:
    """The parts of a step's code, each hashed; `digest` combines them."""

    parts: Mapping[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return hash_text("\n".join(f"{k}={v}" for k, v in sorted(self.parts.items())))


class CodeFingerprinter:
    """Fingerprints callables of one project; parsed modules are shared across steps."""

    def __init__(
        self, project_dir: str, *, package_versions: bool = True, within: str | None = None
    ) -> None:
        """`package_versions=False`: a third-party package counts by the size and time of its
        installed `__init__` file rather than its version, which is much faster to find (the
        distribution of `sklearn` is only found by scanning every installed one); for
        fingerprints kept on this machine only, never for cache keys.

        `within`: the folder of the pipeline that runs this project's config as a
        sub-pipeline. Its modules come first, as its run imports them; files are still named
        relative to `project_dir`, so the keys are those of the sub-pipeline run alone."""
        self.project_dir = Path(project_dir).resolve()
        self._package_versions = package_versions
        self._modules: dict[str, SourceModule | None] = {}
        self._module_digests: dict[str, dict[str, str]] = {}
        first: tuple[Path, ...] = (Path(within).resolve(),) if within is not None else ()
        first = tuple(folder for folder in first if folder != self.project_dir)
        self.kinds = ModuleKinds(self.project_dir, first)  # stdlib, third-party, project, source

    def fingerprint(self, dotted: str) -> CodeFingerprint:
        module_name, attributes = split_path(dotted)
        module = self._module(module_name)
        if module is None:
            return CodeFingerprint({dotted: self.kinds.opaque(module_name)})
        node = find_definition(module.tree.body, attributes)
        if node is None:
            return CodeFingerprint({dotted: self.kinds.opaque(module_name), **self._whole(module)})
        if len(attributes) > 1:
            # A member of a class reaches all of it through `cls` or `self`: the top-level
            # class counts whole, with its bases and what they use.
            top = find_definition(module.tree.body, attributes[:1])
            assert top is not None  # the path went through it
            attributes, node = attributes[:1], top
        parts: dict[str, str] = {}
        relative = self._relative(module)
        seen: set[str] = set()
        # The step's own name, if the module rebinds it (`f = lru_cache(f)`), is what runs.
        first = module.definitions.get(attributes[0], [])
        start: list[ast.AST] = list(first) if node in first else [node]
        todo: list[tuple[str, list[ast.AST]]] = [(".".join(attributes), start)]
        while todo:
            name, statements = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            analyses = [analysed(module, statement) for statement in statements]
            digests = [found.digest for found in analyses]
            # One statement: its digest as it always was; several: each counts.
            parts[f"{relative}::{name}"] = (
                digests[0] if len(digests) == 1 else hash_text("\n".join(digests))
            )
            names_used = (
                analyses[0].names_used
                if len(analyses) == 1
                else sorted({used for found in analyses for used in found.names_used})
            )
            unbound = []  # names no statement of the module binds (or local variables)
            for used in names_used:
                # A name may be bound by statements and imports both: each counts, with what
                # registers into it through another module's decorator (`registries.py`).
                bound: list[ast.AST] = list(_binding(module, used))
                if used in module.imports:
                    for reached in module.reached(used):
                        parts.update(self._imported(reached))
                    registered, modules = registrations(module, used, self._project_module)
                    bound += [s for s in registered if not any(s is b for b in bound)]
                    for other in modules:
                        parts.update(self._imported(other))
                if bound and used not in seen:
                    todo.append((used, bound))
                if not bound and used not in module.imports and used not in _BUILTINS:
                    unbound.append(used)
            for imported in star_imports(module.imports) if unbound else ():
                # `from helpers import *`: counts as an explicit import of what it may bind.
                if any(self._may_bind(imported, used, set()) for used in unbound):
                    parts.update(self._imported(imported))
            for imported in (i for found in analyses for i in found.local_imports):
                parts.update(self._imported(imported))
        parts.update(self._packages_above(module))
        return CodeFingerprint(parts)

    def sources(self, parts: Mapping[str, str]) -> tuple[Source, ...]:
        """The project's source files a fingerprint's `parts` were read from, each with the
        stamp it had then: a file changed since is code the key does not stand for."""
        files = {key.split("::")[0] for key in parts if not key.startswith("package:")}
        return tuple(
            sorted(
                (str(module.path), module.stamp)
                for module in self._modules.values()
                if module is not None and self._relative(module) in files
            )
        )

    def _may_bind(self, name: str, used: str, seen: set[str]) -> bool:
        """Whether `from NAME import *` may bind `used`: a project module binds its top-level
        names (and what it star-imports in turn); any other module may bind anything."""
        module = self._module(name)
        if module is None:  # the standard library then adds nothing, a package its version
            return True
        if used in module.definitions or used in module.imports:
            return True
        seen.add(name)
        return any(
            self._may_bind(inner, used, seen)
            for inner in star_imports(module.imports)
            if inner not in seen
        )

    def project_files(self, dotted: str) -> list[Path]:
        """The project's source files a step's code is made of, as its fingerprint counts
        them (its module and the project modules it imports, transitively), with the
        `__init__.py` of each package above them: what a worker without the project folder
        needs to import it. A module that is not in the project folder is not listed."""
        found: set[Path] = set()
        for part in self._imported_with(dotted):
            if part.startswith("package:"):
                continue
            file = (self.project_dir / part.split("::")[0]).resolve()
            if not file.is_file() or not file.is_relative_to(self.project_dir):
                continue
            found.add(file)
            folder = file.parent
            while folder != self.project_dir and folder.is_relative_to(self.project_dir):
                init = folder / "__init__.py"
                if init.is_file():
                    found.add(init)
                folder = folder.parent
        return sorted(found)

    def rooted_files(self, dotted: str) -> dict[str, Path]:
        """The source files of a step's code (as `project_files` finds them, and the source
        outside the project folder that its fingerprint counts by its source: a folder on
        PYTHONPATH, a checkout installed with `pip install -e`) that are imported from another
        folder on sys.path than the project's (`src/` in a project, or one outside it), by
        the name each has below that folder (`outlib.py`, `pkg/sub/mod.py`), with the
        `__init__.py` of each package above them: what a worker that has no copy of them, or
        another one, needs to import this machine's code from the project's package. Installed
        packages are not listed: they count by their version, which the workers must have."""
        parts = self._imported_with(dotted)
        found: dict[str, Path] = {}
        for module in self._modules.values():
            if module is None or self._relative(module) not in parts:
                continue
            names = module.name.split(".")
            if self.kinds.classify(names[0]) not in ("project", "source"):
                continue
            path = module.path.resolve()
            # The folder on sys.path: `/x` for `a.b` at `/x/a/b.py` or `/x/a/b/__init__.py`.
            depth = len(names) if path.name == "__init__.py" else len(names) - 1
            if depth >= len(path.parents) or path.parents[depth] == self.project_dir:
                continue  # the project folder's own: `project_files` names them
            root = path.parents[depth]
            found[path.relative_to(root).as_posix()] = path
            for index in range(1, len(names)):
                init = root.joinpath(*names[:index], "__init__.py")
                if init.is_file():
                    found[init.relative_to(root).as_posix()] = init
        return found

    def package_versions(self, dotted: str) -> dict[str, str]:
        """The third-party distributions a step's module imports, with their versions here."""
        return {
            part.removeprefix("package:"): version
            for part, version in self._imported_with(dotted).items()
            if part.startswith("package:")
        }

    def _imported_with(self, dotted: str) -> dict[str, str]:
        """The fingerprint's parts, and those of the whole module: importing it runs it all
        (with the `__init__` of each package above each module it reaches, and what that
        imports, as the fingerprint counts them): what a worker must have to import the step."""
        parts = dict(self.fingerprint(dotted).parts)
        module = self._module(split_path(dotted)[0])
        if module is not None:
            parts.update(self._whole(module))
        return parts

    def module_fingerprint(self, name: str) -> CodeFingerprint | None:
        """What importing a project module runs: its source, the project modules it imports
        (transitively), the `__init__` file of every package above each of them (importing
        `steps.sub.h3` runs `steps/sub/__init__.py`, and what that imports), and the versions
        of the packages they import. None when its source cannot be read."""
        module = self._module(name)
        if module is None:
            return None
        parts: dict[str, str] = {}
        todo, seen = [module], set()
        while todo:
            current = todo.pop()
            if current.name in seen:
                continue
            seen.add(current.name)
            parts.update(self._whole(current))
            names = current.name.split(".")
            for index in range(1, len(names)):
                package = self._module(".".join(names[:index]))
                if package is not None:
                    todo.append(package)
            todo.extend(self._project_imports(current))
        return CodeFingerprint(parts)

    def _project_imports(self, module: SourceModule) -> list[SourceModule]:
        """The project modules a module imports, as `_imported` finds them."""
        found = []
        for imported in sorted({*module.imports.values(), *module.imported}):
            if imported == module.name or self.kinds.classify(imported.split(".")[0]) != "project":
                continue
            target = self._module(imported)
            if target is None and "." in imported:  # `from pkg import name`: an attribute
                target = self._module(imported.rsplit(".", 1)[0])
            if target is not None:
                found.append(target)
        return found

    # -- modules --------------------------------------------------------------------------

    def _module(self, name: str) -> SourceModule | None:
        if name in self._modules:
            return self._modules[name]
        found: SourceModule | None = None
        spec = self.kinds.find_spec(name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            path = Path(spec.origin)
            parsed = parse(str(path))
            if parsed is not None:
                tree, stamp = parsed
                top, imported = top_level_cached(str(path), stamp, name, path.name == "__init__.py")
                found = SourceModule(
                    name, path, stamp, tree, top.definitions, top.imports, imported, top.names
                )
        self._modules[name] = found
        return found

    def _project_module(self, name: str) -> SourceModule | None:
        """A module of the project, never another one's source (a package's is not read)."""
        return self._module(name) if self.kinds.classify(name.split(".")[0]) == "project" else None

    def _imported(self, name: str) -> dict[str, str]:
        """Parts for a module used through an import: local source, or a package version."""
        top = name.split(".")[0]
        kind = self.kinds.classify(top)
        if kind == "stdlib":
            return {}
        if kind == "third-party":
            if not self._package_versions:
                return {f"package:{top}": self.kinds.installed(top)}
            distribution = self.kinds.owner(name)
            return {f"package:{distribution}": version_of(distribution)}
        # A project module, or source outside it (`source`): `from pkg import name` may name
        # a submodule or an attribute.
        module = self._module(name)
        if module is None and "." in name:
            module = self._module(name.rsplit(".", 1)[0])
        if module is not None:
            return self._whole(module)
        if kind == "source":  # compiled, or its source unreadable: as an installed package
            distribution = self.kinds.owner(name)
            return {f"package:{distribution}": version_of(distribution)}
        return {}

    def _whole(self, module: SourceModule) -> dict[str, str]:
        """A project module whole, and the project modules it imports, transitively."""
        if module.name in self._module_digests:
            return self._module_digests[module.name]
        parts: dict[str, str] = {self._relative(module): module_digest(module)}
        self._module_digests[module.name] = parts  # before recursing: import cycles end here
        for imported in sorted({*module.imports.values(), *module.imported}):
            if imported != module.name:
                parts.update(self._imported(imported))
        parts.update(self._packages_above(module))
        return parts

    def _packages_above(self, module: SourceModule) -> dict[str, str]:
        """The packages importing a module runs first (`steps/__init__.py`, then
        `steps/sub/__init__.py` for `steps.sub.core`), whole: one may configure the module,
        or import the modules that register into a registry it holds."""
        names = module.name.split(".")
        if len(names) == 1 or self.kinds.classify(names[0]) not in ("project", "source"):
            return {}
        parts: dict[str, str] = {}
        for index in range(1, len(names)):
            package = self._module(".".join(names[:index]))
            if package is not None:
                parts.update(self._whole(package))
        return parts

    def _relative(self, module: SourceModule) -> str:
        """The module's file as a key part: relative to the project folder, or for a module
        outside it (pipeflow's own steps, an installed package), relative to the folder it
        was installed in, from its name (`pipeflow/__init__.py`): never where it lies on this
        machine, so a laptop and a CI job sharing a bucket share the key."""
        resolved = module.path.resolve()
        if resolved.is_relative_to(self.project_dir):
            return resolved.relative_to(self.project_dir).as_posix()
        inside = module.name.replace(".", "/")
        return f"{inside}/__init__.py" if module.path.name == "__init__.py" else f"{inside}.py"


def _binding(module: SourceModule, used: str) -> list[ast.stmt]:
    """The statements that bind or change a module-level name. Only a name some statement
    other than a `def` or `class` binds, or none does, may be changed by a function (`global`,
    `CONFIG[key] = ...`, a registry's decorator): the module's functions are walked for it."""
    found = module.definitions.get(used, [])
    if found and all(isinstance(s, _DEFINITION) for s in found):
        return found
    if not found and (used in module.imports or used in _BUILTINS):
        return found
    return module.effects().definitions.get(used, [])


_DEFINITION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
