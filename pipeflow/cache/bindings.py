"""What a module's top level binds and imports: the names its statements bind (each by every
statement that binds it), the modules its import statements bind names to, and every module it
imports anywhere (by a statement or by a constant name through `importlib.import_module`)."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from pipeflow.cache.scopes import Names, names_of
from pipeflow.records import record

Position = tuple[int, int]  # (line, column) of a top-level statement


_DEFINITION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@record
class TopLevel:
    """What a module's top level binds and imports, and what its statements other than
    definitions do with its names (a `def` or `class` is analysed when `effects` needs it)."""

    definitions: dict[str, list[ast.stmt]]  # name -> the statements that bind or change it
    imports: dict[str, str]  # bound name -> module it refers to
    names: dict[Position, Names]  # each top-level statement's, but a definition's


@record
class Effects:
    """What a module's functions do to its names, with every top-level statement analysed:
    found only when a step uses a name they may change (a whole module's functions are walked,
    which a module of 10,000 steps would pay on every load)."""

    # `TopLevel.definitions`, with the functions that rebind a name through `global` or change
    # it in place, and the statements calling them (or decorating with them) at import.
    definitions: dict[str, list[ast.stmt]]
    names: dict[Position, Names]  # each top-level statement's
    # A top-level function -> the names of the module it changes (`register` -> `MODELS`).
    changes: dict[str, frozenset[str]]
    # What another module's function the top level calls at import (or decorates with) ->
    # those statements: `registry.register` -> `@register def linear`.
    callers: dict[str, list[ast.stmt]]


def position(node: ast.AST) -> Position:
    return getattr(node, "lineno", -1), getattr(node, "col_offset", -1)


def _bind(definitions: dict[str, list[ast.stmt]], name: str, node: ast.stmt) -> None:
    found = definitions.setdefault(name, [])
    if not any(statement is node for statement in found):
        found.append(node)


def top_level(tree: ast.Module, module: str, *, is_package: bool) -> TopLevel:
    """Each name the module's top level binds, with every statement that binds or changes it:
    `def helper` and `helper = lru_cache(helper)`, `FACTOR = 2` and `FACTOR += 1`, `(W := 7)`,
    `del CONFIG["z"]`, `CONFIG.update(b=2)`, a compound statement binding it in a block (`try:
    from fast import scale / except ImportError: def scale`: the whole statement, both branches
    and what it imports). What functions do to names is in `effects`."""
    definitions: dict[str, list[ast.stmt]] = {}
    imports: dict[str, str] = {}
    names: dict[Position, Names] = {}
    for node in tree.body:
        if isinstance(node, _DEFINITION):
            _bind(definitions, node.name, node)
            continue
        found = names[position(node)] = names_of(node)
        if isinstance(node, ast.Import | ast.ImportFrom):
            imports.update(_bindings(node, module, is_package=is_package))
            continue
        if isinstance(node, ast.Expr):
            # `CONFIG.update(b=2)`, `register(f)`: a call may change what a name bound before
            # it holds.
            for used in sorted(found.uses):
                if used in definitions:
                    _bind(definitions, used, node)
        for bound in sorted(found.binds):
            _bind(definitions, bound, node)
    return TopLevel(definitions, imports, names)


def effects(tree: ast.Module, top: TopLevel) -> Effects:
    """What a function changes (through `global`, or in place) counts for the name, by its
    definition and by every statement that calls it (or decorates with it) as the module is
    imported: a name changed in place when the module binds it; one rebound through `global`
    always (that function may be what binds it)."""
    names = dict(top.names)
    for node in tree.body:
        if isinstance(node, _DEFINITION):
            names[position(node)] = names_of(node)
    definitions = {name: list(statements) for name, statements in top.definitions.items()}
    changed_by: dict[str, set[str]] = {}
    rebound: set[str] = set()
    for node in tree.body:
        found = names[position(node)]
        rebound |= found.rebinds
        if isinstance(node, _DEFINITION):
            changed_by.setdefault(node.name, set()).update(found.changes)
    late: set[str] = set()
    for node in tree.body:
        found = names[position(node)]
        changed = set(found.changes).union(*(changed_by.get(c, ()) for c in found.calls))
        for name in sorted(changed):
            if name not in definitions and name not in rebound:
                continue
            if not any(s is node for s in definitions.get(name, ())):
                _bind(definitions, name, node)
                late.add(name)
    for name in late:
        definitions[name].sort(key=position)
    changes = {
        function: frozenset(n for n in changed if n in definitions)
        for function, changed in changed_by.items()
    }
    return Effects(definitions, names, changes, _callers(tree, names, top.imports))


def _callers(
    tree: ast.Module, names: dict[Position, Names], imports: dict[str, str]
) -> dict[str, list[ast.stmt]]:
    """The statements that call a function of another module at import, by its full name."""
    found: dict[str, list[ast.stmt]] = {}
    for node in tree.body:
        for called in sorted(names[position(node)].calls):
            head, _, rest = called.partition(".")
            bound = imports.get(head)
            if bound is None:
                continue
            if bound.split(".")[0] == head and "." in bound:
                target = called  # `import a.b`: `a.b.register` as written
            else:
                target = f"{bound}.{rest}" if rest else bound
            found.setdefault(target, []).append(node)
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
