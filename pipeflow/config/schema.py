"""The JSON Schema of a pipeline config (shipped as package data), and fast checking against it.

jsonschema spends more time resolving `$ref`s than checking values, and a big pipeline repeats
a few step shapes thousands of times: the local references are inlined once, and each step
shape found clean is not checked again. `config.schema_errors` turns the errors found here
into located problems in plain words.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from datetime import date, time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeflow.model import jsontext

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError


@lru_cache(maxsize=1)
def _raw_schema() -> str:
    # Beside this module, read as a file: importlib.resources alone costs ~8 ms to import.
    return Path(__file__).with_name("schema.json").read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """The pipeline config JSON Schema (draft 2020-12), as a fresh dict the caller may change."""
    schema: dict[str, Any] = json.loads(_raw_schema())
    return schema


def schema_text() -> str:
    """The schema as pretty JSON, for `pipeflow schema` and editors."""
    return jsontext.dumps(load_schema(), indent=2, ensure_ascii=False) + "\n"


def compiled_valid(instance: Any) -> bool:
    """True when `instance` (see `plain`) meets the schema, by the compiled check alone.

    False means "ask jsonschema" (`validation_errors`): the compiled check may reject more
    than jsonschema does, never less (`config.schema_compile`), and it is not used when it
    was compiled from another schema.json than the one shipped beside it.
    """
    from pipeflow.config import schema_check

    if _schema_digest() != schema_check.SCHEMA_SHA256:
        return False
    check: Callable[[Any], object] = schema_check.validate
    try:
        check(instance)
    except Exception:  # its own exception, or a value of a type it does not expect
        return False
    return True


@lru_cache(maxsize=1)
def _schema_digest() -> str:
    return hashlib.sha256(_raw_schema().encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    # Resolving a `$ref` costs jsonschema more than checking the value it points to, and a big
    # pipeline makes tens of thousands of them; the local refs are inlined once instead.
    schema = load_schema()
    return Draft202012Validator(_inline(schema, schema["$defs"], frozenset()))


def inlined_schema() -> dict[str, Any]:
    """The schema the validators check with: every local `$ref` replaced by its definition."""
    schema: dict[str, Any] = _validator().schema  # type: ignore[assignment]
    return schema


def _inline(node: Any, definitions: dict[str, Any], inlining: frozenset[str]) -> Any:
    """`node` with each `#/$defs/NAME` reference replaced by a copy of its definition."""
    if isinstance(node, list):
        return [_inline(item, definitions, inlining) for item in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    name = reference.removeprefix("#/$defs/") if isinstance(reference, str) else None
    if name is not None and name in definitions and name not in inlining:
        target = _inline(definitions[name], definitions, inlining | {name})
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        return {**target, **_inline(siblings, definitions, inlining)}
    return {key: _inline(value, definitions, inlining) for key, value in node.items()}


# Where a step's errors sit in the whole document's schema: `steps` checks each step against
# its `additionalProperties`, the step definition.
_STEP_SCHEMA_PATH = ("properties", "steps", "additionalProperties")


@lru_cache(maxsize=1)
def _split_validators() -> tuple[Draft202012Validator, Draft202012Validator]:
    """(the document's schema without the per-step rule, the step schema alone).

    jsonschema costs tens of microseconds per step; a big pipeline repeats a few step shapes
    thousands of times. Checking the document without its steps' contents, then each step on
    its own, lets a step shape that was found clean once count as clean for every step.
    """
    from jsonschema import Draft202012Validator

    whole: dict[str, Any] = _validator().schema  # type: ignore[assignment]
    steps = dict(whole["properties"]["steps"])
    step_schema = steps.pop("additionalProperties")
    top = {**whole, "properties": {**whole["properties"], "steps": steps}}
    return Draft202012Validator(top), Draft202012Validator(step_schema)


@lru_cache(maxsize=1)
def definitions() -> dict[str, Any]:
    definitions: dict[str, Any] = load_schema()["$defs"]
    return definitions


def validation_errors(instance: Any) -> Iterator[ValidationError]:
    """The errors `_validator().iter_errors(instance)` finds, in the same order, found faster.

    The document is checked with `steps` kept as a mapping (its type, size and key names are
    checked there) but without checking each step; then each step is checked against the step
    schema, once per step shape. A step's errors get the paths they have in the whole document.
    """
    steps = instance.get("steps") if isinstance(instance, dict) else None
    if not isinstance(steps, dict):
        yield from _validator().iter_errors(instance)
        return
    top, step_validator = _split_validators()
    yield from top.iter_errors(instance)
    clean: set[Hashable] = set()
    for name, step in steps.items():
        shape = _shape(step)
        if shape is not None and shape in clean:
            continue
        found = False
        for error in step_validator.iter_errors(step):
            found = True
            error.path.extendleft(reversed(("steps", name)))
            error.schema_path.extendleft(reversed(_STEP_SCHEMA_PATH))
            yield error
        if not found and shape is not None:
            clean.add(shape)


def _shape(step: Any) -> Hashable | None:
    """What the step schema sees of a step: the step with the values of its inputs left out.

    The schema constrains the names of inputs, never their values, so two steps of one shape
    are both valid or both not. None when the step holds something that cannot be hashed.
    """
    if isinstance(step, dict) and isinstance(step.get("inputs"), dict):
        step = {**step, "inputs": dict.fromkeys(step["inputs"])}
    try:
        shape = _frozen(step)
        hash(shape)
    except TypeError:
        return None
    return shape


def _frozen(value: Any) -> Hashable:
    """A hashable copy of a plain value; types are kept, so `1`, `1.0` and `true` differ."""
    if isinstance(value, dict):
        return (dict, tuple((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list):
        return (list, tuple(_frozen(item) for item in value))
    return (type(value), value)


def plain(value: Any) -> Any:
    """A copy jsonschema can check: YAML/TOML dates as ISO text, every mapping key as text."""
    if isinstance(value, dict):
        return {  # a text value is itself: no call for it
            key if isinstance(key, str) else str(key): item if type(item) is str else plain(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, date | time):  # datetime is a date
        return value.isoformat()
    return value


# -- walking the schema (for the words of a problem) -------------------------------------------


def schema_at(path: Sequence[str | int]) -> Any:
    """The schema of the value at `path` (None when the path leaves what the schema allows)."""
    node: Any = inlined_schema()
    for part in path:
        if isinstance(part, int):
            node = next((s.get("items") for s in alternatives(node) if "items" in s), None)
        else:
            node = key_schema_in(object_forms(node), part)
        if node is None:
            return None
    return node


def alternatives(schema: Any) -> list[dict[str, Any]]:
    """The schema and the branches of its `oneOf`/`anyOf`, each a schema a value may meet."""
    if not isinstance(schema, dict):
        return []
    found = [schema]
    for keyword in ("oneOf", "anyOf"):
        for branch in schema.get(keyword, []):
            found.extend(alternatives(branch))
    return found


def object_forms(schema: Any) -> list[dict[str, Any]]:
    """The object forms a value of `schema` may take (mapping schemas only)."""
    return [
        option
        for option in alternatives(schema)
        if option.get("type") == "object" or "properties" in option
    ]


def is_list(schema: Any) -> bool:
    return any(option.get("type") == "array" for option in alternatives(schema))


def key_schema(schema: Mapping[str, Any], key: str) -> Any:
    """The schema of `key`'s value in a mapping of `schema`; None when the key is not allowed."""
    properties = schema.get("properties", {})
    if key in properties:
        return properties[key]
    for pattern, value in schema.get("patternProperties", {}).items():
        if re.search(pattern, key):
            return value
    names = schema.get("propertyNames")
    if isinstance(names, dict) and not fits(names, key):
        return None
    extra = schema.get("additionalProperties", True)
    if extra is False:
        return None
    return extra if isinstance(extra, dict) else {}


def key_schema_in(schemas: list[dict[str, Any]], key: str) -> Any:
    for schema in schemas:
        found = key_schema(schema, key)
        if found is not None:
            return found
    return None


def sections_naming(schemas: list[dict[str, Any]], key: str) -> list[str]:
    """The keys of these mappings whose own settings name `key` (`result` for `target`)."""
    found: list[str] = []
    for schema in schemas:
        for name, value in schema.get("properties", {}).items():
            inner = value
            if is_list(value):
                inner = next((s.get("items") for s in alternatives(value) if "items" in s), {})
            named = any(key in option.get("properties", {}) for option in object_forms(inner))
            if named and name not in found:
                found.append(name)
    return found


def property_names(schemas: list[dict[str, Any]]) -> list[str]:
    return [name for schema in schemas for name in schema.get("properties", {})]


def fits(schema: Any, value: Any) -> bool:
    """True when `value` meets `schema` (a part of the inlined schema)."""
    from jsonschema import Draft202012Validator

    return bool(Draft202012Validator(schema).is_valid(value))
