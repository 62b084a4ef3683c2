"""Resolving `run:` paths to callables, and the allow rule that decides which may be named."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable, Mapping
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pipeflow.importing.paths import ImportProblem, split_path
from pipeflow.importing.signatures import (
    Signature,
    signature_from_callable,
    signatures_from_source,
)


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
                self._sources[spec.origin] = signatures_from_source(spec.origin)
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
        signatures = signatures_from_source(spec.origin)
        found = signatures.get(attributes[0]) if signatures is not None else None
        if found is not None:
            return found
    return signature_from_callable(_import_callable(module, attributes, dotted))


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
