"""A quick reading of a composed YAML node tree, for the files that need nothing reported.

`Quick` builds the same plain values `yaml_reader._YamlBuilder` builds, without recording where
each one is written, as long as the tree is plain: text keys written once, known tags, no merge
keys, no aliases. Anything else gives UNUSUAL, and the full reader reads the file instead (with
every position and every problem); positions of a quickly read file are found when first asked.
"""

from __future__ import annotations

from typing import Any

from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pipeflow.config.yaml_loading import Constructor

_YAML_TAG = "tag:yaml.org,2002:"
_MAP_TAG = _YAML_TAG + "map"
_SEQUENCE_TAG = _YAML_TAG + "seq"
_STRING_TAG = _YAML_TAG + "str"
_TIMESTAMP_TAG = _YAML_TAG + "timestamp"
_SCALAR_TAGS = frozenset(
    _YAML_TAG + name for name in ("null", "bool", "int", "float", "str", "timestamp", "binary")
)
_JSON_NON_FINITE = frozenset({"NaN", "Infinity", "-Infinity", "+Infinity"})


UNUSUAL = object()


class Quick:
    """Builds the plain values of a node tree that needs nothing reported and no alias shared:
    string keys written once, known tags, no merge keys, no aliases. Anything else gives
    UNUSUAL, and `_YamlBuilder` reads the file instead (with every position and problem)."""

    def __init__(self, *, json: bool) -> None:
        self.json = json
        self.constructor = Constructor()
        self.seen: set[int] = set()  # collections met: meeting one again is an alias
        self.dated = False  # whether a value is a date or a time (not a JSON value)

    def value(self, root: Node) -> Any:
        try:
            return self.build(root)
        except (_Unusual, RecursionError):
            return UNUSUAL

    def build(self, node: Any) -> Any:
        kind = type(node)
        if kind is ScalarNode:
            tag = node.tag
            if tag == _STRING_TAG:
                if self.json and not node.style and node.value in _JSON_NON_FINITE:
                    raise _Unusual
                return node.value
            if tag not in _SCALAR_TAGS:
                raise _Unusual
            if tag == _TIMESTAMP_TAG:
                self.dated = True
            try:
                return Constructor.yaml_constructors[tag](self.constructor, node)
            except (ConstructorError, ValueError, TypeError, KeyError, AttributeError):
                raise _Unusual from None
        identity = id(node)
        if identity in self.seen:
            raise _Unusual
        self.seen.add(identity)
        if kind is MappingNode and node.tag == _MAP_TAG:
            built: dict[Any, Any] = {}
            json = self.json
            for key_node, value_node in node.value:
                if type(key_node) is not ScalarNode or key_node.tag != _STRING_TAG:
                    raise _Unusual  # a merge key, a key that is not text
                key = key_node.value
                if key in built:
                    raise _Unusual  # a duplicate key, to report
                if type(value_node) is ScalarNode and value_node.tag == _STRING_TAG and not json:
                    built[key] = value_node.value  # the most common value: text, built here
                else:
                    built[key] = self.build(value_node)
            return built
        if kind is SequenceNode and node.tag == _SEQUENCE_TAG:
            return [self.build(item) for item in node.value]
        raise _Unusual


class _Unusual(Exception):
    """Something `Quick` leaves to `_YamlBuilder`."""
