"""Config file -> plain data plus the line and column of every key and value (YAML, TOML, JSON).

YAML is composed into a node tree with PyYAML's safe loader (libyaml when present) and walked here,
so that every key and value keeps its position, duplicate keys are reported instead of silently
overwritten, and an unknown tag such as `!!python/object/apply:os.system` becomes a problem rather
than a call. Scalars are built by PyYAML's SafeConstructor, so `1`, `0.2`, `true`, `null` and
`2024-01-31` mean what they mean to `yaml.safe_load`.

TOML is parsed by tomllib, which keeps no positions; a small scanner then walks the text (which
tomllib has already accepted, so the scanner can trust the grammar) and records where each key and
value starts. A scanner failure only costs precision: positions fall back to the nearest ancestor.
"""

from __future__ import annotations

import bisect
import gc
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pipeflow.config.suggest import did_you_mean, format_path, type_name
from pipeflow.errors import ConfigError, Problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DocumentPath = tuple[str | int, ...]

# libyaml makes reading a big config about five times faster; its marks carry the same positions.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}
_CONFIG_SUFFIXES = (".yaml", ".yml", ".toml")
_EMPTY = "the file is empty; a pipeline needs at least `name` and `steps`"

_YAML_TAG = "tag:yaml.org,2002:"
_MAP_TAG = _YAML_TAG + "map"
_SEQUENCE_TAG = _YAML_TAG + "seq"
_MERGE_TAG = _YAML_TAG + "merge"
_STRING_TAG = _YAML_TAG + "str"
_SCALAR_TAGS = frozenset(
    _YAML_TAG + name for name in ("null", "bool", "int", "float", "str", "timestamp", "binary")
)
# Aliases share one built value, but whoever walks the data later pays for every expansion: a
# "billion laughs" file would hang validation, so a file that expands past this is refused.
_MAX_EXPANDED_VALUES = 5_000_000
# Positions recorded for aliased content, beyond which aliases fall back to the anchor's position.
_ALIAS_POSITION_BUDGET = 100_000
# libyaml composes nested flow collections recursively in C: some tens of thousands of levels
# crash the interpreter, far beyond anything a config needs.
_DEEPEST_FLOW = 1_000
_BRACKETS = re.compile(r"[\[\]{}]")
_INDENT_HINT = (
    "YAML nests by indentation: keys of one mapping start in the same column, "
    "and a nested block is indented further than its key (use spaces, not tabs)"
)


@dataclass(frozen=True, slots=True)
class Position:
    """A 1-based line and column in a config file."""

    line: int
    column: int


@dataclass
class Document:
    """A parsed config file: its data, where each part of it is written, and reading problems."""

    data: Any
    file: str
    kind: str
    value_positions: dict[DocumentPath, Position] = field(default_factory=dict)
    key_positions: dict[DocumentPath, Position] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def position(self, path: Sequence[str | int], *, key: bool = False) -> Position | None:
        """Where `path`'s key (key=True) or value is written, else where its nearest ancestor is."""
        parts = tuple(path)
        own = (self.key_positions, self.value_positions)
        for positions in own if key else reversed(own):
            found = positions.get(parts)
            if found is not None:
                return found
        while parts:
            parts = parts[:-1]
            # An ancestor's key line reads best: "somewhere under `load_data:`".
            found = self.key_positions.get(parts) or self.value_positions.get(parts)
            if found is not None:
                return found
        return None

    def problem(
        self,
        path: Sequence[str | int],
        message: str,
        *,
        hint: str | None = None,
        key: bool = False,
    ) -> Problem:
        """A Problem located at `path` (its key when key=True) in this file."""
        position = self.position(path, key=key)
        return Problem(
            message=message,
            file=self.file,
            line=position.line if position else None,
            column=position.column if position else None,
            path=format_path(path),
            hint=hint,
        )


def read_document(path: str | os.PathLike[str]) -> Document:
    """Read a config file, choosing YAML or TOML by its extension; raises ConfigError."""
    file = os.fspath(path)
    location = Path(file)
    if not location.exists():
        raise ConfigError([_not_found(location, file)])
    if location.is_dir():
        raise ConfigError([_is_directory(location, file)])
    kind = _EXTENSIONS.get(location.suffix.lower())
    if kind is None:
        shown = f"extension `{location.suffix}`" if location.suffix else "no extension"
        raise ConfigError(
            [
                Problem(
                    message=f"cannot tell the format of `{location.name}`: it has {shown}",
                    file=file,
                    hint="name the pipeline file .yaml, .yml or .toml (.json is read as YAML)",
                )
            ]
        )
    try:
        raw = location.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError(
            [
                Problem(
                    message=f"cannot read the config file: {reason}",
                    file=file,
                    hint="check that the file is readable by the current user",
                )
            ]
        ) from None
    try:
        text = raw.decode("utf-8-sig")  # a BOM left by some Windows editors is not content
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        byte = raw[error.start]
        raise ConfigError(
            [
                Problem(
                    message=f"the file is not UTF-8 text (byte 0x{byte:02x} cannot be decoded)",
                    file=file,
                    line=line,
                    column=column,
                    hint="save the file with UTF-8 encoding",
                )
            ]
        ) from None
    return read_text(text, file=file, kind=kind)


def read_text(text: str, *, file: str, kind: str) -> Document:
    """Parse config text of `kind` ("yaml", "toml", or "json", read as YAML); raises ConfigError."""
    normalized = kind.lower().lstrip(".")
    if normalized in ("yaml", "yml", "json"):
        read = _read_yaml
    elif normalized == "toml":
        read = _read_toml
    else:
        raise ValueError(f"unknown config kind {kind!r}; expected 'yaml', 'toml' or 'json'")
    # Reading allocates a few hundred thousand small objects that all stay alive, and the cyclic
    # garbage collector would rescan them again and again for nothing: pausing it halves the time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return read(text, file)
    finally:
        if collecting:
            gc.enable()


def _not_found(location: Path, file: str) -> Problem:
    folder = location.parent
    if not folder.is_dir():
        hint = f"the folder `{folder}` does not exist either; check the path"
    else:
        names = [
            entry.name
            for entry in folder.iterdir()
            if entry.suffix.lower() in _EXTENSIONS and entry.is_file()
        ]
        hint = did_you_mean(location.name, names) or "check the path and the current directory"
    return Problem(message="config file not found", file=file, hint=hint)


def _is_directory(location: Path, file: str) -> Problem:
    names = sorted(
        entry.name
        for entry in location.iterdir()
        if entry.suffix.lower() in _CONFIG_SUFFIXES and entry.is_file()
    )
    example = os.path.join(file, names[0] if names else "pipeline.yaml")
    if names:
        hint = "pipeline files in it: " + ", ".join(f"`{name}`" for name in names)
    else:
        hint = "it holds no .yaml, .yml or .toml file"
    return Problem(
        message=f"`{file}` is a directory; give the pipeline file, e.g. {example}",
        file=file,
        hint=hint,
    )


# --- YAML ------------------------------------------------------------------------------------


def _read_yaml(text: str, file: str) -> Document:
    document = Document(data=None, file=file, kind="yaml")
    try:
        root = yaml.compose(text, Loader=_loader_for(text))
    except yaml.MarkedYAMLError as error:
        raise ConfigError([_yaml_syntax_problem(error, text, file)]) from None
    except yaml.reader.ReaderError as error:
        line, column = _line_and_column(text, error.position)
        message = f"the file contains a character YAML does not allow (U+{error.character:04X})"
        problem = Problem(message, file, line, column, hint="remove it or replace it with text")
        raise ConfigError([problem]) from None
    except (yaml.YAMLError, UnicodeError) as error:
        raise ConfigError([Problem(f"cannot read the YAML: {error}", file)]) from None
    except RecursionError:
        raise ConfigError([_too_deep(file)]) from None
    if root is None or (isinstance(root, ScalarNode) and root.value == "" and not root.style):
        raise ConfigError([Problem(_EMPTY, file, 1, 1)])  # comments only, or a bare `---`
    if not isinstance(root, MappingNode):
        start = _position(root)
        builder = _YamlBuilder(document)
        kind = type_name(builder.build(root, ()))
        message = f"expected a mapping at the top level, got {kind}"
        hint = "a pipeline file is a mapping of keys such as `name:` and `steps:`"
        problem = Problem(message, file, start.line, start.column, hint=hint)
        raise ConfigError([*document.problems, problem])
    builder = _YamlBuilder(document)
    try:
        document.data = builder.build(root, ())
    except RecursionError:
        raise ConfigError([_too_deep(file)]) from None
    expanded = _expanded_size(root) if builder.aliased else 0
    if expanded > _MAX_EXPANDED_VALUES:
        message = f"aliases expand this file to {expanded:,} values; refusing to read it"
        hint = "an alias (`*name`) repeats its anchor's whole value; is this an alias bomb?"
        raise ConfigError([*document.problems, Problem(message, file, 1, 1, hint=hint)])
    return document


def _loader_for(text: str) -> Any:
    """libyaml, unless brackets nest so deep that its recursive composer could crash Python."""
    if text.count("[") + text.count("{") < _DEEPEST_FLOW:
        return _LOADER
    depth = deepest = 0
    for found in _BRACKETS.finditer(text):
        depth += 1 if found.group() in "[{" else -1
        deepest = max(deepest, depth)
    # Brackets inside strings make this an estimate; a wrong one only costs speed, since the
    # pure-Python loader stops at Python's recursion limit instead of overflowing the C stack.
    return _LOADER if deepest < _DEEPEST_FLOW else yaml.SafeLoader


def _too_deep(file: str) -> Problem:
    hint = "a pipeline config nests a few levels deep; look for runaway brackets"
    return Problem("the file nests too deeply to read", file, hint=hint)


def _position(node: Node) -> Position:
    mark = node.start_mark
    if mark is None:  # composed nodes always carry marks; this keeps the type honest
        return Position(1, 1)
    return Position(mark.line + 1, mark.column + 1)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag


class _YamlBuilder:
    """Builds plain values from a composed node tree, recording positions and problems."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.value_positions = document.value_positions
        self.key_positions = document.key_positions
        self.constructor = SafeConstructor()
        self.built: dict[int, Any] = {}  # id(collection node) -> value, so aliases share it
        self.building: set[int] = set()  # collections being built: meeting one again is a loop
        self.reported: set[tuple[int, str]] = set()  # an aliased node's problem is told once
        self.alias_budget = _ALIAS_POSITION_BUDGET
        self.aliased = False

    def build(self, node: Node, path: DocumentPath) -> Any:
        self.value_positions[path] = _position(node)
        if isinstance(node, ScalarNode):
            if node.tag == _STRING_TAG:  # most values: skip the constructor's dispatch
                return node.value
            return self.scalar(node, path)
        identity = id(node)
        if identity in self.built:
            self.aliased = True
            self.record_children(node, path, set())
            return self.built[identity]
        if identity in self.building:
            self.report(node, path, "an alias refers to the value that contains it (a loop)")
            return None
        self.building.add(identity)
        if isinstance(node, MappingNode):
            value: Any = self.mapping(node, path)
        elif isinstance(node, SequenceNode):
            value = self.sequence(node, path)
        else:  # composers make only scalars, sequences and mappings
            value = None
        self.building.discard(identity)
        self.built[identity] = value
        return value

    def report(self, node: Node, path: DocumentPath, message: str, hint: str | None = None) -> None:
        if (id(node), message) in self.reported:
            return
        self.reported.add((id(node), message))
        start = _position(node)
        self.document.problems.append(
            Problem(message, self.document.file, start.line, start.column, format_path(path), hint)
        )

    def check_tag(self, node: Node, path: DocumentPath, expected: str) -> None:
        if node.tag == expected:
            return
        tag = _short_tag(node.tag)
        if tag.startswith("!!python/"):
            message = f"refused to create a Python object with the tag `{tag}`"
            hint = "a config is data, never code; name functions with `run:` instead"
        else:
            message = f"the tag `{tag}` is not supported"
            hint = "remove the tag; a config holds plain text, numbers, lists and mappings"
        self.report(node, path, message, hint)

    def scalar(self, node: ScalarNode, path: DocumentPath) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self.check_tag(node, path, _STRING_TAG)
            return node.value  # the text as written, so later checks see no made-up type error
        construct: Callable[[SafeConstructor, Node], Any]
        construct = SafeConstructor.yaml_constructors[node.tag]
        try:
            return construct(self.constructor, node)
        except (ConstructorError, ValueError, TypeError, KeyError, AttributeError):
            readable = _short_tag(node.tag)
            message = f"cannot read `{node.value}` as {readable}"
            self.report(node, path, message, "quote the value if it is meant as text")
            return node.value

    def mapping(self, node: MappingNode, path: DocumentPath) -> dict[Any, Any]:
        if node.tag != _MAP_TAG:
            self.check_tag(node, path, _MAP_TAG)
        pairs: list[tuple[Node, Node]] = node.value
        merged: dict[Any, Any] = {}
        for key_node, value_node in pairs:
            if key_node.tag == _MERGE_TAG:
                for source in self.merge_sources(value_node, path):
                    merged.update(self.merge_value(source, path))
        explicit: dict[Any, Any] = {}
        key_positions = self.key_positions
        for key_node, value_node in pairs:
            if key_node.tag == _STRING_TAG and isinstance(key_node, ScalarNode):
                key = name = key_node.value
            elif key_node.tag == _MERGE_TAG:
                continue
            else:
                key = self.key(key_node, path)
                if key is _NO_KEY:
                    continue
                name = key if isinstance(key, str) else str(key)
            child = (*path, name)
            if key in explicit:
                line = key_positions[child].line
                message = (
                    f"duplicate key `{name}` (first defined at line {line}); "
                    "YAML would silently keep the last one"
                )
                self.report(key_node, child, message, "remove or rename one of the two")
            key_positions[child] = _position(key_node)
            explicit[key] = self.build(value_node, child)
        if not merged:
            return explicit
        merged.update(explicit)  # keys written out win over merged ones, as in YAML
        return merged

    def sequence(self, node: SequenceNode, path: DocumentPath) -> list[Any]:
        if node.tag != _SEQUENCE_TAG:
            self.check_tag(node, path, _SEQUENCE_TAG)
        return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]

    def key(self, node: Node, path: DocumentPath) -> Any:
        if not isinstance(node, ScalarNode):
            shape = type_name([] if isinstance(node, SequenceNode) else {})
            message = f"a key must be plain text, not {shape}"
            self.report(node, path, message, "quote the key, or move the value under a name")
            return _NO_KEY
        key = self.scalar(node, path)
        try:
            hash(key)
        except TypeError:
            self.report(node, path, "this key cannot be used as a mapping key")
            return _NO_KEY
        return key

    def merge_sources(self, node: Node, path: DocumentPath) -> list[MappingNode]:
        """The mappings `<<` merges, in the order they apply (later ones win)."""
        if isinstance(node, MappingNode):
            return [node]
        if isinstance(node, SequenceNode) and all(
            isinstance(item, MappingNode) for item in node.value
        ):
            # In `<<: [*a, *b]` the first mapping wins, so it must apply last.
            return list(reversed(node.value))
        self.report(node, path, "`<<` merges a mapping or a list of mappings")
        return []

    def merge_value(self, source: MappingNode, path: DocumentPath) -> dict[Any, Any]:
        identity = id(source)
        if identity in self.built:
            self.aliased = True
            self.record_children(source, path, set())
            value: dict[Any, Any] = self.built[identity]
            return value
        if identity in self.building:
            self.report(source, path, "a merge refers to the mapping that contains it (a loop)")
            return {}
        self.building.add(identity)
        value = self.mapping(source, path)
        self.building.discard(identity)
        self.built[identity] = value
        return value

    def record_children(self, node: Node, path: DocumentPath, visiting: set[int]) -> None:
        """Record positions under `path` for an aliased node's content (written at the anchor)."""
        if self.alias_budget <= 0 or id(node) in visiting:
            return
        visiting.add(id(node))
        if isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                self.record(item, (*path, index), visiting)
        elif isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE_TAG:
                    for source in self.merge_sources(value_node, path):
                        self.record_children(source, path, visiting)
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                    continue
                key = self.scalar(key_node, path)
                child = (*path, key if isinstance(key, str) else str(key))
                self.key_positions[child] = _position(key_node)
                self.record(value_node, child, visiting)
        visiting.discard(id(node))

    def record(self, node: Node, path: DocumentPath, visiting: set[int]) -> None:
        self.alias_budget -= 1
        self.value_positions[path] = _position(node)
        self.record_children(node, path, visiting)


def _expanded_size(root: Node) -> int:
    """How many values the data holds once every alias is expanded (each node counted once)."""
    sizes: dict[int, int] = {}

    def size(node: Node) -> int:
        identity = id(node)
        known = sizes.get(identity)
        if known is not None:
            return known
        sizes[identity] = 1  # a node met again while being counted is a loop: count it once
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(item) for item in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(key) + size(value) for key, value in node.value)
        sizes[identity] = total
        return total

    return size(root)


_NO_KEY = object()


def _line_and_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _yaml_syntax_problem(error: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    context_mark = error.context_mark
    problem = (error.problem or "").strip()
    context = (error.context or "").strip()
    message, hint = _explain_yaml(problem, context, error, text)
    if "quoted scalar" in context and "end of stream" in problem and context_mark is not None:
        mark = context_mark  # where the string opens is where the fix goes
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    return Problem(f"YAML syntax error: {message}", file, line, column, hint=hint)


def _explain_yaml(
    problem: str, context: str, error: yaml.MarkedYAMLError, text: str
) -> tuple[str, str | None]:
    """The YAML message in words a pipeline author can act on, and a hint."""
    opened = ""
    if error.context_mark is not None:
        opened = f" (opened at line {error.context_mark.line + 1})"
    if "mapping values are not allowed" in problem:
        return "a `:` is not allowed here", (
            "check the indentation of this line and the line above; "
            "quote a value that contains ': ' (e.g. `description: 'a: b'`)"
        )
    if "could not find expected ':'" in problem:
        return "a key is missing its `:`", "write `key: value`; " + _INDENT_HINT
    if (
        "expected <block end>" in problem
        or "did not find expected key" in problem
        or "did not find expected '-'" in problem
    ):
        return "this line is not indented like the lines around it", _INDENT_HINT
    if "cannot start any token" in problem:
        index = error.problem_mark.index if error.problem_mark is not None else -1
        character = text[index] if 0 <= index < len(text) else ""
        if character == "\t":
            return "a tab is used for indentation; YAML allows only spaces", (
                "replace the tab with spaces"
            )
        shown = f"`{character}`" if character.strip() else "this character"
        return f"a value cannot start with {shown}", "quote the value, e.g. `'@value'`"
    if "end of stream" in problem and "quoted scalar" in context:
        return "a quoted string is never closed", "add the closing quote"
    if "undefined alias" in problem:
        index = error.problem_mark.index if error.problem_mark is not None else -1
        found = re.match(r"\*([^\s,\[\]{}]+)", text[index:]) if index >= 0 else None
        name = found.group(1) if found else "name"
        return f"the alias `*{name}` refers to no anchor", (
            f"mark the value to reuse with `&{name}` before this line"
        )
    if "another document" in problem:
        return "the file holds more than one YAML document", (
            "a pipeline file holds one document: remove the second `---`"
        )
    if "',' or ']'" in problem:
        return f"a `[...]` list is not closed or misses a comma{opened}", (
            "separate items with `,` and close the list with `]`"
        )
    if "',' or '}'" in problem:
        return f"a `{{...}}` mapping is not closed or misses a comma{opened}", (
            "separate entries with `,` and close the mapping with `}`"
        )
    message = problem or "the text is not valid YAML"
    if context:
        message = f"{message} ({context}{opened})"
    hint = _INDENT_HINT if "indent" in message or "block" in message else None
    return message, hint


# --- TOML ------------------------------------------------------------------------------------

_TOML_LOCATION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")
_TOML_HINTS = {
    "cannot overwrite": "TOML allows each key and table once; merge the two definitions",
    "cannot declare": "TOML allows each table once; merge the two definitions",
    "cannot mutate": "TOML allows each key and table once; merge the two definitions",
    "invalid value": 'text needs quotes (`name = "iris"`); booleans are `true` or `false`',
    "unclosed array": "close the list with `]`",
    "unclosed inline table": "close the inline table with `}` (it must end on the same line)",
    "unterminated string": "close the string with the quote it opened with",
    "illegal character '\\n'": 'close the string on its line, or use """ for text over lines',
    "expected '='": "write `key = value`; quote keys that contain spaces or other symbols",
    "invalid statement": "each line is `key = value`, a `[table]` header or a `# comment`",
}


def _read_toml(text: str, file: str) -> Document:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([_toml_syntax_problem(error, text, file)]) from None
    except RecursionError:
        raise ConfigError([_too_deep(file)]) from None
    if not data:
        raise ConfigError([Problem(_EMPTY, file, 1, 1)])
    document = Document(data=data, file=file, kind="toml")
    _TomlScanner(text, document).scan()
    return document


def _toml_syntax_problem(error: tomllib.TOMLDecodeError, text: str, file: str) -> Problem:
    raw: str = getattr(error, "msg", None) or str(error)
    line: int | None = getattr(error, "lineno", None)
    column: int | None = getattr(error, "colno", None)
    found = _TOML_LOCATION.search(raw)
    if found is not None:
        raw = raw[: found.start()]
        if line is None:
            if found.group(1):
                line, column = int(found.group(1)), int(found.group(2))
            else:
                line, column = _line_and_column(text, len(text))
    message = raw[:1].lower() + raw[1:]
    lowered = message.lower()
    if line is not None and any(word in lowered for word in ("overwrite", "declare", "mutate")):
        # tomllib points past the repeated definition; its first character is where to look.
        lines = text.splitlines()
        if 0 < line <= len(lines):
            column = len(lines[line - 1]) - len(lines[line - 1].lstrip()) + 1
    hint = next((advice for words, advice in _TOML_HINTS.items() if words in lowered), None)
    return Problem(f"TOML syntax error: {message}", file, line, column, hint=hint)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BASIC_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_LITERAL_STRING = re.compile(r"'[^'\n]*'")
_MULTILINE_BASIC = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""(?:""|")?', re.DOTALL)
_MULTILINE_LITERAL = re.compile(r"'''(?:[^']|'(?!''))*'''(?:''|')?")
_SIMPLE_KEY = re.compile(r"([A-Za-z0-9_-]+)[ \t]*=[ \t]*")
# A one-line string (not the opening of a multi-line one) or a number, boolean or date.
_SIMPLE_VALUE = re.compile(
    r'"(?!"")(?:[^"\\\n]|\\.)*"|\'(?!\'\')[^\'\n]*\'|[0-9A-Za-z+\-][^,\]}\r\n#]*'
)
_PLAIN_VALUE = re.compile(r"[^,\]}\r\n#]*")  # numbers, booleans, dates (which may hold a space)
_BLANK = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")
_SPACES = re.compile(r"[ \t]*")


class _ScanFailed(Exception):
    """The scanner met text it does not understand; positions found so far stay."""


class _TomlScanner:
    """Records where each key and value starts in TOML text that tomllib has accepted."""

    def __init__(self, text: str, document: Document) -> None:
        self.text = text
        self.index = 0
        self.document = document
        self.line_starts = [0, *(found.end() for found in re.finditer("\n", text))]
        self.array_counts: dict[DocumentPath, int] = {}  # [[name]] path -> its last index

    def scan(self) -> None:
        self.document.value_positions[()] = Position(1, 1)
        table: DocumentPath = ()
        try:
            while True:
                self.skip(_BLANK)
                if self.index >= len(self.text):
                    return
                if self.text.startswith("[[", self.index):
                    table = self.header(array=True)
                elif self.text[self.index] == "[":
                    table = self.header(array=False)
                else:
                    self.assignment(table)
        except (_ScanFailed, IndexError, RecursionError):
            return  # positions found so far stay; the rest fall back to ancestors

    def position(self, index: int) -> Position:
        line = bisect.bisect_right(self.line_starts, index)
        return Position(line, index - self.line_starts[line - 1] + 1)

    def skip(self, pattern: re.Pattern[str]) -> None:
        found = pattern.match(self.text, self.index)
        if found is not None:
            self.index = found.end()

    def expect(self, token: str) -> None:
        self.skip(_SPACES)
        if not self.text.startswith(token, self.index):
            raise _ScanFailed(f"expected {token!r} at {self.index}")
        self.index += len(token)

    def header(self, *, array: bool) -> DocumentPath:
        start = self.index
        self.index += 2 if array else 1
        parts = self.key_parts()
        self.expect("]]" if array else "]")
        resolved: list[str | int] = []
        for number, (name, at) in enumerate(parts):
            resolved.append(name)
            path = tuple(resolved)
            if number < len(parts) - 1:
                self.document.key_positions.setdefault(path, self.position(at))
                if path in self.array_counts:  # `[a.b]` after `[[a]]` means the last `a`
                    resolved.append(self.array_counts[path])
            elif array:
                self.document.key_positions.setdefault(path, self.position(at))
                count = self.array_counts.get(path, -1) + 1
                self.array_counts[path] = count
                resolved.append(count)
            else:
                self.document.key_positions[path] = self.position(at)
        table = tuple(resolved)
        self.document.value_positions[table] = self.position(start)
        return table

    def assignment(self, table: DocumentPath) -> None:
        """`key = value`, with a bare, quoted or dotted key, under `table`."""
        simple = _SIMPLE_KEY.match(self.text, self.index)
        if simple is not None:  # the usual `name = value`, in one regex step
            path = (*table, simple.group(1))
            self.document.key_positions[path] = self.position(self.index)
            self.index = simple.end()
            self.value(path)
            return
        path = table
        parts = self.key_parts()
        for name, at in parts[:-1]:
            path = (*path, name)
            self.document.key_positions.setdefault(path, self.position(at))
        name, at = parts[-1]
        path = (*path, name)
        self.document.key_positions[path] = self.position(at)
        self.expect("=")
        self.skip(_SPACES)
        self.value(path)

    def key_parts(self) -> list[tuple[str, int]]:
        parts: list[tuple[str, int]] = []
        while True:
            self.skip(_SPACES)
            at = self.index
            if self.text.startswith('"', at):
                found = _BASIC_STRING.match(self.text, at)
                if found is None:
                    raise _ScanFailed(f"bad quoted key at {at}")
                # tomllib decodes the escapes exactly as it did for the data.
                name = str(tomllib.loads(f"key = {found.group()}")["key"])
            elif self.text.startswith("'", at):
                found = _LITERAL_STRING.match(self.text, at)
                if found is None:
                    raise _ScanFailed(f"bad quoted key at {at}")
                name = found.group()[1:-1]
            else:
                found = _BARE_KEY.match(self.text, at)
                if found is None:
                    raise _ScanFailed(f"no key at {at}")
                name = found.group()
            parts.append((name, at))
            self.index = found.end()
            self.skip(_SPACES)
            if not self.text.startswith(".", self.index):
                return parts
            self.index += 1

    def value(self, path: DocumentPath) -> None:
        at = self.index
        self.document.value_positions[path] = self.position(at)
        simple = _SIMPLE_VALUE.match(self.text, at)
        if simple is not None:
            self.index = simple.end()
            return
        character = self.text[at]
        if character == "[":
            self.array(path)
            return
        if character == "{":
            self.inline_table(path)
            return
        if self.text.startswith('"""', at):
            pattern = _MULTILINE_BASIC
        elif self.text.startswith("'''", at):
            pattern = _MULTILINE_LITERAL
        elif character == '"':
            pattern = _BASIC_STRING
        elif character == "'":
            pattern = _LITERAL_STRING
        else:
            pattern = _PLAIN_VALUE
        found = pattern.match(self.text, at)
        if found is None or found.end() == at:
            raise _ScanFailed(f"no value at {at}")
        self.index = found.end()

    def array(self, path: DocumentPath) -> None:
        self.index += 1
        number = 0
        while True:
            self.skip(_BLANK)
            if self.text[self.index] == "]":
                self.index += 1
                return
            self.value((*path, number))
            number += 1
            self.skip(_BLANK)
            if self.text[self.index] == ",":
                self.index += 1

    def inline_table(self, path: DocumentPath) -> None:
        self.index += 1
        while True:
            self.skip(_BLANK)  # TOML 1.1 lets inline tables span lines
            if self.text[self.index] == "}":
                self.index += 1
                return
            self.assignment(path)
            self.skip(_BLANK)
            if self.text[self.index] == ",":
                self.index += 1
