"""What a module's source defines, to decide a `run:` walk without importing the module.

`steps.helpers.load` is allowed from source alone when the last top-level binding of `load`
in steps/helpers.py is a plain `def` (or `Tools.run` a plain `def` in a plain `class`), and
refused when the name is a module the file imports (`import os`) or a name it imports from a
module the config may not name (`from os import system`). Everything else — an assignment
(`run_cmd = os.system`), a decorated definition, a name bound inside `if`/`try`, a star
import, an inherited method, a module that uses `setattr` or `globals()`, a name that is
assigned to as `name.attribute = ...` — is "unknown": validation imports the module (a project
module, or one the config lists) and checks the live objects with `Rule.walk`.
"""

from __future__ import annotations

import ast
import functools
import os
from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from typing import Literal

from pipeflow.importing.allow import Grant, through_module
from pipeflow.importing.builtins import defines_builtin_step
from pipeflow.importing.paths import ImportProblem
from pipeflow.records import record

Verdict = Literal["defined", "unknown"]

# Calls and names that can rebind a module's names behind the parser's back.
_DYNAMIC = frozenset({"globals", "vars", "locals", "exec", "eval"})
_PLAIN_DECORATORS = frozenset({"staticmethod", "classmethod"})


@record
class Binding:
    """The last top-level binding of a name."""

    kind: Literal["def", "class", "module", "from", "other"]
    node: ast.stmt | None = None
    imported: str = ""  # "module" and "from": the module, or `module.name`, it binds


@record
class ModuleSource:
    """The top-level bindings of one module's source, and whether its names may be rebound."""

    bindings: dict[str, Binding] = field(default_factory=dict)
    mutated: frozenset[str] = frozenset()  # names assigned to as `name.attribute = ...`
    dynamic: bool = False  # uses setattr, globals(), exec...: trust only the live objects


def decide_from_source(
    source: ModuleSource | None, grant: Grant, *, may_name_module: Callable[[str], bool]
) -> Verdict:
    """ "defined" when the source shows the walk keeps to the rule; ImportProblem when it
    shows it does not; "unknown" when only the live objects can tell."""
    if source is None or source.dynamic:
        return "unknown"
    name, *rest = grant.attributes
    binding = source.bindings.get(name)
    if binding is None:
        return "unknown"  # a star import, a module `__getattr__`, or a missing name
    if binding.kind == "module":
        if not rest:
            raise ImportProblem(
                f"`{grant.dotted}` is a module, not a function",
                "`run:` must name a function or another callable",
            )
        raise through_module(grant.dotted, grant.module, binding.imported, tuple(rest))
    if binding.kind == "from":
        home, _, imported_name = binding.imported.rpartition(".")
        if not rest and defines_builtin_step(home, imported_name):
            return "defined"
        if home and may_name_module(home):
            return "unknown"  # defined there, or imported there in turn: the live object tells
        listed = ".".join([binding.imported, *rest])
        written = f"{home}:{'.'.join([imported_name, *rest])}" if rest else listed
        what = "walks through" if rest else "is"
        raise ImportProblem(
            f"`{grant.dotted}` {what} `{binding.imported}`, which `{grant.module}` imports: a "
            "`run:` path may only name what the project, or a module listed under "
            "`allow_imports:`, defines",
            f"define a function in `{grant.module}` that calls it, or list `{listed}` under "
            f"`allow_imports:` and write `run: {written}`",
        )
    if binding.kind == "other" or name in source.mutated or _decorated(binding.node):
        return "unknown"
    node = binding.node
    for attribute in rest:
        if not isinstance(node, ast.ClassDef):
            return "unknown"  # an attribute of a function: only the live object tells
        member = _class_member(node, attribute)
        if member is None:
            return "unknown"  # inherited, or set at run time
        node = member
    return "defined"


def _decorated(node: ast.stmt | None) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and bool(
        node.decorator_list
    )


def _class_member(
    cls: ast.ClassDef, name: str
) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None:
    """The last binding of `name` in a class body when it is a plain definition, else None."""
    found: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None = None
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            plain = all(
                isinstance(d, ast.Name) and d.id in _PLAIN_DECORATORS for d in node.decorator_list
            )
            found = node if plain else None
        elif isinstance(node, ast.ClassDef) and node.name == name:
            found = None if node.decorator_list else node
        elif name in _bound_names(node):
            found = None  # rebound by an assignment in the class body
    return found


def read_source(origin: str, module: str) -> ModuleSource | None:
    """The bindings of a module's source file; None when it cannot be read or parsed."""
    try:
        status = os.stat(origin)
    except OSError:
        return None
    return _read_source(origin, (status.st_mtime_ns, status.st_size, status.st_ctime_ns), module)


@functools.lru_cache(maxsize=256)
def _read_source(origin: str, stamp: tuple[int, int, int], module: str) -> ModuleSource | None:
    del stamp  # in the cache key only: an edited file is read again (`cp -p` too: its ctime)
    try:
        tree = ast.parse(Path(origin).read_bytes(), filename=origin)
    except (OSError, SyntaxError, ValueError):
        return None
    package = module if Path(origin).name == "__init__.py" else module.rpartition(".")[0]
    bindings: dict[str, Binding] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            bindings[node.name] = Binding("def", node)
        elif isinstance(node, ast.ClassDef):
            bindings[node.name] = Binding("class", node)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                target = alias.name if alias.asname else alias.name.split(".")[0]
                bindings[bound] = Binding("module", node, target)
        elif isinstance(node, ast.ImportFrom):
            home = _absolute(node.module, node.level, package)
            for alias in node.names:
                if alias.name != "*":
                    bindings[alias.asname or alias.name] = Binding(
                        "from", node, f"{home}.{alias.name}"
                    )
        else:
            for name in _bound_names(node):
                bindings[name] = Binding("other", node)
    scan = _Rebinding()
    scan.visit(tree)
    dynamic = scan.dynamic or any(name in _PLAIN_DECORATORS for name in bindings)
    return ModuleSource(bindings, frozenset(scan.mutated), dynamic)


class _Rebinding(ast.NodeVisitor):
    """Finds what may rebind a module's names after their definition: attribute stores on a
    module-level name (`Tools.run = os.system`, at the top level or in a function where the
    name is global), `setattr` on one, a star import, `globals()`, `exec`."""

    def __init__(self) -> None:
        self.mutated: set[str] = set()
        self.dynamic = False
        self._locals: list[set[str]] = []  # the local names of each enclosing function

    def _is_global(self, name: str) -> bool:
        return not self._locals or name not in self._locals[-1]

    def _mutate(self, target: ast.expr) -> None:
        while isinstance(target, ast.Attribute | ast.Subscript):
            target = target.value
        if isinstance(target, ast.Name):
            if self._is_global(target.id):
                self.mutated.add(target.id)
        else:
            self.dynamic = True  # `sys.modules[__name__].f = ...` and the like

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        arguments = node.args
        local = {
            a.arg
            for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            + [x for x in (arguments.vararg, arguments.kwarg) if x is not None]
        }
        declared: set[str] = set()
        body = node.body if isinstance(node.body, list) else [node.body]
        for statement in body:
            for child in ast.walk(statement):
                if isinstance(child, ast.Global | ast.Nonlocal):
                    declared.update(child.names)
            local |= _bound_names(statement) if isinstance(statement, ast.stmt) else set()
        self.mutated |= declared  # a function may rebind them when called
        self._locals.append(local - declared)
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        for statement in body:
            self.visit(statement)
        self._locals.pop()

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Store | ast.Del) or node.attr == "__dict__":
            self._mutate(node.value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if isinstance(function, ast.Name):
            if function.id in ("setattr", "delattr", "vars") and node.args:
                self._mutate(node.args[0])
            elif function.id in _DYNAMIC:
                self.dynamic = True
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if any(alias.name == "*" for alias in node.names):
            self.dynamic = True  # it may rebind any name defined above it


def _bound_names(node: ast.stmt) -> set[str]:
    """Every name a statement binds, however deeply (inside `if`, `try`, `for`, `with`...),
    apart from the bodies of functions and classes it defines."""
    names: set[str] = set()
    todo: list[ast.AST] = [node]
    while todo:
        current = todo.pop()
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(current.name)
            continue
        if isinstance(current, ast.Name) and isinstance(current.ctx, ast.Store | ast.Del):
            names.add(current.id)
        elif isinstance(current, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in current.names)
        elif isinstance(current, ast.MatchAs | ast.MatchStar) and current.name:
            names.add(current.name)
        todo.extend(ast.iter_child_nodes(current))
    return names


def _absolute(name: str | None, level: int, package: str) -> str:
    if level == 0:
        return name or ""
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{name}" if name else package
