"""A quick yes for params that meet a plain `params_schema`, without importing jsonschema.

Most `params_schema`s use a handful of keywords (`type`, `properties`, `required`, bounds,
`enum`, `pattern`, ...). For those, `plainly_valid` checks the schema's own form and then the
params directly; any other keyword, and every failure, is left to jsonschema, which words the
problems (`config.loader`). So this module only ever answers "valid" where jsonschema would:
a keyword it does not know, a value of an unusual type or a doubtful case all answer False.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_TYPES = ("object", "array", "string", "number", "integer", "boolean", "null")
_ANNOTATIONS = ("description", "title", "default", "$comment")
_SCALARS = (str, int, float, bool, type(None))


class _Unsure(Exception):
    """Raised where the answer is jsonschema's to give."""


def plainly_valid(schema: Any, instance: Any) -> bool:
    """True when `schema` is a well-formed schema of the plain kind and `instance` meets it."""
    try:
        _form(schema)
        return _valid(schema, instance)
    except (_Unsure, re.error, RecursionError):
        return False


# -- the schema's own form ---------------------------------------------------------------------


def _form(schema: Any) -> None:
    """Raise _Unsure unless every keyword of `schema` is known here and well formed."""
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise _Unsure
    for keyword, rule in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        if keyword == "examples":
            _expect(isinstance(rule, list))
        elif keyword == "type":
            kinds = [rule] if isinstance(rule, str) else rule
            _expect(isinstance(kinds, list) and all(isinstance(kind, str) for kind in kinds))
            _expect(bool(kinds) and len(set(kinds)) == len(kinds))
            _expect(all(kind in _TYPES for kind in kinds))
        elif keyword in _BOUNDS:
            _expect(isinstance(rule, int | float) and not isinstance(rule, bool))
        elif keyword in _LENGTHS:
            _expect(isinstance(rule, int) and not isinstance(rule, bool) and rule >= 0)
        elif keyword == "enum":
            _expect(isinstance(rule, list) and all(isinstance(item, _SCALARS) for item in rule))
        elif keyword == "const":
            _expect(isinstance(rule, _SCALARS))
        elif keyword == "pattern":
            _expect(isinstance(rule, str))
            re.compile(rule)
        elif keyword == "required":
            _expect(isinstance(rule, list) and all(isinstance(name, str) for name in rule))
            _expect(len(set(rule)) == len(rule))
        elif keyword == "properties":
            _expect(isinstance(rule, dict))
            for item in rule.values():
                _form(item)
        elif keyword in ("additionalProperties", "items"):
            _form(rule)
        else:
            raise _Unsure


def _expect(condition: bool) -> None:
    if not condition:
        raise _Unsure


# -- the params against it ---------------------------------------------------------------------


def _valid(schema: Any, value: Any) -> bool:
    if isinstance(schema, bool):
        return schema
    kind = _kind(value)
    for keyword, rule in schema.items():
        if keyword == "type":
            kinds = [rule] if isinstance(rule, str) else rule
            if not any(_is_type(kind, wanted) for wanted in kinds):
                return False
        elif keyword in _BOUNDS:
            if kind in ("integer", "number") and not _BOUNDS[keyword](value, rule):
                return False
        elif keyword in _LENGTHS:
            wanted, compare = _LENGTHS[keyword]
            if kind == wanted and not compare(len(value), rule):
                return False
        elif keyword == "enum":
            if not any(_same(allowed, value) for allowed in rule):
                return False
        elif keyword == "const":
            if not _same(rule, value):
                return False
        elif keyword == "pattern":
            if kind == "string" and re.search(rule, value) is None:
                return False
        elif not _container_keyword(schema, keyword, rule, value, kind):
            return False
    return True


def _container_keyword(
    schema: dict[str, Any], keyword: str, rule: Any, value: Any, kind: str
) -> bool:
    if kind == "array" and keyword == "items":
        return all(_valid(rule, item) for item in value)
    if kind != "object":
        return True
    if keyword == "required":
        return all(name in value for name in rule)
    if keyword == "properties":
        return all(_valid(item, value[name]) for name, item in rule.items() if name in value)
    if keyword == "additionalProperties":
        known = schema.get("properties", {})
        return all(_valid(rule, item) for name, item in value.items() if name not in known)
    return True


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"  # 1.0 is an integer to jsonschema
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return "object"
    raise _Unsure  # a tuple, a date, a set, ...: jsonschema's to judge


def _is_type(kind: str, wanted: str) -> bool:
    if wanted == "number":
        return kind in ("integer", "number")
    return kind == wanted


def _same(allowed: Any, value: Any) -> bool:
    """jsonschema's equality for scalars: `true` is not `1`, `1` is `1.0`."""
    if not isinstance(value, _SCALARS):
        raise _Unsure  # containers compare by jsonschema's own rules
    numbers = ("integer", "number")
    if _kind(allowed) in numbers and _kind(value) in numbers:
        return bool(allowed == value)
    return _kind(allowed) == _kind(value) and bool(allowed == value)


_BOUNDS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": lambda value, limit: value >= limit,
    "maximum": lambda value, limit: value <= limit,
    "exclusiveMinimum": lambda value, limit: value > limit,
    "exclusiveMaximum": lambda value, limit: value < limit,
}
_LENGTHS: dict[str, tuple[str, Callable[[int, int], bool]]] = {
    "minLength": ("string", lambda size, limit: size >= limit),
    "maxLength": ("string", lambda size, limit: size <= limit),
    "minItems": ("array", lambda size, limit: size >= limit),
    "maxItems": ("array", lambda size, limit: size <= limit),
}
