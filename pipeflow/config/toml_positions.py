"""Where each key and value starts in TOML text, which tomllib parses without keeping positions.

tomllib has already accepted the text, so the scanner can trust the grammar: it walks the text and
records the position of every key and value. A scanner failure only costs precision: positions
fall back to the nearest ancestor. The same walk tells where a key or table that tomllib refused as
defined twice was first defined (`find_redefinition`).
"""

from __future__ import annotations

import bisect
import re
import sys
from dataclasses import dataclass

from pipeflow.config.reader import Document, DocumentPath, Position

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def scan_positions(text: str, document: Document) -> None:
    """Record in `document` where each key and value of the TOML `text` starts."""
    _TomlScanner(text, document).scan()


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
        # Every definition in text order, when asked for (see find_redefinition).
        self.definitions: list[_Definition] | None = None
        self.complete = False  # whether the scan understood the whole text

    def scan(self) -> None:
        self.document.value_positions[()] = Position(1, 1)
        table: DocumentPath = ()
        try:
            while True:
                self.skip(_BLANK)
                if self.index >= len(self.text):
                    self.complete = True
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
                if self.definitions is not None:  # a table a header implies, as `a` in `[a.b]`
                    self.definitions.append(_Definition(path, "implied", at, at))
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
        if self.definitions is not None:
            defined = table[:-1] if array else table
            kind = "array" if array else "table"
            self.definitions.append(_Definition(defined, kind, start, self.index))
        return table

    def assignment(self, table: DocumentPath) -> None:
        """`key = value`, with a bare, quoted or dotted key, under `table`."""
        simple = _SIMPLE_KEY.match(self.text, self.index)
        if simple is not None:  # the usual `name = value`, in one regex step
            start = self.index
            path = (*table, simple.group(1))
            self.document.key_positions[path] = self.position(start)
            self.index = simple.end()
            self.value(path)
            if self.definitions is not None:
                self.definitions.append(_Definition(path, "key", start, self.index))
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
        if self.definitions is not None:
            # `a.b.c = 1` defines the tables `a` and `a.b` as well as the key.
            for number in range(1, len(parts)):
                prefix = (*table, *(name for name, _ in parts[:number]))
                at = parts[number - 1][1]
                self.definitions.append(_Definition(prefix, "dotted", at, at))
            self.definitions.append(_Definition(path, "key", parts[0][1], self.index))

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
            if simple.group()[0] not in "\"'":  # a number, boolean or date, as spelt
                self.document.written_values[path] = simple.group().strip()
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
        if pattern is _PLAIN_VALUE:
            self.document.written_values[path] = found.group().strip()

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


@dataclass(frozen=True)
class _Definition:
    """One thing a statement defines, from where it starts to where its value ends."""

    path: DocumentPath  # `[[a]]` defines `("a",)`; what follows it goes under `("a", n)`
    kind: str  # "key", "table", "array"; "dotted" or "implied" for a table a key or header implies
    start: int
    end: int


@dataclass(frozen=True)
class Redefinition:
    """A key or table that tomllib refused as defined twice, and the definition in its way."""

    path: DocumentPath  # what the refused statement defines
    kind: str  # "key", "table" (`[path]`) or "array" (`[[path]]`)
    position: Position  # where the refused statement starts
    earlier: DocumentPath  # `path` itself, or a shorter path already holding a value
    earlier_kind: str  # as `kind`, or "dotted" / "implied" for a table a key or header implies
    earlier_position: Position


def _refused(text: str, line: int, column: int) -> tuple[_TomlScanner, _Definition] | None:
    """The scanned text, and the statement tomllib refused at `line`:`column`."""
    scanner = _TomlScanner(text, Document(data=None, file="", kind="toml"))
    scanner.definitions = []
    scanner.scan()  # what follows the refused statement may not parse: the scan just stops there
    if not 0 < line <= len(scanner.line_starts):
        return None
    index = scanner.line_starts[line - 1] + column - 1
    refused = [
        found
        for found in scanner.definitions
        if found.kind in ("key", "table", "array") and found.start <= index <= found.end
    ]
    if not refused:
        return None
    # tomllib points at the end of the refused statement, which may sit inside an inline table.
    return scanner, max(refused, key=lambda found: found.start)


def refused_span(text: str, line: int, column: int) -> tuple[int, int] | None:
    """Where the statement tomllib refused at `line`:`column` as a redefinition is written
    (start and end index): a key and its value (with the comma before it, in an inline
    table), or a table header and the keys under it. Without it the text reads on, so the
    problems after it are found too. None when it cannot be told for sure."""
    found = _refused(text, line, column)
    if found is None:
        return None
    scanner, culprit = found
    if culprit.kind == "key":
        start = culprit.start
        while start > 0 and text[start - 1] in " \t":
            start -= 1
        return (start - 1 if start > 0 and text[start - 1] == "," else culprit.start), culprit.end
    if not scanner.complete:  # where its keys end is unknown
        return None
    headers = [
        other.start
        for other in scanner.definitions or ()
        if other.kind in ("table", "array") and other.start > culprit.start
    ]
    return culprit.start, min(headers, default=len(text))


def find_redefinition(text: str, line: int, column: int) -> Redefinition | None:
    """The statement tomllib refused at `line`:`column` and what it clashes with, or None."""
    found = _refused(text, line, column)
    if found is None:
        return None
    scanner, culprit = found
    definitions = scanner.definitions or []
    before = [found for found in definitions if found.start < culprit.start]
    same = [found for found in before if found.path == culprit.path]
    # A table only implied by a header (`a` in `[a.b]`) may still be declared later on.
    earlier = next((found for found in same if found.kind != "implied"), None)
    if earlier is None and same:
        earlier = same[0]
    for length in range(len(culprit.path) - 1, 0, -1):
        if earlier is not None:
            break
        prefix = culprit.path[:length]  # `a = {b = 1}` then `a.c = 2`: `a` is complete
        earlier = next((f for f in before if f.path == prefix and f.kind == "key"), None)
    if earlier is None:
        return None
    return Redefinition(
        path=culprit.path,
        kind=culprit.kind,
        position=scanner.position(culprit.start),
        earlier=earlier.path,
        earlier_kind=earlier.kind,
        earlier_position=scanner.position(earlier.start),
    )
