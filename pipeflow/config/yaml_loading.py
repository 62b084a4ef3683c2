"""The YAML loaders every YAML text is read with: configs, params files, `--param` values,
`${env.*}` defaults (and JSON files' positions).

PyYAML's safe loaders (libyaml's when present, `FAST`; the pure-Python one, `SAFE`, where
libyaml could crash), which follow YAML 1.1 (`yes`/`no`/`on`/`off` booleans, dates), with
numbers read as in YAML 1.2 and TOML:

- a number in exponent form, `1e-5`, `1E3`, `2.5e3`, `.5e-3`, is a float. YAML 1.1 reads it as
  text unless it has a dot and a signed exponent (`1.0e-5`), so the same default gave a step a
  float from a TOML config and a string from a YAML one; `1.2.3`, `1e`, `e5`, `1e5x` stay text;
- an int with leading zeros is decimal (`010` is 10, `08` is 8), octal is written `0o10`; YAML
  1.1 read `010` as the octal 8 and `08` as text, so a seed or a count written with a leading
  zero silently became another number;
- base 60 is gone: `1:30` and `1:30.5` are text (YAML 1.1 read them as 90 and 90.5);
- `0x1f`, `0b101` and `1_000` stay the ints they are in TOML (and Python), `.inf` a float.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode

from pipeflow.model import jsontext

_FLOAT_TAG = "tag:yaml.org,2002:float"
_INT_TAG = "tag:yaml.org,2002:int"
_STRING_TAG = "tag:yaml.org,2002:str"
# YAML 1.2's core schema float, where it has an exponent (the other forms 1.1 reads already).
_EXPONENT = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$")
# YAML 1.1's floats without base 60 (`1:30.5`).
_FLOAT = re.compile(
    r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
# YAML 1.2's ints (leading zeros decimal, `0o` octal, no base 60), with TOML's `0b` and `_`.
_INT = re.compile(
    r"""^(?:[-+]?0b[01_]+
    |[-+]?0o[0-7_]+
    |[-+]?0x[0-9a-fA-F_]+
    |[-+]?[0-9][0-9_]*)$""",
    re.X,
)
_BASES = {"0b": 2, "0o": 8, "0x": 16}


def _resolvers(loader: Any) -> None:
    """The loader class's implicit resolvers, with the int and float rules above."""
    loader.yaml_implicit_resolvers = {
        first: [(tag, rule) for tag, rule in rules if tag not in (_INT_TAG, _FLOAT_TAG)]
        for first, rules in loader.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver(_FLOAT_TAG, _FLOAT, list("-+0123456789."))
    loader.add_implicit_resolver(_FLOAT_TAG, _EXPONENT, list("-+.0123456789"))
    loader.add_implicit_resolver(_INT_TAG, _INT, list("-+0123456789"))
    loader.add_constructor(_INT_TAG, _construct_int)


def _construct_int(constructor: Any, node: Any) -> int:
    text = str(constructor.construct_scalar(node)).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("-+")
    base = _BASES.get(digits[:2].lower(), 10)
    return sign * int(digits[2:] if base != 10 else digits, base)


class Constructor(SafeConstructor):
    """PyYAML's safe constructor, building ints by the rules above (`010` is 10, `0o10` 8)."""


Constructor.add_constructor(_INT_TAG, _construct_int)


class SafeLoader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, reading numbers by the rules above."""


_resolvers(SafeLoader)

SAFE: Any = SafeLoader
FAST: Any = SafeLoader

if hasattr(yaml, "CSafeLoader"):

    class CSafeLoader(yaml.CSafeLoader):
        """libyaml's safe loader (about five times faster), reading numbers as above."""

    _resolvers(CSafeLoader)
    FAST = CSafeLoader


def load(text: str) -> Any:
    """The value of a short YAML text (a `--param` value), as `yaml.safe_load` builds it
    (with the rule above): the pure-Python loader, where runaway nesting is a RecursionError
    (libyaml could crash, or call an unclosed `[[[...` a syntax error and make it text)."""
    return yaml.load(text, Loader=SAFE)  # SAFE is a safe loader


# An escaped backslash (kept as it is), or a JSON escape of a character beyond U+FFFF: the
# pair of its UTF-16 surrogates, which YAML refuses ("invalid Unicode character escape code").
_JSON_ESCAPES = re.compile(r"\\\\|\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})")


def json_as_yaml(text: str) -> str:
    """JSON text that YAML reads as JSON does, for the positions of its values: each escaped
    surrogate pair (`\\ud83d\\ude00`, as `json.dump` writes an emoji) is the YAML escape of
    its one character (`\\U0001F600`, two columns shorter)."""
    if "\\u" not in text:
        return text
    return _JSON_ESCAPES.sub(_one_escape, text)


def _one_escape(found: re.Match[str]) -> str:
    if found.group(1) is None:
        return found.group(0)
    high, low = int(found.group(1), 16), int(found.group(2), 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"


def load_written(text: str) -> tuple[Any, dict[tuple[str, ...], str]]:
    """`load(text)`, and how each value in it that is no text (`off`, `0x1F`, a date) is
    spelt, by its path through mappings: what to quote to keep it text."""
    loader = SAFE(text)
    try:
        node = loader.get_single_node()
        value = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    written: dict[tuple[str, ...], str] = {}
    nodes: list[tuple[tuple[str, ...], Any]] = [((), node)] if node is not None else []
    while nodes:
        path, here = nodes.pop()
        if isinstance(here, ScalarNode) and here.tag != _STRING_TAG:
            written[path] = here.value
        elif isinstance(here, MappingNode):
            nodes += [
                ((*path, key.value), item)
                for key, item in here.value
                if isinstance(key, ScalarNode)
            ]
    return value, written


def scalar(text: str) -> str:
    """`text` as YAML writes it so that these loaders read it back as the same string, as a
    value, a mapping's key or an item of a `[...]` list: as it is when they do (`sales`), else
    double-quoted (`"123"`, `"yes"`, `"null"`, `"0x1f"`, `"1_000"`, `"a: b"`), as JSON quotes
    it (a YAML string too)."""
    try:
        if load(f"{text}: {text}") == {text: text} and load(f"[{text}]") == [text]:
            return text
    except yaml.YAMLError:
        pass
    return jsontext.dumps(text, ensure_ascii=False)


def before_a_comment(text: str, value: Any) -> bool:
    """Whether YAML read `value` from `text` by leaving out a `#...` at its end, as a comment
    (`3 # three`, `[1, 2]#x`): a `--param` value is then the text as given."""
    hashes = [index for index, char in enumerate(text) if char == "#" and index > 0]
    for index in hashes[:16]:  # a value with many `#` is text anyway
        try:
            before = load_written(text[:index])[0]
        except (yaml.YAMLError, ValueError, TypeError, AttributeError, RecursionError):
            continue
        if type(before) is type(value) and before == value:
            return True
    return False
