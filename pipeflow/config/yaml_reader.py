"""YAML (and JSON, read as YAML) -> plain data plus the position of every key and value.

The text is composed into a node tree with PyYAML's safe loader (libyaml when present) and walked
here, so that every key and value keeps its position, duplicate keys are reported instead of
silently overwritten, and an unknown tag such as `!!python/object/apply:os.system` becomes a
problem rather than a call. Scalars are built by PyYAML's SafeConstructor, so `1`, `0.2`, `true`,
`null` and `2024-01-31` mean what they mean to `yaml.safe_load` (but numbers are read as in
YAML 1.2: `1e-5` is a float, `010` is 10, `1:30` is text: `yaml_loading.py`).

Use `pipeflow.config.reader.read_text` / `read_document`: they decide what an empty file or a
top-level value that is not a mapping means for the file at hand (a config or a params file).
"""

from __future__ import annotations

import functools
import gc
import itertools
import re
from collections.abc import Callable
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pipeflow.config.limits import long_int_problem
from pipeflow.config.reader import Document, DocumentPath, Position
from pipeflow.config.suggest import format_path, type_name
from pipeflow.config.yaml_errors import line_and_column, syntax_problem
from pipeflow.config.yaml_loading import FAST, SAFE, Constructor
from pipeflow.config.yaml_quick import UNUSUAL, Quick
from pipeflow.errors import ConfigError, Problem

# libyaml makes reading a big config about five times faster; its marks carry the same positions.
_LOADER: Any = FAST

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
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_NESTING = {"[": 1, "{": 1, "]": -1, "}": -1}


def read_yaml(text: str, file: str, *, json: bool = False) -> Document | None:
    """The document in YAML text, or None when it holds none (empty, comments, a bare `---`).

    The top-level value may be anything; the caller decides what a non-mapping means. Raises
    ConfigError for text that is not YAML, and RecursionError for runaway nesting.
    """
    try:
        root = yaml.compose(text, Loader=_loader_for(text))
    except yaml.MarkedYAMLError as error:
        raise ConfigError([syntax_problem(error, text, file)]) from None
    except yaml.reader.ReaderError as error:
        line, column = line_and_column(text, error.position)
        message = f"the file contains a character YAML does not allow (U+{error.character:04X})"
        problem = Problem(message, file, line, column, hint="remove it or replace it with text")
        raise ConfigError([problem]) from None
    except (yaml.YAMLError, UnicodeError) as error:
        raise ConfigError([Problem(f"cannot read the YAML: {error}", file)]) from None
    if root is None or (isinstance(root, ScalarNode) and root.value == "" and not root.style):
        return None
    document = Document(data=None, file=file, kind="yaml")
    quick = Quick(json=json)
    data = quick.value(root)
    if data is not UNUSUAL:
        # Nothing to report: positions are found only if a later check needs one.
        document.data = data
        document.plain = not quick.dated  # text keys, and no date: JSON values already
        document.locate = functools.partial(_locate, text, json)
        return document
    builder = _YamlBuilder(document)
    builder.json = json
    document.data = builder.build(root, ())
    expanded = _expanded_size(root) if builder.aliased and isinstance(root, MappingNode) else 0
    if expanded > _MAX_EXPANDED_VALUES:
        message = f"aliases expand this file to {expanded:,} values; refusing to read it"
        hint = "an alias (`*name`) repeats its anchor's whole value; is this an alias bomb?"
        raise ConfigError([*document.problems, Problem(message, file, 1, 1, hint=hint)])
    return document


def locator(text: str, kind: str) -> Callable[[Document], None]:
    """What finds the positions of a plainly read YAML (or JSON) text when first asked."""
    return functools.partial(_locate, text, kind == "json")


def _locate(text: str, json: bool, document: Document) -> None:
    """Record where each key and value of the text is, for a document read by `_Quick`."""
    collecting = gc.isenabled()
    gc.disable()  # as while reading: many small objects that all stay
    try:
        found = Document(data=None, file=document.file, kind="yaml")
        builder = _YamlBuilder(found)
        builder.json = json
        root = yaml.compose(text, Loader=_loader_for(text))
        if root is not None:
            builder.build(root, ())
    finally:
        if collecting:
            gc.enable()
    document.value_positions.update(found.value_positions)
    document.key_positions.update(found.key_positions)
    document.written_values.update(found.written_values)


def _loader_for(text: str) -> Any:
    """libyaml, unless brackets nest so deep that its recursive composer could crash Python."""
    if text.count("[") + text.count("{") < _DEEPEST_FLOW:
        return _LOADER
    brackets = _NOT_BRACKETS.sub("", text)
    deepest = max(itertools.accumulate(map(_NESTING.__getitem__, brackets)), default=0)
    # Brackets inside strings make this an estimate; a wrong one only costs speed, since the
    # pure-Python loader stops at Python's recursion limit instead of overflowing the C stack.
    return _LOADER if deepest < _DEEPEST_FLOW else SAFE


def _position(node: Node) -> Position:
    mark = node.start_mark
    if mark is None:  # composed nodes always carry marks; this keeps the type honest
        return Position(1, 1)
    return Position(mark.line + 1, mark.column + 1)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag


_JSON_NON_FINITE = frozenset({"NaN", "Infinity", "-Infinity", "+Infinity"})
_NON_FINITE_HINT = "give a finite number, or `null` for 'no value'"


class _YamlBuilder:
    """Builds plain values from a composed node tree, recording positions and problems."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.value_positions = document.value_positions
        self.key_positions = document.key_positions
        self.written = document.written_values
        self.constructor = Constructor()
        self.built: dict[int, Any] = {}  # id(collection node) -> value, so aliases share it
        self.building: set[int] = set()  # collections being built: meeting one again is a loop
        self.reported: set[tuple[int, str]] = set()  # an aliased node's problem is told once
        self.alias_budget = _ALIAS_POSITION_BUDGET
        self.aliased = False
        self.json = False  # a .json file: JSON's spellings of NaN and infinity are refused

    def build(self, node: Node, path: DocumentPath) -> Any:
        self.value_positions[path] = _position(node)
        if isinstance(node, ScalarNode):
            if node.tag == _STRING_TAG:  # most values: skip the constructor's dispatch
                if self.json and not node.style and node.value in _JSON_NON_FINITE:
                    # Python's json module reads these as numbers; YAML as text: neither fits.
                    message = f"`{node.value}` is not a finite number (nor valid JSON)"
                    self.report(node, path, message, _NON_FINITE_HINT)
                return node.value
            self.written[path] = node.value  # `off`, where the value is False
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
        construct = Constructor.yaml_constructors[node.tag]
        try:
            return construct(self.constructor, node)
        except (ConstructorError, ValueError, TypeError, KeyError, AttributeError):
            long = long_int_problem(node.value, self.document.file)
            if long is not None:  # more digits than Python reads: say so, not all of them
                self.report(node, path, long.message, long.hint)
                return node.value
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
        firsts: dict[Any, Node] = {}  # each key's first node: `1` and `true` are one key read
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
                if key is None or isinstance(key, bool):
                    # YAML 1.1's `on: ...`: reported, and kept as the text it was meant to be.
                    key = self.text_key(key_node, key, path)
                name = key if isinstance(key, str) else str(key)
            child = (*path, name)
            first = firsts.setdefault(key, key_node)
            if first is not key_node:
                self.report_duplicate(first, key_node, child)
            key_positions[child] = _position(key_node)
            explicit[key] = self.build(value_node, child)
        if not merged:
            return explicit
        merged.update(explicit)  # keys written out win over merged ones, as in YAML
        return merged

    def report_duplicate(self, first: Node, again: Node, path: DocumentPath) -> None:
        line = _position(first).line
        if first.value == again.value:
            message = (
                f"duplicate key `{again.value}` (first defined at line {line}); "
                f"{'JSON readers' if self.json else 'YAML'} would silently keep the last one"
            )
            self.report(again, path, message, "remove or rename one of the two")
            return
        message = (
            f"duplicate key `{again.value}`: it reads as the same key as `{first.value}` "
            f"(line {line}), so one of the two values would be lost"
        )
        self.report(again, path, message, "quote the keys to keep both as text, or remove one")

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

    def text_key(self, node: Node, key: bool | None, path: DocumentPath) -> str:
        """A key YAML reads as a boolean or null (`on`, `no`, `~`): reported, and kept as the
        text it was written as, so that the checks after read it as the user meant it."""
        text = str(node.value)
        reads = "null" if key is None else str(key).lower()
        message = f"the key `{text}` reads as {reads} in YAML, not as text"
        if reads != "null" and text.lower() not in ("true", "false"):
            message += " (YAML 1.1 reads yes, no, on and off as booleans)"
        self.report(node, (*path, text), message, f'quote it to keep it as text: `"{text}": ...`')
        return text

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
