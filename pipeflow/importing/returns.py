"""What a function's return annotation says about the parts of its value.

`${steps.NAME.PART}` reads a key of the mapping a step returns. When the function's return
annotation says it returns no mapping (`-> int`, `-> list[str]`, `-> "tuple[int, int]"`,
`-> int | None`, `-> Optional[List[str]]`), such a reference can only fail, and validation says
so before any step runs. Only annotations that say it for certain count: builtin types the
module does not rebind, the `typing` names of the same types, and unions of them. Anything
else (no annotation, `dict`, `Any`, `object`, a class of the project, a text that does not
parse) may be a mapping.

The annotation is read from the source (`ast`) or, for a decorated function, from the live
callable; both come down to the same rule.
"""

from __future__ import annotations

import ast
import inspect
import types
import typing
from collections.abc import Callable, Container, Mapping
from typing import Any

# Builtin types whose values are never a mapping, by name.
_BUILTINS = frozenset(
    {"int", "float", "complex", "bool", "str", "bytes", "bytearray", "list", "tuple", "set"}
    | {"frozenset", "range"}
)
# The `typing` names of those types, and of a union of them.
_TYPING = frozenset({"List", "Tuple", "Set", "FrozenSet", "Text", "AnyStr"})
_UNIONS = frozenset({"Union", "Optional"})
_TYPING_MODULES = frozenset({"typing", "typing_extensions"})


def typing_names(tree: ast.Module) -> dict[str, str]:
    """The module's top-level names for `typing` ("typing") and for its names (their own)."""
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in _TYPING_MODULES:
                    names[alias.asname or alias.name] = "typing"
        elif isinstance(node, ast.ImportFrom) and node.module in _TYPING_MODULES:
            for alias in node.names:
                names[alias.asname or alias.name] = alias.name
    return names


def no_parts_in_source(
    annotation: ast.expr | None, aliases: Mapping[str, str], rebound: Container[str]
) -> str | None:
    """The annotation's text when it says the value is no mapping; None when it may be one.

    `aliases` maps the module's names to what they are in `typing` (`typing_names`); `rebound`
    holds the names the module binds itself (a builtin's name among them says nothing)."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value.strip(), mode="eval").body
        except SyntaxError:
            return None
    return ast.unparse(annotation) if _no_mapping(annotation, aliases, rebound) else None


def _no_mapping(node: ast.expr, aliases: Mapping[str, str], rebound: Container[str]) -> bool:
    if isinstance(node, ast.Constant):
        return node.value is None
    if isinstance(node, ast.Name):
        if node.id in _BUILTINS:
            return node.id not in rebound
        return aliases.get(node.id) in _TYPING
    if isinstance(node, ast.Attribute):  # typing.List
        return _typing_attribute(node, aliases) in _TYPING
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # int | None
        return _no_mapping(node.left, aliases, rebound) and _no_mapping(
            node.right, aliases, rebound
        )
    if isinstance(node, ast.Subscript):
        base = node.value
        name = _typing_attribute(base, aliases) if isinstance(base, ast.Attribute) else None
        if isinstance(base, ast.Name) and base.id not in _BUILTINS:
            name = aliases.get(base.id)
        if name in _UNIONS:
            members = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return all(_no_mapping(member, aliases, rebound) for member in members)
        return _no_mapping(base, aliases, rebound)  # list[int], Tuple[int, ...]
    return False


def _typing_attribute(node: ast.Attribute, aliases: Mapping[str, str]) -> str | None:
    if isinstance(node.value, ast.Name) and aliases.get(node.value.id) == "typing":
        return node.attr
    return None


def no_parts_of_callable(function: Callable[..., Any]) -> str | None:
    """`no_parts_in_source`'s answer for a live callable's return annotation."""
    try:
        annotation = inspect.signature(function).return_annotation
    except (TypeError, ValueError):
        return None
    if annotation is inspect.Signature.empty:
        return None
    if isinstance(annotation, str):  # `from __future__ import annotations`, or a text
        namespace = getattr(inspect.unwrap(function), "__globals__", None)
        if not isinstance(namespace, dict):
            return None
        try:
            parsed = ast.parse(annotation.strip(), mode="eval").body
        except SyntaxError:
            return None
        return (
            ast.unparse(parsed) if _no_mapping(parsed, _typing_in(namespace), namespace) else None
        )
    return inspect.formatannotation(annotation) if _no_mapping_object(annotation) else None


def _typing_in(namespace: Mapping[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for name, value in namespace.items():
        if value is typing:
            names[name] = "typing"
        else:
            for known in (*_TYPING, *_UNIONS):
                if value is getattr(typing, known, None):
                    names[name] = known
    return names


def _no_mapping_object(annotation: Any) -> bool:
    if annotation is None or annotation is type(None):
        return True
    if isinstance(annotation, type) and annotation.__module__ == "builtins":
        return annotation.__name__ in _BUILTINS
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return all(_no_mapping_object(member) for member in typing.get_args(annotation))
    return origin is not None and _no_mapping_object(origin)  # list[int], typing.List[int]
