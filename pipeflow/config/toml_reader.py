"""TOML text -> plain data, by tomllib, which keeps no positions: `toml_positions.py` finds
them when first asked for. Syntax errors in tomllib's words made plain (a Python tuple in its
message as a dotted path), and a key or table defined twice told like a duplicate YAML key."""

from __future__ import annotations

import ast
import functools
import re
import sys
from typing import TYPE_CHECKING

from pipeflow.config.limits import MAX_DEPTH, TOO_DEEP_HINT, long_int_problem, too_deep_message
from pipeflow.config.reader import Document
from pipeflow.config.suggest import format_path
from pipeflow.errors import ConfigError, Problem

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib

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


# A Python tuple in a tomllib message, such as `('steps', 'load')`.
_TUPLE = re.compile(r"""\((?:'[^'\\]*'|"[^"\\]*")(?:, (?:'[^'\\]*'|"[^"\\]*"))*,?\)""")
_REDEFINED = ("cannot overwrite", "cannot declare", "cannot mutate", "duplicate inline table key")


# A key of more parts than a config may nest levels, at the start of a line (a dotted key, a
# `[table]` or `[[array]]` header): tomllib's time grows with the square of a key's parts.
_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_DEEP_KEY = re.compile(
    rf"^[ \t]*\[{{0,2}}[ \t]*(?:{_PART}[ \t]*\.[ \t]*){{{MAX_DEPTH}}}", re.MULTILINE
)


def _in_multiline_string(text: str, position: int) -> bool:
    """Whether `position` is inside a multi-line string, as far as the quotes before it tell
    (a line of a text that looks like a key is not one)."""
    before = text[:position]
    return before.count('"""') % 2 == 1 or before.count("'''") % 2 == 1


def _deep_key(text: str, file: str) -> Problem | None:
    """A problem at the first key of more than MAX_DEPTH parts, found without parsing."""
    found = _DEEP_KEY.search(text)
    while found is not None and _in_multiline_string(text, found.start()):
        found = _DEEP_KEY.search(text, found.end())
    if found is None:
        return None
    line = text.count("\n", 0, found.start()) + 1
    parts = re.findall(_PART, found.group().strip(" \t["))
    message = too_deep_message(tuple(part.strip("\"'") for part in parts), "the file")
    return Problem(message, file, line, 1, hint=TOO_DEEP_HINT)


def read_toml(text: str, file: str) -> Document | None:
    # Imported for TOML configs only: a YAML config's start-up need not pay for it.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib

    deep = _deep_key(text, file) if "." in text else None
    if deep is not None:
        raise ConfigError([deep])
    # A key or table defined twice is left out and the text read again, so that the problems
    # after it are found too, as a YAML duplicate key's are; any other syntax error stops.
    redefined: list[Problem] = []
    while True:
        try:
            data = tomllib.loads(text)
            break
        except tomllib.TOMLDecodeError as error:
            problem = _toml_syntax_problem(error, text, file)
            if redefined and not problem.message.startswith(_TOLD):
                raise ConfigError(redefined) from None  # it may be the leaving out's doing
            span = _refused_span(error, text) if len(redefined) < _MOST_REDEFINED else None
            if span is None or not problem.message.startswith(_TOLD):
                raise ConfigError([*redefined, problem]) from None
            redefined.append(problem)
            start, end = span  # blanked, so every position after it stays where it is
            text = text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]
        except ValueError:  # an int of more digits than Python reads
            long_int = long_int_problem(text, file)
            if long_int is None:
                raise
            raise ConfigError([*redefined, long_int]) from None
    if not data and not redefined:
        return None
    document = Document(data=data, file=file, kind="toml", problems=redefined)
    document.locate = functools.partial(scan_toml, text)
    return document


# How `_redefinition_problem` words what it found, and how many of them are read past.
_TOLD = ("duplicate key", "table `", "`")
_MOST_REDEFINED = 100


def _refused_span(error: tomllib.TOMLDecodeError, text: str) -> tuple[int, int] | None:
    """Where the key or table that tomllib refused as defined twice is written, or None."""
    from pipeflow.config.toml_positions import refused_span

    _, line, column = _error_place(error, text)
    if line is None:
        return None
    return refused_span(text, line, column or 1)


def scan_toml(text: str, document: Document) -> None:
    from pipeflow.config.toml_positions import scan_positions

    scan_positions(text, document)


def _error_place(error: tomllib.TOMLDecodeError, text: str) -> tuple[str, int | None, int | None]:
    """tomllib's message without its place, and the line and column it names."""
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
    return raw, line, column


def _toml_syntax_problem(error: tomllib.TOMLDecodeError, text: str, file: str) -> Problem:
    raw, line, column = _error_place(error, text)
    message = raw[:1].lower() + raw[1:]
    lowered = message.lower()
    if line is not None and any(words in lowered for words in _REDEFINED):
        redefined = _redefinition_problem(text, file, line, column or 1)
        if redefined is not None:
            return redefined
        # tomllib points past the repeated definition; its first character is where to look.
        lines = text.splitlines()
        if 0 < line <= len(lines):
            column = len(lines[line - 1]) - len(lines[line - 1].lstrip()) + 1
    message = _TUPLE.sub(_dotted, message)  # `('steps', 'load')` reads as `steps.load`
    hint = next((advice for words, advice in _TOML_HINTS.items() if words in lowered), None)
    return Problem(f"TOML syntax error: {message}", file, line, column, hint=hint)


def _redefinition_problem(text: str, file: str, line: int, column: int) -> Problem | None:
    """A key or table defined twice, told like a duplicate YAML key; None if it cannot be found."""
    from pipeflow.config.toml_positions import find_redefinition

    found = find_redefinition(text, line, column)
    if found is None:
        return None
    shown = format_path(found.path)
    first = found.earlier_position.line
    if found.earlier != found.path:  # `a = {b = 1}` then `a.c = 2`
        message = f"`{format_path(found.earlier)}` is already set at line {first}, "
        message += f"so `{shown}` cannot be added to it"
        hint = "TOML allows each key and table once; merge the two definitions"
    elif found.kind == "key":
        message = f"duplicate key `{found.path[-1]}` (first defined at line {first})"
        if found.earlier_kind in ("table", "array", "implied"):  # `[a.b]`, then `a = 1`
            message = f"duplicate key `{found.path[-1]}`: `{shown}` is already a table "
            message += f"(declared at line {first})"
        hint = "remove or rename one of the two"
    elif found.earlier_kind == "key":  # `b = 1`, then `[b]`
        message = f"table `{shown}` clashes with the key `{found.path[-1]}` defined at line {first}"
        hint = "remove or rename one of the two"
    else:
        message = f"table `{shown}` is declared twice (first at line {first})"
        hint = "TOML allows each table once; merge the two definitions"
    at = found.position
    return Problem(message, file, at.line, at.column, path=shown, hint=hint)


def _dotted(found: re.Match[str]) -> str:
    try:
        parts = ast.literal_eval(found.group())
    except (ValueError, SyntaxError):
        return found.group()
    return f"`{format_path(parts)}`"


def _line_and_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1
