"""The allow rule: which `run:` paths a config may name, decided before importing anything refused.

A config is data. A pull request that edits it must not be able to run `os.system` in CI, so a
`run:` path is allowed only when, in this order:

1. it spells one of pipeflow's documented steps (`pipeflow.read`; the registry in `builtins.py`);
   the rest of the `pipeflow` package is never a step;
2. `allow_imports` lists the path itself (`os.system`), or its module or a package above it;
3. its module is a project module: the top-level package's spec, looked up without importing
   it, lies under the config's folder (and not in a site-packages folder), and so does the
   module's own file, found through the package's folders without running its `__init__.py`.

Anything else is refused before it, or any package above it, is imported (`locate.py`).

Then the walk from the module to the callable (`module:A.b`) may only pass through objects
*defined* in a module the config may name: never a module object (`steps.helpers:os.system`),
never a name the module imported or bound to an imported object (`from os import system`,
`run_cmd = os.system`, a class attribute that is an imported function, a builtin), never
Python's internals (`__globals__`). `Rule.walk` checks every object it reaches by its
`__module__`: validation runs it whenever it imports the module, and `load_callable` runs it on
the worker before anything is called. Validation first tries to decide from the module's
source (`definitions.py`), so a plain function is checked without importing its module.
Only a path that `allow_imports` lists exactly skips the "defined in" check.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from pipeflow.importing.builtins import builtin_names, builtin_step, defines_builtin_step
from pipeflow.importing.locate import find_spec, is_project_file, spec_file, top_level_spec
from pipeflow.importing.paths import ImportProblem, split_path
from pipeflow.model.words import a_kind
from pipeflow.records import record

Kind = Literal["builtin", "exact", "allowed", "project"]


@record
class Grant:
    """Why a `run:` path may be named; the walk to its callable must then keep to the rule."""

    dotted: str
    module: str
    attributes: tuple[str, ...]
    kind: Kind
    origin: str | None = None  # a project module's file, found without importing it


class Rule:
    """The allow rule of one config: its project folder and its `allow_imports`."""

    def __init__(self, project_dir: str, allow: Iterable[str] = ()) -> None:
        self.project_dir = Path(project_dir).resolve() if project_dir else None
        self.allow = tuple(allow)
        self._project_modules: dict[str, bool] = {}
        self._modules: dict[str, tuple[bool, str | None] | ImportProblem] = {}

    # -- deciding from names and files, importing nothing --------------------------------

    def decide(self, dotted: str) -> Grant:
        """Why `dotted` may be named; ImportProblem when it may not. Imports nothing."""
        module, attributes = split_path(dotted)
        for attribute in attributes:
            if attribute.startswith("__") and attribute.endswith("__"):
                raise ImportProblem(
                    f"`{dotted}` reaches into Python's internals (`{attribute}`)",
                    "`run:` names a function, a class, or a method of a class",
                )
        if builtin_step(dotted) is not None:
            return Grant(dotted, module, attributes, "builtin")
        plain = f"{module}.{'.'.join(attributes)}"
        if any(entry in (dotted, plain) for entry in self.allow):
            return Grant(dotted, module, attributes, "exact")
        if self.listed(module):
            return Grant(dotted, module, attributes, "allowed")
        if module.split(".")[0] == "pipeflow":
            raise self._internal(dotted)
        in_project, origin = self._project_module(module)
        if not in_project:
            raise self._outside(dotted, module, attributes)
        return Grant(dotted, module, attributes, "project", origin=origin)

    def _project_module(self, module: str) -> tuple[bool, str | None]:
        """(whether `module` is a project module, its source file); found once per module."""
        found = self._modules.get(module)
        if found is None:
            try:
                found = self._find_project_module(module)
            except ImportProblem as problem:
                found = problem
            self._modules[module] = found
        if isinstance(found, ImportProblem):
            raise ImportProblem(found.message, found.hint)  # the same words every time
        return found

    def _find_project_module(self, module: str) -> tuple[bool, str | None]:
        top = module.split(".")[0]
        spec = top_level_spec(top)
        if spec is None:
            above = self._found_above(top)
            hint = module_hint(top)
            if above is not None:
                hint = (
                    f"`{top}` is in {above}, a folder above this config's ({self.project_dir}): "
                    f"move the config there; a config imports modules from its own folder"
                )
            raise ImportProblem(f"no module named `{top}`", hint)
        if not self._in_project(spec):
            return False, None
        found = find_spec(module, keep=self.is_project_path)
        if found is None:
            raise ImportProblem(f"no module named `{module}`", module_hint(module))
        where = spec_file(found)
        return where is not None and self.is_project_path(where), found.origin

    def listed(self, module: str) -> bool:
        """Whether `allow_imports` lists the module or a package above it."""
        return any(module == entry or module.startswith(entry + ".") for entry in self.allow)

    def is_project_path(self, path: str) -> bool:
        return self.project_dir is not None and is_project_file(path, self.project_dir)

    def is_project_module_name(self, name: str) -> bool:
        """Whether a module, by name, is a project module; imports nothing."""
        known = self._project_modules.get(name)
        if known is None:
            loaded = sys.modules.get(name)
            if loaded is not None:
                known = self.is_project_module(loaded)
            else:
                found = find_spec(name, keep=self.is_project_path)
                origin = spec_file(found) if found is not None else None
                known = origin is not None and self.is_project_path(origin)
            known = known and name.split(".")[0] != "pipeflow"
            self._project_modules[name] = known
        return known

    def is_project_module(self, module: types.ModuleType) -> bool:
        if module.__name__.split(".")[0] == "pipeflow":
            return False
        file = getattr(module, "__file__", None)
        if isinstance(file, str):
            return self.is_project_path(file)
        locations = getattr(module, "__path__", None) or []  # a namespace package
        return any(self.is_project_path(str(location)) for location in locations)

    def may_name_module(self, name: str) -> bool:
        """Whether objects defined in module `name` may be named; imports nothing."""
        return self.listed(name) or self.is_project_module_name(name)

    def _in_project(self, spec: Any) -> bool:
        if spec.origin and spec.origin not in ("built-in", "frozen", "namespace"):
            return self.is_project_path(spec.origin)
        locations = spec.submodule_search_locations or []
        return any(self.is_project_path(str(location)) for location in locations)

    def _internal(self, dotted: str) -> ImportProblem:
        from difflib import get_close_matches

        names = builtin_names()
        close = get_close_matches(dotted, names, n=1, cutoff=0.6)
        return ImportProblem(
            f"`{dotted}` is part of pipeflow's internals, not a step: a config may name only "
            "pipeflow's documented steps (" + ", ".join(f"`{n}`" for n in names) + ")",
            f"did you mean `{close[0]}`?"
            if close
            else "name a function of the project, or one of these steps",
        )

    def _outside(self, dotted: str, module: str, attributes: tuple[str, ...]) -> ImportProblem:
        plain = f"{module}.{'.'.join(attributes)}"
        top = module.split(".")[0]
        clash = self._clash(top)
        if clash is not None:  # a sub-pipeline's module named as one of its parent's
            found, beside = clash
            return ImportProblem(
                f"`{dotted}` names {found}, not {beside} beside this config: a run imports "
                f"one module of each name, and that `{top}` comes first (the pipeline that "
                "runs this one has it, or it is installed)",
                f"rename one of the two `{top}` modules (and the `run:` paths that name it)",
            )
        above = self._folder_above(top)
        if above is not None:  # the project's own code, with the config in a subfolder
            return ImportProblem(
                f"`{dotted}` is outside the project: `{top}` is in {above}, a folder above "
                f"this config's ({self.project_dir}), and a config runs only modules under its "
                "own folder and pipeflow's documented steps",
                f"move the config to {above} (or `{top}` into its folder); to keep them apart, "
                f"list `{top}` under this config's `allow_imports:`",
            )
        return ImportProblem(
            f"`{dotted}` is outside the project: only modules under the config's folder and "
            "pipeflow's documented steps may be run by default",
            f"if this is intended, list `{plain}` under `allow_imports:` in the config "
            f"(or `{top}`, for everything defined in it)",
        )

    def _clash(self, top: str) -> tuple[str, Path] | None:
        """(where module `top` is found, the module of that name beside the config) when the
        config's folder holds a module `top` but another one is found first; else None."""
        if self.project_dir is None:
            return None
        beside = [self.project_dir / f"{top}.py", self.project_dir / top / "__init__.py"]
        mine = next((path for path in beside if path.is_file()), None)
        spec = top_level_spec(top)
        if mine is None or spec is None:
            return None
        if spec.origin and spec.origin not in ("built-in", "frozen", "namespace"):
            found = Path(spec.origin)
        else:
            locations = list(spec.submodule_search_locations or [])
            if not locations:
                return None
            found = Path(locations[0])
        if found.resolve() == mine.resolve():
            return None
        return str(found.resolve()), mine.resolve()

    def _folder_above(self, top: str) -> Path | None:
        """The folder holding module `top` when it is a folder above the config's (the
        config in a subfolder of the project whose code it names); else None."""
        spec = top_level_spec(top)
        if spec is None or self.project_dir is None:
            return None
        if spec.origin and spec.origin not in ("built-in", "frozen", "namespace"):
            origin = Path(spec.origin)
            places = [origin.parent.parent if origin.stem == "__init__" else origin.parent]
        else:
            places = [Path(location).parent for location in spec.submodule_search_locations or []]
        for place in places:
            folder = place.resolve()
            if folder != self.project_dir and self.project_dir.is_relative_to(folder):
                return folder
        return None

    def _found_above(self, top: str) -> Path | None:
        """A folder above the config's that holds module `top` (`top.py`, or a package), the
        nearest; None when none does. Looks at names only: imports nothing."""
        if self.project_dir is None:
            return None
        for folder in self.project_dir.parents:
            if (folder / f"{top}.py").is_file() or (folder / top / "__init__.py").is_file():
                return folder
        return None

    # -- checking the live objects ---------------------------------------------------------

    def walk(self, module: types.ModuleType, grant: Grant) -> Callable[..., Any]:
        """The callable a granted path names, every object on the way checked."""
        if grant.kind == "project" and not self.is_project_module(module):
            # The file found at validation is not the one imported (a package that changes
            # its `__path__`, a name another import put in `sys.modules`).
            raise self._outside(grant.dotted, grant.module, grant.attributes)
        target: Any = module
        walked = [grant.module]
        for index, attribute in enumerate(grant.attributes):
            where = ".".join(walked)
            if not hasattr(target, attribute):
                from difflib import get_close_matches

                names = [n for n in dir(target) if not n.startswith("_")]
                close = get_close_matches(attribute, names, n=1, cutoff=0.6)
                raise ImportProblem(
                    f"`{where}` has no attribute `{attribute}`",
                    f"did you mean `{where}.{close[0]}`?" if close else None,
                )
            target = getattr(target, attribute)
            if index == len(grant.attributes) - 1 and not callable(target):
                raise ImportProblem(
                    f"`{grant.dotted}` is {a_kind(type(target).__name__)}, not a function",
                    "`run:` must name a function or another callable",
                )
            self._check(target, grant, where, grant.attributes[index + 1 :])
            walked.append(attribute)
        return target  # type: ignore[no-any-return]

    def _check(self, target: Any, grant: Grant, where: str, rest: tuple[str, ...]) -> None:
        """Refuse an object the walk reached in `where` that the rule does not let it reach;
        `rest` is what the path walks to after it."""
        if isinstance(target, types.ModuleType):
            raise through_module(grant.dotted, where, target.__name__, rest)
        if grant.kind == "exact":
            return  # `allow_imports` lists this very path
        defined = getattr(target, "__module__", None)
        qualname = getattr(target, "__qualname__", None)
        if (
            isinstance(defined, str)
            and isinstance(qualname, str)
            and defines_builtin_step(defined, qualname)
        ):
            return
        if grant.kind != "builtin" and isinstance(defined, str) and self.may_name_module(defined):
            return
        raise not_defined(grant.dotted, grant.module, where, target)


def through_module(dotted: str, where: str, module: str, rest: tuple[str, ...]) -> ImportProblem:
    """`dotted` passes through `module`, a module object `where` holds; `rest` comes after."""
    direct = ".".join([module, *rest])
    return ImportProblem(
        f"`{dotted}` walks through the module `{module}` that `{where}` imports: a `run:` path "
        "may only pass through functions and classes the module defines",
        f"name a function defined in the project, or list `{direct}` under `allow_imports:` "
        f"and write `run: {direct}`",
    )


def not_defined(dotted: str, module: str, where: str, target: Any) -> ImportProblem:
    """`dotted` reached `target`, which `where` did not define (it imported or assigned it)."""
    defined = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", None)
    hint = f"define a function in `{module}` that calls it"
    if isinstance(defined, str) and isinstance(qualname, str):
        direct = f"{defined}.{qualname}"
        what = f"`{direct}`"
        hint += f", or list `{direct}` under `allow_imports:` and write `run: {direct}`"
    elif isinstance(defined, str):
        what = f"{a_kind(type(target).__name__)} from `{defined}`"
    else:
        what = a_kind(type(target).__name__)
    return ImportProblem(
        f"`{dotted}` is {what}, which `{where}` did not define (it imported or assigned it): "
        "a `run:` path may only name what the project, or a module listed under "
        "`allow_imports:`, defines",
        hint,
    )


def module_hint(module: str) -> str:
    return (
        f"check the spelling; `{module}` must be importable from the config's folder "
        "(a .py file or a package beside it) or installed"
    )
