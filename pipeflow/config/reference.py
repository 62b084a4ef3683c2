"""The config reference in Markdown (docs/reference.md), generated from the JSON Schema.

The schema is the one source: its titles, descriptions, types, defaults, enums and examples
become one table per section (top level, `results`, `executor`, `defaults`, a step, a step's
`result`, a schedule) and a list of the value types the sections link to (`duration`, ...).
Sections are found by walking the schema, so a new object in it gets its own table.

    pipeflow schema --format markdown > docs/reference.md
    python -m pipeflow.config.reference docs/reference.md
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeflow.config.schema import load_schema
from pipeflow.model import jsontext

HEADER = """\
# Config reference

<!-- Generated from pipeflow/config/schema.json by `pipeflow schema --format markdown`.
     Do not edit: change the schema's descriptions and regenerate (tests/config/test_reference.py
     fails while this file and the schema differ). -->

Every key of a pipeline config (`pipeline.yaml` or `pipeline.toml`: the same keys in either),
generated from the JSON Schema that `pipeflow validate` checks and that `pipeflow schema` prints
for editors. [config.md](config.md) is the guide that explains them with examples; this page is
the exhaustive list.
"""


@dataclass(frozen=True)
class Section:
    """An object of the config with named keys: where it sits, and its schema."""

    path: str  # as a user writes it: `steps.NAME.result`
    anchor: str
    schema: dict[str, Any]


def markdown(schema: dict[str, Any] | None = None) -> str:
    """The whole reference page."""
    schema = schema if schema is not None else load_schema()
    definitions = schema.get("$defs", {})
    sections = _sections(schema, definitions)
    anchors = {id(section.schema): section.anchor for section in sections}
    lines = [HEADER]
    lines.append("Sections: " + ", ".join(f"[`{s.path}`](#{s.anchor})" for s in sections) + ".")
    lines.append("")
    for section in sections:
        lines.extend(_section(section, definitions, anchors))
    lines.extend(_value_types(definitions, anchors))
    return "\n".join(lines).rstrip("\n") + "\n"


def _resolve(node: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        resolved: dict[str, Any] = definitions[reference.removeprefix("#/$defs/")]
        return resolved
    return node


def _sections(schema: dict[str, Any], definitions: dict[str, Any]) -> list[Section]:
    """Every object with named keys, depth first from the top level, each once."""
    found: list[Section] = []
    seen: set[int] = set()

    def visit(path: str, anchor: str, node: dict[str, Any]) -> None:
        node = _resolve(node, definitions)
        if "properties" in node and id(node) not in seen:
            seen.add(id(node))
            found.append(Section(path, anchor, node))
            for name, child in node["properties"].items():
                if isinstance(child, dict) and name != "$schema":
                    visit(f"{path}.{name}" if path else name, _anchor(path, name), child)
        for branch in node.get("anyOf", []) + node.get("oneOf", []):
            if isinstance(branch, dict) and "$ref" in branch:
                visit(path, anchor, branch)
        mapped = node.get("additionalProperties")
        if isinstance(mapped, dict):
            visit(f"{path}.NAME", f"{anchor}-name", mapped)
        items = node.get("items")
        if isinstance(items, dict):
            visit(f"{path}[]", f"{anchor}-item", items)

    visit("", "top-level", schema)
    return [Section("(top level)", s.anchor, s.schema) if not s.path else s for s in found]


def _anchor(path: str, name: str) -> str:
    return "-".join(part for part in [*path.replace("[]", "").split("."), name] if part).lower()


def _section(section: Section, definitions: dict[str, Any], anchors: dict[int, str]) -> list[str]:
    schema = section.schema
    required = set(schema.get("required", []))
    lines = [f'<a id="{section.anchor}"></a>', "", f"## `{section.path}`", ""]
    if section.path == "(top level)":
        lines[2] = "## Top level"
    text = schema.get("description", "")
    if text:
        lines += [text, ""]
    choices = [sorted(branch["required"]) for branch in schema.get("oneOf", [])]
    if choices and all(choices):
        either = " or ".join(", ".join(f"`{name}`" for name in names) for names in choices)
        lines += [f"Exactly one of {either}.", ""]
    if schema.get("additionalProperties") is False:
        lines += ["Other keys are errors.", ""]
    lines += ["| key | type | default | description |", "| --- | --- | --- | --- |"]
    for name, child in schema["properties"].items():
        key = f"`{name}`" + (" (required)" if name in required else "")
        lines.append(
            f"| {key} | {_cell(_type(child, definitions, anchors))} | "
            f"{_cell(_default(child))} | {_cell(_describe(child))} |"
        )
    lines.append("")
    return lines


def _describe(node: dict[str, Any]) -> str:
    text = str(node.get("description", ""))
    examples = node.get("examples")
    if examples:
        text += " Examples: " + ", ".join(f"`{_json(example)}`" for example in examples) + "."
    return text


def _type(node: dict[str, Any], definitions: dict[str, Any], anchors: dict[int, str]) -> str:
    """What a value may be, in words, with links to sections and value types."""
    reference = node.get("$ref")
    if isinstance(reference, str):
        name = reference.removeprefix("#/$defs/")
        target = definitions[name]
        if id(target) in anchors:
            return f"[{target.get('title', name)}](#{anchors[id(target)]})"
        return f"[{target.get('title', name)}](#type-{name})"
    if "const" in node:
        return f"`{_json(node['const'])}`"
    if "enum" in node:
        return "one of " + ", ".join(f"`{value}`" for value in node["enum"])
    for combinator in ("anyOf", "oneOf"):
        if combinator in node and "properties" not in node:
            return " or ".join(_type(branch, definitions, anchors) for branch in node[combinator])
    if id(node) in anchors:
        return f"[mapping](#{anchors[id(node)]})"
    kinds = node.get("type")
    words = [
        _TYPE_WORDS.get(kind, kind) for kind in ([kinds] if isinstance(kinds, str) else kinds or [])
    ]
    text = " or ".join(words) if words else "any value"
    mapped = node.get("additionalProperties")
    if isinstance(mapped, dict):
        key = node.get("propertyNames", {})
        key_text = _type(key, definitions, anchors) if key else "name"
        text = f"mapping of {key_text} to {_type(mapped, definitions, anchors)}"
    items = node.get("items")
    if isinstance(items, dict):
        text = f"list of {_type(items, definitions, anchors)}"
    bounds = [
        f"{symbol} {node[keyword]}"
        for keyword, symbol in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"))
        if keyword in node and kinds in ("integer", "number")
    ]
    if bounds:
        text += ", " + ", ".join(bounds)
    return text


_TYPE_WORDS = {
    "string": "string",
    "number": "number",
    "integer": "integer",
    "boolean": "boolean",
    "object": "mapping",
    "array": "list",
    "null": "null",
}


def _default(node: dict[str, Any]) -> str:
    return f"`{_json(node['default'])}`" if "default" in node else ""


def _json(value: Any) -> str:
    return value if isinstance(value, str) else jsontext.dumps(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _value_types(definitions: dict[str, Any], anchors: dict[int, str]) -> list[str]:
    lines = [
        '<a id="value-types"></a>',
        "",
        "## Value types",
        "",
        "The kinds of value the tables above link to.",
        "",
    ]
    for name, node in definitions.items():
        if id(node) in anchors:
            continue
        title = node.get("title", name)
        lines += [
            f'<a id="type-{name}"></a>',
            "",
            f"### {title}",
            "",
            f"{node.get('description', '')}",
            "",
            f"Type: {_type({k: v for k, v in node.items() if k != 'title'}, definitions, {})}.",
            "",
        ]
        if "pattern" in node:
            lines += [f"Pattern: `{node['pattern']}`.", ""]
        if node.get("examples"):
            examples = ", ".join(f"`{_json(example)}`" for example in node["examples"])
            lines += [f"Examples: {examples}.", ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Write the reference to the file named by the only argument, or print it."""
    arguments = sys.argv[1:] if argv is None else argv
    text = markdown()
    if arguments:
        Path(arguments[0]).write_text(text, encoding="utf-8")
        print(f"wrote {arguments[0]}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
