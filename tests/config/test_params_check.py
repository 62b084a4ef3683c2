"""The quick check of params against a plain `params_schema` says "valid" only where
jsonschema does; every other case is jsonschema's (and its messages stay as they were)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipeflow
from pipeflow.config.params_check import plainly_valid
from pipeflow.errors import ConfigError

IRIS = {
    "type": "object",
    "properties": {
        "data_path": {"type": "string"},
        "target_col": {"type": "string"},
        "test_data_ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "seed": {"type": "integer", "minimum": 0},
    },
}
PLAIN_SCHEMAS: list[dict[str, Any]] = [
    IRIS,
    {"type": "object", "required": ["a"], "additionalProperties": False, "properties": {"a": {}}},
    {"type": "object", "additionalProperties": {"type": "integer", "maximum": 3}},
    {"properties": {"mode": {"enum": ["fast", "slow", 1, None, True]}}},
    {"properties": {"version": {"const": 1}, "flag": {"const": False}}},
    {"properties": {"name": {"type": "string", "pattern": "^[a-z]+$", "minLength": 2}}},
    {"properties": {"name": {"type": "string", "maxLength": 3, "description": "short"}}},
    {"properties": {"xs": {"type": "array", "items": {"type": "number"}, "minItems": 1}}},
    {"properties": {"xs": {"type": "array", "maxItems": 2, "items": False}}},
    {"properties": {"x": {"type": ["integer", "null"], "default": 1, "examples": [1]}}},
    {"properties": {"x": True, "y": False}},
]
# Schemas jsonschema must judge: other keywords, a malformed rule, a bad pattern.
OTHER_SCHEMAS: list[dict[str, Any]] = [
    {"properties": {"x": {"type": "strin"}}},
    {"properties": {"x": {"minimum": "0"}}},
    {"properties": {"x": {"minimum": True}}},
    {"properties": {"x": {"pattern": "("}}},
    {"properties": {"x": {"minLength": -1}}},
    {"required": ["a", "a"]},
    {"required": "a"},
    {"properties": {"x": {"anyOf": [{"type": "string"}]}}},
    {"properties": {"x": {"$ref": "#/$defs/y"}}, "$defs": {"y": {}}},
    {"patternProperties": {"^a": {"type": "string"}}},
    {"properties": {"x": {"enum": [[1]]}}},
    {"properties": {"x": {"items": [{"type": "string"}]}}},
    {"dependentRequired": {"a": ["b"]}},
    {"examples": "not a list"},
    # a `type` list of other things than names (a TypeError in the quick check before)
    {"properties": {"x": {"type": [["string"]]}}},
    {"properties": {"x": {"type": [{"a": 1}, "string"]}}},
    {"type": [1]},
]
VALUES: list[Any] = [
    {},
    {"a": 1},
    {"a": None, "b": "x"},
    {"data_path": "d.csv", "target_col": "species", "test_data_ratio": 0.2, "seed": 42},
    {"test_data_ratio": 1},
    {"test_data_ratio": 0},
    {"test_data_ratio": True},
    {"seed": 1.0},
    {"seed": 1.5},
    {"seed": -1},
    {"seed": True},
    {"mode": "fast"},
    {"mode": 1.0},
    {"mode": True},
    {"mode": 1},
    {"mode": "x"},
    {"version": 1},
    {"version": True},
    {"version": 1.0},
    {"flag": 0},
    {"flag": False},
    {"name": "ab"},
    {"name": "a"},
    {"name": "abcd"},
    {"name": "ab\n"},
    {"name": 12},
    {"xs": []},
    {"xs": [1, 2.5]},
    {"xs": [1, "2"]},
    {"xs": [True]},
    {"xs": (1, 2)},
    {"x": None},
    {"x": 1},
    {"x": "1"},
    {"y": 1},
    {"a": 4},
    {1: "a"},
    [],
    "text",
]


def jsonschema_valid(schema: dict[str, Any], value: Any) -> bool:
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError:
        return False
    return bool(jsonschema.Draft202012Validator(schema).is_valid(value))


@pytest.mark.parametrize("schema", PLAIN_SCHEMAS + OTHER_SCHEMAS, ids=repr)
def test_valid_only_where_jsonschema_says_so(schema: dict[str, Any]) -> None:
    for value in VALUES:
        if plainly_valid(schema, value):
            assert jsonschema_valid(schema, value), value


@pytest.mark.parametrize("schema", PLAIN_SCHEMAS, ids=repr)
def test_plain_schemas_take_the_quick_path(schema: dict[str, Any]) -> None:
    passed = [value for value in VALUES if plainly_valid(schema, value)]
    valid = [value for value in VALUES if jsonschema_valid(schema, value)]
    assert all(value in valid for value in passed)
    assert [value for value in valid if not _unusual(value)] == [
        value for value in passed if not _unusual(value)
    ]


def _unusual(value: Any) -> bool:
    """Values left to jsonschema on purpose: tuples, non-text keys, `1.0` against `1`."""
    if isinstance(value, dict):
        return any(not isinstance(k, str) or _unusual(v) for k, v in value.items())
    if isinstance(value, tuple):
        return True
    if isinstance(value, list):
        return any(_unusual(item) for item in value)
    return False


@pytest.mark.parametrize("schema", OTHER_SCHEMAS, ids=repr)
def test_other_schemas_are_left_to_jsonschema(schema: dict[str, Any]) -> None:
    assert not any(plainly_valid(schema, value) for value in VALUES)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    value=st.dictionaries(st.sampled_from(["seed", "mode", "name", "xs", "x", "a"]), json_values)
)
def test_random_params_never_pass_where_jsonschema_fails(value: dict[str, Any]) -> None:
    for schema in PLAIN_SCHEMAS:
        if plainly_valid(schema, value):
            assert jsonschema_valid(schema, value), (schema, value)


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_type_list_of_lists_is_a_problem_of_the_config_not_a_traceback(
    tmp_path: Path, kind: str
) -> None:
    (tmp_path / "typed_steps.py").write_text("def one():\n    return 1\n", encoding="utf-8")
    config = tmp_path / f"p.{kind}"
    if kind == "yaml":
        text = (
            "name: p\nparams: {a: 1}\nparams_schema:\n  properties:\n    a: {type: [[string]]}\n"
            "steps:\n  s: {run: typed_steps.one}\n"
        )
    else:
        text = (
            'name = "p"\nparams = {a = 1}\n[params_schema.properties.a]\ntype = [["string"]]\n'
            '[steps.s]\nrun = "typed_steps.one"\n'
        )
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    assert [p.path for p in raised.value.problems] == ["params_schema.properties.a.type"]
