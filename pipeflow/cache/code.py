"""Code fingerprints: what a step's function is made of, so a change to it re-runs the step.

A fingerprint is a mapping of parts to hashes, kept part by part so `status` can say which
part changed:

1. the function itself, as its AST without docstrings (comments and layout never count);
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
import copy
import functools
import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeflow._version import DISTRIBUTION
from pipeflow.importing import split_path

DIGEST_LENGTH = 16


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


@dataclass(frozen=True)
class CodeFingerprint:
    """The parts of a step's code, each hashed; `digest` combines them."""

    parts: Mapping[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return _hash("\n".join(f"{k}={v}" for k, v in sorted(self.parts.items())))


@dataclass
class _Module:
    """One parsed source module, and what its top level defines and imports."""

    name: str
    path: Path
    stamp: tuple[int, int]  # (mtime_ns, size) of the source that was parsed
    tree: ast.Module
    definitions: dict[str, ast.stmt]  # name -> the statement that defines it
    imports: dict[str, str]  # bound name -> module it refers to


class CodeFingerprinter:
    """Fingerprints callables of one project; parsed modules are shared across steps."""

    def __init__(self, project_dir: str) -> None:
        self.project_dir = Path(project_dir).resolve()
        self._modules: dict[str, _Module | None] = {}
        self._module_digests: dict[str, dict[str, str]] = {}
        self._stdlib = _stdlib_prefixes()  # computed once per process

    def fingerprint(self, dotted: str) -> CodeFingerprint:
        module_name, attributes = split_path(dotted)
        module = self._module(module_name)
        if module is None:
            return CodeFingerprint({dotted: self._opaque(module_name)})
        node = _find(module.tree.body, attributes)
        if node is None:
            return CodeFingerprint({dotted: self._opaque(module_name), **self._whole(module)})
        parts: dict[str, str] = {}
        relative = self._relative(module.path)
        seen: set[str] = set()
        todo: list[tuple[str, ast.AST]] = [(".".join(attributes), node)]
        while todo:
            name, definition = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            found = _analysed(module, definition)
            parts[f"{relative}::{name}"] = found.digest
            for used in found.names_used:
                if used in module.definitions and used not in seen:
                    todo.append((used, module.definitions[used]))
                elif used in module.imports:
                    parts.update(self._imported(module.imports[used]))
            for imported in found.local_imports:
                parts.update(self._imported(imported))
        return CodeFingerprint(parts)

    # -- modules --------------------------------------------------------------------------

    def _module(self, name: str) -> _Module | None:
        if name in self._modules:
            return self._modules[name]
        found: _Module | None = None
        spec = self._find_spec(name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            path = Path(spec.origin)
            parsed = _parse(str(path))
            if parsed is not None:
                tree, stamp = parsed
                definitions, imports = _top_level_cached(
                    str(path), stamp, name, path.name == "__init__.py"
                )
                found = _Module(name, path, stamp, tree, definitions, imports)
        self._modules[name] = found
        return found

    def _find_spec(self, name: str) -> importlib.machinery.ModuleSpec | None:
        """Find a module in this project's folder first, whatever sys.path holds now.

        Another pipeline's config may be read from inside a run (`pipeflow.read`); its
        `steps` package must not be mistaken for the running project's.
        """
        parts = name.split(".")
        locations: list[str] = [str(self.project_dir)]
        spec = None
        for index in range(len(parts)):
            spec = importlib.machinery.PathFinder.find_spec(".".join(parts[: index + 1]), locations)
            if spec is None:
                break
            locations = list(spec.submodule_search_locations or [])
        if spec is not None:
            return spec
        try:
            return importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return None

    def _imported(self, name: str) -> dict[str, str]:
        """Parts for a module used through an import: local source, or a package version."""
        top = name.split(".")[0]
        kind = self._classify(top)
        if kind == "stdlib":
            return {}
        if kind == "third-party":
            return {f"package:{_distribution(top)}": _version(top)}
        # A project module: `from pkg import name` may name a submodule or an attribute.
        module = self._module(name)
        if module is None and "." in name:
            module = self._module(name.rsplit(".", 1)[0])
        return self._whole(module) if module is not None else {}

    def _whole(self, module: _Module) -> dict[str, str]:
        """A project module whole, and the project modules it imports, transitively."""
        if module.name in self._module_digests:
            return self._module_digests[module.name]
        parts: dict[str, str] = {self._relative(module.path): _module_digest(module)}
        self._module_digests[module.name] = parts  # before recursing: import cycles end here
        for imported in sorted(set(module.imports.values())):
            if imported != module.name:
                parts.update(self._imported(imported))
        return parts

    def _classify(self, top: str) -> str:
        if top in sys.builtin_module_names or top in sys.stdlib_module_names:
            return "stdlib"
        spec = self._find_spec(top)
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
        if path.is_relative_to(self.project_dir):
            return "project"
        return "third-party"

    def _opaque(self, module: str) -> str:
        top = module.split(".")[0]
        if self._classify(top) == "third-party":
            return f"{module} {_version(top)}"
        return module

    def _relative(self, path: Path) -> str:
        resolved = path.resolve()
        if resolved.is_relative_to(self.project_dir):
            return resolved.relative_to(self.project_dir).as_posix()
        return resolved.as_posix()


# -- source analysis ----------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _parse_cached(path: str, stamp: tuple[int, int]) -> ast.Module | None:
    del stamp  # in the cache key only: an edited file is parsed again
    try:
        return ast.parse(Path(path).read_bytes(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return None


def _parse(path: str) -> tuple[ast.Module, tuple[int, int]] | None:
    """The module's AST and the (mtime_ns, size) it was parsed at; None if it cannot be read."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    stamp = (status.st_mtime_ns, status.st_size)
    tree = _parse_cached(path, stamp)
    return None if tree is None else (tree, stamp)


@functools.lru_cache(maxsize=512)
def _top_level_cached(
    path: str, stamp: tuple[int, int], module: str, is_package: bool
) -> tuple[dict[str, ast.stmt], dict[str, str]]:
    """`_top_level` of the cached tree of `path` at `stamp`; callers must not change it."""
    tree = _parse_cached(path, stamp)
    if tree is None:  # cannot happen for a stamp `_parse` returned, unless the file vanished
        return {}, {}
    return _top_level(tree, module, is_package=is_package)


@dataclass(frozen=True)
class _Definition:
    """What a fingerprint needs of one definition: its digest, and what it uses."""

    digest: str
    names_used: tuple[str, ...]  # sorted
    local_imports: tuple[str, ...]  # modules imported inside it


# Analysed definitions per (file, (mtime_ns, size), module name, where the definition starts),
# kept for the life of the process: copying, dumping and walking ASTs is the costly part of a
# fingerprint, and a long-lived process (tests, a scheduler, a 10-step run) fingerprints the
# same unchanged functions run after run. The position, not the name, tells definitions
# apart: `def f` and a later `f = wrap(f)` differ. The module's own digest has position -1.
_Key = tuple[str, tuple[int, int], str, str, int, int]
_ANALYSED: dict[_Key, _Definition] = {}
_MODULE_DIGESTS: dict[_Key, str] = {}
_CACHE_LIMIT = 8192
_CACHE_LOCK = threading.Lock()


def _key(module: _Module, node: ast.AST) -> _Key:
    return (
        str(module.path),
        module.stamp,
        module.name,
        type(node).__name__,
        getattr(node, "lineno", -1),
        getattr(node, "col_offset", -1),
    )


def _analysed(module: _Module, node: ast.AST) -> _Definition:
    """One top-level statement or nested definition of a parsed module, analysed once."""
    key = _key(module, node)
    found = _ANALYSED.get(key)
    if found is None:
        found = _Definition(
            digest=_hash(_dump(node)),
            names_used=tuple(sorted(_names_used(node))),
            local_imports=tuple(_local_imports(node, module.name)),
        )
        with _CACHE_LOCK:
            if len(_ANALYSED) >= _CACHE_LIMIT:
                _ANALYSED.clear()
            _ANALYSED[key] = found
    return found


def _module_digest(module: _Module) -> str:
    """The digest of a whole module, computed once per version of its file."""
    key = _key(module, module.tree)
    found = _MODULE_DIGESTS.get(key)
    if found is None:
        found = _hash(_dump(module.tree))
        with _CACHE_LOCK:
            if len(_MODULE_DIGESTS) >= _CACHE_LIMIT:
                _MODULE_DIGESTS.clear()
            _MODULE_DIGESTS[key] = found
    return found


def _top_level(
    tree: ast.Module, module: str, *, is_package: bool
) -> tuple[dict[str, ast.stmt], dict[str, str]]:
    definitions: dict[str, ast.stmt] = {}
    imports: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            definitions[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        definitions[name.id] = node
        elif isinstance(node, ast.Import | ast.ImportFrom):
            imports.update(_bindings(node, module, is_package=is_package))
    return definitions, imports


def _bindings(
    node: ast.Import | ast.ImportFrom, module: str, *, is_package: bool
) -> dict[str, str]:
    """Bound name -> the module (or `module.attribute`) it refers to."""
    found: dict[str, str] = {}
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                found[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                found[top] = alias.name  # `import a.b` binds `a` but uses `a.b`
        return found
    base = _absolute(node.module, node.level, module, is_package=is_package)
    for alias in node.names:
        if alias.name != "*":
            found[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
    return found


def _absolute(name: str | None, level: int, module: str, *, is_package: bool) -> str:
    if level == 0:
        return name or ""
    package = module if is_package else module.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{name}" if name else package


def _local_imports(node: ast.AST, module: str) -> Iterable[str]:
    """Modules imported inside a function body."""
    for child in ast.walk(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield from _bindings(child, module, is_package=False).values()


def _names_used(node: ast.AST) -> set[str]:
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


def _find(body: list[ast.stmt], attributes: tuple[str, ...]) -> ast.AST | None:
    found: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None = None
    for name in attributes:
        found = None
        for node in body:
            if (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and node.name == name
            ):
                found = node
        if found is None:
            return None
        body = found.body
    return found


def _dump(node: ast.AST) -> str:
    """The AST as text, without docstrings: editing documentation re-runs nothing."""
    node = copy.deepcopy(node)
    for child in ast.walk(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
            body = child.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                child.body = body[1:] or [ast.Pass()]
    return ast.dump(node, annotate_fields=False, include_attributes=False)


@functools.cache
def _stdlib_prefixes() -> tuple[str, ...]:
    """Where the standard library lives; asked once per process (sysconfig is slow to load)."""
    import sysconfig

    paths = sysconfig.get_paths()
    return tuple(
        str(Path(paths[key]).resolve()) for key in ("stdlib", "platstdlib") if key in paths
    )


@functools.lru_cache(maxsize=1)
def _packages() -> Mapping[str, list[str]]:
    import importlib.metadata  # imported when needed: it is slow to import (email, zipfile)

    return importlib.metadata.packages_distributions()


@functools.lru_cache(maxsize=256)
def _distribution(top: str) -> str:
    """The distribution that provides an import name (`sklearn` -> `scikit-learn`)."""
    import importlib.metadata

    if top == "pipeflow":
        # By name: an editable install's files are not in its record, and `pipeflow` on the
        # package index is another project.
        return DISTRIBUTION
    try:
        importlib.metadata.distribution(top)
    except importlib.metadata.PackageNotFoundError:
        # Scanning every installed distribution is slow: only when the names differ.
        names = _packages().get(top)
        return names[0] if names else top
    return top


@functools.lru_cache(maxsize=256)
def _version(top: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(_distribution(top))
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
