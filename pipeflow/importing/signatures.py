"""What a step's callable accepts: read from source with `ast`, or from the live callable.

Signatures of plain top-level functions come from one parse of the module's source, so
`pipeflow validate` does not import a step module that imports pandas or scikit-learn just
to check a step's inputs against its parameters.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterable
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pipeflow.importing.returns import no_parts_in_source, no_parts_of_callable, typing_names
from pipeflow.records import record


@record
class Parameter:
    name: str
    required: bool
    keyword: bool  # can be passed by keyword


@record
class Signature:
    """What a callable accepts, enough to check a step's inputs against it."""

    parameters: tuple[Parameter, ...]
    var_keyword: bool = False
    var_positional: str | None = None  # the name of `*args`, which no input can reach
    # The return annotation's text when it says the value is no mapping (`returns.py`): then
    # `${steps.NAME.PART}` of the step can only fail.
    no_parts: str | None = None
    # A plain method named through its class (`Model.fit`): its first parameter is the
    # instance, which no input usually gives.
    method: str | None = None

    def problems(
        self, given: Iterable[str], *, item: str | None = None, kind: str = "yaml"
    ) -> list[tuple[str, str | None]]:
        """(message, hint) for each input that does not fit, and each required one missing.
        `item`: the name a `foreach` item goes by (one of `given`), which the user did not
        write under `inputs:`; `kind`: the config's syntax ("yaml", "toml"), for the hints."""
        given = list(given)
        names = [p.name for p in self.parameters if p.keyword]
        found: list[tuple[str, str | None]] = []
        suggested: set[str] = set()
        positional_only = {p.name for p in self.parameters if not p.keyword}
        for name in given:
            if name in names or self.var_keyword:
                continue
            if name == item:
                fits = self._item_argument(name, given)
                suggested.update(fits[:1])
                hint = (
                    f"name the item `{fits[0]}`, the argument it fills: `as: {fits[0]}`"
                    if fits
                    else _accepted(names, positional_only)
                )
                found.append(
                    (
                        f"unknown input `{name}`: the `foreach` item goes to the function as "
                        f"`{name}`, and the function takes no such argument",
                        hint,
                    )
                )
            elif name == self.var_positional:
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
                        _by_name_hint(name),
                    )
                )
            else:
                unused = [n for n in names if n not in given]
                close = get_close_matches(name, unused, n=1, cutoff=0.6)
                suggested.update(close)
                hint = f"did you mean `{close[0]}`?" if close else _accepted(names, positional_only)
                found.append((f"unknown input `{name}`: the function takes no such argument", hint))
        for parameter in self.parameters:
            # A typo is one mistake: `row` for `rows` is not also "missing `rows`".
            if (
                parameter.required
                and parameter.name not in given
                and parameter.name not in suggested
            ):
                if self.method is not None and parameter is self.parameters[0]:
                    found.append(self._unbound(parameter.name))
                    continue
                add = (
                    f"`{parameter.name} = ...` to"
                    if kind == "toml"
                    else f"`{parameter.name}: ...` under"
                )
                hint = f"add {add} `inputs`" if parameter.keyword else _by_name_hint(parameter.name)
                found.append((f"missing input `{parameter.name}`: the function requires it", hint))
        return found

    def _item_argument(self, item: str, given: list[str]) -> list[str]:
        """The argument a `foreach` item named `item` is likely meant for: the one close to
        its name, else the only required one no input gives."""
        free = [p for p in self.parameters if p.keyword and p.name not in given]
        close = get_close_matches(item, [p.name for p in free], n=1, cutoff=0.6)
        required = [p.name for p in free if p.required]
        return close or (required if len(required) == 1 else [])

    def _unbound(self, name: str) -> tuple[str, str]:
        assert self.method is not None
        owner, method = self.method.rsplit(".", 1)
        return (
            f"missing input `{name}`: `{self.method}` is a method: it needs an instance of "
            f"`{owner}` as `{name}`, which a step does not make",
            f"make it a `@staticmethod` (or a `@classmethod`), name a function that makes the "
            f"`{owner}` and calls its `{method}`, or give an instance as the input `{name}`",
        )


def _by_name_hint(name: str) -> str:
    return (
        f"inputs are passed by name: remove the `/` after `{name}`, or, in a function that "
        "is not yours to edit, call it from a function of your own"
    )


def _accepted(names: list[str], positional_only: set[str] | None = None) -> str:
    if not names and positional_only:
        listed = ", ".join(f"`{name}`" for name in sorted(positional_only))
        return (
            f"it takes {listed} by position only, which inputs (given by name) cannot reach: "
            "call it from a function of your own"
        )
    if not names:
        return "the function takes no arguments"
    return "it accepts " + ", ".join(f"`{n}`" for n in names)


def signatures_from_source(origin: str) -> dict[str, Signature | None] | None:
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
    aliases = typing_names(tree)
    return {
        name: None
        if node is None or node.decorator_list
        else signature_of_def(node, no_parts_in_source(node.returns, aliases, last))
        for name, node in last.items()
    }


def signature_of_def(
    found: ast.FunctionDef | ast.AsyncFunctionDef, no_parts: str | None = None
) -> Signature:
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
        no_parts=no_parts,
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


def signature_from_callable(function: Callable[..., Any], method: str | None = None) -> Signature:
    """The signature of a live callable; `method`: its `Class.name` when it is a plain method
    named through its class."""
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
    return Signature(
        tuple(parameters),
        var_keyword=var_keyword,
        var_positional=var_positional,
        no_parts=no_parts_of_callable(function),
        method=method if parameters and parameters[0].keyword else None,
    )
