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
from pathlib import Path

from pipeflow.records import record

DIGEST_LENGTH = 16


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


@record(frozen=False)
class SourceModule:
    """One parsed source module, and what its top level defines and imports."""

    name: str
    path: Path
    stamp: tuple[int, int]  # (mtime_ns, size) of the source that was parsed
    tree: ast.Module
    definitions: dict[str, list[ast.stmt]]  # name -> the statements that bind it, in order
    imports: dict[str, str]  # bound name -> module it refers to
    # Every module the file imports, anywhere: at the top level (a name bound twice, `import
    # lib.consts` then `import lib`, keeps both), below it (in a function, a method, a `try`),
    # or by a constant name through `importlib.import_module` or `__import__`. With the module
    # whole, they count too (`CodeFingerprinter._whole`); a used name counts those it reaches
    # (`reached`).
    imported: tuple[str, ...] = ()

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


@functools.lru_cache(maxsize=512)
def _parse_cached(path: str, stamp: tuple[int, int]) -> ast.Module | None:
    del stamp  # in the cache key only: an edited file is parsed again
    try:
        return ast.parse(Path(path).read_bytes(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return None


def parse(path: str) -> tuple[ast.Module, tuple[int, int]] | None:
    """The module's AST and the (mtime_ns, size) it was parsed at; None if it cannot be read."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    stamp = (status.st_mtime_ns, status.st_size)
    tree = _parse_cached(path, stamp)
    return None if tree is None else (tree, stamp)


@functools.lru_cache(maxsize=512)
def top_level_cached(
    path: str, stamp: tuple[int, int], module: str, is_package: bool
) -> tuple[dict[str, list[ast.stmt]], dict[str, str], tuple[str, ...]]:
    """`_top_level` of the cached tree of `path` at `stamp`, and every module it imports
    (`SourceModule.imported`); callers must not change them."""
    tree = _parse_cached(path, stamp)
    if tree is None:  # cannot happen for a stamp `parse` returned, unless the file vanished
        return {}, {}, ()
    definitions, imports = _top_level(tree, module, is_package=is_package)
    every = _local_imports(tree, module, is_package=is_package)
    return definitions, imports, tuple(dict.fromkeys(every))


@record
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
            names_used=tuple(sorted(_names_used(node))),
            local_imports=tuple(
                _local_imports(node, module.name, is_package=module.path.name == "__init__.py")
            ),
        )
        with _CACHE_LOCK:
            if len(ANALYSED) >= _CACHE_LIMIT:
                ANALYSED.clear()
            ANALYSED[key] = found
    return found


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


def _top_level(
    tree: ast.Module, module: str, *, is_package: bool
) -> tuple[dict[str, list[ast.stmt]], dict[str, str]]:
    definitions: dict[str, list[ast.stmt]] = {}
    imports: dict[str, str] = {}

    def bind(name: str, node: ast.stmt) -> None:
        # Every statement that binds it: `def helper` and `helper = lru_cache(helper)`,
        # `FACTOR = 2` and `FACTOR += 1` all make what the name is.
        found = definitions.setdefault(name, [])
        if not found or found[-1] is not node:
            found.append(node)

    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bind(node.name, node)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        bind(name.id, node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            imports.update(_bindings(node, module, is_package=is_package))
        elif isinstance(node, ast.Expr):
            # `CONFIG.update(b=2)`, `ITEMS.append(5)`, `register(f)`: a call may change what
            # a name bound before it holds.
            for used in {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}:
                if used in definitions:
                    bind(used, node)
        elif isinstance(node, _COMPOUND):
            # `try: from fast import scale / except ImportError: def scale`, `if ...: def`:
            # each name it binds stands for the whole statement (both branches, and what it
            # imports, which counts as the imports inside a function do).
            for bound in _bound_in(node):
                bind(bound, node)
    return definitions, imports


# `try`/`except*` (3.11) by name: Python 3.10 has no `ast.TryStar`.
_COMPOUND: tuple[type[ast.AST], ...] = tuple(
    getattr(ast, name)
    for name in ("If", "Try", "TryStar", "With", "AsyncWith", "For", "AsyncFor", "While", "Match")
    if hasattr(ast, name)
)


def _bound_in(node: ast.AST) -> set[str]:
    """The module-level names a compound statement binds, at any depth of its blocks (not
    inside the functions and classes it defines, whose own names it binds)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current is not node and isinstance(
            current, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ):
            found.add(current.name)
            continue
        if isinstance(current, ast.Import | ast.ImportFrom):
            for alias in current.names:
                if alias.name != "*":
                    found.add(alias.asname or alias.name.split(".")[0])
            continue
        if isinstance(current, ast.Name) and isinstance(current.ctx, ast.Store):
            found.add(current.id)
        elif isinstance(current, ast.ExceptHandler) and current.name:
            found.add(current.name)
        stack.extend(ast.iter_child_nodes(current))
    return found


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
        elif base:
            found[STAR + base] = base  # no name can be this key: `star_imports` finds it
    return found


STAR = "*"  # `imports` keys `*MODULE` for `from MODULE import *`, which binds unknown names


def star_imports(imports: dict[str, str]) -> list[str]:
    """The modules a module takes every public name of (`from helpers import *`)."""
    return [module for name, module in imports.items() if name.startswith(STAR)]


def _absolute(name: str | None, level: int, module: str, *, is_package: bool) -> str:
    if level == 0:
        return name or ""
    package = module if is_package else module.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{name}" if name else package


def _local_imports(node: ast.AST, module: str, *, is_package: bool) -> Iterable[str]:
    """Modules imported inside a statement (a function's body, a `try`), by an import
    statement or by a constant name through `importlib.import_module` or `__import__`."""
    for child in ast.walk(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield from _bindings(child, module, is_package=is_package).values()
        elif isinstance(child, ast.Call):
            dynamic = _dynamic_import(child, module, is_package=is_package)
            if dynamic is not None:
                yield dynamic


def _dynamic_import(call: ast.Call, module: str, *, is_package: bool) -> str | None:
    """The module `importlib.import_module("NAME")`, `import_module(".NAME", package=...)`
    (the package a constant, `__package__` or `__name__`) or `__import__("NAME")` names;
    None for another call, or a name computed at run time."""
    function = call.func
    called = (
        function.id
        if isinstance(function, ast.Name)
        else function.attr
        if isinstance(function, ast.Attribute)
        else None
    )
    if called not in ("import_module", "__import__") or not call.args:
        return None
    first = call.args[0]
    if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
        return None
    name = first.value
    if not name.startswith("."):
        return name or None
    if called != "import_module":
        return None  # `__import__` takes its level as a number: rare, not followed
    given = call.args[1] if len(call.args) > 1 else None
    for keyword in call.keywords:
        if keyword.arg == "package":
            given = keyword.value
    if isinstance(given, ast.Constant) and isinstance(given.value, str):
        module, is_package = given.value, True
    elif not (isinstance(given, ast.Name) and given.id in ("__package__", "__name__")):
        return None
    elif given.id == "__name__":
        is_package = True  # relative to the module itself, as a package
    level = len(name) - len(name.lstrip("."))
    return _absolute(name[level:] or None, level, module, is_package=is_package)


def _names_used(node: ast.AST) -> set[str]:
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


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
