"""Resolving `run:` paths at validation: the allow rule, the walk, and the callable's signature.

For each path, in order: the allow rule decides from names and files alone (`allow.py`), so a
refused module is never imported; the module's source decides the walk when it can
(`definitions.py`); a plain top-level function's signature is read from source. Only when
the source cannot tell (an assignment, a decorator, a class method) is the module imported —
it is then a project module or one the config lists — and the live objects checked.

A config of 10,000 steps names the same few modules over and over: a `Resolver` looks each
module up, parses it and imports it at most once, and remembers every answer (problems
included, worded the same each time). Make one per load: it does not notice files that
change while it lives.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import inspect
import types
from collections.abc import Callable, Iterable
from typing import Any

from pipeflow.importing.allow import Grant, Rule, module_hint
from pipeflow.importing.definitions import ModuleSource, decide_from_source, read_source
from pipeflow.importing.loading import import_module
from pipeflow.importing.locate import find_spec
from pipeflow.importing.paths import ImportProblem
from pipeflow.importing.signatures import (
    Signature,
    signature_from_callable,
    signatures_from_source,
)
from pipeflow.records import record

Answer = tuple[str, str | None]  # a remembered ImportProblem: (message, hint)


@record
class Resolved:
    """A `run:` path the config may name, and what its callable accepts."""

    grant: Grant
    signature: Signature

    @property
    def project_module(self) -> str | None:
        """The project module the path names, whose import validation checks."""
        return self.grant.module if self.grant.kind == "project" else None


class Resolver:
    """Resolves the `run:` paths of one config."""

    def __init__(self, project_dir: str, allow: Iterable[str] = ()) -> None:
        self.rule = Rule(project_dir, allow)
        self._resolved: dict[str, Resolved | Answer] = {}
        self._origins: dict[str, str | Answer | None] = {}
        self._sources: dict[str, ModuleSource | None] = {}
        self._signatures: dict[str, dict[str, Signature | None] | None] = {}
        self._imported: dict[str, types.ModuleType | Answer] = {}

    def resolve(self, dotted: str) -> Resolved:
        """The path's grant and signature; ImportProblem when it cannot be used."""
        found = self._resolved.get(dotted)
        if found is None:
            try:
                found = self._resolve(dotted)
            except ImportProblem as problem:
                found = (problem.message, problem.hint)
            self._resolved[dotted] = found
        if isinstance(found, tuple):
            raise ImportProblem(*found)
        return found

    def _resolve(self, dotted: str) -> Resolved:
        grant = self.rule.decide(dotted)
        origin = grant.origin if grant.kind == "project" else self._origin(grant)
        source = origin if origin and origin.endswith(".py") else None
        if grant.kind == "builtin" or grant.kind == "exact":
            verdict = "defined"  # the registry, or `allow_imports` naming this very path
        elif source is None:
            verdict = "unknown"
        else:
            verdict = decide_from_source(
                self._source(source, grant.module),
                grant,
                may_name_module=self.rule.may_name_module,
            )
        if verdict == "defined" and len(grant.attributes) == 1 and source is not None:
            signature = self._source_signature(source, grant.attributes[0])
            if signature is not None:
                return Resolved(grant, signature)
        module = self.import_module(grant.module)
        function = self.rule.walk(module, grant)
        return Resolved(grant, signature_from_callable(function, _method(module, function, grant)))

    def load(self, grant: Grant) -> Callable[..., Any]:
        """Import the granted path's module and walk to its callable, checking each step."""
        return self.rule.walk(self.import_module(grant.module), grant)

    def verify(self, dotted: str) -> None:
        """Check a path against its imported module's live objects (ImportProblem if refused)."""
        self.load(self.rule.decide(dotted))

    def imported(self, name: str) -> bool:
        """Whether this resolver imported the module (and it imported cleanly)."""
        return isinstance(self._imported.get(name), types.ModuleType)

    def import_module(self, name: str) -> types.ModuleType:
        """Import a module the rule allows, once; no bytecode is written into the project."""
        found = self._imported.get(name)
        if found is None:
            try:
                found = import_module(name, project_dir=self.rule.project_dir, write_bytecode=False)
            except ImportProblem as problem:
                found = (problem.message, problem.hint)
            self._imported[name] = found
        if isinstance(found, tuple):
            raise ImportProblem(*found)
        return found

    def _origin(self, grant: Grant) -> str | None:
        """The source file of a built-in step's or a listed module; a listed module may be
        imported to find it (its packages run), never a refused one."""
        if grant.module not in self._origins:
            found: str | Answer | None
            try:
                if grant.kind == "builtin":
                    spec = find_spec(grant.module)
                    found = spec.origin if spec is not None else None
                else:
                    found = _find_listed_spec(grant.module).origin
            except ImportProblem as problem:
                found = (problem.message, problem.hint)
            self._origins[grant.module] = found
        found = self._origins[grant.module]
        if isinstance(found, tuple):
            raise ImportProblem(*found)
        return found

    def _source(self, origin: str, module: str) -> ModuleSource | None:
        if origin not in self._sources:
            self._sources[origin] = read_source(origin, module)
        return self._sources[origin]

    def _source_signature(self, origin: str, name: str) -> Signature | None:
        if origin not in self._signatures:
            self._signatures[origin] = signatures_from_source(origin)
        signatures = self._signatures[origin]
        return signatures.get(name) if signatures is not None else None


def _find_listed_spec(module: str) -> importlib.machinery.ModuleSpec:
    """The spec of a module `allow_imports` lists (its packages may be imported to find it)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as error:
        raise ImportProblem(f"cannot import `{module}`: {error}", module_hint(module)) from None
    except Exception as error:  # a package __init__ that raises while being imported
        raise ImportProblem(
            f"importing `{module}` failed: {type(error).__name__}: {error}",
            "fix the error in that module, or check its dependencies are installed",
        ) from None
    if spec is None:
        raise ImportProblem(f"no module named `{module}`", module_hint(module))
    return spec


def _method(module: types.ModuleType, function: Callable[..., Any], grant: Grant) -> str | None:
    """`Class.name` when the path names a plain method through its class (not a static or
    class method, not a bound one): the function then wants an instance first."""
    if len(grant.attributes) < 2:
        return None
    owner: Any = module
    for attribute in grant.attributes[:-1]:
        owner = getattr(owner, attribute, None)
    if not isinstance(owner, type):
        return None
    found = inspect.getattr_static(owner, grant.attributes[-1], None)
    if not inspect.isfunction(found) or found is not function:
        return None
    return f"{grant.attributes[-2]}.{grant.attributes[-1]}"
