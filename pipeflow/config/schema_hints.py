"""The hints of schema problems, written as the config's own language writes a value: YAML
(`root: "5"`) or TOML (`root = "5"`); a list item's without a key (`"5"`, not `1: "5"`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pipeflow.model.words import a_kind

DocumentPath = Sequence[str | int]


def assignment(name: str | int, value: str, kind: str, *, text: bool = False) -> str:
    """`name: value` in YAML, `name = value` in TOML (a `text` value quoted there, where YAML
    takes it bare); a list item is its value alone."""
    if kind == "toml" and text:
        value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(name, int):
        return value
    return f"{name} = {value}" if kind == "toml" else f"{name}: {value}"


def type_hint(
    kinds: Sequence[str],
    instance: Any,
    path: DocumentPath,
    kind: str = "yaml",
    *,
    schema: Mapping[str, Any] | None = None,
) -> str | None:
    """What to write instead of a value of the wrong type, if a fix is plain. `schema`: the
    rule the value broke, whose `pattern` the value's text may not meet either."""
    name: str | int = path[-1] if path else "key"
    numbers = {"number", "integer"} & set(kinds)  # where one is taken, a bool is neither
    if "string" in kinds and isinstance(instance, int | float) and not numbers:
        # Quoting gives text, which these fields refuse in turn for another reason.
        # A field is known by what holds it: `steps`/`schedules` two levels up, else its parent.
        where = str(path[0] if len(path) == 3 else path[-2]) if len(path) >= 2 else ""
        shaped = _SHAPED.get((where, str(name)))
        if shaped is not None:
            return shaped(kind)
        rule = schema or {}
        pattern = rule.get("pattern")
        if isinstance(pattern, str) and not re.search(pattern, _scalar(instance)):
            spelled = _SPELLINGS.get(str(rule.get("title")))
            return f"write {a_kind(str(rule['title']))}: {spelled}" if spelled else None
        quoted = f'"{_scalar(instance)}"'
        return f"put the value in quotes to make it text: `{assignment(name, quoted, kind)}`"
    if isinstance(instance, str):
        text = instance.strip()
        if numbers and re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
            return "remove the quotes to make it a number"
        if "boolean" in kinds and text.lower() in ("true", "false", "yes", "no", "on", "off"):
            return "write `true` or `false`, without quotes"
        if "array" in kinds:
            item = assignment(0, instance, kind, text=True)
            return f"write a list: `{assignment(name, f'[{item}]', kind)}`"
    if "object" in kinds and isinstance(instance, list):
        named = _named_step(instance, kind) if list(path) == ["steps"] else None
        if named is not None:
            return named
        if kind == "toml":
            return "write `key = value` entries here (a table), not a list"
        return "write `key: value` entries here, not `- item` entries"
    if "object" in kinds and isinstance(instance, str) and tuple(path) in _ONE_KEY:
        key = _ONE_KEY[tuple(path)]
        inner = f'{{{key} = "{instance}"}}' if kind == "toml" else f"{{{key}: {instance}}}"
        return f"write the {key} under it: `{assignment(name, inner, kind)}`"
    if "object" in kinds and instance is None:
        return f"indent `key: value` entries under `{name}:`, or remove it"
    return None


# Mappings whose one text is what one of their keys holds: `executor: threads`.
_ONE_KEY: dict[tuple[str | int, ...], str] = {("executor",): "type", ("results",): "root"}

# What the names whose text a pattern rules are made of (their titles in schema.json).
_SPELLINGS = {
    "identifier": "ASCII letters, digits and `_`, not starting with a digit",
    "step name": "ASCII letters, digits, `_` and `-`, starting with a letter or `_`",
}
# (where, field) -> the hint for a number in a field whose text has a shape of its own.
_SHAPED: dict[tuple[str, str], Callable[[str], str]] = {
    ("steps", "when"): lambda kind: (
        "write `true` or `false`, or one reference such as "
        f"`{assignment('when', chr(34) + '${params.flag}' + chr(34), kind)}`"
    ),
    ("steps", "run"): lambda kind: (
        "write the dotted path of a function, e.g. "
        f"`{assignment('run', 'steps.iris.load_data', kind, text=True)}`"
    ),
    ("result", "target"): lambda kind: (
        "write a path with an extension, e.g. "
        f"`{assignment('target', chr(34) + 'models/{step}.joblib' + chr(34), kind)}`"
    ),
    ("schedules", "cron"): lambda kind: (
        "write the 5 fields of a cron expression, e.g. "
        f"`{assignment('cron', chr(34) + '0 6 * * 1-5' + chr(34), kind)}`"
    ),
}


def a_step(name: str, run: str, kind: str) -> str:
    """A step that runs `run`, as the config's language writes it: `load: {run: m.f}` in
    YAML, `[steps.load]` with `run = "m.f"` in TOML."""
    if kind == "toml":
        return f'`[steps.{name}]` with `run = "{run}"`'
    return f"`{name}: {{run: {run}}}`"


def _named_step(items: list[Any], kind: str) -> str | None:
    """`steps: [{name: load, run: ...}]`, as Kedro and CI tools write nodes: the keyed
    spelling of the first step, or None when the items are no named steps."""
    first = items[0] if items else None
    if not isinstance(first, dict) or not isinstance(first.get("name"), str):
        return None
    name, run = first["name"], first.get("run")
    if not isinstance(run, str):
        run = "module.function"
    if kind == "toml":
        return f'name each step by its key: `[steps.{name}]` with `run = "{run}"`'
    return f"name each step by its key: `{name}: {{run: {run}}}` under `steps:`"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def sub_pipeline_step(
    value: Any, path: DocumentPath, data: Any, kind: str
) -> tuple[str, str] | None:
    """For `after: [c/s]` (a step inside the sub-pipeline `c`, as `status` and `--only` name
    it) when `c` is a `pipeline:` step of this config: the message, and the hint to write
    `after: [c]`, which waits for all its steps. None for any other value."""
    if len(path) != 4 or path[0] != "steps" or path[2] != "after" or not isinstance(value, str):
        return None
    head = value.split("/", 1)[0]
    steps = data.get("steps") if isinstance(data, Mapping) else None
    step = steps.get(head) if isinstance(steps, Mapping) and "/" in value else None
    if not isinstance(step, Mapping) or "pipeline" not in step:
        return None
    written = f'["{head}"]' if kind == "toml" else f"[{head}]"
    return (
        f"{value!r} is a step of the sub-pipeline `{head}`: `after` names this config's steps",
        f"`{assignment('after', written, kind)}` waits for all the steps of the sub-pipeline "
        f"`{head}`",
    )
