"""Source analysis for code fingerprints: each file parsed once per version, what its top level
defines and imports, and the digest of a definition without its docstrings.

Analysed definitions are kept per (file, (mtime_ns, size), module name, where the definition
starts) for the life of the process: copying, dumping and walking ASTs is the costly part of a
fingerprint, and a long-lived process (tests, a scheduler, a 10-step run) fingerprints the same
unchanged functions run after run.
"""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
import os
import threading
from collections.abc import Iterable
from dataclasses import field
from pathlib import Path

from pipeflow.cache.bindings import (
    Effects,
    Position,
    TopLevel,
    effects,
    local_imports,
    position,
    top_level,
)
from pipeflow.cache.scopes import Names, names_of
from pipeflow.records import record

DIGEST_LENGTH = 16


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


# (mtime_ns, size, ctime_ns) of a source file as it was read.
Stamp = tuple[int, int, int]


@record(frozen=False)
class SourceModule:
    """One parsed source module, and what its top level defines and imports."""

    name: str
    path: Path
    stamp: Stamp  # (mtime_ns, size, ctime_ns) of the source that was parsed
    tree: ast.Module
    definitions: dict[str, list[ast.stmt]]  # name -> the statements that bind it, in order
    imports: dict[str, str]  # bound name -> module it refers to
    # Every module the file imports, anywhere: at the top level (a name bound twice, `import
    # lib.consts` then `import lib`, keeps both), below it (in a function, a method, a `try`),
    # or by a constant name through `importlib.import_module` or `__import__`. With the module
    # whole, they count too (`CodeFingerprinter._whole`); a used name counts those it reaches
    # (`reached`).
    imported: tuple[str, ...] = ()
    names: dict[Position, Names] = field(default_factory=dict)  # `TopLevel.names`

    def effects(self) -> Effects:
        """What its functions do to its names (`bindings.effects`), once per file version."""
        return _effects_cached(
            str(self.path), self.stamp, self.name, self.path.name == "__init__.py"
        )

    def reached(self, name: str) -> list[str]:
        """The modules a use of `name`, bound by an import, may reach: what it is bound to, and
        the submodules of that module the file imports anywhere (importing `lib.consts` makes
        it an attribute of `lib`, so `lib.consts.FACTOR` reaches it through `import lib`). A
        plain `import a.b` binds `a`, whose `__init__` it runs: `a` counts too."""
        bound = self.imports[name]
        root = name if bound.split(".")[0] == name and "." in bound else bound
        found = [bound] if root == bound else [bound, root]
        prefix = root + "."
        found += [other for other in self.imported if other.startswith(prefix) and other != bound]
        return found


# A source file a code fingerprint was computed from: its path and its stamp as it was read.
Source = tuple[str, Stamp]


def first_changed(sources: Iterable[Source]) -> str | None:
    """The path of the first source file that is no longer as it was read (edited, replaced
    or gone), or None."""
    for path, stamp in sources:
        try:
            status = os.stat(path)
        except OSError:
            return path
        if (status.st_mtime_ns, status.st_size, status.st_ctime_ns) != stamp:
            return path
    return None


@functools.lru_cache(maxsize=512)
def _parse_cached(path: str, stamp: Stamp) -> ast.Module | None:
    del stamp  # in the cache key only: an edited file is parsed again
    try:
        return ast.parse(Path(path).read_bytes(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return None


def parse(path: str) -> tuple[ast.Module, Stamp] | None:
    """The module's AST and the stamp it was parsed at; None if it cannot be read."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    # Any write sets the ctime: a file copied over it with its size and mtime kept
    # (`cp -p`, `rsync -t`, `tar x`) is parsed again.
    stamp = (status.st_mtime_ns, status.st_size, status.st_ctime_ns)
    tree = _parse_cached(path, stamp)
    return None if tree is None else (tree, stamp)


@functools.lru_cache(maxsize=512)
def top_level_cached(
    path: str, stamp: Stamp, module: str, is_package: bool
) -> tuple[TopLevel, tuple[str, ...]]:
    """`top_level` of the cached tree of `path` at `stamp`, and every module it imports
    (`SourceModule.imported`); callers must not change them."""
    tree = _parse_cached(path, stamp)
    if tree is None:  # cannot happen for a stamp `parse` returned, unless the file vanished
        return TopLevel({}, {}, {}), ()
    found = top_level(tree, module, is_package=is_package)
    every = local_imports(tree, module, is_package=is_package)
    return found, tuple(dict.fromkeys(every))


@functools.lru_cache(maxsize=512)
def _effects_cached(path: str, stamp: Stamp, module: str, is_package: bool) -> Effects:
    tree = _parse_cached(path, stamp)
    top = top_level_cached(path, stamp, module, is_package)[0]
    return effects(tree if tree is not None else ast.Module([], []), top)


@record
class _Definition:
    """What a fingerprint needs of one definition: its digest, and what it uses."""

    digest: str
    names_used: tuple[str, ...]  # sorted
    local_imports: tuple[str, ...]  # modules imported inside it


# Analysed definitions per (file, its stamp, module name, where the definition starts),
# kept for the life of the process: copying, dumping and walking ASTs is the costly part of a
# fingerprint, and a long-lived process (tests, a scheduler, a 10-step run) fingerprints the
# same unchanged functions run after run. The position, not the name, tells definitions
# apart: `def f` and a later `f = wrap(f)` differ. The module's own digest has position -1.
_Key = tuple[str, Stamp, str, str, int, int]
ANALYSED: dict[_Key, _Definition] = {}
_MODULE_DIGESTS: dict[_Key, str] = {}
_CACHE_LIMIT = 8192
_CACHE_LOCK = threading.Lock()


def _key(module: SourceModule, node: ast.AST) -> _Key:
    return (
        str(module.path),
        module.stamp,
        module.name,
        type(node).__name__,
        getattr(node, "lineno", -1),
        getattr(node, "col_offset", -1),
    )


def analysed(module: SourceModule, node: ast.AST) -> _Definition:
    """One top-level statement or nested definition of a parsed module, analysed once."""
    key = _key(module, node)
    found = ANALYSED.get(key)
    if found is None:
        found = _Definition(
            digest=hash_text(_dump(node)),
            names_used=tuple(sorted(_names(module, node).uses)),
            local_imports=tuple(
                local_imports(node, module.name, is_package=module.path.name == "__init__.py")
            ),
        )
        with _CACHE_LOCK:
            if len(ANALYSED) >= _CACHE_LIMIT:
                ANALYSED.clear()
            ANALYSED[key] = found
    return found


def _names(module: SourceModule, node: ast.AST) -> Names:
    """What a statement does with the module's names: found with its top level when it is one."""
    found = module.names.get(position(node))
    return found if found is not None else names_of(node)


def module_digest(module: SourceModule) -> str:
    """The digest of a whole module, computed once per version of its file."""
    key = _key(module, module.tree)
    found = _MODULE_DIGESTS.get(key)
    if found is None:
        found = hash_text(_dump(module.tree))
        with _CACHE_LOCK:
            if len(_MODULE_DIGESTS) >= _CACHE_LIMIT:
                _MODULE_DIGESTS.clear()
            _MODULE_DIGESTS[key] = found
    return found


def find_definition(body: list[ast.stmt], attributes: tuple[str, ...]) -> ast.AST | None:
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
