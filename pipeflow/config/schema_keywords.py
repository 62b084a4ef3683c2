"""The keywords of a `params_schema`: a misspelt one is reported, since JSON Schema ignores a
keyword it does not know, so `propertes: {ratio: {maximum: 1}}` would check nothing at all.

Only the places that hold a schema are looked at (the schema itself, `properties` values,
`items`, `allOf` entries, ...), never data (`enum`, `default`) nor the names under
`properties`. A keyword that is like no JSON Schema keyword is left alone: it may be an
annotation of the user's own (`x-unit`), which JSON Schema allows.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

# Keywords whose value is a schema, a mapping of names to schemas, or a list of schemas.
_ONE = frozenset(
    (
        "not",
        "if",
        "then",
        "else",
        "items",
        "additionalItems",
        "contains",
        "additionalProperties",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
        "contentSchema",
    )
)
_NAMED = frozenset(("properties", "patternProperties", "$defs", "definitions", "dependentSchemas"))
_LISTED = frozenset(("allOf", "anyOf", "oneOf", "prefixItems", "items"))
KEYWORDS = (
    _ONE
    | _NAMED
    | _LISTED
    | frozenset(
        (
            "type",
            "enum",
            "const",
            "multipleOf",
            "maximum",
            "exclusiveMaximum",
            "minimum",
            "exclusiveMinimum",
            "maxLength",
            "minLength",
            "pattern",
            "maxItems",
            "minItems",
            "uniqueItems",
            "maxContains",
            "minContains",
            "maxProperties",
            "minProperties",
            "required",
            "dependentRequired",
            "dependencies",
            "format",
            "contentEncoding",
            "contentMediaType",
            "title",
            "description",
            "default",
            "deprecated",
            "readOnly",
            "writeOnly",
            "examples",
            "$schema",
            "$id",
            "$anchor",
            "$ref",
            "$dynamicRef",
            "$dynamicAnchor",
            "$recursiveRef",
            "$recursiveAnchor",
            "$vocabulary",
            "$comment",
        )
    )
)


def keyword_problems(schema: Mapping[str, Any]) -> list[tuple[list[str | int], str, str]]:
    """(path under `params_schema`, message, hint) for each keyword that looks like a
    misspelt JSON Schema keyword."""
    found: list[tuple[list[str | int], str, str]] = []
    for path, node in _schemas(schema):
        for key in node:
            if not isinstance(key, str) or key in KEYWORDS:
                continue
            meant = _meant(key)
            if meant is not None:
                hint = f"did you mean `{meant}`?"
                message = (
                    f"unknown keyword `{key}` in params_schema: JSON Schema ignores a keyword "
                    "it does not know, so it would check nothing"
                )
                found.append(([*path, key], message, hint))
    return found


def _meant(key: str) -> str | None:
    """The keyword `key` is a slip of (`propertes`, `Required`, `exclusiveMinimun`), or None:
    closer than a did-you-mean usually asks, as a name of the user's own is no mistake."""
    lowered = {keyword.lower(): keyword for keyword in KEYWORDS}
    if key.lower() in lowered:
        return lowered[key.lower()]
    close = difflib.get_close_matches(key, sorted(KEYWORDS), n=1, cutoff=0.8)
    return close[0] if close else None


def _schemas(schema: Any) -> Iterator[tuple[list[str | int], Mapping[str, Any]]]:
    """Every schema inside `schema` (itself included) with its path, walked without
    recursion."""
    stack: list[tuple[list[str | int], Any]] = [([], schema)]
    while stack:
        path, node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        yield path, node
        for key, value in node.items():
            if key in _ONE and isinstance(value, Mapping):
                stack.append(([*path, key], value))
            elif key in _NAMED and isinstance(value, Mapping):
                stack.extend(([*path, key, name], item) for name, item in value.items())
            elif key in _LISTED and isinstance(value, list):
                stack.extend(([*path, key, index], item) for index, item in enumerate(value))
