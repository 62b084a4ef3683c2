"""What a module's top level binds and imports: the names its statements bind (each by every
statement that binds it), the modules its import statements bind names to, and every module it
imports anywhere (by a statement or by a constant name through `importlib.import_module`)."""

from __future__ import annotations

import ast
from collections.abc import Iterable


def top_level(
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


def local_imports(node: ast.AST, module: str, *, is_package: bool) -> Iterable[str]:
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
