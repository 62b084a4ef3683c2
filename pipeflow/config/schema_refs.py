"""The `$ref`s of a `params_schema`: only references inside it, and each one resolving.

A config must not make pipeflow reach the network or other files (SPEC section 10), and
JSON Schema validators follow a `$ref` to a URL or a file by fetching it. So before any
validator sees a `params_schema`, every `$ref` (and `$dynamicRef`) in it is read here: one
that does not start with `#` is refused, and so is a local one that points at nothing; and
the validator that words the problems is given a registry that retrieves nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote

_REF_KEYWORDS = ("$ref", "$dynamicRef")
# Keywords whose value is data (not looked into) and those whose value maps names to schemas.
_DATA = frozenset(("enum", "const", "examples", "default"))
_NAMES = frozenset(("properties", "patternProperties", "$defs", "definitions", "dependentSchemas"))
_HINT_REMOTE = (
    "copy the definition into `params_schema.$defs` and refer to it as `#/$defs/NAME`; "
    "pipeflow never fetches a schema"
)


def ref_problems(schema: Mapping[str, Any]) -> list[tuple[list[str | int], str, str]]:
    """(path under `params_schema`, message, hint) for each `$ref` that is not a local
    reference which resolves inside `schema`."""
    found: list[tuple[list[str | int], str, str]] = []
    anchors = {
        node["$anchor"]
        for path, node in _nodes(schema)
        if isinstance(node, Mapping)
        and not (path and path[-1] in _NAMES)
        and isinstance(node.get("$anchor"), str)
    }
    for path, node in _nodes(schema):
        if not isinstance(node, Mapping) or (path and path[-1] in _NAMES):
            continue
        for keyword in _REF_KEYWORDS:
            ref = node.get(keyword)
            if keyword not in node:
                continue
            where = [*path, keyword]
            if not isinstance(ref, str):
                found.append(
                    (
                        where,
                        f"`{keyword}` must be a text, got {ref!r}",
                        "write a reference inside params_schema, e.g. `#/$defs/NAME`",
                    )
                )
            elif not ref.startswith("#"):
                found.append(
                    (
                        where,
                        f"`{keyword}` {ref!r} points outside params_schema; only references "
                        "inside it (`#/...`) are allowed",
                        _HINT_REMOTE,
                    )
                )
            elif not _resolves(schema, ref[1:], anchors):
                found.append(
                    (
                        where,
                        f"`{keyword}` {ref!r} points at nothing in params_schema",
                        "refer to a definition it has, e.g. `#/$defs/NAME` for one under "
                        "`params_schema.$defs`",
                    )
                )
    return found


def no_retrieval() -> Any:
    """A `referencing` registry that fetches nothing (for jsonschema's `registry=`)."""
    from referencing import Registry
    from referencing.exceptions import NoSuchResource

    def refuse(uri: str) -> Any:
        raise NoSuchResource(ref=uri)  # type: ignore[call-arg]

    return Registry(retrieve=refuse)  # type: ignore[call-arg]


def _resolves(schema: Mapping[str, Any], fragment: str, anchors: set[str]) -> bool:
    """Whether a fragment (`/a/b` JSON pointer, `` for the whole, or an anchor) finds a part."""
    if not fragment:
        return True
    if not fragment.startswith("/"):
        return fragment in anchors
    node: Any = schema
    for token in unquote(fragment)[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


def _nodes(schema: Any) -> Iterator[tuple[list[str | int], Any]]:
    """Every value of the schema with its path, walked without recursion."""
    stack: list[tuple[list[str | int], Any]] = [([], schema)]
    while stack:
        path, node = stack.pop()
        yield path, node
        if isinstance(node, Mapping):
            stack.extend(([*path, k], v) for k, v in node.items() if k not in _DATA)
        elif isinstance(node, list):
            stack.extend(([*path, index], value) for index, value in enumerate(node))
