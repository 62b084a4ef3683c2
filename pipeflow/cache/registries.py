"""The registry pattern across modules: a project module's decorator (or a function called at
import) puts functions into a container of its module, and a step uses the container:

    # registry.py                # steps.py                     # plugins.py
    MODELS = {}                  from registry import MODELS   from registry import register
    def register(fn):            import plugins
        MODELS[fn.__name__] = fn                                @register
        return fn                def train(name, x):            def linear(v): ...
                                     return MODELS[name](x)

A decorated `def` changes the container, so a step using it depends on the statements of its
own module that call such a function of the container's module (`@register def ...`), and on
the project modules its module imports that call one (counted whole, as an import is).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from pipeflow.cache.source import SourceModule

_DEFINITION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def registrations(
    module: SourceModule, used: str, load: Callable[[str], SourceModule | None]
) -> tuple[list[ast.stmt], list[str]]:
    """What registers into what `used`, bound by an import in `module`, refers to: the
    statements of `module` that do, and the modules it imports that do. `load` reads a project
    module (None for any other)."""
    bound = module.imports[used]
    owner, _, attribute = bound.rpartition(".")
    registry: SourceModule | None
    found = load(owner) if owner else None
    if found is not None and attribute in found.definitions:
        if all(isinstance(s, _DEFINITION) for s in found.definitions[attribute]):
            return [], []  # a function or a class: no container to register into
        registry, names = found, {attribute}  # `from registry import MODELS`
    else:
        registry, names = load(bound), None  # `import registry`: any name it changes
    if registry is None:
        return [], []
    targets = {
        f"{registry.name}.{function}"
        for function, changed in registry.effects().changes.items()
        if changed and (names is None or names & changed)
    }
    if not targets:
        return [], []
    statements = [s for target in sorted(targets) for s in module.effects().callers.get(target, ())]
    modules = []
    for other in sorted(set(module.imports.values())):
        imported = load(other) if other not in (registry.name, module.name) else None
        if imported is not None and any(target in imported.effects().callers for target in targets):
            modules.append(other)
    return statements, modules
