"""Writes `schema_check.py`: the config schema compiled to Python, validation's fast path.

jsonschema costs ~150 ms to import and builds its validator on every `pipeflow validate`; most
configs are valid. fastjsonschema turns the schema into Python code once, here, at development
time; `pipeflow` imports that module (a few milliseconds) and asks jsonschema only when the
compiled check fails, to word the problems exactly as before (`config.schema_errors`).

The compiled check must never pass a config jsonschema rejects (it may reject more: then
jsonschema decides). So before compiling, the schema is made at least as strict for
fastjsonschema as it is for jsonschema: annotations are dropped (they check nothing), each
`const`/`enum` also requires the JSON type of its values (`0 == false` in Python), and the
draft is given as 7, the newest fastjsonschema reads (the keywords this schema uses mean the
same there). `tests/config/test_schema_check.py` compares both on every config the tests hold.

Run after changing schema.json (a test says when it is needed), with the dev extras installed:

    python -m pipeflow.config.schema_compile
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

TARGET = Path(__file__).with_name("schema_check.py")
_ANNOTATIONS = ("description", "examples", "title", "default", "$comment")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf")
_SCHEMA_VALUES = ("additionalProperties", "items", "propertyNames", "not", "contains")
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}
_HEADER = '''\
"""The pipeline config schema compiled to Python: GENERATED, do not edit.

Made by `python -m pipeflow.config.schema_compile` from schema.json (fastjsonschema {version});
see that module. `config.schema.compiled_valid` uses it only while SCHEMA_SHA256 matches.
"""
# ruff: noqa
# mypy: ignore-errors

SCHEMA_SHA256 = "{digest}"


class JsonSchemaValueException(ValueError):
    def __init__(self, message, *args, **kwargs):
        super().__init__(message)


JsonSchemaValuesException = JsonSchemaValueException
'''
_IMPORT = "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException\n"
# A config read from YAML, TOML or JSON holds no Decimal; `decimal` costs milliseconds to import.
_DECIMAL = "from decimal import Decimal\n"
_NO_DECIMAL = (
    "Decimal = float  # configs hold no Decimal (a Decimal fails the check: jsonschema decides)\n"
)


# fastjsonschema names each nested value's place as `"data.steps.{data__steps_key}".format(
# **locals())`, eagerly, for messages it shows only on failure: a `locals()` dict per value
# (~5 % of validating a 100,000-step config). The same text as an f-string costs next to nothing.
_FORMAT_LOCALS = re.compile(
    r'"((?:[^"\\{}]|\\.|\{[A-Za-z_][A-Za-z0-9_]*\})*)"\.format\(\*\*locals\(\)\)'
)


def schema_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def strict_schema(node: Any) -> Any:
    """`node` (a schema) for fastjsonschema: annotations dropped, const/enum typed."""
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _ANNOTATIONS:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            result[key] = {name: strict_schema(item) for name, item in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            result[key] = [strict_schema(item) for item in value]
        elif key in _SCHEMA_VALUES:
            result[key] = strict_schema(value)
        else:
            result[key] = value
    allowed = [result["const"]] if "const" in result else result.get("enum")
    if isinstance(allowed, list):
        kinds = sorted({_JSON_TYPES.get(type(value), "object") for value in allowed})
        if "object" in kinds:
            raise ValueError(f"const/enum of containers is not compiled: {allowed!r}")
        result = {"allOf": [result, {"type": kinds}]}
    return result


def generate(text: str) -> str:
    """The module's source for the schema `text` (schema.json's content)."""
    import fastjsonschema  # a development dependency only: the generated code does not need it

    schema = strict_schema(json.loads(text))
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    code: str = fastjsonschema.compile_to_code(schema, use_default=False, use_formats=False)
    if _IMPORT not in code or _DECIMAL not in code:
        raise RuntimeError("fastjsonschema's generated code changed: update schema_compile.py")
    code = code.replace(_IMPORT, "").replace(_DECIMAL, _NO_DECIMAL)
    code = _FORMAT_LOCALS.sub(r'f"\1"', code)
    header = _HEADER.format(version=fastjsonschema.VERSION, digest=schema_digest(text))
    entry = code.split("def ", 1)[1].split("(", 1)[0]
    return f"{header}\n{code.rstrip()}\n\n\nvalidate = {entry}\n"


def main() -> None:
    text = Path(__file__).with_name("schema.json").read_text(encoding="utf-8")
    TARGET.write_text(generate(text), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
