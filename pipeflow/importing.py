"""Dotted paths to callables: resolving them, the import allow-list, and signature checks.

A config names code (`steps.iris.load_data` or `pkg.module:Class.method`); it never holds
code. This module turns such a path into the callable, refuses modules outside the project
unless the config lists them under `allow_imports`, and checks that a step's inputs fit the
callable's parameters. To keep `pipeflow validate` fast, signatures of plain top-level
functions are read from the module's source with `ast`, so a step module that imports pandas
or scikit-learn is not imported just to be validated.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any


class ImportProblem(Exception):
    """A `run:` path that cannot be used; `hint` says what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Parameter:
    name: str
    required: bool
    keyword: bool  # can be passed by keyword


@dataclass(frozen=True)
class Signature:
    """What a callable accepts, enough to check a step's inputs against it."""

    parameters: tuple[Parameter, ...]
    var_keyword: bool = False
    var_positional: str | None = None  # the name of `*args`, which no input can reach

    def problems(self, given: Iterable[str]) -> list[tuple[str, str | None]]:
        """(message, hint) for each input that does not fit, and each required one missing."""
        given = list(given)
        names = [p.name for p in self.parameters if p.keyword]
        found: list[tuple[str, str | None]] = []
        suggested: set[str] = set()
        positional_only = {p.name for p in self.parameters if not p.keyword}
        for name in given:
            if name in names or self.var_keyword:
                continue
            if name == self.var_positional:
                found.append(
                    (
                        f"unknown input `{name}`: `*{name}` cannot be given by name",
                        f"inputs are passed by name: make it a plain parameter "
                        f"(`def f({name}): ...`, given a list) or accept `**kwargs`",
                    )
                )
            elif name in positional_only:
                found.append(
                    (
                        f"unknown input `{name}`: `{name}` is positional-only",
                        f"inputs are passed by name: remove the `/` after `{name}`",
                    )
                )
            else:
                unused = [n for n in names if n not in given]
                close = get_close_matches(name, unused, n=1, cutoff=0.6)
                suggested.update(close)
                hint = f"did you mean `{close[0]}`?" if close else _accepted(names)
                found.append((f"unknown input `{name}`: the function takes no such argument", hint))
        for parameter in self.parameters:
            # A typo is one mistake: `row` for `rows` is not also "missing `rows`".
            if (
                parameter.required
                and parameter.name not in given
                and parameter.name not in suggested
            ):
                hint = (
                    f"add `{parameter.name}: ...` under `inputs`"
                    if parameter.keyword
                    else f"inputs are passed by name: remove the `/` after `{parameter.name}`"
                )
                found.append((f"missing input `{parameter.name}`: the function requires it", hint))
        return found


def _accepted(names: list[str]) -> str:
    if not names:
        return "the function takes no arguments"
    return "it accepts " + ", ".join(f"`{n}`" for n in names)


def split_path(dotted: str) -> tuple[str, tuple[str, ...]]:
    """`pkg.mod.func` -> (`pkg.mod`, (`func`,)); `pkg.mod:A.b` -> (`pkg.mod`, (`A`, `b`))."""
    if ":" in dotted:
        module, _, attribute = dotted.partition(":")
        attributes = tuple(attribute.split("."))
    else:
        module, _, last = dotted.rpartition(".")
        attributes = (last,)
    if not module or not all(attributes) or not all(module.split(".")):
        raise ImportProblem(
            f"`{dotted}` is not a dotted path to a function",
            "write `module.function` (e.g. `steps.iris.load_data`) or `module:attribute`",
        )
    return module, attributes


def use_project(project_dir: str) -> None:
    """Put a project folder first on sys.path, forgetting modules imported by earlier loads.

    Two projects may both have a `steps` package (tests copy the example around), and a
    project's code may have changed since it was imported: step modules are imported afresh.
    """
    project_dir = str(Path(project_dir).resolve())
    local = _top_level_names(project_dir) - {"pipeflow"}
    for name in [n for n in sys.modules if n.split(".")[0] in local]:
        # Also the project's own modules: a long-lived process (tests, `serve`, the UI) must
        # run the code as it is now, the code the cache keys were computed from.
        del sys.modules[name]
    if project_dir in sys.path:
        sys.path.remove(project_dir)
    sys.path.insert(0, project_dir)
    _PROJECTS[:] = [project_dir]
    importlib.invalidate_caches()


_PROJECTS: list[str] = []  # the folder `use_project` put first, then those `add_project` added


def add_project(project_dir: str) -> None:
    """Put a sub-pipeline's project folder on sys.path after the folders already there.

    The main project's folder stays first: a module name both projects have is the main
    project's module (keep step module names apart across the projects).
    """
    project_dir = str(Path(project_dir).resolve())
    if project_dir in _PROJECTS:
        return
    earlier = set().union(*(_top_level_names(folder) for folder in _PROJECTS))
    local = _top_level_names(project_dir) - earlier - {"pipeflow"}
    for name in [n for n in sys.modules if n.split(".")[0] in local]:
        del sys.modules[name]
    if project_dir in sys.path:
        sys.path.remove(project_dir)
    last = max((sys.path.index(p) for p in _PROJECTS if p in sys.path), default=-1)
    sys.path.insert(last + 1, project_dir)
    _PROJECTS.append(project_dir)
    importlib.invalidate_caches()


def _top_level_names(folder: str) -> set[str]:
    """Names importable from the folder: its .py files and its sub-folders."""
    names: set[str] = set()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return names
    for entry in entries:
        if entry.name.endswith(".py"):
            names.add(entry.name[:-3])
        elif entry.is_dir() and entry.name.isidentifier():
            names.add(entry.name)
    return names


def _find_spec(module: str) -> importlib.machinery.ModuleSpec:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as error:
        raise ImportProblem(f"cannot import `{module}`: {error}", _module_hint(module)) from None
    except Exception as error:  # a package __init__ that raises while being imported
        raise ImportProblem(
            f"importing `{module}` failed: {type(error).__name__}: {error}",
            "fix the error in that module, or check its dependencies are installed",
        ) from None
    if spec is None:
        raise ImportProblem(f"no module named `{module}`", _module_hint(module))
    return spec


def _module_hint(module: str) -> str:
    return (
        f"check the spelling; `{module}` must be importable from the config's folder "
        "(a .py file or a package beside it) or installed"
    )


class Resolver:
    """Resolves `run:` paths of one project, looking each module up only once.

    A config of 10,000 steps names the same few modules over and over: their specs, whether
    they are project files, and the signatures of their top-level functions (one `ast` parse
    per module) are found once and remembered. Make one per load: it does not notice files
    that change while it lives.
    """

    def __init__(self, project_dir: str) -> None:
        self.project_dir = Path(project_dir).resolve()
        self._specs: dict[str, importlib.machinery.ModuleSpec | tuple[str, str | None]] = {}
        self._project_files: dict[str, bool] = {}
        self._sources: dict[str, dict[str, Signature | None] | None] = {}
        self._callables: dict[str, Signature | tuple[str, str | None]] = {}

    def find_spec(self, module: str) -> importlib.machinery.ModuleSpec:
        """The module's spec; ImportProblem (the same words every time) when there is none."""
        found = self._specs.get(module)
        if found is None:
            try:
                found = _find_spec(module)
            except ImportProblem as problem:
                found = (problem.message, problem.hint)
            self._specs[module] = found
        if isinstance(found, tuple):
            raise ImportProblem(*found)
        return found

    def check_allowed(
        self, module: str, dotted: str, *, allow: Iterable[str]
    ) -> importlib.machinery.ModuleSpec | None:
        """Refuse modules outside the project and pipeflow unless `allow_imports` lists them.

        Returns the module's spec when it had to be looked up (None when the name alone
        allowed it), so `signature_of` need not look it up again.
        """
        if module == "pipeflow" or module.startswith("pipeflow."):
            return None
        for entry in allow:
            if dotted == entry or module == entry or module.startswith(entry + "."):
                return None
        spec = self.find_spec(module)
        origin = spec.origin
        if origin and origin not in ("built-in", "frozen") and self._is_project_file(origin):
            return spec
        top = module.split(".")[0]
        raise ImportProblem(
            f"`{dotted}` is outside the project: only modules under the config's folder and "
            "pipeflow may be run by default",
            f"if this is intended, add `{top}`"
            + (f" (or `{module}`)" if module != top else "")
            + " to `allow_imports:` in the config",
        )

    def _is_project_file(self, origin: str) -> bool:
        found = self._project_files.get(origin)
        if found is None:
            found = _is_project_file(origin, self.project_dir)
            self._project_files[origin] = found
        return found

    def signature_of(
        self, dotted: str, spec: importlib.machinery.ModuleSpec | None = None
    ) -> Signature:
        """The signature of the callable a path names, importing its module only if needed.

        `spec` is the module's spec when the caller has it (from `check_allowed`).
        """
        module, attributes = split_path(dotted)
        if spec is None:
            spec = self.find_spec(module)
        if len(attributes) == 1 and spec.origin and spec.origin.endswith(".py"):
            if spec.origin not in self._sources:
                self._sources[spec.origin] = _signatures_from_source(spec.origin)
            signatures = self._sources[spec.origin]
            found = signatures.get(attributes[0]) if signatures is not None else None
            if found is not None:
                return found
        known = self._callables.get(dotted)
        if known is None:
            try:
                known = signature_from_callable(_import_callable(module, attributes, dotted))
            except ImportProblem as problem:
                known = (problem.message, problem.hint)
            self._callables[dotted] = known
        if isinstance(known, tuple):
            raise ImportProblem(*known)
        return known


def check_allowed(
    module: str, dotted: str, *, project_dir: str, allow: Iterable[str]
) -> importlib.machinery.ModuleSpec | None:
    """Refuse modules outside the project and pipeflow unless `allow_imports` lists them.

    For many paths, use one `Resolver` instead: it looks each module up once.
    """
    return Resolver(project_dir).check_allowed(module, dotted, allow=allow)


def _is_project_file(origin: str, project_dir: Path) -> bool:
    """Whether `origin` is under `project_dir` (already resolved), and not an installed file."""
    path = Path(origin).resolve()
    if "site-packages" in path.parts or "dist-packages" in path.parts:
        return False
    return path.is_relative_to(project_dir)


def signature_of(dotted: str, spec: importlib.machinery.ModuleSpec | None = None) -> Signature:
    """The signature of the callable a path names, importing its module only if needed."""
    module, attributes = split_path(dotted)
    if spec is None:
        spec = _find_spec(module)
    if len(attributes) == 1 and spec.origin and spec.origin.endswith(".py"):
        signatures = _signatures_from_source(spec.origin)
        found = signatures.get(attributes[0]) if signatures is not None else None
        if found is not None:
            return found
    return signature_from_callable(_import_callable(module, attributes, dotted))


def _signatures_from_source(origin: str) -> dict[str, Signature | None] | None:
    """Every top-level name's signature, from one parse of the module's source.

    A name maps to None when its last binding is not a plain, undecorated `def` (a class,
    an assignment, an import, a decorated function): importing it will tell. None for the
    whole module when its source cannot be read or parsed (importing will report why).
    """
    try:
        tree = ast.parse(Path(origin).read_bytes(), filename=origin)
    except (OSError, SyntaxError, ValueError):
        return None
    last: dict[str, ast.FunctionDef | ast.AsyncFunctionDef | None] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            last[node.name] = node
        else:
            for name in _bound_names(node):
                last[name] = None  # rebound later in the module: let the import decide
    return {
        name: None if node is None or node.decorator_list else _signature_of_def(node)
        for name, node in last.items()
    }


def _signature_of_def(found: ast.FunctionDef | ast.AsyncFunctionDef) -> Signature:
    arguments = found.args
    positional = [*arguments.posonlyargs, *arguments.args]
    first_default = len(positional) - len(arguments.defaults)
    parameters = [
        Parameter(
            name=argument.arg,
            required=index < first_default,
            keyword=index >= len(arguments.posonlyargs),
        )
        for index, argument in enumerate(positional)
    ]
    parameters += [
        Parameter(name=argument.arg, required=default is None, keyword=True)
        for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
    ]
    return Signature(
        tuple(parameters),
        var_keyword=arguments.kwarg is not None,
        var_positional=arguments.vararg.arg if arguments.vararg else None,
    )


def _bound_names(node: ast.stmt) -> list[str]:
    """The top-level names a statement (other than a `def`) rebinds, as far as we follow."""
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign | ast.AugAssign):
        return [node.target.id] if isinstance(node.target, ast.Name) else []
    if isinstance(node, ast.Import | ast.ImportFrom):
        return [alias.asname or alias.name for alias in node.names]
    if isinstance(node, ast.ClassDef):
        return [node.name]
    return []


def signature_from_callable(function: Callable[..., Any]) -> Signature:
    """The signature of a live callable."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return Signature((), var_keyword=True)  # a builtin we cannot inspect: accept anything
    parameters: list[Parameter] = []
    var_keyword = False
    var_positional = None
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.VAR_KEYWORD:
            var_keyword = True
        elif parameter.kind is parameter.VAR_POSITIONAL:
            var_positional = parameter.name
        else:
            parameters.append(
                Parameter(
                    name=parameter.name,
                    required=parameter.default is parameter.empty,
                    keyword=parameter.kind is not parameter.POSITIONAL_ONLY,
                )
            )
    return Signature(tuple(parameters), var_keyword=var_keyword, var_positional=var_positional)


def load_callable(dotted: str) -> Callable[..., Any]:
    """Import the module and walk to the attribute; it must be callable."""
    module_name, attributes = split_path(dotted)
    _find_spec(module_name)
    return _import_callable(module_name, attributes, dotted)


def _import_callable(
    module_name: str, attributes: tuple[str, ...], dotted: str
) -> Callable[..., Any]:
    """`load_callable` once the module is known to exist."""
    # Validation promises to write nothing: no __pycache__ in the user's project either.
    writing_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as error:
        raise ImportProblem(
            f"importing `{module_name}` failed: {type(error).__name__}: {error}",
            "fix the error in that module, or install what it imports",
        ) from None
    finally:
        sys.dont_write_bytecode = writing_bytecode
    walked = [module_name]
    for attribute in attributes:
        if not hasattr(target, attribute):
            names = [n for n in dir(target) if not n.startswith("_")]
            close = get_close_matches(attribute, names, n=1, cutoff=0.6)
            where = ".".join(walked)
            raise ImportProblem(
                f"`{where}` has no attribute `{attribute}`",
                f"did you mean `{where}.{close[0]}`?" if close else None,
            )
        target = getattr(target, attribute)
        walked.append(attribute)
    if not callable(target):
        kind = type(target).__name__
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        raise ImportProblem(
            f"`{dotted}` is {article} {kind}, not a function",
            "`run:` must name a function or another callable",
        )
    return target  # type: ignore[no-any-return]


def call_with(function: Callable[..., Any], inputs: Mapping[str, Any]) -> Any:
    """Call a step's function with its resolved inputs as keywords."""
    return function(**inputs)
