"""Whether `executor.cluster.class` names a Dask cluster class, decided from source alone.

The module is never imported to tell (`validate` imports no package the config names, and a
cluster package's `__init__` may start things): the path is looked up as the import system
would (`locate.py`), the module's source is parsed (`definitions.py`), and a name a module
imports from another (`distributed.LocalCluster`, from `distributed.deploy.local`) is followed
there. A cluster class is a class whose name, or the name of a class it derives from (followed
the same way), ends in `Cluster`: `distributed.Client` and `subprocess.Popen` are classes, not
clusters. Where the source cannot tell (the package is not installed here, a name bound at run
time, a compiled module) the answer is "unknown", and the run checks the live class.
"""

from __future__ import annotations

import ast
import builtins

from pipeflow.importing.definitions import ModuleSource, read_source
from pipeflow.importing.locate import find_spec, top_level_spec

CLUSTER_EXAMPLES = "`distributed.LocalCluster` or `dask_jobqueue.SLURMCluster`"
_DEEPEST = 24  # re-exports and base classes followed at most this far


class _Unknown(Exception):
    """The source cannot tell: the run decides on the live class."""


def cluster_class_problem(dotted: str) -> str | None:
    """Why `dotted` does not name a cluster class; None when it does or the source cannot
    tell. Imports nothing."""
    module, _, name = dotted.rpartition(".")
    if not module or top_level_spec(module.split(".")[0]) is None:
        return None  # not installed here: the run says what to install
    try:
        found = _find_class(module, name, set())
        if isinstance(found, str):
            why = found
        elif _is_cluster(found, set()):
            return None
        else:
            why = "it is a class, but neither it nor a class it derives from is a `...Cluster`"
    except _Unknown:
        return None
    return f"`{dotted}` is not a cluster class: {why}"


def _source(module: str) -> ModuleSource:
    spec = find_spec(module)
    origin = spec.origin if spec is not None else None
    if not origin or not origin.endswith(".py"):
        raise _Unknown
    source = read_source(origin, module)
    if source is None or source.dynamic or "__getattr__" in source.bindings:
        raise _Unknown  # a star import or names made at run time
    return source


def _found_module(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _find_class(
    module: str, name: str, seen: set[str]
) -> tuple[str, ast.ClassDef, ModuleSource] | str:
    """(module, class statement, module source) where `module.name` is defined, or why the
    path names no class."""
    where = f"{module}.{name}"
    if where in seen or len(seen) > _DEEPEST:
        raise _Unknown
    seen.add(where)
    if not _found_module(module):
        parent, _, last = module.rpartition(".")
        if parent and _found_module(parent):
            binding = _source(parent).bindings.get(last)
            if binding is not None and (
                binding.kind == "module"
                or (binding.kind == "from" and _found_module(binding.imported))
            ):
                return (
                    f"`{last}` is a module that `{parent}` imports, not one of its own: name a "
                    "class by the module that defines it"
                )
            if binding is not None:
                return f"there is no module `{module}`: `{last}` is a name in `{parent}`"
        return f"there is no module `{module}`"
    source = _source(module)
    binding = source.bindings.get(name)
    if binding is None:
        if _found_module(where):
            return "it is a module"
        return f"`{module}` has no `{name}`"
    if binding.kind == "class":
        assert isinstance(binding.node, ast.ClassDef)
        return module, binding.node, source
    if binding.kind == "from":
        home, _, imported = binding.imported.rpartition(".")
        return _find_class(home, imported, seen)
    if binding.kind == "module":
        return "it is a module"
    if binding.kind == "def":
        return "it is a function"
    raise _Unknown  # an assignment, or a name bound inside `if`/`try`


def _is_cluster(found: tuple[str, ast.ClassDef, ModuleSource], seen: set[str]) -> bool:
    """Whether the class, or a class it derives from, is named `...Cluster`; _Unknown when a
    base the source cannot follow might be one."""
    module, node, source = found
    if node.name.endswith("Cluster"):
        return True
    unknown = False
    for base in node.bases:
        base_name = _last_name(base)
        if base_name is None:
            unknown = True  # `make_base()`, `Generic[T]`...: only the live class tells
            continue
        if base_name.endswith("Cluster"):
            return True
        try:
            parent = _base_class(module, base, source, seen)
            if parent is not None and _is_cluster(parent, seen):
                return True
        except _Unknown:
            unknown = True
    if unknown:
        raise _Unknown
    return False


def _base_class(
    module: str, base: ast.expr, source: ModuleSource, seen: set[str]
) -> tuple[str, ast.ClassDef, ModuleSource] | None:
    """Where a base class is defined; None for a built-in class (`object`, `Exception`)."""
    if isinstance(base, ast.Name):
        if base.id not in source.bindings:
            if hasattr(builtins, base.id):
                return None
            raise _Unknown
        found = _find_class(module, base.id, seen)
    elif isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
        binding = source.bindings.get(base.value.id)
        if binding is None or binding.kind != "module":
            raise _Unknown
        found = _find_class(binding.imported, base.attr, seen)
    else:
        raise _Unknown
    if isinstance(found, str):
        raise _Unknown  # not a class the source shows: the live one tells
    return found


def _last_name(base: ast.expr) -> str | None:
    if isinstance(base, ast.Name):
        return base.id
    if isinstance(base, ast.Attribute):
        return base.attr
    return None
