"""The compiled schema check (`config/schema_check.py`) never passes what jsonschema rejects.

`pipeflow validate` asks the compiled check first and jsonschema only when it fails; so the
compiled check may be stricter than jsonschema, never more lenient, and it must be compiled from
the schema.json shipped beside it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pipeflow.config import schema, schema_check, schema_compile
from pipeflow.config.reader import read_document
from pipeflow.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def readable(path: Path) -> bool:
    try:
        read_document(path)
    except ConfigError:
        return False  # the reader's own tests cover these
    return True


FOUND = sorted(
    path
    for folder in ("tests/assets", "examples", "docs")
    for path in (REPO / folder).rglob("*")
    if path.suffix in (".yaml", ".yml", ".toml") and "params" not in path.name
)
CONFIGS = [
    path for path in [*FOUND, REPO / "pipeline.yaml", REPO / "pipeline.toml"] if readable(path)
]


def jsonschema_finds(instance: Any) -> list[str]:
    return [error.message for error in schema._validator().iter_errors(instance)]


def test_the_compiled_check_is_made_from_the_shipped_schema() -> None:
    text = (REPO / "pipeflow/config/schema.json").read_text(encoding="utf-8")
    assert schema_compile.schema_digest(text) == schema_check.SCHEMA_SHA256, (
        "schema.json changed: run `python -m pipeflow.config.schema_compile`"
    )


def test_regenerating_gives_the_shipped_module() -> None:
    text = (REPO / "pipeflow/config/schema.json").read_text(encoding="utf-8")
    shipped = (REPO / "pipeflow/config/schema_check.py").read_text(encoding="utf-8")
    assert schema_compile.generate(text) == shipped


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_config_gets_the_verdict_jsonschema_gives(path: Path) -> None:
    instance = schema.plain(read_document(path).data)
    found = jsonschema_finds(instance)
    # Valid configs take the fast path; invalid ones are never passed by it.
    assert schema.compiled_valid(instance) == (found == []), found


def test_the_configs_compared_hold_valid_and_invalid_ones() -> None:
    verdicts = [jsonschema_finds(schema.plain(read_document(path).data)) == [] for path in CONFIGS]
    assert verdicts.count(True) >= 10
    assert verdicts.count(False) >= 10


VALID = {
    "name": "demo",
    "pipeflow": 1,
    "executor": {"type": "threads", "workers": 2},
    "defaults": {"retries": 1, "retry_delay": "1s", "timeout": None},
    "schedules": [{"cron": "0 6 * * *"}],
    "steps": {
        "a": {"run": "m.f", "result": {"format": "json"}, "tags": ["x"]},
        "b": {"run": "m.g", "inputs": {"x": "${steps.a}"}, "result": False, "after": ["a"]},
    },
}

# Values Python calls equal (or fitting) where JSON Schema does not, and other edges.
EDITS = [
    (("pipeflow",), True),
    (("pipeflow",), 1.0),
    (("pipeflow",), "1"),
    (("steps", "b", "result"), 0),
    (("steps", "b", "result"), 0.0),
    (("steps", "b", "result"), None),
    (("steps", "b", "result"), True),
    (("steps", "a", "retries"), True),
    (("steps", "a", "retries"), 1.0),
    (("steps", "a", "retries"), -1),
    (("steps", "a", "retry_backoff"), 0.5),
    (("steps", "a", "cache"), 1),
    (("steps", "a", "tags"), ["x", "x"]),
    (("steps", "a", "after"), ["a", "a"]),
    (("steps", "a", "result", "format"), "yaml"),
    (("executor", "type"), "thread"),
    (("executor", "workers"), 0),
    (("executor", "workers"), False),
    (("defaults", "retry_delay"), "1 s"),
    (("defaults", "retry_delay"), -1),
    (("defaults", "retry_delay"), True),
    (("defaults", "timeout"), "1s\n"),
    (("name",), "demo\n"),
    (("name",), "de mo"),
    (("steps", "a", "run"), ""),
    (("steps", "a", "pipeline"), "other.yaml"),
    (("steps", "a", "inputs"), {"1x": 1}),
    (("schedules", 0, "interval"), "1h"),
    (("schedules", 0, "catch_up"), "yes"),
    (("steps",), {}),
    (("steps",), {"a b": {"run": "m.f"}}),
    (("outputs",), {"best": "steps.a"}),
    (("outputs",), {"best": "${steps.a}"}),
    (("unknown",), 1),
]


@pytest.mark.parametrize(("path", "value"), EDITS, ids=lambda v: json.dumps(v, default=str))
def test_edge_values_get_the_verdict_jsonschema_gives(path: tuple[Any, ...], value: Any) -> None:
    instance = copy.deepcopy(VALID)
    node: Any = instance
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    found = jsonschema_finds(instance)
    if schema.compiled_valid(instance):
        assert found == []
    # Stricter is allowed only where the schema's `$` meets a trailing newline.
    elif found == []:
        assert isinstance(value, str), value
        assert value.endswith("\n"), value


def test_the_compiled_check_leaves_the_config_unchanged() -> None:
    instance = copy.deepcopy(VALID)
    del instance["pipeflow"]
    assert schema.compiled_valid(instance)
    assert "pipeflow" not in instance  # no defaults filled in


def test_a_check_compiled_from_another_schema_is_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    instance = copy.deepcopy(VALID)
    assert schema.compiled_valid(instance)
    monkeypatch.setattr(schema_check, "SCHEMA_SHA256", "0" * 64)
    assert not schema.compiled_valid(instance)
