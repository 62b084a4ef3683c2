"""Which module-level names a top-level statement uses, changes and calls, by Python's scope rules.

A name a function binds anywhere in its body (a parameter, an assignment, a `for` or `with`
target, an import, a nested `def`, `except ... as`, a `match` capture, `del`) is local to the
whole function unless it is declared `global` or `nonlocal`; a lambda's arguments and a
comprehension's variables are local to them; a nested function's free name refers to the
enclosing function's binding when it has one. Only what is left refers to the module: that is
what a statement *uses*. A class body's names do not shadow (a class body looks a name up in
the module when it has not bound it yet): all its uses count.

A function *changes* a module-level name when it rebinds it through `global` (any binding
form), or changes its contents: `NAME[key] = ...`, `NAME.attr = ...`, `del NAME[key]`, or a
call of a method that changes a container in place (`NAME.append(...)`, `NAME.update(...)`,
`MUTATING_METHODS`), or decorates with one of its methods (`@HOOKS.append`,
`@app.route("/")`); at the module level, also a bare call statement naming it
(`bindings.top_level`). A statement *calls* the names of the functions it calls or
decorates with while the module is imported (not inside the functions it defines).
"""

from __future__ import annotations

import ast

from pipeflow.records import record

# Methods of the standard containers that change them in place, as a function calling one on a
# module-level name changes it (`MODELS.update(...)`, `REGISTRY.setdefault(...)`).
MUTATING_METHODS = frozenset(
    {
        "add",
        "append",
        "appendleft",
        "clear",
        "discard",
        "extend",
        "extendleft",
        "insert",
        "pop",
        "popitem",
        "remove",
        "reverse",
        "setdefault",
        "sort",
        "update",
        "__setitem__",
        "__delitem__",
    }
)

_FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPREHENSION = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


@record
class Names:
    """What one top-level statement does with module-level names."""

    uses: frozenset[str]  # read (or bound, at the module level), here or in what it defines
    binds: frozenset[str]  # bound by the module-level code (`X = `, `(X := 1)`, `del X`, `def X`)
    changes: frozenset[str]  # rebound through `global` or changed in place by what it defines
    rebinds: frozenset[str]  # of `changes`, those a function rebinds through `global`
    calls: frozenset[str]  # called or used as a decorator at import, as written (`reg.add`)


class _Scope:
    """What one scope's own code binds, reads and changes; children report up into it."""

    def __init__(self, kind: str, parent: _Scope | None) -> None:
        self.kind = kind  # module, class, function, comprehension
        self.parent = parent
        # Code that runs when the module is imported: the module's, a class body's at the
        # module level, a comprehension's there; never a function's.
        self.at_import: bool = kind == "module" or (
            kind in ("class", "comprehension") and parent is not None and parent.at_import
        )
        self.bound: set[str] = set()
        self.used: set[str] = set()
        self.changed: set[str] = set()
        self.declared_global: set[str] = set()
        self.declared_nonlocal: set[str] = set()
        self.global_used: set[str] = set()  # through `global` below: the module's, whatever
        self.global_changed: set[str] = set()  # the scopes between bind
        self.calls: set[str] = set()

    def bind(self, name: str) -> None:
        self.bound.add(name)


def names_of(statement: ast.AST) -> Names:
    """The module-level names a top-level statement uses, changes and calls."""
    scope = _Scope("module", None)
    _visit(statement, scope)
    return Names(
        # What module-level code binds counts as used, as it always did (`a, b = pair()`
        # reached through `a` makes what `b` is too).
        uses=frozenset(scope.used | scope.global_used | scope.bound),
        binds=frozenset(scope.bound),
        changes=frozenset(scope.changed | scope.global_changed),
        rebinds=frozenset(scope.global_changed),
        calls=frozenset(scope.calls),
    )


def _finish(scope: _Scope) -> None:
    """Report a finished scope's free names and changes to its parent."""
    parent = scope.parent
    assert parent is not None
    parent.global_used |= scope.global_used
    parent.global_changed |= scope.global_changed
    parent.calls |= scope.calls if scope.at_import else set()
    if scope.kind == "class":
        # A class body's names do not shadow its own uses: all of them count.
        parent.used |= scope.used
        parent.changed |= scope.changed - scope.bound
        return
    declared = scope.declared_global | scope.declared_nonlocal
    own = scope.bound - declared
    parent.used |= scope.used - own - scope.declared_global
    parent.changed |= (scope.changed - own - scope.declared_global) | (
        scope.declared_nonlocal & scope.bound
    )
    parent.global_used |= scope.declared_global
    parent.global_changed |= scope.declared_global & (scope.bound | scope.changed)


def _visit(node: ast.AST, scope: _Scope) -> None:
    if isinstance(node, _FUNCTION):
        scope.bind(node.name)
        _decorators(node.decorator_list, scope)
        _visit_all(_evaluated_at_definition(node.args), scope)
        if node.returns is not None:
            _visit(node.returns, scope)
        inner = _Scope("function", scope)
        _arguments(node.args, inner)
        _visit_all(node.body, inner)
        _finish(inner)
    elif isinstance(node, ast.Lambda):
        _visit_all(_evaluated_at_definition(node.args, annotations=False), scope)
        inner = _Scope("function", scope)
        _arguments(node.args, inner)
        _visit(node.body, inner)
        _finish(inner)
    elif isinstance(node, ast.ClassDef):
        scope.bind(node.name)
        _decorators(node.decorator_list, scope)
        _visit_all([*node.bases, *node.keywords], scope)
        inner = _Scope("class", scope)
        _visit_all(node.body, inner)
        _finish(inner)
    elif isinstance(node, _COMPREHENSION):
        _comprehension(node, scope)
    elif isinstance(node, ast.Name):
        if isinstance(node.ctx, ast.Load):
            scope.used.add(node.id)
        else:
            scope.bind(node.id)
    elif isinstance(node, ast.NamedExpr):
        _visit(node.value, scope)
        target = scope
        while target.kind == "comprehension" and target.parent is not None:
            target = target.parent  # a walrus binds in the scope around its comprehensions
        target.bind(node.target.id)
        if target is not scope:
            scope.used.add(node.target.id)  # and reaches it from there
    elif isinstance(node, ast.Global):
        scope.declared_global.update(node.names)
    elif isinstance(node, ast.Nonlocal):
        scope.declared_nonlocal.update(node.names)
    elif isinstance(node, ast.Import | ast.ImportFrom):
        for alias in node.names:
            if alias.name != "*":
                scope.bind(alias.asname or alias.name.split(".")[0])
    elif isinstance(node, ast.Subscript | ast.Attribute) and not isinstance(node.ctx, ast.Load):
        base = _base_name(node)
        if base is not None:
            scope.changed.add(base)
        _visit_children(node, scope)
    elif isinstance(node, ast.Call):
        _call(node, scope)
        _visit_children(node, scope)
    else:
        for name in _names_bound_by(node):
            scope.bind(name)
        _visit_children(node, scope)


def _visit_all(nodes: list[ast.AST] | list[ast.expr] | list[ast.stmt], scope: _Scope) -> None:
    for node in nodes:
        _visit(node, scope)


def _visit_children(node: ast.AST, scope: _Scope) -> None:
    for child in ast.iter_child_nodes(node):
        _visit(child, scope)


def _names_bound_by(node: ast.AST) -> list[str]:
    """Names bound by nodes other than `Name`: `except ... as`, `match` captures."""
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [node.name]
    if isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
        return [node.name]
    if isinstance(node, ast.MatchMapping) and node.rest:
        return [node.rest]
    return []


def _decorators(decorators: list[ast.expr], scope: _Scope) -> None:
    for decorator in decorators:
        name = _dotted(decorator)
        if name is not None and scope.at_import:
            scope.calls.add(name)  # `@register`: called with the function
        if name is not None and "." in name:
            scope.changed.add(name.split(".")[0])  # `@HOOKS.append`, `@app.route("/")`
        _visit(decorator, scope)


def _call(node: ast.Call, scope: _Scope) -> None:
    name = _dotted(node.func)
    if name is not None and scope.at_import:
        scope.calls.add(name)
    function = node.func
    if isinstance(function, ast.Attribute) and function.attr in MUTATING_METHODS:
        base = _base_name(function.value)
        if base is not None:
            scope.changed.add(base)


def _evaluated_at_definition(
    arguments: ast.arguments, *, annotations: bool = True
) -> list[ast.AST]:
    """Defaults (and annotations) of a function: evaluated where it is defined."""
    found: list[ast.AST] = [*arguments.defaults, *(d for d in arguments.kw_defaults if d)]
    if annotations:
        every = [
            *arguments.posonlyargs,
            *arguments.args,
            *arguments.kwonlyargs,
            *(a for a in (arguments.vararg, arguments.kwarg) if a is not None),
        ]
        found += [a.annotation for a in every if a.annotation is not None]
    return found


def _arguments(arguments: ast.arguments, scope: _Scope) -> None:
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
    for argument in every:
        scope.bind(argument.arg)


def _comprehension(
    node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, scope: _Scope
) -> None:
    # The first iterable is evaluated around the comprehension; the rest inside it.
    _visit(node.generators[0].iter, scope)
    inner = _Scope("comprehension", scope)
    for index, generator in enumerate(node.generators):
        if index:
            _visit(generator.iter, inner)
        _visit(generator.target, inner)
        _visit_all(generator.ifs, inner)
    if isinstance(node, ast.DictComp):
        _visit_all([node.key, node.value], inner)
    else:
        _visit(node.elt, inner)
    _finish(inner)


def _base_name(node: ast.AST) -> str | None:
    """`CONFIG` of `CONFIG["a"]["b"]`, `CONFIG.items`, `CONFIG.update`."""
    while isinstance(node, ast.Subscript | ast.Attribute | ast.Starred):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str | None:
    """A called or decorating name as written: `register`, `reg.register`, `register(...)`'s
    `register`; None for anything computed."""
    if isinstance(node, ast.Call):
        node = node.func
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))
